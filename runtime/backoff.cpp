// The backoff policy.
#include "runtime/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace derivcache::runtime {

std::chrono::nanoseconds backoff_delay(const backoff_params& params, uint32_t failures, failure_category category,
                                       std::optional<std::chrono::seconds> retry_after, double u01) {
  using std::chrono::nanoseconds;
  const auto max = params.max_backoff;
  if (retry_after)
    return std::min<nanoseconds>(*retry_after, max_retry_after);
  const auto min = category == failure_category::rate_limited ? params.rate_limit_min_backoff : params.min_backoff;
  const double exponent = static_cast<double>(std::max<uint32_t>(failures, 1) - 1);
  const double max_s = std::chrono::duration<double>(max).count();
  const double base_s = std::min(max_s, std::chrono::duration<double>(min).count() * std::pow(2.0, exponent));
  const double jitter = 0.8 + 0.4 * std::clamp(u01, 0.0, 1.0);
  const double d_s = std::min(max_s, base_s * jitter);
  return std::min<nanoseconds>(max, std::chrono::duration_cast<nanoseconds>(std::chrono::duration<double>(d_s)));
}

} // namespace derivcache::runtime
