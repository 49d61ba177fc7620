// Shared pieces of the actor tests: a deterministic CAF system (guide §9B), a fake HTTP client whose
// requests the test completes by hand, a capturing logger and canned replies from tests/data.
#pragma once

#include "runtime/log.hpp"
#include "messages/interfaces.hpp"
#include "runtime/fetch_stats.hpp"   // after the messages: errors.hpp needs CAF's make_message in scope
#include "net/https_client.hpp"
#include "support/fixtures.hpp"
#include "support/read_file.hpp"

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace derivcache::test {

/// Records every GET; the test completes the stored handlers with canned results.
class fake_http_client : public net::http_client {
public:
  struct call {
    std::string target;
    handler h;
    bool done = false;
  };

  void get(std::string target, handler h) override { calls.push_back({std::move(target), std::move(h)}); }
  void shutdown() override { ++shutdowns; }

  /// Completes the most recent pending request whose target contains `needle`.
  bool complete(const std::string& needle, net::http_result result) {
    for (auto i = calls.rbegin(); i != calls.rend(); ++i)
      if (!i->done && i->target.find(needle) != std::string::npos) {
        i->done = true;
        i->h(std::move(result));
        return true;
      }
    ADD_FAILURE() << "no pending request matching " << needle;
    return false;
  }

  std::size_t count(const std::string& needle) const {
    return static_cast<std::size_t>(std::count_if(calls.begin(), calls.end(), [&](const call& c) {
      return c.target.find(needle) != std::string::npos;
    }));
  }

  /// Requests whose target contains `needle` that have not been completed yet.
  std::size_t pending(const std::string& needle) const {
    return static_cast<std::size_t>(std::count_if(calls.begin(), calls.end(), [&](const call& c) {
      return !c.done && c.target.find(needle) != std::string::npos;
    }));
  }

  std::vector<call> calls;
  int shutdowns = 0;
};

inline net::http_result reply(unsigned status, std::string body) {
  net::http_result r;
  r.response.status = status;
  r.response.body = std::move(body);
  return r;
}

inline net::http_result reply_file(const std::string& name) { return reply(200, read_file(data_path(name))); }

inline net::http_result failed(net::failure f, std::string message) {
  net::http_result r;
  r.error = f;
  r.message = std::move(message);
  return r;
}

inline const char* futures_file = "derived/deribit_book_summary_future_btc_2025-01-06.json";
inline const char* options_file = "deribit_book_summary_option_btc_full_2026-03-13.json";
inline const char* instruments_file = "deribit_get_instruments_future_btc_2025-01-06.json";
inline const char* dvol_file = "deribit_get_volatility_index_data_result_btc_12h_2026-09.json";
inline const char* dvol_method = "get_volatility_index_data";

/// Completes one BTC fetch cycle with the recorded payloads (the instruments and DVOL when they were asked for).
inline void complete_good_cycle(fake_http_client& http) {
  if (http.pending("get_instruments") > 0)
    http.complete("get_instruments", reply_file(instruments_file));
  http.complete("kind=future", reply_file(futures_file));
  http.complete("kind=option", reply_file(options_file));
  if (http.pending(dvol_method) > 0)
    http.complete(dvol_method, reply_file(dvol_file));
}

/// One fetch cycle's BTC chain as the fetcher hands it to the calculators (by default the recorded options of
/// 2026-03-13 and futures of 2025-01-06), received at `received`.
inline messages::chain_ptr btc_chain(caf::timestamp received,
                                     std::vector<quant::option_summary> options = btc_chain_2026(),
                                     std::vector<quant::future_summary> futures = btc_futures_2025()) {
  auto chain = std::make_shared<messages::currency_chain>();
  chain->currency = *quant::find_currency("BTC");
  chain->options = std::move(options);
  chain->futures = std::move(futures);
  chain->received = received;
  return chain;
}

/// A logger whose lines the test can read.
struct captured_log {
  std::shared_ptr<std::vector<std::string>> lines = std::make_shared<std::vector<std::string>>();
  std::shared_ptr<runtime::logger> log =
    std::make_shared<runtime::logger>(runtime::log_level::debug, "TEST", [l = lines](const std::string& line) {
      l->push_back(line);
    });

  std::size_t count(const std::string& needle) const {
    return static_cast<std::size_t>(std::count_if(lines->begin(), lines->end(), [&](const std::string& s) {
      return s.find(needle) != std::string::npos;
    }));
  }
};

/// GoogleTest fixture with CAF's deterministic scheduler: drive with sched.run() / sched.advance_time().
struct DeterministicCaf : ::testing::Test {
  static caf::actor_system_config& init(caf::actor_system_config& cfg) {
    cfg.set("scheduler.policy", caf::atom("testing"));
    cfg.set("logger.file-verbosity", caf::atom("quiet"));
    cfg.add_message_types<caf::id_block::derivcache>();
    return cfg;
  }

  caf::actor_system_config cfg;
  caf::actor_system sys{init(cfg)};
  caf::scoped_actor self{sys, true};
  caf::scheduler::test_coordinator& sched = dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
  std::vector<caf::actor> to_kill;

  template <class Handle>
  Handle track(Handle h) {
    to_kill.push_back(caf::actor_cast<caf::actor>(h));
    return h;
  }

  /// Kills every tracked actor (periodic ones included) so the system can shut down.
  void TearDown() override {
    for (auto& a : to_kill)
      if (a)
        caf::anon_send_exit(a, caf::exit_reason::kill);
    sched.run();
  }

  /// Handles the first message of type Ts... in the scoped actor's mailbox, without blocking.
  template <class... Ts, class F>
  void receive_now(F f) {
    bool got = false;
    self->receive([&](Ts&... xs) { got = true; f(xs...); },
                  [&](caf::error& err) { ADD_FAILURE() << sys.render(err); got = true; },
                  caf::after(std::chrono::seconds(0)) >> [] {});
    EXPECT_TRUE(got) << "no matching message in the scoped actor's mailbox";
  }

  /// Asks `cache` for one currency's view (send + run + receive).
  messages::derivatives_view view_of(const messages::cache_holder_actor& cache, const std::string& currency) {
    messages::derivatives_view out;
    self->send(cache, caf::get_atom::value, currency);
    sched.run();
    receive_now<messages::derivatives_view>([&](messages::derivatives_view& v) { out = v; });
    return out;
  }

  messages::fetcher_status status_of(const messages::fetch_supervisor_actor& sup) {
    messages::fetcher_status out;
    self->send(sup, caf::get_atom::value, messages::status_atom::value);
    sched.run();
    receive_now<messages::fetcher_status>([&](messages::fetcher_status& s) { out = s; });
    return out;
  }

  /// Takes every pushed update out of the scoped actor's mailbox.
  std::vector<messages::derivatives_update> drain_updates() {
    std::vector<messages::derivatives_update> out;
    bool more = true;
    while (more) {
      more = false;
      self->receive([&](messages::derivatives_update& u) { out.push_back(u); more = true; },
                    caf::after(std::chrono::seconds(0)) >> [] {});
    }
    return out;
  }
};

/// The deterministic scheduler and what a fetcher needs: a fake Deribit client, fetch counters and a log.
struct FetcherFixture : DeterministicCaf {
  captured_log logs;
  std::shared_ptr<fake_http_client> http = std::make_shared<fake_http_client>();
  std::shared_ptr<runtime::fetch_stats> fetch_stats = std::make_shared<runtime::fetch_stats>();
};

} // namespace derivcache::test
