// Binance codec on real recorded frames and on every malformed case: values and the exact messages.
#include "codec/binance.hpp"
#include "support/read_file.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace derivcache::codec {
namespace {

std::string data_file(const std::string& name) {
  return test::read_file(std::string{DERIVCACHE_TEST_DATA_DIR} + "/" + name);
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r'))
    s.pop_back();
  return s;
}

// A combined-stream frame of `stream` whose data object has `fields` (key, JSON value), with `field` set to
// `value_json`, or left out when `value_json` is empty.
template <std::size_t N>
std::string frame_with(const char* stream, const std::string (&fields)[N][2], const std::string& field,
                       const std::string& value_json) {
  std::string data;
  for (auto& [k, v] : fields) {
    if (k == field && value_json.empty())
      continue;
    if (!data.empty())
      data += ",";
    data += "\"" + k + "\":" + (k == field ? value_json : v);
  }
  return std::string{R"({"stream":")"} + stream + R"(","data":{)" + data + "}}";
}

// Same shape as the recorded btcusdt@aggTrade frame, with one field replaced.
std::string agg_with(const std::string& field, const std::string& value_json) {
  static const std::string fields[][2] = {{"e", R"("aggTrade")"}, {"E", "1616176861895"}, {"s", R"("BTCUSDT")"},
                                          {"a", "640283266"},    {"p", R"("58942.01000000")"}, {"q", R"("0.00035600")"},
                                          {"f", "716849523"},    {"l", "716849523"},     {"T", "1616176861893"},
                                          {"m", "false"},        {"M", "true"}};
  return frame_with("btcusdt@aggTrade", fields, field, value_json);
}

std::string book_with(const std::string& field, const std::string& value_json) {
  static const std::string fields[][2] = {{"u", "400900217"},       {"s", R"("BNBUSDT")"},
                                          {"b", R"("25.35190000")"}, {"B", R"("31.21000000")"},
                                          {"a", R"("25.36520000")"}, {"A", R"("40.66000000")"}};
  return frame_with("bnbusdt@bookTicker", fields, field, value_json);
}

// The event a recorded frame decodes to; a failed decode or another kind of event fails the test.
template <class Event>
Event recorded(const std::string& file) {
  auto d = decode_binance_frame(data_file(file));
  EXPECT_TRUE(d.ok()) << file << ": " << d.error;
  const auto* e = std::get_if<Event>(&d.event);
  EXPECT_NE(e, nullptr) << file;
  return e ? *e : Event{};
}

std::string error_of(const std::string& frame) {
  auto d = decode_binance_frame(frame);
  EXPECT_FALSE(d.ok()) << frame;
  return d.error;
}

// Every field of a recorded aggTrade frame against the values in the file (times in ms since the epoch).
void expect_agg(const std::string& file, const agg_trade& want, int64_t trade_ms, int64_t event_ms) {
  const auto t = recorded<agg_trade>(file);
  EXPECT_EQ(t.symbol, want.symbol);
  EXPECT_DOUBLE_EQ(t.price, want.price);
  EXPECT_DOUBLE_EQ(t.quantity, want.quantity);
  EXPECT_EQ(t.first_trade_id, want.first_trade_id);
  EXPECT_EQ(t.last_trade_id, want.last_trade_id);
  EXPECT_EQ(quant::to_unix_ms(t.trade_time), trade_ms);
  EXPECT_EQ(quant::to_unix_ms(t.event_time), event_ms);
  EXPECT_EQ(t.buyer_is_maker, want.buyer_is_maker);
}

TEST(BinanceCodec, RecordedAggTradeDecodesEveryField) {
  // symbol, price, quantity, first and last trade id, (times), buyer is maker
  expect_agg("binance_ws_combined_aggtrade_btcusdt_2021-03-19.json",
             {"BTCUSDT", 58942.01, 0.000356, 716849523, 716849523, {}, {}, false}, 1616176861893, 1616176861895);
}

TEST(BinanceCodec, RecordedNknAggTrade) {
  expect_agg("binance_ws_combined_aggtrade_nknusdt_2021-10-12.json",
             {"NKNUSDT", 0.3528, 58.0, 19862790, 19862790, {}, {}, false}, 1633998523963, 1633998523963);
}

// Every field of a recorded bookTicker frame against the values in the file.
void expect_book(const std::string& file, const book_ticker& want) {
  const auto b = recorded<book_ticker>(file);
  EXPECT_EQ(b.symbol, want.symbol);
  EXPECT_EQ(b.update_id, want.update_id);
  EXPECT_DOUBLE_EQ(b.bid_price, want.bid_price);
  EXPECT_DOUBLE_EQ(b.bid_quantity, want.bid_quantity);
  EXPECT_DOUBLE_EQ(b.ask_price, want.ask_price);
  EXPECT_DOUBLE_EQ(b.ask_quantity, want.ask_quantity);
}

TEST(BinanceCodec, RecordedBookTickerDecodesEveryField) {
  // symbol, update id, bid, bid quantity, ask, ask quantity
  expect_book("binance_ws_combined_bookticker_nknusdt_2021-10-12.json",
              {"NKNUSDT", 499869768, 0.3521, 672.0, 0.3526, 3199.0});
}

TEST(BinanceCodec, RecordedAllBookTickerFrameIsABookTicker) {
  // symbol, update id, bid, bid quantity, ask, ask quantity
  expect_book("binance_ws_combined_allbookticker_btcusdt_2022-04-28.json",
              {"BTCUSDT", 19575390521, 29010.90, 13.94302, 29010.91, 3.99953});
}

TEST(BinanceCodec, CryptofeedCaptureDecodesTradesAndTickersAndIgnoresTheRest) {
  std::istringstream lines{data_file("binance_ws_capture_cryptofeed_2021-10-12.txt")};
  std::string line;
  int aggs = 0, books = 0, ignored = 0, frames = 0;
  while (std::getline(lines, line)) {
    auto colon = line.find(": {");
    if (colon == std::string::npos)
      continue; // the URL line and the trailing empty line
    ++frames;
    auto frame = trim(line.substr(colon + 2));
    auto d = decode_binance_frame(frame);
    ASSERT_TRUE(d.ok()) << d.error << " in " << frame;
    if (const auto* t = std::get_if<agg_trade>(&d.event)) {
      ++aggs;
      EXPECT_GT(t->price, 0);
      EXPECT_GT(t->quantity, 0);
      EXPECT_EQ(t->first_trade_id, t->last_trade_id);
    } else if (const auto* b = std::get_if<book_ticker>(&d.event)) {
      ++books;
      EXPECT_LT(b->bid_price, b->ask_price) << frame;
      EXPECT_GT(b->update_id, 0);
    } else if (const auto* i = std::get_if<ignored_frame>(&d.event)) {
      ++ignored;
      EXPECT_TRUE(i->stream.find("@depth@100ms") != std::string::npos || i->stream.find("@kline_1m") != std::string::npos)
        << i->stream;
    } else {
      ADD_FAILURE() << "unexpected event in " << frame;
    }
  }
  EXPECT_EQ(frames, 265);
  EXPECT_EQ(aggs, 2);
  EXPECT_EQ(books, 84);
  EXPECT_EQ(ignored, 177 + 2);
}

TEST(BinanceCodec, RecordedTradeAndPartialDepthAreIgnored) {
  auto trade = decode_binance_frame(data_file("binance_ws_combined_trade_ethusdt_pre2024format_2021-12-12.json"));
  ASSERT_TRUE(trade.ok()) << trade.error;
  EXPECT_EQ(std::get<ignored_frame>(trade.event).stream, "ethusdt@trade");
  auto depth = decode_binance_frame(data_file("binance_ws_combined_depth20_ethusdt_undated.json"));
  ASSERT_TRUE(depth.ok()) << depth.error;
  EXPECT_EQ(std::get<ignored_frame>(depth.event).stream, "ethusdt@depth20");
}

TEST(BinanceCodec, RawPayloadsAreAccepted) {
  auto agg = decode_binance_frame(
    R"({"e":"aggTrade","E":1616176861895,"s":"BTCUSDT","a":1,"p":"1.5","q":"2","f":7,"l":9,"T":1616176861893,"m":true,"M":true})");
  ASSERT_TRUE(agg.ok()) << agg.error;
  const auto& t = std::get<agg_trade>(agg.event);
  EXPECT_DOUBLE_EQ(t.price, 1.5);
  EXPECT_EQ(t.last_trade_id - t.first_trade_id + 1, 3);
  EXPECT_TRUE(t.buyer_is_maker);

  auto book = decode_binance_frame(
    R"({"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"})");
  ASSERT_TRUE(book.ok()) << book.error;
  EXPECT_DOUBLE_EQ(std::get<book_ticker>(book.event).ask_quantity, 40.66);

  auto trade = decode_binance_frame(R"({"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"1","q":"1","T":1,"m":true,"M":true})");
  ASSERT_TRUE(trade.ok());
  EXPECT_EQ(std::get<ignored_frame>(trade.event).stream, "trade");
}

TEST(BinanceCodec, ServerShutdownInBothForms) {
  auto raw = decode_binance_frame(R"({"e":"serverShutdown","E":1746000000000})");
  ASSERT_TRUE(raw.ok()) << raw.error;
  EXPECT_EQ(quant::to_unix_ms(std::get<server_shutdown>(raw.event).event_time), 1746000000000);
  auto combined = decode_binance_frame(R"({"stream":"!serverShutdown","data":{"e":"serverShutdown","E":1746000000001}})");
  ASSERT_TRUE(combined.ok()) << combined.error;
  EXPECT_EQ(quant::to_unix_ms(std::get<server_shutdown>(combined.event).event_time), 1746000000001);
  auto bare = decode_binance_frame(R"({"stream":"!serverShutdown","data":{}})");
  ASSERT_TRUE(bare.ok()) << bare.error;
  EXPECT_TRUE(std::holds_alternative<server_shutdown>(bare.event));
}

TEST(BinanceCodec, SubscribeReplyIsIgnored) {
  auto d = decode_binance_frame(R"({"result":null,"id":1})");
  ASSERT_TRUE(d.ok()) << d.error;
  EXPECT_EQ(std::get<ignored_frame>(d.event).stream, "");
}

TEST(BinanceCodec, NotJsonNamesTheParserError) {
  EXPECT_EQ(error_of("not json"), "not JSON: syntax error at offset 0");
  EXPECT_EQ(error_of(""), "not JSON: incomplete JSON at offset 0");
  EXPECT_EQ(error_of(R"({"stream":"btcusdt@aggTrade","data":{"e":)"), "not JSON: incomplete JSON at offset 41");
}

TEST(BinanceCodec, NonObjectFramesAreRejected) {
  EXPECT_EQ(error_of("[1,2]"), "frame is not an object");
  EXPECT_EQ(error_of("42"), "frame is not an object");
  EXPECT_EQ(error_of(R"({"stream":7,"data":{}})"), "stream is not a string");
  EXPECT_EQ(error_of(R"({"stream":"btcusdt@aggTrade"})"), "btcusdt@aggTrade: data is missing");
  EXPECT_EQ(error_of(R"({"e":3})"), "e is not a string");
}

TEST(BinanceCodec, AggTradeMissingFieldsAreNamed) {
  for (const char* field : {"s", "p", "q", "f", "l", "T", "E", "m"})
    EXPECT_EQ(error_of(agg_with(field, "")), std::string{"aggTrade: "} + field + " is missing");
  // `a` and `M` are not used: their absence is fine.
  EXPECT_TRUE(decode_binance_frame(agg_with("a", "")).ok());
  EXPECT_TRUE(decode_binance_frame(agg_with("M", "")).ok());
}

TEST(BinanceCodec, AggTradeBadValuesAreNamed) {
  EXPECT_EQ(error_of(agg_with("q", R"("abc")")), "aggTrade: q is not a decimal string");
  EXPECT_EQ(error_of(agg_with("q", R"("")")), "aggTrade: q is not a decimal string");
  EXPECT_EQ(error_of(agg_with("q", R"("1.5x")")), "aggTrade: q is not a decimal string");
  EXPECT_EQ(error_of(agg_with("p", "58942.01")), "aggTrade: p is not a decimal string");
  EXPECT_EQ(error_of(agg_with("p", R"("-1.00")")), "aggTrade: p is negative");
  EXPECT_EQ(error_of(agg_with("p", R"("inf")")), "aggTrade: p is not finite");
  EXPECT_EQ(error_of(agg_with("p", R"("nan")")), "aggTrade: p is not finite");
  EXPECT_EQ(error_of(agg_with("p", R"("1e999")")), "aggTrade: p is not finite");
  EXPECT_EQ(error_of(agg_with("s", "42")), "aggTrade: s is not a non-empty string");
  EXPECT_EQ(error_of(agg_with("s", R"("")")), "aggTrade: s is not a non-empty string");
  EXPECT_EQ(error_of(agg_with("f", R"("716849523")")), "aggTrade: f is not an integer");
  EXPECT_EQ(error_of(agg_with("T", "1.5")), "aggTrade: T is not an integer");
  EXPECT_EQ(error_of(agg_with("E", "18446744073709551615")), "aggTrade: E is not an integer");
  EXPECT_EQ(error_of(agg_with("m", "0")), "aggTrade: m is not a boolean");
  EXPECT_EQ(error_of(agg_with("l", "716849522")), "aggTrade: l is less than f");
}

// Nanosecond time points end in 2262: a later (or negative) T or E is an error, never an overflowing
// conversion (UBSan's signed-overflow check runs this in CI).
TEST(BinanceCodec, ExchangeTimesNanosecondsCannotHoldAreNamed) {
  const std::string range = " is out of range (ms since 1970, up to the year 2262)";
  EXPECT_EQ(error_of(agg_with("T", "9223372036854775807")), "aggTrade: T" + range);   // INT64_MAX ms
  EXPECT_EQ(error_of(agg_with("E", "9223372036854775807")), "aggTrade: E" + range);
  EXPECT_EQ(error_of(agg_with("T", "9223372036855")), "aggTrade: T" + range);          // first ms past the end
  EXPECT_EQ(error_of(agg_with("T", "-1")), "aggTrade: T" + range);
  auto last = decode_binance_frame(agg_with("T", "9223372036854"));                    // the last ms that fits
  ASSERT_TRUE(last.ok()) << last.error;
  EXPECT_EQ(quant::to_unix_ms(std::get<agg_trade>(last.event).trade_time), 9223372036854);
  auto shutdown = decode_binance_frame(R"({"e":"serverShutdown","E":9223372036854775807})");
  ASSERT_TRUE(shutdown.ok()) << shutdown.error;   // the notice still counts; its odd time is not kept
  EXPECT_EQ(quant::to_unix_ms(std::get<server_shutdown>(shutdown.event).event_time), 0);
}

TEST(BinanceCodec, AggTradeReportsTheFirstBadField) {
  auto frame = R"({"e":"aggTrade","E":1,"s":"BTCUSDT","p":"x","q":"-1","f":1,"l":1,"T":1,"m":false})";
  EXPECT_EQ(error_of(frame), "aggTrade: p is not a decimal string");
}

TEST(BinanceCodec, BookTickerMissingAndBadFieldsAreNamed) {
  for (const char* field : {"u", "s", "b", "B", "a", "A"})
    EXPECT_EQ(error_of(book_with(field, "")), std::string{"bookTicker: "} + field + " is missing");
  EXPECT_EQ(error_of(book_with("b", R"("-25.35")")), "bookTicker: b is negative");
  EXPECT_EQ(error_of(book_with("A", R"("lots")")), "bookTicker: A is not a decimal string");
  EXPECT_EQ(error_of(book_with("u", R"("400900217")")), "bookTicker: u is not an integer");
  EXPECT_EQ(error_of(book_with("B", "null")), "bookTicker: B is not a decimal string");
}

TEST(BinanceCodec, ZeroQuantitiesAreValid) {
  auto d = decode_binance_frame(book_with("B", R"("0.00000000")"));
  ASSERT_TRUE(d.ok()) << d.error;
  EXPECT_EQ(std::get<book_ticker>(d.event).bid_quantity, 0.0);
}

} // namespace
} // namespace derivcache::codec
