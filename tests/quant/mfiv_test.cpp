// Model-free implied volatility: the pin on the real BTC chain of 2026-03-13, and hand-built chains whose
// variance is written out term by term.
#include "quant/mfiv.hpp"
#include "support/fixtures.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

using namespace derivcache;
using namespace derivcache::quant;

namespace {

using names = std::vector<std::string>;

// Hand-built chains: BTC-31MAR26 and SOL_USDC-31MAR26 expire 36.5 days (T = 0.1 year) after `hand_now`.
const timestamp hand_now = expiry_at(2026, 3, 31) - std::chrono::hours{876};

option_summary priced(const std::string& name, double mark_price, double forward) {
  option_summary row;
  row.instrument_name = name;
  row.mark_price = mark_price;
  row.underlying_price = forward;
  row.creation_time = hand_now;
  return row;
}

struct usd_quote {
  const char* strike_and_type;   // "90-P"
  double usd;
};

// A chain of one expiry priced in USD: linear rows carry the USD price, inverse rows the price in coin.
std::vector<option_summary> chain(const std::string& expiry, double forward, std::vector<usd_quote> quotes) {
  const bool linear = expiry.rfind("SOL_USDC", 0) == 0;
  std::vector<option_summary> rows;
  for (const auto& q : quotes)
    rows.push_back(priced(expiry + "-" + q.strike_and_type, linear ? q.usd : q.usd / forward, forward));
  return rows;
}

mfiv_params hand_params() {
  mfiv_params p;
  p.as_of = hand_now;
  return p;
}

// The thin chain's variance: one strike either side of K0 = 100, all dK = 10 (one-sided at both ends), T = 0.1.
double thin_variance(double forward) {
  const double sum = 10.0 / (90 * 90) * 2 + 10.0 / (100 * 100) * (5 + 4) / 2 + 10.0 / (110 * 110) * 1.5;
  const double gap = forward / 100 - 1;
  return 2 / 0.1 * sum - gap * gap / 0.1;
}

const std::vector<usd_quote> thin_quotes{{"90-P", 2}, {"100-P", 5}, {"100-C", 4}, {"110-C", 1.5}, {"90-C", 14}};

} // namespace

TEST(Mfiv, PinsOnTheRealBtcChain) {
  const auto& r = test::on_btc_chain_2026(compute_mfiv);
  ASSERT_TRUE(r.value) << to_string(r.reason);
  EXPECT_NEAR(r.value->iv_pct, 54.9440, 5e-5);
  EXPECT_TRUE(r.value->bracketed);
  EXPECT_EQ(r.value->expiries, (names{"BTC-3APR26", "BTC-24APR26"}));
  EXPECT_DOUBLE_EQ(r.value->tenor_days, 30);
  auto near = test::find_expiry(r.expiries, "BTC-3APR26");
  auto far = test::find_expiry(r.expiries, "BTC-24APR26");
  ASSERT_TRUE(near && far);
  EXPECT_NEAR(*near->iv_pct, 53.470, 5e-4);
  EXPECT_EQ(near->strikes, 17u);
  EXPECT_NEAR(*far->iv_pct, 55.814, 5e-4);
  EXPECT_EQ(far->strikes, 48u);
  EXPECT_DOUBLE_EQ(*near->variance, *near->iv_pct * *near->iv_pct / 1e4);
  EXPECT_EQ(r.skipped_rows, 4u);   // BTC-27MAR26 calls 280000 to 340000 are marked at 0
  EXPECT_EQ(to_unix_ms(r.as_of), 1773428415542);
}

TEST(Mfiv, ExpiriesUnderOneDayAreIgnored) {
  const auto& r = test::on_btc_chain_2026(compute_mfiv);
  EXPECT_FALSE(test::find_expiry(r.expiries, "BTC-14MAR26"));
  ASSERT_EQ(r.expiries.size(), 11u);
  EXPECT_EQ(r.expiries.front().expiry, "BTC-15MAR26");
  for (const auto& e : r.expiries)
    EXPECT_EQ(e.gap, mfiv_gap::none) << e.expiry;
}

TEST(Mfiv, ThinChainWithOneStrikeEachSideOfK0) {
  auto r = compute_mfiv(chain("SOL_USDC-31MAR26", 100, thin_quotes), hand_params());
  ASSERT_TRUE(r.value) << to_string(r.reason);
  ASSERT_EQ(r.expiries.size(), 1u);
  const auto& e = r.expiries[0];
  EXPECT_DOUBLE_EQ(*e.k0, 100);
  EXPECT_EQ(e.strikes, 3u);   // the 90 call is in the money: left out
  EXPECT_EQ(e.rows, 5u);
  EXPECT_NEAR(*e.variance, thin_variance(100), 1e-12);
  EXPECT_FALSE(r.value->bracketed);   // one expiry, 36.5 days: used unchanged
  EXPECT_NEAR(r.value->iv_pct, 100 * std::sqrt(thin_variance(100)), 1e-9);
}

TEST(Mfiv, ForwardAboveK0AddsTheCorrectionTerm) {
  auto r = compute_mfiv(chain("SOL_USDC-31MAR26", 103, thin_quotes), hand_params());
  ASSERT_TRUE(r.value);
  EXPECT_DOUBLE_EQ(*r.expiries[0].k0, 100);
  EXPECT_NEAR(*r.expiries[0].variance, thin_variance(103), 1e-12);
  EXPECT_LT(thin_variance(103), thin_variance(100));
}

TEST(Mfiv, SolIsPricedInUsdcAndInverseInCoinTimesForward) {
  auto sol = compute_mfiv(chain("SOL_USDC-31MAR26", 100, thin_quotes), hand_params());
  auto btc = compute_mfiv(chain("BTC-31MAR26", 100, thin_quotes), hand_params());
  ASSERT_TRUE(sol.value && btc.value);
  // The same USD prices, quoted in USDC for SOL and in coin (USD / forward) for BTC, give the same variance.
  EXPECT_NEAR(*btc.expiries[0].variance, *sol.expiries[0].variance, 1e-12);
  EXPECT_NEAR(*sol.expiries[0].variance, thin_variance(100), 1e-12);
}

TEST(Mfiv, InverseRowsUseTheirOwnUnderlyingPrice) {
  auto rows = chain("BTC-31MAR26", 100, thin_quotes);
  rows[0].underlying_price = 102;   // the 90 put: same coin price, a higher forward -> a higher USD price
  rows.push_back(priced("BTC-31MAR26-120-C", 0.001, 98));
  auto r = compute_mfiv(rows, hand_params());
  ASSERT_TRUE(r.value);
  EXPECT_DOUBLE_EQ(r.expiries[0].forward, 100);   // median of 102, 100, 100, 100, 100, 98
  const double sum = 10.0 / (90 * 90) * (2.0 / 100 * 102) + 10.0 / (100 * 100) * 4.5 + 10.0 / (110 * 110) * 1.5 +
                     10.0 / (120 * 120) * (0.001 * 98);
  EXPECT_NEAR(*r.expiries[0].variance, 2 / 0.1 * sum, 1e-12);
}

TEST(Mfiv, ExpiryWithNoStrikeAboveK0IsNotUsed) {
  auto rows = chain("BTC-31MAR26", 100, thin_quotes);   // 36.5 days
  auto one_sided = chain("BTC-20MAR26", 100, {{"80-P", 1}, {"90-P", 2}, {"100-C", 5}, {"100-P", 5}});   // 25.5 days
  rows.insert(rows.end(), one_sided.begin(), one_sided.end());
  auto r = compute_mfiv(rows, hand_params());
  ASSERT_EQ(r.expiries.size(), 2u);
  const auto& near = r.expiries[0];
  EXPECT_EQ(near.expiry, "BTC-20MAR26");
  EXPECT_EQ(near.gap, mfiv_gap::one_sided);
  EXPECT_EQ(to_string(near.gap), "no strike on one side of K0");
  EXPECT_FALSE(near.variance);
  EXPECT_EQ(near.strikes, 3u);
  ASSERT_TRUE(r.value);
  EXPECT_FALSE(r.value->bracketed);   // 30 days lies between the two, but only BTC-31MAR26 counts
  EXPECT_EQ(r.value->expiries, names{"BTC-31MAR26"});
  EXPECT_NEAR(r.value->iv_pct, 100 * std::sqrt(thin_variance(100)), 1e-9);
}

TEST(Mfiv, ExpiryWithEveryStrikeAboveTheForwardHasNoK0) {
  auto r = compute_mfiv(chain("BTC-31MAR26", 80, thin_quotes), hand_params());
  ASSERT_EQ(r.expiries.size(), 1u);
  EXPECT_EQ(r.expiries[0].gap, mfiv_gap::no_k0);
  EXPECT_FALSE(r.expiries[0].k0);
  EXPECT_FALSE(r.value);
  EXPECT_EQ(r.reason, mfiv_reason::no_valid_expiry);
}

TEST(Mfiv, TwoExpiriesAreInterpolatedInTotalVariance) {
  auto rows = chain("BTC-31MAR26", 100, thin_quotes);   // 36.5 days
  auto near = chain("BTC-20MAR26", 100, {{"90-P", 1}, {"100-P", 3}, {"100-C", 3}, {"110-C", 1}});
  rows.insert(rows.end(), near.begin(), near.end());
  auto r = compute_mfiv(rows, hand_params());
  ASSERT_TRUE(r.value);
  EXPECT_TRUE(r.value->bracketed);
  EXPECT_EQ(r.value->expiries, (names{"BTC-20MAR26", "BTC-31MAR26"}));
  const auto& a = r.expiries[0];
  const auto& b = r.expiries[1];
  const double total = *a.variance * a.dte_days * (b.dte_days - 30) / (b.dte_days - a.dte_days) +
                       *b.variance * b.dte_days * (30 - a.dte_days) / (b.dte_days - a.dte_days);
  EXPECT_NEAR(r.value->iv_pct, 100 * std::sqrt(total / 30), 1e-9);
}

TEST(Mfiv, RowsWithoutMarkPriceAreSkippedAndCounted) {
  auto rows = chain("BTC-31MAR26", 100, thin_quotes);
  auto no_price = rows[0];
  no_price.mark_price.reset();
  rows.push_back(no_price);
  auto zero = rows[0];
  zero.mark_price = 0;
  rows.push_back(zero);
  auto bad_name = rows[0];
  bad_name.instrument_name = "BTC-31MAR26";   // a future
  rows.push_back(bad_name);
  auto r = compute_mfiv(rows, hand_params());
  EXPECT_EQ(r.skipped_rows, 3u);
  ASSERT_TRUE(r.value);
  EXPECT_NEAR(*r.expiries[0].variance, thin_variance(100), 1e-12);
}

TEST(Mfiv, NoRowsAndNoUsableRowsGiveReasons) {
  auto none = compute_mfiv(std::vector<option_summary>{}, {});
  EXPECT_EQ(none.reason, mfiv_reason::no_rows);
  auto old = test::load_rows("deribit_book_summary_option_btc_2022-06-04.json", codec::decode_option_summaries);
  for (auto& row : old)
    row.mark_price.reset();
  auto r = compute_mfiv(old, {});
  EXPECT_FALSE(r.value);
  EXPECT_EQ(r.reason, mfiv_reason::no_usable_rows);
  EXPECT_EQ(to_string(r.reason), "no option row has a positive mark_price and underlying_price");
}
