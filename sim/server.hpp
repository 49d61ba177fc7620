// The loopback TLS server both simulators run on: certificate, 127.0.0.1 listener, accept loop, I/O thread.
#pragma once

#include "sim/deribit_sim.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace derivcache::sim {

/// Closes a server connection without a TLS close_notify; with `rst`, SO_LINGER 0 sends a reset.
void close_hard(boost::asio::ip::tcp::socket& socket, bool rst);

/// A fault of `kind` for the next `count` requests or connections, the rest as `Spec` defaults it.
template <class Spec, class Kind>
Spec fault_of(Kind kind, int count) {
  Spec spec;
  spec.kind = kind;
  spec.count = count;
  return spec;
}

/// What a simulator asks of its server.
struct server_setup {
  std::string name;           ///< "simulator": names the server in start()'s errors
  std::string cert_file;      ///< PEM chain; empty: default_cert_dir()/server.pem
  std::string key_file;       ///< empty: default_cert_dir()/server.key
  unsigned short port = 0;    ///< 0 = ephemeral
  /// Runs once before binding (loading data); an error text stops start().
  std::function<std::string()> prepare;
  /// Takes each accepted connection (TCP_NODELAY set, on a strand of its own) on the I/O thread.
  std::function<void(boost::asio::ip::tcp::socket, boost::asio::ssl::context&)> accept;
};

/// Serves on 127.0.0.1 from its own io_context thread between start() and stop().
class loopback_server {
public:
  loopback_server() = default;
  ~loopback_server();
  loopback_server(const loopback_server&) = delete;
  loopback_server& operator=(const loopback_server&) = delete;

  /// Prepares, loads the certificate, binds and starts accepting. Call once.
  start_result start(server_setup setup);
  /// Stops the thread and closes the acceptor, then runs `before_teardown` and destroys the io_context,
  /// hence every pending session and its socket. The port is free afterwards. Idempotent.
  void stop(const std::function<void()>& before_teardown = {});
  /// The bound port (0 before start()).
  unsigned short port() const { return port_; }

private:
  void do_accept();

  server_setup setup_;
  std::unique_ptr<boost::asio::io_context> ioc_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::thread thread_;
  unsigned short port_ = 0;
  bool started_ = false;
  bool stopped_ = false;
};

} // namespace derivcache::sim
