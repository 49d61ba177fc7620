// Constant-maturity readings: which expiries a tenor is read from, and the interpolation between them.
#pragma once

#include "quant/time.hpp"

#include <cmath>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace derivcache::quant {

/// One expiry of a term structure, as the constant-maturity readings list it.
struct expiry_point {
  std::string expiry;           ///< "BTC-3APR26"
  timestamp expiry_time{};
  double dte_days = 0;
  double forward = 0;           ///< median underlying_price of the expiry's rows
};

/// Where a constant-maturity value was read: its tenor and the expiries it came from (its provenance).
struct tenor_reading {
  double tenor_days = 0;
  bool bracketed = false;              ///< true: interpolated between two expiries
  std::vector<std::string> expiries;   ///< the pair (near, far), or the one expiry used unchanged
};

/// The points a constant-maturity value at a tenor is read from (indices into the caller's points).
struct tenor_pair {
  std::size_t near = 0;      ///< the latest with DTE <= tenor; without a bracket, the point closest to the tenor
  std::size_t far = 0;       ///< the earliest with DTE > tenor; equal to `near` without a bracket
  bool bracketed = false;    ///< true: the tenor lies between `near` and `far`
};

/// The pair rule over the points `p` of `points` for which `usable(p)`: the latest with `dte(p)` <= tenor and the
/// earliest with `dte(p)` > tenor; without both, the one whose DTE is closest to the tenor (ties: the earlier),
/// unbracketed. Empty when no point is usable. Nothing is extrapolated.
template <class Points, class Dte, class Usable>
std::optional<tenor_pair> pick_tenor_pair(const Points& points, double tenor_days, Dte dte, Usable usable) {
  std::optional<std::size_t> near, far, closest;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const auto& p = points[i];
    if (!usable(p))
      continue;
    const double d = dte(p);
    if (d <= tenor_days && (!near || d > dte(points[*near])))
      near = i;
    if (d > tenor_days && (!far || d < dte(points[*far])))
      far = i;
    if (!closest) {
      closest = i;
      continue;
    }
    const double gap = std::abs(d - tenor_days);
    const double best = std::abs(dte(points[*closest]) - tenor_days);
    if (gap < best || (gap == best && d < dte(points[*closest])))
      closest = i;
  }
  if (near && far)
    return tenor_pair{*near, *far, true};
  if (closest)
    return tenor_pair{*closest, *closest, false};
  return std::nullopt;
}

/// Total-variance interpolation of an IV (vol points) to `t` between (t1, iv1) and (t2, iv2), times in days.
double interpolate_total_variance(double t1, double iv1, double t2, double iv2, double t);

/// Linear interpolation of `y` to `t` between (t1, y1) and (t2, y2).
double interpolate_linear(double t1, double y1, double t2, double y2, double t);

/// An IV (vol points) at the tenor from a pair: in total variance when bracketed, else the near point's own.
template <class Points, class Dte, class Iv>
double iv_at_tenor(const tenor_pair& pair, const Points& points, double tenor_days, Dte dte, Iv iv) {
  const auto& a = points[pair.near];
  if (!pair.bracketed)
    return iv(a);
  const auto& b = points[pair.far];
  return interpolate_total_variance(dte(a), iv(a), dte(b), iv(b), tenor_days);
}

/// The names of the pair's points, near first (one name without a bracket).
template <class Points, class Name>
std::vector<std::string> tenor_pair_names(const tenor_pair& pair, const Points& points, Name name) {
  if (!pair.bracketed)
    return {name(points[pair.near])};
  return {name(points[pair.near]), name(points[pair.far])};
}

} // namespace derivcache::quant
