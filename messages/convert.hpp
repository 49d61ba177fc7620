// Conversions from quant's standard types to the CAF types messages carry.
#pragma once

#include "quant/time.hpp"

#include <caf/optional.hpp>
#include <caf/timestamp.hpp>

#include <chrono>
#include <optional>

namespace derivcache::messages {

inline caf::timestamp to_caf(quant::timestamp t) {
  return caf::timestamp{std::chrono::duration_cast<caf::timestamp::duration>(t.time_since_epoch())};
}

template <class T>
caf::optional<T> to_caf(const std::optional<T>& x) {
  return x ? caf::optional<T>{*x} : caf::optional<T>{};
}

} // namespace derivcache::messages
