// Market states for basis and skew.
#include "quant/states.hpp"

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

} // namespace

std::string to_string(basis_state x) {
  switch (x) {
    case basis_state::unknown: return "UNKNOWN";
    case basis_state::backwardation: return "BACKWARDATION";
    case basis_state::neutral: return "NEUTRAL";
    case basis_state::contango: return "CONTANGO";
    case basis_state::extreme_contango: return "EXTREME_CONTANGO";
    case basis_state::stale: return "STALE";
  }
  return "UNKNOWN";
}

std::string to_string(skew_state x) {
  switch (x) {
    case skew_state::unknown: return "UNKNOWN";
    case skew_state::greed: return "GREED";
    case skew_state::neutral: return "NEUTRAL";
    case skew_state::fear: return "FEAR";
    case skew_state::extreme_fear: return "EXTREME_FEAR";
    case skew_state::stale: return "STALE";
  }
  return "UNKNOWN";
}

std::optional<basis_state> parse_basis_state(const std::string& text) {
  for (auto x : {basis_state::unknown, basis_state::backwardation, basis_state::neutral,
                 basis_state::contango, basis_state::extreme_contango, basis_state::stale})
    if (to_string(x) == text)
      return x;
  return std::nullopt;
}

std::optional<skew_state> parse_skew_state(const std::string& text) {
  for (auto x : {skew_state::unknown, skew_state::greed, skew_state::neutral, skew_state::fear,
                 skew_state::extreme_fear, skew_state::stale})
    if (to_string(x) == text)
      return x;
  return std::nullopt;
}

std::optional<std::string> validate(const basis_thresholds& t) {
  return check_order("extreme_contango", t.extreme_contango, "contango", t.contango, "neutral", t.neutral);
}

std::optional<std::string> validate(const skew_thresholds& t) {
  return check_order("extreme_fear", t.extreme_fear, "fear", t.fear, "neutral", t.neutral);
}

basis_state classify(std::optional<double> v, const basis_thresholds& t) {
  if (!v || std::isnan(*v))
    return basis_state::unknown;
  if (*v > t.extreme_contango)
    return basis_state::extreme_contango;
  if (*v >= t.contango)
    return basis_state::contango;
  if (*v >= t.neutral)
    return basis_state::neutral;
  return basis_state::backwardation;
}

skew_state classify(std::optional<double> v, const skew_thresholds& t) {
  if (!v || std::isnan(*v))
    return skew_state::unknown;
  if (*v > t.extreme_fear)
    return skew_state::extreme_fear;
  if (*v >= t.fear)
    return skew_state::fear;
  if (*v >= t.neutral)
    return skew_state::neutral;
  return skew_state::greed;
}

} // namespace derivcache::quant
