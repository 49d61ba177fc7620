// Health rules.
#include "runtime/health.hpp"

#include "runtime/duration_text.hpp"

#include "codec/json_writer.hpp"

#include <algorithm>

namespace derivcache::runtime {

namespace {

using reasons = std::vector<std::string>;

void check_readings(const metrics_snapshot& m, const health_options& options, reasons& out) {
  if (!m.cache_answered) {
    out.push_back("cache unavailable: " + m.cache_error);
    return;
  }
  for (const auto& name : options.currencies) {
    auto c = std::find_if(m.currencies.begin(), m.currencies.end(),
                          [&](const currency_metrics& x) { return x.currency == name; });
    if (c == m.currencies.end() || (!c->has_basis && !c->has_skew)) {
      out.push_back("warming up: no " + name + " reading yet");
      continue;
    }
    if (!c->has_basis)
      out.push_back("warming up: no " + name + " basis reading yet");
    else if (c->basis_stale)
      out.push_back(name + " basis STALE");
    if (!c->has_skew)
      out.push_back("warming up: no " + name + " skew reading yet");
    else if (c->skew_stale)
      out.push_back(name + " skew STALE");
  }
}

void check_fetcher(const metrics_snapshot& m, reasons& out) {
  if (!m.fetcher)
    out.push_back("fetcher status unavailable: " + m.fetcher_error);
  else if (m.fetcher->degraded)
    out.push_back("fetcher DEGRADED");
  else if (m.fetcher->consecutive_failures > 0)
    out.push_back("fetcher last cycle failed: " + m.fetcher->last_error);
  else if (!m.fetcher->alive)
    out.push_back("fetcher not running");
}

void check_feed(const feed_metrics& feed, const health_options& options, reasons& out) {
  if (!feed.enabled)
    return;
  if (!feed.data_age)
    out.push_back("warming up: no Binance data yet");
  else if (*feed.data_age > options.feed_stale_after)
    out.push_back("Binance feed down: no data for " + seconds_text(*feed.data_age) + " (stale after "
                  + seconds_text(options.feed_stale_after) + ")");
}

} // namespace

std::string health_report::to_json() const {
  codec::json_writer w;
  w.begin_object().key("status").value(status == 200 ? "ok" : "unhealthy").key("reasons").begin_array();
  for (const auto& r : reasons)
    w.value(r);
  w.end_array().end_object();
  return w.take();
}

health_report evaluate_health(const metrics_snapshot& m, const health_options& options) {
  health_report r;
  check_readings(m, options, r.reasons);
  check_fetcher(m, r.reasons);
  check_feed(m.feed, options, r.reasons);
  if (m.gateway.enabled && !m.gateway.up)
    r.reasons.push_back("introspection gateway down (restarting)");
  r.status = r.reasons.empty() ? 200 : 503;
  return r;
}

} // namespace derivcache::runtime
