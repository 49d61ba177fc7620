// The readings derivcache caches and serves: plain structs with inspect(), safe to send to remote nodes.
#pragma once

#include "quant/states.hpp"

#include <caf/meta/type_name.hpp>
#include <caf/optional.hpp>
#include <caf/timespan.hpp>
#include <caf/timestamp.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace derivcache::messages {

/// One dated expiry of the futures curve.
struct basis_point {
  std::string instrument;
  double dte_days = 0;
  double apr_pct = 0;
  bool quarterly = false;
  bool below_min_dte = false;
  std::string source;   ///< "future" or "synthetic_forward"
};

/// Annualized basis of the nearest quarterly plus the curve, for one currency.
struct basis_reading {
  std::string currency;
  caf::optional<double> apr_pct;      ///< none: see `reason`
  std::string reason;                 ///< why there is no value (empty when there is one)
  std::string instrument;
  double dte_days = 0;
  double future_price = 0;
  double index_price = 0;
  std::string source;
  quant::basis_state state = quant::basis_state::unknown;
  std::vector<basis_point> term_structure;
  caf::optional<double> perpetual_premium_pct;
  caf::optional<double> funding_8h;
  caf::timestamp as_of;               ///< exchange time of the data
  caf::timestamp received;            ///< local wall-clock time the data arrived
  uint64_t skipped_rows = 0;
  uint64_t expiry_disagreements = 0;
};

/// One expiry of the smile (vol points).
struct smile_entry {
  std::string expiry;
  double dte_days = 0;
  double forward = 0;
  caf::optional<double> put25_iv;
  caf::optional<double> call25_iv;
  caf::optional<double> atm_iv;
};

/// 30-day constant-maturity 25-delta skew (put - call) with ATM, butterfly and the smile, for one currency.
struct skew_reading {
  std::string currency;
  caf::optional<double> skew_pct;     ///< none: see `reason`
  std::string reason;
  double put25_iv = 0;
  double call25_iv = 0;
  double atm_iv = 0;
  double butterfly25 = 0;
  double tenor_days = 30;
  bool bracketed = false;
  std::vector<std::string> expiries;
  quant::skew_state state = quant::skew_state::unknown;
  std::vector<smile_entry> smile;
  caf::timestamp as_of;
  caf::timestamp received;
  uint64_t skipped_rows = 0;
};

/// What the cache holds for one currency, with ages measured when asked.
/// `*_state` is STALE once the reading is older than the cache's max age; `*_last_state` keeps the
/// classification it had. Ages run from the local receive time; lag = receive time - exchange time.
struct derivatives_view {
  std::string currency;
  caf::optional<basis_reading> basis;
  caf::optional<skew_reading> skew;
  quant::basis_state basis_state = quant::basis_state::unknown;
  quant::basis_state basis_last_state = quant::basis_state::unknown;
  quant::skew_state skew_state = quant::skew_state::unknown;
  quant::skew_state skew_last_state = quant::skew_state::unknown;
  caf::timespan basis_age{0};
  caf::timespan skew_age{0};
  caf::timespan basis_lag{0};
  caf::timespan skew_lag{0};
};

/// Every currency the cache holds.
struct cache_contents {
  std::vector<derivatives_view> currencies;
};

/// Pushed to cache subscribers whenever a reading arrives.
struct derivatives_update {
  derivatives_view view;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, basis_point& x) {
  return f(caf::meta::type_name("basis_point"), x.instrument, x.dte_days, x.apr_pct, x.quarterly, x.below_min_dte,
           x.source);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, basis_reading& x) {
  return f(caf::meta::type_name("basis_reading"), x.currency, x.apr_pct, x.reason, x.instrument, x.dte_days,
           x.future_price, x.index_price, x.source, x.state, x.term_structure, x.perpetual_premium_pct, x.funding_8h,
           x.as_of, x.received, x.skipped_rows, x.expiry_disagreements);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, smile_entry& x) {
  return f(caf::meta::type_name("smile_entry"), x.expiry, x.dte_days, x.forward, x.put25_iv, x.call25_iv, x.atm_iv);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, skew_reading& x) {
  return f(caf::meta::type_name("skew_reading"), x.currency, x.skew_pct, x.reason, x.put25_iv, x.call25_iv, x.atm_iv,
           x.butterfly25, x.tenor_days, x.bracketed, x.expiries, x.state, x.smile, x.as_of, x.received,
           x.skipped_rows);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, derivatives_view& x) {
  return f(caf::meta::type_name("derivatives_view"), x.currency, x.basis, x.skew, x.basis_state, x.basis_last_state,
           x.skew_state, x.skew_last_state, x.basis_age, x.skew_age, x.basis_lag, x.skew_lag);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cache_contents& x) {
  return f(caf::meta::type_name("cache_contents"), x.currencies);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, derivatives_update& x) {
  return f(caf::meta::type_name("derivatives_update"), x.view);
}

} // namespace derivcache::messages
