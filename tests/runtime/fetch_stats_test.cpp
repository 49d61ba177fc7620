// Fetch outcomes come from one table: labels and error codes, counters indexed by it, the snapshot copy.
#include "messages/errors.hpp"
#include "runtime/fetch_stats.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

using namespace derivcache;
using messages::fetch_outcome;

TEST(FetchOutcomes, LabelsAreTheErrorCodeNamesAndUnique) {
  std::set<std::string> labels;
  for (const auto& o : messages::fetch_outcomes) {
    EXPECT_TRUE(labels.insert(o.label).second) << o.label;
    EXPECT_EQ(messages::to_string(o.outcome), o.label);
    if (o.outcome != fetch_outcome::ok) {
      EXPECT_EQ(messages::to_string(o.code), o.label);
    }
  }
  EXPECT_EQ(labels.size(), messages::fetch_outcome_count);
  EXPECT_EQ(messages::to_string(messages::errc::forbidden), "forbidden");
}

TEST(FetchOutcomes, OnlyUpstreamTroubleStopsTheFetcher) {
  std::set<fetch_outcome> stopping;
  for (const auto& o : messages::fetch_outcomes)
    if (o.stops_fetcher)
      stopping.insert(o.outcome);
  EXPECT_EQ(stopping, (std::set<fetch_outcome>{fetch_outcome::rate_limited, fetch_outcome::network_failure,
                                               fetch_outcome::unavailable}));
}

TEST(FetchStats, SnapshotCopiesEveryOutcomeAndTheRequestCounts) {
  runtime::fetch_stats stats;
  uint64_t n = 1;
  for (const auto& o : messages::fetch_outcomes)
    stats[o.outcome] = n++;
  stats.requests = 60;
  stats.cycles_complete = 4;
  stats.stale_replies = 9;   // not shown
  const auto counts = runtime::read_fetch_stats(stats);
  n = 1;
  for (const auto& o : messages::fetch_outcomes)
    EXPECT_EQ(counts[o.outcome], n++) << o.label;
  EXPECT_EQ(counts.requests, 60u);
  EXPECT_EQ(counts.cycles_complete, 4u);
}
