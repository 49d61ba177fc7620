// The restart delay after consecutive failures, shared by the fetch supervisor and the Binance feed.
//
//   backoff(k) = min(max, min * 2^(k-1)) * U(0.8, 1.2), clamped to max;
//   min = rate_limit_min_backoff for rate limits, else min_backoff;
//   a Retry-After is used as given (no jitter), also beyond max; only a value over max_retry_after (3 days,
//   Binance's longest IP ban) is taken as max_retry_after.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace derivcache::runtime {

/// The longest Retry-After honoured in full; a longer one (a broken header) is cut to it.
inline constexpr std::chrono::seconds max_retry_after{std::chrono::hours{72}};

struct backoff_params {
  std::chrono::nanoseconds min_backoff = std::chrono::seconds{1};
  std::chrono::nanoseconds rate_limit_min_backoff = std::chrono::seconds{5};
  std::chrono::nanoseconds max_backoff = std::chrono::seconds{300};
};

enum class failure_category : uint8_t { rate_limited, other };

/// The delay before the next attempt after `failures` consecutive failures (k >= 1; 0 counts as 1), the
/// last one of `category`. `retry_after` (what the server asked for) wins over the formula and over max. `u01` is a
/// uniform draw in [0, 1) (values outside are clamped to [0, 1]); the jitter factor is 0.8 + 0.4 * u01.
std::chrono::nanoseconds backoff_delay(const backoff_params& params, uint32_t failures, failure_category category,
                                       std::optional<std::chrono::seconds> retry_after, double u01);

} // namespace derivcache::runtime
