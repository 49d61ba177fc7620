// The store keeper and the collector's bars, on the deterministic scheduler with an injected wall clock:
// a record is answered after COMMIT, is idempotent, outcomes at each horizon equal hand-computed values on
// a recorded trade sequence, a gap gives incomplete, and a restart resumes pending outcomes.
#include "actor_fixture.hpp"

#include "actors/feature_collector.hpp"
#include "actors/introspection.hpp"
#include "actors/store_keeper.hpp"
#include "messages/errors.hpp"
#include "support/store_options.hpp"
#include "support/temp_file.hpp"

#include <csignal>
#include <functional>
#include <poll.h>
#include <set>
#include <sys/wait.h>
#include <unistd.h>

namespace derivcache::test {
namespace {

using namespace std::chrono_literals;

caf::timestamp at_ms(int64_t ms) { return caf::timestamp{std::chrono::milliseconds{ms}}; }

messages::spot_trade trade(int64_t t_ms, double price, int64_t id) {
  messages::spot_trade t;
  t.symbol = "BTCUSDT";
  t.price = price;
  t.quantity = 0.5;
  t.first_trade_id = t.last_trade_id = id;
  t.trade_time = t.event_time = t.received = at_ms(t_ms);
  return t;
}

messages::spot_ticker ticker(int64_t received_ms, int64_t update_id) {
  messages::spot_ticker t;
  t.symbol = "BTCUSDT";
  t.update_id = update_id;
  t.bid_price = 99;
  t.ask_price = 101;
  t.received = at_ms(received_ms);
  return t;
}

struct StoreKeeper : DeterministicCaf {
  temp_db db;
  std::shared_ptr<int64_t> now_ms = std::make_shared<int64_t>(1'000'500);
  captured_log log;
  messages::store_actor keeper;
  messages::feature_collector_actor collector;

  store::store_options options() const { return test_store_options(db.path); }

  std::shared_ptr<runtime::store_stats> stats = std::make_shared<runtime::store_stats>();

  void start_keeper(std::function<void(actors::store_keeper_deps&, store::store_options&)> tune = {}) {
    actors::store_keeper_deps deps;
    auto o = options();
    if (tune)
      tune(deps, o);
    deps.store = std::make_shared<store::feature_store>(o);
    deps.wall_clock = [n = now_ms] { return at_ms(*n); };
    deps.detached = false;
    deps.log = log.log;
    deps.stats = stats;
    keeper = track(actors::make_store_keeper(sys, std::move(deps)));
    sched.run();
  }

  void start_collector(caf::timespan record_every = caf::timespan{0}) {
    actors::feature_collector_deps deps;
    deps.symbols = {"BTCUSDT"};
    deps.store = keeper;
    deps.snapshot_interval = record_every;
    deps.record_periodic = record_every > caf::timespan{0};
    deps.wall_clock = [n = now_ms] { return at_ms(*n); };
    collector = track(actors::make_feature_collector(sys, std::move(deps)));
    sched.run();
  }

  void stop_keeper() {
    caf::anon_send_exit(keeper, caf::exit_reason::user_shutdown);
    sched.run();
    keeper = nullptr;
  }

  void feed(std::vector<messages::spot_trade> trades, std::vector<messages::spot_ticker> tickers = {}) {
    for (auto& t : trades)
      t.read_at = sched.clock().now();   // read from the socket now, as the feed stamps it
    for (auto& t : tickers)
      t.read_at = sched.clock().now();
    self->send(collector, messages::spot_batch{std::move(trades), std::move(tickers), {}});
    sched.run();
  }

  messages::record_reply record(const std::string& id, const std::string& attributes = "{}") {
    messages::record_reply out;
    self->send(collector, messages::record_request{"detector", id, "btcusdt", attributes});
    sched.run();
    receive_now<messages::record_reply>([&](messages::record_reply& r) { out = r; });
    return out;
  }

  /// A reader of its own, as a notebook would open the file.
  std::string query(const std::string& sql) {
    store::connection c{db.path, true};
    auto st = c.prepare(sql);
    std::string out;
    while (st.step()) {
      if (!out.empty())
        out += ';';
      out += st.text(0);
    }
    return out;
  }

  /// Moves the wall clock and the actor clock forward by `d` (one reaper tick per second).
  void advance(std::chrono::seconds d) {
    for (int i = 0; i < d.count(); ++i) {
      *now_ms += 1000;
      sched.advance_time(1s);
      sched.run();
    }
  }

  messages::store_counts counts() {
    messages::store_counts out;
    self->send(keeper, caf::get_atom::value, messages::status_atom::value);
    sched.run();
    receive_now<messages::store_counts>([&](messages::store_counts& c) { out = c; });
    return out;
  }

  // The sequence of tests/quant/outcomes_test.cpp, as trades: entry 100 before the snapshot at 1000.5 s;
  // 1001: 100, 99.5, 101; 1002: book tickers only; 1003: 101, 103, 100.5, 102; 1004: 102, 98, 99;
  // 1005: 99, 99.5; a ticker in 1006 closes 1005.
  void play_sequence(bool with_gap = false) {
    feed({trade(1'001'100, 100, 11), trade(1'001'400, 99.5, 12), trade(1'001'900, 101, 13)});
    if (!with_gap) {
      feed({}, {ticker(1'002'300, 1), ticker(1'002'700, 2)});
      feed({trade(1'003'000, 101, 14), trade(1'003'200, 103, 15), trade(1'003'500, 100.5, 16),
            trade(1'003'999, 102, 17)});
      feed({trade(1'004'100, 102, 18), trade(1'004'200, 98, 19), trade(1'004'800, 99, 20)});
    }
    feed({trade(1'005'000, 99, 21), trade(1'005'600, 99.5, 22)});
    feed({}, {ticker(1'006'100, 3)});
  }
};

TEST_F(StoreKeeper, RecordIsAnsweredOnlyAfterTheTransactionCommitted) {
  start_keeper();
  start_collector();
  feed({trade(1'000'200, 100, 10)});
  self->send(collector, messages::record_request{"detector", "e1", "BTCUSDT", R"({"side":"buy"})"});
  sched.run_once();   // the collector captures and delegates
  sched.run_once();   // the keeper queues the write
  bool answered = false;
  self->receive([&](messages::record_reply&) { answered = true; }, caf::after(0s) >> [] {});
  EXPECT_FALSE(answered);
  EXPECT_EQ(query("SELECT count(*) FROM snapshots"), "0");   // not committed yet, and no reply either
  sched.run();        // the flush commits, then answers
  receive_now<messages::record_reply>([&](messages::record_reply& r) {
    EXPECT_TRUE(r.created);
    EXPECT_EQ(r.kind, "detector");
    EXPECT_EQ(r.id, "e1");
    EXPECT_EQ(r.time, at_ms(1'000'500));
    EXPECT_EQ(query("SELECT count(*) FROM snapshots"), "1");
  });
  EXPECT_EQ(query("SELECT symbol || ' ' || last_price || ' ' || side || ' ' || json_extract(snapshot, '$.last_price') "
                  "FROM snapshots"),
            "BTCUSDT 100.0 1 100");
}

TEST_F(StoreKeeper, RecordingTheSameEventTwiceIsIdempotent) {
  start_keeper();
  start_collector();
  feed({trade(1'000'200, 100, 10)});
  const auto first = record("e1");
  *now_ms += 5000;
  const auto again = record("e1");
  EXPECT_TRUE(first.created);
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.snapshot, first.snapshot);
  EXPECT_EQ(again.time, first.time);
  EXPECT_EQ(counts().recorded, 1u);
}

TEST_F(StoreKeeper, BadRequestsGetClearErrorsAndWriteNothing) {
  start_keeper();
  start_collector();
  self->send(collector, messages::record_request{"detector", "e1", "BTCUSDT", "[1]"});
  self->send(collector, messages::record_request{"", "e2", "BTCUSDT", "{}"});
  self->send(collector, messages::record_request{"detector", "e3", "DOGEUSDT", "{}"});
  sched.run();
  std::string errors;   // the collector answers the unknown symbol itself, so the order varies
  for (int i = 0; i < 3; ++i)
    self->receive([&](messages::record_reply&) { ADD_FAILURE() << "recorded"; },
                  [&](caf::error& err) {
                    EXPECT_EQ(err, messages::errc::request_error);
                    errors += messages::render(err) + "\n";
                  },
                  caf::after(0s) >> [&] { ADD_FAILURE() << "missing answer"; });
  for (const char* expected : {"attributes must be a JSON object", "kind and id must not be empty", "unknown symbol 'DOGEUSDT'"})
    EXPECT_NE(errors.find(expected), std::string::npos) << errors;
  EXPECT_EQ(counts().recorded, 0u);
}

TEST_F(StoreKeeper, OutcomesAtEachHorizonEqualHandComputedValuesOnARecordedTradeSequence) {
  start_keeper();
  start_collector();
  feed({trade(1'000'200, 100, 10)});
  const auto r = record("e1", R"({"side":"sell"})");
  ASSERT_TRUE(r.created);
  play_sequence();
  advance(6s);   // 1006.5: horizon 3 s (1003) settled at 1005.5; horizon 5 s not before 1007.5
  const auto id = std::to_string(r.snapshot);
  EXPECT_EQ(query("SELECT status || ' ' || price || ' ' || round(return_pct, 9) || ' ' || round(max_up_pct, 9) || ' ' || "
                  "round(max_down_pct, 9) || ' ' || round(favourable_pct, 9) || ' ' || round(adverse_pct, 9) || ' ' || "
                  "trades FROM outcomes WHERE horizon_s = 3 AND snapshot = " + id),
            "labelled 102.0 2.0 3.0 0.5 0.5 3.0 7");   // short: down is favourable
  EXPECT_EQ(query("SELECT status FROM outcomes WHERE horizon_s = 5"), "pending");
  advance(1s);
  EXPECT_EQ(query("SELECT status || ' ' || price || ' ' || round(return_pct, 9) || ' ' || round(max_up_pct, 9) || ' ' || "
                  "round(max_down_pct, 9) || ' ' || round(realized_vol_pct, 6) || ' ' || gap_s FROM outcomes "
                  "WHERE horizon_s = 5 AND snapshot = " + id),
            "labelled 99.5 -0.5 3.0 2.0 8377.196096 0");
  const auto c = counts();
  EXPECT_EQ(c.recorded, 1u);
  EXPECT_EQ(c.labelled, 2u);
  EXPECT_EQ(c.pending, 0u);
  EXPECT_EQ(c.path, db.path);
}

TEST_F(StoreKeeper, AFeedGapLongerThanMaxGapGivesIncomplete) {
  start_keeper();
  start_collector();
  feed({trade(1'000'200, 100, 10)});
  const auto r = record("e1");
  play_sequence(/*with_gap=*/true);   // nothing in 1002 .. 1004
  advance(7s);
  EXPECT_EQ(query("SELECT horizon_s || ' ' || status || ' ' || gap_s || ' ' || coalesce(price, 'null') FROM outcomes "
                  "WHERE snapshot = " + std::to_string(r.snapshot) + " ORDER BY horizon_s"),
            "3 labelled 2 101.0;5 incomplete 3 null");
  EXPECT_EQ(counts().incomplete, 1u);
}

TEST_F(StoreKeeper, ARestartResumesPendingOutcomes) {
  start_keeper();
  start_collector();
  feed({trade(1'000'200, 100, 10)});
  const auto seen = record("seen");
  play_sequence();
  *now_ms = 1'010'000;
  const auto lost = record("lost");   // the engine stops right after this one
  // Stop everything before any outcome is due, as a shutdown would.
  caf::anon_send_exit(collector, caf::exit_reason::user_shutdown);
  stop_keeper();
  {
    store::feature_store s{options()};
    EXPECT_EQ(s.counts().pending, 4u);
  }
  *now_ms = 1'100'000;   // started again much later
  start_keeper();         // labels what fell due while it was down, at once
  EXPECT_EQ(query("SELECT snapshot || ' ' || horizon_s || ' ' || status || ' ' || gap_s FROM outcomes ORDER BY snapshot, horizon_s"),
            std::to_string(seen.snapshot) + " 3 labelled 0;" + std::to_string(seen.snapshot) + " 5 labelled 0;" +
              std::to_string(lost.snapshot) + " 3 incomplete 3;" + std::to_string(lost.snapshot) + " 5 incomplete 5");
  const auto c = counts();
  EXPECT_EQ(c.labelled, 2u);
  EXPECT_EQ(c.incomplete, 2u);
}

TEST_F(StoreKeeper, CollectorSendsClosedOneSecondBars) {
  start_keeper();
  start_collector();
  play_sequence();
  advance(1s);   // the reaper tick also commits queued bars
  EXPECT_EQ(query("SELECT second || ':' || coalesce(open, '-') || '/' || coalesce(high, '-') || '/' || coalesce(low, '-') || "
                  "'/' || coalesce(close, '-') || 'x' || trades FROM bars ORDER BY second"),
            "1001:100.0/101.0/99.5/101.0x3;1002:-/-/-/-x0;1003:101.0/103.0/100.5/102.0x4;"
            "1004:102.0/102.0/98.0/99.0x3;1005:99.0/99.5/99.0/99.5x2");   // 1006 is still open
}

// An orderly stop (engine::stop): the collector, then the store. The open bar of a second that has ended is
// complete and is written; the bar of the second still under way is partial and is not.
struct StoreKeeperStop : StoreKeeper {
  std::string bars_after_stop_at(int64_t local_ms) {
    start_keeper();
    start_collector();
    play_sequence();   // ends with a ticker that opens 1006
    *now_ms = local_ms;
    caf::anon_send_exit(collector, caf::exit_reason::user_shutdown);
    sched.run();
    stop_keeper();
    return query("SELECT second || 'x' || trades FROM bars WHERE second >= 1005 ORDER BY second");
  }
};

TEST_F(StoreKeeperStop, TheOpenBarOfASecondThatHasEndedIsWritten) {
  EXPECT_EQ(bars_after_stop_at(1'007'000), "1005x2;1006x0");
}

TEST_F(StoreKeeperStop, TheBarOfTheSecondUnderWayIsNot) {
  EXPECT_EQ(bars_after_stop_at(1'006'999), "1005x2");
}

TEST_F(StoreKeeper, PeriodicSnapshotsAreRecordedWhenAsked) {
  start_keeper();
  start_collector(2s);
  feed({trade(1'000'200, 100, 10)});
  advance(2s);   // one collector tick at 1002.5 s; the reaper ticks every second
  advance(2s);
  EXPECT_EQ(query("SELECT kind || ' ' || event_id || ' ' || last_price FROM snapshots ORDER BY time_ms"),
            "periodic BTCUSDT@1970-01-01T00:16:42.500Z 100.0;periodic BTCUSDT@1970-01-01T00:16:44.500Z 100.0");
}

/// A second connection, as another process would hold the database: BEGIN IMMEDIATE takes the write lock.
struct write_lock {
  store::connection c;
  explicit write_lock(const std::string& path) : c(path, false) { c.exec("BEGIN IMMEDIATE"); }
  void release() { c.exec("ROLLBACK"); }
};

// The keeper waits 10 ms for a lock (store.busy-timeout); the lock below is held for seconds of the
// keeper's clock, over several retries.
void short_busy_timeout(actors::store_keeper_deps&, store::store_options& o) { o.busy_timeout_ms = 10; }

TEST_F(StoreKeeper, ALockHeldPastTheBusyTimeoutLosesNoAcknowledgedRecordAndNoBar) {
  start_keeper(short_busy_timeout);
  start_collector();
  feed({trade(1'000'200, 100, 10)});
  const auto e0 = record("e0", R"({"side":"sell"})");   // 1000.5 s, before the lock
  ASSERT_TRUE(e0.created);

  write_lock lock{db.path};
  self->send(collector, messages::record_request{"detector", "e1", "BTCUSDT", "{}"});
  play_sequence();    // bars 1000 .. 1005 close while the store is locked
  bool answered = false;
  self->receive([&](messages::record_reply&) { answered = true; }, [&](caf::error&) { answered = true; },
                caf::after(0s) >> [] {});
  EXPECT_FALSE(answered) << "a record was answered while the store was locked";
  advance(2s);        // two retries, both busy
  EXPECT_EQ(query("SELECT count(*) FROM bars"), "0");
  EXPECT_GE(stats->write_retries.load(), 2u);
  EXPECT_GE(stats->write_failures.load(), 3u);
  EXPECT_EQ(stats->pending_bars.load(), 6u);
  EXPECT_EQ(log.count("store: write failed"), 1u) << "logged once per streak";

  lock.release();
  advance(1s);        // the next retry commits e1 and the bars
  receive_now<messages::record_reply>([](messages::record_reply& r) {
    EXPECT_EQ(r.id, "e1");
    EXPECT_TRUE(r.created);
  });
  EXPECT_EQ(query("SELECT group_concat(event_id) FROM snapshots ORDER BY id"), "e0,e1");
  EXPECT_EQ(query("SELECT count(*) FROM bars WHERE second BETWEEN 1000 AND 1005"), "6");
  EXPECT_EQ(stats->pending_bars.load(), 0u);
  EXPECT_EQ(stats->bars_dropped.load(), 0u);

  advance(4s);        // e0's outcomes are due (3 s at 1005.5, 5 s at 1007.5): the same values as unlocked
  EXPECT_EQ(query("SELECT status || ' ' || price || ' ' || round(return_pct, 9) || ' ' || trades FROM outcomes "
                  "WHERE horizon_s = 3 AND snapshot = " + std::to_string(e0.snapshot)),
            "labelled 102.0 2.0 7");
  EXPECT_EQ(query("SELECT status || ' ' || price FROM outcomes WHERE horizon_s = 5 AND snapshot = " +
                  std::to_string(e0.snapshot)),
            "labelled 99.5");
}

/// Keeper (with a short busy timeout, tuned by `tune`) and collector, after one trade.
void start_with_short_busy_timeout(StoreKeeper& t, std::function<void(actors::store_keeper_deps&)> tune) {
  t.start_keeper([&](actors::store_keeper_deps& d, store::store_options& o) {
    short_busy_timeout(d, o);
    tune(d);
  });
  t.start_collector();
  t.feed({trade(1'000'200, 100, 10)});
}

TEST_F(StoreKeeper, ARecordStillUnwrittenAfterItsAttemptsFailsAloneWithAClearError) {
  start_with_short_busy_timeout(*this, [](actors::store_keeper_deps& d) { d.record_attempts = 3; });
  write_lock lock{db.path};
  self->send(collector, messages::record_request{"detector", "lost", "BTCUSDT", "{}"});
  sched.run();
  advance(2s);        // the third failed write gives it up
  self->receive([&](messages::record_reply&) { ADD_FAILURE() << "recorded while locked"; },
                [&](caf::error& err) {
                  EXPECT_EQ(err, messages::errc::storage_failure);
                  const auto text = messages::render(err);
                  EXPECT_NE(text.find("record (detector, lost): not written after 3 attempts"), std::string::npos) << text;
                  EXPECT_NE(text.find("database is locked"), std::string::npos) << text;
                },
                caf::after(0s) >> [] { ADD_FAILURE() << "no answer"; });
  EXPECT_EQ(stats->records_failed.load(), 1u);
  lock.release();
  const auto later = record("later");   // the next record is not held back by the failed one
  EXPECT_TRUE(later.created);
  advance(1s);
  EXPECT_EQ(query("SELECT group_concat(event_id) FROM snapshots"), "later");
}

TEST_F(StoreKeeper, BarsDroppedPastThePendingBoundMakeTheirOutcomesIncompleteNeverLabelled) {
  start_with_short_busy_timeout(*this, [](actors::store_keeper_deps& d) { d.max_pending_bars = 4; });
  const auto e0 = record("e0");
  write_lock lock{db.path};
  play_sequence();    // six bars, four kept: 1000 and 1001 are dropped (1001: a 1 s hole, shorter than max-gap 2 s)
  EXPECT_EQ(stats->bars_dropped.load(), 2u);
  EXPECT_EQ(stats->pending_bars.load(), 4u);
  advance(1s);
  lock.release();
  advance(8s);
  EXPECT_EQ(query("SELECT group_concat(second) FROM bars"), "1002,1003,1004,1005");
  EXPECT_EQ(query("SELECT horizon_s || ' ' || status || ' ' || coalesce(price, 'null') || ' ' || reason FROM outcomes "
                  "WHERE snapshot = " + std::to_string(e0.snapshot) + " ORDER BY horizon_s"),
            "3 incomplete null bars of 1s lost: the store could not write them;"
            "5 incomplete null bars of 1s lost: the store could not write them");
  EXPECT_EQ(log.count("dropped 1 unwritten bars of BTCUSDT"), 2u);
}

TEST_F(StoreKeeper, RetentionOnTheMaintenanceTimerDeletesOldBarsButNotThosePendingOutcomesRead) {
  start_keeper([](actors::store_keeper_deps& d, store::store_options& o) {
    d.maintenance_interval = 3s;
    o.bar_retention_s = 3;
  });
  start_collector();
  feed({trade(1'000'200, 100, 10)});
  const auto e0 = record("e0");   // reads 1001 .. 1005 until its 5 s outcome is labelled at 1007.5
  play_sequence();                // bars 1000 .. 1005
  advance(6s);                    // 1006.5: the cut is 1003, but e0 still reads from 1001
  EXPECT_EQ(query("SELECT group_concat(second) FROM bars"), "1001,1002,1003,1004,1005");
  EXPECT_EQ(query("SELECT status FROM outcomes WHERE horizon_s = 5"), "pending");
  advance(6s);                    // 1012.5: e0 labelled, every bar older than 3 s is gone
  EXPECT_EQ(query("SELECT group_concat(status) FROM outcomes WHERE snapshot = " + std::to_string(e0.snapshot)),
            "labelled,labelled");
  EXPECT_EQ(query("SELECT count(*) FROM bars"), "0");
  EXPECT_EQ(stats->bars_deleted.load(), 6u);
  EXPECT_GE(stats->checkpoints.load(), 4u);   // at start and every 3 s
}

struct IntrospectionRecord : StoreKeeper {
  std::vector<actors::introspection_gateway> gateways;

  messages::introspection_actor start_introspection(bool allow_record) {
    actors::introspection_deps deps;
    deps.collector = collector;
    deps.store = keeper;
    deps.status.allow_record = allow_record;
    gateways.push_back(actors::make_introspection(sys, std::move(deps)));
    return gateways.back().current();
  }
  void TearDown() override {
    for (auto& g : gateways)
      g.stop();
    StoreKeeper::TearDown();
  }
};

TEST_F(IntrospectionRecord, RefusedUnlessAllowRecord) {
  start_keeper();
  start_collector();
  feed({trade(1'000'200, 100, 10)});
  auto intro = start_introspection(false);
  self->send(intro, messages::record_atom::value, messages::record_request{"order", "o1", "BTCUSDT", "{}"});
  sched.run();
  self->receive([&](messages::record_reply&) { ADD_FAILURE() << "recorded while allow-record is off"; },
                [&](caf::error& err) {
                  EXPECT_EQ(err, messages::errc::forbidden);
                  EXPECT_NE(messages::render(err).find("introspection.allow-record"), std::string::npos);
                },
                caf::after(0s) >> [] { ADD_FAILURE() << "no answer"; });
  EXPECT_EQ(counts().recorded, 0u);

  auto open = start_introspection(true);
  self->send(open, messages::record_atom::value, messages::record_request{"order", "o1", "BTCUSDT", "{}"});
  sched.run();
  receive_now<messages::record_reply>([](messages::record_reply& r) { EXPECT_TRUE(r.created); });
  self->send(open, messages::store_atom::value);
  sched.run();
  receive_now<messages::store_counts>([](messages::store_counts& c) {
    EXPECT_EQ(c.recorded, 1u);
    EXPECT_EQ(c.pending, 2u);
  });
}

// The child of KillNineDuringWritesLosesNoCommittedSnapshot: the production keeper (detached, threaded
// scheduler) records snapshots, 8 requests in flight, and writes each id to `fd` once its reply arrived.
[[noreturn]] void record_until_killed(const std::string& path, int fd) {
  caf::actor_system_config cfg;
  cfg.add_message_types<caf::id_block::derivcache>();
  caf::actor_system sys{cfg};
  actors::store_keeper_deps deps;
  store::store_options o;
  o.path = path;
  o.horizons_s = {3, 5};
  deps.store = std::make_shared<store::feature_store>(o);
  auto keeper = actors::make_store_keeper(sys, std::move(deps));
  caf::scoped_actor self{sys};
  messages::feature_snapshot snap;
  snap.symbol = "BTCUSDT";
  snap.last_price = 100.0;
  for (int64_t n = 0;; n += 8) {
    for (int64_t i = n; i < n + 8; ++i) {
      snap.time = at_ms(1'000'000 + i);
      self->send(keeper, messages::record_request{"detector", "e" + std::to_string(i), "BTCUSDT", "{}"}, snap);
      self->send(keeper, messages::bar_batch{"BTCUSDT", {messages::spot_bar{1000 + i, 100, 101, 99, 100, 1, 1}}});
    }
    for (int i = 0; i < 8; ++i)
      self->receive(
        [&](const messages::record_reply& r) {
          const auto line = r.id + "\n";
          if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
            _exit(1);
        },
        [&](const caf::error&) { _exit(1); });
  }
}

TEST(StoreKeeperCrash, KillNineDuringWritesLosesNoCommittedSnapshot) {
  temp_db db;
  int ids_pipe[2];
  ASSERT_EQ(::pipe(ids_pipe), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(ids_pipe[0]);
    record_until_killed(db.path, ids_pipe[1]);
  }
  ::close(ids_pipe[1]);
  // Read acknowledged ids until a few hundred arrived (bounded: 20 s), then kill it mid-stream.
  std::string acked;
  auto lines = [&] { return std::count(acked.begin(), acked.end(), '\n'); };
  const auto until = std::chrono::steady_clock::now() + 20s;
  while (lines() < 300 && std::chrono::steady_clock::now() < until) {
    pollfd p{ids_pipe[0], POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0)
      continue;
    char buf[4096];
    const auto n = ::read(ids_pipe[0], buf, sizeof buf);
    if (n <= 0)
      break;
    acked.append(buf, static_cast<std::size_t>(n));
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the child ended before the kill";
  for (char buf[4096];;) {   // ids written before the kill
    const auto n = ::read(ids_pipe[0], buf, sizeof buf);
    if (n <= 0)
      break;
    acked.append(buf, static_cast<std::size_t>(n));
  }
  ::close(ids_pipe[0]);
  ASSERT_GE(lines(), 300) << "the child acknowledged too few records";

  store::store_options o;
  o.path = db.path;
  o.horizons_s = {3, 5};
  store::feature_store s{o};   // recovers the WAL
  EXPECT_EQ(s.integrity_check(), "ok");
  std::set<std::string> stored;
  auto st = s.db().prepare("SELECT event_id FROM snapshots");
  while (st.step())
    stored.insert(st.text(0));
  std::istringstream in{acked};
  std::size_t checked = 0;
  for (std::string id; std::getline(in, id); ++checked)
    EXPECT_EQ(stored.count(id), 1u) << id << " was acknowledged but is not in the store";
  EXPECT_GE(stored.size(), checked);
  // Whole transactions only: every snapshot has its outcome rows.
  auto partial = s.db().prepare(
    "SELECT count(*) FROM snapshots s WHERE (SELECT count(*) FROM outcomes o WHERE o.snapshot = s.id) != 2");
  ASSERT_TRUE(partial.step());
  EXPECT_EQ(partial.int64(0), 0);
  partial.reset();
}

} // namespace
} // namespace derivcache::test
