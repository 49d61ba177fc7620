// Shared fixture for tests/net: a simulator on 127.0.0.1 and an io_context thread for the client.
#pragma once

#include "net/https_client.hpp"
#include "sim/deribit_sim.hpp"
#include "sim_fixture.hpp"

#include <atomic>
#include <future>
#include <string>

namespace derivcache::test {

inline const char* const book_summary_btc_option = "/api/v2/public/get_book_summary_by_currency?currency=BTC&kind=option";

class NetFixture : public SimFixture<sim::deribit_simulator> {
protected:
  void TearDown() override {
    if (client_)
      client_->shutdown();
    stop_io_and_sim();
  }

  /// Starts a simulator serving `cert`/`key` (default: the CA-signed 127.0.0.1 certificate).
  void start_sim(const std::string& cert = "server.pem", const std::string& key = "server.key") {
    sim::simulator_options opts;
    opts.cert_file = cert_path(cert);
    opts.key_file = cert_path(key);
    launch_sim(opts);
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
    run_io();
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

  /// Starts a simulator and a client with options().
  void start_sim_and_client() {
    start_sim();
    make_client(options());
  }

  /// Queues fault `f` for the next request, then GETs `target` and waits (bounded) for its result.
  net::http_result get_after(sim::fault f, const std::string& target = book_summary_btc_option) {
    sim_->inject(f);
    return get(target);
  }

  /// Starts a simulator and a client, queues `f` and GETs `target`: expects an answer with `status`.
  net::http_response answer_after(sim::fault f, unsigned status, const std::string& target = book_summary_btc_option) {
    start_sim_and_client();
    auto r = get_after(f, target);
    EXPECT_EQ(r.error, net::failure::none) << r.message;
    EXPECT_EQ(r.response.status, status);
    return r.response;
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

  std::shared_ptr<net::http_client> client_;
  std::atomic<int> handler_calls_{0};
};

} // namespace derivcache::test
