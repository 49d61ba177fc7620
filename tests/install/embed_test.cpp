// The embedding example, built against the staged install, captures snapshots from an engine it hosts.
#include "sim/binance_sim.hpp"
#include "sim/deribit_sim.hpp"
#include "support/process.hpp"

#include <gtest/gtest.h>

using namespace derivcache;
using namespace std::chrono_literals;

TEST(EmbedExample, HostActorCapturesSnapshotsFromTheEmbeddedEngine) {
  sim::deribit_simulator deribit;
  auto d = deribit.start();
  ASSERT_TRUE(d) << d.error;
  sim::binance_simulator_options bopts;
  bopts.rate = 200;
  sim::binance_simulator binance{bopts};
  auto b = binance.start();
  ASSERT_TRUE(b) << b.error;
  const std::string ca = std::string{DERIVCACHE_BINARY_DIR} + "/certs/ca.pem";
  auto r = test::run_process({std::string{DERIVCACHE_BINARY_DIR} + "/embed-build/embed_example",
                              "--deribit.url=https://127.0.0.1:" + std::to_string(d.port), "--deribit.ca-file=" + ca,
                              "--deribit.currencies=[\"BTC\"]", "--binance.url=wss://127.0.0.1:" + std::to_string(b.port),
                              "--binance.ca-file=" + ca, "--captures=3"},
                             60s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 3) << r.out;
  EXPECT_NE(r.out.find("embed: captured BTCUSDT currency BTC"), std::string::npos) << r.out;
  // By the last capture (4 s in) the engine has fetched the real chain and seen Binance trades.
  auto last = r.out.substr(r.out.rfind("embed: captured"));
  EXPECT_NE(last.find("skew 6.32"), std::string::npos) << r.out << r.err;
  EXPECT_EQ(last.find("last price n/a"), std::string::npos) << r.out << r.err;
}
