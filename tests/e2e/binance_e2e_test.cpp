// The Binance feed of a running engine against the loopback Binance simulator over real TLS:
// reconnects after a drop, a stall, a serverShutdown and handshakes that never complete; malformed and
// oversized frames are counted; a ping flood is answered without a drop.
#include "actors/engine.hpp"
#include "sim/binance_sim.hpp"
#include "sim/deribit_sim.hpp"
#include "store/sqlite.hpp"
#include "support/temp_file.hpp"

#include <caf/all.hpp>
#include <gtest/gtest.h>

using namespace derivcache;
using namespace std::chrono_literals;

namespace {

struct feed_config : caf::actor_system_config {
  feed_config() { add_message_types<caf::id_block::derivcache>(); }
};

class BinanceE2E : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(deribit_.start());
    sim::binance_simulator_options opts;
    opts.rate = 200;
    binance_ = std::make_unique<sim::binance_simulator>(opts);
    auto started = binance_->start();
    ASSERT_TRUE(started) << started.error;
    configuration::engine_config cfg;
    cfg.deribit.currencies = {"BTC"};
    cfg.deribit.url = "https://127.0.0.1:" + std::to_string(deribit_.port());
    cfg.deribit.ca_file = std::string{DERIVCACHE_BINARY_DIR} + "/certs/ca.pem";
    cfg.binance.url = "wss://127.0.0.1:" + std::to_string(started.port);
    cfg.binance.ca_file = cfg.deribit.ca_file;
    cfg.binance.min_backoff = 50ms;
    cfg.binance.max_backoff = 200ms;
    cfg.binance.stale_after = 1s;
    cfg.binance.timeout = 500ms;
    cfg.store.path = db_.path;   // the collector's 1-second bars
    actors::engine_hooks hooks;
    hooks.log_sink = [](const std::string&) {};
    std::string error;
    engine_ = actors::start_engine(sys_, cfg, error, hooks);
    ASSERT_TRUE(engine_) << error;
    ASSERT_TRUE(until([](const messages::feed_status& s) { return s.connected && s.agg_trades > 10; }));
  }

  void TearDown() override {
    if (engine_)
      engine_->stop();
  }

  messages::feed_status status() {
    messages::feed_status out;
    self_->request(engine_->binance_feed, 2s, caf::get_atom::value, messages::status_atom::value)
      .receive([&](const messages::feed_status& s) { out = s; }, [&](const caf::error& e) { FAIL() << sys_.render(e); });
    return out;
  }

  /// Asks the feed (bounded: 10 s) until `done(status)`; the feed runs on real threads and sockets.
  template <class Pred>
  // Polls the feed's status until `done` holds. The bound is generous: under TSan on a loaded 2-core machine a 2 MiB
  // frame behind the stream's backlog once took more than 10 s to be counted; a passing run returns as soon as it holds.
  bool until(Pred done) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      last_ = status();
      if (done(last_))
        return true;
      self_->receive(caf::after(std::chrono::milliseconds{20}) >> [] {});
    }
    return false;
  }

  test::temp_db db_;
  feed_config cfg_;
  caf::actor_system sys_{cfg_};
  caf::scoped_actor self_{sys_};
  sim::deribit_simulator deribit_;
  std::unique_ptr<sim::binance_simulator> binance_;
  std::unique_ptr<actors::engine> engine_;
  messages::feed_status last_;
};

} // namespace

TEST_F(BinanceE2E, ReconnectsAfterADropAndKeepsReceiving) {
  const auto before = status();
  binance_->inject(sim::binance_fault_spec{sim::binance_fault::drop});
  ASSERT_TRUE(until([&](const messages::feed_status& s) {
    return s.drops > before.drops && s.connected && s.agg_trades > before.agg_trades + 10;
  })) << last_.last_error;
  EXPECT_GE(last_.reconnects, 1u);
  EXPECT_GE(binance_->counters().handshakes, 2u);
}

TEST_F(BinanceE2E, ReconnectsAfterAStall) {
  binance_->inject(sim::binance_fault_spec{sim::binance_fault::stall});
  ASSERT_TRUE(until([](const messages::feed_status& s) { return s.stalls >= 1 && s.connected; })) << last_.last_error;
  const auto after_stall = last_.agg_trades;
  EXPECT_TRUE(until([&](const messages::feed_status& s) { return s.agg_trades > after_stall + 10; }));
}

TEST_F(BinanceE2E, ServerShutdownReconnectsAtOnce) {
  binance_->inject(sim::binance_fault_spec{sim::binance_fault::server_shutdown});
  ASSERT_TRUE(until([](const messages::feed_status& s) { return s.server_shutdowns >= 1 && s.connected; }));
  const auto after = last_.agg_trades;
  EXPECT_TRUE(until([&](const messages::feed_status& s) { return s.agg_trades > after + 10; }));
}

TEST_F(BinanceE2E, MalformedAndOversizedFramesAreCountedAndSkipped) {
  binance_->inject(sim::binance_fault_spec{sim::binance_fault::malformed});
  sim::binance_fault_spec big{sim::binance_fault::oversized};
  big.bytes = 2u << 20;
  binance_->inject(big);
  ASSERT_TRUE(until([](const messages::feed_status& s) { return s.malformed >= 1 && s.oversized >= 1; }))
    << "malformed " << last_.malformed << " oversized " << last_.oversized;
  const auto after = last_.agg_trades;
  EXPECT_TRUE(until([&](const messages::feed_status& s) { return s.connected && s.agg_trades > after + 10; }));
}

TEST_F(BinanceE2E, PingFloodIsAnsweredWithoutADrop) {
  const auto before = status();
  sim::binance_fault_spec flood{sim::binance_fault::ping_flood};
  flood.count = 500;
  binance_->inject(flood);
  ASSERT_TRUE(until([&](const messages::feed_status& s) { return s.pings >= before.pings + 500; }))
    << "pings " << last_.pings;
  const auto after = last_.agg_trades;
  EXPECT_TRUE(until([&](const messages::feed_status& s) { return s.agg_trades > after + 10; }));
  EXPECT_TRUE(last_.connected);
  EXPECT_EQ(last_.drops, before.drops) << last_.last_error;
  EXPECT_EQ(last_.connects, before.connects);
  // The feed has seen every ping; its last pongs may still be on their way to the simulator.
  EXPECT_TRUE(until([&](const messages::feed_status&) { return binance_->counters().pongs >= 500u; }))
    << "pongs " << binance_->counters().pongs;
}

TEST_F(BinanceE2E, HandshakesThatNeverCompleteTimeOutAndTheFeedReconnects) {
  const auto before = status();
  const auto handshakes = binance_->counters().handshakes;
  binance_->inject(sim::binance_fault::handshake_never, 2);   // the next two connections hang in the upgrade
  binance_->inject(sim::binance_fault::drop);                 // the current one is dropped
  ASSERT_TRUE(until([&](const messages::feed_status& s) {
    return s.connected && s.connects > before.connects && s.agg_trades > before.agg_trades + 10;
  })) << last_.last_error;
  EXPECT_GE(binance_->counters().connections, before.connects + 3);   // two hung, one good
  EXPECT_EQ(binance_->counters().handshakes, handshakes + 1);
  EXPECT_GE(last_.reconnects, before.reconnects + 3);
}

// An orderly stop: the WebSocket is closed with 1000 (the close frame goes out before the I/O thread ends),
// and the bar of the last full second before the stop is in the store (the collector hands it over, the
// store writes it, before either is gone).
TEST_F(BinanceE2E, AStopClosesTheWebSocketWith1000AndStoresTheLastFullSecond) {
  ASSERT_TRUE(until([](const messages::feed_status& s) { return s.agg_trades > 300; }));   // over a second
  const auto stopped_at = std::chrono::duration_cast<std::chrono::seconds>(
    std::chrono::system_clock::now().time_since_epoch()).count();
  // Closes before the stop (a reconnect after a stale stream on a loaded machine) are not the stop's.
  const auto closes_before = binance_->counters().client_closes;
  engine_->stop();
  // The simulator counts the close frame on its own thread: wait for it, bounded.
  const auto until_closed = std::chrono::steady_clock::now() + 5s;
  while (binance_->counters().client_closes == closes_before && std::chrono::steady_clock::now() < until_closed)
    std::this_thread::yield();
  const auto c = binance_->counters();
  EXPECT_EQ(c.client_closes, closes_before + 1);
  EXPECT_EQ(c.last_client_close_code, 1000u);
  store::connection db{db_.path, true};
  auto q = db.prepare("SELECT count(*) FROM bars WHERE symbol = 'BTCUSDT' AND second = ?");
  q.bind(1, static_cast<int64_t>(stopped_at - 1));
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.int64(0), 1) << "no bar for " << stopped_at - 1 << ", the last full second before the stop";
}

// One bad frame must not freeze a feature: a trade stamped a day ahead of the local clock and one with the
// id 2^62, through the real socket, are counted as bad input; the trades after them are accepted and the
// trade input stays fresh.
TEST_F(BinanceE2E, ATradeADayAheadAndAWildIdAreCountedAndTheTradesAfterThemCount) {
  binance_->inject(sim::binance_fault_spec{sim::binance_fault::future_time});
  binance_->inject(sim::binance_fault_spec{sim::binance_fault::wild_trade_id});
  auto counts = [this] {
    messages::spot_counts out;
    self_->request(engine_->feature_collector, 2s, caf::get_atom::value, messages::status_atom::value)
      .receive([&](const messages::spot_counts& c) { out = c; }, [&](const caf::error& e) { FAIL() << sys_.render(e); });
    return out;
  };
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  messages::spot_counts c;
  while (std::chrono::steady_clock::now() < deadline && (c = counts(), c.bad_time == 0 || c.bad_id == 0))
    self_->receive(caf::after(std::chrono::milliseconds{20}) >> [] {});
  ASSERT_EQ(binance_->counters().bad_trades, 2u);
  EXPECT_EQ(c.bad_time, 1u);
  EXPECT_EQ(c.bad_id, 1u);
  const auto accepted = c.trades_accepted;
  ASSERT_TRUE(until([&](const messages::feed_status&) { return counts().trades_accepted > accepted + 50; }));
  messages::feature_snapshot snap;
  self_->request(engine_->feature_collector, 2s, messages::capture_atom::value, std::string{"BTCUSDT"})
    .receive([&](const messages::feature_snapshot& x) { snap = x; }, [&](const caf::error& e) { FAIL() << sys_.render(e); });
  EXPECT_EQ(snap.trade.state, messages::input_state::fresh);
}
