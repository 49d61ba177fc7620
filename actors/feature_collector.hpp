// The feature collector: per symbol spot features (last trade, top of book, rolling 1m/5m windows) plus the
// latest derivatives readings of the symbol's currency (it subscribes to the cache); answers snapshots at once.
#pragma once

#include "messages/interfaces.hpp"
#include "runtime/log.hpp"
#include "runtime/snapshot_sink.hpp"

#include <caf/actor_system.hpp>
#include <caf/timespan.hpp>
#include <caf/timestamp.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace derivcache::actors {

struct feature_collector_deps {
  std::vector<std::string> symbols{"BTCUSDT"};           ///< any case; snapshots are answered for these only
  std::map<std::string, std::string> currency_overrides;  ///< symbol -> currency (default: the base asset)
  messages::cache_holder_actor cache;                     ///< subscribed to at start; may be null
  caf::timespan stale_after = std::chrono::seconds{30};   ///< spot inputs older than this are STALE
  caf::timespan derivatives_max_age = std::chrono::seconds{900};   ///< the cache's max age
  caf::timespan snapshot_interval{0};                     ///< 0: no periodic snapshots
  std::shared_ptr<runtime::snapshot_sink> sink;                    ///< where periodic snapshots go; may be null
  messages::store_actor store;                            ///< gets closed 1-second bars and records; may be null
  bool record_periodic = false;                           ///< also record periodic snapshots (kind "periodic")
  std::function<caf::timestamp()> wall_clock;             ///< snapshot time; default caf::make_timestamp
  std::shared_ptr<runtime::logger> log;                            ///< may be null
};

/// Spawns the collector. Ages are measured on the actor clock from the moment a record's frame was read
/// from the socket (`read_at`), so a backlog shows as age. Bad input (quant::spot_gate) is counted and
/// dropped. A capture for a symbol that is not configured fails with errc::request_error naming it. With a
/// store it sends each symbol's 1-second bars once they close (when data of a later second arrives) and
/// answers record requests by capturing a snapshot and delegating it to the store (the store replies after
/// COMMIT).
messages::feature_collector_actor make_feature_collector(caf::actor_system& sys, feature_collector_deps deps);

} // namespace derivcache::actors
