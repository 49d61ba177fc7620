// Remote introspection and metrics across processes: `derivcache run` publishes, other processes look.
#include "apps/analyze.hpp"
#include "sim/binance_sim.hpp"
#include "sim/deribit_sim.hpp"
#include "support/process.hpp"
#include "support/temp_file.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>
#include <sys/resource.h>

using namespace derivcache;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

const std::string bin_dir = std::string{DERIVCACHE_BINARY_DIR} + "/apps/";
const std::string ca = std::string{DERIVCACHE_BINARY_DIR} + "/certs/ca.pem";

/// A `derivcache run` child process and its config file (removed with it).
struct engine_process {
  std::unique_ptr<test::temp_file> ini;
  std::unique_ptr<test::child_process> child;
  test::child_process* operator->() const { return child.get(); }
};

/// `derivcache run` against `sim`, with the extra INI lines; nothing leaves 127.0.0.1.
engine_process start_engine(const sim::deribit_simulator& sim, const std::string& extra,
                            const std::string& binance = "symbols=[]\n") {
  auto ini = std::make_unique<test::temp_file>(
    ".ini", "[deribit]\nurl=\"https://127.0.0.1:" + std::to_string(sim.port()) + "\"\nca-file=\"" + ca +
              "\"\ncurrencies=[\"BTC\"]\ninterval=1s\n[binance]\n" + binance + extra);
  auto child = std::make_unique<test::child_process>(
    std::vector<std::string>{bin_dir + "derivcache", "run", "--config-file=" + ini->path});
  return {std::move(ini), std::move(child)};
}

/// Both simulators (Binance at 200 frames/s) and the [binance] lines that point the engine at the second.
struct simulators {
  sim::deribit_simulator deribit;
  sim::binance_simulator binance{[] {
    sim::binance_simulator_options opts;
    opts.rate = 200;
    return opts;
  }()};
  std::string feed;

  bool start() {
    auto b = binance.start();
    feed = "url=\"wss://127.0.0.1:" + std::to_string(b.port) + "\"\nca-file=\"" + ca + "\"\n";
    return deribit.start() && b;
  }

  /// `derivcache run` against both, with introspection on an ephemeral port and the extra INI lines after it.
  engine_process engine(const std::string& extra = "") const {
    return start_engine(deribit, "[introspection]\nport=0\n" + extra, feed);
  }
};

std::string store_at(const std::string& path) { return "[store]\npath=\"" + path + "\"\n"; }

/// The port in "<what> listening on 127.0.0.1:PORT", once the engine printed it (publishing is asynchronous:
/// the line may come after the first cache update), or "" after 20 s.
std::string listening_port(const engine_process& engine, const std::string& what) {
  if (!engine->wait_for_stderr(what + " listening on 127.0.0.1:", 20s))
    return "";
  std::smatch m;
  const auto log = engine->stderr_text();
  std::regex re{what + " listening on 127\\.0\\.0\\.1:([0-9]+)"};
  return std::regex_search(log, m, re) ? m[1].str() : "";
}

test::process_result inspect(const std::string& port, std::vector<std::string> args) {
  args.insert(args.begin(), {bin_dir + "derivcache-inspect", "127.0.0.1", port});
  return test::run_process(args, 20s);
}

boost::json::value inspect_json(const std::string& port, const std::string& command) {
  auto r = inspect(port, {command, "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.exit_code == 0 ? boost::json::parse(r.out) : boost::json::value{};
}

/// A plain HTTP GET on loopback: status code and body.
std::pair<int, std::string> http_get(const std::string& port, const std::string& target) {
  asio::io_context ioc;
  asio::ip::tcp::socket socket{ioc};
  boost::system::error_code ec;
  socket.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(std::stoi(port))}, ec);
  if (ec)
    return {0, ec.message()};
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  asio::write(socket, asio::buffer(request), ec);
  std::string response;
  asio::read(socket, asio::dynamic_buffer(response), ec);   // until the server closes
  if (response.size() < 12)
    return {0, response};
  auto body = response.find("\r\n\r\n");
  return {std::stoi(response.substr(9, 3)), body == std::string::npos ? "" : response.substr(body + 4)};
}

/// Polls `probe` (bounded) until it returns true; the engine runs in another process, so its progress
/// can only be observed, not driven.
template <class Probe>
bool eventually(Probe probe, std::chrono::seconds limit = 20s) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (probe())
      return true;
    usleep(100'000);   // between probes of another process's progress; the loop is bounded by `limit`
  }
  return false;
}

/// The value of the Prometheus sample `name{labels}`, or -1 when it is missing.
long sample_of(const std::string& metrics, const std::string& series) {
  const auto at = metrics.find("\n" + series + " ");
  return at == std::string::npos ? -1 : std::stol(metrics.substr(at + series.size() + 2));
}

} // namespace

TEST(Introspection, RemoteInspectAndSubscriberSeeTheEnginesValues) {
  sim::deribit_simulator simulator;
  ASSERT_TRUE(simulator.start());
  auto engine = start_engine(simulator, "[introspection]\nport=0\nmax-subscribers=2\n");
  // The volatility line comes once the cycle's skew reading and its DVOL are both in the cache.
  ASSERT_TRUE(engine->wait_for_stderr("📈 Volatility [BTC]", 20s)) << engine->stderr_text();
  const auto port = listening_port(engine, "introspection");
  ASSERT_FALSE(port.empty()) << engine->stderr_text();

  // The same numbers as derivcache analyze on the files the simulator serves.
  std::ostringstream out, err;
  const auto dir = sim::default_data_dir();
  ASSERT_EQ(apps::run_analyze({"--currency", "BTC", "--options", dir + "/book_summary.BTC.option.json", "--futures",
                               dir + "/book_summary.BTC.future.json", "--dvol", dir + "/volatility_index.BTC.json"},
                              out, err),
            0) << err.str();
  auto expected = boost::json::parse(out.str());
  auto cache = inspect_json(port, "cache");
  ASSERT_TRUE(cache.is_array() && cache.as_array().size() == 1u) << cache;
  const auto& btc = cache.as_array()[0];
  EXPECT_EQ(btc.at("currency"), "BTC");
  EXPECT_DOUBLE_EQ(btc.at("skew").at("value_pct").to_number<double>(),
                   expected.at("skew").at("value_pct").to_number<double>());
  EXPECT_DOUBLE_EQ(btc.at("basis").at("apr_pct").to_number<double>(),
                   expected.at("basis").at("apr_pct").to_number<double>());
  EXPECT_EQ(btc.at("skew").at("state"), expected.at("skew").at("state"));
  // The surface, the basis at constant maturities and the MFIV cross the network as analyze computes them.
  const auto& surface = btc.at("surface").as_array();
  ASSERT_EQ(surface.size(), expected.at("surface").as_array().size());
  for (std::size_t t = 0; t < surface.size(); ++t) {
    const auto& want = expected.at("surface").at(t);
    EXPECT_EQ(surface[t].at("atm_iv"), want.at("atm_iv")) << t;
    for (std::size_t d = 0; d < want.at("deltas").as_array().size(); ++d)
      EXPECT_EQ(surface[t].at("deltas").at(d).at("skew"), want.at("deltas").at(d).at("skew")) << t << " " << d;
  }
  EXPECT_EQ(btc.at("basis_cm"), expected.at("basis_cm"));
  EXPECT_EQ(btc.at("mfiv").at("value_pct"), expected.at("mfiv").at("value_pct"));
  EXPECT_FALSE(btc.at("mfiv").at("value_pct").is_null());
  // DVOL beside it, and the MFIV minus DVOL.
  for (const char* field : {"close", "time_ms", "candles", "mfiv_minus_dvol"})
    EXPECT_EQ(btc.at("dvol").at(field), expected.at("dvol").at(field)) << field;
  EXPECT_FALSE(btc.at("dvol").at("mfiv_minus_dvol").is_null());

  auto status = inspect_json(port, "status");
  EXPECT_EQ(status.at("version"), DERIVCACHE_VERSION_TEXT);
  EXPECT_EQ(status.at("allow_control"), false);

  // A remote subscriber in another process receives new readings (one cycle a second).
  test::child_process watcher{{bin_dir + "derivcache-inspect", "127.0.0.1", port, "watch", "--json"}, true};
  ASSERT_TRUE(watcher.wait_for_stderr("\"currency\":\"BTC\"", 10s)) << watcher.stderr_text();
  ASSERT_TRUE(watcher.wait_for_stderr("\"pushed_ns\":", 10s)) << watcher.stderr_text();   // the cache's push time
  EXPECT_TRUE(eventually([&] { return inspect_json(port, "status").at("subscribers") == 1; }));

  // Killing it does not disturb the engine: the subscriber is dropped and the engine keeps answering.
  watcher.kill_hard();
  EXPECT_TRUE(eventually([&] { return inspect_json(port, "status").at("subscribers") == 0; }));
  EXPECT_EQ(inspect(port, {"actors"}).exit_code, 0);
  EXPECT_EQ(engine->signal_and_wait(SIGTERM, 3s), 0) << engine->stderr_text();
}

TEST(Introspection, RemoteControlIsRefusedUnlessAllowed) {
  sim::deribit_simulator simulator;
  ASSERT_TRUE(simulator.start());
  auto read_only = start_engine(simulator, "[introspection]\nport=0\n");
  const auto read_only_port = listening_port(read_only, "introspection");
  ASSERT_FALSE(read_only_port.empty()) << read_only->stderr_text();
  auto r = inspect(read_only_port, {"refresh"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("forbidden: remote control is off (introspection.allow-control)"), std::string::npos) << r.err;
  EXPECT_EQ(read_only->signal_and_wait(SIGTERM, 3s), 0);

  auto controlled = start_engine(simulator, "[introspection]\nport=0\nallow-control=true\n");
  const auto controlled_port = listening_port(controlled, "introspection");
  ASSERT_FALSE(controlled_port.empty()) << controlled->stderr_text();
  r = inspect(controlled_port, {"refresh"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(controlled->wait_for_stderr("refresh requested remotely", 5s)) << controlled->stderr_text();
}

TEST(Introspection, InspectFailsClearlyOnDeadSilentAndForeignPeers) {
  // A dead port: nothing listens (a simulator started and stopped frees its port).
  sim::deribit_simulator stopped;
  ASSERT_TRUE(stopped.start());
  const auto dead = std::to_string(stopped.port());
  stopped.stop();
  auto r = inspect(dead, {"status", "--timeout", "2"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot connect to 127.0.0.1:" + dead), std::string::npos) << r.err;

  // A silent peer: the kernel completes the TCP handshake, nobody ever speaks.
  asio::io_context ioc;
  asio::ip::tcp::acceptor silent{ioc, {asio::ip::make_address("127.0.0.1"), 0}};
  const auto silent_port = std::to_string(silent.local_endpoint().port());
  const auto started = std::chrono::steady_clock::now();
  r = inspect(silent_port, {"status", "--timeout", "2"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no answer within 2s"), std::string::npos) << r.err;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);

  // A peer that is not derivcache (the HTTPS simulator).
  sim::deribit_simulator foreign;
  ASSERT_TRUE(foreign.start());
  r = inspect(std::to_string(foreign.port()), {"status", "--timeout", "2"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot connect"), std::string::npos) << r.err;
}

/// VmRSS of a process in kB, 0 when unknown.
long rss_kb(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stol(line.substr(6));
  return 0;
}

TEST(Introspection, PeersThatDoNotSpeakCafDoNotHarmTheEngine) {
  sim::deribit_simulator simulator;
  ASSERT_TRUE(simulator.start());
  auto engine = start_engine(simulator, "[introspection]\nport=0\n[metrics]\nport=0\n");
  ASSERT_TRUE(engine->wait_for_stderr("📡 Derivatives Cache [BTC]", 20s)) << engine->stderr_text();
  const auto port = listening_port(engine, "introspection");
  ASSERT_FALSE(port.empty()) << engine->stderr_text();
  const auto metrics_port = listening_port(engine, "metrics");
  auto before = inspect_json(port, "cache");
  ASSERT_TRUE(before.is_array() && before.as_array().size() == 1u) << before;
  const auto rss_before = rss_kb(engine->pid());

  // A BASP header (32 bytes: operation, padding, flags, payload length, operation data, two actor ids) that
  // announces a client handshake with a ~2 GiB payload, then nothing more.
  std::string huge_header(32, '\0');
  huge_header[0] = 0x01;
  huge_header[4] = 0x7f;
  huge_header[5] = huge_header[6] = huge_header[7] = static_cast<char>(0xff);
  std::string garbage;
  for (int i = 0; i < 4096; ++i)
    garbage += static_cast<char>((i * 7919) % 251);
  const std::vector<std::pair<const char*, std::string>> peers = {
    {"garbage", garbage},
    {"HTTP request", "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"},
    {"truncated BASP header", huge_header.substr(0, 13)},
    {"BASP header announcing 2 GiB", huge_header},
    {"silent", ""},
  };
  asio::io_context ioc;
  for (const auto& [what, bytes] : peers) {
    SCOPED_TRACE(what);
    asio::ip::tcp::socket socket{ioc};
    boost::system::error_code ec;
    socket.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(std::stoi(port))}, ec);
    ASSERT_FALSE(ec) << ec.message();
    if (!bytes.empty())
      asio::write(socket, asio::buffer(bytes), ec);
    // The engine answers (its own handshake) or closes; either way it must go on serving real clients.
    EXPECT_EQ(inspect(port, {"status"}).exit_code, 0) << engine->stderr_text();
    socket.close(ec);
  }

  // Still up, still serving the same values, and no runaway allocation.
  auto status = inspect(port, {"status"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  auto after = inspect_json(port, "cache");
  ASSERT_TRUE(after.is_array() && after.as_array().size() == 1u) << after;
  EXPECT_EQ(after.as_array()[0].at("skew").at("value_pct"), before.as_array()[0].at("skew").at("value_pct"));
  EXPECT_EQ(after.as_array()[0].at("basis").at("apr_pct"), before.as_array()[0].at("basis").at("apr_pct"));
  EXPECT_LT(rss_kb(engine->pid()), rss_before + 64 * 1024) << "RSS grew by more than 64 MiB";
  // The guard closed the 2 GiB announcement (the garbage may count too) before CAF saw it.
  const auto metrics = http_get(metrics_port, "/metrics").second;
  std::smatch oversized;
  ASSERT_TRUE(std::regex_search(metrics, oversized,
                                std::regex{R"re(derivcache_introspection_connections_refused_total\{reason="oversized"\} ([0-9]+))re"}))
    << metrics;
  EXPECT_GE(std::stoi(oversized[1]), 1);
  EXPECT_EQ(engine->signal_and_wait(SIGTERM, 3s), 0) << engine->stderr_text();
}

/// CPU seconds (user + system) a process has used, from /proc/<pid>/stat.
double cpu_seconds(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::string text{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
  std::istringstream fields{text.substr(text.rfind(')') + 2)};   // after "pid (comm) "
  std::string field;
  long ticks = 0;
  for (int i = 3; fields >> field && i <= 15; ++i)
    if (i == 14 || i == 15)
      ticks += std::stol(field);
  return static_cast<double>(ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

TEST(Introspection, ElevenHundredIdleConnectionsAndHugeAnnouncementsLeaveTheEngineWorking) {
  rlimit nofile{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &nofile), 0);
  if (nofile.rlim_max < 1300)
    GTEST_SKIP() << "this test opens 1,103 connections; the hard descriptor limit is " << nofile.rlim_max;
  nofile.rlim_cur = std::max<rlim_t>(nofile.rlim_cur, 1300);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &nofile), 0);
  sim::deribit_simulator simulator;
  ASSERT_TRUE(simulator.start());
  auto engine = start_engine(simulator, "[introspection]\nport=0\n[metrics]\nport=0\n");
  const auto port = listening_port(engine, "introspection");
  const auto metrics_port = listening_port(engine, "metrics");
  ASSERT_FALSE(port.empty() || metrics_port.empty()) << engine->stderr_text();
  const asio::ip::tcp::endpoint at{asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(std::stoi(port))};
  const auto rss_before = rss_kb(engine->pid());

  // Three peers announce a 1.9 GiB handshake payload, then 1,100 connect and stay silent.
  std::string announcement(32, '\0');
  announcement[0] = 0x01;
  announcement[4] = 0x79;
  announcement[5] = announcement[6] = announcement[7] = static_cast<char>(0x99);
  asio::io_context ioc;
  std::vector<asio::ip::tcp::socket> peers;
  for (int i = 0; i < 1103; ++i) {
    peers.emplace_back(ioc);
    boost::system::error_code ec;
    peers.back().connect(at, ec);
    ASSERT_FALSE(ec) << i << ": " << ec.message();
    if (i < 3)
      asio::write(peers.back(), asio::buffer(announcement), ec);
  }
  // The guard has dealt with every peer: the announcements closed before CAF saw them, the connections beyond
  // the cap accepted and closed at once.
  auto refused = [&](const std::string& reason) {
    return sample_of(http_get(metrics_port, "/metrics").second,
                     "derivcache_introspection_connections_refused_total{reason=\"" + reason + "\"}");
  };
  EXPECT_TRUE(eventually([&] { return refused("over_cap") >= 1103 - 64 - 3; })) << refused("over_cap");
  EXPECT_EQ(refused("oversized"), 3);

  // Then, with 64 silent connections held, the engine idles between its cycles (interval 1 s): it keeps
  // fetching (two more cycle summaries), over those cycles its CPU use stays low (no accept loop spinning),
  // and its memory stays flat (nothing was allocated for the announcements).
  const std::string summary = "📡 Derivatives Cache [BTC]";
  // Reading up to the next summary takes in everything printed so far: the window starts at a cycle.
  ASSERT_TRUE(engine->wait_for_stderr(summary, 20s, engine->occurrences(summary) + 1)) << engine->stderr_text();
  const auto cycles_before = engine->occurrences(summary);
  const auto cpu_before = cpu_seconds(engine->pid());
  const auto wall_before = std::chrono::steady_clock::now();
  ASSERT_TRUE(engine->wait_for_stderr(summary, 20s, cycles_before + 2)) << "no new readings while the peers wait";
  const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - wall_before;
  EXPECT_LT((cpu_seconds(engine->pid()) - cpu_before) / wall.count(), 0.20);
  EXPECT_LT(rss_kb(engine->pid()), rss_before + 64 * 1024) << "RSS grew by more than 64 MiB";
  EXPECT_EQ(engine->signal_and_wait(SIGTERM, 10s), 0) << engine->stderr_text();
}

TEST(Metrics, SixtyFourIdleConnectionsDoNotStarveHealthz) {
  sim::deribit_simulator simulator;
  ASSERT_TRUE(simulator.start());
  auto engine = start_engine(simulator, "[metrics]\nport=0\n");
  const auto port = listening_port(engine, "metrics");
  ASSERT_FALSE(port.empty()) << engine->stderr_text();
  asio::io_context ioc;
  std::vector<asio::ip::tcp::socket> idle;
  for (int i = 0; i < 64; ++i) {   // the server's cap: each connects and sends nothing
    idle.emplace_back(ioc);
    idle.back().connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(std::stoi(port))});
  }
  const auto started = std::chrono::steady_clock::now();
  const auto [code, body] = http_get(port, "/healthz");
  EXPECT_TRUE(code == 200 || code == 503) << code << " " << body;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  EXPECT_EQ(engine->signal_and_wait(SIGTERM, 5s), 0) << engine->stderr_text();
}

TEST(Metrics, HealthzGoes503WhenTheSimulatorStopsAnsweringAndBackTo200) {
  sim::deribit_simulator simulator;
  ASSERT_TRUE(simulator.start());
  auto engine = start_engine(simulator, "timeout=300ms\n[supervisor]\nmin-backoff=100ms\nrate-limit-min-backoff=100ms\n"
                                        "max-backoff=500ms\n[metrics]\nport=0\n");
  const auto port = listening_port(engine, "metrics");
  ASSERT_FALSE(port.empty()) << engine->stderr_text();
  ASSERT_TRUE(eventually([&] { return http_get(port, "/healthz").first == 200; })) << http_get(port, "/healthz").second;

  simulator.inject(sim::fault::stall, 1000);   // the simulator stops answering
  ASSERT_TRUE(eventually([&] { return http_get(port, "/healthz").first == 503; }));
  auto [code, body] = http_get(port, "/healthz");
  EXPECT_EQ(code, 503);
  EXPECT_NE(body.find("\"status\":\"unhealthy\""), std::string::npos) << body;
  EXPECT_TRUE(body.find("fetcher") != std::string::npos || body.find("STALE") != std::string::npos) << body;

  simulator.clear_faults();                    // and answers again
  EXPECT_TRUE(eventually([&] { return http_get(port, "/healthz").first == 200; })) << http_get(port, "/healthz").second;
  auto metrics = http_get(port, "/metrics");
  EXPECT_EQ(metrics.first, 200);
  EXPECT_NE(metrics.second.find("derivcache_skew_pct{currency=\"BTC\"}"), std::string::npos);
  EXPECT_EQ(engine->signal_and_wait(SIGTERM, 3s), 0);
}

TEST(Introspection, ReportsTheBinanceFeed) {
  simulators sims;
  ASSERT_TRUE(sims.start());
  auto engine = sims.engine();
  ASSERT_TRUE(engine->wait_for_stderr("binance: connected", 20s)) << engine->stderr_text();
  const auto port = listening_port(engine, "introspection");
  ASSERT_TRUE(eventually([&] { return inspect_json(port, "feed").at("agg_trades").to_number<int64_t>() > 0; }));
  auto feed = inspect_json(port, "feed");
  EXPECT_EQ(feed.at("connected"), true);
  EXPECT_EQ(feed.at("malformed"), 0);
  EXPECT_TRUE(feed.at("lag_s").is_number()) << feed;
  auto actors = inspect_json(port, "actors");
  bool feed_listed = false;
  for (const auto& a : actors.as_array())
    feed_listed |= a.at("role") == "binance_feed" && a.at("alive") == true;
  EXPECT_TRUE(feed_listed) << actors;
}

TEST(Introspection, MutualTlsLinkRefusesAPlainClient) {
  sim::deribit_simulator simulator;
  ASSERT_TRUE(simulator.start());
  const std::string certs = std::string{DERIVCACHE_BINARY_DIR} + "/certs/";
  auto engine = start_engine(simulator, "[introspection]\nport=0\ntls-cert=\"" + certs + "node.pem\"\ntls-key=\"" +
                                          certs + "node.key\"\ntls-ca=\"" + certs + "ca.pem\"\n");
  ASSERT_TRUE(engine->wait_for_stderr("(TLS)", 20s)) << engine->stderr_text();
  const auto port = listening_port(engine, "introspection");
  auto tls = inspect(port, {"status", "--tls-cert", certs + "node.pem", "--tls-key", certs + "node.key", "--tls-ca",
                            certs + "ca.pem"});
  EXPECT_EQ(tls.exit_code, 0) << tls.err;
  EXPECT_NE(tls.out.find("version"), std::string::npos);
  auto plain = inspect(port, {"status", "--timeout", "2"});
  EXPECT_EQ(plain.exit_code, 1);
  auto half = inspect(port, {"status", "--tls-cert", certs + "node.pem"});
  EXPECT_EQ(half.exit_code, 2);
  EXPECT_NE(half.err.find("all three or none"), std::string::npos) << half.err;
}

TEST(Introspection, InspectShowsTheStoresCountsAsPeriodicSnapshotsAreRecorded) {
  simulators sims;
  ASSERT_TRUE(sims.start());
  test::temp_db store;
  auto engine = sims.engine("[snapshots]\ninterval=1s\npath=\"\"\nrecord=true\n" + store_at(store.path));
  const auto port = listening_port(engine, "introspection");
  ASSERT_FALSE(port.empty()) << engine->stderr_text();
  ASSERT_TRUE(eventually([&] { return inspect_json(port, "store").at("recorded").to_number<int64_t>() >= 2; }))
    << engine->stderr_text();
  auto counts = inspect_json(port, "store");
  EXPECT_EQ(counts.at("path").as_string(), store.path);
  // Three default horizons per snapshot, none due yet (the first is 5 minutes out).
  EXPECT_EQ(counts.at("pending").to_number<int64_t>(), 3 * counts.at("recorded").to_number<int64_t>());
  EXPECT_EQ(counts.at("labelled").to_number<int64_t>(), 0);
  auto text = inspect(port, {"store"});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("recorded"), std::string::npos) << text.out;
  // A clean stop commits what is queued and checkpoints the WAL (fsyncs): allow for a loaded disk.
  EXPECT_EQ(engine->signal_and_wait(SIGTERM, 20s), 0) << engine->stderr_text();

  auto plain = start_engine(sims.deribit, "[introspection]\nport=0\n");   // no store.path: the store is off
  const auto plain_port = listening_port(plain, "introspection");
  ASSERT_FALSE(plain_port.empty()) << plain->stderr_text();
  auto off = inspect(plain_port, {"store"});
  EXPECT_EQ(off.exit_code, 1);
  EXPECT_NE(off.err.find("the store is off (store.path is empty)"), std::string::npos) << off.err;
}

TEST(Introspection, AHostilePeerCanNeitherWriteNorKill) {
  simulators sims;
  ASSERT_TRUE(sims.start());
  test::temp_db store;
  auto engine = sims.engine(store_at(store.path) + "[metrics]\nport=0\n");
  ASSERT_TRUE(engine->wait_for_stderr("binance: connected", 20s)) << engine->stderr_text();
  // The cache has BTC's readings (the feed may connect before the first cycle's readings land).
  ASSERT_TRUE(engine->wait_for_stderr("📡 Derivatives Cache [BTC]", 20s)) << engine->stderr_text();
  const auto port = listening_port(engine, "introspection");
  const auto metrics_port = listening_port(engine, "metrics");
  ASSERT_FALSE(port.empty() || metrics_port.empty()) << engine->stderr_text();
  const auto before = inspect_json(port, "cache");
  ASSERT_TRUE(before.is_array() && before.as_array().size() == 1u) << before;

  auto attack = test::run_process({ATTACK_CLIENT, "127.0.0.1", port}, 60s);
  ASSERT_EQ(attack.exit_code, 0) << attack.out << attack.err;
  // One handle only: every update and every reply came from the gateway.
  EXPECT_NE(attack.out.find("learned 1\n"), std::string::npos) << attack.out;
  EXPECT_NE(attack.out.find("ConfigServ: unreachable"), std::string::npos) << attack.out;
  EXPECT_NE(attack.out.find("SpawnServ: unreachable"), std::string::npos) << attack.out;

  // The kill ended one incarnation; a new one answers on the same port with the simulator's values.
  ASSERT_TRUE(eventually([&] { return http_get(metrics_port, "/healthz").first == 200; }))
    << http_get(metrics_port, "/healthz").second;
  const auto after = inspect_json(port, "cache");
  ASSERT_TRUE(after.is_array() && after.as_array().size() == 1u) << after;
  EXPECT_EQ(after.as_array()[0].at("basis").at("apr_pct"), before.as_array()[0].at("basis").at("apr_pct"));
  EXPECT_EQ(after.as_array()[0].at("skew").at("value_pct"), before.as_array()[0].at("skew").at("value_pct"));
  EXPECT_EQ(inspect(port, {"status"}).exit_code, 0);
  EXPECT_EQ(inspect_json(port, "store").at("recorded").to_number<int64_t>(), 0);

  // Each attempt is counted (and logged at WARN with the peer's node).
  const auto metrics = http_get(metrics_port, "/metrics").second;
  auto refused = [&](const std::string& kind) {
    return sample_of(metrics, "derivcache_gateway_refused_messages_total{kind=\"" + kind + "\"}");
  };
  EXPECT_EQ(refused("unexpected"), 6) << metrics;   // basis, skew, frames, spot batch, bar batch, store record
  EXPECT_EQ(refused("record"), 1) << metrics;
  EXPECT_EQ(refused("update"), 1) << metrics;
  EXPECT_EQ(refused("error"), 1) << metrics;
  EXPECT_EQ(refused("exit"), 2) << metrics;         // user_shutdown refused; kill: the incarnation was replaced
  EXPECT_EQ(sample_of(metrics, "derivcache_gateway_restarts_total"), 1) << metrics;
  EXPECT_EQ(sample_of(metrics, "derivcache_gateway_up"), 1) << metrics;
  EXPECT_TRUE(engine->wait_for_stderr("WARN introspection: refused a derivatives_update not sent by the cache holder "
                                      "from node ",
                                      5s))
    << engine->stderr_text();
  EXPECT_EQ(engine->signal_and_wait(SIGTERM, 20s), 0) << engine->stderr_text();
}

TEST(Introspection, RemoteRecordIsRefusedUnlessAllowedAndThenCommittedOnce) {
  simulators sims;
  ASSERT_TRUE(sims.start());
  test::temp_db store;
  const std::vector<std::string> record = {"record", "--kind", "order", "--id", "o-1", "--symbol", "BTCUSDT",
                                           "--attributes", R"({"side":"sell"})", "--json"};
  {
    auto engine = sims.engine(store_at(store.path));
    ASSERT_TRUE(engine->wait_for_stderr("binance: connected", 20s)) << engine->stderr_text();
    auto r = inspect(listening_port(engine, "introspection"), record);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("forbidden: remote record is off (introspection.allow-record)"), std::string::npos) << r.err;
    EXPECT_EQ(engine->signal_and_wait(SIGTERM, 20s), 0) << engine->stderr_text();
  }
  auto engine = sims.engine("allow-record=true\n" + store_at(store.path));
  ASSERT_TRUE(engine->wait_for_stderr("binance: connected", 20s)) << engine->stderr_text();
  const auto port = listening_port(engine, "introspection");
  auto first = inspect(port, record);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  auto reply = boost::json::parse(first.out);
  EXPECT_EQ(reply.at("created"), true);
  auto again = inspect(port, record);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(boost::json::parse(again.out).at("created"), false);
  EXPECT_EQ(boost::json::parse(again.out).at("snapshot"), reply.at("snapshot"));
  auto counts = inspect_json(port, "store");
  EXPECT_EQ(counts.at("recorded").to_number<int64_t>(), 1);
  EXPECT_EQ(counts.at("pending").to_number<int64_t>(), 3);
  EXPECT_EQ(engine->signal_and_wait(SIGTERM, 20s), 0) << engine->stderr_text();
  // The reply came after COMMIT: the row is in the file the engine left.
  auto exported = test::run_process({bin_dir + "derivcache", "export", "--since", "2000-01-01", "--until", "2100-01-01",
                                     "--store", store.path});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  auto row = boost::json::parse(exported.out);
  EXPECT_EQ(row.at("event_id"), "o-1");
  EXPECT_EQ(row.at("side"), "short");
  EXPECT_EQ(row.at("symbol"), "BTCUSDT");
}
