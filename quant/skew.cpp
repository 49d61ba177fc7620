// 30-day constant-maturity 25-delta skew, ATM IV, butterfly and the smile term structure.
#include "quant/skew.hpp"

#include "quant/black76.hpp"
#include "quant/enum_names.hpp"
#include "quant/median.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace derivcache::quant {

std::string to_string(skew_reason x) {
  static constexpr name_table<skew_reason, 4> names{{{skew_reason::none, "none"},
    {skew_reason::no_rows, "no option rows"},
    {skew_reason::no_usable_rows, "no option row has a positive mark_iv and underlying_price"},
    {skew_reason::no_valid_expiry, "no expiry has both 25-delta wings and an ATM IV"}}};
  return name_of(names, x);
}

double interpolate_total_variance(double t1, double iv1, double t2, double iv2, double t) {
  const double w2 = (t - t1) / (t2 - t1);
  const double total_variance = iv1 * iv1 * t1 * (1 - w2) + iv2 * iv2 * t2 * w2;
  return std::sqrt(total_variance / t);
}

namespace {

struct leg_point {
  double strike;
  double abs_delta;
  double iv;
};

struct expiry_rows {
  std::string label;
  std::vector<leg_point> calls, puts;
  std::vector<double> forwards;
  std::map<double, std::pair<std::vector<double>, std::vector<double>>> iv_by_strike;   // calls, puts
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

double mean(const std::vector<double>& xs) {
  double sum = 0;
  for (double x : xs)
    sum += x;
  return sum / static_cast<double>(xs.size());
}

// IV at K = F: a strike's IV is the mean of its call and put mark_iv (one side if only one exists),
// linear in ln(K/F) between the strikes that bracket F.
std::optional<double> atm_iv(const expiry_rows& rows, double forward) {
  std::vector<std::pair<double, double>> smile;   // strike, iv (ascending strike)
  for (const auto& [strike, ivs] : rows.iv_by_strike) {
    std::vector<double> all = ivs.first;
    all.insert(all.end(), ivs.second.begin(), ivs.second.end());
    smile.emplace_back(strike, mean(all));
  }
  for (std::size_t i = 0; i + 1 < smile.size(); ++i) {
    const auto [k1, iv1] = smile[i];
    const auto [k2, iv2] = smile[i + 1];
    if (k1 <= forward && forward <= k2) {
      const double w = std::log(forward / k1) / std::log(k2 / k1);
      return iv1 + w * (iv2 - iv1);
    }
  }
  if (smile.size() == 1 && smile.front().first == forward)
    return smile.front().second;
  return std::nullopt;
}

// The usable rows of each expiry with DTE >= the minimum; counts skipped rows and expiry disagreements in `out`.
std::map<timestamp, expiry_rows> group_by_expiry(const std::vector<option_summary>& options, const skew_params& params,
                                                 skew_result& out) {
  std::map<timestamp, expiry_rows> expiries;
  for (const auto& row : options) {
    auto parsed = parse_instrument(row.instrument_name);
    const bool usable = parsed.value && parsed.value->kind == instrument_kind::option && row.mark_iv &&
                        *row.mark_iv > 0 && row.underlying_price > 0;
    if (!usable) {
      ++out.skipped_rows;
      continue;
    }
    auto& x = *parsed.value;
    if (params.expiries && params.expiries->apply(x))
      ++out.expiry_disagreements;
    const double dte = days_between(out.as_of, x.expiry);
    if (dte < params.min_expiry_dte_days)
      continue;
    const double iv = *row.mark_iv;
    auto delta = forward_delta(x.type, row.underlying_price, x.strike, iv / 100.0, years_between(out.as_of, x.expiry));
    auto& e = expiries[x.expiry];
    e.label = x.expiry_label();
    e.forwards.push_back(row.underlying_price);
    auto& side = x.type == option_type::call ? e.iv_by_strike[x.strike].first : e.iv_by_strike[x.strike].second;
    side.push_back(iv);
    if (delta)
      (x.type == option_type::call ? e.calls : e.puts).push_back({x.strike, std::abs(*delta), iv});
  }
  return expiries;
}

// One smile point per expiry: forward, put and call IV at the delta, ATM IV.
std::vector<smile_point> smile_of(std::map<timestamp, expiry_rows>& expiries, timestamp as_of, double delta) {
  std::vector<smile_point> smile;
  for (auto& [expiry, e] : expiries) {
    std::sort(e.calls.begin(), e.calls.end(), [](auto& a, auto& b) { return a.strike < b.strike; });
    std::sort(e.puts.begin(), e.puts.end(), [](auto& a, auto& b) { return a.strike > b.strike; });
    smile_point p;
    p.expiry = e.label;
    p.expiry_time = expiry;
    p.dte_days = days_between(as_of, expiry);
    p.forward = *median(e.forwards);
    p.put_iv = wing_iv(e.puts, delta);
    p.call_iv = wing_iv(e.calls, delta);
    p.atm_iv = atm_iv(e, p.forward);
    p.rows = e.forwards.size();
    smile.push_back(std::move(p));
  }
  return smile;
}

// The skew at `tenor_days`: the expiries that bracket it, in total variance, or else the closest one.
std::optional<skew_value> at_tenor(const std::vector<smile_point>& smile, double tenor_days) {
  const smile_point* near = nullptr;   // latest valid expiry with DTE <= tenor
  const smile_point* far = nullptr;    // earliest valid expiry with DTE > tenor
  const smile_point* closest = nullptr;
  for (const auto& p : smile) {
    if (!p.put_iv || !p.call_iv || !p.atm_iv)
      continue;
    if (p.dte_days <= tenor_days)
      near = &p;
    else if (!far)
      far = &p;
    if (!closest || std::abs(p.dte_days - tenor_days) < std::abs(closest->dte_days - tenor_days))
      closest = &p;
  }
  if (!closest)
    return std::nullopt;
  skew_value v;
  v.tenor_days = tenor_days;
  if (near && far) {
    auto interpolate = [&](double iv1, double iv2) {
      return interpolate_total_variance(near->dte_days, iv1, far->dte_days, iv2, tenor_days);
    };
    v.put_iv = interpolate(*near->put_iv, *far->put_iv);
    v.call_iv = interpolate(*near->call_iv, *far->call_iv);
    v.atm_iv = interpolate(*near->atm_iv, *far->atm_iv);
    v.bracketed = true;
    v.expiries = {near->expiry, far->expiry};
  } else {
    v.put_iv = *closest->put_iv;
    v.call_iv = *closest->call_iv;
    v.atm_iv = *closest->atm_iv;
    v.expiries = {closest->expiry};
  }
  v.skew_pct = v.put_iv - v.call_iv;
  v.butterfly = (v.put_iv + v.call_iv) / 2 - v.atm_iv;
  return v;
}

} // namespace

skew_result compute_skew(const std::vector<option_summary>& options, const skew_params& params) {
  skew_result out;
  if (options.empty())
    return out;
  timestamp newest{};
  for (const auto& row : options)
    newest = std::max(newest, row.creation_time);
  out.as_of = params.as_of.value_or(newest);
  auto expiries = group_by_expiry(options, params, out);
  if (out.skipped_rows == options.size()) {
    out.reason = skew_reason::no_usable_rows;
    return out;
  }
  out.smile = smile_of(expiries, out.as_of, params.delta);
  out.value = at_tenor(out.smile, params.tenor_days);
  out.reason = out.value ? skew_reason::none : skew_reason::no_valid_expiry;
  return out;
}

} // namespace derivcache::quant
