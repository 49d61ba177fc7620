// The signal record shared by `derivcache analyze` and `derivcache backfill`.
#include "apps/signal_record.hpp"

#include "codec/json_writer.hpp"
#include "configuration/keys.hpp"
#include "messages/from_quant.hpp"
#include "quant/basis.hpp"
#include "quant/mfiv.hpp"
#include "quant/skew.hpp"
#include "quant/states.hpp"
#include "quant/surface.hpp"
#include "runtime/reading_json.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace derivcache::apps {

namespace {

void write_basis(codec::json_writer& w, const std::optional<quant::basis_result>& basis, const std::string& missing) {
  if (!basis || !basis->nearest) {
    w.key("basis").null();
    w.field("basis_reason", basis ? to_string(basis->reason) : missing);
  } else {
    const auto& b = *basis->nearest;
    w.key("basis").begin_object()
      .field("apr_pct", b.apr_pct)
      .field("instrument", b.instrument)
      .field("dte_days", b.dte_days)
      .field("future_price", b.future_price)
      .field("index_price", b.index_price)
      .field("source", to_string(b.source))
      .field("state", to_string(quant::classify(b.apr_pct, quant::basis_thresholds{})))
      .field("as_of_ms", quant::to_unix_ms(basis->as_of))
      .end_object();
  }
  w.key("term_structure").begin_array();
  if (basis)
    for (const auto& p : basis->term_structure)
      w.begin_object()
        .field("instrument", p.instrument)
        .field("dte_days", p.dte_days)
        .field("apr_pct", p.apr_pct)
        .field("below_min_dte", p.below_min_dte)
        .field("quarterly", p.quarterly)
        .field("source", to_string(p.source))
        .end_object();
  w.end_array();
  if (basis && basis->perpetual) {
    const auto& p = *basis->perpetual;
    w.key("perpetual").begin_object()
      .field("instrument", p.instrument)
      .field("premium_pct", p.premium_pct)
      .field("funding_8h", p.funding_8h)
      .end_object();
  } else {
    w.key("perpetual").null();
  }
}


/// A part of the output that needs an input file: its writer, or null and a reason beside it.
template <class Write>
void write_part(codec::json_writer& w, const char* key, bool computed, const std::string& missing, Write write) {
  if (computed)
    return write();
  w.key(key).null();
  w.field(std::string{key} + "_reason", missing);
}

/// A recording has no local receive time.
const caf::timestamp no_receive_time{};

void write_signals(codec::json_writer& w, const std::vector<quant::option_summary>* options,
                   const std::optional<quant::basis_result>& basis, const std::optional<messages::mfiv_record>& mfiv,
                   const signal_settings& settings, std::optional<quant::timestamp> now) {
  const auto received = no_receive_time;
  write_part(w, "surface", options != nullptr, "no options file given", [&] {
    quant::surface_params params;
    params.tenors_days = settings.surface.tenors;
    params.deltas = settings.surface.deltas;
    params.as_of = now;
    w.key("surface");
    runtime::write_surface(w, messages::to_surface(quant::compute_surface(*options, params), params, received));
  });
  write_part(w, "basis_cm", basis.has_value(), "no futures file given", [&] {
    auto records = quant::constant_maturity_basis(*basis, {settings.basis.tenors});
    w.key("basis_cm");
    runtime::write_constant_maturity_basis(w, messages::to_constant_maturity(records, basis->as_of, received));
  });
  write_part(w, "mfiv", mfiv.has_value(), "no options file given", [&] {
    w.key("mfiv");
    runtime::write_mfiv(w, *mfiv, true);
  });
}

std::optional<messages::mfiv_record> compute_mfiv(const std::vector<quant::option_summary>* options,
                                                  const signal_settings& settings, std::optional<quant::timestamp> now) {
  if (!options)
    return std::nullopt;
  quant::mfiv_params params;
  params.tenor_days = settings.mfiv.tenor;
  params.as_of = now;
  return messages::to_mfiv(quant::compute_mfiv(*options, params), params.tenor_days, no_receive_time);
}

void write_skew(codec::json_writer& w, const std::optional<quant::skew_result>& skew, const std::string& missing) {
  if (!skew || !skew->value) {
    w.key("skew").null();
    w.field("skew_reason", skew ? to_string(skew->reason) : missing);
  } else {
    const auto& s = *skew->value;
    w.key("skew").begin_object()
      .field("value_pct", s.skew_pct)
      .field("put25_iv", s.put_iv)
      .field("call25_iv", s.call_iv)
      .field("atm_iv", s.atm_iv)
      .field("butterfly25", s.butterfly)
      .field("tenor_days", s.tenor_days)
      .field("bracketed", s.bracketed);
    w.key("expiries").begin_array();
    for (const auto& e : s.expiries)
      w.value(e);
    w.end_array()
      .field("state", to_string(quant::classify(s.skew_pct, quant::skew_thresholds{})))
      .field("as_of_ms", quant::to_unix_ms(skew->as_of))
      .end_object();
  }
  w.key("smile_term_structure").begin_array();
  if (skew)
    for (const auto& p : skew->smile)
      w.begin_object()
        .field("expiry", p.expiry)
        .field("dte_days", p.dte_days)
        .field("forward", p.forward)
        .field("put25_iv", p.put_iv)
        .field("call25_iv", p.call_iv)
        .field("atm_iv", p.atm_iv)
        .end_object();
  w.end_array();
}

// DVOL with mfiv_minus_dvol against the MFIV computed here (null without an MFIV value).
void write_dvol(codec::json_writer& w, const std::optional<quant::dvol_reading>& dvol,
                const std::optional<messages::mfiv_record>& mfiv, const std::string& missing) {
  write_part(w, "dvol", dvol.has_value(), missing, [&] {
    w.key("dvol");
    runtime::write_dvol(w, messages::to_dvol(*dvol, no_receive_time, mfiv ? mfiv->value_pct : caf::none));
  });
}

// A list option ("7,30,90" or "[7, 30, 90]") checked by the rules of its configuration key; an error text
// naming the option, or empty.
std::string parse_list(std::map<std::string, std::string>& v, const char* option, std::vector<double>& out,
                       std::vector<std::string> (*rules)(const std::vector<double>&)) {
  if (!v.count(option))
    return {};
  auto why = configuration::parse_number_list(v[option], out);
  if (why.empty()) {
    auto problems = rules(out);
    if (!problems.empty())
      why = problems.front();
  }
  return why.empty() ? std::string{} : "--" + std::string{option} + ": " + why;
}

} // namespace

std::string signal_record(const signal_inputs& in, signal_gaps* gaps) {
  const auto& currency = *in.currency;
  std::optional<quant::basis_result> basis;
  if (in.futures || currency.linear) {
    static const std::vector<quant::future_summary> no_futures;
    quant::basis_params params;
    params.min_dte_days = in.min_dte_days;
    params.as_of = in.now;
    params.synthetic_forward = currency.linear;
    static const std::vector<quant::option_summary> no_options;
    basis = quant::compute_basis(in.futures ? *in.futures : no_futures, in.options ? *in.options : no_options, params);
  }
  std::optional<quant::skew_result> skew;
  if (in.options) {
    quant::skew_params params;
    params.as_of = in.now;
    skew = quant::compute_skew(*in.options, params);
  }
  quant::timestamp as_of{};
  if (basis)
    as_of = std::max(as_of, basis->as_of);
  if (skew)
    as_of = std::max(as_of, skew->as_of);
  codec::json_writer w;
  w.begin_object().field("currency", currency.name).field("as_of_ms", quant::to_unix_ms(as_of));
  write_basis(w, basis, "no futures file given");
  write_skew(w, skew, "no options file given");
  const auto mfiv = compute_mfiv(in.options, in.settings, in.now);
  write_signals(w, in.options, basis, mfiv, in.settings, in.now);
  write_dvol(w, in.dvol, mfiv, currency.has_dvol ? "no dvol file given" : "not listed for " + currency.name);
  w.key("skipped_rows").begin_object()
    .field("options", static_cast<uint64_t>(in.bad_options + (skew ? skew->skipped_rows : 0)))
    .field("futures", static_cast<uint64_t>(in.bad_futures + (basis ? basis->skipped_rows : 0)))
    .end_object();
  w.end_object();
  if (gaps) {
    gaps->basis = !basis ? "no futures file given" : basis->nearest ? "" : to_string(basis->reason);
    gaps->skew = !skew ? "no options file given" : skew->value ? "" : to_string(skew->reason);
    gaps->mfiv = !mfiv ? "no options file given" : mfiv->value_pct ? "" : mfiv->reason;
  }
  return w.take();
}

std::string parse_signal_options(std::map<std::string, std::string>& v, signal_settings& s) {
  for (auto e : {parse_list(v, "tenors", s.surface.tenors, configuration::tenor_problems),
                 parse_list(v, "deltas", s.surface.deltas, configuration::delta_problems),
                 parse_list(v, "basis-tenors", s.basis.tenors, configuration::tenor_problems)})
    if (!e.empty())
      return e;
  if (v.count("mfiv-tenor")) {
    char* end = nullptr;
    s.mfiv.tenor = std::strtod(v["mfiv-tenor"].c_str(), &end);
    if (v["mfiv-tenor"].empty() || *end != '\0' || !(s.mfiv.tenor > 0) || !std::isfinite(s.mfiv.tenor))
      return "--mfiv-tenor '" + v["mfiv-tenor"] + "' is not a positive number of days";
  }
  return {};
}

} // namespace derivcache::apps
