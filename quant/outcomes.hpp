// Outcome labels of a recorded snapshot: what the price did over a fixed horizon after it, computed from
// 1-second bars. Pure and clock-free: the snapshot time and the bars are arguments.
//
// Definitions (docs/outcomes.md): S0 = floor(snapshot_ms / 1000); the window of a horizon of H seconds is
// the seconds S0+1 .. S0+H. Path: p(S0) = entry price (the snapshot's last trade price); p(s) = close of
// bar s when it has trades, else p(s-1). price = p(S0+H); return = price / entry - 1; max up = max(0,
// max high / entry - 1); max down = max(0, 1 - min low / entry) (highs and lows of bars with trades);
// realized vol = sqrt(sum_s ln(p(s)/p(s-1))^2 * 31536000 / H) * 100 (annualized, as in the snapshot's
// windows). A second is covered when a bar exists for it (any Binance data frame of the symbol arrived);
// the gap is the longest run of uncovered seconds; a window whose gap exceeds max_gap is incomplete.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace derivcache::quant {

/// One second of a symbol's feed. `trades` == 0: data frames arrived (book tickers) but no trade, so the
/// prices mean nothing.
struct second_bar {
  int64_t second = 0;         ///< Unix seconds
  double open = 0;
  double high = 0;
  double low = 0;
  double close = 0;
  double volume = 0;          ///< base units
  int64_t trades = 0;
};

/// The position a snapshot's attributes announce: favourable and adverse excursions follow it.
enum class trade_side : int8_t { none = 0, long_side = 1, short_side = -1 };

std::string to_string(trade_side x);

/// Why an outcome could not be labelled.
enum class outcome_issue : uint8_t { none, gap, no_entry_price };

std::string to_string(outcome_issue x);

struct outcome_window {
  int64_t snapshot_ms = 0;
  int64_t horizon_s = 0;
  std::optional<double> entry_price;
  trade_side side = trade_side::none;
  int64_t max_gap_s = 0;
};

struct outcome {
  outcome_issue issue = outcome_issue::none;   ///< none: labelled
  double price = 0;              ///< last trade price at the horizon
  double return_pct = 0;
  double max_up_pct = 0;
  double max_down_pct = 0;
  std::optional<double> favourable_pct;        ///< with a side only
  std::optional<double> adverse_pct;
  double realized_vol_pct = 0;
  int64_t trades = 0;            ///< trades in the window
  int64_t gap_s = 0;             ///< longest run of seconds without data in the window
  int64_t gap_start = 0;         ///< its first second (Unix seconds); 0 without a gap
};

/// Seconds floor-divided (correct for negative times too).
inline int64_t floor_second(int64_t ms) { return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000); }

/// The outcome of `w` from `bars` (sorted by second; bars outside the window are ignored).
outcome compute_outcome(const outcome_window& w, const std::vector<second_bar>& bars);

} // namespace derivcache::quant
