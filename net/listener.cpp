// Opening a listening TCP socket.
#include "net/listener.hpp"

#include <boost/asio/socket_base.hpp>

namespace derivcache::net {

bool listen_on(boost::asio::ip::tcp::acceptor& acceptor, const boost::asio::ip::tcp::endpoint& endpoint,
               std::string& error) {
  boost::system::error_code ec;
  auto failed = [&](const char* step) {
    if (!ec)
      return false;
    error = std::string{step} + " " + endpoint.address().to_string() + ":" + std::to_string(endpoint.port()) + ": " +
            ec.message();
    boost::system::error_code ignored;
    acceptor.close(ignored);
    return true;
  };
  acceptor.open(endpoint.protocol(), ec);
  if (failed("open"))
    return false;
  acceptor.set_option(boost::asio::socket_base::reuse_address(true), ec);
  if (failed("set reuse_address on"))
    return false;
  acceptor.bind(endpoint, ec);
  if (failed("bind"))
    return false;
  acceptor.listen(boost::asio::socket_base::max_listen_connections, ec);
  return !failed("listen");
}

} // namespace derivcache::net
