// TLS contexts: clients verify peers against the system store plus an optional CA file; servers present a
// certificate chain. TLS 1.2 minimum for both.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <memory>
#include <string>

namespace derivcache::net {

/// Makes a client context with `verify_peer`, TLS 1.2 minimum, the system's default trust store
/// and, when `ca_file` is not empty, the PEM certificates in it. Fails (empty pointer, `error` set
/// to a message naming the path) when the file cannot be read or holds no certificate.
std::shared_ptr<boost::asio::ssl::context> make_client_tls_context(const std::string& ca_file,
                                                                   std::string& error);

/// The TLS stream of the HTTPS and WebSocket clients.
using client_tls_stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

/// Readies `stream` to talk to `host`: SNI (not for an IP literal), `verify_peer` and
/// `host_name_verification(host)`. Returns the OpenSSL error when SNI cannot be set.
boost::system::error_code prepare_client_stream(client_tls_stream& stream, const std::string& host);

/// The Host header for `host`:`port`: the bare host on 443, "host:port" otherwise.
std::string host_header(const std::string& host, const std::string& port);

/// Makes a server context (TLS 1.2 minimum) presenting the PEM chain `cert_file` with `key_file`.
/// Fails (empty pointer, `error` naming the file) when either cannot be loaded.
std::unique_ptr<boost::asio::ssl::context> make_server_tls_context(const std::string& cert_file,
                                                                   const std::string& key_file, std::string& error);

/// A problem with the files of a mutual-TLS identity, found as OpenSSL will load them.
struct tls_identity_problem {
  enum class file { none, certificate, key, ca } which = file::none;   ///< none: the identity is usable
  std::string message;                                                  ///< names the file
};

/// Loads `cert_file` (PEM chain), `key_file` (PEM private key) and `ca_file` (PEM certificates) as CAF's
/// openssl module will on the first connection, and says what is wrong: not PEM, a key that does not match
/// the certificate, or an encrypted key (never prompts for a passphrase: a passphrase callback refuses).
tls_identity_problem check_tls_identity(const std::string& cert_file, const std::string& key_file,
                                        const std::string& ca_file);

} // namespace derivcache::net
