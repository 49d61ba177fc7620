// Every seed (fuzz/corpus/<target>/) and every input a fuzzer found (tests/fuzz_regressions/<target>/) replayed
// through that fuzzer's entry points, plus the behaviour each fix restored. Add a crash by dropping its file in
// tests/fuzz_regressions/<target>/ (created with the first one).
#include "configuration/keys.hpp"
#include "fuzz/codec_promises.hpp"

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

namespace fs = std::filesystem;

/// The files in `dir`, none when it is missing.
std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  if (fs::is_directory(dir))
    for (const auto& entry : fs::directory_iterator{dir})
      if (entry.is_regular_file())
        out.push_back(entry.path());
  return out;
}

/// A fuzz target's seeds, which must be there, and the crashes found so far, if any.
std::vector<fs::path> inputs(const std::string& target) {
  auto out = files_in(fs::path{DERIVCACHE_FUZZ_CORPUS_DIR} / target);
  EXPECT_FALSE(out.empty()) << "no seeds in " << DERIVCACHE_FUZZ_CORPUS_DIR << "/" << target;
  auto found = files_in(fs::path{DERIVCACHE_FUZZ_REGRESSIONS_DIR} / target);
  out.insert(out.end(), found.begin(), found.end());
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
    fuzz::check_deribit_body(contents(path));
  }
}

TEST(FuzzRegressions, BinanceCodecInputsDecodeWithoutCrashing) {
  for (const auto& path : inputs("binance_codec_fuzz")) {
    SCOPED_TRACE(path.string());
    fuzz::check_binance_frame(contents(path));
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
