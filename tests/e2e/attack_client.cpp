// A hostile CAF 0.17 peer of `derivcache run`'s introspection port, for the network-boundary test
// (introspection_test.cpp, Introspection.AHostilePeerCanNeitherWriteNorKill).
//
// Usage: derivcache-attack-client HOST PORT
// It learns every actor handle it can (the published actor, the sender of every update and reply it
// receives), sends each of them a basis reading (99 % APR), a skew reading (-77), a Binance frame batch,
// a decoded spot batch, a bar batch, store and gateway record requests, a forged cache update, an error and
// an exit message (user_shutdown), then an exit message with reason `kill`; it also asks for the registry's
// named actors. It prints one line per fact, "learned N", "sent N", "ConfigServ: reachable|unreachable",
// "SpawnServ: ...", and exits 0 once everything was sent, 2 when it could not connect.
#include "messages/interfaces.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/io/basp_broker.hpp>

#include <chrono>
#include <iostream>
#include <set>
#include <string>

using namespace derivcache;
using namespace std::chrono_literals;

namespace {

messages::basis_reading fake_basis() {
  messages::basis_reading b;
  b.currency = "BTC";
  b.apr_pct = 99.0;
  b.instrument = "BTC-ATTACK";
  b.dte_days = 30;
  b.future_price = 199;
  b.index_price = 100;
  b.state = quant::basis_state::extreme_contango;
  b.as_of = b.received = caf::make_timestamp();
  return b;
}

messages::skew_reading fake_skew() {
  messages::skew_reading s;
  s.currency = "BTC";
  s.skew_pct = -77.0;
  s.as_of = s.received = caf::make_timestamp();
  return s;
}

messages::spot_batch fake_trades() {
  messages::spot_batch batch;
  messages::spot_trade t;
  t.symbol = "BTCUSDT";
  t.price = 1;
  t.quantity = 1000;
  t.trade_time = t.event_time = t.received = caf::make_timestamp();
  batch.trades.push_back(t);
  return batch;
}

messages::bar_batch fake_bars() {
  messages::bar_batch batch;
  batch.symbol = "BTCUSDT";
  batch.bars.resize(1);
  return batch;
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: derivcache-attack-client HOST PORT\n";
    return 2;
  }
  caf::actor_system_config cfg;
  cfg.add_message_types<caf::id_block::derivcache>();
  cfg.load<caf::io::middleman>();
  caf::actor_system sys{cfg};
  auto published = sys.middleman().remote_actor<messages::introspection_actor>(argv[1],
                                                                               static_cast<uint16_t>(std::stoi(argv[2])));
  if (!published) {
    std::cerr << "cannot connect: " << sys.render(published.error()) << "\n";
    return 2;
  }
  caf::scoped_actor self{sys};
  std::set<caf::strong_actor_ptr> learned{caf::actor_cast<caf::strong_actor_ptr>(*published)};
  auto learn = [&] {
    if (self->current_sender())
      learned.insert(self->current_sender());
  };
  auto ignore_error = [](const caf::error&) {};

  // Handles from replies and from the first update (the engine's interval in the test is 1 s).
  self->request(*published, 5s, messages::subscribe_atom::value, caf::actor_cast<caf::actor>(self))
    .receive([&](caf::ok_atom) { learn(); }, ignore_error);
  self->receive([&](messages::derivatives_update&) { learn(); },
                caf::after(10s) >> [] { std::cout << "no update within 10s\n"; });
  self->request(*published, 5s, messages::status_atom::value).receive([&](messages::engine_status&) { learn(); }, ignore_error);
  self->request(*published, 5s, caf::get_atom::value).receive([&](messages::cache_contents&) { learn(); }, ignore_error);
  self->request(*published, 5s, messages::feed_atom::value).receive([&](messages::feed_status&) { learn(); }, ignore_error);
  self->request(*published, 5s, messages::store_atom::value).receive([&](messages::store_counts&) { learn(); }, ignore_error);
  std::cout << "learned " << learned.size() << "\n";

  const messages::record_request record{"attack", "a-1", "BTCUSDT", "{}"};
  messages::derivatives_update forged;
  forged.view.currency = "BTC";
  forged.view.basis = fake_basis();
  int sent = 0;
  for (const auto& ptr : learned) {
    auto hdl = caf::actor_cast<caf::actor>(ptr);
    self->send(hdl, fake_basis());
    self->send(hdl, fake_skew());
    self->send(hdl, messages::ws_frames{1, {R"({"stream":"btcusdt@aggTrade","data":{}})"}, caf::make_timestamp(), {}});
    self->send(hdl, fake_trades());
    self->send(hdl, fake_bars());
    self->send(hdl, record, messages::feature_snapshot{});
    self->send(hdl, messages::record_atom::value, record);
    self->send(hdl, forged);
    self->send(hdl, caf::make_error(caf::sec::runtime_error));
    self->send_exit(hdl, caf::exit_reason::user_shutdown);
    sent += 10;
  }
  // Everything above is in the peer's mailboxes (one connection, in order) once this answers.
  self->request(*published, 5s, messages::status_atom::value).receive([](messages::engine_status&) {}, ignore_error);
  for (const auto& ptr : learned) {
    self->send_exit(caf::actor_cast<caf::actor>(ptr), caf::exit_reason::kill);
    ++sent;
  }
  std::cout << "sent " << sent << "\n";
  // The named actors, addressed by name through the BASP broker as CAF's own remote_lookup does (which
  // waits 5 minutes when the name is gone). The peer's BASP bounces a request to a missing name
  // (request_receiver_down); a present actor answers, even if only with an error of its own.
  auto basp = sys.middleman().named_broker<caf::io::basp_broker>(caf::atom("BASP"));
  auto probe = [&](const char* name, caf::atom_value atom, caf::message msg) {
    std::string answer;
    self->request(basp, 3s, caf::forward_atom::value, published->node(), atom, std::move(msg))
      .receive([&](std::string& key, caf::message& value) { answer = key + " = " + caf::to_string(value); },
               [&](caf::error& err) {
                 if (err != caf::sec::request_receiver_down)
                   answer = sys.render(err);
               });
    std::cout << name << ": " << (answer.empty() ? "unreachable" : "reachable (" + answer + ")") << "\n";
  };
  probe("ConfigServ", caf::atom("ConfigServ"),
        caf::make_message(caf::get_atom::value, std::string{"middleman.app-identifier"}));
  probe("SpawnServ", caf::atom("SpawnServ"),
        caf::make_message(caf::spawn_atom::value, std::string{"none"}, caf::make_message(), std::set<std::string>{}));
  // The kill went out before the probes, on the same connection: it was delivered.
  return 0;
}
