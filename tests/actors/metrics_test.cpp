// Metrics: Prometheus text that a strict parser accepts, the health rules, and the endpoint actor answering
// from a real cache holder and a real fetch supervisor (deterministic scheduler).
#include "actor_fixture.hpp"

#include "actors/deribit_fetcher.hpp"
#include "actors/fetch_supervisor.hpp"
#include "actors/metrics.hpp"
#include "messages/errors.hpp"

#include <gtest/gtest-spi.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <sstream>

using namespace std::chrono_literals;
using namespace derivcache;
using namespace derivcache::test;

namespace {

// ---- a strict parser for the Prometheus text format 0.0.4 ------------------------------------------------

struct prom_sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct prom_text {
  std::map<std::string, std::string> types;   ///< family -> counter | gauge | histogram
  std::map<std::string, std::string> help;
  std::vector<prom_sample> samples;

  /// The value of the one sample `name` with exactly `labels`; fails the test when absent.
  double value(const std::string& name, const std::map<std::string, std::string>& labels = {}) const {
    for (const auto& s : samples)
      if (s.name == name && s.labels == labels)
        return s.value;
    ADD_FAILURE() << "no sample " << name;
    return std::nan("");
  }

  bool has(const std::string& name, const std::map<std::string, std::string>& labels) const {
    return std::any_of(samples.begin(), samples.end(),
                       [&](const prom_sample& s) { return s.name == name && s.labels == labels; });
  }
};

bool parse_value(const std::string& text, double& out) {
  if (text == "+Inf" || text == "Inf") {
    out = HUGE_VAL;
    return true;
  }
  if (text == "-Inf") {
    out = -HUGE_VAL;
    return true;
  }
  if (text == "NaN") {
    out = std::nan("");
    return true;
  }
  static const std::regex number{R"([-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?)"};
  if (!std::regex_match(text, number))
    return false;
  out = std::stod(text);
  return true;
}

/// The family a sample belongs to: histogram series add _bucket, _sum, _count to the family name.
std::string family_of(const std::string& name, const std::map<std::string, std::string>& types) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string s = suffix;
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      auto base = name.substr(0, name.size() - s.size());
      auto t = types.find(base);
      if (t != types.end() && t->second == "histogram")
        return base;
    }
  }
  return name;
}

/// Parses and validates; every problem is a test failure naming the line.
prom_text parse_prometheus(const std::string& text) {
  prom_text out;
  static const std::regex metric_name{R"([a-zA-Z_:][a-zA-Z0-9_:]*)"};
  static const std::regex label_name{R"([a-zA-Z_][a-zA-Z0-9_]*)"};
  EXPECT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n') << "exposition must end with a newline";
  std::set<std::string> finished;   // families whose samples are complete (another family started)
  std::string current;
  std::set<std::string> series;
  std::istringstream in{text};
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    const auto where = "line " + std::to_string(n) + ": '" + line + "'";
    EXPECT_FALSE(line.empty()) << where << " empty line";
    if (line.empty())
      continue;
    if (line[0] == '#') {
      std::istringstream ls{line};
      std::string hash, keyword, name;
      ls >> hash >> keyword >> name;
      EXPECT_EQ(hash, "#") << where;
      EXPECT_TRUE(std::regex_match(name, metric_name)) << where << " bad metric name";
      if (keyword == "TYPE") {
        std::string type, rest;
        ls >> type;
        EXPECT_FALSE(ls >> rest) << where << " trailing text";
        EXPECT_TRUE(type == "counter" || type == "gauge" || type == "histogram" || type == "summary"
                    || type == "untyped")
          << where;
        EXPECT_EQ(out.types.count(name), 0u) << where << " second TYPE line";
        for (const auto& s : out.samples)
          EXPECT_NE(family_of(s.name, out.types), name) << where << " TYPE after a sample of its family";
        out.types[name] = type;
      } else if (keyword == "HELP") {
        EXPECT_EQ(out.help.count(name), 0u) << where << " second HELP line";
        const auto prefix = "# HELP " + name + " ";
        EXPECT_EQ(line.rfind(prefix, 0), 0u) << where;
        out.help[name] = line.size() > prefix.size() ? line.substr(prefix.size()) : "";
      } else {
        ADD_FAILURE() << where << " unexpected comment";
      }
      continue;
    }
    // sample: name [ '{' label="value" (',' label="value")* '}' ] ' ' value
    prom_sample s;
    std::size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ')
      ++i;
    s.name = line.substr(0, i);
    EXPECT_TRUE(std::regex_match(s.name, metric_name)) << where << " bad metric name";
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        auto eq = line.find('=', i);
        if (eq == std::string::npos) {
          ADD_FAILURE() << where << " label without '='";
          return out;
        }
        auto key = line.substr(i, eq - i);
        EXPECT_TRUE(std::regex_match(key, label_name)) << where << " bad label name '" << key << "'";
        i = eq + 1;
        if (i >= line.size() || line[i] != '"') {
          ADD_FAILURE() << where << " label value not quoted";
          return out;
        }
        ++i;
        std::string value;
        bool closed = false;
        while (i < line.size()) {
          char c = line[i++];
          if (c == '"') {
            closed = true;
            break;
          }
          if (c == '\\') {
            if (i >= line.size())
              break;
            char e = line[i++];
            if (e == '\\')
              value += '\\';
            else if (e == '"')
              value += '"';
            else if (e == 'n')
              value += '\n';
            else
              ADD_FAILURE() << where << " bad escape \\" << e;
            continue;
          }
          value += c;
        }
        EXPECT_TRUE(closed) << where << " unterminated label value";
        EXPECT_EQ(s.labels.count(key), 0u) << where << " duplicate label";
        s.labels[key] = value;
        if (i < line.size() && line[i] == ',')
          ++i;
        else if (i < line.size() && line[i] != '}') {
          ADD_FAILURE() << where << " expected ',' or '}'";
          return out;
        }
      }
      EXPECT_LT(i, line.size()) << where << " unterminated label set";
      ++i;
    }
    EXPECT_TRUE(i < line.size() && line[i] == ' ') << where << " expected one space before the value";
    const auto value_text = i < line.size() ? line.substr(i + 1) : "";
    EXPECT_TRUE(parse_value(value_text, s.value)) << where << " bad value '" << value_text << "'";

    const auto family = family_of(s.name, out.types);
    EXPECT_EQ(out.types.count(family), 1u) << where << " sample before its family's TYPE line";
    if (family != current) {
      EXPECT_EQ(finished.count(family), 0u) << where << " family's samples are not contiguous";
      if (!current.empty())
        finished.insert(current);
      current = family;
    }
    std::ostringstream key;
    key << s.name;
    for (const auto& [k, v] : s.labels)
      key << '|' << k << '=' << v;
    EXPECT_TRUE(series.insert(key.str()).second) << where << " duplicate series";
    out.samples.push_back(std::move(s));
  }
  // Histograms: per label set, buckets ascending by le, cumulative, ending in +Inf equal to _count; _sum present.
  for (const auto& [family, type] : out.types) {
    if (type != "histogram")
      continue;
    std::map<std::map<std::string, std::string>, std::vector<std::pair<double, double>>> buckets;
    std::map<std::map<std::string, std::string>, double> counts;
    std::set<std::map<std::string, std::string>> sums;
    for (const auto& s : out.samples) {
      if (family_of(s.name, out.types) != family)
        continue;
      auto labels = s.labels;
      if (s.name == family + "_bucket") {
        auto le = labels.find("le");
        if (le == labels.end()) {
          ADD_FAILURE() << family << " bucket without le";
          continue;
        }
        double bound = 0;
        EXPECT_TRUE(parse_value(le->second, bound)) << family << " bad le " << le->second;
        labels.erase(le);
        buckets[labels].emplace_back(bound, s.value);
      } else if (s.name == family + "_count") {
        counts[labels] = s.value;
      } else if (s.name == family + "_sum") {
        sums.insert(labels);
      } else {
        ADD_FAILURE() << family << ": sample " << s.name << " is not a histogram series";
      }
    }
    EXPECT_FALSE(buckets.empty()) << family << " has no buckets";
    for (const auto& [labels, bs] : buckets) {
      for (std::size_t k = 1; k < bs.size(); ++k) {
        EXPECT_LT(bs[k - 1].first, bs[k].first) << family << " buckets not ascending";
        EXPECT_LE(bs[k - 1].second, bs[k].second) << family << " buckets not cumulative";
      }
      EXPECT_TRUE(std::isinf(bs.back().first)) << family << " last bucket is not +Inf";
      EXPECT_EQ(counts.count(labels), 1u) << family << " has no _count";
      if (counts.count(labels) == 1) {
        EXPECT_EQ(bs.back().second, counts[labels]) << family << " +Inf bucket differs from _count";
      }
      EXPECT_EQ(sums.count(labels), 1u) << family << " has no _sum";
    }
  }
  return out;
}

// ---- snapshot builders -----------------------------------------------------------------------------------

actors::currency_metrics fresh(const std::string& currency) {
  actors::currency_metrics c;
  c.currency = currency;
  c.has_basis = c.has_skew = true;
  c.basis_apr_pct = 15.5;
  c.skew_pct = 6.25;
  c.basis_age = 30s;
  c.skew_age = 31s;
  return c;
}

actors::metrics_snapshot healthy_snapshot() {
  actors::metrics_snapshot m;
  m.cache_answered = true;
  m.currencies = {fresh("BTC"), fresh("ETH")};
  messages::fetcher_status status;
  status.alive = true;
  m.fetcher = status;
  return m;
}

actors::health_options btc_eth() {
  actors::health_options o;
  o.currencies = {"BTC", "ETH"};
  return o;
}

std::vector<std::string> json_reasons(const std::string& body, std::string& status) {
  auto v = boost::json::parse(body);
  status = std::string{v.at("status").as_string()};
  std::vector<std::string> out;
  for (const auto& r : v.at("reasons").as_array())
    out.emplace_back(r.as_string());
  return out;
}

bool contains(const std::vector<std::string>& xs, const std::string& x) {
  return std::find(xs.begin(), xs.end(), x) != xs.end();
}

// ---- pure functions --------------------------------------------------------------------------------------

TEST(LatencyHistogram, BucketsAreLessOrEqualAndCountMatches) {
  actors::latency_histogram h{{0.5, 0.1, 1, 0.1}};   // unsorted, duplicate: normalized
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
  EXPECT_EQ(actors::format_sample_value(15.5), "15.5");
  EXPECT_EQ(actors::format_sample_value(0.005), "0.005");
  EXPECT_EQ(actors::format_sample_value(1), "1");
  EXPECT_EQ(actors::format_sample_value(HUGE_VAL), "+Inf");
  EXPECT_EQ(actors::format_sample_value(-HUGE_VAL), "-Inf");
  EXPECT_EQ(actors::format_sample_value(std::nan("")), "NaN");
  EXPECT_EQ(actors::escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
}

TEST(Prometheus, ExpositionParsesStrictlyWithEveryFamily) {
  auto m = healthy_snapshot();
  m.fetches.ok = 42;
  m.fetches.rate_limited = 3;
  m.fetches.network_failure = 2;
  m.fetches.unavailable = 1;
  m.fetches.request_error = 5;
  m.fetches.bad_payload = 7;
  m.fetches.requests = 60;
  m.fetcher->restarts = 4;
  m.currencies[1].basis_stale = true;
  m.currencies[1].skew_pct = std::nan("");
  actors::latency_histogram h;
  for (double s : {0.004, 0.02, 0.02, 0.3, 12.0})
    h.observe_seconds(s);
  m.request_seconds = h.snapshot();
  m.feed.enabled = true;
  m.feed.connected = true;
  m.feed.messages = 1000;
  m.feed.reconnects = 2;
  m.feed.snapshot_captures = 9;

  const auto text = actors::render_prometheus(m);
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
  EXPECT_EQ(p.value("derivcache_metrics_source_up", {{"source", "supervisor"}}), 1);
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
  actors::metrics_snapshot m;   // nothing answered: families without samples, zero counters
  auto p = parse_prometheus(actors::render_prometheus(m));
  EXPECT_EQ(p.value("derivcache_deribit_request_seconds_count"), 0);
  EXPECT_FALSE(p.has("derivcache_fetcher_degraded", {}));
  EXPECT_EQ(p.value("derivcache_metrics_source_up", {{"source", "cache"}}), 0);
  EXPECT_EQ(p.value("derivcache_binance_messages_total"), 0);
}

TEST(Prometheus, LabelValuesRoundTripThroughTheParser) {
  auto m = healthy_snapshot();
  m.currencies[0].currency = "odd\"cur\\ren\ncy";
  auto p = parse_prometheus(actors::render_prometheus(m));
  EXPECT_EQ(p.value("derivcache_basis_apr_pct", {{"currency", "odd\"cur\\ren\ncy"}}), 15.5);
}

TEST(Health, FreshIs200) {
  auto r = actors::evaluate_health(healthy_snapshot(), btc_eth());
  EXPECT_EQ(r.status, 200u);
  EXPECT_TRUE(r.reasons.empty());
  EXPECT_EQ(r.to_json(), R"({"status":"ok","reasons":[]})");
}

TEST(Health, StaleReadingIs503WithTheReason) {
  auto m = healthy_snapshot();
  m.currencies[0].basis_stale = true;
  auto r = actors::evaluate_health(m, btc_eth());
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
  auto failing = actors::evaluate_health(m, btc_eth());
  EXPECT_EQ(failing.status, 503u);
  EXPECT_EQ(failing.reasons, std::vector<std::string>{"fetcher last cycle failed: network_failure: reset"});
  m.fetcher->consecutive_failures = 5;
  m.fetcher->degraded = true;
  auto degraded = actors::evaluate_health(m, btc_eth());
  EXPECT_EQ(degraded.reasons, std::vector<std::string>{"fetcher DEGRADED"});
  m.fetcher = std::nullopt;
  m.fetcher_error = "request_timeout";
  EXPECT_TRUE(contains(actors::evaluate_health(m, btc_eth()).reasons, "fetcher status unavailable: request_timeout"));
}

TEST(Health, WarmUpIs503UntilEveryEnabledCurrencyHasReadings) {
  auto m = healthy_snapshot();
  m.currencies.pop_back();            // no ETH entry at all
  m.currencies[0].has_skew = false;   // BTC basis only
  m.currencies[0].skew_pct.reset();
  auto r = actors::evaluate_health(m, btc_eth());
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(r.reasons, (std::vector<std::string>{"warming up: no BTC skew reading yet", "warming up: no ETH reading yet"}));
  m.cache_answered = false;
  m.cache_error = "request_timeout";
  EXPECT_EQ(actors::evaluate_health(m, btc_eth()).reasons, std::vector<std::string>{"cache unavailable: request_timeout"});
}

TEST(Health, BinanceFeedDownPastStaleAfterIs503) {
  auto m = healthy_snapshot();
  auto o = btc_eth();
  o.feed_stale_after = 60s;
  m.feed.enabled = true;
  EXPECT_EQ(actors::evaluate_health(m, o).reasons, std::vector<std::string>{"warming up: no Binance data yet"});
  m.feed.data_age = 59s;   // disconnected but within stale-after: a reconnect in progress is healthy
  EXPECT_EQ(actors::evaluate_health(m, o).status, 200u);
  m.feed.data_age = 75s;
  EXPECT_EQ(actors::evaluate_health(m, o).reasons,
            std::vector<std::string>{"Binance feed down: no data for 75s (stale after 60s)"});
  m.feed.enabled = false;   // a feed that is not configured does not count
  EXPECT_EQ(actors::evaluate_health(m, o).status, 200u);
}

// ---- the endpoint actor ----------------------------------------------------------------------------------

messages::basis_reading basis(const std::string& currency, double apr) {
  messages::basis_reading r;
  r.currency = currency;
  r.apr_pct = apr;
  r.state = quant::basis_state::contango;
  r.received = caf::make_timestamp();
  r.as_of = r.received;
  return r;
}

messages::skew_reading skew(const std::string& currency, double pct) {
  messages::skew_reading r;
  r.currency = currency;
  r.skew_pct = pct;
  r.state = quant::skew_state::fear;
  r.received = caf::make_timestamp();
  r.as_of = r.received;
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
  std::shared_ptr<actors::fetch_stats> stats = std::make_shared<actors::fetch_stats>();
  std::shared_ptr<actors::latency_histogram> latency = std::make_shared<actors::latency_histogram>();
  messages::cache_holder_actor cache;
  messages::fetch_supervisor_actor supervisor;
  messages::deribit_fetcher_actor fetcher;
  caf::actor endpoint;
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
    actors::metrics_http_handler(endpoint)(req, [out](net::response res) {
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
  stats->ok = 12;
  stats->network_failure = 1;
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
  deps.feed = [](caf::event_based_actor*, std::function<void(actors::feed_metrics)> done) {
    actors::feed_metrics f;
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

  deps.snapshots = [](caf::event_based_actor*, const std::string& symbol,
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
  auto latency = std::make_shared<actors::latency_histogram>();
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
