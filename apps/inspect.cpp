// `derivcache-inspect`: parse the arguments, connect to the engine, run one command, print its reply.
#include "apps/inspect.hpp"

#include "apps/cli.hpp"
#include "codec/json_writer.hpp"
#include "messages/errors.hpp"
#include "messages/interfaces.hpp"
#include "runtime/duration_text.hpp"
#include "runtime/reading_json.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/openssl/all.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iomanip>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>

namespace derivcache::apps {

const char* const inspect_help = R"(Usage: derivcache-inspect HOST PORT [status|cache|actors|feed|store|watch|refresh|record] [options]

Connects to a derivcache engine published with introspection.port and prints what it holds.

Commands:
  status   version, uptime, configuration summary (default)
  cache    every currency (or --currency C): basis and skew with state, age and exchange lag, then a
           table of the surface (rows: tenors; columns: ATM IV and the skew at each delta), the
           basis at constant maturities and the MFIV
  actors   every actor of the engine: liveness, restarts, last error, DEGRADED, next retry
  feed     the Binance feed: connection state, message counts, reconnects, lag
  store    the feature/label store: snapshots recorded, outcomes pending, labelled, incomplete
  watch    print every new reading until Ctrl-C (--json: each object also has pushed_ns, when the
           engine's cache pushed it, ns since the Unix epoch: now - pushed_ns is the delivery latency)
  refresh  ask the engine to fetch now (only when it runs with introspection.allow-control)
  record   record a snapshot in the engine's store, tagged with --kind K --id I --symbol S
           [--attributes JSON] (only with introspection.allow-record and store.path)

Options:
  --json              machine-readable output
  --currency C        cache: only this currency
  --timeout SECONDS   connect and request timeout (default 5)
  --tls-cert FILE --tls-key FILE --tls-ca FILE   mutual TLS (all three or none)

Exit codes: 0 ok, 1 cannot connect / not a derivcache engine / request failed, 2 usage.
)";

namespace {

struct inspect_request {
  std::string host;
  uint16_t port = 0;
  std::string command = "status";
  bool json = false;
  std::chrono::seconds timeout{5};
  bool tls = false;
  bool help = false;
  std::map<std::string, std::string> flags;   ///< the options as given (TLS files, record fields)
};

struct session {
  const inspect_request& req;
  caf::actor_system& sys;
  caf::scoped_actor& self;
  std::ostream& out;
  std::ostream& err;
  messages::introspection_actor engine;
};

int failed(session& s, const std::string& message) {
  s.err << "derivcache-inspect: " << message << '\n';
  s.err.flush();
  s.out.flush();
  return inspect_failed;
}

std::string age_text(caf::timespan d) {
  return runtime::seconds_text(std::chrono::round<std::chrono::duration<int64_t, std::deci>>(d));   // to 0.1 s
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

// The fields a basis and a skew object share, after their values.
template <class State>
void write_freshness(codec::json_writer& w, State state, State last_state, caf::timespan age, caf::timespan lag,
                     caf::timestamp as_of) {
  w.field("state", quant::to_string(state))
    .field("last_state", quant::to_string(last_state))
    .field("age_s", seconds(age))
    .field("lag_s", seconds(lag))
    .field("as_of_ms", unix_ms(as_of));
}

// `key`: an object of what `write` adds when `value` is set, else null.
template <class Optional, class Write>
void object_or_null(codec::json_writer& w, const char* key, const Optional& value, Write write) {
  w.key(key);
  if (!value) {
    w.null();
    return;
  }
  w.begin_object();
  write(*value);
  w.end_object();
}

// With `pushed` (watch): also "pushed_ns", when the cache holder pushed the update (ns since the Unix epoch).
void write_view(codec::json_writer& w, const messages::derivatives_view& v, const caf::timestamp* pushed = nullptr) {
  w.begin_object().field("currency", v.currency);
  object_or_null(w, "basis", v.basis, [&](const messages::basis_reading& b) {
    w.field("apr_pct", b.apr_pct ? *b.apr_pct : std::nan("")).field("instrument", b.instrument);
    write_freshness(w, v.basis_state, v.basis_last_state, v.basis_age, v.basis_lag, b.as_of);
  });
  object_or_null(w, "skew", v.skew, [&](const messages::skew_reading& s) {
    w.field("value_pct", s.skew_pct ? *s.skew_pct : std::nan(""))
      .field("atm_iv", s.atm_iv)
      .field("butterfly25", s.butterfly25);
    write_freshness(w, v.skew_state, v.skew_last_state, v.skew_age, v.skew_lag, s.as_of);
  });
  w.key("surface");
  runtime::write_surface(w, v.skew ? v.skew->surface : std::vector<messages::surface_tenor>{});
  w.key("basis_cm");
  runtime::write_constant_maturity_basis(w, v.basis ? v.basis->constant_maturity
                                                    : std::vector<messages::cm_basis_point>{});
  w.key("mfiv");
  if (v.skew)
    runtime::write_mfiv(w, v.skew->mfiv, false);
  else
    w.null();
  w.field("mfiv_age_s", v.skew ? std::optional<double>{seconds(v.mfiv_age)} : std::nullopt);
  w.key("dvol");
  runtime::write_dvol(w, v.dvol);
  w.field("dvol_age_s", v.dvol.close ? std::optional<double>{seconds(v.dvol_age)} : std::nullopt);
  if (pushed)
    w.field("pushed_ns", static_cast<int64_t>(pushed->time_since_epoch().count()));
  w.end_object();
}

std::string number_text(double x) {
  std::ostringstream os;
  os << x;
  return os.str();
}

// A value of the tables; "*" marks a last good value the cache kept (it has a reason beside it).
template <class Value>
std::string cell(const Value& v, const std::string& reason) {
  return value_text(v) + (v && !reason.empty() ? "*" : "");
}

// The surface (rows: tenors; columns: ATM IV and the skew at each delta), the basis at constant maturities, the
// MFIV and DVOL of one currency, under its summary line.
void print_tables(const messages::derivatives_view& v, std::ostream& out) {
  const std::string indent(6, ' ');
  if (v.skew && !v.skew->surface.empty()) {
    const auto& surface = v.skew->surface;
    out << indent << std::right << std::setw(6) << "tenor" << std::setw(9) << "ATM";
    for (const auto& p : surface.front().deltas)
      out << std::setw(11) << "skew " + number_text(p.delta);
    out << '\n';
    for (const auto& t : surface) {
      out << indent << std::setw(6) << number_text(t.tenor_days) + "d" << std::setw(9) << cell(t.atm.atm_iv, t.atm.reason);
      for (const auto& p : t.deltas)
        out << std::setw(11) << cell(p.skew_pct, p.reason);
      out << '\n';
    }
  }
  if (v.basis && !v.basis->constant_maturity.empty()) {
    out << indent << "basis %/yr";
    for (const auto& p : v.basis->constant_maturity)
      out << "  " << number_text(p.tenor_days) << "d " << cell(p.apr_pct, p.reason);
    out << '\n';
  }
  if (v.skew) {
    const auto& m = v.skew->mfiv;
    out << indent << "MFIV " << number_text(m.tenor_days) << "d " << cell(m.value_pct, m.reason) << "  age "
        << age_text(v.mfiv_age) << (m.reason.empty() ? "" : "  (" + m.reason + ")") << '\n';
  }
  const auto& d = v.dvol;
  out << indent << "DVOL " << cell(d.close, d.reason) << "  MFIV-DVOL " << value_text(d.mfiv_minus_dvol)
      << (d.close ? "  age " + age_text(v.dvol_age) : "") << (d.reason.empty() ? "" : "  (" + d.reason + ")") << '\n';
  out << std::left;
}

void print_status(const messages::engine_status& s, bool json, std::ostream& out) {
  if (json) {
    codec::json_writer w;
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
    out << w.str() << '\n';
    return;
  }
  out << "version      " << s.version << "\nuptime       " << age_text(s.uptime) << "\nderibit      " << s.deribit_url
      << " every " << age_text(s.interval) << "\ncurrencies  ";
  for (const auto& c : s.currencies)
    out << ' ' << c;
  out << "\nsymbols     ";
  for (const auto& c : s.symbols)
    out << ' ' << c;
  out << "\ncontrol      " << (s.allow_control ? "allowed" : "read-only") << "\nsubscribers  " << s.subscribers
      << " of " << s.max_subscribers << '\n';
}

void print_actors(const messages::actors_report& r, bool json, std::ostream& out) {
  if (!json) {
    for (const auto& a : r.actors)
      out << std::left << std::setw(18) << a.role << (a.alive ? "alive " : "DOWN  ") << "restarts " << std::setw(4)
          << a.restarts << (a.degraded ? "DEGRADED " : "") << "last success " << time_text(a.last_success)
          << " next retry " << time_text(a.next_retry)
          << (a.last_error.empty() ? "" : " last error: " + a.last_error) << '\n';
    return;
  }
  codec::json_writer w;
  w.begin_array();
  for (const auto& a : r.actors)
    w.begin_object().field("role", a.role).field("alive", a.alive)
      .field("restarts", static_cast<uint64_t>(a.restarts)).field("last_error", a.last_error)
      .field("last_success", time_text(a.last_success)).field("degraded", a.degraded)
      .field("next_retry", time_text(a.next_retry)).end_object();
  w.end_array();
  out << w.str() << '\n';
}

void print_feed(const messages::feed_status& f, bool json, std::ostream& out) {
  if (json) {
    codec::json_writer w;
    w.begin_object().field("connected", f.connected).field("connects", f.connects)
      .field("reconnects", f.reconnects).field("drops", f.drops).field("stalls", f.stalls)
      .field("server_shutdowns", f.server_shutdowns).field("agg_trades", f.agg_trades)
      .field("book_tickers", f.book_tickers).field("malformed", f.malformed).field("oversized", f.oversized)
      .field("pings", f.pings).field("lag_s", f.lag ? seconds(*f.lag) : std::nan(""))
      .field("last_error", f.last_error).end_object();
    out << w.str() << '\n';
    return;
  }
  out << "connected    " << (f.connected ? "yes" : "no") << "\nmessages     " << f.agg_trades << " aggTrade, "
      << f.book_tickers << " bookTicker\nskipped      " << f.malformed << " malformed, " << f.oversized
      << " oversized\nreconnects   " << f.reconnects << " (" << f.drops << " drops, " << f.stalls << " stalls, "
      << f.server_shutdowns << " serverShutdown)\nlag          " << (f.lag ? age_text(*f.lag) : "-") << '\n'
      << (f.last_error.empty() ? "" : "last error   " + f.last_error + "\n");
}

void print_store(const messages::store_counts& c, bool json, std::ostream& out) {
  if (json) {
    codec::json_writer w;
    w.begin_object().field("path", c.path).field("recorded", c.recorded).field("pending", c.pending)
      .field("labelled", c.labelled).field("incomplete", c.incomplete).end_object();
    out << w.str() << '\n';
    return;
  }
  out << "store        " << c.path << "\nrecorded     " << c.recorded << "\npending      " << c.pending
      << "\nlabelled     " << c.labelled << "\nincomplete   " << c.incomplete << '\n';
}

void print_record(const messages::record_reply& r, bool json, std::ostream& out) {
  if (json) {
    codec::json_writer w;
    w.begin_object().field("snapshot", r.snapshot).field("created", r.created).field("time_ms", unix_ms(r.time))
      .field("kind", r.kind).field("id", r.id).end_object();
    out << w.str() << '\n';
    return;
  }
  out << (r.created ? "recorded" : "already recorded") << " as snapshot " << r.snapshot << " (" << r.kind << " "
      << r.id << ") at " << caf::deep_to_string(r.time) << '\n';
}

void print_refreshed(const caf::ok_atom&, bool, std::ostream& out) { out << "refresh requested\n"; }

void print_nothing(const caf::ok_atom&, bool, std::ostream&) {}

// Sends one request to the engine and hands its reply to `handle`, which returns the exit code.
template <class Reply, class Handle, class... Ts>
int ask_then(session& s, Handle handle, Ts... xs) {
  int code = inspect_ok;
  s.self->request(s.engine, s.req.timeout, std::move(xs)...)
    .receive([&](Reply& reply) { code = handle(reply); },
             [&](const caf::error& err) { code = failed(s, s.req.command + " failed: " + messages::render(err)); });
  return code;
}

// Sends one request to the engine and prints its reply.
template <class Reply, class... Ts>
int ask(session& s, void (*print)(const Reply&, bool, std::ostream&), Ts... xs) {
  return ask_then<Reply>(
    s, [&](const Reply& reply) { return print(reply, s.req.json, s.out), inspect_ok; }, std::move(xs)...);
}

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

int status(session& s) { return ask(s, print_status, messages::status_atom::value); }

int cache(session& s) {
  auto wanted = s.req.flags.find("currency");
  return ask_then<messages::cache_contents>(
    s,
    [&](messages::cache_contents& c) {
      if (wanted != s.req.flags.end()) {
        std::string held;
        for (const auto& v : c.currencies)
          held += (held.empty() ? "" : ", ") + v.currency;
        auto& cs = c.currencies;
        cs.erase(std::remove_if(cs.begin(), cs.end(), [&](const auto& v) { return v.currency != upper(wanted->second); }),
                 cs.end());
        if (cs.empty())
          return failed(s, "the cache holds no reading for " + wanted->second + " (it holds: " +
                             (held.empty() ? "none yet" : held) + ")");
      }
      print_cache(c, s.req.json, s.out);
      return inspect_ok;
    },
    caf::get_atom::value);
}
int actors(session& s) { return ask(s, print_actors, messages::actors_atom::value); }
int feed(session& s) { return ask(s, print_feed, messages::feed_atom::value); }
int store(session& s) { return ask(s, print_store, messages::store_atom::value); }

int refresh(session& s) {
  return ask(s, print_refreshed, messages::control_atom::value, messages::refresh_atom::value);
}

int record(session& s) {
  const auto& f = s.req.flags;
  auto attributes = f.find("attributes");
  messages::record_request req{f.at("kind"), f.at("id"), f.at("symbol"),
                               attributes != f.end() ? attributes->second : "{}"};
  return ask(s, print_record, messages::record_atom::value, std::move(req));
}

int watch(session& s) {
  if (auto code = ask(s, print_nothing, messages::subscribe_atom::value, caf::actor_cast<caf::actor>(s.self)))
    return code;
  s.self->monitor(s.engine);
  int code = inspect_ok;
  for (bool running = true; running;)
    s.self->receive(
      [&](const messages::derivatives_update& u) {
        if (s.req.json) {
          codec::json_writer w;
          write_view(w, u.view, &u.pushed);
          s.out << w.str() << '\n';
        } else {
          print_view(u.view, false, s.out);
        }
        s.out.flush();
      },
      [&](const caf::down_msg& dm) {
        running = false;
        code = failed(s, "the engine went away: " + messages::render(dm.reason));
      });
  return code;
}

struct command {
  const char* name;
  int (*run)(session&);
};

// In the order the help and the unknown-command message list them.
constexpr command commands[] = {{"status", status}, {"cache", cache}, {"actors", actors},   {"feed", feed},
                                {"store", store},   {"watch", watch}, {"refresh", refresh}, {"record", record}};

const command* find_command(const std::string& name) {
  for (const auto& c : commands)
    if (name == c.name)
      return &c;
  return nullptr;
}

std::string command_names() {
  std::string names;
  for (const auto& c : commands)
    names += (names.empty() ? "" : ", ") + std::string{c.name};
  return names;
}

// Options may come anywhere; a valued option given as "--key value" takes the next argument.
void split_arguments(const std::vector<std::string>& args, std::vector<std::string>& positional,
                     std::vector<std::string>& options) {
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
}

// The request the arguments describe, or the reason they describe none (the usage error to print).
std::string parse_request(const std::vector<std::string>& args, inspect_request& req) {
  std::vector<std::string> positional, options;
  split_arguments(args, positional, options);
  auto flags = parse_flags(options,
                           {"timeout", "tls-cert", "tls-key", "tls-ca", "kind", "id", "symbol", "attributes", "currency"},
                           {"json", "help"});
  if (flags.values.count("help")) {
    req.help = true;
    return {};
  }
  if (!flags.error.empty() || positional.size() < 2 || positional.size() > 3)
    return (flags.error.empty() ? "expected HOST PORT [command]" : flags.error) + " (see --help)";
  req.host = positional[0];
  char* end = nullptr;
  const long port = std::strtol(positional[1].c_str(), &end, 10);
  if (*end != '\0' || port <= 0 || port > 65535)
    return "PORT '" + positional[1] + "' is not a port number";
  req.port = static_cast<uint16_t>(port);
  if (positional.size() == 3)
    req.command = positional[2];
  if (!find_command(req.command))
    return "unknown command '" + req.command + "' (" + command_names() + ")";
  auto& v = flags.values;
  if (req.command == "record" && (!v.count("kind") || !v.count("id") || !v.count("symbol")))
    return "record needs --kind, --id and --symbol";
  if (v.count("currency") && req.command != "cache")
    return "--currency goes with cache";
  req.json = v.count("json") > 0;
  if (v.count("timeout"))
    req.timeout = std::chrono::seconds{std::max(1L, std::strtol(v["timeout"].c_str(), nullptr, 10))};
  const auto tls_parts = v.count("tls-cert") + v.count("tls-key") + v.count("tls-ca");
  if (tls_parts != 0 && tls_parts != 3)
    return "--tls-cert, --tls-key and --tls-ca go together (all three or none)";
  req.tls = tls_parts == 3;
  req.flags = std::move(v);
  return {};
}

int connect(session& s) {
  const auto& req = s.req;
  auto mm = req.tls ? s.sys.openssl_manager().actor_handle() : s.sys.middleman().actor_handle();
  const auto peer = req.host + ":" + std::to_string(req.port);
  std::string error;
  s.self->request(mm, req.timeout, caf::connect_atom::value, req.host, req.port)
    .receive(
      [&](const caf::node_id&, caf::strong_actor_ptr& ptr, const std::set<std::string>& ifs) {
        if (!ptr || ifs != s.sys.message_types<messages::introspection_actor>())
          error = peer + " is not a derivcache introspection endpoint of this version (" DERIVCACHE_VERSION ")";
        else
          s.engine = caf::actor_cast<messages::introspection_actor>(std::move(ptr));
      },
      [&](const caf::error& err) {
        error = "cannot connect to " + peer + ": " +
                (err == caf::sec::request_timeout ? "no answer within " + std::to_string(req.timeout.count()) + "s"
                                                  : s.sys.render(err));
      });
  return error.empty() ? inspect_ok : failed(s, error);
}

int run(const inspect_request& req, std::ostream& out, std::ostream& err) {
  caf::actor_system_config cfg;
  cfg.add_message_types<caf::id_block::derivcache>();
  cfg.load<caf::io::middleman>();
  if (req.tls) {
    cfg.set("openssl.certificate", req.flags.at("tls-cert"));
    cfg.set("openssl.key", req.flags.at("tls-key"));
    cfg.set("openssl.cafile", req.flags.at("tls-ca"));
    cfg.load<caf::openssl::manager>();
  }
  auto sys = std::make_unique<caf::actor_system>(cfg);
  int code = inspect_ok;
  {
    caf::scoped_actor self{*sys};
    session s{req, *sys, self, out, err, {}};
    code = connect(s);
    if (code == inspect_ok)
      code = find_command(req.command)->run(s);
  }
  if (code != inspect_ok)
    static_cast<void>(sys.release());   // see run_inspect in the header: a silent peer may stall the shutdown
  return code;
}

} // namespace

void print_view(const messages::derivatives_view& v, bool json, std::ostream& out) {
  if (json) {
    codec::json_writer w;
    write_view(w, v);
    out << w.str() << '\n';
    return;
  }
  out << std::left << std::setw(5) << v.currency << " basis " << std::setw(8)
      << value_text(v.basis ? v.basis->apr_pct : caf::none) << std::setw(17) << quant::to_string(v.basis_state)
      << " age " << std::setw(8) << age_text(v.basis_age) << " lag " << std::setw(10) << age_text(v.basis_lag)
      << " | skew " << std::setw(7) << value_text(v.skew ? v.skew->skew_pct : caf::none) << std::setw(13)
      << quant::to_string(v.skew_state) << " age " << std::setw(8) << age_text(v.skew_age) << " lag "
      << age_text(v.skew_lag) << '\n';
}

void print_cache(const messages::cache_contents& c, bool json, std::ostream& out) {
  if (!json) {
    for (const auto& v : c.currencies) {
      print_view(v, false, out);
      print_tables(v, out);
    }
    if (!c.currencies.empty())
      out << "(IV and skew in vol points, skew = put IV - call IV at |delta|; * = the last good value, kept because "
             "the latest reading had none)\n";
    return;
  }
  codec::json_writer w;
  w.begin_array();
  for (const auto& v : c.currencies)
    write_view(w, v);
  w.end_array();
  out << w.str() << '\n';
}

int run_inspect(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  inspect_request req;
  auto error = parse_request(args, req);
  if (req.help) {
    out << inspect_help;
    return inspect_ok;
  }
  if (!error.empty()) {
    err << "derivcache-inspect: " << error << '\n';
    return inspect_usage_error;
  }
  return run(req, out, err);
}

} // namespace derivcache::apps
