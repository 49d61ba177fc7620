// Constant-maturity implied-volatility surface: ATM IV per tenor, and skew, normalized skew and butterfly per
// tenor and delta, read from each expiry's smile.
#pragma once

#include "quant/instrument.hpp"
#include "quant/option_rows.hpp"
#include "quant/records.hpp"
#include "quant/skew.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace derivcache::quant {

struct surface_params {
  std::vector<double> tenors_days{7, 30, 60, 90, 180};
  std::vector<double> deltas{0.10, 0.25};   ///< |delta| of the wings, each in (0, 0.5)
  double min_expiry_dte_days = 1;           ///< closer expiries are ignored
  std::optional<timestamp> as_of;           ///< default: newest creation_timestamp of the rows
  const expiry_table* expiries = nullptr;
};

/// The put and call IV (vol points) of one expiry at |delta| = `delta`; a leg without a bracketing pair is empty.
struct wing_point {
  double delta = 0;
  std::optional<double> put_iv;
  std::optional<double> call_iv;
};

/// One expiry of the surface: its ATM IV and its wings at every configured delta (in `surface_params` order).
struct expiry_smile : expiry_point {
  std::optional<double> atm_iv;
  std::vector<wing_point> wings;
  std::size_t rows = 0;

  /// The wing at `delta`, if it is a configured one.
  const wing_point* wing(double delta) const;
};

/// The ATM IV at a tenor, read from the expiries that have one.
struct atm_value : tenor_reading {
  double atm_iv = 0;
};

struct atm_record {
  double tenor_days = 0;
  std::optional<atm_value> value;
  skew_reason reason = skew_reason::no_rows;
};

/// Skew, normalized skew and butterfly at (tenor, delta), read from the expiries that have the put and the call at
/// the delta and an ATM IV; the pair can differ between deltas.
struct skew_record {
  double tenor_days = 0;
  double delta = 0;
  std::optional<skew_value> value;
  skew_reason reason = skew_reason::no_rows;
};

struct surface_result : chain_reading {
  skew_reason reason = skew_reason::no_rows;   ///< none, no_rows or no_usable_rows, for the chain as a whole
  std::vector<atm_record> atm;                 ///< one per tenor, in `surface_params` order
  std::vector<skew_record> skews;              ///< one per (tenor, delta), tenor-major, in `surface_params` order
  std::vector<expiry_smile> smile;             ///< ascending expiry, DTE >= min_expiry_dte_days

  /// The record at (tenor, delta) or the ATM record at a tenor, if they were asked for.
  const skew_record* find(double tenor_days, double delta) const;
  const atm_record* find_atm(double tenor_days) const;
};

surface_result compute_surface(const std::vector<option_summary>& options, const surface_params& params);
/// The same with the names already parsed (`names` from index_options on `options`, which applied the expiry
/// table: `params.expiries` is not read).
surface_result compute_surface(const std::vector<option_summary>& options, const option_chain& names,
                               const surface_params& params);

/// The headline skew from a surface that has (tenor_days, delta): its record as the value, the smile's wings at
/// the delta.
skew_result skew_of(const surface_result& surface, double tenor_days, double delta);

} // namespace derivcache::quant
