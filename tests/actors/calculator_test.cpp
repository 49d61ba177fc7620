// The calculators' readings: the names the fetcher parses once per chain give what parsing in the calculator gives.
#include "actors/calculator.hpp"
#include "messages/type_ids.hpp"
#include "quant/skew.hpp"
#include "support/fixtures.hpp"

#include <caf/deep_to_string.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>

using namespace derivcache;

namespace {

// The real BTC chain of 2026-03-13, with one expiry listed an hour after its name's 08:00 UTC.
messages::currency_chain real_btc_chain() {
  messages::currency_chain chain;
  chain.currency = *quant::find_currency("BTC");
  chain.options = test::btc_chain_2026();
  auto table = std::make_shared<quant::expiry_table>();
  for (const auto& row : chain.options)
    if (row.instrument_name.rfind("BTC-3APR26-", 0) == 0)
      table->add(row.instrument_name, quant::expiry_at(2026, 4, 3) + std::chrono::hours{1});
  chain.expiries = table;
  return chain;
}

} // namespace

TEST(Calculator, TheFetchersParsedNamesGiveTheSameReadingsAsParsingInTheCalculator) {
  auto parsing = real_btc_chain();
  auto parsed = real_btc_chain();
  parsed.option_names = quant::index_options(parsed.options, parsed.expiries.get());
  const actors::skew_calculation calc;
  auto a = actors::compute(parsing, calc);
  auto b = actors::compute(parsed, calc);
  ASSERT_TRUE(a.skew_pct && a.mfiv.value_pct);
  EXPECT_EQ(caf::deep_to_string(a), caf::deep_to_string(b));
  // The table moved BTC-3APR26 by an hour: both paths read the listed expiry.
  quant::skew_params params;
  params.expiries = parsing.expiries.get();
  EXPECT_DOUBLE_EQ(*a.skew_pct, quant::compute_skew(parsing.options, params).value->skew_pct);
}

TEST(Calculator, AHeadlineOffTheSurfaceIsComputedOnItsOwn) {
  auto chain = real_btc_chain();
  actors::skew_calculation calc;
  calc.delta = 0.20;   // not one of the surface's deltas (0.10, 0.25)
  auto r = actors::compute(chain, calc);
  quant::skew_params params;
  params.delta = 0.20;
  params.expiries = chain.expiries.get();
  auto expected = quant::compute_skew(chain.options, params);
  ASSERT_TRUE(r.skew_pct && expected.value);
  EXPECT_DOUBLE_EQ(*r.skew_pct, expected.value->skew_pct);
  EXPECT_DOUBLE_EQ(r.put25_iv, expected.value->put_iv);
  EXPECT_EQ(r.surface.size(), 5u);   // the surface keeps its own tenors
}
