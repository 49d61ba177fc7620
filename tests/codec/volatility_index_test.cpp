// Deribit's DVOL candles (public/get_volatility_index_data): the real recording, and the error a user reads
// for each way a body can be unusable.
#include "codec/deribit.hpp"
#include "support/read_file.hpp"

#include <gtest/gtest.h>

#include <string>

namespace derivcache::codec {
namespace {

const std::string recorded = "deribit_get_volatility_index_data_result_btc_12h_2026-09.json";

std::string data(const std::string& name) {
  return test::read_file(std::string{DERIVCACHE_TEST_DATA_DIR} + "/" + name);
}

/// A full response body around `data` (the JSON text of the `data` member).
std::string body_with(const std::string& data) {
  return R"({"jsonrpc":"2.0","result":{"data":)" + data +
         R"(,"continuation":null},"usIn":1789905600123456,"usOut":1789905600123576,"usDiff":120,"testnet":false})";
}

TEST(DeribitVolatilityIndex, RealRecordingGivesTheNewestClose) {
  auto decoded = decode_volatility_index(data(recorded));   // a bare result object, 15 candles of 12 h
  ASSERT_TRUE(decoded.value) << decoded.fatal;
  EXPECT_DOUBLE_EQ(decoded.value->close, 35.47);
  EXPECT_EQ(quant::to_unix_ms(decoded.value->time), 1789905600000);   // 2026-09-20T12:00Z
  EXPECT_EQ(decoded.value->candles, 15u);
  EXPECT_FALSE(decoded.error_reply);
  EXPECT_TRUE(decoded.fatal.empty());
}

TEST(DeribitVolatilityIndex, FullBodyAndCandlesInAnyOrder) {
  auto decoded = decode_volatility_index(
    body_with("[[1773428400000,35.46,35.5,35.4,35.47],[1773428340000,34.85,35.51,34.78,34.9],"
              "[1773428370000,1.0,1.0,1.0,1]]"));
  ASSERT_TRUE(decoded.value) << decoded.fatal;
  EXPECT_DOUBLE_EQ(decoded.value->close, 35.47);
  EXPECT_EQ(quant::to_unix_ms(decoded.value->time), 1773428400000);
  EXPECT_EQ(decoded.value->candles, 3u);
}

TEST(DeribitVolatilityIndex, EachUnusableBodyIsNamed) {
  const std::pair<std::string, std::string> cases[] = {
    {"<html>502 Bad Gateway</html>", "not JSON: syntax error at offset 0"},
    {R"({"jsonrpc":"2.0","usIn":1})", R"(no "result" in response)"},
    {R"({"jsonrpc":"2.0","result":[]})", R"("result" is not an object)"},
    {R"({"jsonrpc":"2.0","result":{"continuation":null}})", R"(no "data" in result)"},
    {R"({"jsonrpc":"2.0","result":{"data":null}})", R"(no "data" in result)"},
    {R"({"jsonrpc":"2.0","result":{"data":{"ts":1}}})", R"("data" is not an array)"},
    {body_with("[]"), R"(no candles in "data")"},
    {body_with("[[1773428400000,35.46,35.5,35.4,35.47],[1773428460000,35.47,35.5,35.4]]"),
     "candle 1: has 4 values, expected 5 (ts, open, high, low, close)"},
    {body_with("[{\"ts\":1773428400000}]"), "candle 0: is not an array"},
    {body_with("[[\"1773428400000\",35.46,35.5,35.4,35.47]]"), "candle 0: ts is not an integer"},
    {body_with("[[1773428400000.5,35.46,35.5,35.4,35.47]]"), "candle 0: ts is not an integer"},
    {body_with("[[1773428400000,35.46,35.5,35.4,\"35.47\"]]"), "candle 0: close is not a number"},
    {body_with("[[1773428400000,35.46,null,35.4,35.47]]"), "candle 0: high is not a number"},
    {body_with("[[1773428400000,-35.46,35.5,35.4,35.47]]"), "candle 0: open is negative"},
    {body_with("[[1773428400000,35.46,35.5,1e999,35.47]]"), "candle 0: low is not finite"},
  };
  for (const auto& [body, fatal] : cases) {
    auto decoded = decode_volatility_index(body);
    EXPECT_FALSE(decoded.value) << body;
    EXPECT_FALSE(decoded.error_reply) << body;
    EXPECT_EQ(decoded.fatal, fatal) << body;
  }
}

TEST(DeribitVolatilityIndex, JsonRpcErrorIsAnErrorReply) {
  auto decoded = decode_volatility_index(
    R"({"jsonrpc":"2.0","error":{"message":"Invalid params","data":{"reason":"wrong format","param":"currency"},)"
    R"("code":-32602},"usIn":1,"usOut":2,"usDiff":1,"testnet":false})");
  EXPECT_FALSE(decoded.value);
  EXPECT_TRUE(decoded.fatal.empty());
  ASSERT_TRUE(decoded.error_reply);
  EXPECT_EQ(decoded.error_reply->code, -32602);
  EXPECT_EQ(decoded.error_reply->reason, "wrong format");
  auto limited = decode_volatility_index(R"({"jsonrpc":"2.0","error":{"code":10028,"message":"too_many_requests"}})");
  ASSERT_TRUE(limited.error_reply);
  EXPECT_TRUE(is_rate_limit_code(limited.error_reply->code));
}

TEST(DeribitVolatilityIndex, TargetAsksForOneMinuteCandlesOfTheWindow) {
  EXPECT_EQ(volatility_index_target("/api/v2", *quant::find_currency("ETH"), quant::from_unix_ms(1773427800000),
                                    quant::from_unix_ms(1773428400000)),
            "/api/v2/public/get_volatility_index_data?currency=ETH&start_timestamp=1773427800000"
            "&end_timestamp=1773428400000&resolution=60");
}

} // namespace
} // namespace derivcache::codec
