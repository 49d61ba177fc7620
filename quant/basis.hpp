// Annualized futures basis: nearest quarterly, the whole term structure, the perpetual premium and the basis at
// constant maturities.
#pragma once

#include "quant/instrument.hpp"
#include "quant/records.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace derivcache::quant {

/// Where a basis point's forward came from.
enum class basis_source : uint8_t {
  future,            ///< a listed future's mark_price
  synthetic_forward  ///< median underlying_price of the expiry's options (no listed future)
};
std::string to_string(basis_source x);

/// Why there is no nearest-quarterly basis.
enum class basis_reason : uint8_t {
  none,                  ///< a value exists
  no_rows,               ///< no usable futures (or, for synthetic forwards, option) rows
  no_quarterly,          ///< no quarterly expiry in the rows
  all_below_min_dte,     ///< every quarterly expires within min_dte
};
std::string to_string(basis_reason x);

struct basis_params {
  double min_dte_days = 7;                 ///< closer quarterlies are skipped (365/DTE explodes)
  std::optional<timestamp> as_of;          ///< default: newest creation_timestamp of the rows
  const expiry_table* expiries = nullptr;  ///< get_instruments expiries, which win over names
  bool synthetic_forward = false;          ///< quarterly expiries without a future use options' forward
};

/// ((F - S) / S) * (365 / DTE) * 100.
double annualized_basis_pct(double future_price, double index_price, double dte_days);

/// The nearest-quarterly basis reading.
struct basis_value {
  double apr_pct = 0;
  std::string instrument;       ///< the future, or the expiry label for a synthetic forward
  double dte_days = 0;
  double future_price = 0;      ///< F
  double index_price = 0;       ///< S (estimated_delivery_price)
  basis_source source = basis_source::future;
};

/// One dated expiry on the curve.
struct basis_point {
  std::string instrument;
  timestamp expiry{};
  double dte_days = 0;
  double apr_pct = 0;
  double future_price = 0;
  double index_price = 0;
  bool quarterly = false;
  bool below_min_dte = false;
  basis_source source = basis_source::future;
};

/// The perpetual's premium (not annualized).
struct perpetual_premium {
  std::string instrument;
  double premium_pct = 0;          ///< (F - S) / S * 100
  double mark_price = 0;
  double index_price = 0;
  std::optional<double> funding_8h;
};

struct basis_result : chain_reading {
  std::optional<basis_value> nearest;
  basis_reason reason = basis_reason::no_rows;
  std::vector<basis_point> term_structure;   ///< ascending expiry, DTE > 0 only
  std::optional<perpetual_premium> perpetual;
};

/// Computes basis from futures rows (and, with `synthetic_forward`, option rows).
basis_result compute_basis(const std::vector<future_summary>& futures,
                           const std::vector<option_summary>& options, const basis_params& params);

/// Why there is no constant-maturity basis at a tenor.
enum class cm_basis_reason : uint8_t {
  none,                ///< a value exists
  no_points,           ///< the term structure has no dated point
  all_below_min_dte,   ///< every dated point expires within min_dte
};
std::string to_string(cm_basis_reason x);

struct cm_basis_params {
  std::vector<double> tenors_days{30, 90};
};

/// The basis at a constant maturity: the premium (F - S) / S linear in time between the pair of points, annualized.
struct cm_basis_value {
  double apr_pct = 0;          ///< premium * 365 / tenor * 100; unbracketed: the point's own annualized basis
  double premium = 0;          ///< (F - S) / S at the tenor (a fraction); unbracketed: the point's own
  double tenor_days = 0;
  bool bracketed = false;      ///< true: interpolated between two points
  std::vector<std::string> instruments;   ///< the pair (near, far), or the one point used
};

struct cm_basis_record {
  double tenor_days = 0;
  std::optional<cm_basis_value> value;
  cm_basis_reason reason = cm_basis_reason::no_points;
};

/// One record per tenor (in `params` order) from the term structure's points with DTE >= min_dte (futures and the
/// synthetic forwards `compute_basis` put there).
std::vector<cm_basis_record> constant_maturity_basis(const basis_result& basis, const cm_basis_params& params);

} // namespace derivcache::quant
