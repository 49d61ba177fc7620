// `derivcache-inspect` arguments: usage, help and every usage error with its message and exit code.
// Talking to a live engine is tested on the real binary in tests/e2e/introspection_test.cpp.
#include "apps/inspect.hpp"
#include "messages/interfaces.hpp"
#include "support/signals.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <sstream>

using derivcache::apps::run_inspect;

namespace {

struct outcome {
  int code;
  std::string out;
  std::string err;
};

outcome inspect(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int code = run_inspect(args, out, err);
  return {code, out.str(), err.str()};
}

void expect_usage_error(const std::vector<std::string>& args, const std::string& message) {
  auto r = inspect(args);
  EXPECT_EQ(r.code, derivcache::apps::inspect_usage_error) << message;
  EXPECT_EQ(r.err, "derivcache-inspect: " + message + "\n");
  EXPECT_EQ(r.out, "");
}

} // namespace

TEST(InspectCommand, HelpPrintsTheUsageWherever) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"--help"}, {"127.0.0.1", "--help", "bogus"}}) {
    auto r = inspect(args);
    EXPECT_EQ(r.code, 0);
    EXPECT_EQ(r.out, derivcache::apps::inspect_help);
    EXPECT_EQ(r.err, "");
  }
  EXPECT_NE(std::string{derivcache::apps::inspect_help}.find("Exit codes: 0 ok, 1 cannot connect"), std::string::npos);
}

TEST(InspectCommand, HostAndPortAreRequired) {
  expect_usage_error({}, "expected HOST PORT [command] (see --help)");
  expect_usage_error({"127.0.0.1"}, "expected HOST PORT [command] (see --help)");
  expect_usage_error({"127.0.0.1", "4242", "status", "extra"}, "expected HOST PORT [command] (see --help)");
}

TEST(InspectCommand, PortMustBeAPortNumber) {
  for (const std::string port : {"x", "42x", "0", "-1", "65536"})
    expect_usage_error({"127.0.0.1", port}, "PORT '" + port + "' is not a port number");
}

TEST(InspectCommand, UnknownCommandListsTheKnownOnes) {
  expect_usage_error({"127.0.0.1", "4242", "bogus"},
                     "unknown command 'bogus' (status, cache, actors, feed, store, watch, refresh, record)");
  // Options may come first; a valued option takes the next argument.
  expect_usage_error({"--json", "--timeout", "3", "127.0.0.1", "4242", "Status"},
                     "unknown command 'Status' (status, cache, actors, feed, store, watch, refresh, record)");
}

TEST(InspectCommand, BadOptionsAreNamed) {
  expect_usage_error({"127.0.0.1", "4242", "--bogus", "1"}, "unknown option '--bogus' (see --help)");
  expect_usage_error({"127.0.0.1", "4242", "--json=yes"}, "--json takes no value (see --help)");
  expect_usage_error({"127.0.0.1", "4242", "--timeout"}, "--timeout needs a value (see --help)");
}

TEST(InspectCommand, RecordNeedsKindIdAndSymbol) {
  expect_usage_error({"127.0.0.1", "4242", "record"}, "record needs --kind, --id and --symbol");
  expect_usage_error({"127.0.0.1", "4242", "record", "--kind", "order", "--id=o-1"},
                     "record needs --kind, --id and --symbol");
}

TEST(InspectCommand, TlsFilesGoTogether) {
  const std::string message = "--tls-cert, --tls-key and --tls-ca go together (all three or none)";
  expect_usage_error({"127.0.0.1", "4242", "--tls-cert", "node.pem"}, message);
  expect_usage_error({"127.0.0.1", "4242", "--tls-cert", "node.pem", "--tls-key=node.key"}, message);
}

namespace {

using namespace std::chrono_literals;

// BTC as the cache holds it after one cycle of the real data, with the 180-day 10-delta skew kept from an earlier
// cycle and the 7-day 10-delta one without a value.
derivcache::messages::cache_contents btc_cache() {
  namespace m = derivcache::messages;
  const caf::timestamp received{std::chrono::milliseconds{derivcache::test::real_chain_as_of_ms + 700}};
  m::derivatives_view v;
  v.currency = "BTC";
  m::skew_reading skew;
  skew.currency = "BTC";
  skew.skew_pct = 6.3218;
  skew.state = derivcache::quant::skew_state::fear;
  skew.received = received;
  skew.surface = derivcache::test::real_surface_records(received);
  skew.mfiv = derivcache::test::real_mfiv_record(received);
  for (auto& t : skew.surface)
    for (auto& p : t.deltas) {
      if (t.tenor_days == 180 && p.delta == 0.10)
        p.reason = "no expiry has both wings at the delta and an ATM IV";
      if (t.tenor_days == 7 && p.delta == 0.10) {
        p.skew_pct = caf::none;
        p.reason = "no expiry has both wings at the delta and an ATM IV";
      }
    }
  v.skew = skew;
  v.skew_state = v.skew_last_state = derivcache::quant::skew_state::fear;
  m::basis_reading basis;
  basis.currency = "BTC";
  basis.apr_pct = 12.527;
  basis.state = derivcache::quant::basis_state::contango;
  basis.constant_maturity = derivcache::test::real_basis_cm_records(received);
  v.basis = basis;
  v.basis_state = v.basis_last_state = derivcache::quant::basis_state::contango;
  v.mfiv_age = 2500ms;
  v.dvol.close = 53.10;
  v.dvol.time = caf::timestamp{std::chrono::milliseconds{derivcache::test::real_chain_as_of_ms - 15542}};
  v.dvol.candles = 11;
  v.dvol.mfiv_minus_dvol = *skew.mfiv.value_pct - 53.10;
  v.dvol_age = 4s;
  return m::cache_contents{{v}};
}

} // namespace

TEST(InspectCache, ATableOfTheSurfaceWithTenorsAsRowsAndTheBasisMfivAndDvolBelow) {
  std::ostringstream out;
  derivcache::apps::print_cache(btc_cache(), false, out);
  const auto text = out.str();
  std::vector<std::string> rows;
  std::istringstream lines{text};
  for (std::string line; std::getline(lines, line);)
    rows.push_back(line);
  ASSERT_EQ(rows.size(), 11u) << text;   // summary, header, 5 tenors, basis, MFIV, DVOL, legend
  EXPECT_EQ(rows[0].rfind("BTC   basis 12.53", 0), 0u) << rows[0];
  EXPECT_EQ(rows[1], "       tenor      ATM   skew 0.1  skew 0.25");
  EXPECT_EQ(rows[2], "          7d    53.15        n/a       6.04");
  EXPECT_EQ(rows[3].substr(0, 43), "         30d    51.33      13.64       6.32");
  EXPECT_NE(rows[6].find("180d"), std::string::npos);
  EXPECT_NE(rows[6].find("*"), std::string::npos) << "a kept value is marked: " << rows[6];
  EXPECT_EQ(rows[7], "      basis %/yr  30d 13.63  90d 12.55");
  EXPECT_EQ(rows[8], "      MFIV 30d 54.94  age 2.5s");
  EXPECT_EQ(rows[9], "      DVOL 53.10  MFIV-DVOL 1.84  age 4s");
  EXPECT_NE(rows[10].find("* = the last good value"), std::string::npos);
}

TEST(InspectCache, JsonCarriesTheSurfaceTheBasisAtConstantMaturitiesTheMfivAndDvol) {
  std::ostringstream out;
  derivcache::apps::print_cache(btc_cache(), true, out);
  auto btc = boost::json::parse(out.str()).as_array().at(0).as_object();
  const auto& surface = btc.at("surface").as_array();
  ASSERT_EQ(surface.size(), 5u);
  EXPECT_NEAR(surface[1].at("deltas").at(1).at("skew").as_double(), 6.3218, 5e-5);
  EXPECT_EQ(surface[0].at("deltas").at(0).at("skew"), nullptr);
  EXPECT_EQ(surface[0].at("deltas").at(0).at("reason"), "no expiry has both wings at the delta and an ATM IV");
  EXPECT_NEAR(btc.at("basis_cm").at(0).at("apr_pct").as_double(), 13.6343, 5e-5);
  EXPECT_NEAR(btc.at("mfiv").at("value_pct").as_double(), 54.9440, 5e-5);
  EXPECT_DOUBLE_EQ(btc.at("mfiv_age_s").as_double(), 2.5);
  EXPECT_DOUBLE_EQ(btc.at("dvol").at("close").as_double(), 53.10);
  EXPECT_EQ(btc.at("dvol").at("time_ms").as_int64(), derivcache::test::real_chain_as_of_ms - 15542);
  EXPECT_EQ(btc.at("dvol").at("candles").as_int64(), 11);
  EXPECT_NEAR(btc.at("dvol").at("mfiv_minus_dvol").as_double(), 54.9440 - 53.10, 5e-5);
  EXPECT_EQ(btc.at("dvol").at("reason"), nullptr);
  EXPECT_DOUBLE_EQ(btc.at("dvol_age_s").to_number<double>(), 4);
}

TEST(InspectCommand, CurrencyGoesWithCache) {
  expect_usage_error({"127.0.0.1", "4242", "status", "--currency", "BTC"}, "--currency goes with cache");
}
