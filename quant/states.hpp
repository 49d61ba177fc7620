// Market states for basis and skew, with configurable thresholds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace derivcache::quant {

/// Basis regime. `stale` is set by the cache when a reading outlives its max age, never by classify().
enum class basis_state : uint8_t { unknown, backwardation, neutral, contango, extreme_contango, stale };
/// Skew regime (skew = put IV - call IV). `stale` as for basis.
enum class skew_state : uint8_t { unknown, greed, neutral, fear, extreme_fear, stale };

std::string to_string(basis_state x);
std::string to_string(skew_state x);
std::optional<basis_state> parse_basis_state(const std::string& text);
std::optional<skew_state> parse_skew_state(const std::string& text);

/// basis > extreme_contango: EXTREME_CONTANGO; >= contango: CONTANGO; >= neutral: NEUTRAL; else BACKWARDATION.
struct basis_thresholds {
  double extreme_contango = 20;
  double contango = 10;
  double neutral = -5;
};

/// skew > extreme_fear: EXTREME_FEAR; >= fear: FEAR; >= neutral: NEUTRAL; else GREED.
struct skew_thresholds {
  double extreme_fear = 10;
  double fear = 5;
  double neutral = -5;
};

/// Empty when the thresholds are finite and strictly decreasing; else what is wrong.
std::optional<std::string> validate(const basis_thresholds& t);
std::optional<std::string> validate(const skew_thresholds& t);

/// Classifies an unrounded value; NaN or no value gives unknown.
basis_state classify(std::optional<double> basis_apr_pct, const basis_thresholds& t);
skew_state classify(std::optional<double> skew_pct, const skew_thresholds& t);

} // namespace derivcache::quant
