// The calculator actor and the two readings it computes.
#include "actors/calculator.hpp"

#include "messages/convert.hpp"
#include "messages/from_quant.hpp"
#include "quant/basis.hpp"
#include "quant/mfiv.hpp"
#include "quant/skew.hpp"
#include "quant/surface.hpp"

#include <caf/all.hpp>

namespace derivcache::actors {

namespace {

using messages::to_caf;

// What every reading carries besides its value; without a value, the reason (the state stays unknown).
template <class Reading, class Result>
Reading reading_of(const messages::currency_chain& chain, const Result& r, bool has_value) {
  Reading out;
  out.currency = chain.currency.name;
  out.as_of = to_caf(r.as_of);
  out.received = chain.received;
  out.skipped_rows = r.skipped_rows + chain.bad_rows;
  if (!has_value)
    out.reason = quant::to_string(r.reason);
  return out;
}

// The headline alone, for a calculation whose surface does not have it.
quant::surface_params headline_surface(const skew_calculation& calc) {
  auto params = calc.surface;
  params.tenors_days = {calc.tenor_days};
  params.deltas = {calc.delta};
  return params;
}

const char* name_of(const basis_calculation&) { return "basis"; }
const char* name_of(const skew_calculation&) { return "skew"; }

// The MFIV rides on the skew reading and has its own reason.
void warn_about_parts(const messages::basis_reading&, runtime::logger&) {}
void warn_about_parts(const messages::skew_reading& r, runtime::logger& log) {
  if (!r.mfiv.value_pct)
    log.warn("mfiv [" + r.currency + "]: no value: " + r.mfiv.reason);
}

} // namespace

messages::basis_reading compute(const messages::currency_chain& chain, const basis_calculation& calc) {
  quant::basis_params params;
  params.min_dte_days = calc.min_dte_days;
  params.expiries = chain.expiries.get();
  params.synthetic_forward = chain.currency.linear;
  auto r = quant::compute_basis(chain.futures, chain.options, params);
  auto out = reading_of<messages::basis_reading>(chain, r, r.nearest.has_value());
  if (r.nearest) {
    out.apr_pct = r.nearest->apr_pct;
    out.instrument = r.nearest->instrument;
    out.dte_days = r.nearest->dte_days;
    out.future_price = r.nearest->future_price;
    out.index_price = r.nearest->index_price;
    out.source = quant::to_string(r.nearest->source);
    out.state = quant::classify(r.nearest->apr_pct, calc.thresholds);
  }
  for (const auto& p : r.term_structure)
    out.term_structure.push_back(
      {p.instrument, p.dte_days, p.apr_pct, p.quarterly, p.below_min_dte, quant::to_string(p.source)});
  if (r.perpetual) {
    out.perpetual_premium_pct = r.perpetual->premium_pct;
    if (r.perpetual->funding_8h)
      out.funding_8h = *r.perpetual->funding_8h;
  }
  out.expiry_disagreements = r.expiry_disagreements;
  out.constant_maturity =
    messages::to_constant_maturity(quant::constant_maturity_basis(r, calc.constant_maturity), r.as_of, chain.received);
  return out;
}

messages::skew_reading compute(const messages::currency_chain& chain, const skew_calculation& calc) {
  // The surface, the headline (one of its records) and the MFIV read the names parsed once per chain.
  std::optional<quant::option_chain> parsed;
  const auto& names = chain.option_names ? *chain.option_names
                                         : parsed.emplace(quant::index_options(chain.options, chain.expiries.get()));
  const auto surface_result = quant::compute_surface(chain.options, names, calc.surface);
  auto r = surface_result.find(calc.tenor_days, calc.delta)
             ? quant::skew_of(surface_result, calc.tenor_days, calc.delta)
             : quant::skew_of(quant::compute_surface(chain.options, names, headline_surface(calc)), calc.tenor_days,
                              calc.delta);
  auto out = reading_of<messages::skew_reading>(chain, r, r.value.has_value());
  out.tenor_days = calc.tenor_days;
  if (r.value) {
    out.skew_pct = r.value->skew_pct;
    out.put25_iv = r.value->put_iv;
    out.call25_iv = r.value->call_iv;
    out.atm_iv = r.value->atm_iv;
    out.butterfly25 = r.value->butterfly;
    out.tenor_days = r.value->tenor_days;
    out.bracketed = r.value->bracketed;
    out.expiries = r.value->expiries;
    out.state = quant::classify(r.value->skew_pct, calc.thresholds);
  }
  for (const auto& p : r.smile)
    out.smile.push_back({p.expiry, p.dte_days, p.forward, to_caf(p.put_iv), to_caf(p.call_iv), to_caf(p.atm_iv)});
  out.surface = messages::to_surface(surface_result, calc.surface, chain.received);
  out.mfiv =
    messages::to_mfiv(quant::compute_mfiv(chain.options, names, calc.mfiv), calc.mfiv.tenor_days, chain.received);
  return out;
}


messages::calculator_actor make_calculator(caf::actor_system& sys, calculator_deps deps) {
  return sys.spawn([deps = std::move(deps)](messages::calculator_actor::pointer self)
                     -> messages::calculator_actor::behavior_type {
    return {
      [self, deps](const messages::chain_ptr& chain) {
        if (!chain)
          return;
        std::visit(
          [&](const auto& calc) {
            auto reading = compute(*chain, calc);
            if (!reading.reason.empty() && deps.log)   // reason is set exactly when there is no value
              deps.log->warn(std::string{name_of(calc)} + " [" + reading.currency + "]: no value: " + reading.reason);
            if (deps.log)
              warn_about_parts(reading, *deps.log);
            if (deps.cache)
              self->send(deps.cache, std::move(reading));
          },
          deps.calculation);
      },
    };
  });
}

} // namespace derivcache::actors
