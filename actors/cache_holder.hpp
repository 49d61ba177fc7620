// The cache holder: latest basis and skew reading per currency, last good value kept, STALE after max age.
#pragma once

#include "actors/log.hpp"
#include "messages/interfaces.hpp"

#include <caf/actor_system.hpp>
#include <caf/timespan.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

namespace derivcache::actors {

/// Counters of the cache, readable from any thread (for metrics and tests).
struct cache_stats {
  std::atomic<uint64_t> basis_accepted{0};
  std::atomic<uint64_t> skew_accepted{0};
  std::atomic<uint64_t> basis_kept_last_good{0};   ///< readings without a value that did not replace a good one
  std::atomic<uint64_t> skew_kept_last_good{0};
  std::atomic<uint64_t> updates_pushed{0};
  std::atomic<uint64_t> subscribers{0};            ///< current number of live subscribers
};

struct cache_holder_deps {
  caf::timespan max_age = std::chrono::seconds{900};   ///< older readings show as STALE (default 3 x interval)
  std::shared_ptr<logger> log;                         ///< may be null
  std::shared_ptr<cache_stats> stats;                  ///< may be null
};

/// Spawns the cache holder. Ages are measured on the actor clock from the moment a reading arrives.
/// When both readings of one currency from the same fetch arrived, it logs the one-line summary
/// "📡 Derivatives Cache [BTC]: Basis=15.50% (CONTANGO) | Skew=6.32% (FEAR)".
messages::cache_holder_actor make_cache_holder(caf::actor_system& sys, cache_holder_deps deps);

} // namespace derivcache::actors
