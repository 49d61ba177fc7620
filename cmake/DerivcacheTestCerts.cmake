# Test TLS material for the simulator and network tests, generated at build time into
# ${PROJECT_BINARY_DIR}/certs by scripts/make-test-certs.sh (openssl CLI). Target: derivcache_test_certs.
find_program(DERIVCACHE_OPENSSL_EXECUTABLE openssl REQUIRED)
set(DERIVCACHE_CERT_DIR ${PROJECT_BINARY_DIR}/certs)
set(_derivcache_cert_outputs)
foreach(_f ca.pem server.pem server.key wrong_host.pem wrong_host.key node.pem node.key node_encrypted.key untrusted.pem
  untrusted.key)
  list(APPEND _derivcache_cert_outputs ${DERIVCACHE_CERT_DIR}/${_f})
endforeach()
add_custom_command(
  OUTPUT ${_derivcache_cert_outputs}
  COMMAND sh ${PROJECT_SOURCE_DIR}/scripts/make-test-certs.sh ${DERIVCACHE_CERT_DIR}
  DEPENDS ${PROJECT_SOURCE_DIR}/scripts/make-test-certs.sh
  COMMENT "Generating test certificates in ${DERIVCACHE_CERT_DIR}"
  VERBATIM)
add_custom_target(derivcache_test_certs DEPENDS ${_derivcache_cert_outputs})
