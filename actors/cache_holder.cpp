// The cache holder actor.
#include "actors/cache_holder.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <type_traits>
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

/// What the cache holds of one kind of reading for one currency.
template <class Reading>
struct slot {
  caf::optional<Reading> latest;        ///< the reading shown: the last one with a value, or the first one
  clock_point arrived{};
  caf::optional<last_arrival> last;     ///< the last one that arrived
};

struct entry {
  slot<messages::basis_reading> basis;
  slot<messages::skew_reading> skew;
  caf::optional<caf::timestamp> summarized;   ///< the receive time last logged as a summary
};

/// Where a kind of reading goes and what it counts.
template <class Reading>
struct reading_kind {
  const char* name;
  caf::optional<double> Reading::*value;
  slot<Reading> entry::*where;
  std::atomic<uint64_t> runtime::cache_stats::*accepted;
  std::atomic<uint64_t> runtime::cache_stats::*kept_last_good;
};

const reading_kind<messages::basis_reading> basis_kind{"basis", &messages::basis_reading::apr_pct, &entry::basis,
                                                       &runtime::cache_stats::basis_accepted, &runtime::cache_stats::basis_kept_last_good};
const reading_kind<messages::skew_reading> skew_kind{"skew", &messages::skew_reading::skew_pct, &entry::skew,
                                                     &runtime::cache_stats::skew_accepted, &runtime::cache_stats::skew_kept_last_good};

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
  // One kind's part of the view: the reading, its age and lag, and STALE once older than max_age.
  auto fill = [&](const auto& slot, auto& reading, caf::timespan& age, caf::timespan& lag, auto& last_state,
                  auto& state) {
    if (!slot.latest)
      return;
    reading = slot.latest;
    age = now - slot.arrived;
    lag = slot.latest->received - slot.latest->as_of;
    last_state = slot.latest->state;
    state = age > max_age ? std::decay_t<decltype(state)>::stale : last_state;
  };
  fill(e.basis, v.basis, v.basis_age, v.basis_lag, v.basis_last_state, v.basis_state);
  fill(e.skew, v.skew, v.skew_age, v.skew_lag, v.skew_last_state, v.skew_state);
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
  const auto& basis = e.basis.last;
  const auto& skew = e.skew.last;
  if (!basis || !skew || basis->received != skew->received)
    return;
  if (e.summarized && *e.summarized == basis->received)
    return;
  e.summarized = basis->received;
  if (self->state.deps.log)
    self->state.deps.log->info("📡 Derivatives Cache [" + currency + "]: Basis=" + percent(basis->value) + " (" +
                               basis->state + ") | Skew=" + percent(skew->value) + " (" + skew->state + ")");
}

// A reading without a value does not replace a good one: the last good value stays (and turns STALE).
template <class Reading>
void on_reading(self_ptr self, Reading& r, const reading_kind<Reading>& kind) {
  auto& st = self->state;
  auto& s = st.entries[r.currency].*kind.where;
  const auto value = r.*kind.value;
  s.last = last_arrival{r.received, value, quant::to_string(r.state)};
  const auto currency = r.currency;
  if (!value && s.latest && (*s.latest).*kind.value) {
    if (st.deps.stats)
      ++((*st.deps.stats).*kind.kept_last_good);
    if (st.deps.log)
      st.deps.log->warn(std::string{kind.name} + " [" + currency + "]: no value (" + r.reason +
                        "); keeping the last good reading");
  } else {
    s.latest = std::move(r);
    s.arrived = self->clock().now();
    if (st.deps.stats)
      ++((*st.deps.stats).*kind.accepted);
    push(self, currency);
  }
  maybe_summarize(self, currency);
}

messages::derivatives_view on_get(self_ptr self, const std::string& currency) {
  auto& st = self->state;
  auto i = st.entries.find(currency);
  if (i == st.entries.end()) {
    messages::derivatives_view v;
    v.currency = currency;
    return v;
  }
  return make_view(currency, i->second, self->clock().now(), st.deps.max_age);
}

messages::cache_contents on_get_all(self_ptr self) {
  auto& st = self->state;
  messages::cache_contents out;
  const auto now = self->clock().now();
  for (const auto& [currency, e] : st.entries)
    if (e.basis.latest || e.skew.latest)
      out.currencies.push_back(make_view(currency, e, now, st.deps.max_age));
  return out;
}

void count_subscribers(self_ptr self) {
  if (self->state.deps.stats)
    self->state.deps.stats->subscribers = self->state.subscribers.size();
}

void on_subscribe(self_ptr self, messages::cache_subscriber_actor& sub) {
  auto& subs = self->state.subscribers;
  if (!sub || std::find(subs.begin(), subs.end(), sub) != subs.end())
    return;
  self->monitor(sub);
  subs.push_back(std::move(sub));
  count_subscribers(self);
}

void on_down(self_ptr self, const caf::down_msg& dm) {
  auto& subs = self->state.subscribers;
  subs.erase(std::remove_if(subs.begin(), subs.end(), [&](const auto& s) { return s.address() == dm.source; }),
             subs.end());
  count_subscribers(self);
}

} // namespace

messages::cache_holder_actor make_cache_holder(caf::actor_system& sys, cache_holder_deps deps) {
  return sys.spawn([deps = std::move(deps)](self_ptr self) -> messages::cache_holder_actor::behavior_type {
    self->state.deps = deps;
    self->set_down_handler([self](caf::down_msg& dm) { on_down(self, dm); });
    return {
      [self](messages::basis_reading& r) { on_reading(self, r, basis_kind); },
      [self](messages::skew_reading& r) { on_reading(self, r, skew_kind); },
      [self](caf::get_atom, const std::string& currency) { return on_get(self, currency); },
      [self](caf::get_atom) { return on_get_all(self); },
      [self](messages::subscribe_atom, messages::cache_subscriber_actor& sub) { on_subscribe(self, sub); },
    };
  });
}

} // namespace derivcache::actors
