// The metrics endpoint actor: gathers a metrics snapshot from the cache, the supervisor and the feed per
// request and answers /metrics, /healthz and /snapshot (rendering and health rules: runtime/).
#pragma once

#include "messages/interfaces.hpp"
#include "runtime/fetch_stats.hpp"
#include "runtime/health.hpp"
#include "runtime/latency_histogram.hpp"
#include "runtime/log.hpp"
#include "runtime/metrics_snapshot.hpp"

#include <caf/actor_system.hpp>
#include <caf/timespan.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace derivcache::actors {

/// Calls `done` exactly once with the feed's numbers, from the endpoint actor's context (e.g. in a
/// `self->request(...).then(...)` handler or at once).
using feed_source = std::function<void(messages::metrics_endpoint_actor::pointer self,
                                       std::function<void(runtime::feed_metrics)> done)>;

/// Answers GET /snapshot?symbol=X: calls `done(status, json)` exactly once from the endpoint actor's context.
using snapshot_source = std::function<void(messages::metrics_endpoint_actor::pointer self, const std::string& symbol,
                                           std::function<void(unsigned status, std::string json)> done)>;

struct metrics_endpoint_deps {
  messages::cache_holder_actor cache;                    ///< asked (get_atom) per request
  messages::fetch_supervisor_actor supervisor;           ///< asked (get_atom, status_atom) per request
  std::shared_ptr<runtime::fetch_stats> fetch_counters;          ///< may be null (zeros)
  std::shared_ptr<runtime::latency_histogram> request_latency;   ///< may be null (empty histogram)
  runtime::health_options health;
  caf::timespan query_timeout = std::chrono::seconds{2};  ///< per cache/supervisor request
  feed_source feed;                                      ///< unset: no feed (section stays zero)
  snapshot_source snapshots;                             ///< unset: 404 {"error":"no feature collector"}
  std::function<runtime::introspection_metrics()> introspection;   ///< the guard's counters; unset: zeros
  std::shared_ptr<runtime::gateway_stats> gateway;                 ///< the published gateway; null: none
  std::shared_ptr<runtime::store_stats> store;                     ///< the store keeper's; null: no store
  std::shared_ptr<runtime::logger> log;                  ///< may be null
};

/// Spawns the endpoint actor. Routes: GET /metrics (text/plain; version=0.0.4), GET /healthz (200/503
/// JSON), GET /snapshot?symbol=X (JSON from `snapshots`); anything else 404.
messages::metrics_endpoint_actor make_metrics_endpoint(caf::actor_system& sys, metrics_endpoint_deps deps);

} // namespace derivcache::actors
