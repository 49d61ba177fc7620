// The engine: wiring and clean shutdown.
#include "actors/engine.hpp"

#include "actors/calculator.hpp"
#include "actors/deribit_fetcher.hpp"
#include "actors/feature_collector.hpp"
#include "actors/fetch_supervisor.hpp"
#include "actors/introspection.hpp"
#include "actors/metrics.hpp"
#include "actors/store_keeper.hpp"
#include "codec/deribit.hpp"
#include "codec/json_writer.hpp"
#include "configuration/url.hpp"
#include "configuration/validate.hpp"
#include "messages/errors.hpp"
#include "net/tls.hpp"
#include "quant/currency.hpp"
#include "runtime/descriptors.hpp"
#include "runtime/duration_text.hpp"
#include "runtime/instrument_cache.hpp"
#include "runtime/metrics_http.hpp"
#include "runtime/snapshot_sink.hpp"
#include "runtime/token_bucket.hpp"

#include <caf/all.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <future>
#include <optional>
#include <thread>

namespace derivcache::actors {

struct engine::io_runner {
  boost::asio::io_context ioc;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard;
  std::thread thread;
  std::future<void> ran_out;   ///< ready once run() has returned
};

namespace {

void start_io(engine::io_runner& io) {
  io.guard.emplace(io.ioc.get_executor());
  std::packaged_task<void()> run{[ctx = &io.ioc] { ctx->run(); }};
  io.ran_out = run.get_future();
  io.thread = std::thread{std::move(run)};
}

/// Lets the I/O thread finish what is under way (close handshakes, cancelled requests) until `deadline`,
/// then stops it.
void stop_io(engine::io_runner& io, std::chrono::steady_clock::time_point deadline) {
  io.guard.reset();
  if (io.ran_out.valid() && io.ran_out.wait_until(deadline) != std::future_status::ready)
    io.ioc.stop();
  if (io.thread.joinable())
    io.thread.join();
}

/// Sends `hdl` an exit and waits until it has terminated or `deadline` has passed. False on the deadline.
template <class Handle>
bool stop_and_wait(caf::scoped_actor& self, const Handle& hdl, std::chrono::steady_clock::time_point deadline) {
  if (!hdl)
    return true;
  auto a = caf::actor_cast<caf::actor>(hdl);
  self->monitor(a);
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  bool down = false, late = false;
  while (!down && !late) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    self->receive([&](caf::down_msg& dm) { down = dm.source == a.address(); },
                  caf::after(std::max(left, std::chrono::milliseconds{0})) >> [&] { late = true; });
  }
  return down;
}

} // namespace

engine::engine() = default;

engine::~engine() { stop(); }

void engine::stop() {
  if (stopped_)
    return;
  stopped_ = true;
  const auto deadline = std::chrono::steady_clock::now() + stop_deadline;
  // 1. Stop accepting: no new scrape, introspection peer or capture from outside.
  if (metrics_server)
    metrics_server->stop();
  if (introspection_guard)
    introspection_guard->stop();
  introspection.stop();
  // 2. No new fetch cycle, and the requests under way are cancelled.
  if (supervisor)
    caf::anon_send_exit(supervisor, caf::exit_reason::user_shutdown);
  if (http)
    http->shutdown();
  std::vector<std::string> late;
  if (system) {
    caf::scoped_actor self{*system};
    // 3. The feed closes its WebSockets with 1000 (the I/O thread still runs: the close frames go out).
    if (!stop_and_wait(self, binance_feed, deadline))
      late.emplace_back("binance feed");
    // 4. The collector hands its closed bars to the store, behind which the store's exit arrives: it writes
    //    them and every accepted record before it stops.
    if (!stop_and_wait(self, feature_collector, deadline))
      late.emplace_back("feature collector");
    if (!stop_and_wait(self, store, deadline))
      late.emplace_back("store");
  }
  // 5. The I/O thread finishes the close handshakes, then ends.
  if (io)
    stop_io(*io, deadline);
  metrics_server.reset();
  for (const auto& hdl : {caf::actor_cast<caf::actor>(metrics_endpoint), caf::actor_cast<caf::actor>(binance_feed),
                          caf::actor_cast<caf::actor>(feature_collector), caf::actor_cast<caf::actor>(store),
                          caf::actor_cast<caf::actor>(basis_calculator), caf::actor_cast<caf::actor>(skew_calculator),
                          caf::actor_cast<caf::actor>(cache)})
    if (hdl)
      caf::anon_send_exit(hdl, caf::exit_reason::user_shutdown);
  if (!log)
    return;
  if (!late.empty()) {
    std::string names;
    for (const auto& n : late)
      names += (names.empty() ? "" : ", ") + n;
    log->warn("stop: " + names + " not done within " + runtime::seconds_text(stop_deadline) + "; stopped anyway");
  }
  log->info("derivcache engine stopped");
}

namespace {

using configuration::engine_config;

// The origin validate() accepted.
configuration::url origin(const std::string& text) {
  std::string ignored;
  return configuration::parse_url(text, ignored).value_or(configuration::url{});
}

// The feature collector (and, given a connection factory, the feed) for binance.symbols.
void start_spot(caf::actor_system& sys, const engine_config& cfg, const engine_hooks& hooks, engine& e) {
  const auto& spot = cfg.binance;
  if (spot.symbols.empty())
    return;
  feature_collector_deps fc;
  fc.symbols = spot.symbols;
  fc.currency_overrides = spot.symbol_currencies;
  fc.cache = e.cache;
  fc.stale_after = spot.stale_after;
  fc.derivatives_max_age = configuration::cache_max_age(cfg);
  if (e.snapshots) {
    if (e.snapshots->repaired_bytes() > 0)
      e.log->warn("snapshots: cut a torn last line (" + std::to_string(e.snapshots->repaired_bytes()) +
                  " bytes) from " + cfg.snapshots.path);
    fc.sink = e.snapshots;
  }
  if (e.snapshots || (e.store && cfg.snapshots.record))
    fc.snapshot_interval = cfg.snapshots.interval;
  fc.store = e.store;
  fc.record_periodic = cfg.snapshots.record;
  fc.log = e.log;
  e.feature_collector = make_feature_collector(sys, std::move(fc));
  if (!hooks.binance_connect)
    return;
  binance_feed_deps feed;
  feed.connect = hooks.binance_connect;
  const auto url = origin(spot.url);
  feed.options.host = url.host;
  feed.options.port = url.port;
  feed.options.ca_file = spot.ca_file;
  feed.options.handshake_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(spot.timeout);
  feed.symbols = spot.symbols;
  feed.collector = e.feature_collector;
  feed.min_backoff = spot.min_backoff;
  feed.max_backoff = spot.max_backoff;
  feed.stale_after = spot.stale_after;
  feed.max_queued_trades = static_cast<std::size_t>(spot.max_queued_trades);
  feed.uniform01 = hooks.uniform01;
  feed.log = e.log;
  e.binance_feed = make_binance_feed(sys, std::move(feed));
}

// Plain BASP goes through a guard on the I/O thread (CAF 0.17 caps neither connections nor payloads): CAF
// publishes on an ephemeral loopback port and the guard listens where the configuration says.
bool guard_introspection(const configuration::introspection_settings& in, boost::asio::io_context& ioc, engine& e,
                         introspection_deps& deps) {
  net::basp_guard_options options;
  options.host = in.host;
  options.port = static_cast<unsigned short>(in.port);
  options.max_connections = static_cast<std::size_t>(in.max_connections);
  options.max_payload = static_cast<uint64_t>(in.max_payload);
  options.handshake_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(in.handshake_timeout);
  std::string error;
  auto guard = net::make_basp_guard(ioc, std::move(options), error);
  if (!guard) {
    e.log->error("introspection: cannot listen: " + error);
    return false;
  }
  e.introspection_guard = guard;
  deps.host = "127.0.0.1";
  deps.port = 0;
  // Weak: the actor may outlive the engine, and the guard must not outlive the io_context.
  deps.front = [weak = std::weak_ptr<net::basp_guard>{guard}, where = in.host + ":" + std::to_string(guard->port())](
                 uint16_t bound) {
    if (auto g = weak.lock())
      g->forward_to(bound);
    return where;
  };
  return true;
}

void start_introspection(caf::actor_system& sys, const engine_config& cfg, engine& e, boost::asio::io_context* ioc) {
  introspection_deps deps;
  deps.cache = e.cache;
  deps.supervisor = e.supervisor;
  deps.feed = e.binance_feed;
  deps.collector = e.feature_collector;
  deps.store = e.store;
  deps.watched = {{"fetch_supervisor", caf::actor_cast<caf::actor>(e.supervisor)},
                  {"basis_calculator", caf::actor_cast<caf::actor>(e.basis_calculator)},
                  {"skew_calculator", caf::actor_cast<caf::actor>(e.skew_calculator)},
                  {"cache_holder", caf::actor_cast<caf::actor>(e.cache)}};
  if (e.binance_feed)
    deps.watched.emplace_back("binance_feed", caf::actor_cast<caf::actor>(e.binance_feed));
  if (e.feature_collector)
    deps.watched.emplace_back("feature_collector", caf::actor_cast<caf::actor>(e.feature_collector));
  if (e.store)
    deps.watched.emplace_back("store_keeper", caf::actor_cast<caf::actor>(e.store));
  const auto& in = cfg.introspection;
  auto& st = deps.status;
  st.version = DERIVCACHE_VERSION;
  st.started = caf::make_timestamp();
  st.currencies = cfg.deribit.currencies;
  st.deribit_url = cfg.deribit.url;
  st.interval = cfg.deribit.interval;
  st.symbols = cfg.binance.symbols;
  st.allow_control = in.allow_control;
  st.allow_record = in.allow_record;
  st.max_subscribers = static_cast<uint32_t>(in.max_subscribers);
  deps.log = e.log;
  deps.port = static_cast<int>(in.port);
  deps.host = in.host;
  deps.tls = in.tls();
  if (in.port >= 0 && !deps.tls && ioc && !guard_introspection(in, *ioc, e, deps))
    deps.port = -1;
  // CAF 0.17 lets any connected node message the registry's named actors: ConfigServ reads and writes
  // configuration values, SpawnServ spawns registered actor types. A published engine needs neither.
  if (deps.port >= 0) {
    sys.registry().erase(caf::atom("ConfigServ"));
    sys.registry().erase(caf::atom("SpawnServ"));
  }
  e.introspection = make_introspection(sys, std::move(deps));
}

// /metrics, /healthz and /snapshot on the engine's I/O thread.
bool start_metrics(caf::actor_system& sys, const configuration::engine_config& cfg, engine& e, boost::asio::io_context& ioc,
                   std::string& error) {
  metrics_endpoint_deps deps;
  deps.cache = e.cache;
  deps.supervisor = e.supervisor;
  deps.fetch_counters = e.fetch_counters;
  deps.store = e.store_counters;
  deps.request_latency = e.request_latency;
  deps.health.currencies = cfg.deribit.currencies;
  deps.health.feed_stale_after = cfg.binance.stale_after;
  deps.log = e.log;
  if (auto feed = e.binance_feed) {
    deps.feed = [feed, collector = e.feature_collector](messages::metrics_endpoint_actor::pointer self,
                                                        std::function<void(runtime::feed_metrics)> done) {
      self->request(feed, std::chrono::seconds{2}, caf::get_atom::value, messages::status_atom::value)
        .then(
          [self, collector, done](const messages::feed_status& s) {
            runtime::feed_metrics m;
            m.enabled = true;
            m.connected = s.connected;
            m.messages = s.agg_trades + s.book_tickers;
            m.reconnects = s.reconnects;
            m.trades_dropped = s.trades_dropped;
            m.tickers_conflated = s.tickers_conflated;
            m.queued_trades = s.queued_trades;
            if (s.last_data)
              m.data_age = caf::make_timestamp() - *s.last_data;
            if (!collector)
              return done(m);
            // The collector's counts of bad input; without an answer the feed's counts still go out.
            self->request(collector, std::chrono::seconds{2}, caf::get_atom::value, messages::status_atom::value)
              .then(
                [done, m](const messages::spot_counts& c) mutable {
                  m.bad_time = c.bad_time;
                  m.bad_id = c.bad_id;
                  m.trades_late = c.trades_late;
                  done(m);
                },
                [done, m](const caf::error&) { done(m); });
          },
          [done](const caf::error&) {
            runtime::feed_metrics m;
            m.enabled = true;
            done(m);
          });
    };
  }
  if (auto collector = e.feature_collector) {
    deps.snapshots = [collector](messages::metrics_endpoint_actor::pointer self, const std::string& symbol,
                                 std::function<void(unsigned, std::string)> done) {
      self->request(collector, std::chrono::seconds{2}, messages::capture_atom::value, symbol)
        .then([done](const messages::feature_snapshot& s) { done(200, runtime::snapshot_json(s)); },
              [done](const caf::error& err) {
                codec::json_writer w;
                w.begin_object().field("error", messages::render(err)).end_object();
                done(404, w.str());
              });
    };
  }
  if (e.introspection_guard)
    deps.introspection = [stats = e.introspection_guard->stats()] {
      return runtime::introspection_metrics{stats->accepted, stats->refused_over_cap, stats->closed_oversized,
                                            stats->closed_handshake_timeout};
    };
  if (cfg.introspection.port >= 0)
    deps.gateway = e.introspection.stats();
  e.metrics_endpoint = make_metrics_endpoint(sys, std::move(deps));
  net::http_server_options options;
  options.host = cfg.metrics.host;
  options.port = static_cast<unsigned short>(cfg.metrics.port);
  e.metrics_server = net::make_http_server(ioc, options, runtime::metrics_http_handler(e.metrics_endpoint), error);
  if (!e.metrics_server) {
    error = "metrics: " + error;
    return false;
  }
  e.metrics_port = e.metrics_server->port();
  e.log->info("metrics listening on " + cfg.metrics.host + ":" + std::to_string(e.metrics_port));
  return true;
}

// The store and the snapshot file, opened before any actor starts; false with `error` when one cannot be.
bool open_outputs(const engine_config& cfg, engine& e, std::shared_ptr<store::feature_store>& feature_store,
                  std::string& error) {
  if (!cfg.store.path.empty()) {
    store::store_options options;
    options.path = cfg.store.path;
    options.horizons_s.clear();
    for (auto h : cfg.outcomes.horizons)
      options.horizons_s.push_back(std::chrono::duration_cast<std::chrono::seconds>(h).count());
    options.max_gap_s = std::chrono::duration_cast<std::chrono::seconds>(cfg.outcomes.max_gap).count();
    options.busy_timeout_ms =
      static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(cfg.store.busy_timeout).count());
    options.bar_retention_s = std::chrono::duration_cast<std::chrono::seconds>(cfg.store.retention).count();
    options.snapshot_retention_s = std::chrono::duration_cast<std::chrono::seconds>(cfg.store.snapshot_retention).count();
    try {
      feature_store = std::make_shared<store::feature_store>(std::move(options));
    } catch (const std::exception& ex) {
      error = std::string{"store.path: "} + ex.what();
      return false;
    }
  }
  const auto& snap = cfg.snapshots;
  if (!cfg.binance.symbols.empty() && snap.interval > caf::timespan{0} && !snap.path.empty()) {
    runtime::snapshot_sink_options sink;
    sink.max_file_size = static_cast<uint64_t>(snap.max_file_size);
    sink.fsync = runtime::parse_fsync_policy(snap.fsync).value_or(runtime::fsync_policy::rotate);   // validate() checked it
    e.snapshots = runtime::snapshot_sink::open(snap.path, error, std::move(sink));
    if (!e.snapshots) {
      error = "snapshots: " + error;
      return false;
    }
  }
  return true;
}

// The cache, the calculators and the store keeper.
void start_core(caf::actor_system& sys, const engine_config& cfg, engine& e,
                std::shared_ptr<store::feature_store> feature_store) {
  cache_holder_deps cache_deps;
  cache_deps.max_age = configuration::cache_max_age(cfg);
  cache_deps.log = e.log;
  cache_deps.stats = e.cache_counters;
  e.cache = make_cache_holder(sys, cache_deps);
  const auto& t = cfg.thresholds;
  basis_calculation basis{t.basis, cfg.deribit.min_dte, {cfg.basis.tenors}};
  skew_calculation skew{t.skew, cfg.skew.tenor, cfg.skew.delta, {}, {}};
  skew.surface.tenors_days = cfg.surface.tenors;
  skew.surface.deltas = cfg.surface.deltas;
  skew.mfiv.tenor_days = cfg.mfiv.tenor;
  e.basis_calculator = make_calculator(sys, {e.cache, basis, e.log});
  e.skew_calculator = make_calculator(sys, {e.cache, skew, e.log});
  if (feature_store) {
    store_keeper_deps keeper;
    keeper.store = std::move(feature_store);
    keeper.reap_interval = cfg.store.reap_interval;
    keeper.maintenance_interval = cfg.store.maintenance_interval;
    keeper.max_pending_bars = static_cast<std::size_t>(cfg.store.max_pending_bars);
    keeper.stats = e.store_counters = std::make_shared<runtime::store_stats>();
    keeper.log = e.log;
    e.store = make_store_keeper(sys, std::move(keeper));
    e.log->info("store: " + cfg.store.path);
  }
}

// The fetcher under its supervisor.
void start_fetching(caf::actor_system& sys, const engine_config& cfg, const engine_hooks& hooks, engine& e) {
  const auto& d = cfg.deribit;
  deribit_fetcher_deps fetch;
  fetch.http = e.http;
  for (const auto& name : d.currencies)
    fetch.currencies.push_back(*quant::find_currency(name));   // validate() checked every name
  fetch.calculators = {e.basis_calculator, e.skew_calculator};
  fetch.cache = e.cache;
  fetch.interval = d.interval;
  fetch.instruments_interval = d.instruments_interval;
  fetch.path_prefix = origin(d.url).prefix + "/api/v2";
  fetch.book_bucket = std::make_shared<runtime::token_bucket>(d.max_requests_per_second, d.max_requests_per_second);
  fetch.instruments_bucket = std::make_shared<runtime::token_bucket>(d.instruments_requests_per_second, d.instruments_burst);
  fetch.instruments = std::make_shared<runtime::instrument_cache>();
  fetch.stats = e.fetch_counters;
  e.request_latency = std::make_shared<runtime::latency_histogram>();
  fetch.request_latency = e.request_latency;
  fetch.log = e.log;

  fetch_supervisor_deps sup;
  sup.spawn_fetcher = [fetch](caf::actor_system& s, messages::fetch_supervisor_actor supervisor) {
    auto deps = fetch;
    deps.supervisor = std::move(supervisor);
    return make_deribit_fetcher(s, std::move(deps));
  };
  const auto& backoff = cfg.supervisor;
  sup.backoff = {backoff.min_backoff, backoff.rate_limit_min_backoff, backoff.max_backoff};
  sup.max_failures = static_cast<uint32_t>(backoff.max_failures);
  sup.uniform01 = hooks.uniform01;
  sup.log = e.log;
  e.supervisor = make_fetch_supervisor(sys, std::move(sup));
}

// CAF's openssl module loads the identity on the first connection (and aborts there when it is wrong, or
// prompts on the terminal for an encrypted key): load it once now, refusing to start with the reason.
bool check_introspection_identity(const configuration::introspection_settings& in, std::string& error) {
  if (in.port < 0 || !in.tls())
    return true;
  using file = net::tls_identity_problem::file;
  const auto problem = net::check_tls_identity(in.tls_cert, in.tls_key, in.tls_ca);
  if (problem.which == file::none)
    return true;
  error = (problem.which == file::certificate ? "introspection.tls-cert: "
           : problem.which == file::key       ? "introspection.tls-key: "
                                              : "introspection.tls-ca: ") +
          problem.message;
  return false;
}

// The listeners' connections must leave runtime::descriptor_reserve free, or a crowd of idle peers could
// make the exchange connections fail with "too many open files". A plain introspection connection costs
// three descriptors (the peer's, the guard's upstream and CAF's end of that), a metrics connection one.
bool check_descriptors(const engine_config& cfg, std::string& error) {
  const uint64_t limit = runtime::raise_descriptor_limit();
  const auto& in = cfg.introspection;
  const uint64_t introspection = in.port >= 0 && !in.tls() ? 3 * static_cast<uint64_t>(in.max_connections) : 0;
  const uint64_t metrics = cfg.metrics.port >= 0 ? net::http_server_options{}.max_connections : 0;
  const uint64_t needed = runtime::descriptor_reserve + introspection + metrics;
  if (limit == 0 || needed <= limit)
    return true;
  error = (introspection > 0 ? "introspection.max-connections: " + std::to_string(in.max_connections) + " connections need "
                             : std::string{"the engine needs "}) +
          std::to_string(needed) + " file descriptors with its reserve of " +
          std::to_string(runtime::descriptor_reserve) + ", and this process may open " + std::to_string(limit) +
          " (ulimit -n): lower introspection.max-connections or raise the limit";
  return false;
}

// Every actor, talking to Deribit through `hooks.http`.
// With `ioc` (the engine's own I/O thread) the introspection port is guarded.
std::unique_ptr<engine> start_actors(caf::actor_system& sys, const engine_config& cfg, const engine_hooks& hooks,
                                     std::string& error, boost::asio::io_context* ioc = nullptr) {
  auto e = std::make_unique<engine>();
  e->system = &sys;
  std::shared_ptr<store::feature_store> feature_store;
  if (!open_outputs(cfg, *e, feature_store, error))
    return nullptr;
  e->http = hooks.http;
  auto level = runtime::parse_log_level(cfg.log.level);   // validate() checked it
  e->log = std::make_shared<runtime::logger>(level.value_or(runtime::log_level::info), cfg.log.tag, hooks.log_sink);
  e->fetch_counters = std::make_shared<runtime::fetch_stats>();
  e->cache_counters = std::make_shared<runtime::cache_stats>();
  start_core(sys, cfg, *e, std::move(feature_store));
  start_fetching(sys, cfg, hooks, *e);
  start_spot(sys, cfg, hooks, *e);
  start_introspection(sys, cfg, *e, ioc);
  return e;
}

} // namespace

std::unique_ptr<engine> start_engine(caf::actor_system& sys, const engine_config& cfg, std::string& error,
                                     engine_hooks hooks) {
  if (auto problems = configuration::validate(cfg); !problems.empty()) {
    error = configuration::to_string(problems);
    return nullptr;
  }
  if (!check_introspection_identity(cfg.introspection, error) || !check_descriptors(cfg, error))
    return nullptr;
  if (hooks.http)
    return start_actors(sys, cfg, hooks, error);
  auto io = std::make_shared<engine::io_runner>();
  net::https_options options;
  const auto url = origin(cfg.deribit.url);
  options.host = url.host;
  options.port = url.port;
  options.ca_file = cfg.deribit.ca_file;
  options.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.deribit.timeout);
  options.max_body = static_cast<std::size_t>(cfg.deribit.max_body);
  options.gzip = cfg.deribit.compression == "gzip";
  options.is_rate_limit = [](const net::http_response& r) { return codec::is_rate_limit_reply(r.status, r.body); };
  auto client = net::make_https_client(io->ioc, options, error);
  if (!client)
    return nullptr;
  // The fetcher's state may release the client after the engine is gone, on a CAF thread: the client then
  // keeps the io_context alive, so its connections' timers never outlive their service (ASan: use-after-free).
  hooks.http = {client.get(), [client, io](net::http_client*) mutable { client.reset(); }};
  start_io(*io);
  if (!hooks.binance_connect)
    hooks.binance_connect = [io](net::ws_options o, net::ws_callbacks cb, std::string& err) {
      return net::make_wss_connection(io->ioc, std::move(o), std::move(cb), err);
    };
  auto e = start_actors(sys, cfg, hooks, error, &io->ioc);
  if (e && cfg.metrics.port >= 0 && !start_metrics(sys, cfg, *e, io->ioc, error))
    e.reset();   // its destructor stops the actors; the I/O thread is ours to stop below
  if (!e) {
    hooks.http->shutdown();
    stop_io(*io, std::chrono::steady_clock::now());
    return nullptr;
  }
  e->io = std::move(io);
  return e;
}

} // namespace derivcache::actors
