// The engine: wiring and clean shutdown.
#include "actors/engine.hpp"

#include "actors/basis_calculator.hpp"
#include "actors/deribit_fetcher.hpp"
#include "actors/feature_collector.hpp"
#include "actors/fetch_supervisor.hpp"
#include "actors/introspection.hpp"
#include "actors/metrics.hpp"
#include "actors/skew_calculator.hpp"
#include "actors/store_keeper.hpp"
#include "codec/json_writer.hpp"
#include "messages/errors.hpp"
#include "quant/currency.hpp"
#include "runtime/instrument_cache.hpp"
#include "runtime/metrics_http.hpp"
#include "runtime/snapshot_sink.hpp"
#include "runtime/token_bucket.hpp"

#include <caf/all.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <optional>
#include <thread>

namespace derivcache::actors {

struct engine::io_runner {
  boost::asio::io_context ioc;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard;
  std::thread thread;
};

engine::engine() = default;

engine::~engine() {
  stop();
  // `io` is declared after `http`, so it would die first: the client's connections hold timers of the
  // io_context's services (ASan: heap-use-after-free in ~io_object_impl at exit). Release them before.
  http.reset();
}

void engine::stop() {
  if (stopped_)
    return;
  stopped_ = true;
  // I/O first: cancelled requests complete on the I/O thread, and the thread must be gone before the actors.
  if (metrics_server)
    metrics_server->stop();
  if (http)
    http->shutdown();
  if (io) {
    io->guard.reset();
    io->ioc.stop();
    if (io->thread.joinable())
      io->thread.join();
  }
  metrics_server.reset();
  for (const auto& hdl : {caf::actor_cast<caf::actor>(introspection), caf::actor_cast<caf::actor>(metrics_endpoint),
                          caf::actor_cast<caf::actor>(binance_feed), caf::actor_cast<caf::actor>(feature_collector),
                          caf::actor_cast<caf::actor>(store),
                          caf::actor_cast<caf::actor>(supervisor), caf::actor_cast<caf::actor>(basis_calculator),
                          caf::actor_cast<caf::actor>(skew_calculator), caf::actor_cast<caf::actor>(cache)})
    if (hdl)
      caf::anon_send_exit(hdl, caf::exit_reason::user_shutdown);
  if (log)
    log->info("derivcache engine stopped");
}

namespace {

bool validate(const engine_config& cfg, std::vector<quant::currency_spec>& specs, std::string& error) {
  if (cfg.currencies.empty()) {
    error = "no currencies configured";
    return false;
  }
  for (const auto& name : cfg.currencies) {
    auto spec = quant::find_currency(name);
    if (!spec) {
      error = "unknown currency '" + name + "' (supported: " + quant::supported_currencies() + ")";
      return false;
    }
    specs.push_back(*spec);
  }
  if (auto e = quant::validate(cfg.basis)) {
    error = "basis thresholds: " + *e;
    return false;
  }
  if (auto e = quant::validate(cfg.skew)) {
    error = "skew thresholds: " + *e;
    return false;
  }
  if (cfg.interval <= caf::timespan{0}) {
    error = "interval must be positive";
    return false;
  }
  if (!(cfg.max_requests_per_second > 0) || !(cfg.instruments_requests_per_second > 0)) {
    error = "request rates must be positive";
    return false;
  }
  if (cfg.min_backoff <= caf::timespan{0} || cfg.rate_limit_min_backoff <= caf::timespan{0} ||
      cfg.max_backoff < cfg.min_backoff || cfg.max_backoff < cfg.rate_limit_min_backoff) {
    error = "backoff: need 0 < min-backoff, rate-limit-min-backoff <= max-backoff";
    return false;
  }
  if (cfg.max_failures == 0) {
    error = "max-failures must be at least 1";
    return false;
  }
  for (const auto& sym : cfg.binance_symbols)
    if (sym.empty() || !std::all_of(sym.begin(), sym.end(), [](unsigned char c) { return std::isalnum(c); })) {
      error = "binance symbol '" + sym + "' is not a spot symbol (letters and digits, e.g. BTCUSDT)";
      return false;
    }
  if (cfg.binance_min_backoff <= caf::timespan{0} || cfg.binance_max_backoff < cfg.binance_min_backoff) {
    error = "binance backoff: need 0 < min-backoff <= max-backoff";
    return false;
  }
  if (cfg.binance_stale_after <= caf::timespan{0}) {
    error = "binance stale-after must be positive";
    return false;
  }
  if (!cfg.binance_symbols.empty() && !cfg.binance_ca_file.empty() && !std::ifstream{cfg.binance_ca_file}) {
    error = "binance CA file '" + cfg.binance_ca_file + "' cannot be read";
    return false;
  }
  if (cfg.snapshots_interval < caf::timespan{0}) {
    error = "snapshots interval must not be negative";
    return false;
  }
  if (cfg.snapshots_interval > caf::timespan{0} && cfg.snapshots_path.empty() && !cfg.snapshots_record) {
    error = "snapshots interval is set but snapshots path is empty";
    return false;
  }
  if (cfg.snapshots_record && (cfg.store_path.empty() || cfg.snapshots_interval <= caf::timespan{0})) {
    error = "snapshots record needs a store path and a snapshots interval";
    return false;
  }
  if (cfg.outcomes_horizons.empty()) {
    error = "outcomes horizons: need at least one";
    return false;
  }
  for (auto h : cfg.outcomes_horizons)
    if (h < std::chrono::seconds{1} || h % std::chrono::seconds{1} != caf::timespan{0}) {
      error = "outcomes horizons must be whole seconds, at least 1s";
      return false;
    }
  if (cfg.outcomes_max_gap < std::chrono::seconds{1} || cfg.store_reap_interval <= caf::timespan{0}) {
    error = "outcomes max gap must be at least 1s";
    return false;
  }
  return true;
}

// The feature collector (and, given a connection factory, the feed) for cfg.binance_symbols.
void start_spot(caf::actor_system& sys, const engine_config& cfg, engine& e) {
  if (cfg.binance_symbols.empty())
    return;
  feature_collector_deps fc;
  fc.symbols = cfg.binance_symbols;
  fc.currency_overrides = cfg.currency_overrides;
  fc.cache = e.cache;
  fc.stale_after = cfg.binance_stale_after;
  fc.derivatives_max_age = cfg.cache_max_age > caf::timespan{0} ? cfg.cache_max_age : 3 * cfg.interval;
  if (e.snapshots) {
    if (e.snapshots->repaired_bytes() > 0)
      e.log->warn("snapshots: cut a torn last line (" + std::to_string(e.snapshots->repaired_bytes()) +
                  " bytes) from " + cfg.snapshots_path);
    fc.sink = e.snapshots;
  }
  if (e.snapshots || (e.store && cfg.snapshots_record))
    fc.snapshot_interval = cfg.snapshots_interval;
  fc.store = e.store;
  fc.record_periodic = cfg.snapshots_record;
  fc.log = e.log;
  e.feature_collector = make_feature_collector(sys, std::move(fc));
  if (!cfg.binance_connect)
    return;
  binance_feed_deps feed;
  feed.connect = cfg.binance_connect;
  feed.options.host = cfg.binance_host;
  feed.options.port = cfg.binance_port;
  feed.options.ca_file = cfg.binance_ca_file;
  feed.options.handshake_timeout = cfg.binance_handshake_timeout;
  feed.symbols = cfg.binance_symbols;
  feed.collector = e.feature_collector;
  feed.min_backoff = cfg.binance_min_backoff;
  feed.max_backoff = cfg.binance_max_backoff;
  feed.stale_after = cfg.binance_stale_after;
  feed.uniform01 = cfg.uniform01;
  feed.log = e.log;
  e.binance_feed = make_binance_feed(sys, std::move(feed));
}

void start_introspection(caf::actor_system& sys, const engine_config& cfg, engine& e) {
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
  auto& st = deps.status;
  st.version = DERIVCACHE_VERSION;
  st.started = caf::make_timestamp();
  st.currencies = cfg.currencies;
  st.deribit_url = cfg.deribit_url.empty() ? "https://" + cfg.host + ":" + cfg.port : cfg.deribit_url;
  st.interval = cfg.interval;
  st.symbols = cfg.binance_symbols;
  st.allow_control = cfg.introspection_allow_control;
  st.allow_record = cfg.introspection_allow_record;
  st.max_subscribers = cfg.introspection_max_subscribers;
  deps.log = e.log;
  deps.port = cfg.introspection_port;
  deps.host = cfg.introspection_host;
  deps.tls = cfg.introspection_tls;
  e.introspection = make_introspection(sys, std::move(deps));
}

// /metrics, /healthz and /snapshot on the engine's I/O thread.
bool start_metrics(caf::actor_system& sys, const engine_config& cfg, engine& e, boost::asio::io_context& ioc,
                   std::string& error) {
  metrics_endpoint_deps deps;
  deps.cache = e.cache;
  deps.supervisor = e.supervisor;
  deps.fetch_counters = e.fetch_counters;
  deps.request_latency = e.request_latency;
  deps.health.currencies = cfg.currencies;
  deps.health.feed_stale_after = cfg.binance_stale_after;
  deps.log = e.log;
  if (auto feed = e.binance_feed) {
    deps.feed = [feed](messages::metrics_endpoint_actor::pointer self,
                       std::function<void(runtime::feed_metrics)> done) {
      self->request(feed, std::chrono::seconds{2}, caf::get_atom::value, messages::status_atom::value)
        .then(
          [done](const messages::feed_status& s) {
            runtime::feed_metrics m;
            m.enabled = true;
            m.connected = s.connected;
            m.messages = s.agg_trades + s.book_tickers;
            m.reconnects = s.reconnects;
            if (s.last_data)
              m.data_age = caf::make_timestamp() - *s.last_data;
            done(m);
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
  e.metrics_endpoint = make_metrics_endpoint(sys, std::move(deps));
  net::http_server_options options;
  options.host = cfg.metrics_host;
  options.port = static_cast<unsigned short>(cfg.metrics_port);
  e.metrics_server = net::make_http_server(ioc, options, runtime::metrics_http_handler(e.metrics_endpoint), error);
  if (!e.metrics_server) {
    error = "metrics: " + error;
    return false;
  }
  e.metrics_port = e.metrics_server->port();
  e.log->info("metrics listening on " + cfg.metrics_host + ":" + std::to_string(e.metrics_port));
  return true;
}

} // namespace

std::unique_ptr<engine> start_engine(caf::actor_system& sys, const engine_config& cfg,
                                     std::shared_ptr<net::http_client> http, std::string& error) {
  std::vector<quant::currency_spec> specs;
  if (!validate(cfg, specs, error))
    return nullptr;
  if (!http) {
    error = "no HTTP client";
    return nullptr;
  }
  std::shared_ptr<runtime::snapshot_sink> snapshots;
  std::shared_ptr<store::feature_store> feature_store;
  if (!cfg.store_path.empty()) {
    store::store_options options;
    options.path = cfg.store_path;
    options.horizons_s.clear();
    for (auto h : cfg.outcomes_horizons)
      options.horizons_s.push_back(std::chrono::duration_cast<std::chrono::seconds>(h).count());
    options.max_gap_s = std::chrono::duration_cast<std::chrono::seconds>(cfg.outcomes_max_gap).count();
    try {
      feature_store = std::make_shared<store::feature_store>(std::move(options));
    } catch (const std::exception& ex) {
      error = std::string{"store.path: "} + ex.what();
      return nullptr;
    }
  }
  if (!cfg.binance_symbols.empty() && cfg.snapshots_interval > caf::timespan{0} && !cfg.snapshots_path.empty()) {
    snapshots = runtime::snapshot_sink::open(cfg.snapshots_path, error);
    if (!snapshots) {
      error = "snapshots: " + error;
      return nullptr;
    }
  }
  auto e = std::make_unique<engine>();
  e->http = std::move(http);
  e->snapshots = std::move(snapshots);
  e->log = std::make_shared<runtime::logger>(cfg.level, cfg.log_tag, cfg.log_sink);
  e->fetch_counters = std::make_shared<runtime::fetch_stats>();
  e->cache_counters = std::make_shared<runtime::cache_stats>();

  cache_holder_deps cache_deps;
  cache_deps.max_age = cfg.cache_max_age > caf::timespan{0} ? cfg.cache_max_age : 3 * cfg.interval;
  cache_deps.log = e->log;
  cache_deps.stats = e->cache_counters;
  e->cache = make_cache_holder(sys, cache_deps);
  e->basis_calculator = make_basis_calculator(sys, {e->cache, cfg.basis, cfg.min_dte_days, e->log});
  e->skew_calculator = make_skew_calculator(sys, {e->cache, cfg.skew, cfg.skew_tenor_days, e->log});
  if (feature_store) {
    store_keeper_deps keeper;
    keeper.store = std::move(feature_store);
    keeper.reap_interval = cfg.store_reap_interval;
    keeper.log = e->log;
    e->store = make_store_keeper(sys, std::move(keeper));
    e->log->info("store: " + cfg.store_path);
  }

  deribit_fetcher_deps fetch;
  fetch.http = e->http;
  fetch.currencies = specs;
  fetch.calculators = {e->basis_calculator, e->skew_calculator};
  fetch.interval = cfg.interval;
  fetch.instruments_interval = cfg.instruments_interval;
  fetch.path_prefix = cfg.path_prefix;
  fetch.book_bucket =
    std::make_shared<runtime::token_bucket>(cfg.max_requests_per_second, cfg.max_requests_per_second);
  fetch.instruments_bucket =
    std::make_shared<runtime::token_bucket>(cfg.instruments_requests_per_second, cfg.instruments_burst);
  fetch.instruments = std::make_shared<runtime::instrument_cache>();
  fetch.stats = e->fetch_counters;
  e->request_latency = std::make_shared<runtime::latency_histogram>();
  fetch.request_latency = e->request_latency;
  fetch.log = e->log;

  fetch_supervisor_deps sup;
  sup.spawn_fetcher = [fetch](caf::actor_system& s, messages::fetch_supervisor_actor supervisor) {
    auto deps = fetch;
    deps.supervisor = std::move(supervisor);
    return make_deribit_fetcher(s, std::move(deps));
  };
  sup.backoff = {cfg.min_backoff, cfg.rate_limit_min_backoff, cfg.max_backoff};
  sup.max_failures = cfg.max_failures;
  sup.uniform01 = cfg.uniform01;
  sup.log = e->log;
  e->supervisor = make_fetch_supervisor(sys, std::move(sup));
  start_spot(sys, cfg, *e);
  start_introspection(sys, cfg, *e);
  return e;
}

std::unique_ptr<engine> start_engine(caf::actor_system& sys, const engine_config& cfg, std::string& error) {
  std::vector<quant::currency_spec> specs;
  if (!validate(cfg, specs, error))
    return nullptr;
  auto io = std::make_shared<engine::io_runner>();
  net::https_options options;
  options.host = cfg.host;
  options.port = cfg.port;
  options.ca_file = cfg.ca_file;
  options.timeout = cfg.timeout;
  options.max_body = cfg.max_body;
  auto client = net::make_https_client(io->ioc, options, error);
  if (!client)
    return nullptr;
  // The fetcher's state may release the client after the engine is gone, on a CAF thread: the client then
  // keeps the io_context alive, so its connections' timers never outlive their service (ASan: use-after-free).
  std::shared_ptr<net::http_client> http{client.get(), [client, io](net::http_client*) mutable { client.reset(); }};
  io->guard.emplace(io->ioc.get_executor());
  io->thread = std::thread{[ctx = &io->ioc] { ctx->run(); }};
  auto with_ws = cfg;
  if (!with_ws.binance_connect)
    with_ws.binance_connect = [io](net::ws_options o, net::ws_callbacks cb, std::string& err) {
      return net::make_wss_connection(io->ioc, std::move(o), std::move(cb), err);
    };
  auto e = start_engine(sys, with_ws, http, error);
  if (e && cfg.metrics_port >= 0 && !start_metrics(sys, cfg, *e, io->ioc, error))
    e.reset();   // its destructor stops the actors; the I/O thread is ours to stop below
  if (!e) {
    http->shutdown();
    io->guard.reset();
    io->ioc.stop();
    io->thread.join();
    return nullptr;
  }
  e->io = std::move(io);
  return e;
}

} // namespace derivcache::actors
