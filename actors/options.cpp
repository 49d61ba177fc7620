// derivcache's configuration keys and the config-file check.
#include "actors/options.hpp"

#include "net/url.hpp"
#include "quant/currency.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/config_option_adder.hpp>
#include <caf/config_value.hpp>
#include <caf/timespan.hpp>

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

namespace derivcache::actors {

const std::vector<option_spec>& option_specs() {
  static const std::vector<option_spec> specs = {
    {"deribit.url", value_kind::string, "\"https://www.deribit.com\"", "Deribit REST origin (https://host[:port][/prefix])"},
    {"deribit.interval", value_kind::duration, "300s", "time between fetch cycles"},
    {"deribit.timeout", value_kind::duration, "10s", "total deadline of one HTTP request"},
    {"deribit.ca-file", value_kind::string, "\"\"", "extra trusted CA certificates (PEM); the system store is always used"},
    {"deribit.max-body", value_kind::integer, "16777216", "largest response body accepted, in bytes"},
    {"deribit.currencies", value_kind::string_list, "[\"BTC\", \"ETH\", \"SOL\"]", "currencies to follow (BTC, ETH, SOL)"},
    {"deribit.min-dte", value_kind::number, "7", "quarterlies closer than this many days are skipped"},
    {"deribit.max-requests-per-second", value_kind::number, "5", "token-bucket rate for book-summary requests"},
    {"supervisor.min-backoff", value_kind::duration, "1s", "first restart delay after a failure"},
    {"supervisor.rate-limit-min-backoff", value_kind::duration, "5s", "first restart delay after a rate limit"},
    {"supervisor.max-backoff", value_kind::duration, "300s", "longest restart delay"},
    {"supervisor.max-failures", value_kind::integer, "5", "consecutive failures before the fetcher is DEGRADED"},
    {"cache.max-age", value_kind::duration, "900s", "readings older than this are STALE (default 3 x deribit.interval)"},
    {"thresholds.basis-extreme-contango", value_kind::number, "20", "basis above this: EXTREME_CONTANGO"},
    {"thresholds.basis-contango", value_kind::number, "10", "basis at or above this: CONTANGO"},
    {"thresholds.basis-neutral", value_kind::number, "-5", "basis at or above this: NEUTRAL, below: BACKWARDATION"},
    {"thresholds.skew-extreme-fear", value_kind::number, "10", "skew above this: EXTREME_FEAR"},
    {"thresholds.skew-fear", value_kind::number, "5", "skew at or above this: FEAR"},
    {"thresholds.skew-neutral", value_kind::number, "-5", "skew at or above this: NEUTRAL, below: GREED"},
    {"binance.url", value_kind::string, "\"wss://stream.binance.com:9443\"", "Binance spot WebSocket origin (wss://host[:port])"},
    {"binance.symbols", value_kind::string_list, "[\"BTCUSDT\"]", "spot symbols to follow; [] turns the feed off"},
    {"binance.ca-file", value_kind::string, "\"\"", "extra trusted CA certificates (PEM) for the WebSocket"},
    {"binance.timeout", value_kind::duration, "10s", "deadline of the TCP + TLS + WebSocket handshake"},
    {"binance.min-backoff", value_kind::duration, "1s", "first reconnect delay after a drop"},
    {"binance.max-backoff", value_kind::duration, "60s", "longest reconnect delay"},
    {"binance.stale-after", value_kind::duration, "30s", "no data frame for this long: reconnect; spot inputs are STALE"},
    {"binance.symbol-currencies", value_kind::string_list, "[]", "overrides of a symbol's currency, e.g. [\"XBTUSDT=BTC\"]"},
    {"snapshots.interval", value_kind::duration, "0s", "write a snapshot of every symbol this often; 0s: off"},
    {"snapshots.path", value_kind::string, "\"snapshots.jsonl\"", "JSON-lines file the periodic snapshots are appended to"},
    {"snapshots.record", value_kind::boolean, "false", "also record every periodic snapshot in the store (needs store.path)"},
    {"store.path", value_kind::string, "\"\"", "SQLite feature/label store of recorded snapshots and outcomes; \"\": off"},
    {"outcomes.horizons", value_kind::string_list, "[\"5min\", \"15min\", \"1h\"]", "horizons at which recorded snapshots are labelled"},
    {"outcomes.max-gap", value_kind::duration, "30s", "a horizon whose window has a feed gap longer than this is incomplete"},
    {"introspection.port", value_kind::integer, "-1", "publish the introspection actor on this port; -1: off, 0: ephemeral"},
    {"introspection.host", value_kind::string, "\"127.0.0.1\"", "address the introspection port binds to"},
    {"introspection.max-subscribers", value_kind::integer, "16", "remote subscribers accepted at once"},
    {"introspection.allow-control", value_kind::boolean, "false", "accept remote control (force a refresh)"},
    {"introspection.allow-record", value_kind::boolean, "false", "accept remote record_snapshot requests"},
    {"introspection.tls-cert", value_kind::string, "\"\"", "PEM certificate for mutual TLS (with tls-key and tls-ca)"},
    {"introspection.tls-key", value_kind::string, "\"\"", "PEM private key for mutual TLS"},
    {"introspection.tls-ca", value_kind::string, "\"\"", "PEM CA that peers' certificates must chain to"},
    {"metrics.port", value_kind::integer, "-1", "serve /metrics, /healthz and /snapshot on this port; -1: off, 0: ephemeral"},
    {"metrics.host", value_kind::string, "\"127.0.0.1\"", "address the metrics port binds to"},
    {"log.level", value_kind::string, "\"info\"", "debug, info, warn or error"},
    {"log.tag", value_kind::string, "\"\"", "tag printed on every log line, e.g. SIMULATED"},
  };
  return specs;
}

std::string to_string(value_kind kind) {
  switch (kind) {
    case value_kind::string: return "a quoted string";
    case value_kind::duration: return "a duration such as 300s or 5min";
    case value_kind::integer: return "an integer";
    case value_kind::number: return "a number";
    case value_kind::boolean: return "true or false";
    case value_kind::string_list: return "a list of quoted strings";
  }
  return "?";
}

bool is_derivcache_section(const std::string& section) {
  for (const auto& spec : option_specs())
    if (std::string{spec.key}.rfind(section + ".", 0) == 0)
      return true;
  return false;
}

void add_options(caf::config_option_set& options) {
  for (const auto& spec : option_specs()) {
    std::string key = spec.key;
    auto dot = key.find('.');
    const std::string category = key.substr(0, dot);   // the adder keeps a view of it
    caf::config_option_adder adder{options, category};
    auto name_text = key.substr(dot + 1);   // config_option copies its names
    caf::string_view name{name_text};
    caf::string_view help{spec.help, std::strlen(spec.help)};
    switch (spec.kind) {
      case value_kind::string: adder.add<std::string>(name, help); break;
      case value_kind::duration: adder.add<caf::timespan>(name, help); break;
      case value_kind::integer: adder.add<int64_t>(name, help); break;
      case value_kind::number: adder.add<double>(name, help); break;
      case value_kind::boolean: adder.add<bool>(name, help); break;
      case value_kind::string_list: adder.add<std::vector<std::string>>(name, help); break;
    }
  }
}

namespace {

bool has_kind(const caf::config_value& v, value_kind kind) {
  switch (kind) {
    case value_kind::string: return caf::holds_alternative<std::string>(v);
    case value_kind::duration: return caf::holds_alternative<caf::timespan>(v);
    case value_kind::integer: return caf::holds_alternative<int64_t>(v);
    case value_kind::number: return caf::holds_alternative<int64_t>(v) || caf::holds_alternative<double>(v);
    case value_kind::boolean: return caf::holds_alternative<bool>(v);
    case value_kind::string_list: {
      auto list = caf::get_if<caf::config_value::list>(&v);
      if (!list)
        return false;
      for (const auto& item : *list)
        if (!caf::holds_alternative<std::string>(item))
          return false;
      return true;
    }
  }
  return false;
}

const option_spec* find_spec(const std::string& key) {
  for (const auto& spec : option_specs())
    if (key == spec.key)
      return &spec;
  return nullptr;
}

/// A duration as a user writes it (`0s`, `-1s`, `500us`, `5min`); CAF renders zero and negative ones as `0d`.
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

class settings_reader {
public:
  settings_reader(const caf::settings& content, const caf::settings& file, std::vector<std::string>& problems)
    : content_(content), file_(file), problems_(problems) {}

  /// CAF's merged view first (command line over file); then the file as written, because CAF drops
  /// INI values whose type differs from the declared one (e.g. `min-dte=7` for a number).
  const caf::config_value* find(const char* key) const {
    caf::string_view name{key, std::char_traits<char>::length(key)};
    auto v = caf::get_if(&content_, name);
    return v ? v : caf::get_if(&file_, name);
  }

  void string(const char* key, std::string& out) const {
    if (auto v = find(key)) {
      if (auto s = caf::get_if<std::string>(v))
        out = *s;
      else
        wrong(key, value_kind::string, *v);
    }
  }

  /// Sets `out` when the key is given; the duration must be positive (or zero, where that means off).
  template <class Duration>
  void duration(const char* key, Duration& out, bool zero_allowed = false) const {
    auto v = find(key);
    if (!v)
      return;
    auto t = caf::get_if<caf::timespan>(v);
    if (!t)
      return wrong(key, value_kind::duration, *v);
    if (t->count() < 0 || (t->count() == 0 && !zero_allowed))
      return problem(key, std::string{"must be a "} + (zero_allowed ? "non-negative" : "positive") +
                            " duration, got " + duration_text(*t));
    // A duration kept in milliseconds must not truncate to zero (deribit.timeout=500us; fuzz/config_fuzz).
    if (t->count() > 0 && std::chrono::duration_cast<Duration>(*t).count() <= 0)
      return problem(key, "must be at least " + duration_text(Duration{1}) + ", got " + duration_text(*t));
    out = std::chrono::duration_cast<Duration>(*t);
  }

  void number(const char* key, double& out) const {
    auto v = find(key);
    if (!v)
      return;
    if (auto i = caf::get_if<int64_t>(v))
      out = static_cast<double>(*i);
    else if (auto d = caf::get_if<double>(v))
      out = *d;
    else
      wrong(key, value_kind::number, *v);
  }

  void boolean(const char* key, bool& out) const {
    if (auto v = find(key)) {
      if (auto b = caf::get_if<bool>(v))
        out = *b;
      else
        wrong(key, value_kind::boolean, *v);
    }
  }

  void integer(const char* key, int64_t& out) const {
    if (auto v = find(key)) {
      if (auto i = caf::get_if<int64_t>(v))
        out = *i;
      else
        wrong(key, value_kind::integer, *v);
    }
  }

  void list(const char* key, std::vector<std::string>& out) const {
    auto v = find(key);
    if (!v)
      return;
    auto items = caf::get_if<caf::config_value::list>(v);
    if (!items)
      return wrong(key, value_kind::string_list, *v);
    out.clear();
    for (const auto& item : *items) {
      auto s = caf::get_if<std::string>(&item);
      if (!s)
        return wrong(key, value_kind::string_list, *v);
      out.push_back(*s);
    }
  }

  void problem(const std::string& key, const std::string& what) const { problems_.push_back(key + ": " + what); }

private:
  void wrong(const char* key, value_kind kind, const caf::config_value& v) const {
    problem(key, "expected " + to_string(kind) + ", got " + caf::to_string(v));
  }

  const caf::settings& content_;
  const caf::settings& file_;
  std::vector<std::string>& problems_;
};

constexpr bool zero_allowed = true;

std::string threshold_problem(const std::string& what, const char* group) {
  // quant names the fields ("extreme_contango (10) must be greater than contango (20)"); name the keys instead.
  std::istringstream words{what};
  std::string out, word;
  while (words >> word) {
    if (word == "extreme_contango" || word == "contango" || word == "neutral" || word == "extreme_fear"
        || word == "fear") {
      std::replace(word.begin(), word.end(), '_', '-');
      word = std::string{"thresholds."} + group + "-" + word;
    }
    out += (out.empty() ? "" : " ") + word;
  }
  return out;
}

bool is_ip_address(const std::string& text) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(text, ec);
  return !ec;
}

} // namespace

std::vector<std::string> check_settings(const caf::settings& file) {
  std::vector<std::string> problems;
  for (const auto& [section, value] : file) {
    if (!is_derivcache_section(section))
      continue;
    auto keys = caf::get_if<caf::settings>(&value);
    if (!keys) {
      problems.push_back(section + ": expected a [" + section + "] section");
      continue;
    }
    for (const auto& [name, v] : *keys) {
      const std::string key = section + "." + name;
      auto spec = find_spec(key);
      if (!spec)
        problems.push_back(key + ": unknown key");
      else if (!has_kind(v, spec->kind))
        problems.push_back(key + ": expected " + to_string(spec->kind) + ", got " + caf::to_string(v));
    }
  }
  return problems;
}

std::vector<std::string> check_config_file(const std::string& path) {
  std::ifstream in{path};
  if (!in)
    return {path + ": cannot open"};
  auto parsed = caf::actor_system_config::parse_config(in);
  if (!parsed) {
    auto text = caf::to_string(parsed.error());
    return {path + ": not a valid config file: " + text + " (strings must be double-quoted)"};
  }
  auto problems = check_settings(*parsed);
  for (auto& p : problems)
    p = path + ": " + p;
  return problems;
}

engine_config make_engine_config(const caf::settings& content, const caf::settings& file,
                                 std::vector<std::string>& problems) {
  engine_config cfg;
  settings_reader in{content, file, problems};

  std::string url_text = "https://www.deribit.com";
  in.string("deribit.url", url_text);
  std::string url_error;
  if (auto url = net::parse_url(url_text, url_error); url && url->scheme == "https") {
    cfg.host = url->host;
    cfg.port = url->port;
    cfg.path_prefix = url->prefix + "/api/v2";
  } else {
    in.problem("deribit.url", url ? "must be an https:// URL" : url_error);
  }
  in.duration("deribit.interval", cfg.interval);
  in.duration("deribit.timeout", cfg.timeout);
  in.string("deribit.ca-file", cfg.ca_file);
  if (!cfg.ca_file.empty() && !std::ifstream{cfg.ca_file})
    in.problem("deribit.ca-file", "cannot read '" + cfg.ca_file + "'");
  int64_t max_body = static_cast<int64_t>(cfg.max_body);
  in.integer("deribit.max-body", max_body);
  if (max_body <= 0)
    in.problem("deribit.max-body", "must be positive");
  cfg.max_body = static_cast<std::size_t>(max_body);
  in.list("deribit.currencies", cfg.currencies);
  if (cfg.currencies.empty())
    in.problem("deribit.currencies", "must name at least one currency");
  std::set<std::string> seen;
  for (const auto& c : cfg.currencies) {
    if (!quant::find_currency(c))
      in.problem("deribit.currencies", "unknown currency '" + c + "' (supported: " + quant::supported_currencies() + ")");
    else if (!seen.insert(c).second)
      in.problem("deribit.currencies", "'" + c + "' is listed twice");
  }
  in.number("deribit.min-dte", cfg.min_dte_days);
  if (!(cfg.min_dte_days >= 0))
    in.problem("deribit.min-dte", "must be zero or more days");
  in.number("deribit.max-requests-per-second", cfg.max_requests_per_second);
  if (!(cfg.max_requests_per_second > 0))
    in.problem("deribit.max-requests-per-second", "must be positive");

  in.duration("supervisor.min-backoff", cfg.min_backoff);
  in.duration("supervisor.rate-limit-min-backoff", cfg.rate_limit_min_backoff);
  in.duration("supervisor.max-backoff", cfg.max_backoff);
  if (cfg.max_backoff < cfg.min_backoff || cfg.max_backoff < cfg.rate_limit_min_backoff)
    in.problem("supervisor.max-backoff", "must not be shorter than the minimum backoffs");
  int64_t max_failures = cfg.max_failures;
  in.integer("supervisor.max-failures", max_failures);
  if (max_failures < 1)
    in.problem("supervisor.max-failures", "must be at least 1");
  cfg.max_failures = static_cast<uint32_t>(std::max<int64_t>(max_failures, 1));

  // 3 x interval, saturating: interval=4000000000s overflowed the nanosecond count (UBSan, fuzz/config_fuzz).
  cfg.cache_max_age = cfg.interval < caf::timespan::max() / 3 ? cfg.interval * 3 : caf::timespan::max();
  in.duration("cache.max-age", cfg.cache_max_age);

  in.number("thresholds.basis-extreme-contango", cfg.basis.extreme_contango);
  in.number("thresholds.basis-contango", cfg.basis.contango);
  in.number("thresholds.basis-neutral", cfg.basis.neutral);
  in.number("thresholds.skew-extreme-fear", cfg.skew.extreme_fear);
  in.number("thresholds.skew-fear", cfg.skew.fear);
  in.number("thresholds.skew-neutral", cfg.skew.neutral);
  if (auto bad = quant::validate(cfg.basis))
    problems.push_back(threshold_problem(*bad, "basis"));
  if (auto bad = quant::validate(cfg.skew))
    problems.push_back(threshold_problem(*bad, "skew"));

  std::string ws_text = "wss://stream.binance.com:9443";
  in.string("binance.url", ws_text);
  if (auto url = net::parse_url(ws_text, url_error); url && url->scheme == "wss") {
    cfg.binance_host = url->host;
    cfg.binance_port = url->port;
  } else {
    in.problem("binance.url", url ? "must be a wss:// URL" : url_error);
  }
  in.list("binance.symbols", cfg.binance_symbols);
  for (const auto& sym : cfg.binance_symbols)
    if (sym.empty() || !std::all_of(sym.begin(), sym.end(), [](unsigned char c) { return std::isalnum(c); }))
      in.problem("binance.symbols", "'" + sym + "' is not a spot symbol (letters and digits, e.g. BTCUSDT)");
  in.string("binance.ca-file", cfg.binance_ca_file);
  if (!cfg.binance_ca_file.empty() && !std::ifstream{cfg.binance_ca_file})
    in.problem("binance.ca-file", "cannot read '" + cfg.binance_ca_file + "'");
  in.duration("binance.timeout", cfg.binance_handshake_timeout);
  in.duration("binance.min-backoff", cfg.binance_min_backoff);
  in.duration("binance.max-backoff", cfg.binance_max_backoff);
  if (cfg.binance_max_backoff < cfg.binance_min_backoff)
    in.problem("binance.max-backoff", "must not be shorter than binance.min-backoff");
  in.duration("binance.stale-after", cfg.binance_stale_after);
  std::vector<std::string> overrides;
  in.list("binance.symbol-currencies", overrides);
  for (const auto& item : overrides) {
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || !quant::find_currency(item.substr(eq + 1)))
      in.problem("binance.symbol-currencies", "'" + item + "' is not SYMBOL=CURRENCY with a currency of " +
                                                   quant::supported_currencies());
    else
      cfg.currency_overrides[item.substr(0, eq)] = item.substr(eq + 1);
  }
  in.duration("snapshots.interval", cfg.snapshots_interval, zero_allowed);
  cfg.snapshots_path = "snapshots.jsonl";
  in.string("snapshots.path", cfg.snapshots_path);
  in.boolean("snapshots.record", cfg.snapshots_record);
  in.string("store.path", cfg.store_path);
  if (cfg.snapshots_record && cfg.store_path.empty())
    in.problem("snapshots.record", "needs store.path");
  if (cfg.snapshots_record && cfg.snapshots_interval <= caf::timespan{0})
    in.problem("snapshots.record", "needs snapshots.interval > 0s");
  if (cfg.snapshots_interval > caf::timespan{0} && cfg.snapshots_path.empty() && !cfg.snapshots_record)
    in.problem("snapshots.path", "must name a file when snapshots.interval is set (or snapshots.record=true)");
  std::vector<std::string> horizons;
  if (in.find("outcomes.horizons")) {
    in.list("outcomes.horizons", horizons);
    std::vector<caf::timespan> parsed;
    for (const auto& text : horizons) {
      auto v = caf::config_value::parse(text);
      auto t = v ? caf::get_if<caf::timespan>(&*v) : nullptr;
      if (!t || *t < std::chrono::seconds{1} || *t % std::chrono::seconds{1} != caf::timespan{0})
        in.problem("outcomes.horizons", "'" + text + "' is not a duration of whole seconds, at least 1s (e.g. \"5min\")");
      else if (std::find(parsed.begin(), parsed.end(), *t) != parsed.end())
        in.problem("outcomes.horizons", "'" + text + "' is listed twice");
      else
        parsed.push_back(*t);
    }
    if (horizons.empty())
      in.problem("outcomes.horizons", "must name at least one horizon");
    else if (parsed.size() == horizons.size())
      cfg.outcomes_horizons = parsed;
  }
  in.duration("outcomes.max-gap", cfg.outcomes_max_gap);
  if (cfg.outcomes_max_gap < std::chrono::seconds{1})
    in.problem("outcomes.max-gap", "must be at least 1s");
  auto host_key = [&](const char* key, std::string& out) {
    in.string(key, out);
    if (!is_ip_address(out))
      in.problem(key, "must be an IP address such as 127.0.0.1, got '" + out + "'");
  };

  auto port_key = [&](const char* key, int& out) {
    int64_t port = out;
    in.integer(key, port);
    if (port < -1 || port > 65535)
      in.problem(key, "must be -1 (off), 0 (ephemeral) or a port up to 65535");
    else
      out = static_cast<int>(port);
  };
  port_key("introspection.port", cfg.introspection_port);
  host_key("introspection.host", cfg.introspection_host);
  int64_t max_subscribers = cfg.introspection_max_subscribers;
  in.integer("introspection.max-subscribers", max_subscribers);
  if (max_subscribers < 0 || max_subscribers > 100000)
    in.problem("introspection.max-subscribers", "must be between 0 and 100000");
  else
    cfg.introspection_max_subscribers = static_cast<uint32_t>(max_subscribers);
  in.boolean("introspection.allow-control", cfg.introspection_allow_control);
  in.boolean("introspection.allow-record", cfg.introspection_allow_record);
  std::string tls[3];
  const char* tls_keys[3] = {"introspection.tls-cert", "introspection.tls-key", "introspection.tls-ca"};
  int tls_given = 0;
  for (int i = 0; i < 3; ++i) {
    in.string(tls_keys[i], tls[i]);
    if (tls[i].empty())
      continue;
    ++tls_given;
    if (!std::ifstream{tls[i]})
      in.problem(tls_keys[i], "cannot read '" + tls[i] + "'");
  }
  if (tls_given != 0 && tls_given != 3)
    in.problem("introspection.tls-*", "tls-cert, tls-key and tls-ca go together (all three or none)");
  cfg.introspection_tls = tls_given == 3;
  cfg.introspection_tls_cert = tls[0];
  cfg.introspection_tls_key = tls[1];
  cfg.introspection_tls_ca = tls[2];
  port_key("metrics.port", cfg.metrics_port);
  host_key("metrics.host", cfg.metrics_host);
  cfg.deribit_url = url_text;

  std::string level = "info";
  in.string("log.level", level);
  if (auto parsed = runtime::parse_log_level(level))
    cfg.level = *parsed;
  else
    in.problem("log.level", "'" + level + "' is not debug, info, warn or error");
  in.string("log.tag", cfg.log_tag);
  return cfg;
}

} // namespace derivcache::actors
