// The JSONL snapshot sink: whole lines only after a crash mid-write, one JSON object per line.
#include "runtime/snapshot_sink.hpp"
#include "support/read_file.hpp"
#include "support/signals.hpp"
#include "support/temp_file.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <vector>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

namespace derivcache::test {
namespace {

using namespace std::chrono_literals;

struct temp_jsonl : temp_file {
  temp_jsonl() : temp_file(".jsonl") {}
};

messages::feature_snapshot sample_snapshot() {
  messages::feature_snapshot s;
  s.time = caf::timestamp{std::chrono::milliseconds{1700000062600}};
  s.symbol = "BTCUSDT";
  s.currency = "BTC";
  s.last_price = 99.88;
  s.best_bid = 99.87;
  s.best_ask = 99.89;
  s.mid = 99.88;
  s.spread_bps = 2.0024028834601524;
  s.window_1m.window_seconds = 60;
  s.window_1m.taker_buy_volume = 0.834;
  s.window_1m.trade_count = 11;
  s.window_1m.vwap = 100.00538548752834;
  s.window_1m.realized_vol_pct = std::nan("");   // not JSON: written as null
  s.futures_basis_apr = 12.5;
  s.basis_state = quant::basis_state::stale;
  s.basis_last_state = quant::basis_state::contango;
  s.trade.state = messages::input_state::fresh;
  s.trade.age = 1500ms;
  s.trade.lag = 98ms;
  return s;
}

TEST(SnapshotSink, TornLastLineFromAKillIsCutOffAtOpen) {
  temp_jsonl f;
  {
    std::ofstream out{f.path, std::ios::binary};
    out << R"({"symbol":"BTCUSDT","n":1})" << '\n' << R"({"symbol":"BTCUSDT","n":2})" << '\n'
        << R"({"symbol":"BTCUSDT","n":3,"last_pr)";   // the process died mid-write
  }
  std::string error;
  auto sink = runtime::snapshot_sink::open(f.path, error);
  ASSERT_TRUE(sink) << error;
  EXPECT_EQ(sink->repaired_bytes(), std::string{R"({"symbol":"BTCUSDT","n":3,"last_pr)"}.size());
  ASSERT_TRUE(sink->append(sample_snapshot(), error)) << error;
  ASSERT_TRUE(sink->append(sample_snapshot(), error)) << error;
  sink.reset();

  const auto text = read_file(f.path);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  const auto lines = split_lines(text);
  ASSERT_EQ(lines.size(), 4u);
  for (const auto& line : lines) {
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    ASSERT_FALSE(ec) << line;
    EXPECT_EQ(v.as_object().at("symbol").as_string(), "BTCUSDT");
  }
}

TEST(SnapshotSink, TornOnlyLineLeavesAnEmptyFile) {
  temp_jsonl f;
  { std::ofstream{f.path, std::ios::binary} << R"({"symbol":"BTC)"; }
  std::string error;
  auto sink = runtime::snapshot_sink::open(f.path, error);
  ASSERT_TRUE(sink) << error;
  sink.reset();
  EXPECT_EQ(read_file(f.path), "");
}

TEST(SnapshotSink, CleanFileIsLeftAlone) {
  temp_jsonl f;
  { std::ofstream{f.path, std::ios::binary} << "{\"a\":1}\n"; }
  std::string error;
  auto sink = runtime::snapshot_sink::open(f.path, error);
  ASSERT_TRUE(sink) << error;
  EXPECT_EQ(sink->repaired_bytes(), 0u);
  sink.reset();
  EXPECT_EQ(read_file(f.path), "{\"a\":1}\n");
}

TEST(SnapshotSink, UnwritablePathIsAnErrorNamingIt) {
  std::string error;
  EXPECT_FALSE(runtime::snapshot_sink::open("/nonexistent-dir/x.jsonl", error));
  EXPECT_NE(error.find("/nonexistent-dir/x.jsonl"), std::string::npos) << error;
}

TEST(SnapshotSink, SnapshotIsOneJsonLineWithUnits) {
  const auto line = runtime::snapshot_json(sample_snapshot());
  EXPECT_EQ(line.find('\n'), std::string::npos);
  boost::system::error_code ec;
  auto v = boost::json::parse(line, ec);
  ASSERT_FALSE(ec) << line;
  const auto& o = v.as_object();
  EXPECT_EQ(o.at("time").as_string(), "2023-11-14T22:14:22.600Z");
  EXPECT_EQ(o.at("time_ms").as_int64(), 1700000062600);
  EXPECT_EQ(o.at("currency").as_string(), "BTC");
  EXPECT_DOUBLE_EQ(o.at("last_price").as_double(), 99.88);
  EXPECT_TRUE(o.at("best_bid_qty").is_null());
  EXPECT_DOUBLE_EQ(o.at("spread_bps").as_double(), 2.0024028834601524);   // shortest round trip
  const auto& w = o.at("window_1m").as_object();
  EXPECT_EQ(w.at("window_s").as_int64(), 60);
  EXPECT_EQ(w.at("trade_count").as_int64(), 11);
  EXPECT_DOUBLE_EQ(w.at("vwap").as_double(), 100.00538548752834);
  EXPECT_TRUE(w.at("realized_vol_pct").is_null());   // NaN
  EXPECT_TRUE(w.at("taker_imbalance").is_null());    // none
  EXPECT_EQ(o.at("basis_state").as_string(), "STALE");
  EXPECT_EQ(o.at("basis_last_state").as_string(), "CONTANGO");
  const auto& trade = o.at("inputs").as_object().at("trade").as_object();
  EXPECT_EQ(trade.at("state").as_string(), "FRESH");
  EXPECT_DOUBLE_EQ(trade.at("age_ms").to_number<double>(), 1500);
  EXPECT_DOUBLE_EQ(trade.at("lag_ms").to_number<double>(), 98);
  const auto& skew = o.at("inputs").as_object().at("skew").as_object();
  EXPECT_EQ(skew.at("state").as_string(), "UNKNOWN");
  EXPECT_TRUE(skew.at("age_ms").is_null());
}

TEST(SnapshotSink, SnapshotCarriesTheSurfaceTheBasisAtConstantMaturitiesTheMfivAndDvol) {
  auto s = sample_snapshot();
  EXPECT_EQ(boost::json::parse(runtime::snapshot_json(s)).at("mfiv"), nullptr);   // no skew reading yet
  s.dvol.reason = "not listed for SOL";
  EXPECT_EQ(boost::json::parse(runtime::snapshot_json(s)).at("dvol"),
            (boost::json::object{{"close", nullptr}, {"time_ms", nullptr}, {"candles", nullptr},
                                 {"mfiv_minus_dvol", nullptr}, {"reason", "not listed for SOL"}}));
  const caf::timestamp received{std::chrono::milliseconds{real_chain_as_of_ms + 700}};
  s.surface = real_surface_records(received);
  s.basis_cm = real_basis_cm_records(received);
  s.mfiv = real_mfiv_record(received);
  s.dvol = real_dvol_record(received);
  auto o = boost::json::parse(runtime::snapshot_json(s)).as_object();
  const auto& surface = o.at("surface").as_array();
  ASSERT_EQ(surface.size(), 5u);
  const auto& t30 = surface[1].as_object();
  EXPECT_EQ(t30.at("tenor_days"), 30);
  EXPECT_EQ(t30.at("atm_as_of_ms"), real_chain_as_of_ms);
  const auto& d25 = t30.at("deltas").at(1).as_object();
  EXPECT_EQ(d25.at("delta").as_double(), 0.25);
  EXPECT_NEAR(d25.at("skew").as_double(), 6.3218, 5e-5);
  EXPECT_NEAR(d25.at("skew_normalized").as_double(), 0.1232, 5e-5);
  EXPECT_NEAR(d25.at("butterfly").as_double(), 1.1772, 5e-5);
  EXPECT_TRUE(d25.at("reason").is_null());
  EXPECT_NEAR(o.at("basis_cm").at(1).at("apr_pct").as_double(), 12.5524, 5e-5);
  const auto& mfiv = o.at("mfiv").as_object();
  EXPECT_NEAR(mfiv.at("value_pct").as_double(), 54.9440, 5e-5);
  EXPECT_EQ(mfiv.count("per_expiry"), 0u) << "the per-expiry strip stays out of snapshot lines";
  const auto& dvol = o.at("dvol").as_object();
  EXPECT_EQ(dvol.at("close"), 35.47);
  EXPECT_EQ(dvol.at("time_ms"), 1789905600000);
  EXPECT_EQ(dvol.at("candles"), 15);
  EXPECT_NEAR(dvol.at("mfiv_minus_dvol").as_double(), 54.9440 - 35.47, 5e-5);
  EXPECT_TRUE(dvol.at("reason").is_null());
}

TEST(SnapshotSink, WriterKilledMidStreamLeavesOnlyWholeLines) {
  // A real kill: a child process appends snapshots as fast as it can and is SIGKILLed while doing so.
  temp_jsonl f;
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(ready[0]);
    std::string error;
    auto sink = runtime::snapshot_sink::open(f.path, error);
    const auto line = runtime::snapshot_json(sample_snapshot());
    for (int n = 1;; ++n) {
      if (!sink || !sink->append(line, error))
        _exit(1);
      if (n == 500 && write(ready[1], "r", 1) != 1)   // a few hundred lines are down: the parent may kill
        _exit(1);
    }
  }
  close(ready[1]);
  // Blocks until the child has written 500 lines (or died: then read() sees EOF), then kills it mid-stream.
  char byte = 0;
  ASSERT_EQ(read(ready[0], &byte, 1), 1) << "the writer died before writing 500 lines";
  close(ready[0]);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  ASSERT_GT(std::filesystem::file_size(f.path), 0u);

  std::string error;
  auto sink = runtime::snapshot_sink::open(f.path, error);   // repairs a torn tail, if any
  ASSERT_TRUE(sink) << error;
  std::ifstream in{f.path};
  std::string content{std::istreambuf_iterator<char>{in}, {}};
  ASSERT_FALSE(content.empty());
  EXPECT_EQ(content.back(), '\n');
  std::istringstream lines{content};
  std::size_t count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    boost::system::error_code ec;
    boost::json::parse(line, ec);
    EXPECT_FALSE(ec) << "line " << count << " is not whole JSON: " << line.substr(0, 80);
  }
  EXPECT_GT(count, 100u);
}

/// A directory of its own, so the rotated files are easy to list.
struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    static int n = 0;
    path = std::filesystem::temp_directory_path() /
           ("derivcache_rot_" + std::to_string(::getpid()) + "_" + std::to_string(++n));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(path))
      out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
};

std::chrono::system_clock::time_point utc_ms(int64_t ms) {
  return std::chrono::system_clock::time_point{std::chrono::milliseconds{ms}};
}

/// Every line of `file` parses as a JSON object carrying "n"; returns them in order. Fails on a torn end.
std::vector<int64_t> numbers_in(const std::string& file) {
  const auto text = read_file(file);
  EXPECT_FALSE(text.empty()) << file;
  EXPECT_EQ(text.back(), '\n') << file << " does not end with a whole line";
  std::vector<int64_t> out;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);) {
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    EXPECT_FALSE(ec) << file << ": " << line;
    if (!ec)
      out.push_back(v.as_object().at("n").as_int64());
  }
  return out;
}

TEST(SnapshotSinkRotation, RotatesBySizeIntoWholeFilesWhoseNamesSortByTime) {
  temp_dir dir;
  const auto path = (dir.path / "snapshots.jsonl").string();
  auto now = std::make_shared<int64_t>(1'764'288'000'000);   // 2025-11-28T00:00:00Z
  runtime::snapshot_sink_options o;
  o.max_file_size = 100;
  o.fsync = runtime::fsync_policy::rotate;
  o.clock = [now] { return utc_ms(*now); };
  std::string error;
  auto sink = runtime::snapshot_sink::open(path, error, o);
  ASSERT_TRUE(sink) << error;
  for (int64_t n = 0; n < 12; ++n) {
    *now += 1000;
    ASSERT_TRUE(sink->append(R"({"n":)" + std::to_string(n) + R"(,"pad":"0123456789012345678901"})", error)) << error;
  }
  EXPECT_EQ(sink->rotations(), 5u);   // 39-byte lines: two per 100-byte file
  const auto files = dir.files();
  ASSERT_EQ(files.size(), 6u);
  EXPECT_EQ(files.front(), "snapshots.20251128T000003.000Z.jsonl");
  EXPECT_EQ(files.back(), "snapshots.jsonl");   // the current file sorts after the rotated ones
  std::vector<int64_t> all;
  for (const auto& f : files) {
    const auto full = (dir.path / f).string();
    EXPECT_LE(std::filesystem::file_size(full), 100u) << f;
    for (auto n : numbers_in(full))
      all.push_back(n);
  }
  std::vector<int64_t> expected(12);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(all, expected) << "lines lost, repeated or out of order across the files";
}

TEST(SnapshotSinkRotation, RotatesAtUtcMidnightAndOnOpeningAFileFromAnEarlierDay) {
  temp_dir dir;
  const auto path = (dir.path / "snapshots.jsonl").string();
  auto now = std::make_shared<int64_t>(1'764'374'399'500);   // 2025-11-28T23:59:59.500Z
  runtime::snapshot_sink_options o;
  o.max_file_size = 0;                                        // by day only
  o.fsync = runtime::fsync_policy::every_write;
  o.clock = [now] { return utc_ms(*now); };
  std::string error;
  auto sink = runtime::snapshot_sink::open(path, error, o);
  ASSERT_TRUE(sink) << error;
  ASSERT_TRUE(sink->append(R"({"n":1})", error));
  *now += 400;                                                // 23:59:59.900: the same day
  ASSERT_TRUE(sink->append(R"({"n":2})", error));
  *now += 200;                                                // 00:00:00.100 the next day
  ASSERT_TRUE(sink->append(R"({"n":3})", error));
  EXPECT_EQ(dir.files(), (std::vector<std::string>{"snapshots.20251129T000000.100Z.jsonl", "snapshots.jsonl"}));
  EXPECT_EQ(numbers_in((dir.path / "snapshots.20251129T000000.100Z.jsonl").string()), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(numbers_in(path), std::vector<int64_t>{3});
  sink.reset();

  // Reopened two days later: the file holds lines of an earlier day, so the first line starts a new one.
  *now += 2 * 86'400'000;
  std::filesystem::last_write_time(path, std::filesystem::file_time_type::clock::now() - std::chrono::hours{48});
  o.clock = [now] { return utc_ms(*now); };
  sink = runtime::snapshot_sink::open(path, error, o);
  ASSERT_TRUE(sink) << error;
  ASSERT_TRUE(sink->append(R"({"n":4})", error));
  EXPECT_EQ(dir.files().size(), 3u);
  EXPECT_EQ(numbers_in(path), std::vector<int64_t>{4});
}

TEST(SnapshotSinkRotation, FsyncPolicyNamesRoundTrip) {
  for (auto p : {runtime::fsync_policy::never, runtime::fsync_policy::rotate, runtime::fsync_policy::every_write})
    EXPECT_EQ(runtime::parse_fsync_policy(runtime::to_string(p)), p);
  EXPECT_FALSE(runtime::parse_fsync_policy("always"));
}

} // namespace
} // namespace derivcache::test
