// Annualized futures basis.
#include "quant/basis.hpp"

#include "quant/enum_names.hpp"
#include "quant/median.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace derivcache::quant {

std::string to_string(basis_source x) {
  return x == basis_source::future ? "future" : "synthetic_forward";
}

std::string to_string(basis_reason x) {
  static constexpr name_table<basis_reason, 4> names{{{basis_reason::none, "none"},
    {basis_reason::no_rows, "no usable futures rows"}, {basis_reason::no_quarterly, "no quarterly expiry in the data"},
    {basis_reason::all_below_min_dte, "every quarterly expiry is closer than min_dte"}}};
  return name_of(names, x);
}

double annualized_basis_pct(double future_price, double index_price, double dte_days) {
  return (future_price - index_price) / index_price * (365.0 / dte_days) * 100.0;
}

namespace {

timestamp newest_creation(const std::vector<future_summary>& futures, const std::vector<option_summary>& options) {
  timestamp newest{};
  for (const auto& row : futures)
    newest = std::max(newest, row.creation_time);
  if (futures.empty())
    for (const auto& row : options)
      newest = std::max(newest, row.creation_time);
  return newest;
}

// Quarterly expiries without a listed future: F = median underlying_price of the expiry's options,
// S = median of their estimated_delivery_price.
void add_synthetic_points(const std::vector<option_summary>& options, const basis_params& params,
                          basis_result& out) {
  std::set<timestamp> listed;
  for (const auto& p : out.term_structure)
    listed.insert(p.expiry);
  struct samples {
    std::string label;
    std::vector<double> forwards, indices;
  };
  std::map<timestamp, samples> by_expiry;
  for (const auto& row : options) {
    auto parsed = parse_instrument(row.instrument_name);
    if (!parsed.value || parsed.value->kind != instrument_kind::option)
      continue;
    auto& x = *parsed.value;
    if (params.expiries)
      params.expiries->apply(x);
    if (!is_quarterly(x.expiry) || listed.count(x.expiry) || row.underlying_price <= 0)
      continue;
    auto& s = by_expiry[x.expiry];
    s.label = x.expiry_label();
    s.forwards.push_back(row.underlying_price);
    if (row.estimated_delivery_price && *row.estimated_delivery_price > 0)
      s.indices.push_back(*row.estimated_delivery_price);
  }
  for (auto& [expiry, s] : by_expiry) {
    auto f = median(s.forwards);
    auto idx = median(s.indices);
    const double dte = days_between(out.as_of, expiry);
    if (!f || !idx || dte <= 0)
      continue;
    out.term_structure.push_back({s.label, expiry, dte, annualized_basis_pct(*f, *idx, dte), *f, *idx, true,
                                  dte < params.min_dte_days, basis_source::synthetic_forward});
  }
}

} // namespace

basis_result compute_basis(const std::vector<future_summary>& futures,
                           const std::vector<option_summary>& options, const basis_params& params) {
  basis_result out;
  out.as_of = params.as_of.value_or(newest_creation(futures, options));
  for (const auto& row : futures) {
    auto parsed = parse_instrument(row.instrument_name);
    if (!parsed.value || parsed.value->kind == instrument_kind::option || !(row.mark_price > 0) ||
        !(row.estimated_delivery_price > 0)) {
      ++out.skipped_rows;
      continue;
    }
    auto& x = *parsed.value;
    const double f = row.mark_price;
    const double s = row.estimated_delivery_price;
    if (x.kind == instrument_kind::perpetual) {
      if (!out.perpetual)
        out.perpetual = perpetual_premium{x.name, (f - s) / s * 100.0, f, s, row.funding_8h};
      continue;
    }
    if (params.expiries && params.expiries->apply(x))
      ++out.expiry_disagreements;
    const double dte = days_between(out.as_of, x.expiry);
    if (dte <= 0)
      continue;
    out.term_structure.push_back({x.name, x.expiry, dte, annualized_basis_pct(f, s, dte), f, s,
                                  is_quarterly(x.expiry), dte < params.min_dte_days, basis_source::future});
  }
  if (params.synthetic_forward)
    add_synthetic_points(options, params, out);
  std::sort(out.term_structure.begin(), out.term_structure.end(),
            [](const basis_point& a, const basis_point& b) { return a.expiry < b.expiry; });

  bool any_quarterly = false;
  for (const auto& p : out.term_structure) {
    if (!p.quarterly)
      continue;
    any_quarterly = true;
    if (p.below_min_dte)
      continue;
    out.nearest = basis_value{p.apr_pct, p.instrument, p.dte_days, p.future_price, p.index_price, p.source};
    break;
  }
  if (out.nearest)
    out.reason = basis_reason::none;
  else if (any_quarterly)
    out.reason = basis_reason::all_below_min_dte;
  else if (!out.term_structure.empty() || out.perpetual)
    out.reason = basis_reason::no_quarterly;
  else
    out.reason = basis_reason::no_rows;
  return out;
}

} // namespace derivcache::quant
