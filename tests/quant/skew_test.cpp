// 30-day 25-delta skew, ATM and butterfly on the real 964-option BTC chain of 2026-03-13.
#include "quant/skew.hpp"
#include "support/fixtures.hpp"

#include <gtest/gtest.h>

using namespace derivcache;
using namespace derivcache::quant;

namespace {

const std::vector<option_summary>& chain() {
  static const auto rows = test::btc_chain_2026();
  return rows;
}

} // namespace

TEST(Skew, PinsOnTheRealBtcChain) {
  auto r = compute_skew(chain(), {});
  ASSERT_TRUE(r.value) << to_string(r.reason);
  EXPECT_NEAR(r.value->skew_pct, 6.3218, 5e-4);
  EXPECT_NEAR(r.value->atm_iv, 51.3286, 5e-4);
  EXPECT_NEAR(r.value->butterfly, 1.1772, 5e-4);
  EXPECT_TRUE(r.value->bracketed);
  EXPECT_EQ(r.value->expiries, (std::vector<std::string>{"BTC-3APR26", "BTC-24APR26"}));
  EXPECT_DOUBLE_EQ(r.value->skew_pct, r.value->put_iv - r.value->call_iv);
  EXPECT_EQ(to_unix_ms(r.as_of), 1773428415542);   // the newest row's creation_timestamp
  EXPECT_EQ(r.skipped_rows, 0u);
}

TEST(Skew, PerExpiryWingsMatchTheReferenceTable) {
  auto r = compute_skew(chain(), {});
  struct row {
    const char* expiry;
    double dte, call, put;
  };
  for (auto x : {row{"BTC-27MAR26", 13.541, 50.770, 57.330}, row{"BTC-3APR26", 20.541, 49.893, 56.546},
                 row{"BTC-24APR26", 41.541, 49.011, 55.129}}) {
    auto p = test::find_expiry(r.smile, x.expiry);
    ASSERT_TRUE(p) << x.expiry;
    EXPECT_NEAR(p->dte_days, x.dte, 1e-3);
    EXPECT_NEAR(*p->call_iv, x.call, 1e-3) << x.expiry;
    EXPECT_NEAR(*p->put_iv, x.put, 1e-3) << x.expiry;
  }
}

TEST(Skew, ExpiriesUnderOneDayAreIgnored) {
  auto r = compute_skew(chain(), {});
  EXPECT_FALSE(test::find_expiry(r.smile, "BTC-14MAR26"));   // 0.54 days out
  ASSERT_EQ(r.smile.size(), 11u);
  EXPECT_EQ(r.smile.front().expiry, "BTC-15MAR26");
}

TEST(Skew, WithoutABracketTheClosestExpiryIsUsedUnchanged) {
  std::vector<option_summary> late;
  for (const auto& row : chain())
    if (row.instrument_name.find("MAR26") == std::string::npos && row.instrument_name.find("APR26") == std::string::npos)
      late.push_back(row);
  auto r = compute_skew(late, {});
  ASSERT_TRUE(r.value);
  EXPECT_FALSE(r.value->bracketed);
  EXPECT_EQ(r.value->expiries, (std::vector<std::string>{"BTC-29MAY26"}));
  auto p = test::find_expiry(r.smile, "BTC-29MAY26");
  EXPECT_DOUBLE_EQ(r.value->put_iv, *p->put_iv);
  EXPECT_DOUBLE_EQ(r.value->atm_iv, *p->atm_iv);
}

TEST(Skew, TenorAndDeltaAreParameters) {
  skew_params params;
  params.tenor_days = 60;
  params.delta = 0.10;
  auto r = compute_skew(chain(), params);
  ASSERT_TRUE(r.value);
  EXPECT_EQ(r.value->expiries, (std::vector<std::string>{"BTC-24APR26", "BTC-29MAY26"}));
  EXPECT_DOUBLE_EQ(r.value->tenor_days, 60);
  auto base = compute_skew(chain(), {});
  EXPECT_GT(r.value->put_iv, base.value->put_iv);   // 10-delta puts sit further out on the smile
}

TEST(Skew, RowsWithoutMarkIvAreSkippedAndCounted) {
  auto rows = test::load_rows("deribit_book_summary_option_btc_2022-06-04.json", codec::decode_option_summaries);
  ASSERT_FALSE(rows.empty());
  auto r = compute_skew(rows, {});
  EXPECT_FALSE(r.value);
  EXPECT_EQ(r.reason, skew_reason::no_usable_rows);
  EXPECT_EQ(r.skipped_rows, rows.size());
}

TEST(Skew, NonPositiveInputsAreSkippedWithoutChangingTheResult) {
  auto rows = chain();
  auto extra = rows.front();
  extra.mark_iv = 0;
  rows.push_back(extra);
  extra.mark_iv = 50;
  extra.underlying_price = -1;
  rows.push_back(extra);
  auto r = compute_skew(rows, {});
  EXPECT_EQ(r.skipped_rows, 2u);
  EXPECT_NEAR(r.value->skew_pct, 6.3218, 5e-4);
}

TEST(Skew, NoRowsGivesAReason) {
  auto r = compute_skew({}, {});
  EXPECT_FALSE(r.value);
  EXPECT_EQ(r.reason, skew_reason::no_rows);
}

TEST(Skew, OneSidedExpiryIsNotValid) {
  std::vector<option_summary> calls;
  for (const auto& row : chain())
    if (row.instrument_name.back() == 'C')
      calls.push_back(row);
  auto r = compute_skew(calls, {});
  EXPECT_FALSE(r.value);
  EXPECT_EQ(r.reason, skew_reason::no_valid_expiry);
  EXPECT_FALSE(r.smile.empty());
  EXPECT_FALSE(r.smile.front().put_iv);
}

TEST(Skew, TotalVarianceInterpolation) {
  EXPECT_DOUBLE_EQ(interpolate_total_variance(10, 50, 40, 50, 30), 50);
  EXPECT_NEAR(interpolate_total_variance(10, 40, 40, 60, 10), 40, 1e-12);
  EXPECT_NEAR(interpolate_total_variance(10, 40, 40, 60, 40), 60, 1e-12);
  // halfway in time, total variance (not vol) is linear
  const double v = interpolate_total_variance(20, 40, 40, 60, 30);
  EXPECT_NEAR(v * v * 30, (40.0 * 40 * 20 + 60.0 * 60 * 40) / 2, 1e-9);
}
