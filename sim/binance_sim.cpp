// Beast WSS server behind binance_simulator: one io_context thread, one session per connection.
#include "sim/binance_sim.hpp"

#include "net/listener.hpp"
#include "net/tls.hpp"

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
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

namespace derivcache::sim {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

std::string to_string(binance_fault x) {
  switch (x) {
    case binance_fault::drop:
      return "drop";
    case binance_fault::stall:
      return "stall";
    case binance_fault::malformed:
      return "malformed";
    case binance_fault::oversized:
      return "oversized";
    case binance_fault::handshake_never:
      return "handshake_never";
    case binance_fault::server_shutdown:
      return "server_shutdown";
    case binance_fault::ping_flood:
      return "ping_flood";
  }
  return "unknown";
}

bool parse_binance_fault(const std::string& text, binance_fault& out) {
  for (int i = 0; i <= static_cast<int>(binance_fault::ping_flood); ++i) {
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

std::int64_t start_price_ticks(const std::string& symbol) {
  static const std::map<std::string, std::int64_t> known = {
    {"BTCUSDT", 6500000}, {"ETHUSDT", 350000}, {"SOLUSDT", 15000}, {"BNBUSDT", 60000}, {"XRPUSDT", 60}};
  auto it = known.find(symbol);
  return it == known.end() ? 10000 : it->second;
}

} // namespace

std::string exchange_info(const std::vector<std::string>& symbols) {
  namespace json = boost::json;
  json::array list;
  for (const auto& raw : symbols) {
    auto symbol = upper(raw);
    std::string quote;
    for (const char* q : {"FDUSD", "USDT", "USDC", "BUSD", "BTC"}) {
      std::string suffix{q};
      if (symbol.size() > suffix.size() && symbol.compare(symbol.size() - suffix.size(), suffix.size(), suffix) == 0) {
        quote = suffix;
        break;
      }
    }
    if (quote.empty())
      continue;
    auto base = symbol.substr(0, symbol.size() - quote.size());
    json::array filters{
      json::object{{"filterType", "PRICE_FILTER"}, {"minPrice", "0.01000000"}, {"maxPrice", "1000000.00000000"},
                   {"tickSize", "0.01000000"}},
      json::object{{"filterType", "LOT_SIZE"}, {"minQty", "0.00001000"}, {"maxQty", "9000.00000000"},
                   {"stepSize", "0.00001000"}},
      json::object{{"filterType", "NOTIONAL"}, {"minNotional", "5.00000000"}, {"applyMinToMarket", true},
                   {"maxNotional", "9000000.00000000"}, {"applyMaxToMarket", false}, {"avgPriceMins", 5}},
    };
    list.push_back(json::object{
      {"symbol", symbol}, {"status", "TRADING"}, {"baseAsset", base}, {"baseAssetPrecision", 8},
      {"quoteAsset", quote}, {"quotePrecision", 8}, {"quoteAssetPrecision", 8}, {"baseCommissionPrecision", 8},
      {"quoteCommissionPrecision", 8},
      {"orderTypes", json::array{"LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"}},
      {"icebergAllowed", true}, {"ocoAllowed", true}, {"otoAllowed", true}, {"quoteOrderQtyMarketAllowed", true},
      {"allowTrailingStop", true}, {"cancelReplaceAllowed", true}, {"isSpotTradingAllowed", true},
      {"isMarginTradingAllowed", false}, {"filters", std::move(filters)}, {"permissions", json::array{}},
      {"permissionSets", json::array{json::array{"SPOT"}}}, {"defaultSelfTradePreventionMode", "EXPIRE_MAKER"},
      {"allowedSelfTradePreventionModes", json::array{"EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"}}});
  }
  json::object out{
    {"timezone", "UTC"}, {"serverTime", binance_stream_generator::epoch_ms},
    {"rateLimits", json::array{json::object{{"rateLimitType", "REQUEST_WEIGHT"}, {"interval", "MINUTE"},
                                            {"intervalNum", 1}, {"limit", 6000}}}},
    {"exchangeFilters", json::array{}}, {"symbols", std::move(list)}};
  return json::serialize(out);
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
    std::string data;
    auto event_time = std::to_string(clock + uniform(3));
    if (s.kind == "aggTrade") {
      auto first = m.trade_id + 1;
      m.trade_id = first + uniform(3);
      data = R"({"e":"aggTrade","E":)" + event_time + R"(,"s":")" + m.symbol + R"(","a":)" + std::to_string(++m.agg_id)
             + R"(,"p":")" + format_price(m.price_ticks) + R"(","q":")" + format_quantity(lots()) + R"(","f":)"
             + std::to_string(first) + R"(,"l":)" + std::to_string(m.trade_id) + R"(,"T":)" + std::to_string(clock)
             + R"(,"m":)" + (uniform(2) ? "true" : "false") + R"(,"M":true})";
    } else if (s.kind == "trade") {
      data = R"({"e":"trade","E":)" + event_time + R"(,"s":")" + m.symbol + R"(","t":)" + std::to_string(++m.trade_id)
             + R"(,"p":")" + format_price(m.price_ticks) + R"(","q":")" + format_quantity(lots()) + R"(","T":)"
             + std::to_string(clock) + R"(,"m":)" + (uniform(2) ? "true" : "false") + R"(,"M":true})";
    } else {
      m.update_id += 1 + uniform(5);
      auto bid = std::max<std::int64_t>(1, m.price_ticks - uniform(3));
      auto ask = m.price_ticks + 1 + uniform(3);
      data = R"({"u":)" + std::to_string(m.update_id) + R"(,"s":")" + m.symbol + R"(","b":")" + format_price(bid)
             + R"(","B":")" + format_quantity(lots()) + R"(","a":")" + format_price(ask) + R"(","A":")"
             + format_quantity(lots()) + R"("})";
    }
    last_stream = s.name;
    if (!combined)
      return data;
    return R"({"stream":")" + s.name + R"(","data":)" + data + "}";
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

  struct atomic_counters {
    std::atomic<std::uint64_t> connections{0}, handshakes{0}, agg_trades{0}, book_tickers{0}, trades{0},
      replayed{0}, malformed{0}, oversized{0}, server_shutdowns{0}, replies{0}, pings{0}, pongs{0}, exchange_infos{0};
  } counters;

  std::unique_ptr<asio::io_context> ioc;
  std::unique_ptr<ssl::context> tls;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::thread thread;
  unsigned short port = 0;
  bool started = false;
  bool stopped = false;

  std::string load_replay();
  bool take_handshake_never();
  std::optional<binance_fault_spec> take_stream_fault(std::uint64_t sent);
  void wake_sessions();
  void do_accept();
};

namespace {

std::optional<std::string> read_file(const std::filesystem::path& p) {
  std::ifstream in{p, std::ios::binary};
  if (!in)
    return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.pop_back();
  return s;
}

} // namespace

/// One server connection: TLS, upgrade, then a write pump (data frames, pings, replies, faults) and a read loop.
class binance_session : public std::enable_shared_from_this<binance_session> {
public:
  binance_session(tcp::socket&& socket, ssl::context& ctx, binance_simulator::impl& sim)
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
  struct out_item {
    out_kind kind;
    std::string text;
    websocket::close_code code = websocket::close_code::normal;
  };

  void on_run() {
    beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds{10});
    ws_.next_layer().async_handshake(ssl::stream_base::server,
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
      ++sim_.counters.exchange_infos;
      return respond(http::status::ok, exchange_info(sim_.options.symbols));
    } else {
      return reject(http::status::not_found, R"({"code":2,"msg":"Invalid request: unknown path"})");
    }
    if (!websocket::is_upgrade(req_))
      return reject(http::status::bad_request, R"({"code":2,"msg":"Invalid request: expected a WebSocket upgrade"})");
    if (auto bad = invalid_stream(streams); !bad.empty())
      return reject(http::status::bad_request, R"({"code":2,"msg":"Invalid request: unknown stream ')" + bad + R"('"})");
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
        ++sim_.counters.pongs;
    });
    ws_.async_accept(req_, [self = shared_from_this()](beast::error_code ec2) { self->on_accept(ec2); });
  }

  void on_accept(beast::error_code ec) {
    if (ec)
      return;
    ++sim_.counters.handshakes;
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
      return reply(json::object{{"code", 3}, {"msg", "Invalid JSON: " + (ec ? ec.message() : std::string{"not an object"})}});
    const auto& req = doc.as_object();
    json::value id = nullptr;
    if (const auto* v = req.if_contains("id"))
      id = *v;
    auto error = [&](const std::string& msg) {
      return reply(json::object{{"code", 2}, {"msg", "Invalid request: " + msg}, {"id", id}});
    };
    const auto* method = req.if_contains("method");
    if (!method || !method->is_string())
      return error("method is missing");
    std::string name{method->as_string().c_str()};
    if (name == "LIST_SUBSCRIPTIONS") {
      json::array list;
      for (const auto& s : streams_)
        list.emplace_back(s);
      return reply(json::object{{"result", std::move(list)}, {"id", id}});
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
    reply(json::object{{"result", nullptr}, {"id", id}});
  }

  void reply(const boost::json::object& answer) {
    out_.push_back({out_kind::reply, boost::json::serialize(answer)});
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
      ++sim_.counters.replayed;
    } else {
      out_.push_back({out_kind::data, generator_.next()});
      const auto& stream = generator_.last_stream();
      auto kind = stream.substr(stream.find('@') + 1);
      ++(kind == "aggTrade" ? sim_.counters.agg_trades
                            : kind == "trade" ? sim_.counters.trades : sim_.counters.book_tickers);
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
        std::string head = R"({"stream":")" + (streams_.empty() ? std::string{"btcusdt@depth"} : streams_.front())
                           + R"(","data":{"pad":")";
        std::string tail = R"("}})";
        auto pad = f.bytes > head.size() + tail.size() ? f.bytes - head.size() - tail.size() : 0;
        auto text = head + std::string(pad, 'x') + tail;
        for (int i = 0; i < f.count; ++i)
          out_.push_back({out_kind::oversized, text});
        return;
      }
      case binance_fault::server_shutdown: {
        shutting_down_ = true;
        auto data = R"({"e":"serverShutdown","E":)" + std::to_string(generator_.clock_ms()) + "}";
        out_.push_back({out_kind::shutdown, combined_ ? R"({"stream":"!serverShutdown","data":)" + data + "}" : data});
        return;
      }
      case binance_fault::ping_flood:
        for (int i = 0; i < f.count; ++i)
          out_.push_back({out_kind::ping, {}});
        return;
      case binance_fault::handshake_never:
        return;
    }
  }

  void write_front() {
    writing_ = true;
    current_ = std::move(out_.front());
    out_.pop_front();
    auto done = [self = shared_from_this()](beast::error_code ec, std::size_t = 0) { self->on_write(ec); };
    switch (current_.kind) {
      case out_kind::ping:
        ++sim_.counters.pings;
        return ws_.async_ping({}, done);
      case out_kind::close:
        return ws_.async_close(current_.code, done);
      case out_kind::reply:
        ++sim_.counters.replies;
        break;
      case out_kind::malformed:
        ++sim_.counters.malformed;
        break;
      case out_kind::oversized:
        ++sim_.counters.oversized;
        break;
      case out_kind::shutdown:
        ++sim_.counters.server_shutdowns;
        break;
      case out_kind::data:
        break;
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

  /// Closes the TCP connection without a TLS close_notify; with `rst`, SO_LINGER 0 sends a reset.
  void close_hard(bool rst) {
    end();
    auto& socket = beast::get_lowest_layer(ws_).socket();
    beast::error_code ignored;
    if (rst)
      socket.set_option(tcp::socket::linger(true, 0), ignored);
    else
      socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
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
    auto text = read_file(file);
    if (!text)
      return "data file '" + file.string() + "': cannot be read";
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

void binance_simulator::impl::do_accept() {
  acceptor->async_accept(asio::make_strand(*ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor->is_open())
      return;
    if (!ec) {
      ++counters.connections;
      // As exchange front ends do: without it a response's last TLS record can wait for the client's
      // delayed ACK (Nagle), adding ~40 ms to some requests.
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      std::make_shared<binance_session>(std::move(socket), *tls, *this)->run();
    }
    do_accept();
  });
}

binance_simulator::binance_simulator(binance_simulator_options options) : impl_(std::make_shared<impl>()) {
  impl_->options = std::move(options);
}

binance_simulator::~binance_simulator() {
  stop();
}

start_result binance_simulator::start() {
  auto& d = *impl_;
  start_result out;
  if (d.started) {
    out.error = "binance simulator: start() called twice";
    return out;
  }
  d.started = true;
  if (d.options.data_dir.empty())
    d.options.data_dir = default_data_dir() + "/binance";
  if (d.options.cert_file.empty())
    d.options.cert_file = default_cert_dir() + "/server.pem";
  if (d.options.key_file.empty())
    d.options.key_file = default_cert_dir() + "/server.key";
  for (auto& s : d.options.symbols)
    s = upper(s);
  if (d.options.replay) {
    if (out.error = d.load_replay(); !out.error.empty())
      return out;
  }

  d.tls = net::make_server_tls_context(d.options.cert_file, d.options.key_file, out.error);
  if (!d.tls)
    return out;
  d.ioc = std::make_unique<asio::io_context>(1);
  d.acceptor = std::make_unique<tcp::acceptor>(asio::make_strand(*d.ioc));
  if (!net::listen_on(*d.acceptor, {asio::ip::make_address_v4(binance_simulator_options::bind_address), d.options.port}, out.error)) {
    d.acceptor.reset();
    return out;
  }
  d.port = d.acceptor->local_endpoint().port();
  out.port = d.port;
  d.do_accept();
  d.thread = std::thread{[ioc = d.ioc.get()] { ioc->run(); }};
  return out;
}

void binance_simulator::stop() {
  auto& d = *impl_;
  if (d.stopped || !d.ioc)
    return;
  d.stopped = true;
  d.ioc->stop();
  if (d.thread.joinable())
    d.thread.join();
  beast::error_code ignored;
  d.acceptor->close(ignored);
  d.acceptor.reset();
  {
    std::lock_guard<std::mutex> guard{d.mutex};
    d.sessions.clear();
  }
  // Destroying the io_context destroys the pending handlers, hence every session and its socket.
  d.ioc.reset();
}

unsigned short binance_simulator::port() const {
  return impl_->port;
}

void binance_simulator::inject(binance_fault f, int count) {
  binance_fault_spec spec;
  spec.kind = f;
  spec.count = count;
  inject(std::move(spec));
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
  const auto& c = impl_->counters;
  binance_counters out;
  out.connections = c.connections;
  out.handshakes = c.handshakes;
  out.agg_trades = c.agg_trades;
  out.book_tickers = c.book_tickers;
  out.trades = c.trades;
  out.replayed = c.replayed;
  out.malformed = c.malformed;
  out.oversized = c.oversized;
  out.server_shutdowns = c.server_shutdowns;
  out.replies = c.replies;
  out.pings = c.pings;
  out.pongs = c.pongs;
  out.exchange_infos = c.exchange_infos;
  return out;
}

} // namespace derivcache::sim
