// Loopback Binance spot WSS simulator: combined and raw streams, seeded synthetic or recorded frames, faults.
#pragma once

#include "sim/deribit_sim.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace derivcache::sim {

/// A scripted misbehaviour of the Binance simulator (wire names in parentheses, for `--binance-fault`).
enum class binance_fault : uint8_t {
  drop,             ///< (`drop`) close the TCP connection abruptly (RST), no close frame
  stall,            ///< (`stall`) stop sending data frames, keep the socket open; pings go on unless stall_pings
  malformed,        ///< (`malformed`) send one non-JSON text frame
  oversized,        ///< (`oversized`) send one frame of `bytes` bytes (default 2 MiB)
  handshake_never,  ///< (`handshake_never`) accept TCP + TLS, never answer the WebSocket upgrade
  server_shutdown,  ///< (`server_shutdown`) send a serverShutdown event, close (1001) after `shutdown_grace`
  ping_flood,       ///< (`ping_flood`) send `count` pings back to back
  future_time,      ///< (`future_time`) the next `count` aggTrades stamped (T, E) a day ahead of the local clock
  wild_trade_id,    ///< (`wild_trade_id`) the next `count` aggTrades with the ids a = f = l = 2^62
};
std::string to_string(binance_fault x);
/// Parses a `to_string(binance_fault)` name. False when unknown.
bool parse_binance_fault(const std::string& text, binance_fault& out);

/// One queued fault. handshake_never, drop, stall and server_shutdown apply to the next `count`
/// connections; malformed and oversized send `count` frames; ping_flood sends `count` pings; future_time and
/// wild_trade_id rewrite the next `count` aggTrade frames.
/// Except handshake_never, a fault fires on a streaming connection once it has sent `after`
/// data frames.
struct binance_fault_spec {
  binance_fault kind = binance_fault::drop;
  int count = 1;
  std::uint64_t after = 0;
  std::size_t bytes = 2u << 20;  ///< oversized: frame size
  bool stall_pings = false;      ///< stall: stop pings too
};

struct binance_simulator_options {
  static constexpr const char* bind_address = "127.0.0.1";  ///< fixed: never anything else
  unsigned short port = 0;                                   ///< 0 = ephemeral
  std::string cert_file;            ///< PEM chain; default: default_cert_dir()/server.pem
  std::string key_file;             ///< default: default_cert_dir()/server.key
  std::string data_dir;             ///< recorded frames for replay; default: default_data_dir()/binance
  std::vector<std::string> symbols{"BTCUSDT", "ETHUSDT"};    ///< symbols clients may request (upper case)
  bool replay = false;              ///< send the recorded frames (once, in order) instead of the synthetic stream
  std::uint64_t seed = 1;           ///< synthetic stream seed; the same seed gives the same frames
  double rate = 0;                  ///< data frames per second per connection; 0 = as fast as the client reads
  std::uint64_t total = 0;          ///< data frames per connection; 0 = unbounded
  bool close_when_done = false;     ///< after `total` frames, close the WebSocket (1000) instead of idling
  std::chrono::milliseconds ping_interval{std::chrono::seconds{20}};
  std::chrono::milliseconds shutdown_grace{200};  ///< serverShutdown event -> close frame
};

/// What the simulator did, since start().
struct binance_counters {
  std::uint64_t connections = 0;        ///< TCP connections accepted
  std::uint64_t handshakes = 0;         ///< WebSocket upgrades completed
  std::uint64_t agg_trades = 0;         ///< frames sent, by kind
  std::uint64_t book_tickers = 0;
  std::uint64_t trades = 0;
  std::uint64_t replayed = 0;
  std::uint64_t malformed = 0;
  std::uint64_t oversized = 0;
  std::uint64_t server_shutdowns = 0;
  std::uint64_t replies = 0;            ///< answers to SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS
  std::uint64_t pings = 0;
  std::uint64_t pongs = 0;              ///< pongs received
  std::uint64_t exchange_infos = 0;     ///< `GET /api/v3/exchangeInfo` answered
  std::uint64_t bad_trades = 0;         ///< aggTrades sent with a future time or a wild id (future_time, wild_trade_id)
  std::uint64_t client_closes = 0;      ///< close frames received from clients
  std::uint16_t last_client_close_code = 0;   ///< the code of the latest one (1000: normal closure)
  std::uint64_t data_frames() const { return agg_trades + book_tickers + trades + replayed; }
};

/// The seeded synthetic market: frames for `<symbol>@aggTrade`, `@bookTicker` and `@trade`
/// streams, round-robin over the streams in the order given. Prices walk in ticks of 0.01 around
/// a per-symbol start (BTCUSDT 65000) on every trade; bid <= last trade price < ask; trade ids increase; `T`/`E` follow
/// a simulated clock from 2026-03-13T19:00:00Z. Deterministic for a seed and a stream list.
class binance_stream_generator {
public:
  /// The market behind the frames: per-symbol prices and ids, and the clock.
  struct market_state;
  /// A market that generators can share: the simulator gives one to all its connections, so that, as on
  /// the real exchange, ids and times carry on across connections instead of starting over.
  static std::shared_ptr<market_state> make_market();

  /// `streams`: lower-case stream names ("btcusdt@aggTrade"); `combined`: wrap as {"stream","data"};
  /// `market`: shared with other generators, or a market of its own when null.
  binance_stream_generator(std::uint64_t seed, std::vector<std::string> streams, bool combined,
                           std::shared_ptr<market_state> market = nullptr);
  ~binance_stream_generator();
  binance_stream_generator(binance_stream_generator&&) noexcept;
  binance_stream_generator& operator=(binance_stream_generator&&) noexcept;

  /// The next frame; empty when there are no streams.
  std::string next();
  /// Replaces the stream list (SUBSCRIBE / UNSUBSCRIBE); prices, ids and the clock carry on.
  void set_streams(const std::vector<std::string>& streams);
  /// The stream of the last frame ("btcusdt@aggTrade").
  const std::string& last_stream() const;
  /// Simulated exchange time of the last frame (ms since the epoch).
  std::int64_t clock_ms() const;
  /// The start of the simulated clock: 2026-03-13T19:00:00Z.
  static constexpr std::int64_t epoch_ms = 1773428400000;

  struct state;

private:
  std::unique_ptr<state> state_;
};

/// The `GET /api/v3/exchangeInfo` body for `symbols` (spot, TRADING, 0.01 tick, 0.00001 lot): what a
/// client such as ccxt loads as its markets before it subscribes. Symbols without a known quote asset
/// (FDUSD, USDT, USDC, BUSD, BTC) are left out.
std::string exchange_info(const std::vector<std::string>& symbols);

/// True when `stream` (e.g. "btcusdt@bookTicker") names a kind the simulator generates.
bool is_supported_stream(const std::string& stream);

/// The server. Runs its own io_context thread between start() and stop(); every public member
/// function is thread-safe. Paths: `/stream?streams=a/b/...` (combined frames), `/ws/<stream>`
/// (raw frames), and `/ws` or `/stream` followed by `{"method":"SUBSCRIBE","params":[...],"id":N}`;
/// a numeric path segment (`/ws/0`, as ccxt connects) names no stream. A plain HTTPS
/// `GET /api/v3/exchangeInfo` is answered with exchange_info(symbols), then the connection closes.
class binance_simulator {
public:
  explicit binance_simulator(binance_simulator_options options = {});
  ~binance_simulator();
  binance_simulator(const binance_simulator&) = delete;
  binance_simulator& operator=(const binance_simulator&) = delete;

  start_result start();         ///< as deribit_simulator::start(), loading the recorded frames when replaying
  void stop();                  ///< as deribit_simulator::stop()
  unsigned short port() const;  ///< the bound port (0 before start())

  void inject(binance_fault f, int count = 1);
  void inject(binance_fault_spec spec);
  void clear_faults();

  binance_counters counters() const;

  struct impl;

private:
  std::shared_ptr<impl> impl_;
};

} // namespace derivcache::sim
