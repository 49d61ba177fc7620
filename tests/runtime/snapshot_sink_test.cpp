// The JSONL snapshot sink: whole lines only after a crash mid-write, one JSON object per line.
#include "runtime/snapshot_sink.hpp"
#include "support/read_file.hpp"
#include "support/temp_file.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdio>
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

} // namespace
} // namespace derivcache::test
