// The parts of a reading made from quant's results: the calculators and `derivcache analyze` share them, so the
// engine and the command report the same records.
#pragma once

#include "messages/readings.hpp"
#include "quant/basis.hpp"
#include "quant/dvol.hpp"
#include "quant/mfiv.hpp"
#include "quant/surface.hpp"

#include <caf/timestamp.hpp>

#include <vector>

namespace derivcache::messages {

/// One record per tenor in `params` order, each with its ATM and one point per delta. A chain without usable rows
/// still yields every record, without a value and with the chain's reason.
std::vector<surface_tenor> to_surface(const quant::surface_result& r, const quant::surface_params& params,
                                      caf::timestamp received);

/// One record per tenor of `records`; `as_of` is the futures rows' time.
std::vector<cm_basis_point> to_constant_maturity(const std::vector<quant::cm_basis_record>& records,
                                                 quant::timestamp as_of, caf::timestamp received);

/// The MFIV record at `tenor_days` (the tenor `r` was computed for) with its per-expiry table.
mfiv_record to_mfiv(const quant::mfiv_result& r, double tenor_days, caf::timestamp received);

/// The DVOL record of a decoded answer (its newest candle); `mfiv_minus_dvol` = `mfiv_pct` - close when there is
/// an MFIV value.
dvol_record to_dvol(const quant::dvol_reading& d, caf::timestamp received, caf::optional<double> mfiv_pct = caf::none);

} // namespace derivcache::messages
