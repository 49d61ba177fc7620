// The engine: spawns and wires the actors (cache, calculators, supervised fetcher, Binance feed, feature
// collector) and runs the HTTPS and WSS clients on one I/O thread.
#pragma once

#include "actors/binance_feed.hpp"
#include "actors/cache_holder.hpp"
#include "messages/interfaces.hpp"
#include "net/http_server.hpp"
#include "net/https_client.hpp"
#include "quant/states.hpp"
#include "runtime/cache_stats.hpp"
#include "runtime/fetch_stats.hpp"
#include "runtime/latency_histogram.hpp"
#include "runtime/log.hpp"
#include "runtime/snapshot_sink.hpp"

#include <caf/actor_system.hpp>
#include <caf/timespan.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace derivcache::actors {

/// Everything the engine needs; defaults match config/live.ini.
struct engine_config {
  std::vector<std::string> currencies{"BTC", "ETH", "SOL"};
  caf::timespan interval = std::chrono::seconds{300};              ///< fetch cycle period
  caf::timespan instruments_interval = std::chrono::hours{1};      ///< get_instruments refresh
  std::string host = "www.deribit.com";
  std::string port = "443";
  std::string path_prefix = "/api/v2";
  std::string ca_file;                                             ///< extra trust anchors; system store always used
  std::chrono::milliseconds timeout{std::chrono::seconds{10}};     ///< per request
  std::size_t max_body = 16u << 20;
  double max_requests_per_second = 5;                              ///< book summaries (burst = this)
  double instruments_requests_per_second = 0.1;                    ///< get_instruments: 1 per 10 s ...
  double instruments_burst = 5;                                    ///< ... burst 5
  caf::timespan min_backoff = std::chrono::seconds{1};
  caf::timespan rate_limit_min_backoff = std::chrono::seconds{5};
  caf::timespan max_backoff = std::chrono::seconds{300};
  uint32_t max_failures = 5;
  caf::timespan cache_max_age{0};                                  ///< 0: 3 x interval
  quant::basis_thresholds basis;
  quant::skew_thresholds skew;
  double min_dte_days = 7;
  double skew_tenor_days = 30;
  runtime::log_level level = runtime::log_level::info;
  std::string log_tag;                                             ///< e.g. "SIMULATED"
  std::function<void(const std::string&)> log_sink;                ///< default: stderr
  std::function<double()> uniform01;                               ///< backoff jitter; default: seeded mt19937_64

  // Binance spot feed and feature collector; both are off when binance_symbols is empty.
  std::string binance_host = "stream.binance.com";
  std::string binance_port = "9443";
  std::vector<std::string> binance_symbols{"BTCUSDT"};             ///< e.g. BTCUSDT, SOLUSDT (any case)
  std::string binance_ca_file;                                     ///< extra trust anchors; system store always used
  std::chrono::milliseconds binance_handshake_timeout{std::chrono::seconds{10}};
  caf::timespan binance_min_backoff = std::chrono::seconds{1};
  caf::timespan binance_max_backoff = std::chrono::seconds{60};
  caf::timespan binance_stale_after = std::chrono::seconds{30};    ///< no data frame: reconnect; spot inputs STALE
  std::map<std::string, std::string> currency_overrides;           ///< symbol -> currency (default: base asset)
  caf::timespan snapshots_interval{0};                             ///< 0: no periodic snapshots
  std::string snapshots_path;                                      ///< JSONL file, needed when the interval is > 0
  /// Makes Binance connections. start_engine(sys, cfg, error) binds the WSS client to the engine's I/O
  /// thread when this is empty; with an injected HTTP client and no factory the feed stays off.
  ws_connect_fn binance_connect;

  // Remote introspection (CAF middleman; the host loads caf::io::middleman, and caf::openssl::manager
  // with the openssl.* options for TLS). Port < 0: not published (the actor still exists locally).
  int introspection_port = -1;                                     ///< 0: ephemeral
  std::string introspection_host = "127.0.0.1";
  uint32_t introspection_max_subscribers = 16;
  bool introspection_allow_control = false;
  bool introspection_allow_record = false;
  bool introspection_tls = false;                                  ///< publish through caf::openssl
  std::string introspection_tls_cert, introspection_tls_key, introspection_tls_ca;   ///< for openssl.* options

  // Prometheus metrics and health over HTTP (needs the engine's own I/O thread). Port < 0: off.
  int metrics_port = -1;                                           ///< 0: ephemeral
  std::string metrics_host = "127.0.0.1";

  std::string deribit_url;                                         ///< for status reports only

  // Feature/label store (docs/outcomes.md): SQLite at store_path; empty: off.
  std::string store_path;
  bool snapshots_record = false;                                   ///< also record periodic snapshots
  std::vector<caf::timespan> outcomes_horizons{std::chrono::minutes{5}, std::chrono::minutes{15},
                                               std::chrono::hours{1}};
  caf::timespan outcomes_max_gap = std::chrono::seconds{30};       ///< longer feed gaps: outcome incomplete
  caf::timespan store_reap_interval = std::chrono::seconds{1};     ///< how often due outcomes are labelled
};

/// The running engine: typed handles of its actors and the I/O thread of the HTTP client.
/// Call stop() (or destroy it) before the actor system goes away.
class engine {
public:
  engine();
  ~engine();
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  messages::cache_holder_actor cache;
  messages::fetch_supervisor_actor supervisor;
  messages::calculator_actor basis_calculator;
  messages::calculator_actor skew_calculator;
  messages::feature_collector_actor feature_collector;   ///< null when the feed is off
  messages::binance_feed_actor binance_feed;             ///< null when the feed is off
  std::shared_ptr<runtime::snapshot_sink> snapshots;     ///< null unless snapshots_interval > 0
  std::shared_ptr<runtime::logger> log;
  std::shared_ptr<runtime::fetch_stats> fetch_counters;
  std::shared_ptr<runtime::cache_stats> cache_counters;
  std::shared_ptr<net::http_client> http;
  messages::introspection_actor introspection;           ///< local always; published when configured
  std::shared_ptr<runtime::latency_histogram> request_latency;
  messages::metrics_endpoint_actor metrics_endpoint;     ///< null when metrics are off
  std::shared_ptr<net::http_server> metrics_server;      ///< null when metrics are off
  uint16_t metrics_port = 0;                             ///< bound port of the metrics server
  messages::store_actor store;                           ///< null when store_path is empty

  /// Stops the metrics server and the HTTP client (pending requests are cancelled), joins the I/O thread,
  /// then sends user_shutdown to the introspection and metrics actors, the feed (which closes its connections), the collector, the supervisor (which
  /// forwards it to the fetcher), the calculators and the cache.
  /// Idempotent.
  void stop();

  struct io_runner;                      ///< the io_context and its thread (none when a client was injected)
  std::shared_ptr<io_runner> io;         ///< shared with the WSS factory: connections never outlive it

private:
  bool stopped_ = false;
};

/// Validates `cfg`, makes the HTTPS client (and the Binance connections) on a private io_context thread and
/// starts the actors. Returns null with `error` set when the configuration is unusable (unknown currency,
/// bad thresholds, unreadable CA file, bad symbol, snapshot file or store that cannot be opened).
std::unique_ptr<engine> start_engine(caf::actor_system& sys, const engine_config& cfg, std::string& error);

/// As above with an already made client (tests inject a fake); no I/O thread is started, and the feed
/// runs only when `cfg.binance_connect` is set.
std::unique_ptr<engine> start_engine(caf::actor_system& sys, const engine_config& cfg,
                                     std::shared_ptr<net::http_client> http, std::string& error);

} // namespace derivcache::actors
