// The store keeper: the one actor that owns the SQLite feature/label store. It records snapshots (the reply
// goes out after COMMIT), keeps the 1-second bars the collector sends and labels outcomes on a timer.
#pragma once

#include "messages/interfaces.hpp"
#include "runtime/log.hpp"
#include "runtime/store_stats.hpp"
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
  caf::timespan maintenance_interval = std::chrono::minutes{1};   ///< retention deletes + WAL checkpoint; 0: never
  caf::timespan retry_min_backoff = std::chrono::milliseconds{100};   ///< after the first failed write; doubles
  caf::timespan retry_max_backoff = std::chrono::seconds{5};
  int record_attempts = 5;                                   ///< a record fails after this many failed writes
  std::size_t max_pending_bars = 3600;                       ///< per symbol; older bars beyond it are dropped
  std::shared_ptr<runtime::store_stats> stats;               ///< may be null
  std::function<caf::timestamp()> wall_clock;                ///< default caf::make_timestamp
  bool detached = true;                                      ///< own thread: SQLite I/O never blocks a worker
  std::shared_ptr<runtime::logger> log;                               ///< may be null
};

/// Spawns the keeper. Writes queued while it handles its mailbox are committed together, in one
/// transaction, when its flush message comes round. A write that fails for a reason that may pass (busy,
/// disk full, I/O) keeps everything and is tried again after a backoff (retry_min_backoff doubling up to
/// retry_max_backoff, a delayed message); a record still unwritten after record_attempts failed writes is
/// answered with errc::storage_failure, alone. Any other failure writes the bars and each record in a
/// transaction of its own, so one bad record fails alone. Bars wait in memory, at most max_pending_bars per
/// symbol; the oldest beyond that are dropped and every outcome whose window they fall in is marked
/// incomplete. No outcome is labelled while bars or such marks wait. At start and every reap_interval it
/// labels the outcomes that are due; every maintenance_interval it deletes what the store's retention
/// allows and checkpoints the WAL. On exit it tries once more to commit what is queued.
messages::store_actor make_store_keeper(caf::actor_system& sys, store_keeper_deps deps);

} // namespace derivcache::actors
