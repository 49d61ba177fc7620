// Small asynchronous HTTP/1.1 server (Boost.Beast, plain HTTP) for /metrics and /healthz: GET only,
// keep-alive, request size cap, per-connection read deadlines (shorter before the first request), a
// connection cap that idle connections cannot hold against new requests, answers produced later by the caller.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace derivcache::net {

/// One request as the handler sees it; owns its data, so the answer may be produced later.
struct request_view {
  std::string method;   ///< always "GET": other methods are answered 405 before the handler runs
  std::string target;   ///< as sent, e.g. "/snapshot?symbol=BTCUSDT"
  std::string path;     ///< target before '?', e.g. "/snapshot"
  std::string query;    ///< target after '?' (empty when none)

  /// The percent-decoded value of `name` in the query string ("a=1&b=x%20y"), or none.
  std::optional<std::string> query_param(const std::string& name) const;
};

/// What the handler answers.
struct response {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

struct http_server_options {
  std::string host = "127.0.0.1";                                   ///< address to bind; never defaulted to 0.0.0.0
  unsigned short port = 0;                                           ///< 0: an ephemeral port (see http_server::port())
  std::size_t max_request_bytes = 8192;                              ///< header and body caps (431 / 413 beyond)
  std::chrono::milliseconds read_timeout{std::chrono::seconds{10}};  ///< per read (idle keep-alive included) and write
  std::chrono::milliseconds first_request_timeout{std::chrono::seconds{2}};   ///< a new connection's first request
  std::chrono::milliseconds reply_timeout{std::chrono::seconds{10}}; ///< handler answer deadline (then 503)
  /// At the cap, a new connection replaces the one that has waited longest for a request; it is closed at
  /// once only when every connection has a request in progress (so liveness probes keep being answered).
  std::size_t max_connections = 64;
  std::chrono::milliseconds accept_backoff{100};                     ///< after an accept error (EMFILE)
};

/// A running server. Its operations run on the io_context given to make_http_server().
class http_server {
public:
  /// Delivers the answer; callable from any thread, at most once (later calls are ignored).
  using reply_fn = std::function<void(response)>;
  /// Runs on the I/O thread for every GET; must not block. `reply` may be called later, from any thread.
  using handler = std::function<void(request_view request, reply_fn reply)>;

  virtual ~http_server() = default;

  /// The bound port (the ephemeral one when options.port was 0).
  virtual unsigned short port() const = 0;

  /// Closes the acceptor and every connection; answers still pending are dropped. Callable from any
  /// thread, idempotent. The io_context's run() returns once nothing else uses it.
  virtual void stop() = 0;
};

/// Binds and listens on options.host:options.port and starts accepting on `ioc`. Returns null with
/// `error` set ("bind 127.0.0.1:80: Permission denied") when that fails.
std::shared_ptr<http_server> make_http_server(boost::asio::io_context& ioc, http_server_options options,
                                              http_server::handler handler, std::string& error);

/// The reason phrase for a status code ("Not Found").
std::string reason_phrase(unsigned status);

} // namespace derivcache::net
