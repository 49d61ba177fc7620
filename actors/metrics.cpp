// The metrics endpoint actor.
#include "actors/metrics.hpp"

#include "codec/json_writer.hpp"
#include "messages/errors.hpp"
#include "net/http_server.hpp"
#include "runtime/prometheus.hpp"

#include <caf/all.hpp>

#include <utility>

namespace derivcache::actors {

namespace {

struct endpoint_state {
  metrics_endpoint_deps deps;
};

using self_ptr = messages::metrics_endpoint_actor::stateful_pointer<endpoint_state>;
using reply_fn = std::function<void(unsigned status, std::string content_type, std::string body)>;

/// Collects the parts of one snapshot; `finish` runs once the last part is in.
struct gathering {
  runtime::metrics_snapshot snapshot;
  int remaining = 0;
  std::function<void(runtime::metrics_snapshot&)> finish;

  void part_done() {
    if (--remaining == 0)
      finish(snapshot);
  }
};

using gathering_ptr = std::shared_ptr<gathering>;

std::string error_json(const std::string& text) {
  codec::json_writer w;
  w.begin_object().key("error").value(text).end_object();
  return w.take();
}

void reply_json(const reply_fn& reply, unsigned status, std::string body) {
  reply(status, "application/json", std::move(body));
}

void ask_cache(self_ptr self, const gathering_ptr& g) {
  auto& deps = self->state.deps;
  if (!deps.cache) {
    g->snapshot.cache_error = "no cache";
    return g->part_done();
  }
  self->request(deps.cache, deps.query_timeout, caf::get_atom::value)
    .then(
      [g](messages::cache_contents& contents) {
        g->snapshot.cache_answered = true;
        for (const auto& view : contents.currencies)
          g->snapshot.currencies.push_back(runtime::to_currency_metrics(view));
        g->part_done();
      },
      [g](caf::error& err) {
        g->snapshot.cache_error = messages::render(err);
        g->part_done();
      });
}

void ask_supervisor(self_ptr self, const gathering_ptr& g) {
  auto& deps = self->state.deps;
  if (!deps.supervisor) {
    g->snapshot.fetcher_error = "no supervisor";
    return g->part_done();
  }
  self->request(deps.supervisor, deps.query_timeout, caf::get_atom::value, messages::status_atom::value)
    .then(
      [g](messages::fetcher_status& status) {
        g->snapshot.fetcher = std::move(status);
        g->part_done();
      },
      [g](caf::error& err) {
        g->snapshot.fetcher_error = messages::render(err);
        g->part_done();
      });
}

void gather(self_ptr self, std::function<void(runtime::metrics_snapshot&)> finish) {
  auto& deps = self->state.deps;
  auto g = std::make_shared<gathering>();
  g->finish = std::move(finish);
  if (deps.fetch_counters)
    g->snapshot.fetches = runtime::read_fetch_stats(*deps.fetch_counters);
  g->snapshot.request_seconds =
    deps.request_latency ? deps.request_latency->snapshot() : runtime::latency_histogram{}.snapshot();
  if (deps.introspection)
    g->snapshot.introspection = deps.introspection();
  if (deps.gateway)
    g->snapshot.gateway = runtime::to_gateway_metrics(*deps.gateway);
  if (deps.store)
    g->snapshot.store = runtime::to_store_metrics(*deps.store);
  g->remaining = deps.feed ? 3 : 2;
  ask_cache(self, g);
  ask_supervisor(self, g);
  if (deps.feed)
    deps.feed(self, [g](runtime::feed_metrics feed) {
      g->snapshot.feed = std::move(feed);
      g->part_done();
    });
}

void log_missing_sources(self_ptr self, const runtime::metrics_snapshot& m) {
  auto& log = self->state.deps.log;
  if (!log)
    return;
  if (!m.cache_answered)
    log->warn("metrics: cache did not answer: " + m.cache_error);
  if (!m.fetcher)
    log->warn("metrics: supervisor did not answer: " + m.fetcher_error);
}

void serve_snapshot(self_ptr self, const messages::http_call& call) {
  const auto& reply = call.reply;
  auto symbol = net::request_view{"GET", call.path, call.path, call.query}.query_param("symbol");
  if (!symbol || symbol->empty())
    return reply_json(reply, 400, error_json("missing query parameter: symbol"));
  if (!self->state.deps.snapshots)
    return reply_json(reply, 404, error_json("no feature collector"));
  self->state.deps.snapshots(self, *symbol, [reply](unsigned status, std::string json) {
    reply_json(reply, status, std::move(json));
  });
}

void serve(self_ptr self, const messages::http_call& call) {
  const auto& reply = call.reply;
  if (call.path == "/metrics") {
    gather(self, [self, reply](runtime::metrics_snapshot& m) {
      log_missing_sources(self, m);
      reply(200, "text/plain; version=0.0.4; charset=utf-8", runtime::render_prometheus(m));
    });
  } else if (call.path == "/healthz") {
    gather(self, [self, reply](runtime::metrics_snapshot& m) {
      log_missing_sources(self, m);
      auto report = runtime::evaluate_health(m, self->state.deps.health);
      reply_json(reply, report.status, report.to_json());
    });
  } else if (call.path == "/snapshot") {
    serve_snapshot(self, call);
  } else {
    reply_json(reply, 404, error_json("not found: " + call.path + " (routes: /metrics, /healthz, /snapshot?symbol=X)"));
  }
}

} // namespace

messages::metrics_endpoint_actor make_metrics_endpoint(caf::actor_system& sys, metrics_endpoint_deps deps) {
  return sys.spawn([deps = std::move(deps)](self_ptr self) -> messages::metrics_endpoint_actor::behavior_type {
    self->state.deps = deps;
    return {
      [self](const messages::http_call& call) { serve(self, call); },
    };
  });
}

} // namespace derivcache::actors
