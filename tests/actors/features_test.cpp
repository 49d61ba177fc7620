// The feature collector's snapshots with missing, fresh and stale inputs, on the committed seeded trade
// sequence (tests/support/seeded_trades.hpp; hand-computed windows: tests/quant/rolling_features_test.cpp).
#include "actor_fixture.hpp"

#include "actors/cache_holder.hpp"
#include "actors/feature_collector.hpp"
#include "messages/errors.hpp"
#include "support/seeded_trades.hpp"

#include <cmath>
#include <sstream>

namespace derivcache::test {
namespace {

using namespace std::chrono_literals;

constexpr int64_t t0 = seeded_t0;

// ---- the collector ----

messages::spot_trade trade_at(const std::string& symbol, const seeded_trade& t, caf::timestamp received) {
  messages::spot_trade x;
  x.symbol = symbol;
  x.price = t.price;
  x.quantity = t.quantity;
  x.first_trade_id = t.first_id;
  x.last_trade_id = t.last_id;
  x.trade_time = caf::timestamp{std::chrono::milliseconds{t.time_ms}};
  x.event_time = x.trade_time + 2ms;
  x.buyer_is_maker = t.buyer_is_maker;
  x.received = received;
  return x;
}

struct Collector : DeterministicCaf {
  messages::cache_holder_actor cache;
  messages::feature_collector_actor collector;
  caf::timestamp wall{std::chrono::milliseconds{t0 + 62600}};

  void start(actors::feature_collector_deps deps = {}) {
    actors::cache_holder_deps cd;
    cd.max_age = 900s;
    cache = track(actors::make_cache_holder(sys, cd));
    deps.cache = cache;
    deps.stale_after = 30s;
    deps.derivatives_max_age = 900s;
    deps.wall_clock = [this] { return wall; };
    collector = track(actors::make_feature_collector(sys, std::move(deps)));
    sched.run();
  }

  messages::spot_batch seeded_batch(caf::timestamp received) {
    messages::spot_batch b;
    for (const auto& t : seeded_trades())
      b.trades.push_back(trade_at("BTCUSDT", t, received));
    messages::spot_ticker k;
    k.symbol = "BTCUSDT";
    k.update_id = 7;
    k.bid_price = 99.87;
    k.bid_quantity = 1.5;
    k.ask_price = 99.89;
    k.ask_quantity = 0.25;
    k.received = received;
    b.tickers.push_back(k);
    return b;
  }

  /// Sends a batch as the feed would: every record stamped as read from the socket now (actor clock).
  void deliver(messages::spot_batch b) {
    for (auto& t : b.trades)
      t.read_at = sched.clock().now();
    for (auto& t : b.tickers)
      t.read_at = sched.clock().now();
    self->send(collector, std::move(b));
  }

  messages::feature_snapshot capture(const std::string& symbol) {
    messages::feature_snapshot out;
    self->send(collector, messages::capture_atom::value, symbol);
    sched.run();
    receive_now<messages::feature_snapshot>([&](messages::feature_snapshot& s) { out = s; });
    return out;
  }

  void send_readings() {
    messages::basis_reading b;
    b.currency = "BTC";
    b.apr_pct = 12.5;
    b.state = quant::basis_state::contango;
    b.as_of = wall - 1500ms;
    b.received = wall;
    messages::skew_reading s;
    s.currency = "BTC";
    s.skew_pct = 6.3;
    s.atm_iv = 55.2;
    s.butterfly25 = 1.4;
    s.state = quant::skew_state::fear;
    s.as_of = wall - 800ms;
    s.received = wall;
    self->send(cache, b);
    self->send(cache, s);
    sched.run();
  }
};

TEST_F(Collector, SnapshotWithNothingYetIsAllUnknown) {
  start();
  auto s = capture("btcusdt");
  EXPECT_EQ(s.symbol, "BTCUSDT");
  EXPECT_EQ(s.currency, "BTC");
  EXPECT_EQ(s.time, wall);
  EXPECT_FALSE(s.last_price);
  EXPECT_FALSE(s.mid);
  EXPECT_FALSE(s.futures_basis_apr);
  EXPECT_FALSE(s.options_skew);
  EXPECT_FALSE(s.atm_iv);
  EXPECT_EQ(s.basis_state, quant::basis_state::unknown);
  EXPECT_EQ(s.skew_state, quant::skew_state::unknown);
  for (const auto* in : {&s.trade, &s.book, &s.basis, &s.skew}) {
    EXPECT_EQ(in->state, messages::input_state::unknown);
    EXPECT_FALSE(in->age);
    EXPECT_FALSE(in->lag);
  }
  EXPECT_EQ(s.window_1m.trade_count, 0);
  EXPECT_FALSE(s.window_1m.vwap);
}

TEST_F(Collector, UnknownSymbolIsAnErrorNamingIt) {
  start();
  self->send(collector, messages::capture_atom::value, std::string{"XRPUSDT"});
  sched.run();
  bool got = false;
  self->receive([&](messages::feature_snapshot&) { ADD_FAILURE() << "expected an error"; },
                [&](caf::error& err) {
                  got = true;
                  EXPECT_TRUE(err == messages::errc::request_error);
                  EXPECT_NE(messages::render(err).find("XRPUSDT"), std::string::npos) << messages::render(err);
                },
                caf::after(0s) >> [] {});
  EXPECT_TRUE(got);
}

TEST_F(Collector, FreshThenStaleInputsKeepTheirLastValues) {
  start();
  send_readings();
  deliver(seeded_batch(wall));
  sched.run();

  auto s = capture("BTCUSDT");
  EXPECT_DOUBLE_EQ(*s.last_price, 99.88);
  EXPECT_DOUBLE_EQ(*s.best_bid, 99.87);
  EXPECT_DOUBLE_EQ(*s.best_ask_quantity, 0.25);
  EXPECT_DOUBLE_EQ(*s.mid, 99.88);
  EXPECT_NEAR(*s.spread_bps, 0.02 / 99.88 * 1e4, 1e-9);
  EXPECT_EQ(s.window_1m.trade_count, 11);
  EXPECT_EQ(s.window_5m.trade_count, 16);
  EXPECT_NEAR(*s.window_1m.realized_vol_pct, 932.66734, 1e-4);
  EXPECT_DOUBLE_EQ(*s.futures_basis_apr, 12.5);
  EXPECT_EQ(s.basis_state, quant::basis_state::contango);
  EXPECT_DOUBLE_EQ(*s.options_skew, 6.3);
  EXPECT_EQ(s.skew_state, quant::skew_state::fear);
  EXPECT_DOUBLE_EQ(*s.atm_iv, 55.2);
  EXPECT_DOUBLE_EQ(*s.butterfly, 1.4);
  for (const auto* in : {&s.trade, &s.book, &s.basis, &s.skew}) {
    EXPECT_EQ(in->state, messages::input_state::fresh);
    EXPECT_EQ(*in->age, caf::timespan{0});
  }
  // lag = local receive - exchange time: the last trade's E is t0 + 62502 ms, received at t0 + 62600 ms.
  EXPECT_EQ(*s.trade.lag, caf::timespan{98ms});
  EXPECT_FALSE(s.book.lag);   // spot bookTicker carries no exchange time
  EXPECT_EQ(*s.basis.lag, caf::timespan{1500ms});
  EXPECT_EQ(*s.skew.lag, caf::timespan{800ms});

  // 31 s later: the spot inputs are older than stale_after (30 s), the derivatives are not (900 s).
  sched.advance_time(31s);
  s = capture("BTCUSDT");
  EXPECT_EQ(s.trade.state, messages::input_state::stale);
  EXPECT_EQ(s.book.state, messages::input_state::stale);
  EXPECT_EQ(*s.trade.age, caf::timespan{31s});
  EXPECT_DOUBLE_EQ(*s.last_price, 99.88);   // kept beside the STALE state
  EXPECT_EQ(s.basis.state, messages::input_state::fresh);
  EXPECT_EQ(s.basis_state, quant::basis_state::contango);

  // Past the cache's max age the derivatives are STALE too, with their last state kept.
  sched.advance_time(900s);
  s = capture("BTCUSDT");
  EXPECT_EQ(s.basis.state, messages::input_state::stale);
  EXPECT_EQ(s.basis_state, quant::basis_state::stale);
  EXPECT_EQ(s.basis_last_state, quant::basis_state::contango);
  EXPECT_EQ(s.skew_state, quant::skew_state::stale);
  EXPECT_EQ(s.skew_last_state, quant::skew_state::fear);
  EXPECT_DOUBLE_EQ(*s.futures_basis_apr, 12.5);
  EXPECT_EQ(*s.skew.age, caf::timespan{931s});
}

TEST_F(Collector, RepeatedTradesFromAHandoverAreCountedOnce) {
  start();
  deliver(seeded_batch(wall));
  deliver(seeded_batch(wall));   // the same trades again (overlapping connections)
  sched.run();
  auto s = capture("BTCUSDT");
  EXPECT_EQ(s.window_5m.trade_count, 16);
  EXPECT_NEAR(s.window_5m.taker_sell_volume, 5.254, 1e-12);
}

// ---- bad input: one frame must not freeze a feature ----

/// A store that only keeps the bars it is sent.
messages::store_actor bar_catcher(caf::actor_system& sys, std::shared_ptr<std::vector<messages::spot_bar>> bars) {
  return sys.spawn([bars]() -> messages::store_actor::behavior_type {
    return {
      [](messages::record_request&, messages::feature_snapshot&) -> caf::result<messages::record_reply> {
        return caf::make_error(messages::errc::request_error, std::string{"not recorded by this test"});
      },
      [bars](messages::bar_batch& b) { bars->insert(bars->end(), b.bars.begin(), b.bars.end()); },
      [](messages::flush_atom) {},
      [](messages::retry_atom) {},
      [](messages::maintain_atom) {},
      [](caf::tick_atom) {},
      [](caf::get_atom, messages::status_atom) { return messages::store_counts{}; },
    };
  });
}

/// A live trade: id `id`, trade time `time_ms`, read from the socket at `wall`.
messages::spot_trade live_trade(int64_t id, int64_t time_ms, double price, caf::timestamp received) {
  return trade_at("BTCUSDT", seeded_trade{time_ms, price, 0.5, id, id, false}, received);
}

struct CollectorBadInput : Collector {
  std::shared_ptr<std::vector<messages::spot_bar>> bars = std::make_shared<std::vector<messages::spot_bar>>();
  captured_log logs;

  void start_with_store() {
    actors::feature_collector_deps deps;
    deps.store = track(bar_catcher(sys, bars));
    deps.log = logs.log;
    start(deps);
  }

  /// 100 trades, 100 ms apart from t0 + 62600 ms, ids first_id..., each read 5 ms after its time.
  void send_normal_trades(int64_t first_id) {
    for (int i = 0; i < 100; ++i) {
      const int64_t time_ms = t0 + 62600 + i * 100;
      messages::spot_batch b;
      b.trades.push_back(live_trade(first_id + i, time_ms, 100.0 + i * 0.01,
                                    caf::timestamp{std::chrono::milliseconds{time_ms + 5}}));
      deliver(std::move(b));
    }
    sched.run();
  }

  messages::spot_counts counts() {
    messages::spot_counts out;
    self->send(collector, caf::get_atom::value, messages::status_atom::value);
    sched.run();
    receive_now<messages::spot_counts>([&](messages::spot_counts& c) { out = c; });
    return out;
  }
};

TEST_F(CollectorBadInput, ATradeADayAheadIsDroppedAndLaterTradesCount) {
  start_with_store();
  messages::spot_batch bogus;
  bogus.trades.push_back(live_trade(500, t0 + 62600 + 86'400'000, 250.0, wall));   // stamped a day ahead
  deliver(bogus);
  sched.run();
  auto s = capture("BTCUSDT");
  EXPECT_FALSE(s.last_price);                                 // never replaces (or becomes) a reading
  EXPECT_EQ(s.trade.state, messages::input_state::unknown);   // and never makes the input FRESH
  EXPECT_EQ(counts().bad_time, 1u);
  ASSERT_EQ(logs.count("bad input dropped"), 1u);
  EXPECT_EQ(logs.count("86400 s ahead of the local clock"), 1u) << logs.lines->front();

  send_normal_trades(501);
  s = capture("BTCUSDT");
  ASSERT_TRUE(s.last_price);
  EXPECT_DOUBLE_EQ(*s.last_price, 100.99);               // the last normal trade
  EXPECT_EQ(s.window_1m.trade_count, 100);
  EXPECT_NEAR(*s.window_1m.vwap, 100.495, 1e-9);        // the bogus 250 is in no window
  EXPECT_EQ(s.trade.state, messages::input_state::fresh);
  EXPECT_EQ(counts().trades_accepted, 100u);
  // Trades in 11 seconds (62.6 s to 72.5 s): the first 10 closed and went to the store, none at the bogus time.
  ASSERT_EQ(bars->size(), 10u);
  EXPECT_EQ(bars->front().second, (t0 + 62600) / 1000);
  EXPECT_EQ(bars->front().trades, 4);   // t0+62.6 .. 62.9 s
  for (const auto& b : *bars)
    EXPECT_LT(b.high, 250.0);
  EXPECT_EQ(logs.count("bad input dropped"), 1u);   // once per burst
}

TEST_F(CollectorBadInput, AWildTradeIdNeverBlocksTheIdsAfterIt) {
  start_with_store();
  send_normal_trades(1000);
  messages::spot_batch wild;
  wild.trades.push_back(live_trade(int64_t{1} << 62, t0 + 72600, 300.0, wall + 10s));
  deliver(wild);
  sched.run();
  EXPECT_EQ(counts().bad_id, 1u);
  EXPECT_EQ(logs.count("id out of sequence (last accepted 1099)"), 1u);
  messages::spot_batch next;
  for (int i = 0; i < 3; ++i)
    next.trades.push_back(live_trade(1100 + i, t0 + 72700 + i, 101.5 + i, wall + 10s));
  deliver(next);
  sched.run();
  auto s = capture("BTCUSDT");
  EXPECT_DOUBLE_EQ(*s.last_price, 103.5);
  EXPECT_EQ(s.window_1m.trade_count, 103);
  auto c = counts();
  EXPECT_EQ(c.trades_accepted, 103u);
  EXPECT_EQ(c.trades_repeated, 0u);
}

TEST_F(CollectorBadInput, AWildFirstIdIsOutvotedByTheTradesAfterIt) {
  start_with_store();
  messages::spot_batch b;
  b.trades.push_back(live_trade(int64_t{1} << 62, t0 + 62500, 300.0, wall));   // nothing to compare with yet
  deliver(b);
  send_normal_trades(1000);
  auto c = counts();
  EXPECT_EQ(c.bad_id, 2u);              // 1000 and 1001 disagree with 2^62 ...
  EXPECT_EQ(c.trades_accepted, 99u);    // ... 1002 makes three in sequence: the reference moves to them
  EXPECT_DOUBLE_EQ(*capture("BTCUSDT").last_price, 100.99);
}

TEST_F(CollectorBadInput, AWildBookIdNeverBlocksTheTickersAfterIt) {
  start();
  auto ticker = [&](int64_t id, double bid) {
    messages::spot_ticker k;
    k.symbol = "BTCUSDT";
    k.update_id = id;
    k.bid_price = bid;
    k.ask_price = bid + 0.02;
    k.received = wall;
    messages::spot_batch b;
    b.tickers.push_back(k);
    deliver(b);
    sched.run();
  };
  ticker(400900217, 99.87);
  ticker(int64_t{1} << 62, 1.0);
  ticker(400900218, 99.90);
  EXPECT_DOUBLE_EQ(*capture("BTCUSDT").best_bid, 99.90);
}

TEST_F(Collector, CurrencyOverrideSelectsTheDerivatives) {
  actors::feature_collector_deps deps;
  deps.symbols = {"WBTCUSDT"};
  deps.currency_overrides = {{"WBTCUSDT", "BTC"}};
  start(deps);
  send_readings();
  auto s = capture("WBTCUSDT");
  EXPECT_EQ(s.currency, "BTC");
  EXPECT_DOUBLE_EQ(*s.futures_basis_apr, 12.5);
  EXPECT_EQ(s.trade.state, messages::input_state::unknown);
}

} // namespace
} // namespace derivcache::test
