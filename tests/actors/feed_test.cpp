// The Binance feed against fake connections: reconnect after a drop (backoff within the jitter bounds),
// after a stall (pings do not count as data), on serverShutdown (at once, collector state kept), before
// the 24-hour limit; malformed and oversized frames counted and skipped.
#include "actor_fixture.hpp"

#include "actors/binance_feed.hpp"
#include "actors/engine.hpp"
#include "actors/feature_collector.hpp"
#include "support/temp_file.hpp"

namespace derivcache::test {
namespace {

using namespace std::chrono_literals;

/// A connection whose callbacks the test fires by hand (as the I/O thread would).
struct fake_ws : net::ws_connection {
  net::ws_options options;
  net::ws_callbacks cb;
  int starts = 0;
  int closes = 0;
  void start() override { ++starts; }
  void close() override { ++closes; }
};

std::string trade_frame(int64_t first_id, int64_t last_id, const char* price, const char* qty, bool maker,
                        int64_t trade_ms) {
  return R"({"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":)" + std::to_string(trade_ms + 3) +
         R"(,"s":"BTCUSDT","a":)" + std::to_string(first_id) + R"(,"p":")" + price + R"(","q":")" + qty +
         R"(","f":)" + std::to_string(first_id) + R"(,"l":)" + std::to_string(last_id) + R"(,"T":)" +
         std::to_string(trade_ms) + R"(,"m":)" + (maker ? "true" : "false") + R"(,"M":true}})";
}

const std::string ticker_frame =
  R"({"stream":"btcusdt@bookTicker","data":{"u":400900217,"s":"BTCUSDT","b":"99.87","B":"1.5","a":"99.89","A":"0.25"}})";
const std::string shutdown_frame = R"({"stream":"!serverShutdown","data":{"e":"serverShutdown","E":1700000070000}})";

struct Feed : DeterministicCaf {
  std::vector<std::shared_ptr<fake_ws>> made;
  bool refuse = false;
  double u01 = 0.5;
  messages::feature_collector_actor collector;
  messages::binance_feed_actor feed;
  captured_log logs;
  caf::timestamp wall{std::chrono::milliseconds{1700000062600}};

  // An engine for BTC whose Deribit traffic goes to `http` and whose Binance connections are this fixture's.
  static configuration::engine_config engine_config(std::vector<std::string> symbols) {
    configuration::engine_config ecfg;
    ecfg.deribit.currencies = {"BTC"};
    ecfg.binance.symbols = std::move(symbols);
    return ecfg;
  }
  actors::engine_hooks engine_hooks(std::shared_ptr<fake_http_client> http) {
    actors::engine_hooks hooks;
    hooks.http = std::move(http);
    hooks.log_sink = [](const std::string&) {};
    hooks.binance_connect = deps().connect;
    return hooks;
  }
  // Starts it, with its feed and collector tracked, and runs what it sent.
  std::unique_ptr<actors::engine> start(const configuration::engine_config& ecfg, const actors::engine_hooks& hooks) {
    std::string error;
    auto e = actors::start_engine(sys, ecfg, error, hooks);
    EXPECT_TRUE(e) << error;
    if (e) {
      track(e->binance_feed);
      track(e->feature_collector);
    }
    sched.run();
    return e;
  }

  actors::binance_feed_deps deps() {
    actors::binance_feed_deps d;
    d.connect = [this](net::ws_options o, net::ws_callbacks cb, std::string& error) -> std::shared_ptr<net::ws_connection> {
      if (refuse) {
        error = "refused by the test";
        return nullptr;
      }
      auto c = std::make_shared<fake_ws>();
      c->options = std::move(o);
      c->cb = std::move(cb);
      made.push_back(c);
      return c;
    };
    d.symbols = {"BTCUSDT", "ethusdt"};
    d.options.host = "stream.test";
    d.uniform01 = [this] { return u01; };
    d.wall_clock = [this] { return wall; };
    d.log = logs.log;
    return d;
  }

  void start(actors::binance_feed_deps d) {
    actors::feature_collector_deps cd;
    cd.symbols = d.symbols;
    cd.wall_clock = [this] { return wall; };
    collector = track(actors::make_feature_collector(sys, cd));
    d.collector = collector;
    feed = track(actors::make_binance_feed(sys, std::move(d)));
    sched.run();
  }

  void open(std::size_t i) {
    made.at(i)->cb.on_open();
    sched.run();
  }
  void frames(std::size_t i, std::vector<std::string> f) {
    made.at(i)->cb.on_frames(std::move(f));
    sched.run();
  }

  messages::feed_status status() {
    messages::feed_status out;
    self->send(feed, caf::get_atom::value, messages::status_atom::value);
    sched.run();
    receive_now<messages::feed_status>([&](messages::feed_status& s) { out = s; });
    return out;
  }

  messages::feature_snapshot capture() {
    messages::feature_snapshot out;
    self->send(collector, messages::capture_atom::value, std::string{"BTCUSDT"});
    sched.run();
    receive_now<messages::feature_snapshot>([&](messages::feature_snapshot& s) { out = s; });
    return out;
  }
};

TEST_F(Feed, ConnectsToTheCombinedStreamAndForwardsBatches) {
  start(deps());
  ASSERT_EQ(made.size(), 1u);
  EXPECT_EQ(made[0]->starts, 1);
  EXPECT_EQ(made[0]->options.host, "stream.test");
  EXPECT_EQ(made[0]->options.target,
            "/stream?streams=btcusdt@aggTrade/btcusdt@bookTicker/ethusdt@aggTrade/ethusdt@bookTicker");
  open(0);
  frames(0, {trade_frame(1, 2, "99.53", "0.416", true, 1700000060000),
             trade_frame(3, 4, "99.88", "0.617", false, 1700000062500), ticker_frame});
  auto st = status();
  EXPECT_TRUE(st.connected);
  EXPECT_EQ(st.connects, 1u);
  EXPECT_EQ(st.agg_trades, 2u);
  EXPECT_EQ(st.book_tickers, 1u);
  EXPECT_EQ(st.frames, 3u);
  ASSERT_TRUE(st.last_data && st.lag);
  EXPECT_EQ(*st.last_data, wall);
  EXPECT_EQ(*st.lag, caf::timespan{97ms});   // received t0+62600 ms - E t0+62503 ms
  auto s = capture();
  EXPECT_DOUBLE_EQ(*s.last_price, 99.88);
  EXPECT_EQ(s.window_1m.trade_count, 4);
  EXPECT_DOUBLE_EQ(s.window_1m.taker_buy_volume, 0.617);
  EXPECT_DOUBLE_EQ(*s.best_ask, 99.89);
}

TEST_F(Feed, ReconnectsAfterADropWithinTheJitterBounds) {
  u01 = 1.0;   // jitter factor 1.2: the longest delay the bounds allow
  start(deps());
  open(0);
  frames(0, {ticker_frame});
  made[0]->cb.on_close(net::failure::reset, "read: connection reset by peer");
  sched.run();
  auto st = status();
  EXPECT_FALSE(st.connected);
  EXPECT_EQ(st.drops, 1u);
  EXPECT_NE(st.last_error.find("connection reset"), std::string::npos) << st.last_error;
  ASSERT_TRUE(st.next_attempt);
  EXPECT_EQ(*st.next_attempt, wall + 1200ms);   // min 1 s x 1.2
  sched.advance_time(1199ms);
  sched.run();
  EXPECT_EQ(made.size(), 1u);   // not before 1 s x 1.2
  sched.advance_time(1ms);
  sched.run();
  ASSERT_EQ(made.size(), 2u);
  EXPECT_EQ(made[1]->starts, 1);
  // The second failure in a row doubles the base: 2 s x U(0.8, 1.2); with u = 0 it is 1.6 s.
  u01 = 0.0;
  made[1]->cb.on_close(net::failure::connect, "connect: refused");
  sched.run();
  sched.advance_time(1599ms);
  sched.run();
  EXPECT_EQ(made.size(), 2u);
  sched.advance_time(1ms);
  sched.run();
  ASSERT_EQ(made.size(), 3u);
  open(2);
  st = status();
  EXPECT_TRUE(st.connected);
  EXPECT_EQ(st.connects, 2u);
  EXPECT_EQ(st.reconnects, 2u);
  EXPECT_EQ(st.consecutive_failures, 2u);   // reset by data, not by a handshake
  frames(2, {ticker_frame});
  EXPECT_EQ(status().consecutive_failures, 0u);
}

TEST_F(Feed, BackoffIsCappedAtMax) {
  auto d = deps();
  d.max_backoff = 4s;
  refuse = true;   // the factory fails every time
  start(d);
  for (int i = 0; i < 6; ++i) {
    sched.advance_time(60s);
    sched.run();
  }
  auto st = status();
  EXPECT_EQ(st.consecutive_failures, 7u);
  EXPECT_EQ(*st.next_attempt, wall + 4s);   // min(4 s, 1 s x 2^6) x 1.0, clamped to max
  EXPECT_NE(st.last_error.find("refused by the test"), std::string::npos);
  refuse = false;
  sched.advance_time(4s);
  sched.run();
  EXPECT_EQ(made.size(), 1u);
}

TEST_F(Feed, StallWithoutDataReconnectsAndPingsDoNotCount) {
  start(deps());
  open(0);
  frames(0, {ticker_frame});
  for (int i = 0; i < 3; ++i) {   // pings every 10 s keep the socket alive but carry no data
    sched.advance_time(10s);
    made[0]->cb.on_ping();
    sched.run();
  }
  // 30 s without a data frame: the watchdog closes the connection and reconnects after the backoff.
  EXPECT_EQ(made[0]->closes, 1);
  auto st = status();
  EXPECT_EQ(st.stalls, 1u);
  EXPECT_EQ(st.pings, 3u);
  EXPECT_FALSE(st.connected);
  EXPECT_NE(st.last_error.find("no data frame"), std::string::npos) << st.last_error;
  made[0]->cb.on_close(net::failure::cancelled, "closed");   // our own close: not a drop
  sched.run();
  EXPECT_EQ(status().drops, 0u);
  sched.advance_time(1s);   // 1 s x (0.8 + 0.4 x 0.5)
  sched.run();
  ASSERT_EQ(made.size(), 2u);
}

TEST_F(Feed, DataFramesKeepTheWatchdogQuiet) {
  start(deps());
  open(0);
  for (int i = 0; i < 5; ++i) {
    sched.advance_time(20s);
    frames(0, {ticker_frame});
  }
  sched.advance_time(20s);
  sched.run();
  EXPECT_EQ(made.size(), 1u);
  EXPECT_EQ(made[0]->closes, 0);
  EXPECT_EQ(status().stalls, 0u);
  sched.advance_time(10s);   // now 30 s since the last data frame
  sched.run();
  EXPECT_EQ(status().stalls, 1u);
}

TEST_F(Feed, ServerShutdownReconnectsAtOnceAndKeepsCollectorState) {
  start(deps());
  open(0);
  frames(0, {trade_frame(1, 2, "99.53", "0.416", true, 1700000060000),
             trade_frame(3, 4, "99.88", "0.617", false, 1700000062500)});
  frames(0, {shutdown_frame});
  ASSERT_EQ(made.size(), 2u);          // the new connection starts at once, no backoff
  EXPECT_EQ(made[1]->starts, 1);
  EXPECT_EQ(made[0]->closes, 0);       // the old one keeps delivering until the new one is open
  frames(0, {trade_frame(5, 5, "99.90", "1.000", true, 1700000062700)});
  open(1);
  EXPECT_EQ(made[0]->closes, 1);
  // The new connection repeats a trade the old one delivered: counted once.
  frames(1, {trade_frame(5, 5, "99.90", "1.000", true, 1700000062700),
             trade_frame(6, 6, "99.91", "0.500", false, 1700000062800)});
  made[0]->cb.on_close(net::failure::cancelled, "closed");
  sched.run();
  auto st = status();
  EXPECT_EQ(st.server_shutdowns, 1u);
  EXPECT_EQ(st.drops, 0u);
  EXPECT_EQ(st.connects, 2u);
  EXPECT_EQ(st.reconnects, 1u);
  EXPECT_EQ(st.agg_trades, 5u);   // the feed's counters survive the reconnect
  EXPECT_TRUE(st.connected);
  auto s = capture();
  EXPECT_EQ(s.window_1m.trade_count, 6);   // 2 + 2 + 1 + 1: windows kept across the reconnect
  EXPECT_DOUBLE_EQ(*s.last_price, 99.91);
}

TEST_F(Feed, ReplacesTheConnectionBeforeTheTwentyFourHourLimit) {
  auto d = deps();
  d.stale_after = 2min;   // data once a minute is enough here
  start(d);
  open(0);
  for (int i = 0; i < 23 * 60 + 49; ++i) {   // data every minute for 23 h 49 min
    sched.advance_time(1min);
    frames(0, {ticker_frame});
  }
  EXPECT_EQ(made.size(), 1u);
  sched.advance_time(1min);   // 23 h 50 min after the handshake
  sched.run();
  ASSERT_EQ(made.size(), 2u);
  open(1);
  EXPECT_EQ(made[0]->closes, 1);
  auto st = status();
  EXPECT_EQ(st.rotations, 1u);
  EXPECT_EQ(st.drops, 0u);
  EXPECT_EQ(st.stalls, 0u);
}

TEST_F(Feed, MalformedAndOversizedFramesAreCountedAndSkipped) {
  start(deps());
  open(0);
  frames(0, {R"({"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","p":12}})", "not json",
             trade_frame(1, 1, "99.88", "0.617", false, 1700000062500),
             R"({"result":null,"id":1})"});
  made[0]->cb.on_oversized(5u << 20);
  sched.run();
  auto st = status();
  EXPECT_EQ(st.malformed, 2u);
  EXPECT_EQ(st.oversized, 1u);
  EXPECT_EQ(st.agg_trades, 1u);
  EXPECT_EQ(st.ignored, 1u);
  EXPECT_TRUE(st.connected);   // skipping a frame does not drop the connection
  EXPECT_EQ(capture().window_1m.trade_count, 1);
}

// A slowed collector: 240 read bursts 150 ms apart (36 s) while the collector does not run. The feed keeps
// at most max_queued_trades trades and one ticker per symbol; the snapshot's age counts from the socket read.
TEST_F(Feed, ABacklogShowsAsAgeAndWhatWasDroppedIsCounted) {
  auto d = deps();
  d.max_queued_trades = 50;
  d.stale_after = 60s;   // the feed's (watchdog, batch timeout); the collector's spot inputs go STALE after 30 s
  start(d);
  open(0);
  auto* collector_job = dynamic_cast<caf::resumable*>(caf::actor_cast<caf::abstract_actor*>(collector));
  auto without_collector = [&] { sched.run_jobs_filtered([&](caf::resumable* r) { return r != collector_job; }); };
  auto status_now = [&] {
    messages::feed_status out;
    self->send(feed, caf::get_atom::value, messages::status_atom::value);
    without_collector();
    receive_now<messages::feed_status>([&](messages::feed_status& s) { out = s; });
    return out;
  };
  const int64_t t_start = 1700000062600;
  const int bursts = 240;
  for (int i = 0; i < bursts; ++i) {
    if (i > 0)
      sched.advance_time(150ms);
    made[0]->cb.on_frames({trade_frame(i + 1, i + 1, i + 1 == bursts ? "100.50" : "99.88", "0.1", false,
                                       t_start + i * 150),
                           ticker_frame});
    without_collector();
    EXPECT_LE(status_now().queued_trades, 50u);   // memory stays bounded however long the backlog
  }
  auto st = status_now();
  EXPECT_EQ(st.agg_trades, 240u);
  EXPECT_EQ(st.queued_trades, 50u);
  EXPECT_EQ(st.trades_dropped, 189u);      // 1 in flight, 50 waiting, the oldest 189 of the rest dropped
  EXPECT_EQ(st.tickers_conflated, 238u);   // 1 in flight, the other 239 conflated into the newest
  EXPECT_EQ(logs.count("the collector is behind"), 1u);

  // A snapshot asked now is answered after the one batch the collector has (the next is sent when that one
  // is answered, so it queues behind the request): that trade was read 35.85 s ago.
  self->send(collector, messages::capture_atom::value, std::string{"BTCUSDT"});
  sched.run();
  messages::feature_snapshot s;
  receive_now<messages::feature_snapshot>([&](messages::feature_snapshot& x) { s = x; });
  EXPECT_EQ(*s.trade.age, caf::timespan{35850ms});
  EXPECT_EQ(s.trade.state, messages::input_state::stale);
  EXPECT_EQ(s.book.state, messages::input_state::stale);
  EXPECT_DOUBLE_EQ(*s.last_price, 99.88);

  // Caught up: fresh again, and the windows say trades are missing.
  s = capture();
  EXPECT_EQ(s.trade.state, messages::input_state::fresh);
  EXPECT_EQ(*s.trade.age, caf::timespan{0});
  EXPECT_DOUBLE_EQ(*s.last_price, 100.50);
  EXPECT_EQ(s.window_1m.trade_count, 51);
  EXPECT_EQ(s.window_1m.missing_trades, 189);
  EXPECT_EQ(s.window_5m.missing_trades, 189);
  EXPECT_EQ(status().queued_trades, 0u);
  // The next batch without drops ends the burst: a later backlog is logged again.
  frames(0, {trade_frame(241, 241, "100.60", "0.1", false, t_start + 240 * 150)});
  EXPECT_EQ(capture().window_1m.trade_count, 52);
}

TEST_F(Feed, CallbacksOfAReplacedConnectionAreIgnored) {
  start(deps());
  open(0);
  made[0]->cb.on_close(net::failure::reset, "gone");
  sched.run();
  sched.advance_time(1s);
  sched.run();
  ASSERT_EQ(made.size(), 2u);
  frames(0, {trade_frame(1, 1, "99.88", "0.617", false, 1700000062500)});   // late frames of the dead one
  made[0]->cb.on_close(net::failure::reset, "again");
  sched.run();
  auto st = status();
  EXPECT_EQ(st.agg_trades, 0u);
  EXPECT_EQ(st.drops, 1u);
}

TEST_F(Feed, EngineWiresFeedCollectorAndCacheAndStopsThem) {
  auto http = std::make_shared<fake_http_client>();
  auto ecfg = engine_config({"BTCUSDT"});
  ecfg.binance.url = "wss://stream.test:9443";
  auto hooks = engine_hooks(http);
  hooks.log_sink = [l = logs.lines](const std::string& line) { l->push_back(line); };
  hooks.uniform01 = [] { return 0.5; };
  auto e = start(ecfg, hooks);
  ASSERT_TRUE(e);
  ASSERT_TRUE(e->binance_feed && e->feature_collector);
  ASSERT_EQ(made.size(), 1u);
  EXPECT_EQ(made[0]->options.host, "stream.test");
  EXPECT_EQ(made[0]->options.target, "/stream?streams=btcusdt@aggTrade/btcusdt@bookTicker");
  open(0);
  frames(0, {trade_frame(1, 2, "99.53", "0.416", true, 1700000060000)});

  messages::basis_reading b;   // a reading in the cache reaches the collector through its subscription
  b.currency = "BTC";
  b.apr_pct = 9.75;
  b.state = quant::basis_state::neutral;
  self->send(e->cache, b);
  sched.run();

  self->send(e->feature_collector, messages::capture_atom::value, std::string{"BTCUSDT"});
  sched.run();
  receive_now<messages::feature_snapshot>([](messages::feature_snapshot& s) {
    EXPECT_EQ(s.currency, "BTC");
    EXPECT_DOUBLE_EQ(*s.last_price, 99.53);
    EXPECT_DOUBLE_EQ(*s.futures_basis_apr, 9.75);
    EXPECT_EQ(s.basis_state, quant::basis_state::neutral);
  });

  e->stop();
  sched.run();
  EXPECT_EQ(made[0]->closes, 1);   // the feed closed its connection on the way out
  sched.advance_time(600s);
  sched.run();
  EXPECT_EQ(made.size(), 1u);      // and never reconnected
}

TEST_F(Feed, EngineWithoutSymbolsRunsNoFeed) {
  auto http = std::make_shared<fake_http_client>();
  auto e = start(engine_config({}), engine_hooks(http));
  ASSERT_TRUE(e);
  EXPECT_FALSE(e->binance_feed);
  EXPECT_FALSE(e->feature_collector);
  EXPECT_TRUE(made.empty());
  e->stop();
  sched.run();
}

TEST_F(Feed, EngineRefusesBadFeedSettingsNamingThem) {
  auto http = std::make_shared<fake_http_client>();
  auto ecfg = engine_config({"BTC/USDT"});
  const auto hooks = engine_hooks(http);
  std::string error;
  EXPECT_FALSE(actors::start_engine(sys, ecfg, error, hooks));
  EXPECT_EQ(error, "binance.symbols: 'BTC/USDT' is not a spot symbol (letters and digits, e.g. BTCUSDT)");
  ecfg.binance.symbols = {"BTCUSDT"};
  ecfg.binance.max_backoff = 500ms;
  EXPECT_FALSE(actors::start_engine(sys, ecfg, error, hooks));
  EXPECT_EQ(error, "binance.max-backoff: must not be shorter than binance.min-backoff");
  ecfg.binance.max_backoff = 60s;
  ecfg.snapshots.interval = 10s;
  ecfg.snapshots.path = "";
  EXPECT_FALSE(actors::start_engine(sys, ecfg, error, hooks));
  EXPECT_NE(error.find("snapshots.path"), std::string::npos) << error;
  ecfg.snapshots.path = "/nonexistent-dir/snapshots.jsonl";
  EXPECT_FALSE(actors::start_engine(sys, ecfg, error, hooks));
  EXPECT_NE(error.find("/nonexistent-dir/snapshots.jsonl"), std::string::npos) << error;
}

TEST_F(Feed, EngineWritesPeriodicSnapshots) {
  test::temp_file jsonl{".jsonl"};
  const auto& path = jsonl.path;
  auto http = std::make_shared<fake_http_client>();
  auto ecfg = engine_config({"BTCUSDT", "SOLUSDT"});
  ecfg.snapshots.interval = 5s;
  ecfg.snapshots.path = path;
  auto e = start(ecfg, engine_hooks(http));
  ASSERT_TRUE(e);
  open(0);
  frames(0, {ticker_frame});
  sched.advance_time(5s);
  sched.run();
  e->stop();
  sched.run();
  EXPECT_EQ(e->snapshots->lines_written(), 2u);
  const auto text = read_file(path);
  EXPECT_NE(text.find(R"("symbol":"BTCUSDT")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("currency":"SOL")"), std::string::npos) << text;
}

} // namespace
} // namespace derivcache::test
