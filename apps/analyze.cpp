// `derivcache analyze`: decode recorded files, compute basis and skew, read DVOL, print JSON.
#include "apps/analyze.hpp"

#include "apps/cli.hpp"
#include "apps/signal_record.hpp"
#include "codec/deribit.hpp"
#include "codec/file.hpp"
#include "quant/currency.hpp"
#include "quant/dvol.hpp"

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

int fail(std::ostream& err, const std::string& message) {
  err << "derivcache analyze: " << message << '\n';
  return 2;
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

  signal_inputs in;
  in.currency = &*currency;
  in.options = v.count("options") ? &options : nullptr;
  in.futures = v.count("futures") ? &futures : nullptr;
  in.dvol = dvol;
  in.now = now;
  in.min_dte_days = min_dte;
  in.settings = settings;
  in.bad_options = bad_options;
  in.bad_futures = bad_futures;
  out << signal_record(in) << '\n';
  return 0;
}

} // namespace derivcache::apps
