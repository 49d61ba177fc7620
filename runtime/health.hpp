// The health rules behind /healthz: a pure function of a metrics snapshot.
#pragma once

#include "runtime/metrics_snapshot.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace derivcache::runtime {

struct health_options {
  std::vector<std::string> currencies;                          ///< enabled currencies: each needs readings
  std::chrono::nanoseconds feed_stale_after = std::chrono::seconds{60};   ///< feed: no data for longer is "down"
};

struct health_report {
  unsigned status = 200;                ///< 200 healthy, 503 otherwise
  std::vector<std::string> reasons;     ///< empty when healthy
  /// {"status":"ok","reasons":[]} or {"status":"unhealthy","reasons":[...]}.
  std::string to_json() const;
};

/// 503 with a reason for each of: no reading yet for an enabled currency ("warming up: no BTC reading
/// yet", "warming up: no BTC skew reading yet"), a STALE reading ("BTC basis STALE"), the fetcher
/// DEGRADED ("fetcher DEGRADED"), its last cycle failed ("fetcher last cycle failed: <error>"), not
/// running ("fetcher not running"), the supervisor or cache not answering, an enabled Binance feed with no
/// data yet ("warming up: no Binance data yet") or none for longer than feed_stale_after
/// ("Binance feed down: no data for 75s (stale after 60s)"), the introspection gateway down between its
/// death and its replacement ("introspection gateway down (restarting)"). Otherwise 200.
health_report evaluate_health(const metrics_snapshot& m, const health_options& options);

} // namespace derivcache::runtime
