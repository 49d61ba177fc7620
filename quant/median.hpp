// Median of a small sample (used for per-expiry forwards).
#pragma once

#include <algorithm>
#include <optional>
#include <vector>

namespace derivcache::quant {

/// Median (mean of the two middle values for an even count); empty for an empty sample.
inline std::optional<double> median(std::vector<double> xs) {
  if (xs.empty())
    return std::nullopt;
  const auto mid = xs.size() / 2;
  std::nth_element(xs.begin(), xs.begin() + static_cast<std::ptrdiff_t>(mid), xs.end());
  const double upper = xs[mid];
  if (xs.size() % 2 == 1)
    return upper;
  const double lower = *std::max_element(xs.begin(), xs.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lower + upper) / 2;
}

} // namespace derivcache::quant
