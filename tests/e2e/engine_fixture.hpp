// What the whole-engine tests share: the loopback Deribit simulator over TLS with the test certificates, an
// engine pointed at it (Binance off: nothing may leave the machine), its log captured.
#pragma once

#include "actors/engine.hpp"
#include "sim/deribit_sim.hpp"

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace derivcache::test {

inline std::string cert(const std::string& name) { return std::string{DERIVCACHE_BINARY_DIR} + "/certs/" + name; }

struct e2e_config : caf::actor_system_config {
  e2e_config() { add_message_types<caf::id_block::derivcache>(); }
};

/// `Base` is ::testing::Test or ::testing::TestWithParam<T>.
template <class Base>
class engine_fixture : public Base {
protected:
  void start_sim(const std::string& cert_name = "server", unsigned short port = 0) {
    sim::simulator_options opts;
    opts.port = port;
    opts.cert_file = cert(cert_name + ".pem");
    opts.key_file = cert(cert_name + ".key");
    sim_ = std::make_unique<sim::deribit_simulator>(opts);
    auto started = sim_->start();
    ASSERT_TRUE(started) << started.error;
  }

  /// The simulator's address and CA, short backoffs, a generous request timeout, the log into log().
  configuration::engine_config engine_config(std::vector<std::string> currencies) {
    using namespace std::chrono_literals;
    configuration::engine_config cfg;
    cfg.deribit.currencies = std::move(currencies);
    cfg.deribit.url = "https://127.0.0.1:" + std::to_string(sim_->port());
    cfg.deribit.ca_file = cert("ca.pem");
    cfg.deribit.timeout = 2s;
    cfg.deribit.max_requests_per_second = 50;
    cfg.supervisor.min_backoff = 100ms;
    cfg.supervisor.rate_limit_min_backoff = 200ms;
    cfg.supervisor.max_backoff = 2s;
    cfg.binance.symbols.clear();
    return cfg;
  }

  /// The log into log(); `hooks` as the test needs them otherwise.
  void start_engine(const configuration::engine_config& cfg, actors::engine_hooks hooks = {}) {
    // The sink owns its share of the buffer: actors still draining their mailboxes while the actor system shuts
    // down (after this fixture's members are gone) may log.
    hooks.log_sink = [buffer = log_](const std::string& line) {
      std::lock_guard<std::mutex> guard{buffer->mtx};
      buffer->text += line + "\n";
    };
    std::string error;
    engine_ = actors::start_engine(sys_, cfg, error, std::move(hooks));
    ASSERT_TRUE(engine_) << error;
  }

  messages::fetcher_status status() {
    messages::fetcher_status out;
    self_->request(engine_->supervisor, std::chrono::seconds{2}, caf::get_atom::value, messages::status_atom::value)
      .receive([&](const messages::fetcher_status& s) { out = s; },
               [&](const caf::error& e) { ADD_FAILURE() << "supervisor did not answer: " << sys_.render(e); });
    return out;
  }

  std::string log() {
    std::lock_guard<std::mutex> guard{log_->mtx};
    return log_->text;
  }

  void TearDown() override {
    if (engine_)
      engine_->stop();
    if (sim_)
      sim_->stop();
  }

  e2e_config cfg_;
  caf::actor_system sys_{cfg_};
  caf::scoped_actor self_{sys_};
  std::unique_ptr<sim::deribit_simulator> sim_;
  std::unique_ptr<actors::engine> engine_;

private:
  struct log_buffer {
    std::mutex mtx;
    std::string text;
  };
  std::shared_ptr<log_buffer> log_ = std::make_shared<log_buffer>();
};

} // namespace derivcache::test
