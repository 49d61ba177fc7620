// Fan-out of cache updates: one message per update, stamped when the cache holder pushed it, reaching every
// subscriber (directly or through the introspection gateway); a dead subscriber is dropped.
#include "actor_fixture.hpp"

#include "actors/cache_holder.hpp"
#include "actors/introspection.hpp"

using namespace std::chrono_literals;
using namespace derivcache;
using namespace derivcache::test;

namespace {

struct receipt {
  const messages::derivatives_update* address;   ///< where the subscriber found it: the same for a shared message
  messages::derivatives_update update;
  caf::timestamp received;
};

using receipts = std::shared_ptr<std::vector<receipt>>;

messages::cache_subscriber_actor::behavior_type recorder(messages::cache_subscriber_actor::pointer, receipts out) {
  return {[out](const messages::derivatives_update& u) { out->push_back({&u, u, caf::make_timestamp()}); }};
}

messages::basis_reading basis(double apr) {
  messages::basis_reading r;
  r.currency = "BTC";
  r.apr_pct = apr;
  r.state = quant::basis_state::contango;
  r.as_of = caf::timestamp{std::chrono::seconds{1773428415}};
  r.received = r.as_of + 250ms;
  return r;
}

struct Fanout : DeterministicCaf {
  std::shared_ptr<runtime::cache_stats> stats = std::make_shared<runtime::cache_stats>();
  messages::cache_holder_actor cache = track(actors::make_cache_holder(sys, {900s, nullptr, stats}));
  std::vector<receipts> got;
  std::vector<messages::cache_subscriber_actor> subs;

  void spawn_recorders(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      got.push_back(std::make_shared<std::vector<receipt>>());
      subs.push_back(track(sys.spawn(recorder, got.back())));
    }
    sched.run();
  }

  /// Every subscriber got exactly `n` updates, the last one is the same message for all, stamped between the
  /// moment the reading was sent and each receipt.
  void expect_one_shared_stamped_update(const std::vector<std::size_t>& live, std::size_t n, caf::timestamp before,
                                        double apr) {
    const auto& first = got[live.front()]->back();
    for (auto i : live) {
      ASSERT_EQ(got[i]->size(), n) << "subscriber " << i;
      const auto& r = got[i]->back();
      EXPECT_EQ(r.address, first.address) << "subscriber " << i << " got a copy of its own";
      EXPECT_EQ(r.update.pushed, first.update.pushed);
      EXPECT_LE(before, r.update.pushed);
      EXPECT_LE(r.update.pushed, r.received);
      ASSERT_TRUE(r.update.view.basis && r.update.view.basis->apr_pct);
      EXPECT_DOUBLE_EQ(*r.update.view.basis->apr_pct, apr);
    }
  }
};

} // namespace

TEST_F(Fanout, CacheHolderSendsOneStampedMessageToEverySubscriberAndDropsADeadOne) {
  spawn_recorders(3);
  for (const auto& s : subs)
    self->send(cache, messages::subscribe_atom::value, s);
  sched.run();
  EXPECT_EQ(stats->subscribers.load(), 3u);

  auto before = caf::make_timestamp();
  self->send(cache, basis(15.5));
  sched.run();
  expect_one_shared_stamped_update({0, 1, 2}, 1, before, 15.5);
  EXPECT_EQ(stats->updates_pushed.load(), 3u);

  caf::anon_send_exit(subs[0], caf::exit_reason::kill);
  sched.run();
  EXPECT_EQ(stats->subscribers.load(), 2u);
  before = caf::make_timestamp();
  self->send(cache, basis(16.0));
  sched.run();
  EXPECT_EQ(got[0]->size(), 1u);
  expect_one_shared_stamped_update({1, 2}, 2, before, 16.0);
  EXPECT_LT(got[1]->front().update.pushed, got[1]->back().update.pushed);
}

TEST_F(Fanout, GatewayResendsTheCacheHoldersMessageToEverySubscriberAndDropsADeadOne) {
  actors::introspection_deps deps;
  deps.cache = cache;
  deps.status.max_subscribers = 10;
  auto gateway = actors::make_introspection(sys, deps);   // no port: local only
  sched.run();
  spawn_recorders(3);
  for (const auto& s : subs) {
    self->send(gateway.current(), messages::subscribe_atom::value, caf::actor_cast<caf::actor>(s));
    sched.run();
    receive_now<caf::ok_atom>([](caf::ok_atom) {});
  }
  EXPECT_EQ(stats->subscribers.load(), 1u);   // the gateway is the cache holder's one subscriber

  auto before = caf::make_timestamp();
  self->send(cache, basis(15.5));
  sched.run();
  expect_one_shared_stamped_update({0, 1, 2}, 1, before, 15.5);

  caf::anon_send_exit(subs[1], caf::exit_reason::kill);
  sched.run();
  self->send(gateway.current(), messages::status_atom::value);
  sched.run();
  receive_now<messages::engine_status>([](messages::engine_status& s) { EXPECT_EQ(s.subscribers, 2u); });
  before = caf::make_timestamp();
  self->send(cache, basis(16.0));
  sched.run();
  EXPECT_EQ(got[1]->size(), 1u);
  expect_one_shared_stamped_update({0, 2}, 2, before, 16.0);

  gateway.stop();
  sched.run();
}
