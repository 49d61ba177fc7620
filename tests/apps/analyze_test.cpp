// `derivcache analyze` as a user runs it: the real binary, real files, its JSON and its errors.
#include "support/process.hpp"
#include "support/read_file.hpp"
#include "support/temp_file.hpp"

#include <boost/json.hpp>
#include <cstdio>
#include <gtest/gtest.h>

using derivcache::test::run_process;

namespace {

const std::string bin = std::string{DERIVCACHE_BINARY_DIR} + "/apps/derivcache";
const std::string data = DERIVCACHE_TEST_DATA_DIR;
const std::string chain = data + "/deribit_book_summary_option_btc_full_2026-03-13.json";
const std::string futures = data + "/derived/deribit_book_summary_future_btc_2025-01-06.json";

std::vector<std::string> cmd(std::vector<std::string> args) {
  args.insert(args.begin(), {bin, "analyze"});
  return args;
}

boost::json::object run_json(const std::vector<std::string>& args) {
  auto r = run_process(cmd(args));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return boost::json::parse(r.out).as_object();
}


int lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

} // namespace

TEST(AnalyzeCommand, RealChainAndCurve) {
  auto j = run_json({"--currency", "BTC", "--options", chain, "--futures", futures});
  EXPECT_EQ(j.at("currency"), "BTC");
  auto& skew = j.at("skew").as_object();
  EXPECT_NEAR(skew.at("value_pct").as_double(), 6.3218, 5e-4);
  EXPECT_NEAR(skew.at("atm_iv").as_double(), 51.3286, 5e-4);
  EXPECT_NEAR(skew.at("butterfly25").as_double(), 1.1772, 5e-4);
  EXPECT_EQ(skew.at("state"), "FEAR");
  EXPECT_EQ(skew.at("bracketed"), true);
  EXPECT_EQ(skew.at("expiries"), (boost::json::array{"BTC-3APR26", "BTC-24APR26"}));
  EXPECT_EQ(skew.at("as_of_ms"), 1773428415542);
  auto& basis = j.at("basis").as_object();
  EXPECT_NEAR(basis.at("apr_pct").as_double(), 12.527, 1e-3);
  EXPECT_EQ(basis.at("instrument"), "BTC-28MAR25");
  EXPECT_EQ(basis.at("source"), "future");
  EXPECT_EQ(basis.at("state"), "CONTANGO");
  EXPECT_EQ(basis.at("as_of_ms"), 1736124757223);
  EXPECT_EQ(j.at("as_of_ms"), 1773428415542);   // the newer of the two sections
  EXPECT_EQ(j.at("term_structure").as_array().size(), 8u);
  EXPECT_EQ(j.at("smile_term_structure").as_array().size(), 11u);
  EXPECT_EQ(j.at("skipped_rows"), (boost::json::object{{"options", 0}, {"futures", 0}}));
}

TEST(AnalyzeCommand, DvolFileAddsItsNewestCloseAndTheMfivMinusDvol) {
  const auto dvol_file = data + "/deribit_get_volatility_index_data_result_btc_12h_2026-09.json";
  auto j = run_json({"--currency", "BTC", "--options", chain, "--dvol", dvol_file});
  const auto& dvol = j.at("dvol").as_object();
  EXPECT_EQ(dvol.at("close"), 35.47);
  EXPECT_EQ(dvol.at("time_ms"), 1789905600000);
  EXPECT_EQ(dvol.at("candles"), 15);
  EXPECT_DOUBLE_EQ(dvol.at("mfiv_minus_dvol").as_double(), j.at("mfiv").at("value_pct").as_double() - 35.47);
  EXPECT_NEAR(dvol.at("mfiv_minus_dvol").as_double(), 54.9440 - 35.47, 5e-5);   // vol points
  EXPECT_TRUE(dvol.at("reason").is_null());
  EXPECT_FALSE(j.contains("dvol_reason"));
  // Without options there is no MFIV to compare with.
  auto futures_only = run_json({"--currency", "BTC", "--futures", futures, "--dvol", dvol_file});
  EXPECT_EQ(futures_only.at("dvol").at("close"), 35.47);
  EXPECT_TRUE(futures_only.at("dvol").at("mfiv_minus_dvol").is_null());
  EXPECT_EQ(j.at("as_of_ms"), 1773428415542);   // the chain's: DVOL does not move it

  auto without = run_json({"--currency", "BTC", "--options", chain});
  EXPECT_TRUE(without.at("dvol").is_null());
  EXPECT_EQ(without.at("dvol_reason"), "no dvol file given");
  auto eth = run_json({"--currency", "ETH", "--options", data + "/deribit_book_summary_option_eth_2022-06-04.json"});
  EXPECT_EQ(eth.at("dvol_reason"), "no dvol file given");
}

TEST(AnalyzeCommand, DvolIsNotListedForSol) {
  const std::string sol_chain = std::string{DERIVCACHE_SOURCE_DIR} + "/sim/data/book_summary.USDC.option.json";
  auto j = run_json({"--currency", "SOL", "--options", sol_chain});
  EXPECT_TRUE(j.at("dvol").is_null());
  EXPECT_EQ(j.at("dvol_reason"), "not listed for SOL");
  auto r = run_process(cmd({"--currency", "SOL", "--options", sol_chain, "--dvol",
                            data + "/deribit_get_volatility_index_data_result_btc_12h_2026-09.json"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "derivcache analyze: --dvol: Deribit has no DVOL for SOL\n");
}

TEST(AnalyzeCommand, UnusableDvolFileExitsTwoNamingIt) {
  derivcache::test::temp_file empty{".json", R"({"jsonrpc":"2.0","result":{"data":[],"continuation":null}})"};
  auto r = run_process(cmd({"--currency", "BTC", "--options", chain, "--dvol", empty.path}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "derivcache analyze: " + empty.path + ": no candles in \"data\"\n");
  derivcache::test::temp_file limited{".json", R"({"jsonrpc":"2.0","error":{"code":10028,"message":"too_many_requests"}})"};
  r = run_process(cmd({"--currency", "BTC", "--options", chain, "--dvol", limited.path}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(limited.path + ": JSON-RPC error 10028 too_many_requests"), std::string::npos) << r.err;
}

TEST(AnalyzeCommand, EqualsFormAndSpaceFormAgree) {
  auto a = run_process(cmd({"--currency", "BTC", "--options", chain, "--min-dte", "7"}));
  auto b = run_process(cmd({"--currency=BTC", "--options=" + chain, "--min-dte=7"}));
  EXPECT_EQ(a.exit_code, 0);
  EXPECT_EQ(a.out, b.out);
}

TEST(AnalyzeCommand, NowSetsBothSectionsAsOf) {
  auto j = run_json({"--currency", "BTC", "--options", chain, "--futures", futures, "--now", "1736200000000"});
  EXPECT_EQ(j.at("as_of_ms"), 1736200000000);
  EXPECT_EQ(j.at("basis").at("as_of_ms"), 1736200000000);
  EXPECT_EQ(j.at("skew").at("as_of_ms"), 1736200000000);
}

TEST(AnalyzeCommand, SectionWithoutInputIsNullWithAReason) {
  auto j = run_json({"--currency", "BTC", "--options", chain});
  EXPECT_TRUE(j.at("basis").is_null());
  EXPECT_EQ(j.at("basis_reason"), "no futures file given");
  EXPECT_TRUE(j.at("term_structure").as_array().empty());
  auto k = run_json({"--currency", "BTC", "--futures", futures});
  EXPECT_TRUE(k.at("skew").is_null());
  EXPECT_EQ(k.at("skew_reason"), "no options file given");
}

TEST(AnalyzeCommand, RowsWithoutMarkIvGiveNullSkewWithAReason) {
  auto j = run_json({"--currency", "BTC", "--options", data + "/deribit_book_summary_option_btc_2022-06-04.json"});
  EXPECT_TRUE(j.at("skew").is_null());
  EXPECT_EQ(j.at("skew_reason"), "no option row has a positive mark_iv and underlying_price");
  EXPECT_EQ(j.at("skipped_rows").at("options"), 2);
}

TEST(AnalyzeCommand, UnreadableFileExitsTwoNamingIt) {
  auto r = run_process(cmd({"--currency", "BTC", "--options", "/nonexistent/chain.json"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(lines(r.err), 1);
  EXPECT_NE(r.err.find("/nonexistent/chain.json: cannot read"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST(AnalyzeCommand, NotJsonExitsTwoNamingIt) {
  derivcache::test::temp_file file{".json", "<html>502 Bad Gateway</html>"};
  const auto& path = file.path;
  auto r = run_process(cmd({"--currency", "BTC", "--options", path}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(lines(r.err), 1);
  EXPECT_NE(r.err.find(path + ": not JSON"), std::string::npos) << r.err;
}

TEST(AnalyzeCommand, JsonRpcErrorExitsTwo) {
  derivcache::test::temp_file file{".json", R"({"jsonrpc":"2.0","error":{"code":10028,"message":"too_many_requests"}})"};
  const auto& path = file.path;
  auto r = run_process(cmd({"--currency", "BTC", "--futures", path}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("JSON-RPC error 10028 too_many_requests"), std::string::npos) << r.err;
}

TEST(AnalyzeCommand, NoRowsForTheCurrencyExitsTwo) {
  auto r = run_process(cmd({"--currency", "ETH", "--options", chain}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(chain + ": no usable ETH rows"), std::string::npos) << r.err;
}

TEST(AnalyzeCommand, BadRowIsWarnedAboutCountedAndTheRestKept) {
  auto body = derivcache::test::read_file(futures);
  auto pos = body.find("\"mark_price\":100955.87");
  ASSERT_NE(pos, std::string::npos);
  body.replace(pos, 22, "\"mark_price\":\"100955.87\"");
  derivcache::test::temp_file file{".json", body};
  const auto& path = file.path;
  auto r = run_process(cmd({"--currency", "BTC", "--futures", path}));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.err.find("futures row 6: mark_price is not a number"), std::string::npos) << r.err;
  auto j = boost::json::parse(r.out).as_object();
  EXPECT_EQ(j.at("skipped_rows").at("futures"), 1);
  EXPECT_EQ(j.at("basis").at("instrument"), "BTC-27JUN25");   // BTC-28MAR25 was the bad row
}

TEST(AnalyzeCommand, UsageErrors) {
  for (auto args : std::vector<std::vector<std::string>>{
         {"--options", chain},                                 // no currency
         {"--currency", "DOGE", "--options", chain},           // unknown currency
         {"--currency", "BTC"},                                // no file
         {"--currency", "BTC", "--options"},                   // missing value
         {"--currency", "BTC", "--frobnicate", "1"},           // unknown option
         {"--currency", "BTC", "--options", chain, "--now", "yesterday"}}) {
    auto r = run_process(cmd(args));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(lines(r.err), 1) << r.err;
  }
}

TEST(AnalyzeCommand, HelpAndVersion) {
  auto h = run_process({bin, "analyze", "--help"});
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_NE(h.out.find("--min-dte DAYS"), std::string::npos);
  auto top = run_process({bin, "--help"});
  EXPECT_EQ(top.exit_code, 0);
  EXPECT_NE(top.out.find("analyze"), std::string::npos);
  auto v = run_process({bin, "--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.out.rfind("derivcache ", 0), 0u);
}

namespace {

const boost::json::object& tenor_of(const boost::json::object& j, double tenor_days) {
  for (const auto& t : j.at("surface").as_array())
    if (t.at("tenor_days").to_number<double>() == tenor_days)
      return t.as_object();
  throw std::runtime_error("no surface tenor " + std::to_string(tenor_days));
}

const boost::json::object& delta_of(const boost::json::object& tenor, double delta) {
  for (const auto& d : tenor.at("deltas").as_array())
    if (d.at("delta").to_number<double>() == delta)
      return d.as_object();
  throw std::runtime_error("no delta " + std::to_string(delta));
}

} // namespace

TEST(AnalyzeCommand, SurfaceBasisAtConstantMaturitiesAndMfivOnTheRealData) {
  auto j = run_json({"--currency", "BTC", "--options", chain, "--futures", futures});
  ASSERT_EQ(j.at("surface").as_array().size(), 5u);   // 7, 30, 60, 90, 180 days
  const auto& t30 = tenor_of(j, 30);
  EXPECT_EQ(t30.at("atm_bracketed"), true);
  EXPECT_EQ(t30.at("atm_expiries"), (boost::json::array{"BTC-3APR26", "BTC-24APR26"}));
  EXPECT_TRUE(t30.at("atm_reason").is_null());
  const auto& d25 = delta_of(t30, 0.25);
  EXPECT_NEAR(d25.at("skew").as_double(), 6.3218, 5e-5);
  EXPECT_NEAR(d25.at("skew_normalized").as_double(), 0.1232, 5e-5);
  EXPECT_NEAR(d25.at("butterfly").as_double(), 1.1772, 5e-5);
  EXPECT_NEAR(d25.at("atm_iv").as_double(), 51.3286, 5e-5);
  EXPECT_DOUBLE_EQ(d25.at("skew").as_double(), j.at("skew").at("value_pct").as_double());   // the headline
  const auto& d10 = delta_of(t30, 0.10);
  EXPECT_NEAR(d10.at("put_iv").as_double(), 63.3490, 5e-5);
  EXPECT_NEAR(d10.at("call_iv").as_double(), 49.7053, 5e-5);
  EXPECT_NEAR(d10.at("skew").as_double(), 13.6437, 5e-5);
  EXPECT_EQ(d10.at("expiries"), (boost::json::array{"BTC-27MAR26", "BTC-24APR26"}));
  EXPECT_EQ(d10.at("as_of_ms"), 1773428415542);
  EXPECT_NEAR(tenor_of(j, 7).at("atm_iv").as_double(), 53.1526, 5e-5);
  EXPECT_NEAR(tenor_of(j, 90).at("atm_iv").as_double(), 50.6429, 5e-5);
  EXPECT_NEAR(delta_of(tenor_of(j, 180), 0.25).at("skew").as_double(), 4.6632, 5e-5);

  const auto& cm = j.at("basis_cm").as_array();
  ASSERT_EQ(cm.size(), 2u);
  EXPECT_EQ(cm[0].at("tenor_days"), 30);
  EXPECT_NEAR(cm[0].at("apr_pct").as_double(), 13.6343, 5e-5);
  EXPECT_EQ(cm[0].at("bracketed"), true);
  EXPECT_EQ(cm[0].at("instruments"), (boost::json::array{"BTC-31JAN25", "BTC-28FEB25"}));
  EXPECT_NEAR(cm[1].at("apr_pct").as_double(), 12.5524, 5e-5);
  EXPECT_EQ(cm[1].at("as_of_ms"), 1736124757223);

  const auto& mfiv = j.at("mfiv").as_object();
  EXPECT_NEAR(mfiv.at("value_pct").as_double(), 54.9440, 5e-5);
  EXPECT_EQ(mfiv.at("tenor_days"), 30);
  EXPECT_EQ(mfiv.at("bracketed"), true);
  EXPECT_EQ(mfiv.at("expiries"), (boost::json::array{"BTC-3APR26", "BTC-24APR26"}));
  EXPECT_TRUE(mfiv.at("reason").is_null());
  bool near_seen = false;
  for (const auto& e : mfiv.at("per_expiry").as_array())
    if (e.at("expiry") == "BTC-3APR26") {
      near_seen = true;
      EXPECT_EQ(e.at("strikes"), 17);
      EXPECT_EQ(e.at("k0"), 71000);
      EXPECT_NEAR(e.at("iv_pct").as_double(), 53.4702, 5e-5);
      EXPECT_TRUE(e.at("gap").is_null());
    }
  EXPECT_TRUE(near_seen);
}

TEST(AnalyzeCommand, TenorsDeltasBasisTenorsAndMfivTenorOverrideTheDefaults) {
  auto j = run_json({"--currency", "BTC", "--options", chain, "--futures", futures, "--tenors", "7,90", "--deltas",
                     "[0.25]", "--basis-tenors=60", "--mfiv-tenor", "60"});
  const auto& surface = j.at("surface").as_array();
  ASSERT_EQ(surface.size(), 2u);
  EXPECT_EQ(surface[0].at("tenor_days"), 7);
  EXPECT_EQ(surface[1].at("tenor_days"), 90);
  EXPECT_EQ(surface[0].at("deltas").as_array().size(), 1u);
  EXPECT_NEAR(delta_of(surface[0].as_object(), 0.25).at("skew").as_double(), 6.0393, 5e-5);
  ASSERT_EQ(j.at("basis_cm").as_array().size(), 1u);
  EXPECT_EQ(j.at("basis_cm").at(0).at("tenor_days"), 60);
  EXPECT_EQ(j.at("mfiv").at("tenor_days"), 60);
  EXPECT_EQ(j.at("mfiv").at("expiries"), (boost::json::array{"BTC-24APR26", "BTC-29MAY26"}));
  EXPECT_NEAR(j.at("skew").at("value_pct").as_double(), 6.3218, 5e-5);   // the headline stays (30 d, 0.25)
}

TEST(AnalyzeCommand, SignalsWithoutTheirInputAreNullWithAReason) {
  auto j = run_json({"--currency", "BTC", "--options", chain});
  EXPECT_TRUE(j.at("basis_cm").is_null());
  EXPECT_EQ(j.at("basis_cm_reason"), "no futures file given");
  auto k = run_json({"--currency", "BTC", "--futures", futures});
  EXPECT_TRUE(k.at("surface").is_null());
  EXPECT_EQ(k.at("surface_reason"), "no options file given");
  EXPECT_TRUE(k.at("mfiv").is_null());
  EXPECT_EQ(k.at("mfiv_reason"), "no options file given");
}

TEST(AnalyzeCommand, RowsWithoutMarkIvGiveEverySurfaceRecordNullWithItsReason) {
  auto j = run_json({"--currency", "BTC", "--options", data + "/deribit_book_summary_option_btc_2022-06-04.json"});
  for (const auto& t : j.at("surface").as_array()) {
    EXPECT_TRUE(t.at("atm_iv").is_null());
    EXPECT_EQ(t.at("atm_reason"), "no option row has a positive mark_iv and underlying_price");
    for (const auto& d : t.at("deltas").as_array()) {
      EXPECT_TRUE(d.at("skew").is_null());
      EXPECT_TRUE(d.at("put_iv").is_null());
      EXPECT_EQ(d.at("reason"), "no option row has a positive mark_iv and underlying_price");
    }
  }
  // The recording has mark prices, but no expiry with strikes on both sides of its forward.
  EXPECT_TRUE(j.at("mfiv").at("value_pct").is_null());
  EXPECT_EQ(j.at("mfiv").at("reason"), "no expiry has strikes on both sides of K0 and a positive variance");
}

TEST(AnalyzeCommand, BadSignalOptionsAreNamed) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
    {{"--tenors", "7,x"}, "--tenors: expected a list of numbers such as 7,30,90, got '7,x'"},
    {{"--tenors", "30,30"}, "--tenors: '30' is listed twice"},
    {{"--deltas", "0.5"}, "--deltas: '0.5' is not in (0, 0.5)"},
    {{"--basis-tenors", "-30"}, "--basis-tenors: '-30' is not a positive number of days"},
    {{"--mfiv-tenor", "0"}, "--mfiv-tenor '0' is not a positive number of days"},
  };
  for (const auto& [extra, message] : cases) {
    auto args = std::vector<std::string>{"--currency", "BTC", "--options", chain};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = run_process(cmd(args));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, "derivcache analyze: " + message + "\n");
  }
}
