// The backoff policy: doubling from the minimum, jitter, the rate-limit minimum, Retry-After, the cap.
#include "runtime/backoff.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

using namespace std::chrono_literals;
using std::chrono::nanoseconds;
using derivcache::runtime::backoff_delay;

namespace {

constexpr auto rate_limited = derivcache::runtime::failure_category::rate_limited;
constexpr auto other = derivcache::runtime::failure_category::other;
const std::optional<std::chrono::seconds> none;

} // namespace

namespace derivcache {

TEST(Backoff, SequenceDoublesFromMinAndClampsAtMax) {
  runtime::backoff_params p;
  std::vector<double> got;
  for (uint32_t k = 1; k <= 11; ++k)
    got.push_back(std::chrono::duration<double>(backoff_delay(p, k, other, none, 0.5)).count());
  EXPECT_EQ(got, (std::vector<double>{1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300}));
  // rate limits start at rate_limit_min_backoff
  EXPECT_EQ(backoff_delay(p, 1, rate_limited, none, 0.5), nanoseconds{5s});
  EXPECT_EQ(backoff_delay(p, 3, rate_limited, none, 0.5), nanoseconds{20s});
}

TEST(Backoff, JitterStaysWithinPlusMinusTwentyPercentAndUnderMax) {
  runtime::backoff_params p;
  for (uint32_t k = 1; k <= 10; ++k) {
    const double base = std::min(300.0, std::pow(2.0, k - 1));
    for (double u : {0.0, 0.25, 0.5, 0.75, 1.0}) {
      const double d = std::chrono::duration<double>(backoff_delay(p, k, other, none, u)).count();
      EXPECT_GE(d, 0.8 * base - 1e-6) << "k=" << k << " u=" << u;
      EXPECT_LE(d, std::min(300.0, 1.2 * base) + 1e-6) << "k=" << k << " u=" << u;
    }
  }
  EXPECT_EQ(backoff_delay(p, 1, other, none, 0.0), nanoseconds{800ms});
  EXPECT_EQ(backoff_delay(p, 1, other, none, 1.0), nanoseconds{1200ms});
  EXPECT_EQ(backoff_delay(p, 9, other, none, 1.0), nanoseconds{300s});   // 307.2 s clamped
}

TEST(Backoff, RetryAfterIsUsedAsGivenAlsoBeyondMax) {
  runtime::backoff_params p;
  EXPECT_EQ(backoff_delay(p, 1, rate_limited, 42s, 0.0), nanoseconds{42s});
  EXPECT_EQ(backoff_delay(p, 4, rate_limited, 42s, 1.0), nanoseconds{42s});
  EXPECT_EQ(backoff_delay(p, 1, rate_limited, 1000s, 0.5), nanoseconds{1000s});   // max is 300 s
  // Only a value past three days (Binance's longest IP ban) is taken as broken and cut.
  EXPECT_EQ(backoff_delay(p, 1, rate_limited, std::chrono::seconds{999'999'999}, 0.5), nanoseconds{72h});
}

TEST(Backoff, ZeroFailuresCountAsOneAndOutOfRangeDrawsAreClamped) {
  runtime::backoff_params p;
  EXPECT_EQ(backoff_delay(p, 0, other, none, 0.5), nanoseconds{1s});
  EXPECT_EQ(backoff_delay(p, 1, other, none, -3.0), nanoseconds{800ms});
  EXPECT_EQ(backoff_delay(p, 1, other, none, 7.0), nanoseconds{1200ms});
}

TEST(Backoff, RetryAfterWinsForAnyCategory) {
  runtime::backoff_params p;
  EXPECT_EQ(backoff_delay(p, 3, other, 7s, 0.5), nanoseconds{7s});
}

} // namespace derivcache
