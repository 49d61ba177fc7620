// 30-day constant-maturity 25-delta skew (put IV - call IV), ATM IV, butterfly and the smile term structure.
#pragma once

#include "quant/instrument.hpp"
#include "quant/records.hpp"

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
struct smile_point {
  std::string expiry;           ///< "BTC-3APR26"
  timestamp expiry_time{};
  double dte_days = 0;
  double forward = 0;           ///< median underlying_price of the expiry
  std::optional<double> put_iv;
  std::optional<double> call_iv;
  std::optional<double> atm_iv;
  std::size_t rows = 0;
};

/// The constant-maturity reading.
struct skew_value {
  double skew_pct = 0;          ///< put_iv - call_iv (the negative of the risk reversal)
  double put_iv = 0;
  double call_iv = 0;
  double atm_iv = 0;
  double butterfly = 0;         ///< (put_iv + call_iv) / 2 - atm_iv
  double tenor_days = 30;
  bool bracketed = false;       ///< true: interpolated between two expiries
  std::vector<std::string> expiries;
};

struct skew_result {
  std::optional<skew_value> value;
  skew_reason reason = skew_reason::no_rows;
  std::vector<smile_point> smile;   ///< ascending expiry, DTE >= min_expiry_dte_days
  timestamp as_of{};
  std::size_t skipped_rows = 0;     ///< no/non-positive mark_iv or underlying_price, bad name
  std::size_t expiry_disagreements = 0;
};

skew_result compute_skew(const std::vector<option_summary>& options, const skew_params& params);

/// Total-variance interpolation of an IV (vol points) to `t` between (t1, iv1) and (t2, iv2), times in days.
double interpolate_total_variance(double t1, double iv1, double t2, double iv2, double t);

} // namespace derivcache::quant
