// Model-free implied volatility: per expiry the VIX sum over out-of-the-money mark prices, then the tenor in total
// variance from its pair of expiries.
#include "quant/mfiv.hpp"

#include "quant/enum_names.hpp"
#include "quant/median.hpp"
#include "quant/option_rows.hpp"
#include "quant/tenor.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

namespace derivcache::quant {

namespace {

constexpr name_table<mfiv_reason, 4> reason_names{{{mfiv_reason::none, "none"},
  {mfiv_reason::no_rows, "no option rows"},
  {mfiv_reason::no_usable_rows, "no option row has a positive mark_price and underlying_price"},
  {mfiv_reason::no_valid_expiry, "no expiry has strikes on both sides of K0 and a positive variance"}}};

constexpr name_table<mfiv_gap, 4> gap_names{{{mfiv_gap::none, "none"},
  {mfiv_gap::no_k0, "no strike at or below the forward"}, {mfiv_gap::one_sided, "no strike on one side of K0"},
  {mfiv_gap::non_positive_variance, "variance is not positive"}}};

} // namespace

std::string to_string(mfiv_reason x) { return name_of(reason_names, x); }
std::string to_string(mfiv_gap x) { return name_of(gap_names, x); }

namespace {

struct quote {
  timestamp expiry;
  double strike;
  option_type type;
  double price;     // quote currency
  double forward;   // the row's underlying_price
};

struct strike_price {
  double strike;
  double price;     // Q(K)
};

// Mean price of the quotes [first, last) (one strike) of `type`; 0 when there are none.
double mean_price(const quote* first, const quote* last, option_type type) {
  double sum = 0;
  double n = 0;
  for (auto q = first; q != last; ++q)
    if (q->type == type) {
      sum += q->price;
      ++n;
    }
  return n > 0 ? sum / n : 0;
}

// Q(K) for each strike of one expiry (quotes sorted by strike): puts below K0, calls above, the mean of the two at K0.
void out_of_the_money(const quote* first, const quote* last, double k0, std::vector<strike_price>& q) {
  q.clear();
  while (first != last) {
    auto end = first;
    while (end != last && end->strike == first->strike)
      ++end;
    const double k = first->strike;
    const double put = mean_price(first, end, option_type::put);
    const double call = mean_price(first, end, option_type::call);
    double price = k < k0 ? put : call;
    if (k == k0)
      price = put > 0 && call > 0 ? (put + call) / 2 : put + call;
    if (price > 0)
      q.push_back({k, price});
    first = end;
  }
}

// sigma^2 = (2/T) sum dK/K^2 Q(K) - (1/T) (F/K0 - 1)^2, dK one-sided at the ends.
double variance(const std::vector<strike_price>& q, double forward, double k0, double years) {
  double sum = 0;
  for (std::size_t i = 0; i < q.size(); ++i) {
    const double lower = q[i == 0 ? 0 : i - 1].strike;
    const double upper = q[i + 1 == q.size() ? i : i + 1].strike;
    const double dk = (i == 0 || i + 1 == q.size()) ? upper - lower : (upper - lower) / 2;
    sum += dk / (q[i].strike * q[i].strike) * q[i].price;
  }
  const double gap = forward / k0 - 1;
  return 2 / years * sum - gap * gap / years;
}

// One expiry's variance from its quotes [first, last), sorted by strike.
void fill_expiry(const quote* first, const quote* last, timestamp as_of, mfiv_expiry& e,
                 std::vector<double>& forwards, std::vector<strike_price>& q) {
  forwards.clear();
  for (auto x = first; x != last; ++x)
    forwards.push_back(x->forward);
  e.forward = *median(forwards);
  e.rows = static_cast<std::size_t>(last - first);
  for (auto x = first; x != last && x->strike <= e.forward; ++x)
    e.k0 = x->strike;
  if (!e.k0) {
    e.gap = mfiv_gap::no_k0;
    return;
  }
  out_of_the_money(first, last, *e.k0, q);
  e.strikes = q.size();
  const bool below = !q.empty() && q.front().strike < *e.k0;
  const bool above = !q.empty() && q.back().strike > *e.k0;
  if (!below || !above) {
    e.gap = mfiv_gap::one_sided;
    return;
  }
  const double v = variance(q, e.forward, *e.k0, years_between(as_of, e.expiry_time));
  if (!(v > 0)) {
    e.gap = mfiv_gap::non_positive_variance;
    return;
  }
  e.variance = v;
  e.iv_pct = 100 * std::sqrt(v);
}

double dte_of(const mfiv_expiry& e) { return e.dte_days; }

} // namespace

mfiv_result compute_mfiv(const std::vector<option_summary>& options, const option_chain& names,
                         const mfiv_params& params) {
  mfiv_result out;
  std::vector<quote> quotes;
  quotes.reserve(options.size());
  std::map<timestamp, std::string> labels;
  auto usable = [](const option_summary& row) {
    return row.mark_price && *row.mark_price > 0 && row.underlying_price > 0;
  };
  auto add = [&](const option_summary& row, const option_key& x) {
    const double price = x.linear ? *row.mark_price : *row.mark_price * row.underlying_price;
    quotes.push_back({x.expiry, x.strike, x.type, price, row.underlying_price});
    if (labels.find(x.expiry) == labels.end())
      labels.emplace(x.expiry, std::string{x.label(row.instrument_name)});
  };
  if (!read_options(options, names, params, out, usable, add))
    return out;

  std::sort(quotes.begin(), quotes.end(), [](const quote& a, const quote& b) {
    return a.expiry != b.expiry ? a.expiry < b.expiry : a.strike < b.strike;
  });
  std::vector<double> forwards;
  std::vector<strike_price> q;
  out.expiries.reserve(labels.size());
  for (auto first = quotes.data(), end = quotes.data() + quotes.size(); first != end;) {
    auto last = first;
    while (last != end && last->expiry == first->expiry)
      ++last;
    mfiv_expiry e;
    e.expiry = labels[first->expiry];
    e.expiry_time = first->expiry;
    e.dte_days = days_between(out.as_of, first->expiry);
    fill_expiry(first, last, out.as_of, e, forwards, q);
    out.expiries.push_back(std::move(e));
    first = last;
  }

  out.reason = mfiv_reason::no_valid_expiry;
  auto counted = [](const mfiv_expiry& e) { return e.variance.has_value(); };
  if (auto pair = pick_tenor_pair(out.expiries, params.tenor_days, dte_of, counted)) {
    const double iv = iv_at_tenor(*pair, out.expiries, params.tenor_days, dte_of,
                                  [](const mfiv_expiry& e) { return *e.iv_pct; });
    auto pair_names = tenor_pair_names(*pair, out.expiries, [](const mfiv_expiry& e) { return e.expiry; });
    out.value = mfiv_value{{params.tenor_days, pair->bracketed, std::move(pair_names)}, iv};
    out.reason = mfiv_reason::none;
  }
  return out;
}

mfiv_result compute_mfiv(const std::vector<option_summary>& options, const mfiv_params& params) {
  return compute_mfiv(options, index_options(options, params.expiries), params);
}

} // namespace derivcache::quant
