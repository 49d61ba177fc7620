// What the basis and skew calculators share: a fetched chain in, its reading out to the cache, a warning
// when the chain gives no value.
#pragma once

#include "messages/interfaces.hpp"
#include "runtime/log.hpp"

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <memory>
#include <string>

namespace derivcache::actors {

/// Spawns a calculator that sends `compute(chain)` (a basis_reading or skew_reading) to `cache`.
template <class Compute>
messages::calculator_actor spawn_calculator(caf::actor_system& sys, std::string what, messages::cache_holder_actor cache,
                                            std::shared_ptr<runtime::logger> log, Compute compute) {
  return sys.spawn([=](messages::calculator_actor::pointer self) -> messages::calculator_actor::behavior_type {
    return {
      [=](const messages::chain_ptr& chain) {
        if (!chain)
          return;
        auto reading = compute(*chain);
        if (!reading.reason.empty() && log)   // reason is set exactly when there is no value
          log->warn(what + " [" + reading.currency + "]: no value: " + reading.reason);
        if (cache)
          self->send(cache, std::move(reading));
      },
    };
  });
}

} // namespace derivcache::actors
