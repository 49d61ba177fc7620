// Reading the fetch counters.
#include "runtime/fetch_stats.hpp"

namespace derivcache::runtime {

fetch_counts read_fetch_stats(const fetch_stats& stats) {
  fetch_counts out;
  for (std::size_t i = 0; i < out.outcomes.size(); ++i)
    out.outcomes[i] = stats.outcomes[i].load();
  out.requests = stats.requests.load();
  out.cancelled = stats.cancelled.load();
  out.cycles_complete = stats.cycles_complete.load();
  return out;
}

} // namespace derivcache::runtime
