// The introspection gateway and its replacement when it dies.
#include "actors/introspection.hpp"

#include "messages/errors.hpp"

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>

#include <atomic>
#include <map>
#include <mutex>

namespace derivcache::actors {

using runtime::log_level;

namespace {

constexpr auto query_timeout = std::chrono::seconds{5};
constexpr auto record_timeout = std::chrono::seconds{30};   ///< a record waits for the store's COMMIT

/// Who sent the current message, for the log: "node <CAF node id>", or "an anonymous sender".
std::string peer_of(const caf::strong_actor_ptr& sender) {
  return sender ? "node " + caf::to_string(sender->node()) : std::string{"an anonymous sender"};
}

} // namespace

struct introspection_gateway::shared {
  introspection_deps deps;
  caf::actor_system* sys = nullptr;
  std::shared_ptr<runtime::gateway_stats> stats = std::make_shared<runtime::gateway_stats>();
  std::atomic<bool> stopping{false};
  std::mutex mx;
  /// Guarded by mx. Strong, or the gateway would end as unreachable when no message is in flight; the
  /// incarnation's state holds this struct until it terminates (CAF destroys the state then).
  messages::introspection_actor current;
  uint16_t bound = 0;        ///< guarded by mx; the port CAF listens on once the first incarnation published
};

namespace {

using shared_ptr = std::shared_ptr<introspection_gateway::shared>;

struct introspection_state {
  shared_ptr shared;
  std::map<caf::actor_addr, caf::actor> subscribers;
  bool subscribed_to_cache = false;
  std::map<caf::actor_addr, std::string> down;   ///< watched actors that died, with their exit reason
};

using self_ptr = messages::introspection_actor::stateful_pointer<introspection_state>;

const introspection_deps& deps_of(self_ptr self) { return self->state.shared->deps; }

void log_at(self_ptr self, log_level level, const std::string& text) {
  if (deps_of(self).log)
    deps_of(self).log->log(level, text);
}

/// Counts a refusal and logs it at WARN: the first 10 of each kind, then every 1000th (a flood of refused
/// messages must not flood the log).
void refuse(self_ptr self, runtime::refusal kind, const std::string& what) {
  const auto n = self->state.shared->stats->refuse(kind);
  if (n <= 10 || n % 1000 == 0)
    log_at(self, log_level::warn,
           "introspection: refused " + what + " from " + peer_of(self->current_sender()) + " (" +
             std::to_string(n) + " " + std::string{runtime::refusal_names[static_cast<std::size_t>(kind)]} +
             " refusals so far)");
}

void on_published(self_ptr self, uint16_t bound) {
  auto& sh = *self->state.shared;
  {
    std::lock_guard<std::mutex> lock{sh.mx};
    sh.bound = bound;
  }
  sh.stats->up = true;
  const auto& d = sh.deps;
  const auto where = d.front ? d.front(bound) : d.host + ":" + std::to_string(bound);
  log_at(self, log_level::info, "introspection listening on " + where + (d.tls ? " (TLS)" : ""));
  if (d.on_published)
    d.on_published(bound);
}

/// Publishes this incarnation: on the configured port the first time, then on the port the first one got
/// (the previous incarnation is unpublished first, which frees the port).
void publish(self_ptr self, caf::actor_addr previous) {
  auto& sh = *self->state.shared;
  auto& sys = self->system();
  auto mm = sh.deps.tls ? sys.openssl_manager().actor_handle() : sys.middleman().actor_handle();
  uint16_t port = 0;
  {
    std::lock_guard<std::mutex> lock{sh.mx};
    port = sh.bound != 0 ? sh.bound : static_cast<uint16_t>(sh.deps.port);
  }
  auto publish_now = [self, mm, port] {
    self->request(mm, query_timeout, caf::publish_atom::value, port, caf::actor_cast<caf::strong_actor_ptr>(self),
                  self->system().message_types<messages::introspection_actor>(), deps_of(self).host, true)
      .then([self](uint16_t bound) { on_published(self, bound); },
            [self](const caf::error& err) {
              log_at(self, log_level::error, "introspection: cannot publish: " + self->system().render(err));
            });
  };
  if (!previous) {
    publish_now();
    return;
  }
  self->request(mm, query_timeout, caf::unpublish_atom::value, previous, port)
    .then([publish_now] { publish_now(); }, [publish_now](const caf::error&) { publish_now(); });
}

void on_down(self_ptr self, const caf::down_msg& dm) {
  auto& st = self->state;
  if (st.subscribers.erase(dm.source) == 0)
    st.down[dm.source] = messages::render(dm.reason);
}

/// Exit messages are honoured only once the engine stops (introspection_gateway::stop); CAF 0.17 delivers
/// a remote node's exit message like any other, and this actor is linked to nothing.
void on_exit(self_ptr self, caf::exit_msg& em) {
  if (self->state.shared->stopping)
    self->quit(std::move(em.reason));
  else
    refuse(self, runtime::refusal::exit, "an exit message (" + messages::render(em.reason) + ")");
}

/// Re-sends the cache holder's message itself (shared, not copied) to every subscriber. CAF 0.17's BASP broker
/// still serializes it once per remote subscriber: its header names one destination actor.
void on_update(self_ptr self) {
  auto& st = self->state;
  const auto& sender = self->current_sender();
  if (!sender || sender->address() != deps_of(self).cache.address()) {
    refuse(self, runtime::refusal::update, "a derivatives_update not sent by the cache holder");
    return;
  }
  const auto msg = self->current_mailbox_element()->copy_content_to_message();
  for (const auto& [addr, subscriber] : st.subscribers)
    subscriber->enqueue(caf::make_mailbox_element(self->ctrl(), caf::make_message_id(), {}, msg), self->context());
}

messages::engine_status on_status(self_ptr self) {
  auto s = deps_of(self).status;
  s.uptime = caf::make_timestamp() - s.started;
  s.subscribers = static_cast<uint32_t>(self->state.subscribers.size());
  return s;
}

// The fetcher's health comes from its supervisor; the other actors' from their down messages.
messages::actors_report report_of(self_ptr self, const messages::fetcher_status& f) {
  messages::actors_report report;
  report.actors.push_back(
    {"deribit_fetcher", f.alive, f.restarts, f.last_error, f.last_success, f.degraded, f.next_attempt});
  for (const auto& [role, hdl] : deps_of(self).watched) {
    auto dead = self->state.down.find(hdl.address());
    const bool alive = dead == self->state.down.end();
    report.actors.push_back({role, alive, 0, alive ? std::string{} : dead->second, caf::none, false, caf::none});
  }
  return report;
}

caf::result<messages::actors_report> on_actors(self_ptr self) {
  auto rp = self->make_response_promise<messages::actors_report>();
  self->request(deps_of(self).supervisor, query_timeout, caf::get_atom::value, messages::status_atom::value)
    .then([self, rp](const messages::fetcher_status& f) mutable { rp.deliver(report_of(self, f)); },
          [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

/// Asks `whom` and answers the client itself instead of delegating: CAF 0.17 registers every actor that sends
/// to a remote node and lets that node message it (and a registered detached actor, the store keeper, is never
/// released, so the process hung on exit). Only the gateway talks to remote nodes.
template <class Reply, class Handle, class... Ts>
caf::result<Reply> relay(self_ptr self, const Handle& whom, caf::timespan timeout, Ts&&... xs) {
  auto rp = self->make_response_promise<Reply>();
  self->request(whom, timeout, std::forward<Ts>(xs)...)
    .then([rp](Reply& reply) mutable { rp.deliver(std::move(reply)); },
          [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

caf::result<messages::cache_contents> on_get_cache(self_ptr self) {
  return relay<messages::cache_contents>(self, deps_of(self).cache, query_timeout, caf::get_atom::value);
}

caf::result<messages::feed_status> on_feed(self_ptr self) {
  if (!deps_of(self).feed)
    return caf::make_error(messages::errc::request_error, std::string{"the Binance feed is off"});
  return relay<messages::feed_status>(self, deps_of(self).feed, query_timeout, caf::get_atom::value,
                                      messages::status_atom::value);
}

caf::result<caf::ok_atom> on_subscribe(self_ptr self, const caf::actor& subscriber) {
  auto& st = self->state;
  const auto& d = deps_of(self);
  if (!subscriber)
    return caf::make_error(messages::errc::capacity, std::string{"invalid subscriber handle"});
  if (st.subscribers.size() >= d.status.max_subscribers)
    return caf::make_error(messages::errc::capacity, "introspection.max-subscribers (" +
                                                       std::to_string(d.status.max_subscribers) + ") reached");
  if (st.subscribers.emplace(subscriber.address(), subscriber).second) {
    self->monitor(subscriber);
    if (!st.subscribed_to_cache) {
      self->send(d.cache, messages::subscribe_atom::value, caf::actor_cast<messages::cache_subscriber_actor>(self));
      st.subscribed_to_cache = true;
    }
    log_at(self, log_level::info, "subscriber added (" + std::to_string(st.subscribers.size()) + " now)");
  }
  return caf::ok_atom::value;
}

caf::result<caf::ok_atom> on_refresh(self_ptr self) {
  if (!deps_of(self).status.allow_control) {
    refuse(self, runtime::refusal::control, "a refresh (introspection.allow-control is off)");
    return caf::make_error(messages::errc::forbidden, std::string{"remote control is off (introspection.allow-control)"});
  }
  self->send(deps_of(self).supervisor, messages::refresh_atom::value);
  log_at(self, log_level::info, "refresh requested remotely");
  return caf::ok_atom::value;
}

caf::result<messages::record_reply> on_record(self_ptr self, messages::record_request& req) {
  auto& d = deps_of(self);
  if (!d.status.allow_record) {
    refuse(self, runtime::refusal::record, "a record request (introspection.allow-record is off)");
    return caf::make_error(messages::errc::forbidden, std::string{"remote record is off (introspection.allow-record)"});
  }
  if (!d.store)
    return caf::make_error(messages::errc::request_error, std::string{"the store is off (store.path is empty)"});
  if (!d.collector)
    return caf::make_error(messages::errc::request_error, std::string{"the Binance feed is off"});
  return relay<messages::record_reply>(self, d.collector, record_timeout, std::move(req));
}

caf::result<messages::store_counts> on_store(self_ptr self) {
  if (!deps_of(self).store)
    return caf::make_error(messages::errc::request_error, std::string{"the store is off (store.path is empty)"});
  return relay<messages::store_counts>(self, deps_of(self).store, query_timeout, caf::get_atom::value,
                                       messages::status_atom::value);
}

/// A message outside the interface (a reading, frames, a bar batch, ...): refused, answered with an error.
caf::result<caf::message> on_unexpected(self_ptr self, caf::message_view& x) {
  auto text = x.content().stringify();
  if (text.size() > 160)
    text = text.substr(0, 160) + "...";
  refuse(self, runtime::refusal::unexpected, "a message outside the gateway's interface " + text);
  return caf::sec::unexpected_message;
}

messages::introspection_actor::behavior_type gateway(self_ptr self, shared_ptr sh, caf::actor_addr previous) {
  self->state.shared = std::move(sh);
  const auto& d = deps_of(self);
  for (const auto& [role, hdl] : d.watched)
    self->monitor(hdl);
  self->set_down_handler([self](caf::down_msg& dm) { on_down(self, dm); });
  self->set_exit_handler([self](caf::exit_msg& em) { on_exit(self, em); });
  self->set_error_handler([self](caf::error& err) {
    refuse(self, runtime::refusal::error, "an error message (" + messages::render(err) + ")");
  });
  self->set_default_handler([self](caf::scheduled_actor*, caf::message_view& x) { return on_unexpected(self, x); });
  if (d.port >= 0)
    publish(self, std::move(previous));
  else
    self->state.shared->stats->up = true;
  return {
    [self](messages::status_atom) { return on_status(self); },
    [self](messages::actors_atom) { return on_actors(self); },
    [self](caf::get_atom) { return on_get_cache(self); },
    [self](messages::feed_atom) { return on_feed(self); },
    [self](messages::subscribe_atom, const caf::actor& subscriber) { return on_subscribe(self, subscriber); },
    [self](messages::control_atom, messages::refresh_atom) { return on_refresh(self); },
    [self](messages::record_atom, messages::record_request& req) { return on_record(self, req); },
    [self](messages::store_atom) { return on_store(self); },
    [self](const messages::derivatives_update&) { on_update(self); },
  };
}

/// Spawns an incarnation; when it ends while the engine runs, the next one replaces it at once.
void spawn_gateway(const shared_ptr& sh, caf::actor_addr previous) {
  auto hdl = sh->sys->spawn(gateway, sh, std::move(previous));
  {
    std::lock_guard<std::mutex> lock{sh->mx};
    sh->current = hdl;
  }
  hdl->attach_functor([sh, addr = hdl.address()](const caf::error& reason) {
    sh->stats->up = false;
    {
      std::lock_guard<std::mutex> lock{sh->mx};
      if (sh->current.address() == addr)
        sh->current = messages::introspection_actor{};
    }
    if (sh->stopping)
      return;
    if (reason == caf::exit_reason::kill)
      sh->stats->refuse(runtime::refusal::exit);
    ++sh->stats->restarts;
    if (sh->deps.log)
      sh->deps.log->log(log_level::warn,
                        "introspection: the gateway stopped (" + messages::render(reason) + "); starting a new one");
    spawn_gateway(sh, addr);
  });
}

} // namespace

messages::introspection_actor introspection_gateway::current() const {
  if (!s_)
    return {};
  std::lock_guard<std::mutex> lock{s_->mx};
  return s_->current;
}

std::shared_ptr<runtime::gateway_stats> introspection_gateway::stats() const {
  return s_ ? s_->stats : nullptr;
}

void introspection_gateway::stop() {
  if (!s_ || s_->stopping.exchange(true))
    return;
  messages::introspection_actor hdl;
  {
    std::lock_guard<std::mutex> lock{s_->mx};
    std::swap(hdl, s_->current);
  }
  if (hdl)
    caf::anon_send_exit(hdl, caf::exit_reason::user_shutdown);
}

introspection_gateway make_introspection(caf::actor_system& sys, introspection_deps deps) {
  auto sh = std::make_shared<introspection_gateway::shared>();
  sh->deps = std::move(deps);
  sh->sys = &sys;
  spawn_gateway(sh, caf::actor_addr{});
  return introspection_gateway{std::move(sh)};
}

} // namespace derivcache::actors
