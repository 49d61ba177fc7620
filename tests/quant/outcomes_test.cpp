// Outcome labels from 1-second bars, against values worked out by hand.
#include "quant/outcomes.hpp"

#include <gtest/gtest.h>

namespace derivcache::quant {
namespace {

second_bar traded(int64_t s, double o, double h, double l, double c, int64_t trades) {
  return {s, o, h, l, c, 1.0, trades};
}
second_bar quiet(int64_t s) { return {s, 0, 0, 0, 0, 0, 0}; }

// Snapshot at 1000.5 s, entry 100, horizon 5 s: the window is seconds 1001 .. 1005.
std::vector<second_bar> path() {
  return {traded(1000, 100, 100, 1, 100, 1),        // the snapshot's own second: outside
          traded(1001, 100, 101, 99.5, 101, 2),
          quiet(1002),                              // book tickers only: covered, no price
          traded(1003, 101, 103, 100.5, 102, 3),
          traded(1004, 102, 102, 98, 99, 1),
          traded(1005, 99, 99.5, 99, 99.5, 1),
          traded(1006, 99.5, 200, 50, 150, 9)};     // after the horizon: outside
}

outcome_window window(int64_t horizon_s = 5, int64_t max_gap_s = 2) {
  outcome_window w;
  w.snapshot_ms = 1'000'500;
  w.horizon_s = horizon_s;
  w.entry_price = 100.0;
  w.max_gap_s = max_gap_s;
  return w;
}

TEST(Outcomes, HorizonValuesMatchHandComputation) {
  const auto o = compute_outcome(window(), path());
  ASSERT_EQ(o.issue, outcome_issue::none);
  EXPECT_DOUBLE_EQ(o.price, 99.5);              // close of 1005
  EXPECT_NEAR(o.return_pct, -0.5, 1e-12);       // 99.5 / 100 - 1
  EXPECT_NEAR(o.max_up_pct, 3.0, 1e-12);        // high 103 in 1003
  EXPECT_NEAR(o.max_down_pct, 2.0, 1e-12);      // low 98 in 1004
  // sqrt((ln(101/100)^2 + ln(102/101)^2 + ln(99/102)^2 + ln(99.5/99)^2) * 31536000 / 5) * 100
  EXPECT_NEAR(o.realized_vol_pct, 8377.196096048301, 1e-6);
  EXPECT_EQ(o.trades, 7);
  EXPECT_EQ(o.gap_s, 0);
  EXPECT_FALSE(o.favourable_pct);
  EXPECT_FALSE(o.adverse_pct);
}

TEST(Outcomes, ShorterHorizonEndsEarlier) {
  const auto o = compute_outcome(window(3), path());   // 1001 .. 1003
  ASSERT_EQ(o.issue, outcome_issue::none);
  EXPECT_DOUBLE_EQ(o.price, 102);
  EXPECT_NEAR(o.return_pct, 2.0, 1e-12);
  EXPECT_NEAR(o.max_up_pct, 3.0, 1e-12);
  EXPECT_NEAR(o.max_down_pct, 0.5, 1e-12);      // low 99.5 in 1001
  EXPECT_EQ(o.trades, 5);
}

TEST(Outcomes, SideTurnsExcursionsIntoFavourableAndAdverse) {
  auto w = window();
  w.side = trade_side::long_side;
  auto o = compute_outcome(w, path());
  EXPECT_NEAR(*o.favourable_pct, 3.0, 1e-12);
  EXPECT_NEAR(*o.adverse_pct, 2.0, 1e-12);
  w.side = trade_side::short_side;
  o = compute_outcome(w, path());
  EXPECT_NEAR(*o.favourable_pct, 2.0, 1e-12);
  EXPECT_NEAR(*o.adverse_pct, 3.0, 1e-12);
}

TEST(Outcomes, ExcursionsNeverNegative) {
  // Only rises: the maximum down excursion is 0, not the distance to the lowest low above the entry.
  const auto o = compute_outcome(window(2), {traded(1001, 100.5, 101, 100.5, 101, 1), traded(1002, 101, 102, 101, 102, 1)});
  ASSERT_EQ(o.issue, outcome_issue::none);
  EXPECT_DOUBLE_EQ(o.max_down_pct, 0);
  EXPECT_NEAR(o.max_up_pct, 2.0, 1e-12);
}

TEST(Outcomes, GapLongerThanMaxGapIsIncompleteWithTheGap) {
  auto bars = path();
  bars.erase(bars.begin() + 2, bars.begin() + 5);   // no data in 1002, 1003, 1004
  auto o = compute_outcome(window(5, 2), bars);
  EXPECT_EQ(o.issue, outcome_issue::gap);
  EXPECT_EQ(o.gap_s, 3);
  EXPECT_EQ(o.gap_start, 1002);
  o = compute_outcome(window(5, 3), bars);           // tolerated: the price carries over the gap
  EXPECT_EQ(o.issue, outcome_issue::none);
  EXPECT_EQ(o.gap_s, 3);
  EXPECT_DOUBLE_EQ(o.price, 99.5);
}

TEST(Outcomes, MissingTailAndMissingWindowAreGaps) {
  auto o = compute_outcome(window(5, 1), {traded(1001, 100, 101, 99.5, 101, 2), quiet(1002), quiet(1003)});
  EXPECT_EQ(o.issue, outcome_issue::gap);
  EXPECT_EQ(o.gap_s, 2);
  EXPECT_EQ(o.gap_start, 1004);
  o = compute_outcome(window(5, 4), {});             // engine down for the whole window
  EXPECT_EQ(o.issue, outcome_issue::gap);
  EXPECT_EQ(o.gap_s, 5);
  EXPECT_EQ(o.gap_start, 1001);
}

TEST(Outcomes, NoEntryPriceIsIncomplete) {
  auto w = window();
  w.entry_price.reset();
  EXPECT_EQ(compute_outcome(w, path()).issue, outcome_issue::no_entry_price);
}

TEST(Outcomes, SecondsFloorBeforeTheEpochToo) {
  EXPECT_EQ(floor_second(1999), 1);
  EXPECT_EQ(floor_second(-1), -1);
  EXPECT_EQ(floor_second(-1000), -1);
}

} // namespace
} // namespace derivcache::quant
