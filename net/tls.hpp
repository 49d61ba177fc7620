// TLS client context: TLS 1.2 minimum, peer verification against the system store plus an optional CA file.
#pragma once

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>

namespace derivcache::net {

/// Makes a client context with `verify_peer`, TLS 1.2 minimum, the system's default trust store
/// and, when `ca_file` is not empty, the PEM certificates in it. Fails (empty pointer, `error` set
/// to a message naming the path) when the file cannot be read or holds no certificate.
std::shared_ptr<boost::asio::ssl::context> make_client_tls_context(const std::string& ca_file,
                                                                   std::string& error);

} // namespace derivcache::net
