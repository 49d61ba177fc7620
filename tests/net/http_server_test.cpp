// The small HTTP server on 127.0.0.1: GET answered (also asynchronously), 404 from the handler, 405 for
// other methods, size cap, keep-alive, idle read deadline, clean stop. Every wait is bounded.
#include "net/http_server.hpp"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using derivcache::net::http_server;
using derivcache::net::request_view;
using derivcache::net::response;

constexpr auto bounded_wait = 10s;

/// A client connection driven on a private io_context; every operation gives up after `bounded_wait`.
class test_client {
public:
  explicit test_client(unsigned short port) : stream_(ioc_) {
    stream_.expires_after(bounded_wait);
    stream_.async_connect(tcp::endpoint{asio::ip::make_address("127.0.0.1"), port},
                          [this](beast::error_code ec) { ec_ = ec; });
    run();
  }

  beast::error_code error() const { return ec_; }

  /// Sends one request and reads the answer; nullopt (with error() set) on failure.
  std::optional<http::response<http::string_body>> exchange(http::verb method, const std::string& target,
                                                            bool keep_alive = true,
                                                            const std::string& extra_header = {}) {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (!extra_header.empty())
      req.set("X-Padding", extra_header);
    req.keep_alive(keep_alive);
    req.prepare_payload();
    stream_.expires_after(bounded_wait);
    http::async_write(stream_, req, [this](beast::error_code ec, std::size_t) { ec_ = ec; });
    run();
    if (ec_)
      return std::nullopt;
    return read_response();
  }

  std::optional<http::response<http::string_body>> read_response() {
    http::response<http::string_body> res;
    stream_.expires_after(bounded_wait);
    http::async_read(stream_, buffer_, res, [this](beast::error_code ec, std::size_t) { ec_ = ec; });
    run();
    if (ec_)
      return std::nullopt;
    return res;
  }

  /// Waits (bounded) for the server to close the connection; true when it did.
  bool closed_by_server() {
    char byte = 0;
    stream_.expires_after(bounded_wait);
    stream_.async_read_some(asio::buffer(&byte, 1), [this](beast::error_code ec, std::size_t) { ec_ = ec; });
    run();
    return ec_ == asio::error::eof || ec_ == asio::error::connection_reset;
  }

  void write_raw(const std::string& text) {
    stream_.expires_after(bounded_wait);
    asio::async_write(stream_, asio::buffer(text), [this](beast::error_code ec, std::size_t) { ec_ = ec; });
    run();
  }

private:
  void run() {
    ioc_.restart();
    ioc_.run();
  }

  asio::io_context ioc_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  beast::error_code ec_;
};

class HttpServer : public ::testing::Test {
protected:
  void TearDown() override {
    if (server_)
      server_->stop();
    work_.reset();
    stop_io();
  }

  /// Starts the server with `handler` and an I/O thread (no work guard: run() returns after stop()).
  void start(http_server::handler handler, derivcache::net::http_server_options o = {}) {
    std::string error;
    server_ = derivcache::net::make_http_server(ioc_, std::move(o), std::move(handler), error);
    ASSERT_TRUE(server_) << error;
    ASSERT_NE(server_->port(), 0);
    io_done_ = std::async(std::launch::async, [this] { ioc_.run(); });
  }

  void stop_io() {
    if (!io_done_.valid())
      return;
    if (io_done_.wait_for(bounded_wait) != std::future_status::ready) {
      ADD_FAILURE() << "io_context still running " << bounded_wait.count() << " s after stop";
      ioc_.stop();
    }
    io_done_.get();
  }

  /// Answers "/hello" with 200, everything else with 404.
  static void hello(request_view req, http_server::reply_fn reply) {
    response res;
    if (req.path == "/hello") {
      res.body = "hello " + req.query_param("name").value_or("nobody");
    } else {
      res.status = 404;
      res.body = "not found";
    }
    reply(std::move(res));
  }

  asio::io_context ioc_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::shared_ptr<http_server> server_;
  std::future<void> io_done_;
};

TEST(RequestView, QueryParamsArePercentDecoded) {
  request_view v;
  v.query = "symbol=BTC%55SDT&empty=&flag&x=a+b";
  EXPECT_EQ(v.query_param("symbol"), "BTCUSDT");
  EXPECT_EQ(v.query_param("empty"), "");
  EXPECT_EQ(v.query_param("flag"), "");
  EXPECT_EQ(v.query_param("x"), "a b");
  EXPECT_FALSE(v.query_param("missing"));
}

TEST_F(HttpServer, AnswersGetAndKeepsTheConnectionAlive) {
  start(hello);
  test_client client{server_->port()};
  ASSERT_FALSE(client.error()) << client.error().message();
  auto first = client.exchange(http::verb::get, "/hello?name=deribit");
  ASSERT_TRUE(first) << client.error().message();
  EXPECT_EQ(first->result_int(), 200u);
  EXPECT_EQ(first->body(), "hello deribit");
  EXPECT_EQ((*first)[http::field::content_type], "text/plain; charset=utf-8");
  EXPECT_TRUE(first->keep_alive());
  auto second = client.exchange(http::verb::get, "/hello");   // same connection
  ASSERT_TRUE(second) << client.error().message();
  EXPECT_EQ(second->body(), "hello nobody");
}

TEST_F(HttpServer, UnknownPathIsTheHandlers404) {
  start(hello);
  test_client client{server_->port()};
  auto res = client.exchange(http::verb::get, "/nope");
  ASSERT_TRUE(res) << client.error().message();
  EXPECT_EQ(res->result_int(), 404u);
}

TEST_F(HttpServer, PostIsRejectedWith405BeforeTheHandler) {
  std::atomic<int> calls{0};
  start([&](request_view req, http_server::reply_fn reply) {
    ++calls;
    hello(std::move(req), std::move(reply));
  });
  test_client client{server_->port()};
  auto res = client.exchange(http::verb::post, "/hello");
  ASSERT_TRUE(res) << client.error().message();
  EXPECT_EQ(res->result_int(), 405u);
  EXPECT_EQ((*res)[http::field::allow], "GET");
  EXPECT_EQ(calls.load(), 0);
  auto next = client.exchange(http::verb::get, "/hello");   // the connection survives a 405
  ASSERT_TRUE(next) << client.error().message();
  EXPECT_EQ(next->result_int(), 200u);
}

TEST_F(HttpServer, AnswersProducedLaterOnAnotherThread) {
  std::mutex mtx;
  std::vector<std::thread> workers;
  start([&](request_view req, http_server::reply_fn reply) {
    std::lock_guard<std::mutex> guard{mtx};
    workers.emplace_back([req, reply] {
      response res;
      res.content_type = "application/json";
      res.body = "{\"path\":\"" + req.path + "\"}";
      reply(res);
      reply(response{500, "text/plain", "ignored: second answer"});
    });
  });
  {
    test_client client{server_->port()};
    auto res = client.exchange(http::verb::get, "/later");
    ASSERT_TRUE(res) << client.error().message();
    EXPECT_EQ(res->result_int(), 200u);
    EXPECT_EQ(res->body(), "{\"path\":\"/later\"}");
    EXPECT_EQ((*res)[http::field::content_type], "application/json");
  }
  std::lock_guard<std::mutex> guard{mtx};
  for (auto& t : workers)
    t.join();
}

TEST_F(HttpServer, HandlerThatNeverAnswersGets503AfterTheReplyDeadline) {
  derivcache::net::http_server_options o;
  o.reply_timeout = 100ms;
  auto kept = std::make_shared<std::vector<http_server::reply_fn>>();
  start([kept](request_view, http_server::reply_fn reply) { kept->push_back(std::move(reply)); }, o);
  test_client client{server_->port()};
  auto res = client.exchange(http::verb::get, "/slow");
  ASSERT_TRUE(res) << client.error().message();
  EXPECT_EQ(res->result_int(), 503u);
  kept->clear();   // the handler holds the replies, a reply its session, the session the handler: break the cycle (LSan)
}

TEST_F(HttpServer, OversizedRequestGets431AndTheConnectionCloses) {
  derivcache::net::http_server_options o;
  o.max_request_bytes = 512;
  start(hello, o);
  test_client client{server_->port()};
  auto res = client.exchange(http::verb::get, "/hello", true, std::string(2048, 'x'));
  ASSERT_TRUE(res) << client.error().message();
  EXPECT_EQ(res->result_int(), 431u);
  EXPECT_FALSE(res->keep_alive());
  EXPECT_TRUE(client.closed_by_server());
}

TEST_F(HttpServer, MalformedRequestGets400) {
  start(hello);
  test_client client{server_->port()};
  client.write_raw("GET /hello HTTX/1.1\r\nHost: x\r\n\r\n");
  auto res = client.read_response();
  ASSERT_TRUE(res) << client.error().message();
  EXPECT_EQ(res->result_int(), 400u);
}

TEST_F(HttpServer, IdleConnectionIsClosedAfterTheReadDeadline) {
  derivcache::net::http_server_options o;
  o.read_timeout = 100ms;
  o.first_request_timeout = 100ms;
  start(hello, o);
  test_client client{server_->port()};
  ASSERT_FALSE(client.error());
  EXPECT_TRUE(client.closed_by_server());
  test_client served{server_->port()};   // after one request, the keep-alive wait is read_timeout
  ASSERT_TRUE(served.exchange(http::verb::get, "/hello"));
  EXPECT_TRUE(served.closed_by_server());
}

TEST_F(HttpServer, AtTheCapANewRequestReplacesTheLongestIdleConnection) {
  derivcache::net::http_server_options o;
  o.max_connections = 3;
  start(hello, o);
  std::vector<std::unique_ptr<test_client>> idle;
  for (int i = 0; i < 3; ++i) {
    idle.push_back(std::make_unique<test_client>(server_->port()));
    ASSERT_TRUE(idle.back()->exchange(http::verb::get, "/hello"));   // served: now waiting, in this order
  }
  test_client probe{server_->port()};
  auto res = probe.exchange(http::verb::get, "/hello");
  ASSERT_TRUE(res) << probe.error().message();
  EXPECT_EQ(res->result_int(), 200u);
  EXPECT_TRUE(idle.front()->closed_by_server());   // the one that waited longest made room
  EXPECT_TRUE(idle.back()->exchange(http::verb::get, "/hello"));
}

TEST_F(HttpServer, ConnectionCloseIsHonoured) {
  start(hello);
  test_client client{server_->port()};
  auto res = client.exchange(http::verb::get, "/hello", false);
  ASSERT_TRUE(res) << client.error().message();
  EXPECT_FALSE(res->keep_alive());
  EXPECT_TRUE(client.closed_by_server());
}

TEST_F(HttpServer, StopClosesConnectionsAndTheAcceptorAndEndsTheIoContext) {
  start(hello);
  const auto port = server_->port();
  test_client idle{port};
  ASSERT_FALSE(idle.error());
  auto res = idle.exchange(http::verb::get, "/hello");
  ASSERT_TRUE(res);
  server_->stop();
  server_->stop();   // idempotent
  EXPECT_TRUE(idle.closed_by_server());
  stop_io();         // run() returned: no acceptor, no session left on the io_context
  test_client late{port};
  EXPECT_TRUE(late.error()) << "connect after stop should be refused";
}

TEST_F(HttpServer, BindFailureNamesTheAddress) {
  start(hello);
  derivcache::net::http_server_options o;
  o.port = server_->port();
  asio::io_context other;
  std::string error;
  auto second = derivcache::net::make_http_server(other, o, hello, error);
  EXPECT_FALSE(second);
  EXPECT_NE(error.find("bind 127.0.0.1:" + std::to_string(o.port)), std::string::npos) << error;
}

TEST_F(HttpServer, AnswerAfterStopIsDropped) {
  std::promise<http_server::reply_fn> got;
  start([&](request_view, http_server::reply_fn reply) { got.set_value(std::move(reply)); });
  auto port = server_->port();
  auto client_done = std::async(std::launch::async, [port] {
    test_client client{port};
    return client.exchange(http::verb::get, "/pending").has_value();
  });
  auto fut = got.get_future();
  ASSERT_EQ(fut.wait_for(bounded_wait), std::future_status::ready);
  auto reply = fut.get();
  server_->stop();
  reply(response{200, "text/plain", "too late"});
  ASSERT_EQ(client_done.wait_for(bounded_wait), std::future_status::ready);
  EXPECT_FALSE(client_done.get());
  stop_io();
}

} // namespace
