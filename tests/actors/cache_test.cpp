// The cache holder and the calculators: last good value, STALE after max age, subscribers, DVOL beside the MFIV.
#include "actor_fixture.hpp"

#include "actors/cache_holder.hpp"
#include "actors/calculator.hpp"
#include "quant/skew.hpp"
#include "support/signals.hpp"

using namespace std::chrono_literals;
using namespace derivcache;
using namespace derivcache::test;

namespace {

// A reading as the calculators send it: received 250 ms after its as-of time, a reason when it has no value.
template <class Reading, class State>
Reading reading(const std::string& currency, caf::optional<double> Reading::*value_field, caf::optional<double> value,
                State state) {
  Reading r;
  r.currency = currency;
  r.*value_field = value;
  r.reason = value ? "" : "no_rows";
  r.state = state;
  r.as_of = caf::timestamp{std::chrono::seconds{1773428415}};
  r.received = r.as_of + std::chrono::milliseconds{250};
  return r;
}

messages::basis_reading basis(const std::string& currency, caf::optional<double> apr, quant::basis_state state) {
  return reading(currency, &messages::basis_reading::apr_pct, apr, state);
}

messages::skew_reading skew(const std::string& currency, caf::optional<double> pct, quant::skew_state state) {
  return reading(currency, &messages::skew_reading::skew_pct, pct, state);
}

struct CacheHolder : DeterministicCaf {
  captured_log logs;
  std::shared_ptr<runtime::cache_stats> stats = std::make_shared<runtime::cache_stats>();
  messages::cache_holder_actor cache = track(actors::make_cache_holder(sys, {900s, logs.log, stats}));
};

} // namespace

TEST_F(CacheHolder, StaleAfterMaxAgeKeepsValueAndLastState) {
  self->send(cache, basis("BTC", 15.5, quant::basis_state::contango));
  self->send(cache, skew("BTC", 6.32, quant::skew_state::fear));
  sched.run();
  auto v = view_of(cache, "BTC");
  EXPECT_EQ(v.basis_state, quant::basis_state::contango);
  EXPECT_EQ(v.skew_state, quant::skew_state::fear);
  EXPECT_EQ(v.basis_lag, caf::timespan{250ms});
  EXPECT_EQ(v.basis_age, caf::timespan{0});
  EXPECT_EQ(logs.count("📡 Derivatives Cache [BTC]: Basis=15.50% (CONTANGO) | Skew=6.32% (FEAR)"), 1u);

  sched.advance_time(900s);   // exactly max age: not yet stale
  v = view_of(cache, "BTC");
  EXPECT_EQ(v.basis_age, caf::timespan{900s});
  EXPECT_EQ(v.basis_state, quant::basis_state::contango);

  sched.advance_time(1s);
  v = view_of(cache, "BTC");
  EXPECT_EQ(v.basis_state, quant::basis_state::stale);
  EXPECT_EQ(v.basis_last_state, quant::basis_state::contango);
  EXPECT_EQ(v.skew_state, quant::skew_state::stale);
  EXPECT_EQ(v.skew_last_state, quant::skew_state::fear);
  ASSERT_TRUE(v.basis && v.basis->apr_pct);
  EXPECT_DOUBLE_EQ(*v.basis->apr_pct, 15.5);
  ASSERT_TRUE(v.skew && v.skew->skew_pct);
  EXPECT_DOUBLE_EQ(*v.skew->skew_pct, 6.32);

  self->send(cache, basis("BTC", 21.0, quant::basis_state::extreme_contango));   // fresh reading clears STALE
  sched.run();
  v = view_of(cache, "BTC");
  EXPECT_EQ(v.basis_state, quant::basis_state::extreme_contango);
  EXPECT_EQ(v.basis_age, caf::timespan{0});
  EXPECT_EQ(v.skew_state, quant::skew_state::stale);   // skew was not refreshed
}

TEST_F(CacheHolder, ReadingWithoutValueDoesNotReplaceTheLastGoodOne) {
  self->send(cache, basis("ETH", 8.0, quant::basis_state::neutral));
  sched.run();
  self->send(cache, basis("ETH", caf::none, quant::basis_state::unknown));
  sched.run();
  auto v = view_of(cache, "ETH");
  ASSERT_TRUE(v.basis && v.basis->apr_pct);
  EXPECT_DOUBLE_EQ(*v.basis->apr_pct, 8.0);
  EXPECT_EQ(v.basis_state, quant::basis_state::neutral);
  EXPECT_EQ(stats->basis_kept_last_good.load(), 1u);
  EXPECT_EQ(stats->basis_accepted.load(), 1u);
}

TEST_F(CacheHolder, CalculatorsTurnAnEmptyChainIntoReadingsWithAReason) {
  auto basis_calc = track(actors::make_calculator(sys, {cache, actors::basis_calculation{}, logs.log}));
  auto skew_calc = track(actors::make_calculator(sys, {cache, actors::skew_calculation{}, logs.log}));
  self->send(cache, basis("BTC", 12.0, quant::basis_state::contango));
  sched.run();
  auto chain = std::make_shared<messages::currency_chain>();
  chain->currency = *quant::find_currency("BTC");
  chain->received = caf::make_timestamp();
  chain->bad_rows = 3;
  messages::chain_ptr ptr = chain;
  self->send(basis_calc, ptr);
  self->send(skew_calc, ptr);
  sched.run();
  auto v = view_of(cache, "BTC");
  ASSERT_TRUE(v.basis && v.basis->apr_pct);
  EXPECT_DOUBLE_EQ(*v.basis->apr_pct, 12.0);   // the last good value survives
  ASSERT_TRUE(v.skew);                          // the first skew reading is kept even without a value
  EXPECT_FALSE(v.skew->skew_pct);
  EXPECT_EQ(v.skew->reason, quant::to_string(quant::skew_reason::no_rows));
  EXPECT_EQ(v.skew->skipped_rows, 3u);
  EXPECT_EQ(stats->basis_kept_last_good.load(), 1u);
  EXPECT_EQ(logs.count("📡 Derivatives Cache [BTC]: Basis=n/a (UNKNOWN) | Skew=n/a (UNKNOWN)"), 1u);
}

TEST_F(CacheHolder, SubscriberGetsUpdatesAndADeadOneIsDropped) {
  auto received = std::make_shared<int>(0);
  auto sub = sys.spawn([received](messages::cache_subscriber_actor::pointer)
                         -> messages::cache_subscriber_actor::behavior_type {
    return {[received](const messages::derivatives_update&) { ++*received; }};
  });
  sched.run();
  self->send(cache, messages::subscribe_atom::value, sub);
  self->send(cache, messages::subscribe_atom::value, caf::actor_cast<messages::cache_subscriber_actor>(self));
  sched.run();
  EXPECT_EQ(stats->subscribers.load(), 2u);
  self->send(cache, basis("SOL", 3.0, quant::basis_state::neutral));
  sched.run();
  EXPECT_EQ(*received, 1);
  auto updates = drain_updates();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].view.currency, "SOL");

  caf::anon_send_exit(sub, caf::exit_reason::kill);
  sched.run();
  EXPECT_EQ(stats->subscribers.load(), 1u);
  self->send(cache, basis("SOL", 4.0, quant::basis_state::neutral));
  sched.run();
  EXPECT_EQ(*received, 1);
  EXPECT_EQ(drain_updates().size(), 1u);
  EXPECT_EQ(stats->updates_pushed.load(), 3u);
}

// ---- the surface, the basis at constant maturities and the MFIV ------------------------------------------

namespace {

const caf::timestamp cycle_1{std::chrono::milliseconds{real_chain_as_of_ms + 700}};

struct Calculators : CacheHolder {
  messages::calculator_actor basis_calc =
    track(actors::make_calculator(sys, {cache, actors::basis_calculation{}, logs.log}));
  messages::calculator_actor skew_calc = track(actors::make_calculator(sys, {cache, actors::skew_calculation{}, logs.log}));

  void fetched(const messages::chain_ptr& chain) {
    self->send(basis_calc, chain);
    self->send(skew_calc, chain);
    sched.run();
  }

  /// The fetcher's DVOL update of the fetch whose chain was received at `chain_received`.
  void dvol_answered(caf::timestamp chain_received, caf::optional<double> close, std::string reason = {}) {
    messages::dvol_update u;
    u.currency = "BTC";
    u.record.close = close;
    u.record.reason = std::move(reason);
    u.record.time = caf::timestamp{std::chrono::milliseconds{real_chain_as_of_ms - 15531}};
    u.record.candles = 11;
    u.record.received = chain_received + 50ms;
    u.chain_received = chain_received;
    self->send(cache, std::move(u));
    sched.run();
  }

  /// The view after a first cycle of the real data, with the scoped actor subscribed (its updates taken out).
  messages::derivatives_view subscribed_first_cycle() {
    self->send(cache, messages::subscribe_atom::value, caf::actor_cast<messages::cache_subscriber_actor>(self));
    fetched(btc_chain(cycle_1));
    auto v = view_of(cache, "BTC");
    drain_updates();
    sched.advance_time(300s);
    return v;
  }
};

/// The real chain's rows without `field` (mark_price: no MFIV; mark_iv: no surface and no headline skew).
template <class Field>
std::vector<quant::option_summary> options_without(Field quant::option_summary::*field) {
  auto rows = btc_chain_2026();
  for (auto& row : rows)
    row.*field = std::nullopt;
  return rows;
}

} // namespace

TEST_F(Calculators, ReadingsCarryTheSurfaceTheBasisAtConstantMaturitiesAndTheMfivOfTheRealData) {
  fetched(btc_chain(cycle_1));
  auto v = view_of(cache, "BTC");
  ASSERT_TRUE(v.skew && v.basis);
  const auto& surface = v.skew->surface;
  ASSERT_EQ(surface.size(), 5u);   // 7, 30, 60, 90, 180 days
  const auto* p30 = find_point(surface, 30, 0.25);
  ASSERT_TRUE(p30 && p30->skew_pct) << (p30 ? p30->reason : "no 30d record");
  EXPECT_NEAR(*p30->skew_pct, 6.3218, 5e-5);
  EXPECT_NEAR(p30->skew_normalized, 0.1232, 5e-5);
  EXPECT_NEAR(p30->butterfly, 1.1772, 5e-5);
  EXPECT_EQ(p30->expiries, (std::vector<std::string>{"BTC-3APR26", "BTC-24APR26"}));
  EXPECT_EQ(p30->received, cycle_1);
  EXPECT_EQ(p30->as_of, caf::timestamp{std::chrono::milliseconds{real_chain_as_of_ms}});
  // The headline keeps today's numbers and is the surface's record at (30 d, 0.25).
  EXPECT_DOUBLE_EQ(*v.skew->skew_pct, *p30->skew_pct);
  EXPECT_DOUBLE_EQ(v.skew->atm_iv, p30->atm_iv);
  const auto* p30_10 = find_point(surface, 30, 0.10);
  ASSERT_TRUE(p30_10 && p30_10->skew_pct);
  EXPECT_NEAR(*p30_10->skew_pct, 13.6437, 5e-5);
  EXPECT_EQ(p30_10->expiries, (std::vector<std::string>{"BTC-27MAR26", "BTC-24APR26"}));
  EXPECT_NEAR(*find_tenor(surface, 7)->atm.atm_iv, 53.1526, 5e-5);
  EXPECT_NEAR(*find_tenor(surface, 90)->atm.atm_iv, 50.6429, 5e-5);
  EXPECT_NEAR(*find_point(surface, 180, 0.25)->skew_pct, 4.6632, 5e-5);

  const auto& mfiv = v.skew->mfiv;
  ASSERT_TRUE(mfiv.value_pct) << mfiv.reason;
  EXPECT_NEAR(*mfiv.value_pct, 54.9440, 5e-5);
  EXPECT_DOUBLE_EQ(mfiv.tenor_days, 30);
  EXPECT_EQ(mfiv.expiries, (std::vector<std::string>{"BTC-3APR26", "BTC-24APR26"}));
  EXPECT_EQ(mfiv.skipped_rows, 4u);   // four BTC-27MAR26 calls marked at 0
  EXPECT_EQ(v.mfiv_age, caf::timespan{0});

  const auto& cm = v.basis->constant_maturity;
  ASSERT_EQ(cm.size(), 2u);
  ASSERT_TRUE(cm[0].apr_pct && cm[1].apr_pct);
  EXPECT_NEAR(*cm[0].apr_pct, 13.6343, 5e-5);
  EXPECT_EQ(cm[0].instruments, (std::vector<std::string>{"BTC-31JAN25", "BTC-28FEB25"}));
  EXPECT_NEAR(*cm[1].apr_pct, 12.5524, 5e-5);

  EXPECT_EQ(logs.count("📡 Derivatives Cache [BTC]: Basis=12.53% (CONTANGO) | Skew=6.32% (FEAR)"), 1u);
  EXPECT_EQ(logs.count("📈 Volatility [BTC]"), 0u);   // waits for the DVOL of the same fetch
  EXPECT_FALSE(v.dvol.close);
  EXPECT_EQ(v.dvol.reason, "no answer yet");

  dvol_answered(cycle_1 - 300s, 52.0);   // an earlier fetch's: taken, but no line for this one
  EXPECT_EQ(logs.count("📈 Volatility [BTC]"), 0u);
  dvol_answered(cycle_1, 53.10);
  EXPECT_EQ(logs.count("📈 Volatility [BTC]: ATM 30d=51.33% | MFIV 30d=54.94% | DVOL=53.10"), 1u);
  v = view_of(cache, "BTC");
  ASSERT_TRUE(v.dvol.close);
  EXPECT_DOUBLE_EQ(*v.dvol.close, 53.10);
  EXPECT_EQ(v.dvol.candles, 11u);
  EXPECT_EQ(v.dvol.received, cycle_1 + 50ms);
  ASSERT_TRUE(v.dvol.mfiv_minus_dvol);
  EXPECT_NEAR(*v.dvol.mfiv_minus_dvol, 54.9440 - 53.10, 5e-5);   // vol points
  EXPECT_EQ(v.dvol_age, caf::timespan{0});
  dvol_answered(cycle_1, 53.10);   // once per fetch
  EXPECT_EQ(logs.count("📈 Volatility [BTC]"), 1u);
}

TEST_F(Calculators, TheHeadlineFollowsSkewTenorAndDelta) {
  actors::skew_calculation ten_delta;
  ten_delta.delta = 0.10;
  auto calc = track(actors::make_calculator(sys, {cache, ten_delta, logs.log}));
  self->send(calc, btc_chain(cycle_1));
  sched.run();
  auto v = view_of(cache, "BTC");
  ASSERT_TRUE(v.skew && v.skew->skew_pct);
  EXPECT_NEAR(*v.skew->skew_pct, 13.6437, 5e-5);
  EXPECT_EQ(v.skew->state, quant::skew_state::extreme_fear);
}

TEST_F(Calculators, AnMfivWithoutAValueKeepsTheLastGoodOneWithItsTimes) {
  const auto first = subscribed_first_cycle();
  const auto cycle_2 = cycle_1 + 300s;
  dvol_answered(cycle_2, caf::none, "request failed: HTTP 500");   // before its fetch's skew reading this time
  fetched(btc_chain(cycle_2, options_without(&quant::option_summary::mark_price)));
  auto v = view_of(cache, "BTC");
  ASSERT_TRUE(v.skew);
  EXPECT_EQ(v.skew->received, cycle_2);   // the headline is new
  EXPECT_EQ(v.skew_age, caf::timespan{0});
  const auto& mfiv = v.skew->mfiv;
  ASSERT_TRUE(mfiv.value_pct);
  EXPECT_DOUBLE_EQ(*mfiv.value_pct, *first.skew->mfiv.value_pct);   // the last good value, with its own times
  EXPECT_EQ(mfiv.received, cycle_1);
  EXPECT_EQ(mfiv.as_of, first.skew->mfiv.as_of);
  EXPECT_EQ(mfiv.reason, quant::to_string(quant::mfiv_reason::no_usable_rows));   // why the latest had none
  EXPECT_EQ(mfiv.per_expiry.size(), first.skew->mfiv.per_expiry.size());
  EXPECT_EQ(v.mfiv_age, caf::timespan{300s});
  EXPECT_EQ(stats->records_kept_last_good.load(), 1u);
  EXPECT_EQ(stats->skew_kept_last_good.load(), 0u);
  EXPECT_EQ(logs.count("mfiv [BTC]: no value: " + quant::to_string(quant::mfiv_reason::no_usable_rows)), 1u);
  EXPECT_EQ(logs.count("skew [BTC]: no value for MFIV 30d; keeping the last good values"), 1u);
  EXPECT_EQ(logs.count("📈 Volatility [BTC]: ATM 30d=51.33% | MFIV 30d=n/a | DVOL n/a (request failed: HTTP 500)"),
            1u);   // as the reading and the update arrived
  EXPECT_FALSE(v.dvol.close);
  EXPECT_FALSE(v.dvol.mfiv_minus_dvol);

  sched.advance_time(300s);
  const auto cycle_3 = cycle_2 + 300s;
  fetched(btc_chain(cycle_3));   // a value again: it replaces the kept one
  v = view_of(cache, "BTC");
  EXPECT_EQ(v.skew->mfiv.received, cycle_3);
  EXPECT_EQ(v.skew->mfiv.reason, "");
  EXPECT_EQ(v.mfiv_age, caf::timespan{0});
  EXPECT_EQ(drain_updates().size(), 4u);   // basis and skew of cycles 2 and 3
}

TEST_F(Calculators, WithoutHeadlineAndSurfaceAFreshMfivStillArrives) {
  const auto first = subscribed_first_cycle();
  const auto cycle_2 = cycle_1 + 300s;
  self->send(skew_calc, btc_chain(cycle_2, options_without(&quant::option_summary::mark_iv)));
  sched.run();
  auto v = view_of(cache, "BTC");
  ASSERT_TRUE(v.skew && v.skew->skew_pct);
  EXPECT_DOUBLE_EQ(*v.skew->skew_pct, *first.skew->skew_pct);   // the headline is kept and ages
  EXPECT_EQ(v.skew->received, cycle_1);
  EXPECT_EQ(v.skew_age, caf::timespan{300s});
  EXPECT_EQ(stats->skew_kept_last_good.load(), 1u);
  // Every record of the surface kept its last good value, with the reason it has none now.
  for (const auto& t : v.skew->surface) {
    EXPECT_EQ(t.atm.atm_iv, find_tenor(first.skew->surface, t.tenor_days)->atm.atm_iv) << t.tenor_days;
    EXPECT_EQ(t.atm.reason, quant::to_string(quant::skew_reason::no_usable_rows)) << t.tenor_days;
    EXPECT_EQ(t.atm.received, cycle_1);
  }
  EXPECT_DOUBLE_EQ(*find_point(v.skew->surface, 30, 0.10)->skew_pct,
                   *find_point(first.skew->surface, 30, 0.10)->skew_pct);
  // The MFIV (from mark prices) is fresh, so its age is zero while the headline's is not.
  ASSERT_TRUE(v.skew->mfiv.value_pct);
  EXPECT_EQ(v.skew->mfiv.received, cycle_2);
  EXPECT_EQ(v.mfiv_age, caf::timespan{0});
  EXPECT_EQ(drain_updates().size(), 1u);   // the fresh MFIV was pushed
}

TEST_F(Calculators, BasisAtConstantMaturitiesKeepsItsLastGoodValues) {
  fetched(btc_chain(cycle_1));
  const auto first = view_of(cache, "BTC");
  sched.advance_time(300s);
  self->send(basis_calc, btc_chain(cycle_1 + 300s, btc_chain_2026(), {}));
  sched.run();
  auto v = view_of(cache, "BTC");
  ASSERT_TRUE(v.basis);
  ASSERT_EQ(v.basis->constant_maturity.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& p = v.basis->constant_maturity[i];
    ASSERT_TRUE(p.apr_pct);
    EXPECT_DOUBLE_EQ(*p.apr_pct, *first.basis->constant_maturity[i].apr_pct);
    EXPECT_EQ(p.reason, quant::to_string(quant::cm_basis_reason::no_points));
    EXPECT_EQ(p.received, cycle_1);
  }
  EXPECT_EQ(stats->records_kept_last_good.load(), 2u);
}

TEST_F(Calculators, AFirstReadingWithoutValuesHasEveryRecordWithItsReason) {
  fetched(btc_chain(cycle_1, {}, {}));
  auto v = view_of(cache, "BTC");
  ASSERT_TRUE(v.skew && v.basis);
  ASSERT_EQ(v.skew->surface.size(), 5u);
  for (const auto& t : v.skew->surface) {
    EXPECT_FALSE(t.atm.atm_iv);
    EXPECT_EQ(t.atm.reason, quant::to_string(quant::skew_reason::no_rows));
    ASSERT_EQ(t.deltas.size(), 2u);
    for (const auto& p : t.deltas)
      EXPECT_EQ(p.reason, quant::to_string(quant::skew_reason::no_rows));
  }
  EXPECT_FALSE(v.skew->mfiv.value_pct);
  EXPECT_EQ(v.skew->mfiv.reason, quant::to_string(quant::mfiv_reason::no_rows));
  EXPECT_EQ(v.basis->constant_maturity.size(), 2u);
  dvol_answered(cycle_1, 53.10);
  EXPECT_EQ(logs.count("📈 Volatility [BTC]: ATM 30d=n/a | MFIV 30d=n/a | DVOL=53.10"), 1u);
  v = view_of(cache, "BTC");
  ASSERT_TRUE(v.dvol.close);
  EXPECT_FALSE(v.dvol.mfiv_minus_dvol);   // no MFIV to compare with
}
