// The Deribit fetcher actor.
#include "actors/deribit_fetcher.hpp"

#include "codec/deribit.hpp"
#include "messages/errors.hpp"
#include "messages/fetch_outcome.hpp"
#include "messages/from_quant.hpp"

#include <caf/all.hpp>

#include <deque>
#include <map>
#include <optional>
#include <set>

namespace derivcache::actors {

using runtime::log_level;

namespace {

using dispatch_atom = caf::atom_constant<caf::atom("dispatch")>;

/// The public interface plus a private timer message for requests deferred by a token bucket.
using fetcher_impl = messages::deribit_fetcher_actor::extend<caf::reacts_to<dispatch_atom>>;

enum class request_kind : uint8_t { future, option, instruments, dvol };

struct request {
  uint64_t id = 0;
  uint64_t cycle = 0;
  std::size_t currency = 0;
  request_kind kind = request_kind::future;
  std::string target;
  bool deferred = false;
};

struct currency_progress {
  std::optional<std::vector<quant::future_summary>> futures;
  std::optional<std::vector<quant::option_summary>> options;
  bool instruments_pending = false;
  bool failed = false;
  bool sent = false;
  caf::timestamp chain_received;                      ///< of the chain, once sent
  std::optional<quant::dvol_reading> dvol;            ///< the decoded DVOL answer
  std::optional<messages::dvol_update> held_dvol;     ///< answered before the chain went: follows it (or its failure)
  uint64_t bad_rows = 0;
};

struct fetcher_state {
  deribit_fetcher_deps deps;
  uint64_t cycle = 0;
  quant::timestamp cycle_time{};   ///< wall-clock start of the cycle: the end of its DVOL window
  bool running = false;
  uint64_t next_id = 1;
  std::vector<currency_progress> progress;
  std::map<uint64_t, request> in_flight;
  std::deque<request> book_queue;
  std::deque<request> instruments_queue;
  bool dispatch_armed = false;
};

using self_ptr = fetcher_impl::stateful_pointer<fetcher_state>;

using messages::fetch_outcome;

/// What one reply means for its request.
struct verdict {
  fetch_outcome outcome = fetch_outcome::ok;
  std::string detail;          ///< what went wrong; empty when ok
  uint64_t row_errors = 0;     ///< rows skipped in a body that decoded
};

/// A decoded body: the error reply it carried or why it is unusable; its rows went to the cycle's progress.
struct decoded_body {
  std::optional<codec::rpc_error> rpc;
  std::string fatal;
  uint64_t row_errors = 0;
};

void log_at(self_ptr self, log_level level, const std::string& text) {
  if (self->state.deps.log)
    self->state.deps.log->log(level, text);
}

// Maps a non-2xx status and/or a JSON-RPC error body to an outcome.
verdict classify_error(uint16_t status, const std::optional<codec::rpc_error>& rpc, const std::string& target) {
  std::string detail = "HTTP " + std::to_string(status);
  if (rpc)
    detail += " (JSON-RPC " + std::to_string(rpc->code) + " " + rpc->message +
              (rpc->reason.empty() ? "" : ": " + rpc->reason) + ")";
  detail += " on " + target;
  static const std::set<int64_t> unavailable_codes{10040, 10041, 11051, 13028, 13503};
  if (status == 429 || (rpc && codec::is_rate_limit_code(rpc->code)))
    return {fetch_outcome::rate_limited, detail};
  if ((rpc && unavailable_codes.count(rpc->code) > 0) || status >= 500)
    return {fetch_outcome::unavailable, detail};
  return {fetch_outcome::request_error, detail};
}

const char* kind_name(request_kind k) {
  switch (k) {
    case request_kind::future: return "future";
    case request_kind::option: return "option";
    case request_kind::instruments: return "instruments";
    case request_kind::dvol: return "dvol";
  }
  return "?";
}

void pump(self_ptr self);
void check_cycle_end(self_ptr self);

void enqueue(self_ptr self, std::size_t currency, request_kind kind) {
  auto& st = self->state;
  const auto& spec = st.deps.currencies[currency];
  request req;
  req.id = st.next_id++;
  req.cycle = st.cycle;
  req.currency = currency;
  req.kind = kind;
  if (kind == request_kind::instruments)
    req.target = codec::instruments_target(st.deps.path_prefix, spec);
  else if (kind == request_kind::dvol)
    req.target = codec::volatility_index_target(
      st.deps.path_prefix, spec,
      st.cycle_time - std::chrono::duration_cast<std::chrono::milliseconds>(st.deps.dvol_window), st.cycle_time);
  else
    req.target = codec::book_summary_target(st.deps.path_prefix, spec, kind_name(kind));
  (kind == request_kind::instruments ? st.instruments_queue : st.book_queue).push_back(std::move(req));
}

void issue(self_ptr self, request req) {
  auto& st = self->state;
  ++st.deps.stats->requests;
  auto target = req.target;
  const auto id = req.id;
  st.in_flight.emplace(id, std::move(req));
  // Runs on the I/O thread: only builds a message; a fetcher that has exited is simply not found.
  caf::weak_actor_ptr weak{self->ctrl()};
  st.deps.http->get(std::move(target), [weak, id, latency = st.deps.request_latency,
                                         stats = st.deps.stats](net::http_result res) {
    if (res.error == net::failure::cancelled || res.error == net::failure::rate_limited)
      ++stats->cancelled;
    else if (latency)
      latency->observe(res.latency);
    auto strong = weak.lock();
    if (!strong)
      return;
    messages::http_reply reply;
    reply.request_id = id;
    reply.failure = static_cast<uint8_t>(res.error);
    reply.failure_message = std::move(res.message);
    reply.status = static_cast<uint16_t>(res.response.status);
    reply.body = std::move(res.response.body);
    if (res.response.retry_after)
      reply.retry_after_seconds = static_cast<int64_t>(res.response.retry_after->count());
    reply.latency = std::chrono::duration_cast<caf::timespan>(res.latency);
    caf::anon_send(caf::actor_cast<messages::deribit_fetcher_actor>(strong), std::move(reply));
  });
}

// Issues queued requests while the buckets have tokens; otherwise re-arms the dispatch timer.
void drain(self_ptr self, std::deque<request>& queue, runtime::token_bucket& bucket) {
  auto& st = self->state;
  const auto now = self->clock().now();
  while (!queue.empty()) {
    if (!bucket.try_take(now)) {
      if (!queue.front().deferred) {
        for (auto& r : queue)
          if (!r.deferred) {
            r.deferred = true;
            ++st.deps.stats->deferred;
          }
      }
      if (!st.dispatch_armed) {
        st.dispatch_armed = true;
        self->delayed_send(self, bucket.wait_time(now), dispatch_atom::value);
      }
      return;
    }
    auto req = std::move(queue.front());
    queue.pop_front();
    issue(self, std::move(req));
  }
}

void pump(self_ptr self) {
  auto& st = self->state;
  drain(self, st.instruments_queue, *st.deps.instruments_bucket);
  drain(self, st.book_queue, *st.deps.book_bucket);
}

// Sends a currency's DVOL answer to the cache once its chain went (stamped with the chain's receive time, so the
// cache pairs it with that chain's readings) or failed. A fresh `answer` waits while its chain is still on its way
// (the chain never waits for DVOL); a call without one sends what is held, as the chain went, failed or was abandoned.
void release_dvol(self_ptr self, std::size_t i, std::optional<messages::dvol_update> answer = std::nullopt) {
  auto& st = self->state;
  auto& p = st.progress[i];
  const bool fresh = answer.has_value();
  if (fresh)
    p.held_dvol = std::move(answer);
  if (!p.held_dvol || (fresh && !p.sent && !p.failed))
    return;
  if (p.sent)
    p.held_dvol->chain_received = p.chain_received;
  if (st.deps.cache)
    self->send(st.deps.cache, std::move(*p.held_dvol));
  p.held_dvol.reset();
}

void start_cycle(self_ptr self) {
  auto& st = self->state;
  if (st.running)
    log_at(self, log_level::warn,
           "fetch cycle " + std::to_string(st.cycle) + " did not complete before the next one; abandoning it");
  for (std::size_t i = 0; i < st.progress.size(); ++i)
    release_dvol(self, i);   // an abandoned cycle's DVOL answers, whose chains never went
  ++st.cycle;
  st.running = true;
  st.progress.assign(st.deps.currencies.size(), currency_progress{});
  st.in_flight.clear();
  st.book_queue.clear();
  st.instruments_queue.clear();
  st.cycle_time = std::chrono::time_point_cast<std::chrono::milliseconds>(st.deps.wall_clock());
  const auto now = self->clock().now();
  for (std::size_t i = 0; i < st.deps.currencies.size(); ++i) {
    if (st.deps.instruments->due(st.deps.currencies[i].name, now)) {
      st.progress[i].instruments_pending = true;
      enqueue(self, i, request_kind::instruments);
    }
    enqueue(self, i, request_kind::future);
    enqueue(self, i, request_kind::option);
  }
  // DVOL after every book summary: the chains are what must not wait for a token.
  for (std::size_t i = 0; i < st.deps.currencies.size(); ++i)
    if (st.deps.currencies[i].has_dvol)
      enqueue(self, i, request_kind::dvol);
  log_at(self, log_level::debug, "fetch cycle " + std::to_string(st.cycle) + " started");
  pump(self);
  check_cycle_end(self);
}

void check_cycle_end(self_ptr self) {
  auto& st = self->state;
  if (!st.running)
    return;
  std::size_t sent = 0;
  for (const auto& p : st.progress) {
    if (!p.sent && !p.failed)
      return;
    sent += p.sent ? 1 : 0;
  }
  st.running = false;
  if (sent == st.progress.size()) {
    ++st.deps.stats->cycles_complete;
    log_at(self, log_level::debug, "fetch cycle " + std::to_string(st.cycle) + " complete");
    if (st.deps.supervisor)
      self->send(st.deps.supervisor, messages::cycle_done_atom::value);
  } else {
    log_at(self, log_level::warn,
           "fetch cycle " + std::to_string(st.cycle) + " incomplete: " + std::to_string(sent) + " of " +
             std::to_string(st.progress.size()) + " currencies fetched");
  }
}

void maybe_send_chain(self_ptr self, std::size_t i) {
  auto& st = self->state;
  auto& p = st.progress[i];
  if (p.sent || p.failed || !p.futures || !p.options || p.instruments_pending)
    return;
  const auto& spec = st.deps.currencies[i];
  auto chain = std::make_shared<messages::currency_chain>();
  chain->currency = spec;
  chain->futures = std::move(*p.futures);
  chain->options = std::move(*p.options);
  chain->expiries = st.deps.instruments->table(spec.name);
  chain->option_names = quant::index_options(chain->options, chain->expiries.get());   // once, for every signal
  chain->received = st.deps.wall_clock();
  chain->bad_rows = p.bad_rows;
  p.sent = true;
  p.chain_received = chain->received;
  ++st.deps.stats->chains_sent;
  messages::chain_ptr ptr = std::move(chain);
  for (const auto& calc : st.deps.calculators)
    if (calc)
      self->send(calc, ptr);
  release_dvol(self, i);
}

// The DVOL request of a currency has its answer: DVOL's newest candle, or `reason` for its absence.
void settle_dvol(self_ptr self, const request& req, std::string reason) {
  const auto& dvol = self->state.progress[req.currency].dvol;
  const auto received = self->state.deps.wall_clock();
  messages::dvol_update u;
  u.currency = self->state.deps.currencies[req.currency].name;
  if (dvol && reason.empty())
    u.record = messages::to_dvol(*dvol, received);
  u.record.received = received;
  u.record.reason = std::move(reason);
  release_dvol(self, req.currency, std::move(u));
}

// This currency gets nothing this cycle (or, for instruments, falls back to names; for DVOL, goes without).
void give_up_request(self_ptr self, const request& req) {
  auto& st = self->state;
  auto& p = st.progress[req.currency];
  if (req.kind == request_kind::dvol)
    return settle_dvol(self, req, "request failed: cancelled");
  if (req.kind == request_kind::instruments) {
    st.deps.instruments->postpone(st.deps.currencies[req.currency].name, self->clock().now() + st.deps.interval);
    p.instruments_pending = false;
    log_at(self, log_level::warn,
           "instruments for " + st.deps.currencies[req.currency].name + " unavailable; expiries from names");
    maybe_send_chain(self, req.currency);
  } else {
    p.failed = true;
    release_dvol(self, req.currency);
  }
  check_cycle_end(self);
}

template <class Decoded>
decoded_body summary_of(const Decoded& d) {
  return {d.error_reply, d.fatal, d.row_errors.size()};
}

// Decodes a 2xx body; the rows of one that decoded go to the currency's progress (instruments: the cache).
decoded_body decode(self_ptr self, const request& req, const std::string& body) {
  auto& st = self->state;
  auto& p = st.progress[req.currency];
  const auto& spec = st.deps.currencies[req.currency];
  switch (req.kind) {
    case request_kind::future: {
      auto d = codec::decode_future_summaries(body);
      if (d.ok())
        p.futures = quant::rows_for(d.rows, spec);
      return summary_of(d);
    }
    case request_kind::option: {
      auto d = codec::decode_option_summaries(body);
      if (d.ok())
        p.options = quant::rows_for(d.rows, spec);
      return summary_of(d);
    }
    case request_kind::instruments: {
      auto d = codec::decode_instruments(body);
      if (d.ok()) {
        auto table = std::make_shared<const quant::expiry_table>(quant::rows_for(d.rows, spec));
        st.deps.instruments->store(spec.name, std::move(table), self->clock().now() + st.deps.instruments_interval);
        p.instruments_pending = false;
      }
      return summary_of(d);
    }
    case request_kind::dvol: {
      auto d = codec::decode_volatility_index(body);
      p.dvol = d.value;
      return {d.error_reply, d.fatal, 0};
    }
  }
  return {};
}

// The outcome of a reply that arrived: its status, the JSON-RPC error it carried, whether its body decoded.
verdict classify(uint16_t status, const decoded_body& body, const std::string& target) {
  const bool success = status >= 200 && status < 300;
  if (success && !body.rpc && body.fatal.empty())
    return {fetch_outcome::ok, {}, body.row_errors};
  if (!success || body.rpc)
    return classify_error(status, body.rpc, target);
  return {fetch_outcome::bad_payload, "bad payload on " + target + ": " + body.fatal};
}

verdict judge(self_ptr self, const request& req, const messages::http_reply& reply) {
  const auto failure = static_cast<net::failure>(reply.failure);
  if (failure == net::failure::rate_limited)
    return {fetch_outcome::rate_limited, reply.failure_message + " on " + req.target};
  if (failure != net::failure::none)
    return {fetch_outcome::network_failure, net::to_string(failure)
                                              + (reply.failure_message.empty() ? "" : ": " + reply.failure_message)
                                              + " on " + req.target};
  const bool success = reply.status >= 200 && reply.status < 300;
  decoded_body body;
  if (success)
    body = decode(self, req, reply.body);
  else
    body.rpc = codec::decode_rpc_error(reply.body);
  return classify(reply.status, body, req.target);
}

// Quits with the outcome's error; the supervisor restarts the fetcher.
void stop_fetcher(self_ptr self, const verdict& v, const caf::optional<int64_t>& retry_after_seconds) {
  const auto code = messages::info(v.outcome).code;
  log_at(self, log_level::warn, "fetcher stopping: " + messages::to_string(code) + ": " + v.detail);
  if (v.outcome == fetch_outcome::rate_limited)
    self->quit(caf::make_error(code, retry_after_seconds ? *retry_after_seconds : int64_t{-1}, v.detail));
  else
    self->quit(caf::make_error(code, v.detail));
}

void accept(self_ptr self, const request& req, const verdict& v) {
  auto& p = self->state.progress[req.currency];
  if (req.kind != request_kind::instruments)
    p.bad_rows += v.row_errors;
  if (v.row_errors > 0)
    log_at(self, log_level::debug, std::to_string(v.row_errors) + " rows skipped in " + req.target);
  maybe_send_chain(self, req.currency);
  check_cycle_end(self);
}

// A DVOL answer other than a rate limit goes to the cache; a failed one with its reason (a warning, no stop).
void on_dvol_verdict(self_ptr self, const request& req, const verdict& v) {
  if (v.outcome == fetch_outcome::ok)
    return settle_dvol(self, req, {});
  log_at(self, log_level::warn,
         "DVOL for " + self->state.deps.currencies[req.currency].name + " failed: " + v.detail);
  // The verdict names the target; the reason, kept with DVOL in the cache, names only what went wrong.
  auto what = v.detail;
  if (auto at = what.find(" on " + req.target); at != std::string::npos)
    what.erase(at, 4 + req.target.size());
  settle_dvol(self, req, v.outcome == fetch_outcome::bad_payload ? what : "request failed: " + what);
}

// The request of a reply, taken out of the in-flight table; none for a reply of an earlier cycle.
std::optional<request> take_request(self_ptr self, uint64_t id) {
  auto& st = self->state;
  auto it = st.in_flight.find(id);
  if (it == st.in_flight.end() || it->second.cycle != st.cycle) {
    ++st.deps.stats->stale_replies;
    return std::nullopt;
  }
  auto req = std::move(it->second);
  st.in_flight.erase(it);
  return req;
}

void on_reply(self_ptr self, const messages::http_reply& reply) {
  const auto req = take_request(self, reply.request_id);
  if (!req)
    return;
  if (static_cast<net::failure>(reply.failure) == net::failure::cancelled) {
    log_at(self, log_level::debug, "request cancelled: " + req->target);
    give_up_request(self, *req);
    return;
  }
  const auto v = judge(self, *req, reply);
  ++(*self->state.deps.stats)[v.outcome];
  if (req->kind == request_kind::dvol && v.outcome != fetch_outcome::rate_limited)
    return on_dvol_verdict(self, *req, v);
  if (messages::info(v.outcome).stops_fetcher)
    return stop_fetcher(self, v, reply.retry_after_seconds);
  if (v.outcome == fetch_outcome::ok)
    return accept(self, *req, v);
  log_at(self, log_level::error, v.outcome == fetch_outcome::request_error ? "request error: " + v.detail : v.detail);
  give_up_request(self, *req);
}

fetcher_impl::behavior_type fetcher(self_ptr self, deribit_fetcher_deps deps) {
  auto& st = self->state;
  st.deps = std::move(deps);
  const auto starts = st.deps.stats->starts++;
  if (starts == 0)
    log_at(self, log_level::info,
           "📡 Derivatives Cache Monitor started (interval: " +
             std::to_string(std::chrono::duration_cast<std::chrono::seconds>(st.deps.interval).count()) + "s)");
  else
    log_at(self, log_level::info, "fetcher restarted (start " + std::to_string(starts + 1) + ")");
  self->send(self, caf::tick_atom::value);
  return {
    [self](caf::tick_atom) {
      start_cycle(self);
      self->delayed_send(self, self->state.deps.interval, caf::tick_atom::value);
    },
    [self](messages::refresh_atom) {
      if (self->state.running) {
        log_at(self, log_level::debug, "refresh ignored: a fetch cycle is running");
        return;
      }
      start_cycle(self);
    },
    [self](const messages::http_reply& reply) { on_reply(self, reply); },
    [self](dispatch_atom) {
      self->state.dispatch_armed = false;
      pump(self);
    },
  };
}

} // namespace

messages::deribit_fetcher_actor make_deribit_fetcher(caf::actor_system& sys, deribit_fetcher_deps deps) {
  if (!deps.book_bucket)
    deps.book_bucket = std::make_shared<runtime::token_bucket>(5.0, 5.0);
  if (!deps.instruments_bucket)
    deps.instruments_bucket = std::make_shared<runtime::token_bucket>(0.1, 5.0);
  if (!deps.instruments)
    deps.instruments = std::make_shared<runtime::instrument_cache>();
  if (!deps.stats)
    deps.stats = std::make_shared<runtime::fetch_stats>();
  if (!deps.wall_clock)
    deps.wall_clock = [] { return caf::make_timestamp(); };
  fetcher_impl impl = sys.spawn(fetcher, std::move(deps));
  return impl;
}

} // namespace derivcache::actors
