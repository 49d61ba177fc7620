// The fetch supervisor actor.
#include "actors/fetch_supervisor.hpp"

#include "messages/errors.hpp"
#include "runtime/duration_text.hpp"

#include <caf/all.hpp>

#include <optional>
#include <random>

namespace derivcache::actors {

using runtime::log_level;

namespace {

bool is_rate_limited(const caf::error& err) {
  return err.category() == caf::atom("derivcache") &&
         err.code() == static_cast<uint8_t>(messages::errc::rate_limited);
}

// The Retry-After a rate-limited fetcher exited with (context element 0; -1 when the server sent none).
std::optional<std::chrono::seconds> retry_after_of(const caf::error& err) {
  if (!is_rate_limited(err))
    return std::nullopt;
  const auto& ctx = err.context();
  if (ctx.size() > 0 && ctx.match_element<int64_t>(0) && ctx.get_as<int64_t>(0) >= 0)
    return std::chrono::seconds{ctx.get_as<int64_t>(0)};
  return std::nullopt;
}

caf::timespan restart_delay(const fetch_supervisor_deps& deps, uint32_t k, const caf::error& reason) {
  const auto category = is_rate_limited(reason) ? runtime::failure_category::rate_limited
                                                : runtime::failure_category::other;
  return runtime::backoff_delay(deps.backoff, k, category, retry_after_of(reason), deps.uniform01());
}

struct supervisor_state {
  fetch_supervisor_deps deps;
  messages::deribit_fetcher_actor fetcher;
  uint64_t generation = 0;        ///< of the pending restart timer
  messages::fetcher_status status;
  bool started = false;
};

using self_ptr = messages::fetch_supervisor_actor::stateful_pointer<supervisor_state>;

void log_at(self_ptr self, log_level level, const std::string& text) {
  if (self->state.deps.log)
    self->state.deps.log->log(level, text);
}

void on_fetcher_down(self_ptr self, const caf::error& reason);

void spawn_fetcher(self_ptr self) {
  auto& st = self->state;
  st.fetcher = st.deps.spawn_fetcher(self->system(), caf::actor_cast<messages::fetch_supervisor_actor>(self));
  if (!st.fetcher) {
    on_fetcher_down(self, caf::make_error(messages::errc::unavailable, std::string{"could not spawn the fetcher"}));
    return;
  }
  self->monitor(st.fetcher);
  if (st.started)
    ++st.status.restarts;
  st.started = true;
  st.status.alive = true;
  st.status.next_attempt = caf::none;
}

void on_fetcher_down(self_ptr self, const caf::error& reason) {
  auto& st = self->state;
  st.fetcher = nullptr;
  st.status.alive = false;
  if (reason == caf::exit_reason::normal || reason == caf::exit_reason::user_shutdown) {
    log_at(self, log_level::info, "fetcher stopped (" + messages::render(reason) + "); not restarting");
    return;
  }
  auto& k = st.status.consecutive_failures;
  ++k;
  st.status.last_error = messages::render(reason);
  caf::timespan delay;
  if (k >= st.deps.max_failures) {
    if (!st.status.degraded)
      log_at(self, log_level::error,
             "fetcher DEGRADED after " + std::to_string(k) + " consecutive failures (last: " + st.status.last_error +
               "); retrying every " + runtime::seconds_text(st.deps.backoff.max_backoff));
    st.status.degraded = true;
    // Every max-backoff, but never before the host's Retry-After has passed.
    delay = st.deps.backoff.max_backoff;
    if (retry_after_of(reason))
      delay = std::max(delay, restart_delay(st.deps, k, reason));
  } else {
    delay = restart_delay(st.deps, k, reason);
  }
  log_at(self, log_level::warn,
         "fetcher failed (" + st.status.last_error + "), attempt " + std::to_string(k) + "; restarting in " +
           runtime::seconds_text(delay));
  st.status.next_attempt = caf::make_timestamp() + delay;
  self->delayed_send(self, delay, messages::restart_atom::value, ++st.generation);
}

} // namespace

messages::fetch_supervisor_actor make_fetch_supervisor(caf::actor_system& sys, fetch_supervisor_deps deps) {
  if (!deps.uniform01) {
    auto rng = std::make_shared<std::mt19937_64>(std::random_device{}());
    deps.uniform01 = [rng] { return std::uniform_real_distribution<double>{0.0, 1.0}(*rng); };
  }
  return sys.spawn([deps = std::move(deps)](self_ptr self) -> messages::fetch_supervisor_actor::behavior_type {
    self->state.deps = deps;
    self->set_down_handler([self](caf::down_msg& dm) {
      if (self->state.fetcher && dm.source == self->state.fetcher.address())
        on_fetcher_down(self, dm.reason);
    });
    self->set_exit_handler([self](caf::exit_msg& em) {
      if (self->state.fetcher)
        self->send_exit(self->state.fetcher, em.reason);
      self->quit(em.reason);
    });
    spawn_fetcher(self);
    return {
      [self](messages::cycle_done_atom) {
        auto& st = self->state.status;
        st.last_success = caf::make_timestamp();
        if (st.degraded)
          log_at(self, log_level::info, "fetcher recovered: a complete cycle succeeded; DEGRADED cleared");
        st.consecutive_failures = 0;
        st.degraded = false;
      },
      [self](messages::restart_atom, uint64_t generation) {
        if (generation != self->state.generation || self->state.fetcher)
          return;
        spawn_fetcher(self);
      },
      [self](messages::refresh_atom) {
        if (self->state.fetcher)
          self->send(self->state.fetcher, messages::refresh_atom::value);
        else
          log_at(self, log_level::info, "refresh ignored: the fetcher is waiting to be restarted");
      },
      [self](caf::get_atom, messages::status_atom) -> messages::fetcher_status { return self->state.status; },
    };
  });
}

} // namespace derivcache::actors
