// The cache holder and the calculators: last good value, STALE after max age, subscribers.
#include "actor_fixture.hpp"

#include "actors/cache_holder.hpp"
#include "actors/calculator.hpp"
#include "quant/skew.hpp"

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
  auto basis_calc = track(actors::make_calculator(sys, {cache, actors::basis_calculation{{}, 7}, logs.log}));
  auto skew_calc = track(actors::make_calculator(sys, {cache, actors::skew_calculation{{}, 30}, logs.log}));
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
