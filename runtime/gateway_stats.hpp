// Counters of the introspection gateway, the one actor remote nodes can reach (actors/introspection.hpp).
// Written by the gateway, read by the metrics endpoint.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace derivcache::runtime {

/// What the gateway refused, by kind: the `kind` label of derivcache_gateway_refused_messages_total.
enum class refusal : std::size_t {
  exit,         ///< an exit message while the engine runs (a `kill` one ends that incarnation: it is replaced)
  error,        ///< an asynchronous error message (CAF's default would stop the actor)
  update,       ///< a derivatives_update that did not come from the cache holder
  control,      ///< refresh while introspection.allow-control is off
  record,       ///< record while introspection.allow-record is off
  unexpected,   ///< anything outside the gateway's interface (readings, frames, bar batches, ...)
};
inline constexpr std::array<std::string_view, 6> refusal_names{"exit",   "error",  "update",
                                                               "control", "record", "unexpected"};

struct gateway_stats {
  std::atomic<bool> up{false};             ///< an incarnation runs (and is published when a port is set)
  std::atomic<uint64_t> restarts{0};       ///< incarnations started after the first
  std::array<std::atomic<uint64_t>, refusal_names.size()> refused{};

  /// Counts one refusal; returns how many of that kind there were, this one included.
  uint64_t refuse(refusal r) { return refused[static_cast<std::size_t>(r)].fetch_add(1) + 1; }
};

} // namespace derivcache::runtime
