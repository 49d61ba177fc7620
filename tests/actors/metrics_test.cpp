// The metrics endpoint actor answering from a real cache holder and a real fetch supervisor (deterministic
// scheduler); the fetcher observing request latency.
#include "actor_fixture.hpp"

#include "actors/cache_holder.hpp"
#include "actors/calculator.hpp"
#include "actors/deribit_fetcher.hpp"
#include "actors/fetch_supervisor.hpp"
#include "actors/metrics.hpp"
#include "messages/errors.hpp"
#include "runtime/metrics_http.hpp"
#include "support/prometheus_parser.hpp"
#include "support/signals.hpp"

using namespace std::chrono_literals;
using namespace derivcache;
using namespace derivcache::test;

namespace {

// ---- the endpoint actor ----------------------------------------------------------------------------------

// A reading of `currency` received now.
template <class Reading>
Reading received_now(const std::string& currency) {
  Reading r;
  r.currency = currency;
  r.received = caf::make_timestamp();
  r.as_of = r.received;
  return r;
}

messages::basis_reading basis(const std::string& currency, double apr) {
  auto r = received_now<messages::basis_reading>(currency);
  r.apr_pct = apr;
  r.state = quant::basis_state::contango;
  return r;
}

messages::skew_reading skew(const std::string& currency, double pct) {
  auto r = received_now<messages::skew_reading>(currency);
  r.skew_pct = pct;
  r.state = quant::skew_state::fear;
  return r;
}

using fail_atom = caf::atom_constant<caf::atom("fail")>;

/// A fetcher that fetches nothing and exits with a network failure on `fail_atom`. Untyped (and cast):
/// only the supervisor's side of the fetcher interface matters here.
caf::behavior idle_fetcher(caf::event_based_actor* self) {
  return {
    [](caf::tick_atom) {},
    [](messages::refresh_atom) {},
    [](const messages::http_reply&) {},
    [self](fail_atom) { self->quit(caf::make_error(messages::errc::network_failure, std::string{"reset"})); },
  };
}

/// A supervisor that never answers its status request.
caf::behavior mute_supervisor(caf::event_based_actor* self) {
  return {
    [self](caf::get_atom, messages::status_atom) -> caf::result<messages::fetcher_status> {
      return self->make_response_promise<messages::fetcher_status>();
    },
  };
}

struct MetricsEndpoint : DeterministicCaf {
  std::shared_ptr<runtime::fetch_stats> stats = std::make_shared<runtime::fetch_stats>();
  std::shared_ptr<runtime::latency_histogram> latency = std::make_shared<runtime::latency_histogram>();
  messages::cache_holder_actor cache;
  messages::fetch_supervisor_actor supervisor;
  messages::deribit_fetcher_actor fetcher;
  messages::metrics_endpoint_actor endpoint;
  actors::metrics_endpoint_deps deps;

  void SetUp() override {
    actors::cache_holder_deps c;
    c.max_age = 60s;
    cache = track(actors::make_cache_holder(sys, c));
    actors::fetch_supervisor_deps s;
    s.spawn_fetcher = [this](caf::actor_system& sys_, messages::fetch_supervisor_actor) {
      fetcher = track(caf::actor_cast<messages::deribit_fetcher_actor>(sys_.spawn(idle_fetcher)));
      return fetcher;
    };
    s.max_failures = 1;
    s.uniform01 = [] { return 0.5; };
    supervisor = track(actors::make_fetch_supervisor(sys, std::move(s)));
    sched.run();
    deps.cache = cache;
    deps.supervisor = supervisor;
    deps.fetch_counters = stats;
    deps.request_latency = latency;
    deps.health.currencies = {"BTC"};
    deps.query_timeout = 2s;
  }

  void start() {
    endpoint = track(actors::make_metrics_endpoint(sys, deps));
    sched.run();
  }

  /// Hands a GET to the endpoint through the server-side handler; the reply, if any, after running.
  std::shared_ptr<std::optional<net::response>> get_async(const std::string& target) {
    auto out = std::make_shared<std::optional<net::response>>();
    net::request_view req;
    req.method = "GET";
    req.target = target;
    auto q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos)
      req.query = target.substr(q + 1);
    runtime::metrics_http_handler(endpoint)(req, [out](net::response res) {
      EXPECT_FALSE(out->has_value()) << "answered twice";
      *out = std::move(res);
    });
    sched.run();
    return out;
  }

  net::response get(const std::string& target) {
    auto out = get_async(target);
    EXPECT_TRUE(out->has_value()) << "no answer to " << target;
    return out->value_or(net::response{});
  }

  void feed_btc() {
    self->send(cache, basis("BTC", 15.5));
    self->send(cache, skew("BTC", 6.25));
    sched.run();
  }
};

TEST_F(MetricsEndpoint, RendersTheCacheAndSupervisorReplies) {
  start();
  feed_btc();
  (*stats)[messages::fetch_outcome::ok] = 12;
  (*stats)[messages::fetch_outcome::network_failure] = 1;
  latency->observe(40ms);
  auto res = get("/metrics");
  EXPECT_EQ(res.status, 200u);
  EXPECT_EQ(res.content_type, "text/plain; version=0.0.4; charset=utf-8");
  auto p = parse_prometheus(res.body);
  EXPECT_EQ(p.value("derivcache_basis_apr_pct", {{"currency", "BTC"}}), 15.5);
  EXPECT_EQ(p.value("derivcache_skew_pct", {{"currency", "BTC"}}), 6.25);
  EXPECT_EQ(p.value("derivcache_reading_stale", {{"currency", "BTC"}, {"kind", "basis"}}), 0);
  EXPECT_EQ(p.value("derivcache_deribit_fetches_total", {{"outcome", "ok"}}), 12);
  EXPECT_EQ(p.value("derivcache_deribit_fetches_total", {{"outcome", "network_failure"}}), 1);
  EXPECT_EQ(p.value("derivcache_deribit_request_seconds_bucket", {{"le", "0.05"}}), 1);
  EXPECT_EQ(p.value("derivcache_fetcher_up"), 1);
  EXPECT_EQ(p.value("derivcache_fetcher_restarts_total"), 0);
  EXPECT_EQ(p.value("derivcache_metrics_source_up", {{"source", "cache"}}), 1);
}

TEST_F(MetricsEndpoint, SurfaceBasisAtConstantMaturitiesMfivAndDvolAreGaugesByCurrencyTenorAndDelta) {
  start();
  auto basis_calc = track(actors::make_calculator(sys, {cache, actors::basis_calculation{}, nullptr}));
  auto skew_calc = track(actors::make_calculator(sys, {cache, actors::skew_calculation{}, nullptr}));
  auto chain = btc_chain(caf::make_timestamp());
  self->send(basis_calc, chain);
  self->send(skew_calc, chain);
  messages::dvol_update dvol;
  dvol.currency = "BTC";
  dvol.record = real_dvol_record(chain->received);
  dvol.chain_received = chain->received;
  self->send(cache, dvol);
  sched.run();
  sched.advance_time(20s);
  auto res = get("/metrics");
  auto p = parse_prometheus(res.body);
  ASSERT_FALSE(::testing::Test::HasFailure()) << res.body;
  EXPECT_EQ(p.types["derivcache_surface_skew_pct"], "gauge");
  EXPECT_NEAR(p.value("derivcache_surface_skew_pct", {{"currency", "BTC"}, {"tenor_days", "30"}, {"delta", "0.25"}}),
              6.3218, 5e-5);
  EXPECT_NEAR(p.value("derivcache_surface_skew_pct", {{"currency", "BTC"}, {"tenor_days", "30"}, {"delta", "0.1"}}),
              13.6437, 5e-5);
  EXPECT_NEAR(
    p.value("derivcache_surface_skew_normalized", {{"currency", "BTC"}, {"tenor_days", "30"}, {"delta", "0.25"}}),
    0.1232, 5e-5);
  EXPECT_NEAR(
    p.value("derivcache_surface_butterfly_pct", {{"currency", "BTC"}, {"tenor_days", "30"}, {"delta", "0.1"}}),
    5.2249, 5e-5);
  EXPECT_NEAR(p.value("derivcache_atm_iv_pct", {{"currency", "BTC"}, {"tenor_days", "7"}}), 53.1526, 5e-5);
  EXPECT_NEAR(p.value("derivcache_atm_iv_pct", {{"currency", "BTC"}, {"tenor_days", "90"}}), 50.6429, 5e-5);
  EXPECT_NEAR(p.value("derivcache_basis_cm_apr_pct", {{"currency", "BTC"}, {"tenor_days", "30"}}), 13.6343, 5e-5);
  EXPECT_NEAR(p.value("derivcache_basis_cm_apr_pct", {{"currency", "BTC"}, {"tenor_days", "90"}}), 12.5524, 5e-5);
  EXPECT_NEAR(p.value("derivcache_mfiv_pct", {{"currency", "BTC"}, {"tenor_days", "30"}}), 54.9440, 5e-5);
  EXPECT_EQ(p.value("derivcache_reading_age_seconds", {{"currency", "BTC"}, {"kind", "mfiv"}}), 20);
  EXPECT_EQ(p.types["derivcache_dvol"], "gauge");
  EXPECT_EQ(p.value("derivcache_dvol", {{"currency", "BTC"}}), 35.47);
  EXPECT_EQ(p.value("derivcache_reading_age_seconds", {{"currency", "BTC"}, {"kind", "dvol"}}), 20);
  EXPECT_NEAR(p.value("derivcache_mfiv_minus_dvol", {{"currency", "BTC"}}), 54.9440 - 35.47, 5e-5);
  EXPECT_EQ(p.value("derivcache_skew_pct", {{"currency", "BTC"}}),
            p.value("derivcache_surface_skew_pct", {{"currency", "BTC"}, {"tenor_days", "30"}, {"delta", "0.25"}}));
}

TEST_F(MetricsEndpoint, HealthGoesFromWarmUpToFreshToStale) {
  start();
  std::string status;
  auto warm = get("/healthz");
  EXPECT_EQ(warm.status, 503u);
  EXPECT_EQ(warm.content_type, "application/json");
  EXPECT_EQ(json_reasons(warm.body, status), std::vector<std::string>{"warming up: no BTC reading yet"});

  feed_btc();
  auto ok = get("/healthz");
  EXPECT_EQ(ok.status, 200u) << ok.body;
  EXPECT_EQ(json_reasons(ok.body, status), std::vector<std::string>{});
  EXPECT_EQ(status, "ok");

  sched.advance_time(61s);   // past the cache's max age (also fires the answered requests' timeouts: ignored)
  sched.run();
  auto stale = get("/healthz");
  EXPECT_EQ(stale.status, 503u);
  EXPECT_EQ(json_reasons(stale.body, status), (std::vector<std::string>{"BTC basis STALE", "BTC skew STALE"}));
  auto p = parse_prometheus(get("/metrics").body);
  EXPECT_EQ(p.value("derivcache_reading_stale", {{"currency", "BTC"}, {"kind", "skew"}}), 1);
  EXPECT_GE(p.value("derivcache_reading_age_seconds", {{"currency", "BTC"}, {"kind", "basis"}}), 61);
}

TEST_F(MetricsEndpoint, FetcherFailureMakesItDegraded) {
  start();
  feed_btc();
  caf::anon_send(caf::actor_cast<caf::actor>(fetcher), fail_atom::value);
  sched.run();
  auto res = get("/healthz");
  EXPECT_EQ(res.status, 503u);
  std::string status;
  EXPECT_EQ(json_reasons(res.body, status), std::vector<std::string>{"fetcher DEGRADED"});
  auto p = parse_prometheus(get("/metrics").body);
  EXPECT_EQ(p.value("derivcache_fetcher_degraded"), 1);
  EXPECT_EQ(p.value("derivcache_fetcher_up"), 0);
}

TEST_F(MetricsEndpoint, SilentSupervisorTimesOutInto503) {
  deps.supervisor = track(caf::actor_cast<messages::fetch_supervisor_actor>(sys.spawn(mute_supervisor)));
  start();
  feed_btc();
  auto pending = get_async("/healthz");
  EXPECT_FALSE(pending->has_value()) << "answered before the supervisor's timeout";
  sched.advance_time(2s);
  sched.run();
  ASSERT_TRUE(pending->has_value());
  EXPECT_EQ((*pending)->status, 503u);
  std::string status;
  auto reasons = json_reasons((*pending)->body, status);
  ASSERT_EQ(reasons.size(), 1u) << (*pending)->body;
  EXPECT_EQ(reasons[0].rfind("fetcher status unavailable: ", 0), 0u) << reasons[0];
  EXPECT_NE(reasons[0].find("request_timeout"), std::string::npos) << reasons[0];
}

TEST_F(MetricsEndpoint, FeedHookFillsTheFeedSection) {
  deps.feed = [](messages::metrics_endpoint_actor::pointer, std::function<void(runtime::feed_metrics)> done) {
    runtime::feed_metrics f;
    f.enabled = true;
    f.connected = true;
    f.messages = 77;
    f.reconnects = 1;
    f.data_age = 90s;
    f.snapshot_captures = 3;
    done(f);
  };
  deps.health.feed_stale_after = 60s;
  start();
  feed_btc();
  auto p = parse_prometheus(get("/metrics").body);
  EXPECT_EQ(p.value("derivcache_binance_messages_total"), 77);
  EXPECT_EQ(p.value("derivcache_snapshot_captures_total"), 3);
  std::string status;
  EXPECT_EQ(json_reasons(get("/healthz").body, status),
            std::vector<std::string>{"Binance feed down: no data for 90s (stale after 60s)"});
}

TEST_F(MetricsEndpoint, SnapshotRoutes) {
  start();
  auto none = get("/snapshot?symbol=BTCUSDT");
  EXPECT_EQ(none.status, 404u);
  EXPECT_EQ(none.body, R"({"error":"no feature collector"})");
  EXPECT_EQ(get("/snapshot").status, 400u);
  EXPECT_EQ(get("/nope").status, 404u);

  deps.snapshots = [](messages::metrics_endpoint_actor::pointer, const std::string& symbol,
                      std::function<void(unsigned, std::string)> done) {
    done(200, "{\"symbol\":\"" + symbol + "\"}");
  };
  start();
  auto some = get("/snapshot?symbol=BTCUSDT");
  EXPECT_EQ(some.status, 200u);
  EXPECT_EQ(some.content_type, "application/json");
  EXPECT_EQ(some.body, R"({"symbol":"BTCUSDT"})");
}

TEST_F(DeterministicCaf, FetcherObservesRequestLatencyButNotCancellations) {
  auto http = std::make_shared<fake_http_client>();
  auto latency = std::make_shared<runtime::latency_histogram>();
  actors::deribit_fetcher_deps f;
  f.http = http;
  f.currencies = {*quant::find_currency("BTC")};
  f.request_latency = latency;
  track(actors::make_deribit_fetcher(sys, std::move(f)));
  sched.run();
  ASSERT_GE(http->calls.size(), 2u);
  auto timed = reply(200, "{}");
  timed.latency = std::chrono::milliseconds{40};
  http->calls[0].h(timed);
  http->calls[0].done = true;
  http->calls[1].h(failed(net::failure::cancelled, "cancelled: client shut down"));
  http->calls[1].done = true;
  auto h = latency->snapshot();
  EXPECT_EQ(h.count, 1u);
  EXPECT_DOUBLE_EQ(h.sum, 0.04);
}

} // namespace
