// Constant-maturity interpolation between two expiries.
#include "quant/tenor.hpp"

namespace derivcache::quant {

double interpolate_total_variance(double t1, double iv1, double t2, double iv2, double t) {
  const double w2 = (t - t1) / (t2 - t1);
  const double total_variance = iv1 * iv1 * t1 * (1 - w2) + iv2 * iv2 * t2 * w2;
  return std::sqrt(total_variance / t);
}

double interpolate_linear(double t1, double y1, double t2, double y2, double t) {
  return y1 + (y2 - y1) * (t - t1) / (t2 - t1);
}

} // namespace derivcache::quant
