// From the cache's view to the metrics snapshot.
#include "runtime/metrics_snapshot.hpp"

namespace derivcache::runtime {

currency_metrics to_currency_metrics(const messages::derivatives_view& view) {
  currency_metrics out;
  out.currency = view.currency;
  out.dvol = view.dvol;
  out.dvol_age = view.dvol_age;
  if (view.basis) {
    out.has_basis = true;
    if (view.basis->apr_pct)
      out.basis_apr_pct = *view.basis->apr_pct;
    out.basis_age = view.basis_age;
    out.basis_stale = view.basis_state == quant::basis_state::stale;
  }
  if (view.skew) {
    out.has_skew = true;
    if (view.skew->skew_pct)
      out.skew_pct = *view.skew->skew_pct;
    out.skew_age = view.skew_age;
    out.skew_stale = view.skew_state == quant::skew_state::stale;
    out.surface = view.skew->surface;
    out.mfiv = view.skew->mfiv;
    out.mfiv_age = view.mfiv_age;
  }
  if (view.basis)
    out.basis_cm = view.basis->constant_maturity;
  return out;
}

store_metrics to_store_metrics(const store_stats& s) {
  store_metrics m;
  m.enabled = true;
  m.write_failures = s.write_failures;
  m.write_retries = s.write_retries;
  m.records_failed = s.records_failed;
  m.bars_dropped = s.bars_dropped;
  m.pending_bars = s.pending_bars;
  m.bars_deleted = s.bars_deleted;
  m.snapshots_deleted = s.snapshots_deleted;
  m.checkpoints = s.checkpoints;
  m.checkpoints_incomplete = s.checkpoints_incomplete;
  return m;
}

gateway_metrics to_gateway_metrics(const gateway_stats& stats) {
  gateway_metrics out;
  out.enabled = true;
  out.up = stats.up.load();
  out.restarts = stats.restarts.load();
  for (std::size_t i = 0; i < out.refused.size(); ++i)
    out.refused[i] = stats.refused[i].load();
  return out;
}

} // namespace derivcache::runtime
