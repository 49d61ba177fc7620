// The store keeper: the one actor that owns the SQLite feature/label store. It records snapshots (the reply
// goes out after COMMIT), keeps the 1-second bars the collector sends and labels outcomes on a timer.
#pragma once

#include "messages/interfaces.hpp"
#include "runtime/log.hpp"
#include "store/store.hpp"

#include <caf/actor_system.hpp>
#include <caf/timespan.hpp>
#include <caf/timestamp.hpp>

#include <chrono>
#include <functional>
#include <memory>

namespace derivcache::actors {

struct store_keeper_deps {
  std::shared_ptr<store::feature_store> store;               ///< opened (and migrated) by the caller
  caf::timespan reap_interval = std::chrono::seconds{1};     ///< how often due outcomes are labelled
  std::function<caf::timestamp()> wall_clock;                ///< default caf::make_timestamp
  bool detached = true;                                      ///< own thread: SQLite I/O never blocks a worker
  std::shared_ptr<runtime::logger> log;                               ///< may be null
};

/// Spawns the keeper. Writes queued while it handles its mailbox are committed together, in one
/// transaction, when its flush message comes round; a failed transaction answers every request in it
/// with errc::storage_failure. At start and every reap_interval it labels the outcomes that are due.
/// On exit it commits what is queued.
messages::store_actor make_store_keeper(caf::actor_system& sys, store_keeper_deps deps);

} // namespace derivcache::actors
