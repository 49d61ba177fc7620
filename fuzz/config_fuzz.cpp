// libFuzzer target: bytes as an INI config file through CAF's parser and derivcache's own validator
// (check_settings, make_engine_config), as `derivcache run --config-file` does.
#include "actors/options.hpp"

#include <caf/actor_system_config.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

namespace {

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "config_fuzz: broken promise: %s\n", what);
    std::abort();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in{std::string{reinterpret_cast<const char*>(data), size}};
  auto parsed = caf::actor_system_config::parse_config(in);
  if (!parsed)
    return 0;
  for (const auto& problem : derivcache::actors::check_settings(*parsed))
    require(!problem.empty(), "empty problem text");

  // The file is both the merged content and the file as written (no command line).
  std::vector<std::string> problems;
  auto cfg = derivcache::actors::make_engine_config(*parsed, *parsed, problems);
  if (problems.empty()) {
    require(cfg.interval.count() > 0 && cfg.timeout.count() > 0, "accepted a non-positive period");
    require(cfg.max_body > 0, "accepted max-body 0");
    require(!cfg.currencies.empty(), "accepted no currencies");
    require(cfg.max_failures >= 1, "accepted max-failures 0");
    require(cfg.min_backoff <= cfg.max_backoff, "accepted max-backoff below min-backoff");
    require(!cfg.host.empty(), "accepted a URL without a host");
  }
  return 0;
}
