// Annualized futures basis.
#include "quant/basis.hpp"

#include "quant/enum_names.hpp"
#include "quant/median.hpp"
#include "quant/option_rows.hpp"
#include "quant/tenor.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

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

std::string to_string(cm_basis_reason x) {
  static constexpr name_table<cm_basis_reason, 3> names{{{cm_basis_reason::none, "none"},
    {cm_basis_reason::no_points, "no dated future or synthetic forward"},
    {cm_basis_reason::all_below_min_dte, "every dated point is closer than min_dte"}}};
  return name_of(names, x);
}

double annualized_basis_pct(double future_price, double index_price, double dte_days) {
  return (future_price - index_price) / index_price * (365.0 / dte_days) * 100.0;
}

namespace {

timestamp newest_creation(const std::vector<future_summary>& futures, const std::vector<option_summary>& options) {
  return futures.empty() ? newest_creation_time(options) : newest_creation_time(futures);
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

std::vector<cm_basis_record> constant_maturity_basis(const basis_result& basis, const cm_basis_params& params) {
  auto dte_of = [](const basis_point& p) { return p.dte_days; };
  auto in_range = [](const basis_point& p) { return !p.below_min_dte; };
  auto premium_of = [](const basis_point& p) { return (p.future_price - p.index_price) / p.index_price; };
  std::vector<cm_basis_record> out;
  out.reserve(params.tenors_days.size());
  for (double tenor : params.tenors_days) {
    cm_basis_record record{tenor, std::nullopt, cm_basis_reason::no_points};
    if (!basis.term_structure.empty())
      record.reason = cm_basis_reason::all_below_min_dte;
    if (auto pair = pick_tenor_pair(basis.term_structure, tenor, dte_of, in_range)) {
      const auto& a = basis.term_structure[pair->near];
      const auto& b = basis.term_structure[pair->far];
      cm_basis_value v;
      v.tenor_days = tenor;
      v.bracketed = pair->bracketed;
      if (pair->bracketed) {
        v.premium = interpolate_linear(a.dte_days, premium_of(a), b.dte_days, premium_of(b), tenor);
        v.apr_pct = v.premium * (365.0 / tenor) * 100.0;
      } else {
        v.premium = premium_of(a);
        v.apr_pct = a.apr_pct;
      }
      v.instruments = tenor_pair_names(*pair, basis.term_structure, [](const basis_point& p) { return p.instrument; });
      record.value = std::move(v);
      record.reason = cm_basis_reason::none;
    }
    out.push_back(std::move(record));
  }
  return out;
}

} // namespace derivcache::quant
