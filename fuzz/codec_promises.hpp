// The codec's promises, checked on one input: never throw, name the problem of an unusable input, return only
// finite non-negative prices, stream rows exactly as the DOM reference decodes them. Shared by the libFuzzer
// targets and tests/fuzz_regressions; a broken one aborts.
#pragma once

#include "codec/binance.hpp"
#include "codec/deribit.hpp"
#include "quant/rolling_features.hpp"
#include "quant/spot_gate.hpp"
#include "tests/codec/deribit_dom_reference.hpp"

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
              non_negative(row.estimated_delivery_price) && non_negative(row.mark_price),
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

  auto dvol = codec::decode_volatility_index(body);
  require(!(dvol.value && (dvol.error_reply || !dvol.fatal.empty())), "DVOL reading next to an error");
  require(dvol.value || dvol.error_reply || !dvol.fatal.empty(), "no DVOL reading and no reason");
  if (dvol.value)
    require(non_negative(dvol.value->close) && dvol.value->candles > 0, "DVOL with a bad close or no candles");

  auto error = codec::decode_rpc_error(body);
  require(error.has_value() == options.error_reply.has_value(), "decode_rpc_error disagrees with the row decoders");
  require(error.has_value() == dvol.error_reply.has_value(), "decode_rpc_error disagrees with the DVOL decoder");

  const auto disagreement = codec::dom_reference::disagreement(body);
  if (!disagreement.empty())
    std::fprintf(stderr, "codec fuzz: %s\n", disagreement.c_str());
  require(disagreement.empty(), "the streaming row decoders differ from the DOM reference");
}

/// A decoded aggTrade through the collector's acceptance rule (quant::trade_gate, then the windows), between
/// a good trade before and a good trade after: whatever the frame held, the next good trade is accepted,
/// and when the frame was bad input the windows and last price are the good trades' alone.
inline void check_trade_acceptance(const codec::agg_trade& t) {
  constexpr int64_t local_ms = 1'700'000'000'000;
  quant::trade_gate gate;
  quant::rolling_features windows;
  auto take = [&](int64_t first, int64_t last, int64_t time_ms, int64_t event_ms, double price) {
    auto verdict = gate.check({first, last, time_ms, event_ms, local_ms});
    bool added = verdict == quant::spot_verdict::accepted &&
                 windows.add({time_ms, price, 1.0, 1, true});
    return std::pair{verdict, added};
  };
  require(take(1000, 1000, local_ms - 5, local_ms - 4, 100.0).second, "the first good trade was refused");
  auto [verdict, added] = take(t.first_trade_id, t.last_trade_id, quant::to_unix_ms(t.trade_time),
                               quant::to_unix_ms(t.event_time), t.price);
  const int64_t next = *gate.last_id() + 1;
  auto after = take(next, next, local_ms, local_ms + 1, 101.0);
  require(after.first == quant::spot_verdict::accepted, "a good trade after the fuzzed one was refused by the gate");
  if (!added) {
    require(after.second, "a good trade after a refused one did not reach the windows");
    require(windows.last_price() == 101.0, "the last price is not the good trade's");
    require(windows.stats(std::chrono::seconds{60}).trade_count == 2, "a refused trade counted in a window");
  }
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
    check_trade_acceptance(*t);
  } else if (const auto* b = std::get_if<codec::book_ticker>(&frame.event)) {
    require(!b->symbol.empty(), "bookTicker without a symbol");
    require(non_negative(b->bid_price) && non_negative(b->bid_quantity) && non_negative(b->ask_price) &&
              non_negative(b->ask_quantity),
            "bookTicker with a negative or non-finite number");
  }
}

} // namespace derivcache::fuzz
