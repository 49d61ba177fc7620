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

// The records of the surface, the constant-maturity basis and the MFIV: without a value, `reason` says why. A value
// with a reason beside it is the last good one, kept by the cache because the latest reading had none (the reason
// says why); `as_of` (exchange time) and `received` (local wall clock) are those of the chain it was read from.

/// The basis at a constant maturity (docs/methodology.md), percent a year.
struct cm_basis_point {
  double tenor_days = 0;
  caf::optional<double> apr_pct;
  std::string reason;
  double premium = 0;                     ///< (F - S) / S at the tenor, a fraction
  bool bracketed = false;                 ///< true: interpolated between two points
  std::vector<std::string> instruments;   ///< the pair (near, far), or the one point used
  caf::timestamp as_of;
  caf::timestamp received;
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
  std::vector<cm_basis_point> constant_maturity;   ///< one per basis.tenors
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

/// The ATM IV at one tenor of the surface, vol points.
struct surface_atm {
  caf::optional<double> atm_iv;
  std::string reason;
  bool bracketed = false;
  std::vector<std::string> expiries;   ///< the pair (near, far), or the one expiry used unchanged
  caf::timestamp as_of;
  caf::timestamp received;
};

/// The surface at one tenor and |delta|: put and call IV at the delta, and the ATM IV of the same pair of expiries.
struct surface_point {
  double delta = 0;
  caf::optional<double> skew_pct;      ///< put_iv - call_iv, vol points
  std::string reason;
  double put_iv = 0;
  double call_iv = 0;
  double atm_iv = 0;
  double skew_normalized = 0;          ///< skew_pct / atm_iv
  double butterfly = 0;                ///< (put_iv + call_iv) / 2 - atm_iv
  bool bracketed = false;
  std::vector<std::string> expiries;
  caf::timestamp as_of;
  caf::timestamp received;
};

/// One tenor of the surface: its ATM IV and one point per surface.deltas.
struct surface_tenor {
  double tenor_days = 0;
  surface_atm atm;
  std::vector<surface_point> deltas;
};

/// One expiry of the MFIV strip.
struct mfiv_expiry_entry {
  std::string expiry;
  double dte_days = 0;
  double forward = 0;
  caf::optional<double> k0;            ///< the largest listed strike <= forward
  uint64_t strikes = 0;                ///< strikes used, K0 included
  caf::optional<double> variance;      ///< sigma^2 per year, when the expiry counts
  caf::optional<double> iv_pct;        ///< 100 * sqrt(variance)
  std::string gap;                     ///< why the expiry does not count (empty when it does)
};

/// The model-free implied volatility at mfiv.tenor (the VIX method, as DVOL), vol points.
struct mfiv_record {
  caf::optional<double> value_pct;
  std::string reason;
  double tenor_days = 0;
  bool bracketed = false;
  std::vector<std::string> expiries;
  std::vector<mfiv_expiry_entry> per_expiry;
  caf::timestamp as_of;
  caf::timestamp received;
  uint64_t skipped_rows = 0;           ///< rows without a positive mark_price or underlying_price, bad names
};

/// Deribit's DVOL (its 30-day implied-volatility index, read from one-minute candles), vol points. The record
/// follows the rules of the others: without `close`, `reason` says why; with both, `close` is the last good one.
struct dvol_record {
  caf::optional<double> close;            ///< the newest candle's close
  std::string reason;
  caf::timestamp time;                    ///< that candle's start (exchange time)
  uint64_t candles = 0;                   ///< candles in the answer
  caf::timestamp received;                ///< local wall-clock time the answer arrived
  caf::optional<double> mfiv_minus_dvol;  ///< views only: the cached MFIV minus `close`, vol points; none when
                                          ///< either is missing
};

/// The headline skew (put - call at skew.tenor and skew.delta, default 30 days and 25 delta) with ATM, butterfly
/// and the smile, plus the surface and the MFIV, for one currency. The headline fields keep their names
/// (`put25_iv`, ...) whatever skew.delta is.
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
  std::vector<surface_tenor> surface;   ///< one per surface.tenors
  mfiv_record mfiv;
};

/// The age of a record the cache may have kept from an earlier (or taken from a later) reading than the one shown:
/// the shown reading's age plus how much earlier (local wall clock) the record's chain arrived; never negative.
inline caf::timespan part_age(caf::timespan reading_age, caf::timestamp reading_received,
                              caf::timestamp part_received) {
  const auto age = reading_age + (reading_received - part_received);
  return age < caf::timespan{0} ? caf::timespan{0} : age;
}

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
  caf::timespan mfiv_age{0};   ///< of skew->mfiv (part_age)
  dvol_record dvol;            ///< no close for a currency without DVOL ("not listed for SOL") or before the first
  caf::timespan dvol_age{0};   ///< since the shown close arrived
};

/// One cycle's DVOL answer of one currency (a currency without DVOL gets none), from the fetcher to the cache.
struct dvol_update {
  std::string currency;
  dvol_record record;                        ///< without close: the request failed or its body was unusable
  caf::optional<caf::timestamp> chain_received;   ///< `received` of the same cycle's chain (and so of its
                                                  ///< readings); none when that chain failed
};

/// Every currency the cache holds.
struct cache_contents {
  std::vector<derivatives_view> currencies;
};

/// Pushed to cache subscribers whenever a reading arrives. Built once per update: every subscriber (and, through
/// the introspection gateway, every remote one) gets the same message.
struct derivatives_update {
  derivatives_view view;
  caf::timestamp pushed;   ///< when the cache holder pushed it (system clock, ns): receipt - pushed = delivery latency
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, basis_point& x) {
  return f(caf::meta::type_name("basis_point"), x.instrument, x.dte_days, x.apr_pct, x.quarterly, x.below_min_dte,
           x.source);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cm_basis_point& x) {
  return f(caf::meta::type_name("cm_basis_point"), x.tenor_days, x.apr_pct, x.reason, x.premium, x.bracketed,
           x.instruments, x.as_of, x.received);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, basis_reading& x) {
  return f(caf::meta::type_name("basis_reading"), x.currency, x.apr_pct, x.reason, x.instrument, x.dte_days,
           x.future_price, x.index_price, x.source, x.state, x.term_structure, x.perpetual_premium_pct, x.funding_8h,
           x.as_of, x.received, x.skipped_rows, x.expiry_disagreements, x.constant_maturity);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, smile_entry& x) {
  return f(caf::meta::type_name("smile_entry"), x.expiry, x.dte_days, x.forward, x.put25_iv, x.call25_iv, x.atm_iv);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, surface_atm& x) {
  return f(caf::meta::type_name("surface_atm"), x.atm_iv, x.reason, x.bracketed, x.expiries, x.as_of, x.received);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, surface_point& x) {
  return f(caf::meta::type_name("surface_point"), x.delta, x.skew_pct, x.reason, x.put_iv, x.call_iv, x.atm_iv,
           x.skew_normalized, x.butterfly, x.bracketed, x.expiries, x.as_of, x.received);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, surface_tenor& x) {
  return f(caf::meta::type_name("surface_tenor"), x.tenor_days, x.atm, x.deltas);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, mfiv_expiry_entry& x) {
  return f(caf::meta::type_name("mfiv_expiry_entry"), x.expiry, x.dte_days, x.forward, x.k0, x.strikes, x.variance,
           x.iv_pct, x.gap);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, mfiv_record& x) {
  return f(caf::meta::type_name("mfiv_record"), x.value_pct, x.reason, x.tenor_days, x.bracketed, x.expiries,
           x.per_expiry, x.as_of, x.received, x.skipped_rows);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, skew_reading& x) {
  return f(caf::meta::type_name("skew_reading"), x.currency, x.skew_pct, x.reason, x.put25_iv, x.call25_iv, x.atm_iv,
           x.butterfly25, x.tenor_days, x.bracketed, x.expiries, x.state, x.smile, x.as_of, x.received,
           x.skipped_rows, x.surface, x.mfiv);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dvol_record& x) {
  return f(caf::meta::type_name("dvol_record"), x.close, x.reason, x.time, x.candles, x.received, x.mfiv_minus_dvol);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dvol_update& x) {
  return f(caf::meta::type_name("dvol_update"), x.currency, x.record, x.chain_received);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, derivatives_view& x) {
  return f(caf::meta::type_name("derivatives_view"), x.currency, x.basis, x.skew, x.basis_state, x.basis_last_state,
           x.skew_state, x.skew_last_state, x.basis_age, x.skew_age, x.basis_lag, x.skew_lag, x.mfiv_age, x.dvol,
           x.dvol_age);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cache_contents& x) {
  return f(caf::meta::type_name("cache_contents"), x.currencies);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, derivatives_update& x) {
  return f(caf::meta::type_name("derivatives_update"), x.view, x.pushed);
}

} // namespace derivcache::messages
