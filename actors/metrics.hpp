// Metrics and health: a snapshot of the engine's counters and readings, its Prometheus text rendering,
// the health rules behind /healthz, and the actor that answers /metrics, /healthz and /snapshot.
#pragma once

#include "actors/cache_holder.hpp"
#include "actors/fetch_shared.hpp"
#include "actors/log.hpp"
#include "messages/interfaces.hpp"
#include "net/http_server.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/timespan.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace derivcache::actors {

/// A histogram as rendered: per-bucket counts (not cumulative), the last one for +Inf.
struct histogram_snapshot {
  std::vector<double> upper_bounds;   ///< ascending, finite, without +Inf
  std::vector<uint64_t> counts;       ///< upper_bounds.size() + 1 entries
  double sum = 0;
  uint64_t count = 0;
};

/// A request-latency histogram in seconds with fixed buckets; observe() is thread-safe (the HTTP
/// client's I/O thread observes, the metrics endpoint reads).
class latency_histogram {
public:
  /// 5 ms .. 10 s, Prometheus' default HTTP buckets.
  static std::vector<double> default_bounds();

  /// `upper_bounds` are sorted; non-finite and duplicate bounds are dropped.
  explicit latency_histogram(std::vector<double> upper_bounds = default_bounds());

  void observe(std::chrono::nanoseconds latency);
  void observe_seconds(double seconds);

  /// A consistent copy: count equals the sum of the bucket counts.
  histogram_snapshot snapshot() const;

private:
  mutable std::mutex mtx_;
  histogram_snapshot data_;
};

/// Fetch outcomes, as counted by the fetcher (fetch_stats).
struct fetch_outcomes {
  uint64_t ok = 0;
  uint64_t rate_limited = 0;
  uint64_t network_failure = 0;
  uint64_t unavailable = 0;
  uint64_t request_error = 0;
  uint64_t bad_payload = 0;
  uint64_t requests = 0;
  uint64_t cycles_complete = 0;
};

fetch_outcomes read_fetch_stats(const fetch_stats& stats);

/// One currency's readings as the cache reported them. No value: no reading yet (or none with a value).
struct currency_metrics {
  std::string currency;
  bool has_basis = false;                 ///< a basis reading arrived (with or without a value)
  bool has_skew = false;
  std::optional<double> basis_apr_pct;
  std::optional<double> skew_pct;
  caf::timespan basis_age{0};             ///< meaningful when has_basis
  caf::timespan skew_age{0};
  bool basis_stale = false;
  bool skew_stale = false;
};

currency_metrics to_currency_metrics(const messages::derivatives_view& view);

/// The Binance feed and the feature collector; all zero (and `enabled` false) until they exist.
struct feed_metrics {
  bool enabled = false;                   ///< a feed is configured: its health counts
  bool connected = false;
  uint64_t messages = 0;                  ///< data frames received
  uint64_t reconnects = 0;
  std::optional<caf::timespan> data_age;  ///< since the last data frame; none: no data yet
  uint64_t snapshot_captures = 0;
};

/// Everything /metrics and /healthz look at, gathered at one instant.
struct metrics_snapshot {
  fetch_outcomes fetches;
  histogram_snapshot request_seconds;
  std::optional<messages::fetcher_status> fetcher;   ///< none: the supervisor did not answer
  std::string fetcher_error;                         ///< why not
  bool cache_answered = false;
  std::string cache_error;                           ///< why not
  std::vector<currency_metrics> currencies;
  feed_metrics feed;
};

/// Renders Prometheus text exposition format 0.0.4 (# HELP, # TYPE, samples; histograms cumulative).
std::string render_prometheus(const metrics_snapshot& m);

/// Escapes a label value: backslash, double quote and newline.
std::string escape_label_value(const std::string& value);

/// Formats a sample value: shortest round-trip decimal, "+Inf", "-Inf" or "NaN".
std::string format_sample_value(double value);

struct health_options {
  std::vector<std::string> currencies;                     ///< enabled currencies: each needs readings
  caf::timespan feed_stale_after = std::chrono::seconds{60};   ///< feed: no data for longer is "down"
};

struct health_report {
  unsigned status = 200;                ///< 200 healthy, 503 otherwise
  std::vector<std::string> reasons;     ///< empty when healthy
  /// {"status":"ok","reasons":[]} or {"status":"unhealthy","reasons":[...]}.
  std::string to_json() const;
};

/// 503 with a reason for each of: no reading yet for an enabled currency ("warming up: no BTC reading
/// yet", "warming up: no BTC skew reading yet"), a STALE reading ("BTC basis STALE"), the fetcher
/// DEGRADED ("fetcher DEGRADED"), its last cycle failed ("fetcher last cycle failed: <error>"), not
/// running ("fetcher not running"), the supervisor or cache not answering, an enabled Binance feed with no
/// data yet ("warming up: no Binance data yet") or none for longer than feed_stale_after
/// ("Binance feed down: no data for 75s"). Otherwise 200.
health_report evaluate_health(const metrics_snapshot& m, const health_options& options);

/// Calls `done` exactly once with the feed's numbers, from the endpoint actor's context (e.g. in a
/// `self->request(...).then(...)` handler or at once).
using feed_source = std::function<void(caf::event_based_actor* self, std::function<void(feed_metrics)> done)>;

/// Answers GET /snapshot?symbol=X: calls `done(status, json)` exactly once from the endpoint actor's context.
using snapshot_source = std::function<void(caf::event_based_actor* self, const std::string& symbol,
                                           std::function<void(unsigned status, std::string json)> done)>;

struct metrics_endpoint_deps {
  messages::cache_holder_actor cache;                    ///< asked (get_atom) per request
  messages::fetch_supervisor_actor supervisor;           ///< asked (get_atom, status_atom) per request
  std::shared_ptr<fetch_stats> fetch_counters;           ///< may be null (zeros)
  std::shared_ptr<latency_histogram> request_latency;    ///< may be null (empty histogram)
  health_options health;
  caf::timespan query_timeout = std::chrono::seconds{2};  ///< per cache/supervisor request
  feed_source feed;                                      ///< unset: no feed (section stays zero)
  snapshot_source snapshots;                             ///< unset: 404 {"error":"no feature collector"}
  std::shared_ptr<logger> log;                           ///< may be null
};

/// Spawns the endpoint actor. Routes: GET /metrics (text/plain; version=0.0.4), GET /healthz (200/503
/// JSON), GET /snapshot?symbol=X (JSON from `snapshots`); anything else 404.
caf::actor make_metrics_endpoint(caf::actor_system& sys, metrics_endpoint_deps deps);

/// The HTTP handler that forwards each request to `endpoint`; the actor replies through the callback.
net::http_server::handler metrics_http_handler(caf::actor endpoint);

} // namespace derivcache::actors
