// A calculator: each fetched chain -> one reading (the basis or the skew) for the cache.
#pragma once

#include "messages/interfaces.hpp"
#include "quant/states.hpp"
#include "runtime/log.hpp"

#include <caf/actor_system.hpp>

#include <memory>
#include <variant>

namespace derivcache::actors {

/// The annualized basis of the nearest quarterly future -> basis_reading.
struct basis_calculation {
  quant::basis_thresholds thresholds;
  double min_dte_days = 7;               ///< nearer quarterlies are skipped
};

/// The constant-maturity 25-delta skew -> skew_reading.
struct skew_calculation {
  quant::skew_thresholds thresholds;
  double tenor_days = 30;
};

struct calculator_deps {
  messages::cache_holder_actor cache;    ///< receives every reading
  std::variant<basis_calculation, skew_calculation> calculation;
  std::shared_ptr<runtime::logger> log;  ///< may be null
};

/// Spawns a calculator. A chain without a value still yields a reading (the value none, `reason` set)
/// and a warning "basis [BTC]: no value: REASON".
messages::calculator_actor make_calculator(caf::actor_system& sys, calculator_deps deps);

} // namespace derivcache::actors
