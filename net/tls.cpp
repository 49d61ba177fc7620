// Client TLS settings shared by every HTTPS and WebSocket connection.
#include "net/tls.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <fstream>
#include <iterator>

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

namespace {

/// OpenSSL's passphrase callback: no passphrase, so an encrypted key fails to load instead of prompting.
int no_passphrase(char*, int, int, void*) { return 0; }

bool file_mentions(const std::string& path, const std::string& needle) {
  std::ifstream in{path, std::ios::binary};
  std::string text{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
  return text.find(needle) != std::string::npos;
}

} // namespace

tls_identity_problem check_tls_identity(const std::string& cert_file, const std::string& key_file,
                                        const std::string& ca_file) {
  using file = tls_identity_problem::file;
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx{SSL_CTX_new(TLS_method()), SSL_CTX_free};
  if (!ctx)
    return {file::certificate, "cannot make a TLS context"};
  SSL_CTX_set_default_passwd_cb(ctx.get(), no_passphrase);
  auto fail = [&](file which, std::string message) {
    ERR_clear_error();
    return tls_identity_problem{which, std::move(message)};
  };
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert_file.c_str()) != 1)
    return fail(file::certificate, "'" + cert_file + "' is not a PEM certificate");
  std::unique_ptr<BIO, decltype(&BIO_free)> bio{BIO_new_file(key_file.c_str(), "r"), BIO_free};
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{
    bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr) : nullptr, EVP_PKEY_free};
  if (!key) {
    if (file_mentions(key_file, "ENCRYPTED"))
      return fail(file::key, "'" + key_file + "' is encrypted: derivcache never asks for a passphrase; "
                             "use an unencrypted key (openssl pkey -in KEY -out NEW_KEY) readable only by its user");
    return fail(file::key, "'" + key_file + "' is not a PEM private key");
  }
  if (SSL_CTX_use_PrivateKey(ctx.get(), key.get()) != 1 || SSL_CTX_check_private_key(ctx.get()) != 1)
    return fail(file::key, "'" + key_file + "' does not match the certificate '" + cert_file + "'");
  if (SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr) != 1)
    return fail(file::ca, "'" + ca_file + "' holds no PEM certificate");
  return {};
}

} // namespace derivcache::net
