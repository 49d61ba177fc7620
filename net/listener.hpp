// Opening a listening TCP socket, for the project's servers (metrics) and the loopback simulators.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <string>

namespace derivcache::net {

/// Opens `acceptor` on `endpoint` with SO_REUSEADDR, binds and listens. False with `error` naming the
/// step and the address ("bind 127.0.0.1:8080: Address already in use"); the acceptor is closed then.
bool listen_on(boost::asio::ip::tcp::acceptor& acceptor, const boost::asio::ip::tcp::endpoint& endpoint,
               std::string& error);

/// After an accept error such as EMFILE: `accept_again` runs once `delay` passed on `timer` (unless the
/// timer is cancelled), instead of at once, which would spin on the I/O thread while descriptors are short.
template <class AcceptAgain>
void accept_after(boost::asio::steady_timer& timer, std::chrono::milliseconds delay, AcceptAgain accept_again) {
  timer.expires_after(delay);
  timer.async_wait([accept_again = std::move(accept_again)](const boost::system::error_code& ec) mutable {
    if (!ec)
      accept_again();
  });
}

} // namespace derivcache::net
