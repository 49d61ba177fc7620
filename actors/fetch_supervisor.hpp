// The fetch supervisor: spawns and monitors the fetcher, restarts it with jittered exponential backoff.
//
//          spawn                     error exit (k += 1)
//   ┌──────────────► RUNNING ───────────────────────────────► WAITING ── restart_atom ──┐
//   │                  │  ▲  cycle_done: k = 0, DEGRADED off     │ d = backoff(k)      │
//   │                  │  └──────────────────────────────────────┼─────────────────────┘
//   │                  │ normal / user_shutdown exit             │ k >= max_failures:
//   │                  ▼                                         ▼ DEGRADED (ERROR log), d = max
//   │               STOPPED (not restarted)               keeps retrying every max_backoff (or Retry-After)
//
//   d = runtime::backoff_delay (runtime/backoff.hpp): min * 2^(k-1), jittered, clamped to max; the rate-limit
//   minimum for errc::rate_limited, whose Retry-After (error context) is used as given, also beyond max.
#pragma once

#include "messages/interfaces.hpp"
#include "runtime/backoff.hpp"
#include "runtime/log.hpp"

#include <caf/actor_system.hpp>
#include <caf/timespan.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

namespace derivcache::actors {

struct fetch_supervisor_deps {
  /// Spawns a fetcher that reports complete cycles to `supervisor`.
  std::function<messages::deribit_fetcher_actor(caf::actor_system& sys, messages::fetch_supervisor_actor supervisor)>
    spawn_fetcher;
  runtime::backoff_params backoff;
  uint32_t max_failures = 5;           ///< consecutive failures before DEGRADED
  std::function<double()> uniform01;   ///< jitter source in [0, 1]; default: mt19937_64 seeded from random_device
  std::shared_ptr<runtime::logger> log;         ///< may be null
};

/// Spawns the supervisor, which spawns the first fetcher at once. Its own exit is forwarded to the fetcher.
messages::fetch_supervisor_actor make_fetch_supervisor(caf::actor_system& sys, fetch_supervisor_deps deps);

} // namespace derivcache::actors
