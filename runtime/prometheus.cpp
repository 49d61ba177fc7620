// Prometheus text format 0.0.4.
#include "runtime/prometheus.hpp"

#include <charconv>
#include <cmath>
#include <utility>
#include <vector>

namespace derivcache::runtime {

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

  /// A family with one unlabelled sample.
  template <class T>
  void single(const std::string& name, const char* type, const std::string& help, T value) {
    family(name, type, help);
    sample(name, {}, value);
  }

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

double seconds_of(std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); }

uint64_t flag(bool b) { return b ? 1 : 0; }

void render_fetches(exposition& x, const metrics_snapshot& m) {
  x.family("derivcache_deribit_fetches_total", "counter", "Deribit replies by outcome.");
  for (const auto& o : messages::fetch_outcomes)
    x.sample("derivcache_deribit_fetches_total", {{"outcome", o.label}}, m.fetches[o.outcome]);
  x.single("derivcache_deribit_requests_total", "counter", "Requests issued to Deribit.", m.fetches.requests);
  x.single("derivcache_deribit_requests_cancelled_total", "counter",
           "Requests the client ended without a reply: not sent after a rate-limit answer or during its "
           "Retry-After, or cancelled at stop.",
           m.fetches.cancelled);
  x.single("derivcache_deribit_cycles_total", "counter", "Complete fetch cycles (every currency, both kinds).",
           m.fetches.cycles_complete);
  x.histogram("derivcache_deribit_request_seconds", "Deribit request latency in seconds.", m.request_seconds);
}

// The fetcher families have no sample when the supervisor did not answer.
void render_fetcher(exposition& x, const metrics_snapshot& m) {
  const messages::fetcher_status* f = m.fetcher ? &*m.fetcher : nullptr;
  struct family_row {
    const char* name;
    const char* type;
    const char* help;
    uint64_t value;
  };
  const family_row rows[] = {
    {"derivcache_fetcher_restarts_total", "counter", "Fetcher respawns since start.", f ? f->restarts : 0},
    {"derivcache_fetcher_degraded", "gauge", "1 while the fetcher is DEGRADED.", f ? flag(f->degraded) : 0},
    {"derivcache_fetcher_up", "gauge", "1 while a fetcher is running.", f ? flag(f->alive) : 0},
    {"derivcache_fetcher_consecutive_failures", "gauge", "Fetcher failures since the last complete cycle.",
     f ? f->consecutive_failures : 0},
  };
  for (const auto& r : rows) {
    x.family(r.name, r.type, r.help);
    if (f)
      x.sample(r.name, {}, r.value);
  }
}

void render_readings(exposition& x, const metrics_snapshot& m) {
  x.family("derivcache_basis_apr_pct", "gauge", "Annualized basis of the nearest quarterly, percent.");
  for (const auto& c : m.currencies)
    if (c.basis_apr_pct)
      x.sample("derivcache_basis_apr_pct", {{"currency", c.currency}}, *c.basis_apr_pct);
  x.family("derivcache_skew_pct", "gauge", "30-day 25-delta skew (put IV - call IV), vol points.");
  for (const auto& c : m.currencies)
    if (c.skew_pct)
      x.sample("derivcache_skew_pct", {{"currency", c.currency}}, *c.skew_pct);
  struct reading_kind {
    const char* name;
    bool currency_metrics::*has;
    std::chrono::nanoseconds currency_metrics::*age;
    bool currency_metrics::*stale;
  };
  static constexpr reading_kind kinds[] = {
    {"basis", &currency_metrics::has_basis, &currency_metrics::basis_age, &currency_metrics::basis_stale},
    {"skew", &currency_metrics::has_skew, &currency_metrics::skew_age, &currency_metrics::skew_stale},
  };
  x.family("derivcache_reading_age_seconds", "gauge",
           "Seconds since the reading arrived (mfiv: the reading that brought the value shown; dvol: the close shown).");
  for (const auto& c : m.currencies) {
    for (const auto& k : kinds)
      if (c.*k.has)
        x.sample("derivcache_reading_age_seconds", {{"currency", c.currency}, {"kind", k.name}}, seconds_of(c.*k.age));
    if (c.has_skew)
      x.sample("derivcache_reading_age_seconds", {{"currency", c.currency}, {"kind", "mfiv"}}, seconds_of(c.mfiv_age));
    if (c.dvol.close)
      x.sample("derivcache_reading_age_seconds", {{"currency", c.currency}, {"kind", "dvol"}}, seconds_of(c.dvol_age));
  }
  x.family("derivcache_reading_stale", "gauge", "1 when the reading is older than the cache's max age.");
  for (const auto& c : m.currencies)
    for (const auto& k : kinds)
      if (c.*k.has)
        x.sample("derivcache_reading_stale", {{"currency", c.currency}, {"kind", k.name}}, flag(c.*k.stale));
}

// The surface, the constant-maturity basis, the MFIV and DVOL: one sample per record with a value (a kept last good
// value included), labelled by currency, tenor and delta.
void render_signals(exposition& x, const metrics_snapshot& m) {
  struct point_family {
    const char* name;
    const char* help;
    double messages::surface_point::*value;
  };
  static constexpr point_family points[] = {
    {"derivcache_surface_skew_pct", "Put IV - call IV at |delta| and a constant maturity, vol points.", nullptr},
    {"derivcache_surface_skew_normalized", "(Put IV - call IV) / ATM IV at |delta| and a constant maturity.",
     &messages::surface_point::skew_normalized},
    {"derivcache_surface_butterfly_pct", "(Put IV + call IV) / 2 - ATM IV at |delta| and a constant maturity, vol points.",
     &messages::surface_point::butterfly},
  };
  x.family("derivcache_atm_iv_pct", "gauge", "ATM implied volatility at a constant maturity, vol points.");
  for (const auto& c : m.currencies)
    for (const auto& t : c.surface)
      if (t.atm.atm_iv)
        x.sample("derivcache_atm_iv_pct", {{"currency", c.currency}, {"tenor_days", format_sample_value(t.tenor_days)}},
                 *t.atm.atm_iv);
  for (const auto& f : points) {
    x.family(f.name, "gauge", f.help);
    for (const auto& c : m.currencies)
      for (const auto& t : c.surface)
        for (const auto& p : t.deltas)
          if (p.skew_pct)
            x.sample(f.name,
                     {{"currency", c.currency}, {"tenor_days", format_sample_value(t.tenor_days)},
                      {"delta", format_sample_value(p.delta)}},
                     f.value ? p.*f.value : *p.skew_pct);
  }
  x.family("derivcache_basis_cm_apr_pct", "gauge", "Futures basis at a constant maturity, percent a year.");
  for (const auto& c : m.currencies)
    for (const auto& p : c.basis_cm)
      if (p.apr_pct)
        x.sample("derivcache_basis_cm_apr_pct",
                 {{"currency", c.currency}, {"tenor_days", format_sample_value(p.tenor_days)}}, *p.apr_pct);
  x.family("derivcache_mfiv_pct", "gauge", "Model-free implied volatility (the VIX method) at mfiv.tenor, vol points.");
  for (const auto& c : m.currencies)
    if (c.mfiv && c.mfiv->value_pct)
      x.sample("derivcache_mfiv_pct", {{"currency", c.currency}, {"tenor_days", format_sample_value(c.mfiv->tenor_days)}},
               *c.mfiv->value_pct);
  x.family("derivcache_dvol", "gauge", "Deribit's DVOL index, its latest one-minute close, vol points.");
  for (const auto& c : m.currencies)
    if (c.dvol.close)
      x.sample("derivcache_dvol", {{"currency", c.currency}}, *c.dvol.close);
  x.family("derivcache_mfiv_minus_dvol", "gauge", "The MFIV minus DVOL's latest close, vol points.");
  for (const auto& c : m.currencies)
    if (c.dvol.mfiv_minus_dvol)
      x.sample("derivcache_mfiv_minus_dvol", {{"currency", c.currency}}, *c.dvol.mfiv_minus_dvol);
}

void render_feed(exposition& x, const metrics_snapshot& m) {
  x.single("derivcache_binance_messages_total", "counter", "Binance data frames received.", m.feed.messages);
  x.single("derivcache_binance_reconnects_total", "counter", "Binance connections started after the first.",
           m.feed.reconnects);
  x.single("derivcache_binance_connected", "gauge", "1 while the Binance feed is connected.", flag(m.feed.connected));
  x.single("derivcache_snapshot_captures_total", "counter", "Feature snapshots captured.", m.feed.snapshot_captures);
  x.single("derivcache_binance_trades_dropped_total", "counter",
           "aggTrades dropped because the collector was behind (their windows are marked incomplete).",
           m.feed.trades_dropped);
  x.single("derivcache_binance_tickers_conflated_total", "counter",
           "bookTickers replaced by a newer one of the symbol before the collector took them.", m.feed.tickers_conflated);
  x.single("derivcache_binance_queued_trades", "gauge", "aggTrades waiting for the collector.", m.feed.queued_trades);
  x.family("derivcache_spot_bad_input_total", "counter",
           "Spot records dropped as bad input: exchange time over an hour ahead (time), id out of sequence (id).");
  x.sample("derivcache_spot_bad_input_total", {{"reason", "time"}}, m.feed.bad_time);
  x.sample("derivcache_spot_bad_input_total", {{"reason", "id"}}, m.feed.bad_id);
  x.single("derivcache_spot_trades_late_total", "counter",
           "Trades older than the longest window before the latest one, dropped.", m.feed.trades_late);
}

void render_introspection(exposition& x, const metrics_snapshot& m) {
  const auto& in = m.introspection;
  x.single("derivcache_introspection_connections_total", "counter",
           "Introspection connections the guard forwarded to CAF.", in.accepted);
  x.family("derivcache_introspection_connections_refused_total", "counter",
           "Introspection connections the guard closed, by reason.");
  x.sample("derivcache_introspection_connections_refused_total", {{"reason", "over_cap"}}, in.refused_over_cap);
  x.sample("derivcache_introspection_connections_refused_total", {{"reason", "oversized"}}, in.closed_oversized);
  x.sample("derivcache_introspection_connections_refused_total", {{"reason", "handshake_timeout"}},
           in.closed_handshake_timeout);
  const auto& gw = m.gateway;
  if (!gw.enabled)
    return;
  x.single("derivcache_gateway_up", "gauge", "1 while the introspection gateway runs (it is restarted when it dies).",
           flag(gw.up));
  x.single("derivcache_gateway_restarts_total", "counter", "Introspection gateways started after the first.",
           gw.restarts);
  x.family("derivcache_gateway_refused_messages_total", "counter",
           "Messages the introspection gateway refused, by kind (each also logged at WARN).");
  for (std::size_t i = 0; i < gw.refused.size(); ++i)
    x.sample("derivcache_gateway_refused_messages_total", {{"kind", std::string{refusal_names[i]}}}, gw.refused[i]);
}

void render_store(exposition& x, const metrics_snapshot& m) {
  const auto& s = m.store;
  if (!s.enabled)
    return;
  x.single("derivcache_store_write_failures_total", "counter",
           "Store transactions that failed (busy past store.busy-timeout, disk full, I/O error).", s.write_failures);
  x.single("derivcache_store_write_retries_total", "counter", "Failed store writes tried again after a backoff.",
           s.write_retries);
  x.single("derivcache_store_records_failed_total", "counter", "Record requests the store answered with an error.",
           s.records_failed);
  x.single("derivcache_store_bars_dropped_total", "counter",
           "Bars given up unwritten (store.max-pending-bars or a stop); their outcomes are incomplete.", s.bars_dropped);
  x.single("derivcache_store_pending_bars", "gauge", "Bars waiting in memory for a store write.", s.pending_bars);
  x.family("derivcache_store_rows_deleted_total", "counter", "Rows deleted by the store's retention.");
  x.sample("derivcache_store_rows_deleted_total", {{"table", "bars"}}, s.bars_deleted);
  x.sample("derivcache_store_rows_deleted_total", {{"table", "snapshots"}}, s.snapshots_deleted);
  x.family("derivcache_store_checkpoints_total", "counter", "WAL checkpoints, by result.");
  x.sample("derivcache_store_checkpoints_total", {{"result", "truncated"}}, s.checkpoints);
  x.sample("derivcache_store_checkpoints_total", {{"result", "held_back"}}, s.checkpoints_incomplete);
}

} // namespace

std::string render_prometheus(const metrics_snapshot& m) {
  exposition x;
  render_fetches(x, m);
  render_fetcher(x, m);
  render_readings(x, m);
  render_signals(x, m);
  render_feed(x, m);
  render_introspection(x, m);
  render_store(x, m);
  x.family("derivcache_metrics_source_up", "gauge", "1 when the source answered this scrape in time.");
  x.sample("derivcache_metrics_source_up", {{"source", "cache"}}, flag(m.cache_answered));
  x.sample("derivcache_metrics_source_up", {{"source", "supervisor"}}, flag(m.fetcher.has_value()));
  return x.take();
}

} // namespace derivcache::runtime
