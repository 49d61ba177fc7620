// Fetched Deribit chains and HTTP replies: local-only messages between the fetcher and its peers.
#pragma once

#include "quant/currency.hpp"
#include "quant/instrument.hpp"
#include "quant/option_rows.hpp"
#include "quant/records.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/optional.hpp>
#include <caf/timespan.hpp>
#include <caf/timestamp.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace derivcache::messages {

/// One currency's chains from one fetch cycle. Shared read-only between local actors (no copies);
/// never sent to another node, so it is whitelisted rather than serialized.
struct currency_chain {
  quant::currency_spec currency;
  std::vector<quant::future_summary> futures;
  std::vector<quant::option_summary> options;
  std::shared_ptr<const quant::expiry_table> expiries;   ///< from get_instruments; may be empty
  std::optional<quant::option_chain> option_names;       ///< `options`' names parsed, `expiries` applied (the fetcher
                                                         ///< sets it; absent: the calculators parse them)
  caf::timestamp received;                               ///< local wall-clock time of the last reply
  uint64_t bad_rows = 0;                                 ///< rows the codec skipped
};
using chain_ptr = std::shared_ptr<const currency_chain>;

/// The outcome of one HTTP request, handed from the I/O thread to the fetcher.
struct http_reply {
  uint64_t request_id = 0;
  uint8_t failure = 0;                 ///< net::failure; 0 = a response arrived
  std::string failure_message;
  uint16_t status = 0;
  std::string body;
  caf::optional<int64_t> retry_after_seconds;
  caf::timespan latency{0};
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, http_reply& x) {
  return f(caf::meta::type_name("http_reply"), x.request_id, x.failure, x.failure_message, x.status, x.body,
           x.retry_after_seconds, x.latency);
}

} // namespace derivcache::messages

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(derivcache::messages::chain_ptr)
