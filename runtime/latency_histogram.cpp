// The latency histogram.
#include "runtime/latency_histogram.hpp"

#include <algorithm>
#include <cmath>

namespace derivcache::runtime {

std::vector<double> latency_histogram::default_bounds() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

latency_histogram::latency_histogram(std::vector<double> upper_bounds) {
  upper_bounds.erase(std::remove_if(upper_bounds.begin(), upper_bounds.end(),
                                    [](double b) { return !std::isfinite(b); }),
                     upper_bounds.end());
  std::sort(upper_bounds.begin(), upper_bounds.end());
  upper_bounds.erase(std::unique(upper_bounds.begin(), upper_bounds.end()), upper_bounds.end());
  data_.upper_bounds = std::move(upper_bounds);
  data_.counts.assign(data_.upper_bounds.size() + 1, 0);
}

void latency_histogram::observe(std::chrono::nanoseconds latency) {
  observe_seconds(std::chrono::duration<double>(latency).count());
}

void latency_histogram::observe_seconds(double seconds) {
  if (std::isnan(seconds))
    return;
  std::lock_guard<std::mutex> guard{mtx_};
  const auto& b = data_.upper_bounds;
  // Prometheus buckets are "less than or equal": a value on a bound belongs to that bucket.
  const auto i = static_cast<std::size_t>(std::lower_bound(b.begin(), b.end(), seconds) - b.begin());
  ++data_.counts[i];
  data_.sum += seconds;
  ++data_.count;
}

histogram_snapshot latency_histogram::snapshot() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return data_;
}

} // namespace derivcache::runtime
