// The whole engine against the loopback Deribit simulator over real TLS.
#include "actors/engine.hpp"
#include "apps/analyze.hpp"
#include "sim/deribit_sim.hpp"

#include <boost/json.hpp>
#include <caf/all.hpp>
#include <gtest/gtest.h>

#include <mutex>
#include <sstream>

using namespace derivcache;
using namespace std::chrono_literals;

namespace {

std::string cert(const std::string& name) { return std::string{DERIVCACHE_BINARY_DIR} + "/certs/" + name; }

struct e2e_config : caf::actor_system_config {
  e2e_config() { add_message_types<caf::id_block::derivcache>(); }
};

class EngineE2E : public ::testing::Test {
protected:
  void start_sim(const std::string& cert_name = "server") {
    sim::simulator_options opts;
    opts.cert_file = cert(cert_name + ".pem");
    opts.key_file = cert(cert_name + ".key");
    sim_ = std::make_unique<sim::deribit_simulator>(opts);
    auto started = sim_->start();
    ASSERT_TRUE(started) << started.error;
  }

  actors::engine_config engine_config(std::vector<std::string> currencies) {
    actors::engine_config cfg;
    cfg.currencies = std::move(currencies);
    cfg.host = "127.0.0.1";
    cfg.port = std::to_string(sim_->port());
    cfg.ca_file = cert("ca.pem");
    cfg.timeout = 2s;
    cfg.min_backoff = 100ms;
    cfg.rate_limit_min_backoff = 200ms;
    cfg.max_backoff = 2s;
    cfg.max_requests_per_second = 50;
    cfg.binance_symbols.clear();   // these tests are about Deribit; nothing may leave the machine
    cfg.log_sink = [this](const std::string& line) {
      std::lock_guard<std::mutex> guard{log_mtx_};
      log_ += line + "\n";
    };
    return cfg;
  }

  void start_engine(const actors::engine_config& cfg) {
    std::string error;
    engine_ = actors::start_engine(sys_, cfg, error);
    ASSERT_TRUE(engine_) << error;
    self_->send(engine_->cache, messages::subscribe_atom::value,
                caf::actor_cast<messages::cache_subscriber_actor>(self_));
  }

  /// Receives cache updates until every currency has both a basis and a skew value, or 15 s pass.
  bool wait_for_values(const std::vector<std::string>& currencies) {
    std::map<std::string, messages::derivatives_view> views;
    auto complete = [&] {
      for (const auto& c : currencies)
        if (!views.count(c) || !views[c].basis || !views[c].basis->apr_pct || !views[c].skew || !views[c].skew->skew_pct)
          return false;
      return true;
    };
    const auto until = std::chrono::steady_clock::now() + 15s;
    while (!complete() && std::chrono::steady_clock::now() < until)
      self_->receive([&](const messages::derivatives_update& u) { views[u.view.currency] = u.view; },
                     caf::after(std::chrono::milliseconds{200}) >> [] {});
    views_ = views;
    return complete();
  }

  messages::fetcher_status status() {
    messages::fetcher_status out;
    self_->request(engine_->supervisor, 2s, caf::get_atom::value, messages::status_atom::value)
      .receive([&](const messages::fetcher_status& s) { out = s; },
               [&](const caf::error& e) { ADD_FAILURE() << sys_.render(e); });
    return out;
  }

  /// `derivcache analyze` on the files the simulator serves.
  boost::json::object analyze(const std::string& currency, const std::string& book) {
    const auto dir = sim::default_data_dir();
    std::ostringstream out, err;
    int rc = apps::run_analyze({"--currency", currency, "--options", dir + "/book_summary." + book + ".option.json",
                                "--futures", dir + "/book_summary." + book + ".future.json"},
                               out, err);
    EXPECT_EQ(rc, 0) << err.str();
    return boost::json::parse(out.str()).as_object();
  }

  std::string log() {
    std::lock_guard<std::mutex> guard{log_mtx_};
    return log_;
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
  std::map<std::string, messages::derivatives_view> views_;
  std::mutex log_mtx_;
  std::string log_;
};

} // namespace

TEST_F(EngineE2E, CacheValuesEqualAnalyzeOnTheSameFiles) {
  start_sim();
  start_engine(engine_config({"BTC", "ETH", "SOL"}));
  ASSERT_TRUE(wait_for_values({"BTC", "ETH", "SOL"})) << log();
  for (auto [currency, book] : {std::pair{"BTC", "BTC"}, {"ETH", "ETH"}, {"SOL", "USDC"}}) {
    auto expected = analyze(currency, book);
    const auto& view = views_.at(currency);
    EXPECT_DOUBLE_EQ(*view.skew->skew_pct, expected.at("skew").at("value_pct").to_number<double>()) << currency;
    EXPECT_DOUBLE_EQ(view.skew->atm_iv, expected.at("skew").at("atm_iv").to_number<double>()) << currency;
    EXPECT_DOUBLE_EQ(view.skew->butterfly25, expected.at("skew").at("butterfly25").to_number<double>()) << currency;
    EXPECT_DOUBLE_EQ(*view.basis->apr_pct, expected.at("basis").at("apr_pct").to_number<double>()) << currency;
    EXPECT_EQ(view.basis->instrument, expected.at("basis").at("instrument").as_string().c_str()) << currency;
    EXPECT_EQ(quant::to_string(view.skew_state), expected.at("skew").at("state").as_string().c_str()) << currency;
    EXPECT_EQ(quant::to_string(view.basis_state), expected.at("basis").at("state").as_string().c_str()) << currency;
  }
  EXPECT_NEAR(*views_.at("BTC").skew->skew_pct, 6.3218, 5e-4);   // the real chain
  EXPECT_NE(log().find("📡 Derivatives Cache [BTC]: Basis="), std::string::npos) << log();
  EXPECT_EQ(status().restarts, 0u);
}

TEST_F(EngineE2E, RateLimitThenSuccessRestartsTheFetcherAfterRetryAfter) {
  start_sim();
  sim_->inject(sim::fault_spec{sim::fault::rate_limit_429_retry_after, 1, 1s, "get_book_summary"});
  start_engine(engine_config({"BTC"}));
  ASSERT_TRUE(wait_for_values({"BTC"})) << log();
  auto s = status();
  EXPECT_EQ(s.restarts, 1u);
  EXPECT_NE(s.last_error.find("rate_limited"), std::string::npos) << s.last_error;
  EXPECT_FALSE(s.degraded);
  EXPECT_NEAR(*views_.at("BTC").skew->skew_pct, 6.3218, 5e-4);
}

TEST_F(EngineE2E, WrongHostCertificateIsRefused) {
  start_sim("wrong_host");
  start_engine(engine_config({"BTC"}));
  // Poll the supervisor (bounded) until the refused handshake has been reported.
  messages::fetcher_status s;
  for (int i = 0; i < 100 && s.last_error.empty(); ++i) {
    s = status();
    if (s.last_error.empty())
      self_->receive(caf::after(std::chrono::milliseconds{50}) >> [] {});
  }
  EXPECT_NE(s.last_error.find("network_failure"), std::string::npos) << s.last_error;
  EXPECT_NE(s.last_error.find("certificate verify failed"), std::string::npos) << s.last_error;
  messages::cache_contents contents;
  self_->request(engine_->cache, 2s, caf::get_atom::value).receive(
    [&](const messages::cache_contents& c) { contents = c; }, [&](const caf::error& e) { FAIL() << sys_.render(e); });
  for (const auto& v : contents.currencies)
    EXPECT_FALSE(v.basis || v.skew) << v.currency;
}
