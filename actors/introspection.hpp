// The introspection gateway: engine status, actor health and cache contents for local or remote clients.
// It is the one actor of the engine a remote node can reach (docs/operations.md, "What a remote peer can do").
#pragma once

#include "messages/interfaces.hpp"
#include "runtime/gateway_stats.hpp"
#include "runtime/log.hpp"

#include <caf/actor_system.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace derivcache::actors {

struct introspection_deps {
  messages::cache_holder_actor cache;
  messages::fetch_supervisor_actor supervisor;
  messages::binance_feed_actor feed;          ///< null when the feed is off
  messages::feature_collector_actor collector;   ///< null when the feed is off
  messages::store_actor store;                ///< null when the store is off
  std::vector<std::pair<std::string, caf::actor>> watched;   ///< role -> actor, monitored for liveness
  messages::engine_status status;             ///< version, configuration summary, flags, max_subscribers
  std::shared_ptr<runtime::logger> log;
  /// Publishing: port < 0 keeps the actor local (embedding hosts may publish it themselves).
  int port = -1;
  std::string host = "127.0.0.1";
  bool tls = false;                           ///< publish through caf::openssl (module must be loaded)
  std::function<void(uint16_t)> on_published; ///< called with the bound port
  /// With a guard in front (net::basp_guard): starts it towards the bound port and returns the "HOST:PORT"
  /// clients connect to, which the log line shows. Empty: clients connect to host:bound.
  std::function<std::string(uint16_t)> front;
};

/// The gateway and what keeps it running. Every message that crosses the process boundary is sent by the
/// gateway: it answers remote requests itself (never delegating), re-sends cache updates to its subscribers,
/// hands out no internal handle, and so is the only actor CAF's BASP broker ever registers. It refuses
/// (logs at WARN with the peer's node, counts in runtime::gateway_stats) control and record requests the
/// settings do not allow, updates that do not come from the cache holder, exit and error messages while the
/// engine runs, and anything outside its interface. CAF 0.17 cannot trap an exit message with reason
/// `kill`: the incarnation it reaches ends, and a new one is spawned at once, published on the same port.
class introspection_gateway {
public:
  struct shared;   ///< the settings, the counters and the running incarnation, shared with each incarnation

  introspection_gateway() = default;
  explicit introspection_gateway(std::shared_ptr<shared> s) : s_(std::move(s)) {}

  explicit operator bool() const { return s_ != nullptr; }
  /// The running incarnation; null between a death and its replacement, and after stop().
  messages::introspection_actor current() const;
  std::shared_ptr<runtime::gateway_stats> stats() const;
  /// No more replacements; the running incarnation stops (user_shutdown). Idempotent.
  void stop();

private:
  std::shared_ptr<shared> s_;
};

/// Spawns the gateway and, with a port, publishes it asynchronously through the middleman actor (never the
/// blocking publish()). Logs "introspection listening on HOST:PORT" (the guard's address when deps.front is
/// set).
introspection_gateway make_introspection(caf::actor_system& sys, introspection_deps deps);

} // namespace derivcache::actors
