// Market states for basis and skew.
#include "quant/states.hpp"

#include "quant/enum_names.hpp"

#include <array>
#include <cmath>
#include <sstream>

namespace derivcache::quant {

namespace {

std::string number(double x) {
  std::ostringstream os;
  os << x;
  return os.str();
}

std::optional<std::string> check_order(const char* hi_name, double hi, const char* mid_name, double mid,
                                       const char* lo_name, double lo) {
  for (auto [name, v] : {std::pair{hi_name, hi}, {mid_name, mid}, {lo_name, lo}})
    if (!std::isfinite(v))
      return std::string{name} + " is not a finite number";
  if (!(hi > mid))
    return std::string{hi_name} + " (" + number(hi) + ") must be greater than " + mid_name + " (" +
           number(mid) + ")";
  if (!(mid > lo))
    return std::string{mid_name} + " (" + number(mid) + ") must be greater than " + lo_name + " (" +
           number(lo) + ")";
  return std::nullopt;
}

/// Both states climb one ladder: unknown without a value, then above the top limit, at or above the
/// middle one, at or above the bottom one, else the lowest state.
template <class State>
State climb(std::optional<double> v, const std::array<double, 3>& limits, const std::array<State, 5>& states) {
  if (!v || std::isnan(*v))
    return states[0];
  if (*v > limits[0])
    return states[1];
  if (*v >= limits[1])
    return states[2];
  if (*v >= limits[2])
    return states[3];
  return states[4];
}

using bs = basis_state;
using ss = skew_state;

constexpr name_table<bs, 6> basis_names{{{bs::unknown, "UNKNOWN"}, {bs::backwardation, "BACKWARDATION"},
                                         {bs::neutral, "NEUTRAL"}, {bs::contango, "CONTANGO"},
                                         {bs::extreme_contango, "EXTREME_CONTANGO"}, {bs::stale, "STALE"}}};
constexpr name_table<ss, 6> skew_names{{{ss::unknown, "UNKNOWN"}, {ss::greed, "GREED"}, {ss::neutral, "NEUTRAL"},
                                        {ss::fear, "FEAR"}, {ss::extreme_fear, "EXTREME_FEAR"}, {ss::stale, "STALE"}}};

} // namespace

std::string to_string(basis_state x) { return name_of(basis_names, x, "UNKNOWN"); }
std::string to_string(skew_state x) { return name_of(skew_names, x, "UNKNOWN"); }
std::optional<basis_state> parse_basis_state(const std::string& text) { return value_of(basis_names, text); }
std::optional<skew_state> parse_skew_state(const std::string& text) { return value_of(skew_names, text); }

std::optional<std::string> validate(const basis_thresholds& t) {
  return check_order("extreme_contango", t.extreme_contango, "contango", t.contango, "neutral", t.neutral);
}

std::optional<std::string> validate(const skew_thresholds& t) {
  return check_order("extreme_fear", t.extreme_fear, "fear", t.fear, "neutral", t.neutral);
}

basis_state classify(std::optional<double> v, const basis_thresholds& t) {
  return climb<bs>(v, {t.extreme_contango, t.contango, t.neutral},
                   {bs::unknown, bs::extreme_contango, bs::contango, bs::neutral, bs::backwardation});
}

skew_state classify(std::optional<double> v, const skew_thresholds& t) {
  return climb<ss>(v, {t.extreme_fear, t.fear, t.neutral},
                   {ss::unknown, ss::extreme_fear, ss::fear, ss::neutral, ss::greed});
}

} // namespace derivcache::quant
