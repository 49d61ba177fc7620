// derivcache-sim: the loopback Deribit HTTPS and Binance WSS simulators as a program (demo, manual tests, benchmarks).
#include "sim/binance_sim.hpp"
#include "sim/deribit_sim.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace {

const char* usage =
  "usage: derivcache-sim [--port N] [--cert FILE --key FILE] [--data DIR] [--fault KIND[:COUNT]]...\n"
  "                      [--link-rtt-ms N] [--link-mbps X]\n"
  "                      [--binance-port N [--binance-rate MSGS_PER_S] [--binance-seed N]\n"
  "                       [--binance-symbols BTCUSDT,...] [--binance-total N] [--binance-replay]\n"
  "                       [--binance-ping-ms N] [--binance-fault KIND[:COUNT][@AFTER]]...]\n"
  "  serves Deribit public REST on https://127.0.0.1:PORT and/or Binance spot streams on\n"
  "  wss://127.0.0.1:BINANCE_PORT until SIGINT/SIGTERM. Deribit runs unless only --binance-port is given.\n"
  "  KIND: 429 10028 10066 11051 500 stall reset reset_mid_body truncated malformed oversized wrong_types\n"
  "        result_not_array nan_mark_iv null_mark_iv negative_mark_iv negative_prices empty_chain one_expiry\n"
  "        expired_instruments gzip_bomb unsupported_encoding (sim/data/README.md)\n"
  "  --link-rtt-ms, --link-mbps: a link model for Deribit (two round trips before the TLS handshake, one before\n"
  "        each answer, the answer's bytes paced at the rate; 0: off)\n"
  "  Binance KIND: drop stall malformed oversized handshake_never server_shutdown ping_flood future_time\n"
  "               wild_trade_id\n"
  "  (COUNT: connections, frames or pings; AFTER: data frames sent on the connection first)\n";

struct cli {
  derivcache::sim::simulator_options options;
  std::vector<derivcache::sim::fault_spec> faults;
  bool deribit_port_given = false;
  std::optional<derivcache::sim::binance_simulator_options> binance;
  std::vector<derivcache::sim::binance_fault_spec> binance_faults;
};

bool parse_number(const std::string& v, unsigned long long max, unsigned long long& out) {
  char* end = nullptr;
  errno = 0;
  out = std::strtoull(v.c_str(), &end, 10);
  return !v.empty() && v[0] != '-' && *end == '\0' && errno == 0 && out <= max;
}

/// KIND[:COUNT][@AFTER], e.g. `ping_flood:50`, `drop@100`.
std::string parse_binance_fault_arg(const std::string& v, derivcache::sim::binance_fault_spec& spec) {
  auto at = v.find('@');
  auto head = v.substr(0, at);
  auto colon = head.find(':');
  if (!derivcache::sim::parse_binance_fault(head.substr(0, colon), spec.kind))
    return "--binance-fault: unknown kind '" + head.substr(0, colon) + "'";
  unsigned long long n = 0;
  if (colon != std::string::npos) {
    if (!parse_number(head.substr(colon + 1), 1000000, n) || n < 1)
      return "--binance-fault: count must be a number of at least 1 in '" + v + "'";
    spec.count = static_cast<int>(n);
  }
  if (at != std::string::npos) {
    if (!parse_number(v.substr(at + 1), ~0ull, n))
      return "--binance-fault: AFTER must be a number in '" + v + "'";
    spec.after = n;
  }
  return {};
}

// --port, --cert, --key, --data, --fault: the Deribit simulator's options; an error text or empty.
std::string parse_deribit_option(const std::string& a, const std::string& v, cli& out) {
  if (a == "--port") {
    unsigned long long n = 0;
    if (!parse_number(v, 65535, n))
      return "--port: '" + v + "' is not a port number";
    out.options.port = static_cast<unsigned short>(n);
    out.deribit_port_given = true;
  } else if (a == "--cert") {
    out.options.cert_file = v;
  } else if (a == "--key") {
    out.options.key_file = v;
  } else if (a == "--data") {
    out.options.data_dir = v;
  } else if (a == "--link-rtt-ms") {
    unsigned long long n = 0;
    if (!parse_number(v, 60000, n))
      return "--link-rtt-ms: '" + v + "' is not a number of milliseconds up to 60000";
    out.options.link_rtt = std::chrono::milliseconds{n};
  } else if (a == "--link-mbps") {
    char* end = nullptr;
    out.options.link_mbps = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0' || !(out.options.link_mbps >= 0) || out.options.link_mbps > 1e6)
      return "--link-mbps: '" + v + "' is not a rate in Mbit/s (0 = unpaced)";
  } else if (a == "--fault") {
    derivcache::sim::fault_spec spec;
    auto colon = v.find(':');
    if (!derivcache::sim::parse_fault(v.substr(0, colon), spec.kind))
      return "--fault: unknown kind '" + v.substr(0, colon) + "'";
    if (colon != std::string::npos) {
      spec.count = std::atoi(v.c_str() + colon + 1);
      if (spec.count < 1)
        return "--fault: count must be at least 1 in '" + v + "'";
    }
    out.faults.push_back(spec);
  }
  return {};
}

// --binance-*: the Binance simulator's options (all but --binance-port and --binance-replay).
std::string parse_binance_option(const std::string& a, const std::string& v,
                                 derivcache::sim::binance_simulator_options& binance, cli& out) {
  unsigned long long n = 0;
  if (a == "--binance-rate") {
    char* end = nullptr;
    binance.rate = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0' || !(binance.rate >= 0) || binance.rate > 1e7)
      return "--binance-rate: '" + v + "' is not a rate in messages per second (0 = unthrottled)";
  } else if (a == "--binance-seed" || a == "--binance-total") {
    if (!parse_number(v, ~0ull, n))
      return a + ": '" + v + "' is not a number";
    (a == "--binance-seed" ? binance.seed : binance.total) = n;
  } else if (a == "--binance-ping-ms") {
    if (!parse_number(v, 86400000, n) || n < 1)
      return "--binance-ping-ms: '" + v + "' is not a positive number of milliseconds";
    binance.ping_interval = std::chrono::milliseconds{n};
  } else if (a == "--binance-symbols") {
    binance.symbols.clear();
    std::stringstream list{v};
    std::string symbol;
    while (std::getline(list, symbol, ','))
      if (!symbol.empty())
        binance.symbols.push_back(symbol);
    if (binance.symbols.empty())
      return "--binance-symbols: no symbol in '" + v + "'";
  } else if (a == "--binance-fault") {
    derivcache::sim::binance_fault_spec spec;
    if (auto err = parse_binance_fault_arg(v, spec); !err.empty())
      return err;
    out.binance_faults.push_back(spec);
  }
  return {};
}

/// Parses argv; returns an error text or empty.
std::string parse(int argc, char** argv, cli& out) {
  std::vector<std::string> args{argv + 1, argv + argc};
  derivcache::sim::binance_simulator_options binance;
  bool binance_port_given = false;
  bool binance_other_given = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a == "--help" || a == "-h")
      return "help";
    if (a == "--binance-replay") {
      binance.replay = true;
      binance_other_given = true;
      continue;
    }
    const bool binance_option = a == "--binance-port" || a == "--binance-rate" || a == "--binance-seed"
                                || a == "--binance-symbols" || a == "--binance-total" || a == "--binance-ping-ms"
                                || a == "--binance-fault";
    const bool deribit_option = a == "--port" || a == "--cert" || a == "--key" || a == "--data" || a == "--fault"
                                || a == "--link-rtt-ms" || a == "--link-mbps";
    if (!deribit_option && !binance_option)
      return "unknown option " + a;
    if (i + 1 >= args.size())
      return "missing value after " + a;
    const auto& v = args[++i];
    std::string error;
    if (a == "--binance-port") {
      unsigned long long n = 0;
      if (!parse_number(v, 65535, n))
        return "--binance-port: '" + v + "' is not a port number";
      binance.port = static_cast<unsigned short>(n);
      binance_port_given = true;
    } else if (binance_option) {
      binance_other_given = true;
      error = parse_binance_option(a, v, binance, out);
    } else {
      error = parse_deribit_option(a, v, out);
    }
    if (!error.empty())
      return error;
  }
  if (out.options.cert_file.empty() != out.options.key_file.empty())
    return "--cert and --key go together";
  if (binance_other_given && !binance_port_given)
    return "--binance-* options need --binance-port";
  if (binance_port_given) {
    binance.cert_file = out.options.cert_file;
    binance.key_file = out.options.key_file;
    out.binance = binance;
  }
  return {};
}

/// Queues `faults` and starts `sim`; prints "[name ]listening on 127.0.0.1:PORT", or the error.
template <class Simulator, class Faults>
bool start(Simulator& sim, const Faults& faults, const std::string& name) {
  for (const auto& f : faults)
    sim.inject(f);
  auto started = sim.start();
  if (!started) {
    std::cerr << "derivcache-sim: " << (name.empty() ? "" : name + ": ") << started.error << "\n";
    return false;
  }
  std::cout << (name.empty() ? "" : name + " ") << "listening on " << derivcache::sim::simulator_options::bind_address
            << ":" << started.port << std::endl;
  return true;
}

} // namespace

int main(int argc, char** argv) {
  cli args;
  if (auto err = parse(argc, argv, args); !err.empty()) {
    if (err == "help") {
      std::cout << usage;
      return EXIT_SUCCESS;
    }
    std::cerr << "derivcache-sim: " << err << "\n" << usage;
    return 2;
  }
  // Block the stop signals before the server thread starts, so that it inherits the mask and
  // only sigwait() below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::optional<derivcache::sim::deribit_simulator> deribit;
  if (args.deribit_port_given || !args.binance) {
    deribit.emplace(args.options);
    if (!start(*deribit, args.faults, ""))
      return EXIT_FAILURE;
  }
  std::optional<derivcache::sim::binance_simulator> binance;
  if (args.binance) {
    binance.emplace(*args.binance);
    if (!start(*binance, args.binance_faults, "binance"))
      return EXIT_FAILURE;
  }
  int sig = 0;
  sigwait(&stop_signals, &sig);
  if (deribit) {
    deribit->stop();
    std::cerr << "derivcache-sim: stopped (" << deribit->requests_served() << " API requests, "
              << deribit->connections_accepted() << " connections)\n";
  }
  if (binance) {
    binance->stop();
    auto c = binance->counters();
    std::cerr << "derivcache-sim: binance stopped (" << c.connections << " connections, " << c.handshakes
              << " handshakes, " << c.data_frames() << " data frames, " << c.pings << " pings)\n";
  }
  return EXIT_SUCCESS;
}
