// Binance spot records (trades, book tickers), raw WebSocket events, feed status and the feature snapshot.
#pragma once

#include "messages/readings.hpp"
#include "quant/states.hpp"

#include <caf/actor_clock.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/optional.hpp>
#include <caf/timespan.hpp>
#include <caf/timestamp.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace derivcache::messages {

/// One aggTrade. Times: `trade_time` = `T`, `event_time` = `E` (exchange), `received` = local wall clock and
/// `read_at` = actor clock (steady), both taken when the frame was read from the socket.
struct spot_trade {
  std::string symbol;               ///< upper case ("BTCUSDT")
  double price = 0;
  double quantity = 0;              ///< base units
  int64_t first_trade_id = 0;       ///< `f`
  int64_t last_trade_id = 0;        ///< `l`; trade count = l - f + 1
  caf::timestamp trade_time;
  caf::timestamp event_time;
  bool buyer_is_maker = false;      ///< `m`: true means the taker sold
  caf::timestamp received;
  caf::actor_clock::time_point read_at;   ///< ages count from here
};

/// One bookTicker (spot frames carry no exchange time).
struct spot_ticker {
  std::string symbol;
  int64_t update_id = 0;
  double bid_price = 0;
  double bid_quantity = 0;
  double ask_price = 0;
  double ask_quantity = 0;
  caf::timestamp received;
  caf::actor_clock::time_point read_at;
};

/// Trades of one symbol the feed dropped because the collector was behind (its bounded queue was full).
struct missed_trades {
  std::string symbol;
  int64_t trades = 0;                ///< sum of l - f + 1
  caf::timestamp latest_trade_time;  ///< the latest `T` among them: windows reaching back to it are incomplete
};

/// Decoded records feed -> collector: what waited while the collector worked on the previous batch
/// (book tickers conflated to the newest per symbol), plus the trades dropped on the way.
struct spot_batch {
  std::vector<spot_trade> trades;
  std::vector<spot_ticker> tickers;
  std::vector<missed_trades> missed;
};

/// What a connection callback reports (I/O thread -> feed). `connection` tells connections apart.
enum class ws_event_kind : uint8_t { opened, oversized, ping, closed };
inline std::string to_string(ws_event_kind x) {
  switch (x) {
    case ws_event_kind::opened: return "opened";
    case ws_event_kind::oversized: return "oversized";
    case ws_event_kind::ping: return "ping";
    case ws_event_kind::closed: return "closed";
  }
  return "?";
}

struct ws_event {
  uint64_t connection = 0;
  ws_event_kind kind = ws_event_kind::opened;
  uint64_t bytes = 0;                ///< oversized: the frame's size
  uint8_t failure = 0;               ///< closed: net::failure
  std::string message;               ///< closed: why
};

/// Text frames of one read burst (I/O thread -> feed), stamped with the local wall-clock receive time.
struct ws_frames {
  uint64_t connection = 0;
  std::vector<std::string> frames;
  caf::timestamp received;
  caf::actor_clock::time_point read_at;   ///< the same moment on the actor clock
};

/// The feed's health and counters (kept across reconnects).
struct feed_status {
  bool connected = false;
  uint64_t connects = 0;             ///< handshakes completed
  uint64_t reconnects = 0;           ///< connections started after the first
  uint64_t drops = 0;                ///< connections that closed or failed unasked
  uint64_t stalls = 0;               ///< reconnects because no data frame arrived for stale_after
  uint64_t rotations = 0;            ///< proactive reconnects before the 24-hour limit
  uint64_t server_shutdowns = 0;     ///< serverShutdown events (each: reconnect at once)
  uint64_t frames = 0;               ///< text frames received
  uint64_t agg_trades = 0;
  uint64_t book_tickers = 0;
  uint64_t ignored = 0;              ///< well-formed frames the feed does not use
  uint64_t malformed = 0;            ///< frames the codec rejected (skipped)
  uint64_t oversized = 0;            ///< frames over the size cap (skipped)
  uint64_t pings = 0;
  uint64_t trades_dropped = 0;       ///< aggTrades dropped because the collector was behind (windows marked incomplete)
  uint64_t tickers_conflated = 0;    ///< bookTickers replaced by a newer one of the symbol before the collector took them
  uint64_t queued_trades = 0;        ///< aggTrades waiting for the collector now (at most binance.max-queued-trades)
  uint32_t consecutive_failures = 0; ///< since the last data frame; drives the backoff
  std::string last_error;            ///< e.g. "reset: connection reset by peer" or a codec error
  caf::optional<caf::timestamp> last_data;   ///< local wall-clock time of the last data frame
  caf::optional<caf::timespan> lag;          ///< last aggTrade: local receive - exchange event time `E`
  caf::optional<caf::timestamp> next_attempt;
};

/// What the collector made of the spot records it got (all symbols, since start). Bad input is dropped
/// and never replaces the last good reading.
struct spot_counts {
  uint64_t trades_accepted = 0;
  uint64_t trades_repeated = 0;      ///< seen before (a handover overlaps two connections); dropped
  uint64_t trades_late = 0;          ///< older than the longest window before the latest trade; dropped
  uint64_t bad_time = 0;             ///< aggTrade T or E over an hour ahead of the local clock; dropped
  uint64_t bad_id = 0;               ///< aggTrade or bookTicker id far out of sequence; dropped
  uint64_t trades_missed = 0;        ///< dropped by the feed behind a backlog (windows marked incomplete)
};

/// Freshness of one snapshot input.
enum class input_state : uint8_t { unknown, fresh, stale };
inline std::string to_string(input_state x) {
  switch (x) {
    case input_state::unknown: return "UNKNOWN";
    case input_state::fresh: return "FRESH";
    case input_state::stale: return "STALE";
  }
  return "?";
}

/// One input of a snapshot: state, age (actor clock, since its frame was read from the socket) and exchange lag
/// (local receive - exchange time). Unknown inputs have neither.
struct input_status {
  input_state state = input_state::unknown;
  caf::optional<caf::timespan> age;
  caf::optional<caf::timespan> lag;
};

/// Rolling-window spot features (window by trade time `T`; see docs/snapshots.md).
struct window_features {
  int64_t window_seconds = 0;
  double taker_buy_volume = 0;       ///< base units
  double taker_sell_volume = 0;      ///< base units
  int64_t trade_count = 0;           ///< sum of l - f + 1
  caf::optional<double> vwap;        ///< quote per base
  caf::optional<double> taker_imbalance;     ///< (buy - sell) / (buy + sell), in [-1, 1]
  caf::optional<double> realized_vol_pct;    ///< annualized, percent
  int64_t returns = 0;               ///< 1-second returns behind realized_vol_pct
  int64_t missing_trades = 0;        ///< dropped behind a backlog within the window: incomplete when > 0
};

/// Everything known about one symbol at one instant: spot features, the derivatives readings of its
/// currency and, per input, its freshness. Missing values are caf::none (their input UNKNOWN).
struct feature_snapshot {
  caf::timestamp time;               ///< local wall clock at capture
  std::string symbol;
  std::string currency;
  caf::optional<double> last_price;
  caf::optional<double> best_bid;
  caf::optional<double> best_bid_quantity;
  caf::optional<double> best_ask;
  caf::optional<double> best_ask_quantity;
  caf::optional<double> mid;
  caf::optional<double> spread_bps;
  window_features window_1m;
  window_features window_5m;
  caf::optional<double> futures_basis_apr;   ///< percent per year
  quant::basis_state basis_state = quant::basis_state::unknown;        ///< STALE when old
  quant::basis_state basis_last_state = quant::basis_state::unknown;   ///< the state it had
  caf::optional<double> options_skew;        ///< 25-delta put IV - call IV, vol points
  quant::skew_state skew_state = quant::skew_state::unknown;
  quant::skew_state skew_last_state = quant::skew_state::unknown;
  caf::optional<double> atm_iv;              ///< percent
  caf::optional<double> butterfly;           ///< 25-delta butterfly, vol points
  input_status trade;
  input_status book;
  input_status basis;
  input_status skew;
  std::vector<surface_tenor> surface;        ///< the currency's surface (docs/snapshots.md)
  std::vector<cm_basis_point> basis_cm;      ///< its basis at constant maturities
  caf::optional<mfiv_record> mfiv;           ///< its MFIV; none without a skew reading
  dvol_record dvol;                          ///< its DVOL as the cache shows it (with mfiv_minus_dvol)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, spot_trade& x) {
  return f(caf::meta::type_name("spot_trade"), x.symbol, x.price, x.quantity, x.first_trade_id, x.last_trade_id,
           x.trade_time, x.event_time, x.buyer_is_maker, x.received, x.read_at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, spot_ticker& x) {
  return f(caf::meta::type_name("spot_ticker"), x.symbol, x.update_id, x.bid_price, x.bid_quantity, x.ask_price,
           x.ask_quantity, x.received, x.read_at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, spot_batch& x) {
  return f(caf::meta::type_name("spot_batch"), x.trades, x.tickers, x.missed);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, missed_trades& x) {
  return f(caf::meta::type_name("missed_trades"), x.symbol, x.trades, x.latest_trade_time);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ws_event& x) {
  return f(caf::meta::type_name("ws_event"), x.connection, x.kind, x.bytes, x.failure, x.message);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ws_frames& x) {
  return f(caf::meta::type_name("ws_frames"), x.connection, x.frames, x.received, x.read_at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, feed_status& x) {
  return f(caf::meta::type_name("feed_status"), x.connected, x.connects, x.reconnects, x.drops, x.stalls, x.rotations,
           x.server_shutdowns, x.frames, x.agg_trades, x.book_tickers, x.ignored, x.malformed, x.oversized, x.pings,
           x.trades_dropped, x.tickers_conflated, x.queued_trades, x.consecutive_failures, x.last_error, x.last_data, x.lag, x.next_attempt);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, spot_counts& x) {
  return f(caf::meta::type_name("spot_counts"), x.trades_accepted, x.trades_repeated, x.trades_late, x.bad_time,
           x.bad_id, x.trades_missed);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, input_status& x) {
  return f(caf::meta::type_name("input_status"), x.state, x.age, x.lag);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, window_features& x) {
  return f(caf::meta::type_name("window_features"), x.window_seconds, x.taker_buy_volume, x.taker_sell_volume,
           x.trade_count, x.vwap, x.taker_imbalance, x.realized_vol_pct, x.returns, x.missing_trades);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, feature_snapshot& x) {
  return f(caf::meta::type_name("feature_snapshot"), x.time, x.symbol, x.currency, x.last_price, x.best_bid,
           x.best_bid_quantity, x.best_ask, x.best_ask_quantity, x.mid, x.spread_bps, x.window_1m, x.window_5m,
           x.futures_basis_apr, x.basis_state, x.basis_last_state, x.options_skew, x.skew_state, x.skew_last_state,
           x.atm_iv, x.butterfly, x.trade, x.book, x.basis, x.skew, x.surface, x.basis_cm, x.mfiv, x.dvol);
}

} // namespace derivcache::messages
