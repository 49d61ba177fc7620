// The feature/label store.
#include "store/store.hpp"

#include <algorithm>

namespace derivcache::store {

namespace {

// Migration i brings the schema from version i to i + 1. Never edit a released step: append one.
const char* const migrations[] = {
  R"sql(
CREATE TABLE snapshots (
  id          INTEGER PRIMARY KEY,
  kind        TEXT NOT NULL,
  event_id    TEXT NOT NULL,
  time_ms     INTEGER NOT NULL,
  symbol      TEXT NOT NULL,
  last_price  REAL,
  side        INTEGER CHECK (side IN (-1, 1)),
  attributes  TEXT NOT NULL CHECK (json_valid(attributes)),
  snapshot    TEXT NOT NULL CHECK (json_valid(snapshot)),
  recorded_ms INTEGER NOT NULL,
  UNIQUE (kind, event_id)
);
CREATE INDEX snapshots_by_time ON snapshots (time_ms);
CREATE TABLE bars (
  symbol  TEXT NOT NULL,
  second  INTEGER NOT NULL,
  open    REAL,
  high    REAL,
  low     REAL,
  close   REAL,
  volume  REAL NOT NULL DEFAULT 0,
  trades  INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (symbol, second)
) WITHOUT ROWID;
CREATE TABLE outcomes (
  snapshot         INTEGER NOT NULL REFERENCES snapshots (id),
  horizon_s        INTEGER NOT NULL,
  due_ms           INTEGER NOT NULL,
  status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'labelled', 'incomplete')),
  price            REAL,
  return_pct       REAL,
  max_up_pct       REAL,
  max_down_pct     REAL,
  favourable_pct   REAL,
  adverse_pct      REAL,
  realized_vol_pct REAL,
  trades           INTEGER,
  gap_s            INTEGER,
  gap_start_ms     INTEGER,
  reason           TEXT,
  labelled_ms      INTEGER,
  PRIMARY KEY (snapshot, horizon_s)
);
CREATE INDEX outcomes_by_status ON outcomes (status, due_ms);
)sql",
  // 2: the surface, the constant-maturity basis and the MFIV of each snapshot as rows (snapshots of version 1
  // have none of them and add no rows).
  R"sql(
CREATE VIEW surface_atm AS
SELECT s.id AS snapshot, s.time_ms, s.symbol, json_extract(s.snapshot, '$.currency') AS currency,
       json_extract(t.value, '$.tenor_days') AS tenor_days, json_extract(t.value, '$.atm_iv') AS atm_iv,
       json_extract(t.value, '$.atm_reason') AS reason, json_extract(t.value, '$.atm_as_of_ms') AS as_of_ms
FROM snapshots s, json_each(s.snapshot, '$.surface') t;
CREATE VIEW surface_skew AS
SELECT s.id AS snapshot, s.time_ms, s.symbol, json_extract(s.snapshot, '$.currency') AS currency,
       json_extract(t.value, '$.tenor_days') AS tenor_days, json_extract(d.value, '$.delta') AS delta,
       json_extract(d.value, '$.skew') AS skew, json_extract(d.value, '$.skew_normalized') AS skew_normalized,
       json_extract(d.value, '$.butterfly') AS butterfly, json_extract(d.value, '$.put_iv') AS put_iv,
       json_extract(d.value, '$.call_iv') AS call_iv, json_extract(d.value, '$.atm_iv') AS atm_iv,
       json_extract(d.value, '$.reason') AS reason, json_extract(d.value, '$.as_of_ms') AS as_of_ms
FROM snapshots s, json_each(s.snapshot, '$.surface') t, json_each(t.value, '$.deltas') d;
CREATE VIEW basis_cm AS
SELECT s.id AS snapshot, s.time_ms, s.symbol, json_extract(s.snapshot, '$.currency') AS currency,
       json_extract(b.value, '$.tenor_days') AS tenor_days, json_extract(b.value, '$.apr_pct') AS apr_pct,
       json_extract(b.value, '$.reason') AS reason, json_extract(b.value, '$.as_of_ms') AS as_of_ms
FROM snapshots s, json_each(s.snapshot, '$.basis_cm') b;
CREATE VIEW mfiv AS
SELECT s.id AS snapshot, s.time_ms, s.symbol, json_extract(s.snapshot, '$.currency') AS currency,
       json_extract(s.snapshot, '$.mfiv.tenor_days') AS tenor_days,
       json_extract(s.snapshot, '$.mfiv.value_pct') AS value_pct,
       json_extract(s.snapshot, '$.mfiv.reason') AS reason, json_extract(s.snapshot, '$.mfiv.as_of_ms') AS as_of_ms
FROM snapshots s WHERE json_type(s.snapshot, '$.mfiv') = 'object';
)sql",
  // 3: DVOL beside the MFIV of each snapshot as a row (snapshots without a dvol object add none).
  R"sql(
CREATE VIEW dvol AS
SELECT s.id AS snapshot, s.time_ms, s.symbol, json_extract(s.snapshot, '$.currency') AS currency,
       json_extract(s.snapshot, '$.dvol.close') AS close,
       json_extract(s.snapshot, '$.dvol.mfiv_minus_dvol') AS mfiv_minus_dvol,
       json_extract(s.snapshot, '$.dvol.candles') AS candles,
       json_extract(s.snapshot, '$.dvol.reason') AS reason, json_extract(s.snapshot, '$.dvol.time_ms') AS candle_ms
FROM snapshots s WHERE json_type(s.snapshot, '$.dvol') = 'object';
)sql",
  // 4: signal records computed by `derivcache backfill` from recorded market data, one per currency and step.
  R"sql(
CREATE TABLE backfill (
  currency   TEXT NOT NULL,
  step_ms    INTEGER NOT NULL,
  record     TEXT NOT NULL CHECK (json_valid(record)),
  written_ms INTEGER NOT NULL,
  PRIMARY KEY (currency, step_ms)
) WITHOUT ROWID;
)sql",
};

constexpr int migration_count = static_cast<int>(sizeof migrations / sizeof migrations[0]);
static_assert(migration_count == schema_version, "one migration per schema version");

int user_version(connection& db) {
  auto st = db.prepare("PRAGMA user_version");
  st.step();
  const auto v = static_cast<int>(st.int64(0));
  st.reset();
  return v;
}

} // namespace

std::string check_attributes(connection& db, const std::string& attributes) {
  auto st = db.prepare("SELECT CASE WHEN json_valid(?1) THEN json_type(?1) = 'object' ELSE 0 END");
  st.bind(1, attributes);
  st.step();
  const bool ok = st.int64(0) != 0;
  st.reset();
  return ok ? std::string{} : "attributes must be a JSON object, got '" + attributes.substr(0, 80) + "'";
}

feature_store::feature_store(store_options options)
  : options_(std::move(options)), db_(options_.path, options_.read_only, options_.busy_timeout_ms) {
  if (options_.read_only) {
    // Every version keeps the tables of version 1, which is all a reader (export) uses: an older store is read as
    // it is, and upgraded when the engine next opens it.
    const int v = version();
    if (v < 1 || v > schema_version)
      throw error(options_.path + ": schema version " + std::to_string(v) + ", this derivcache reads versions 1 to " +
                  std::to_string(schema_version));
    return;
  }
  auto mode = db_.prepare("PRAGMA journal_mode=WAL");
  mode.step();
  const auto journal = mode.text(0);
  mode.reset();
  if (journal != "wal")
    throw error(options_.path + ": cannot switch to WAL (journal_mode is " + journal + ")");
  // FULL: a commit is on disk when it returns, so a reply sent after it survives a power loss too.
  db_.exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON");
  migrate();
}

int feature_store::version() { return user_version(db_); }

void feature_store::migrate() {
  const int current = version();
  if (current > schema_version)
    throw error(options_.path + ": schema version " + std::to_string(current) +
                " is newer than this derivcache (" + std::to_string(schema_version) + ")");
  for (int v = current; v < schema_version; ++v) {
    transaction tx{db_};
    db_.exec(migrations[v]);
    db_.exec("PRAGMA user_version = " + std::to_string(v + 1));
    tx.commit();
  }
}

std::optional<record_result> feature_store::find(const std::string& kind, const std::string& id) {
  auto st = db_.prepare("SELECT id, time_ms FROM snapshots WHERE kind = ?1 AND event_id = ?2");
  st.bind(1, kind).bind(2, id);
  if (!st.step())
    return std::nullopt;
  record_result r{st.int64(0), false, st.int64(1)};
  st.reset();
  return r;
}

std::vector<record_result> feature_store::write(const std::vector<record_input>& records,
                                                const std::vector<bar_series>& bars) {
  std::vector<record_result> results;
  transaction tx{db_};
  if (!records.empty()) {
    // side: from attributes.side ("buy"/"long" -> 1, "sell"/"short" -> -1), else NULL.
    auto insert = db_.prepare(R"sql(
INSERT INTO snapshots (kind, event_id, time_ms, symbol, last_price, side, attributes, snapshot, recorded_ms)
VALUES (?1, ?2, ?3, ?4, ?5,
        CASE lower(json_extract(?6, '$.side')) WHEN 'buy' THEN 1 WHEN 'long' THEN 1
                                                WHEN 'sell' THEN -1 WHEN 'short' THEN -1 END,
        json(?6), json(?7), ?8)
ON CONFLICT (kind, event_id) DO NOTHING)sql");
    auto outcome = db_.prepare("INSERT INTO outcomes (snapshot, horizon_s, due_ms) VALUES (?1, ?2, ?3)");
    for (const auto& r : records) {
      if (auto problem = check_attributes(db_, r.attributes); !problem.empty())
        throw error(problem);
      insert.bind(1, r.kind).bind(2, r.id).bind(3, r.time_ms).bind(4, r.symbol).bind(5, r.last_price);
      insert.bind(6, r.attributes).bind(7, r.snapshot).bind(8, r.recorded_ms);
      insert.run();
      insert.reset();
      if (db_.changes() == 0) {   // recorded before: answer the first recording
        auto first = find(r.kind, r.id);
        if (!first)
          throw error(options_.path + ": snapshot (" + r.kind + ", " + r.id + ") was neither inserted nor found");
        results.push_back(*first);
        continue;
      }
      const int64_t row = db_.last_insert_rowid();
      for (auto h : options_.horizons_s) {
        outcome.bind(1, row).bind(2, h).bind(3, r.time_ms + h * 1000 + options_.settle_ms);
        outcome.run();
        outcome.reset();
      }
      results.push_back({row, true, r.time_ms});
    }
  }
  if (!bars.empty()) {
    // A second seen twice (e.g. across a restart) is merged; prices stay NULL while it has no trade.
    auto upsert = db_.prepare(R"sql(
INSERT INTO bars (symbol, second, open, high, low, close, volume, trades) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
ON CONFLICT (symbol, second) DO UPDATE SET
  open = CASE WHEN trades > 0 THEN open ELSE excluded.open END,
  high = CASE WHEN excluded.trades = 0 THEN high WHEN trades = 0 THEN excluded.high ELSE max(high, excluded.high) END,
  low = CASE WHEN excluded.trades = 0 THEN low WHEN trades = 0 THEN excluded.low ELSE min(low, excluded.low) END,
  close = CASE WHEN excluded.trades > 0 THEN excluded.close ELSE close END,
  volume = volume + excluded.volume,
  trades = trades + excluded.trades)sql");
    for (const auto& series : bars)
      for (const auto& b : series.bars) {
        upsert.bind(1, series.symbol).bind(2, b.second);
        if (b.trades > 0)
          upsert.bind(3, b.open).bind(4, b.high).bind(5, b.low).bind(6, b.close);
        else
          upsert.bind_null(3).bind_null(4).bind_null(5).bind_null(6);
        upsert.bind(7, b.volume).bind(8, b.trades);
        upsert.run();
        upsert.reset();
      }
  }
  tx.commit();
  return results;
}

bool feature_store::has_backfill(const std::string& currency, int64_t step_ms) {
  auto st = db_.prepare("SELECT 1 FROM backfill WHERE currency = ?1 AND step_ms = ?2");
  st.bind(1, currency).bind(2, step_ms);
  const bool found = st.step();
  st.reset();
  return found;
}

std::size_t feature_store::write_backfill(const std::vector<backfill_record>& records, int64_t written_ms) {
  std::size_t inserted = 0;
  transaction tx{db_};
  auto insert = db_.prepare(R"sql(
INSERT INTO backfill (currency, step_ms, record, written_ms) VALUES (?1, ?2, json(?3), ?4)
ON CONFLICT (currency, step_ms) DO NOTHING)sql");
  for (const auto& r : records) {
    insert.bind(1, r.currency).bind(2, r.step_ms).bind(3, r.record).bind(4, written_ms);
    insert.run();
    insert.reset();
    inserted += static_cast<std::size_t>(db_.changes());
  }
  tx.commit();
  return inserted;
}

std::size_t feature_store::reap(int64_t now_ms) {
  struct due {
    int64_t snapshot, horizon_s, time_ms;
    std::string symbol;
    std::optional<double> last_price;
    std::optional<int64_t> side;
  };
  std::vector<due> work;
  {
    auto st = db_.prepare(R"sql(
SELECT o.snapshot, o.horizon_s, s.time_ms, s.symbol, s.last_price, s.side
FROM outcomes o JOIN snapshots s ON s.id = o.snapshot
WHERE o.status = 'pending' AND o.due_ms <= ?1 ORDER BY o.due_ms LIMIT 10000)sql");
    st.bind(1, now_ms);
    while (st.step())
      work.push_back({st.int64(0), st.int64(1), st.int64(2), st.text(3), st.optional_real(4), st.optional_int64(5)});
  }
  if (work.empty())
    return 0;
  transaction tx{db_};
  auto bars = db_.prepare(
    "SELECT second, open, high, low, close, volume, trades FROM bars WHERE symbol = ?1 AND second BETWEEN ?2 AND ?3 "
    "ORDER BY second");
  auto update = db_.prepare(R"sql(
UPDATE outcomes SET status = ?3, price = ?4, return_pct = ?5, max_up_pct = ?6, max_down_pct = ?7,
  favourable_pct = ?8, adverse_pct = ?9, realized_vol_pct = ?10, trades = ?11, gap_s = ?12, gap_start_ms = ?13,
  reason = ?14, labelled_ms = ?15
WHERE snapshot = ?1 AND horizon_s = ?2)sql");
  for (const auto& d : work) {
    quant::outcome_window w;
    w.snapshot_ms = d.time_ms;
    w.horizon_s = d.horizon_s;
    w.entry_price = d.last_price;
    w.side = !d.side ? quant::trade_side::none : *d.side > 0 ? quant::trade_side::long_side : quant::trade_side::short_side;
    w.max_gap_s = options_.max_gap_s;
    const int64_t first = quant::floor_second(d.time_ms) + 1;
    std::vector<quant::second_bar> path;
    bars.bind(1, d.symbol).bind(2, first).bind(3, first + d.horizon_s - 1);
    while (bars.step()) {
      quant::second_bar b;
      b.second = bars.int64(0);
      b.trades = bars.int64(6);
      b.volume = bars.real(5);
      if (b.trades > 0) {
        b.open = bars.real(1);
        b.high = bars.real(2);
        b.low = bars.real(3);
        b.close = bars.real(4);
      }
      path.push_back(b);
    }
    bars.reset();
    const auto o = quant::compute_outcome(w, path);
    const bool ok = o.issue == quant::outcome_issue::none;
    update.bind(1, d.snapshot).bind(2, d.horizon_s).bind(3, std::string{ok ? "labelled" : "incomplete"});
    if (ok) {
      update.bind(4, o.price).bind(5, o.return_pct).bind(6, o.max_up_pct).bind(7, o.max_down_pct);
      update.bind(8, o.favourable_pct).bind(9, o.adverse_pct).bind(10, o.realized_vol_pct).bind(11, o.trades);
    }
    update.bind(12, o.gap_s);
    update.bind(13, o.gap_s > 0 ? std::optional<int64_t>{o.gap_start * 1000} : std::nullopt);
    if (ok)
      update.bind_null(14);
    else if (o.issue == quant::outcome_issue::gap)
      update.bind(14, "feed gap of " + std::to_string(o.gap_s) + "s (outcomes.max-gap " +
                        std::to_string(options_.max_gap_s) + "s)");
    else
      update.bind(14, std::string{"the snapshot has no last trade price"});
    update.bind(15, now_ms);
    update.run();
    update.reset();
  }
  tx.commit();
  return work.size();
}

std::size_t feature_store::mark_lost_bars(const std::vector<bar_hole>& holes, int64_t now_ms) {
  if (holes.empty())
    return 0;
  transaction tx{db_};
  // The window of an outcome is the seconds floor(time) + 1 .. floor(time) + horizon (quant::compute_outcome).
  auto mark = db_.prepare(R"sql(
UPDATE outcomes SET status = 'incomplete', gap_start_ms = ?2 * 1000, gap_s = ?3 - ?2 + 1, reason = ?4, labelled_ms = ?5
WHERE status = 'pending' AND EXISTS (
  SELECT 1 FROM snapshots s WHERE s.id = outcomes.snapshot AND s.symbol = ?1
    AND s.time_ms / 1000 + 1 <= ?3 AND s.time_ms / 1000 + outcomes.horizon_s >= ?2))sql");
  std::size_t marked = 0;
  for (const auto& h : holes) {
    mark.bind(1, h.symbol).bind(2, h.first_second).bind(3, h.last_second);
    mark.bind(4, "bars of " + std::to_string(h.last_second - h.first_second + 1) +
                   "s lost: the store could not write them").bind(5, now_ms);
    mark.run();
    marked += static_cast<std::size_t>(db_.changes());
    mark.reset();
  }
  tx.commit();
  return marked;
}

retention_result feature_store::apply_retention(int64_t now_ms) {
  retention_result out;
  if (options_.bar_retention_s <= 0 && options_.snapshot_retention_s <= 0)
    return out;
  transaction tx{db_};
  if (options_.bar_retention_s > 0) {
    const int64_t cutoff = quant::floor_second(now_ms) - options_.bar_retention_s;
    // Per symbol: never past the first second a pending outcome of that symbol still reads.
    std::vector<std::string> symbols;
    {
      auto st = db_.prepare("SELECT DISTINCT symbol FROM bars");
      while (st.step())
        symbols.push_back(st.text(0));
    }
    auto keep_from = db_.prepare(R"sql(
SELECT min(s.time_ms / 1000 + 1) FROM outcomes o JOIN snapshots s ON s.id = o.snapshot
WHERE o.status = 'pending' AND s.symbol = ?1)sql");
    auto remove = db_.prepare("DELETE FROM bars WHERE symbol = ?1 AND second < ?2");
    for (const auto& symbol : symbols) {
      int64_t until = cutoff;
      keep_from.bind(1, symbol);
      if (keep_from.step() && !keep_from.is_null(0))
        until = std::min(until, keep_from.int64(0));
      keep_from.reset();
      remove.bind(1, symbol).bind(2, until);
      remove.run();
      out.bars += static_cast<uint64_t>(db_.changes());
      remove.reset();
    }
  }
  if (options_.snapshot_retention_s > 0) {
    const int64_t cutoff_ms = now_ms - options_.snapshot_retention_s * 1000;
    const char* old_done = "SELECT id FROM snapshots s WHERE s.time_ms < ?1 AND NOT EXISTS "
                           "(SELECT 1 FROM outcomes o WHERE o.snapshot = s.id AND o.status = 'pending')";
    auto outcomes = db_.prepare(std::string{"DELETE FROM outcomes WHERE snapshot IN ("} + old_done + ")");
    outcomes.bind(1, cutoff_ms);
    outcomes.run();
    outcomes.reset();
    auto snapshots = db_.prepare(std::string{"DELETE FROM snapshots WHERE id IN ("} + old_done + ")");
    snapshots.bind(1, cutoff_ms);
    snapshots.run();
    out.snapshots = static_cast<uint64_t>(db_.changes());
    snapshots.reset();
  }
  tx.commit();
  return out;
}

bool feature_store::checkpoint() {
  // Without waiting: a reader holding the WAL would otherwise stall the store for the whole busy timeout;
  // what it holds back is copied by the next checkpoint.
  db_.exec("PRAGMA busy_timeout = 0");
  bool complete = false;
  try {
    auto st = db_.prepare("PRAGMA wal_checkpoint(TRUNCATE)");
    // One row: busy (1 when a reader or writer kept it from finishing), WAL frames, frames checkpointed.
    complete = st.step() && st.int64(0) == 0;
    st.reset();
  } catch (const error&) {
    db_.exec("PRAGMA busy_timeout = " + std::to_string(options_.busy_timeout_ms));
    throw;
  }
  db_.exec("PRAGMA busy_timeout = " + std::to_string(options_.busy_timeout_ms));
  return complete;
}

store_counts feature_store::counts() {
  store_counts c;
  {
    auto st = db_.prepare("SELECT count(*) FROM snapshots");
    st.step();
    c.recorded = static_cast<uint64_t>(st.int64(0));
    st.reset();
  }
  auto st = db_.prepare("SELECT status, count(*) FROM outcomes GROUP BY status");
  while (st.step()) {
    const auto status = st.text(0);
    const auto n = static_cast<uint64_t>(st.int64(1));
    if (status == "pending")
      c.pending = n;
    else if (status == "labelled")
      c.labelled = n;
    else if (status == "incomplete")
      c.incomplete = n;
  }
  return c;
}

std::string feature_store::integrity_check() {
  auto st = db_.prepare("PRAGMA integrity_check");
  std::string first = st.step() ? st.text(0) : std::string{"no answer"};
  st.reset();
  return first;
}

} // namespace derivcache::store
