// Base of the tests/net fixtures: a simulator on 127.0.0.1 and an I/O thread for the client under test.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <thread>

namespace derivcache::test {

/// A file the build generates under certs/ (CA, server and client certificates).
inline std::string cert_path(const std::string& name) {
  return std::string{DERIVCACHE_BINARY_DIR} + "/certs/" + name;
}

/// The longest any single test waits for one handler or condition; requests have shorter deadlines.
constexpr std::chrono::seconds bounded_wait{10};

template <class Simulator>
class SimFixture : public ::testing::Test {
protected:
  /// Starts the simulator with `opts`; the test fails when it cannot.
  template <class Options>
  void launch_sim(const Options& opts) {
    sim_.emplace(opts);
    auto started = sim_->start();
    ASSERT_TRUE(started) << started.error;
    port_ = started.port;
  }

  /// Starts the I/O thread unless it runs already.
  void run_io() {
    if (!io_thread_.joinable())
      io_thread_ = std::thread{[this] { ioc_.run(); }};
  }

  /// Lets the I/O thread end, then stops the simulator; the client is closed before.
  void stop_io_and_sim() {
    work_.reset();
    if (io_thread_.joinable())
      io_thread_.join();
    if (sim_)
      sim_->stop();
  }

  boost::asio::io_context ioc_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{
    boost::asio::make_work_guard(ioc_)};
  std::thread io_thread_;
  std::optional<Simulator> sim_;
  unsigned short port_ = 0;
};

} // namespace derivcache::test
