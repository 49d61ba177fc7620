// Beast WSS server behind binance_simulator: one io_context thread, one session per connection.
#include "sim/binance_sim.hpp"

#include "sim/server.hpp"

#include "codec/file.hpp"
#include "codec/json_writer.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json.hpp>

#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cinttypes>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <iterator>
#include <limits>
#include <map>
#include <set>
#include <mutex>
#include <optional>
#include <random>

namespace derivcache::sim {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::string to_string(binance_fault x) {
  static constexpr const char* names[] = {
    "drop", "stall", "malformed", "oversized", "handshake_never", "server_shutdown", "ping_flood",
    "future_time", "wild_trade_id",
  };
  static_assert(std::size(names) == static_cast<std::size_t>(binance_fault::wild_trade_id) + 1, "one name per value");
  auto i = static_cast<std::size_t>(x);
  return i < std::size(names) ? names[i] : "unknown";
}

bool parse_binance_fault(const std::string& text, binance_fault& out) {
  for (int i = 0; i <= static_cast<int>(binance_fault::wild_trade_id); ++i) {
    if (text == to_string(static_cast<binance_fault>(i))) {
      out = static_cast<binance_fault>(i);
      return true;
    }
  }
  return false;
}

namespace {

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string upper(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

/// "btcusdt@aggTrade" -> ("btcusdt", "aggTrade").
std::pair<std::string, std::string> split_stream(const std::string& stream) {
  auto at = stream.find('@');
  if (at == std::string::npos)
    return {stream, {}};
  return {stream.substr(0, at), stream.substr(at + 1)};
}

/// Price in ticks of 0.01 as Binance prints it: "65000.01000000".
std::string format_price(std::int64_t ticks) {
  char out[48];
  std::snprintf(out, sizeof out, "%" PRId64 ".%02" PRId64 "000000", ticks / 100, ticks % 100);
  return out;
}

/// Quantity in lots of 0.00001: "0.00356000".
std::string format_quantity(std::int64_t lots) {
  char out[48];
  std::snprintf(out, sizeof out, "%" PRId64 ".%05" PRId64 "000", lots / 100000, lots % 100000);
  return out;
}

/// A combined-stream frame: {"stream": name, "data": data}.
std::string combined_frame(const std::string& stream, std::string_view data) {
  codec::json_writer w;
  return w.begin_object().field("stream", stream).key("data").raw(data).end_object().take();
}

/// Binance's answer to a bad request: {"code": code, "msg": text}.
std::string error_body(int code, const std::string& text) {
  codec::json_writer w;
  return w.begin_object().field("code", code).field("msg", text).end_object().take();
}

std::int64_t start_price_ticks(const std::string& symbol) {
  static const std::map<std::string, std::int64_t> known = {
    {"BTCUSDT", 6500000}, {"ETHUSDT", 350000}, {"SOLUSDT", 15000}, {"BNBUSDT", 60000}, {"XRPUSDT", 60}};
  auto it = known.find(symbol);
  return it == known.end() ? 10000 : it->second;
}

} // namespace

namespace {

void write_strings(codec::json_writer& w, std::string_view key, std::initializer_list<const char*> items) {
  w.key(key).begin_array();
  for (const char* x : items)
    w.value(x);
  w.end_array();
}

void write_filters(codec::json_writer& w) {
  w.key("filters").begin_array();
  w.begin_object().field("filterType", "PRICE_FILTER").field("minPrice", "0.01000000");
  w.field("maxPrice", "1000000.00000000").field("tickSize", "0.01000000").end_object();
  w.begin_object().field("filterType", "LOT_SIZE").field("minQty", "0.00001000").field("maxQty", "9000.00000000");
  w.field("stepSize", "0.00001000").end_object();
  w.begin_object().field("filterType", "NOTIONAL").field("minNotional", "5.00000000").field("applyMinToMarket", true);
  w.field("maxNotional", "9000000.00000000").field("applyMaxToMarket", false).field("avgPriceMins", 5).end_object();
  w.end_array();
}

/// One `symbols` entry of exchangeInfo: a spot pair `symbol` quoted in `quote`.
void write_symbol(codec::json_writer& w, const std::string& symbol, const std::string& quote) {
  w.begin_object().field("symbol", symbol).field("status", "TRADING");
  w.field("baseAsset", symbol.substr(0, symbol.size() - quote.size())).field("baseAssetPrecision", 8);
  w.field("quoteAsset", quote);
  for (const char* k : {"quotePrecision", "quoteAssetPrecision", "baseCommissionPrecision", "quoteCommissionPrecision"})
    w.field(k, 8);
  write_strings(w, "orderTypes", {"LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"});
  for (const char* k : {"icebergAllowed", "ocoAllowed", "otoAllowed", "quoteOrderQtyMarketAllowed", "allowTrailingStop",
                        "cancelReplaceAllowed", "isSpotTradingAllowed"})
    w.field(k, true);
  w.field("isMarginTradingAllowed", false);
  write_filters(w);
  w.key("permissions").begin_array().end_array();
  w.key("permissionSets").begin_array().begin_array().value("SPOT").end_array().end_array();
  w.field("defaultSelfTradePreventionMode", "EXPIRE_MAKER");
  write_strings(w, "allowedSelfTradePreventionModes", {"EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"});
  w.end_object();
}

} // namespace

std::string exchange_info(const std::vector<std::string>& symbols) {
  codec::json_writer w;
  w.begin_object().field("timezone", "UTC").field("serverTime", binance_stream_generator::epoch_ms);
  w.key("rateLimits").begin_array().begin_object().field("rateLimitType", "REQUEST_WEIGHT").field("interval", "MINUTE");
  w.field("intervalNum", 1).field("limit", 6000).end_object().end_array();
  w.key("exchangeFilters").begin_array().end_array();
  w.key("symbols").begin_array();
  for (const auto& raw : symbols) {
    auto symbol = upper(raw);
    for (const char* q : {"FDUSD", "USDT", "USDC", "BUSD", "BTC"}) {
      std::string quote{q};
      if (symbol.size() > quote.size() && symbol.compare(symbol.size() - quote.size(), quote.size(), quote) == 0) {
        write_symbol(w, symbol, quote);
        break;
      }
    }
  }
  return w.end_array().end_object().take();
}

bool is_supported_stream(const std::string& stream) {
  auto [symbol, kind] = split_stream(stream);
  if (symbol.empty() || symbol != lower(symbol))
    return false;
  return kind == "aggTrade" || kind == "bookTicker" || kind == "trade";
}

struct binance_stream_generator::market_state {
  struct market {
    std::string symbol;            // upper case
    std::int64_t price_ticks = 0;
    std::int64_t agg_id = 0;
    std::int64_t trade_id = 0;
    std::int64_t update_id = 0;
  };
  std::map<std::string, market> markets;  // by lower-case symbol; node-based, so pointers stay valid
  std::int64_t clock = epoch_ms;
};

std::shared_ptr<binance_stream_generator::market_state> binance_stream_generator::make_market() {
  return std::make_shared<market_state>();
}

struct binance_stream_generator::state {
  using market = market_state::market;
  struct stream {
    std::string name;
    std::string kind;
    market* m = nullptr;
    bool moves_price = true;   // trade streams move the price; a bookTicker only without one for its symbol
  };

  explicit state(std::shared_ptr<market_state> m) : shared(std::move(m)), markets(shared->markets), clock(shared->clock) {}

  std::mt19937_64 rng;
  bool combined = true;
  std::shared_ptr<market_state> shared;
  std::map<std::string, market>& markets;
  std::int64_t& clock;
  std::vector<stream> streams;
  std::size_t next_stream = 0;
  std::string last_stream;

  // Only raw engine output is used: std distributions differ between standard libraries.
  std::int64_t uniform(std::int64_t n) { return static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(n)); }

  std::int64_t lots() {
    auto q = 1 + uniform(2000);
    return uniform(10) == 0 ? q * 50 : q;
  }

  void set_streams(const std::vector<std::string>& names) {
    streams.clear();
    std::set<std::string> traded;
    for (const auto& name : names) {
      auto [symbol, kind] = split_stream(name);
      auto [it, fresh] = markets.try_emplace(symbol);
      if (fresh) {
        // Distinct, fixed id ranges per symbol, by insertion order.
        auto n = static_cast<std::int64_t>(markets.size());
        it->second.symbol = upper(symbol);
        it->second.price_ticks = start_price_ticks(it->second.symbol);
        it->second.agg_id = 3000000000LL * n;
        it->second.trade_id = 4000000000LL * n;
        it->second.update_id = 60000000000LL * n;
      }
      if (kind != "bookTicker")
        traded.insert(symbol);
      streams.push_back({name, kind, &it->second});
    }
    for (auto& st : streams)
      st.moves_price = st.kind != "bookTicker" || traded.count(split_stream(st.name).first) == 0;
    next_stream = 0;
  }

  std::string next() {
    if (streams.empty())
      return {};
    auto& s = streams[next_stream];
    next_stream = (next_stream + 1) % streams.size();
    auto& m = *s.m;
    clock += uniform(21);
    if (s.moves_price)
      m.price_ticks = std::max<std::int64_t>(1, m.price_ticks + uniform(11) - 5);
    auto event_time = clock + uniform(3);
    codec::json_writer w;
    w.begin_object();
    // The draws below keep the order of earlier releases, so that a seed gives the frames it always gave.
    if (s.kind == "aggTrade") {
      auto first = m.trade_id + 1;
      m.trade_id = first + uniform(3);
      bool maker = uniform(2) != 0;
      auto qty = lots();
      w.field("e", "aggTrade").field("E", event_time).field("s", m.symbol).field("a", ++m.agg_id);
      w.field("p", format_price(m.price_ticks)).field("q", format_quantity(qty)).field("f", first);
      w.field("l", m.trade_id).field("T", clock).field("m", maker).field("M", true);
    } else if (s.kind == "trade") {
      bool maker = uniform(2) != 0;
      auto qty = lots();
      w.field("e", "trade").field("E", event_time).field("s", m.symbol).field("t", ++m.trade_id);
      w.field("p", format_price(m.price_ticks)).field("q", format_quantity(qty));
      w.field("T", clock).field("m", maker).field("M", true);
    } else {
      m.update_id += 1 + uniform(5);
      auto bid = std::max<std::int64_t>(1, m.price_ticks - uniform(3));
      auto ask = m.price_ticks + 1 + uniform(3);
      auto ask_qty = lots();
      auto bid_qty = lots();
      w.field("u", m.update_id).field("s", m.symbol).field("b", format_price(bid)).field("B", format_quantity(bid_qty));
      w.field("a", format_price(ask)).field("A", format_quantity(ask_qty));
    }
    auto data = w.end_object().take();
    last_stream = s.name;
    if (!combined)
      return data;
    return combined_frame(s.name, data);
  }
};

binance_stream_generator::binance_stream_generator(std::uint64_t seed, std::vector<std::string> streams,
                                                   bool combined, std::shared_ptr<market_state> market)
  : state_(std::make_unique<state>(market ? std::move(market) : make_market())) {
  state_->rng.seed(seed);
  state_->combined = combined;
  state_->set_streams(streams);
}

binance_stream_generator::~binance_stream_generator() = default;
binance_stream_generator::binance_stream_generator(binance_stream_generator&&) noexcept = default;
binance_stream_generator& binance_stream_generator::operator=(binance_stream_generator&&) noexcept = default;

std::string binance_stream_generator::next() { return state_->next(); }
std::int64_t binance_stream_generator::clock_ms() const { return state_->clock; }
void binance_stream_generator::set_streams(const std::vector<std::string>& streams) { state_->set_streams(streams); }
const std::string& binance_stream_generator::last_stream() const { return state_->last_stream; }

class binance_session;

struct binance_simulator::impl {
  binance_simulator_options options;
  std::vector<std::string> replay_combined;  // immutable after start()
  std::vector<std::string> replay_raw;

  std::mutex mutex;
  std::deque<binance_fault_spec> faults;
  std::atomic<std::size_t> fault_count{0};
  std::vector<std::weak_ptr<binance_session>> sessions;
  /// The market all connections stream from (used on the io_context thread only).
  std::shared_ptr<binance_stream_generator::market_state> market = binance_stream_generator::make_market();

  binance_counters counters;  // guarded by mutex

  /// Adds one to a counter, from any thread.
  void count(std::uint64_t binance_counters::*counter) {
    std::lock_guard<std::mutex> guard{mutex};
    ++(counters.*counter);
  }

  loopback_server server;

  std::string load_replay();
  bool take_handshake_never();
  std::optional<binance_fault_spec> take_stream_fault(std::uint64_t sent);
  void wake_sessions();
};

namespace {

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.pop_back();
  return s;
}

} // namespace

/// One server connection: TLS, upgrade, then a write pump (data frames, pings, replies, faults) and a read loop.
class binance_session : public std::enable_shared_from_this<binance_session> {
public:
  binance_session(tcp::socket&& socket, asio::ssl::context& ctx, binance_simulator::impl& sim)
    : ws_(std::move(socket), ctx),
      sim_(sim),
      send_timer_(ws_.get_executor()),
      ping_timer_(ws_.get_executor()),
      grace_timer_(ws_.get_executor()),
      generator_(sim.options.seed, {}, true, sim.market) {}

  void run() {
    asio::dispatch(ws_.get_executor(), [self = shared_from_this()] { self->on_run(); });
  }

  /// A fault was queued: look at it now even if the stream is idle.
  void wake() {
    asio::post(ws_.get_executor(), [self = shared_from_this()] { self->pump(); });
  }

private:
  enum class out_kind : uint8_t { data, reply, malformed, oversized, shutdown, ping, close };
  /// What each out_kind adds to once written; in out_kind order.
  static constexpr std::uint64_t binance_counters::*sent_counter[] = {
    nullptr, &binance_counters::replies, &binance_counters::malformed, &binance_counters::oversized,
    &binance_counters::server_shutdowns, &binance_counters::pings, nullptr};
  struct out_item {
    out_kind kind;
    std::string text;
    websocket::close_code code = websocket::close_code::normal;
  };

  void on_run() {
    beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds{10});
    ws_.next_layer().async_handshake(asio::ssl::stream_base::server,
                                     [self = shared_from_this()](beast::error_code ec) { self->on_tls(ec); });
  }

  void on_tls(beast::error_code ec) {
    if (ec)
      return; // e.g. the client rejected our certificate
    if (sim_.take_handshake_never()) {
      // Hold the connection without reading the upgrade request; the client's deadline fires first.
      beast::get_lowest_layer(ws_).expires_never();
      grace_timer_.expires_after(std::chrono::seconds{60});
      return grace_timer_.async_wait([self = shared_from_this()](beast::error_code) { self->close_hard(false); });
    }
    http::async_read(ws_.next_layer(), buffer_, req_,
                     [self = shared_from_this()](beast::error_code ec2, std::size_t) { self->on_request(ec2); });
  }

  void on_request(beast::error_code ec) {
    if (ec)
      return;
    std::string target{req_.target()};
    auto qpos = target.find('?');
    std::string path = target.substr(0, qpos);
    std::string query = qpos == std::string::npos ? std::string{} : target.substr(qpos + 1);
    std::vector<std::string> streams;
    if (path == "/stream" || path == "/stream/") {
      combined_ = true;
      auto key = query.find("streams=");
      if (key != std::string::npos) {
        auto list = query.substr(key + 8);
        list = list.substr(0, list.find('&'));
        streams = split(list, '/');
      }
    } else if (path == "/ws" || path.rfind("/ws/", 0) == 0) {
      combined_ = false;
      if (path.size() > 4)
        streams = split(path.substr(4), '/');
      // `/ws/0`, `/ws/1`: ccxt numbers its connections in the path and subscribes afterwards.
      streams.erase(std::remove_if(streams.begin(), streams.end(), [](const std::string& s) {
                      return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
                    }), streams.end());
    } else if (path == "/api/v3/exchangeInfo" && req_.method() == http::verb::get) {
      sim_.count(&binance_counters::exchange_infos);
      return respond(http::status::ok, exchange_info(sim_.options.symbols));
    } else {
      return reject(http::status::not_found, error_body(2, "Invalid request: unknown path"));
    }
    if (!websocket::is_upgrade(req_))
      return reject(http::status::bad_request, error_body(2, "Invalid request: expected a WebSocket upgrade"));
    if (auto bad = invalid_stream(streams); !bad.empty())
      return reject(http::status::bad_request, error_body(2, "Invalid request: unknown stream '" + bad + "'"));
    streams_ = std::move(streams);

    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = std::chrono::seconds{10};
    timeouts.idle_timeout = websocket::stream_base::none();
    timeouts.keep_alive_pings = false;  // our own pings, every ping_interval
    ws_.set_option(timeouts);
    ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(http::field::server, "derivcache-sim"); }));
    ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
      if (kind == websocket::frame_type::pong)
        sim_.count(&binance_counters::pongs);
    });
    ws_.async_accept(req_, [self = shared_from_this()](beast::error_code ec2) { self->on_accept(ec2); });
  }

  void on_accept(beast::error_code ec) {
    if (ec)
      return;
    sim_.count(&binance_counters::handshakes);
    open_ = true;
    generator_ = binance_stream_generator{sim_.options.seed, streams_, combined_, sim_.market};
    {
      std::lock_guard<std::mutex> guard{sim_.mutex};
      sim_.sessions.push_back(shared_from_this());
    }
    if (sim_.options.rate > 0)
      interval_ = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>{1.0 / sim_.options.rate});
    next_due_ = std::chrono::steady_clock::now();
    arm_ping();
    do_read();
    pump();
  }

  void do_read() {
    ws_.async_read(rd_buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == websocket::error::closed && !closing_) {   // the client closed first
      std::lock_guard<std::mutex> guard{sim_.mutex};
      ++sim_.counters.client_closes;
      sim_.counters.last_client_close_code = static_cast<std::uint16_t>(ws_.reason().code);
    }
    if (ec)
      return end();
    auto text = beast::buffers_to_string(rd_buffer_.data());
    rd_buffer_.consume(rd_buffer_.size());
    handle_request(text);
    do_read();
  }

  /// `{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":1}` and friends; answers as Binance does.
  void handle_request(const std::string& text) {
    namespace json = boost::json;
    boost::system::error_code ec;
    auto doc = json::parse(text, ec);
    if (ec || !doc.is_object())
      return reply(error_body(3, "Invalid JSON: " + (ec ? ec.message() : std::string{"not an object"})));
    const auto& req = doc.as_object();
    const auto* given_id = req.if_contains("id");
    const std::string id = given_id ? json::serialize(*given_id) : "null";
    auto answer = [&id](codec::json_writer& w) { return w.key("id").raw(id).end_object().take(); };
    auto error = [&](const std::string& msg) {
      codec::json_writer w;
      w.begin_object().field("code", 2).field("msg", "Invalid request: " + msg);
      return reply(answer(w));
    };
    const auto* method = req.if_contains("method");
    if (!method || !method->is_string())
      return error("method is missing");
    std::string name{method->as_string().c_str()};
    codec::json_writer w;
    w.begin_object().key("result");
    if (name == "LIST_SUBSCRIPTIONS") {
      w.begin_array();
      for (const auto& s : streams_)
        w.value(s);
      return reply(answer(w.end_array()));
    }
    if (name != "SUBSCRIBE" && name != "UNSUBSCRIBE")
      return error("unknown method '" + name + "'");
    std::vector<std::string> params;
    if (const auto* p = req.if_contains("params"); p && p->is_array()) {
      for (const auto& v : p->as_array()) {
        if (!v.is_string())
          return error("params must be strings");
        params.emplace_back(v.as_string().c_str());
      }
    }
    if (auto bad = invalid_stream(params); !bad.empty())
      return error("unknown stream '" + bad + "'");
    for (const auto& s : params) {
      auto it = std::find(streams_.begin(), streams_.end(), s);
      if (name == "SUBSCRIBE" && it == streams_.end())
        streams_.push_back(s);
      else if (name == "UNSUBSCRIBE" && it != streams_.end())
        streams_.erase(it);
    }
    generator_.set_streams(streams_);
    reply(answer(w.null()));
  }

  void reply(std::string answer) {
    out_.push_back({out_kind::reply, std::move(answer)});
    pump();
  }

  /// Writes what is queued, applies due faults, then makes the next data frame when it is due.
  void pump() {
    if (!open_ || writing_)
      return;
    if (out_.empty() && !shutting_down_ && sim_.fault_count.load() > 0) {
      if (auto f = sim_.take_stream_fault(sent_))
        apply(*f);
      if (!open_)
        return;
    }
    if (out_.empty() && !shutting_down_ && !stalled_ && !done_)
      produce();
    if (!out_.empty())
      write_front();
  }

  void produce() {
    const auto& o = sim_.options;
    bool replaying = o.replay;
    auto available = replaying ? sim_.replay_combined.size() : std::numeric_limits<std::size_t>::max();
    if (streams_.empty())
      return; // /ws before any SUBSCRIBE
    if ((o.total > 0 && sent_ >= o.total) || sent_ >= available) {
      done_ = true;
      if (o.close_when_done)
        out_.push_back({out_kind::close, {}, websocket::close_code::normal});
      return;
    }
    if (interval_.count() > 0) {
      auto now = std::chrono::steady_clock::now();
      if (now < next_due_) {
        if (!timer_armed_) {
          timer_armed_ = true;
          send_timer_.expires_at(next_due_);
          send_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
            self->timer_armed_ = false;
            if (!ec)
              self->pump();
          });
        }
        return;
      }
      // Catch up after a slow reader, but never in a burst longer than one second.
      next_due_ = std::max(next_due_ + interval_, now - std::chrono::seconds{1});
    }
    if (replaying) {
      auto i = static_cast<std::size_t>(sent_);
      out_.push_back({out_kind::data, combined_ ? sim_.replay_combined[i] : sim_.replay_raw[i]});
      sim_.count(&binance_counters::replayed);
    } else {
      out_.push_back({out_kind::data, generator_.next()});
      const auto& stream = generator_.last_stream();
      auto kind = stream.substr(stream.find('@') + 1);
      sim_.count(kind == "aggTrade" ? &binance_counters::agg_trades
                 : kind == "trade"  ? &binance_counters::trades
                                    : &binance_counters::book_tickers);
    }
    ++sent_;
  }

  void apply(const binance_fault_spec& f) {
    switch (f.kind) {
      case binance_fault::drop:
        open_ = false;
        return close_hard(true);
      case binance_fault::stall:
        stalled_ = true;
        if (f.stall_pings) {
          pings_stopped_ = true;
          ping_timer_.cancel();
        }
        return;
      case binance_fault::malformed:
        for (int i = 0; i < f.count; ++i)
          out_.push_back({out_kind::malformed, R"({"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":)"});
        return;
      case binance_fault::oversized: {
        auto frame = [&](std::size_t pad) {
          codec::json_writer data;
          data.begin_object().field("pad", std::string(pad, 'x')).end_object();
          return combined_frame(streams_.empty() ? std::string{"btcusdt@depth"} : streams_.front(), data.str());
        };
        auto bare = frame(0).size();
        auto text = frame(f.bytes > bare ? f.bytes - bare : 0);
        for (int i = 0; i < f.count; ++i)
          out_.push_back({out_kind::oversized, text});
        return;
      }
      case binance_fault::server_shutdown: {
        shutting_down_ = true;
        codec::json_writer w;
        auto data = w.begin_object().field("e", "serverShutdown").field("E", generator_.clock_ms()).end_object().take();
        out_.push_back({out_kind::shutdown, combined_ ? combined_frame("!serverShutdown", data) : data});
        return;
      }
      case binance_fault::ping_flood:
        for (int i = 0; i < f.count; ++i)
          out_.push_back({out_kind::ping, {}});
        return;
      case binance_fault::handshake_never:
        return;
      case binance_fault::future_time:
      case binance_fault::wild_trade_id:
        for (int i = 0; i < f.count; ++i)
          if (auto frame = bad_agg_trade(f.kind); !frame.empty()) {
            out_.push_back({out_kind::data, std::move(frame)});
            sim_.count(&binance_counters::bad_trades);
          }
        return;
    }
  }

  /// The next aggTrade of the market, rewritten: T and E a day ahead of the local clock, or the ids 2^62.
  /// Empty when the connection streams no aggTrade.
  std::string bad_agg_trade(binance_fault kind) {
    for (std::size_t tries = 0; tries < std::max<std::size_t>(1, streams_.size()); ++tries) {
      auto text = generator_.next();
      if (generator_.last_stream().find("@aggTrade") == std::string::npos)
        continue;
      auto doc = boost::json::parse(text);
      auto& data = doc.is_object() && doc.as_object().contains("data") ? doc.at("data").as_object() : doc.as_object();
      if (kind == binance_fault::future_time) {
        const std::int64_t ahead = std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch() + std::chrono::hours{24})
                                     .count();
        data["T"] = ahead;
        data["E"] = ahead;
      } else {
        const std::int64_t wild = std::int64_t{1} << 62;
        data["a"] = wild;
        data["f"] = wild;
        data["l"] = wild;
      }
      return boost::json::serialize(doc);
    }
    return {};
  }

  void write_front() {
    writing_ = true;
    current_ = std::move(out_.front());
    out_.pop_front();
    auto done = [self = shared_from_this()](beast::error_code ec, std::size_t = 0) { self->on_write(ec); };
    if (auto counter = sent_counter[static_cast<std::size_t>(current_.kind)])
      sim_.count(counter);
    if (current_.kind == out_kind::ping)
      return ws_.async_ping({}, done);
    if (current_.kind == out_kind::close) {
      closing_ = true;
      return ws_.async_close(current_.code, done);
    }
    ws_.text(true);
    ws_.async_write(asio::buffer(current_.text), done);
  }

  void on_write(beast::error_code ec) {
    writing_ = false;
    if (ec || current_.kind == out_kind::close)
      return end();
    if (current_.kind == out_kind::shutdown) {
      grace_timer_.expires_after(sim_.options.shutdown_grace);
      grace_timer_.async_wait([self = shared_from_this()](beast::error_code ec2) {
        if (ec2 || !self->open_)
          return;
        self->out_.push_back({out_kind::close, {}, websocket::close_code::going_away});
        self->pump();
      });
    }
    pump();
  }

  void arm_ping() {
    if (pings_stopped_ || !open_)
      return;
    ping_timer_.expires_after(sim_.options.ping_interval);
    ping_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->pings_stopped_ || !self->open_)
        return;
      self->out_.push_back({out_kind::ping, {}});
      self->pump();
      self->arm_ping();
    });
  }

  void end() {
    open_ = false;
    send_timer_.cancel();
    ping_timer_.cancel();
    grace_timer_.cancel();
  }

  void reject(http::status status, std::string body) { respond(status, std::move(body)); }

  /// Answers a plain HTTPS request and closes the connection.
  void respond(http::status status, std::string body) {
    auto res = std::make_shared<http::response<http::string_body>>(status, req_.version());
    res->set(http::field::server, "derivcache-sim");
    res->set(http::field::content_type, "application/json");
    res->keep_alive(false);
    res->body() = std::move(body);
    res->prepare_payload();
    http::async_write(ws_.next_layer(), *res, [self = shared_from_this(), res](beast::error_code, std::size_t) {
      self->close_hard(false);
    });
  }

  void close_hard(bool rst) {
    end();
    sim::close_hard(beast::get_lowest_layer(ws_).socket(), rst);
  }

  std::string invalid_stream(const std::vector<std::string>& streams) const {
    for (const auto& s : streams) {
      if (sim_.options.replay)
        continue; // replay sends the recorded frames whatever is asked
      if (!is_supported_stream(s))
        return s;
      auto symbol = upper(split_stream(s).first);
      const auto& known = sim_.options.symbols;
      if (std::find(known.begin(), known.end(), symbol) == known.end())
        return s;
    }
    return {};
  }

  static std::vector<std::string> split(const std::string& list, char sep) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= list.size()) {
      auto end = list.find(sep, start);
      if (end == std::string::npos)
        end = list.size();
      if (end > start)
        out.push_back(list.substr(start, end - start));
      start = end + 1;
    }
    return out;
  }

  websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws_;
  binance_simulator::impl& sim_;
  asio::steady_timer send_timer_;
  asio::steady_timer ping_timer_;
  asio::steady_timer grace_timer_;
  beast::flat_buffer buffer_;
  beast::flat_buffer rd_buffer_;
  http::request<http::string_body> req_;
  binance_stream_generator generator_;
  std::vector<std::string> streams_;
  std::deque<out_item> out_;
  out_item current_{out_kind::data, {}};
  std::chrono::steady_clock::duration interval_{0};
  std::chrono::steady_clock::time_point next_due_;
  std::uint64_t sent_ = 0;
  bool combined_ = true;
  bool open_ = false;
  bool writing_ = false;
  bool closing_ = false;   ///< this side sent a close frame
  bool timer_armed_ = false;
  bool stalled_ = false;
  bool pings_stopped_ = false;
  bool shutting_down_ = false;
  bool done_ = false;
};

std::string binance_simulator::impl::load_replay() {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<fs::path> files;
  for (fs::directory_iterator it{options.data_dir, ec}, end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".json")
      files.push_back(it->path());
  }
  if (ec)
    return "data dir '" + options.data_dir + "': " + ec.message();
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    std::string error;
    auto text = codec::read_text_file(file.string(), error);
    if (!text)
      return "data file " + error;
    boost::system::error_code jec;
    auto doc = boost::json::parse(*text, jec);
    if (jec || !doc.is_object() || !doc.as_object().contains("data"))
      return "data file '" + file.string() + "': not a combined-stream frame";
    replay_combined.push_back(trim(std::move(*text)));
    replay_raw.push_back(boost::json::serialize(doc.at("data")));
  }
  if (replay_combined.empty())
    return "data dir '" + options.data_dir + "': no recorded frames (*.json)";
  return {};
}

bool binance_simulator::impl::take_handshake_never() {
  if (fault_count.load() == 0)
    return false;
  std::lock_guard<std::mutex> guard{mutex};
  for (auto it = faults.begin(); it != faults.end(); ++it) {
    if (it->kind != binance_fault::handshake_never)
      continue;
    if (--it->count <= 0) {
      faults.erase(it);
      --fault_count;
    }
    return true;
  }
  return false;
}

std::optional<binance_fault_spec> binance_simulator::impl::take_stream_fault(std::uint64_t sent) {
  std::lock_guard<std::mutex> guard{mutex};
  for (auto it = faults.begin(); it != faults.end(); ++it) {
    if (it->kind == binance_fault::handshake_never || it->after > sent)
      continue;
    auto out = *it;
    bool per_connection = it->kind == binance_fault::drop || it->kind == binance_fault::stall
                          || it->kind == binance_fault::server_shutdown;
    if (per_connection) {
      out.count = 1;
      if (--it->count > 0)
        return out;
    }
    faults.erase(it);
    --fault_count;
    return out;
  }
  return std::nullopt;
}

void binance_simulator::impl::wake_sessions() {
  // Under the lock: stop() clears `sessions` under it before destroying the io_context.
  std::lock_guard<std::mutex> guard{mutex};
  auto dead = [](const std::weak_ptr<binance_session>& w) { return w.expired(); };
  sessions.erase(std::remove_if(sessions.begin(), sessions.end(), dead), sessions.end());
  for (const auto& w : sessions) {
    if (auto s = w.lock())
      s->wake();
  }
}

binance_simulator::binance_simulator(binance_simulator_options options) : impl_(std::make_shared<impl>()) {
  impl_->options = std::move(options);
}

binance_simulator::~binance_simulator() {
  stop();
}

start_result binance_simulator::start() {
  auto& d = *impl_;
  auto load = [&d] {
    if (d.options.data_dir.empty())
      d.options.data_dir = default_data_dir() + "/binance";
    for (auto& s : d.options.symbols)
      s = upper(s);
    return d.options.replay ? d.load_replay() : std::string{};
  };
  auto accept = [&d](tcp::socket socket, asio::ssl::context& tls) {
    d.count(&binance_counters::connections);
    std::make_shared<binance_session>(std::move(socket), tls, d)->run();
  };
  return d.server.start({"binance simulator", d.options.cert_file, d.options.key_file, d.options.port, load, accept});
}

void binance_simulator::stop() {
  auto& d = *impl_;
  d.server.stop([&d] {
    std::lock_guard<std::mutex> guard{d.mutex};
    d.sessions.clear();
  });
}

unsigned short binance_simulator::port() const {
  return impl_->server.port();
}

void binance_simulator::inject(binance_fault f, int count) {
  inject(fault_of<binance_fault_spec>(f, count));
}

void binance_simulator::inject(binance_fault_spec spec) {
  if (spec.count < 1)
    return;
  {
    std::lock_guard<std::mutex> guard{impl_->mutex};
    impl_->faults.push_back(std::move(spec));
    ++impl_->fault_count;
  }
  impl_->wake_sessions();
}

void binance_simulator::clear_faults() {
  std::lock_guard<std::mutex> guard{impl_->mutex};
  impl_->faults.clear();
  impl_->fault_count = 0;
}

binance_counters binance_simulator::counters() const {
  std::lock_guard<std::mutex> guard{impl_->mutex};
  return impl_->counters;
}

} // namespace derivcache::sim
