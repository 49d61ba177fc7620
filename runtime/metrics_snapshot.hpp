// Everything /metrics and /healthz look at, gathered at one instant: plain values, no actors.
#pragma once

#include "messages/readings.hpp"
#include "messages/status.hpp"
#include "runtime/fetch_stats.hpp"
#include "runtime/gateway_stats.hpp"
#include "runtime/latency_histogram.hpp"
#include "runtime/store_stats.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace derivcache::runtime {

/// One currency's readings as the cache reported them. No value: no reading yet (or none with a value).
struct currency_metrics {
  std::string currency;
  bool has_basis = false;                 ///< a basis reading arrived (with or without a value)
  bool has_skew = false;
  std::optional<double> basis_apr_pct;
  std::optional<double> skew_pct;
  std::chrono::nanoseconds basis_age{0};  ///< meaningful when has_basis
  std::chrono::nanoseconds skew_age{0};
  bool basis_stale = false;
  bool skew_stale = false;
  std::vector<messages::surface_tenor> surface;      ///< of the skew reading (kept last good values included)
  std::vector<messages::cm_basis_point> basis_cm;    ///< of the basis reading
  std::optional<messages::mfiv_record> mfiv;         ///< of the skew reading
  std::chrono::nanoseconds mfiv_age{0};              ///< meaningful when has_skew
  messages::dvol_record dvol;                        ///< with mfiv_minus_dvol, as the cache shows it
  std::chrono::nanoseconds dvol_age{0};              ///< since the close shown arrived; meaningful with dvol.close
};

currency_metrics to_currency_metrics(const messages::derivatives_view& view);

/// The Binance feed and the feature collector; all zero (and `enabled` false) until they exist.
struct feed_metrics {
  bool enabled = false;                   ///< a feed is configured: its health counts
  bool connected = false;
  uint64_t messages = 0;                  ///< data frames received
  uint64_t reconnects = 0;
  std::optional<std::chrono::nanoseconds> data_age;   ///< since the last data frame; none: no data yet
  uint64_t snapshot_captures = 0;
  uint64_t trades_dropped = 0;            ///< aggTrades the feed dropped behind a backlog
  uint64_t tickers_conflated = 0;         ///< bookTickers replaced by a newer one before the collector took them
  uint64_t queued_trades = 0;             ///< aggTrades waiting for the collector now
  uint64_t bad_time = 0;                  ///< collector: aggTrades with T or E over an hour ahead, dropped
  uint64_t bad_id = 0;                    ///< collector: ids far out of sequence, dropped
  uint64_t trades_late = 0;               ///< collector: trades too old for any window, dropped
};

/// The guard in front of the introspection port (net::basp_guard); zero when there is none.
struct introspection_metrics {
  uint64_t accepted = 0;                  ///< connections forwarded to CAF
  uint64_t refused_over_cap = 0;          ///< closed on accept: introspection.max-connections were open
  uint64_t closed_oversized = 0;          ///< announced a payload over introspection.max-payload
  uint64_t closed_handshake_timeout = 0;  ///< no whole frame within introspection.handshake-timeout
};

/// The introspection gateway (runtime::gateway_stats); `enabled` false when the engine has none.
struct gateway_metrics {
  bool enabled = false;
  bool up = false;
  uint64_t restarts = 0;
  std::array<uint64_t, refusal_names.size()> refused{};   ///< by runtime::refusal
};

gateway_metrics to_gateway_metrics(const gateway_stats& stats);

/// The store keeper (runtime::store_stats); `enabled` false when the engine has no store.
struct store_metrics {
  bool enabled = false;
  uint64_t write_failures = 0;
  uint64_t write_retries = 0;
  uint64_t records_failed = 0;
  uint64_t bars_dropped = 0;
  uint64_t pending_bars = 0;
  uint64_t bars_deleted = 0;
  uint64_t snapshots_deleted = 0;
  uint64_t checkpoints = 0;
  uint64_t checkpoints_incomplete = 0;
};

store_metrics to_store_metrics(const store_stats& stats);

struct metrics_snapshot {
  fetch_counts fetches;
  histogram_snapshot request_seconds;
  std::optional<messages::fetcher_status> fetcher;   ///< none: the supervisor did not answer
  std::string fetcher_error;                         ///< why not
  bool cache_answered = false;
  std::string cache_error;                           ///< why not
  std::vector<currency_metrics> currencies;
  feed_metrics feed;
  introspection_metrics introspection;
  gateway_metrics gateway;
  store_metrics store;
};

} // namespace derivcache::runtime
