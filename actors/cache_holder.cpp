// The cache holder actor.
#include "actors/cache_holder.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace derivcache::actors {

namespace {

using clock_point = caf::actor_clock::time_point;

/// The latest reading of one kind that arrived (with or without a value), for the cycle summary line.
struct last_arrival {
  caf::timestamp received;
  caf::optional<double> value;
  std::string state;
};

struct entry {
  caf::optional<messages::basis_reading> basis;
  clock_point basis_arrived{};
  caf::optional<messages::skew_reading> skew;
  clock_point skew_arrived{};
  caf::optional<last_arrival> last_basis;
  caf::optional<last_arrival> last_skew;
  caf::optional<caf::timestamp> summarized;   ///< the receive time last logged as a summary
};

struct cache_holder_state {
  cache_holder_deps deps;
  std::map<std::string, entry> entries;
  std::vector<messages::cache_subscriber_actor> subscribers;
};

using self_ptr = messages::cache_holder_actor::stateful_pointer<cache_holder_state>;

std::string percent(const caf::optional<double>& x) {
  if (!x)
    return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f%%", *x);
  return buf;
}

messages::derivatives_view make_view(const std::string& currency, const entry& e, clock_point now,
                                     caf::timespan max_age) {
  messages::derivatives_view v;
  v.currency = currency;
  if (e.basis) {
    v.basis = e.basis;
    v.basis_age = now - e.basis_arrived;
    v.basis_lag = e.basis->received - e.basis->as_of;
    v.basis_last_state = e.basis->state;
    v.basis_state = v.basis_age > max_age ? quant::basis_state::stale : e.basis->state;
  }
  if (e.skew) {
    v.skew = e.skew;
    v.skew_age = now - e.skew_arrived;
    v.skew_lag = e.skew->received - e.skew->as_of;
    v.skew_last_state = e.skew->state;
    v.skew_state = v.skew_age > max_age ? quant::skew_state::stale : e.skew->state;
  }
  return v;
}

void push(self_ptr self, const std::string& currency) {
  auto& st = self->state;
  if (st.subscribers.empty())
    return;
  messages::derivatives_update update{make_view(currency, st.entries[currency], self->clock().now(), st.deps.max_age)};
  for (const auto& sub : st.subscribers)
    self->send(sub, update);
  if (st.deps.stats)
    st.deps.stats->updates_pushed += st.subscribers.size();
}

// Both readings of one fetch (same receive time) have arrived: one summary line per currency per cycle.
void maybe_summarize(self_ptr self, const std::string& currency) {
  auto& e = self->state.entries[currency];
  if (!e.last_basis || !e.last_skew || e.last_basis->received != e.last_skew->received)
    return;
  if (e.summarized && *e.summarized == e.last_basis->received)
    return;
  e.summarized = e.last_basis->received;
  if (self->state.deps.log)
    self->state.deps.log->info("📡 Derivatives Cache [" + currency + "]: Basis=" + percent(e.last_basis->value) +
                               " (" + e.last_basis->state + ") | Skew=" + percent(e.last_skew->value) + " (" +
                               e.last_skew->state + ")");
}

} // namespace

messages::cache_holder_actor make_cache_holder(caf::actor_system& sys, cache_holder_deps deps) {
  return sys.spawn([deps = std::move(deps)](self_ptr self) -> messages::cache_holder_actor::behavior_type {
    self->state.deps = deps;
    self->set_down_handler([self](caf::down_msg& dm) {
      auto& subs = self->state.subscribers;
      subs.erase(std::remove_if(subs.begin(), subs.end(), [&](const auto& s) { return s.address() == dm.source; }),
                 subs.end());
      if (self->state.deps.stats)
        self->state.deps.stats->subscribers = subs.size();
    });
    return {
      [self](messages::basis_reading& r) {
        auto& st = self->state;
        auto& e = st.entries[r.currency];
        e.last_basis = last_arrival{r.received, r.apr_pct, quant::to_string(r.state)};
        const auto currency = r.currency;
        if (!r.apr_pct && e.basis && e.basis->apr_pct) {
          if (st.deps.stats)
            ++st.deps.stats->basis_kept_last_good;
          if (st.deps.log)
            st.deps.log->warn("basis [" + currency + "]: no value (" + r.reason + "); keeping the last good reading");
        } else {
          e.basis = std::move(r);
          e.basis_arrived = self->clock().now();
          if (st.deps.stats)
            ++st.deps.stats->basis_accepted;
          push(self, currency);
        }
        maybe_summarize(self, currency);
      },
      [self](messages::skew_reading& r) {
        auto& st = self->state;
        auto& e = st.entries[r.currency];
        e.last_skew = last_arrival{r.received, r.skew_pct, quant::to_string(r.state)};
        const auto currency = r.currency;
        if (!r.skew_pct && e.skew && e.skew->skew_pct) {
          if (st.deps.stats)
            ++st.deps.stats->skew_kept_last_good;
          if (st.deps.log)
            st.deps.log->warn("skew [" + currency + "]: no value (" + r.reason + "); keeping the last good reading");
        } else {
          e.skew = std::move(r);
          e.skew_arrived = self->clock().now();
          if (st.deps.stats)
            ++st.deps.stats->skew_accepted;
          push(self, currency);
        }
        maybe_summarize(self, currency);
      },
      [self](caf::get_atom, const std::string& currency) -> messages::derivatives_view {
        auto& st = self->state;
        auto i = st.entries.find(currency);
        if (i == st.entries.end()) {
          messages::derivatives_view v;
          v.currency = currency;
          return v;
        }
        return make_view(currency, i->second, self->clock().now(), st.deps.max_age);
      },
      [self](caf::get_atom) -> messages::cache_contents {
        auto& st = self->state;
        messages::cache_contents out;
        const auto now = self->clock().now();
        for (const auto& [currency, e] : st.entries)
          if (e.basis || e.skew)
            out.currencies.push_back(make_view(currency, e, now, st.deps.max_age));
        return out;
      },
      [self](messages::subscribe_atom, messages::cache_subscriber_actor& sub) {
        if (!sub)
          return;
        auto& subs = self->state.subscribers;
        if (std::find(subs.begin(), subs.end(), sub) != subs.end())
          return;
        self->monitor(sub);
        subs.push_back(std::move(sub));
        if (self->state.deps.stats)
          self->state.deps.stats->subscribers = subs.size();
      },
    };
  });
}

} // namespace derivcache::actors
