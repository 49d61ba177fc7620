// The engine: spawns and wires the actors (cache, calculators, supervised fetcher, Binance feed, feature
// collector) and runs the HTTPS and WSS clients on one I/O thread.
#pragma once

#include "actors/binance_feed.hpp"
#include "actors/cache_holder.hpp"
#include "actors/introspection.hpp"
#include "configuration/engine_config.hpp"
#include "messages/interfaces.hpp"
#include "net/basp_guard.hpp"
#include "net/http_server.hpp"
#include "net/https_client.hpp"
#include "runtime/cache_stats.hpp"
#include "runtime/store_stats.hpp"
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

/// What a host or a test injects; everything else is configuration (configuration::engine_config).
struct engine_hooks {
  std::function<void(const std::string&)> log_sink;   ///< default: stderr
  std::function<double()> uniform01;                  ///< backoff jitter; default: seeded mt19937_64
  /// Makes Binance connections; default: the WSS client on the engine's I/O thread. With an injected
  /// `http` and no factory the feed stays off.
  ws_connect_fn binance_connect;
  /// An already made Deribit client (tests inject a fake): then no I/O thread is started, metrics stay off
  /// and the introspection actor is published without the BASP guard.
  std::shared_ptr<net::http_client> http;
};

/// The running engine: typed handles of its actors and the I/O thread of the HTTP client.
/// Call stop() (or destroy it) before the actor system goes away.
class engine {
public:
  engine();
  ~engine();
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  struct io_runner;                      ///< the io_context and its thread (none when a client was injected)
  /// Declared first, so destroyed last: the HTTP client, the metrics server and the WSS connections hold
  /// timers of its io_context (shared with the WSS factory: connections never outlive it).
  std::shared_ptr<io_runner> io;
  std::shared_ptr<net::http_client> http;
  std::shared_ptr<net::http_server> metrics_server;      ///< null when metrics are off
  uint16_t metrics_port = 0;                             ///< bound port of the metrics server
  messages::cache_holder_actor cache;
  messages::fetch_supervisor_actor supervisor;
  messages::calculator_actor basis_calculator;
  messages::calculator_actor skew_calculator;
  messages::feature_collector_actor feature_collector;   ///< null when the feed is off
  messages::binance_feed_actor binance_feed;             ///< null when the feed is off
  std::shared_ptr<runtime::snapshot_sink> snapshots;     ///< null unless snapshots.interval > 0
  std::shared_ptr<runtime::logger> log;
  std::shared_ptr<runtime::fetch_stats> fetch_counters;
  std::shared_ptr<runtime::cache_stats> cache_counters;
  std::shared_ptr<runtime::store_stats> store_counters;  ///< null unless store.path is set
  introspection_gateway introspection;                   ///< local always; published when configured
  /// In front of the published introspection port (plain BASP on the I/O thread); null with TLS, with an
  /// injected client, or when introspection is not published.
  std::shared_ptr<net::basp_guard> introspection_guard;
  std::shared_ptr<runtime::latency_histogram> request_latency;
  messages::metrics_endpoint_actor metrics_endpoint;     ///< null when metrics are off
  messages::store_actor store;                           ///< null when store.path is empty

  caf::actor_system* system = nullptr;                   ///< the system the actors run in

  /// How long stop() may take in all.
  static constexpr std::chrono::milliseconds stop_deadline{1500};

  /// Stops in order, within stop_deadline (a step not done by then is logged and the next one goes on):
  /// stops accepting (metrics server, introspection guard and gateway); stops the supervisor (no new cycle;
  /// it forwards the stop to the fetcher) and cancels the requests under way; stops the feed, which closes its
  /// WebSockets with code 1000, and waits for it; stops the collector, which hands its closed bars to the
  /// store, then the store, which writes them and every accepted record; lets the I/O thread finish the close
  /// handshakes and joins it; then stops the metrics actor, the calculators and the cache. Idempotent.
  void stop();

private:
  bool stopped_ = false;
};

/// Checks `cfg` with configuration::validate, makes the HTTPS client (and the Binance connections) on a
/// private io_context thread and starts the actors. Returns null with `error` set when the configuration
/// is unusable: then `error` holds the problems as `derivcache run` prints them (one per line, e.g.
/// "deribit.interval: must be a positive duration, got 0s"), or says which output could not be opened.
std::unique_ptr<engine> start_engine(caf::actor_system& sys, const configuration::engine_config& cfg,
                                     std::string& error, engine_hooks hooks = {});

} // namespace derivcache::actors
