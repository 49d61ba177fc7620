// A calculator: each fetched chain -> one reading (the basis or the skew) for the cache.
#pragma once

#include "messages/interfaces.hpp"
#include "quant/basis.hpp"
#include "quant/mfiv.hpp"
#include "quant/states.hpp"
#include "quant/surface.hpp"
#include "runtime/log.hpp"

#include <caf/actor_system.hpp>

#include <memory>
#include <variant>

namespace derivcache::actors {

/// The annualized basis of the nearest quarterly future and the basis at constant maturities -> basis_reading.
struct basis_calculation {
  quant::basis_thresholds thresholds;
  double min_dte_days = 7;                        ///< nearer quarterlies and points are skipped
  quant::cm_basis_params constant_maturity;       ///< the tenors
};

/// The headline skew at (tenor_days, delta), the surface and the MFIV -> skew_reading.
struct skew_calculation {
  quant::skew_thresholds thresholds;
  double tenor_days = 30;
  double delta = 0.25;
  quant::surface_params surface;                  ///< tenors and deltas (as_of and expiries are the chain's)
  quant::mfiv_params mfiv;                        ///< the tenor
};

struct calculator_deps {
  messages::cache_holder_actor cache;    ///< receives every reading
  std::variant<basis_calculation, skew_calculation> calculation;
  std::shared_ptr<runtime::logger> log;  ///< may be null
};

/// The readings a calculator sends for one chain (pure: the actor adds logging and the send).
messages::basis_reading compute(const messages::currency_chain& chain, const basis_calculation& calc);
messages::skew_reading compute(const messages::currency_chain& chain, const skew_calculation& calc);

/// Spawns a calculator. A chain without a value still yields a reading (the value none, `reason` set)
/// and a warning "basis [BTC]: no value: REASON".
messages::calculator_actor make_calculator(caf::actor_system& sys, calculator_deps deps);

} // namespace derivcache::actors
