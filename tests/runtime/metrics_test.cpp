// Metrics as pure functions: the latency histogram, Prometheus text that a strict parser accepts, and the
// health rules.
#include "runtime/health.hpp"
#include "runtime/latency_histogram.hpp"
#include "runtime/prometheus.hpp"
#include "support/prometheus_parser.hpp"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <cmath>

using namespace std::chrono_literals;
using namespace derivcache;
using namespace derivcache::test;

namespace {

// ---- snapshot builders -----------------------------------------------------------------------------------

runtime::currency_metrics fresh(const std::string& currency) {
  runtime::currency_metrics c;
  c.currency = currency;
  c.has_basis = c.has_skew = true;
  c.basis_apr_pct = 15.5;
  c.skew_pct = 6.25;
  c.basis_age = 30s;
  c.skew_age = 31s;
  return c;
}

runtime::metrics_snapshot healthy_snapshot() {
  runtime::metrics_snapshot m;
  m.cache_answered = true;
  m.currencies = {fresh("BTC"), fresh("ETH")};
  messages::fetcher_status status;
  status.alive = true;
  m.fetcher = status;
  return m;
}

runtime::health_options btc_eth() {
  runtime::health_options o;
  o.currencies = {"BTC", "ETH"};
  return o;
}

bool contains(const std::vector<std::string>& xs, const std::string& x) {
  return std::find(xs.begin(), xs.end(), x) != xs.end();
}

// ---- pure functions --------------------------------------------------------------------------------------

TEST(LatencyHistogram, BucketsAreLessOrEqualAndCountMatches) {
  runtime::latency_histogram h{{0.5, 0.1, 1, 0.1}};   // unsorted, duplicate: normalized
  h.observe_seconds(0.1);                            // on a bound: that bucket
  h.observe(250ms);
  h.observe_seconds(3);                              // +Inf bucket
  h.observe_seconds(std::nan(""));                   // ignored
  auto s = h.snapshot();
  EXPECT_EQ(s.upper_bounds, (std::vector<double>{0.1, 0.5, 1}));
  EXPECT_EQ(s.counts, (std::vector<uint64_t>{1, 1, 0, 1}));
  EXPECT_EQ(s.count, 3u);
  EXPECT_DOUBLE_EQ(s.sum, 3.35);
}

TEST(Prometheus, SampleValuesAndLabelEscaping) {
  EXPECT_EQ(runtime::format_sample_value(15.5), "15.5");
  EXPECT_EQ(runtime::format_sample_value(0.005), "0.005");
  EXPECT_EQ(runtime::format_sample_value(1), "1");
  EXPECT_EQ(runtime::format_sample_value(HUGE_VAL), "+Inf");
  EXPECT_EQ(runtime::format_sample_value(-HUGE_VAL), "-Inf");
  EXPECT_EQ(runtime::format_sample_value(std::nan("")), "NaN");
  EXPECT_EQ(runtime::escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
}

TEST(Prometheus, ExpositionParsesStrictlyWithEveryFamily) {
  auto m = healthy_snapshot();
  m.fetches[messages::fetch_outcome::ok] = 42;
  m.fetches[messages::fetch_outcome::rate_limited] = 3;
  m.fetches[messages::fetch_outcome::network_failure] = 2;
  m.fetches[messages::fetch_outcome::unavailable] = 1;
  m.fetches[messages::fetch_outcome::request_error] = 5;
  m.fetches[messages::fetch_outcome::bad_payload] = 7;
  m.fetches.requests = 60;
  m.fetcher->restarts = 4;
  m.currencies[1].basis_stale = true;
  m.currencies[1].skew_pct = std::nan("");
  runtime::latency_histogram h;
  for (double s : {0.004, 0.02, 0.02, 0.3, 12.0})
    h.observe_seconds(s);
  m.request_seconds = h.snapshot();
  m.feed.enabled = true;
  m.feed.connected = true;
  m.feed.messages = 1000;
  m.feed.reconnects = 2;
  m.feed.snapshot_captures = 9;
  m.feed.trades_dropped = 189;
  m.feed.tickers_conflated = 238;
  m.feed.queued_trades = 50;
  m.feed.bad_time = 1;
  m.feed.bad_id = 2;
  m.feed.trades_late = 3;
  m.introspection.accepted = 12;
  m.introspection.closed_oversized = 1;

  const auto text = runtime::render_prometheus(m);
  auto p = parse_prometheus(text);
  ASSERT_FALSE(::testing::Test::HasFailure()) << text;

  EXPECT_EQ(p.types["derivcache_deribit_fetches_total"], "counter");
  const std::map<std::string, double> outcomes{{"ok", 42},         {"rate_limited", 3}, {"network_failure", 2},
                                               {"unavailable", 1}, {"request_error", 5}, {"bad_payload", 7}};
  for (const auto& [outcome, n] : outcomes)
    EXPECT_EQ(p.value("derivcache_deribit_fetches_total", {{"outcome", outcome}}), n) << outcome;
  EXPECT_EQ(p.types["derivcache_deribit_request_seconds"], "histogram");
  EXPECT_EQ(p.value("derivcache_deribit_request_seconds_count"), 5);
  EXPECT_EQ(p.value("derivcache_deribit_request_seconds_bucket", {{"le", "0.005"}}), 1);
  EXPECT_EQ(p.value("derivcache_deribit_request_seconds_bucket", {{"le", "0.025"}}), 3);
  EXPECT_EQ(p.value("derivcache_deribit_request_seconds_bucket", {{"le", "10"}}), 4);
  EXPECT_EQ(p.value("derivcache_deribit_request_seconds_bucket", {{"le", "+Inf"}}), 5);
  EXPECT_NEAR(p.value("derivcache_deribit_request_seconds_sum"), 12.344, 1e-9);
  EXPECT_EQ(p.value("derivcache_fetcher_restarts_total"), 4);
  EXPECT_EQ(p.value("derivcache_fetcher_degraded"), 0);
  EXPECT_EQ(p.types["derivcache_fetcher_degraded"], "gauge");
  EXPECT_EQ(p.value("derivcache_basis_apr_pct", {{"currency", "BTC"}}), 15.5);
  EXPECT_EQ(p.value("derivcache_skew_pct", {{"currency", "BTC"}}), 6.25);
  EXPECT_TRUE(std::isnan(p.value("derivcache_skew_pct", {{"currency", "ETH"}})));
  EXPECT_EQ(p.value("derivcache_reading_age_seconds", {{"currency", "BTC"}, {"kind", "skew"}}), 31);
  EXPECT_EQ(p.value("derivcache_reading_stale", {{"currency", "ETH"}, {"kind", "basis"}}), 1);
  EXPECT_EQ(p.value("derivcache_reading_stale", {{"currency", "BTC"}, {"kind", "basis"}}), 0);
  EXPECT_EQ(p.value("derivcache_binance_messages_total"), 1000);
  EXPECT_EQ(p.value("derivcache_binance_reconnects_total"), 2);
  EXPECT_EQ(p.value("derivcache_snapshot_captures_total"), 9);
  EXPECT_EQ(p.value("derivcache_binance_trades_dropped_total"), 189);
  EXPECT_EQ(p.value("derivcache_binance_tickers_conflated_total"), 238);
  EXPECT_EQ(p.value("derivcache_binance_queued_trades"), 50);
  EXPECT_EQ(p.types["derivcache_binance_queued_trades"], "gauge");
  EXPECT_EQ(p.value("derivcache_spot_bad_input_total", {{"reason", "time"}}), 1);
  EXPECT_EQ(p.value("derivcache_spot_bad_input_total", {{"reason", "id"}}), 2);
  EXPECT_EQ(p.value("derivcache_spot_trades_late_total"), 3);
  EXPECT_EQ(p.value("derivcache_introspection_connections_total"), 12);
  EXPECT_EQ(p.value("derivcache_introspection_connections_refused_total", {{"reason", "oversized"}}), 1);
  EXPECT_EQ(p.value("derivcache_introspection_connections_refused_total", {{"reason", "over_cap"}}), 0);
  EXPECT_EQ(p.value("derivcache_metrics_source_up", {{"source", "supervisor"}}), 1);
}

TEST(Prometheus, StoreFailuresRetriesAndDropsAreCounted) {
  auto m = healthy_snapshot();
  EXPECT_EQ(runtime::render_prometheus(m).find("derivcache_store_"), std::string::npos) << "no store: no store families";
  runtime::store_stats stats;
  stats.write_failures = 4;
  stats.write_retries = 3;
  stats.records_failed = 1;
  stats.bars_dropped = 7;
  stats.pending_bars = 120;
  stats.bars_deleted = 86400;
  stats.checkpoints = 5;
  stats.checkpoints_incomplete = 2;
  m.store = runtime::to_store_metrics(stats);
  const auto text = runtime::render_prometheus(m);
  auto p = parse_prometheus(text);
  ASSERT_FALSE(::testing::Test::HasFailure()) << text;
  EXPECT_EQ(p.value("derivcache_store_write_failures_total"), 4);
  EXPECT_EQ(p.value("derivcache_store_write_retries_total"), 3);
  EXPECT_EQ(p.value("derivcache_store_records_failed_total"), 1);
  EXPECT_EQ(p.value("derivcache_store_bars_dropped_total"), 7);
  EXPECT_EQ(p.value("derivcache_store_pending_bars"), 120);
  EXPECT_EQ(p.types["derivcache_store_pending_bars"], "gauge");
  EXPECT_EQ(p.value("derivcache_store_rows_deleted_total", {{"table", "bars"}}), 86400);
  EXPECT_EQ(p.value("derivcache_store_rows_deleted_total", {{"table", "snapshots"}}), 0);
  EXPECT_EQ(p.value("derivcache_store_checkpoints_total", {{"result", "truncated"}}), 5);
  EXPECT_EQ(p.value("derivcache_store_checkpoints_total", {{"result", "held_back"}}), 2);
}

TEST(Prometheus, TheTestParserRejectsMalformedText) {
  EXPECT_NONFATAL_FAILURE(parse_prometheus("x_total 1\n"), "before its family's TYPE line");
  EXPECT_NONFATAL_FAILURE(parse_prometheus("# TYPE x gauge\nx{a=\"1\" 1\n"), "expected ',' or '}'");
  EXPECT_NONFATAL_FAILURE(parse_prometheus("# TYPE x gauge\nx one\n"), "bad value");
  EXPECT_NONFATAL_FAILURE(parse_prometheus("# TYPE x gauge\nx{a=\"\\q\"} 1\n"), "bad escape");
  EXPECT_NONFATAL_FAILURE(parse_prometheus("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
                                           "h_sum 1\nh_count 1\n"),
                          "not cumulative");
  EXPECT_NONFATAL_FAILURE(parse_prometheus("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n"),
                          "last bucket is not +Inf");
  EXPECT_NONFATAL_FAILURE(parse_prometheus("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1\n"),
                          "differs from _count");
  EXPECT_NONFATAL_FAILURE(parse_prometheus("# TYPE x gauge\n# TYPE y gauge\nx 1\ny 1\nx{a=\"b\"} 2\n"),
                          "not contiguous");
}

TEST(Prometheus, EmptySnapshotStillParses) {
  runtime::metrics_snapshot m;   // nothing answered: families without samples, zero counters
  auto p = parse_prometheus(runtime::render_prometheus(m));
  EXPECT_EQ(p.value("derivcache_deribit_request_seconds_count"), 0);
  EXPECT_FALSE(p.has("derivcache_fetcher_degraded", {}));
  EXPECT_EQ(p.value("derivcache_metrics_source_up", {{"source", "cache"}}), 0);
  EXPECT_EQ(p.value("derivcache_binance_messages_total"), 0);
}

TEST(Prometheus, LabelValuesRoundTripThroughTheParser) {
  auto m = healthy_snapshot();
  m.currencies[0].currency = "odd\"cur\\ren\ncy";
  auto p = parse_prometheus(runtime::render_prometheus(m));
  EXPECT_EQ(p.value("derivcache_basis_apr_pct", {{"currency", "odd\"cur\\ren\ncy"}}), 15.5);
}

TEST(Health, FreshIs200) {
  auto r = runtime::evaluate_health(healthy_snapshot(), btc_eth());
  EXPECT_EQ(r.status, 200u);
  EXPECT_TRUE(r.reasons.empty());
  EXPECT_EQ(r.to_json(), R"({"status":"ok","reasons":[]})");
}

TEST(Health, StaleReadingIs503WithTheReason) {
  auto m = healthy_snapshot();
  m.currencies[0].basis_stale = true;
  auto r = runtime::evaluate_health(m, btc_eth());
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(r.reasons, std::vector<std::string>{"BTC basis STALE"});
  std::string status;
  EXPECT_EQ(json_reasons(r.to_json(), status), std::vector<std::string>{"BTC basis STALE"});
  EXPECT_EQ(status, "unhealthy");
}

TEST(Health, DegradedAndFailingFetcherAre503) {
  auto m = healthy_snapshot();
  m.fetcher->consecutive_failures = 1;
  m.fetcher->alive = false;
  m.fetcher->last_error = "network_failure: reset";
  auto failing = runtime::evaluate_health(m, btc_eth());
  EXPECT_EQ(failing.status, 503u);
  EXPECT_EQ(failing.reasons, std::vector<std::string>{"fetcher last cycle failed: network_failure: reset"});
  m.fetcher->consecutive_failures = 5;
  m.fetcher->degraded = true;
  auto degraded = runtime::evaluate_health(m, btc_eth());
  EXPECT_EQ(degraded.reasons, std::vector<std::string>{"fetcher DEGRADED"});
  m.fetcher = std::nullopt;
  m.fetcher_error = "request_timeout";
  EXPECT_TRUE(contains(runtime::evaluate_health(m, btc_eth()).reasons, "fetcher status unavailable: request_timeout"));
}

TEST(Health, WarmUpIs503UntilEveryEnabledCurrencyHasReadings) {
  auto m = healthy_snapshot();
  m.currencies.pop_back();            // no ETH entry at all
  m.currencies[0].has_skew = false;   // BTC basis only
  m.currencies[0].skew_pct.reset();
  auto r = runtime::evaluate_health(m, btc_eth());
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(r.reasons, (std::vector<std::string>{"warming up: no BTC skew reading yet", "warming up: no ETH reading yet"}));
  m.cache_answered = false;
  m.cache_error = "request_timeout";
  EXPECT_EQ(runtime::evaluate_health(m, btc_eth()).reasons, std::vector<std::string>{"cache unavailable: request_timeout"});
}

TEST(Health, BinanceFeedDownPastStaleAfterIs503) {
  auto m = healthy_snapshot();
  auto o = btc_eth();
  o.feed_stale_after = 60s;
  m.feed.enabled = true;
  EXPECT_EQ(runtime::evaluate_health(m, o).reasons, std::vector<std::string>{"warming up: no Binance data yet"});
  m.feed.data_age = 59s;   // disconnected but within stale-after: a reconnect in progress is healthy
  EXPECT_EQ(runtime::evaluate_health(m, o).status, 200u);
  m.feed.data_age = 75s;
  EXPECT_EQ(runtime::evaluate_health(m, o).reasons,
            std::vector<std::string>{"Binance feed down: no data for 75s (stale after 60s)"});
  m.feed.enabled = false;   // a feed that is not configured does not count
  EXPECT_EQ(runtime::evaluate_health(m, o).status, 200u);
}

} // namespace
