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
constexpr int schema_version = 1;

struct store_options {
  std::string path;
  bool read_only = false;                      ///< export: never writes, never migrates
  std::vector<int64_t> horizons_s{300, 900, 3600};
  int64_t max_gap_s = 30;
  int64_t settle_ms = 2000;                    ///< an outcome is evaluated this long after its horizon
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
  /// schema_version (read-only: refuses a database that is not at schema_version).
  explicit feature_store(store_options options);

  int version();

  /// The stored result for (kind, id), if recorded.
  std::optional<record_result> find(const std::string& kind, const std::string& id);

  /// Writes `records` and `bars` in ONE transaction; returns one result per record, in order. A repeated
  /// (kind, id) writes nothing and returns the first recording. Bars of a second already stored are merged.
  std::vector<record_result> write(const std::vector<record_input>& records, const std::vector<bar_series>& bars);

  /// Labels every pending outcome due at `now_ms` (snapshot + horizon + settle) in one transaction;
  /// returns how many it labelled or marked incomplete.
  std::size_t reap(int64_t now_ms);

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
