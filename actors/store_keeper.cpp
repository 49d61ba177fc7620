// The store keeper actor.
#include "actors/store_keeper.hpp"

#include "messages/errors.hpp"
#include "runtime/snapshot_sink.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <vector>

namespace derivcache::actors {

using runtime::log_level;

namespace {

struct queued_record {
  store::record_input input;
  caf::typed_response_promise<messages::record_reply> promise;
  int failed_writes = 0;
};

struct keeper_state {
  store_keeper_deps deps;
  std::vector<queued_record> records;
  std::map<std::string, std::vector<quant::second_bar>> bars;   ///< not yet written, oldest first
  std::vector<store::bar_hole> holes;                          ///< dropped bars whose outcomes are not marked yet
  bool flush_scheduled = false;
  bool retry_scheduled = false;   ///< a failed write waits for its backoff; new data waits with it
  caf::timespan backoff{0};       ///< the next retry's delay; 0 while writes succeed
  int failed_writes = 0;          ///< in the current streak (logged once per streak)
};

using self_ptr = messages::store_actor::stateful_pointer<keeper_state>;

int64_t unix_ms(caf::timestamp t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

void log_at(self_ptr self, log_level level, const std::string& text) {
  if (self->state.deps.log)
    self->state.deps.log->log(level, text);
}

template <class F>
void count(self_ptr self, F f) {
  if (self->state.deps.stats)
    f(*self->state.deps.stats);
}

void update_pending(self_ptr self) {
  std::size_t n = 0;
  for (const auto& [symbol, list] : self->state.bars)
    n += list.size();
  count(self, [n](auto& s) { s.pending_bars = n; });
}

void schedule_flush(self_ptr self) {
  if (self->state.flush_scheduled || self->state.retry_scheduled)
    return;
  self->state.flush_scheduled = true;
  // Behind everything already in the mailbox: the writes queued until then share one transaction.
  self->send(self, messages::flush_atom::value);
}

messages::record_reply reply_of(const store::record_result& r, const store::record_input& in) {
  messages::record_reply out;
  out.snapshot = r.snapshot;
  out.created = r.created;
  out.time = caf::timestamp{std::chrono::milliseconds{r.time_ms}};
  out.kind = in.kind;
  out.id = in.id;
  return out;
}

void fail_record(self_ptr self, queued_record& r, const std::string& why) {
  r.promise.deliver(caf::make_error(messages::errc::storage_failure,
                                    "record (" + r.input.kind + ", " + r.input.id + "): " + why));
  count(self, [](auto& s) { ++s.records_failed; });
}

// Drops the oldest bars of `symbol` beyond the bound; their seconds become a hole.
void bound_bars(self_ptr self, const std::string& symbol) {
  auto& st = self->state;
  auto& list = st.bars[symbol];
  if (list.size() <= st.deps.max_pending_bars)
    return;
  const auto excess = list.size() - st.deps.max_pending_bars;
  st.holes.push_back({symbol, list.front().second, list[excess - 1].second});
  list.erase(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(excess));
  count(self, [excess](auto& s) { s.bars_dropped += excess; });
  log_at(self, log_level::warn,
         "store: dropped " + std::to_string(excess) + " unwritten bars of " + symbol + " (store.max-pending-bars " +
           std::to_string(st.deps.max_pending_bars) + "); their outcomes will be incomplete");
}

std::vector<store::bar_series> bar_series_of(const keeper_state& st) {
  std::vector<store::bar_series> out;
  for (const auto& [symbol, list] : st.bars)
    if (!list.empty())
      out.push_back({symbol, list});
  return out;
}

// One attempt at everything queued. Returns the error of a failure that may pass, or none.
std::optional<store::error> write_once(self_ptr self) {
  auto& st = self->state;
  std::vector<store::record_input> inputs;
  for (const auto& r : st.records)
    inputs.push_back(r.input);
  try {
    auto results = st.deps.store->write(inputs, bar_series_of(st));
    for (std::size_t i = 0; i < st.records.size(); ++i)
      st.records[i].promise.deliver(reply_of(results[i], st.records[i].input));   // after COMMIT
    st.records.clear();
    st.bars.clear();
  } catch (const store::error& e) {
    if (e.transient())
      return e;
    // Not a matter of waiting (a record the schema refuses, say): the bars and each record alone.
    std::optional<store::error> again;
    try {
      st.deps.store->write({}, bar_series_of(st));
      st.bars.clear();
    } catch (const store::error& b) {
      again = b;
    }
    for (auto& r : st.records) {
      try {
        auto results = st.deps.store->write({r.input}, {});
        r.promise.deliver(reply_of(results.front(), r.input));
      } catch (const store::error& one) {
        if (one.transient() && !again)
          again = one;
        fail_record(self, r, one.what());
      }
    }
    st.records.clear();
    if (again)
      return again;
  }
  if (!st.holes.empty()) {
    try {
      const auto marked = st.deps.store->mark_lost_bars(st.holes, unix_ms(st.deps.wall_clock()));
      log_at(self, log_level::warn, "store: marked " + std::to_string(marked) + " outcomes incomplete over lost bars");
      st.holes.clear();
    } catch (const store::error& e) {
      return e;
    }
  }
  return std::nullopt;
}

void flush(self_ptr self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  if (st.records.empty() && st.bars.empty() && st.holes.empty())
    return;
  auto failure = write_once(self);
  if (!failure) {
    if (st.failed_writes > 0)
      log_at(self, log_level::info, "store: writing again after " + std::to_string(st.failed_writes) + " failed attempts");
    st.failed_writes = 0;
    st.backoff = caf::timespan{0};
    update_pending(self);
    return;
  }
  count(self, [](auto& s) { ++s.write_failures; });
  if (st.failed_writes++ == 0)
    log_at(self, log_level::error, std::string{"store: write failed, retrying with backoff: "} + failure->what());
  for (auto i = st.records.begin(); i != st.records.end();) {
    if (++i->failed_writes < st.deps.record_attempts) {
      ++i;
      continue;
    }
    fail_record(self, *i, "not written after " + std::to_string(i->failed_writes) + " attempts: " + failure->what());
    i = st.records.erase(i);
  }
  update_pending(self);
  if (st.records.empty() && st.bars.empty() && st.holes.empty())
    return;   // nothing left to retry; the next write tries at once
  st.backoff = st.backoff == caf::timespan{0} ? st.deps.retry_min_backoff
                                              : std::min(st.backoff * 2, st.deps.retry_max_backoff);
  st.retry_scheduled = true;
  self->delayed_send(self, st.backoff, messages::retry_atom::value);
}

void reap(self_ptr self) {
  auto& st = self->state;
  if (st.retry_scheduled || !st.holes.empty())
    return;   // bars the outcomes read are not all written yet: labelling now could cover a hole
  try {
    if (auto n = st.deps.store->reap(unix_ms(st.deps.wall_clock())); n > 0)
      log_at(self, log_level::debug, "store: labelled " + std::to_string(n) + " outcomes");
  } catch (const std::exception& e) {
    count(self, [](auto& s) { ++s.write_failures; });
    log_at(self, log_level::error, std::string{"store: labelling failed: "} + e.what());
  }
}

void maintain(self_ptr self) {
  auto& st = self->state;
  try {
    const auto deleted = st.deps.store->apply_retention(unix_ms(st.deps.wall_clock()));
    count(self, [&](auto& s) {
      s.bars_deleted += deleted.bars;
      s.snapshots_deleted += deleted.snapshots;
    });
    if (deleted.bars > 0 || deleted.snapshots > 0)
      log_at(self, log_level::debug, "store: retention deleted " + std::to_string(deleted.bars) + " bars, " +
                                       std::to_string(deleted.snapshots) + " snapshots");
    const bool whole = st.deps.store->checkpoint();
    count(self, [whole](auto& s) { ++(whole ? s.checkpoints : s.checkpoints_incomplete); });
  } catch (const std::exception& e) {
    count(self, [](auto& s) { ++s.write_failures; });
    log_at(self, log_level::error, std::string{"store: maintenance failed: "} + e.what());
  }
}

} // namespace

messages::store_actor make_store_keeper(caf::actor_system& sys, store_keeper_deps deps) {
  if (!deps.wall_clock)
    deps.wall_clock = [] { return caf::make_timestamp(); };
  auto init = [deps](self_ptr self) -> messages::store_actor::behavior_type {
    self->state.deps = deps;
    self->set_exit_handler([self](caf::exit_msg& em) {
      auto& st = self->state;
      st.retry_scheduled = false;
      flush(self);   // commit what is queued, so a clean stop loses no accepted record
      for (auto& r : st.records)
        fail_record(self, r, "not written: the store stopped while it was failing");
      std::size_t lost = 0;
      for (const auto& [symbol, list] : st.bars)
        lost += list.size();
      if (lost > 0) {
        count(self, [lost](auto& s) { s.bars_dropped += lost; });
        log_at(self, log_level::error, "store: stopped with " + std::to_string(lost) + " unwritten bars");
      }
      log_at(self, log_level::info, "store: stopped");
      self->quit(em.reason);
    });
    self->send(self, caf::tick_atom::value);   // outcomes that fell due while the engine was down
    if (deps.maintenance_interval > caf::timespan{0})
      self->send(self, messages::maintain_atom::value);
    return {
      [self](messages::record_request& req,
             messages::feature_snapshot& snap) -> caf::result<messages::record_reply> {
        auto& st = self->state;
        if (req.kind.empty() || req.id.empty())
          return caf::make_error(messages::errc::request_error, std::string{"record: kind and id must not be empty"});
        try {
          if (auto problem = store::check_attributes(st.deps.store->db(), req.attributes); !problem.empty())
            return caf::make_error(messages::errc::request_error, "record: " + problem);
        } catch (const std::exception& e) {
          return caf::make_error(messages::errc::storage_failure, std::string{e.what()});
        }
        queued_record q;
        q.input.kind = std::move(req.kind);
        q.input.id = std::move(req.id);
        q.input.symbol = snap.symbol;
        q.input.attributes = std::move(req.attributes);
        q.input.snapshot = runtime::snapshot_json(snap);
        q.input.time_ms = unix_ms(snap.time);
        if (snap.last_price)
          q.input.last_price = *snap.last_price;
        q.input.recorded_ms = unix_ms(st.deps.wall_clock());
        q.promise = self->make_response_promise<messages::record_reply>();
        auto promise = q.promise;
        st.records.push_back(std::move(q));
        schedule_flush(self);
        return promise;
      },
      [self](messages::bar_batch& batch) {
        auto& list = self->state.bars[batch.symbol];
        for (const auto& b : batch.bars)
          list.push_back({b.second, b.open, b.high, b.low, b.close, b.volume, b.trades});
        bound_bars(self, batch.symbol);
        update_pending(self);
        schedule_flush(self);
      },
      [self](messages::flush_atom) {
        if (!self->state.retry_scheduled)
          flush(self);
      },
      [self](messages::retry_atom) {
        self->state.retry_scheduled = false;
        count(self, [](auto& s) { ++s.write_retries; });
        flush(self);
      },
      [self](messages::maintain_atom) {
        if (!self->state.retry_scheduled)   // the database is failing: deletes wait for the next round
          maintain(self);
        self->delayed_send(self, self->state.deps.maintenance_interval, messages::maintain_atom::value);
      },
      [self](caf::tick_atom) {
        if (!self->state.retry_scheduled)
          flush(self);   // bars first: the outcomes read them
        reap(self);
        self->delayed_send(self, self->state.deps.reap_interval, caf::tick_atom::value);
      },
      [self](caf::get_atom, messages::status_atom) -> caf::result<messages::store_counts> {
        auto& st = self->state;
        try {
          auto c = st.deps.store->counts();
          return messages::store_counts{st.deps.store->options().path, c.recorded, c.pending, c.labelled,
                                        c.incomplete};
        } catch (const std::exception& e) {
          return caf::make_error(messages::errc::storage_failure, std::string{e.what()});
        }
      },
    };
  };
  return deps.detached ? sys.spawn<caf::detached>(init) : sys.spawn(init);
}

} // namespace derivcache::actors
