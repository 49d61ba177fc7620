// Beast HTTPS GET client: one keep-alive connection, requests run one at a time on a strand.
#include "net/https_client.hpp"

#include "net/gzip.hpp"
#include "net/tls.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <deque>
#include <iterator>
#include <utility>

namespace derivcache::net {

std::string to_string(failure x) {
  static constexpr const char* names[] = {
    "none", "resolve", "connect", "tls", "timeout", "reset", "truncated", "body_too_large", "protocol",
    "cancelled", "rate_limited",
  };
  static_assert(std::size(names) == static_cast<std::size_t>(failure::rate_limited) + 1, "one name per value");
  auto i = static_cast<std::size_t>(x);
  return i < std::size(names) ? names[i] : "unknown";
}

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;
using strand_type = asio::strand<asio::io_context::executor_type>;

/// One queued or running GET. `done` makes the handler run exactly once whatever completes first.
struct request {
  std::string target;
  http_client::handler handler;
  clock_type::time_point queued;     ///< get() was called; the deadline runs from here
  clock_type::time_point started;    ///< left the queue (latency runs from here)
  clock_type::time_point deadline;
  const char* stage = "queued";
  bool retried = false;
  bool done = false;
};

/// One TLS connection; completions hold it, so a dropped connection outlives its pending operations.
struct connection {
  connection(const strand_type& ex, ssl::context& ctx) : stream(ex, ctx) {}
  client_tls_stream stream;
  beast::flat_buffer buffer;
  http::request<http::empty_body> req;
  std::optional<http::response_parser<http::string_body>> parser;
};

using request_ptr = std::shared_ptr<request>;
using connection_ptr = std::shared_ptr<connection>;

bool closed_before_reply(const beast::error_code& ec) {
  return ec == asio::error::eof || ec == http::error::end_of_stream || ec == http::error::partial_message
         || ec == asio::error::connection_reset || ec == asio::error::broken_pipe
         || ec == asio::error::connection_aborted || ec == ssl::error::stream_truncated;
}

std::optional<std::chrono::seconds> parse_retry_after(beast::string_view value) {
  while (!value.empty() && value.front() == ' ')
    value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ')
    value.remove_suffix(1);
  if (value.empty() || value.size() > 9)
    return std::nullopt;
  long seconds = 0;
  for (char c : value) {
    if (c < '0' || c > '9')
      return std::nullopt; // an HTTP-date: the caller backs off on its own schedule
    seconds = seconds * 10 + (c - '0');
  }
  return std::chrono::seconds{seconds};
}

class https_client_impl final : public http_client,
                                public std::enable_shared_from_this<https_client_impl> {
public:
  https_client_impl(asio::io_context& ioc, https_options options, std::shared_ptr<ssl::context> ctx)
    : options_(std::move(options)),
      ctx_(std::move(ctx)),
      strand_(asio::make_strand(ioc)),
      resolver_(strand_),
      timer_(strand_) {
    host_header_ = host_header(options_.host, options_.port);
  }

  void get(std::string target, handler h) override {
    auto queued = clock_type::now();
    asio::post(strand_, [self = shared_from_this(), target = std::move(target), h = std::move(h),
                         queued]() mutable { self->enqueue(std::move(target), std::move(h), queued); });
  }

  void shutdown() override {
    asio::post(strand_, [self = shared_from_this()] { self->do_shutdown(); });
  }

private:
  void enqueue(std::string target, handler h, clock_type::time_point queued) {
    auto req = std::make_shared<request>();
    req->target = std::move(target);
    req->handler = std::move(h);
    req->queued = req->started = queued;
    if (shut_down_) {
      cancel(req, "cancelled: client shut down");
      return;
    }
    if (queued < held_until_) {
      hold_back(req);
      return;
    }
    queue_.push_back(std::move(req));
    start_next();
  }

  void start_next() {
    if (current_ || shut_down_)
      return;
    // The deadline runs from get(): requests stuck behind a stalled one time out in the queue. Otherwise,
    // while a server stalls, a caller that asks every interval < timeout x queued requests grows the queue
    // without end and only ever hears about requests it has already given up on. A request left with
    // less than a tenth of its time is not sent either: it could not finish, and it would only hold
    // the connection for the next one.
    const auto usable = options_.timeout - options_.timeout / 10;
    while (!queue_.empty() && clock_type::now() >= queue_.front()->queued + usable) {
      auto expired = queue_.front();
      queue_.pop_front();
      expire_queued(expired);
    }
    if (queue_.empty())
      return;
    current_ = queue_.front();
    queue_.pop_front();
    auto req = current_;
    req->started = clock_type::now();
    req->deadline = req->queued + options_.timeout;
    timer_.expires_at(req->deadline);
    timer_.async_wait([self = shared_from_this(), req](beast::error_code ec) {
      if (!ec)
        self->on_deadline(req);
    });
    if (conn_)
      write(req, conn_, true);
    else
      connect(req);
  }

  void connect(const request_ptr& req) {
    conn_ = std::make_shared<connection>(strand_, *ctx_);
    auto conn = conn_;
    if (auto ec = prepare_client_stream(conn->stream, options_.host))
      return fail(req, failure::tls, "sni", ec);
    req->stage = "resolve";
    resolver_.async_resolve(options_.host, options_.port,
                            [self = shared_from_this(), req, conn](beast::error_code ec,
                                                                   tcp::resolver::results_type results) {
                              self->on_resolve(req, conn, ec, results);
                            });
  }

  void on_resolve(const request_ptr& req, const connection_ptr& conn, beast::error_code ec,
                  const tcp::resolver::results_type& results) {
    if (ended(req, ec, failure::resolve, "resolve"))
      return;
    req->stage = "connect";
    beast::get_lowest_layer(conn->stream).expires_at(req->deadline);
    beast::get_lowest_layer(conn->stream)
      .async_connect(results, [self = shared_from_this(), req, conn](beast::error_code ec2,
                                                                     const tcp::endpoint&) {
        self->on_connect(req, conn, ec2);
      });
  }

  void on_connect(const request_ptr& req, const connection_ptr& conn, beast::error_code ec) {
    if (ended(req, ec, failure::connect, "connect"))
      return;
    req->stage = "handshake";
    beast::get_lowest_layer(conn->stream).expires_at(req->deadline);
    conn->stream.async_handshake(ssl::stream_base::client,
                                 [self = shared_from_this(), req, conn](beast::error_code ec2) {
                                   self->on_handshake(req, conn, ec2);
                                 });
  }

  void on_handshake(const request_ptr& req, const connection_ptr& conn, beast::error_code ec) {
    if (ended(req, ec, failure::tls, "handshake"))
      return;
    write(req, conn, false);
  }

  void write(const request_ptr& req, const connection_ptr& conn, bool reused) {
    req->stage = "write";
    conn->req = {http::verb::get, req->target, 11};
    conn->req.set(http::field::host, host_header_);
    conn->req.set(http::field::user_agent, options_.user_agent);
    conn->req.set(http::field::accept, "application/json");
    if (options_.gzip)
      conn->req.set(http::field::accept_encoding, "gzip");
    conn->req.keep_alive(true);
    conn->buffer.consume(conn->buffer.size());
    beast::get_lowest_layer(conn->stream).expires_at(req->deadline);
    http::async_write(conn->stream, conn->req,
                      [self = shared_from_this(), req, conn, reused](beast::error_code ec, std::size_t) {
                        self->on_write(req, conn, reused, ec);
                      });
  }

  void on_write(const request_ptr& req, const connection_ptr& conn, bool reused, beast::error_code ec) {
    if (req->done)
      return;
    if (ec)
      return io_error(req, conn, reused, ec, "write");
    req->stage = "read";
    conn->parser.emplace();
    conn->parser->body_limit(options_.max_body);
    beast::get_lowest_layer(conn->stream).expires_at(req->deadline);
    http::async_read(conn->stream, conn->buffer, *conn->parser,
                     [self = shared_from_this(), req, conn, reused](beast::error_code ec2, std::size_t) {
                       self->on_read(req, conn, reused, ec2);
                     });
  }

  void on_read(const request_ptr& req, const connection_ptr& conn, bool reused, beast::error_code ec) {
    if (req->done)
      return;
    if (ec == http::error::body_limit)
      return fail(req, failure::body_too_large, "read", ec);
    if (ec)
      return io_error(req, conn, reused, ec, "read");
    auto& res = conn->parser->get();
    http_result result;
    result.response.status = res.result_int();
    result.response.body = std::move(res.body());
    result.response.wire_bytes = result.response.body.size();
    if (const auto encoding = res[http::field::content_encoding];
        !encoding.empty() && !beast::iequals(encoding, "identity")) {
      if (!beast::iequals(encoding, "gzip"))
        return fail(req, failure::protocol, "read: unsupported Content-Encoding: " + std::string{encoding});
      auto inflated = inflate_gzip(result.response.body, options_.max_body);
      if (inflated.result != inflated::status::ok)
        return fail(req, inflated.result == inflated::status::too_large ? failure::body_too_large : failure::protocol,
                    "read: " + inflated.message);
      result.response.body = std::move(inflated.body);
    }
    if (auto it = res.find(http::field::retry_after); it != res.end())
      result.response.retry_after = parse_retry_after(it->value());
    // A rate limit: nothing more goes out until the caller has backed off (or the Retry-After has passed);
    // Deribit also ends the session on 10028, so the next request starts on a fresh connection.
    const bool rate_limited = options_.is_rate_limit && options_.is_rate_limit(result.response);
    if (!res.keep_alive() || rate_limited)
      drop_connection(true);
    if (rate_limited)
      stop_sending(result.response.retry_after);
    finish(req, std::move(result));
  }

  /// A failed write or read: a reused keep-alive connection the server closed before answering
  /// gets one more try on a fresh connection; anything else is final.
  void io_error(const request_ptr& req, const connection_ptr& conn, bool reused, beast::error_code ec,
                const char* stage) {
    if (ec == beast::error::timeout)
      return fail(req, failure::timeout, stage, ec);
    bool got_bytes = conn->buffer.size() > 0 || (conn->parser && conn->parser->got_some());
    if (!got_bytes && closed_before_reply(ec)) {
      if (reused && !req->retried) {
        req->retried = true;
        drop_connection(false);
        return connect(req);
      }
      return fail(req, failure::reset, stage, ec);
    }
    if (conn->parser && conn->parser->is_header_done() && closed_before_reply(ec))
      return fail(req, failure::truncated, stage, ec);
    if (ec.category() == http::make_error_code(http::error::body_limit).category())
      return fail(req, failure::protocol, stage, ec);
    fail(req, failure::reset, stage, ec);
  }

  void on_deadline(const request_ptr& req) {
    if (req->done)
      return;
    resolver_.cancel();
    http_result result;
    result.error = failure::timeout;
    result.message = std::string{req->stage} + ": timed out after "
                     + std::to_string(options_.timeout.count()) + " ms";
    drop_connection(false);
    finish(req, std::move(result));
  }

  /// True when `req` is over: finished before, or failing now with `ec` at `stage` (as `kind`, or as a timeout).
  bool ended(const request_ptr& req, const beast::error_code& ec, failure kind, const char* stage) {
    if (req->done)
      return true;
    if (!ec)
      return false;
    fail(req, ec == beast::error::timeout ? failure::timeout : kind, stage, ec);
    return true;
  }

  void fail(const request_ptr& req, failure kind, const char* stage, const beast::error_code& ec) {
    fail(req, kind, std::string{stage} + ": " + ec.message());
  }

  void fail(const request_ptr& req, failure kind, std::string message) {
    http_result result;
    result.error = kind;
    result.message = std::move(message);
    drop_connection(false);
    finish(req, std::move(result));
  }

  // `req` by value here and in finish(): it may be `current_`, which finish() resets.
  void cancel(request_ptr req, std::string why) {
    http_result result;
    result.error = failure::cancelled;
    result.message = std::move(why);
    finish(req, std::move(result));
  }

  /// After a rate-limit answer: every queued request fails unsent, and until `retry_after` has passed so
  /// does every new one.
  void stop_sending(std::optional<std::chrono::seconds> retry_after) {
    if (retry_after)
      held_until_ = std::max(held_until_, clock_type::now() + *retry_after);
    auto queued = std::move(queue_);
    queue_.clear();
    for (auto& req : queued)
      cancel(req, "cancelled: not sent, " + options_.host + " answered an earlier request with a rate limit");
  }

  /// A request asked for while the host's Retry-After runs: fails unsent, with the whole seconds left.
  void hold_back(const request_ptr& req) {
    const auto left = std::chrono::ceil<std::chrono::seconds>(held_until_ - req->queued);
    http_result result;
    result.error = failure::rate_limited;
    result.message = "not sent: " + options_.host + " asked to wait " + std::to_string(left.count()) +
                     " s more (Retry-After)";
    result.response.retry_after = left;
    finish(req, std::move(result));
  }

  /// A request whose deadline passed before it left the queue: fails with `timeout`, nothing sent.
  void expire_queued(const request_ptr& req) {
    req->done = true;
    http_result result;
    result.error = failure::timeout;
    result.message = "queued: timed out after " + std::to_string(options_.timeout.count()) +
                     " ms behind an earlier request";
    result.latency = std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - req->queued);
    auto h = std::move(req->handler);
    if (h)
      h(std::move(result));
  }

  void finish(request_ptr req, http_result result) {
    if (req->done)
      return;
    req->done = true;
    if (current_ == req) {
      current_.reset();
      timer_.cancel();
    }
    result.latency = std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - req->started);
    auto h = std::move(req->handler);
    if (h)
      h(std::move(result));
    start_next();
  }

  void do_shutdown() {
    if (shut_down_)
      return;
    shut_down_ = true;
    resolver_.cancel();
    timer_.cancel();
    bool idle = !current_;
    if (current_)
      cancel(current_, "cancelled: client shut down");
    auto queued = std::move(queue_);
    queue_.clear();
    for (auto& req : queued)
      cancel(req, "cancelled: client shut down");
    drop_connection(idle);
  }

  /// Forgets the connection: an idle one is closed with a TLS close_notify, a busy one at once
  /// (its pending operation then completes with operation_aborted and is ignored).
  void drop_connection(bool graceful) {
    if (!conn_)
      return;
    auto conn = std::move(conn_);
    if (!graceful) {
      beast::get_lowest_layer(conn->stream).close();
      return;
    }
    beast::get_lowest_layer(conn->stream).expires_after(std::chrono::seconds{1});
    conn->stream.async_shutdown([conn](beast::error_code ec) { on_shutdown(conn, ec); });
  }

  static void on_shutdown(const connection_ptr& conn, const beast::error_code&) {
    // stream_truncated here means the server closed the TCP connection without answering our
    // close_notify; it is harmless, as in Beast's examples. No other error matters either: the
    // requests that used this connection have already completed.
    beast::get_lowest_layer(conn->stream).close();
  }

  https_options options_;
  std::shared_ptr<ssl::context> ctx_;
  strand_type strand_;
  tcp::resolver resolver_;
  asio::steady_timer timer_;
  std::string host_header_;
  bool shut_down_ = false;
  clock_type::time_point held_until_{};   ///< no request leaves before this (a Retry-After)
  std::deque<request_ptr> queue_;
  request_ptr current_;
  connection_ptr conn_;
};

} // namespace

std::shared_ptr<http_client> make_https_client(boost::asio::io_context& ioc, https_options options,
                                               std::string& error) {
  if (options.host.empty()) {
    error = "https client: empty host";
    return nullptr;
  }
  auto ctx = make_client_tls_context(options.ca_file, error);
  if (!ctx)
    return nullptr;
  return std::make_shared<https_client_impl>(ioc, std::move(options), std::move(ctx));
}

} // namespace derivcache::net
