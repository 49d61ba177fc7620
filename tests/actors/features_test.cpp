// Rolling spot features against hand-computed values on a committed seeded trade sequence, and the feature
// collector's snapshots with missing, fresh and stale inputs.
#include "actor_fixture.hpp"

#include "actors/cache_holder.hpp"
#include "actors/feature_collector.hpp"
#include "actors/rolling_features.hpp"
#include "messages/errors.hpp"

#include <cmath>
#include <sstream>

namespace derivcache::test {
namespace {

using namespace std::chrono_literals;

constexpr int64_t t0 = 1700000000000;

struct seeded_trade {
  int64_t time_ms;
  double price;
  double quantity;
  int64_t first_id;
  int64_t last_id;
  bool buyer_is_maker;
};

// tests/data/derived/trades_seeded_btcusdt.csv (make_trade_sequence.py, seed 20240611).
std::vector<seeded_trade> seeded_trades() {
  std::istringstream in{read_file(data_path("derived/trades_seeded_btcusdt.csv"))};
  std::string line;
  std::getline(in, line);   // header
  std::vector<seeded_trade> out;
  while (std::getline(in, line)) {
    if (line.empty())
      continue;
    std::istringstream row{line};
    std::string cell[6];
    for (auto& c : cell)
      std::getline(row, c, ',');
    out.push_back({std::stoll(cell[0]), std::stod(cell[1]), std::stod(cell[2]), std::stoll(cell[3]),
                   std::stoll(cell[4]), cell[5] == "true"});
  }
  return out;
}

actors::trade_sample sample_of(const seeded_trade& t) {
  return {t.time_ms, t.price, t.quantity, t.last_id - t.first_id + 1, !t.buyer_is_maker};
}

// The sequence (T relative to t0 = 1700000000000 ms; side = taker side, m=true -> taker SOLD):
//
//   #  T - t0   second  price   qty    f..l        count side   in 1m window (T > latest - 60000 = t0+2500)?
//   a   1000     1     100.27  1.678  1000..1001   2    sell   no
//   b   2500     2      99.69  0.749  1002..1004   3    buy    no (T == cutoff: the edge is exclusive)
//   c   2600     2      99.97  0.686  1005..1005   1    sell   yes   close of second 2 = 99.97
//   d  30200    30     100.36  0.624  1006..1008   3    sell   yes
//   e  30900    30      99.56  0.834  1009..1010   2    buy    yes   close of second 30 = 99.56
//   f  31100    31     100.37  1.233  1011..1011   1    sell   yes
//   g  60000    60      99.53  0.416  1012..1013   2    sell   yes
//   h  62500    62      99.88  0.617  1014..1015   2    sell   yes   latest; second 61 has no trade (carried)
//
// 1m: buy = 0.834 (e); sell = 0.686 + 0.624 + 1.233 + 0.416 + 0.617 = 3.576; count = 1+3+2+1+2+2 = 11
//     notional = 99.97*0.686 + 100.36*0.624 + 99.56*0.834 + 100.37*1.233 + 99.53*0.416 + 99.88*0.617 = 441.02375
//     VWAP = 441.02375 / 4.410 = 100.0053855; imbalance = (0.834 - 3.576) / 4.410 = -0.6217687
// 5m: adds a (sell 1.678, 2 trades) and b (buy 0.749, 3 trades): buy = 1.583, sell = 5.254, count = 16
//     notional = 441.02375 + 100.27*1.678 + 99.69*0.749 = 683.94462; VWAP = 683.94462 / 6.837 = 100.0357789
//     imbalance = (1.583 - 5.254) / 6.837 = -0.5369314
// Realized vol, 1m: seconds 3..62; second 3 carries 99.97 (close of second 2) into the window.
//     s=30: ln(99.56/99.97)  = -0.0041096635  r^2 = 1.68893e-5   (seconds 3..29 carry: r = 0)
//     s=31: ln(100.37/99.56) =  0.0081028803  r^2 = 6.56567e-5   (32..59 carry)
//     s=60: ln(99.53/100.37) = -0.0084042516  r^2 = 7.06314e-5
//     s=61: carried 99.53     r = 0
//     s=62: ln(99.88/99.53)  =  0.0035103592  r^2 = 1.23226e-5
//     sum = 1.6550007e-4; vol = sqrt(1.6550007e-4 * 31536000 / 60) * 100 = 932.66734 %; 60 returns
// Realized vol, 5m: seconds -237..62; the first close is second 1 (100.27), so 61 returns (seconds 2..62):
//     adds s=2: ln(99.97/100.27) = -0.0029964066 r^2 = 8.97845e-6
//     sum = 1.7447852e-4; vol = sqrt(1.7447852e-4 * 31536000 / 300) * 100 = 428.26606 %
TEST(RollingFeatures, MatchHandComputedValuesOnSeededSequence) {
  actors::rolling_features f;
  for (const auto& t : seeded_trades())
    EXPECT_TRUE(f.add(sample_of(t)));
  ASSERT_TRUE(f.last_price());
  EXPECT_DOUBLE_EQ(*f.last_price(), 99.88);
  EXPECT_EQ(*f.latest_time_ms(), t0 + 62500);

  auto m1 = f.stats(60s);
  EXPECT_EQ(m1.window_seconds, 60);
  EXPECT_NEAR(m1.taker_buy_volume, 0.834, 1e-12);
  EXPECT_NEAR(m1.taker_sell_volume, 3.576, 1e-12);
  EXPECT_EQ(m1.trade_count, 11);
  ASSERT_TRUE(m1.vwap && m1.taker_imbalance && m1.realized_vol_pct);
  EXPECT_NEAR(*m1.vwap, 441.02375 / 4.410, 1e-9);
  EXPECT_NEAR(*m1.taker_imbalance, (0.834 - 3.576) / 4.410, 1e-12);
  EXPECT_EQ(m1.returns, 60);
  EXPECT_NEAR(*m1.realized_vol_pct, 932.66734, 1e-4);

  auto m5 = f.stats(300s);
  EXPECT_NEAR(m5.taker_buy_volume, 1.583, 1e-12);
  EXPECT_NEAR(m5.taker_sell_volume, 5.254, 1e-12);
  EXPECT_EQ(m5.trade_count, 16);
  EXPECT_NEAR(*m5.vwap, 683.94462 / 6.837, 1e-9);
  EXPECT_NEAR(*m5.taker_imbalance, (1.583 - 5.254) / 6.837, 1e-12);
  EXPECT_EQ(m5.returns, 61);
  EXPECT_NEAR(*m5.realized_vol_pct, 428.26606, 1e-4);
}

TEST(RollingFeatures, CarriedSecondsAddNoReturnButCountInTheWindow) {
  // 100 in second 0, nothing in 1..2, 101 in second 3: one nonzero return ln(101/100) and 3 returns in all.
  actors::rolling_features f;
  f.add({t0 + 0, 100, 1, 1, true});
  f.add({t0 + 3000, 101, 1, 1, false});
  auto w = f.stats(60s);
  EXPECT_EQ(w.returns, 3);
  const double r = std::log(101.0 / 100.0);
  EXPECT_NEAR(*w.realized_vol_pct, std::sqrt(r * r * 31536000 / 60) * 100, 1e-9);
}

TEST(RollingFeatures, EmptyAndSingleTradeHaveNoRatios) {
  actors::rolling_features f;
  auto empty = f.stats(60s);
  EXPECT_EQ(empty.trade_count, 0);
  EXPECT_FALSE(empty.vwap);
  EXPECT_FALSE(empty.realized_vol_pct);
  f.add({t0, 100, 2, 1, true});
  auto one = f.stats(60s);
  EXPECT_EQ(one.trade_count, 1);
  EXPECT_DOUBLE_EQ(*one.vwap, 100);
  EXPECT_DOUBLE_EQ(*one.taker_imbalance, 1);
  EXPECT_FALSE(one.realized_vol_pct);   // no previous close, no return
  EXPECT_EQ(one.returns, 0);
}

TEST(RollingFeatures, OldTradesLeaveTheWindowsAndTooOldOnesAreRefused) {
  actors::rolling_features f;
  f.add({t0, 100, 1, 1, true});
  f.add({t0 + 400000, 102, 2, 1, true});   // 400 s later: the first is out of the 5-minute window
  auto w = f.stats(300s);
  EXPECT_EQ(w.trade_count, 1);
  EXPECT_DOUBLE_EQ(w.taker_buy_volume, 2);
  EXPECT_EQ(w.returns, 300);   // the old close is carried into the window
  EXPECT_FALSE(f.add({t0 + 100000, 101, 1, 1, true}));   // more than 5 minutes before the latest
}

TEST(RollingFeatures, CurrencyIsTheBaseAsset) {
  EXPECT_EQ(actors::base_currency("BTCUSDT"), "BTC");
  EXPECT_EQ(actors::base_currency("solusdt"), "SOL");
  EXPECT_EQ(actors::base_currency("ETHFDUSD"), "ETH");
  EXPECT_EQ(actors::base_currency("BTCUSDC"), "BTC");
  EXPECT_EQ(actors::base_currency("ETHBUSD"), "ETH");
  EXPECT_EQ(actors::base_currency("BTCUSD"), "BTC");
  EXPECT_EQ(actors::symbol_currency("WBTCUSDT", {{"wbtcusdt", "btc"}}), "BTC");
}

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
  self->send(collector, seeded_batch(wall));
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
  self->send(collector, seeded_batch(wall));
  self->send(collector, seeded_batch(wall));   // the same trades again (overlapping connections)
  sched.run();
  auto s = capture("BTCUSDT");
  EXPECT_EQ(s.window_5m.trade_count, 16);
  EXPECT_NEAR(s.window_5m.taker_sell_volume, 5.254, 1e-12);
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
