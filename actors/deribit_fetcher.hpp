// The Deribit fetcher: one actor for all currencies; polls book summaries and DVOL (and hourly instruments),
// sends each currency's chain to the calculators and its DVOL to the cache, and exits with a derivcache::errc on
// upstream trouble.
#pragma once

#include "messages/interfaces.hpp"
#include "net/https_client.hpp"
#include "quant/currency.hpp"
#include "runtime/fetch_stats.hpp"
#include "runtime/instrument_cache.hpp"
#include "runtime/latency_histogram.hpp"
#include "runtime/log.hpp"
#include "runtime/token_bucket.hpp"

#include <caf/actor_system.hpp>
#include <caf/timespan.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace derivcache::actors {

struct deribit_fetcher_deps {
  std::shared_ptr<net::http_client> http;              ///< shared, survives restarts; never shut down here
  std::vector<quant::currency_spec> currencies;
  std::vector<messages::calculator_actor> calculators; ///< every chain goes to each (basis and skew)
  messages::fetch_supervisor_actor supervisor;         ///< receives cycle_done_atom; may be null
  messages::cache_holder_actor cache;                  ///< receives every dvol_update; may be null
  caf::timespan interval = std::chrono::seconds{300};
  caf::timespan instruments_interval = std::chrono::hours{1};
  std::string path_prefix = "/api/v2";
  caf::timespan dvol_window = std::chrono::minutes{10};        ///< get_volatility_index_data asks this far back
  std::shared_ptr<runtime::token_bucket> book_bucket;          ///< get_book_summary_by_currency and
                                                               ///< get_volatility_index_data (default 5/s, burst 5)
  std::shared_ptr<runtime::token_bucket> instruments_bucket;   ///< get_instruments (default 1 per 10 s, burst 5)
  std::shared_ptr<runtime::instrument_cache> instruments;      ///< expiry tables, kept across restarts
  std::shared_ptr<runtime::fetch_stats> stats;
  std::shared_ptr<runtime::latency_histogram> request_latency; ///< observes every completed request; may be null
  std::shared_ptr<runtime::logger> log;                        ///< may be null
  std::function<caf::timestamp()> wall_clock;                  ///< the DVOL window's end, chain `received`;
                                                               ///< default caf::make_timestamp
};

/// Spawns a fetcher. It starts a cycle at once and every `interval`; `refresh_atom` starts one now
/// unless one is running. Null shared objects in `deps` are replaced by fresh defaults.
///
/// Each cycle asks, per currency, for the future and option book summaries and, when the currency has a DVOL
/// (`currency_spec::has_dvol`), for its one-minute DVOL candles of the last `dvol_window` (after every book
/// summary). A chain goes out once its book summaries (and instruments, when due) are in: it never waits for
/// DVOL. The DVOL answer goes to `cache` as a `dvol_update` of its own: the newest candle, or no value and a
/// reason ("request failed: ...", "bad payload: ..."); it follows the chain of its cycle (stamped with the
/// chain's receive time) or is sent when that chain fails. A currency without DVOL gets no update. The cycle
/// counts as complete once its chains went, whether DVOL answered or not. Only a rate-limit answer to the DVOL
/// request stops the fetcher (as on any request).
///
/// Error mapping (the fetcher quits with the error, its supervisor restarts it):
///  - HTTP 429, JSON-RPC 10028 / 10066 -> errc::rate_limited (context: retry_after seconds or -1, detail)
///  - resolve, connect, TLS, timeout, reset, truncated, body too large, protocol -> errc::network_failure
///  - HTTP 5xx, JSON-RPC 10040 / 10041 / 11051 / 13028 / 13503 -> errc::unavailable
/// Other 4xx and -32602 are request errors and bodies that do not decode are bad payloads: both are
/// logged and counted, and that currency is skipped for the cycle (no retry loop, no restart).
/// On a DVOL request every failure but a rate limit is counted the same way and only makes an update without a
/// value: the fetcher neither stops nor skips the currency.
messages::deribit_fetcher_actor make_deribit_fetcher(caf::actor_system& sys, deribit_fetcher_deps deps);

} // namespace derivcache::actors
