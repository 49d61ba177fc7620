// Model-free implied volatility at a constant maturity (Cboe's VIX method, as Deribit's DVOL) from mark prices.
#pragma once

#include "quant/option_rows.hpp"   // option rows, their parsed names, the expiry table
#include "quant/tenor.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace derivcache::quant {

/// Why one expiry does not count.
enum class mfiv_gap : uint8_t {
  none,                    ///< it counts
  no_k0,                   ///< no listed strike at or below the forward
  one_sided,               ///< no strike used below K0, or none above
  non_positive_variance,   ///< the sum came out <= 0
};
std::string to_string(mfiv_gap x);

/// Why there is no model-free implied volatility.
enum class mfiv_reason : uint8_t {
  none,              ///< a value exists
  no_rows,           ///< no option rows at all
  no_usable_rows,    ///< every row lacked a positive mark_price / underlying_price or a valid name
  no_valid_expiry,   ///< no expiry has a strike on each side of K0 and a positive variance
};
std::string to_string(mfiv_reason x);

struct mfiv_params {
  double tenor_days = 30;
  double min_expiry_dte_days = 1;          ///< closer expiries are ignored
  std::optional<timestamp> as_of;          ///< default: newest creation_timestamp of the rows
  const expiry_table* expiries = nullptr;
};

/// One expiry's model-free variance; `forward` is F, the median underlying_price of its rows with a mark_price.
struct mfiv_expiry : expiry_point {
  std::optional<double> k0;          ///< the largest listed strike <= F
  std::size_t strikes = 0;           ///< strikes used, K0 included
  std::optional<double> variance;    ///< sigma^2 per year (a fraction), when the expiry counts
  std::optional<double> iv_pct;      ///< 100 * sqrt(variance), vol points
  mfiv_gap gap = mfiv_gap::none;
  std::size_t rows = 0;
};

/// The constant-maturity reading.
struct mfiv_value : tenor_reading {
  double iv_pct = 0;                 ///< 100 * sqrt(sigma^2 at the tenor), vol points; in total variance between two
};

struct mfiv_result : chain_reading {
  std::optional<mfiv_value> value;
  mfiv_reason reason = mfiv_reason::no_rows;
  std::vector<mfiv_expiry> expiries;   ///< ascending expiry, DTE >= min_expiry_dte_days
};

/// Option prices in the quote currency: inverse rows (BTC, ETH) are `mark_price * underlying_price`, linear rows
/// (`SOL_USDC`) `mark_price`.
mfiv_result compute_mfiv(const std::vector<option_summary>& options, const mfiv_params& params);
/// The same with the names already parsed (`names` from index_options on `options`, which applied the expiry
/// table: `params.expiries` is not read).
mfiv_result compute_mfiv(const std::vector<option_summary>& options, const option_chain& names,
                         const mfiv_params& params);

} // namespace derivcache::quant
