// The outcomes of one Deribit request: the one list the fetcher, its counters, the metrics snapshot and
// the Prometheus renderer iterate, with the error code each failing outcome carries.
#pragma once

#include "messages/errors.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace derivcache::messages {

enum class fetch_outcome : uint8_t { ok, rate_limited, network_failure, unavailable, request_error, bad_payload };

struct fetch_outcome_info {
  fetch_outcome outcome;
  const char* label;      ///< the `outcome` label of derivcache_deribit_fetches_total, and the errc name
  errc code;              ///< the error a failure is reported as; errc{} for ok
  bool stops_fetcher;     ///< the fetcher quits with `code` and its supervisor restarts it
};

inline constexpr std::array<fetch_outcome_info, 6> fetch_outcomes{{
  {fetch_outcome::ok, "ok", errc{}, false},
  {fetch_outcome::rate_limited, "rate_limited", errc::rate_limited, true},        ///< HTTP 429, 10028, 10066
  {fetch_outcome::network_failure, "network_failure", errc::network_failure, true},
  {fetch_outcome::unavailable, "unavailable", errc::unavailable, true},           ///< 5xx, 10040, ...
  {fetch_outcome::request_error, "request_error", errc::request_error, false},    ///< other 4xx, -32602
  {fetch_outcome::bad_payload, "bad_payload", errc::bad_payload, false},          ///< a body that does not decode
}};

inline constexpr std::size_t fetch_outcome_count = fetch_outcomes.size();

constexpr std::size_t index_of(fetch_outcome x) { return static_cast<std::size_t>(x); }

constexpr const fetch_outcome_info& info(fetch_outcome x) { return fetch_outcomes[index_of(x)]; }

constexpr bool rows_in_enum_order() {
  for (std::size_t i = 0; i < fetch_outcome_count; ++i)
    if (index_of(fetch_outcomes[i].outcome) != i)
      return false;
  return true;
}
static_assert(rows_in_enum_order(), "fetch_outcomes is indexed by fetch_outcome");

inline std::string to_string(fetch_outcome x) { return info(x).label; }

} // namespace derivcache::messages
