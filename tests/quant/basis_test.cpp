// Annualized basis on the real 2025-01-06 BTC futures curve, quarterly selection, SOL synthetic forwards.
#include "quant/basis.hpp"
#include "support/fixtures.hpp"

#include <gtest/gtest.h>

using namespace derivcache;
using namespace derivcache::quant;

namespace {

option_summary sol_option(const std::string& name, double forward, double index, int64_t created_ms) {
  option_summary row;
  row.instrument_name = name;
  row.base_currency = "SOL";
  row.mark_iv = 80;
  row.underlying_price = forward;
  row.estimated_delivery_price = index;
  row.creation_time = from_unix_ms(created_ms);
  return row;
}

constexpr int64_t sol_now_ms = 1773428415531;   // 2026-03-13 19:00:15 UTC

} // namespace

TEST(Basis, WorkedExampleOnRealTickers) {
  auto r = compute_basis(test::btc_futures_2025(), {}, {});
  ASSERT_TRUE(r.nearest) << to_string(r.reason);
  EXPECT_EQ(r.nearest->instrument, "BTC-28MAR25");
  EXPECT_NEAR(r.nearest->apr_pct, 12.527, 1e-3);
  EXPECT_NEAR(r.nearest->dte_days, 81.2968, 1e-3);
  EXPECT_DOUBLE_EQ(r.nearest->future_price, 100955.87);
  EXPECT_DOUBLE_EQ(r.nearest->index_price, 98215.44);
  EXPECT_EQ(r.nearest->source, basis_source::future);
  EXPECT_EQ(to_unix_ms(r.as_of), 1736124757223);   // newest creation_timestamp (the perpetual's)
}

TEST(Basis, TermStructureListsEveryDatedFutureAndThePerpetual) {
  auto r = compute_basis(test::btc_futures_2025(), {}, {});
  ASSERT_EQ(r.term_structure.size(), 8u);
  EXPECT_EQ(r.term_structure.front().instrument, "BTC-10JAN25");
  EXPECT_TRUE(r.term_structure.front().below_min_dte);   // 4.3 days
  EXPECT_FALSE(r.term_structure.front().quarterly);
  EXPECT_EQ(r.term_structure.back().instrument, "BTC-26DEC25");
  for (std::size_t i = 1; i < r.term_structure.size(); ++i)
    EXPECT_LT(r.term_structure[i - 1].dte_days, r.term_structure[i].dte_days);
  ASSERT_TRUE(r.perpetual);
  EXPECT_EQ(r.perpetual->instrument, "BTC-PERPETUAL");
  EXPECT_NEAR(r.perpetual->premium_pct, (98231.67 - 98215.44) / 98215.44 * 100, 1e-12);
  EXPECT_DOUBLE_EQ(*r.perpetual->funding_8h, 8.131e-5);
  EXPECT_EQ(r.skipped_rows, 0u);
}

TEST(Basis, IgnoresWeekliesMonthliesAndPerpetualWhenChoosingTheQuarterly) {
  auto rows = test::btc_futures_2025();
  std::vector<future_summary> no_quarterly;
  for (const auto& row : rows)
    if (row.instrument_name != "BTC-28MAR25" && row.instrument_name != "BTC-27JUN25" &&
        row.instrument_name != "BTC-26SEP25" && row.instrument_name != "BTC-26DEC25")
      no_quarterly.push_back(row);
  auto r = compute_basis(no_quarterly, {}, {});
  EXPECT_FALSE(r.nearest);
  EXPECT_EQ(r.reason, basis_reason::no_quarterly);
  EXPECT_EQ(r.term_structure.size(), 4u);
}

TEST(Basis, RollsToTheNextQuarterlyBelowMinDte) {
  basis_params params;
  params.as_of = expiry_at(2025, 3, 24);   // BTC-28MAR25 is 4 days out
  auto r = compute_basis(test::btc_futures_2025(), {}, params);
  ASSERT_TRUE(r.nearest);
  EXPECT_EQ(r.nearest->instrument, "BTC-27JUN25");
  params.min_dte_days = 3;
  r = compute_basis(test::btc_futures_2025(), {}, params);
  EXPECT_EQ(r.nearest->instrument, "BTC-28MAR25");
  EXPECT_NEAR(r.nearest->dte_days, 4.0, 1e-9);
}

TEST(Basis, ExpiredFuturesAreLeftOut) {
  basis_params params;
  params.as_of = expiry_at(2025, 12, 1);
  auto r = compute_basis(test::btc_futures_2025(), {}, params);
  ASSERT_EQ(r.term_structure.size(), 1u);
  EXPECT_EQ(r.term_structure[0].instrument, "BTC-26DEC25");
  params.as_of = expiry_at(2025, 12, 24);
  r = compute_basis(test::btc_futures_2025(), {}, params);
  EXPECT_EQ(r.reason, basis_reason::all_below_min_dte);
}

TEST(Basis, UsesTheRowsEstimatedDeliveryPriceNotTheIndex) {
  // A real 2022 row whose estimated_delivery_price (29695.49) is its own S.
  auto rows = test::load_rows("deribit_book_summary_future_btc-24jun22_2022-06-04.json", codec::decode_future_summaries);
  ASSERT_EQ(rows.size(), 1u);
  const auto& row = rows[0];
  auto r = compute_basis(rows, {}, {});
  ASSERT_TRUE(r.nearest);
  const double dte = days_between(row.creation_time, expiry_at(2022, 6, 24));
  EXPECT_NEAR(r.nearest->apr_pct, annualized_basis_pct(row.mark_price, row.estimated_delivery_price, dte), 1e-12);

  auto moved = rows;
  moved[0].estimated_delivery_price = row.estimated_delivery_price * 1.01;   // delivery price away from the index
  auto m = compute_basis(moved, {}, {});
  EXPECT_DOUBLE_EQ(m.nearest->index_price, row.estimated_delivery_price * 1.01);
  EXPECT_LT(m.nearest->apr_pct, r.nearest->apr_pct);
}

TEST(Basis, ListedExpiryOverridesTheNameAndIsCounted) {
  expiry_table table;
  table.add("BTC-28MAR25", expiry_at(2025, 3, 28) + std::chrono::hours{1});
  basis_params params;
  params.expiries = &table;
  auto r = compute_basis(test::btc_futures_2025(), {}, params);
  EXPECT_EQ(r.expiry_disagreements, 1u);
  EXPECT_NEAR(r.nearest->dte_days, 81.2968 + 1.0 / 24, 1e-3);
}

TEST(Basis, BadRowsAreSkippedAndCounted) {
  auto rows = test::btc_futures_2025();
  rows[0].instrument_name = "BTC-99XYZ25";
  rows[1].mark_price = 0;
  auto r = compute_basis(rows, {}, {});
  EXPECT_EQ(r.skipped_rows, 2u);
  EXPECT_EQ(r.nearest->instrument, "BTC-28MAR25");
}

TEST(Basis, SolQuarterlyWithoutFutureUsesSyntheticForward) {
  std::vector<option_summary> options = {
    sol_option("SOL_USDC-27MAR26-90-C", 90.10, 89.0, sol_now_ms),
    sol_option("SOL_USDC-27MAR26-80-P", 90.30, 89.0, sol_now_ms),
    sol_option("SOL_USDC-27MAR26-100-C", 90.20, 89.0, sol_now_ms),
    sol_option("SOL_USDC-20MAR26-90-C", 90.00, 89.0, sol_now_ms),   // not a quarterly
  };
  basis_params params;
  params.synthetic_forward = true;
  auto r = compute_basis({}, options, params);
  ASSERT_TRUE(r.nearest) << to_string(r.reason);
  EXPECT_EQ(r.nearest->source, basis_source::synthetic_forward);
  EXPECT_EQ(r.nearest->instrument, "SOL_USDC-27MAR26");
  EXPECT_DOUBLE_EQ(r.nearest->future_price, 90.20);   // median underlying_price
  EXPECT_DOUBLE_EQ(r.nearest->index_price, 89.0);
  const double dte = days_between(from_unix_ms(sol_now_ms), expiry_at(2026, 3, 27));
  EXPECT_NEAR(r.nearest->apr_pct, annualized_basis_pct(90.20, 89.0, dte), 1e-12);
}

TEST(Basis, SolListedFutureWinsOverSyntheticForward) {
  future_summary fut;
  fut.instrument_name = "SOL_USDC-27MAR26";
  fut.base_currency = "SOL";
  fut.mark_price = 91;
  fut.estimated_delivery_price = 89;
  fut.creation_time = from_unix_ms(sol_now_ms);
  basis_params params;
  params.synthetic_forward = true;
  auto r = compute_basis({fut}, {sol_option("SOL_USDC-27MAR26-90-C", 90.1, 89, sol_now_ms)}, params);
  ASSERT_TRUE(r.nearest);
  EXPECT_EQ(r.nearest->source, basis_source::future);
  EXPECT_EQ(r.term_structure.size(), 1u);
}

TEST(Basis, SolWithNeitherFutureNorQuarterlyOptionsHasNoValueAndAReason) {
  basis_params params;
  params.synthetic_forward = true;
  auto r = compute_basis({}, {sol_option("SOL_USDC-20MAR26-90-C", 90, 89, sol_now_ms)}, params);
  EXPECT_FALSE(r.nearest);
  EXPECT_EQ(r.reason, basis_reason::no_rows);
  EXPECT_EQ(to_string(r.reason), "no usable futures rows");
}

TEST(Basis, ConstantMaturityPinsOnTheRealCurve) {
  auto cm = constant_maturity_basis(compute_basis(test::btc_futures_2025(), {}, {}), {});
  ASSERT_EQ(cm.size(), 2u);
  ASSERT_TRUE(cm[0].value) << to_string(cm[0].reason);
  EXPECT_DOUBLE_EQ(cm[0].tenor_days, 30);
  EXPECT_NEAR(cm[0].value->apr_pct, 13.6343, 5e-5);
  EXPECT_TRUE(cm[0].value->bracketed);
  EXPECT_EQ(cm[0].value->instruments, (std::vector<std::string>{"BTC-31JAN25", "BTC-28FEB25"}));
  ASSERT_TRUE(cm[1].value);
  EXPECT_NEAR(cm[1].value->apr_pct, 12.5524, 5e-5);
  EXPECT_EQ(cm[1].value->instruments, (std::vector<std::string>{"BTC-28MAR25", "BTC-27JUN25"}));
  EXPECT_DOUBLE_EQ(cm[1].value->apr_pct, cm[1].value->premium * 365 / 90 * 100);
}

TEST(Basis, ConstantMaturityIsLinearInPremium) {
  auto r = compute_basis(test::btc_futures_2025(), {}, {});
  auto cm = constant_maturity_basis(r, {{30}});
  const basis_point* a = nullptr;
  const basis_point* b = nullptr;
  for (const auto& p : r.term_structure) {
    if (p.instrument == "BTC-31JAN25")
      a = &p;
    if (p.instrument == "BTC-28FEB25")
      b = &p;
  }
  ASSERT_TRUE(a && b);
  const double pa = (a->future_price - a->index_price) / a->index_price;
  const double pb = (b->future_price - b->index_price) / b->index_price;
  const double p30 = pa + (pb - pa) * (30 - a->dte_days) / (b->dte_days - a->dte_days);
  EXPECT_NEAR(cm[0].value->premium, p30, 1e-15);
  EXPECT_NEAR(cm[0].value->apr_pct, p30 * 365 / 30 * 100, 1e-12);
}

TEST(Basis, ConstantMaturityLeavesOutPointsBelowMinDte) {
  // BTC-10JAN25 (4.3 days) is below min_dte: 7 days reads BTC-17JAN25 (11.3 days) unchanged.
  auto r = compute_basis(test::btc_futures_2025(), {}, {});
  auto cm = constant_maturity_basis(r, {{7, 400}});
  ASSERT_TRUE(cm[0].value);
  EXPECT_FALSE(cm[0].value->bracketed);
  EXPECT_EQ(cm[0].value->instruments, std::vector<std::string>{"BTC-17JAN25"});
  EXPECT_DOUBLE_EQ(cm[0].value->apr_pct, r.term_structure[1].apr_pct);
  EXPECT_EQ(cm[1].value->instruments, std::vector<std::string>{"BTC-26DEC25"});   // beyond the last point
  EXPECT_DOUBLE_EQ(cm[1].value->apr_pct, r.term_structure.back().apr_pct);
}

TEST(Basis, ConstantMaturityFromACurveWithOnePoint) {
  std::vector<future_summary> one;
  for (const auto& row : test::btc_futures_2025())
    if (row.instrument_name == "BTC-28MAR25")
      one.push_back(row);
  auto r = compute_basis(one, {}, {});
  auto cm = constant_maturity_basis(r, {});
  ASSERT_EQ(cm.size(), 2u);
  for (const auto& x : cm) {
    ASSERT_TRUE(x.value) << x.tenor_days;
    EXPECT_FALSE(x.value->bracketed);
    EXPECT_EQ(x.value->instruments, std::vector<std::string>{"BTC-28MAR25"});
    EXPECT_NEAR(x.value->apr_pct, 12.527, 1e-3);   // the future's own annualized basis, at its own 81.3 days
    EXPECT_DOUBLE_EQ(x.value->premium, (100955.87 - 98215.44) / 98215.44);
  }
}

TEST(Basis, ConstantMaturityReasons) {
  auto empty = constant_maturity_basis(compute_basis({}, {}, {}), {});
  EXPECT_EQ(empty[0].reason, cm_basis_reason::no_points);
  EXPECT_EQ(to_string(empty[0].reason), "no dated future or synthetic forward");
  basis_params params;
  params.as_of = expiry_at(2025, 12, 24);   // only BTC-26DEC25 is left, 2 days out
  auto near_expiry = constant_maturity_basis(compute_basis(test::btc_futures_2025(), {}, params), {});
  EXPECT_FALSE(near_expiry[0].value);
  EXPECT_EQ(near_expiry[0].reason, cm_basis_reason::all_below_min_dte);
}

TEST(Basis, ConstantMaturityUsesSolSyntheticForwards) {
  std::vector<option_summary> options = {
    sol_option("SOL_USDC-27MAR26-90-C", 90.20, 89.0, sol_now_ms),
    sol_option("SOL_USDC-26JUN26-90-C", 92.00, 89.0, sol_now_ms),
  };
  basis_params params;
  params.synthetic_forward = true;
  auto r = compute_basis({}, options, params);
  auto cm = constant_maturity_basis(r, {{30}});
  ASSERT_TRUE(cm[0].value);
  EXPECT_TRUE(cm[0].value->bracketed);
  EXPECT_EQ(cm[0].value->instruments, (std::vector<std::string>{"SOL_USDC-27MAR26", "SOL_USDC-26JUN26"}));
  const double t1 = r.term_structure[0].dte_days;
  const double t2 = r.term_structure[1].dte_days;
  const double p30 = 1.2 / 89 + (3.0 / 89 - 1.2 / 89) * (30 - t1) / (t2 - t1);
  EXPECT_NEAR(cm[0].value->apr_pct, p30 * 365 / 30 * 100, 1e-9);
}
