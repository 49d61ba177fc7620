// bench_fanout: cache update -> remote subscriber latency, one JSON object on stdout (scripts/bench.sh, fan-out phase).
//
//   bench_fanout publish   --subscribers TOTAL [--updates K] [--warmup W] [--interval-ms I] [--timeout-s T]
//       The engine's cache holder and introspection gateway (the same code `derivcache run` wires), published on
//       127.0.0.1 (port chosen by the OS, printed on stderr as "listening on 127.0.0.1:PORT"). The cache is primed
//       with BTC's real basis and skew readings (tests/data), so every update carries the full view. Once TOTAL
//       subscribers are in, it sends W + K basis readings to the cache, I ms apart. Prints the size of one update
//       and the time to serialize it (what CAF's BASP broker does once per remote subscriber).
//   bench_fanout subscribe --port P --subscribers N [--updates K] [--warmup W] [--timeout-s T]
//       Connects to the gateway, subscribes N actors, each records receipt - pushed (system clock, ns) of every
//       update after the first W; prints every sample once all N actors have K. One scheduler thread, work sharing.
#include "actors/cache_holder.hpp"
#include "actors/calculator.hpp"
#include "actors/introspection.hpp"
#include "codec/deribit.hpp"
#include "codec/file.hpp"
#include "codec/json_writer.hpp"
#include "messages/interfaces.hpp"
#include "messages/type_ids.hpp"
#include "quant/currency.hpp"
#include "quant/option_rows.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using namespace derivcache;
using clock_type = std::chrono::steady_clock;

struct args {
  std::string mode;
  uint16_t port = 0;
  int subscribers = 1;
  int updates = 50, warmup = 5;           ///< timed updates, and untimed ones before them
  int interval_ms = 100, timeout_s = 60;  ///< between two updates; each side's own limit
};

[[noreturn]] void die(const std::string& why) {
  std::cerr << "bench_fanout: " << why << "\n";
  std::exit(1);
}

codec::json_writer& write_list(codec::json_writer& w, std::string_view key, const std::vector<double>& xs) {
  w.key(key).begin_array();
  for (double x : xs)
    w.value(x);
  return w.end_array();
}

caf::actor_system_config& caf_config(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::derivcache>();
  cfg.load<caf::io::middleman>();
  cfg.set("logger.file-verbosity", caf::atom("quiet"));
  return cfg;
}

std::string payload(const std::string& path) {
  std::string error;
  auto text = codec::read_text_file(path, error);
  if (!text)
    die(error);
  return std::move(*text);
}

/// BTC's basis and skew readings from the recorded chain, as the calculators send them.
std::pair<messages::basis_reading, messages::skew_reading> real_readings() {
  messages::currency_chain chain;
  chain.currency = *quant::find_currency("BTC");
  chain.options =
    codec::decode_option_summaries(payload(DERIVCACHE_SOURCE_DIR "/tests/data/deribit_book_summary_option_btc_full_2026-03-13.json"))
      .rows;
  chain.futures = codec::decode_future_summaries(payload(DERIVCACHE_SOURCE_DIR "/sim/data/book_summary.BTC.future.json")).rows;
  chain.option_names = quant::index_options(chain.options, nullptr);
  chain.received = caf::make_timestamp();
  auto basis = actors::compute(chain, actors::basis_calculation{});
  auto skew = actors::compute(chain, actors::skew_calculation{});
  if (!basis.apr_pct || !skew.skew_pct)
    die("the recorded chain gave no basis or no skew");
  return {std::move(basis), std::move(skew)};
}

uint32_t subscribers_of(caf::scoped_actor& self, const messages::introspection_actor& gw) {
  uint32_t n = 0;
  self->request(gw, std::chrono::seconds{5}, messages::status_atom::value)
    .receive([&](const messages::engine_status& s) { n = s.subscribers; },
             [&](caf::error& err) { die("status: " + self->system().render(err)); });
  return n;
}

int run_publish(const args& a) {
  caf::actor_system_config cfg;
  caf::actor_system sys{caf_config(cfg)};   // the engine's defaults
  auto cache = actors::make_cache_holder(sys, {});
  auto [basis, skew] = real_readings();
  caf::anon_send(cache, skew);
  caf::anon_send(cache, basis);

  actors::introspection_deps deps;
  deps.cache = cache;
  deps.port = 0;
  deps.host = "127.0.0.1";
  deps.status.max_subscribers = static_cast<uint32_t>(a.subscribers);
  deps.on_published = [](uint16_t port) { std::cerr << "listening on 127.0.0.1:" << port << std::endl; };
  auto gateway = actors::make_introspection(sys, deps);
  caf::scoped_actor self{sys};

  // What BASP does per remote subscriber: serialize the update (the payload of each direct_message).
  messages::derivatives_update update;
  self->request(cache, std::chrono::seconds{5}, caf::get_atom::value, std::string{"BTC"})
    .receive([&](messages::derivatives_view& v) { update.view = std::move(v); },
             [&](caf::error& err) { die("get: " + sys.render(err)); });
  update.pushed = caf::make_timestamp();
  std::vector<double> serialize_us;
  std::size_t bytes = 0;
  for (int i = 0; i < 200; ++i) {
    std::vector<char> buf;
    auto t0 = clock_type::now();
    caf::binary_serializer sink{sys, buf};
    if (auto err = sink(update))
      die("serialize: " + sys.render(err));
    serialize_us.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - t0).count());
    bytes = buf.size();
  }

  const auto deadline = clock_type::now() + std::chrono::seconds{a.timeout_s};
  auto gw = gateway.current();
  // A benchmark on the real clock, not a test: it polls the gateway (bounded by --timeout-s) for the subscriber
  // processes to connect, and paces the updates --interval-ms apart so that two never overlap.
  while (subscribers_of(self, gw) < static_cast<uint32_t>(a.subscribers)) {
    if (clock_type::now() > deadline)
      die("only " + std::to_string(subscribers_of(self, gw)) + " of " + std::to_string(a.subscribers) +
          " subscribers within " + std::to_string(a.timeout_s) + " s");
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  for (int i = 0; i < a.warmup + a.updates; ++i) {
    basis.apr_pct = *basis.apr_pct + 0.01;   // a fresh value: the cache pushes every reading with one
    caf::anon_send(cache, basis);
    std::this_thread::sleep_for(std::chrono::milliseconds{a.interval_ms});
  }
  // The subscribers quit after their last update; the gateway sees them go.
  while (subscribers_of(self, gw) > 0 && clock_type::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  gateway.stop();
  self->send_exit(cache, caf::exit_reason::user_shutdown);

  codec::json_writer w;
  w.begin_object().field("mode", "publish").field("subscribers", a.subscribers).field("updates", a.updates);
  w.field("update_bytes", static_cast<double>(bytes));
  write_list(w, "serialize_us", serialize_us);
  std::cout << w.end_object().str() << "\n";
  return 0;
}

/// What the subscriber actors hand back: every sample, and how many actors have finished.
struct results {
  std::mutex mx;
  std::condition_variable cv;
  std::vector<double> latency_us;
  int done = 0;
};

caf::behavior subscriber(caf::event_based_actor* self, results* out, int warmup, int updates) {
  auto seen = std::make_shared<int>(0);
  auto mine = std::make_shared<std::vector<double>>();
  return {
    [=](const messages::derivatives_update& u) {
      const auto received = caf::make_timestamp();
      if (++*seen > warmup)
        mine->push_back(std::chrono::duration<double, std::micro>(received - u.pushed).count());
      if (*seen < warmup + updates)
        return;
      {
        std::lock_guard<std::mutex> lock{out->mx};
        out->latency_us.insert(out->latency_us.end(), mine->begin(), mine->end());
        ++out->done;
      }
      out->cv.notify_all();
      self->quit();
    },
  };
}

int run_subscribe(const args& a) {
  caf::actor_system_config cfg;
  // Many of these share one CPU: one scheduler thread that sleeps when idle (work sharing). CAF's default work
  // stealing polls for about 25 ms after each message (500 attempts 50 us apart); 100 processes doing so after
  // every update kept the CPU saturated and receipts fell behind by seconds.
  cfg.set("scheduler.max-threads", 1);
  cfg.set("scheduler.policy", caf::atom("sharing"));
  caf::actor_system sys{caf_config(cfg)};
  auto gw = sys.middleman().remote_actor<messages::introspection_actor>("127.0.0.1", a.port);
  if (!gw)
    die("connect: " + sys.render(gw.error()));
  results out;
  std::vector<caf::actor> subs;
  caf::scoped_actor self{sys};
  for (int i = 0; i < a.subscribers; ++i) {
    subs.push_back(sys.spawn(subscriber, &out, a.warmup, a.updates));
    self->request(*gw, std::chrono::seconds{10}, messages::subscribe_atom::value, subs.back())
      .receive([](caf::ok_atom) {}, [&](caf::error& err) { die("subscribe: " + sys.render(err)); });
  }
  bool complete = false;
  {
    std::unique_lock<std::mutex> lock{out.mx};
    complete = out.cv.wait_for(lock, std::chrono::seconds{a.timeout_s}, [&] { return out.done == a.subscribers; });
  }
  for (auto& s : subs)
    caf::anon_send_exit(s, caf::exit_reason::user_shutdown);
  std::lock_guard<std::mutex> lock{out.mx};
  codec::json_writer w;
  w.begin_object().field("mode", "subscribe").field("subscribers", a.subscribers).field("complete", complete);
  write_list(w, "latency_us", out.latency_us);
  std::cout << w.end_object().str() << "\n";
  if (!complete)
    std::cerr << "bench_fanout: " << out.done << " of " << a.subscribers << " subscribers got " << a.updates
              << " updates within " << a.timeout_s << " s\n";
  return complete ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
  args a;
  if (argc < 2)
    die("usage: bench_fanout publish|subscribe --subscribers N [--port P] [--updates K] [--warmup W] "
        "[--interval-ms I] [--timeout-s T]");
  a.mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    const int v = std::atoi(argv[i + 1]);
    if (k == "--port")
      a.port = static_cast<uint16_t>(v);
    else if (k == "--subscribers")
      a.subscribers = v;
    else if (k == "--updates")
      a.updates = v;
    else if (k == "--warmup")
      a.warmup = v;
    else if (k == "--interval-ms")
      a.interval_ms = v;
    else if (k == "--timeout-s")
      a.timeout_s = v;
    else
      die("unknown option " + k);
  }
  if (a.subscribers < 1 || a.updates < 1 || a.warmup < 0 || a.interval_ms < 0 || a.timeout_s < 1)
    die("bad option value");
  if (a.mode == "publish")
    return run_publish(a);
  if (a.mode != "subscribe")
    die("unknown mode " + a.mode);
  if (a.port == 0)
    die("--port is required");
  return run_subscribe(a);
}
