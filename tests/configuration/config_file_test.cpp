// The config-file check: what CAF would silently ignore, derivcache refuses with the key's name.
#include "configuration/keys.hpp"
#include "support/read_file.hpp"
#include "support/temp_file.hpp"

#include <caf/actor_system_config.hpp>
#include <cstring>
#include <gtest/gtest.h>
#include <sstream>

using namespace derivcache::configuration;

namespace {

std::vector<std::string> check(const std::string& ini) {
  std::istringstream in{ini};
  auto parsed = caf::actor_system_config::parse_config(in);
  EXPECT_TRUE(parsed) << caf::to_string(parsed.error());
  if (!parsed)
    return {"parse error"};
  std::vector<std::string> out;
  for (const auto& p : check_settings(*parsed))
    out.push_back(to_string(p));
  return out;
}

std::string live_ini() { return std::string{DERIVCACHE_SOURCE_DIR} + "/config/live.ini"; }

} // namespace

TEST(ConfigFile, LiveIniIsValid) { EXPECT_EQ(check_config_file(live_ini()), std::vector<std::string>{}); }

// The default text is rendered from a default-constructed engine_config: this proves the structs, the
// help text and config/live.ini agree.
TEST(ConfigFile, LiveIniListsEveryKeyWithItsDefault) {
  auto parsed = caf::actor_system_config::parse_config_file(live_ini().c_str());
  ASSERT_TRUE(parsed);
  const caf::settings& file = *parsed;
  for (const auto& spec : keys()) {
    std::istringstream def{std::string{"[x]\nv="} + default_text(spec) + "\n"};
    auto expected = caf::actor_system_config::parse_config(def);
    ASSERT_TRUE(expected) << spec.key;
    const caf::settings& defaults = *expected;
    const caf::config_value* actual = caf::get_if(&file, caf::string_view{spec.key, std::strlen(spec.key)});
    ASSERT_TRUE(actual) << spec.key << " is missing from config/live.ini";
    EXPECT_EQ(caf::to_string(*actual), caf::to_string(*caf::get_if(&defaults, "x.v"))) << spec.key;
  }
}

TEST(ConfigFile, UnknownKeyIsNamed) {
  EXPECT_EQ(check("[deribit]\nintervall=60s\n"), std::vector<std::string>{"deribit.intervall: unknown key"});
}

TEST(ConfigFile, WrongTypesAreNamedInsteadOfIgnored) {
  EXPECT_EQ(check("[deribit]\ninterval=60\n"),
            std::vector<std::string>{"deribit.interval: expected a duration such as 300s or 5min, got 60"});
  EXPECT_EQ(check("[deribit]\nurl=42\n"), std::vector<std::string>{"deribit.url: expected a quoted string, got 42"});
  EXPECT_EQ(check("[deribit]\ncurrencies=\"BTC\"\n"),
            std::vector<std::string>{"deribit.currencies: expected a list of quoted strings, got \"BTC\""});
  EXPECT_EQ(check("[deribit]\nmax-body=1.5\n"),
            std::vector<std::string>{"deribit.max-body: expected an integer, got 1.500000"});
  EXPECT_EQ(check("[thresholds]\nskew-fear=\"5\"\n"),
            std::vector<std::string>{"thresholds.skew-fear: expected a number, got \"5\""});
  EXPECT_EQ(check("[surface]\ntenors=[\"7\", 30]\n"),
            std::vector<std::string>{"surface.tenors: expected a list of numbers, got [\"7\", 30]"});
  EXPECT_EQ(check("[mfiv]\ntenor=[30]\n"), std::vector<std::string>{"mfiv.tenor: expected a number, got [30]"});
}

TEST(ConfigFile, IntegersAreAcceptedWhereNumbersAreExpected) {
  EXPECT_EQ(check("[deribit]\nmin-dte=7\nmax-requests-per-second=2.5\n"), std::vector<std::string>{});
}

TEST(ConfigFile, CafSectionsAreLeftToCaf) { EXPECT_EQ(check("[scheduler]\nmax-threads=2\n"), std::vector<std::string>{}); }

TEST(ConfigFile, UnquotedStringIsAParseErrorWithItsLine) {
  derivcache::test::temp_file ini{".ini", "[deribit]\nurl=https://www.deribit.com\n"};
  const auto& path = ini.path;
  auto problems = check_config_file(path);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find(path + ": not a valid config file"), std::string::npos) << problems[0];
  EXPECT_NE(problems[0].find("\"line\" = 2"), std::string::npos) << problems[0];
}

TEST(ConfigFile, MissingFileIsNamed) {
  EXPECT_EQ(check_config_file("/nonexistent.ini"), std::vector<std::string>{"/nonexistent.ini: cannot open"});
}

TEST(ConfigFile, EveryKeyIsDocumented) {
  auto doc = derivcache::test::read_file(std::string{DERIVCACHE_SOURCE_DIR} + "/docs/configuration.md");
  for (const auto& spec : keys())
    EXPECT_NE(doc.find(std::string{"| `"} + spec.key + "` |"), std::string::npos) << spec.key;
}
