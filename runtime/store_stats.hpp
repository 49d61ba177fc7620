// The store keeper's counters, readable from any thread (for metrics and tests).
#pragma once

#include <atomic>
#include <cstdint>

namespace derivcache::runtime {

struct store_stats {
  std::atomic<uint64_t> write_failures{0};        ///< transactions (writes, labels, maintenance) that failed
  std::atomic<uint64_t> write_retries{0};         ///< failed writes tried again after a backoff
  std::atomic<uint64_t> records_failed{0};        ///< record requests answered with an error by the store
  std::atomic<uint64_t> bars_dropped{0};          ///< bars given up (pending bound or stop); their outcomes go incomplete
  std::atomic<uint64_t> pending_bars{0};          ///< bars waiting in memory for a write now
  std::atomic<uint64_t> bars_deleted{0};          ///< by store.retention
  std::atomic<uint64_t> snapshots_deleted{0};     ///< by store.snapshot-retention
  std::atomic<uint64_t> checkpoints{0};           ///< WAL checkpoints that truncated the WAL
  std::atomic<uint64_t> checkpoints_incomplete{0};   ///< WAL checkpoints a reader or writer held back
};

} // namespace derivcache::runtime
