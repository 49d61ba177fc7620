// Shared fixture for the WSS client and Binance simulator tests: a simulator on 127.0.0.1, an I/O
// thread for the client, and a recorder of every callback with bounded waits.
#pragma once

#include "net/ws_client.hpp"
#include "sim/binance_sim.hpp"
#include "sim_fixture.hpp"

#include <boost/asio/post.hpp>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace derivcache::test {

/// Everything a connection reported, in order.
struct ws_recorder {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::string> frames;
  std::vector<std::size_t> batch_sizes;
  std::vector<std::size_t> oversized;
  std::vector<std::string> events;   ///< "open", "frames", "oversized", "ping", "close" in arrival order
  std::size_t frames_before_oversized = 0;
  int opens = 0;
  int pings = 0;
  int closes = 0;
  net::failure why = net::failure::none;
  std::string message;
  std::chrono::steady_clock::time_point closed_at;

  template <class Pred>
  bool wait(Pred pred, std::chrono::milliseconds limit = bounded_wait) {
    std::unique_lock<std::mutex> lock{mutex};
    return changed.wait_for(lock, limit, [&] { return pred(); });
  }

  /// For conditions outside the recorder (simulator counters): re-checked every few milliseconds,
  /// still bounded.
  template <class Pred>
  bool eventually(Pred pred, std::chrono::milliseconds limit = bounded_wait) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    std::unique_lock<std::mutex> lock{mutex};
    while (!pred()) {
      if (std::chrono::steady_clock::now() >= deadline)
        return false;
      changed.wait_for(lock, std::chrono::milliseconds{2});
    }
    return true;
  }

  bool wait_frames(std::size_t n) { return wait([&] { return frames.size() >= n; }); }
  bool wait_closed() { return wait([&] { return closes > 0; }); }

  template <class F>
  auto locked(F f) {
    std::lock_guard<std::mutex> lock{mutex};
    return f();
  }

  net::ws_callbacks callbacks(std::shared_ptr<ws_recorder> self) {
    net::ws_callbacks cb;
    cb.on_open = [self] { self->record([&] { ++self->opens; self->events.push_back("open"); }); };
    cb.on_frames = [self](std::vector<std::string> batch) {
      self->record([&] {
        self->batch_sizes.push_back(batch.size());
        for (auto& f : batch)
          self->frames.push_back(std::move(f));
        self->events.push_back("frames");
      });
    };
    cb.on_oversized = [self](std::size_t bytes) {
      self->record([&] {
        if (self->oversized.empty())
          self->frames_before_oversized = self->frames.size();
        self->oversized.push_back(bytes);
        self->events.push_back("oversized");
      });
    };
    cb.on_ping = [self] { self->record([&] { ++self->pings; self->events.push_back("ping"); }); };
    cb.on_close = [self](net::failure kind, std::string text) {
      self->record([&] {
        ++self->closes;
        self->why = kind;
        self->message = std::move(text);
        self->closed_at = std::chrono::steady_clock::now();
        self->events.push_back("close");
      });
    };
    return cb;
  }

private:
  template <class F>
  void record(F f) {
    {
      std::lock_guard<std::mutex> lock{mutex};
      f();
    }
    changed.notify_all();
  }
};

class WsFixture : public SimFixture<sim::binance_simulator> {
protected:
  void TearDown() override {
    if (conn_) {
      conn_->close();
      EXPECT_TRUE(rec_->wait_closed()) << "no on_close after close()";
    }
    stop_io_and_sim();
  }

  /// Simulator options for a stream of `total` data frames, closed (1000) after them when `close_when_done`.
  static sim::binance_simulator_options bounded(std::uint64_t total, bool close_when_done = false) {
    sim::binance_simulator_options o;
    o.total = total;
    o.close_when_done = close_when_done;
    return o;
  }

  /// A fault that fires once `after` data frames were sent.
  static sim::binance_fault_spec fault_after(sim::binance_fault kind, std::uint64_t after) {
    sim::binance_fault_spec f;
    f.kind = kind;
    f.after = after;
    return f;
  }

  /// Starts a Binance simulator; `opts` defaults to the CA-signed 127.0.0.1 certificate.
  void start_sim(sim::binance_simulator_options opts = {}) {
    if (opts.cert_file.empty()) {
      opts.cert_file = cert_path("server.pem");
      opts.key_file = cert_path("server.key");
    }
    launch_sim(opts);
  }

  net::ws_options options(const std::string& target) const {
    net::ws_options o;
    o.host = "127.0.0.1";
    o.port = std::to_string(port_);
    o.target = target;
    o.ca_file = cert_path("ca.pem");
    o.handshake_timeout = std::chrono::seconds{5};
    return o;
  }

  /// Makes and starts a connection; its callbacks land in `rec_`.
  void connect(net::ws_options o) {
    std::string error;
    rec_ = std::make_shared<ws_recorder>();
    conn_ = net::make_wss_connection(ioc_, std::move(o), rec_->callbacks(rec_), error);
    ASSERT_TRUE(conn_) << error;
    run_io();
    conn_->start();
  }

  void connect(const std::string& target) { connect(options(target)); }

  /// Returns once every handler queued on the I/O thread before this call has run.
  void drain() {
    for (int i = 0; i < 3; ++i) {
      std::promise<void> done;
      auto fut = done.get_future();
      boost::asio::post(ioc_, [&done] { done.set_value(); });
      ASSERT_EQ(fut.wait_for(bounded_wait), std::future_status::ready);
    }
  }

  std::shared_ptr<net::ws_connection> conn_;
  std::shared_ptr<ws_recorder> rec_ = std::make_shared<ws_recorder>();
};

} // namespace derivcache::test
