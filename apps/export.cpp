// `derivcache export`: read the store (read-only) and print one JSON object per recorded snapshot.
#include "apps/export.hpp"

#include "configuration/keys.hpp"
#include "apps/cli.hpp"
#include "store/store.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/settings.hpp>

#include <cctype>
#include <ostream>

namespace derivcache::apps {

const char* const export_help = R"(Usage: derivcache export --since TIME --until TIME (--store PATH | --config-file FILE) [--backfill]

Prints every snapshot recorded in the store with since <= time < until as one JSON object per line:
the event (kind, event_id, attributes), the snapshot, and its outcomes at each horizon
(status pending, labelled or incomplete). Fields: docs/outcomes.md.
With --backfill, prints instead the signal records `derivcache backfill` stored with since <= step < until,
by step and currency, each as `derivcache analyze` prints it (docs/backfill.md).

Options (--key value or --key=value):
  --since TIME        ISO 8601 UTC, e.g. 2026-11-24 or 2026-11-24T13:00:00Z
  --until TIME        ISO 8601 UTC (exclusive)
  --store PATH        the SQLite store (opened read-only)
  --config-file FILE  read store.path from this config file instead
  --backfill          the backfilled signal records instead of the recorded snapshots
  --help              this text

Exit 0 on success; 2 with one line on stderr on bad options or a store that cannot be read.
)";

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// One JSON object per snapshot, built by SQLite (json1): attributes and snapshot are stored as JSON.
constexpr const char* export_sql = R"sql(
SELECT json_object(
  'id', s.id, 'kind', s.kind, 'event_id', s.event_id,
  'time', strftime('%Y-%m-%dT%H:%M:%fZ', s.time_ms / 1000.0, 'unixepoch'), 'time_ms', s.time_ms,
  'symbol', s.symbol, 'last_price', s.last_price,
  'side', CASE s.side WHEN 1 THEN 'long' WHEN -1 THEN 'short' END,
  'attributes', json(s.attributes), 'snapshot', json(s.snapshot), 'recorded_ms', s.recorded_ms,
  'outcomes', (SELECT json_group_array(json_object(
      'horizon_s', o.horizon_s, 'status', o.status, 'price', o.price, 'return_pct', o.return_pct,
      'max_up_pct', o.max_up_pct, 'max_down_pct', o.max_down_pct, 'favourable_pct', o.favourable_pct,
      'adverse_pct', o.adverse_pct, 'realized_vol_pct', o.realized_vol_pct, 'trades', o.trades,
      'gap_s', o.gap_s, 'gap_start_ms', o.gap_start_ms, 'reason', o.reason, 'labelled_ms', o.labelled_ms))
    FROM (SELECT * FROM outcomes WHERE snapshot = s.id ORDER BY horizon_s) o))
FROM snapshots s WHERE s.time_ms >= ?1 AND s.time_ms < ?2 ORDER BY s.time_ms, s.id)sql";

// The backfilled records, as they were written.
constexpr const char* backfill_sql =
  "SELECT record FROM backfill WHERE step_ms >= ?1 AND step_ms < ?2 ORDER BY step_ms, currency";

} // namespace

std::optional<int64_t> parse_iso8601_utc(const std::string& text) {
  std::size_t pos = 0;
  auto digits = [&](std::size_t n, int64_t& out) {
    if (pos + n > text.size())
      return false;
    out = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const char c = text[pos + i];
      if (!std::isdigit(static_cast<unsigned char>(c)))
        return false;
      out = out * 10 + (c - '0');
    }
    pos += n;
    return true;
  };
  auto literal = [&](char c) {
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  };
  int64_t year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millis = 0;
  if (!digits(4, year) || !literal('-') || !digits(2, month) || !literal('-') || !digits(2, day))
    return std::nullopt;
  if (literal('T')) {
    if (!digits(2, hour) || !literal(':') || !digits(2, minute))
      return std::nullopt;
    if (literal(':')) {
      if (!digits(2, second))
        return std::nullopt;
      if (literal('.')) {
        int64_t fraction = 0;
        const std::size_t start = pos;
        while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])) && pos - start < 3)
          fraction = fraction * 10 + (text[pos++] - '0');
        if (pos == start)
          return std::nullopt;
        for (std::size_t n = pos - start; n < 3; ++n)
          fraction *= 10;
        millis = fraction;
      }
    }
  }
  literal('Z');
  if (pos != text.size() || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59)
    return std::nullopt;
  const int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return ((days * 24 + hour) * 60 + minute) * 60000 + second * 1000 + millis;
}

int run_export(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto fail = [&](const std::string& message) {
    err << "derivcache export: " << message << '\n';
    return 2;
  };
  auto flags = parse_flags(args, {"since", "until", "store", "config-file"}, {"help", "backfill"});
  if (flags.values.count("help")) {
    out << export_help;
    return 0;
  }
  if (!flags.error.empty())
    return fail(flags.error + " (see --help)");
  std::optional<int64_t> range[2];
  const char* names[2] = {"since", "until"};
  for (int i = 0; i < 2; ++i) {
    auto v = flags.values.find(names[i]);
    if (v == flags.values.end())
      return fail(std::string{"--"} + names[i] + " is required (ISO 8601 UTC, e.g. 2026-11-24T13:00:00Z)");
    range[i] = parse_iso8601_utc(v->second);
    if (!range[i])
      return fail(std::string{"--"} + names[i] + ": '" + v->second +
                  "' is not an ISO 8601 UTC time (e.g. 2026-11-24 or 2026-11-24T13:00:00Z)");
  }
  std::string path;
  if (auto s = flags.values.find("store"); s != flags.values.end()) {
    path = s->second;
  } else if (auto f = flags.values.find("config-file"); f != flags.values.end()) {
    if (auto problems = configuration::check_config_file(f->second); !problems.empty())
      return fail(problems.front());
    auto parsed = caf::actor_system_config::parse_config_file(f->second.c_str());
    if (parsed)
      if (auto p = caf::get_if<std::string>(&*parsed, "store.path"))
        path = *p;
    if (path.empty())
      return fail(f->second + ": store.path is not set (the store is off)");
  } else {
    return fail("--store PATH or --config-file FILE is required");
  }
  try {
    store::store_options options;
    options.path = path;
    options.read_only = true;
    store::feature_store fs{options};
    const bool backfill = flags.values.count("backfill") > 0;
    if (backfill && fs.version() < 4)
      return fail(path + ": no backfilled records (schema version " + std::to_string(fs.version()) +
                  ", written before derivcache backfill)");
    auto st = fs.db().prepare(backfill ? backfill_sql : export_sql);
    st.bind(1, *range[0]).bind(2, *range[1]);
    while (st.step())
      out << st.text(0) << '\n';
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  return out.good() ? 0 : 2;
}

} // namespace derivcache::apps
