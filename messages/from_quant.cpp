// quant results -> reading parts.
#include "messages/from_quant.hpp"

#include "messages/convert.hpp"
#include "quant/skew.hpp"

namespace derivcache::messages {

namespace {

// The times every record carries, and the reason when it has no value.
template <class Record, class Reason>
void stamp(Record& out, bool has_value, Reason reason, quant::timestamp as_of, caf::timestamp received) {
  if (!has_value)
    out.reason = quant::to_string(reason);
  out.as_of = to_caf(as_of);
  out.received = received;
}

// A surface record: its value (by `fill`) or the reason it has none, its own or, for a chain without usable rows
// (no records at all), the chain's.
template <class Out, class Record, class Fill>
Out surface_record(const Record* record, const quant::surface_result& r, caf::timestamp received, Fill fill) {
  Out out;
  const auto* value = record && record->value ? &*record->value : nullptr;
  stamp(out, value != nullptr, record ? record->reason : r.reason, r.as_of, received);
  if (value)
    fill(out, *value);
  return out;
}

surface_atm atm_of(const quant::surface_result& r, double tenor_days, caf::timestamp received) {
  return surface_record<surface_atm>(r.find_atm(tenor_days), r, received,
                                     [](surface_atm& out, const quant::atm_value& v) {
                                       out.atm_iv = v.atm_iv;
                                       out.bracketed = v.bracketed;
                                       out.expiries = v.expiries;
                                     });
}

surface_point point_of(const quant::surface_result& r, double tenor_days, double delta, caf::timestamp received) {
  auto out = surface_record<surface_point>(r.find(tenor_days, delta), r, received,
                                           [](surface_point& p, const quant::skew_value& v) {
                                             p.skew_pct = v.skew_pct;
                                             p.put_iv = v.put_iv;
                                             p.call_iv = v.call_iv;
                                             p.atm_iv = v.atm_iv;
                                             p.skew_normalized = v.skew_normalized;
                                             p.butterfly = v.butterfly;
                                             p.bracketed = v.bracketed;
                                             p.expiries = v.expiries;
                                           });
  out.delta = delta;
  return out;
}

} // namespace

std::vector<surface_tenor> to_surface(const quant::surface_result& r, const quant::surface_params& params,
                                      caf::timestamp received) {
  std::vector<surface_tenor> out;
  out.reserve(params.tenors_days.size());
  for (double tenor : params.tenors_days) {
    surface_tenor t;
    t.tenor_days = tenor;
    t.atm = atm_of(r, tenor, received);
    for (double delta : params.deltas)
      t.deltas.push_back(point_of(r, tenor, delta, received));
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<cm_basis_point> to_constant_maturity(const std::vector<quant::cm_basis_record>& records,
                                                 quant::timestamp as_of, caf::timestamp received) {
  std::vector<cm_basis_point> out;
  out.reserve(records.size());
  for (const auto& record : records) {
    cm_basis_point p;
    p.tenor_days = record.tenor_days;
    stamp(p, record.value.has_value(), record.reason, as_of, received);
    if (record.value) {
      p.apr_pct = record.value->apr_pct;
      p.premium = record.value->premium;
      p.bracketed = record.value->bracketed;
      p.instruments = record.value->instruments;
    }
    out.push_back(std::move(p));
  }
  return out;
}

mfiv_record to_mfiv(const quant::mfiv_result& r, double tenor_days, caf::timestamp received) {
  mfiv_record out;
  out.tenor_days = tenor_days;
  stamp(out, r.value.has_value(), r.reason, r.as_of, received);
  out.skipped_rows = r.skipped_rows;
  if (r.value) {
    out.value_pct = r.value->iv_pct;
    out.bracketed = r.value->bracketed;
    out.expiries = r.value->expiries;
  }
  out.per_expiry.reserve(r.expiries.size());
  for (const auto& e : r.expiries) {
    mfiv_expiry_entry x;
    x.expiry = e.expiry;
    x.dte_days = e.dte_days;
    x.forward = e.forward;
    x.k0 = to_caf(e.k0);
    x.strikes = e.strikes;
    x.variance = to_caf(e.variance);
    x.iv_pct = to_caf(e.iv_pct);
    if (e.gap != quant::mfiv_gap::none)
      x.gap = quant::to_string(e.gap);
    out.per_expiry.push_back(std::move(x));
  }
  return out;
}

dvol_record to_dvol(const quant::dvol_reading& d, caf::timestamp received, caf::optional<double> mfiv_pct) {
  dvol_record out;
  out.close = d.close;
  out.time = d.time;
  out.candles = d.candles;
  out.received = received;
  if (mfiv_pct)
    out.mfiv_minus_dvol = *mfiv_pct - d.close;
  return out;
}

} // namespace derivcache::messages
