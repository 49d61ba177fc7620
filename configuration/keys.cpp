// The key table and what reads and checks settings against it.
#include "configuration/keys.hpp"

#include "quant/currency.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/config_option_adder.hpp>

#include <charconv>
#include <cstring>
#include <fstream>
#include <type_traits>

namespace derivcache::configuration {

std::string to_string(value_kind kind) {
  switch (kind) {
    case value_kind::string: return "a quoted string";
    case value_kind::duration: return "a duration such as 300s or 5min";
    case value_kind::integer: return "an integer";
    case value_kind::number: return "a number";
    case value_kind::boolean: return "true or false";
    case value_kind::string_list: return "a list of quoted strings";
    case value_kind::number_list: return "a list of numbers";
  }
  return "?";
}

namespace {

// -- values as written in an INI file -------------------------------------------------------------------

std::string render(const std::string& x) {
  std::string out = "\"";
  for (char c : x)
    out += (c == '"' || c == '\\') ? std::string{'\\', c} : std::string{c};
  return out + "\"";
}

std::string render(caf::timespan x) {   // whole seconds as seconds ("900s", not "15min"), like config/live.ini
  return x % std::chrono::seconds{1} == caf::timespan{0} ? std::to_string(x / std::chrono::seconds{1}) + "s"
                                                          : duration_text(x);
}

std::string render(int64_t x) { return std::to_string(x); }

std::string render(double x) {
  char buf[32];
  auto end = std::to_chars(buf, buf + sizeof buf, x).ptr;
  return {buf, end};
}

std::string render(bool x) { return x ? "true" : "false"; }

template <class T>
std::string render(const std::vector<T>& xs) {
  std::string out = "[";
  for (const auto& x : xs)
    out += (out.size() > 1 ? ", " : "") + render(x);
  return out + "]";
}

// -- values from CAF's settings ---------------------------------------------------------------------------

template <class T> constexpr value_kind kind_of();
template <> constexpr value_kind kind_of<std::string>() { return value_kind::string; }
template <> constexpr value_kind kind_of<caf::timespan>() { return value_kind::duration; }
template <> constexpr value_kind kind_of<int64_t>() { return value_kind::integer; }
template <> constexpr value_kind kind_of<double>() { return value_kind::number; }
template <> constexpr value_kind kind_of<bool>() { return value_kind::boolean; }
template <> constexpr value_kind kind_of<std::vector<std::string>>() { return value_kind::string_list; }
template <> constexpr value_kind kind_of<std::vector<double>>() { return value_kind::number_list; }

std::vector<std::string> wrong(value_kind kind, const caf::config_value& v) {
  return {"expected " + to_string(kind) + ", got " + caf::to_string(v)};
}

bool is_number(const caf::config_value& v) {
  return caf::holds_alternative<int64_t>(v) || caf::holds_alternative<double>(v);
}

double number_of(const caf::config_value& v) {
  auto i = caf::get_if<int64_t>(&v);
  return i ? static_cast<double>(*i) : caf::get<double>(v);
}

/// The list, when every item satisfies `item_ok`.
template <class Pred>
const caf::config_value::list* list_of(const caf::config_value& v, Pred item_ok) {
  auto items = caf::get_if<caf::config_value::list>(&v);
  if (!items)
    return nullptr;
  for (const auto& item : *items)
    if (!item_ok(item))
      return nullptr;
  return items;
}

bool has_kind(const caf::config_value& v, value_kind kind) {
  switch (kind) {
    case value_kind::string: return caf::holds_alternative<std::string>(v);
    case value_kind::duration: return caf::holds_alternative<caf::timespan>(v);
    case value_kind::integer: return caf::holds_alternative<int64_t>(v);
    case value_kind::number: return is_number(v);
    case value_kind::boolean: return caf::holds_alternative<bool>(v);
    case value_kind::string_list:
      return list_of(v, [](const caf::config_value& x) { return caf::holds_alternative<std::string>(x); }) != nullptr;
    case value_kind::number_list: return list_of(v, is_number) != nullptr;
  }
  return false;
}

template <class T>
std::vector<std::string> assign(T& out, const caf::config_value& v) {
  if (!has_kind(v, kind_of<T>()))
    return wrong(kind_of<T>(), v);
  if constexpr (std::is_same_v<T, double>) {
    out = number_of(v);
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    out.clear();
    for (const auto& item : caf::get<caf::config_value::list>(v))
      out.push_back(caf::get<std::string>(item));
  } else if constexpr (std::is_same_v<T, std::vector<double>>) {
    out.clear();
    for (const auto& item : caf::get<caf::config_value::list>(v))
      out.push_back(number_of(item));
  } else {
    out = caf::get<T>(v);
  }
  return {};
}

/// A key stored as is in the field `field(cfg)` returns.
template <class Field>
key_spec bind(const char* key, const char* help, Field field) {
  using T = std::decay_t<decltype(field(std::declval<engine_config&>()))>;
  return {key, kind_of<T>(), help, [field](const engine_config& cfg) { return render(field(cfg)); },
          [field](engine_config& cfg, const caf::config_value& v) { return assign(field(cfg), v); }};
}

key_spec cache_max_age_key() {
  return {"cache.max-age", value_kind::duration, "readings older than this are STALE (default 3 x deribit.interval)",
          [](const engine_config& cfg) { return render(cache_max_age(cfg)); },
          [](engine_config& cfg, const caf::config_value& v) {
            caf::timespan t{0};
            auto why = assign(t, v);
            if (why.empty())
              cfg.cache.max_age = t;
            return why;
          }};
}

key_spec horizons_key() {
  return {"outcomes.horizons", value_kind::string_list, "horizons at which recorded snapshots are labelled",
          [](const engine_config& cfg) {
            std::vector<std::string> texts;
            for (auto h : cfg.outcomes.horizons)
              texts.push_back(duration_text(h));
            return render(texts);
          },
          [](engine_config& cfg, const caf::config_value& v) {
            std::vector<std::string> texts;
            auto why = assign(texts, v);
            if (!why.empty())
              return why;
            std::vector<caf::timespan> horizons;   // text that is no duration: 0s, refused like 90ms
            for (const auto& text : texts) {
              auto parsed = caf::config_value::parse(text);
              auto t = parsed ? caf::get_if<caf::timespan>(&*parsed) : nullptr;
              horizons.push_back(t ? *t : caf::timespan{0});
            }
            why = horizon_problems(horizons, texts);
            if (why.empty())
              cfg.outcomes.horizons = std::move(horizons);
            return why;
          }};
}

key_spec symbol_currencies_key() {
  return {"binance.symbol-currencies", value_kind::string_list,
          "overrides of a symbol's currency, e.g. [\"XBTUSDT=BTC\"]",
          [](const engine_config& cfg) {
            std::vector<std::string> texts;
            for (const auto& [symbol, currency] : cfg.binance.symbol_currencies)
              texts.push_back(symbol + "=" + currency);
            return render(texts);
          },
          [](engine_config& cfg, const caf::config_value& v) {
            std::vector<std::string> items;
            auto why = assign(items, v);
            std::map<std::string, std::string> overrides;
            for (const auto& item : items) {
              auto eq = item.find('=');
              if (eq == std::string::npos)
                why.push_back("'" + item + "' is not SYMBOL=CURRENCY with a currency of " + quant::supported_currencies());
              else
                overrides[item.substr(0, eq)] = item.substr(eq + 1);
            }
            if (why.empty())
              cfg.binance.symbol_currencies = std::move(overrides);
            return why;
          }};
}

std::vector<key_spec> make_keys() {
  // clang-format off
  return {
    bind("deribit.url", "Deribit REST origin (https://host[:port][/prefix])", [](auto& c) -> auto& { return c.deribit.url; }),
    bind("deribit.interval", "time between fetch cycles", [](auto& c) -> auto& { return c.deribit.interval; }),
    bind("deribit.timeout", "total deadline of one HTTP request", [](auto& c) -> auto& { return c.deribit.timeout; }),
    bind("deribit.ca-file", "extra trusted CA certificates (PEM); the system store is always used", [](auto& c) -> auto& { return c.deribit.ca_file; }),
    bind("deribit.max-body", "largest response body accepted, in bytes", [](auto& c) -> auto& { return c.deribit.max_body; }),
    bind("deribit.compression", "gzip: ask for gzip answers (Accept-Encoding: gzip) and inflate them; none: plain", [](auto& c) -> auto& { return c.deribit.compression; }),
    bind("deribit.currencies", "currencies to follow (BTC, ETH, SOL)", [](auto& c) -> auto& { return c.deribit.currencies; }),
    bind("deribit.min-dte", "quarterlies closer than this many days are skipped", [](auto& c) -> auto& { return c.deribit.min_dte; }),
    bind("deribit.max-requests-per-second", "token-bucket rate for book-summary and DVOL requests", [](auto& c) -> auto& { return c.deribit.max_requests_per_second; }),
    bind("supervisor.min-backoff", "first restart delay after a failure", [](auto& c) -> auto& { return c.supervisor.min_backoff; }),
    bind("supervisor.rate-limit-min-backoff", "first restart delay after a rate limit", [](auto& c) -> auto& { return c.supervisor.rate_limit_min_backoff; }),
    bind("supervisor.max-backoff", "longest restart delay; a Retry-After is honoured in full, also beyond it", [](auto& c) -> auto& { return c.supervisor.max_backoff; }),
    bind("supervisor.max-failures", "consecutive failures before the fetcher is DEGRADED", [](auto& c) -> auto& { return c.supervisor.max_failures; }),
    cache_max_age_key(),
    bind("thresholds.basis-extreme-contango", "basis above this: EXTREME_CONTANGO", [](auto& c) -> auto& { return c.thresholds.basis.extreme_contango; }),
    bind("thresholds.basis-contango", "basis at or above this: CONTANGO", [](auto& c) -> auto& { return c.thresholds.basis.contango; }),
    bind("thresholds.basis-neutral", "basis at or above this: NEUTRAL, below: BACKWARDATION", [](auto& c) -> auto& { return c.thresholds.basis.neutral; }),
    bind("thresholds.skew-extreme-fear", "skew above this: EXTREME_FEAR", [](auto& c) -> auto& { return c.thresholds.skew.extreme_fear; }),
    bind("thresholds.skew-fear", "skew at or above this: FEAR", [](auto& c) -> auto& { return c.thresholds.skew.fear; }),
    bind("thresholds.skew-neutral", "skew at or above this: NEUTRAL, below: GREED", [](auto& c) -> auto& { return c.thresholds.skew.neutral; }),
    bind("surface.tenors", "constant-maturity tenors of the implied-volatility surface, in days", [](auto& c) -> auto& { return c.surface.tenors; }),
    bind("surface.deltas", "|delta| of the surface's wings, each in (0, 0.5)", [](auto& c) -> auto& { return c.surface.deltas; }),
    bind("skew.tenor", "tenor of the headline skew (classified by thresholds.skew-*), one of surface.tenors", [](auto& c) -> auto& { return c.skew.tenor; }),
    bind("skew.delta", "delta of the headline skew, one of surface.deltas", [](auto& c) -> auto& { return c.skew.delta; }),
    bind("basis.tenors", "constant-maturity basis tenors, in days", [](auto& c) -> auto& { return c.basis.tenors; }),
    bind("mfiv.tenor", "tenor of the model-free implied volatility (the VIX method, as DVOL), in days", [](auto& c) -> auto& { return c.mfiv.tenor; }),
    bind("binance.url", "Binance spot WebSocket origin (wss://host[:port])", [](auto& c) -> auto& { return c.binance.url; }),
    bind("binance.symbols", "spot symbols to follow; [] turns the feed off", [](auto& c) -> auto& { return c.binance.symbols; }),
    bind("binance.ca-file", "extra trusted CA certificates (PEM) for the WebSocket", [](auto& c) -> auto& { return c.binance.ca_file; }),
    bind("binance.timeout", "deadline of the TCP + TLS + WebSocket handshake", [](auto& c) -> auto& { return c.binance.timeout; }),
    bind("binance.min-backoff", "first reconnect delay after a drop", [](auto& c) -> auto& { return c.binance.min_backoff; }),
    bind("binance.max-backoff", "longest reconnect delay", [](auto& c) -> auto& { return c.binance.max_backoff; }),
    bind("binance.stale-after", "no data frame for this long: reconnect; spot inputs are STALE", [](auto& c) -> auto& { return c.binance.stale_after; }),
    bind("binance.max-queued-trades", "trades waiting for the collector; past it the oldest are dropped, counted, windows marked incomplete", [](auto& c) -> auto& { return c.binance.max_queued_trades; }),
    symbol_currencies_key(),
    bind("snapshots.interval", "write a snapshot of every symbol this often; 0s: off", [](auto& c) -> auto& { return c.snapshots.interval; }),
    bind("snapshots.path", "JSON-lines file the periodic snapshots are appended to", [](auto& c) -> auto& { return c.snapshots.path; }),
    bind("snapshots.record", "also record every periodic snapshot in the store (needs store.path)", [](auto& c) -> auto& { return c.snapshots.record; }),
    bind("snapshots.max-file-size", "rotate the JSON-lines file before it would pass this many bytes (it is also rotated at 00:00 UTC); 0: no size limit", [](auto& c) -> auto& { return c.snapshots.max_file_size; }),
    bind("snapshots.fsync", "never, rotate (a finished file is on disk before it is renamed) or every-write", [](auto& c) -> auto& { return c.snapshots.fsync; }),
    bind("store.path", "SQLite feature/label store of recorded snapshots and outcomes; \"\": off", [](auto& c) -> auto& { return c.store.path; }),
    bind("store.busy-timeout", "wait this long for a database another connection locked; then the write fails and is retried", [](auto& c) -> auto& { return c.store.busy_timeout; }),
    bind("store.max-pending-bars", "bars per symbol kept in memory while writes fail; older ones are dropped and their outcomes marked incomplete", [](auto& c) -> auto& { return c.store.max_pending_bars; }),
    bind("store.retention", "bars older than this are deleted (not those a pending outcome reads); at least the longest outcomes.horizons; 0s: kept", [](auto& c) -> auto& { return c.store.retention; }),
    bind("store.snapshot-retention", "labelled or incomplete snapshots older than this are deleted with their outcomes; 0s: kept", [](auto& c) -> auto& { return c.store.snapshot_retention; }),
    bind("store.maintenance-interval", "how often retention deletes run and the WAL is checkpointed (TRUNCATE)", [](auto& c) -> auto& { return c.store.maintenance_interval; }),
    horizons_key(),
    bind("outcomes.max-gap", "a horizon whose window has a feed gap longer than this is incomplete", [](auto& c) -> auto& { return c.outcomes.max_gap; }),
    bind("introspection.port", "publish the introspection actor on this port; -1: off, 0: ephemeral", [](auto& c) -> auto& { return c.introspection.port; }),
    bind("introspection.host", "address the introspection port binds to", [](auto& c) -> auto& { return c.introspection.host; }),
    bind("introspection.max-subscribers", "remote subscribers accepted at once", [](auto& c) -> auto& { return c.introspection.max_subscribers; }),
    bind("introspection.allow-control", "accept remote control (force a refresh)", [](auto& c) -> auto& { return c.introspection.allow_control; }),
    bind("introspection.allow-record", "accept remote record_snapshot requests", [](auto& c) -> auto& { return c.introspection.allow_record; }),
    bind("introspection.plaintext-remote-control", "accept allow-control/allow-record on a non-loopback host without TLS", [](auto& c) -> auto& { return c.introspection.plaintext_remote_control; }),
    bind("introspection.tls-cert", "PEM certificate for mutual TLS (with tls-key and tls-ca)", [](auto& c) -> auto& { return c.introspection.tls_cert; }),
    bind("introspection.tls-key", "PEM private key for mutual TLS", [](auto& c) -> auto& { return c.introspection.tls_key; }),
    bind("introspection.tls-ca", "PEM CA that peers' certificates must chain to", [](auto& c) -> auto& { return c.introspection.tls_ca; }),
    bind("introspection.max-connections", "plain introspection connections open at once", [](auto& c) -> auto& { return c.introspection.max_connections; }),
    bind("introspection.max-payload", "largest BASP payload a peer may announce, in bytes", [](auto& c) -> auto& { return c.introspection.max_payload; }),
    bind("introspection.handshake-timeout", "time a new connection has to send its first whole frame", [](auto& c) -> auto& { return c.introspection.handshake_timeout; }),
    bind("metrics.port", "serve /metrics, /healthz and /snapshot on this port; -1: off, 0: ephemeral", [](auto& c) -> auto& { return c.metrics.port; }),
    bind("metrics.host", "address the metrics port binds to", [](auto& c) -> auto& { return c.metrics.host; }),
    bind("log.level", "debug, info, warn or error", [](auto& c) -> auto& { return c.log.level; }),
    bind("log.tag", "tag printed on every log line, e.g. SIMULATED", [](auto& c) -> auto& { return c.log.tag; }),
  };
  // clang-format on
}

} // namespace

const std::vector<key_spec>& keys() {
  static const std::vector<key_spec> table = make_keys();
  return table;
}

std::string default_text(const key_spec& spec) { return spec.text(engine_config{}); }

const key_spec* find_key(const std::string& key) {
  for (const auto& spec : keys())
    if (key == spec.key)
      return &spec;
  return nullptr;
}

bool is_derivcache_section(const std::string& section) {
  for (const auto& spec : keys())
    if (std::string{spec.key}.rfind(section + ".", 0) == 0)
      return true;
  return false;
}

void add_options(caf::config_option_set& options) {
  for (const auto& spec : keys()) {
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
      case value_kind::number_list: adder.add<std::vector<double>>(name, help); break;
    }
  }
}

std::vector<problem> check_settings(const caf::settings& file) {
  std::vector<problem> problems;
  for (const auto& [section, value] : file) {
    if (!is_derivcache_section(section))
      continue;
    auto keys_in = caf::get_if<caf::settings>(&value);
    if (!keys_in) {
      problems.push_back({section, "expected a [" + section + "] section"});
      continue;
    }
    for (const auto& [name, v] : *keys_in) {
      const std::string key = section + "." + name;
      auto spec = find_key(key);
      if (!spec)
        problems.push_back({key, "unknown key"});
      else if (!has_kind(v, spec->kind))
        problems.push_back({key, wrong(spec->kind, v).front()});
    }
  }
  return problems;
}

std::vector<std::string> check_config_file(const std::string& path) {
  std::ifstream in{path};
  if (!in)
    return {path + ": cannot open"};
  auto parsed = caf::actor_system_config::parse_config(in);
  if (!parsed)
    return {path + ": not a valid config file: " + caf::to_string(parsed.error()) + " (strings must be double-quoted)"};
  std::vector<std::string> out;
  for (const auto& p : check_settings(*parsed))
    out.push_back(path + ": " + to_string(p));
  return out;
}

std::string parse_number_list(const std::string& text, std::vector<double>& out) {
  const bool bracketed = !text.empty() && text.front() == '[';
  auto parsed = caf::config_value::parse(bracketed ? text : "[" + text + "]");
  if (!parsed || !has_kind(*parsed, value_kind::number_list))
    return "expected " + to_string(value_kind::number_list) + " such as 7,30,90, got '" + text + "'";
  assign(out, *parsed);
  return {};
}

engine_config from_settings(const caf::settings& content, const caf::settings& file, std::vector<problem>& problems) {
  engine_config cfg;
  for (const auto& spec : keys()) {
    caf::string_view name{spec.key, std::strlen(spec.key)};
    auto v = caf::get_if(&content, name);
    if (!v)
      v = caf::get_if(&file, name);
    if (!v)
      continue;
    for (auto& why : spec.store(cfg, *v))
      problems.push_back({spec.key, std::move(why)});
  }
  for (auto& p : validate(cfg))
    problems.push_back(std::move(p));
  return cfg;
}

} // namespace derivcache::configuration
