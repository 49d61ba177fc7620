// The cache holder's counters, readable from any thread (for metrics and tests).
#pragma once

#include <atomic>
#include <cstdint>

namespace derivcache::runtime {

struct cache_stats {
  std::atomic<uint64_t> basis_accepted{0};
  std::atomic<uint64_t> skew_accepted{0};
  std::atomic<uint64_t> basis_kept_last_good{0};   ///< readings without a value that did not replace a good one
  std::atomic<uint64_t> skew_kept_last_good{0};
  std::atomic<uint64_t> records_kept_last_good{0}; ///< surface, constant-maturity basis and MFIV records, likewise
  std::atomic<uint64_t> updates_pushed{0};
  std::atomic<uint64_t> subscribers{0};            ///< current number of live subscribers
};

} // namespace derivcache::runtime
