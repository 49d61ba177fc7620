// The introspection actor: engine status, actor health and cache contents for local or remote clients.
#pragma once

#include "messages/interfaces.hpp"
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

/// Spawns the introspection actor and, with a port, publishes it asynchronously through the
/// middleman actor (never the blocking publish()). Logs "introspection listening on HOST:PORT" (the
/// guard's address when deps.front is set).
messages::introspection_actor make_introspection(caf::actor_system& sys, introspection_deps deps);

} // namespace derivcache::actors
