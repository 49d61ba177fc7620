// The JSON of the reading parts (surface, constant-maturity basis, MFIV, DVOL): one writer for `derivcache analyze`, the
// snapshots and `derivcache-inspect --json`, so the three show the same fields (docs/snapshots.md).
#pragma once

#include "codec/json_writer.hpp"
#include "messages/readings.hpp"

#include <vector>

namespace derivcache::runtime {

/// An array with one object per tenor: tenor_days, atm_iv, atm_bracketed, atm_expiries, atm_reason, atm_as_of_ms and
/// deltas (per delta: delta, put_iv, call_iv, atm_iv, skew, skew_normalized, butterfly, bracketed, expiries,
/// reason, as_of_ms). Values are null without a value, with the reason beside them.
void write_surface(codec::json_writer& w, const std::vector<messages::surface_tenor>& surface);

/// An array with one object per tenor: tenor_days, apr_pct, premium, bracketed, instruments, reason, as_of_ms.
void write_constant_maturity_basis(codec::json_writer& w, const std::vector<messages::cm_basis_point>& points);

/// An object: value_pct, tenor_days, bracketed, expiries, reason, as_of_ms, skipped_rows and, with `per_expiry`,
/// the strip per expiry (expiry, dte_days, forward, k0, strikes, variance, iv_pct, gap).
void write_mfiv(codec::json_writer& w, const messages::mfiv_record& mfiv, bool per_expiry);

/// An object: close, time_ms (the candle's start), candles, mfiv_minus_dvol, reason; close, time_ms and candles
/// are null without a close, with the reason beside them.
void write_dvol(codec::json_writer& w, const messages::dvol_record& dvol);

} // namespace derivcache::runtime
