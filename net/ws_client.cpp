// Beast WSS client: one connection on a strand; resolve -> connect -> TLS -> WS handshake -> read loop.
#include "net/ws_client.hpp"

#include "net/tls.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <openssl/ssl.h>

#include <algorithm>
#include <utility>

namespace derivcache::net {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using strand_type = asio::strand<asio::io_context::executor_type>;

/// Bytes asked of Beast per read; a frame larger than this arrives in several reads.
constexpr std::size_t read_chunk = 64u << 10;
/// A message over this many times max_frame is not worth skipping: the connection is closed.
constexpr std::size_t skip_limit_factor = 256;
/// Flush checks deferred while the socket or TLS layer still holds bytes, before delivering anyway.
constexpr int max_flush_defers = 4;

bool closed_by_peer(const beast::error_code& ec) {
  return ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::error::broken_pipe
         || ec == asio::error::connection_aborted || ec == ssl::error::stream_truncated
         || ec == http::error::end_of_stream;
}

class wss_connection_impl final : public ws_connection,
                                  public std::enable_shared_from_this<wss_connection_impl> {
public:
  wss_connection_impl(asio::io_context& ioc, ws_options options, ws_callbacks callbacks,
                      std::shared_ptr<ssl::context> ctx)
    : options_(std::move(options)),
      callbacks_(std::move(callbacks)),
      ctx_(std::move(ctx)),
      strand_(asio::make_strand(ioc)),
      resolver_(strand_),
      ws_(strand_, *ctx_),
      timer_(strand_) {
    host_header_ = host_header(options_.host, options_.port);
    options_.max_batch = std::max<std::size_t>(options_.max_batch, 1);
  }

  void start() override {
    asio::post(strand_, [self = shared_from_this()] { self->do_start(); });
  }

  void close() override {
    asio::post(strand_, [self = shared_from_this()] { self->do_close(); });
  }

private:
  void do_start() {
    if (started_ || closed_)
      return;
    started_ = true;
    if (auto ec = prepare_client_stream(ws_.next_layer(), options_.host))
      return fail(failure::tls, "sni", ec);

    // One deadline for resolve, connect, TLS and the WebSocket upgrade together.
    timer_.expires_after(options_.handshake_timeout);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec)
        self->on_deadline();
    });
    stage_ = "resolve";
    resolver_.async_resolve(options_.host, options_.port,
                            [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type results) {
                              self->on_resolve(ec, results);
                            });
  }

  void on_resolve(beast::error_code ec, const tcp::resolver::results_type& results) {
    if (ended(ec, failure::resolve, "resolve"))
      return;
    stage_ = "connect";
    beast::get_lowest_layer(ws_).expires_never();  // the handshake deadline is timer_
    beast::get_lowest_layer(ws_).async_connect(
      results, [self = shared_from_this()](beast::error_code ec2, const tcp::endpoint&) { self->on_connect(ec2); });
  }

  void on_connect(beast::error_code ec) {
    if (ended(ec, failure::connect, "connect"))
      return;
    stage_ = "tls handshake";
    ws_.next_layer().async_handshake(ssl::stream_base::client,
                                     [self = shared_from_this()](beast::error_code ec2) { self->on_handshake(ec2); });
  }

  void on_handshake(beast::error_code ec) {
    if (ended(ec, failure::tls, "tls handshake"))
      return;
    stage_ = "ws handshake";
    // The WebSocket stream has its own timeouts: the TCP layer must not expire under it.
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    ws_.set_option(websocket::stream_base::decorator(
      [](websocket::request_type& req) { req.set(http::field::user_agent, "derivcache"); }));
    // No Beast limit: a too-big message makes Beast fail the connection with whatever its close
    // handshake runs into; the limits are enforced in on_read, where the size is known.
    ws_.read_message_max(0);
    ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
      // Runs inside our own reads, so on the strand and while a handler holds `this`.
      if (kind == websocket::frame_type::ping && !closed_ && callbacks_.on_ping)
        callbacks_.on_ping();
    });
    ws_.async_handshake(host_header_, options_.target,
                        [self = shared_from_this()](beast::error_code ec2) { self->on_ws_handshake(ec2); });
  }

  void on_ws_handshake(beast::error_code ec) {
    if (closed_)
      return;
    if (ec) {
      if (closed_by_peer(ec))
        return fail(failure::reset, "ws handshake", ec);
      return fail(failure::protocol, "ws handshake", ec);
    }
    timer_.cancel();
    open_ = true;
    stage_ = "read";
    if (callbacks_.on_open)
      callbacks_.on_open();
    if (!closed_)
      do_read();
  }

  void do_read() {
    ws_.async_read_some(buffer_, read_chunk, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_read(ec);
    });
  }

  void on_read(beast::error_code ec) {
    if (closed_)
      return;
    if (ec)
      return read_failed(ec);
    if (skipped_bytes_ > 0 || buffer_.size() > options_.max_frame) {
      skipped_bytes_ += buffer_.size();
      buffer_.consume(buffer_.size());
      if (skip_limit() != 0 && skipped_bytes_ > skip_limit())
        return finish(failure::body_too_large, "read: message over " + std::to_string(skip_limit()) + " bytes");
    }
    if (ws_.is_message_done()) {
      if (skipped_bytes_ > 0) {
        // Frames already read come first, so the owner sees the stream in order.
        flush();
        auto bytes = std::exchange(skipped_bytes_, 0);
        if (!closed_ && callbacks_.on_oversized)
          callbacks_.on_oversized(bytes);
      } else {
        batch_.push_back(beast::buffers_to_string(buffer_.data()));
        buffer_.consume(buffer_.size());
        if (batch_.size() >= options_.max_batch)
          flush();
      }
    }
    if (closed_)
      return;
    do_read();
    // A read whose data Beast already holds completes by a post queued ahead of this one and
    // bumps the generation; the check below only flushes once a read has to wait for the network.
    ++generation_;
    schedule_flush(generation_, 0);
  }

  void schedule_flush(std::uint64_t generation, int defers) {
    if (batch_.empty())
      return;
    asio::post(strand_, [self = shared_from_this(), generation, defers] { self->on_flush_check(generation, defers); });
  }

  void on_flush_check(std::uint64_t generation, int defers) {
    if (closed_ || generation != generation_ || batch_.empty())
      return;
    beast::error_code ignored;
    bool more = SSL_pending(ws_.next_layer().native_handle()) > 0
                || beast::get_lowest_layer(ws_).socket().available(ignored) > 0;
    if (more && defers < max_flush_defers)
      return schedule_flush(generation, defers + 1);
    flush();
  }

  void flush() {
    if (batch_.empty() || closed_)
      return;
    auto frames = std::move(batch_);
    batch_.clear();
    if (callbacks_.on_frames)
      callbacks_.on_frames(std::move(frames));
  }

  void read_failed(const beast::error_code& ec) {
    if (ec == websocket::error::closed) {
      auto reason = ws_.reason();
      std::string message = "read: closed by the server (code " + std::to_string(reason.code);
      if (!reason.reason.empty())
        message += ", " + std::string{reason.reason.c_str()};
      return finish(failure::reset, message + ")");
    }
    if (ec == beast::error::timeout)
      return fail(failure::timeout, "read", ec);
    if (closed_by_peer(ec) || ec.category() != websocket::make_error_code(websocket::error::closed).category())
      return fail(failure::reset, "read", ec);
    fail(failure::protocol, "read", ec);
  }

  void on_deadline() {
    if (closed_ || open_)
      return;
    finish(failure::timeout,
           std::string{stage_} + ": timed out after " + std::to_string(options_.handshake_timeout.count()) + " ms");
  }

  void do_close() {
    if (closed_)
      return;
    if (!open_)
      return finish(failure::cancelled, "cancelled: connection closed by its owner");
    closed_ = true;
    report(failure::cancelled, "cancelled: connection closed by its owner");
    // A polite close frame; the pending read ends with `closed` (ignored). The timer bounds a
    // server that never answers.
    timer_.expires_after(std::chrono::seconds{1});
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec)
        beast::get_lowest_layer(self->ws_).close();
    });
    ws_.async_close(websocket::close_code::normal, [self = shared_from_this()](beast::error_code) {
      self->timer_.cancel();
      beast::get_lowest_layer(self->ws_).close();
    });
  }

  /// True when the connection is over: closed before, or failing now with `ec` at `stage`.
  bool ended(const beast::error_code& ec, failure kind, const char* stage) {
    if (closed_)
      return true;
    if (!ec)
      return false;
    fail(kind, stage, ec);
    return true;
  }

  void fail(failure kind, const char* stage, const beast::error_code& ec) {
    finish(kind, std::string{stage} + ": " + ec.message());
  }

  /// Reports the end and drops the connection at once; pending operations end with errors that are ignored.
  void finish(failure kind, std::string message) {
    if (closed_)
      return;
    closed_ = true;
    timer_.cancel();
    resolver_.cancel();
    beast::get_lowest_layer(ws_).close();
    report(kind, std::move(message));
  }

  void report(failure kind, std::string message) {
    // Frames read before the end are delivered first (e.g. a serverShutdown notice before the close).
    if (!batch_.empty() && callbacks_.on_frames && kind != failure::cancelled)
      callbacks_.on_frames(std::exchange(batch_, {}));
    batch_.clear();
    auto on_close = std::move(callbacks_.on_close);
    // The owner's callbacks may hold the owner (or this connection): let them go.
    callbacks_ = {};
    if (on_close)
      on_close(kind, std::move(message));
  }

  std::size_t skip_limit() const {
    auto limit = options_.max_frame * skip_limit_factor;
    return limit / skip_limit_factor == options_.max_frame ? limit : 0;  // 0: no limit (overflow)
  }

  ws_options options_;
  ws_callbacks callbacks_;
  std::shared_ptr<ssl::context> ctx_;
  strand_type strand_;
  tcp::resolver resolver_;
  websocket::stream<client_tls_stream> ws_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::vector<std::string> batch_;
  std::size_t skipped_bytes_ = 0;
  std::uint64_t generation_ = 0;
  std::string host_header_;
  const char* stage_ = "start";
  bool started_ = false;
  bool open_ = false;
  bool closed_ = false;
};

} // namespace

std::shared_ptr<ws_connection> make_wss_connection(boost::asio::io_context& ioc, ws_options options,
                                                   ws_callbacks callbacks, std::string& error) {
  if (options.host.empty()) {
    error = "wss connection: empty host";
    return nullptr;
  }
  if (options.max_frame == 0) {
    error = "wss connection: max_frame must be positive";
    return nullptr;
  }
  auto ctx = make_client_tls_context(options.ca_file, error);
  if (!ctx)
    return nullptr;
  return std::make_shared<wss_connection_impl>(ioc, std::move(options), std::move(callbacks), std::move(ctx));
}

} // namespace derivcache::net
