// The fetcher's counters, kept across restarts, and the copy the metrics endpoint renders.
#pragma once

#include "messages/fetch_outcome.hpp"

#include <array>
#include <atomic>
#include <cstdint>

namespace derivcache::runtime {

/// Fetch outcomes and request counts. Readable from any thread.
struct fetch_stats {
  std::array<std::atomic<uint64_t>, messages::fetch_outcome_count> outcomes{};   ///< replies by outcome
  std::atomic<uint64_t> requests{0};          ///< issued to the HTTP client
  std::atomic<uint64_t> cancelled{0};         ///< ended in the client without a reply (rate limit, Retry-After, stop)
  std::atomic<uint64_t> deferred{0};          ///< waited for a rate-limit token
  std::atomic<uint64_t> stale_replies{0};     ///< replies for an older cycle, ignored
  std::atomic<uint64_t> chains_sent{0};
  std::atomic<uint64_t> cycles_complete{0};
  std::atomic<uint64_t> starts{0};            ///< fetcher incarnations

  std::atomic<uint64_t>& operator[](messages::fetch_outcome x) { return outcomes[messages::index_of(x)]; }
  const std::atomic<uint64_t>& operator[](messages::fetch_outcome x) const { return outcomes[messages::index_of(x)]; }
};

/// What /metrics shows of fetch_stats, read at one instant.
struct fetch_counts {
  std::array<uint64_t, messages::fetch_outcome_count> outcomes{};
  uint64_t requests = 0;
  uint64_t cancelled = 0;
  uint64_t cycles_complete = 0;

  uint64_t& operator[](messages::fetch_outcome x) { return outcomes[messages::index_of(x)]; }
  uint64_t operator[](messages::fetch_outcome x) const { return outcomes[messages::index_of(x)]; }
};

fetch_counts read_fetch_stats(const fetch_stats& stats);

} // namespace derivcache::runtime
