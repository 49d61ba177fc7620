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

skew_result skew_of(const surface_result& surface, double tenor_days, double delta) {
  skew_result out;
  static_cast<chain_reading&>(out) = surface;
  out.smile.reserve(surface.smile.size());
  for (const auto& e : surface.smile) {
    const auto* w = e.wing(delta);
    out.smile.push_back({e, w ? w->put_iv : std::nullopt, w ? w->call_iv : std::nullopt, e.atm_iv, e.rows});
  }
  out.reason = surface.reason;
  if (surface.reason == skew_reason::none) {
    const auto* record = surface.find(tenor_days, delta);
    out.value = record ? record->value : std::nullopt;
    out.reason = record ? record->reason : skew_reason::no_valid_expiry;
  }
  return out;
}

skew_result compute_skew(const std::vector<option_summary>& options, const skew_params& params) {
  surface_params sp;
  sp.tenors_days = {params.tenor_days};
  sp.deltas = {params.delta};
  sp.min_expiry_dte_days = params.min_expiry_dte_days;
  sp.as_of = params.as_of;
  sp.expiries = params.expiries;
  return skew_of(compute_surface(options, sp), params.tenor_days, params.delta);
}

} // namespace derivcache::quant
