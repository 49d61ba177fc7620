// The feature/label store: recorded snapshots, the 1-second price path and the outcomes of every snapshot
// at fixed horizons, in one SQLite file (WAL). Schema and definitions: docs/outcomes.md.
#pragma once

#include "quant/outcomes.hpp"
#include "store/sqlite.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace derivcache::store {

/// The schema version this build writes (PRAGMA user_version).
constexpr int schema_version = 4;

struct store_options {
  std::string path;
  bool read_only = false;                      ///< export: never writes, never migrates (reads versions 1 and up)
  std::vector<int64_t> horizons_s{300, 900, 3600};
  int64_t max_gap_s = 30;
  int64_t settle_ms = 2000;                    ///< an outcome is evaluated this long after its horizon
  int busy_timeout_ms = 5000;                  ///< a locked database is waited for this long, then the write fails
  int64_t bar_retention_s = 0;                 ///< bars older than this are deleted (kept while an outcome needs them); 0: kept
  int64_t snapshot_retention_s = 0;            ///< labelled/incomplete snapshots older than this are deleted; 0: kept
};

/// One snapshot to record. `attributes` must be a JSON object (text); `snapshot` is the snapshot's JSON.
struct record_input {
  std::string kind;
  std::string id;
  std::string symbol;
  std::string attributes = "{}";
  std::string snapshot;
  int64_t time_ms = 0;                         ///< snapshot time (local wall clock)
  std::optional<double> last_price;            ///< the entry price of the outcomes
  int64_t recorded_ms = 0;
};

struct record_result {
  int64_t snapshot = 0;                        ///< row id
  bool created = false;                        ///< false: (kind, id) was recorded before (nothing written)
  int64_t time_ms = 0;                         ///< of the stored snapshot
};

struct bar_series {
  std::string symbol;
  std::vector<quant::second_bar> bars;
};

/// Seconds [first_second, last_second] of `symbol` whose bars could not be written.
struct bar_hole {
  std::string symbol;
  int64_t first_second = 0;
  int64_t last_second = 0;
};

/// What one retention pass deleted.
struct retention_result {
  uint64_t bars = 0;
  uint64_t snapshots = 0;
};

/// One backfilled signal record: `derivcache analyze`'s JSON object for a currency at a step.
struct backfill_record {
  std::string currency;
  int64_t step_ms = 0;
  std::string record;
};

struct store_counts {
  uint64_t recorded = 0;
  uint64_t pending = 0;
  uint64_t labelled = 0;
  uint64_t incomplete = 0;
};

/// The open store. Not thread-safe: one owner (the store actor, or a command) uses it. Throws store::error.
class feature_store {
public:
  /// Opens or creates the database, sets WAL and synchronous=FULL, and migrates the schema to
  /// schema_version (read-only: refuses a database that is not at a version from 1 to schema_version).
  explicit feature_store(store_options options);

  int version();

  /// The stored result for (kind, id), if recorded.
  std::optional<record_result> find(const std::string& kind, const std::string& id);

  /// Writes `records` and `bars` in ONE transaction; returns one result per record, in order. A repeated
  /// (kind, id) writes nothing and returns the first recording. Bars of a second already stored are merged.
  std::vector<record_result> write(const std::vector<record_input>& records, const std::vector<bar_series>& bars);

  /// True when a backfill record of `currency` at `step_ms` is stored.
  bool has_backfill(const std::string& currency, int64_t step_ms);

  /// Writes `records` in ONE transaction; a (currency, step) already stored is left as it is. Returns how many
  /// were new.
  std::size_t write_backfill(const std::vector<backfill_record>& records, int64_t written_ms);

  /// Labels every pending outcome due at `now_ms` (snapshot + horizon + settle) in one transaction;
  /// returns how many it labelled or marked incomplete.
  std::size_t reap(int64_t now_ms);

  /// Marks every pending outcome whose window overlaps a hole incomplete (reason names the lost seconds), so
  /// no outcome is labelled over bars that were never written. One transaction; returns the outcomes marked.
  std::size_t mark_lost_bars(const std::vector<bar_hole>& holes, int64_t now_ms);

  /// Deletes bars older than bar_retention_s before `now_ms`, except those a pending outcome still reads,
  /// and labelled/incomplete snapshots (with their outcomes) older than snapshot_retention_s. One transaction.
  retention_result apply_retention(int64_t now_ms);

  /// PRAGMA wal_checkpoint(TRUNCATE), without waiting for locks: true when the whole WAL was copied back and
  /// truncated; false when a reader or writer kept part of it (the next checkpoint tries again).
  bool checkpoint();

  store_counts counts();

  /// "ok" when PRAGMA integrity_check finds nothing, else its first message.
  std::string integrity_check();

  const store_options& options() const { return options_; }
  connection& db() { return db_; }

private:
  void migrate();

  store_options options_;
  connection db_;
};

/// "attributes must be a JSON object" etc.; empty when `attributes` is acceptable.
std::string check_attributes(connection& db, const std::string& attributes);

} // namespace derivcache::store
