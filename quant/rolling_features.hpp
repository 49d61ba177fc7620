// Rolling-window trade features by exchange trade time: taker volumes, counts, VWAP, imbalance and
// realized volatility from 1-second log returns. Pure and clock-free: time is the trade's `T`.
//
// Definitions (docs/snapshots.md): latest = the largest `T` seen; a window of W seconds holds the trades
// with T > latest - W*1000 ms. Second of a trade = floor(T / 1000). The close of a second is the price of
// its last trade; a second without trades carries the previous close. The window's returns are
// r_s = ln(close_s / close_{s-1}) for every second s in (S - W, S] (S = floor(latest / 1000)) that has a
// previous close; realized vol = sqrt(sum r_s^2 * 31536000 / W) * 100 (no mean subtracted).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

namespace derivcache::quant {

/// One aggregated trade as the window math needs it.
struct trade_sample {
  int64_t time_ms = 0;        ///< `T`, ms since the epoch
  double price = 0;
  double quantity = 0;        ///< base units
  int64_t trade_count = 1;    ///< l - f + 1
  bool taker_buy = false;     ///< !m
};

/// Features of one window.
struct window_stats {
  int64_t window_seconds = 0;
  double taker_buy_volume = 0;
  double taker_sell_volume = 0;
  int64_t trade_count = 0;
  std::optional<double> vwap;              ///< none without volume
  std::optional<double> taker_imbalance;   ///< none without volume
  std::optional<double> realized_vol_pct;  ///< none without a single return
  int64_t returns = 0;                     ///< seconds with a previous close inside the window
  int64_t missing_trades = 0;              ///< trades known to be missing (dropped upstream) within the window
};

/// Trades of one symbol over the longest window it is asked about.
class rolling_features {
public:
  /// `longest` bounds what is kept (and what stats() can answer).
  explicit rolling_features(std::chrono::seconds longest = std::chrono::seconds{300});

  /// Adds a trade. Trades older than the longest window before the latest one are dropped (false).
  bool add(const trade_sample& t);

  /// Records `trades` trades up to `latest_time_ms` that never arrived (dropped upstream): every window that
  /// reaches back to that time reports them in `missing_trades` (it is incomplete) until it moves past it.
  void mark_missing(int64_t latest_time_ms, int64_t trades);

  /// Features of the window of `window` seconds ending at the latest trade (window <= longest).
  window_stats stats(std::chrono::seconds window) const;

  std::optional<int64_t> latest_time_ms() const { return latest_ms_; }
  std::optional<double> last_price() const { return last_price_; }

private:
  /// The trades of one second of trade time and their sums, so that stats() adds up whole seconds and
  /// scans trades only in the second where the window starts (a capture stays O(seconds), not O(trades)).
  struct second_bucket {
    int64_t second = 0;
    double taker_buy_volume = 0;
    double taker_sell_volume = 0;
    double notional = 0;
    int64_t trade_count = 0;
    std::vector<trade_sample> trades;
  };

  void evict();

  int64_t longest_ms_;
  std::deque<second_bucket> buckets_;                ///< ascending second, all within the longest window
  std::deque<std::pair<int64_t, double>> closes_;    ///< (second, close), ascending; one before the window kept
  std::deque<std::pair<int64_t, int64_t>> missing_;  ///< (latest time ms, trades) of each gap, in arrival order
  std::optional<int64_t> latest_ms_;
  std::optional<double> last_price_;
};

} // namespace derivcache::quant
