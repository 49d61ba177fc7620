// `derivcache run`: parse and check the configuration, start the engine, stop cleanly on a signal.
#include "apps/run.hpp"

#include "actors/engine.hpp"
#include "configuration/command_line.hpp"
#include "configuration/keys.hpp"
#include "messages/type_ids.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>

#include <cerrno>
#include <csignal>
#include <ostream>
#include <malloc.h>
#include <pthread.h>

namespace derivcache::apps {

namespace {

std::string run_help() {
  std::string text =
    "Usage: derivcache run [--config-file=FILE] [--section.key=value ...]\n\n"
    "Runs the engine until SIGINT or SIGTERM. Keys (command line wins over the file):\n";
  for (const auto& spec : configuration::keys())
    text += std::string{"  --"} + spec.key + "=" + configuration::default_text(spec) + "\n      " + spec.help + "\n";
  return text + "\nBoolean keys also take the bare form (--snapshots.record). See docs/configuration.md.\n";
}

struct run_config : caf::actor_system_config {
  run_config() {
    derivcache::add_options(custom_options_);
    add_message_types<caf::id_block::derivcache>();
  }

  const caf::config_option_set& options() const { return custom_options_; }
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

void print(std::ostream& err, const std::vector<std::string>& problems) {
  for (const auto& p : problems)
    err << "derivcache: " << p << '\n';
}

// The config file, then the command line over it, into `engine_cfg`; false after printing every problem.
bool read_configuration(const std::vector<std::string>& args, run_config& sys_cfg,
                        configuration::engine_config& engine_cfg, std::ostream& err) {
  const auto file = config_file_argument(args);
  caf::settings file_settings;
  if (!file.empty()) {
    if (auto problems = configuration::check_config_file(file); !problems.empty())
      return print(err, problems), false;
    if (auto parsed = caf::actor_system_config::parse_config_file(file.c_str()))
      file_settings = std::move(*parsed);
  }
  std::vector<std::string> cli_problems;
  const auto cli = configuration::prepare_command_line(args, cli_problems);
  for (auto& p : cli_problems)
    p = "command line: " + p;
  if (!cli_problems.empty())
    return print(err, cli_problems), false;
  if (auto error = sys_cfg.parse(cli.args))
    return print(err, {"command line: " + configuration::command_line_error(sys_cfg.options(), cli.args, error)}), false;
  if (!sys_cfg.remainder.empty())
    return print(err, {"unexpected argument '" + sys_cfg.remainder.front() + "'"}), false;
  configuration::apply_flags_off(cli, sys_cfg.content);
  std::vector<configuration::problem> problems;
  engine_cfg = configuration::from_settings(sys_cfg.content, file_settings, problems);
  std::vector<std::string> lines;
  for (const auto& p : problems)
    lines.push_back(configuration::to_string(p));
  print(err, lines);
  return problems.empty();
}

} // namespace

int run_engine_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  for (const auto& a : args)
    if (a == "--help" || a == "-h") {
      out << run_help();
      return 0;
    }
  // Signals are blocked before CAF starts its threads (they inherit the mask) and taken by sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  run_config sys_cfg;
  configuration::engine_config engine_cfg;
  if (!read_configuration(args, sys_cfg, engine_cfg, err))
    return 2;
  const auto& introspection = engine_cfg.introspection;
  if (introspection.port >= 0)
    sys_cfg.load<caf::io::middleman>();
  if (introspection.tls()) {
    // Checked above (all three files, readable): CAF aborts at start-up when one is missing.
    sys_cfg.set("openssl.certificate", introspection.tls_cert);
    sys_cfg.set("openssl.key", introspection.tls_key);
    sys_cfg.set("openssl.cafile", introspection.tls_ca);
    sys_cfg.load<caf::openssl::manager>();
  }
  caf::actor_system sys{sys_cfg};
  std::string error;
  auto engine = actors::start_engine(sys, engine_cfg, error);
  if (!engine) {
    err << "derivcache: " << error << '\n';
    return 2;
  }
  // While waiting for a signal, hand the heap's free pages back to the system once a minute
  // (malloc_trim: glibc otherwise keeps free pages below the top of the heap; docs/operations.md, Memory).
  const timespec trim_every{60, 0};
  int signal = -1;
  while (signal < 0)
    if ((signal = sigtimedwait(&signals, nullptr, &trim_every)) < 0 && errno == EAGAIN)
      malloc_trim(0);
  engine->log->info(std::string{"received "} + (signal == SIGINT ? "SIGINT" : "SIGTERM") + ", shutting down");
  engine->stop();
  return 0;
}

} // namespace derivcache::apps
