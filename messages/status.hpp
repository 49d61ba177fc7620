// Supervision status of the fetcher, as the supervisor reports it.
#pragma once

#include <caf/meta/type_name.hpp>
#include <caf/optional.hpp>
#include <caf/timestamp.hpp>

#include <cstdint>
#include <string>

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

} // namespace derivcache::messages
