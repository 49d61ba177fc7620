// The headline skew: compute_surface with one tenor and one delta.
#include "quant/skew.hpp"

#include "quant/enum_names.hpp"
#include "quant/surface.hpp"

#include <utility>

namespace derivcache::quant {

std::string to_string(skew_reason x) {
  static constexpr name_table<skew_reason, 5> names{{{skew_reason::none, "none"},
    {skew_reason::no_rows, "no option rows"},
    {skew_reason::no_usable_rows, "no option row has a positive mark_iv and underlying_price"},
    {skew_reason::no_valid_expiry, "no expiry has both wings at the delta and an ATM IV"},
    {skew_reason::no_atm_expiry, "no expiry has an ATM IV"}}};
  return name_of(names, x);
}

skew_result compute_skew(const std::vector<option_summary>& options, const skew_params& params) {
  surface_params sp;
  sp.tenors_days = {params.tenor_days};
  sp.deltas = {params.delta};
  sp.min_expiry_dte_days = params.min_expiry_dte_days;
  sp.as_of = params.as_of;
  sp.expiries = params.expiries;
  auto surface = compute_surface(options, sp);

  skew_result out;
  out.as_of = surface.as_of;
  out.skipped_rows = surface.skipped_rows;
  out.expiry_disagreements = surface.expiry_disagreements;
  out.smile.reserve(surface.smile.size());
  for (const auto& e : surface.smile) {
    const auto& w = e.wings.front();
    out.smile.push_back({e, w.put_iv, w.call_iv, e.atm_iv, e.rows});
  }
  out.reason = surface.reason;
  if (surface.reason == skew_reason::none) {
    auto& record = surface.skews.front();
    out.value = std::move(record.value);
    out.reason = record.reason;
  }
  return out;
}

} // namespace derivcache::quant
