// The surface, MFIV, DVOL and constant-maturity basis records of the bundled real data, made as the calculators make
// them (quant's defaults: tenors 7, 30, 60, 90, 180 days, deltas 0.10 and 0.25, MFIV at 30 days, basis at 30 and 90).
#pragma once

#include "messages/from_quant.hpp"
#include "support/fixtures.hpp"

#include <chrono>
#include <vector>

namespace derivcache::test {

/// The newest creation_timestamp of the real option chain: 2026-03-13 19:00:15.542 UTC.
inline constexpr int64_t real_chain_as_of_ms = 1773428415542;

inline std::vector<messages::surface_tenor> real_surface_records(caf::timestamp received) {
  quant::surface_params p;
  return messages::to_surface(quant::compute_surface(btc_chain_2026(), p), p, received);
}

inline messages::mfiv_record real_mfiv_record(caf::timestamp received) {
  quant::mfiv_params p;
  return messages::to_mfiv(quant::compute_mfiv(btc_chain_2026(), p), p.tenor_days, received);
}

/// DVOL's newest candle in the recorded get_volatility_index_data answer (35.47 at 2026-09-20T12:00Z, 15 candles),
/// with the MFIV of the real chain minus it.
inline messages::dvol_record real_dvol_record(caf::timestamp received) {
  const quant::dvol_reading d{35.47, quant::timestamp{std::chrono::milliseconds{1789905600000}}, 15};
  return messages::to_dvol(d, received, real_mfiv_record(received).value_pct);
}

inline std::vector<messages::cm_basis_point> real_basis_cm_records(caf::timestamp received) {
  auto basis = quant::compute_basis(btc_futures_2025(), {}, {});
  return messages::to_constant_maturity(quant::constant_maturity_basis(basis, {}), basis.as_of, received);
}

/// The record at `tenor_days` (and `delta`), or null.
inline const messages::surface_tenor* find_tenor(const std::vector<messages::surface_tenor>& surface,
                                                 double tenor_days) {
  for (const auto& t : surface)
    if (t.tenor_days == tenor_days)
      return &t;
  return nullptr;
}

inline const messages::surface_point* find_point(const std::vector<messages::surface_tenor>& surface,
                                                 double tenor_days, double delta) {
  if (auto t = find_tenor(surface, tenor_days))
    for (const auto& p : t->deltas)
      if (p.delta == delta)
        return &p;
  return nullptr;
}

} // namespace derivcache::test
