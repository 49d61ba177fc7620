// Binance spot combined-stream frames -> typed records, with errors. Never throws.
#pragma once

#include "quant/time.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace derivcache::codec {

/// `<symbol>@aggTrade`: prices and quantities arrive as strings and are decoded to doubles.
struct agg_trade {
  std::string symbol;              ///< upper case, as in `s` ("BTCUSDT")
  double price = 0;
  double quantity = 0;
  int64_t first_trade_id = 0;      ///< `f`
  int64_t last_trade_id = 0;       ///< `l`; trade count = l - f + 1
  quant::timestamp trade_time{};   ///< `T`; 0 to the year 2262 (a time ns cannot hold is an error)
  quant::timestamp event_time{};   ///< `E`; same range
  bool buyer_is_maker = false;     ///< `m`: true means the taker sold
};

/// `<symbol>@bookTicker` (spot frames carry no event time).
struct book_ticker {
  std::string symbol;
  int64_t update_id = 0;           ///< `u`
  double bid_price = 0;
  double bid_quantity = 0;
  double ask_price = 0;
  double ask_quantity = 0;
};

/// `serverShutdown`: Binance will close the connection soon; reconnect now.
struct server_shutdown {
  quant::timestamp event_time{};
};

/// A frame this client did not subscribe to or does not use (e.g. a SUBSCRIBE reply).
struct ignored_frame {
  std::string stream;
};

using binance_event = std::variant<agg_trade, book_ticker, server_shutdown, ignored_frame>;

/// A decoded frame or what was wrong with it ("aggTrade: p is not a decimal string").
struct decoded_frame {
  binance_event event;
  std::string error;    ///< non-empty: the frame is unusable and `event` is meaningless
  bool ok() const { return error.empty(); }
};

/// Decodes one combined-stream frame `{"stream":"btcusdt@aggTrade","data":{...}}`; raw-stream
/// payloads (`{"e":"aggTrade",...}`, `{"u":...,"s":...,"b":...}`) are accepted too.
decoded_frame decode_binance_frame(std::string_view text);

/// The combined-stream target for `symbols` (any case):
/// "/stream?streams=btcusdt@aggTrade/btcusdt@bookTicker/...".
std::string binance_stream_target(const std::vector<std::string>& symbols);

} // namespace derivcache::codec
