// The fetch supervisor: restarts with backoff, Retry-After, DEGRADED and recovery.
#include "actor_fixture.hpp"

#include "actors/deribit_fetcher.hpp"
#include "actors/fetch_supervisor.hpp"
#include "messages/errors.hpp"

using namespace std::chrono_literals;
using namespace derivcache;
using namespace derivcache::test;

namespace {

caf::error network_error() { return caf::make_error(messages::errc::network_failure, std::string{"reset"}); }

caf::error rate_limit(int64_t retry_after) {
  return caf::make_error(messages::errc::rate_limited, retry_after, std::string{"HTTP 429"});
}

/// A supervisor whose fetchers are real ones talking to the fake client (BTC only).
struct Supervisor : DeterministicCaf {
  captured_log logs;
  std::shared_ptr<fake_http_client> http = std::make_shared<fake_http_client>();
  std::shared_ptr<actors::fetch_stats> fetch_stats = std::make_shared<actors::fetch_stats>();
  std::shared_ptr<actors::instrument_cache> instruments = std::make_shared<actors::instrument_cache>();
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

  /// Completes the current fetcher's BTC cycle with the recorded payloads.
  void good_cycle() {
    complete_good_cycle(*http);
    sched.run();
  }
};

} // namespace

TEST(Backoff, SequenceDoublesFromMinAndClampsAtMax) {
  actors::backoff_params p;
  std::vector<double> got;
  for (uint32_t k = 1; k <= 11; ++k)
    got.push_back(std::chrono::duration<double>(actors::backoff_delay(p, k, network_error(), 0.5)).count());
  EXPECT_EQ(got, (std::vector<double>{1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300}));
  // rate limits start at rate_limit_min_backoff
  EXPECT_EQ(actors::backoff_delay(p, 1, rate_limit(-1), 0.5), caf::timespan{5s});
  EXPECT_EQ(actors::backoff_delay(p, 3, rate_limit(-1), 0.5), caf::timespan{20s});
}

TEST(Backoff, JitterStaysWithinPlusMinusTwentyPercentAndUnderMax) {
  actors::backoff_params p;
  for (uint32_t k = 1; k <= 10; ++k) {
    const double base = std::min(300.0, std::pow(2.0, k - 1));
    for (double u : {0.0, 0.25, 0.5, 0.75, 1.0}) {
      const double d = std::chrono::duration<double>(actors::backoff_delay(p, k, network_error(), u)).count();
      EXPECT_GE(d, 0.8 * base - 1e-6) << "k=" << k << " u=" << u;
      EXPECT_LE(d, std::min(300.0, 1.2 * base) + 1e-6) << "k=" << k << " u=" << u;
    }
  }
  EXPECT_EQ(actors::backoff_delay(p, 1, network_error(), 0.0), caf::timespan{800ms});
  EXPECT_EQ(actors::backoff_delay(p, 1, network_error(), 1.0), caf::timespan{1200ms});
  EXPECT_EQ(actors::backoff_delay(p, 9, network_error(), 1.0), caf::timespan{300s});   // 307.2 s clamped
}

TEST(Backoff, RetryAfterIsUsedAsGivenCappedAtMax) {
  actors::backoff_params p;
  EXPECT_EQ(actors::backoff_delay(p, 1, rate_limit(42), 0.0), caf::timespan{42s});
  EXPECT_EQ(actors::backoff_delay(p, 4, rate_limit(42), 1.0), caf::timespan{42s});
  EXPECT_EQ(actors::backoff_delay(p, 1, rate_limit(1000), 0.5), caf::timespan{300s});
}

TEST_F(Supervisor, RestartAfter429HonoursRetryAfter) {
  auto sup = start();
  ASSERT_EQ(spawned, 1);
  EXPECT_EQ(http->count("get_book_summary_by_currency"), 2u);
  auto r = reply(429, R"({"jsonrpc":"2.0","error":{"code":10028,"message":"too_many_requests"}})");
  r.response.retry_after = std::chrono::seconds{42};
  http->complete("kind=future", r);
  sched.run();
  auto st = status_of(sup);
  EXPECT_FALSE(st.alive);
  EXPECT_EQ(st.consecutive_failures, 1u);
  EXPECT_NE(st.last_error.find("rate_limited"), std::string::npos) << st.last_error;
  EXPECT_NE(st.last_error.find("HTTP 429"), std::string::npos) << st.last_error;
  EXPECT_EQ(fetch_stats->rate_limited.load(), 1u);

  sched.advance_time(42s - 1ms);
  sched.run();
  EXPECT_EQ(spawned, 1);
  sched.advance_time(1ms);
  sched.run();
  EXPECT_EQ(spawned, 2);
  st = status_of(sup);
  EXPECT_TRUE(st.alive);
  EXPECT_EQ(st.restarts, 1u);
}

TEST_F(Supervisor, RateLimitWithoutRetryAfterUsesJitteredMinimum) {
  u = 0.0;   // jitter factor 0.8: 5 s -> 4 s
  auto sup = start();
  http->complete("kind=option", reply(429, ""));
  sched.run();
  EXPECT_FALSE(status_of(sup).alive);
  sched.advance_time(4s - 1ms);
  sched.run();
  EXPECT_EQ(spawned, 1);
  sched.advance_time(1ms);
  sched.run();
  EXPECT_EQ(spawned, 2);

  good_cycle();   // resets k
  EXPECT_EQ(status_of(sup).consecutive_failures, 0u);
  u = 1.0;        // jitter factor 1.2: 5 s -> 6 s
  self->send(current, messages::refresh_atom::value);
  sched.run();
  http->complete("kind=future", reply(200, R"({"jsonrpc":"2.0","error":{"code":10066,"message":"too_many_concurrent_requests"}})"));
  sched.run();
  sched.advance_time(6s - 1ms);
  sched.run();
  EXPECT_EQ(spawned, 2);
  sched.advance_time(1ms);
  sched.run();
  EXPECT_EQ(spawned, 3);
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
    sched.advance_time(delays[i] - 1ms);
    sched.run();
    EXPECT_EQ(spawned, static_cast<int>(i + 1));
    sched.advance_time(1ms);
    sched.run();
    EXPECT_EQ(spawned, static_cast<int>(i + 2));
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
    const int before = spawned;
    sched.advance_time(300s - 1ms);
    sched.run();
    EXPECT_EQ(spawned, before);
    sched.advance_time(1ms);
    sched.run();
    EXPECT_EQ(spawned, before + 1);
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
