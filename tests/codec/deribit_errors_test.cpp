// Deribit codec on malformed payloads and JSON-RPC errors: the exact message a user reads.
#include "codec/deribit.hpp"
#include "support/read_file.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

namespace derivcache::codec {
namespace {

namespace json = boost::json;

// Rows shaped like the recorded ones, with nulls and a negative price_change as Deribit sends them.
json::object option_row() {
  return json::parse(
           R"({"instrument_name":"BTC-25DEC26-100000-C","base_currency":"BTC","mark_iv":50.34,)"
           R"("underlying_price":73038.53,"estimated_delivery_price":71048.7,"creation_timestamp":1773428415531,)"
           R"("bid_price":null,"mid_price":null,"price_change":-1.9737,"mark_price":0.07301792})")
    .as_object();
}

json::object future_row() {
  return json::parse(
           R"({"instrument_name":"BTC-PERPETUAL","base_currency":"BTC","mark_price":98231.67,)"
           R"("estimated_delivery_price":98215.44,"creation_timestamp":1736124757223,"funding_8h":8.131e-5,)"
           R"("last":null,"price_change":-0.0331})")
    .as_object();
}

json::object instrument_row() {
  return json::parse(
           R"({"instrument_name":"BTC-28MAR25","kind":"future","base_currency":"BTC",)"
           R"("expiration_timestamp":1743148800000,"settlement_period":"month"})")
    .as_object();
}

std::string body_of(const json::array& rows) {
  return json::serialize(json::object{{"jsonrpc", "2.0"}, {"result", rows}, {"testnet", false}});
}

std::string body_of(const json::object& row) { return body_of(json::array{row}); }

std::string chain() {
  return test::read_file(std::string{DERIVCACHE_TEST_DATA_DIR} + "/deribit_book_summary_option_btc_full_2026-03-13.json");
}

TEST(DeribitCodec, NotJsonIsFatal) {
  auto decoded = decode_option_summaries("<html>502 Bad Gateway</html>");
  EXPECT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.fatal, "not JSON: syntax error at offset 0");
  EXPECT_TRUE(decoded.rows.empty());
  EXPECT_EQ(decode_future_summaries("").fatal, "not JSON: incomplete JSON at offset 0");
}

TEST(DeribitCodec, TruncatedJsonIsFatalWithItsOffset) {
  auto body = chain();
  body.resize(body.size() / 2);
  auto decoded = decode_option_summaries(body);
  EXPECT_EQ(decoded.fatal, "not JSON: incomplete JSON at offset " + std::to_string(body.size()));
  EXPECT_TRUE(decoded.rows.empty());
}

TEST(DeribitCodec, TrailingGarbageIsFatal) {
  EXPECT_EQ(decode_instruments(R"({"result":[]} x)").fatal, "not JSON: extra data at offset 14");
}

TEST(DeribitCodec, BodyWithoutResultIsFatal) {
  auto decoded = decode_future_summaries(R"({"jsonrpc":"2.0","usIn":1,"usOut":2})");
  EXPECT_EQ(decoded.fatal, R"(no "result" in response)");
  EXPECT_FALSE(decoded.ok());
  EXPECT_EQ(decode_index_price(R"({"jsonrpc":"2.0"})").fatal, R"(no "result" in response)");
  EXPECT_EQ(decode_option_summaries("42").fatal, R"(no "result" in response)");
}

TEST(DeribitCodec, ResultOfWrongTypeIsFatal) {
  EXPECT_EQ(decode_option_summaries(R"({"jsonrpc":"2.0","result":{"index_price":1.0}})").fatal,
            R"("result" is not an array)");
  EXPECT_EQ(decode_instruments(R"({"result":null})").fatal, R"("result" is not an array)");
  EXPECT_EQ(decode_index_price(R"({"result":[1,2]})").fatal, R"("result" is not an object)");
}

TEST(DeribitCodec, RowThatIsNotAnObjectIsSkipped) {
  auto decoded = decode_option_summaries(R"({"result":[[1,2],)" + json::serialize(option_row()) + "]}");
  EXPECT_TRUE(decoded.ok());
  ASSERT_EQ(decoded.row_errors, std::vector<std::string>{"options row 0: row is not an object"});
  ASSERT_EQ(decoded.rows.size(), 1u);
}

TEST(DeribitCodec, BareOptionArrayIsAccepted) {
  auto decoded = decode_option_summaries(json::serialize(json::array{option_row(), option_row()}));
  ASSERT_TRUE(decoded.ok()) << decoded.fatal;
  EXPECT_EQ(decoded.rows.size(), 2u);
}

template <class Decode>
void expect_each_required_field_named(const json::object& good, const std::vector<std::string>& required,
                                      const std::string& label, Decode decode) {
  for (const auto& field : required) {
    auto row = good;
    row.erase(field);
    auto decoded = decode(body_of(row));
    EXPECT_TRUE(decoded.rows.empty()) << field;
    EXPECT_EQ(decoded.row_errors, std::vector<std::string>{label + " row 0: " + field + " is missing"});
  }
}

TEST(DeribitCodec, EachMissingRequiredFieldIsNamed) {
  expect_each_required_field_named(option_row(), {"instrument_name", "underlying_price", "creation_timestamp"},
                                   "options", decode_option_summaries);
  expect_each_required_field_named(
    future_row(), {"instrument_name", "mark_price", "estimated_delivery_price", "creation_timestamp"}, "futures",
    decode_future_summaries);
  expect_each_required_field_named(instrument_row(), {"instrument_name", "kind", "expiration_timestamp"},
                                   "instruments", decode_instruments);
}

/// `row` without `keys`, decoded by `decode`.
template <class Decode>
auto decoded_without(json::object row, std::initializer_list<const char*> keys, Decode decode) {
  for (const char* key : keys)
    row.erase(key);
  return decode(body_of(row));
}

TEST(DeribitCodec, OptionalFieldsMayBeAbsent) {
  auto options = decoded_without(option_row(), {"base_currency", "estimated_delivery_price"}, decode_option_summaries);
  ASSERT_EQ(options.rows.size(), 1u);
  EXPECT_EQ(options.rows[0].base_currency, "");
  EXPECT_FALSE(options.rows[0].estimated_delivery_price);

  auto instruments = decoded_without(instrument_row(), {"base_currency", "settlement_period"}, decode_instruments);
  ASSERT_EQ(instruments.rows.size(), 1u);
  EXPECT_EQ(instruments.rows[0].settlement_period, "");
}

TEST(DeribitCodec, OptionRowWithStringMarkIvIsSkippedWithItsRowNumber) {
  json::array rows(18, option_row());
  rows[17].as_object()["mark_iv"] = "50.34";
  auto decoded = decode_option_summaries(body_of(rows));
  EXPECT_EQ(decoded.rows.size(), 17u);
  EXPECT_EQ(decoded.row_errors, std::vector<std::string>{"options row 17: mark_iv is not a number"});
}

TEST(DeribitCodec, StringForRequiredNumberIsAnError) {
  auto row = future_row();
  row["mark_price"] = "98231.67";
  EXPECT_EQ(decode_future_summaries(body_of(row)).row_errors,
            std::vector<std::string>{"futures row 0: mark_price is not a number"});
  auto name = instrument_row();
  name["instrument_name"] = 309709;
  EXPECT_EQ(decode_instruments(body_of(name)).row_errors,
            std::vector<std::string>{"instruments row 0: instrument_name is not a string"});
}

TEST(DeribitCodec, NegativePriceMakesTheRowBad) {
  json::array rows(3, future_row());
  rows[2].as_object()["mark_price"] = -1.5;
  auto decoded = decode_future_summaries(body_of(rows));
  EXPECT_EQ(decoded.rows.size(), 2u);
  EXPECT_EQ(decoded.row_errors, std::vector<std::string>{"futures row 2: mark_price is negative"});

  auto option = option_row();
  option["estimated_delivery_price"] = -71048.7;
  EXPECT_EQ(decode_option_summaries(body_of(option)).row_errors,
            std::vector<std::string>{"options row 0: estimated_delivery_price is negative"});
}

TEST(DeribitCodec, NegativeMarkIvMakesTheRowBad) {
  auto row = option_row();
  row["mark_iv"] = -0.5;
  auto decoded = decode_option_summaries(body_of(row));
  EXPECT_TRUE(decoded.rows.empty());
  EXPECT_EQ(decoded.row_errors, std::vector<std::string>{"options row 0: mark_iv is negative"});
}

TEST(DeribitCodec, NegativeFundingIsARateNotAPrice) {
  auto row = future_row();
  row["funding_8h"] = -2.5e-4;
  auto decoded = decode_future_summaries(body_of(row));
  ASSERT_EQ(decoded.rows.size(), 1u);
  EXPECT_DOUBLE_EQ(*decoded.rows[0].funding_8h, -2.5e-4);
}

TEST(DeribitCodec, NullMarkIvIsKeptAndCounted) {
  auto row = option_row();
  row["mark_iv"] = nullptr;
  auto decoded = decode_option_summaries(body_of(json::array{row, option_row()}));
  EXPECT_TRUE(decoded.row_errors.empty());
  ASSERT_EQ(decoded.rows.size(), 2u);
  EXPECT_FALSE(decoded.rows[0].mark_iv);
  EXPECT_EQ(decoded.rows_without_mark_iv, 1u);
}

TEST(DeribitCodec, OptionMarkPriceIsOptionalButMustBeANonNegativeNumber) {
  auto null_price = option_row();
  null_price["mark_price"] = nullptr;
  auto absent = decoded_without(option_row(), {"mark_price"}, decode_option_summaries);
  auto decoded = decode_option_summaries(body_of(json::array{null_price, option_row()}));
  EXPECT_TRUE(decoded.row_errors.empty());
  ASSERT_EQ(decoded.rows.size(), 2u);
  EXPECT_FALSE(decoded.rows[0].mark_price);
  EXPECT_DOUBLE_EQ(*decoded.rows[1].mark_price, 0.07301792);
  ASSERT_EQ(absent.rows.size(), 1u);
  EXPECT_FALSE(absent.rows[0].mark_price);

  auto text = option_row();
  text["mark_price"] = "0.073";
  EXPECT_EQ(decode_option_summaries(body_of(json::array{option_row(), text})).row_errors,
            std::vector<std::string>{"options row 1: mark_price is not a number"});
  auto negative = option_row();
  negative["mark_price"] = -0.073;
  EXPECT_EQ(decode_option_summaries(body_of(negative)).row_errors,
            std::vector<std::string>{"options row 0: mark_price is negative"});
}

TEST(DeribitCodec, NonFiniteNumberMakesTheRowBad) {
  // Boost.JSON reads an out-of-range exponent as infinity.
  auto decoded = decode_option_summaries(
    R"([{"instrument_name":"X","underlying_price":1e400,"creation_timestamp":1773428415531}])");
  EXPECT_EQ(decoded.row_errors, std::vector<std::string>{"options row 0: underlying_price is not finite"});
}

TEST(DeribitCodec, NumbersMayBeIntegersOrExponentForms) {
  auto decoded = decode_future_summaries(
    R"([{"instrument_name":"BTC-28MAR25","mark_price":2.0e4,"estimated_delivery_price":98215,)"
    R"("creation_timestamp":1.736124757216e12,"funding_8h":8.9495e-4}])");
  ASSERT_EQ(decoded.rows.size(), 1u) << ::testing::PrintToString(decoded.row_errors);
  EXPECT_DOUBLE_EQ(decoded.rows[0].mark_price, 20000.0);
  EXPECT_DOUBLE_EQ(decoded.rows[0].estimated_delivery_price, 98215.0);
  EXPECT_EQ(quant::to_unix_ms(decoded.rows[0].creation_time), 1736124757216);
  EXPECT_DOUBLE_EQ(*decoded.rows[0].funding_8h, 8.9495e-4);
}

TEST(DeribitCodec, NonIntegerTimestampMakesTheRowBad) {
  json::array rows(5, instrument_row());
  rows[4].as_object()["expiration_timestamp"] = 1743148800000.5;
  rows[3].as_object()["expiration_timestamp"] = "1743148800000";
  auto decoded = decode_instruments(body_of(rows));
  EXPECT_EQ(decoded.rows.size(), 3u);
  EXPECT_EQ(decoded.row_errors, (std::vector<std::string>{"instruments row 3: expiration_timestamp is not an integer",
                                                          "instruments row 4: expiration_timestamp is not an integer"}));
}

TEST(DeribitCodec, MixOfGoodAndBadRowsKeepsTheGoodOnesInOrder) {
  json::array rows;
  for (const char* name : {"BTC-10JAN25", "BAD-1", "BTC-17JAN25", "BAD-2", "BTC-PERPETUAL"}) {
    auto row = future_row();
    row["instrument_name"] = name;
    rows.push_back(std::move(row));
  }
  rows[1].as_object().erase("mark_price");
  rows[3] = "BAD-2";
  auto decoded = decode_future_summaries(body_of(rows));
  EXPECT_TRUE(decoded.ok());
  ASSERT_EQ(decoded.rows.size(), 3u);
  EXPECT_EQ(decoded.rows[0].instrument_name, "BTC-10JAN25");
  EXPECT_EQ(decoded.rows[1].instrument_name, "BTC-17JAN25");
  EXPECT_EQ(decoded.rows[2].instrument_name, "BTC-PERPETUAL");
  EXPECT_EQ(decoded.row_errors, (std::vector<std::string>{"futures row 1: mark_price is missing",
                                                          "futures row 3: row is not an object"}));
}

TEST(DeribitCodec, TooManyRequestsIsAnErrorReply) {
  auto decoded = decode_option_summaries(
    R"({"jsonrpc":"2.0","id":7,"error":{"code":10028,"message":"too_many_requests"},"testnet":false})");
  EXPECT_FALSE(decoded.ok());
  EXPECT_TRUE(decoded.rows.empty());
  EXPECT_TRUE(decoded.fatal.empty());
  ASSERT_TRUE(decoded.error_reply);
  EXPECT_EQ(decoded.error_reply->code, 10028);
  EXPECT_EQ(decoded.error_reply->message, "too_many_requests");
  EXPECT_EQ(decoded.error_reply->reason, "");
}

TEST(DeribitCodec, SystemMaintenanceIsAnErrorReply) {
  // The body Deribit served with HTTP 503 during the 2026-09-15 maintenance (exchange-apis.md §4.3).
  auto decoded = decode_index_price(R"({"error":{"message":"system_maintenance","code":11051}})");
  EXPECT_FALSE(decoded.value);
  ASSERT_TRUE(decoded.error_reply);
  EXPECT_EQ(decoded.error_reply->code, 11051);
  EXPECT_EQ(decoded.error_reply->message, "system_maintenance");
}

TEST(DeribitCodec, InvalidParamsCarriesItsReason) {
  const std::string body =
    R"({"usOut":1703446335056501,"usIn":1703446335056492,"usDiff":9,"testnet":false,"jsonrpc":"2.0",)"
    R"("error":{"message":"Invalid params","data":{"reason":"instrument not found","param":"instrument_name"},)"
    R"("code":-32602}})";
  auto decoded = decode_instruments(body);
  ASSERT_TRUE(decoded.error_reply);
  EXPECT_EQ(decoded.error_reply->code, -32602);
  EXPECT_EQ(decoded.error_reply->message, "Invalid params");
  EXPECT_EQ(decoded.error_reply->reason, "instrument not found");
  EXPECT_TRUE(decoded.rows.empty());

  auto error = decode_rpc_error(body);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, -32602);
  EXPECT_EQ(error->reason, "instrument not found");
}

TEST(DeribitCodec, DecodeRpcErrorIsEmptyForSuccessAndNonJson) {
  EXPECT_FALSE(decode_rpc_error(chain()));
  EXPECT_FALSE(decode_rpc_error(R"({"jsonrpc":"2.0","result":{"index_price":1.0}})"));
  EXPECT_FALSE(decode_rpc_error("<html>429 Too Many Requests</html>"));
  EXPECT_FALSE(decode_rpc_error(R"({"error":null})"));
  auto rate_limited = decode_rpc_error(R"({"jsonrpc":"2.0","error":{"code":10028,"message":"too_many_requests","data":null}})");
  ASSERT_TRUE(rate_limited);
  EXPECT_EQ(rate_limited->code, 10028);
}

TEST(DeribitCodec, RateLimitRepliesAre429Or10028Or10066WithAnyStatus) {
  EXPECT_TRUE(is_rate_limit_reply(429, "<html>429 Too Many Requests</html>"));
  EXPECT_TRUE(is_rate_limit_reply(429, ""));
  for (unsigned status : {200u, 400u, 503u}) {
    EXPECT_TRUE(is_rate_limit_reply(status, R"({"jsonrpc":"2.0","error":{"code":10028,"message":"too_many_requests"}})"));
    EXPECT_TRUE(is_rate_limit_reply(status, R"({"error":{"message":"too_many_concurrent_requests","code":10066}})"));
  }
  EXPECT_FALSE(is_rate_limit_reply(503, R"({"jsonrpc":"2.0","error":{"code":11051,"message":"system_maintenance"}})"));
  EXPECT_FALSE(is_rate_limit_reply(200, chain()));
  EXPECT_FALSE(is_rate_limit_reply(500, "<html>500</html>"));
}

} // namespace
} // namespace derivcache::codec
