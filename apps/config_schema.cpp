// derivcache's configuration keys and the config-file check.
#include "apps/config_schema.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/config_option_adder.hpp>
#include <caf/config_value.hpp>
#include <caf/timespan.hpp>

#include <cstring>
#include <fstream>

namespace derivcache::apps {

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

} // namespace derivcache::apps
