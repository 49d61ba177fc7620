// The basis calculator actor.
#include "actors/basis_calculator.hpp"

#include "actors/calculator.hpp"
#include "messages/convert.hpp"
#include "quant/basis.hpp"

#include <caf/all.hpp>

namespace derivcache::actors {

using messages::to_caf;

namespace {

/// The reading for one chain; `thresholds` classify the value.
messages::basis_reading compute_basis_reading(const messages::currency_chain& chain,
                                              const quant::basis_thresholds& thresholds, double min_dte_days) {
  quant::basis_params params;
  params.min_dte_days = min_dte_days;
  params.expiries = chain.expiries.get();
  params.synthetic_forward = chain.currency.linear;
  auto r = quant::compute_basis(chain.futures, chain.options, params);
  messages::basis_reading out;
  out.currency = chain.currency.name;
  if (r.nearest) {
    out.apr_pct = r.nearest->apr_pct;
    out.instrument = r.nearest->instrument;
    out.dte_days = r.nearest->dte_days;
    out.future_price = r.nearest->future_price;
    out.index_price = r.nearest->index_price;
    out.source = quant::to_string(r.nearest->source);
    out.state = quant::classify(r.nearest->apr_pct, thresholds);
  } else {
    out.reason = quant::to_string(r.reason);
    out.state = quant::basis_state::unknown;
  }
  for (const auto& p : r.term_structure)
    out.term_structure.push_back(
      {p.instrument, p.dte_days, p.apr_pct, p.quarterly, p.below_min_dte, quant::to_string(p.source)});
  if (r.perpetual) {
    out.perpetual_premium_pct = r.perpetual->premium_pct;
    if (r.perpetual->funding_8h)
      out.funding_8h = *r.perpetual->funding_8h;
  }
  out.as_of = to_caf(r.as_of);
  out.received = chain.received;
  out.skipped_rows = r.skipped_rows + chain.bad_rows;
  out.expiry_disagreements = r.expiry_disagreements;
  return out;
}

} // namespace

messages::calculator_actor make_basis_calculator(caf::actor_system& sys, basis_calculator_deps deps) {
  return spawn_calculator(sys, "basis", deps.cache, deps.log, [deps](const messages::currency_chain& chain) {
    return compute_basis_reading(chain, deps.thresholds, deps.min_dte_days);
  });
}

} // namespace derivcache::actors
