// Health of the engine: the fetcher's supervision status and what introspection reports.
#pragma once

#include <caf/meta/type_name.hpp>
#include <caf/optional.hpp>
#include <caf/timestamp.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace derivcache::messages {

struct fetcher_status {
  bool alive = false;                       ///< a fetcher is running now (false while waiting to restart)
  uint32_t restarts = 0;                    ///< total respawns since start
  uint32_t consecutive_failures = 0;        ///< k in the backoff formula
  bool degraded = false;                    ///< consecutive failures reached supervisor.max-failures
  std::string last_error;                   ///< rendered, e.g. "rate_limited: HTTP 429 ..."
  caf::optional<caf::timestamp> last_success;   ///< last complete cycle (every currency, both kinds)
  caf::optional<caf::timestamp> next_attempt;   ///< when the fetcher will be respawned
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, fetcher_status& x) {
  return f(caf::meta::type_name("fetcher_status"), x.alive, x.restarts, x.consecutive_failures, x.degraded,
           x.last_error, x.last_success, x.next_attempt);
}

/// Version, uptime and a summary of the configuration. Both ends must run the same version.
struct engine_status {
  std::string version;
  caf::timestamp started;
  caf::timespan uptime{0};
  std::vector<std::string> currencies;
  std::string deribit_url;
  caf::timespan interval{0};
  std::vector<std::string> symbols;
  bool allow_control = false;
  bool allow_record = false;
  uint32_t subscribers = 0;
  uint32_t max_subscribers = 0;
};

/// One actor of the engine and its health.
struct actor_info {
  std::string role;                              ///< "deribit_fetcher", "cache_holder", ...
  bool alive = false;
  uint32_t restarts = 0;
  std::string last_error;
  caf::optional<caf::timestamp> last_success;
  bool degraded = false;
  caf::optional<caf::timestamp> next_retry;
};

struct actors_report {
  std::vector<actor_info> actors;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, engine_status& x) {
  return f(caf::meta::type_name("engine_status"), x.version, x.started, x.uptime, x.currencies, x.deribit_url,
           x.interval, x.symbols, x.allow_control, x.allow_record, x.subscribers, x.max_subscribers);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, actor_info& x) {
  return f(caf::meta::type_name("actor_info"), x.role, x.alive, x.restarts, x.last_error, x.last_success,
           x.degraded, x.next_retry);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, actors_report& x) {
  return f(caf::meta::type_name("actors_report"), x.actors);
}

} // namespace derivcache::messages
