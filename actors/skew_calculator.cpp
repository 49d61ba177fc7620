// The skew calculator actor.
#include "actors/skew_calculator.hpp"

#include "actors/calculator.hpp"
#include "messages/convert.hpp"
#include "quant/skew.hpp"

#include <caf/all.hpp>

namespace derivcache::actors {

using messages::to_caf;

namespace {

/// The reading for one chain; `thresholds` classify the value.
messages::skew_reading compute_skew_reading(const messages::currency_chain& chain,
                                            const quant::skew_thresholds& thresholds, double tenor_days) {
  quant::skew_params params;
  params.tenor_days = tenor_days;
  params.expiries = chain.expiries.get();
  auto r = quant::compute_skew(chain.options, params);
  messages::skew_reading out;
  out.currency = chain.currency.name;
  out.tenor_days = tenor_days;
  if (r.value) {
    out.skew_pct = r.value->skew_pct;
    out.put25_iv = r.value->put_iv;
    out.call25_iv = r.value->call_iv;
    out.atm_iv = r.value->atm_iv;
    out.butterfly25 = r.value->butterfly;
    out.tenor_days = r.value->tenor_days;
    out.bracketed = r.value->bracketed;
    out.expiries = r.value->expiries;
    out.state = quant::classify(r.value->skew_pct, thresholds);
  } else {
    out.reason = quant::to_string(r.reason);
    out.state = quant::skew_state::unknown;
  }
  for (const auto& p : r.smile)
    out.smile.push_back({p.expiry, p.dte_days, p.forward, to_caf(p.put_iv), to_caf(p.call_iv), to_caf(p.atm_iv)});
  out.as_of = to_caf(r.as_of);
  out.received = chain.received;
  out.skipped_rows = r.skipped_rows + chain.bad_rows;
  return out;
}

} // namespace

messages::calculator_actor make_skew_calculator(caf::actor_system& sys, skew_calculator_deps deps) {
  return spawn_calculator(sys, "skew", deps.cache, deps.log, [deps](const messages::currency_chain& chain) {
    return compute_skew_reading(chain, deps.thresholds, deps.tenor_days);
  });
}

} // namespace derivcache::actors
