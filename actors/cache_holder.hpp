// The cache holder: latest basis and skew reading and DVOL per currency, last good value of every record kept,
// STALE after max age.
#pragma once

#include "messages/interfaces.hpp"
#include "runtime/cache_stats.hpp"
#include "runtime/log.hpp"

#include <caf/actor_system.hpp>
#include <caf/timespan.hpp>

#include <chrono>
#include <memory>

namespace derivcache::actors {

struct cache_holder_deps {
  caf::timespan max_age = std::chrono::seconds{900};   ///< older readings show as STALE (default 3 x interval)
  std::shared_ptr<runtime::logger> log;                         ///< may be null
  std::shared_ptr<runtime::cache_stats> stats;                 ///< may be null
};

/// Spawns the cache holder. Ages are measured on the actor clock from the moment a reading arrives.
/// A record without a value (the headline, or one of the surface, the constant-maturity basis, the MFIV or DVOL)
/// never replaces a good one. When both readings of one currency from the same fetch arrived, it logs the
/// summary "📡 Derivatives Cache [BTC]: Basis=15.50% (CONTANGO) | Skew=6.32% (FEAR)"; when the skew reading and
/// the DVOL update of the same fetch arrived (either order; for a currency without DVOL the skew reading alone),
/// the line "📈 Volatility [BTC]: ATM 30d=51.33% | MFIV 30d=54.94% | DVOL=53.10" (values as that fetch brought
/// them; "DVOL n/a (reason)" without one, "DVOL n/a (not listed for SOL)").
messages::cache_holder_actor make_cache_holder(caf::actor_system& sys, cache_holder_deps deps);

} // namespace derivcache::actors
