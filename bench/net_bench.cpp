// bench_net: end-to-end figures against the loopback simulators (derivcache-sim), one JSON object on stdout.
//
//   bench_net chain   --port P --ca FILE [--runs N]      fetch + decode + skew of the BTC chain, and fetch only
//   bench_net ingest  --port P --ca FILE [--seconds S]   Binance WSS -> decode -> feature collector (messages/s)
//   bench_net raw     --port P --ca FILE [--seconds S]   the same connection, frames received and dropped
//   bench_net refresh --port P --ca FILE [--runs N]      engine refresh for BTC+ETH+SOL: request -> cache update
// The HTTPS fetches ask for gzip, as the engine does by default (--compression none: plain bodies).
#include "actors/binance_feed.hpp"
#include "actors/deribit_fetcher.hpp"
#include "actors/engine.hpp"
#include "actors/feature_collector.hpp"
#include "codec/binance.hpp"
#include "codec/deribit.hpp"
#include "codec/json_writer.hpp"
#include "messages/type_ids.hpp"
#include "net/https_client.hpp"
#include "net/ws_client.hpp"
#include "quant/currency.hpp"
#include "quant/skew.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using namespace derivcache;
using clock_type = std::chrono::steady_clock;

struct args {
  std::string mode;
  std::string port;
  std::string ca;
  int runs = 50;
  double seconds = 5;
  bool gzip = true;   ///< --compression gzip|none, as deribit.compression (default gzip)
};

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto tv = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return tv(u.ru_utime) + tv(u.ru_stime);
}

double since_us(clock_type::time_point t0) {
  return std::chrono::duration<double, std::micro>(clock_type::now() - t0).count();
}

codec::json_writer& write_list(codec::json_writer& w, std::string_view key, const std::vector<double>& xs) {
  w.key(key).begin_array();
  for (double x : xs)
    w.value(x);
  return w.end_array();
}

[[noreturn]] void die(const std::string& why) {
  std::cerr << "bench_net: " << why << "\n";
  std::exit(1);
}

// Sequential GETs on one keep-alive connection; `work` runs on each body (timed with the fetch).
std::vector<double> timed_gets(boost::asio::io_context& ioc, net::http_client& http, const std::string& target,
                               int runs, const std::function<void(const std::string&)>& work) {
  std::vector<double> us;
  std::function<void(int)> next = [&](int left) {
    if (left == 0)
      return;
    auto t0 = clock_type::now();
    http.get(target, [&, t0, left](net::http_result r) {
      if (r.error != net::failure::none || r.response.status != 200)
        die("GET " + target + ": " + r.message + " (status " + std::to_string(r.response.status) + ")");
      work(r.response.body);
      us.push_back(since_us(t0));
      next(left - 1);
    });
  };
  next(runs);
  ioc.restart();
  ioc.run();
  return us;
}

/// The simulator's HTTPS origin, as the engine's client reaches it.
net::https_options deribit_options(const args& a) {
  net::https_options o;
  o.host = "127.0.0.1";
  o.port = a.port;
  o.ca_file = a.ca;
  o.gzip = a.gzip;
  return o;
}

int run_chain(const args& a) {
  boost::asio::io_context ioc;
  std::string error;
  auto http = net::make_https_client(ioc, deribit_options(a), error);
  if (!http)
    die(error);
  const std::string target = "/api/v2/public/get_book_summary_by_currency?currency=BTC&kind=option";
  timed_gets(ioc, *http, target, 3, [](const std::string&) {});  // connect + warm up, not reported
  std::size_t rows = 0;
  double skew = 0;
  auto full = timed_gets(ioc, *http, target, a.runs, [&](const std::string& body) {
    auto decoded = codec::decode_option_summaries(body);
    auto result = quant::compute_skew(decoded.rows, {});
    if (!result.value)
      die("no skew from the simulator's chain");
    rows = decoded.rows.size();
    skew = result.value->skew_pct;
  });
  auto fetch_only = timed_gets(ioc, *http, target, a.runs, [](const std::string&) {});
  http->shutdown();
  codec::json_writer w;
  w.begin_object().field("mode", "chain").field("rows", std::uint64_t{rows}).field("skew_pct", skew);
  write_list(w, "fetch_decode_skew_us", full);
  write_list(w, "fetch_only_us", fetch_only);
  std::cout << w.end_object().str() << "\n";
  return 0;
}

struct io_thread {
  boost::asio::io_context ioc{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{ioc.get_executor()};
  std::thread thread{[this] { ioc.run(); }};
  ~io_thread() {
    work.reset();
    ioc.stop();
    thread.join();
  }
};

net::ws_options ws_opts(const args& a) {
  net::ws_options o;
  o.host = "127.0.0.1";
  o.port = a.port;
  o.ca_file = a.ca;
  o.target = codec::binance_stream_target({"BTCUSDT"});
  return o;
}

void print_rate(const char* mode, uint64_t messages, double wall_s, double cpu_s) {
  codec::json_writer w;
  w.begin_object().field("mode", mode).field("messages", messages).field("seconds", wall_s);
  w.field("messages_per_s", static_cast<double>(messages) / wall_s);
  w.field("cpu_us_per_message", messages ? cpu_s * 1e6 / static_cast<double>(messages) : 0.0);
  std::cout << w.end_object().str() << "\n";
}

// The ceiling: the same TLS WebSocket connection, frames counted and dropped on the I/O thread.
int run_raw(const args& a) {
  io_thread io;
  std::atomic<uint64_t> frames{0};
  std::atomic<bool> closed{false};
  net::ws_callbacks cb;
  cb.on_frames = [&](std::vector<std::string> f) { frames += f.size(); };
  cb.on_close = [&](net::failure, std::string message) {
    if (!closed.exchange(true))
      std::cerr << "bench_net raw: closed: " << message << "\n";
  };
  std::string error;
  auto conn = net::make_wss_connection(io.ioc, ws_opts(a), cb, error);
  if (!conn)
    die(error);
  conn->start();
  auto deadline = clock_type::now() + std::chrono::seconds{10};
  while (frames.load() < 1000 && clock_type::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  if (frames.load() < 1000)
    die("raw: no data from the simulator");
  auto f0 = frames.load();
  auto c0 = cpu_seconds();
  auto t0 = clock_type::now();
  std::this_thread::sleep_for(std::chrono::duration<double>{a.seconds});
  auto f1 = frames.load();
  auto wall = since_us(t0) / 1e6;
  auto cpu = cpu_seconds() - c0;
  conn->close();
  print_rate("raw", f1 - f0, wall, cpu);
  return 0;
}

caf::actor_system_config& caf_config(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::derivcache>();
  cfg.set("logger.file-verbosity", caf::atom("quiet"));
  cfg.set("scheduler.max-threads", 2);
  return cfg;
}

messages::feed_status feed_status(caf::scoped_actor& self, const messages::binance_feed_actor& feed) {
  messages::feed_status out;
  self->request(feed, std::chrono::seconds{5}, caf::get_atom::value, messages::status_atom::value)
    .receive([&](messages::feed_status& s) { out = std::move(s); }, [&](caf::error&) { die("feed status"); });
  return out;
}

// The engine's path: WSS frames -> binance_feed (decode) -> feature collector (rolling features).
int run_ingest(const args& a) {
  caf::actor_system_config cfg;
  caf::actor_system sys{caf_config(cfg)};
  {
    io_thread io;
    actors::feature_collector_deps cdeps;
    auto collector = actors::make_feature_collector(sys, cdeps);
    actors::binance_feed_deps fdeps;
    fdeps.options = ws_opts(a);
    fdeps.collector = collector;
    fdeps.connect = [&io](net::ws_options o, net::ws_callbacks cb, std::string& err) {
      return net::make_wss_connection(io.ioc, std::move(o), std::move(cb), err);
    };
    auto feed = actors::make_binance_feed(sys, fdeps);
    caf::scoped_actor self{sys};
    auto deadline = clock_type::now() + std::chrono::seconds{10};
    while (feed_status(self, feed).frames < 1000 && clock_type::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds{10});
    auto s0 = feed_status(self, feed);
    if (s0.frames < 1000)
      die("ingest: no data from the simulator: " + s0.last_error);
    auto c0 = cpu_seconds();
    auto t0 = clock_type::now();
    std::this_thread::sleep_for(std::chrono::duration<double>{a.seconds});
    auto s1 = feed_status(self, feed);
    // Everything the feed forwarded before s1 is in the collector's mailbox ahead of this capture.
    self->request(collector, std::chrono::seconds{30}, messages::capture_atom::value, std::string{"BTCUSDT"})
      .receive([](messages::feature_snapshot&) {}, [&](caf::error&) { die("capture failed"); });
    auto wall = since_us(t0) / 1e6;
    auto cpu = cpu_seconds() - c0;
    if (s1.malformed > 0)
      die("ingest: malformed frames: " + s1.last_error);
    print_rate("ingest", s1.frames - s0.frames, wall, cpu);
    self->send_exit(feed, caf::exit_reason::user_shutdown);
    self->send_exit(collector, caf::exit_reason::user_shutdown);
  }
  return 0;
}

// The engine as `derivcache run` wires it (no Binance feed): refresh -> 8 requests -> calculators -> cache.
int run_refresh(const args& a) {
  caf::actor_system_config cfg;
  caf::actor_system sys{caf_config(cfg)};
  configuration::engine_config ec;
  ec.deribit.url = "https://127.0.0.1:" + a.port;
  ec.deribit.ca_file = a.ca;
  ec.binance.symbols.clear();
  ec.deribit.max_requests_per_second = 1000;  // the bucket would otherwise pace the eight requests
  actors::engine_hooks hooks;
  hooks.log_sink = [](const std::string&) {};
  std::string error;
  auto engine = actors::start_engine(sys, ec, error, hooks);
  if (!engine)
    die(error);
  std::atomic<int> updates{0};
  auto counter = sys.spawn([&updates]() -> messages::cache_subscriber_actor::behavior_type {
    return {[&updates](const messages::derivatives_update&) { ++updates; }};
  });
  caf::anon_send(engine->cache, messages::subscribe_atom::value, counter);
  auto wait_for = [&](int n) {
    auto deadline = clock_type::now() + std::chrono::seconds{20};
    while (updates.load() < n && clock_type::now() < deadline)
      std::this_thread::sleep_for(std::chrono::microseconds{50});
    if (updates.load() < n)
      die("refresh: no cache update within 20 s");
  };
  wait_for(6);  // the first cycle at start (connects, loads instruments): not reported
  std::vector<double> us;
  for (int i = 0; i < a.runs; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
    int before = updates.load();
    auto t0 = clock_type::now();
    caf::anon_send(engine->supervisor, messages::refresh_atom::value);
    wait_for(before + 6);  // basis and skew for each of BTC, ETH, SOL
    us.push_back(since_us(t0));
  }
  engine->stop();
  caf::anon_send_exit(counter, caf::exit_reason::user_shutdown);

  // The server and the transfer: the same eight GETs (book summaries, then DVOL), one after another on one
  // keep-alive connection (as the fetcher's client sends them), bodies not decoded.
  boost::asio::io_context ioc;
  auto http = net::make_https_client(ioc, deribit_options(a), error);
  if (!http)
    die(error);
  std::vector<std::string> targets;
  for (const auto& name : ec.deribit.currencies) {
    auto spec = quant::find_currency(name);
    if (!spec)
      die("unknown currency " + name);
    for (const char* kind : {"future", "option"})
      targets.push_back(codec::book_summary_target("/api/v2", *spec, kind));
  }
  const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  for (const auto& name : ec.deribit.currencies)
    if (auto spec = quant::find_currency(name); spec && spec->has_dvol)
      targets.push_back(codec::volatility_index_target("/api/v2", *spec, now - std::chrono::minutes{10}, now));
  std::vector<double> fetch_us;
  for (int i = 0; i < a.runs + 1; ++i) {
    double total = 0;
    for (const auto& t : targets)
      total += timed_gets(ioc, *http, t, 1, [](const std::string&) {}).front();
    if (i > 0)  // the first round connects
      fetch_us.push_back(total);
  }
  http->shutdown();
  codec::json_writer w;
  w.begin_object().field("mode", "refresh");
  write_list(w, "cycle_us", us);
  write_list(w, "cycle_fetches_us", fetch_us);
  std::cout << w.end_object().str() << "\n";
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  args a;
  if (argc < 2)
    die("usage: bench_net chain|ingest|raw|refresh --port P --ca FILE [--runs N] [--seconds S] [--compression gzip|none]");
  a.mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--port")
      a.port = v;
    else if (k == "--ca")
      a.ca = v;
    else if (k == "--runs")
      a.runs = std::atoi(v.c_str());
    else if (k == "--seconds")
      a.seconds = std::atof(v.c_str());
    else if (k == "--compression" && (v == "gzip" || v == "none"))
      a.gzip = v == "gzip";
    else
      die("unknown option " + k);
  }
  if (a.port.empty())
    die("--port is required");
  if (a.mode == "chain")
    return run_chain(a);
  if (a.mode == "raw")
    return run_raw(a);
  if (a.mode == "ingest")
    return run_ingest(a);
  if (a.mode == "refresh")
    return run_refresh(a);
  die("unknown mode " + a.mode);
}
