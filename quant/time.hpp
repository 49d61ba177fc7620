// Exchange time as quant sees it: milliseconds since the Unix epoch, UTC. quant never reads a clock.
#pragma once

#include <chrono>
#include <cstdint>

namespace derivcache::quant {

/// A point in exchange time (ms resolution, UTC), as Deribit and Binance stamp their data.
using timestamp = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

/// Days as a fractional count (DTE).
using days = std::chrono::duration<double, std::ratio<86400>>;

inline timestamp from_unix_ms(int64_t ms) { return timestamp{std::chrono::milliseconds{ms}}; }
inline int64_t to_unix_ms(timestamp t) { return t.time_since_epoch().count(); }

/// Fractional days from `from` to `to` (negative when `to` is earlier).
inline double days_between(timestamp from, timestamp to) { return days{to - from}.count(); }

/// ACT/365 year fraction, the convention of Deribit's greeks.
inline double years_between(timestamp from, timestamp to) { return days_between(from, to) / 365.0; }

} // namespace derivcache::quant
