// Client TLS settings shared by every HTTPS and WebSocket connection.
#include "net/tls.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>

#include <openssl/err.h>
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

boost::system::error_code prepare_client_stream(client_tls_stream& stream, const std::string& host) {
  namespace ssl = boost::asio::ssl;
  boost::system::error_code not_ip;
  boost::asio::ip::make_address(host, not_ip);
  // SSL_set_tlsext_host_name() spelled out: the macro's C cast trips -Wold-style-cast.
  if (not_ip
      && SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                  const_cast<char*>(host.c_str()))
           != 1)
    return {static_cast<int>(::ERR_get_error()), boost::asio::error::get_ssl_category()};
  stream.set_verify_mode(ssl::verify_peer);
  stream.set_verify_callback(ssl::host_name_verification(host));
  return {};
}

std::string host_header(const std::string& host, const std::string& port) {
  return port == "443" ? host : host + ":" + port;
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
