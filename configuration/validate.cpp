// validate(): every rule about the engine's configuration values, section by section.
#include "configuration/validate.hpp"

#include "configuration/url.hpp"
#include "quant/currency.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

namespace derivcache::configuration {

std::string to_string(const problem& x) {
  if (x.message.rfind(x.key, 0) == 0)
    return x.message;
  return x.key + ": " + x.message;
}

std::string to_string(const std::vector<problem>& xs) {
  std::string out;
  for (const auto& x : xs)
    out += (out.empty() ? "" : "\n") + to_string(x);
  return out;
}

std::string duration_text(caf::timespan t) {
  const auto n = t.count();
  if (n == 0)
    return "0s";
  static const std::pair<int64_t, const char*> units[] = {
    {3600'000'000'000, "h"}, {60'000'000'000, "min"}, {1'000'000'000, "s"}, {1'000'000, "ms"}, {1'000, "us"}, {1, "ns"}};
  for (const auto& [size, unit] : units)
    if (n % size == 0)
      return std::to_string(n / size) + unit;
  return std::to_string(n) + "ns";
}

caf::timespan cache_max_age(const engine_config& cfg) {
  if (cfg.cache.max_age)
    return *cfg.cache.max_age;
  // Saturating: interval=4000000000s overflowed the nanosecond count (UBSan, fuzz/config_fuzz).
  const auto interval = cfg.deribit.interval;
  return interval < caf::timespan::max() / 3 ? interval * 3 : caf::timespan::max();
}

namespace {

enum class zero { refused, allowed };
enum class unit { nanoseconds, milliseconds };

class checker {
public:
  void add(std::string key, std::string message) { out_.push_back({std::move(key), std::move(message)}); }

  /// Positive (or non-negative), and not truncated to zero where it is kept in milliseconds.
  void duration(const char* key, caf::timespan t, zero z = zero::refused, unit u = unit::nanoseconds) {
    if (t.count() < 0 || (t.count() == 0 && z == zero::refused))
      return add(key, std::string{"must be a "} + (z == zero::allowed ? "non-negative" : "positive") +
                        " duration, got " + duration_text(t));
    // deribit.timeout=500us passed as positive and became a 0 ms deadline (fuzz/config_fuzz).
    if (u == unit::milliseconds && t.count() > 0 && t < std::chrono::milliseconds{1})
      add(key, "must be at least 1ms, got " + duration_text(t));
  }

  void readable(const char* key, const std::string& path) {
    if (!path.empty() && !std::ifstream{path})
      add(key, "cannot read '" + path + "'");
  }

  void ip_address(const char* key, const std::string& text) {
    unsigned char buf[sizeof(in6_addr)];
    if (inet_pton(AF_INET, text.c_str(), buf) != 1 && inet_pton(AF_INET6, text.c_str(), buf) != 1)
      add(key, "must be an IP address such as 127.0.0.1, got '" + text + "'");
  }

  void port(const char* key, int64_t port) {
    if (port < -1 || port > 65535)
      add(key, "must be -1 (off), 0 (ephemeral) or a port up to 65535");
  }

  void url(const char* key, const std::string& text, const char* scheme, const char* wrong_scheme) {
    std::string error;
    auto parsed = parse_url(text, error);
    if (!parsed)
      add(key, error);
    else if (parsed->scheme != scheme)
      add(key, wrong_scheme);
  }

  std::vector<problem> take() { return std::move(out_); }

private:
  std::vector<problem> out_;
};

bool is_spot_symbol(const std::string& sym) {
  return !sym.empty() && std::all_of(sym.begin(), sym.end(), [](unsigned char c) { return std::isalnum(c); });
}

// quant names the fields ("extreme_contango (10) must be greater than contango (20)"); name the keys instead.
void threshold_problem(checker& in, const std::string& what, const char* group) {
  std::istringstream words{what};
  std::string out, word, first_key;
  while (words >> word) {
    if (word == "extreme_contango" || word == "contango" || word == "neutral" || word == "extreme_fear"
        || word == "fear") {
      std::replace(word.begin(), word.end(), '_', '-');
      word = std::string{"thresholds."} + group + "-" + word;
      if (first_key.empty())
        first_key = word;
    }
    out += (out.empty() ? "" : " ") + word;
  }
  in.add(first_key.empty() ? std::string{"thresholds."} + group : first_key, out);
}

void check_currencies(checker& in, const std::vector<std::string>& currencies) {
  if (currencies.empty())
    in.add("deribit.currencies", "must name at least one currency");
  std::set<std::string> seen;
  for (const auto& c : currencies) {
    if (!quant::find_currency(c))
      in.add("deribit.currencies", "unknown currency '" + c + "' (supported: " + quant::supported_currencies() + ")");
    else if (!seen.insert(c).second)
      in.add("deribit.currencies", "'" + c + "' is listed twice");
  }
}

void check_deribit(checker& in, const deribit_settings& d) {
  in.url("deribit.url", d.url, "https", "must be an https:// URL");
  in.duration("deribit.interval", d.interval);
  in.duration("deribit.timeout", d.timeout, zero::refused, unit::milliseconds);
  in.readable("deribit.ca-file", d.ca_file);
  if (d.max_body <= 0)
    in.add("deribit.max-body", "must be positive");
  if (d.compression != "gzip" && d.compression != "none")
    in.add("deribit.compression", "must be gzip or none, not '" + d.compression + "'");
  check_currencies(in, d.currencies);
  if (!(d.min_dte >= 0))
    in.add("deribit.min-dte", "must be zero or more days");
  if (!(d.max_requests_per_second > 0))
    in.add("deribit.max-requests-per-second", "must be positive");
  in.duration("deribit.instruments-interval", d.instruments_interval);
  if (!(d.instruments_requests_per_second > 0) || !(d.instruments_burst >= 1))
    in.add("deribit.instruments-requests-per-second", "must be positive, with a burst of at least 1");
}

void check_supervisor(checker& in, const supervisor_settings& s) {
  in.duration("supervisor.min-backoff", s.min_backoff);
  in.duration("supervisor.rate-limit-min-backoff", s.rate_limit_min_backoff);
  in.duration("supervisor.max-backoff", s.max_backoff);
  if (s.max_backoff < s.min_backoff || s.max_backoff < s.rate_limit_min_backoff)
    in.add("supervisor.max-backoff", "must not be shorter than the minimum backoffs");
  if (s.max_failures < 1)
    in.add("supervisor.max-failures", "must be at least 1");
}

void check_thresholds(checker& in, const thresholds_settings& t) {
  if (auto bad = quant::validate(t.basis))
    threshold_problem(in, *bad, "basis");
  if (auto bad = quant::validate(t.skew))
    threshold_problem(in, *bad, "skew");
}

std::string number_text(double x) {
  char buf[32];
  auto end = std::to_chars(buf, buf + sizeof buf, x).ptr;
  return {buf, end};
}

std::string list_text(const std::vector<double>& xs) {
  std::string out = "[";
  for (double x : xs)
    out += (out.size() > 1 ? ", " : "") + number_text(x);
  return out + "]";
}

bool contains(const std::vector<double>& xs, double x) { return std::find(xs.begin(), xs.end(), x) != xs.end(); }

// Each value passes `ok` and appears once; `what` says what a value must be.
std::vector<std::string> list_problems(const std::vector<double>& xs, bool (*ok)(double), const char* what,
                                       const char* noun) {
  std::vector<std::string> out;
  std::vector<double> seen;
  for (double x : xs) {
    if (!ok(x))
      out.push_back("'" + number_text(x) + "' is not " + what);
    else if (contains(seen, x))
      out.push_back("'" + number_text(x) + "' is listed twice");
    else
      seen.push_back(x);
  }
  if (xs.empty())
    out.push_back(std::string{"must name at least one "} + noun);
  return out;
}

bool is_days(double x) { return x > 0 && std::isfinite(x); }

// The headline skew is a record of the surface: its tenor and delta must be among the surface's.
void check_signals(checker& in, const engine_config& cfg) {
  for (auto& why : tenor_problems(cfg.surface.tenors))
    in.add("surface.tenors", std::move(why));
  for (auto& why : delta_problems(cfg.surface.deltas))
    in.add("surface.deltas", std::move(why));
  const char* headline = ": the headline skew is the surface's record at (skew.tenor, skew.delta)";
  if (!contains(cfg.surface.tenors, cfg.skew.tenor))
    in.add("skew.tenor", number_text(cfg.skew.tenor) + " is not one of surface.tenors " +
                           list_text(cfg.surface.tenors) + headline);
  if (!contains(cfg.surface.deltas, cfg.skew.delta))
    in.add("skew.delta", number_text(cfg.skew.delta) + " is not one of surface.deltas " +
                           list_text(cfg.surface.deltas) + headline);
  for (auto& why : tenor_problems(cfg.basis.tenors))
    in.add("basis.tenors", std::move(why));
  if (!is_days(cfg.mfiv.tenor))
    in.add("mfiv.tenor", "must be a positive number of days, got " + number_text(cfg.mfiv.tenor));
}

void check_binance(checker& in, const binance_settings& b) {
  in.url("binance.url", b.url, "wss", "must be a wss:// URL");
  for (const auto& sym : b.symbols)
    if (!is_spot_symbol(sym))
      in.add("binance.symbols", "'" + sym + "' is not a spot symbol (letters and digits, e.g. BTCUSDT)");
  in.readable("binance.ca-file", b.ca_file);
  in.duration("binance.timeout", b.timeout, zero::refused, unit::milliseconds);
  in.duration("binance.min-backoff", b.min_backoff);
  in.duration("binance.max-backoff", b.max_backoff);
  if (b.max_backoff < b.min_backoff)
    in.add("binance.max-backoff", "must not be shorter than binance.min-backoff");
  in.duration("binance.stale-after", b.stale_after);
  if (b.max_queued_trades < 1 || b.max_queued_trades > 10'000'000)
    in.add("binance.max-queued-trades", "must be between 1 and 10000000");
  for (const auto& [symbol, currency] : b.symbol_currencies)
    if (symbol.empty() || !quant::find_currency(currency))
      in.add("binance.symbol-currencies", "'" + symbol + "=" + currency +
                                            "' is not SYMBOL=CURRENCY with a currency of " +
                                            quant::supported_currencies());
}

void check_snapshots(checker& in, const snapshots_settings& s, const store_settings& store) {
  in.duration("snapshots.interval", s.interval, zero::allowed);
  if (s.record && store.path.empty())
    in.add("snapshots.record", "needs store.path");
  if (s.record && s.interval <= caf::timespan{0})
    in.add("snapshots.record", "needs snapshots.interval > 0s");
  if (s.interval > caf::timespan{0} && s.path.empty() && !s.record)
    in.add("snapshots.path", "must name a file when snapshots.interval is set (or snapshots.record=true)");
  in.duration("store.reap-interval", store.reap_interval);
  if (s.max_file_size < 0)
    in.add("snapshots.max-file-size", "must be 0 (no size limit) or a number of bytes, got " + std::to_string(s.max_file_size));
  if (s.fsync != "never" && s.fsync != "rotate" && s.fsync != "every-write")   // runtime::parse_fsync_policy
    in.add("snapshots.fsync", "'" + s.fsync + "' is not never, rotate or every-write");
}

void check_store(checker& in, const store_settings& s, const outcomes_settings& o) {
  in.duration("store.busy-timeout", s.busy_timeout, zero::allowed, unit::milliseconds);
  if (s.max_pending_bars < 1)
    in.add("store.max-pending-bars", "must be at least 1, got " + std::to_string(s.max_pending_bars));
  in.duration("store.retention", s.retention, zero::allowed);
  const auto longest = o.horizons.empty() ? caf::timespan{0} : *std::max_element(o.horizons.begin(), o.horizons.end());
  if (s.retention > caf::timespan{0} && s.retention < longest)
    in.add("store.retention", "must not be shorter than the longest of outcomes.horizons (" + duration_text(longest) +
                                "), got " + duration_text(s.retention));
  in.duration("store.snapshot-retention", s.snapshot_retention, zero::allowed);
  in.duration("store.maintenance-interval", s.maintenance_interval);
}

void check_outcomes(checker& in, const outcomes_settings& o) {
  std::vector<std::string> texts;
  for (auto h : o.horizons)
    texts.push_back(duration_text(h));
  for (auto& why : horizon_problems(o.horizons, texts))
    in.add("outcomes.horizons", std::move(why));
  in.duration("outcomes.max-gap", o.max_gap);
  if (o.max_gap > caf::timespan{0} && o.max_gap < std::chrono::seconds{1})
    in.add("outcomes.max-gap", "must be at least 1s");
}

/// An IP address outside 127.0.0.0/8 and ::1 (false for text that is no IP address: reported elsewhere).
bool is_remote_ip(const std::string& text) {
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1)
    return (ntohl(v4.s_addr) >> 24) != 127;
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1)
    return !IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

void check_introspection(checker& in, const introspection_settings& i) {
  in.port("introspection.port", i.port);
  in.ip_address("introspection.host", i.host);
  if (i.max_subscribers < 0 || i.max_subscribers > 100000)
    in.add("introspection.max-subscribers", "must be between 0 and 100000");
  if (i.max_connections < 1 || i.max_connections > 100000)
    in.add("introspection.max-connections", "must be between 1 and 100000");
  if (i.max_payload < 64 * 1024 || i.max_payload > std::numeric_limits<uint32_t>::max())
    in.add("introspection.max-payload", "must be between 65536 (64 KiB) and 4294967295 bytes");
  in.duration("introspection.handshake-timeout", i.handshake_timeout, zero::refused, unit::milliseconds);
  in.readable("introspection.tls-cert", i.tls_cert);
  in.readable("introspection.tls-key", i.tls_key);
  in.readable("introspection.tls-ca", i.tls_ca);
  const int given = !i.tls_cert.empty() + !i.tls_key.empty() + !i.tls_ca.empty();
  if (given != 0 && given != 3)
    in.add("introspection.tls-*", "tls-cert, tls-key and tls-ca go together (all three or none)");
  if (i.port >= 0 && given == 0 && (i.allow_control || i.allow_record) && !i.plaintext_remote_control &&
      is_remote_ip(i.host))
    in.add("introspection.host", "'" + i.host + "' is not a loopback address and the link is plain TCP, so anyone "
                                 "who reaches it could use allow-control/allow-record: set introspection.tls-cert, "
                                 "tls-key and tls-ca, or introspection.plaintext-remote-control=true to accept that");
}

bool is_log_level(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text == "debug" || text == "info" || text == "warn" || text == "warning" || text == "error";
}

} // namespace

std::vector<std::string> tenor_problems(const std::vector<double>& tenors) {
  return list_problems(tenors, is_days, "a positive number of days", "tenor");
}

std::vector<std::string> delta_problems(const std::vector<double>& deltas) {
  return list_problems(deltas, [](double x) { return x > 0 && x < 0.5; }, "in (0, 0.5)", "delta");
}

std::vector<std::string> horizon_problems(const std::vector<caf::timespan>& horizons,
                                          const std::vector<std::string>& texts) {
  std::vector<std::string> out;
  std::vector<caf::timespan> seen;
  for (std::size_t i = 0; i < horizons.size(); ++i) {
    const auto h = horizons[i];
    if (h < std::chrono::seconds{1} || h % std::chrono::seconds{1} != caf::timespan{0})
      out.push_back("'" + texts[i] + "' is not a duration of whole seconds, at least 1s (e.g. \"5min\")");
    else if (std::find(seen.begin(), seen.end(), h) != seen.end())
      out.push_back("'" + texts[i] + "' is listed twice");
    else
      seen.push_back(h);
  }
  if (horizons.empty())
    out.push_back("must name at least one horizon");
  return out;
}

std::vector<problem> validate(const engine_config& cfg) {
  checker in;
  check_deribit(in, cfg.deribit);
  check_supervisor(in, cfg.supervisor);
  if (cfg.cache.max_age)
    in.duration("cache.max-age", *cfg.cache.max_age);
  check_thresholds(in, cfg.thresholds);
  check_signals(in, cfg);
  check_binance(in, cfg.binance);
  check_snapshots(in, cfg.snapshots, cfg.store);
  check_outcomes(in, cfg.outcomes);
  check_store(in, cfg.store, cfg.outcomes);
  check_introspection(in, cfg.introspection);
  in.port("metrics.port", cfg.metrics.port);
  in.ip_address("metrics.host", cfg.metrics.host);
  if (!is_log_level(cfg.log.level))
    in.add("log.level", "'" + cfg.log.level + "' is not debug, info, warn or error");
  return in.take();
}

} // namespace derivcache::configuration
