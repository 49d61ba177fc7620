// The fetcher end to end against a fake HTTP client: chains -> calculators -> cache, bad payloads,
// request errors, DVOL straight to the cache (never holding a chain back), deferral by a token bucket; and the
// engine's start/stop.
#include "actor_fixture.hpp"

#include "actors/cache_holder.hpp"
#include "actors/calculator.hpp"
#include "actors/deribit_fetcher.hpp"
#include "actors/engine.hpp"
#include "actors/fetch_supervisor.hpp"
#include "quant/basis.hpp"
#include "quant/skew.hpp"

#include <functional>

using namespace std::chrono_literals;
using namespace derivcache;
using namespace derivcache::test;

namespace {

struct Pipeline : FetcherFixture {
  std::shared_ptr<runtime::cache_stats> cstats = std::make_shared<runtime::cache_stats>();
  messages::cache_holder_actor cache = track(actors::make_cache_holder(sys, {900s, logs.log, cstats}));
  messages::calculator_actor basis_calc = track(actors::make_calculator(sys, {cache, actors::basis_calculation{}, logs.log}));
  messages::calculator_actor skew_calc = track(actors::make_calculator(sys, {cache, actors::skew_calculation{}, logs.log}));
  messages::deribit_fetcher_actor fetcher;   // the latest one spawned

  /// The wall clock every fetcher here reads: the recorded chain's time, 2026-03-13T19:00:15.531Z.
  static constexpr int64_t now_ms = 1773428415531;

  actors::deribit_fetcher_deps deps(std::vector<std::string> currencies) {
    actors::deribit_fetcher_deps d;
    d.http = http;
    for (const auto& c : currencies)
      d.currencies.push_back(*quant::find_currency(c));
    d.calculators = {basis_calc, skew_calc};
    d.cache = cache;
    d.stats = fetch_stats;
    d.log = logs.log;
    d.wall_clock = [] { return caf::timestamp{std::chrono::milliseconds{now_ms}}; };
    return d;
  }

  /// Also sends every chain to the test's scoped actor.
  // A supervisor whose fetchers get `make_deps()` (each start counted in `spawned`, the latest in `fetcher`).
  int spawned = 0;
  messages::fetch_supervisor_actor supervise(std::function<actors::deribit_fetcher_deps()> make_deps) {
    actors::fetch_supervisor_deps sd;
    sd.spawn_fetcher = [this, make_deps](caf::actor_system& s, messages::fetch_supervisor_actor sup) {
      auto d = make_deps();
      d.supervisor = std::move(sup);
      ++spawned;
      fetcher = track(actors::make_deribit_fetcher(s, std::move(d)));
      return fetcher;
    };
    sd.uniform01 = [] { return 0.5; };
    sd.log = logs.log;
    auto sup = track(actors::make_fetch_supervisor(sys, std::move(sd)));
    sched.run();
    return sup;
  }

  actors::deribit_fetcher_deps deps_seen_by_test(std::vector<std::string> currencies) {
    auto d = deps(std::move(currencies));
    d.calculators.push_back(caf::actor_cast<messages::calculator_actor>(self));
    return d;
  }

  /// The chain the fetcher sent to the scoped actor next.
  messages::chain_ptr next_chain() {
    messages::chain_ptr out;
    receive_now<messages::chain_ptr>([&](messages::chain_ptr& c) { out = c; });
    return out;
  }

  void good_cycle() {
    complete_good_cycle(*http);
    sched.run();
  }

  /// A refresh one second on (the book bucket has refilled), its requests completed by `answer`: the chain it
  /// sent to the test, and BTC's view after it.
  template <class Answer>
  messages::derivatives_view refreshed_cycle(Answer answer) {
    sched.advance_time(1s);
    self->send(fetcher, messages::refresh_atom::value);
    sched.run();
    answer();
    sched.run();
    EXPECT_TRUE(next_chain());
    return view_of(cache, "BTC");
  }
};

} // namespace

TEST_F(Pipeline, CycleFeedsCalculatorsAndCacheWithTheQuantValues) {
  self->send(cache, messages::subscribe_atom::value, caf::actor_cast<messages::cache_subscriber_actor>(self));
  fetcher = track(actors::make_deribit_fetcher(sys, deps({"BTC"})));
  sched.run();
  ASSERT_EQ(http->calls.size(), 4u);
  EXPECT_EQ(http->calls[0].target, "/api/v2/public/get_instruments?currency=BTC&expired=false");
  EXPECT_EQ(http->calls[1].target, "/api/v2/public/get_book_summary_by_currency?currency=BTC&kind=future");
  EXPECT_EQ(http->calls[2].target, "/api/v2/public/get_book_summary_by_currency?currency=BTC&kind=option");
  EXPECT_EQ(http->calls[3].target, "/api/v2/public/get_volatility_index_data?currency=BTC"
                                   "&start_timestamp=1773427815531&end_timestamp=1773428415531&resolution=60");
  EXPECT_EQ(logs.count("INFO [TEST] 📡 Derivatives Cache Monitor started (interval: 300s)"), 1u);

  // Book summaries first: the chain waits for the instruments of its cycle, not for its DVOL.
  http->complete("kind=future", reply_file(futures_file));
  http->complete("kind=option", reply_file(options_file));
  sched.run();
  EXPECT_EQ(fetch_stats->chains_sent.load(), 0u);
  http->complete("get_instruments", reply_file(instruments_file));
  sched.run();
  EXPECT_EQ(fetch_stats->chains_sent.load(), 1u);
  EXPECT_EQ(fetch_stats->cycles_complete.load(), 1u);
  EXPECT_EQ(logs.count("📈 Volatility [BTC]"), 0u);   // its DVOL is still to come
  http->complete(dvol_method, reply_file(dvol_file));
  sched.run();
  EXPECT_EQ(logs.count("📈 Volatility [BTC]: ATM 30d="), 1u);
  EXPECT_EQ(logs.count(" | DVOL=35.47"), 1u);

  // The same computation straight on the files.
  auto futures = btc_futures_2025();
  auto options = btc_chain_2026();
  auto instruments = load_rows(instruments_file, codec::decode_instruments);
  quant::expiry_table table{instruments};
  quant::basis_params bp;
  bp.expiries = &table;
  auto want_basis = quant::compute_basis(futures, options, bp);
  quant::skew_params sp;
  sp.expiries = &table;
  auto want_skew = quant::compute_skew(options, sp);
  ASSERT_TRUE(want_basis.nearest && want_skew.value);

  auto v = view_of(cache, "BTC");
  ASSERT_TRUE(v.basis && v.basis->apr_pct);
  ASSERT_TRUE(v.skew && v.skew->skew_pct);
  EXPECT_NEAR(*v.skew->skew_pct, 6.3218, 5e-4);
  EXPECT_DOUBLE_EQ(*v.skew->skew_pct, want_skew.value->skew_pct);
  EXPECT_EQ(v.skew_state, quant::skew_state::fear);
  EXPECT_NEAR(*v.basis->apr_pct, 12.527, 1e-3);
  EXPECT_DOUBLE_EQ(*v.basis->apr_pct, want_basis.nearest->apr_pct);
  EXPECT_EQ(v.basis_state, quant::basis_state::contango);
  EXPECT_EQ(v.basis->instrument, "BTC-28MAR25");
  EXPECT_EQ(v.basis->source, "future");
  EXPECT_EQ(v.basis->term_structure.size(), want_basis.term_structure.size());
  EXPECT_TRUE(v.basis->perpetual_premium_pct);
  EXPECT_TRUE(v.basis->funding_8h);
  EXPECT_EQ(v.skew->expiries, (std::vector<std::string>{"BTC-3APR26", "BTC-24APR26"}));
  EXPECT_EQ(v.skew->smile.size(), want_skew.smile.size());
  EXPECT_EQ(v.basis->received, v.skew->received);
  EXPECT_EQ(v.skew->as_of, caf::timestamp{std::chrono::milliseconds{1773428415542}});
  EXPECT_EQ(logs.count("📡 Derivatives Cache [BTC]: Basis=12.53% (CONTANGO) | Skew=6.32% (FEAR)"), 1u);

  auto updates = drain_updates();
  ASSERT_EQ(updates.size(), 3u);   // one per reading, one for DVOL
  EXPECT_EQ(updates.back().view.currency, "BTC");
  EXPECT_TRUE(updates.back().view.basis && updates.back().view.skew);
  ASSERT_TRUE(updates.back().view.dvol.close);
  EXPECT_DOUBLE_EQ(*updates.back().view.dvol.close, 35.47);

  // The next cycle starts after the interval; the instrument table is still fresh (hourly).
  sched.advance_time(300s);
  sched.run();
  EXPECT_EQ(http->count("get_instruments"), 1u);
  EXPECT_EQ(http->count("kind=future"), 2u);
}

TEST_F(Pipeline, BadPayloadAndRequestErrorKeepTheLastGoodReadingWithoutARestart) {
  auto sup = supervise([this] { return deps({"BTC"}); });
  good_cycle();
  const double good = *view_of(cache, "BTC").basis->apr_pct;

  // A body that is not JSON: counted and logged, the currency is skipped this cycle.
  self->send(fetcher, messages::refresh_atom::value);
  sched.run();
  http->complete("kind=future", reply(200, "{\"jsonrpc\":\"2.0\",\"result\":[{\"instrument_name\""));
  http->complete("kind=option", reply_file(options_file));
  sched.run();
  EXPECT_EQ((*fetch_stats)[messages::fetch_outcome::bad_payload].load(), 1u);
  EXPECT_EQ(fetch_stats->chains_sent.load(), 1u);
  EXPECT_EQ(logs.count("ERROR [TEST] bad payload on /api/v2/public/get_book_summary_by_currency?currency=BTC&kind=future"),
            1u);

  // JSON-RPC -32602 (our request was wrong): an ERROR line with the target, no retry loop, no restart.
  self->send(fetcher, messages::refresh_atom::value);
  sched.run();
  sched.advance_time(1s);   // six book requests so far: the sixth waited for a token
  sched.run();
  http->complete("kind=option", reply(400, R"({"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"reason":"must be one of the values","param":"kind"}}})"));
  http->complete("kind=future", reply_file(futures_file));
  sched.run();
  EXPECT_EQ((*fetch_stats)[messages::fetch_outcome::request_error].load(), 1u);
  EXPECT_EQ(logs.count("ERROR [TEST] request error: HTTP 400 (JSON-RPC -32602 Invalid params: must be one of the "
                       "values) on /api/v2/public/get_book_summary_by_currency?currency=BTC&kind=option"),
            1u);
  EXPECT_EQ(fetch_stats->chains_sent.load(), 1u);
  EXPECT_EQ(http->count("kind=option"), 3u);   // not retried

  auto st = status_of(sup);
  EXPECT_TRUE(st.alive);
  EXPECT_EQ(st.restarts, 0u);
  EXPECT_EQ(spawned, 1);
  auto v = view_of(cache, "BTC");
  ASSERT_TRUE(v.basis && v.basis->apr_pct);
  EXPECT_DOUBLE_EQ(*v.basis->apr_pct, good);
  EXPECT_EQ(v.basis_state, quant::basis_state::contango);
  EXPECT_EQ(fetch_stats->cycles_complete.load(), 1u);
}

TEST_F(Pipeline, TokenBucketDefersRequestsBeyondMaxRps) {
  auto d = deps({"BTC", "ETH", "SOL"});
  d.book_bucket = std::make_shared<runtime::token_bucket>(5.0, 5.0);
  fetcher = track(actors::make_deribit_fetcher(sys, std::move(d)));
  sched.run();
  EXPECT_EQ(http->count("get_instruments"), 3u);   // separate bucket (burst 5)
  EXPECT_EQ(http->count("get_book_summary_by_currency"), 5u);
  EXPECT_EQ(fetch_stats->deferred.load(), 3u);           // SOL's options, then BTC's and ETH's DVOL
  EXPECT_EQ(http->count("currency=USDC&kind=option"), 0u);   // SOL's options wait for a token
  EXPECT_EQ(http->count(dvol_method), 0u);
  sched.advance_time(199ms);
  sched.run();
  EXPECT_EQ(http->count("get_book_summary_by_currency"), 5u);
  sched.advance_time(2ms);
  sched.run();
  EXPECT_EQ(http->count("get_book_summary_by_currency"), 6u);
  EXPECT_EQ(http->count("/api/v2/public/get_book_summary_by_currency?currency=USDC&kind=option"), 1u);
  EXPECT_EQ(http->count("/api/v2/public/get_instruments?currency=USDC&expired=false"), 1u);
  EXPECT_EQ(http->count(dvol_method), 0u);
  sched.advance_time(200ms);   // the DVOL requests share the book summaries' bucket
  sched.run();
  EXPECT_EQ(http->count("get_volatility_index_data?currency=BTC&"), 1u);
  EXPECT_EQ(http->count(dvol_method), 1u);
  sched.advance_time(200ms);
  sched.run();
  EXPECT_EQ(http->count("get_volatility_index_data?currency=ETH&"), 1u);
  EXPECT_EQ(http->count(dvol_method), 2u);   // none for SOL
  EXPECT_EQ(fetch_stats->requests.load(), 3u + 6u + 2u);
}

TEST_F(Pipeline, DvolGoesToTheCacheBesideTheChainAndNoneIsAskedForSol) {
  fetcher = track(actors::make_deribit_fetcher(sys, deps_seen_by_test({"BTC", "SOL"})));
  sched.run();
  EXPECT_EQ(http->count(dvol_method), 1u);
  EXPECT_EQ(http->count("get_volatility_index_data?currency=BTC&"), 1u);
  http->complete("get_instruments?currency=BTC", reply_file(instruments_file));
  http->complete("currency=BTC&kind=future", reply_file(futures_file));
  http->complete("currency=BTC&kind=option", reply_file(options_file));
  http->complete(dvol_method, reply_file(dvol_file));
  sched.run();
  auto btc = next_chain();
  ASSERT_TRUE(btc);
  EXPECT_EQ(btc->currency.name, "BTC");
  EXPECT_EQ(btc->received, caf::timestamp{std::chrono::milliseconds{now_ms}});
  auto v = view_of(cache, "BTC");
  ASSERT_TRUE(v.dvol.close) << v.dvol.reason;
  EXPECT_DOUBLE_EQ(*v.dvol.close, 35.47);   // the recording's newest candle
  EXPECT_EQ(v.dvol.time, caf::timestamp{std::chrono::milliseconds{1789905600000}});
  EXPECT_EQ(v.dvol.candles, 15u);
  EXPECT_EQ(v.dvol.reason, "");
  EXPECT_EQ(v.dvol.received, caf::timestamp{std::chrono::milliseconds{now_ms}});
  ASSERT_TRUE(v.skew && v.skew->mfiv.value_pct);
  ASSERT_TRUE(v.dvol.mfiv_minus_dvol);
  EXPECT_DOUBLE_EQ(*v.dvol.mfiv_minus_dvol, *v.skew->mfiv.value_pct - 35.47);

  http->complete("get_instruments?currency=USDC", reply(200, R"({"jsonrpc":"2.0","result":[]})"));
  http->complete("currency=USDC&kind=future", reply(200, R"({"jsonrpc":"2.0","result":[]})"));
  http->complete("currency=USDC&kind=option", reply(200, R"({"jsonrpc":"2.0","result":[]})"));
  sched.run();
  auto sol = next_chain();
  ASSERT_TRUE(sol);
  EXPECT_EQ(sol->currency.name, "SOL");
  const auto sv = view_of(cache, "SOL");
  EXPECT_FALSE(sv.dvol.close);
  EXPECT_EQ(sv.dvol.reason, "not listed for SOL");
  EXPECT_EQ(logs.count("📈 Volatility [SOL]: "), 1u);
  EXPECT_EQ(logs.count("| DVOL n/a (not listed for SOL)"), 1u);
  EXPECT_EQ(fetch_stats->cycles_complete.load(), 1u);
  EXPECT_EQ(fetch_stats->requests.load(), 7u);
}

TEST_F(Pipeline, DvolThatNeverAnswersDoesNotDelayTheChain) {
  fetcher = track(actors::make_deribit_fetcher(sys, deps_seen_by_test({"BTC"})));
  sched.run();
  http->complete("get_instruments", reply_file(instruments_file));
  http->complete("kind=future", reply_file(futures_file));
  http->complete("kind=option", reply_file(options_file));
  sched.run();   // no time passes: the DVOL request is still open
  EXPECT_EQ(http->pending(dvol_method), 1u);
  auto chain = next_chain();
  ASSERT_TRUE(chain);
  EXPECT_EQ(chain->received, caf::timestamp{std::chrono::milliseconds{now_ms}});
  EXPECT_EQ(fetch_stats->cycles_complete.load(), 1u);
  auto v = view_of(cache, "BTC");
  ASSERT_TRUE(v.basis && v.basis->apr_pct && v.skew && v.skew->skew_pct);
  EXPECT_NEAR(*v.skew->skew_pct, 6.3218, 5e-4);
  EXPECT_FALSE(v.dvol.close);
  EXPECT_EQ(v.dvol.reason, "no answer yet");
  EXPECT_EQ(logs.count("📡 Derivatives Cache [BTC]: Basis=12.53% (CONTANGO) | Skew=6.32% (FEAR)"), 1u);
  EXPECT_EQ(logs.count("📈 Volatility [BTC]"), 0u);   // waits for this cycle's DVOL

  // The answer comes late (still in its cycle): the cache takes it and the volatility line follows.
  sched.advance_time(20s);
  sched.run();
  http->complete(dvol_method, reply_file(dvol_file));
  sched.run();
  v = view_of(cache, "BTC");
  ASSERT_TRUE(v.dvol.close);
  EXPECT_DOUBLE_EQ(*v.dvol.close, 35.47);
  EXPECT_EQ(logs.count("📈 Volatility [BTC]: ATM 30d="), 1u);
  EXPECT_EQ(logs.count(" | DVOL=35.47"), 1u);

  // Next cycle: its DVOL never answers; the chain goes and the cache keeps the last good DVOL.
  sched.advance_time(280s);
  sched.run();
  http->complete("kind=future", reply_file(futures_file));
  http->complete("kind=option", reply_file(options_file));
  sched.run();
  EXPECT_EQ(fetch_stats->cycles_complete.load(), 2u);
  EXPECT_TRUE(next_chain());
  v = view_of(cache, "BTC");
  ASSERT_TRUE(v.dvol.close);
  EXPECT_DOUBLE_EQ(*v.dvol.close, 35.47);
  EXPECT_EQ(v.dvol_age, caf::timespan{280s});
}

TEST_F(Pipeline, FailedDvolReachesTheCacheAsAReasonAndTheChainGoesOnWithoutARestart) {
  auto sup = supervise([this, t0 = sched.clock().now()] {
    auto d = deps_seen_by_test({"BTC"});
    // The wall clock moves with the scheduler's: every cycle has a receive time of its own.
    d.wall_clock = [this, t0] {
      return caf::timestamp{std::chrono::milliseconds{now_ms}} + (sched.clock().now() - t0);
    };
    return d;
  });

  const std::string target = "/api/v2/public/get_volatility_index_data?currency=BTC"
                             "&start_timestamp=1773427815531&end_timestamp=1773428415531&resolution=60";
  struct dvol_failure {
    net::http_result answer;
    std::string reason;
    messages::fetch_outcome counted;
  };
  const dvol_failure failures[] = {
    {reply(500, "<html>500 Internal Server Error</html>"), "request failed: HTTP 500",
     messages::fetch_outcome::unavailable},
    {reply(503, R"({"jsonrpc":"2.0","error":{"message":"system_maintenance","code":11051}})"),
     "request failed: HTTP 503 (JSON-RPC 11051 system_maintenance)", messages::fetch_outcome::unavailable},
    {failed(net::failure::timeout, "request deadline passed"), "request failed: timeout: request deadline passed",
     messages::fetch_outcome::network_failure},
    {reply(400, R"({"jsonrpc":"2.0","error":{"message":"Invalid params","data":{"reason":"wrong format",)"
                R"("param":"currency"},"code":-32602}})"),
     "request failed: HTTP 400 (JSON-RPC -32602 Invalid params: wrong format)",
     messages::fetch_outcome::request_error},
    {reply(200, R"({"jsonrpc":"2.0","result":{"data":[],"continuation":null}})"), R"(bad payload: no candles in "data")",
     messages::fetch_outcome::bad_payload},
    {reply(200, R"({"jsonrpc":"2.0","result":{"data":[[1773428400000,35.46,35.5,35.4]]}})"),
     "bad payload: candle 0: has 4 values, expected 5 (ts, open, high, low, close)",
     messages::fetch_outcome::bad_payload},
  };
  uint64_t cycle = 0;
  for (const auto& f : failures) {
    if (cycle++ > 0) {
      sched.advance_time(1s);   // the book bucket refills
      self->send(fetcher, messages::refresh_atom::value);
      sched.run();
    }
    const auto counted_before = (*fetch_stats)[f.counted].load();
    const auto warnings_before = logs.count("WARN [TEST] DVOL for BTC failed: ");
    http->complete("kind=future", reply_file(futures_file));
    http->complete("kind=option", reply_file(options_file));
    if (http->pending("get_instruments") > 0)
      http->complete("get_instruments", reply_file(instruments_file));
    http->complete(dvol_method, f.answer);
    sched.run();
    auto chain = next_chain();
    ASSERT_TRUE(chain) << f.reason;
    EXPECT_FALSE(chain->options.empty()) << "the chain itself is whole";
    const auto v = view_of(cache, "BTC");
    EXPECT_FALSE(v.dvol.close) << f.reason;
    EXPECT_EQ(v.dvol.reason, f.reason);
    EXPECT_EQ(logs.count("| DVOL n/a (" + f.reason + ")"), 1u) << f.reason;
    EXPECT_EQ((*fetch_stats)[f.counted].load(), counted_before + 1) << f.reason;
    EXPECT_EQ(logs.count("WARN [TEST] DVOL for BTC failed: "), warnings_before + 1) << f.reason;
    EXPECT_EQ(fetch_stats->cycles_complete.load(), cycle) << f.reason;
  }
  EXPECT_EQ(logs.count("WARN [TEST] DVOL for BTC failed: HTTP 500 on " + target), 1u);
  const auto st = status_of(sup);
  EXPECT_TRUE(st.alive);
  EXPECT_EQ(st.restarts, 0u);
  EXPECT_EQ(st.consecutive_failures, 0u);
  EXPECT_EQ(spawned, 1);
  auto v = view_of(cache, "BTC");
  ASSERT_TRUE(v.basis && v.basis->apr_pct && v.skew && v.skew->skew_pct);
  EXPECT_NEAR(*v.skew->skew_pct, 6.3218, 5e-4);

  // The next good answer brings DVOL back.
  v = refreshed_cycle([&] { complete_good_cycle(*http); });
  ASSERT_TRUE(v.dvol.close);
  EXPECT_DOUBLE_EQ(*v.dvol.close, 35.47);
  EXPECT_EQ(v.dvol.reason, "");

  // A failure after it keeps that close, with the reason beside it, counted as a record kept.
  const auto kept_before = cstats->records_kept_last_good.load();
  v = refreshed_cycle([&] {
    http->complete("kind=future", reply_file(futures_file));
    http->complete("kind=option", reply_file(options_file));
    http->complete(dvol_method, failures[0].answer);
  });
  ASSERT_TRUE(v.dvol.close);
  EXPECT_DOUBLE_EQ(*v.dvol.close, 35.47);
  EXPECT_EQ(v.dvol.reason, "request failed: HTTP 500");
  EXPECT_EQ(cstats->records_kept_last_good.load(), kept_before + 1);
  EXPECT_EQ(logs.count("WARN [TEST] dvol [BTC]: no value for DVOL; keeping the last good values"), 1u);
  EXPECT_EQ(logs.count("| DVOL n/a (request failed: HTTP 500)"), 2u);   // as the update brought it
}

TEST_F(Pipeline, StaleRepliesAndRefreshDuringACycleAreIgnored) {
  fetcher = track(actors::make_deribit_fetcher(sys, deps({"BTC"})));
  sched.run();
  self->send(fetcher, messages::refresh_atom::value);   // a cycle is running: ignored
  sched.run();
  EXPECT_EQ(http->count("kind=future"), 1u);
  sched.advance_time(300s);   // the next tick abandons the unfinished cycle
  sched.run();
  EXPECT_EQ(http->count("kind=future"), 2u);
  // a reply for the abandoned cycle (the oldest request) is ignored
  auto& old = http->calls[1];
  ASSERT_NE(old.target.find("kind=future"), std::string::npos);
  old.done = true;
  old.h(reply_file(futures_file));
  sched.run();
  EXPECT_EQ(fetch_stats->stale_replies.load(), 1u);
  good_cycle();
  EXPECT_EQ(fetch_stats->cycles_complete.load(), 1u);
}

TEST_F(Pipeline, EngineStartsWiredAndStopsCleanly) {
  configuration::engine_config ecfg;
  actors::engine_hooks hooks;
  hooks.http = http;
  hooks.log_sink = [l = logs.lines](const std::string& line) { l->push_back(line); };
  hooks.uniform01 = [] { return 0.5; };
  std::string error;
  ecfg.deribit.currencies = {"BTC", "DOGE"};
  EXPECT_FALSE(actors::start_engine(sys, ecfg, error, hooks));
  EXPECT_NE(error.find("DOGE"), std::string::npos) << error;

  ecfg.deribit.currencies = {"BTC"};
  ecfg.deribit.url = "https://www.deribit.com/sim";
  auto e = actors::start_engine(sys, ecfg, error, hooks);
  ASSERT_TRUE(e) << error;
  sched.run();
  EXPECT_EQ(http->count("/sim/api/v2/public/get_book_summary_by_currency?currency=BTC&kind=future"), 1u);
  good_cycle();
  auto v = view_of(e->cache, "BTC");
  ASSERT_TRUE(v.skew && v.skew->skew_pct);
  EXPECT_NEAR(*v.skew->skew_pct, 6.3218, 5e-4);
  EXPECT_TRUE(status_of(e->supervisor).last_success);
  EXPECT_EQ(e->fetch_counters->cycles_complete.load(), 1u);

  e->stop();
  EXPECT_EQ(http->shutdowns, 1);
  sched.run();
  sched.advance_time(600s);   // no restart, no new cycle after stop
  sched.run();
  EXPECT_EQ(http->count("kind=future"), 1u);
  e->stop();   // idempotent
  EXPECT_EQ(http->shutdowns, 1);
}
