// Black-76 forward delta, Deribit's convention for `greeks.delta` (r = 0, ACT/365).
#pragma once

#include "quant/instrument.hpp"

#include <optional>

namespace derivcache::quant {

/// Standard normal cumulative distribution.
double norm_cdf(double x);

/// Forward (undiscounted, not premium-adjusted) delta: call N(d1), put N(d1) - 1, with
/// d1 = (ln(F/K) + sigma^2 T / 2) / (sigma sqrt(T)). Empty when an input is not positive or finite.
std::optional<double> forward_delta(option_type type, double forward, double strike, double sigma,
                                    double years_to_expiry);

} // namespace derivcache::quant
