// `derivcache run` and a host that builds the configuration in code report a bad value with the same text,
// and boolean keys take --key, --key=true and --key=false on the command line.
#include "actors/engine.hpp"
#include "messages/type_ids.hpp"
#include "support/process.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <gtest/gtest.h>

#include <csignal>
#include <functional>

using namespace derivcache;
using namespace std::chrono_literals;

namespace {

const std::string bin = DERIVCACHE_BIN;

// Nothing may leave the machine: Deribit at a closed loopback port, the Binance feed off.
std::vector<std::string> run_args(std::vector<std::string> extra) {
  std::vector<std::string> argv = {bin, "run", "--deribit.url=https://127.0.0.1:1", "--binance.symbols=[]"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

struct host_config : caf::actor_system_config {
  host_config() { add_message_types<caf::id_block::derivcache>(); }
};

} // namespace

TEST(Run, AHostSettingABadValueInCodeGetsTheMessageRunPrints) {
  struct bad_case {
    const char* argument;
    std::function<void(configuration::engine_config&)> set;
  };
  const bad_case cases[] = {
    {"--deribit.interval=0s", [](auto& c) { c.deribit.interval = 0s; }},
    {"--deribit.currencies=[\"BTC\", \"DOGE\"]", [](auto& c) { c.deribit.currencies = {"BTC", "DOGE"}; }},
    {"--supervisor.max-failures=0", [](auto& c) { c.supervisor.max_failures = 0; }},
    {"--thresholds.basis-extreme-contango=5", [](auto& c) { c.thresholds.basis.extreme_contango = 5; }},
    {"--log.level=loud", [](auto& c) { c.log.level = "loud"; }},
  };
  host_config sys_cfg;
  caf::actor_system sys{sys_cfg};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.argument);
    configuration::engine_config cfg;
    cfg.deribit.url = "https://127.0.0.1:1";
    cfg.binance.symbols.clear();
    c.set(cfg);
    std::string error;
    EXPECT_FALSE(actors::start_engine(sys, cfg, error));
    auto run = test::run_process(run_args({c.argument}), 20s);
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_EQ(run.err, "derivcache: " + error + "\n");
  }
}

TEST(Run, BooleanKeysStartWithTrueFalseOrTheBareFlag) {
  for (const auto& arg : {"--introspection.allow-control=true", "--introspection.allow-control",
                          "--introspection.allow-control=false"}) {
    SCOPED_TRACE(arg);
    test::child_process engine{run_args({arg})};
    ASSERT_TRUE(engine.wait_for_stderr("Derivatives Cache Monitor started", 15s)) << engine.stderr_text();
    EXPECT_EQ(engine.signal_and_wait(SIGTERM, 5s), 0) << engine.stderr_text();
  }
}

TEST(Run, ABooleanKeyWithAnotherValueStopsNamingTheKey) {
  auto run = test::run_process(run_args({"--introspection.allow-control=maybe"}), 20s);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.err, "derivcache: command line: --introspection.allow-control=maybe: expected true or false "
                     "(--introspection.allow-control or --introspection.allow-control=true|false)\n");
}

TEST(Run, TheHeadlineSkewOffTheSurfaceStopsStartUpNamingTheKey) {
  auto run = test::run_process(run_args({"--surface.tenors=7,90", "--surface.deltas=[0.25]"}), 20s);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.err, "derivcache: skew.tenor: 30 is not one of surface.tenors [7, 90]: the headline skew is the "
                     "surface's record at (skew.tenor, skew.delta)\n");
}

TEST(Run, ACommandLineErrorNamesTheArgumentAndItsForm) {
  auto run = test::run_process(run_args({"--deribit.interval=soon"}), 20s);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.err, "derivcache: command line: --deribit.interval=soon: expected a duration such as 300s or 5min "
                     "(--deribit.interval=300s)\n");
}
