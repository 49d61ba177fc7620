// The cache holder actor.
#include "actors/cache_holder.hpp"

#include "quant/currency.hpp"

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

/// The latest reading of one kind that arrived (with or without a value), for the cycle summary lines.
struct last_arrival {
  caf::timestamp received;
  caf::optional<double> value;
  std::string state;
  std::string volatility;   ///< skew readings: "ATM 30d=51.33% | MFIV 30d=54.94%"
};

/// What the cache holds of one kind of reading for one currency.
template <class Reading>
struct slot {
  caf::optional<Reading> latest;        ///< the reading shown: the last one with a value, or the first one
  clock_point arrived{};
  caf::optional<last_arrival> last;     ///< the last one that arrived
};

/// The last DVOL update that arrived, for the volatility line.
struct dvol_arrival {
  caf::optional<caf::timestamp> chain_received;   ///< pairs it with the skew reading of the same fetch
  std::string text;                               ///< "DVOL=53.10" or "DVOL n/a (reason)"
};

struct entry {
  slot<messages::basis_reading> basis;
  slot<messages::skew_reading> skew;
  caf::optional<messages::dvol_record> dvol;       ///< the last good DVOL (or the first update), the latest reason
  clock_point dvol_arrived{};                      ///< when the shown close arrived
  caf::optional<dvol_arrival> dvol_last;
  caf::optional<caf::timestamp> summarized;        ///< the receive time last logged as a summary
  caf::optional<caf::timestamp> volatility_logged; ///< the receive time last logged as a volatility line
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

std::string days(double x) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%gd", x);
  return buf;
}

// The ATM IV at the headline tenor and the MFIV, as this reading brought them; each part is " | NAME=VALUE".
std::string volatility_text(const messages::skew_reading& r) {
  caf::optional<double> atm;
  for (const auto& t : r.surface)
    if (t.tenor_days == r.tenor_days)
      atm = t.atm.atm_iv;
  return "ATM " + days(r.tenor_days) + "=" + percent(atm) + " | MFIV " + days(r.mfiv.tenor_days) + "=" +
         percent(r.mfiv.value_pct);
}

std::string volatility_text(const messages::basis_reading&) { return {}; }

// "DVOL=53.10" (vol points, as Deribit quotes the index) or "DVOL n/a (reason)".
std::string dvol_text(const messages::dvol_record& d) {
  if (!d.close)
    return "DVOL n/a (" + d.reason + ")";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "DVOL=%.2f", *d.close);
  return buf;
}

bool has_dvol(const std::string& currency) {
  const auto spec = quant::find_currency(currency);
  return spec && spec->has_dvol;
}

std::string not_listed(const std::string& currency) { return "not listed for " + currency; }

// -- the last good value of every record ------------------------------------------------------------------

/// What merging a reading's records with the cached ones found.
struct merge_count {
  std::size_t fresh_values = 0;      ///< records that brought a value
  std::vector<std::string> kept;     ///< records without a value that kept their cached good one
};

/// A record without a value takes the cached record (value, times) when that has one; its reason stays the
/// latest one, so the record reads "this value, kept because now: reason".
template <class Record>
void merge_record(Record& fresh, const Record* cached, caf::optional<double> Record::*value, std::string name,
                  merge_count& n) {
  if (fresh.*value) {
    ++n.fresh_values;
    return;
  }
  if (!cached || !(cached->*value))
    return;
  auto reason = std::move(fresh.reason);
  fresh = *cached;
  fresh.reason = std::move(reason);
  n.kept.push_back(std::move(name));
}

template <class Record, class Key>
const Record* match(const std::vector<Record>* cached, Key Record::*key, Key k) {
  if (cached)
    for (const auto& c : *cached)
      if (c.*key == k)
        return &c;
  return nullptr;
}

merge_count merge_records(messages::skew_reading& fresh, const messages::skew_reading* cached) {
  merge_count n;
  for (auto& t : fresh.surface) {
    const auto* ct = match(cached ? &cached->surface : nullptr, &messages::surface_tenor::tenor_days, t.tenor_days);
    merge_record(t.atm, ct ? &ct->atm : nullptr, &messages::surface_atm::atm_iv, "ATM " + days(t.tenor_days), n);
    for (auto& p : t.deltas) {
      char delta[32];
      std::snprintf(delta, sizeof(delta), " %g", p.delta);
      merge_record(p, match(ct ? &ct->deltas : nullptr, &messages::surface_point::delta, p.delta),
                   &messages::surface_point::skew_pct, "skew " + days(t.tenor_days) + delta, n);
    }
  }
  merge_record(fresh.mfiv, cached ? &cached->mfiv : nullptr, &messages::mfiv_record::value_pct,
               "MFIV " + days(fresh.mfiv.tenor_days), n);
  return n;
}

merge_count merge_records(messages::basis_reading& fresh, const messages::basis_reading* cached) {
  merge_count n;
  for (auto& p : fresh.constant_maturity)
    merge_record(p,
                 match(cached ? &cached->constant_maturity : nullptr, &messages::cm_basis_point::tenor_days,
                       p.tenor_days),
                 &messages::cm_basis_point::apr_pct, "basis " + days(p.tenor_days), n);
  return n;
}

/// The records of `from` replace those of `into`, whose headline stays.
void take_records(messages::skew_reading& into, messages::skew_reading&& from) {
  into.surface = std::move(from.surface);
  into.mfiv = std::move(from.mfiv);
}

void take_records(messages::basis_reading& into, messages::basis_reading&& from) {
  into.constant_maturity = std::move(from.constant_maturity);
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
  if (v.skew)
    v.mfiv_age = messages::part_age(v.skew_age, v.skew->received, v.skew->mfiv.received);
  if (e.dvol) {
    v.dvol = *e.dvol;
    v.dvol_age = now - e.dvol_arrived;
  } else {
    v.dvol.reason = has_dvol(currency) ? "no answer yet" : not_listed(currency);
  }
  if (v.dvol.close && v.skew && v.skew->mfiv.value_pct)
    v.dvol.mfiv_minus_dvol = *v.skew->mfiv.value_pct - *v.dvol.close;
  return v;
}

void push(self_ptr self, const std::string& currency) {
  auto& st = self->state;
  if (st.subscribers.empty())
    return;
  // One message per update, shared by every subscriber: `send(sub, update)` would copy the update into a new
  // mailbox element per subscriber. (A typed actor cannot send() a caf::message, hence enqueue.)
  const auto msg = caf::make_message(messages::derivatives_update{
    make_view(currency, st.entries[currency], self->clock().now(), st.deps.max_age), caf::make_timestamp()});
  for (const auto& sub : st.subscribers)
    sub->enqueue(caf::make_mailbox_element(self->ctrl(), caf::make_message_id(), {}, msg), self->context());
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
  if (!self->state.deps.log)
    return;
  self->state.deps.log->info("📡 Derivatives Cache [" + currency + "]: Basis=" + percent(basis->value) + " (" +
                             basis->state + ") | Skew=" + percent(skew->value) + " (" + skew->state + ")");
}

// The skew reading of a fetch and, for a currency with DVOL, the DVOL update of the same fetch have arrived (in
// either order): one volatility line per currency per cycle, values as that fetch brought them.
void maybe_log_volatility(self_ptr self, const std::string& currency) {
  auto& e = self->state.entries[currency];
  if (!e.skew.last)
    return;
  const auto received = e.skew.last->received;
  std::string dvol;
  if (!has_dvol(currency))
    dvol = "DVOL n/a (" + not_listed(currency) + ")";
  else if (e.dvol_last && e.dvol_last->chain_received && *e.dvol_last->chain_received == received)
    dvol = e.dvol_last->text;
  else
    return;
  if (e.volatility_logged && *e.volatility_logged == received)
    return;
  e.volatility_logged = received;
  if (self->state.deps.log)
    self->state.deps.log->info("📈 Volatility [" + currency + "]: " + e.skew.last->volatility + " | " + dvol);
}

// Records that kept their last good value: counted, and one warning naming them.
void report_kept(self_ptr self, const char* kind, const std::string& currency, const merge_count& records) {
  auto& st = self->state;
  if (records.kept.empty())
    return;
  if (st.deps.stats)
    st.deps.stats->records_kept_last_good += records.kept.size();
  if (st.deps.log) {
    std::string names;
    for (const auto& n : records.kept)
      names += (names.empty() ? "" : ", ") + n;
    st.deps.log->warn(std::string{kind} + " [" + currency + "]: no value for " + names +
                      "; keeping the last good values");
  }
}

// A record without a value does not replace a good one: the headline (the reading's value) and every record of
// the surface, the constant-maturity basis and the MFIV keep their last good value (and their times).
template <class Reading>
void on_reading(self_ptr self, Reading& r, const reading_kind<Reading>& kind) {
  auto& st = self->state;
  auto& s = st.entries[r.currency].*kind.where;
  const auto value = r.*kind.value;
  s.last = last_arrival{r.received, value, quant::to_string(r.state), volatility_text(r)};
  const auto currency = r.currency;
  const auto records = merge_records(r, s.latest ? &*s.latest : nullptr);
  report_kept(self, kind.name, currency, records);
  if (!value && s.latest && (*s.latest).*kind.value) {
    if (st.deps.stats)
      ++((*st.deps.stats).*kind.kept_last_good);
    if (st.deps.log)
      st.deps.log->warn(std::string{kind.name} + " [" + currency + "]: no value (" + r.reason +
                        "); keeping the last good reading");
    take_records(*s.latest, std::move(r));
    if (records.fresh_values > 0)
      push(self, currency);
  } else {
    s.latest = std::move(r);
    s.arrived = self->clock().now();
    if (st.deps.stats)
      ++((*st.deps.stats).*kind.accepted);
    push(self, currency);
  }
  maybe_summarize(self, currency);
  maybe_log_volatility(self, currency);
}

// DVOL keeps its last good close like every record; the mfiv_minus_dvol of the view is computed when asked.
void on_dvol(self_ptr self, messages::dvol_update& u) {
  auto& e = self->state.entries[u.currency];
  e.dvol_last = dvol_arrival{u.chain_received, dvol_text(u.record)};
  merge_count records;
  merge_record(u.record, e.dvol ? &*e.dvol : nullptr, &messages::dvol_record::close, "DVOL", records);
  report_kept(self, "dvol", u.currency, records);
  if (records.kept.empty())
    e.dvol_arrived = self->clock().now();
  e.dvol = std::move(u.record);
  if (records.fresh_values > 0)
    push(self, u.currency);
  maybe_log_volatility(self, u.currency);
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
      [self](messages::dvol_update& u) { on_dvol(self, u); },
      [self](caf::get_atom, const std::string& currency) { return on_get(self, currency); },
      [self](caf::get_atom) { return on_get_all(self); },
      [self](messages::subscribe_atom, messages::cache_subscriber_actor& sub) { on_subscribe(self, sub); },
    };
  });
}

} // namespace derivcache::actors
