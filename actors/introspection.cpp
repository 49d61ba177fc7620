// The introspection actor.
#include "actors/introspection.hpp"

#include "messages/errors.hpp"

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>

#include <map>
#include <set>

namespace derivcache::actors {

using runtime::log_level;

namespace {

constexpr auto query_timeout = std::chrono::seconds{5};
constexpr auto record_timeout = std::chrono::seconds{30};   ///< a record waits for the store's COMMIT

struct introspection_state {
  introspection_deps deps;
  std::set<caf::actor_addr> subscribers;
  std::map<caf::actor_addr, std::string> down;   ///< watched actors that died, with their exit reason
};

using self_ptr = messages::introspection_actor::stateful_pointer<introspection_state>;

void log_at(self_ptr self, log_level level, const std::string& text) {
  if (self->state.deps.log)
    self->state.deps.log->log(level, text);
}

void publish(self_ptr self) {
  const auto& deps = self->state.deps;
  auto& sys = self->system();
  auto mm = deps.tls ? sys.openssl_manager().actor_handle() : sys.middleman().actor_handle();
  auto port = static_cast<uint16_t>(deps.port);
  self->request(mm, query_timeout, caf::publish_atom::value, port, caf::actor_cast<caf::strong_actor_ptr>(self),
                sys.message_types<messages::introspection_actor>(), deps.host, true)
    .then(
      [self](uint16_t bound) {
        auto& d = self->state.deps;
        const auto where = d.front ? d.front(bound) : d.host + ":" + std::to_string(bound);
        log_at(self, log_level::info, "introspection listening on " + where + (d.tls ? " (TLS)" : ""));
        if (d.on_published)
          d.on_published(bound);
      },
      [self](const caf::error& err) {
        log_at(self, log_level::error, "introspection: cannot publish: " + self->system().render(err));
      });
}

void on_down(self_ptr self, const caf::down_msg& dm) {
  auto& st = self->state;
  if (st.subscribers.erase(dm.source) == 0)
    st.down[dm.source] = messages::render(dm.reason);
}

messages::engine_status on_status(self_ptr self) {
  auto s = self->state.deps.status;
  s.uptime = caf::make_timestamp() - s.started;
  s.subscribers = static_cast<uint32_t>(self->state.subscribers.size());
  return s;
}

// The fetcher's health comes from its supervisor; the other actors' from their down messages.
messages::actors_report report_of(self_ptr self, const messages::fetcher_status& f) {
  messages::actors_report report;
  report.actors.push_back(
    {"deribit_fetcher", f.alive, f.restarts, f.last_error, f.last_success, f.degraded, f.next_attempt});
  for (const auto& [role, hdl] : self->state.deps.watched) {
    auto dead = self->state.down.find(hdl.address());
    const bool alive = dead == self->state.down.end();
    report.actors.push_back({role, alive, 0, alive ? std::string{} : dead->second, caf::none, false, caf::none});
  }
  return report;
}

caf::result<messages::actors_report> on_actors(self_ptr self) {
  auto rp = self->make_response_promise<messages::actors_report>();
  self->request(self->state.deps.supervisor, query_timeout, caf::get_atom::value, messages::status_atom::value)
    .then([self, rp](const messages::fetcher_status& f) mutable { rp.deliver(report_of(self, f)); },
          [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

/// Asks `whom` and answers the client itself instead of delegating: CAF 0.17 registers every actor that sends
/// to a remote node and lets that node message it (and a registered detached actor, the store keeper, is never
/// released, so the process hung on exit). Only this actor talks to remote nodes.
template <class Reply, class Handle, class... Ts>
caf::result<Reply> relay(self_ptr self, const Handle& whom, caf::timespan timeout, Ts&&... xs) {
  auto rp = self->make_response_promise<Reply>();
  self->request(whom, timeout, std::forward<Ts>(xs)...)
    .then([rp](Reply& reply) mutable { rp.deliver(std::move(reply)); },
          [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

caf::result<messages::cache_contents> on_get_cache(self_ptr self) {
  return relay<messages::cache_contents>(self, self->state.deps.cache, query_timeout, caf::get_atom::value);
}

caf::result<messages::feed_status> on_feed(self_ptr self) {
  if (!self->state.deps.feed)
    return caf::make_error(messages::errc::request_error, std::string{"the Binance feed is off"});
  return relay<messages::feed_status>(self, self->state.deps.feed, query_timeout, caf::get_atom::value,
                                      messages::status_atom::value);
}

caf::result<caf::ok_atom> on_subscribe(self_ptr self, const caf::actor& subscriber) {
  auto& st = self->state;
  if (!subscriber)
    return caf::make_error(messages::errc::capacity, std::string{"invalid subscriber handle"});
  if (st.subscribers.size() >= st.deps.status.max_subscribers)
    return caf::make_error(messages::errc::capacity, "introspection.max-subscribers (" +
                                                       std::to_string(st.deps.status.max_subscribers) + ") reached");
  if (st.subscribers.insert(subscriber.address()).second) {
    self->monitor(subscriber);
    self->send(st.deps.cache, messages::subscribe_atom::value,
               caf::actor_cast<messages::cache_subscriber_actor>(subscriber));
    log_at(self, log_level::info, "subscriber added (" + std::to_string(st.subscribers.size()) + " now)");
  }
  return caf::ok_atom::value;
}

caf::result<caf::ok_atom> on_refresh(self_ptr self) {
  if (!self->state.deps.status.allow_control)
    return caf::make_error(messages::errc::forbidden, std::string{"remote control is off (introspection.allow-control)"});
  self->send(self->state.deps.supervisor, messages::refresh_atom::value);
  log_at(self, log_level::info, "refresh requested remotely");
  return caf::ok_atom::value;
}

caf::result<messages::record_reply> on_record(self_ptr self, messages::record_request& req) {
  auto& d = self->state.deps;
  if (!d.status.allow_record)
    return caf::make_error(messages::errc::forbidden, std::string{"remote record is off (introspection.allow-record)"});
  if (!d.store)
    return caf::make_error(messages::errc::request_error, std::string{"the store is off (store.path is empty)"});
  if (!d.collector)
    return caf::make_error(messages::errc::request_error, std::string{"the Binance feed is off"});
  return relay<messages::record_reply>(self, d.collector, record_timeout, std::move(req));
}

caf::result<messages::store_counts> on_store(self_ptr self) {
  if (!self->state.deps.store)
    return caf::make_error(messages::errc::request_error, std::string{"the store is off (store.path is empty)"});
  return relay<messages::store_counts>(self, self->state.deps.store, query_timeout, caf::get_atom::value,
                                       messages::status_atom::value);
}

} // namespace

messages::introspection_actor make_introspection(caf::actor_system& sys, introspection_deps deps) {
  return sys.spawn([deps = std::move(deps)](self_ptr self) -> messages::introspection_actor::behavior_type {
    self->state.deps = deps;
    for (const auto& [role, hdl] : deps.watched)
      self->monitor(hdl);
    self->set_down_handler([self](caf::down_msg& dm) { on_down(self, dm); });
    if (deps.port >= 0)
      publish(self);
    return {
      [self](messages::status_atom) { return on_status(self); },
      [self](messages::actors_atom) { return on_actors(self); },
      [self](caf::get_atom) { return on_get_cache(self); },
      [self](messages::feed_atom) { return on_feed(self); },
      [self](messages::subscribe_atom, const caf::actor& subscriber) { return on_subscribe(self, subscriber); },
      [self](messages::control_atom, messages::refresh_atom) { return on_refresh(self); },
      [self](messages::record_atom, messages::record_request& req) { return on_record(self, req); },
      [self](messages::store_atom) { return on_store(self); },
    };
  });
}

} // namespace derivcache::actors
