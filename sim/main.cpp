// derivcache-sim: the loopback Deribit HTTPS simulator as a program (demo, manual tests, benchmarks).
#include "sim/deribit_sim.hpp"

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

namespace {

const char* usage = "usage: derivcache-sim [--port N] [--cert FILE --key FILE] [--data DIR] [--fault KIND[:COUNT]]...\n"
                    "  serves Deribit public REST on https://127.0.0.1:PORT until SIGINT/SIGTERM\n"
                    "  KIND: 429 10028 11051 500 stall reset truncated malformed\n";

struct cli {
  derivcache::sim::simulator_options options;
  std::vector<derivcache::sim::fault_spec> faults;
};

/// Parses argv; returns an error text or empty.
std::string parse(int argc, char** argv, cli& out) {
  std::vector<std::string> args{argv + 1, argv + argc};
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a == "--help" || a == "-h")
      return "help";
    if (a != "--port" && a != "--cert" && a != "--key" && a != "--data" && a != "--fault")
      return "unknown option " + a;
    if (i + 1 >= args.size())
      return "missing value after " + a;
    const auto& v = args[++i];
    if (a == "--port") {
      char* end = nullptr;
      auto n = std::strtoul(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n > 65535)
        return "--port: '" + v + "' is not a port number";
      out.options.port = static_cast<unsigned short>(n);
    } else if (a == "--cert") {
      out.options.cert_file = v;
    } else if (a == "--key") {
      out.options.key_file = v;
    } else if (a == "--data") {
      out.options.data_dir = v;
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
  }
  if (out.options.cert_file.empty() != out.options.key_file.empty())
    return "--cert and --key go together";
  return {};
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

  derivcache::sim::deribit_simulator sim{args.options};
  for (auto& f : args.faults)
    sim.inject(f);
  auto started = sim.start();
  if (!started) {
    std::cerr << "derivcache-sim: " << started.error << "\n";
    return EXIT_FAILURE;
  }
  std::cout << "listening on " << derivcache::sim::simulator_options::bind_address << ":" << started.port
            << std::endl;
  int sig = 0;
  sigwait(&stop_signals, &sig);
  sim.stop();
  std::cerr << "derivcache-sim: stopped (" << sim.requests_served() << " API requests, "
            << sim.connections_accepted() << " connections)\n";
  return EXIT_SUCCESS;
}
