#!/bin/sh
# Generates throw-away TLS material for the loopback simulator and the network tests.
# Usage: make-test-certs.sh OUT_DIR   (writes ca.pem, server.{pem,key}, wrong_host.{pem,key}, node.{pem,key},
#                                     untrusted.{pem,key})
# Keys are EC P-256; everything lives in the build directory only and is never committed.
set -eu
out=${1:?usage: make-test-certs.sh OUT_DIR}
mkdir -p "$out"
cd "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

key() { openssl ecparam -name prime256v1 -genkey -noout -out "$1"; }

# Test CA.
key ca.key
openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/CN=derivcache test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out ca.pem 2>/dev/null

# leaf NAME SAN CN [EKU]: a certificate signed by the test CA.
leaf() {
  key "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$3" -out "$tmp/$1.csr" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\nsubjectAltName=%s\n' \
    "${4:-serverAuth}" "$2" > "$tmp/$1.ext"
  openssl x509 -req -in "$tmp/$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -CAserial "$tmp/ca.srl" \
    -days 825 -sha256 -extfile "$tmp/$1.ext" -out "$1.pem" 2>/dev/null
}
leaf server "IP:127.0.0.1,DNS:localhost" localhost
leaf wrong_host "DNS:wrong.example" wrong.example
# A node of a mutual-TLS CAF link (introspection): both ends present it, so it is client and server.
leaf node "IP:127.0.0.1,DNS:localhost" "derivcache node" serverAuth,clientAuth

# Self-signed, trusted by nobody.
key untrusted.key
openssl req -x509 -new -key untrusted.key -sha256 -days 825 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -out untrusted.pem 2>/dev/null

# The node's key under a passphrase: the engine must refuse it at start-up, never prompt for it.
openssl pkey -in node.key -aes256 -passout pass:not-asked -out node_encrypted.key 2>/dev/null

rm -f ca.key
