// What survives a fetcher restart: token buckets, the instrument (expiry) cache and the fetch counters.
#pragma once

#include "quant/instrument.hpp"

#include <caf/actor_clock.hpp>
#include <caf/timespan.hpp>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace derivcache::actors {

/// A token bucket measured on the actor clock (so deterministic tests drive it). Thread-safe.
class token_bucket {
public:
  using time_point = caf::actor_clock::time_point;

  /// `rate_per_second` tokens are added per second up to `burst`; the bucket starts full.
  token_bucket(double rate_per_second, double burst);

  /// Takes one token if there is one.
  bool try_take(time_point now);

  /// How long until a token is available (zero when one is).
  caf::timespan wait_time(time_point now);

private:
  void refill(time_point now);

  double rate_;
  double burst_;
  double tokens_;
  std::optional<time_point> last_;
  std::mutex mtx_;
};

/// Per currency: the expiry table from get_instruments and when it is due again. Thread-safe.
class instrument_cache {
public:
  using time_point = caf::actor_clock::time_point;

  /// The table for `currency`, or null when none was fetched yet.
  std::shared_ptr<const quant::expiry_table> table(const std::string& currency) const;

  /// True when `currency` was never fetched or its refresh time has come.
  bool due(const std::string& currency, time_point now) const;

  void store(const std::string& currency, std::shared_ptr<const quant::expiry_table> table, time_point next_due);
  void postpone(const std::string& currency, time_point next_due);

private:
  struct entry {
    std::shared_ptr<const quant::expiry_table> table;
    std::optional<time_point> next_due;
  };
  mutable std::mutex mtx_;
  std::map<std::string, entry> entries_;
};

/// Fetch outcomes, counted across restarts (for metrics).
struct fetch_stats {
  std::atomic<uint64_t> requests{0};          ///< issued to the HTTP client
  std::atomic<uint64_t> deferred{0};          ///< waited for a rate-limit token
  std::atomic<uint64_t> ok{0};                ///< decoded 2xx replies
  std::atomic<uint64_t> rate_limited{0};
  std::atomic<uint64_t> network_failure{0};
  std::atomic<uint64_t> unavailable{0};
  std::atomic<uint64_t> request_error{0};     ///< other 4xx, -32602: logged, not retried in a loop
  std::atomic<uint64_t> bad_payload{0};       ///< bodies that did not decode
  std::atomic<uint64_t> stale_replies{0};     ///< replies for an older cycle, ignored
  std::atomic<uint64_t> chains_sent{0};
  std::atomic<uint64_t> cycles_complete{0};
  std::atomic<uint64_t> starts{0};            ///< fetcher incarnations
};

} // namespace derivcache::actors
