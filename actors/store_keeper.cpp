// The store keeper actor.
#include "actors/store_keeper.hpp"

#include "messages/errors.hpp"
#include "runtime/snapshot_sink.hpp"

#include <caf/all.hpp>

#include <map>
#include <vector>

namespace derivcache::actors {

using runtime::log_level;

namespace {

struct queued_record {
  store::record_input input;
  caf::typed_response_promise<messages::record_reply> promise;
};

struct keeper_state {
  store_keeper_deps deps;
  std::vector<queued_record> records;
  std::map<std::string, std::vector<quant::second_bar>> bars;
  bool flush_scheduled = false;
  bool failing = false;   ///< log a failure streak once
};

using self_ptr = messages::store_actor::stateful_pointer<keeper_state>;

int64_t unix_ms(caf::timestamp t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

void log_at(self_ptr self, log_level level, const std::string& text) {
  if (self->state.deps.log)
    self->state.deps.log->log(level, text);
}

void schedule_flush(self_ptr self) {
  if (self->state.flush_scheduled)
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

void flush(self_ptr self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  if (st.records.empty() && st.bars.empty())
    return;
  auto records = std::move(st.records);
  st.records.clear();
  std::vector<store::bar_series> bars;
  for (auto& [symbol, list] : st.bars)
    bars.push_back({symbol, std::move(list)});
  st.bars.clear();
  std::vector<store::record_input> inputs;
  for (const auto& r : records)
    inputs.push_back(r.input);
  try {
    auto results = st.deps.store->write(inputs, bars);
    st.failing = false;
    for (std::size_t i = 0; i < records.size(); ++i)
      records[i].promise.deliver(reply_of(results[i], records[i].input));   // after COMMIT
  } catch (const std::exception& e) {
    if (!st.failing)
      log_at(self, log_level::error, std::string{"store: write failed: "} + e.what());
    st.failing = true;
    for (auto& r : records)
      r.promise.deliver(caf::make_error(messages::errc::storage_failure, std::string{e.what()}));
  }
}

void reap(self_ptr self) {
  auto& st = self->state;
  try {
    if (auto n = st.deps.store->reap(unix_ms(st.deps.wall_clock())); n > 0)
      log_at(self, log_level::debug, "store: labelled " + std::to_string(n) + " outcomes");
  } catch (const std::exception& e) {
    log_at(self, log_level::error, std::string{"store: labelling failed: "} + e.what());
  }
}

} // namespace

messages::store_actor make_store_keeper(caf::actor_system& sys, store_keeper_deps deps) {
  if (!deps.wall_clock)
    deps.wall_clock = [] { return caf::make_timestamp(); };
  auto init = [deps](self_ptr self) -> messages::store_actor::behavior_type {
    self->state.deps = deps;
    self->set_exit_handler([self](caf::exit_msg& em) {
      flush(self);   // commit what is queued, so a clean stop loses no accepted record
      log_at(self, log_level::info, "store: stopped");
      self->quit(em.reason);
    });
    self->send(self, caf::tick_atom::value);   // outcomes that fell due while the engine was down
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
        schedule_flush(self);
      },
      [self](messages::flush_atom) { flush(self); },
      [self](caf::tick_atom) {
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
