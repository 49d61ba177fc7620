// The Binance feed: one combined-stream WebSocket (aggTrade + bookTicker per symbol), decoded and
// forwarded to the feature collector one batch at a time (bounded in between); reconnects on its own.
//
//            connect                     on_open                      (data frames)
//   IDLE ───────────────► CONNECTING ───────────────► OPEN ──────────────────────────┐
//    ▲                       │  on_close / no factory  │  on_close: k += 1            │ watchdog: no data
//    │ restart_atom          ▼                         ▼                              │ for stale_after:
//    └──────────────── WAITING d = backoff(k) ◄────────┴──────────────────────────────┘ close, k += 1
//
//   serverShutdown, or the connection is 23h50m old (Binance cuts at 24 h): HANDOVER — a new
//   connection starts at once while the old one keeps delivering; the old one is closed when the new
//   one is open (the collector drops repeated trades by trade id). k = 0 after every data frame.
//   backoff(k) = runtime::backoff_delay (min * 2^(k-1), jittered, clamped to max), as the fetch supervisor's.
//
//   To the collector: one batch in flight at a time (a request; its reply sends the next). What is decoded
//   meanwhile waits here: book tickers conflated to the newest per symbol, at most max_queued_trades trades;
//   past that the oldest are dropped, counted, and reported in the next batch so the collector marks the
//   windows that reach back to them incomplete.
#pragma once

#include "messages/interfaces.hpp"
#include "net/ws_client.hpp"
#include "runtime/log.hpp"

#include <caf/actor_system.hpp>
#include <caf/timespan.hpp>
#include <caf/timestamp.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace derivcache::actors {

/// Makes a connection (not started); the engine binds net::make_wss_connection to its io_context,
/// tests substitute fakes. Null with `error` set when it cannot.
using ws_connect_fn = std::function<std::shared_ptr<net::ws_connection>(net::ws_options options,
                                                                         net::ws_callbacks callbacks,
                                                                         std::string& error)>;

struct binance_feed_deps {
  ws_connect_fn connect;
  net::ws_options options;                                  ///< host, port, CA file, timeouts; target is set here
  std::vector<std::string> symbols{"BTCUSDT"};              ///< any case
  messages::feature_collector_actor collector;              ///< receives the batches, one in flight at a time
  std::size_t max_queued_trades = 20000;                    ///< trades waiting for the collector; older ones dropped
  caf::timespan min_backoff = std::chrono::seconds{1};
  caf::timespan max_backoff = std::chrono::seconds{60};
  caf::timespan stale_after = std::chrono::seconds{30};     ///< no data frame for this long: reconnect
  caf::timespan max_connection_age = std::chrono::hours{23} + std::chrono::minutes{50};
  std::function<double()> uniform01;                        ///< jitter in [0, 1]; default: seeded mt19937_64
  std::function<caf::timestamp()> wall_clock;               ///< receive stamps; default caf::make_timestamp
  std::function<caf::actor_clock::time_point()> read_clock; ///< read stamps (ages); default: the system's actor clock
  std::shared_ptr<runtime::logger> log;                              ///< may be null
};

/// Spawns the feed, which connects at once. Its status answers (get_atom, status_atom).
messages::binance_feed_actor make_binance_feed(caf::actor_system& sys, binance_feed_deps deps);

} // namespace derivcache::actors
