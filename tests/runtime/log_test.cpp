// The line logger: format, tag, level filter.
#include "runtime/log.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

using namespace derivcache::runtime;

TEST(Logger, FormatsUtcTimeLevelAndTag) {
  std::vector<std::string> lines;
  logger log{log_level::info, "SIMULATED", [&](const std::string& l) { lines.push_back(l); }};
  log.info("hello");
  log.debug("dropped");
  log.error("boom");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(std::regex_match(lines[0], std::regex{R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO \[SIMULATED\] hello)"}))
    << lines[0];
  EXPECT_NE(lines[1].find("Z ERROR [SIMULATED] boom"), std::string::npos) << lines[1];
}

TEST(Logger, NoTagNoBrackets) {
  std::vector<std::string> lines;
  logger log{log_level::warn, "", [&](const std::string& l) { lines.push_back(l); }};
  log.info("dropped");
  log.warn("careful");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(std::regex_match(lines[0], std::regex{R"(\S+Z WARN careful)"})) << lines[0];
}

TEST(Logger, FormatsMilliseconds) {
  using namespace std::chrono;
  // 2026-11-24T09:10:00.123Z
  system_clock::time_point t{milliseconds{1795511400123}};
  EXPECT_EQ(format_utc(t), "2026-11-24T09:10:00.123Z");
  EXPECT_EQ(parse_log_level("WARNING"), log_level::warn);
  EXPECT_FALSE(parse_log_level("loud"));
}
