// derivcache: the command-line entry point.
#include "apps/analyze.hpp"
#include "apps/backfill.hpp"
#include "apps/export.hpp"
#include "apps/run.hpp"

#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <csignal>

#include <iostream>
#include <string>
#include <vector>

namespace {

constexpr const char* usage = R"(derivcache - a live cache of crypto derivatives signals

Usage:
  derivcache run [--config-file=FILE] [--section.key=value ...]
  derivcache analyze --currency BTC [--futures FILE] [--options FILE] [--now MS] [--min-dte DAYS]
  derivcache export --since TIME --until TIME (--store PATH | --config-file FILE) [--backfill]
  derivcache backfill --options-chain FILE... --derivative-ticker FILE... [--every 5min] [--out FILE | --store DB]
  derivcache --help | --version

Commands:
  run       keep basis and skew fresh from Deribit until SIGINT/SIGTERM (see docs/configuration.md)
  analyze   compute basis and 25-delta skew from recorded Deribit book summaries
  export    recorded snapshots and their outcomes as JSON lines (see docs/outcomes.md)
  backfill  signal history from recorded Tardis.dev options_chain and derivative_ticker files (docs/backfill.md)

Run 'derivcache COMMAND --help' for a command's options.
)";

// Set by SIGINT/SIGTERM during `backfill`, which stops after the step it is writing.
std::atomic<bool> stop_requested{false};

extern "C" void request_stop(int) { stop_requested = true; }

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << usage;
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version") {
    std::cout << "derivcache " << DERIVCACHE_VERSION << '\n';
    return 0;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  if (command == "run") {
    // glibc's allocator policy for the process (docs/operations.md, Memory). Deribit bodies (a BTC option chain
    // is 435 KB) and their decode buffers come and go every cycle: above a fixed 128 KiB they are mmapped and
    // returned on free, where glibc's dynamic threshold would soon keep them in the heap. One arena: with one
    // per thread (up to 8 per core), each CAF worker and I/O thread keeps its own high-water mark of free
    // pages and RSS creeps for many minutes although the live heap is flat; the engine makes about 25,000
    // allocations a second, too few for one arena's lock to matter. `run` also trims the heap every minute.
    // Not set by the engine library: a host chooses its own allocator policy.
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    mallopt(M_ARENA_MAX, 1);
    return derivcache::apps::run_engine_command(args, std::cout, std::cerr);
  }
  if (command == "analyze")
    return derivcache::apps::run_analyze(args, std::cout, std::cerr);
  if (command == "backfill") {
    std::signal(SIGINT, request_stop);
    std::signal(SIGTERM, request_stop);
    return derivcache::apps::run_backfill(args, std::cout, std::cerr, &stop_requested, ::isatty(STDERR_FILENO) == 1);
  }
  if (command == "export")
    return derivcache::apps::run_export(args, std::cout, std::cerr);
  std::cerr << "derivcache: unknown command '" << command << "' (try --help)\n";
  return 2;
}
