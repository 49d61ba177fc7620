// Black-76 forward delta against Deribit's own greeks.delta in real tickers.
#include "quant/black76.hpp"
#include "support/fixtures.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

using namespace derivcache;
using namespace derivcache::quant;

namespace {

// Delta recomputed from a ticker's own mark_iv, underlying_price and timestamp, and Deribit's delta.
std::pair<double, double> deltas(const std::string& file) {
  auto doc = boost::json::parse(test::read_file(test::data_path(file)));
  auto& obj = doc.as_object();
  const auto& t = obj.contains("params") ? obj.at("params").at("data").as_object() : obj.at("result").as_object();
  auto x = parse_instrument(t.at("instrument_name").as_string().c_str()).value;
  const auto now = from_unix_ms(t.at("timestamp").to_number<int64_t>());
  auto ours = forward_delta(x->type, t.at("underlying_price").to_number<double>(), x->strike,
                            t.at("mark_iv").to_number<double>() / 100, years_between(now, x->expiry));
  return {*ours, t.at("greeks").at("delta").to_number<double>()};
}

} // namespace

TEST(Black76, CallDeltaMatchesDeribitTicker) {
  auto [ours, deribit] = deltas("deribit_ws_ticker_option_btc-30sep22-60000-c_2022-06-02.json");
  EXPECT_NEAR(ours, deribit, 1e-4);   // 0.05785
}

TEST(Black76, PutDeltaMatchesDeribitTicker) {
  auto [ours, deribit] = deltas("deribit_ws_ticker_option_btc-24sep21-34000-p_2021-07-22.json");
  EXPECT_LT(deribit, 0);
  EXPECT_NEAR(ours, deribit, 1e-4);
}

TEST(Black76, PutDeltaMatchesDeribitOrderBook) {
  auto [ours, deribit] = deltas("deribit_get_order_book_option_eth-24jun22-1600-p_2022-06-03.json");
  EXPECT_NEAR(ours, deribit, 1e-4);   // -0.24537
}

TEST(Black76, PutCallParityOfDeltas) {
  auto c = forward_delta(option_type::call, 100, 110, 0.5, 0.25);
  auto p = forward_delta(option_type::put, 100, 110, 0.5, 0.25);
  EXPECT_NEAR(*c - *p, 1.0, 1e-12);
}

TEST(Black76, UndefinedInputsGiveNoDelta) {
  EXPECT_FALSE(forward_delta(option_type::call, 100, 100, 0, 0.1));
  EXPECT_FALSE(forward_delta(option_type::call, 100, 100, 0.5, 0));
  EXPECT_FALSE(forward_delta(option_type::call, -1, 100, 0.5, 0.1));
  EXPECT_FALSE(forward_delta(option_type::put, 100, std::nan(""), 0.5, 0.1));
}
