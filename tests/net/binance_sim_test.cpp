// The Binance simulator: seeded synthetic market data, replay of recorded frames, SUBSCRIBE on /ws,
// pacing, pings, faults and counters, seen through the WSS client (and a plain Beast client for SUBSCRIBE).
#include "ws_fixture.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json.hpp>

#include <sys/socket.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace std::chrono_literals;
using derivcache::net::failure;
using derivcache::sim::binance_fault;
using derivcache::sim::binance_fault_spec;
using derivcache::sim::binance_simulator_options;
using derivcache::sim::binance_stream_generator;

namespace {

namespace json = boost::json;

json::object parse_object(const std::string& text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  EXPECT_FALSE(ec) << text.substr(0, 200);
  if (ec || !v.is_object())
    return {};
  return v.as_object();
}

double price_of(const json::value& v) { return std::stod(std::string{v.as_string().c_str()}); }

/// "65000.01000000": two decimals of price, six zeros, as Binance prints a 0.01 tick.
bool on_tick(const json::value& v) {
  std::string s{v.as_string().c_str()};
  auto dot = s.find('.');
  return dot != std::string::npos && s.size() == dot + 9 && s.substr(dot + 3) == "000000";
}

std::vector<std::string> first_frames(std::uint64_t seed, std::size_t n) {
  binance_stream_generator gen{seed, {"btcusdt@aggTrade", "btcusdt@bookTicker"}, true};
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i)
    out.push_back(gen.next());
  return out;
}

/// A blocking Beast client for what the WSS client cannot do (send messages); a watchdog shuts the
/// socket down if the exchange takes longer than the bounded wait.
struct plain_ws_client {
  std::vector<std::string> received;
  std::string error;

  void run(unsigned short port, const std::string& target, const std::vector<std::string>& requests,
           std::size_t expected) {
    namespace beast = boost::beast;
    namespace asio = boost::asio;
    asio::io_context ioc;
    asio::ssl::context ctx{asio::ssl::context::tls_client};
    ctx.load_verify_file(derivcache::test::cert_path("ca.pem"));
    ctx.set_verify_mode(asio::ssl::verify_peer);
    beast::websocket::stream<beast::ssl_stream<asio::ip::tcp::socket>> ws{ioc, ctx};
    ws.next_layer().set_verify_callback(asio::ssl::host_name_verification("127.0.0.1"));
    auto fd = std::make_shared<std::atomic<int>>(-1);
    auto work = std::async(std::launch::async, [&] {
      try {
        beast::get_lowest_layer(ws).connect({asio::ip::make_address("127.0.0.1"), port});
        fd->store(beast::get_lowest_layer(ws).native_handle());
        ws.next_layer().handshake(asio::ssl::stream_base::client);
        ws.handshake("127.0.0.1:" + std::to_string(port), target);
        for (const auto& r : requests)
          ws.write(asio::buffer(r));
        beast::flat_buffer buffer;
        while (received.size() < expected) {
          ws.read(buffer);
          received.push_back(beast::buffers_to_string(buffer.data()));
          buffer.consume(buffer.size());
        }
        ws.close(beast::websocket::close_code::normal);
      } catch (const std::exception& e) {
        error = e.what();
      }
    });
    if (work.wait_for(derivcache::test::bounded_wait) != std::future_status::ready) {
      ::shutdown(fd->load(), SHUT_RDWR);
      work.wait();
      error = "timed out after " + std::to_string(received.size()) + " messages";
    }
  }
};

/// Sends SUBSCRIBE btcusdt@trade with `id` on `target` and reads `expected` messages, the first of
/// which must be the reply {"result":null,"id":id}.
std::vector<std::string> subscribe_to_trades(unsigned short port, const std::string& target, int id,
                                             std::size_t expected) {
  const auto n = std::to_string(id);
  plain_ws_client client;
  client.run(port, target, {R"({"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":)" + n + "}"}, expected);
  EXPECT_TRUE(client.error.empty()) << client.error;
  if (!client.received.empty()) {
    EXPECT_EQ(client.received[0], R"({"result":null,"id":)" + n + "}");
  }
  return client.received;
}

} // namespace

TEST(BinanceStreamGenerator, SameSeedSameFramesOtherSeedOtherFrames) {
  EXPECT_EQ(first_frames(42, 200), first_frames(42, 200));
  EXPECT_NE(first_frames(42, 200), first_frames(43, 200));
}

TEST(BinanceStreamGenerator, FramesAreConsistentMarketData) {
  binance_stream_generator gen{7, {"btcusdt@aggTrade", "btcusdt@bookTicker"}, true};
  double last_price = 0;
  std::int64_t last_agg = 0, last_l = 0, last_u = 0, last_t = 0;
  for (int i = 0; i < 2000; ++i) {
    auto frame = parse_object(gen.next());
    const auto& data = frame.at("data").as_object();
    if (i % 2 == 0) {
      ASSERT_EQ(frame.at("stream").as_string(), "btcusdt@aggTrade");
      ASSERT_EQ(gen.last_stream(), "btcusdt@aggTrade");
      EXPECT_EQ(data.at("s").as_string(), "BTCUSDT");
      EXPECT_TRUE(on_tick(data.at("p"))) << data.at("p");
      last_price = price_of(data.at("p"));
      EXPECT_GT(last_price, 60000);
      EXPECT_LT(last_price, 70000);
      EXPECT_GT(price_of(data.at("q")), 0);
      if (last_agg != 0) {
        EXPECT_EQ(data.at("a").as_int64(), last_agg + 1) << "aggregate ids are consecutive";
      }
      if (last_agg == 0) {
        EXPECT_EQ(data.at("a").as_int64(), 3000000001);
      }
      EXPECT_GT(data.at("f").as_int64(), last_l);
      EXPECT_GE(data.at("l").as_int64(), data.at("f").as_int64());
      EXPECT_GE(data.at("T").as_int64(), last_t);
      EXPECT_GE(data.at("T").as_int64(), binance_stream_generator::epoch_ms);
      EXPECT_GE(data.at("E").as_int64(), data.at("T").as_int64());
      EXPECT_TRUE(data.at("m").is_bool());
      last_agg = data.at("a").as_int64();
      last_l = data.at("l").as_int64();
      last_t = data.at("T").as_int64();
    } else {
      ASSERT_EQ(frame.at("stream").as_string(), "btcusdt@bookTicker");
      EXPECT_FALSE(data.contains("e"));
      EXPECT_GT(data.at("u").as_int64(), last_u);
      last_u = data.at("u").as_int64();
      auto bid = price_of(data.at("b")), ask = price_of(data.at("a"));
      EXPECT_TRUE(on_tick(data.at("b")));
      EXPECT_TRUE(on_tick(data.at("a")));
      EXPECT_LT(bid, ask);
      EXPECT_LE(bid, last_price);
      EXPECT_LT(last_price, ask);
      EXPECT_LE(ask - bid, 0.05 + 1e-9);
    }
  }
  EXPECT_GT(gen.clock_ms(), binance_stream_generator::epoch_ms);
}

TEST(BinanceStreamGenerator, RawFramesAndTradeStreams) {
  binance_stream_generator gen{1, {"ethusdt@trade"}, false};
  auto t1 = parse_object(gen.next());
  auto t2 = parse_object(gen.next());
  EXPECT_EQ(t1.at("e").as_string(), "trade");
  EXPECT_EQ(t1.at("s").as_string(), "ETHUSDT");
  EXPECT_EQ(t2.at("t").as_int64(), t1.at("t").as_int64() + 1);
  EXPECT_TRUE(t1.at("M").as_bool());
  EXPECT_NEAR(price_of(t1.at("p")), 3500, 50);
  EXPECT_FALSE(t1.contains("b")) << "no buyer/seller order ids since 2024-06-18";
  EXPECT_TRUE(binance_stream_generator(1, {}, true).next().empty());
}

TEST(BinanceFaults, NamesRoundTrip) {
  for (auto f : {binance_fault::drop, binance_fault::stall, binance_fault::malformed, binance_fault::oversized,
                 binance_fault::handshake_never, binance_fault::server_shutdown, binance_fault::ping_flood}) {
    binance_fault parsed = binance_fault::drop;
    ASSERT_TRUE(derivcache::sim::parse_binance_fault(to_string(f), parsed)) << to_string(f);
    EXPECT_EQ(parsed, f);
  }
  binance_fault ignored;
  EXPECT_FALSE(derivcache::sim::parse_binance_fault("explode", ignored));
}

class BinanceSimulator : public derivcache::test::WsFixture {
protected:
  std::vector<std::string> read_stream(const std::string& target, std::size_t n) {
    connect(target);
    EXPECT_TRUE(rec_->wait_frames(n));
    conn_->close();
    EXPECT_TRUE(rec_->wait_closed());
    conn_.reset();
    return rec_->locked([&] {
      auto frames = rec_->frames;
      frames.resize(std::min(frames.size(), n));
      return frames;
    });
  }
};

TEST_F(BinanceSimulator, SeededStreamAndALaterConnectionCarriesOnTheSameMarket) {
  binance_simulator_options o;
  o.seed = 2026;
  start_sim(o);
  const std::string target = "/stream?streams=btcusdt@aggTrade/btcusdt@bookTicker";
  auto first = read_stream(target, 100);
  auto second = read_stream(target, 100);
  ASSERT_EQ(first.size(), 100u);
  ASSERT_EQ(second.size(), 100u);
  binance_stream_generator gen{2026, {"btcusdt@aggTrade", "btcusdt@bookTicker"}, true};
  EXPECT_EQ(first.front(), gen.next());
  // As on Binance, ids and exchange times go on across connections: a client that reconnects (and drops
  // what it has already seen) gets new data, not the same ids again. (The first connection sent more than the
  // 100 frames read before it closed.)
  auto data = [](const std::string& frame) { return parse_object(frame).at("data").as_object(); };
  const auto last_trade = data(first[98]), next_trade = data(second[0]);
  const auto last_book = data(first[99]), next_book = data(second[1]);
  EXPECT_GT(next_trade.at("a").as_int64(), last_trade.at("a").as_int64());
  EXPECT_GT(next_trade.at("f").as_int64(), last_trade.at("l").as_int64());
  EXPECT_GE(next_trade.at("T").as_int64(), last_trade.at("T").as_int64());
  EXPECT_GT(next_book.at("u").as_int64(), last_book.at("u").as_int64());
  auto c = sim_->counters();
  EXPECT_EQ(c.connections, 2u);
  EXPECT_EQ(c.handshakes, 2u);
}

TEST_F(BinanceSimulator, CountsConnectionsHandshakesAndFramesPerKind) {
  start_sim(bounded(9, true));
  connect("/stream?streams=btcusdt@aggTrade/ethusdt@bookTicker/ethusdt@trade");
  ASSERT_TRUE(rec_->wait_closed());
  conn_.reset();
  EXPECT_EQ(rec_->locked([&] { return rec_->frames.size(); }), 9u);
  auto c = sim_->counters();
  EXPECT_EQ(c.connections, 1u);
  EXPECT_EQ(c.handshakes, 1u);
  EXPECT_EQ(c.agg_trades, 3u);
  EXPECT_EQ(c.book_tickers, 3u);
  EXPECT_EQ(c.trades, 3u);
  EXPECT_EQ(c.data_frames(), 9u);
}

TEST_F(BinanceSimulator, RawPathSendsUnwrappedFrames) {
  start_sim(bounded(4));
  connect("/ws/btcusdt@bookTicker");
  ASSERT_TRUE(rec_->wait_frames(4));
  rec_->locked([&] {
    for (const auto& f : rec_->frames) {
      auto data = parse_object(f);
      EXPECT_FALSE(data.contains("stream"));
      EXPECT_EQ(data.at("s").as_string(), "BTCUSDT");
    }
  });
}

TEST_F(BinanceSimulator, SubscribeOnWsRepliesThenStreamsRawTrades) {
  start_sim();
  auto received = subscribe_to_trades(port_, "/ws", 1, 6);
  ASSERT_EQ(received.size(), 6u);
  std::int64_t last_id = 0;
  for (std::size_t i = 1; i < received.size(); ++i) {
    auto t = parse_object(received[i]);
    EXPECT_EQ(t.at("e").as_string(), "trade");
    EXPECT_EQ(t.at("s").as_string(), "BTCUSDT");
    EXPECT_GT(t.at("t").as_int64(), last_id);
    last_id = t.at("t").as_int64();
    for (const char* key : {"E", "p", "q", "T", "m", "M"})
      EXPECT_TRUE(t.contains(key)) << key;
  }
  EXPECT_EQ(sim_->counters().replies, 1u);
}

TEST_F(BinanceSimulator, NumberedWsPathAsCcxtConnectsThenSubscribe) {
  start_sim();
  auto received = subscribe_to_trades(port_, "/ws/0", 7, 3);
  ASSERT_EQ(received.size(), 3u);
  EXPECT_EQ(parse_object(received[1]).at("e").as_string(), "trade");
  EXPECT_EQ(parse_object(received[2]).at("s").as_string(), "BTCUSDT");
}

TEST_F(BinanceSimulator, ExchangeInfoListsTheConfiguredSymbolsOverHttps) {
  binance_simulator_options o;
  o.symbols = {"BTCUSDT", "solusdc", "NOQUOTE"};
  start_sim(o);
  boost::asio::io_context ioc;
  derivcache::net::https_options ho;
  ho.host = "127.0.0.1";
  ho.port = std::to_string(port_);
  ho.ca_file = derivcache::test::cert_path("ca.pem");
  ho.timeout = 5s;
  std::string error;
  auto http = derivcache::net::make_https_client(ioc, ho, error);
  ASSERT_TRUE(http) << error;
  derivcache::net::http_result result;
  bool done = false;
  http->get("/api/v3/exchangeInfo", [&](derivcache::net::http_result r) {
    result = std::move(r);
    done = true;
  });
  auto deadline = std::chrono::steady_clock::now() + derivcache::test::bounded_wait;
  while (!done && std::chrono::steady_clock::now() < deadline)
    ioc.run_one_for(100ms);
  ASSERT_TRUE(done) << "no answer to GET /api/v3/exchangeInfo";
  ASSERT_EQ(result.error, failure::none) << result.message;
  ASSERT_EQ(result.response.status, 200u);
  auto info = parse_object(result.response.body);
  ASSERT_TRUE(info.contains("symbols"));
  const auto& symbols = info.at("symbols").as_array();
  ASSERT_EQ(symbols.size(), 2u);  // NOQUOTE has no known quote asset
  EXPECT_EQ(symbols[0].at("symbol").as_string(), "BTCUSDT");
  EXPECT_EQ(symbols[0].at("baseAsset").as_string(), "BTC");
  EXPECT_EQ(symbols[0].at("quoteAsset").as_string(), "USDT");
  EXPECT_EQ(symbols[0].at("status").as_string(), "TRADING");
  EXPECT_EQ(symbols[1].at("symbol").as_string(), "SOLUSDC");
  EXPECT_EQ(symbols[1].at("quoteAsset").as_string(), "USDC");
  EXPECT_EQ(sim_->counters().exchange_infos, 1u);
  EXPECT_EQ(sim_->counters().handshakes, 0u);
  http->shutdown();
}

TEST_F(BinanceSimulator, ListSubscriptionsAndBadRequestsAreAnswered) {
  start_sim();
  plain_ws_client client;
  client.run(port_, "/ws",
             {R"({"method":"SUBSCRIBE","params":["dogeusdt@trade"],"id":"a1"})", "not json",
              R"({"method":"LIST_SUBSCRIPTIONS","id":3})"},
             3);
  ASSERT_TRUE(client.error.empty()) << client.error;
  EXPECT_EQ(client.received[0], R"({"code":2,"msg":"Invalid request: unknown stream 'dogeusdt@trade'","id":"a1"})");
  EXPECT_EQ(client.received[1].rfind(R"({"code":3,"msg":"Invalid JSON: )", 0), 0u) << client.received[1];
  EXPECT_EQ(client.received[2], R"({"result":[],"id":3})");
}

TEST_F(BinanceSimulator, ReplayServesTheRecordedFramesInOrder) {
  binance_simulator_options o;
  o.replay = true;
  o.close_when_done = true;
  start_sim(o);
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator{derivcache::sim::default_data_dir() + "/binance"})
    if (e.path().extension() == ".json")
      files.push_back(e.path());
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 3u);

  connect("/stream?streams=btcusdt@aggTrade");
  ASSERT_TRUE(rec_->wait_closed());
  conn_.reset();
  rec_->locked([&] {
    ASSERT_EQ(rec_->frames.size(), files.size());
    for (std::size_t i = 0; i < files.size(); ++i) {
      std::ifstream in{files[i]};
      std::stringstream text;
      text << in.rdbuf();
      auto expected = text.str();
      while (!expected.empty() && expected.back() == '\n')
        expected.pop_back();
      EXPECT_EQ(rec_->frames[i], expected) << files[i];
    }
  });
  EXPECT_EQ(sim_->counters().replayed, files.size());

  connect("/ws/btcusdt@aggTrade");
  ASSERT_TRUE(rec_->wait_closed());
  conn_.reset();
  rec_->locked([&] {
    ASSERT_EQ(rec_->frames.size(), files.size());
    auto first = parse_object(rec_->frames[0]);
    EXPECT_FALSE(first.contains("stream"));
    EXPECT_TRUE(first.contains("s"));
  });
}

TEST_F(BinanceSimulator, RateSpacesTheFrames) {
  binance_simulator_options o;
  o.rate = 200;
  o.total = 21;
  start_sim(o);
  auto started = std::chrono::steady_clock::now();
  connect("/stream?streams=btcusdt@aggTrade");
  ASSERT_TRUE(rec_->wait_frames(21));
  // 20 intervals of 5 ms after the first frame.
  EXPECT_GE(std::chrono::steady_clock::now() - started, 95ms);
}

TEST_F(BinanceSimulator, PingFloodIsAnsweredAndCounted) {
  start_sim(bounded(1));
  binance_fault_spec flood;
  flood.kind = binance_fault::ping_flood;
  flood.count = 50;
  flood.after = 1;
  sim_->inject(flood);
  connect("/stream?streams=btcusdt@aggTrade");
  ASSERT_TRUE(rec_->wait([&] { return rec_->pings >= 50; }));
  ASSERT_TRUE(rec_->eventually([&] { return sim_->counters().pongs >= 50; }));
  EXPECT_EQ(sim_->counters().pings, 50u);
  rec_->locked([&] { EXPECT_EQ(rec_->closes, 0); });
}

TEST_F(BinanceSimulator, StallStopsDataButPingsGoOn) {
  binance_simulator_options o;
  o.ping_interval = 20ms;
  start_sim(o);
  sim_->inject(fault_after(binance_fault::stall, 5));
  connect("/stream?streams=btcusdt@aggTrade/btcusdt@bookTicker");
  ASSERT_TRUE(rec_->wait_frames(5));
  ASSERT_TRUE(rec_->wait([&] { return rec_->pings >= 3; }));
  rec_->locked([&] {
    EXPECT_EQ(rec_->frames.size(), 5u);
    EXPECT_EQ(rec_->closes, 0);
  });
  EXPECT_EQ(sim_->counters().data_frames(), 5u);
}

TEST_F(BinanceSimulator, FaultInjectedIntoAnIdleStreamFiresAtOnce) {
  start_sim(bounded(3));
  connect("/stream?streams=btcusdt@aggTrade");
  ASSERT_TRUE(rec_->wait_frames(3));
  sim_->inject(binance_fault::server_shutdown);
  ASSERT_TRUE(rec_->wait_closed());
  conn_.reset();
  rec_->locked([&] {
    ASSERT_EQ(rec_->frames.size(), 4u);
    EXPECT_NE(rec_->frames[3].find("serverShutdown"), std::string::npos);
    EXPECT_EQ(rec_->why, failure::reset);
  });
}

TEST_F(BinanceSimulator, HandshakeNeverAppliesToTheNextCountConnections) {
  start_sim();
  sim_->inject(binance_fault::handshake_never, 1);
  auto o = options("/stream?streams=btcusdt@aggTrade");
  o.handshake_timeout = 200ms;
  connect(o);
  ASSERT_TRUE(rec_->wait_closed());
  EXPECT_EQ(rec_->locked([&] { return rec_->why; }), failure::timeout);
  connect("/stream?streams=btcusdt@aggTrade");
  ASSERT_TRUE(rec_->wait_frames(3));
  EXPECT_EQ(sim_->counters().handshakes, 1u);
}
