// Opening a listening TCP socket, for the project's servers (metrics) and the loopback simulators.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <string>

namespace derivcache::net {

/// Opens `acceptor` on `endpoint` with SO_REUSEADDR, binds and listens. False with `error` naming the
/// step and the address ("bind 127.0.0.1:8080: Address already in use"); the acceptor is closed then.
bool listen_on(boost::asio::ip::tcp::acceptor& acceptor, const boost::asio::ip::tcp::endpoint& endpoint,
               std::string& error);

} // namespace derivcache::net
