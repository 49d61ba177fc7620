// derivcache-inspect: query a running engine's introspection actor over CAF's remote-actor protocol.
#include "apps/cli.hpp"
#include "codec/json_writer.hpp"
#include "messages/errors.hpp"
#include "messages/interfaces.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/openssl/all.hpp>

#include <cstdio>
#include <iomanip>
#include <iostream>
#include <sstream>

using namespace derivcache;

namespace {

constexpr const char* usage = R"(Usage: derivcache-inspect HOST PORT [status|cache|actors|feed|store|watch|refresh|record] [options]

Connects to a derivcache engine published with introspection.port and prints what it holds.

Commands:
  status   version, uptime, configuration summary (default)
  cache    every currency: basis and skew with state, age and exchange lag
  actors   every actor of the engine: liveness, restarts, last error, DEGRADED, next retry
  feed     the Binance feed: connection state, message counts, reconnects, lag
  store    the feature/label store: snapshots recorded, outcomes pending, labelled, incomplete
  watch    print every new reading until Ctrl-C
  refresh  ask the engine to fetch now (only when it runs with introspection.allow-control)
  record   record a snapshot in the engine's store, tagged with --kind K --id I --symbol S
           [--attributes JSON] (only with introspection.allow-record and store.path)

Options:
  --json              machine-readable output
  --timeout SECONDS   connect and request timeout (default 5)
  --tls-cert FILE --tls-key FILE --tls-ca FILE   mutual TLS (all three or none)

Exit codes: 0 ok, 1 cannot connect / not a derivcache engine / request failed, 2 usage.
)";

std::string age_text(caf::timespan d) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(1) << std::chrono::duration<double>(d).count() << "s";
  return os.str();
}

std::string time_text(const caf::optional<caf::timestamp>& t) { return t ? caf::deep_to_string(*t) : "-"; }

std::string value_text(const caf::optional<double>& v) {
  if (!v)
    return "n/a";
  std::ostringstream os;
  os << std::fixed << std::setprecision(2) << *v;
  return os.str();
}

double seconds(caf::timespan d) { return std::chrono::duration<double>(d).count(); }

int64_t unix_ms(caf::timestamp t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

void write_view(codec::json_writer& w, const messages::derivatives_view& v) {
  w.begin_object().field("currency", v.currency);
  w.key("basis");
  if (v.basis)
    w.begin_object()
      .field("apr_pct", v.basis->apr_pct ? *v.basis->apr_pct : std::nan(""))
      .field("instrument", v.basis->instrument)
      .field("state", quant::to_string(v.basis_state))
      .field("last_state", quant::to_string(v.basis_last_state))
      .field("age_s", seconds(v.basis_age))
      .field("lag_s", seconds(v.basis_lag))
      .field("as_of_ms", unix_ms(v.basis->as_of))
      .end_object();
  else
    w.null();
  w.key("skew");
  if (v.skew)
    w.begin_object()
      .field("value_pct", v.skew->skew_pct ? *v.skew->skew_pct : std::nan(""))
      .field("atm_iv", v.skew->atm_iv)
      .field("butterfly25", v.skew->butterfly25)
      .field("state", quant::to_string(v.skew_state))
      .field("last_state", quant::to_string(v.skew_last_state))
      .field("age_s", seconds(v.skew_age))
      .field("lag_s", seconds(v.skew_lag))
      .field("as_of_ms", unix_ms(v.skew->as_of))
      .end_object();
  else
    w.null();
  w.end_object();
}

void print_view_line(const messages::derivatives_view& v) {
  std::cout << std::left << std::setw(5) << v.currency << " basis " << std::setw(8)
            << value_text(v.basis ? v.basis->apr_pct : caf::none) << std::setw(17) << quant::to_string(v.basis_state)
            << " age " << std::setw(8) << age_text(v.basis_age) << " lag " << std::setw(10) << age_text(v.basis_lag)
            << " | skew " << std::setw(7) << value_text(v.skew ? v.skew->skew_pct : caf::none) << std::setw(13)
            << quant::to_string(v.skew_state) << " age " << std::setw(8) << age_text(v.skew_age) << " lag "
            << age_text(v.skew_lag) << '\n';
}

int fail(const std::string& message) {
  std::cerr << "derivcache-inspect: " << message << '\n';
  std::cerr.flush();
  std::cout.flush();
  // A peer that never answered may keep the middleman waiting; do not wait for it on the way out.
  std::_Exit(1);
}

} // namespace

int main(int argc, char** argv) {
  // Options may come anywhere; a valued option given as "--key value" takes the next argument.
  std::vector<std::string> args(argv + 1, argv + argc), positional, options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i].rfind("--", 0) == 0) {
      options.push_back(args[i]);
      const bool valued = args[i].find('=') == std::string::npos && args[i] != "--json" && args[i] != "--help";
      if (valued && i + 1 < args.size())
        options.push_back(args[++i]);
    } else {
      positional.push_back(args[i]);
    }
  }
  auto flags = apps::parse_flags(options, {"timeout", "tls-cert", "tls-key", "tls-ca", "kind", "id", "symbol", "attributes"},
                                 {"json", "help"});
  if (flags.values.count("help")) {
    std::cout << usage;
    return 0;
  }
  if (!flags.error.empty() || positional.size() < 2 || positional.size() > 3) {
    std::cerr << "derivcache-inspect: " << (flags.error.empty() ? "expected HOST PORT [command]" : flags.error)
              << " (see --help)\n";
    return 2;
  }
  const std::string host = positional[0];
  char* end = nullptr;
  const long port = std::strtol(positional[1].c_str(), &end, 10);
  if (*end != '\0' || port <= 0 || port > 65535) {
    std::cerr << "derivcache-inspect: PORT '" << positional[1] << "' is not a port number\n";
    return 2;
  }
  const std::string command = positional.size() == 3 ? positional[2] : "status";
  if (command != "status" && command != "cache" && command != "actors" && command != "feed" && command != "watch" &&
      command != "refresh" && command != "store" && command != "record") {
    std::cerr << "derivcache-inspect: unknown command '" << command
              << "' (status, cache, actors, feed, store, watch, refresh, record)\n";
    return 2;
  }
  if (command == "record" && (!flags.values.count("kind") || !flags.values.count("id") || !flags.values.count("symbol"))) {
    std::cerr << "derivcache-inspect: record needs --kind, --id and --symbol\n";
    return 2;
  }
  const bool json = flags.values.count("json") > 0;
  std::chrono::seconds timeout{5};
  if (flags.values.count("timeout"))
    timeout = std::chrono::seconds{std::max(1L, std::strtol(flags.values["timeout"].c_str(), nullptr, 10))};
  const int tls_parts = static_cast<int>(flags.values.count("tls-cert") + flags.values.count("tls-key") +
                                         flags.values.count("tls-ca"));
  if (tls_parts != 0 && tls_parts != 3) {
    std::cerr << "derivcache-inspect: --tls-cert, --tls-key and --tls-ca go together (all three or none)\n";
    return 2;
  }
  const bool tls = tls_parts == 3;

  caf::actor_system_config cfg;
  cfg.add_message_types<caf::id_block::derivcache>();
  cfg.load<caf::io::middleman>();
  if (tls) {
    cfg.set("openssl.certificate", flags.values["tls-cert"]);
    cfg.set("openssl.key", flags.values["tls-key"]);
    cfg.set("openssl.cafile", flags.values["tls-ca"]);
    cfg.load<caf::openssl::manager>();
  }
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  auto mm = tls ? sys.openssl_manager().actor_handle() : sys.middleman().actor_handle();
  messages::introspection_actor engine;
  std::string error;
  self->request(mm, timeout, caf::connect_atom::value, host, static_cast<uint16_t>(port))
    .receive(
      [&](const caf::node_id&, caf::strong_actor_ptr& ptr, const std::set<std::string>& ifs) {
        if (!ptr || ifs != sys.message_types<messages::introspection_actor>())
          error = host + ":" + std::to_string(port) +
                  " is not a derivcache introspection endpoint of this version (" DERIVCACHE_VERSION ")";
        else
          engine = caf::actor_cast<messages::introspection_actor>(std::move(ptr));
      },
      [&](const caf::error& err) {
        error = "cannot connect to " + host + ":" + std::to_string(port) + ": " +
                (err == caf::sec::request_timeout ? "no answer within " + std::to_string(timeout.count()) + "s"
                                                  : sys.render(err));
      });
  if (!error.empty())
    return fail(error);

  auto on_error = [&](const caf::error& err) { fail(command + " failed: " + messages::render(err)); };
  codec::json_writer w;
  if (command == "status") {
    self->request(engine, timeout, messages::status_atom::value).receive(
      [&](const messages::engine_status& s) {
        if (json) {
          w.begin_object().field("version", s.version).field("uptime_s", seconds(s.uptime))
            .field("deribit_url", s.deribit_url).field("interval_s", seconds(s.interval))
            .field("allow_control", s.allow_control).field("allow_record", s.allow_record)
            .field("subscribers", static_cast<uint64_t>(s.subscribers))
            .field("max_subscribers", static_cast<uint64_t>(s.max_subscribers));
          w.key("currencies").begin_array();
          for (const auto& c : s.currencies)
            w.value(c);
          w.end_array().key("symbols").begin_array();
          for (const auto& c : s.symbols)
            w.value(c);
          w.end_array().end_object();
          std::cout << w.str() << '\n';
        } else {
          std::cout << "version      " << s.version << "\nuptime       " << age_text(s.uptime) << "\nderibit      "
                    << s.deribit_url << " every " << age_text(s.interval) << "\ncurrencies  ";
          for (const auto& c : s.currencies)
            std::cout << ' ' << c;
          std::cout << "\nsymbols     ";
          for (const auto& c : s.symbols)
            std::cout << ' ' << c;
          std::cout << "\ncontrol      " << (s.allow_control ? "allowed" : "read-only") << "\nsubscribers  "
                    << s.subscribers << " of " << s.max_subscribers << '\n';
        }
      },
      on_error);
  } else if (command == "cache") {
    self->request(engine, timeout, caf::get_atom::value).receive(
      [&](const messages::cache_contents& c) {
        if (json) {
          w.begin_array();
          for (const auto& v : c.currencies)
            write_view(w, v);
          w.end_array();
          std::cout << w.str() << '\n';
        } else {
          for (const auto& v : c.currencies)
            print_view_line(v);
        }
      },
      on_error);
  } else if (command == "actors") {
    self->request(engine, timeout, messages::actors_atom::value).receive(
      [&](const messages::actors_report& r) {
        if (json) {
          w.begin_array();
          for (const auto& a : r.actors)
            w.begin_object().field("role", a.role).field("alive", a.alive)
              .field("restarts", static_cast<uint64_t>(a.restarts)).field("last_error", a.last_error)
              .field("last_success", time_text(a.last_success)).field("degraded", a.degraded)
              .field("next_retry", time_text(a.next_retry)).end_object();
          w.end_array();
          std::cout << w.str() << '\n';
        } else {
          for (const auto& a : r.actors)
            std::cout << std::left << std::setw(18) << a.role << (a.alive ? "alive " : "DOWN  ") << "restarts "
                      << std::setw(4) << a.restarts << (a.degraded ? "DEGRADED " : "") << "last success "
                      << time_text(a.last_success) << " next retry " << time_text(a.next_retry)
                      << (a.last_error.empty() ? "" : " last error: " + a.last_error) << '\n';
        }
      },
      on_error);
  } else if (command == "feed") {
    self->request(engine, timeout, messages::feed_atom::value).receive(
      [&](const messages::feed_status& f) {
        auto lag = f.lag ? seconds(*f.lag) : std::nan("");
        if (json) {
          w.begin_object().field("connected", f.connected).field("connects", f.connects)
            .field("reconnects", f.reconnects).field("drops", f.drops).field("stalls", f.stalls)
            .field("server_shutdowns", f.server_shutdowns).field("agg_trades", f.agg_trades)
            .field("book_tickers", f.book_tickers).field("malformed", f.malformed).field("oversized", f.oversized)
            .field("pings", f.pings).field("lag_s", lag).field("last_error", f.last_error).end_object();
          std::cout << w.str() << '\n';
        } else {
          std::cout << "connected    " << (f.connected ? "yes" : "no") << "\nmessages     " << f.agg_trades
                    << " aggTrade, " << f.book_tickers << " bookTicker\nskipped      " << f.malformed
                    << " malformed, " << f.oversized << " oversized\nreconnects   " << f.reconnects << " (" << f.drops
                    << " drops, " << f.stalls << " stalls, " << f.server_shutdowns << " serverShutdown)\nlag          "
                    << (f.lag ? age_text(*f.lag) : "-") << '\n'
                    << (f.last_error.empty() ? "" : "last error   " + f.last_error + "\n");
        }
      },
      on_error);
  } else if (command == "store") {
    self->request(engine, timeout, messages::store_atom::value).receive(
      [&](const messages::store_counts& c) {
        if (json) {
          w.begin_object().field("path", c.path).field("recorded", c.recorded).field("pending", c.pending)
            .field("labelled", c.labelled).field("incomplete", c.incomplete).end_object();
          std::cout << w.str() << '\n';
        } else {
          std::cout << "store        " << c.path << "\nrecorded     " << c.recorded << "\npending      " << c.pending
                    << "\nlabelled     " << c.labelled << "\nincomplete   " << c.incomplete << '\n';
        }
      },
      on_error);
  } else if (command == "record") {
    messages::record_request req{flags.values["kind"], flags.values["id"], flags.values["symbol"],
                                 flags.values.count("attributes") ? flags.values["attributes"] : "{}"};
    self->request(engine, timeout, messages::record_atom::value, req).receive(
      [&](const messages::record_reply& r) {
        if (json) {
          w.begin_object().field("snapshot", r.snapshot).field("created", r.created).field("time_ms", unix_ms(r.time))
            .field("kind", r.kind).field("id", r.id).end_object();
          std::cout << w.str() << '\n';
        } else {
          std::cout << (r.created ? "recorded" : "already recorded") << " as snapshot " << r.snapshot << " ("
                    << r.kind << " " << r.id << ") at " << caf::deep_to_string(r.time) << '\n';
        }
      },
      on_error);
  } else if (command == "refresh") {
    self->request(engine, timeout, messages::control_atom::value, messages::refresh_atom::value)
      .receive([](caf::ok_atom) { std::cout << "refresh requested\n"; }, on_error);
  } else {
    self->request(engine, timeout, messages::subscribe_atom::value, caf::actor_cast<caf::actor>(self))
      .receive([](caf::ok_atom) {}, on_error);
    self->monitor(engine);
    for (bool running = true; running;)
      self->receive(
        [&](const messages::derivatives_update& u) {
          if (json) {
            codec::json_writer line;
            write_view(line, u.view);
            std::cout << line.str() << std::endl;
          } else {
            print_view_line(u.view);
            std::cout.flush();
          }
        },
        [&](const caf::down_msg& dm) {
          running = false;
          fail("the engine went away: " + messages::render(dm.reason));
        });
  }
  return 0;
}
