// libFuzzer target: bytes as an INI config file through CAF's parser and derivcache's own validator
// (check_settings, from_settings with validate), as `derivcache run --config-file` does.
#include "configuration/keys.hpp"
#include "configuration/url.hpp"

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
  namespace config = derivcache::configuration;
  for (const auto& problem : config::check_settings(*parsed))
    require(!problem.key.empty() && !problem.message.empty(), "empty problem text");

  // The file is both the merged content and the file as written (no command line).
  std::vector<config::problem> problems;
  auto cfg = config::from_settings(*parsed, *parsed, problems);
  if (problems.empty()) {
    const auto& d = cfg.deribit;
    require(d.interval.count() > 0 && d.timeout >= std::chrono::milliseconds{1}, "accepted a non-positive period");
    require(config::cache_max_age(cfg).count() > 0, "accepted a non-positive cache max age");
    require(d.max_body > 0, "accepted max-body 0");
    require(!d.currencies.empty(), "accepted no currencies");
    require(cfg.supervisor.max_failures >= 1, "accepted max-failures 0");
    require(cfg.supervisor.min_backoff <= cfg.supervisor.max_backoff, "accepted max-backoff below min-backoff");
    std::string error;
    auto url = config::parse_url(d.url, error);
    require(url && !url->host.empty(), "accepted a URL without a host");
  }
  return 0;
}
