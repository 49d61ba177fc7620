// Messages of the feature/label store: a record request and its reply, closed 1-second bars and the
// store's counts.
#pragma once

#include "quant/outcomes.hpp"

#include <caf/meta/type_name.hpp>
#include <caf/timestamp.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace derivcache::messages {

/// Record a snapshot of `symbol` now, tagged with the caller's event. (kind, id) identifies the event:
/// recording it again changes nothing and answers the first recording.
struct record_request {
  std::string kind;                 ///< e.g. "detector", "order"
  std::string id;                   ///< the caller's id of the event
  std::string symbol;               ///< a configured Binance symbol
  std::string attributes = "{}";    ///< a JSON object; "side": "buy"/"long"/"sell"/"short" sets the side
};

/// Sent once the snapshot is committed to the store.
struct record_reply {
  int64_t snapshot = 0;             ///< the store's row id
  bool created = false;             ///< false: recorded before, nothing written
  caf::timestamp time;              ///< the stored snapshot's time
  std::string kind;
  std::string id;
};

/// One second of a symbol's feed (trade second by exchange time `T`, book tickers by receive time), the
/// bar the outcome labels read; `trades` is the sum of l - f + 1.
using spot_bar = quant::second_bar;

/// Closed bars of one symbol, collector -> store.
struct bar_batch {
  std::string symbol;
  std::vector<spot_bar> bars;
};

/// What the store holds: snapshots recorded and their outcomes by status.
struct store_counts {
  std::string path;
  uint64_t recorded = 0;
  uint64_t pending = 0;
  uint64_t labelled = 0;
  uint64_t incomplete = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, record_request& x) {
  return f(caf::meta::type_name("record_request"), x.kind, x.id, x.symbol, x.attributes);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, record_reply& x) {
  return f(caf::meta::type_name("record_reply"), x.snapshot, x.created, x.time, x.kind, x.id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bar_batch& x) {
  return f(caf::meta::type_name("bar_batch"), x.symbol, x.bars);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, store_counts& x) {
  return f(caf::meta::type_name("store_counts"), x.path, x.recorded, x.pending, x.labelled, x.incomplete);
}

} // namespace derivcache::messages

// quant includes no CAF: the overload for its bar lives here, next to the message that carries it (ADL finds it).
namespace derivcache::quant {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, second_bar& x) {
  return f(caf::meta::type_name("spot_bar"), x.second, x.open, x.high, x.low, x.close, x.volume, x.trades);
}

} // namespace derivcache::quant
