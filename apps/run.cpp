// `derivcache run`: parse and check the configuration, start the engine, stop cleanly on a signal.
#include "apps/run.hpp"

#include "actors/options.hpp"
#include "messages/type_ids.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>

#include <csignal>
#include <ostream>
#include <pthread.h>

namespace derivcache::apps {

namespace {

std::string run_help() {
  std::string text =
    "Usage: derivcache run [--config-file=FILE] [--section.key=value ...]\n\n"
    "Runs the engine until SIGINT or SIGTERM. Keys (command line wins over the file):\n";
  for (const auto& spec : actors::option_specs())
    text += std::string{"  --"} + spec.key + "=" + spec.default_text + "\n      " + spec.help + "\n";
  return text + "\nSee docs/configuration.md.\n";
}

struct run_config : caf::actor_system_config {
  run_config() {
    derivcache::add_options(custom_options_);
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
    if (auto problems = actors::check_config_file(file); !problems.empty())
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
  auto engine_cfg = actors::make_engine_config(sys_cfg.content, file_settings, problems);
  if (!problems.empty())
    return fail(problems);

  if (engine_cfg.introspection_port >= 0)
    sys_cfg.load<caf::io::middleman>();
  if (engine_cfg.introspection_tls) {
    // Checked above (all three files, readable): CAF aborts at start-up when one is missing.
    sys_cfg.set("openssl.certificate", engine_cfg.introspection_tls_cert);
    sys_cfg.set("openssl.key", engine_cfg.introspection_tls_key);
    sys_cfg.set("openssl.cafile", engine_cfg.introspection_tls_ca);
    sys_cfg.load<caf::openssl::manager>();
  }
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
