// The Binance feed actor.
#include "actors/binance_feed.hpp"

#include "codec/binance.hpp"
#include "messages/convert.hpp"
#include "runtime/backoff.hpp"
#include "runtime/duration_text.hpp"

#include <caf/all.hpp>

#include <deque>
#include <map>
#include <optional>
#include <random>

namespace derivcache::actors {

using runtime::log_level;

namespace {

using clock_point = caf::actor_clock::time_point;

struct connection {
  uint64_t id = 0;
  std::shared_ptr<net::ws_connection> ws;
  bool open = false;
  clock_point last_data{};   ///< actor clock; the start time until data arrives
};

struct feed_state {
  binance_feed_deps deps;
  std::optional<connection> active;
  std::map<uint64_t, connection> retiring;   ///< replaced or dropped by us; closed, waiting for on_close
  uint64_t next_id = 0;
  uint64_t restart_generation = 0;
  bool started = false;
  messages::feed_status status;
  std::deque<messages::spot_trade> queued_trades;            ///< waiting for the collector
  std::map<std::string, messages::spot_ticker> queued_tickers;   ///< newest per symbol
  std::map<std::string, messages::missed_trades> missed;     ///< dropped since the last batch went out
  bool in_flight = false;                                    ///< a batch the collector has not answered yet
  bool dropping = false;                                     ///< in a burst of drops (logged once per burst)
  bool collector_failing = false;                            ///< batches refused or timed out (logged once)
};

using self_ptr = messages::binance_feed_actor::stateful_pointer<feed_state>;

void log_at(self_ptr self, log_level level, const std::string& text) {
  if (self->state.deps.log)
    self->state.deps.log->log(level, "binance: " + text);
}

void connect_now(self_ptr self);

void schedule_retry(self_ptr self) {
  auto& st = self->state;
  auto& k = st.status.consecutive_failures;
  ++k;
  const runtime::backoff_params params{st.deps.min_backoff, st.deps.min_backoff, st.deps.max_backoff};
  const auto delay =
    runtime::backoff_delay(params, k, runtime::failure_category::other, std::nullopt, st.deps.uniform01());
  st.status.next_attempt = st.deps.wall_clock() + delay;
  log_at(self, log_level::warn,
         "reconnecting in " + runtime::seconds_text(delay) + " (attempt " + std::to_string(k) + ")");
  self->delayed_send(self, delay, messages::restart_atom::value, ++st.restart_generation);
}

// Moves the active connection aside and closes it; its on_close is then expected, not a drop.
void retire_active(self_ptr self) {
  auto& st = self->state;
  if (!st.active)
    return;
  auto c = std::move(*st.active);
  st.active.reset();
  st.status.connected = false;
  c.ws->close();
  st.retiring.emplace(c.id, std::move(c));
}

// Starts a new connection now and keeps the old one running until the new one is open.
void handover(self_ptr self, const std::string& why) {
  auto& st = self->state;
  log_at(self, log_level::info, why + ": replacing the connection");
  ++st.restart_generation;   // a pending retry is superseded
  if (st.active) {
    if (st.active->open) {
      auto c = std::move(*st.active);
      st.active.reset();
      st.retiring.emplace(c.id, std::move(c));   // still delivering; closed once the new one is open
    } else {
      retire_active(self);
    }
  }
  connect_now(self);
}

void connect_now(self_ptr self) {
  auto& st = self->state;
  const auto id = ++st.next_id;
  caf::weak_actor_ptr weak{self->ctrl()};
  // The callbacks run on the I/O thread: they only build messages (a feed that has exited is not found).
  auto post = [weak](auto msg) {
    if (auto strong = weak.lock())
      caf::anon_send(caf::actor_cast<messages::binance_feed_actor>(strong), std::move(msg));
  };
  auto event = [id](messages::ws_event_kind kind) {
    messages::ws_event e;
    e.connection = id;
    e.kind = kind;
    return e;
  };
  net::ws_callbacks cb;
  cb.on_open = [post, event] { post(event(messages::ws_event_kind::opened)); };
  // Stamped here, in the read loop: what waits in the mailboxes after this counts in the ages.
  cb.on_frames = [post, id, clock = st.deps.wall_clock, read_clock = st.deps.read_clock](std::vector<std::string> frames) {
    post(messages::ws_frames{id, std::move(frames), clock(), read_clock()});
  };
  cb.on_oversized = [post, event](std::size_t bytes) {
    auto e = event(messages::ws_event_kind::oversized);
    e.bytes = bytes;
    post(std::move(e));
  };
  cb.on_ping = [post, event] { post(event(messages::ws_event_kind::ping)); };
  cb.on_close = [post, event](net::failure why, std::string message) {
    auto e = event(messages::ws_event_kind::closed);
    e.failure = static_cast<uint8_t>(why);
    e.message = net::to_string(why) + ": " + message;
    post(std::move(e));
  };
  std::string error;
  auto ws = st.deps.connect(st.deps.options, std::move(cb), error);
  if (st.started)
    ++st.status.reconnects;
  st.started = true;
  st.status.next_attempt = caf::none;
  if (!ws) {
    st.status.last_error = "connect: " + error;
    log_at(self, log_level::error, st.status.last_error);
    schedule_retry(self);
    return;
  }
  connection c;
  c.id = id;
  c.ws = ws;
  c.last_data = self->clock().now();
  st.active = std::move(c);
  ws->start();
  self->delayed_send(self, st.deps.stale_after, messages::stall_atom::value, id);
}

connection* find(self_ptr self, uint64_t id) {
  auto& st = self->state;
  if (st.active && st.active->id == id)
    return &*st.active;
  auto i = st.retiring.find(id);
  return i == st.retiring.end() ? nullptr : &i->second;
}

void on_event(self_ptr self, const messages::ws_event& e) {
  auto& st = self->state;
  auto* c = find(self, e.connection);
  if (!c)
    return;
  const bool is_active = st.active && st.active->id == e.connection;
  switch (e.kind) {
    case messages::ws_event_kind::opened:
      if (!is_active) {
        c->ws->close();   // a retired connection that finished its handshake late
        return;
      }
      c->open = true;
      st.status.connected = true;
      ++st.status.connects;
      log_at(self, log_level::info, "connected to " + st.deps.options.host + ":" + st.deps.options.port);
      for (auto& [id, old] : st.retiring)
        old.ws->close();
      self->delayed_send(self, st.deps.max_connection_age, messages::rotate_atom::value, e.connection);
      return;
    case messages::ws_event_kind::oversized:
      ++st.status.oversized;
      st.status.last_error = "frame of " + std::to_string(e.bytes) + " bytes over the size cap, skipped";
      return;
    case messages::ws_event_kind::ping:
      ++st.status.pings;   // pings say the server is alive, not that data flows: the watchdog ignores them
      return;
    case messages::ws_event_kind::closed:
      if (!is_active) {
        st.retiring.erase(e.connection);
        return;
      }
      st.active.reset();
      st.status.connected = false;
      ++st.status.drops;
      st.status.last_error = e.message;
      log_at(self, log_level::warn, "connection closed: " + e.message);
      schedule_retry(self);
      return;
  }
}

void send_queued(self_ptr self);

// A trade waits for the collector; past the bound the oldest waiting one is dropped and remembered.
void enqueue_trade(self_ptr self, messages::spot_trade&& t) {
  auto& st = self->state;
  st.queued_trades.push_back(std::move(t));
  while (st.queued_trades.size() > std::max<std::size_t>(1, st.deps.max_queued_trades)) {
    auto& old = st.queued_trades.front();
    auto& m = st.missed[old.symbol];
    m.symbol = old.symbol;
    // l - f + 1 in unsigned arithmetic: a wild range (the collector would refuse it) counts as one trade.
    const auto span = static_cast<uint64_t>(old.last_trade_id) - static_cast<uint64_t>(old.first_trade_id);
    m.trades += span < 1'000'000'000 ? static_cast<int64_t>(span) + 1 : 1;
    m.latest_trade_time = std::max(m.latest_trade_time, old.trade_time);
    ++st.status.trades_dropped;
    if (!st.dropping) {
      st.dropping = true;
      log_at(self, log_level::warn,
             "the collector is behind: " + std::to_string(st.queued_trades.size() - 1)
               + " trades wait for it; dropping the oldest (counted in trades_dropped, windows marked incomplete)");
    }
    st.queued_trades.pop_front();
  }
}

void enqueue_ticker(self_ptr self, messages::spot_ticker&& t) {
  auto& st = self->state;
  auto [it, fresh] = st.queued_tickers.try_emplace(t.symbol);
  if (!fresh)
    ++st.status.tickers_conflated;   // only the newest top of book matters
  it->second = std::move(t);
}

// Sends what waits as one batch unless the collector still works on the previous one.
void send_queued(self_ptr self) {
  auto& st = self->state;
  if (!st.deps.collector) {   // nobody to wait for
    st.queued_trades.clear();
    st.queued_tickers.clear();
    st.missed.clear();
    return;
  }
  st.status.queued_trades = st.queued_trades.size();
  if (st.in_flight)
    return;
  if (st.queued_trades.empty() && st.queued_tickers.empty() && st.missed.empty())
    return;
  messages::spot_batch batch;
  batch.trades.assign(std::make_move_iterator(st.queued_trades.begin()), std::make_move_iterator(st.queued_trades.end()));
  st.queued_trades.clear();
  for (auto& [symbol, t] : st.queued_tickers)
    batch.tickers.push_back(std::move(t));
  st.queued_tickers.clear();
  for (auto& [symbol, m] : st.missed)
    batch.missed.push_back(std::move(m));
  if (st.missed.empty())
    st.dropping = false;
  st.missed.clear();
  st.status.queued_trades = 0;
  st.in_flight = true;
  // A collector slower than stale_after per batch: its inputs are STALE by then anyway; send the next.
  self->request(st.deps.collector, st.deps.stale_after, std::move(batch))
    .then(
      [self](uint64_t) {
        self->state.in_flight = false;
        self->state.collector_failing = false;
        send_queued(self);
      },
      [self](const caf::error& err) {
        auto& s = self->state;
        s.in_flight = false;
        if (!s.collector_failing)
          log_at(self, log_level::warn, "collector did not take a batch: " + caf::to_string(err));
        s.collector_failing = true;
        send_queued(self);
      });
}

void on_frames(self_ptr self, messages::ws_frames& f) {
  auto& st = self->state;
  auto* c = find(self, f.connection);
  if (!c)
    return;
  bool data = false;
  bool shutdown = false;
  for (const auto& text : f.frames) {
    ++st.status.frames;
    auto decoded = codec::decode_binance_frame(text);
    if (!decoded.ok()) {
      ++st.status.malformed;
      st.status.last_error = "frame: " + decoded.error;
      continue;
    }
    if (auto* t = std::get_if<codec::agg_trade>(&decoded.event)) {
      ++st.status.agg_trades;
      messages::spot_trade x;
      x.symbol = std::move(t->symbol);
      x.price = t->price;
      x.quantity = t->quantity;
      x.first_trade_id = t->first_trade_id;
      x.last_trade_id = t->last_trade_id;
      x.trade_time = messages::to_caf(t->trade_time);
      x.event_time = messages::to_caf(t->event_time);
      x.buyer_is_maker = t->buyer_is_maker;
      x.received = f.received;
      x.read_at = f.read_at;
      st.status.lag = x.received - x.event_time;
      enqueue_trade(self, std::move(x));
      data = true;
    } else if (auto* b = std::get_if<codec::book_ticker>(&decoded.event)) {
      ++st.status.book_tickers;
      messages::spot_ticker x;
      x.symbol = std::move(b->symbol);
      x.update_id = b->update_id;
      x.bid_price = b->bid_price;
      x.bid_quantity = b->bid_quantity;
      x.ask_price = b->ask_price;
      x.ask_quantity = b->ask_quantity;
      x.received = f.received;
      x.read_at = f.read_at;
      enqueue_ticker(self, std::move(x));
      data = true;
    } else if (std::holds_alternative<codec::server_shutdown>(decoded.event)) {
      ++st.status.server_shutdowns;
      shutdown = true;
    } else {
      ++st.status.ignored;
    }
  }
  if (data) {
    c->last_data = self->clock().now();
    st.status.last_data = f.received;
    if (st.active && st.active->id == f.connection)
      st.status.consecutive_failures = 0;
    send_queued(self);
  }
  if (shutdown && st.active && st.active->id == f.connection)
    handover(self, "serverShutdown");
}

} // namespace

messages::binance_feed_actor make_binance_feed(caf::actor_system& sys, binance_feed_deps deps) {
  if (!deps.uniform01) {
    auto rng = std::make_shared<std::mt19937_64>(std::random_device{}());
    deps.uniform01 = [rng] { return std::uniform_real_distribution<double>{0.0, 1.0}(*rng); };
  }
  if (!deps.wall_clock)
    deps.wall_clock = [] { return caf::make_timestamp(); };
  if (!deps.read_clock)
    deps.read_clock = [&clock = sys.clock()] { return clock.now(); };   // thread-safe: read on the I/O thread
  deps.options.target = codec::binance_stream_target(deps.symbols);
  return sys.spawn([deps = std::move(deps)](self_ptr self) -> messages::binance_feed_actor::behavior_type {
    self->state.deps = deps;
    self->set_exit_handler([self](caf::exit_msg& em) {
      auto& st = self->state;
      if (st.active)
        st.active->ws->close();
      for (auto& [id, c] : st.retiring)
        c.ws->close();
      st.active.reset();
      st.retiring.clear();
      self->quit(em.reason);
    });
    connect_now(self);
    return {
      [self](messages::ws_event& e) { on_event(self, e); },
      [self](messages::ws_frames& f) { on_frames(self, f); },
      [self](messages::restart_atom, uint64_t generation) {
        if (generation == self->state.restart_generation && !self->state.active)
          connect_now(self);
      },
      [self](messages::stall_atom, uint64_t id) {
        auto& st = self->state;
        if (!st.active || st.active->id != id)
          return;
        const auto idle = self->clock().now() - st.active->last_data;
        if (idle < st.deps.stale_after) {
          self->delayed_send(self, st.deps.stale_after - idle, messages::stall_atom::value, id);
          return;
        }
        ++st.status.stalls;
        st.status.last_error = "stall: no data frame for " + runtime::seconds_text(idle);
        log_at(self, log_level::warn, st.status.last_error);
        retire_active(self);
        schedule_retry(self);
      },
      [self](messages::rotate_atom, uint64_t id) {
        auto& st = self->state;
        if (!st.active || st.active->id != id || !st.active->open)
          return;
        ++st.status.rotations;
        handover(self, "connection near the 24-hour limit");
      },
      [self](caf::get_atom, messages::status_atom) -> messages::feed_status { return self->state.status; },
    };
  });
}

} // namespace derivcache::actors
