// The codec's promises, checked on one input: never throw, name the problem of an unusable input, return only
// finite non-negative prices. Shared by the libFuzzer targets and tests/fuzz_regressions; a broken one aborts.
#pragma once

#include "codec/binance.hpp"
#include "codec/deribit.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <variant>

namespace derivcache::fuzz {

inline void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "codec fuzz: broken promise: %s\n", what);
    std::abort();
  }
}

inline bool non_negative(double x) { return std::isfinite(x) && x >= 0; }
inline bool non_negative(const std::optional<double>& x) { return !x || non_negative(*x); }

template <class Row>
void check_common(const codec::decoded_rows<Row>& out) {
  if (!out.ok())
    require(out.rows.empty() && out.row_errors.empty(), "rows next to a fatal error or an error reply");
  require(!(out.error_reply && !out.fatal.empty()), "both an error reply and a fatal error");
  for (const auto& e : out.row_errors)
    require(!e.empty(), "empty row error");
}

/// One HTTP response body through every Deribit decoder.
inline void check_deribit_body(std::string_view body) {
  auto options = codec::decode_option_summaries(body);
  check_common(options);
  require(options.rows_without_mark_iv <= options.rows.size(), "more rows without mark_iv than rows");
  for (const auto& row : options.rows)
    require(non_negative(row.mark_iv) && non_negative(row.underlying_price) &&
              non_negative(row.estimated_delivery_price),
            "option row with a negative or non-finite number");

  auto futures = codec::decode_future_summaries(body);
  check_common(futures);
  for (const auto& row : futures.rows) {
    require(non_negative(row.mark_price) && non_negative(row.estimated_delivery_price),
            "future row with a negative or non-finite price");
    require(!row.funding_8h || std::isfinite(*row.funding_8h), "non-finite funding");
  }

  auto instruments = codec::decode_instruments(body);
  check_common(instruments);
  for (const auto& row : instruments.rows)
    require(non_negative(row.strike), "instrument with a negative or non-finite strike");

  auto index = codec::decode_index_price(body);
  require(!(index.value && (index.error_reply || !index.fatal.empty())), "index price next to an error");
  if (index.value)
    require(non_negative(index.value->index_price) && non_negative(index.value->estimated_delivery_price),
            "negative or non-finite index price");

  auto error = codec::decode_rpc_error(body);
  require(error.has_value() == options.error_reply.has_value(), "decode_rpc_error disagrees with the row decoders");
}

/// One Binance WebSocket frame through decode_binance_frame.
inline void check_binance_frame(std::string_view text) {
  auto frame = codec::decode_binance_frame(text);
  if (!frame.ok())
    return;
  if (const auto* t = std::get_if<codec::agg_trade>(&frame.event)) {
    require(!t->symbol.empty(), "aggTrade without a symbol");
    require(non_negative(t->price) && non_negative(t->quantity), "aggTrade with a negative or non-finite number");
    require(t->last_trade_id >= t->first_trade_id, "aggTrade with l < f");
  } else if (const auto* b = std::get_if<codec::book_ticker>(&frame.event)) {
    require(!b->symbol.empty(), "bookTicker without a symbol");
    require(non_negative(b->bid_price) && non_negative(b->bid_quantity) && non_negative(b->ask_price) &&
              non_negative(b->ask_quantity),
            "bookTicker with a negative or non-finite number");
  }
}

} // namespace derivcache::fuzz
