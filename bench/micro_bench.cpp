// Micro-benchmarks of derivcache's hot paths (Google Benchmark); `make bench` runs them, `make test` only builds them.
#include "actors/calculator.hpp"
#include "actors/feature_collector.hpp"
#include "codec/binance.hpp"
#include "codec/deribit.hpp"
#include "codec/file.hpp"
#include "messages/type_ids.hpp"
#include "quant/basis.hpp"
#include "quant/rolling_features.hpp"
#include "quant/skew.hpp"

#include <benchmark/benchmark.h>
#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

namespace {

using namespace derivcache;

std::string payload(const std::string& path) {
  std::string error;
  auto text = codec::read_text_file(path, error);
  if (!text)
    throw std::runtime_error(error);
  return std::move(*text);
}

const std::string& option_chain() {
  static const std::string text = payload(DERIVCACHE_SOURCE_DIR "/tests/data/deribit_book_summary_option_btc_full_2026-03-13.json");
  return text;
}

const std::string& future_curve() {
  static const std::string text = payload(DERIVCACHE_SOURCE_DIR "/sim/data/book_summary.BTC.future.json");
  return text;
}

// The lower bound: Boost.JSON parsing the same bytes into a DOM, nothing else.
void BM_BoostJsonParseChain(benchmark::State& state) {
  const auto& text = option_chain();
  boost::json::monotonic_resource mr;
  for (auto _ : state) {
    boost::system::error_code ec;
    auto v = boost::json::parse(text, ec);
    benchmark::DoNotOptimize(v);
    if (ec)
      state.SkipWithError("parse failed");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_BoostJsonParseChain)->Unit(benchmark::kMicrosecond);

// Counts every event of a bare `basic_parser` pass: what the decoder costs is measured against this.
struct counting_handler {
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);
  using error_code = boost::system::error_code;
  using string_view = boost::json::string_view;
  std::size_t events = 0;

  bool count() { ++events; return true; }
  bool on_document_begin(error_code&) { return count(); }
  bool on_document_end(error_code&) { return count(); }
  bool on_object_begin(error_code&) { return count(); }
  bool on_object_end(std::size_t, error_code&) { return count(); }
  bool on_array_begin(error_code&) { return count(); }
  bool on_array_end(std::size_t, error_code&) { return count(); }
  bool on_key_part(string_view, std::size_t, error_code&) { return count(); }
  bool on_key(string_view, std::size_t, error_code&) { return count(); }
  bool on_string_part(string_view, std::size_t, error_code&) { return count(); }
  bool on_string(string_view, std::size_t, error_code&) { return count(); }
  bool on_number_part(string_view, error_code&) { return count(); }
  bool on_int64(std::int64_t, string_view, error_code&) { return count(); }
  bool on_uint64(std::uint64_t, string_view, error_code&) { return count(); }
  bool on_double(double, string_view, error_code&) { return count(); }
  bool on_bool(bool, error_code&) { return count(); }
  bool on_null(error_code&) { return count(); }
  bool on_comment_part(string_view, error_code&) { return count(); }
  bool on_comment(string_view, error_code&) { return count(); }
};

/// The figures of a pass over `text`: `name` (events, rows) as a counter, and bytes per second.
void count_pass(benchmark::State& state, const char* name, std::size_t value, const std::string& text) {
  state.counters[name] = static_cast<double>(value);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

// The floor of a streaming decode: one `basic_parser` pass over the BTC chain with a handler that only counts.
void BM_BasicParserCountingPass(benchmark::State& state) {
  const auto& text = option_chain();
  std::size_t events = 0;
  for (auto _ : state) {
    boost::json::basic_parser<counting_handler> parser{boost::json::parse_options{}};
    boost::system::error_code ec;
    parser.write_some(false, text.data(), text.size(), ec);
    if (ec)
      state.SkipWithError("parse failed");
    events = parser.handler().events;
    benchmark::DoNotOptimize(events);
  }
  count_pass(state, "events", events, text);
}
BENCHMARK(BM_BasicParserCountingPass)->Unit(benchmark::kMicrosecond);

// The BTC chain decoded into rows, nothing else.
void BM_DecodeOptionChain(benchmark::State& state) {
  const auto& text = option_chain();
  std::size_t rows = 0;
  for (auto _ : state) {
    auto decoded = codec::decode_option_summaries(text);
    if (!decoded.ok())
      state.SkipWithError("decode failed");
    rows = decoded.rows.size();
    benchmark::DoNotOptimize(decoded);
  }
  count_pass(state, "rows", rows, text);
}
BENCHMARK(BM_DecodeOptionChain)->Unit(benchmark::kMicrosecond);

// The real 964-option BTC chain: decode, then skew, ATM, butterfly and the smile term structure.
void BM_DecodeChainAndSkew(benchmark::State& state) {
  const auto& text = option_chain();
  quant::skew_params params;
  std::size_t smile = 0;
  for (auto _ : state) {
    auto rows = codec::decode_option_summaries(text);
    auto skew = quant::compute_skew(rows.rows, params);
    if (!skew.value)
      state.SkipWithError("no skew");
    smile = skew.smile.size();
    benchmark::DoNotOptimize(skew);
  }
  state.counters["smile_expiries"] = static_cast<double>(smile);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_DecodeChainAndSkew)->Unit(benchmark::kMicrosecond);

// Every signal of one currency from its decoded chain (decode excluded: the bodies' rows and the option names parsed,
// as the fetcher hands them over), as the two calculators compute them with
// the default settings: basis, term structure, constant-maturity basis; headline skew, smile, the whole surface
// and the model-free IV, each turned into its reading.
/// BTC's chain as the fetcher hands it over: rows decoded, option names parsed.
messages::currency_chain decoded_btc_chain(const std::string& options, const std::string& futures) {
  messages::currency_chain chain;
  chain.currency = *quant::find_currency("BTC");
  chain.options = codec::decode_option_summaries(options).rows;
  chain.futures = codec::decode_future_summaries(futures).rows;
  chain.option_names = quant::index_options(chain.options, nullptr);
  return chain;
}

/// Both calculators' readings of `chain` (every signal of one currency).
void compute_signals(benchmark::State& state, const messages::currency_chain& chain) {
  static const actors::basis_calculation basis;
  static const actors::skew_calculation skew;
  auto b = actors::compute(chain, basis);
  auto s = actors::compute(chain, skew);
  if (!s.skew_pct || !s.mfiv.value_pct)
    state.SkipWithError("no skew or no MFIV");
  benchmark::DoNotOptimize(b);
  benchmark::DoNotOptimize(s);
}

void BM_SignalsOneCurrency(benchmark::State& state) {
  const auto chain = decoded_btc_chain(option_chain(), future_curve());
  for (auto _ : state)
    compute_signals(state, chain);
}
BENCHMARK(BM_SignalsOneCurrency)->Unit(benchmark::kMicrosecond);

// What one currency's cycle computes from its bodies: decode the BTC chain and the futures curve, parse the option
// names, then every signal of BM_SignalsOneCurrency.
void BM_DecodeChainAndSignals(benchmark::State& state) {
  const auto& options = option_chain();
  const auto& futures = future_curve();
  for (auto _ : state)
    compute_signals(state, decoded_btc_chain(options, futures));
}
BENCHMARK(BM_DecodeChainAndSignals)->Unit(benchmark::kMicrosecond);

// A futures book summary: decode, then nearest-quarterly basis, the term structure and the perpetual premium.
void BM_DecodeFuturesAndBasis(benchmark::State& state) {
  const auto& text = future_curve();
  quant::basis_params params;
  for (auto _ : state) {
    auto rows = codec::decode_future_summaries(text);
    auto basis = quant::compute_basis(rows.rows, {}, params);
    if (!basis.nearest)
      state.SkipWithError("no basis");
    benchmark::DoNotOptimize(basis);
  }
}
BENCHMARK(BM_DecodeFuturesAndBasis)->Unit(benchmark::kMicrosecond);

// One aggTrade frame decoded and added to the rolling 5-minute window (trade time advances 10 ms a frame).
void BM_AggTradeFrameToRollingFeatures(benchmark::State& state) {
  const std::string head = R"({"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":1616176861895,"s":"BTCUSDT","a":640283266,"p":"58942.01000000","q":"0.00035600","f":716849523,"l":716849523,"T":)";
  const std::string tail = R"(,"m":false,"M":true}})";
  quant::rolling_features features;
  int64_t t = 1616176861893;
  std::vector<std::string> frames;
  for (int i = 0; i < 1024; ++i)
    frames.push_back(head + std::to_string(t + 10 * i) + tail);
  std::size_t i = 0;
  int64_t offset = 0;
  for (auto _ : state) {
    auto decoded = codec::decode_binance_frame(frames[i]);
    auto* trade = std::get_if<codec::agg_trade>(&decoded.event);
    if (!trade) {
      state.SkipWithError("not an aggTrade");
      break;
    }
    quant::trade_sample s;
    s.time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(trade->trade_time.time_since_epoch()).count()
                + offset;
    s.price = trade->price;
    s.quantity = trade->quantity;
    s.trade_count = trade->last_trade_id - trade->first_trade_id + 1;
    s.taker_buy = !trade->buyer_is_maker;
    features.add(s);
    if (++i == frames.size()) {
      i = 0;
      offset += 10240;
    }
  }
  benchmark::DoNotOptimize(features.stats(std::chrono::seconds{60}));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_AggTradeFrameToRollingFeatures);

// One bookTicker frame decoded into the top of book.
void BM_BookTickerFrameToTopOfBook(benchmark::State& state) {
  const std::string frame =
    R"({"stream":"btcusdt@bookTicker","data":{"u":19575390521,"s":"BTCUSDT","b":"29010.90000000","B":"13.94302000","a":"29010.91000000","A":"3.99953000"}})";
  codec::book_ticker top;
  for (auto _ : state) {
    auto decoded = codec::decode_binance_frame(frame);
    auto* b = std::get_if<codec::book_ticker>(&decoded.event);
    if (!b) {
      state.SkipWithError("not a bookTicker");
      break;
    }
    if (b->update_id >= top.update_id)
      top = std::move(*b);
    benchmark::DoNotOptimize(top);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_BookTickerFrameToTopOfBook);

/// A running collector for BTCUSDT whose 5-minute window holds 30,000 trades (100 trades/s of exchange time,
/// a busy BTCUSDT), fed by a thread with one trade + one ticker batch per millisecond (T advances 10 ms a trade).
struct live_collector {
  static constexpr int64_t trade_step_ms = 10;
  static constexpr int prefill = 30000;

  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  messages::feature_collector_actor collector;
  std::atomic<bool> stop{false};
  std::thread feeder;
  int64_t id = 1;
  caf::timestamp t0 = caf::make_timestamp();

  messages::spot_trade trade(int64_t i) const {
    messages::spot_trade x;
    x.symbol = "BTCUSDT";
    x.price = 65000 + static_cast<double>(i % 100);
    x.quantity = 0.01;
    x.first_trade_id = x.last_trade_id = i;
    x.buyer_is_maker = i % 2 == 0;
    x.trade_time = x.event_time = x.received = t0 + std::chrono::milliseconds{i * trade_step_ms};
    return x;
  }

  live_collector() {
    cfg.add_message_types<caf::id_block::derivcache>();
    cfg.set("logger.file-verbosity", caf::atom("quiet"));
    cfg.set("scheduler.max-threads", 2);
    sys = std::make_unique<caf::actor_system>(cfg);
    actors::feature_collector_deps deps;
    collector = actors::make_feature_collector(*sys, deps);
    for (int b = 0; b < prefill / 1000; ++b) {
      messages::spot_batch batch;
      for (int i = 0; i < 1000; ++i)
        batch.trades.push_back(trade(id++));
      caf::anon_send(collector, std::move(batch));
    }
    feeder = std::thread{[this] {
      auto next = std::chrono::steady_clock::now();
      while (!stop.load()) {
        messages::spot_batch batch;
        batch.trades.push_back(trade(id));
        messages::spot_ticker ticker;
        ticker.symbol = "BTCUSDT";
        ticker.update_id = id;
        ticker.bid_price = batch.trades.back().price - 0.01;
        ticker.ask_price = batch.trades.back().price + 0.01;
        ticker.bid_quantity = ticker.ask_quantity = 1;
        ticker.received = batch.trades.back().received;
        batch.tickers.push_back(ticker);
        caf::anon_send(collector, std::move(batch));
        ++id;
        next += std::chrono::milliseconds{1};
        std::this_thread::sleep_until(next);
      }
    }};
  }

  ~live_collector() {
    stop = true;
    feeder.join();
    caf::anon_send_exit(collector, caf::exit_reason::user_shutdown);
    collector = nullptr;
  }
};

double percentile(std::vector<double>& xs, double p) {
  if (xs.empty())
    return 0;
  auto k = static_cast<std::size_t>(p * static_cast<double>(xs.size() - 1));
  std::nth_element(xs.begin(), xs.begin() + static_cast<std::ptrdiff_t>(k), xs.end());
  return xs[k];
}

/// What a requester actor measured: one latency per request, and a promise kept after the last reply.
struct latency_run {
  std::vector<double> us;
  std::promise<void> done;
  bool failed = false;
};

/// Asks for a snapshot, and on the reply records the round trip and asks again, `left` times.
void ask(caf::event_based_actor* self, const messages::feature_collector_actor& collector, latency_run* run, int left) {
  if (left == 0) {
    run->done.set_value();
    self->quit();
    return;
  }
  auto t0 = std::chrono::steady_clock::now();
  self->request(collector, std::chrono::seconds{5}, messages::capture_atom::value, std::string{"BTCUSDT"})
    .then(
      [=](messages::feature_snapshot&) {
        run->us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
        ask(self, collector, run, left - 1);
      },
      [=](caf::error&) {
        run->failed = true;
        run->done.set_value();
        self->quit();
      });
}

// capture_snapshot request -> reply between two actors, one request at a time, while the feeder updates the
// collector: 1000 sequential round trips per iteration, latency percentiles over all of them.
void BM_CaptureSnapshotLatency(benchmark::State& state) {
  live_collector live;
  constexpr int per_iteration = 1000;
  std::vector<double> us;
  state.counters["window_trades"] = live_collector::prefill;
  for (auto _ : state) {
    latency_run run;
    run.us.reserve(per_iteration);
    auto done = run.done.get_future();
    live.sys->spawn([&run, collector = live.collector](caf::event_based_actor* self) {
      ask(self, collector, &run, per_iteration);
      return caf::behavior{[](caf::ok_atom) {}};
    });
    done.wait();
    if (run.failed) {
      state.SkipWithError("capture failed");
      break;
    }
    us.insert(us.end(), run.us.begin(), run.us.end());
  }
  state.counters["p50_us"] = percentile(us, 0.50);
  state.counters["p99_us"] = percentile(us, 0.99);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * per_iteration);
}
BENCHMARK(BM_CaptureSnapshotLatency)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);

// capture_snapshot with 256 requests in flight, while the feeder updates the collector (throughput).
void BM_CaptureSnapshotThroughput(benchmark::State& state) {
  live_collector live;
  caf::scoped_actor self{*live.sys};
  const std::string symbol = "BTCUSDT";
  constexpr int in_flight = 256;
  state.counters["window_trades"] = live_collector::prefill;
  for (auto _ : state) {
    for (int i = 0; i < in_flight; ++i)
      self->send(live.collector, messages::capture_atom::value, symbol);
    int got = 0;
    self->receive_for(got, in_flight)([](messages::feature_snapshot& s) { benchmark::DoNotOptimize(s); });
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * in_flight);
}
BENCHMARK(BM_CaptureSnapshotThroughput)->Unit(benchmark::kMicrosecond)->UseRealTime()->MinTime(1.0);

} // namespace

BENCHMARK_MAIN();
