// Shared fixture for tests/net: a simulator on 127.0.0.1 and an io_context thread for the client.
#pragma once

#include "net/https_client.hpp"
#include "sim/deribit_sim.hpp"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <future>
#include <optional>
#include <string>
#include <thread>

namespace derivcache::test {

inline std::string cert_path(const std::string& name) {
  return std::string{DERIVCACHE_BINARY_DIR} + "/certs/" + name;
}

inline const char* const book_summary_btc_option = "/api/v2/public/get_book_summary_by_currency?currency=BTC&kind=option";

/// The longest any single test waits for one handler; requests themselves have shorter deadlines.
constexpr std::chrono::seconds bounded_wait{10};

class NetFixture : public ::testing::Test {
protected:
  void TearDown() override {
    if (client_)
      client_->shutdown();
    work_.reset();
    if (io_thread_.joinable())
      io_thread_.join();
    if (sim_)
      sim_->stop();
  }

  /// Starts a simulator serving `cert`/`key` (default: the CA-signed 127.0.0.1 certificate).
  void start_sim(const std::string& cert = "server.pem", const std::string& key = "server.key") {
    sim::simulator_options opts;
    opts.cert_file = cert_path(cert);
    opts.key_file = cert_path(key);
    sim_.emplace(opts);
    auto started = sim_->start();
    ASSERT_TRUE(started) << started.error;
    port_ = started.port;
  }

  net::https_options options(std::chrono::milliseconds timeout = std::chrono::seconds{5}) const {
    net::https_options o;
    o.host = "127.0.0.1";
    o.port = std::to_string(port_);
    o.ca_file = cert_path("ca.pem");
    o.timeout = timeout;
    return o;
  }

  /// Makes the client and starts its I/O thread.
  void make_client(net::https_options o) {
    std::string error;
    client_ = net::make_https_client(ioc_, std::move(o), error);
    ASSERT_TRUE(client_) << error;
    io_thread_ = std::thread{[this] { ioc_.run(); }};
  }

  /// Issues a GET; the future becomes ready when the handler runs (counted in `handler_calls_`).
  std::future<net::http_result> get_async(const std::string& target) {
    auto promise = std::make_shared<std::promise<net::http_result>>();
    auto fut = promise->get_future();
    client_->get(target, [this, promise](net::http_result r) {
      ++handler_calls_;
      promise->set_value(std::move(r));
    });
    return fut;
  }

  /// Issues a GET and waits (bounded) for its result.
  net::http_result get(const std::string& target) {
    auto fut = get_async(target);
    if (fut.wait_for(bounded_wait) != std::future_status::ready) {
      ADD_FAILURE() << "no result for " << target << " within " << bounded_wait.count() << " s";
      return {};
    }
    return fut.get();
  }

  boost::asio::io_context ioc_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{
    boost::asio::make_work_guard(ioc_)};
  std::thread io_thread_;
  std::optional<sim::deribit_simulator> sim_;
  unsigned short port_ = 0;
  std::shared_ptr<net::http_client> client_;
  std::atomic<int> handler_calls_{0};
};

} // namespace derivcache::test
