// Periodic snapshots: the feature collector appends one JSON line per symbol each interval to its sink.
#include "actor_fixture.hpp"

#include "actors/feature_collector.hpp"
#include "runtime/snapshot_sink.hpp"
#include "support/temp_file.hpp"

#include <boost/json.hpp>


namespace derivcache::test {
namespace {

using namespace std::chrono_literals;

struct PeriodicSnapshots : DeterministicCaf {};

TEST_F(PeriodicSnapshots, CollectorAppendsOneLinePerSymbolEachInterval) {
  temp_file f{".jsonl"};
  std::string error;
  std::shared_ptr<runtime::snapshot_sink> sink = runtime::snapshot_sink::open(f.path, error);
  ASSERT_TRUE(sink) << error;
  actors::feature_collector_deps deps;
  deps.symbols = {"BTCUSDT", "ETHUSDT"};
  deps.snapshot_interval = 10s;
  deps.sink = sink;
  auto collector = track(actors::make_feature_collector(sys, deps));
  sched.run();
  EXPECT_EQ(read_file(f.path), "");
  sched.advance_time(10s);
  sched.run();
  sched.advance_time(10s);
  sched.run();
  const auto lines = split_lines(read_file(f.path));
  ASSERT_EQ(lines.size(), 4u);
  for (const auto& line : lines) {
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    ASSERT_FALSE(ec) << line;
    EXPECT_EQ(v.as_object().at("inputs").as_object().at("trade").as_object().at("state").as_string(), "UNKNOWN");
  }
  EXPECT_EQ(boost::json::parse(lines[0]).as_object().at("symbol").as_string(), "BTCUSDT");
  EXPECT_EQ(boost::json::parse(lines[1]).as_object().at("symbol").as_string(), "ETHUSDT");
}

} // namespace
} // namespace derivcache::test
