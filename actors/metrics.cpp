// Prometheus rendering, health rules and the metrics endpoint actor.
#include "actors/metrics.hpp"

#include "messages/errors.hpp"

#include <caf/all.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <utility>

namespace derivcache::actors {

namespace {

/// The endpoint's one message: a request from the HTTP server and the callback that answers it.
struct http_call {
  net::request_view request;
  net::http_server::reply_fn reply;
};

} // namespace

} // namespace derivcache::actors

// Local only: the callback cannot be serialized, and never leaves the process.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(derivcache::actors::http_call)

namespace derivcache::actors {

// ---- histogram ------------------------------------------------------------------------------------------

std::vector<double> latency_histogram::default_bounds() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

latency_histogram::latency_histogram(std::vector<double> upper_bounds) {
  upper_bounds.erase(std::remove_if(upper_bounds.begin(), upper_bounds.end(),
                                    [](double b) { return !std::isfinite(b); }),
                     upper_bounds.end());
  std::sort(upper_bounds.begin(), upper_bounds.end());
  upper_bounds.erase(std::unique(upper_bounds.begin(), upper_bounds.end()), upper_bounds.end());
  data_.upper_bounds = std::move(upper_bounds);
  data_.counts.assign(data_.upper_bounds.size() + 1, 0);
}

void latency_histogram::observe(std::chrono::nanoseconds latency) {
  observe_seconds(std::chrono::duration<double>(latency).count());
}

void latency_histogram::observe_seconds(double seconds) {
  if (std::isnan(seconds))
    return;
  std::lock_guard<std::mutex> guard{mtx_};
  const auto& b = data_.upper_bounds;
  // Prometheus buckets are "less than or equal": a value on a bound belongs to that bucket.
  const auto i = static_cast<std::size_t>(std::lower_bound(b.begin(), b.end(), seconds) - b.begin());
  ++data_.counts[i];
  data_.sum += seconds;
  ++data_.count;
}

histogram_snapshot latency_histogram::snapshot() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return data_;
}

// ---- snapshot pieces ------------------------------------------------------------------------------------

fetch_outcomes read_fetch_stats(const fetch_stats& stats) {
  fetch_outcomes out;
  out.ok = stats.ok.load();
  out.rate_limited = stats.rate_limited.load();
  out.network_failure = stats.network_failure.load();
  out.unavailable = stats.unavailable.load();
  out.request_error = stats.request_error.load();
  out.bad_payload = stats.bad_payload.load();
  out.requests = stats.requests.load();
  out.cycles_complete = stats.cycles_complete.load();
  return out;
}

currency_metrics to_currency_metrics(const messages::derivatives_view& view) {
  currency_metrics out;
  out.currency = view.currency;
  if (view.basis) {
    out.has_basis = true;
    if (view.basis->apr_pct)
      out.basis_apr_pct = *view.basis->apr_pct;
    out.basis_age = view.basis_age;
    out.basis_stale = view.basis_state == quant::basis_state::stale;
  }
  if (view.skew) {
    out.has_skew = true;
    if (view.skew->skew_pct)
      out.skew_pct = *view.skew->skew_pct;
    out.skew_age = view.skew_age;
    out.skew_stale = view.skew_state == quant::skew_state::stale;
  }
  return out;
}

// ---- Prometheus text format 0.0.4 -----------------------------------------------------------------------

std::string escape_label_value(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

std::string format_sample_value(double value) {
  if (std::isnan(value))
    return "NaN";
  if (std::isinf(value))
    return value > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  if (ec != std::errc{})
    return "NaN";
  return std::string{buf, end};
}

namespace {

using labels = std::vector<std::pair<std::string, std::string>>;

std::string escape_help(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

class exposition {
public:
  void family(const std::string& name, const char* type, const std::string& help) {
    out_ += "# HELP " + name + " " + escape_help(help) + "\n";
    out_ += "# TYPE " + name + " " + type + "\n";
  }

  void sample(const std::string& name, const labels& ls, const std::string& value) {
    out_ += name;
    if (!ls.empty()) {
      out_ += '{';
      bool first = true;
      for (const auto& [k, v] : ls) {
        if (!first)
          out_ += ',';
        first = false;
        out_ += k + "=\"" + escape_label_value(v) + "\"";
      }
      out_ += '}';
    }
    out_ += ' ' + value + '\n';
  }

  void sample(const std::string& name, const labels& ls, double value) { sample(name, ls, format_sample_value(value)); }
  void sample(const std::string& name, const labels& ls, uint64_t value) { sample(name, ls, std::to_string(value)); }

  void histogram(const std::string& name, const std::string& help, const histogram_snapshot& h) {
    family(name, "histogram", help);
    uint64_t cumulative = 0;
    for (std::size_t i = 0; i < h.upper_bounds.size(); ++i) {
      cumulative += i < h.counts.size() ? h.counts[i] : 0;
      sample(name + "_bucket", {{"le", format_sample_value(h.upper_bounds[i])}}, cumulative);
    }
    sample(name + "_bucket", {{"le", "+Inf"}}, h.count);
    sample(name + "_sum", {}, h.sum);
    sample(name + "_count", {}, h.count);
  }

  std::string take() { return std::move(out_); }

private:
  std::string out_;
};

double seconds_of(caf::timespan d) { return std::chrono::duration<double>(d).count(); }

uint64_t flag(bool b) { return b ? 1 : 0; }

} // namespace

std::string render_prometheus(const metrics_snapshot& m) {
  exposition x;
  const auto& f = m.fetches;
  x.family("derivcache_deribit_fetches_total", "counter", "Deribit replies by outcome.");
  const std::pair<const char*, uint64_t> outcomes[] = {
    {"ok", f.ok},
    {"rate_limited", f.rate_limited},
    {"network_failure", f.network_failure},
    {"unavailable", f.unavailable},
    {"request_error", f.request_error},
    {"bad_payload", f.bad_payload},
  };
  for (const auto& [name, n] : outcomes)
    x.sample("derivcache_deribit_fetches_total", {{"outcome", name}}, n);
  x.family("derivcache_deribit_requests_total", "counter", "Requests issued to Deribit.");
  x.sample("derivcache_deribit_requests_total", {}, f.requests);
  x.family("derivcache_deribit_cycles_total", "counter", "Complete fetch cycles (every currency, both kinds).");
  x.sample("derivcache_deribit_cycles_total", {}, f.cycles_complete);
  x.histogram("derivcache_deribit_request_seconds", "Deribit request latency in seconds.", m.request_seconds);

  x.family("derivcache_fetcher_restarts_total", "counter", "Fetcher respawns since start.");
  if (m.fetcher)
    x.sample("derivcache_fetcher_restarts_total", {}, uint64_t{m.fetcher->restarts});
  x.family("derivcache_fetcher_degraded", "gauge", "1 while the fetcher is DEGRADED.");
  if (m.fetcher)
    x.sample("derivcache_fetcher_degraded", {}, flag(m.fetcher->degraded));
  x.family("derivcache_fetcher_up", "gauge", "1 while a fetcher is running.");
  if (m.fetcher)
    x.sample("derivcache_fetcher_up", {}, flag(m.fetcher->alive));
  x.family("derivcache_fetcher_consecutive_failures", "gauge", "Fetcher failures since the last complete cycle.");
  if (m.fetcher)
    x.sample("derivcache_fetcher_consecutive_failures", {}, uint64_t{m.fetcher->consecutive_failures});

  x.family("derivcache_basis_apr_pct", "gauge", "Annualized basis of the nearest quarterly, percent.");
  for (const auto& c : m.currencies)
    if (c.basis_apr_pct)
      x.sample("derivcache_basis_apr_pct", {{"currency", c.currency}}, *c.basis_apr_pct);
  x.family("derivcache_skew_pct", "gauge", "30-day 25-delta skew (put IV - call IV), vol points.");
  for (const auto& c : m.currencies)
    if (c.skew_pct)
      x.sample("derivcache_skew_pct", {{"currency", c.currency}}, *c.skew_pct);
  x.family("derivcache_reading_age_seconds", "gauge", "Seconds since the reading arrived.");
  for (const auto& c : m.currencies) {
    if (c.has_basis)
      x.sample("derivcache_reading_age_seconds", {{"currency", c.currency}, {"kind", "basis"}}, seconds_of(c.basis_age));
    if (c.has_skew)
      x.sample("derivcache_reading_age_seconds", {{"currency", c.currency}, {"kind", "skew"}}, seconds_of(c.skew_age));
  }
  x.family("derivcache_reading_stale", "gauge", "1 when the reading is older than the cache's max age.");
  for (const auto& c : m.currencies) {
    if (c.has_basis)
      x.sample("derivcache_reading_stale", {{"currency", c.currency}, {"kind", "basis"}}, flag(c.basis_stale));
    if (c.has_skew)
      x.sample("derivcache_reading_stale", {{"currency", c.currency}, {"kind", "skew"}}, flag(c.skew_stale));
  }

  x.family("derivcache_binance_messages_total", "counter", "Binance data frames received.");
  x.sample("derivcache_binance_messages_total", {}, m.feed.messages);
  x.family("derivcache_binance_reconnects_total", "counter", "Binance connections started after the first.");
  x.sample("derivcache_binance_reconnects_total", {}, m.feed.reconnects);
  x.family("derivcache_binance_connected", "gauge", "1 while the Binance feed is connected.");
  x.sample("derivcache_binance_connected", {}, flag(m.feed.connected));
  x.family("derivcache_snapshot_captures_total", "counter", "Feature snapshots captured.");
  x.sample("derivcache_snapshot_captures_total", {}, m.feed.snapshot_captures);

  x.family("derivcache_metrics_source_up", "gauge", "1 when the source answered this scrape in time.");
  x.sample("derivcache_metrics_source_up", {{"source", "cache"}}, flag(m.cache_answered));
  x.sample("derivcache_metrics_source_up", {{"source", "supervisor"}}, flag(m.fetcher.has_value()));
  return x.take();
}

// ---- health ---------------------------------------------------------------------------------------------

namespace {

std::string seconds_text(caf::timespan d) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  if (ms % 1000 == 0)
    return std::to_string(ms / 1000) + "s";
  return format_sample_value(static_cast<double>(ms) / 1000.0) + "s";
}

} // namespace

std::string health_report::to_json() const {
  boost::json::object o;
  o["status"] = status == 200 ? "ok" : "unhealthy";
  boost::json::array a;
  for (const auto& r : reasons)
    a.emplace_back(r);
  o["reasons"] = std::move(a);
  return boost::json::serialize(o);
}

health_report evaluate_health(const metrics_snapshot& m, const health_options& options) {
  health_report r;
  auto add = [&](std::string reason) { r.reasons.push_back(std::move(reason)); };
  if (!m.cache_answered) {
    add("cache unavailable: " + m.cache_error);
  } else {
    for (const auto& name : options.currencies) {
      auto c = std::find_if(m.currencies.begin(), m.currencies.end(),
                            [&](const currency_metrics& x) { return x.currency == name; });
      if (c == m.currencies.end() || (!c->has_basis && !c->has_skew)) {
        add("warming up: no " + name + " reading yet");
        continue;
      }
      if (!c->has_basis)
        add("warming up: no " + name + " basis reading yet");
      else if (c->basis_stale)
        add(name + " basis STALE");
      if (!c->has_skew)
        add("warming up: no " + name + " skew reading yet");
      else if (c->skew_stale)
        add(name + " skew STALE");
    }
  }
  if (!m.fetcher)
    add("fetcher status unavailable: " + m.fetcher_error);
  else if (m.fetcher->degraded)
    add("fetcher DEGRADED");
  else if (m.fetcher->consecutive_failures > 0)
    add("fetcher last cycle failed: " + m.fetcher->last_error);
  else if (!m.fetcher->alive)
    add("fetcher not running");
  if (m.feed.enabled) {
    if (!m.feed.data_age)
      add("warming up: no Binance data yet");
    else if (*m.feed.data_age > options.feed_stale_after)
      add("Binance feed down: no data for " + seconds_text(*m.feed.data_age) + " (stale after "
          + seconds_text(options.feed_stale_after) + ")");
  }
  r.status = r.reasons.empty() ? 200 : 503;
  return r;
}

// ---- endpoint actor -------------------------------------------------------------------------------------

namespace {

struct endpoint_state {
  metrics_endpoint_deps deps;
};

using endpoint_ptr = caf::stateful_actor<endpoint_state>*;

/// Collects the parts of one snapshot; `finish` runs once the last part is in.
struct gathering {
  metrics_snapshot snapshot;
  int remaining = 0;
  std::function<void(metrics_snapshot&)> finish;

  void part_done() {
    if (--remaining == 0)
      finish(snapshot);
  }
};

net::response json_response(unsigned status, std::string body) {
  net::response res;
  res.status = status;
  res.content_type = "application/json";
  res.body = std::move(body);
  return res;
}

std::string error_json(const std::string& text) {
  boost::json::object o;
  o["error"] = text;
  return boost::json::serialize(o);
}

void gather(endpoint_ptr self, std::function<void(metrics_snapshot&)> finish) {
  auto& deps = self->state.deps;
  auto g = std::make_shared<gathering>();
  g->finish = std::move(finish);
  if (deps.fetch_counters)
    g->snapshot.fetches = read_fetch_stats(*deps.fetch_counters);
  g->snapshot.request_seconds = deps.request_latency ? deps.request_latency->snapshot() : latency_histogram{}.snapshot();
  g->remaining = deps.feed ? 3 : 2;

  if (deps.cache) {
    self->request(deps.cache, deps.query_timeout, caf::get_atom::value)
      .then(
        [g](messages::cache_contents& contents) {
          g->snapshot.cache_answered = true;
          for (const auto& view : contents.currencies)
            g->snapshot.currencies.push_back(to_currency_metrics(view));
          g->part_done();
        },
        [g](caf::error& err) {
          g->snapshot.cache_error = messages::render(err);
          g->part_done();
        });
  } else {
    g->snapshot.cache_error = "no cache";
    g->part_done();
  }
  if (deps.supervisor) {
    self->request(deps.supervisor, deps.query_timeout, caf::get_atom::value, messages::status_atom::value)
      .then(
        [g](messages::fetcher_status& status) {
          g->snapshot.fetcher = std::move(status);
          g->part_done();
        },
        [g](caf::error& err) {
          g->snapshot.fetcher_error = messages::render(err);
          g->part_done();
        });
  } else {
    g->snapshot.fetcher_error = "no supervisor";
    g->part_done();
  }
  if (deps.feed)
    deps.feed(self, [g](feed_metrics feed) {
      g->snapshot.feed = std::move(feed);
      g->part_done();
    });
}

void log_missing_sources(endpoint_ptr self, const metrics_snapshot& m) {
  auto& log = self->state.deps.log;
  if (!log)
    return;
  if (!m.cache_answered)
    log->warn("metrics: cache did not answer: " + m.cache_error);
  if (!m.fetcher)
    log->warn("metrics: supervisor did not answer: " + m.fetcher_error);
}

void serve(endpoint_ptr self, const net::request_view& req, const net::http_server::reply_fn& reply) {
  if (req.path == "/metrics") {
    gather(self, [self, reply](metrics_snapshot& m) {
      log_missing_sources(self, m);
      net::response res;
      res.content_type = "text/plain; version=0.0.4; charset=utf-8";
      res.body = render_prometheus(m);
      reply(std::move(res));
    });
    return;
  }
  if (req.path == "/healthz") {
    gather(self, [self, reply](metrics_snapshot& m) {
      log_missing_sources(self, m);
      auto report = evaluate_health(m, self->state.deps.health);
      reply(json_response(report.status, report.to_json()));
    });
    return;
  }
  if (req.path == "/snapshot") {
    auto symbol = req.query_param("symbol");
    if (!symbol || symbol->empty())
      return reply(json_response(400, error_json("missing query parameter: symbol")));
    if (!self->state.deps.snapshots)
      return reply(json_response(404, error_json("no feature collector")));
    self->state.deps.snapshots(self, *symbol, [reply](unsigned status, std::string json) {
      reply(json_response(status, std::move(json)));
    });
    return;
  }
  reply(json_response(404, error_json("not found: " + req.path + " (routes: /metrics, /healthz, /snapshot?symbol=X)")));
}

} // namespace

caf::actor make_metrics_endpoint(caf::actor_system& sys, metrics_endpoint_deps deps) {
  return sys.spawn([deps = std::move(deps)](endpoint_ptr self) -> caf::behavior {
    self->state.deps = deps;
    return {
      [self](const http_call& call) { serve(self, call.request, call.reply); },
    };
  });
}

net::http_server::handler metrics_http_handler(caf::actor endpoint) {
  return [endpoint = std::move(endpoint)](net::request_view request, net::http_server::reply_fn reply) {
    // Runs on the I/O thread: only builds a message for the actor.
    caf::anon_send(endpoint, http_call{std::move(request), std::move(reply)});
  };
}

} // namespace derivcache::actors
