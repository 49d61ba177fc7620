// `derivcache run`: parse and check the configuration, start the engine, stop cleanly on a signal.
#include "apps/run.hpp"

#include "apps/config_schema.hpp"
#include "messages/type_ids.hpp"
#include "net/url.hpp"
#include "quant/currency.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/config_value.hpp>

#include <csignal>
#include <fstream>
#include <ostream>
#include <pthread.h>
#include <set>

namespace derivcache::apps {

namespace {

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

  /// Sets `out` when the key is given; the duration must be positive.
  template <class Duration>
  void duration(const char* key, Duration& out) const {
    auto v = find(key);
    if (!v)
      return;
    auto t = caf::get_if<caf::timespan>(v);
    if (!t)
      return wrong(key, value_kind::duration, *v);
    if (t->count() <= 0)
      return problem(key, "must be a positive duration, got " + caf::to_string(*v));
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

std::string threshold_problem(const std::string& what, const char* group) {
  // quant names the fields ("extreme_contango (10) must be greater than contango (20)"); say which keys.
  return std::string{"thresholds."} + group + "-*: " + what;
}

std::string run_help() {
  std::string text =
    "Usage: derivcache run [--config-file=FILE] [--section.key=value ...]\n\n"
    "Runs the engine until SIGINT or SIGTERM. Keys (command line wins over the file):\n";
  for (const auto& spec : option_specs())
    text += std::string{"  --"} + spec.key + "=" + spec.default_text + "\n      " + spec.help + "\n";
  return text + "\nSee docs/configuration.md.\n";
}

struct run_config : caf::actor_system_config {
  run_config() {
    add_options(custom_options_);
    add_message_types<caf::id_block::derivcache>();
  }
};

std::string config_file_argument(const std::vector<std::string>& args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i].rfind("--config-file=", 0) == 0)
      return args[i].substr(14);
    if (args[i] == "--config-file" && i + 1 < args.size())
      return args[i + 1];
  }
  return {};
}

} // namespace

actors::engine_config make_engine_config(const caf::settings& content, const caf::settings& file,
                                         std::vector<std::string>& problems) {
  actors::engine_config cfg;
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

  cfg.cache_max_age = cfg.interval * 3;
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

  std::string level = "info";
  in.string("log.level", level);
  if (auto parsed = actors::parse_log_level(level))
    cfg.level = *parsed;
  else
    in.problem("log.level", "'" + level + "' is not debug, info, warn or error");
  in.string("log.tag", cfg.log_tag);
  return cfg;
}

int run_engine_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  for (const auto& a : args)
    if (a == "--help" || a == "-h") {
      out << run_help();
      return 0;
    }
  auto fail = [&](const std::vector<std::string>& problems) {
    for (const auto& p : problems)
      err << "derivcache: " << p << '\n';
    return 2;
  };
  const auto file = config_file_argument(args);
  caf::settings file_settings;
  if (!file.empty()) {
    if (auto problems = check_config_file(file); !problems.empty())
      return fail(problems);
    if (auto parsed = caf::actor_system_config::parse_config_file(file.c_str()))
      file_settings = std::move(*parsed);
  }

  // Signals are blocked before CAF starts its threads (they inherit the mask) and taken by sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  run_config sys_cfg;
  if (auto error = sys_cfg.parse(args))
    return fail({"command line: " + caf::actor_system_config::render(error)});
  if (!sys_cfg.remainder.empty())
    return fail({"unexpected argument '" + sys_cfg.remainder.front() + "'"});
  std::vector<std::string> problems;
  auto engine_cfg = make_engine_config(sys_cfg.content, file_settings, problems);
  if (!problems.empty())
    return fail(problems);

  caf::actor_system sys{sys_cfg};
  std::string error;
  auto engine = actors::start_engine(sys, engine_cfg, error);
  if (!engine)
    return fail({error});
  int signal = 0;
  sigwait(&signals, &signal);
  engine->log->info(std::string{"received "} + (signal == SIGINT ? "SIGINT" : "SIGTERM") + ", shutting down");
  engine->stop();
  return 0;
}

} // namespace derivcache::apps
