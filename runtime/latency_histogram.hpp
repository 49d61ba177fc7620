// A request-latency histogram in seconds with fixed buckets, and the copy of it that is rendered.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <vector>

namespace derivcache::runtime {

/// A histogram as rendered: per-bucket counts (not cumulative), the last one for +Inf.
struct histogram_snapshot {
  std::vector<double> upper_bounds;   ///< ascending, finite, without +Inf
  std::vector<uint64_t> counts;       ///< upper_bounds.size() + 1 entries
  double sum = 0;
  uint64_t count = 0;
};

/// observe() is thread-safe (the HTTP client's I/O thread observes, the metrics endpoint reads).
class latency_histogram {
public:
  /// 5 ms .. 10 s, Prometheus' default HTTP buckets.
  static std::vector<double> default_bounds();

  /// `upper_bounds` are sorted; non-finite and duplicate bounds are dropped.
  explicit latency_histogram(std::vector<double> upper_bounds = default_bounds());

  void observe(std::chrono::nanoseconds latency);
  void observe_seconds(double seconds);

  /// A consistent copy: count equals the sum of the bucket counts.
  histogram_snapshot snapshot() const;

private:
  mutable std::mutex mtx_;
  histogram_snapshot data_;
};

} // namespace derivcache::runtime
