// `derivcache analyze`: decode recorded files, compute basis and skew, read DVOL, print JSON.
#include "apps/analyze.hpp"

#include "apps/cli.hpp"
#include "codec/deribit.hpp"
#include "codec/file.hpp"
#include "codec/json_writer.hpp"
#include "configuration/engine_config.hpp"
#include "configuration/keys.hpp"
#include "messages/from_quant.hpp"
#include "quant/basis.hpp"
#include "quant/currency.hpp"
#include "quant/dvol.hpp"
#include "quant/mfiv.hpp"
#include "quant/skew.hpp"
#include "quant/states.hpp"
#include "quant/surface.hpp"
#include "runtime/reading_json.hpp"

#include <cerrno>
#include <cmath>
#include <optional>
#include <ostream>

namespace derivcache::apps {

const char* const analyze_help = R"(Usage: derivcache analyze --currency BTC|ETH|SOL [options]

Computes the annualized basis of the nearest quarterly future, the futures term structure,
the 30-day constant-maturity 25-delta skew (put IV - call IV), ATM IV, butterfly and the
per-expiry smile, the implied-volatility surface (ATM, skew, normalized skew and butterfly
per tenor and delta), the basis at constant maturities and the model-free implied volatility
(MFIV) from recorded Deribit public/get_book_summary_by_currency bodies, and DVOL's newest close
from a recorded public/get_volatility_index_data body (docs/methodology.md).

Options (--key value or --key=value):
  --currency C          BTC, ETH or SOL (SOL: the linear SOL_USDC rows of the USDC book)
  --futures FILE        book summary, kind=future (full response body or bare result array)
  --options FILE        book summary, kind=option
  --dvol FILE           get_volatility_index_data body or bare result (BTC and ETH; no SOL DVOL)
  --now MS              as-of time in Unix milliseconds (default: newest creation_timestamp)
  --min-dte DAYS        skip quarterlies closer than this (default 7)
  --tenors LIST         surface tenors in days, e.g. 7,30,90 (default: surface.tenors, 7,30,60,90,180)
  --deltas LIST         surface wing |deltas|, each in (0, 0.5) (default: surface.deltas, 0.1,0.25)
  --basis-tenors LIST   constant-maturity basis tenors in days (default: basis.tenors, 30,90)
  --mfiv-tenor DAYS     MFIV tenor in days (default: mfiv.tenor, 30)
  --help                this text

Prints one JSON object on stdout. Exit 0 on success; 2 with one line on stderr when a file is
unreadable, not JSON, a JSON-RPC error, or has no rows for the currency.
)";

namespace {

struct input_error {
  std::string message;
};

// Decodes one file into the currency's rows; warns about skipped rows; an error for unusable files.
template <class Row, class Decode>
std::optional<std::vector<Row>> load_rows(const std::string& path, Decode decode, const quant::currency_spec& currency,
                                          std::size_t& bad_rows, std::ostream& err, std::string& error) {
  auto body = codec::read_text_file(path, error);
  if (!body)
    return std::nullopt;
  auto decoded = decode(*body);
  if (!decoded.fatal.empty()) {
    error = path + ": " + decoded.fatal;
    return std::nullopt;
  }
  if (decoded.error_reply) {
    error = path + ": JSON-RPC error " + std::to_string(decoded.error_reply->code) + " " + decoded.error_reply->message;
    return std::nullopt;
  }
  for (const auto& e : decoded.row_errors)
    err << "derivcache: warning: " << path << ": " << e << '\n';
  bad_rows = decoded.row_errors.size();
  auto rows = quant::rows_for(decoded.rows, currency);
  if (rows.empty()) {
    error = path + ": no usable " + currency.name + " rows (" + std::to_string(decoded.rows.size()) +
            " rows of other currencies, " + std::to_string(bad_rows) + " bad rows)";
    return std::nullopt;
  }
  return rows;
}

void write_basis(codec::json_writer& w, const std::optional<quant::basis_result>& basis, const std::string& missing) {
  if (!basis || !basis->nearest) {
    w.key("basis").null();
    w.field("basis_reason", basis ? to_string(basis->reason) : missing);
  } else {
    const auto& b = *basis->nearest;
    w.key("basis").begin_object()
      .field("apr_pct", b.apr_pct)
      .field("instrument", b.instrument)
      .field("dte_days", b.dte_days)
      .field("future_price", b.future_price)
      .field("index_price", b.index_price)
      .field("source", to_string(b.source))
      .field("state", to_string(quant::classify(b.apr_pct, quant::basis_thresholds{})))
      .field("as_of_ms", quant::to_unix_ms(basis->as_of))
      .end_object();
  }
  w.key("term_structure").begin_array();
  if (basis)
    for (const auto& p : basis->term_structure)
      w.begin_object()
        .field("instrument", p.instrument)
        .field("dte_days", p.dte_days)
        .field("apr_pct", p.apr_pct)
        .field("below_min_dte", p.below_min_dte)
        .field("quarterly", p.quarterly)
        .field("source", to_string(p.source))
        .end_object();
  w.end_array();
  if (basis && basis->perpetual) {
    const auto& p = *basis->perpetual;
    w.key("perpetual").begin_object()
      .field("instrument", p.instrument)
      .field("premium_pct", p.premium_pct)
      .field("funding_8h", p.funding_8h)
      .end_object();
  } else {
    w.key("perpetual").null();
  }
}

/// The surface, constant-maturity basis and MFIV settings, from the configuration's defaults and the options.
struct signal_settings {
  configuration::surface_settings surface;
  configuration::basis_settings basis;
  configuration::mfiv_settings mfiv;
};

/// A part of the output that needs an input file: its writer, or null and a reason beside it.
template <class Write>
void write_part(codec::json_writer& w, const char* key, bool computed, const std::string& missing, Write write) {
  if (computed)
    return write();
  w.key(key).null();
  w.field(std::string{key} + "_reason", missing);
}

/// A recording has no local receive time.
const caf::timestamp no_receive_time{};

void write_signals(codec::json_writer& w, const std::vector<quant::option_summary>* options,
                   const std::optional<quant::basis_result>& basis, const std::optional<messages::mfiv_record>& mfiv,
                   const signal_settings& settings, std::optional<quant::timestamp> now) {
  const auto received = no_receive_time;
  write_part(w, "surface", options != nullptr, "no options file given", [&] {
    quant::surface_params params;
    params.tenors_days = settings.surface.tenors;
    params.deltas = settings.surface.deltas;
    params.as_of = now;
    w.key("surface");
    runtime::write_surface(w, messages::to_surface(quant::compute_surface(*options, params), params, received));
  });
  write_part(w, "basis_cm", basis.has_value(), "no futures file given", [&] {
    auto records = quant::constant_maturity_basis(*basis, {settings.basis.tenors});
    w.key("basis_cm");
    runtime::write_constant_maturity_basis(w, messages::to_constant_maturity(records, basis->as_of, received));
  });
  write_part(w, "mfiv", mfiv.has_value(), "no options file given", [&] {
    w.key("mfiv");
    runtime::write_mfiv(w, *mfiv, true);
  });
}

std::optional<messages::mfiv_record> compute_mfiv(const std::vector<quant::option_summary>* options,
                                                  const signal_settings& settings, std::optional<quant::timestamp> now) {
  if (!options)
    return std::nullopt;
  quant::mfiv_params params;
  params.tenor_days = settings.mfiv.tenor;
  params.as_of = now;
  return messages::to_mfiv(quant::compute_mfiv(*options, params), params.tenor_days, no_receive_time);
}

void write_skew(codec::json_writer& w, const std::optional<quant::skew_result>& skew, const std::string& missing) {
  if (!skew || !skew->value) {
    w.key("skew").null();
    w.field("skew_reason", skew ? to_string(skew->reason) : missing);
  } else {
    const auto& s = *skew->value;
    w.key("skew").begin_object()
      .field("value_pct", s.skew_pct)
      .field("put25_iv", s.put_iv)
      .field("call25_iv", s.call_iv)
      .field("atm_iv", s.atm_iv)
      .field("butterfly25", s.butterfly)
      .field("tenor_days", s.tenor_days)
      .field("bracketed", s.bracketed);
    w.key("expiries").begin_array();
    for (const auto& e : s.expiries)
      w.value(e);
    w.end_array()
      .field("state", to_string(quant::classify(s.skew_pct, quant::skew_thresholds{})))
      .field("as_of_ms", quant::to_unix_ms(skew->as_of))
      .end_object();
  }
  w.key("smile_term_structure").begin_array();
  if (skew)
    for (const auto& p : skew->smile)
      w.begin_object()
        .field("expiry", p.expiry)
        .field("dte_days", p.dte_days)
        .field("forward", p.forward)
        .field("put25_iv", p.put_iv)
        .field("call25_iv", p.call_iv)
        .field("atm_iv", p.atm_iv)
        .end_object();
  w.end_array();
}

// The --dvol file's newest candle; an error naming the file when it is unusable.
std::optional<quant::dvol_reading> load_dvol(const std::string& path, std::string& error) {
  auto body = codec::read_text_file(path, error);
  if (!body)
    return std::nullopt;
  auto decoded = codec::decode_volatility_index(*body);
  if (decoded.error_reply) {
    error = path + ": JSON-RPC error " + std::to_string(decoded.error_reply->code) + " " + decoded.error_reply->message;
    return std::nullopt;
  }
  if (!decoded.value)
    error = path + ": " + decoded.fatal;
  return decoded.value;
}

// DVOL with mfiv_minus_dvol against the MFIV computed here (null without an MFIV value).
void write_dvol(codec::json_writer& w, const std::optional<quant::dvol_reading>& dvol,
                const std::optional<messages::mfiv_record>& mfiv, const std::string& missing) {
  write_part(w, "dvol", dvol.has_value(), missing, [&] {
    w.key("dvol");
    runtime::write_dvol(w, messages::to_dvol(*dvol, no_receive_time, mfiv ? mfiv->value_pct : caf::none));
  });
}

int fail(std::ostream& err, const std::string& message) {
  err << "derivcache analyze: " << message << '\n';
  return 2;
}

// A list option ("7,30,90" or "[7, 30, 90]") checked by the rules of its configuration key; an error text
// naming the option, or empty.
std::string parse_list(std::map<std::string, std::string>& v, const char* option, std::vector<double>& out,
                       std::vector<std::string> (*rules)(const std::vector<double>&)) {
  if (!v.count(option))
    return {};
  auto why = configuration::parse_number_list(v[option], out);
  if (why.empty()) {
    auto problems = rules(out);
    if (!problems.empty())
      why = problems.front();
  }
  return why.empty() ? std::string{} : "--" + std::string{option} + ": " + why;
}

std::string parse_signal_options(std::map<std::string, std::string>& v, signal_settings& s) {
  for (auto e : {parse_list(v, "tenors", s.surface.tenors, configuration::tenor_problems),
                 parse_list(v, "deltas", s.surface.deltas, configuration::delta_problems),
                 parse_list(v, "basis-tenors", s.basis.tenors, configuration::tenor_problems)})
    if (!e.empty())
      return e;
  if (v.count("mfiv-tenor")) {
    char* end = nullptr;
    s.mfiv.tenor = std::strtod(v["mfiv-tenor"].c_str(), &end);
    if (v["mfiv-tenor"].empty() || *end != '\0' || !(s.mfiv.tenor > 0) || !std::isfinite(s.mfiv.tenor))
      return "--mfiv-tenor '" + v["mfiv-tenor"] + "' is not a positive number of days";
  }
  return {};
}

// --now (Unix ms) and --min-dte (days) when given; an error text naming the option, or empty.
std::string parse_numbers(std::map<std::string, std::string>& v, std::optional<quant::timestamp>& now,
                          double& min_dte) {
  if (v.count("now")) {
    char* end = nullptr;
    errno = 0;
    long long ms = std::strtoll(v["now"].c_str(), &end, 10);
    if (v["now"].empty() || *end != '\0' || errno != 0 || ms <= 0)
      return "--now '" + v["now"] + "' is not a positive integer of Unix milliseconds";
    now = quant::from_unix_ms(ms);
  }
  if (v.count("min-dte")) {
    char* end = nullptr;
    min_dte = std::strtod(v["min-dte"].c_str(), &end);
    if (v["min-dte"].empty() || *end != '\0' || !(min_dte >= 0))
      return "--min-dte '" + v["min-dte"] + "' is not a non-negative number of days";
  }
  return {};
}

// The output object: currency, as-of time, basis, skew, the surface, constant-maturity basis and MFIV,
// DVOL and the skipped-row counts.
std::string report(const quant::currency_spec& currency, const std::optional<quant::basis_result>& basis,
                   const std::optional<quant::skew_result>& skew, const std::optional<quant::dvol_reading>& dvol,
                   const std::vector<quant::option_summary>* options,
                   const signal_settings& settings, std::optional<quant::timestamp> now, std::size_t bad_options,
                   std::size_t bad_futures) {
  quant::timestamp as_of{};
  if (basis)
    as_of = std::max(as_of, basis->as_of);
  if (skew)
    as_of = std::max(as_of, skew->as_of);
  codec::json_writer w;
  w.begin_object().field("currency", currency.name).field("as_of_ms", quant::to_unix_ms(as_of));
  write_basis(w, basis, "no futures file given");
  write_skew(w, skew, "no options file given");
  const auto mfiv = compute_mfiv(options, settings, now);
  write_signals(w, options, basis, mfiv, settings, now);
  write_dvol(w, dvol, mfiv, currency.has_dvol ? "no dvol file given" : "not listed for " + currency.name);
  w.key("skipped_rows").begin_object()
    .field("options", static_cast<uint64_t>(bad_options + (skew ? skew->skipped_rows : 0)))
    .field("futures", static_cast<uint64_t>(bad_futures + (basis ? basis->skipped_rows : 0)))
    .end_object();
  w.end_object();
  return w.take();
}

} // namespace

int run_analyze(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto flags = parse_flags(args, {"currency", "futures", "options", "dvol", "now", "min-dte", "tenors", "deltas",
                                  "basis-tenors", "mfiv-tenor"},
                           {"help"});
  if (!flags.error.empty())
    return fail(err, flags.error + " (see --help)");
  auto& v = flags.values;
  if (v.count("help")) {
    out << analyze_help;
    return 0;
  }
  if (!v.count("currency"))
    return fail(err, "--currency is required (" + quant::supported_currencies() + ")");
  auto currency = quant::find_currency(v["currency"]);
  if (!currency)
    return fail(err, "unknown currency '" + v["currency"] + "' (supported: " + quant::supported_currencies() + ")");
  if (!v.count("futures") && !v.count("options"))
    return fail(err, "give --futures FILE, --options FILE or both");
  if (v.count("dvol") && !currency->has_dvol)
    return fail(err, "--dvol: Deribit has no DVOL for " + currency->name);

  std::optional<quant::timestamp> now;
  double min_dte = 7;
  if (auto e = parse_numbers(v, now, min_dte); !e.empty())
    return fail(err, e);
  signal_settings settings;
  if (auto e = parse_signal_options(v, settings); !e.empty())
    return fail(err, e);

  std::string error;
  std::size_t bad_options = 0, bad_futures = 0;
  std::vector<quant::option_summary> options;
  std::vector<quant::future_summary> futures;
  if (v.count("options")) {
    auto rows = load_rows<quant::option_summary>(v["options"], codec::decode_option_summaries, *currency,
                                                 bad_options, err, error);
    if (!rows)
      return fail(err, error);
    options = std::move(*rows);
  }
  if (v.count("futures")) {
    auto rows = load_rows<quant::future_summary>(v["futures"], codec::decode_future_summaries, *currency,
                                                 bad_futures, err, error);
    if (!rows)
      return fail(err, error);
    futures = std::move(*rows);
  }
  std::optional<quant::dvol_reading> dvol;
  if (v.count("dvol")) {
    dvol = load_dvol(v["dvol"], error);
    if (!dvol)
      return fail(err, error);
  }

  std::optional<quant::basis_result> basis;
  if (v.count("futures") || currency->linear) {
    quant::basis_params params;
    params.min_dte_days = min_dte;
    params.as_of = now;
    params.synthetic_forward = currency->linear;
    basis = quant::compute_basis(futures, options, params);
  }
  std::optional<quant::skew_result> skew;
  if (v.count("options")) {
    quant::skew_params params;
    params.as_of = now;
    skew = quant::compute_skew(options, params);
  }

  out << report(*currency, basis, skew, dvol, v.count("options") ? &options : nullptr, settings, now, bad_options,
                bad_futures)
      << '\n';
  return 0;
}

} // namespace derivcache::apps
