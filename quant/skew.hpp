// The headline skew: the constant-maturity surface's record at one tenor and delta (default 30 days, 25 delta).
#pragma once

#include "quant/instrument.hpp"
#include "quant/records.hpp"
#include "quant/tenor.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace derivcache::quant {

/// Why there is no constant-maturity skew.
enum class skew_reason : uint8_t {
  none,              ///< a value exists
  no_rows,           ///< no option rows at all
  no_usable_rows,    ///< every row lacked a positive mark_iv / underlying_price or a valid name
  no_valid_expiry,   ///< no expiry has a put wing, a call wing and an ATM IV
  no_atm_expiry,     ///< no expiry has an ATM IV (surface ATM records)
};
std::string to_string(skew_reason x);

struct skew_params {
  double tenor_days = 30;
  double delta = 0.25;
  double min_expiry_dte_days = 1;          ///< closer expiries are ignored
  std::optional<timestamp> as_of;          ///< default: newest creation_timestamp of the rows
  const expiry_table* expiries = nullptr;
};

/// One expiry of the smile: the wings at +/- delta and the ATM IV, in vol points.
struct smile_point : expiry_point {
  std::optional<double> put_iv;
  std::optional<double> call_iv;
  std::optional<double> atm_iv;
  std::size_t rows = 0;
};

/// The constant-maturity reading at one tenor and delta; IVs in vol points.
struct skew_value : tenor_reading {
  double skew_pct = 0;          ///< put_iv - call_iv (the negative of the risk reversal)
  double put_iv = 0;
  double call_iv = 0;
  double atm_iv = 0;
  double butterfly = 0;         ///< (put_iv + call_iv) / 2 - atm_iv
  double skew_normalized = 0;   ///< (put_iv - call_iv) / atm_iv, a ratio (Velo's and Glassnode's convention)
  double delta = 0.25;
};

struct skew_result : chain_reading {
  std::optional<skew_value> value;
  skew_reason reason = skew_reason::no_rows;
  std::vector<smile_point> smile;   ///< ascending expiry, DTE >= min_expiry_dte_days
};

/// The surface (quant/surface.hpp) with one tenor and one delta, its record as the value.
skew_result compute_skew(const std::vector<option_summary>& options, const skew_params& params);

} // namespace derivcache::quant
