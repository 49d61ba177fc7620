// The fetch supervisor: restarts with backoff, Retry-After, DEGRADED and recovery.
#include "actor_fixture.hpp"

#include "actors/deribit_fetcher.hpp"
#include "actors/fetch_supervisor.hpp"
#include "messages/errors.hpp"

using namespace std::chrono_literals;
using namespace derivcache;
using namespace derivcache::test;

namespace {

/// A supervisor whose fetchers are real ones talking to the fake client (BTC only).
struct Supervisor : FetcherFixture {
  std::shared_ptr<runtime::instrument_cache> instruments = std::make_shared<runtime::instrument_cache>();
  int spawned = 0;
  double u = 0.5;
  messages::deribit_fetcher_actor current;   ///< the latest fetcher

  messages::fetch_supervisor_actor start() {
    actors::fetch_supervisor_deps deps;
    deps.spawn_fetcher = [this](caf::actor_system& s, messages::fetch_supervisor_actor sup) {
      actors::deribit_fetcher_deps f;
      f.http = http;
      f.currencies = {*quant::find_currency("BTC")};
      f.supervisor = std::move(sup);
      f.stats = fetch_stats;
      f.instruments = instruments;
      f.log = logs.log;
      ++spawned;
      current = track(actors::make_deribit_fetcher(s, std::move(f)));
      return current;
    };
    deps.uniform01 = [this] { return u; };
    deps.log = logs.log;
    auto sup = track(actors::make_fetch_supervisor(sys, std::move(deps)));
    sched.run();
    return sup;
  }

  /// The fetcher stopped on its first failure, a rate limit whose error mentions `what`.
  void expect_stopped_by_a_rate_limit(const messages::fetch_supervisor_actor& sup, const std::string& what) {
    auto st = status_of(sup);
    EXPECT_FALSE(st.alive);
    EXPECT_EQ(st.consecutive_failures, 1u);
    EXPECT_NE(st.last_error.find("rate_limited"), std::string::npos) << st.last_error;
    EXPECT_NE(st.last_error.find(what), std::string::npos) << st.last_error;
  }

  /// The next fetcher is spawned exactly `delay` from now: not 1 ms before, and at `delay`.
  void expect_restart_after(caf::timespan delay) {
    const int before = spawned;
    sched.advance_time(delay - std::chrono::milliseconds{1});
    sched.run();
    EXPECT_EQ(spawned, before) << "restarted before " << caf::deep_to_string(delay);
    sched.advance_time(std::chrono::milliseconds{1});
    sched.run();
    EXPECT_EQ(spawned, before + 1) << "not restarted at " << caf::deep_to_string(delay);
  }

  /// Completes the current fetcher's BTC cycle with the recorded payloads.
  void good_cycle() {
    complete_good_cycle(*http);
    sched.run();
  }
};

} // namespace

TEST_F(Supervisor, RestartAfter429HonoursRetryAfter) {
  auto sup = start();
  ASSERT_EQ(spawned, 1);
  EXPECT_EQ(http->count("get_book_summary_by_currency"), 2u);
  auto r = reply(429, R"({"jsonrpc":"2.0","error":{"code":10028,"message":"too_many_requests"}})");
  r.response.retry_after = std::chrono::seconds{42};
  http->complete("kind=future", r);
  sched.run();
  expect_stopped_by_a_rate_limit(sup, "HTTP 429");
  EXPECT_EQ((*fetch_stats)[messages::fetch_outcome::rate_limited].load(), 1u);

  expect_restart_after(42s);
  auto st = status_of(sup);
  EXPECT_TRUE(st.alive);
  EXPECT_EQ(st.restarts, 1u);
}

// max-backoff (300 s by default) bounds the supervisor's own delays, never what the host asked for.
TEST_F(Supervisor, ARetryAfterLongerThanMaxBackoffIsWaitedInFullAlsoWhenDegraded) {
  auto sup = start();
  auto rate_limited = [this] {
    auto r = reply(429, "");
    r.response.retry_after = 600s;
    http->complete("kind=future", r);
    sched.run();
  };
  auto no_request_until_600s = [this](int fetchers) {
    const auto requests = http->calls.size();
    sched.advance_time(600s - 1ms);
    sched.run();
    EXPECT_EQ(http->calls.size(), requests) << "a request went out before the Retry-After had passed";
    EXPECT_EQ(spawned, fetchers);
    sched.advance_time(1ms);
    sched.run();
    EXPECT_EQ(spawned, fetchers + 1);
    EXPECT_GT(http->calls.size(), requests);
  };
  rate_limited();
  EXPECT_FALSE(status_of(sup).degraded);
  no_request_until_600s(1);
  for (int i = 0; i < 3; ++i) {   // failures 2..4, then the 5th is a rate limit: DEGRADED
    http->complete("kind=future", failed(net::failure::reset, "connection reset by peer"));
    sched.run();
    sched.advance_time(300s);
    sched.run();
  }
  ASSERT_EQ(spawned, 5);
  rate_limited();
  EXPECT_TRUE(status_of(sup).degraded);
  no_request_until_600s(5);
}

TEST_F(Supervisor, RateLimitWithoutRetryAfterUsesJitteredMinimum) {
  u = 0.0;   // jitter factor 0.8: 5 s -> 4 s
  auto sup = start();
  http->complete("kind=option", reply(429, ""));
  sched.run();
  EXPECT_FALSE(status_of(sup).alive);
  expect_restart_after(4s);

  good_cycle();   // resets k
  EXPECT_EQ(status_of(sup).consecutive_failures, 0u);
  u = 1.0;        // jitter factor 1.2: 5 s -> 6 s
  self->send(current, messages::refresh_atom::value);
  sched.run();
  http->complete("kind=future", reply(200, R"({"jsonrpc":"2.0","error":{"code":10066,"message":"too_many_concurrent_requests"}})"));
  sched.run();
  expect_restart_after(6s);
}

TEST_F(Supervisor, RateLimitOnTheDvolRequestRestartsLikeAnyOtherButItsOtherFailuresDoNot) {
  u = 0.0;   // jitter factor 0.8: 5 s -> 4 s
  auto sup = start();
  EXPECT_EQ(http->count(dvol_method), 1u);
  http->complete("kind=future", reply_file(futures_file));
  http->complete("kind=option", reply_file(options_file));
  http->complete("get_instruments", reply_file(instruments_file));
  http->complete(dvol_method, reply(429, ""));
  sched.run();
  expect_stopped_by_a_rate_limit(sup, "get_volatility_index_data");
  EXPECT_EQ(fetch_stats->chains_sent.load(), 1u);   // the chain went before its DVOL answer
  expect_restart_after(4s);

  // A timeout or a 5xx on DVOL stops nothing: the cycle completes and resets the failure count.
  http->complete("kind=future", reply_file(futures_file));
  http->complete("kind=option", reply_file(options_file));
  http->complete(dvol_method, failed(net::failure::timeout, "deadline"));
  sched.run();
  auto st = status_of(sup);
  EXPECT_TRUE(st.alive);
  EXPECT_EQ(st.consecutive_failures, 0u);
  EXPECT_EQ(st.restarts, 1u);
  EXPECT_EQ(fetch_stats->chains_sent.load(), 2u);
  EXPECT_EQ(fetch_stats->cycles_complete.load(), 2u);
}

TEST_F(Supervisor, DegradedAfterFiveFailuresKeepsRetryingAtMaxAndClearsAfterAGoodCycle) {
  auto sup = start();
  const std::vector<caf::timespan> delays{1s, 2s, 4s, 8s};
  for (std::size_t i = 0; i < delays.size(); ++i) {
    http->complete("kind=future", failed(net::failure::reset, "connection reset by peer"));
    sched.run();
    auto st = status_of(sup);
    EXPECT_EQ(st.consecutive_failures, i + 1);
    EXPECT_FALSE(st.degraded);
    EXPECT_EQ(spawned, static_cast<int>(i + 1));
    expect_restart_after(delays[i]);
  }
  EXPECT_EQ(logs.count("ERROR"), 0u);
  http->complete("kind=option", failed(net::failure::timeout, "deadline"));   // 5th consecutive failure
  sched.run();
  auto st = status_of(sup);
  EXPECT_TRUE(st.degraded);
  EXPECT_FALSE(st.alive);
  EXPECT_EQ(st.consecutive_failures, 5u);
  EXPECT_NE(st.last_error.find("network_failure"), std::string::npos) << st.last_error;
  EXPECT_EQ(logs.count("ERROR [TEST] fetcher DEGRADED after 5 consecutive failures"), 1u);

  for (int round = 0; round < 2; ++round) {   // keeps retrying, every max_backoff
    expect_restart_after(300s);
    if (round == 0) {
      http->complete("kind=future", reply(503, R"({"error":{"message":"system_maintenance","code":11051}})"));
      sched.run();
      EXPECT_TRUE(status_of(sup).degraded);
      EXPECT_NE(status_of(sup).last_error.find("unavailable"), std::string::npos);
    }
  }
  EXPECT_EQ(logs.count("fetcher DEGRADED"), 1u);   // logged once, on the transition

  good_cycle();
  st = status_of(sup);
  EXPECT_FALSE(st.degraded);
  EXPECT_TRUE(st.alive);
  EXPECT_EQ(st.consecutive_failures, 0u);
  EXPECT_TRUE(st.last_success);
  EXPECT_EQ(fetch_stats->cycles_complete.load(), 1u);
  EXPECT_EQ(logs.count("DEGRADED cleared"), 1u);
}

TEST_F(Supervisor, NormalExitIsNotRestartedAndShutdownReachesTheFetcher) {
  auto sup = start();
  ASSERT_EQ(spawned, 1);
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  sched.run();
  sched.advance_time(600s);
  sched.run();
  EXPECT_EQ(spawned, 1);
  EXPECT_EQ(fetch_stats->starts.load(), 1u);
  // the fetcher is gone: its next tick issued no new requests
  EXPECT_EQ(http->count("kind=future"), 1u);
}
