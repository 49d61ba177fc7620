// `derivcache export` as a user runs it: the real binary over a store written by the store library.
#include "apps/export.hpp"
#include "store/store.hpp"
#include "support/process.hpp"
#include "support/temp_file.hpp"

#include <boost/json.hpp>
#include <fstream>
#include <sstream>
#include <unistd.h>
#include <gtest/gtest.h>

using derivcache::test::run_process;
using derivcache::test::temp_db;

namespace {

const std::string bin = std::string{DERIVCACHE_BINARY_DIR} + "/apps/derivcache";

constexpr int64_t t0 = 1'764'000'000'000;   // 2025-11-24T16:00:00Z

derivcache::store::record_input event(const std::string& id, int64_t time_ms) {
  derivcache::store::record_input r;
  r.kind = "detector";
  r.id = id;
  r.symbol = "BTCUSDT";
  r.attributes = R"({"side":"long","rule":"breakout"})";
  r.snapshot = R"({"symbol":"BTCUSDT","last_price":100})";
  r.time_ms = time_ms;
  r.last_price = 100.0;
  r.recorded_ms = time_ms;
  return r;
}

// Three events a minute apart; the first one's 5-second horizon labelled from bars, the rest pending.
void fill(const std::string& path) {
  derivcache::store::store_options o;
  o.path = path;
  o.horizons_s = {5, 60};
  derivcache::store::feature_store s{o};
  std::vector<derivcache::quant::second_bar> bars;
  for (int64_t i = 1; i <= 5; ++i)
    bars.push_back({t0 / 1000 + i, 100, 101, 99, 100.0 + static_cast<double>(i), 1, 1});
  s.write({event("a", t0), event("b", t0 + 60'000), event("c", t0 + 120'000)}, {{"BTCUSDT", bars}});
  s.reap(t0 + 10'000);
}

std::vector<boost::json::object> lines_of(const std::string& out) {
  std::vector<boost::json::object> rows;
  std::istringstream in{out};
  for (std::string line; std::getline(in, line);)
    rows.push_back(boost::json::parse(line).as_object());
  return rows;
}

TEST(ExportCommand, PrintsSnapshotsInRangeWithTheirOutcomes) {
  temp_db db;
  fill(db.path);
  auto r = run_process({bin, "export", "--since", "2025-11-24T16:00:00Z", "--until=2025-11-24T16:02:00Z", "--store",
                        db.path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rows = lines_of(r.out);
  ASSERT_EQ(rows.size(), 2u);   // c is at the exclusive end
  EXPECT_EQ(rows[0].at("event_id").as_string(), "a");
  EXPECT_EQ(rows[1].at("event_id").as_string(), "b");
  EXPECT_EQ(rows[0].at("time").as_string(), "2025-11-24T16:00:00.000Z");
  EXPECT_EQ(rows[0].at("side").as_string(), "long");
  EXPECT_EQ(rows[0].at("attributes").at("rule").as_string(), "breakout");
  EXPECT_EQ(rows[0].at("snapshot").at("last_price").to_number<double>(), 100.0);
  const auto& outcomes = rows[0].at("outcomes").as_array();
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].at("horizon_s").as_int64(), 5);
  EXPECT_EQ(outcomes[0].at("status").as_string(), "labelled");
  EXPECT_EQ(outcomes[0].at("price").to_number<double>(), 105.0);
  EXPECT_NEAR(outcomes[0].at("return_pct").to_number<double>(), 5.0, 1e-9);
  EXPECT_EQ(outcomes[1].at("status").as_string(), "pending");
  EXPECT_TRUE(outcomes[1].at("price").is_null());
}

TEST(ExportCommand, ReadsTheStorePathFromTheConfigFile) {
  temp_db db;
  fill(db.path);
  const auto ini = std::string{::testing::TempDir()} + std::to_string(getpid()) + "-export.ini";
  std::ofstream{ini} << "[store]\npath=\"" << db.path << "\"\n";
  auto r = run_process({bin, "export", "--since", "2025-11-24", "--until", "2025-11-25", "--config-file", ini});
  std::remove(ini.c_str());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines_of(r.out).size(), 3u);
}

TEST(ExportCommand, BadOptionsAndMissingStoresAreNamed) {
  auto r = run_process({bin, "export", "--since", "yesterday", "--until", "2025-11-25", "--store", "x.db"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--since: 'yesterday' is not an ISO 8601 UTC time"), std::string::npos) << r.err;
  r = run_process({bin, "export", "--since", "2025-11-24", "--until", "2025-11-25"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--store PATH or --config-file FILE is required"), std::string::npos) << r.err;
  r = run_process({bin, "export", "--since", "2025-11-24", "--until", "2025-11-25", "--store", "/nonexistent/x.db"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cannot open /nonexistent/x.db"), std::string::npos) << r.err;
}

TEST(ExportCommand, ParsesIso8601Utc) {
  using derivcache::apps::parse_iso8601_utc;
  EXPECT_EQ(parse_iso8601_utc("1970-01-01"), 0);
  EXPECT_EQ(parse_iso8601_utc("2025-11-24T16:00:00Z"), t0);
  EXPECT_EQ(parse_iso8601_utc("2025-11-24T16:00"), t0);
  EXPECT_EQ(parse_iso8601_utc("2025-11-24T16:00:01.5Z"), t0 + 1500);
  EXPECT_EQ(parse_iso8601_utc("2024-02-29T00:00:00Z"), 1'709'164'800'000);
  EXPECT_FALSE(parse_iso8601_utc("2025-11-24T16:00:00+01:00"));
  EXPECT_FALSE(parse_iso8601_utc("2025-13-01"));
  EXPECT_FALSE(parse_iso8601_utc("1764000000"));
}

} // namespace
