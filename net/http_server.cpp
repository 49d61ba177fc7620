// Beast HTTP/1.1 server: an acceptor on a strand, one session per connection on its own strand.
#include "net/http_server.hpp"

#include "net/listener.hpp"
#include "net/url.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

namespace derivcache::net {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

} // namespace

std::optional<std::string> request_view::query_param(const std::string& name) const {
  std::size_t pos = 0;
  while (pos <= query.size()) {
    auto end = query.find('&', pos);
    if (end == std::string::npos)
      end = query.size();
    const auto item = query.substr(pos, end - pos);
    const auto eq = item.find('=');
    if (percent_decode(item.substr(0, eq)) == name)
      return eq == std::string::npos ? std::string{} : percent_decode(item.substr(eq + 1));
    pos = end + 1;
  }
  return std::nullopt;
}

std::string reason_phrase(unsigned status) {
  return std::string{http::obsolete_reason(static_cast<http::status>(status))};
}

namespace {

class session;

/// What sessions and reply callbacks share with the server; outlives both.
struct server_core {
  http_server_options options;
  http_server::handler handler;
  std::mutex mtx;
  bool stopped = false;                                  ///< guarded by mtx
  std::map<const session*, std::weak_ptr<session>> sessions;   ///< guarded by mtx
};

using core_ptr = std::shared_ptr<server_core>;

/// One connection: read a request, hand it to the handler, write the answer, repeat while keep-alive.
class session : public std::enable_shared_from_this<session> {
public:
  session(tcp::socket socket, core_ptr core) : stream_(std::move(socket)), core_(std::move(core)),
                                               reply_timer_(stream_.get_executor()) {}

  ~session() {
    std::lock_guard<std::mutex> guard{core_->mtx};
    core_->sessions.erase(this);
  }

  void start() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->do_read(); });
  }

  /// Since when (steady clock, ns) it waits for a request; 0 while one is in progress. Any thread.
  int64_t waiting_since() const { return waiting_since_.load(); }

  /// Called by the server on stop and to make room (from any thread).
  void close() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      self->closed_ = true;
      self->reply_timer_.cancel();
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      self->stream_.close();
    });
  }

  /// Delivers the handler's answer (on the session's strand).
  void deliver(response res, uint64_t generation) {
    asio::post(stream_.get_executor(), [self = shared_from_this(), res = std::move(res), generation]() mutable {
      if (self->closed_ || generation != self->generation_ || !self->waiting_)
        return;
      self->waiting_ = false;
      self->reply_timer_.cancel();
      self->write(std::move(res));
    });
  }

private:
  void do_read() {
    if (closed_)
      return;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(core_->options.max_request_bytes));
    parser_->body_limit(core_->options.max_request_bytes);
    // A connection that has not sent a request yet gets less time than an idle keep-alive one.
    stream_.expires_after(generation_ == 0 ? core_->options.first_request_timeout : core_->options.read_timeout);
    waiting_since_ = std::chrono::steady_clock::now().time_since_epoch().count();
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    waiting_since_ = 0;
    if (closed_)
      return;
    // end_of_stream: the client closed an idle keep-alive connection; timeout: it stayed silent too long.
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted)
      return shutdown();
    if (ec == http::error::header_limit)
      return write_error(431, "request header too large");
    if (ec == http::error::body_limit)
      return write_error(413, "request body too large");
    if (ec) {
      if (parser_->got_some())
        return write_error(400, "malformed request: " + ec.message());
      return shutdown();
    }
    auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    if (req.method() != http::verb::get) {
      response res;
      res.status = 405;
      res.body = "method not allowed: only GET\n";
      allow_get_ = true;
      return write(std::move(res));
    }
    request_view view;
    view.method = "GET";
    view.target = std::string{req.target()};
    const auto q = view.target.find('?');
    view.path = view.target.substr(0, q);
    if (q != std::string::npos)
      view.query = view.target.substr(q + 1);

    waiting_ = true;
    const auto generation = ++generation_;
    auto answered = std::make_shared<std::atomic<bool>>(false);
    reply_timer_.expires_after(core_->options.reply_timeout);
    reply_timer_.async_wait([self = shared_from_this(), generation, answered](beast::error_code tec) {
      if (tec || answered->exchange(true))
        return;
      response res;
      res.status = 503;
      res.body = "no answer within the reply deadline\n";
      self->deliver(std::move(res), generation);
    });
    http_server::reply_fn reply = [core = core_, weak = weak_from_this(), generation,
                                   answered](response res) {
      if (answered->exchange(true))
        return;
      auto s = weak.lock();   // released after the lock below: ~session takes it too
      if (!s)
        return;
      // Under the core's lock: once stop() has run, nothing is posted to an io_context that may be gone.
      std::lock_guard<std::mutex> guard{core->mtx};
      if (!core->stopped)
        s->deliver(std::move(res), generation);
    };
    try {
      core_->handler(std::move(view), std::move(reply));
    } catch (const std::exception& e) {
      response res;
      res.status = 500;
      res.body = std::string{"handler failed: "} + e.what() + "\n";
      if (!answered->exchange(true)) {
        waiting_ = false;
        reply_timer_.cancel();
        write(std::move(res));
      }
    }
  }

  void write_error(unsigned status, std::string text) {
    keep_alive_ = false;
    response res;
    res.status = status;
    res.body = std::move(text) + "\n";
    write(std::move(res));
  }

  void write(response res) {
    res_ = {static_cast<http::status>(res.status), 11};
    res_.set(http::field::server, "derivcache");
    res_.set(http::field::content_type, res.content_type);
    if (allow_get_)
      res_.set(http::field::allow, "GET");
    allow_get_ = false;
    res_.body() = std::move(res.body);
    res_.keep_alive(keep_alive_);
    res_.prepare_payload();
    stream_.expires_after(core_->options.read_timeout);
    http::async_write(stream_, res_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
  }

  void on_write(beast::error_code ec) {
    if (closed_ || ec)
      return shutdown();
    if (!res_.keep_alive())
      return shutdown();
    {
      std::lock_guard<std::mutex> guard{core_->mtx};
      if (core_->stopped)
        return shutdown();
    }
    do_read();
  }

  void shutdown() {
    closed_ = true;
    reply_timer_.cancel();
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  core_ptr core_;
  asio::steady_timer reply_timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  uint64_t generation_ = 0;
  bool waiting_ = false;
  bool keep_alive_ = true;
  bool allow_get_ = false;
  bool closed_ = false;
  std::atomic<int64_t> waiting_since_{0};
};

class http_server_impl final : public http_server, public std::enable_shared_from_this<http_server_impl> {
public:
  http_server_impl(asio::io_context& ioc, core_ptr core)
    : ioc_(ioc), core_(std::move(core)), acceptor_(asio::make_strand(ioc)), backoff_(acceptor_.get_executor()) {}

  bool listen(std::string& error) {
    const auto& o = core_->options;
    const auto where = o.host + ":" + std::to_string(o.port);
    beast::error_code ec;
    tcp::resolver resolver{ioc_};
    auto results = resolver.resolve(o.host, std::to_string(o.port),
                                    tcp::resolver::numeric_service | tcp::resolver::passive, ec);
    if (ec || results.empty()) {
      error = "resolve " + where + ": " + (ec ? ec.message() : std::string{"no address"});
      return false;
    }
    if (!listen_on(acceptor_, results.begin()->endpoint(), error))
      return false;
    port_ = acceptor_.local_endpoint().port();
    return true;
  }

  void start() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] { self->do_accept(); });
  }

  unsigned short port() const override { return port_; }

  void stop() override {
    std::vector<std::weak_ptr<session>> sessions;
    {
      std::lock_guard<std::mutex> guard{core_->mtx};
      if (core_->stopped)
        return;
      core_->stopped = true;
      for (auto& [ptr, weak] : core_->sessions)
        sessions.push_back(weak);
      core_->sessions.clear();
    }
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ignored;
      self->acceptor_.close(ignored);
      self->backoff_.cancel();
    });
    for (auto& weak : sessions)
      if (auto s = weak.lock())
        s->close();
  }

private:
  void do_accept() {
    acceptor_.async_accept(asio::make_strand(ioc_), [self = shared_from_this()](beast::error_code ec,
                                                                               tcp::socket socket) {
      self->on_accept(ec, std::move(socket));
    });
  }

  void on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open())
      return;
    if (ec)   // EMFILE, ECONNABORTED: the server keeps accepting, after a pause
      return accept_after(backoff_, core_->options.accept_backoff, [self = shared_from_this()] { self->do_accept(); });
    auto s = std::make_shared<session>(std::move(socket), core_);
    std::shared_ptr<session> evicted;
    std::vector<std::shared_ptr<session>> held;   // released after the lock: ~session takes it
    bool accepted = false;
    {
      std::lock_guard<std::mutex> guard{core_->mtx};
      if (!core_->stopped) {
        if (core_->sessions.size() >= core_->options.max_connections)
          evicted = longest_waiting(held);
        if (core_->sessions.size() < core_->options.max_connections || evicted) {
          core_->sessions.emplace(s.get(), s);
          accepted = true;
        }
      }
    }
    if (evicted)
      evicted->close();
    if (accepted)
      s->start();
    // Otherwise `s` goes out of scope here and its destructor closes the socket.
    do_accept();
  }

  /// Under core_->mtx: removes and returns the session that has waited longest for a request, if any. The
  /// sessions it looked at stay in `held` (one may be the last owner: it must not be destroyed under the lock).
  std::shared_ptr<session> longest_waiting(std::vector<std::shared_ptr<session>>& held) {
    auto oldest = core_->sessions.end();
    int64_t oldest_since = 0;
    for (auto i = core_->sessions.begin(); i != core_->sessions.end(); ++i) {
      held.push_back(i->second.lock());
      const auto since = held.back() ? held.back()->waiting_since() : 0;
      if (since != 0 && (oldest_since == 0 || since < oldest_since)) {
        oldest = i;
        oldest_since = since;
      }
    }
    if (oldest == core_->sessions.end())
      return nullptr;
    auto s = oldest->second.lock();
    core_->sessions.erase(oldest);
    return s;
  }

  asio::io_context& ioc_;
  core_ptr core_;
  tcp::acceptor acceptor_;
  asio::steady_timer backoff_;
  unsigned short port_ = 0;
};

} // namespace

std::shared_ptr<http_server> make_http_server(boost::asio::io_context& ioc, http_server_options options,
                                              http_server::handler handler, std::string& error) {
  if (!handler) {
    error = "http server: no handler";
    return nullptr;
  }
  if (options.host.empty()) {
    error = "http server: empty host";
    return nullptr;
  }
  auto core = std::make_shared<server_core>();
  core->options = std::move(options);
  core->handler = std::move(handler);
  auto server = std::make_shared<http_server_impl>(ioc, std::move(core));
  if (!server->listen(error))
    return nullptr;
  server->start();
  return server;
}

} // namespace derivcache::net
