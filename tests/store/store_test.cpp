// The feature/label store on a real SQLite file: schema and migrations, idempotent recording, bars,
// outcomes at each horizon, gaps and a restart with pending outcomes.
#include "store/store.hpp"

#include "runtime/snapshot_sink.hpp"
#include "support/signals.hpp"
#include "support/store_options.hpp"
#include "support/temp_file.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include <sys/stat.h>

namespace derivcache::test {
namespace {

using store::feature_store;

/// Each test starts from an empty database file.
struct FeatureStore : ::testing::Test {
  temp_db db;
  store::store_options options = test_store_options(db.path);
};

store::record_input event(const std::string& id, int64_t time_ms, const std::string& attributes = "{}") {
  store::record_input r;
  r.kind = "detector";
  r.id = id;
  r.symbol = "BTCUSDT";
  r.attributes = attributes;
  r.snapshot = R"({"symbol":"BTCUSDT","last_price":100})";
  r.time_ms = time_ms;
  r.last_price = 100.0;
  r.recorded_ms = time_ms + 1;
  return r;
}

quant::second_bar traded(int64_t s, double o, double h, double l, double c, int64_t trades) {
  return {s, o, h, l, c, 1.0, trades};
}

// The price path of tests/quant/outcomes_test.cpp: snapshot at 1000.5 s, entry 100.
store::bar_series path() {
  return {"BTCUSDT",
          {traded(1001, 100, 101, 99.5, 101, 2), quant::second_bar{1002, 0, 0, 0, 0, 0, 0},
           traded(1003, 101, 103, 100.5, 102, 3), traded(1004, 102, 102, 98, 99, 1), traded(1005, 99, 99.5, 99, 99.5, 1)}};
}

struct outcome_row {
  std::string status;
  std::optional<double> price, return_pct, max_up, max_down, favourable, adverse;
  std::optional<int64_t> gap_s;
  std::string reason;
};

outcome_row outcome_of(feature_store& s, int64_t snapshot, int64_t horizon) {
  auto st = s.db().prepare(
    "SELECT status, price, return_pct, max_up_pct, max_down_pct, favourable_pct, adverse_pct, gap_s, "
    "coalesce(reason, '') FROM outcomes WHERE snapshot = ?1 AND horizon_s = ?2");
  st.bind(1, snapshot).bind(2, horizon);
  EXPECT_TRUE(st.step()) << "no outcome row";
  outcome_row r{st.text(0), st.optional_real(1), st.optional_real(2), st.optional_real(3), st.optional_real(4),
                st.optional_real(5), st.optional_real(6), st.optional_int64(7), st.text(8)};
  st.reset();
  return r;
}

void expect_labelled(const outcome_row& r, double price, double return_pct, double max_up, double max_down) {
  EXPECT_EQ(r.status, "labelled");
  ASSERT_TRUE(r.price && r.return_pct && r.max_up && r.max_down);
  EXPECT_DOUBLE_EQ(*r.price, price);
  EXPECT_NEAR(*r.return_pct, return_pct, 1e-12);
  EXPECT_NEAR(*r.max_up, max_up, 1e-12);
  EXPECT_NEAR(*r.max_down, max_down, 1e-12);
}

TEST_F(FeatureStore, CreatesTheSchemaAtTheCurrentVersionInWalMode) {
  feature_store s{options};
  EXPECT_EQ(s.version(), store::schema_version);
  auto st = s.db().prepare("PRAGMA journal_mode");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.text(0), "wal");
  st.reset();
  EXPECT_EQ(s.integrity_check(), "ok");
}

TEST_F(FeatureStore, RefusesADatabaseFromANewerVersion) {
  { feature_store s{options}; s.db().exec("PRAGMA user_version = 99"); }
  try {
    feature_store s{options};
    ADD_FAILURE() << "opened a newer schema";
  } catch (const store::error& e) {
    EXPECT_NE(std::string{e.what()}.find("schema version 99 is newer"), std::string::npos) << e.what();
  }
}

double number(feature_store& s, const std::string& sql) {
  auto st = s.db().prepare(sql);
  EXPECT_TRUE(st.step()) << sql;
  auto v = st.optional_real(0);
  st.reset();
  EXPECT_TRUE(v) << sql;
  return v.value_or(std::nan(""));
}

// A version-3 database is a version-4 one without the backfill table migration 4 adds.
void make_version_three(feature_store& s) { s.db().exec("DROP TABLE backfill; PRAGMA user_version = 3"); }

// A version-2 database is a version-3 one without the view migration 3 adds.
void make_version_two(feature_store& s) {
  make_version_three(s);
  s.db().exec("DROP VIEW dvol; PRAGMA user_version = 2");
}

// A version-1 database is a version-2 one without the views migration 2 adds.
void make_version_one(feature_store& s) {
  make_version_two(s);
  s.db().exec("DROP VIEW surface_atm; DROP VIEW surface_skew; DROP VIEW basis_cm; DROP VIEW mfiv; "
              "PRAGMA user_version = 1");
}

// A store at `options` holding one snapshot ("old"), taken back to an older version by `downgrade`, then opened
// again: it is upgraded to the current version and still holds the snapshot.
std::unique_ptr<feature_store> upgraded_from(const store::store_options& options, void (*downgrade)(feature_store&)) {
  {
    feature_store s{options};
    s.write({event("old", 1'000'500)}, {});
    downgrade(s);
  }
  auto s = std::make_unique<feature_store>(options);
  EXPECT_EQ(s->version(), store::schema_version);
  EXPECT_EQ(s->counts().recorded, 1u);
  return s;
}

TEST_F(FeatureStore, AVersionOneDatabaseIsUpgradedInPlaceAndTheSignalsOfNewSnapshotsAreRows) {
  {
    feature_store s{options};
    s.write({event("old", 1'000'500)}, {});
    make_version_one(s);
  }
  {
    auto read_only = options;   // export reads an older store as it is
    read_only.read_only = true;
    feature_store r{read_only};
    EXPECT_EQ(r.version(), 1);
    EXPECT_EQ(r.counts().recorded, 1u);
  }
  feature_store s{options};
  EXPECT_EQ(s.version(), store::schema_version);
  EXPECT_EQ(s.counts().recorded, 1u);
  EXPECT_EQ(number(s, "SELECT count(*) FROM surface_skew"), 0);   // version-1 snapshots have no surface

  messages::feature_snapshot snap;
  snap.symbol = "BTCUSDT";
  snap.currency = "BTC";
  const caf::timestamp received{std::chrono::milliseconds{real_chain_as_of_ms + 700}};
  snap.surface = real_surface_records(received);
  snap.basis_cm = real_basis_cm_records(received);
  snap.mfiv = real_mfiv_record(received);
  auto e = event("new", 2'000'500);
  e.snapshot = runtime::snapshot_json(snap);
  s.write({e}, {});
  EXPECT_NEAR(number(s, "SELECT skew FROM surface_skew WHERE tenor_days = 30 AND delta = 0.25"), 6.3218, 5e-5);
  EXPECT_NEAR(number(s, "SELECT skew FROM surface_skew WHERE tenor_days = 30 AND delta = 0.1"), 13.6437, 5e-5);
  EXPECT_NEAR(number(s, "SELECT atm_iv FROM surface_atm WHERE tenor_days = 7"), 53.1526, 5e-5);
  EXPECT_NEAR(number(s, "SELECT apr_pct FROM basis_cm WHERE tenor_days = 90"), 12.5524, 5e-5);
  EXPECT_NEAR(number(s, "SELECT value_pct FROM mfiv WHERE currency = 'BTC'"), 54.9440, 5e-5);
  EXPECT_EQ(number(s, "SELECT as_of_ms FROM mfiv"), real_chain_as_of_ms);
  // Each surface point joins its snapshot's outcomes: 5 tenors x 2 deltas x 2 horizons.
  EXPECT_EQ(number(s, "SELECT count(*) FROM surface_skew k JOIN outcomes o ON o.snapshot = k.snapshot"), 20);
  EXPECT_EQ(s.integrity_check(), "ok");
}

TEST_F(FeatureStore, AVersionTwoDatabaseIsUpgradedInPlaceAndDvolOfNewSnapshotsIsARow) {
  auto upgraded = upgraded_from(options, make_version_two);
  auto& s = *upgraded;
  EXPECT_EQ(number(s, "SELECT count(*) FROM dvol"), 0);   // the old snapshot has no dvol object

  const caf::timestamp received{std::chrono::milliseconds{real_chain_as_of_ms + 700}};
  messages::feature_snapshot btc;
  btc.symbol = "BTCUSDT";
  btc.currency = "BTC";
  btc.mfiv = real_mfiv_record(received);
  btc.dvol = real_dvol_record(received);
  auto e = event("btc", 2'000'500);
  e.snapshot = runtime::snapshot_json(btc);
  messages::feature_snapshot sol;
  sol.symbol = "SOLUSDT";
  sol.currency = "SOL";
  sol.dvol.reason = "not listed for SOL";
  auto f = event("sol", 2'000'600);
  f.snapshot = runtime::snapshot_json(sol);
  s.write({e, f}, {});
  EXPECT_EQ(number(s, "SELECT close FROM dvol WHERE currency = 'BTC'"), 35.47);
  EXPECT_NEAR(number(s, "SELECT mfiv_minus_dvol FROM dvol WHERE currency = 'BTC'"), 54.9440 - 35.47, 5e-5);
  EXPECT_EQ(number(s, "SELECT candle_ms FROM dvol WHERE currency = 'BTC'"), 1789905600000);
  EXPECT_EQ(number(s, "SELECT candles FROM dvol WHERE currency = 'BTC'"), 15);
  EXPECT_EQ(number(s, "SELECT count(*) FROM dvol WHERE currency = 'SOL' AND close IS NULL "
                      "AND reason = 'not listed for SOL'"), 1);
  // The row joins its snapshot's outcomes, one per horizon.
  EXPECT_EQ(number(s, "SELECT count(*) FROM dvol d JOIN outcomes o ON o.snapshot = d.snapshot "
                      "WHERE d.currency = 'BTC'"), 2);
  EXPECT_EQ(s.integrity_check(), "ok");
}

TEST_F(FeatureStore, AVersionThreeDatabaseGainsTheBackfillTableAndARecordIsWrittenOncePerCurrencyAndStep) {
  auto upgraded = upgraded_from(options, make_version_three);
  auto& s = *upgraded;
  const std::vector<store::backfill_record> step{{"BTC", 1'800'000, R"({"currency":"BTC","as_of_ms":1800000})"},
                                                 {"ETH", 1'800'000, R"({"currency":"ETH","as_of_ms":1800000})"}};
  EXPECT_EQ(s.write_backfill(step, 5'000), 2u);
  EXPECT_TRUE(s.has_backfill("BTC", 1'800'000));
  EXPECT_FALSE(s.has_backfill("BTC", 2'100'000));
  auto again = step;
  again[0].record = R"({"currency":"BTC","as_of_ms":1800000,"changed":true})";
  EXPECT_EQ(s.write_backfill(again, 9'000), 0u);   // the first write stays, with its time
  EXPECT_EQ(number(s, "SELECT count(*) FROM backfill"), 2);
  EXPECT_EQ(number(s, "SELECT count(*) FROM backfill WHERE json_extract(record, '$.changed') IS NULL "
                      "AND written_ms = 5000"), 2);
  EXPECT_THROW(s.write_backfill({{"BTC", 2'100'000, "not json"}}, 9'000), store::error);
  EXPECT_EQ(number(s, "SELECT count(*) FROM backfill"), 2);   // the failed batch wrote nothing
}

TEST_F(FeatureStore, ReopeningKeepsDataAndDoesNotMigrateAgain) {
  { feature_store s{options}; s.write({event("a", 1'000'500)}, {}); }
  feature_store s{options};
  EXPECT_EQ(s.version(), store::schema_version);
  EXPECT_EQ(s.counts().recorded, 1u);
  EXPECT_EQ(s.counts().pending, 2u);   // one per horizon
}

TEST_F(FeatureStore, RecordingTheSameKindAndIdTwiceIsIdempotent) {
  feature_store s{options};
  auto first = s.write({event("a", 1'000'500)}, {});
  ASSERT_EQ(first.size(), 1u);
  EXPECT_TRUE(first[0].created);
  auto again = s.write({event("a", 2'000'000), event("b", 2'000'000)}, {});
  ASSERT_EQ(again.size(), 2u);
  EXPECT_FALSE(again[0].created);
  EXPECT_EQ(again[0].snapshot, first[0].snapshot);
  EXPECT_EQ(again[0].time_ms, 1'000'500);    // the first recording stands
  EXPECT_TRUE(again[1].created);
  const auto c = s.counts();
  EXPECT_EQ(c.recorded, 2u);
  EXPECT_EQ(c.pending, 4u);
}

TEST_F(FeatureStore, RejectsAttributesThatAreNotAJsonObjectAndWritesNothing) {
  feature_store s{options};
  for (const std::string bad : {"[1,2]", "{not json", "\"side\""}) {
    try {
      s.write({event("ok", 1'000'500), event("bad", 1'000'500, bad)}, {});
      ADD_FAILURE() << "accepted " << bad;
    } catch (const store::error& e) {
      EXPECT_NE(std::string{e.what()}.find("attributes must be a JSON object"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(s.counts().recorded, 0u);   // the batch rolled back as one transaction
}

TEST_F(FeatureStore, OutcomesAtEachHorizonEqualHandComputedValues) {
  feature_store s{options};
  const auto id = s.write({event("a", 1'000'500, R"({"side":"BUY","detector":"breakout"})")}, {path()})[0].snapshot;
  EXPECT_EQ(s.reap(1'000'500 + 3000 + 2000 - 1), 0u);   // horizon 3 s is due after settling for 2 s
  EXPECT_EQ(s.reap(1'000'500 + 3000 + 2000), 1u);
  auto h3 = outcome_of(s, id, 3);
  expect_labelled(h3, 102, 2.0, 3.0, 0.5);
  EXPECT_NEAR(*h3.favourable, 3.0, 1e-12);   // side BUY: up is favourable
  EXPECT_NEAR(*h3.adverse, 0.5, 1e-12);
  EXPECT_EQ(outcome_of(s, id, 5).status, "pending");
  EXPECT_EQ(s.reap(1'000'500 + 5000 + 2000), 1u);
  auto h5 = outcome_of(s, id, 5);
  expect_labelled(h5, 99.5, -0.5, 3.0, 2.0);
  EXPECT_EQ(*h5.gap_s, 0);
  const auto c = s.counts();
  EXPECT_EQ(c.labelled, 2u);
  EXPECT_EQ(c.pending, 0u);
}

TEST_F(FeatureStore, AGapLongerThanMaxGapMarksTheHorizonIncomplete) {
  feature_store s{options};
  auto bars = path();
  bars.bars.erase(bars.bars.begin() + 1, bars.bars.begin() + 4);   // nothing in 1002 .. 1004
  const auto id = s.write({event("a", 1'000'500)}, {bars})[0].snapshot;
  EXPECT_EQ(s.reap(1'000'500 + 5000 + 2000), 2u);
  auto h5 = outcome_of(s, id, 5);
  EXPECT_EQ(h5.status, "incomplete");
  EXPECT_EQ(*h5.gap_s, 3);
  EXPECT_FALSE(h5.price);   // never filled with a guess
  EXPECT_FALSE(h5.return_pct);
  EXPECT_NE(h5.reason.find("feed gap of 3s"), std::string::npos) << h5.reason;
  auto h3 = outcome_of(s, id, 3);   // 1002 .. 1003 missing: 2 s, tolerated
  EXPECT_EQ(h3.status, "labelled");
  EXPECT_EQ(*h3.gap_s, 2);
  EXPECT_EQ(s.counts().incomplete, 1u);
}

TEST_F(FeatureStore, BarsOfTheSameSecondAreMerged) {
  feature_store s{options};
  s.write({}, {{"BTCUSDT", {quant::second_bar{1001, 0, 0, 0, 0, 0, 0}}}});
  s.write({}, {{"BTCUSDT", {traded(1001, 100, 101, 99, 100.5, 2)}}});
  s.write({}, {{"BTCUSDT", {traded(1001, 100.5, 102, 99.5, 101.5, 1)}}});
  auto st = s.db().prepare("SELECT open, high, low, close, trades FROM bars WHERE symbol = 'BTCUSDT' AND second = 1001");
  ASSERT_TRUE(st.step());
  EXPECT_DOUBLE_EQ(st.real(0), 100);
  EXPECT_DOUBLE_EQ(st.real(1), 102);
  EXPECT_DOUBLE_EQ(st.real(2), 99);
  EXPECT_DOUBLE_EQ(st.real(3), 101.5);
  EXPECT_EQ(st.int64(4), 3);
  st.reset();
}

TEST_F(FeatureStore, ARestartResumesPendingOutcomesAndMarksUnseenWindowsIncomplete) {
  int64_t seen = 0, unseen = 0;
  {
    feature_store s{options};
    seen = s.write({event("seen", 1'000'500)}, {path()})[0].snapshot;
    unseen = s.write({event("unseen", 1'010'000)}, {})[0].snapshot;   // the engine stopped right after
    EXPECT_EQ(s.counts().pending, 4u);
  }
  feature_store s{options};   // started again an hour later
  EXPECT_EQ(s.counts().pending, 4u);
  EXPECT_EQ(s.reap(1'010'000 + 3'600'000), 4u);
  EXPECT_EQ(outcome_of(s, seen, 5).status, "labelled");
  EXPECT_DOUBLE_EQ(*outcome_of(s, seen, 5).price, 99.5);
  auto lost = outcome_of(s, unseen, 5);
  EXPECT_EQ(lost.status, "incomplete");
  EXPECT_EQ(*lost.gap_s, 5);   // 1011 .. 1015 never seen
  const auto c = s.counts();
  EXPECT_EQ(c.labelled, 2u);
  EXPECT_EQ(c.incomplete, 2u);
  EXPECT_EQ(c.pending, 0u);
}

TEST_F(FeatureStore, ErrorsNameTheSqlAndSqliteMessage) {
  feature_store s{options};
  try {
    s.db().exec("SELECT nope FROM snapshots");
    ADD_FAILURE();
  } catch (const store::error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("SELECT nope FROM snapshots"), std::string::npos) << what;
    EXPECT_NE(what.find("no such column: nope"), std::string::npos) << what;
  }
}

TEST_F(FeatureStore, ALockedDatabaseIsATransientErrorABadRecordIsNot) {
  options.busy_timeout_ms = 0;
  feature_store s{options};
  store::connection other{db.path, false};
  other.exec("BEGIN IMMEDIATE");
  try {
    s.write({event("e1", 1'000'500)}, {});
    ADD_FAILURE() << "wrote through a lock";
  } catch (const store::error& e) {
    EXPECT_TRUE(e.transient()) << e.what();
    EXPECT_NE(std::string{e.what()}.find("database is locked"), std::string::npos) << e.what();
  }
  other.exec("ROLLBACK");
  try {
    s.db().exec("INSERT INTO outcomes (snapshot, horizon_s, due_ms, status) VALUES (1, 1, 1, 'nonsense')");
    ADD_FAILURE();
  } catch (const store::error& e) {
    EXPECT_FALSE(e.transient()) << e.what();
  }
}

std::string bar_seconds(feature_store& s) {
  auto st = s.db().prepare("SELECT min(second) || '..' || max(second) || ' ' || count(*) FROM bars");
  st.step();
  auto out = st.text(0);
  st.reset();
  return out;
}

store::bar_series bars_from_to(int64_t first, int64_t last) {
  store::bar_series b{"BTCUSDT", {}};
  for (int64_t sec = first; sec <= last; ++sec)
    b.bars.push_back(traded(sec, 100, 100, 100, 100, 1));
  return b;
}

TEST_F(FeatureStore, RetentionDeletesOldBarsButKeepsThoseAPendingOutcomeReads) {
  options.bar_retention_s = 10;
  options.snapshot_retention_s = 30;
  feature_store s{options};
  s.write({event("old", 1'020'500)}, {bars_from_to(1000, 1100)});
  s.reap(1'030'000);                                          // "old" labelled at both horizons
  const auto pending = s.write({event("pending", 1'050'500)}, {}).front();
  // The clock is an argument: at 1100 s the cut is 1090 s, but "pending" still reads 1051 .. 1055.
  auto deleted = s.apply_retention(1'100'000);
  EXPECT_EQ(bar_seconds(s), "1051..1100 50");
  EXPECT_EQ(deleted.bars, 51u);
  EXPECT_EQ(deleted.snapshots, 1u);                            // "old": labelled and older than 30 s
  EXPECT_EQ(s.counts().recorded, 1u);
  EXPECT_EQ(s.find("detector", "pending")->snapshot, pending.snapshot);
  s.reap(1'100'000);                                          // "pending" is labelled now
  EXPECT_EQ(outcome_of(s, pending.snapshot, 5).status, "labelled");
  deleted = s.apply_retention(1'100'000);
  EXPECT_EQ(bar_seconds(s), "1090..1100 11");
  EXPECT_EQ(deleted.snapshots, 1u);
  EXPECT_EQ(s.counts().recorded, 0u);
}

TEST_F(FeatureStore, RetentionOffKeepsEverything) {
  feature_store s{options};
  s.write({}, {bars_from_to(1000, 1100)});
  const auto deleted = s.apply_retention(9'000'000'000);
  EXPECT_EQ(deleted.bars, 0u);
  EXPECT_EQ(bar_seconds(s), "1000..1100 101");
}

TEST_F(FeatureStore, LostBarsMarkOnlyTheOutcomesWhoseWindowTheyFallIn) {
  feature_store s{options};
  const auto before = s.write({event("before", 1'000'500)}, {}).front();   // windows 1001..1003 and 1001..1005
  const auto after = s.write({event("after", 1'004'500)}, {}).front();     // windows 1005..1007 and 1005..1009
  s.write({}, {bars_from_to(1001, 1001), bars_from_to(1003, 1012)});      // 1002 never arrives: a 1 s gap
  EXPECT_EQ(s.mark_lost_bars({{"BTCUSDT", 1002, 1002}}, 1'001'000), 2u);
  EXPECT_EQ(outcome_of(s, before.snapshot, 3).reason, "bars of 1s lost: the store could not write them");
  EXPECT_EQ(outcome_of(s, before.snapshot, 5).status, "incomplete");
  s.reap(1'020'000);   // a 1 s gap is within max-gap 2 s: without the mark, "before" would be labelled over it
  EXPECT_EQ(outcome_of(s, before.snapshot, 3).status, "incomplete");
  EXPECT_EQ(outcome_of(s, after.snapshot, 3).status, "labelled");
  EXPECT_EQ(outcome_of(s, after.snapshot, 5).status, "labelled");
}

TEST_F(FeatureStore, ACheckpointHeldBackByAReaderTruncatesTheWalOnceItIsGone) {
  feature_store s{options};
  s.write({}, {bars_from_to(1000, 2000)});
  {
    store::connection reader{db.path, true};
    reader.exec("BEGIN");
    auto st = reader.prepare("SELECT count(*) FROM bars");   // holds a read snapshot of the WAL
    ASSERT_TRUE(st.step());
    s.write({}, {bars_from_to(3000, 3100)});
    EXPECT_FALSE(s.checkpoint());   // at once: it does not wait store.busy-timeout for the reader
    st.reset();
    reader.exec("COMMIT");
  }
  EXPECT_TRUE(s.checkpoint());
  struct stat wal {};
  ASSERT_EQ(::stat((db.path + "-wal").c_str(), &wal), 0);
  EXPECT_EQ(wal.st_size, 0);
}

} // namespace
} // namespace derivcache::test
