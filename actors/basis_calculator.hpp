// The basis calculator: a fetched chain -> an annualized-basis reading for the cache.
#pragma once

#include "messages/interfaces.hpp"
#include "quant/states.hpp"
#include "runtime/log.hpp"

#include <caf/actor_system.hpp>

#include <memory>

namespace derivcache::actors {

struct basis_calculator_deps {
  messages::cache_holder_actor cache;    ///< receives every reading
  quant::basis_thresholds thresholds;
  double min_dte_days = 7;               ///< nearer quarterlies are skipped
  std::shared_ptr<runtime::logger> log;           ///< may be null
};

/// Spawns the basis calculator. A chain without a value still yields a reading (apr_pct none, `reason` set).
messages::calculator_actor make_basis_calculator(caf::actor_system& sys, basis_calculator_deps deps);

} // namespace derivcache::actors
