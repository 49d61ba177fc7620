// Outcome labels from 1-second bars.
#include "quant/outcomes.hpp"

#include "quant/enum_names.hpp"

#include <algorithm>
#include <cmath>

namespace derivcache::quant {

namespace {

constexpr name_table<trade_side, 3> side_names{
  {{trade_side::none, "none"}, {trade_side::long_side, "long"}, {trade_side::short_side, "short"}}};
constexpr name_table<outcome_issue, 3> issue_names{
  {{outcome_issue::none, "none"}, {outcome_issue::gap, "gap"}, {outcome_issue::no_entry_price, "no_entry_price"}}};

} // namespace

std::string to_string(trade_side x) { return name_of(side_names, x); }
std::string to_string(outcome_issue x) { return name_of(issue_names, x); }

outcome compute_outcome(const outcome_window& w, const std::vector<second_bar>& bars) {
  constexpr double seconds_per_year = 31536000.0;
  outcome out;
  const int64_t first = floor_second(w.snapshot_ms) + 1;
  const int64_t last = first + w.horizon_s - 1;

  // Coverage first: a gap is reported whether or not a price exists.
  int64_t expected = first;
  auto note_gap = [&](int64_t from, int64_t to) {   // uncovered seconds from .. to
    if (to >= from && to - from + 1 > out.gap_s) {
      out.gap_s = to - from + 1;
      out.gap_start = from;
    }
  };
  for (const auto& b : bars) {
    if (b.second < first || b.second > last)
      continue;
    note_gap(expected, b.second - 1);
    expected = std::max(expected, b.second + 1);
  }
  note_gap(expected, last);

  if (!w.entry_price || !(*w.entry_price > 0)) {
    out.issue = outcome_issue::no_entry_price;
    return out;
  }
  if (out.gap_s > w.max_gap_s) {
    out.issue = outcome_issue::gap;
    return out;
  }
  const double entry = *w.entry_price;
  double price = entry;
  double high = entry;
  double low = entry;
  double sum_sq = 0;
  for (const auto& b : bars) {
    if (b.second < first || b.second > last || b.trades <= 0)
      continue;
    // Seconds without trades carry the previous close: their returns are zero, so only traded seconds add.
    const double r = std::log(b.close / price);
    sum_sq += r * r;
    price = b.close;
    high = std::max(high, b.high);
    low = std::min(low, b.low);
    out.trades += b.trades;
  }
  out.price = price;
  out.return_pct = (price / entry - 1) * 100;
  out.max_up_pct = (high / entry - 1) * 100;
  out.max_down_pct = (1 - low / entry) * 100;
  out.realized_vol_pct = w.horizon_s > 0 ? std::sqrt(sum_sq * seconds_per_year / static_cast<double>(w.horizon_s)) * 100 : 0;
  if (w.side == trade_side::long_side) {
    out.favourable_pct = out.max_up_pct;
    out.adverse_pct = out.max_down_pct;
  } else if (w.side == trade_side::short_side) {
    out.favourable_pct = out.max_down_pct;
    out.adverse_pct = out.max_up_pct;
  }
  return out;
}

} // namespace derivcache::quant
