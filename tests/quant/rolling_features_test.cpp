// Rolling spot features against hand-computed values on a committed seeded trade sequence; a spot
// symbol's currency.
#include "quant/currency.hpp"
#include "quant/rolling_features.hpp"
#include "support/seeded_trades.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace derivcache::test {
namespace {

using namespace std::chrono_literals;

constexpr int64_t t0 = seeded_t0;

quant::trade_sample sample_of(const seeded_trade& t) {
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
  quant::rolling_features f;
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
  quant::rolling_features f;
  f.add({t0 + 0, 100, 1, 1, true});
  f.add({t0 + 3000, 101, 1, 1, false});
  auto w = f.stats(60s);
  EXPECT_EQ(w.returns, 3);
  const double r = std::log(101.0 / 100.0);
  EXPECT_NEAR(*w.realized_vol_pct, std::sqrt(r * r * 31536000 / 60) * 100, 1e-9);
}

TEST(RollingFeatures, EmptyAndSingleTradeHaveNoRatios) {
  quant::rolling_features f;
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
  quant::rolling_features f;
  f.add({t0, 100, 1, 1, true});
  f.add({t0 + 400000, 102, 2, 1, true});   // 400 s later: the first is out of the 5-minute window
  auto w = f.stats(300s);
  EXPECT_EQ(w.trade_count, 1);
  EXPECT_DOUBLE_EQ(w.taker_buy_volume, 2);
  EXPECT_EQ(w.returns, 300);   // the old close is carried into the window
  EXPECT_FALSE(f.add({t0 + 100000, 101, 1, 1, true}));   // more than 5 minutes before the latest
}

TEST(RollingFeatures, MissingTradesMarkAWindowIncompleteUntilItMovesPast) {
  quant::rolling_features f{std::chrono::seconds{300}};
  const int64_t t = 1'700'000'000'000;
  f.add({t, 100.0, 1.0, 1, true});
  f.mark_missing(t + 10'000, 7);   // 7 trades up to t + 10 s never arrived
  f.add({t + 20'000, 101.0, 1.0, 1, true});
  EXPECT_EQ(f.stats(std::chrono::seconds{60}).missing_trades, 7);
  EXPECT_EQ(f.stats(std::chrono::seconds{300}).missing_trades, 7);
  f.add({t + 70'000, 102.0, 1.0, 1, true});   // the 1-minute window now starts after t + 10 s
  EXPECT_EQ(f.stats(std::chrono::seconds{60}).missing_trades, 0);
  EXPECT_EQ(f.stats(std::chrono::seconds{300}).missing_trades, 7);
  f.add({t + 310'000, 103.0, 1.0, 1, true});  // and the 5-minute one too
  EXPECT_EQ(f.stats(std::chrono::seconds{300}).missing_trades, 0);
}

TEST(RollingFeatures, CurrencyIsTheBaseAsset) {
  EXPECT_EQ(quant::base_currency("BTCUSDT"), "BTC");
  EXPECT_EQ(quant::base_currency("solusdt"), "SOL");
  EXPECT_EQ(quant::base_currency("ETHFDUSD"), "ETH");
  EXPECT_EQ(quant::base_currency("BTCUSDC"), "BTC");
  EXPECT_EQ(quant::base_currency("ETHBUSD"), "ETH");
  EXPECT_EQ(quant::base_currency("BTCUSD"), "BTC");
  EXPECT_EQ(quant::symbol_currency("WBTCUSDT", {{"wbtcusdt", "btc"}}), "BTC");
}

} // namespace
} // namespace derivcache::test
