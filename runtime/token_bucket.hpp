// A token bucket for request rates. It survives fetcher restarts, so a restart does not burst requests.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>

namespace derivcache::runtime {

/// Measured on a steady clock passed in by the caller (the actor clock, so deterministic tests drive
/// it). Thread-safe.
class token_bucket {
public:
  using time_point = std::chrono::steady_clock::time_point;

  /// `rate_per_second` tokens are added per second up to `burst`; the bucket starts full.
  token_bucket(double rate_per_second, double burst);

  /// Takes one token if there is one.
  bool try_take(time_point now);

  /// How long until a token is available (zero when one is).
  std::chrono::nanoseconds wait_time(time_point now);

private:
  void refill(time_point now);

  double rate_;
  double burst_;
  double tokens_;
  std::optional<time_point> last_;
  std::mutex mtx_;
};

} // namespace derivcache::runtime
