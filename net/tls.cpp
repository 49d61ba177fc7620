// Client TLS settings shared by every HTTPS and WebSocket connection.
#include "net/tls.hpp"

#include <openssl/ssl.h>

#include <fstream>

namespace derivcache::net {

std::shared_ptr<boost::asio::ssl::context> make_client_tls_context(const std::string& ca_file,
                                                                   std::string& error) {
  namespace ssl = boost::asio::ssl;
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  if (SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION) != 1) {
    error = "tls: cannot set the minimum protocol version to TLS 1.2";
    return nullptr;
  }
  ctx->set_verify_mode(ssl::verify_peer);
  boost::system::error_code ec;
  // A host without a system store still works with an explicit CA file, so this is not fatal.
  ctx->set_default_verify_paths(ec);
  if (!ca_file.empty()) {
    if (!std::ifstream{ca_file}.is_open()) {
      error = "CA file '" + ca_file + "': cannot be read";
      return nullptr;
    }
    ctx->load_verify_file(ca_file, ec);
    if (ec) {
      error = "CA file '" + ca_file + "': " + ec.message();
      return nullptr;
    }
  }
  return ctx;
}

std::unique_ptr<boost::asio::ssl::context> make_server_tls_context(const std::string& cert_file,
                                                                   const std::string& key_file, std::string& error) {
  namespace ssl = boost::asio::ssl;
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(cert_file, ec);
  if (ec) {
    error = "certificate '" + cert_file + "': " + ec.message();
    return nullptr;
  }
  ctx->use_private_key_file(key_file, ssl::context::pem, ec);
  if (ec) {
    error = "key '" + key_file + "': " + ec.message();
    return nullptr;
  }
  return ctx;
}

} // namespace derivcache::net
