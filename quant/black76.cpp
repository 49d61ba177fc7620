// Black-76 forward delta.
#include "quant/black76.hpp"

#include <cmath>

namespace derivcache::quant {

double norm_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

std::optional<double> forward_delta(option_type type, double forward, double strike, double sigma,
                                    double years_to_expiry) {
  const bool valid = std::isfinite(forward) && std::isfinite(strike) && std::isfinite(sigma) &&
                     std::isfinite(years_to_expiry) && forward > 0 && strike > 0 && sigma > 0 &&
                     years_to_expiry > 0;
  if (!valid)
    return std::nullopt;
  const double sd = sigma * std::sqrt(years_to_expiry);
  const double d1 = (std::log(forward / strike) + 0.5 * sd * sd) / sd;
  const double call = norm_cdf(d1);
  return type == option_type::call ? call : call - 1.0;
}

} // namespace derivcache::quant
