// Constant-maturity implied-volatility surface: per-expiry wings and ATM IV, then each tenor from its pair of expiries.
#include "quant/surface.hpp"

#include "quant/black76.hpp"
#include "quant/median.hpp"
#include "quant/option_rows.hpp"
#include "quant/tenor.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

namespace derivcache::quant {

const wing_point* expiry_smile::wing(double delta) const {
  for (const auto& w : wings)
    if (w.delta == delta)
      return &w;
  return nullptr;
}

const skew_record* surface_result::find(double tenor_days, double delta) const {
  for (const auto& r : skews)
    if (r.tenor_days == tenor_days && r.delta == delta)
      return &r;
  return nullptr;
}

const atm_record* surface_result::find_atm(double tenor_days) const {
  for (const auto& r : atm)
    if (r.tenor_days == tenor_days)
      return &r;
  return nullptr;
}

namespace {

struct leg_point {
  double strike;
  double abs_delta;
  double iv;
};

struct strike_iv {
  double strike;
  bool put;
  double iv;
};

struct expiry_rows {
  std::string label;
  std::vector<leg_point> calls, puts;
  std::vector<double> forwards;
  std::vector<strike_iv> ivs;   // every row, for the ATM IV
};

// Legs are ordered from the in-the-money side outward, so |delta| falls; the wing IV is linear in
// delta inside the first pair that brackets the target.
std::optional<double> wing_iv(const std::vector<leg_point>& leg, double target) {
  for (std::size_t i = 0; i + 1 < leg.size(); ++i) {
    const auto& a = leg[i];
    const auto& b = leg[i + 1];
    if (a.abs_delta >= target && target >= b.abs_delta) {
      if (a.abs_delta == b.abs_delta)
        return a.iv;
      return a.iv + (target - a.abs_delta) * (b.iv - a.iv) / (b.abs_delta - a.abs_delta);
    }
  }
  return std::nullopt;
}

// IV at K = F: a strike's IV is the mean of its call and put mark_iv (one side if only one exists),
// linear in ln(K/F) between the strikes that bracket F.
std::optional<double> atm_iv(std::vector<strike_iv>& ivs, double forward) {
  // By strike, calls before puts, each in row order: the sums add up as they always have.
  std::stable_sort(ivs.begin(), ivs.end(), [](const strike_iv& a, const strike_iv& b) {
    return a.strike != b.strike ? a.strike < b.strike : !a.put && b.put;
  });
  std::optional<std::pair<double, double>> previous;   // strike, iv
  std::size_t strikes = 0;
  for (auto first = ivs.begin(); first != ivs.end(); ++strikes) {
    double sum = 0;
    auto last = first;
    for (; last != ivs.end() && last->strike == first->strike; ++last)
      sum += last->iv;
    const double k2 = first->strike;
    const double iv2 = sum / static_cast<double>(last - first);
    if (previous) {
      const auto [k1, iv1] = *previous;
      if (k1 <= forward && forward <= k2) {
        const double w = std::log(forward / k1) / std::log(k2 / k1);
        return iv1 + w * (iv2 - iv1);
      }
    }
    previous = {k2, iv2};
    first = last;
  }
  if (strikes == 1 && previous->first == forward)
    return previous->second;
  return std::nullopt;
}

// The usable rows of one expiry.
using expiry_groups = std::map<timestamp, expiry_rows>;

// Adds a usable row to its expiry's group (`as_of`: for the row's delta).
void add_row(expiry_groups& expiries, const option_summary& row, const option_key& x, timestamp as_of) {
  const double iv = *row.mark_iv;
  auto delta = forward_delta(x.type, row.underlying_price, x.strike, iv / 100.0, years_between(as_of, x.expiry));
  auto& e = expiries[x.expiry];
  if (e.label.empty())
    e.label = std::string{x.label(row.instrument_name)};
  e.forwards.push_back(row.underlying_price);
  e.ivs.push_back({x.strike, x.type == option_type::put, iv});
  if (delta)
    (x.type == option_type::call ? e.calls : e.puts).push_back({x.strike, std::abs(*delta), iv});
}

// One smile point per expiry: forward, ATM IV, and the put and call IV at every delta.
std::vector<expiry_smile> smile_of(expiry_groups& expiries, timestamp as_of,
                                   const std::vector<double>& deltas) {
  std::vector<expiry_smile> smile;
  smile.reserve(expiries.size());
  for (auto& [expiry, e] : expiries) {
    std::sort(e.calls.begin(), e.calls.end(), [](auto& a, auto& b) { return a.strike < b.strike; });
    std::sort(e.puts.begin(), e.puts.end(), [](auto& a, auto& b) { return a.strike > b.strike; });
    expiry_smile p;
    p.expiry = e.label;
    p.expiry_time = expiry;
    p.dte_days = days_between(as_of, expiry);
    p.forward = *median(e.forwards);
    p.atm_iv = atm_iv(e.ivs, p.forward);
    p.wings.reserve(deltas.size());
    for (double delta : deltas)
      p.wings.push_back({delta, wing_iv(e.puts, delta), wing_iv(e.calls, delta)});
    p.rows = e.forwards.size();
    smile.push_back(std::move(p));
  }
  return smile;
}

double dte_of(const expiry_smile& e) { return e.dte_days; }
const std::string& label_of(const expiry_smile& e) { return e.expiry; }

atm_record atm_at(const std::vector<expiry_smile>& smile, double tenor_days) {
  atm_record out{tenor_days, std::nullopt, skew_reason::no_atm_expiry};
  auto pair = pick_tenor_pair(smile, tenor_days, dte_of, [](const expiry_smile& e) { return e.atm_iv.has_value(); });
  if (!pair)
    return out;
  auto atm = iv_at_tenor(*pair, smile, tenor_days, dte_of, [](const expiry_smile& e) { return *e.atm_iv; });
  out.value = atm_value{{tenor_days, pair->bracketed, tenor_pair_names(*pair, smile, label_of)}, atm};
  out.reason = skew_reason::none;
  return out;
}

// Put, call and ATM are all read from the pair of expiries that have all three at wing `w`.
skew_record skew_at(const std::vector<expiry_smile>& smile, std::size_t w, double delta, double tenor_days) {
  skew_record out{tenor_days, delta, std::nullopt, skew_reason::no_valid_expiry};
  auto complete = [w](const expiry_smile& e) { return e.atm_iv && e.wings[w].put_iv && e.wings[w].call_iv; };
  auto pair = pick_tenor_pair(smile, tenor_days, dte_of, complete);
  if (!pair)
    return out;
  auto at_tenor = [&](auto iv) { return iv_at_tenor(*pair, smile, tenor_days, dte_of, iv); };
  skew_value v;
  v.put_iv = at_tenor([w](const expiry_smile& e) { return *e.wings[w].put_iv; });
  v.call_iv = at_tenor([w](const expiry_smile& e) { return *e.wings[w].call_iv; });
  v.atm_iv = at_tenor([](const expiry_smile& e) { return *e.atm_iv; });
  v.skew_pct = v.put_iv - v.call_iv;
  v.skew_normalized = v.skew_pct / v.atm_iv;
  v.butterfly = (v.put_iv + v.call_iv) / 2 - v.atm_iv;
  v.tenor_days = tenor_days;
  v.delta = delta;
  v.bracketed = pair->bracketed;
  v.expiries = tenor_pair_names(*pair, smile, label_of);
  out.value = std::move(v);
  out.reason = skew_reason::none;
  return out;
}

} // namespace

surface_result compute_surface(const std::vector<option_summary>& options, const option_chain& names,
                               const surface_params& params) {
  surface_result out;
  expiry_groups expiries;
  auto usable = [](const option_summary& row) { return row.mark_iv && *row.mark_iv > 0 && row.underlying_price > 0; };
  auto add = [&](const option_summary& row, const option_key& x) { add_row(expiries, row, x, out.as_of); };
  if (!read_options(options, names, params, out, usable, add))
    return out;
  out.reason = skew_reason::none;
  out.smile = smile_of(expiries, out.as_of, params.deltas);
  out.atm.reserve(params.tenors_days.size());
  out.skews.reserve(params.tenors_days.size() * params.deltas.size());
  for (double tenor : params.tenors_days) {
    out.atm.push_back(atm_at(out.smile, tenor));
    for (std::size_t w = 0; w < params.deltas.size(); ++w)
      out.skews.push_back(skew_at(out.smile, w, params.deltas[w], tenor));
  }
  return out;
}

surface_result compute_surface(const std::vector<option_summary>& options, const surface_params& params) {
  return compute_surface(options, index_options(options, params.expiries), params);
}

} // namespace derivcache::quant
