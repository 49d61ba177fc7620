// `derivcache backfill`: replay recorded options_chain and derivative_ticker files on a step grid and write the
// signal record of each currency at each step, as `derivcache analyze` computes it.
#include "apps/backfill.hpp"

#include "apps/cli.hpp"
#include "apps/export.hpp"
#include "apps/signal_record.hpp"
#include "backfill/replay.hpp"
#include "store/store.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <sstream>
#include <sys/resource.h>
#include <tuple>

namespace derivcache::apps {

const char* const backfill_help = R"(Usage: derivcache backfill --options-chain FILE... --derivative-ticker FILE... [options]

Replays Tardis.dev CSV datasets of Deribit (plain or gzip; options_chain and derivative_ticker, columns found
by the header) on a UTC grid, and at each step writes per currency the signal record `derivcache analyze`
prints for the same chain: basis, skew, term structures, surface, constant-maturity basis and MFIV
(docs/backfill.md).

Options (--key value or --key=value; the file options take one or more files):
  --options-chain FILE...      options_chain files, in time order
  --derivative-ticker FILE...  derivative_ticker files (futures and perpetuals), in time order
  --every DURATION             step of the grid, e.g. 1min, 5min, 1h (default 5min)
  --from TIME, --until TIME    ISO 8601 UTC; steps from <= t < until (default: from the first row plus
                               --max-row-age, up to the last row)
  --currencies LIST            e.g. BTC,ETH (default BTC,ETH,SOL)
  --max-row-age DURATION       an instrument whose newest row is older is left out of the chain (default 10min)
  --out FILE                   JSON lines, one record per currency and step (default: standard output)
  --store DB                   the feature store instead: one record per currency and step, never twice
  --min-dte, --tenors, --deltas, --basis-tenors, --mfiv-tenor   as for derivcache analyze
  --help                       this text

Exit 0 on success; 2 with one line on stderr on bad options, a file that cannot be read, lacks a required
column, or is given out of time order; 130 when interrupted (SIGINT), after the last whole step.
)";

namespace {

int fail(std::ostream& err, const std::string& message) {
  err << "derivcache backfill: " << message << '\n';
  return 2;
}

// "5min", "1h", "30s", "2d" (also "m" for minutes) as milliseconds; nothing when malformed or not positive.
std::optional<std::int64_t> parse_duration(const std::string& text) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])))
    ++digits;
  if (digits == 0 || digits > 9)
    return std::nullopt;
  const std::int64_t n = std::stoll(text.substr(0, digits));
  static const std::map<std::string, std::int64_t> units{{"s", 1000},        {"min", 60'000}, {"m", 60'000},
                                                         {"h", 3'600'000},   {"d", 86'400'000}};
  auto u = units.find(text.substr(digits));
  if (u == units.end() || n <= 0)
    return std::nullopt;
  return n * u->second;
}

// The flags: the two file options take every argument up to the next "--"; the others one value.
parsed_flags parse_backfill_flags(const std::vector<std::string>& args) {
  static const std::set<std::string> valued{"every", "from", "until", "currencies", "max-row-age", "out", "store",
                                            "min-dte", "tenors", "deltas", "basis-tenors", "mfiv-tenor"};
  return parse_flags(args, valued, {"help"}, {"options-chain", "derivative-ticker"});
}

std::string thousands(std::uint64_t n) {
  auto s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3)
    s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

// Where the records go: JSON lines, or the store (one transaction per batch of whole steps).
class record_sink {
public:
  virtual ~record_sink() = default;
  /// True when the record is already written (a store resumes; a file never has one).
  virtual bool has(const std::string&, std::int64_t) { return false; }
  virtual void add(const std::string& currency, std::int64_t step_ms, std::string record) = 0;
  /// After the last currency of a step.
  virtual void end_step() = 0;
  /// Writes what is buffered; the error text, or empty.
  virtual std::string finish() = 0;
  std::uint64_t written = 0;
};

class jsonl_sink : public record_sink {
public:
  explicit jsonl_sink(std::ostream& out) : out_(out) {}
  void add(const std::string&, std::int64_t, std::string record) override {
    step_.append(record).push_back('\n');
    ++pending_;
  }
  void end_step() override {
    // A step is written whole: its lines leave in one write.
    out_.write(step_.data(), static_cast<std::streamsize>(step_.size()));
    out_.flush();
    step_.clear();
    written += pending_;
    pending_ = 0;
  }
  std::string finish() override { return out_.good() ? std::string{} : "cannot write the output"; }

private:
  std::ostream& out_;
  std::string step_;
  std::uint64_t pending_ = 0;
};

class store_sink : public record_sink {
public:
  explicit store_sink(const std::string& path) : store_([&] {
      store::store_options o;
      o.path = path;
      return o;
    }()) {}
  bool has(const std::string& currency, std::int64_t step_ms) override { return store_.has_backfill(currency, step_ms); }
  void add(const std::string& currency, std::int64_t step_ms, std::string record) override {
    batch_.push_back({currency, step_ms, std::move(record)});
  }
  void end_step() override {
    // Whole steps per transaction; about once a second, so that an interrupted run loses little.
    const auto now = std::chrono::steady_clock::now();
    if (batch_.size() >= 1000 || now - last_commit_ >= std::chrono::seconds{1})
      commit();
  }
  std::string finish() override {
    commit();
    return {};
  }

private:
  void commit() {
    last_commit_ = std::chrono::steady_clock::now();
    if (batch_.empty())
      return;
    const auto wall = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch()).count();
    written += store_.write_backfill(batch_, wall);
    batch_.clear();
  }
  store::feature_store store_;
  std::vector<store::backfill_record> batch_;
  std::chrono::steady_clock::time_point last_commit_ = std::chrono::steady_clock::now();
};

// Steps of one currency without a value, by reason, with the first step.
struct gap_tally {
  std::uint64_t count = 0;
  std::int64_t first_ms = 0;
};
using gap_key = std::pair<std::string, std::string>;   // (currency, "skew: no_valid_expiry")

void note(std::map<gap_key, gap_tally>& m, const std::string& currency, const std::string& what, std::int64_t t) {
  auto& g = m[{currency, what}];
  if (g.count++ == 0)
    g.first_ms = t;
}

void print_skips(std::ostream& err, const char* label, const backfill::stream_counts& c) {
  err << "  " << label << ": " << thousands(c.rows) << " rows read, " << thousands(c.skipped_total()) << " skipped";
  const char* sep = " (";
  for (std::size_t r = 0; r < backfill::skip_reason_count; ++r)
    if (c.skipped[r].count) {
      err << sep << to_string(static_cast<backfill::skip_reason>(r)) << ": " << thousands(c.skipped[r].count)
          << ", first at " << c.skipped[r].first;
      sep = "; ";
    }
  err << (*sep == ';' ? ")" : "") << '\n';
}

std::string clock_text(double seconds) {
  const auto s = static_cast<long long>(std::max(0.0, seconds));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  return buf;
}

} // namespace

int run_backfill(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
                 const std::atomic<bool>* stop, bool terminal) {
  auto flags = parse_backfill_flags(args);
  auto& v = flags.values;
  if (v.count("help")) {
    out << backfill_help;
    return 0;
  }
  if (!flags.error.empty())
    return fail(err, flags.error + " (see --help)");
  const auto& option_files = flags.lists["options-chain"];
  const auto& future_files = flags.lists["derivative-ticker"];
  if (option_files.empty() && future_files.empty())
    return fail(err, "give --options-chain FILE..., --derivative-ticker FILE... or both");
  if (v.count("out") && v.count("store"))
    return fail(err, "give --out FILE or --store DB, not both");

  backfill::replay_settings rs;
  rs.option_files = option_files;
  rs.future_files = future_files;
  for (auto [key, into] : {std::pair{"every", &rs.every_ms}, std::pair{"max-row-age", &rs.max_row_age_ms}})
    if (v.count(key)) {
      auto d = parse_duration(v[key]);
      if (!d)
        return fail(err, std::string{"--"} + key + " '" + v[key] + "' is not a duration such as 30s, 5min or 1h");
      *into = *d;
    }
  for (auto [key, into] : {std::pair{"from", &rs.from_ms}, std::pair{"until", &rs.until_ms}})
    if (v.count(key)) {
      *into = parse_iso8601_utc(v[key]);
      if (!*into)
        return fail(err, std::string{"--"} + key + ": '" + v[key] +
                           "' is not an ISO 8601 UTC time (e.g. 2026-03-01 or 2026-03-01T12:00:00Z)");
    }
  if (rs.from_ms && rs.until_ms && *rs.until_ms <= *rs.from_ms)
    return fail(err, "--until must be after --from");
  std::string list = v.count("currencies") ? v["currencies"] : "BTC,ETH,SOL";
  std::stringstream names{list};
  for (std::string name; std::getline(names, name, ',');) {
    auto c = quant::find_currency(name);
    if (!c)
      return fail(err, "--currencies: unknown currency '" + name + "' (supported: " + quant::supported_currencies() +
                         ")");
    rs.currencies.push_back(*c);
  }
  if (rs.currencies.empty())
    return fail(err, "--currencies is empty");

  signal_inputs base;
  base.settings = {};
  if (auto e = parse_signal_options(v, base.settings); !e.empty())
    return fail(err, e);
  if (v.count("min-dte")) {
    char* end = nullptr;
    base.min_dte_days = std::strtod(v["min-dte"].c_str(), &end);
    if (v["min-dte"].empty() || *end != '\0' || !(base.min_dte_days >= 0))
      return fail(err, "--min-dte '" + v["min-dte"] + "' is not a non-negative number of days");
  }

  backfill::replay replay{rs};
  if (auto e = replay.open(); !e.empty())
    return fail(err, e);

  std::unique_ptr<record_sink> sink;
  std::ofstream file;
  try {
    if (v.count("store")) {
      sink = std::make_unique<store_sink>(v["store"]);
    } else if (v.count("out")) {
      file.open(v["out"], std::ios::binary | std::ios::trunc);
      if (!file)
        return fail(err, v["out"] + ": cannot write");
      sink = std::make_unique<jsonl_sink>(file);
    } else {
      sink = std::make_unique<jsonl_sink>(out);
    }
  } catch (const std::exception& e) {
    return fail(err, e.what());
  }

  const bool have_options = !rs.option_files.empty();
  const bool have_futures = !rs.future_files.empty();
  std::map<gap_key, gap_tally> no_data, no_value;
  std::map<std::string, std::uint64_t> per_currency;
  std::uint64_t already = 0;
  std::string sink_error;
  const auto started = std::chrono::steady_clock::now();
  auto last_progress = started - std::chrono::seconds{1};   // the first progress line comes at once
  bool progress_shown = false;

  auto on_step = [&](const backfill::step_chain& chain) {
    const auto& currency = chain.currency->name;
    try {
      if (chain.options.empty() && chain.futures.empty()) {
        note(no_data, currency, "no live rows within --max-row-age", chain.time_ms);
      } else if (sink->has(currency, chain.time_ms)) {
        ++already;
      } else {
        auto in = base;
        in.currency = chain.currency;
        in.options = have_options ? &chain.options : nullptr;
        in.futures = have_futures ? &chain.futures : nullptr;
        in.now = quant::from_unix_ms(chain.time_ms);
        signal_gaps gaps;
        sink->add(currency, chain.time_ms, signal_record(in, &gaps));
        ++per_currency[currency];
        // A section without its input (basis without futures, skew and MFIV without options) is not a gap.
        const bool basis_computed = have_futures || chain.currency->linear;
        for (auto [what, why, computed] : {std::tuple{"basis", &gaps.basis, basis_computed},
                                           std::tuple{"skew", &gaps.skew, have_options},
                                           std::tuple{"mfiv", &gaps.mfiv, have_options}})
          if (computed && !why->empty())
            note(no_value, currency, std::string{what} + ": " + *why, chain.time_ms);
      }
      if (chain.currency == &replay.settings().currencies.back())
        sink->end_step();
    } catch (const std::exception& e) {
      sink_error = e.what();
      return false;
    }
    return true;
  };
  auto on_progress = [&](const backfill::replay_progress& p) {
    if (!terminal)
      return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_progress < std::chrono::milliseconds{500})
      return;
    last_progress = now;
    const double elapsed = std::chrono::duration<double>(now - started).count();
    const double share = p.bytes_total ? static_cast<double>(p.bytes_read) / static_cast<double>(p.bytes_total) : 0;
    const double left = share > 0 ? elapsed * (1 - share) / share : 0;
    char line[160];
    std::snprintf(line, sizeof line, "\rbackfill: %s rows, %.2fM rows/s, %.0f%% read, %s left, at %s   ",
                  thousands(p.rows).c_str(), elapsed > 0 ? static_cast<double>(p.rows) / elapsed / 1e6 : 0.0,
                  share * 100, clock_text(left).c_str(), backfill::format_utc(p.step_ms).c_str());
    err << line << std::flush;
    progress_shown = true;
  };

  auto error = replay.run(on_step, on_progress, stop);
  if (error.empty())
    error = sink_error;
  std::string finish_error;
  try {
    finish_error = sink->finish();
  } catch (const std::exception& e) {
    finish_error = e.what();
  }
  if (progress_shown)
    err << '\n';

  const auto& c = replay.counts();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const auto rows = c.options.rows + c.futures.rows;
  // CPU time and the peak resident set: what `make bench` reports (the machine may be shared, so wall time alone
  // says little).
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const double cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                     static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  auto per_second = [&](double seconds) {
    return thousands(static_cast<std::uint64_t>(seconds > 0 ? static_cast<double>(rows) / seconds : 0));
  };
  err << "derivcache backfill: " << thousands(rows) << " rows in " << clock_text(elapsed) << " (" << per_second(elapsed)
      << " rows/s; CPU " << std::fixed << std::setprecision(2) << cpu << " s, " << per_second(cpu)
      << " rows per CPU second; peak RSS " << std::setprecision(1) << static_cast<double>(usage.ru_maxrss) / 1024
      << " MB)\n" << std::defaultfloat;
  if (have_options)
    print_skips(err, "options_chain", c.options);
  if (have_futures)
    print_skips(err, "derivative_ticker", c.futures);
  if (c.other_currency_rows)
    err << "  rows of currencies not followed: " << thousands(c.other_currency_rows) << '\n';
  err << "  steps: " << c.steps;
  if (c.steps)
    err << " from " << backfill::format_utc(c.first_step_ms) << " to " << backfill::format_utc(c.last_step_ms);
  err << "; records written: " << sink->written;
  for (const auto& [cur, n] : per_currency)
    err << (cur == per_currency.begin()->first ? " (" : ", ") << cur << ' ' << n;
  err << (per_currency.empty() ? "" : ")");
  if (already)
    err << "; already in the store: " << already;
  err << '\n';
  for (const auto& [key, g] : no_data)
    err << "  without enough data: " << key.first << ' ' << g.count << (g.count == 1 ? " step (" : " steps (") << key.second << "; first at "
        << backfill::format_utc(g.first_ms) << ")\n";
  for (const auto& [key, g] : no_value)
    err << "  without a value: " << key.first << ' ' << key.second << ": " << g.count
        << (g.count == 1 ? " step (first at " : " steps (first at ")
        << backfill::format_utc(g.first_ms) << ")\n";
  if (!error.empty())
    return fail(err, error);
  if (!finish_error.empty())
    return fail(err, finish_error);
  if (replay.interrupted()) {
    err << "derivcache backfill: interrupted after the step at " << backfill::format_utc(c.last_step_ms)
        << (v.count("store") ? "; run the same command again to resume (steps already stored are skipped)"
                             : "; the output holds every step up to it, whole")
        << '\n';
    return 130;
  }
  return 0;
}

} // namespace derivcache::apps
