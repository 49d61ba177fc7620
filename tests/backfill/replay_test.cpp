// The replay: rows into per-instrument state, the chain each step sees, skipped rows with their line, file order.
#include "backfill/replay.hpp"
#include "support/temp_file.hpp"

#include <gtest/gtest.h>
#include <map>
#include <string>
#include <tuple>
#include <vector>

using namespace derivcache::backfill;
using derivcache::test::temp_file;

namespace {

constexpr std::int64_t t0 = 1'773'428'400'000;            // 2026-03-13T19:00:00Z
constexpr std::int64_t mar27 = 1'774'598'400'000'000;     // BTC-27MAR26 expiry, µs
constexpr std::int64_t mar14 = 1'773'475'200'000'000;     // BTC-14MAR26 expiry (the next morning), µs
constexpr std::int64_t minute = 60'000;

const std::string option_header = "symbol,timestamp,type,strike_price,expiration,mark_price,mark_iv,underlying_price";
const std::string future_header = "exchange,symbol,timestamp,local_timestamp,funding_timestamp,funding_rate,"
                                  "predicted_funding_rate,open_interest,last_price,index_price,mark_price";

// An options_chain row at `ms` (+ `us` µs) whose mark_iv tells the rows apart.
std::string option(const std::string& symbol, std::int64_t ms, double iv, std::int64_t expiry_us = mar27) {
  const bool put = symbol.back() == 'P';
  auto strike = symbol.substr(symbol.find('-', symbol.find('-') + 1) + 1);
  strike = strike.substr(0, strike.find('-'));
  return symbol + "," + std::to_string(ms * 1000) + "," + (put ? "put" : "call") + "," + strike + "," +
         std::to_string(expiry_us) + ",0.05," + std::to_string(iv) + ",71000";
}

std::string future(const std::string& symbol, std::int64_t ms, double mark, double index) {
  return "deribit," + symbol + "," + std::to_string(ms * 1000) + "," + std::to_string(ms * 1000 + 300) + ",,,,1,," +
         std::to_string(index) + "," + std::to_string(mark);
}

std::string file_text(const std::string& header, const std::vector<std::string>& rows) {
  std::string s = header + "\n";
  for (const auto& r : rows)
    s += r + "\n";
  return s;
}

struct run_result {
  std::string error;
  std::vector<step_chain> steps;
  replay_counts counts;
};

run_result run(replay_settings s) {
  if (s.currencies.empty())
    s.currencies = {*derivcache::quant::find_currency("BTC")};
  replay r{s};
  run_result out;
  out.error = r.open();
  if (!out.error.empty())
    return out;
  out.error = r.run([&](const step_chain& c) {
    out.steps.push_back(c);
    return true;
  });
  out.counts = r.counts();
  return out;
}

// One options_chain file, a step every minute from t0.
replay_settings every_minute_from(const std::string& path, std::int64_t first_step) {
  replay_settings s;
  s.option_files = {path};
  s.every_ms = minute;
  s.from_ms = first_step;
  return s;
}

// mark_iv of each option in a step's chain, by name.
std::map<std::string, double> ivs(const step_chain& c) {
  std::map<std::string, double> m;
  for (const auto& o : c.options)
    m[o.instrument_name] = o.mark_iv.value_or(-1);
  return m;
}

} // namespace

TEST(Replay, EachStepSeesTheNewestRowByExchangeTimeAtOrBeforeIt) {
  temp_file f{".csv", file_text(option_header, {
    option("BTC-27MAR26-70000-C", t0 - 50'000, 50),
    option("BTC-27MAR26-70000-P", t0 - 40'000, 60),
    option("BTC-27MAR26-70000-C", t0 - 1, 51),
    option("BTC-27MAR26-70000-C", t0 + 3'000, 99),        // after the step, read before it (receive order)
    option("BTC-27MAR26-70000-C", t0 - 20'000, 10),       // an older row arriving late: not newer than 51
    option("BTC-27MAR26-70000-C", t0 + minute - 5, 52),
    option("BTC-27MAR26-70000-P", t0 + 2 * minute + 1, 61),
  })};
  auto s = every_minute_from(f.path, t0);
  auto r = run(s);
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.steps.size(), 3u);   // 19:00, 19:01, 19:02 (the last row is after 19:02)
  EXPECT_EQ(r.steps[0].time_ms, t0);
  EXPECT_EQ(ivs(r.steps[0]), (std::map<std::string, double>{{"BTC-27MAR26-70000-C", 51}, {"BTC-27MAR26-70000-P", 60}}));
  EXPECT_EQ(r.steps[0].options[0].creation_time, derivcache::quant::from_unix_ms(t0 - 1));
  EXPECT_EQ(ivs(r.steps[1]).at("BTC-27MAR26-70000-C"), 52);
  EXPECT_EQ(ivs(r.steps[2]).at("BTC-27MAR26-70000-C"), 52);
  EXPECT_EQ(ivs(r.steps[2]).at("BTC-27MAR26-70000-P"), 60);   // 61 is stamped after 19:02
  EXPECT_EQ(r.counts.options.rows, 7u);
  EXPECT_EQ(r.counts.options.skipped_total(), 0u);
}

TEST(Replay, RowsOlderThanTheMaximumAgeAndExpiredInstrumentsLeaveTheChain) {
  temp_file f{".csv", file_text(option_header, {
    option("BTC-27MAR26-70000-C", t0 - 11 * minute, 50),
    option("BTC-14MAR26-70000-C", t0 - 9 * minute, 40, mar14),
    option("BTC-27MAR26-72000-C", t0 - 1000, 45),
    option("BTC-27MAR26-72000-C", 1'773'475'200'000 + minute, 46),   // after BTC-14MAR26 expired
  })};
  replay_settings s;
  s.option_files = {f.path};
  s.every_ms = 12 * 3'600'000;   // 12 h: steps at 00:00 and 12:00 UTC
  s.from_ms = t0 - 19 * 3'600'000;   // 2026-03-13T00:00Z
  s.max_row_age_ms = 10 * minute;
  auto r = run(s);
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.steps.size(), 3u);   // 13th 00:00 and 12:00 (nothing live), 14th 00:00
  EXPECT_TRUE(r.steps[0].options.empty());
  s.from_ms = t0;
  s.every_ms = minute;
  s.until_ms = t0 + 1;
  r = run(s);
  ASSERT_EQ(r.steps.size(), 1u);
  EXPECT_EQ(ivs(r.steps[0]), (std::map<std::string, double>{{"BTC-14MAR26-70000-C", 40},
                                                            {"BTC-27MAR26-72000-C", 45}}));   // 70000-C is 11 min old
  s.max_row_age_ms = 12 * minute;
  r = run(s);
  EXPECT_EQ(ivs(r.steps[0]).size(), 3u);
}

TEST(Replay, ExpiredInstrumentsAreForgottenSoMemoryFollowsTheLiveOnes) {
  chain_state state{{*derivcache::quant::find_currency("BTC")}};
  option_tick row;
  row.type = derivcache::quant::option_type::call;
  row.mark_iv = 50;
  row.underlying_price = 71000;
  row.mark_price = 0.05;
  row.time_us = t0 * 1000;
  std::vector<std::string> names;
  for (int k = 0; k < 100; ++k)
    names.push_back("BTC-14MAR26-" + std::to_string(60000 + 500 * k) + "-C");
  for (const auto& n : names) {
    row.symbol = n;
    row.expiration_us = mar14;
    ASSERT_FALSE(state.add(row, t0));
  }
  row.symbol = "BTC-27MAR26-70000-C";
  row.expiration_us = mar27;
  ASSERT_FALSE(state.add(row, t0));
  EXPECT_EQ(state.instruments(), 101u);
  state.evict_expired(mar14 / 1000 - 1);
  EXPECT_EQ(state.instruments(), 101u);
  state.evict_expired(mar14 / 1000);
  EXPECT_EQ(state.instruments(), 1u);
  row.time_us = (mar14 / 1000 + minute) * 1000;
  ASSERT_FALSE(state.add(row, mar14 / 1000 + minute));   // the survivor is still found by its name
  EXPECT_EQ(state.options_at(*derivcache::quant::find_currency("BTC"), mar14 / 1000 + minute, 10 * minute).size(), 1u);
}

TEST(Replay, BadRowsAreSkippedAndCountedWithTheirFirstLineAndTheRunGoesOn) {
  temp_file f{".csv", file_text(option_header, {
    option("BTC-27MAR26-70000-C", t0 - 50'000, 50),                                        // line 2
    "BTC-27MAR26-70000-P," + std::to_string((t0 - 49'000) * 1000) + ",put,70000," + std::to_string(mar27) +
      ",,55,71000",                                                                       // 3: missing mark_price
    "BTC-27MAR26-70000-P," + std::to_string((t0 - 48'000) * 1000) + ",put,70000," + std::to_string(mar27) +
      ",0.05,abc,71000",                                                                  // 4: not a number
    "BTC-27MAR26-70000-P," + std::to_string((t0 - 47'000) * 1000) + ",straddle,70000," + std::to_string(mar27) +
      ",0.05,55,71000",                                                                   // 5: unknown type
    "BTC-27XYZ26-70000-P," + std::to_string((t0 - 46'000) * 1000) + ",put,70000," + std::to_string(mar27) +
      ",0.05,55,71000",                                                                   // 6: bad symbol
    "BTC-27MAR26-70000-P," + std::to_string((t0 - 45'000) * 1000) + ",call,70000," + std::to_string(mar27) +
      ",0.05,55,71000",                                                                   // 7: type mismatch
    option("BTC-27MAR26-70000-P", t0 - 44'000, 55),                                        // 8
    option("BTC-27MAR26-70000-P", t0 - 44'000 - 2 * minute, 1),                            // 9: far out of order
    option("BTC-27MAR26-70000-P", t0 + 400 * minute, 2),                                   // 10: one row far ahead
    option("BTC-27MAR26-70000-P", t0 - 43'000, 56),                                        // 11
    "BTC-27MAR26-70000-P,1773428357000000",                                               // 12: too few fields
    "BTC-27MAR26-70000-C," + std::to_string((t0 - 42'000) * 1000) + ",call,70000," + std::to_string(mar27) +
      ",0.05,,71000",                                                                     // 13: missing mark_iv
    option("BTC-27MAR26-70000-C", t0 + 30'000, 51),                                        // 14
  })};
  auto s = every_minute_from(f.path, t0);
  auto r = run(s);
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.steps.size(), 1u);
  EXPECT_EQ(ivs(r.steps[0]), (std::map<std::string, double>{{"BTC-27MAR26-70000-C", 50}, {"BTC-27MAR26-70000-P", 56}}));
  const auto& c = r.counts.options;
  EXPECT_EQ(c.rows, 13u);
  EXPECT_EQ(c.skipped_total(), 9u);
  // Each reason: how many rows, and the first one's line.
  const std::vector<std::tuple<skip_reason, std::uint64_t, int>> expected{
    {skip_reason::missing_field, 3, 3}, {skip_reason::not_a_number, 1, 4},  {skip_reason::unknown_type, 1, 5},
    {skip_reason::bad_symbol, 1, 6},    {skip_reason::type_mismatch, 1, 7}, {skip_reason::out_of_order, 2, 9}};
  for (const auto& [why, count, line] : expected) {
    const auto& tally = c.skipped[static_cast<std::size_t>(why)];
    EXPECT_EQ(tally.count, count) << to_string(why);
    EXPECT_EQ(tally.first, f.path + ":" + std::to_string(line)) << to_string(why);
  }
}

TEST(Replay, FuturesGiveFromMarkAndIndexAndOtherCurrenciesStayOut) {
  temp_file o{".csv", file_text(option_header, {
    option("BTC-27MAR26-70000-C", t0 - 5'000, 50),
    option("ETH-27MAR26-2000-C", t0 - 4'000, 70),
    "BTC_USDC-27MAR26-70000-C," + std::to_string((t0 - 3'000) * 1000) + ",call,70000," + std::to_string(mar27) +
      ",500,50,71000",
  })};
  temp_file f{".csv", file_text(future_header, {
    future("BTC-PERPETUAL", t0 - 9'000, 71010, 71000),
    future("BTC-27MAR26", t0 - 8'000, 71100, 71001),
    future("ETH-PERPETUAL", t0 - 7'000, 2001, 2000),
    future("BTC-PERPETUAL", t0 - 6'000, 71020, 71002),
    "deribit,BTC-27MAR26-70000-C," + std::to_string((t0 - 5'000) * 1000) + ",1,,,,1,,1,2",   // an option: bad symbol
  })};
  replay_settings s;
  s.option_files = {o.path};
  s.future_files = {f.path};
  s.every_ms = minute;
  s.from_ms = t0;
  s.until_ms = t0 + minute;   // the rows are before the step: without --until the last step is before them
  auto r = run(s);
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.steps.size(), 1u);
  const auto& step = r.steps[0];
  ASSERT_EQ(step.futures.size(), 2u);
  EXPECT_EQ(step.futures[0].instrument_name, "BTC-PERPETUAL");
  EXPECT_EQ(step.futures[0].mark_price, 71020);
  EXPECT_EQ(step.futures[0].estimated_delivery_price, 71002);
  EXPECT_EQ(step.futures[1].instrument_name, "BTC-27MAR26");
  EXPECT_EQ(step.futures[1].mark_price, 71100);
  ASSERT_EQ(step.options.size(), 1u);   // ETH and the linear BTC_USDC book are not BTC's chain
  EXPECT_EQ(step.options[0].estimated_delivery_price, 71002);   // the newest index of the currency
  EXPECT_EQ(r.counts.other_currency_rows, 3u);
  EXPECT_EQ(r.counts.futures.skipped[static_cast<std::size_t>(skip_reason::bad_symbol)].first, f.path + ":6");
}

TEST(Replay, AMissingColumnNamesItAndTheFile) {
  temp_file f{".csv", "symbol,timestamp,type,strike_price,expiration,mark_price,underlying_price\n"};
  replay_settings s;
  s.option_files = {f.path};
  s.currencies = {*derivcache::quant::find_currency("BTC")};
  replay r{s};
  EXPECT_EQ(r.open(), f.path + ": no column 'mark_iv' in the header (an options_chain file needs symbol, timestamp, "
                               "type, strike_price, expiration, mark_price, mark_iv, underlying_price)");
}

TEST(Replay, FilesOutOfOrderAreRefusedBeforeAnyStepAndOverlappingOnesWhenReached) {
  temp_file day1{".csv", file_text(option_header, {option("BTC-27MAR26-70000-C", t0 - 5 * minute, 50),
                                                   option("BTC-27MAR26-70000-C", t0 + 5 * minute, 51)})};
  temp_file day2{".csv", file_text(option_header, {option("BTC-27MAR26-70000-C", t0 + 10 * minute, 52)})};
  temp_file overlap{".csv", file_text(option_header, {option("BTC-27MAR26-70000-C", t0, 53)})};
  replay_settings s;
  s.option_files = {day2.path, day1.path};
  s.every_ms = minute;
  auto r = run(s);
  EXPECT_EQ(r.error, day1.path + " (first row 2026-03-13T18:55:00Z) comes before " + day2.path +
                       " (first row 2026-03-13T19:10:00Z): give the options_chain files in time order");
  EXPECT_TRUE(r.steps.empty());
  s.option_files = {day1.path, overlap.path};
  r = run(s);
  EXPECT_EQ(r.error, overlap.path + " (first row 2026-03-13T19:00:00Z) overlaps the file before it (rows up to "
                                    "2026-03-13T19:05:00Z): give each period once, in time order");
  s.option_files = {day1.path, day2.path};
  r = run(s);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.steps.size(), 6u);   // 19:05 (the first row + the maximum age) to 19:10 (the last row)
}
