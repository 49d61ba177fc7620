// Deribit codec on real recorded payloads: row counts and field values as the files hold them.
#include "codec/deribit.hpp"
#include "support/read_file.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace derivcache::codec {
namespace {

std::string data(const std::string& name) {
  return test::read_file(std::string{DERIVCACHE_TEST_DATA_DIR} + "/" + name);
}

/// No fatal error, no row error and `rows` rows.
template <class Row>
::testing::AssertionResult decoded_cleanly(const decoded_rows<Row>& d, std::size_t rows) {
  if (!d.ok())
    return ::testing::AssertionFailure() << "fatal: " << d.fatal;
  if (!d.row_errors.empty())
    return ::testing::AssertionFailure() << ::testing::PrintToString(d.row_errors);
  if (d.rows.size() != rows)
    return ::testing::AssertionFailure() << d.rows.size() << " rows, not " << rows;
  return ::testing::AssertionSuccess();
}

template <class Rows>
auto find_row(const Rows& rows, const std::string& name) {
  return std::find_if(rows.begin(), rows.end(), [&](const auto& row) { return row.instrument_name == name; });
}

TEST(DeribitCodec, FullBtcChainDecodesEveryRowWithMarkIv) {
  auto decoded = decode_option_summaries(data("deribit_book_summary_option_btc_full_2026-03-13.json"));
  ASSERT_TRUE(decoded.ok()) << decoded.fatal;
  EXPECT_EQ(decoded.rows.size(), 964u);
  EXPECT_TRUE(decoded.row_errors.empty()) << ::testing::PrintToString(decoded.row_errors);
  EXPECT_EQ(decoded.rows_without_mark_iv, 0u);
  EXPECT_EQ(decoded.rows.front().instrument_name, "BTC-25DEC26-100000-C");
  EXPECT_EQ(decoded.rows.back().instrument_name, "BTC-25DEC26-95000-P");
}

TEST(DeribitCodec, FullBtcChainRowMatchesTheFile) {
  auto decoded = decode_option_summaries(data("deribit_book_summary_option_btc_full_2026-03-13.json"));
  auto row = find_row(decoded.rows, "BTC-25DEC26-100000-C");
  ASSERT_NE(row, decoded.rows.end());
  EXPECT_EQ(row->base_currency, "BTC");
  ASSERT_TRUE(row->mark_iv);
  EXPECT_DOUBLE_EQ(*row->mark_iv, 50.34);
  EXPECT_DOUBLE_EQ(row->underlying_price, 73038.53);
  ASSERT_TRUE(row->estimated_delivery_price);
  EXPECT_DOUBLE_EQ(*row->estimated_delivery_price, 71048.7);
  EXPECT_EQ(quant::to_unix_ms(row->creation_time), 1773428415531);
  ASSERT_TRUE(row->mark_price);
  EXPECT_DOUBLE_EQ(*row->mark_price, 0.07301792);   // in BTC: Deribit quotes inverse options in coin
}

TEST(DeribitCodec, FullBtcChainHasAMarkPriceOnEveryRow) {
  auto decoded = decode_option_summaries(data("deribit_book_summary_option_btc_full_2026-03-13.json"));
  EXPECT_TRUE(std::all_of(decoded.rows.begin(), decoded.rows.end(), [](const auto& row) { return row.mark_price; }));
}

TEST(DeribitCodec, OptionRowsFrom2022WithoutMarkIvAreKeptAndCounted) {
  auto btc = decode_option_summaries(data("deribit_book_summary_option_btc_2022-06-04.json"));
  ASSERT_TRUE(btc.ok()) << btc.fatal;
  EXPECT_TRUE(btc.row_errors.empty());
  ASSERT_EQ(btc.rows.size(), 2u);
  EXPECT_EQ(btc.rows_without_mark_iv, 2u);
  EXPECT_FALSE(btc.rows[0].mark_iv);
  EXPECT_EQ(btc.rows[1].instrument_name, "BTC-30DEC22-90000-P");
  EXPECT_DOUBLE_EQ(btc.rows[1].underlying_price, 30236.72);

  auto eth = decode_option_summaries(data("deribit_book_summary_option_eth_2022-06-04.json"));
  ASSERT_EQ(eth.rows.size(), 1u);
  EXPECT_EQ(eth.rows_without_mark_iv, 1u);
  EXPECT_EQ(eth.rows[0].base_currency, "ETH");
  EXPECT_EQ(quant::to_unix_ms(eth.rows[0].creation_time), 1654341866165);
}

TEST(DeribitCodec, PerpetualRowCarriesFunding8h) {
  auto perpetual = decode_future_summaries(data("deribit_book_summary_future_btc-perpetual_2022-06-04.json"));
  ASSERT_EQ(perpetual.rows.size(), 1u);
  const auto& row = perpetual.rows[0];
  EXPECT_EQ(row.instrument_name, "BTC-PERPETUAL");
  ASSERT_TRUE(row.funding_8h);
  EXPECT_DOUBLE_EQ(*row.funding_8h, 0.00000214);
  EXPECT_DOUBLE_EQ(row.mark_price, 29700.53);
  EXPECT_DOUBLE_EQ(row.estimated_delivery_price, 29695.49);

  auto dated = decode_future_summaries(data("deribit_book_summary_future_btc-24jun22_2022-06-04.json"));
  ASSERT_EQ(dated.rows.size(), 1u);
  EXPECT_EQ(dated.rows[0].instrument_name, "BTC-24JUN22");
  EXPECT_FALSE(dated.rows[0].funding_8h);
}

TEST(DeribitCodec, FuturesSummaryOf2025DecodesNineRows) {
  auto decoded = decode_future_summaries(data("derived/deribit_book_summary_future_btc_2025-01-06.json"));
  ASSERT_TRUE(decoded_cleanly(decoded, 9u));
  auto row = find_row(decoded.rows, "BTC-28MAR25");
  ASSERT_NE(row, decoded.rows.end());
  EXPECT_EQ(row->base_currency, "BTC");
  EXPECT_DOUBLE_EQ(row->mark_price, 100955.87);
  EXPECT_DOUBLE_EQ(row->estimated_delivery_price, 98215.44);
  EXPECT_EQ(quant::to_unix_ms(row->creation_time), 1736124757216);
  EXPECT_FALSE(row->funding_8h);
  auto perpetual = find_row(decoded.rows, "BTC-PERPETUAL");
  ASSERT_NE(perpetual, decoded.rows.end());
  ASSERT_TRUE(perpetual->funding_8h);
  EXPECT_DOUBLE_EQ(*perpetual->funding_8h, 8.131e-5);
}

TEST(DeribitCodec, InstrumentsOfBtcFutures2025CarryExpiryAndSettlementPeriod) {
  auto decoded = decode_instruments(data("deribit_get_instruments_future_btc_2025-01-06.json"));
  ASSERT_TRUE(decoded_cleanly(decoded, 9u));
  auto row = find_row(decoded.rows, "BTC-28MAR25");
  ASSERT_NE(row, decoded.rows.end());
  EXPECT_EQ(row->kind, "future");
  EXPECT_EQ(row->base_currency, "BTC");
  EXPECT_EQ(row->settlement_period, "month");
  EXPECT_EQ(quant::to_unix_ms(row->expiration_time), 1743148800000);
  EXPECT_FALSE(row->strike);
}

TEST(DeribitCodec, InstrumentsOfUsdc2022AreLinearPerpetuals) {
  auto decoded = decode_instruments(data("deribit_get_instruments_usdc_2022-05-29.json"));
  ASSERT_TRUE(decoded_cleanly(decoded, 16u));
  const auto& sol = decoded.rows[1];
  EXPECT_EQ(sol.instrument_name, "SOL_USDC-PERPETUAL");
  EXPECT_EQ(sol.base_currency, "SOL");
  EXPECT_EQ(sol.settlement_period, "perpetual");
  EXPECT_EQ(quant::to_unix_ms(sol.expiration_time), 32503708800000);
}

TEST(DeribitCodec, BareResultArrayOfInstrumentsIsAccepted) {
  auto decoded = decode_instruments(data("deribit_get_instruments_result_future_btc_eth_2025-05-02.json"));
  ASSERT_TRUE(decoded_cleanly(decoded, 16u));
  EXPECT_EQ(decoded.rows[6].instrument_name, "BTC-27MAR26");
  EXPECT_EQ(quant::to_unix_ms(decoded.rows[6].expiration_time), 1774598400000);
  EXPECT_EQ(decoded.rows[15].instrument_name, "ETH-PERPETUAL");
  EXPECT_EQ(decoded.rows[15].settlement_period, "perpetual");
}

TEST(DeribitCodec, OptionInstrumentCarriesItsStrike) {
  // The 2025-05-08 option item quoted in exchange-apis.md §2.2, reduced to the decoded fields.
  auto decoded = decode_instruments(
    R"([{"base_currency":"BTC","contract_size":1.0,"expiration_timestamp":1746777600000,)"
    R"("instrument_name":"BTC-9MAY25-70000-C","kind":"option","option_type":"call",)"
    R"("settlement_period":"week","strike":70000.0,"tick_size_steps":[{"above_price":0.005,"tick_size":0.0005}]}])");
  ASSERT_EQ(decoded.rows.size(), 1u);
  ASSERT_TRUE(decoded.rows[0].strike);
  EXPECT_DOUBLE_EQ(*decoded.rows[0].strike, 70000.0);
  EXPECT_EQ(decoded.rows[0].kind, "option");
  EXPECT_EQ(decoded.rows[0].settlement_period, "week");
}

TEST(DeribitCodec, IndexPriceFromBareResultObject) {
  auto decoded = decode_index_price(data("deribit_get_index_price_result_btc_usd_2026-09.json"));
  ASSERT_TRUE(decoded.value) << decoded.fatal;
  EXPECT_DOUBLE_EQ(decoded.value->index_price, 80814.47);
  EXPECT_DOUBLE_EQ(decoded.value->estimated_delivery_price, 80814.47);
  EXPECT_FALSE(decoded.error_reply);
}

TEST(DeribitCodec, IndexPriceFromFullBody) {
  auto decoded = decode_index_price(
    R"({"jsonrpc":"2.0","result":{"index_price":98215.44,"estimated_delivery_price":98215.44},)"
    R"("usIn":1736124757239768,"usOut":1736124757239929,"usDiff":161,"testnet":false})");
  ASSERT_TRUE(decoded.value) << decoded.fatal;
  EXPECT_DOUBLE_EQ(decoded.value->index_price, 98215.44);
  EXPECT_DOUBLE_EQ(decoded.value->estimated_delivery_price, 98215.44);
}

} // namespace
} // namespace derivcache::codec
