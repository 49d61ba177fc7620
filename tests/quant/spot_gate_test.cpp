// The acceptance rule for live spot records: sane exchange times, ids in sequence, wild ids never blocking.
#include "quant/spot_gate.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace derivcache::quant {
namespace {

constexpr int64_t local = 1'700'000'000'000;
constexpr int64_t hour = 3'600'000;
constexpr int64_t int64_max = std::numeric_limits<int64_t>::max();
constexpr int64_t int64_min = std::numeric_limits<int64_t>::min();

TEST(SpotGate, ExchangeTimesUpToAnHourAheadArePlausible) {
  EXPECT_TRUE(time_plausible(local + hour, local, hour));
  EXPECT_FALSE(time_plausible(local + hour + 1, local, hour));
  EXPECT_TRUE(time_plausible(local - 86'400'000, local, hour));   // old is late, not implausible
  EXPECT_FALSE(time_plausible(int64_max, local, hour));           // no overflow at the extremes
  EXPECT_FALSE(time_plausible(int64_max, int64_min, hour));
  EXPECT_TRUE(time_plausible(int64_min, int64_max, hour));
}

TEST(SpotGate, ATradeADayAheadIsRefusedAndDoesNotMoveTheIds) {
  trade_gate g;
  EXPECT_EQ(g.check({10, 10, local, local + 1, local + 5}), spot_verdict::accepted);
  EXPECT_EQ(g.check({11, 11, local + 86'400'000, local + 1, local + 5}), spot_verdict::time_ahead);
  EXPECT_EQ(g.check({11, 11, local + 10, local + 86'400'000, local + 15}), spot_verdict::time_ahead);   // E too
  EXPECT_EQ(g.check({11, 11, local + 10, local + 11, local + 15}), spot_verdict::accepted);
  EXPECT_EQ(*g.last_id(), 11);
}

TEST(SpotGate, RepeatsAreNotBadInput) {
  sequence_gate g;
  EXPECT_EQ(g.check(1, 5), spot_verdict::accepted);
  EXPECT_EQ(g.check(4, 5), spot_verdict::repeat);
  EXPECT_EQ(g.check(3, 3), spot_verdict::repeat);
  EXPECT_FALSE(is_bad(spot_verdict::repeat));
  EXPECT_EQ(g.check(6, 6), spot_verdict::accepted);
}

TEST(SpotGate, AWildIdIsBadAndTheNextNormalIdIsAccepted) {
  sequence_gate g;
  EXPECT_EQ(g.check(100, 100), spot_verdict::accepted);
  EXPECT_EQ(g.check(int64_t{1} << 62, int64_t{1} << 62), spot_verdict::id_out_of_sequence);
  EXPECT_EQ(g.check(101, 101), spot_verdict::accepted);
  EXPECT_EQ(g.check(int64_min, int64_min), spot_verdict::id_out_of_sequence);   // far behind is wild too
  EXPECT_EQ(g.check(102, 102), spot_verdict::accepted);
  EXPECT_EQ(g.check(int64_min, int64_max), spot_verdict::id_out_of_sequence);   // no aggregate spans that
  EXPECT_EQ(g.check(103, 103), spot_verdict::accepted);
}

TEST(SpotGate, AWildFirstIdIsOutvotedByThreeInSequence) {
  sequence_gate g;
  EXPECT_EQ(g.check(int64_max, int64_max), spot_verdict::accepted);   // nothing to compare with
  EXPECT_EQ(g.check(100, 100), spot_verdict::id_out_of_sequence);
  EXPECT_EQ(g.check(101, 101), spot_verdict::id_out_of_sequence);
  EXPECT_EQ(g.check(102, 102), spot_verdict::accepted);
  EXPECT_EQ(*g.last(), 102);
  EXPECT_EQ(g.check(103, 103), spot_verdict::accepted);
}

TEST(SpotGate, ALongOutageWithinTheJumpIsAccepted) {
  sequence_gate g;
  EXPECT_EQ(g.check(5'000'000'000, 5'000'000'000), spot_verdict::accepted);
  EXPECT_EQ(g.check(5'050'000'000, 5'050'000'001), spot_verdict::accepted);   // 50 M ids later (days of trading)
}

} // namespace
} // namespace derivcache::quant
