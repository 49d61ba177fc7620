// The feature collector actor.
#include "actors/feature_collector.hpp"

#include "messages/convert.hpp"
#include "messages/errors.hpp"
#include "quant/currency.hpp"
#include "quant/outcomes.hpp"
#include "quant/rolling_features.hpp"
#include "quant/spot_gate.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <cctype>
#include <optional>

namespace derivcache::actors {

namespace {

using clock_point = caf::actor_clock::time_point;
using namespace std::chrono_literals;

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

struct symbol_entry {
  std::string currency;
  quant::rolling_features features{300s};
  caf::optional<messages::spot_trade> last_trade;   ///< the latest accepted trade
  clock_point trade_arrived{};
  quant::trade_gate trade_gate;                     ///< sane times, ids in sequence, repeats after a handover
  quant::sequence_gate book_gate;                   ///< bookTicker update ids
  caf::optional<messages::spot_ticker> ticker;
  clock_point ticker_arrived{};
  std::optional<messages::spot_bar> bar;            ///< the open second
  std::vector<messages::spot_bar> closed;           ///< closed seconds not yet sent to the store
};

struct derivatives_entry {
  messages::derivatives_view view;
  clock_point arrived{};
};

struct collector_state {
  feature_collector_deps deps;
  std::map<std::string, symbol_entry> symbols;
  std::map<std::string, derivatives_entry> derivatives;
  messages::spot_counts counts;
  std::string first_bad;   ///< of the current batch: logged once per burst of bad input
  uint64_t bad_in_batch = 0;
  bool in_bad_burst = false;
  bool sink_failed = false;
};

using self_ptr = messages::feature_collector_actor::stateful_pointer<collector_state>;

messages::window_features to_message(const quant::window_stats& s) {
  messages::window_features w;
  w.window_seconds = s.window_seconds;
  w.taker_buy_volume = s.taker_buy_volume;
  w.taker_sell_volume = s.taker_sell_volume;
  w.trade_count = s.trade_count;
  w.vwap = messages::to_caf(s.vwap);
  w.taker_imbalance = messages::to_caf(s.taker_imbalance);
  w.realized_vol_pct = messages::to_caf(s.realized_vol_pct);
  w.returns = s.returns;
  w.missing_trades = s.missing_trades;
  return w;
}

messages::input_status status_of(caf::timespan age, caf::optional<caf::timespan> lag, caf::timespan max_age) {
  messages::input_status s;
  s.state = age > max_age ? messages::input_state::stale : messages::input_state::fresh;
  s.age = age;
  s.lag = lag;
  return s;
}

messages::feature_snapshot capture(self_ptr self, const std::string& symbol, const symbol_entry& e) {
  auto& st = self->state;
  const auto now = self->clock().now();
  messages::feature_snapshot s;
  s.time = st.deps.wall_clock();
  s.symbol = symbol;
  s.currency = e.currency;
  s.last_price = messages::to_caf(e.features.last_price());
  s.window_1m = to_message(e.features.stats(60s));
  s.window_5m = to_message(e.features.stats(300s));
  if (e.last_trade)
    s.trade = status_of(now - e.trade_arrived, e.last_trade->received - e.last_trade->event_time, st.deps.stale_after);
  if (e.ticker) {
    const auto& t = *e.ticker;
    s.best_bid = t.bid_price;
    s.best_bid_quantity = t.bid_quantity;
    s.best_ask = t.ask_price;
    s.best_ask_quantity = t.ask_quantity;
    if (t.bid_price > 0 && t.ask_price > 0) {
      const double mid = (t.bid_price + t.ask_price) / 2;
      s.mid = mid;
      s.spread_bps = (t.ask_price - t.bid_price) / mid * 1e4;
    }
    s.book = status_of(now - e.ticker_arrived, caf::none, st.deps.stale_after);   // spot bookTicker has no E
  }
  auto d = st.derivatives.find(e.currency);
  if (d != st.derivatives.end()) {
    const auto& v = d->second.view;
    const auto since = now - d->second.arrived;
    s.dvol = v.dvol;
    if (v.basis) {
      s.futures_basis_apr = v.basis->apr_pct;
      s.basis = status_of(v.basis_age + since, v.basis_lag, st.deps.derivatives_max_age);
      s.basis_last_state = v.basis_last_state;
      s.basis_state =
        s.basis.state == messages::input_state::stale ? quant::basis_state::stale : v.basis_last_state;
      s.basis_cm = v.basis->constant_maturity;
    }
    if (v.skew) {
      s.options_skew = v.skew->skew_pct;
      if (v.skew->skew_pct) {
        s.atm_iv = v.skew->atm_iv;
        s.butterfly = v.skew->butterfly25;
      }
      s.skew = status_of(v.skew_age + since, v.skew_lag, st.deps.derivatives_max_age);
      s.skew_last_state = v.skew_last_state;
      s.skew_state = s.skew.state == messages::input_state::stale ? quant::skew_state::stale : v.skew_last_state;
      s.surface = v.skew->surface;
      s.mfiv = v.skew->mfiv;
    }
  }
  return s;
}

int64_t unix_second(caf::timestamp t) {
  return quant::floor_second(std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}

// Data of `second` arrived: a later second closes the open bar; an earlier one (a late trade, or a ticker
// stamped by the local clock a little behind the exchange's) counts in the open bar.
messages::spot_bar& bar_at(symbol_entry& e, int64_t second) {
  if (!e.bar || second > e.bar->second) {
    if (e.bar)
      e.closed.push_back(*e.bar);
    e.bar = messages::spot_bar{};
    e.bar->second = second;
  }
  return *e.bar;
}

void add_trade(messages::spot_bar& b, double price, double quantity, int64_t trades) {
  if (b.trades == 0) {
    b.open = b.high = b.low = price;
  } else {
    b.high = std::max(b.high, price);
    b.low = std::min(b.low, price);
  }
  b.close = price;
  b.volume += quantity;
  b.trades += trades;
}

void send_closed_bars(self_ptr self) {
  auto& st = self->state;
  if (!st.deps.store)
    return;
  for (auto& [symbol, e] : st.symbols)
    if (!e.closed.empty()) {
      self->send(st.deps.store, messages::bar_batch{symbol, std::move(e.closed)});
      e.closed.clear();
    }
}

// At a stop: the open bar of a second that has ended (by the local clock) is complete; it goes with the
// closed ones. The bar of the current second would be partial, and is left out.
void close_ended_bars(self_ptr self) {
  auto& st = self->state;
  const auto now_second = unix_second(st.deps.wall_clock());
  for (auto& [symbol, e] : st.symbols)
    if (e.bar && e.bar->second < now_second) {
      e.closed.push_back(*e.bar);
      e.bar.reset();
    }
}

std::string iso_ms(caf::timestamp t) {
  return runtime::format_utc(std::chrono::time_point_cast<std::chrono::system_clock::duration>(t));
}

void store(self_ptr self, messages::derivatives_view& v) {
  if (!v.basis && !v.skew)
    return;
  auto currency = v.currency;
  self->state.derivatives[currency] = derivatives_entry{std::move(v), self->clock().now()};
}

symbol_entry* find_symbol(collector_state& st, const std::string& symbol) {
  auto i = st.symbols.find(symbol);
  return i == st.symbols.end() ? nullptr : &i->second;
}

int64_t unix_ms(caf::timestamp t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

void note_bad(collector_state& st, const std::string& what) {
  if (st.bad_in_batch++ == 0)
    st.first_bad = what;
}

void take_trade(collector_state& st, symbol_entry& e, messages::spot_trade& t) {
  quant::trade_facts facts;
  facts.first_id = t.first_trade_id;
  facts.last_id = t.last_trade_id;
  facts.trade_time_ms = unix_ms(t.trade_time);
  facts.event_time_ms = unix_ms(t.event_time);
  facts.local_ms = unix_ms(t.received);
  const auto verdict = e.trade_gate.check(facts);
  if (verdict == quant::spot_verdict::repeat) {
    ++st.counts.trades_repeated;
    return;
  }
  if (verdict == quant::spot_verdict::time_ahead) {
    ++st.counts.bad_time;
    const auto ahead_ms = std::max(facts.trade_time_ms, facts.event_time_ms) - facts.local_ms;
    note_bad(st, t.symbol + " aggTrade l=" + std::to_string(t.last_trade_id) + ": exchange time "
                   + std::to_string(ahead_ms / 1000) + " s ahead of the local clock (limit 3600 s)");
    return;
  }
  if (verdict == quant::spot_verdict::id_out_of_sequence) {
    ++st.counts.bad_id;
    note_bad(st, t.symbol + " aggTrade f=" + std::to_string(t.first_trade_id) + " l="
                   + std::to_string(t.last_trade_id) + ": id out of sequence (last accepted "
                   + (e.trade_gate.last_id() ? std::to_string(*e.trade_gate.last_id()) : std::string{"none"}) + ")");
    return;
  }
  quant::trade_sample sample;
  sample.time_ms = facts.trade_time_ms;
  sample.price = t.price;
  sample.quantity = t.quantity;
  sample.trade_count = std::max<int64_t>(1, t.last_trade_id - t.first_trade_id + 1);
  sample.taker_buy = !t.buyer_is_maker;
  if (!e.features.add(sample)) {
    ++st.counts.trades_late;   // too old for any window: not fresh data either
    return;
  }
  ++st.counts.trades_accepted;
  if (st.deps.store)
    add_trade(bar_at(e, unix_second(t.trade_time)), t.price, t.quantity, sample.trade_count);
  e.trade_arrived = t.read_at;   // the age counts from the socket read, not from when this actor got to it
  e.last_trade = std::move(t);
}

void take_ticker(collector_state& st, symbol_entry& e, messages::spot_ticker& t) {
  if (st.deps.store)
    bar_at(e, unix_second(t.received));   // data seen in this second, even without a trade
  const auto verdict = e.book_gate.check(t.update_id, t.update_id);
  if (verdict == quant::spot_verdict::repeat)
    return;
  if (verdict != quant::spot_verdict::accepted) {
    ++st.counts.bad_id;
    note_bad(st, t.symbol + " bookTicker u=" + std::to_string(t.update_id) + ": id out of sequence (last accepted "
                   + (e.book_gate.last() ? std::to_string(*e.book_gate.last()) : std::string{"none"}) + ")");
    return;
  }
  e.ticker_arrived = t.read_at;
  e.ticker = std::move(t);
}

// Logs the first bad record of a burst (consecutive batches with bad input) and how many the batch had.
void log_bad_burst(self_ptr self) {
  auto& st = self->state;
  if (st.bad_in_batch == 0) {
    st.in_bad_burst = false;
    return;
  }
  if (!st.in_bad_burst && st.deps.log)
    st.deps.log->warn("spot: bad input dropped: " + st.first_bad
                      + (st.bad_in_batch > 1 ? " (and " + std::to_string(st.bad_in_batch - 1) + " more in this batch)" : "")
                      + "; counted in bad_time / bad_id, logged again after a clean batch");
  st.in_bad_burst = true;
  st.bad_in_batch = 0;
  st.first_bad.clear();
}

uint64_t on_spot_batch(self_ptr self, messages::spot_batch& batch) {
  auto& st = self->state;
  for (auto& t : batch.trades)
    if (auto* e = find_symbol(st, t.symbol))
      take_trade(st, *e, t);
  for (const auto& m : batch.missed)
    if (auto* e = find_symbol(st, m.symbol)) {
      e->features.mark_missing(unix_ms(m.latest_trade_time), m.trades);
      st.counts.trades_missed += static_cast<uint64_t>(m.trades);
    }
  for (auto& t : batch.tickers)
    if (auto* e = find_symbol(st, t.symbol))
      take_ticker(st, *e, t);
  log_bad_burst(self);
  send_closed_bars(self);
  return batch.trades.size() + batch.tickers.size();
}

void on_cache_contents(self_ptr self, messages::cache_contents& c) {
  for (auto& v : c.currencies)
    if (self->state.derivatives.count(v.currency) == 0)   // an update that came first is newer
      store(self, v);
}

void record_periodic(self_ptr self, const std::string& symbol, const messages::feature_snapshot& snap) {
  auto& st = self->state;
  messages::record_request req{"periodic", symbol + "@" + iso_ms(snap.time), symbol, "{}"};
  auto log = st.deps.log;
  self->request(st.deps.store, std::chrono::seconds{30}, std::move(req), snap)
    .then([](const messages::record_reply&) {},
          [log](const caf::error& err) {
            if (log)
              log->error("snapshots: cannot record: " + messages::render(err));
          });
}

void append_to_sink(self_ptr self, const messages::feature_snapshot& snap) {
  auto& st = self->state;
  std::string error;
  if (st.deps.sink->append(snap, error)) {
    st.sink_failed = false;
  } else if (!st.sink_failed) {
    st.sink_failed = true;   // log once per failure streak
    if (st.deps.log)
      st.deps.log->error("snapshots: " + error);
  }
}

void on_tick(self_ptr self) {
  auto& st = self->state;
  for (const auto& [symbol, e] : st.symbols) {
    auto snap = capture(self, symbol, e);
    if (st.deps.store && st.deps.record_periodic)
      record_periodic(self, symbol, snap);
    if (st.deps.sink)
      append_to_sink(self, snap);
  }
  self->delayed_send(self, st.deps.snapshot_interval, caf::tick_atom::value);
}

caf::result<messages::feature_snapshot> on_capture(self_ptr self, const std::string& symbol) {
  auto& st = self->state;
  auto i = st.symbols.find(upper(symbol));
  if (i == st.symbols.end()) {
    std::string known;
    for (const auto& [sym, e] : st.symbols)
      known += (known.empty() ? "" : ", ") + sym;
    return caf::make_error(messages::errc::request_error, "unknown symbol '" + symbol + "' (configured: " + known + ")");
  }
  return capture(self, i->first, i->second);
}

caf::result<messages::record_reply> on_record(self_ptr self, messages::record_request& req) {
  auto& st = self->state;
  if (!st.deps.store)
    return caf::make_error(messages::errc::request_error, std::string{"the store is off (store.path is empty)"});
  auto i = st.symbols.find(upper(req.symbol));
  if (i == st.symbols.end())
    return caf::make_error(messages::errc::request_error, "record: unknown symbol '" + req.symbol + "'");
  auto snap = capture(self, i->first, i->second);
  return self->delegate(st.deps.store, std::move(req), std::move(snap));
}

void start(self_ptr self, feature_collector_deps deps) {
  auto& st = self->state;
  st.deps = std::move(deps);
  for (const auto& sym : st.deps.symbols)
    st.symbols[upper(sym)].currency = quant::symbol_currency(sym, st.deps.currency_overrides);
  if (st.deps.cache) {
    self->send(st.deps.cache, messages::subscribe_atom::value, caf::actor_cast<messages::cache_subscriber_actor>(self));
    self->send(st.deps.cache, caf::get_atom::value);   // what the cache already holds
  }
  const bool snapshots = st.deps.sink || (st.deps.store && st.deps.record_periodic);
  if (st.deps.snapshot_interval > caf::timespan{0} && snapshots)
    self->delayed_send(self, st.deps.snapshot_interval, caf::tick_atom::value);
}

} // namespace

messages::feature_collector_actor make_feature_collector(caf::actor_system& sys, feature_collector_deps deps) {
  if (!deps.wall_clock)
    deps.wall_clock = [] { return caf::make_timestamp(); };
  return sys.spawn([deps = std::move(deps)](self_ptr self) -> messages::feature_collector_actor::behavior_type {
    start(self, deps);
    self->set_exit_handler([self](caf::exit_msg& em) {
      // The store gets every complete bar before this actor is gone (the engine stops the store after it).
      close_ended_bars(self);
      send_closed_bars(self);
      self->quit(em.reason);
    });
    return {
      [self](messages::spot_batch& batch) { return on_spot_batch(self, batch); },
      [self](messages::derivatives_update& u) { store(self, u.view); },
      [self](messages::cache_contents& c) { on_cache_contents(self, c); },
      [self](caf::tick_atom) { on_tick(self); },
      [self](messages::capture_atom, const std::string& symbol) { return on_capture(self, symbol); },
      [self](messages::record_request& req) { return on_record(self, req); },
      [self](caf::get_atom, messages::status_atom) { return self->state.counts; },
    };
  });
}

} // namespace derivcache::actors
