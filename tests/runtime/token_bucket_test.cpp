// The token bucket: burst, refill rate, wait time.
#include "runtime/token_bucket.hpp"

#include <gtest/gtest.h>

using namespace std::chrono_literals;
using namespace derivcache;

TEST(TokenBucket, RefillsAtTheConfiguredRate) {
  runtime::token_bucket b{5.0, 5.0};
  std::chrono::steady_clock::time_point t{};
  for (int i = 0; i < 5; ++i)
    EXPECT_TRUE(b.try_take(t));
  EXPECT_FALSE(b.try_take(t));
  EXPECT_GT(b.wait_time(t), std::chrono::nanoseconds{199ms});
  EXPECT_LE(b.wait_time(t), std::chrono::nanoseconds{201ms});
  EXPECT_TRUE(b.try_take(t + 200ms));
  EXPECT_FALSE(b.try_take(t + 200ms));
  EXPECT_TRUE(b.try_take(t + 10s));   // refill caps at burst
  for (int i = 0; i < 4; ++i)
    EXPECT_TRUE(b.try_take(t + 10s));
  EXPECT_FALSE(b.try_take(t + 10s));
}
