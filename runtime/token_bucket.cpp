// The token bucket.
#include "runtime/token_bucket.hpp"

#include <algorithm>

namespace derivcache::runtime {

token_bucket::token_bucket(double rate_per_second, double burst)
  : rate_(rate_per_second > 0 ? rate_per_second : 1), burst_(std::max(1.0, burst)), tokens_(burst_) {}

void token_bucket::refill(time_point now) {
  if (last_ && now > *last_) {
    const double elapsed = std::chrono::duration<double>(now - *last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
  }
  if (!last_ || now > *last_)
    last_ = now;
}

bool token_bucket::try_take(time_point now) {
  std::lock_guard<std::mutex> guard{mtx_};
  refill(now);
  // A tiny epsilon absorbs rounding in elapsed * rate (0.2 s * 5/s may give 0.9999999).
  if (tokens_ + 1e-9 < 1)
    return false;
  tokens_ = std::max(0.0, tokens_ - 1);
  return true;
}

std::chrono::nanoseconds token_bucket::wait_time(time_point now) {
  std::lock_guard<std::mutex> guard{mtx_};
  refill(now);
  if (tokens_ + 1e-9 >= 1)
    return std::chrono::nanoseconds{0};
  const double seconds = (1 - tokens_) / rate_;
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(seconds))
         + std::chrono::nanoseconds{1};
}

} // namespace derivcache::runtime
