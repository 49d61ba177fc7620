// A host CAF application that embeds derivcache: its own actor captures a feature snapshot every few
// seconds from the engine's feature collector, without any network call of its own.
//
//   embed_example --deribit.url=https://127.0.0.1:PORT --deribit.ca-file=ca.pem
//                 --binance.url=wss://127.0.0.1:PORT --binance.ca-file=ca.pem [--captures=N]
#include "actors/engine.hpp"
#include "configuration/keys.hpp"
#include "messages/errors.hpp"

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>

#include <iostream>

namespace {

using capture_tick_atom = caf::atom_constant<caf::atom("capturetk")>;

// The host's own type-ID block would start at caf::id_block::derivcache::end.
struct host_config : caf::actor_system_config {
  int captures = 3;
  host_config() {
    derivcache::add_options(custom_options_);        // every derivcache.* key, on the host's command line
    opt_group{custom_options_, "global"}.add(captures, "captures", "snapshots to capture before exiting");
    add_message_types<caf::id_block::derivcache>();
    load<caf::io::middleman>();                      // needed when introspection.port is set
  }
};

// The host's actor: asks the collector for a snapshot every 2 s and prints it.
caf::behavior trader(caf::event_based_actor* self, derivcache::messages::feature_collector_actor collector,
                     int captures) {
  self->send(self, capture_tick_atom::value);
  auto left = std::make_shared<int>(captures);
  return {
    [=](capture_tick_atom) {
      self->request(collector, std::chrono::seconds{1}, derivcache::messages::capture_atom::value, "BTCUSDT")
        .then(
          [=](const derivcache::messages::feature_snapshot& s) {
            std::cout << "embed: captured " << s.symbol << " currency " << s.currency << " skew "
                      << (s.options_skew ? std::to_string(*s.options_skew) : "n/a") << " ("
                      << derivcache::quant::to_string(s.skew_state) << ") last price "
                      << (s.last_price ? std::to_string(*s.last_price) : "n/a") << std::endl;
            if (--*left == 0)
              self->quit();
            else
              self->delayed_send(self, std::chrono::seconds{2}, capture_tick_atom::value);
          },
          [=](const caf::error& err) {
            std::cerr << "embed: capture failed: " << derivcache::messages::render(err) << std::endl;
            self->quit(err);
          });
    },
  };
}

} // namespace

int main(int argc, char** argv) {
  host_config cfg;
  if (auto err = cfg.parse(argc, argv)) {
    std::cerr << "embed: " << caf::actor_system_config::render(err) << '\n';
    return 2;
  }
  std::vector<derivcache::configuration::problem> problems;
  auto engine_cfg = derivcache::configuration::from_settings(cfg.content, {}, problems);
  for (const auto& p : problems)
    std::cerr << "embed: " << derivcache::configuration::to_string(p) << '\n';
  if (!problems.empty())
    return 2;
  caf::actor_system sys{cfg};
  std::string error;
  auto engine = derivcache::actors::start_engine(sys, engine_cfg, error);
  if (!engine || !engine->feature_collector) {
    std::cerr << "embed: " << (engine ? "no feature collector (binance.symbols is empty)" : error) << '\n';
    return 1;
  }
  {
    caf::scoped_actor self{sys};
    auto host_actor = sys.spawn(trader, engine->feature_collector, cfg.captures);
    self->wait_for(host_actor);
  }
  engine->stop();
  return 0;
}
