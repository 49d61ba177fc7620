// derivcache-soak: `derivcache run` against the loopback simulators with random faults injected at a steady
// rate, snapshots captured continuously, RSS sampled; prints a report and fails on a broken promise.
// Run by `make soak SOAK_MINUTES=N`; see docs/reliability.md for the rules.
#include "sim/binance_sim.hpp"
#include "sim/deribit_sim.hpp"
#include "store/sqlite.hpp"

#include <boost/json.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace derivcache;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

const char* const usage =
  "usage: derivcache-soak [--seconds N | --minutes N] [--seed N] [--fault-every-ms N] [--min-fresh-pct N]\n"
  "                       [--engine PATH]\n"
  "Runs `derivcache run` against the loopback simulators with a time-compressed configuration\n"
  "(interval 2s, cache.max-age 6s, binance.stale-after 3s), injects a random fault every N ms (default 5000),\n"
  "captures a BTCUSDT snapshot every 250 ms and samples RSS; prints a report; exit 1 on a failed check\n"
  "(among them: an input FRESH in fewer than N% of the snapshots, default 50).\n";

// The time-compressed configuration; the checks below use the same numbers.
constexpr auto max_age = 6s;
constexpr auto stale_after = 3s;
constexpr auto capture_every = 250ms;
constexpr auto sample_every = 2s;
constexpr auto answer_bound = 2s;   // a capture not answered within this is "unanswered"
// RSS is judged after the longest rolling window has filled once (quant::rolling_features, 300 s), by the
// least-squares slope over the second half of the run, which must then start after that warm-up.
constexpr auto warm_up = 300s;
constexpr double max_rss_slope_kb_per_s = 1024.0 / 600.0;   // 1 MiB per 10 minutes
// A store lock is held longer than the store's busy timeout (5 s), so writes fail and are retried.
constexpr auto store_lock_hold = 7s;
// A Retry-After longer than the soak's supervisor.max-backoff (4 s).
constexpr auto long_retry_after = 10s;

struct options {
  std::chrono::seconds duration{600};
  uint64_t seed = 1;
  std::chrono::milliseconds fault_every{5000};
  long long min_fresh_pct = 50;   ///< each input must be FRESH in at least this share of the snapshots
  std::string engine;
};

/// A GET on 127.0.0.1:port with `answer_bound` send/receive timeouts: status and body (status 0: no answer).
std::pair<int, std::string> http_get(uint16_t port, const std::string& target) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return {0, "socket"};
  timeval tv{static_cast<time_t>(answer_bound.count()), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  const auto deadline = steady::now() + answer_bound;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
      char buf[16384];
      ssize_t n;
      while (steady::now() < deadline && (n = ::recv(fd, buf, sizeof buf, 0)) > 0)
        response.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  if (response.size() < 12 || response.compare(0, 5, "HTTP/") != 0)
    return {0, response};
  auto body = response.find("\r\n\r\n");
  return {std::atoi(response.substr(9, 3).c_str()), body == std::string::npos ? "" : response.substr(body + 4)};
}

/// VmRSS and VmHWM of `pid` in kB.
std::pair<long, long> memory_kb(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
  std::string line;
  long rss = 0, hwm = 0;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0)
      rss = std::atol(line.c_str() + 6);
    else if (line.rfind("VmHWM:", 0) == 0)
      hwm = std::atol(line.c_str() + 6);
  }
  return {rss, hwm};
}

std::string read_all(const std::string& path) {
  std::ifstream in{path};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Sums the samples of a Prometheus metric, per value of `label` (empty label: one total under "").
std::map<std::string, double> metric(const std::string& text, const std::string& name, const std::string& label = {}) {
  std::map<std::string, double> out;
  std::istringstream in{text};
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line.compare(0, name.size(), name) != 0)
      continue;
    const char next = line.size() > name.size() ? line[name.size()] : '\0';
    if (next != ' ' && next != '{')
      continue;
    std::string key;
    if (!label.empty()) {
      auto at = line.find(label + "=\"");
      if (at == std::string::npos)
        continue;
      at += label.size() + 2;
      key = line.substr(at, line.find('"', at) - at);
    }
    out[key] += std::atof(line.c_str() + line.rfind(' ') + 1);
  }
  return out;
}

bool parse_args(int argc, char** argv, options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::optional<long long> {
      if (i + 1 >= argc)
        return std::nullopt;
      char* end = nullptr;
      auto v = std::strtoll(argv[++i], &end, 10);
      if (!end || *end || v < 0)
        return std::nullopt;
      return v;
    };
    if (a == "--engine" && i + 1 < argc) {
      o.engine = argv[++i];
      continue;
    }
    auto v = value();
    if (!v)
      return false;
    if (a == "--seconds")
      o.duration = std::chrono::seconds{*v};
    else if (a == "--minutes")
      o.duration = std::chrono::minutes{*v};
    else if (a == "--seed")
      o.seed = static_cast<uint64_t>(*v);
    else if (a == "--fault-every-ms")
      o.fault_every = std::chrono::milliseconds{std::max<long long>(*v, 100)};
    else if (a == "--min-fresh-pct" && *v >= 0 && *v <= 100)
      o.min_fresh_pct = *v;
    else
      return false;
  }
  return o.duration.count() > 0;
}

/// A write lock on the engine's store, taken from a second SQLite connection and released later.
struct store_lock {
  std::string path;
  std::optional<store::connection> holder;
  steady::time_point until{};

  void take(steady::time_point now) {
    if (holder)
      return;
    try {
      holder.emplace(path, false);
      holder->exec("BEGIN EXCLUSIVE");
      until = now + store_lock_hold;
    } catch (const store::error& e) {
      std::cerr << "soak: store lock: " << e.what() << "\n";
      holder.reset();
    }
  }
  void release_when_due(steady::time_point now) {
    if (holder && now >= until) {
      holder->exec("ROLLBACK");
      holder.reset();
    }
  }
};

/// What a fault acts on.
struct soak_targets {
  sim::deribit_simulator& deribit;
  sim::binance_simulator& binance;
  store_lock& store;
  std::mt19937_64& rng;
};

/// The faults the soak draws from, with how to inject each.
struct soak_fault {
  const char* name;
  std::function<void(soak_targets&)> inject;
};

/// The least-squares slope of (t, kb) in kB per second; 0 with fewer than two points.
double slope_kb_per_s(const std::vector<std::pair<double, long>>& samples) {
  if (samples.size() < 2)
    return 0;
  double mt = 0, mk = 0;
  for (const auto& [t, kb] : samples) {
    mt += t;
    mk += static_cast<double>(kb);
  }
  mt /= static_cast<double>(samples.size());
  mk /= static_cast<double>(samples.size());
  double num = 0, den = 0;
  for (const auto& [t, kb] : samples) {
    num += (t - mt) * (static_cast<double>(kb) - mk);
    den += (t - mt) * (t - mt);
  }
  return den > 0 ? num / den : 0;
}

std::vector<soak_fault> soak_faults() {
  auto deribit = [](sim::fault kind, int max_count, std::chrono::seconds retry_after = 1s) {
    return [kind, max_count, retry_after](soak_targets& x) {
      sim::fault_spec spec;
      spec.kind = kind;
      spec.count = 1 + static_cast<int>(x.rng() % static_cast<uint64_t>(max_count));
      spec.retry_after = retry_after;
      spec.bytes = 3u << 20;
      x.deribit.inject(spec);
    };
  };
  auto binance = [](sim::binance_fault kind, int count = 1) {
    return [kind, count](soak_targets& x) {
      sim::binance_fault_spec spec{kind};
      spec.count = count;
      spec.bytes = 2u << 20;
      x.binance.inject(spec);
    };
  };
  return {
    {"deribit 429", deribit(sim::fault::rate_limit_429, 3)},
    {"deribit 429 Retry-After", deribit(sim::fault::rate_limit_429_retry_after, 2)},
    {"deribit 429 Retry-After over max-backoff", deribit(sim::fault::rate_limit_429_retry_after, 1, long_retry_after)},
    {"deribit 10028", deribit(sim::fault::rpc_10028, 2)},
    {"deribit 11051/503", deribit(sim::fault::maintenance_11051_503, 3)},
    {"deribit 500", deribit(sim::fault::server_error_500, 3)},
    {"deribit stall", deribit(sim::fault::stall, 2)},
    {"deribit reset", deribit(sim::fault::reset, 2)},
    {"deribit reset mid-body", deribit(sim::fault::reset_mid_body, 2)},
    {"deribit truncated", deribit(sim::fault::truncated_body, 2)},
    {"deribit body over the cap", deribit(sim::fault::oversized_body, 1)},
    {"deribit invalid JSON", deribit(sim::fault::malformed_json, 3)},
    {"deribit wrong types", deribit(sim::fault::wrong_types, 3)},
    {"deribit null mark_iv", deribit(sim::fault::null_mark_iv, 3)},
    {"deribit empty chain", deribit(sim::fault::empty_chain, 3)},
    {"binance drop", binance(sim::binance_fault::drop)},
    {"binance stall", binance(sim::binance_fault::stall)},
    {"binance malformed", binance(sim::binance_fault::malformed, 3)},
    {"binance oversized", binance(sim::binance_fault::oversized)},
    {"binance ping flood", binance(sim::binance_fault::ping_flood, 200)},
    {"binance handshake never", binance(sim::binance_fault::handshake_never)},
    {"binance trade a day ahead", binance(sim::binance_fault::future_time)},
    {"binance trade id 2^62", binance(sim::binance_fault::wild_trade_id)},
    {"store locked past the busy timeout", [](soak_targets& x) { x.store.take(steady::now()); }},
  };
}

} // namespace

int main(int argc, char** argv) {
  options opt;
  if (!parse_args(argc, argv, opt)) {
    std::cerr << usage;
    return 2;
  }
  if (opt.engine.empty()) {
    std::string self = argv[0];
    opt.engine = self.substr(0, self.rfind('/') + 1) + "../../apps/derivcache";   // build/tests/soak -> build/apps
  }
  const std::string certs = sim::default_cert_dir();

  sim::deribit_simulator deribit;
  auto d = deribit.start();
  if (!d) {
    std::cerr << "soak: deribit simulator: " << d.error << "\n";
    return 2;
  }
  sim::binance_simulator_options bopts;
  // 100 frames/s: the synthetic trade clock advances 10 ms per frame on average, so trade time then runs at
  // wall-clock speed and the 300 s window fills in the 300 s warm-up (at 50 frames/s it would take 600 s).
  bopts.rate = 100;
  bopts.seed = opt.seed;
  bopts.ping_interval = 5s;
  sim::binance_simulator binance{bopts};
  auto b = binance.start();
  if (!b) {
    std::cerr << "soak: binance simulator: " << b.error << "\n";
    return 2;
  }

  const std::string stem = "/tmp/derivcache-soak-" + std::to_string(getpid());
  const std::string ini = stem + ".ini", log = stem + ".log", db = stem + ".db";
  std::ofstream{ini} << "[deribit]\nurl=\"https://127.0.0.1:" << d.port << "\"\nca-file=\"" << certs
                     << "/ca.pem\"\ncurrencies=[\"BTC\", \"ETH\", \"SOL\"]\ninterval=2s\ntimeout=1s\n"
                     << "max-requests-per-second=20\nmax-body=2097152\n"
                     << "[supervisor]\nmin-backoff=200ms\nrate-limit-min-backoff=500ms\nmax-backoff=4s\n"
                     << "[cache]\nmax-age=6s\n"
                     << "[binance]\nurl=\"wss://127.0.0.1:" << b.port << "\"\nca-file=\"" << certs
                     << "/ca.pem\"\nsymbols=[\"BTCUSDT\"]\ntimeout=1s\nmin-backoff=100ms\nmax-backoff=2s\n"
                     << "stale-after=3s\n[metrics]\nport=0\n[introspection]\nport=0\n"
                     << "[store]\npath=\"" << db << "\"\n";

  // Everything the child needs is made before fork: the simulators' threads are running, and a child that
  // allocates before exec can deadlock on a lock one of them held.
  const std::string config_arg = "--config-file=" + ini;
  const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    std::fprintf(stderr, "cannot open %s: %s\n", log.c_str(), std::strerror(errno));
    return 2;
  }
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(log_fd, STDERR_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    execl(opt.engine.c_str(), opt.engine.c_str(), "run", config_arg.c_str(), nullptr);
    _exit(127);
  }
  ::close(log_fd);
  auto alive = [&] {
    int status = 0;
    return waitpid(pid, &status, WNOHANG) == 0;
  };

  // The metrics port, from "metrics listening on 127.0.0.1:PORT".
  uint16_t port = 0;
  for (auto until = steady::now() + 20s; port == 0 && steady::now() < until && alive();) {
    std::smatch m;
    const auto text = read_all(log);
    if (std::regex_search(text, m, std::regex{"metrics listening on 127\\.0\\.0\\.1:([0-9]+)"}))
      port = static_cast<uint16_t>(std::stoi(m[1].str()));
    else
      std::this_thread::sleep_for(100ms);   // waiting for the child's log line (bounded above)
  }
  if (port == 0) {
    std::cerr << "soak: the engine (" << opt.engine << ") did not start:\n" << read_all(log);
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return 1;
  }

  std::mt19937_64 rng{opt.seed};
  store_lock lock{db, std::nullopt, {}};
  soak_targets targets{deribit, binance, lock, rng};
  const auto faults = soak_faults();
  std::map<std::string, uint64_t> injected;
  uint64_t captures = 0, unanswered = 0, fresh_too_old = 0, not_ok = 0;
  std::map<std::string, uint64_t> input_states, fresh_count;
  std::vector<std::pair<double, long>> rss_samples;   // (seconds since start, kB)
  long peak_hwm = 0;
  std::string last_metrics, first_violation;
  bool died = false;

  const auto start = steady::now();
  const auto end = start + opt.duration;
  auto next_fault = start + opt.fault_every;
  auto next_sample = start;
  while (steady::now() < end) {
    if (!alive()) {
      died = true;
      break;
    }
    const auto now = steady::now();
    if (now >= next_fault) {
      const auto& f = faults[rng() % faults.size()];
      f.inject(targets);
      ++injected[f.name];
      next_fault += opt.fault_every;
    }
    lock.release_when_due(now);
    if (now >= next_sample) {
      auto [rss, hwm] = memory_kb(pid);
      if (rss > 0)
        rss_samples.emplace_back(std::chrono::duration<double>(now - start).count(), rss);
      peak_hwm = std::max(peak_hwm, hwm);
      auto [code, body] = http_get(port, "/metrics");
      if (code == 200)
        last_metrics = body;
      next_sample += sample_every;
    }
    auto [code, body] = http_get(port, "/snapshot?symbol=BTCUSDT");
    if (code == 0) {
      ++unanswered;
      if (first_violation.empty())
        first_violation = "snapshot request unanswered within 2s";
    } else if (code != 200) {
      ++not_ok;
    } else {
      ++captures;
      boost::system::error_code ec;
      auto snap = boost::json::parse(body, ec);
      if (ec || !snap.is_object()) {
        ++not_ok;
      } else {
        const std::pair<const char*, std::chrono::seconds> inputs[] = {
          {"basis", max_age}, {"skew", max_age}, {"trade", stale_after}, {"book", stale_after}};
        for (const auto& [name, bound] : inputs) {
          const auto& in = snap.at("inputs").at(name);
          const std::string state{in.at("state").as_string()};
          ++input_states[std::string{name} + " " + state];
          fresh_count[name] += state == "FRESH";
          if (state == "FRESH" && in.at("age_ms").is_number()
              && in.at("age_ms").to_number<double>() > std::chrono::duration<double, std::milli>(bound).count()) {
            ++fresh_too_old;
            if (first_violation.empty())
              first_violation = std::string{name} + " FRESH at age " + boost::json::serialize(in.at("age_ms")) + " ms";
          }
        }
      }
    }
    std::this_thread::sleep_for(capture_every);   // the capture rate, not a synchronisation
  }
  const double seconds = std::chrono::duration<double>(steady::now() - start).count();
  auto [final_rss, hwm] = memory_kb(pid);
  peak_hwm = std::max(peak_hwm, hwm);
  lock.release_when_due(steady::time_point::max());
  int exit_code = -1;
  if (!died) {
    kill(pid, SIGTERM);
    int status = 0;
    for (auto until = steady::now() + 5s; steady::now() < until;) {
      if (waitpid(pid, &status, WNOHANG) == pid) {
        exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        break;
      }
      std::this_thread::sleep_for(20ms);   // waiting for the child to exit (bounded above)
    }
    if (exit_code == -1) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }

  // RSS rule: the slope over the second half of the run, which starts after the warm-up.
  const bool rss_judged = seconds >= 2 * std::chrono::duration<double>(warm_up).count();
  std::vector<std::pair<double, long>> second_half;
  for (const auto& sample : rss_samples)
    if (sample.first >= seconds / 2)
      second_half.push_back(sample);
  const double slope = slope_kb_per_s(second_half);
  const bool rss_grew = rss_judged && slope > max_rss_slope_kb_per_s;

  std::ostringstream r;
  char buf[256];
  r << "derivcache soak report\n";
  std::snprintf(buf, sizeof buf, "duration: %.0f s, seed %llu, a fault every %lld ms\n", seconds,
                static_cast<unsigned long long>(opt.seed), static_cast<long long>(opt.fault_every.count()));
  r << buf;
  uint64_t total_faults = 0;
  for (const auto& [name, n] : injected)
    total_faults += n;
  r << "faults injected: " << total_faults << " (";
  bool first = true;
  for (const auto& [name, n] : injected) {
    r << (first ? "" : ", ") << name << " " << n;
    first = false;
  }
  r << ")\n";
  r << "snapshots captured: " << captures << ", unanswered: " << unanswered << ", non-200: " << not_ok << "\n";
  r << "snapshot inputs:";
  for (const auto& [k, n] : input_states)
    r << " " << k << "=" << n;
  r << "\nFRESH inputs older than their max age: " << fresh_too_old << "\n";
  r << "fetches by outcome:";
  for (const auto& [outcome, n] : metric(last_metrics, "derivcache_deribit_fetches_total", "outcome"))
    r << " " << outcome << "=" << static_cast<uint64_t>(n);
  r << "\n";
  auto one = [&](const char* name) {
    auto m = metric(last_metrics, name);
    return m.empty() ? 0ull : static_cast<unsigned long long>(m.begin()->second);
  };
  r << "complete fetch cycles: " << one("derivcache_deribit_cycles_total")
    << ", fetcher restarts: " << one("derivcache_fetcher_restarts_total")
    << ", binance reconnects: " << one("derivcache_binance_reconnects_total") << "\n";
  std::snprintf(buf, sizeof buf, "RSS: peak (VmHWM) %.1f MiB, final %.1f MiB (%zu samples, every %lld s)\n",
                peak_hwm / 1024.0, final_rss / 1024.0, rss_samples.size(),
                static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(sample_every).count()));
  r << buf;
  if (rss_judged)
    std::snprintf(buf, sizeof buf, "RSS slope over the second half (%.0f..%.0f s): %+.3f MiB per 10 min (limit +1)\n",
                  seconds / 2, seconds, slope * 600.0 / 1024.0);
  else
    std::snprintf(buf, sizeof buf, "RSS slope: not judged, the run is shorter than twice the %lld s warm-up\n",
                  static_cast<long long>(warm_up.count()));
  r << buf;
  r << "RSS samples (s MiB):";
  for (std::size_t i = 0; i < rss_samples.size(); i += std::max<std::size_t>(1, rss_samples.size() / 20))
    r << " " << static_cast<long>(rss_samples[i].first) << ":" << rss_samples[i].second / 1024;
  r << "\n";
  r << "engine: " << (died ? "DIED during the run" : "up for the whole run")
    << (died ? "" : exit_code == 0 ? ", exited 0 on SIGTERM" : ", did not exit cleanly on SIGTERM") << "\n";

  std::vector<std::string> failures;
  if (died)
    failures.push_back("the engine died");
  if (!died && exit_code != 0)
    failures.push_back("the engine did not exit 0 on SIGTERM within 5 s");
  if (unanswered > 0)
    failures.push_back(std::to_string(unanswered) + " snapshot requests unanswered within 2 s");
  if (fresh_too_old > 0)
    failures.push_back(std::to_string(fresh_too_old) + " FRESH inputs older than their max age (first: " +
                       first_violation + ")");
  if (captures == 0)
    failures.push_back("no snapshot captured");
  for (const char* name : {"basis", "skew", "trade", "book"})
    if (captures > 0 && fresh_count[name] * 100 < captures * static_cast<uint64_t>(opt.min_fresh_pct))
      failures.push_back(std::string{name} + " FRESH in " + std::to_string(fresh_count[name]) + " of " +
                         std::to_string(captures) + " snapshots, under " + std::to_string(opt.min_fresh_pct) + "%");
  if (rss_grew)
    failures.push_back("RSS grew: slope over the second half above 1 MiB per 10 minutes");
  r << "result: " << (failures.empty() ? "PASS" : "FAIL") << "\n";
  for (const auto& f : failures)
    r << "  - " << f << "\n";
  std::cout << r.str() << std::flush;
  if (!failures.empty() || died)
    std::cerr << "engine log (last 4000 bytes):\n" << read_all(log).substr(std::max<long>(0, static_cast<long>(read_all(log).size()) - 4000));
  std::remove(ini.c_str());
  std::remove(log.c_str());
  for (const char* suffix : {"", "-wal", "-shm"})
    std::remove((db + suffix).c_str());
  return failures.empty() ? 0 : 1;
}
