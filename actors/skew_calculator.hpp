// The skew calculator: a fetched chain -> a 30-day 25-delta skew reading for the cache.
#pragma once

#include "messages/interfaces.hpp"
#include "quant/states.hpp"
#include "runtime/log.hpp"

#include <caf/actor_system.hpp>

#include <memory>

namespace derivcache::actors {

struct skew_calculator_deps {
  messages::cache_holder_actor cache;    ///< receives every reading
  quant::skew_thresholds thresholds;
  double tenor_days = 30;
  std::shared_ptr<runtime::logger> log;           ///< may be null
};

/// Spawns the skew calculator. A chain without a value still yields a reading (skew_pct none, `reason` set).
messages::calculator_actor make_skew_calculator(caf::actor_system& sys, skew_calculator_deps deps);

} // namespace derivcache::actors
