// The fetch supervisor: spawns and monitors the fetcher, restarts it with jittered exponential backoff.
//
//          spawn                     error exit (k += 1)
//   ┌──────────────► RUNNING ───────────────────────────────► WAITING ── restart_atom ──┐
//   │                  │  ▲  cycle_done: k = 0, DEGRADED off     │ d = backoff(k)      │
//   │                  │  └──────────────────────────────────────┼─────────────────────┘
//   │                  │ normal / user_shutdown exit             │ k >= max_failures:
//   │                  ▼                                         ▼ DEGRADED (ERROR log), d = max
//   │               STOPPED (not restarted)               keeps retrying every max_backoff
//
//   backoff(k) = min(max, min * 2^(k-1)) * U(0.8, 1.2), clamped to max;
//   min = rate_limit_min_backoff for errc::rate_limited, else min_backoff;
//   a Retry-After is used as given (no jitter), capped at max.
#pragma once

#include "actors/log.hpp"
#include "messages/interfaces.hpp"

#include <caf/actor_system.hpp>
#include <caf/error.hpp>
#include <caf/timespan.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

namespace derivcache::actors {

struct backoff_params {
  caf::timespan min_backoff = std::chrono::seconds{1};
  caf::timespan rate_limit_min_backoff = std::chrono::seconds{5};
  caf::timespan max_backoff = std::chrono::seconds{300};
};

/// The delay before restart attempt after `k` consecutive failures (k >= 1) ending in `reason`.
/// `u01` is a uniform random number in [0, 1] (the jitter factor is 0.8 + 0.4 * u01).
caf::timespan backoff_delay(const backoff_params& params, uint32_t k, const caf::error& reason, double u01);

struct fetch_supervisor_deps {
  /// Spawns a fetcher that reports complete cycles to `supervisor`.
  std::function<messages::deribit_fetcher_actor(caf::actor_system& sys, messages::fetch_supervisor_actor supervisor)>
    spawn_fetcher;
  backoff_params backoff;
  uint32_t max_failures = 5;           ///< consecutive failures before DEGRADED
  std::function<double()> uniform01;   ///< jitter source in [0, 1]; default: mt19937_64 seeded from random_device
  std::shared_ptr<logger> log;         ///< may be null
};

/// Spawns the supervisor, which spawns the first fetcher at once. Its own exit is forwarded to the fetcher.
messages::fetch_supervisor_actor make_fetch_supervisor(caf::actor_system& sys, fetch_supervisor_deps deps);

} // namespace derivcache::actors
