// The Deribit simulator's routes, errors, data and HTTP fault control, seen through the HTTPS client.
#include "net_fixture.hpp"

#include <boost/json.hpp>

using namespace std::chrono_literals;
using derivcache::net::failure;
using derivcache::sim::fault;

namespace {

boost::json::value parse(const std::string& body) {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  EXPECT_FALSE(ec) << body.substr(0, 200);
  return v;
}

} // namespace

class DeribitSimulator : public derivcache::test::NetFixture {
protected:
  void SetUp() override {
    start_sim();
    auto o = options();
    o.is_rate_limit = nullptr;   // a probe of the simulator's answers: it asks again right after a 429
    make_client(o);
  }

  boost::json::value get_json(const std::string& target, unsigned expected_status = 200) {
    auto r = get(target);
    EXPECT_EQ(r.error, failure::none) << r.message;
    EXPECT_EQ(r.response.status, expected_status) << target << ": " << r.response.body.substr(0, 200);
    return parse(r.response.body);
  }
};

TEST_F(DeribitSimulator, UnknownPathIsMethodNotFound) {
  auto v = get_json("/api/v2/public/no_such_method", 400);
  EXPECT_EQ(v.at("error").at("code").as_int64(), -32601);
  EXPECT_EQ(v.at("error").at("message").as_string(), "Method not found");
}

TEST_F(DeribitSimulator, UnknownCurrencyIsInvalidParams) {
  auto v = get_json("/api/v2/public/get_book_summary_by_currency?currency=SOL&kind=option", 400);
  EXPECT_EQ(v.at("error").at("code").as_int64(), -32602);
  EXPECT_EQ(v.at("error").at("data").at("param").as_string(), "currency");
  EXPECT_FALSE(v.at("error").at("data").at("reason").as_string().empty());
}

TEST_F(DeribitSimulator, BtcFuturesMatchTheChainForwards) {
  auto v = get_json("/api/v2/public/get_book_summary_by_currency?currency=BTC&kind=future");
  const auto& rows = v.at("result").as_array();
  ASSERT_EQ(rows.size(), 7u);
  bool saw_march = false;
  for (const auto& row : rows) {
    EXPECT_EQ(row.at("creation_timestamp").as_int64(), 1773428415531);
    EXPECT_EQ(row.at("estimated_delivery_price").as_double(), 71048.7);
    if (row.at("instrument_name").as_string() == "BTC-27MAR26") {
      saw_march = true;
      EXPECT_EQ(row.at("mark_price").as_double(), 71101.4);
    }
  }
  EXPECT_TRUE(saw_march);
}

TEST_F(DeribitSimulator, BookSummaryWithoutKindMergesFuturesAndOptions) {
  auto v = get_json("/api/v2/public/get_book_summary_by_currency?currency=BTC");
  EXPECT_EQ(v.at("result").as_array().size(), 964u + 7u);
}

TEST_F(DeribitSimulator, UsdcBookMixesSolAndXrpWithDecimalStrikes) {
  auto v = get_json("/api/v2/public/get_book_summary_by_currency?currency=USDC&kind=option");
  std::size_t sol = 0, xrp = 0, decimal = 0;
  for (const auto& row : v.at("result").as_array()) {
    std::string name{row.at("instrument_name").as_string()};
    if (name.rfind("SOL_USDC-", 0) == 0) {
      ++sol;
      EXPECT_EQ(row.at("base_currency").as_string(), "SOL");
      EXPECT_EQ(row.at("quote_currency").as_string(), "USDC");
    } else if (name.rfind("XRP_USDC-", 0) == 0) {
      ++xrp;
    }
    if (name.find('d', name.find('-', 9)) != std::string::npos)
      ++decimal;
  }
  EXPECT_GT(sol, 100u);
  EXPECT_GT(xrp, 0u);
  EXPECT_GT(decimal, 0u);
}

TEST_F(DeribitSimulator, InstrumentsFilterByKindAndExpired) {
  auto futures = get_json("/api/v2/public/get_instruments?currency=ETH&kind=future&expired=false");
  ASSERT_FALSE(futures.at("result").as_array().empty());
  for (const auto& item : futures.at("result").as_array()) {
    EXPECT_EQ(item.at("kind").as_string(), "future");
    EXPECT_EQ(item.at("expiration_timestamp").as_int64() % 86400000, 8 * 3600000);  // 08:00 UTC
  }
  auto expired = get_json("/api/v2/public/get_instruments?currency=ETH&kind=future&expired=true");
  EXPECT_TRUE(expired.at("result").as_array().empty());
  auto bad = get_json("/api/v2/public/get_instruments?currency=ETH&kind=swap", 400);
  EXPECT_EQ(bad.at("error").at("data").at("param").as_string(), "kind");
}

TEST_F(DeribitSimulator, IndexPriceAndCurrencies) {
  auto v = get_json("/api/v2/public/get_index_price?index_name=sol_usdc");
  EXPECT_GT(v.at("result").at("index_price").as_double(), 50.0);
  auto bad = get_json("/api/v2/public/get_index_price?index_name=sol_usd", 400);
  EXPECT_EQ(bad.at("error").at("code").as_int64(), -32602);
  auto currencies = get_json("/api/v2/public/get_currencies");
  EXPECT_EQ(currencies.at("result").as_array().size(), 3u);
}

TEST_F(DeribitSimulator, DvolCandlesEndAtTheChainsTimeForBtcAndEth) {
  const std::string window = "&start_timestamp=1773427800000&end_timestamp=1773428415531&resolution=60";
  for (const char* currency : {"BTC", "ETH"}) {
    auto v = get_json(std::string{"/api/v2/public/get_volatility_index_data?currency="} + currency + window);
    const auto& candles = v.at("result").at("data").as_array();
    ASSERT_EQ(candles.size(), 15u) << currency;
    const auto& newest = candles.back().as_array();
    EXPECT_EQ(newest.at(0).as_int64(), 1773428400000) << currency;   // the chain's minute, 2026-03-13T19:00Z
    EXPECT_EQ(newest.at(4).as_double(), 35.47) << currency;           // the real recording's last close
    EXPECT_EQ(candles.front().as_array().at(0).as_int64(), 1773428400000 - 14 * 60000) << currency;
    EXPECT_TRUE(v.at("result").at("continuation").is_null());
  }
  EXPECT_EQ(sim_->method_count("public/get_volatility_index_data"), 2u);
}

TEST_F(DeribitSimulator, DvolForSolOrWithoutItsParametersIsInvalidParams) {
  const std::string path = "/api/v2/public/get_volatility_index_data?";
  const std::pair<std::string, std::string> cases[] = {
    {"currency=SOL&start_timestamp=1&end_timestamp=2&resolution=60", "currency"},
    {"currency=USDC&start_timestamp=1&end_timestamp=2&resolution=60", "currency"},
    {"start_timestamp=1&end_timestamp=2&resolution=60", "currency"},
    {"currency=BTC&end_timestamp=2&resolution=60", "start_timestamp"},
    {"currency=BTC&start_timestamp=1&end_timestamp=soon&resolution=60", "end_timestamp"},
    {"currency=BTC&start_timestamp=1&end_timestamp=2&resolution=61", "resolution"},
  };
  for (const auto& [query, param] : cases) {
    auto v = get_json(path + query, 400);
    EXPECT_EQ(v.at("error").at("code").as_int64(), -32602) << query;
    EXPECT_EQ(v.at("error").at("data").at("param").as_string(), param) << query;
  }
}

TEST_F(DeribitSimulator, FaultsApplyToDvolRequestsToo) {
  const std::string target =
    "/api/v2/public/get_volatility_index_data?currency=BTC&start_timestamp=1&end_timestamp=2&resolution=60";
  get_json("/_sim/fault?kind=500&method=get_volatility_index_data");
  EXPECT_EQ(get(derivcache::test::book_summary_btc_option).response.status, 200u);   // not this method
  EXPECT_EQ(get(target).response.status, 500u);
  sim_->inject(fault::rpc_10028);
  auto limited = get_json(target, 400);
  EXPECT_EQ(limited.at("error").at("code").as_int64(), 10028);
  sim_->inject(fault::malformed_json);
  auto cut = get(target);
  EXPECT_EQ(cut.response.status, 200u);
  boost::system::error_code ec;
  boost::json::parse(cut.response.body, ec);
  EXPECT_TRUE(ec);
  EXPECT_EQ(get_json(target).at("result").at("data").as_array().size(), 15u);
  EXPECT_EQ(get_json("/_sim/stats").at("methods").at("public/get_volatility_index_data").as_int64(), 4);
}

TEST_F(DeribitSimulator, FaultsAreControllableOverHttp) {
  auto queued = get_json("/_sim/fault?kind=429&count=1&retry_after=3&method=get_index_price");
  EXPECT_TRUE(queued.at("queued").as_bool());
  // The method filter leaves other requests alone.
  EXPECT_EQ(get(derivcache::test::book_summary_btc_option).response.status, 200u);
  auto r = get("/api/v2/public/get_index_price?index_name=btc_usd");
  EXPECT_EQ(r.response.status, 429u);
  ASSERT_TRUE(r.response.retry_after);
  EXPECT_EQ(*r.response.retry_after, 3s);
  EXPECT_EQ(get("/api/v2/public/get_index_price?index_name=btc_usd").response.status, 200u);

  auto stats = get_json("/_sim/stats");
  EXPECT_EQ(stats.at("requests").as_int64(), 3);
  EXPECT_EQ(stats.at("methods").at("public/get_index_price").as_int64(), 2);
  EXPECT_EQ(sim_->method_count("public/get_book_summary_by_currency"), 1u);
  get_json("/_sim/fault?kind=bogus", 400);
}

TEST_F(DeribitSimulator, FaultCountAppliesToThatManyRequests) {
  sim_->inject(fault::server_error_500, 2);
  const std::string target = "/api/v2/public/get_currencies";
  EXPECT_EQ(get(target).response.status, 500u);
  EXPECT_EQ(get(target).response.status, 500u);
  EXPECT_EQ(get(target).response.status, 200u);
}

TEST_F(DeribitSimulator, Rpc10066IsTooManyConcurrentRequests) {
  get_json("/_sim/fault?kind=10066");
  auto v = get_json(derivcache::test::book_summary_btc_option, 400);
  EXPECT_EQ(v.at("error").at("code").as_int64(), 10066);
  EXPECT_EQ(v.at("error").at("message").as_string(), "too_many_concurrent_requests");
}

TEST_F(DeribitSimulator, ResetMidBodyAndOversizedBodyReachTheClient) {
  sim_->inject(fault::reset_mid_body);
  auto reset = get(derivcache::test::book_summary_btc_option);
  EXPECT_NE(reset.error, failure::none);
  EXPECT_NE(reset.response.status, 200u);
  get_json("/_sim/fault?kind=oversized&bytes=300000000", 400);   // the simulator's own memory is bounded
  get_json("/_sim/fault?kind=oversized&bytes=6000000");
  auto big = get(derivcache::test::book_summary_btc_option);
  EXPECT_EQ(big.error, failure::none) << big.message;   // the fixture's client takes 16 MiB
  EXPECT_EQ(big.response.body.size(), 6000000u);
  EXPECT_FALSE(parse(big.response.body).at("result").as_array().empty());
}

TEST_F(DeribitSimulator, PayloadFaultsRewriteTheRows) {
  const std::string target = derivcache::test::book_summary_btc_option;
  auto rows_after = [&](fault f) {
    sim_->inject(f);
    return get_json(target).at("result").as_array();
  };
  auto normal = get_json(target).at("result").as_array();
  ASSERT_GT(normal.size(), 100u);
  EXPECT_TRUE(rows_after(fault::empty_chain).empty());
  for (const auto& row : rows_after(fault::null_mark_iv))
    EXPECT_TRUE(row.at("mark_iv").is_null());
  for (const auto& row : rows_after(fault::negative_mark_iv))
    EXPECT_LE(row.at("mark_iv").as_double(), 0.0);
  for (const auto& row : rows_after(fault::negative_prices))
    EXPECT_LT(row.at("underlying_price").as_double(), 0.0);
  for (const auto& row : rows_after(fault::wrong_types))
    EXPECT_TRUE(row.at("mark_price").is_string());
  auto one = rows_after(fault::one_expiry);
  ASSERT_FALSE(one.empty());
  EXPECT_LT(one.size(), normal.size());
  for (const auto& row : one)
    EXPECT_NE(std::string{row.at("instrument_name").as_string()}.find("-27MAR26-"), std::string::npos);
  for (const auto& row : rows_after(fault::expired_instruments))
    EXPECT_EQ(std::string{row.at("instrument_name").as_string()}.rfind("BTC-6MAR26-", 0), 0u);

  sim_->inject(fault::result_not_array);
  EXPECT_TRUE(get_json(target).at("result").is_object());
  sim_->inject(fault::nan_mark_iv);
  auto nan = get(target);
  EXPECT_EQ(nan.response.status, 200u);
  EXPECT_NE(nan.response.body.find("\"mark_iv\":NaN"), std::string::npos);
  boost::system::error_code ec;
  boost::json::parse(nan.response.body, ec);
  EXPECT_TRUE(ec);
  EXPECT_EQ(get_json(target).at("result").as_array().size(), normal.size());   // each fault was used once
}

TEST(DeribitSimulatorStart, MissingCertificateIsAnError) {
  derivcache::sim::simulator_options opts;
  opts.cert_file = derivcache::test::cert_path("missing.pem");
  opts.key_file = derivcache::test::cert_path("server.key");
  derivcache::sim::deribit_simulator sim{opts};
  auto started = sim.start();
  EXPECT_FALSE(started);
  EXPECT_NE(started.error.find("missing.pem"), std::string::npos) << started.error;
}

TEST(DeribitSimulatorStart, MissingDataDirIsAnError) {
  derivcache::sim::simulator_options opts;
  opts.data_dir = "/nonexistent/sim-data";
  derivcache::sim::deribit_simulator sim{opts};
  auto started = sim.start();
  EXPECT_FALSE(started);
  EXPECT_NE(started.error.find("/nonexistent/sim-data"), std::string::npos) << started.error;
}

TEST(DeribitSimulatorStart, ParsesFaultNames) {
  fault f{};
  EXPECT_TRUE(derivcache::sim::parse_fault("11051", f));
  EXPECT_EQ(f, fault::maintenance_11051_503);
  EXPECT_TRUE(derivcache::sim::parse_fault("truncated_body", f));
  EXPECT_EQ(f, fault::truncated_body);
  EXPECT_TRUE(derivcache::sim::parse_fault("10066", f));
  EXPECT_EQ(f, fault::rpc_10066);
  EXPECT_TRUE(derivcache::sim::parse_fault("oversized", f));
  EXPECT_EQ(f, fault::oversized_body);
  for (int i = 0; i <= static_cast<int>(fault::expired_instruments); ++i) {
    const auto kind = static_cast<fault>(i);
    EXPECT_TRUE(derivcache::sim::parse_fault(derivcache::sim::to_string(kind), f)) << i;
    EXPECT_EQ(f, kind);
  }
  EXPECT_FALSE(derivcache::sim::parse_fault("teapot", f));
}
