// Lifecycle of the simulators' loopback TLS server.
#include "sim/server.hpp"

#include "net/listener.hpp"
#include "net/tls.hpp"

#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/strand.hpp>

namespace derivcache::sim {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

void close_hard(tcp::socket& socket, bool rst) {
  boost::system::error_code ignored;
  if (rst)
    socket.set_option(tcp::socket::linger(true, 0), ignored);
  else
    socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

loopback_server::~loopback_server() {
  stop();
}

start_result loopback_server::start(server_setup setup) {
  start_result out;
  if (started_) {
    out.error = setup.name + ": start() called twice";
    return out;
  }
  started_ = true;
  setup_ = std::move(setup);
  if (setup_.cert_file.empty())
    setup_.cert_file = default_cert_dir() + "/server.pem";
  if (setup_.key_file.empty())
    setup_.key_file = default_cert_dir() + "/server.key";
  if (setup_.prepare) {
    if (out.error = setup_.prepare(); !out.error.empty())
      return out;
  }
  tls_ = net::make_server_tls_context(setup_.cert_file, setup_.key_file, out.error);
  if (!tls_)
    return out;
  ioc_ = std::make_unique<asio::io_context>(1);
  acceptor_ = std::make_unique<tcp::acceptor>(asio::make_strand(*ioc_));
  if (!net::listen_on(*acceptor_, {asio::ip::make_address_v4(simulator_options::bind_address), setup_.port},
                      out.error)) {
    acceptor_.reset();
    return out;
  }
  port_ = acceptor_->local_endpoint().port();
  out.port = port_;
  do_accept();
  thread_ = std::thread{[ioc = ioc_.get()] { ioc->run(); }};
  return out;
}

void loopback_server::do_accept() {
  acceptor_->async_accept(asio::make_strand(*ioc_), [this](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_->is_open())
      return;
    if (!ec) {
      // As exchange front ends do: without it a response's last TLS record can wait for the client's
      // delayed ACK (Nagle), adding ~40 ms to some requests.
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      setup_.accept(std::move(socket), *tls_);
    }
    do_accept();
  });
}

void loopback_server::stop(const std::function<void()>& before_teardown) {
  if (stopped_ || !ioc_)
    return;
  stopped_ = true;
  ioc_->stop();
  if (thread_.joinable())
    thread_.join();
  if (acceptor_) {
    boost::system::error_code ignored;
    acceptor_->close(ignored);
    acceptor_.reset();
  }
  if (before_teardown)
    before_teardown();
  // Destroying the io_context destroys the pending handlers, hence every session and its socket.
  ioc_.reset();
}

} // namespace derivcache::sim
