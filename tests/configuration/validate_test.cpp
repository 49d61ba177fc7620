// The configuration model: a host that fills the structs in code gets the checks of the INI path, and the
// command line takes boolean keys as --key, --key=true and --key=false.
#include "configuration/command_line.hpp"
#include "configuration/keys.hpp"

#include <caf/actor_system_config.hpp>
#include <gtest/gtest.h>

using namespace derivcache::configuration;
using namespace std::chrono_literals;

namespace {

engine_config from_file(const std::string& path, std::vector<problem>& problems) {
  auto parsed = caf::actor_system_config::parse_config_file(path.c_str());
  EXPECT_TRUE(parsed) << path;
  return parsed ? from_settings(caf::settings{}, *parsed, problems) : engine_config{};
}

} // namespace

TEST(Validate, DefaultsAreValid) { EXPECT_EQ(validate(engine_config{}), std::vector<problem>{}); }

TEST(Validate, LiveIniReadsAsTheDefaults) {
  std::vector<problem> problems;
  auto cfg = from_file(std::string{DERIVCACHE_SOURCE_DIR} + "/config/live.ini", problems);
  EXPECT_EQ(problems, std::vector<problem>{});
  const engine_config defaults;
  for (const auto& spec : keys())
    EXPECT_EQ(spec.text(cfg), spec.text(defaults)) << spec.key;
}

TEST(Validate, ValuesSetInCodeGetTheMessagesOfTheIniPath) {
  engine_config cfg;
  cfg.deribit.interval = 0s;
  cfg.deribit.currencies = {"BTC", "DOGE"};
  cfg.binance.symbol_currencies = {{"XBTUSDT", "XBT"}};
  cfg.introspection.tls_cert = "/nonexistent/node.pem";
  const std::vector<problem> expected = {
    {"deribit.interval", "must be a positive duration, got 0s"},
    {"deribit.currencies", "unknown currency 'DOGE' (supported: BTC, ETH, SOL)"},
    {"binance.symbol-currencies", "'XBTUSDT=XBT' is not SYMBOL=CURRENCY with a currency of BTC, ETH, SOL"},
    {"introspection.tls-cert", "cannot read '/nonexistent/node.pem'"},
    {"introspection.tls-*", "tls-cert, tls-key and tls-ca go together (all three or none)"},
  };
  EXPECT_EQ(validate(cfg), expected);
  EXPECT_EQ(to_string(validate(cfg).front()), "deribit.interval: must be a positive duration, got 0s");
}

TEST(Validate, CodeOnlyFieldsAreCheckedToo) {
  engine_config cfg;
  cfg.store.reap_interval = 0s;
  cfg.deribit.instruments_requests_per_second = 0;
  EXPECT_EQ(validate(cfg).size(), 2u);
}

TEST(Validate, TimeoutsKeptInMillisecondsMustNotTruncateToZero) {
  engine_config cfg;
  cfg.binance.timeout = 500us;
  EXPECT_EQ(to_string(validate(cfg)), "binance.timeout: must be at least 1ms, got 500us");
}

TEST(Validate, CacheMaxAgeIsThreeIntervalsUnlessSetAndSaturates) {
  engine_config cfg;
  EXPECT_EQ(cache_max_age(cfg), 900s);
  cfg.deribit.interval = 4'000'000'000s;
  EXPECT_EQ(cache_max_age(cfg), caf::timespan::max());
  cfg.cache.max_age = 60s;
  EXPECT_EQ(cache_max_age(cfg), 60s);
}

TEST(CommandLine, BooleanKeysTakeTrueFalseOrTheBareFlag) {
  std::vector<std::string> problems;
  auto cl = prepare_command_line({"--introspection.allow-control=true", "--introspection.allow-record=false",
                                  "--snapshots.record", "--deribit.interval=60s"},
                                 problems);
  EXPECT_EQ(problems, std::vector<std::string>{});
  EXPECT_EQ(cl.args, (std::vector<std::string>{"--introspection.allow-control", "--snapshots.record",
                                               "--deribit.interval=60s"}));
  EXPECT_EQ(cl.flags_off, std::vector<std::string>{"introspection.allow-record"});
  caf::settings content;
  caf::put(content, "introspection.allow-record", true);   // as if the config file said true
  apply_flags_off(cl, content);
  std::vector<problem> read;
  auto cfg = from_settings(content, caf::settings{}, read);
  EXPECT_FALSE(cfg.introspection.allow_record);
}

TEST(CommandLine, ABooleanWithAnotherValueNamesTheArgumentAndItsForms) {
  std::vector<std::string> problems;
  prepare_command_line({"--introspection.allow-control=maybe"}, problems);
  EXPECT_EQ(problems, std::vector<std::string>{"--introspection.allow-control=maybe: expected true or false "
                                               "(--introspection.allow-control or "
                                               "--introspection.allow-control=true|false)"});
}

TEST(CommandLine, AListOfNumbersIsTakenWithOrWithoutBrackets) {
  std::vector<std::string> problems;
  auto cl = prepare_command_line({"--surface.tenors=[7,30,365]", "--basis.tenors=30,60", "--surface.deltas=[0.1]"},
                                 problems);
  EXPECT_EQ(problems, std::vector<std::string>{});
  EXPECT_EQ(cl.args, (std::vector<std::string>{"--surface.tenors=[7.0, 30.0, 365.0]", "--basis.tenors=[30.0, 60.0]",
                                               "--surface.deltas=[0.1]"}));
  prepare_command_line({"--surface.tenors=7,x"}, problems);
  EXPECT_EQ(problems, std::vector<std::string>{"--surface.tenors=7,x: expected a list of numbers "
                                               "(--surface.tenors=[7, 30, 60, 90, 180])"});
}

TEST(Validate, PlaintextRemoteControlOnANonLoopbackHostNeedsTlsOrAnExplicitKey) {
  engine_config cfg;
  cfg.introspection.port = 0;
  cfg.introspection.host = "0.0.0.0";
  EXPECT_EQ(validate(cfg), std::vector<problem>{});   // read-only: allowed
  cfg.introspection.allow_record = true;
  const auto problems = validate(cfg);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].key, "introspection.host");
  EXPECT_NE(problems[0].message.find("'0.0.0.0' is not a loopback address and the link is plain TCP"),
            std::string::npos)
    << problems[0].message;
  cfg.introspection.plaintext_remote_control = true;   // said explicitly
  EXPECT_EQ(validate(cfg), std::vector<problem>{});
  cfg.introspection.plaintext_remote_control = false;
  for (const char* loopback : {"127.0.0.1", "127.3.2.1", "::1"}) {
    cfg.introspection.host = loopback;
    EXPECT_EQ(validate(cfg), std::vector<problem>{}) << loopback;
  }
  cfg.introspection.host = "::";
  EXPECT_EQ(validate(cfg).size(), 1u);
}
