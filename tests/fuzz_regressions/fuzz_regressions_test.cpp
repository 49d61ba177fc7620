// Every input a fuzzer found (tests/fuzz_regressions/<target>/) replayed through that fuzzer's entry
// points, plus the behaviour each fix restored. Add a crash by dropping its file in the target's folder.
#include "configuration/keys.hpp"
#include "codec/binance.hpp"
#include "codec/deribit.hpp"

#include <caf/actor_system_config.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

using namespace derivcache;
using namespace std::chrono_literals;

namespace {

std::vector<std::filesystem::path> inputs(const std::string& target) {
  std::vector<std::filesystem::path> out;
  if (!std::filesystem::exists(std::string{DERIVCACHE_FUZZ_REGRESSIONS_DIR} + "/" + target))
    return out;
  for (const auto& entry : std::filesystem::directory_iterator{std::string{DERIVCACHE_FUZZ_REGRESSIONS_DIR} + "/" + target})
    out.push_back(entry.path());
  return out;
}

std::string contents(const std::filesystem::path& path) {
  std::ifstream in{path, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

/// What config_fuzz does with one input: CAF's INI parser, then derivcache's validator.
configuration::engine_config load(const std::string& ini, std::vector<std::string>& problems) {
  std::istringstream in{ini};
  auto parsed = caf::actor_system_config::parse_config(in);
  if (!parsed) {
    problems.push_back("parse error: " + caf::to_string(parsed.error()));
    return {};
  }
  std::vector<configuration::problem> found = configuration::check_settings(*parsed);
  auto cfg = configuration::from_settings(*parsed, *parsed, found);
  for (const auto& p : found)
    problems.push_back(configuration::to_string(p));
  return cfg;
}

} // namespace

TEST(FuzzRegressions, DeribitCodecInputsDecodeWithoutCrashing) {
  for (const auto& path : inputs("deribit_codec_fuzz")) {
    SCOPED_TRACE(path.string());
    const auto body = contents(path);
    codec::decode_option_summaries(body);
    codec::decode_future_summaries(body);
    codec::decode_instruments(body);
    codec::decode_index_price(body);
    codec::decode_rpc_error(body);
  }
}

TEST(FuzzRegressions, BinanceCodecInputsDecodeWithoutCrashing) {
  for (const auto& path : inputs("binance_codec_fuzz")) {
    SCOPED_TRACE(path.string());
    codec::decode_binance_frame(contents(path));
  }
}

TEST(FuzzRegressions, ConfigInputsValidateWithoutCrashing) {
  for (const auto& path : inputs("config_fuzz")) {
    SCOPED_TRACE(path.string());
    std::vector<std::string> problems;
    load(contents(path), problems);
  }
}

// config_fuzz: cache.max-age defaults to 3 x deribit.interval, which overflowed the nanosecond count
// (UBSan: signed integer overflow in chrono.h) and, unsanitized, wrapped to a negative max age.
TEST(FuzzRegressions, HugeIntervalGivesAPositiveCacheMaxAge) {
  std::vector<std::string> problems;
  auto cfg = load(contents(std::string{DERIVCACHE_FUZZ_REGRESSIONS_DIR} + "/config_fuzz/interval_times_three_overflows.ini"),
                  problems);
  EXPECT_EQ(problems, std::vector<std::string>{});
  EXPECT_EQ(cfg.deribit.interval, caf::timespan{4'000'000'000s});
  EXPECT_GE(configuration::cache_max_age(cfg), cfg.deribit.interval);
}

// config_fuzz: deribit.timeout is kept in milliseconds; 500us passed the "positive" check and truncated
// to a 0 ms deadline, so every request would time out at once. Now refused with the key's name.
TEST(FuzzRegressions, TimeoutBelowOneMillisecondIsRefused) {
  std::vector<std::string> problems;
  load(contents(std::string{DERIVCACHE_FUZZ_REGRESSIONS_DIR} + "/config_fuzz/timeout_below_one_ms.ini"), problems);
  EXPECT_EQ(problems, std::vector<std::string>{"deribit.timeout: must be at least 1ms, got 500us"});
}
