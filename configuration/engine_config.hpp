// The engine's configuration: one struct per INI section, composed into engine_config. The member
// initializers are the defaults (config/live.ini and docs/configuration.md show the same values).
#pragma once

#include "quant/states.hpp"

#include <caf/timespan.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace derivcache::configuration {

/// [deribit]: where and how often the futures and options chains are fetched.
struct deribit_settings {
  std::string url = "https://www.deribit.com";                     ///< https://host[:port][/prefix]
  caf::timespan interval = std::chrono::seconds{300};               ///< fetch cycle period
  caf::timespan timeout = std::chrono::seconds{10};                 ///< per request, at least 1ms
  std::string ca_file;                                              ///< extra trust anchors; system store always used
  int64_t max_body = int64_t{16} << 20;                             ///< bytes, on the wire and inflated
  std::string compression = "gzip";                                 ///< gzip | none: Accept-Encoding
  std::vector<std::string> currencies{"BTC", "ETH", "SOL"};
  double min_dte = 7;                                               ///< days
  double max_requests_per_second = 5;                               ///< book summaries (burst = this)
  // Not keys (code only): get_instruments pacing.
  caf::timespan instruments_interval = std::chrono::hours{1};
  double instruments_requests_per_second = 0.1;
  double instruments_burst = 5;
};

/// [supervisor]: restarts of the fetcher after failures.
struct supervisor_settings {
  caf::timespan min_backoff = std::chrono::seconds{1};
  caf::timespan rate_limit_min_backoff = std::chrono::seconds{5};
  caf::timespan max_backoff = std::chrono::seconds{300};
  int64_t max_failures = 5;                                         ///< consecutive, before DEGRADED
};

/// [cache]
struct cache_settings {
  std::optional<caf::timespan> max_age;                             ///< unset: 3 x deribit.interval
};

/// [thresholds]: the state boundaries of basis and skew.
struct thresholds_settings {
  quant::basis_thresholds basis;
  quant::skew_thresholds skew;
};

/// [surface]: the constant-maturity implied-volatility surface (docs/methodology.md).
struct surface_settings {
  std::vector<double> tenors{7, 30, 60, 90, 180};                  ///< days
  std::vector<double> deltas{0.10, 0.25};                          ///< |delta| of the wings, each in (0, 0.5)
};

/// [skew]: the headline skew, classified by thresholds.skew-*: the surface's record at (tenor, delta), so both
/// must be among surface.tenors and surface.deltas.
struct skew_settings {
  double tenor = 30;                                                ///< days
  double delta = 0.25;
};

/// [basis]: the basis at constant maturities (the headline basis stays the nearest quarterly, deribit.min-dte).
struct basis_settings {
  std::vector<double> tenors{30, 90};                               ///< days
};

/// [mfiv]: the model-free implied volatility (the VIX method, as DVOL).
struct mfiv_settings {
  double tenor = 30;                                                ///< days
};

/// [binance]: the spot WebSocket feed and the feature collector; off when `symbols` is empty.
struct binance_settings {
  std::string url = "wss://stream.binance.com:9443";               ///< wss://host[:port]
  std::vector<std::string> symbols{"BTCUSDT"};                      ///< any case
  std::string ca_file;
  caf::timespan timeout = std::chrono::seconds{10};                 ///< TCP + TLS + WebSocket handshake, at least 1ms
  caf::timespan min_backoff = std::chrono::seconds{1};
  caf::timespan max_backoff = std::chrono::seconds{60};
  caf::timespan stale_after = std::chrono::seconds{30};             ///< no data frame: reconnect; spot inputs STALE
  int64_t max_queued_trades = 20000;                                ///< trades waiting for the collector; 1 to 10^7
  std::map<std::string, std::string> symbol_currencies;             ///< symbol -> currency (default: base asset)
};

/// [snapshots]: periodic feature snapshots.
struct snapshots_settings {
  caf::timespan interval{0};                                        ///< 0: off
  std::string path = "snapshots.jsonl";                             ///< JSON lines
  bool record = false;                                              ///< also record them in the store
  int64_t max_file_size = 64 * 1024 * 1024;                         ///< bytes; the file is rotated before it would pass this; 0: no size limit
  std::string fsync = "rotate";                                     ///< never | rotate | every-write
};

/// [store]: the SQLite feature/label store (docs/outcomes.md).
struct store_settings {
  std::string path;                                                 ///< empty: off
  caf::timespan reap_interval = std::chrono::seconds{1};            ///< not a key: how often due outcomes are labelled
  caf::timespan busy_timeout = std::chrono::seconds{5};             ///< wait for a locked database, then the write fails (and is retried)
  int64_t max_pending_bars = 3600;                                  ///< per symbol, waiting for a failing store; older ones are dropped
  caf::timespan retention = std::chrono::hours{7 * 24};             ///< bars older than this are deleted; 0s: kept forever
  caf::timespan snapshot_retention{0};                              ///< labelled snapshots older than this are deleted; 0s: kept
  caf::timespan maintenance_interval = std::chrono::minutes{1};     ///< retention deletes and a WAL checkpoint
};

/// [outcomes]
struct outcomes_settings {
  std::vector<caf::timespan> horizons{std::chrono::minutes{5}, std::chrono::minutes{15}, std::chrono::hours{1}};
  caf::timespan max_gap = std::chrono::seconds{30};                 ///< longer feed gaps: outcome incomplete
};

/// [introspection]: the CAF middleman port (the host loads caf::io::middleman, and caf::openssl::manager
/// with the openssl.* options for TLS). The actor exists locally either way.
struct introspection_settings {
  int64_t port = -1;                                                ///< -1: not published, 0: ephemeral
  std::string host = "127.0.0.1";
  int64_t max_subscribers = 16;
  bool allow_control = false;
  bool allow_record = false;
  bool plaintext_remote_control = false;   ///< allow-control/allow-record on a non-loopback host without TLS
  std::string tls_cert, tls_key, tls_ca;                            ///< all three or none
  int64_t max_connections = 64;                                     ///< open plain connections at once
  int64_t max_payload = 4 * 1024 * 1024;                            ///< bytes one BASP frame may announce
  caf::timespan handshake_timeout = std::chrono::seconds{10};       ///< until a connection's first whole frame

  bool tls() const { return !tls_cert.empty() && !tls_key.empty() && !tls_ca.empty(); }
};

/// [metrics]: Prometheus metrics and health over HTTP.
struct metrics_settings {
  int64_t port = -1;                                                ///< -1: off, 0: ephemeral
  std::string host = "127.0.0.1";
};

/// [log]
struct log_settings {
  std::string level = "info";                                       ///< debug, info, warn or error
  std::string tag;                                                  ///< e.g. "SIMULATED"
};

/// Everything the engine reads; check it with validate() (start_engine does).
struct engine_config {
  deribit_settings deribit;
  supervisor_settings supervisor;
  cache_settings cache;
  thresholds_settings thresholds;
  surface_settings surface;
  skew_settings skew;
  basis_settings basis;
  mfiv_settings mfiv;
  binance_settings binance;
  snapshots_settings snapshots;
  store_settings store;
  outcomes_settings outcomes;
  introspection_settings introspection;
  metrics_settings metrics;
  log_settings log;
};

/// cache.max-age, or 3 x deribit.interval (saturating) when it is unset.
caf::timespan cache_max_age(const engine_config& cfg);

} // namespace derivcache::configuration
