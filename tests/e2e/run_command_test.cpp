// `derivcache run` as a user starts it: configuration errors and a clean stop on SIGTERM.
#include "sim/deribit_sim.hpp"
#include "support/process.hpp"
#include "support/temp_file.hpp"

#include <gtest/gtest.h>

using namespace derivcache;
using namespace std::chrono_literals;

namespace {

const std::string bin = std::string{DERIVCACHE_BINARY_DIR} + "/apps/derivcache";


// Every bad configuration points at a closed loopback port, so nothing leaves the machine even if a
// check were missed: the engine would fail to connect to 127.0.0.1:1.
test::process_result run_with(const std::string& ini_content, std::vector<std::string> extra = {}) {
  test::temp_file ini{".ini", ini_content};
  std::vector<std::string> argv = {bin, "run", "--config-file=" + ini.path};
  if (ini_content.find("url=") == std::string::npos)
    argv.push_back("--deribit.url=https://127.0.0.1:1");
  argv.push_back("--binance.url=wss://127.0.0.1:1");
  argv.insert(argv.end(), extra.begin(), extra.end());
  return test::run_process(argv, 20s);
}

} // namespace

TEST(RunCommand, ConfigErrorsStopStartUpNamingTheKey) {
  struct bad_case {
    const char* ini;
    const char* message;
  };
  const bad_case cases[] = {
    {"[deribit]\ninterval=60\n", "deribit.interval: expected a duration such as 300s or 5min, got 60"},
    {"[deribit]\nintervall=60s\n", "deribit.intervall: unknown key"},
    {"[deribit]\ninterval=0s\n", "deribit.interval: must be a positive duration"},
    {"[deribit]\ncurrencies=[\"BTC\", \"DOGE\"]\n", "deribit.currencies: unknown currency 'DOGE'"},
    {"[deribit]\nca-file=\"/nonexistent/ca.pem\"\n", "deribit.ca-file: cannot read '/nonexistent/ca.pem'"},
    {"[deribit]\nurl=\"http://127.0.0.1:1\"\n", "deribit.url: url 'http://127.0.0.1:1': scheme must be https"},
    {"[thresholds]\nbasis-extreme-contango=5\n",
     "thresholds.basis-extreme-contango (5) must be greater than thresholds.basis-contango (10)"},
    {"[supervisor]\nmax-failures=0\n", "supervisor.max-failures: must be at least 1"},
    {"[log]\nlevel=\"loud\"\n", "log.level: 'loud' is not debug, info, warn or error"},
    {"[binance]\nsymbol-currencies=[\"XBTUSDT=XBT\"]\n", "binance.symbol-currencies: 'XBTUSDT=XBT' is not SYMBOL=CURRENCY"},
    {"[snapshots]\ninterval=-5s\n", "snapshots.interval: must be a non-negative duration"},
  };
  for (const auto& c : cases) {
    auto r = run_with(c.ini);
    EXPECT_EQ(r.exit_code, 2) << c.ini;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.ini << "\n" << r.err;
  }
}

TEST(RunCommand, StoreAndOutcomeKeysAreCheckedAtStartUp) {
  const std::pair<const char*, const char*> cases[] = {
    {"[outcomes]\nhorizons=[\"5min\", \"soon\"]\n", "outcomes.horizons: 'soon' is not a duration of whole seconds"},
    {"[outcomes]\nhorizons=[\"1500ms\"]\n", "outcomes.horizons: '1500ms' is not a duration of whole seconds"},
    {"[outcomes]\nhorizons=[\"5min\", \"300s\"]\n", "outcomes.horizons: '300s' is listed twice"},
    {"[outcomes]\nhorizons=[]\n", "outcomes.horizons: must name at least one horizon"},
    {"[outcomes]\nmax-gap=0s\n", "outcomes.max-gap: must be a positive duration"},
    {"[outcomes]\nmax-gap=500ms\n", "outcomes.max-gap: must be at least 1s"},
    {"[snapshots]\ninterval=10s\nrecord=true\n", "snapshots.record: needs store.path"},
    {"[store]\npath=\"/nonexistent/dir/derivcache.db\"\n", "store.path: cannot open /nonexistent/dir/derivcache.db"},
  };
  for (const auto& [ini, message] : cases) {
    auto r = run_with(ini);
    EXPECT_EQ(r.exit_code, 2) << ini;
    EXPECT_NE(r.err.find(message), std::string::npos) << ini << "\n" << r.err;
  }
}

TEST(RunCommand, UnusableTlsFilesStopStartUpNamingTheKeyWithoutAPrompt) {
  const std::string certs = std::string{DERIVCACHE_BINARY_DIR} + "/certs/";
  test::temp_file text{".key", "not a key\n"};
  auto tls = [&](const std::string& key) {
    return "[introspection]\nport=0\ntls-cert=\"" + certs + "node.pem\"\ntls-key=\"" + key + "\"\ntls-ca=\"" + certs +
           "ca.pem\"\n";
  };
  const std::pair<std::string, std::string> cases[] = {
    {text.path, "derivcache: introspection.tls-key: '" + text.path + "' is not a PEM private key"},
    {certs + "server.key", "derivcache: introspection.tls-key: '" + certs + "server.key' does not match the certificate"},
    {certs + "node_encrypted.key",
     "derivcache: introspection.tls-key: '" + certs + "node_encrypted.key' is encrypted: derivcache never asks for a "
     "passphrase"},
  };
  for (const auto& [key, message] : cases) {
    // stdin is the test's (not a terminal): a prompt would wait until run_with's deadline and fail it.
    auto r = run_with(tls(key));
    EXPECT_EQ(r.exit_code, 2) << key << "\n" << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("listening"), std::string::npos) << r.err;
  }
}

TEST(RunCommand, ListenersThatCouldUseUpTheDescriptorReserveStopStartUp) {
  // Under a hard limit of 256 (util-linux prlimit, part of every Debian system): 100 guarded
  // introspection connections need 3 descriptors each on top of the reserve of 128.
  test::temp_file ini{".ini", "[deribit]\nurl=\"https://127.0.0.1:1\"\n[binance]\nsymbols=[]\n"
                              "[introspection]\nport=0\nmax-connections=100\n"};
  auto r = test::run_process({"/usr/bin/prlimit", "--nofile=256:256", bin, "run", "--config-file=" + ini.path}, 20s);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("derivcache: introspection.max-connections: 100 connections need 428 file descriptors with "
                       "its reserve of 128, and this process may open 256 (ulimit -n)"),
            std::string::npos)
    << r.err;
  test::child_process fits{{"/usr/bin/prlimit", "--nofile=256:256", bin, "run", "--config-file=" + ini.path,
                            "--introspection.max-connections=40"}};   // 128 + 120 fit
  EXPECT_TRUE(fits.wait_for_stderr("introspection listening on", 15s)) << fits.stderr_text();
  EXPECT_EQ(fits.signal_and_wait(SIGTERM, 5s), 0) << fits.stderr_text();
}

TEST(RunCommand, CommandLineValuesAreCheckedToo) {
  auto r = run_with("", {"--deribit.currencies=[\"XRP\"]"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("deribit.currencies: unknown currency 'XRP'"), std::string::npos) << r.err;
  auto bad = run_with("", {"--deribit.interval=soon"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("command line"), std::string::npos) << bad.err;
}

TEST(RunCommand, SigtermStopsTheEngineWithin2s) {
  sim::deribit_simulator simulator;
  auto started = simulator.start();
  ASSERT_TRUE(started) << started.error;
  test::temp_file ini{".ini", "[deribit]\nurl=\"https://127.0.0.1:" + std::to_string(started.port) +
                                "\"\nca-file=\"" + DERIVCACHE_BINARY_DIR + "/certs/ca.pem\"\n"
                                "currencies=[\"BTC\"]\n[binance]\nsymbols=[]\n[log]\ntag=\"SIMULATED\"\n"};
  test::child_process engine{{bin, "run", "--config-file=" + ini.path}};
  ASSERT_TRUE(engine.wait_for_stderr("📡 Derivatives Cache [BTC]: Basis=", 15s)) << engine.stderr_text();
  EXPECT_NE(engine.stderr_text().find("INFO [SIMULATED] 📡 Derivatives Cache Monitor started (interval: 300s)"),
            std::string::npos)
    << engine.stderr_text();
  EXPECT_EQ(engine.signal_and_wait(SIGTERM, 2s), 0) << engine.stderr_text();
  EXPECT_NE(engine.stderr_text().find("received SIGTERM, shutting down"), std::string::npos);
}

TEST(RunCommand, HelpListsEveryKey) {
  auto r = test::run_process({bin, "run", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--deribit.interval=300s"), std::string::npos);
  EXPECT_NE(r.out.find("--supervisor.max-failures=5"), std::string::npos);
}
