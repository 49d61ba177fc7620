// JSON of the reading parts.
#include "runtime/reading_json.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace derivcache::runtime {

namespace {

std::optional<double> opt(const caf::optional<double>& x) { return x ? std::optional<double>{*x} : std::nullopt; }

// A number that exists only beside a value.
std::optional<double> with(bool has_value, double x) { return has_value ? std::optional<double>{x} : std::nullopt; }

std::optional<std::string> reason(const std::string& text) {
  return text.empty() ? std::nullopt : std::optional<std::string>{text};
}

int64_t unix_ms(caf::timestamp t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

void write_names(codec::json_writer& w, const char* key, const std::vector<std::string>& names) {
  w.key(key).begin_array();
  for (const auto& n : names)
    w.value(n);
  w.end_array();
}

void write_point(codec::json_writer& w, const messages::surface_point& p) {
  const bool v = static_cast<bool>(p.skew_pct);
  w.begin_object()
    .field("delta", p.delta)
    .field("put_iv", with(v, p.put_iv))
    .field("call_iv", with(v, p.call_iv))
    .field("atm_iv", with(v, p.atm_iv))
    .field("skew", opt(p.skew_pct))
    .field("skew_normalized", with(v, p.skew_normalized))
    .field("butterfly", with(v, p.butterfly))
    .field("bracketed", p.bracketed);
  write_names(w, "expiries", p.expiries);
  w.field("reason", reason(p.reason)).field("as_of_ms", unix_ms(p.as_of)).end_object();
}

} // namespace

void write_surface(codec::json_writer& w, const std::vector<messages::surface_tenor>& surface) {
  w.begin_array();
  for (const auto& t : surface) {
    w.begin_object()
      .field("tenor_days", t.tenor_days)
      .field("atm_iv", opt(t.atm.atm_iv))
      .field("atm_bracketed", t.atm.bracketed);
    write_names(w, "atm_expiries", t.atm.expiries);
    w.field("atm_reason", reason(t.atm.reason)).field("atm_as_of_ms", unix_ms(t.atm.as_of));
    w.key("deltas").begin_array();
    for (const auto& p : t.deltas)
      write_point(w, p);
    w.end_array().end_object();
  }
  w.end_array();
}

void write_constant_maturity_basis(codec::json_writer& w, const std::vector<messages::cm_basis_point>& points) {
  w.begin_array();
  for (const auto& p : points) {
    w.begin_object()
      .field("tenor_days", p.tenor_days)
      .field("apr_pct", opt(p.apr_pct))
      .field("premium", with(static_cast<bool>(p.apr_pct), p.premium))
      .field("bracketed", p.bracketed);
    write_names(w, "instruments", p.instruments);
    w.field("reason", reason(p.reason)).field("as_of_ms", unix_ms(p.as_of)).end_object();
  }
  w.end_array();
}

void write_mfiv(codec::json_writer& w, const messages::mfiv_record& m, bool per_expiry) {
  w.begin_object()
    .field("value_pct", opt(m.value_pct))
    .field("tenor_days", m.tenor_days)
    .field("bracketed", m.bracketed);
  write_names(w, "expiries", m.expiries);
  w.field("reason", reason(m.reason)).field("as_of_ms", unix_ms(m.as_of)).field("skipped_rows", m.skipped_rows);
  if (per_expiry) {
    w.key("per_expiry").begin_array();
    for (const auto& e : m.per_expiry)
      w.begin_object()
        .field("expiry", e.expiry)
        .field("dte_days", e.dte_days)
        .field("forward", e.forward)
        .field("k0", opt(e.k0))
        .field("strikes", e.strikes)
        .field("variance", opt(e.variance))
        .field("iv_pct", opt(e.iv_pct))
        .field("gap", reason(e.gap))
        .end_object();
    w.end_array();
  }
  w.end_object();
}

void write_dvol(codec::json_writer& w, const messages::dvol_record& d) {
  const bool v = static_cast<bool>(d.close);
  w.begin_object()
    .field("close", opt(d.close))
    .field("time_ms", v ? std::optional<int64_t>{unix_ms(d.time)} : std::nullopt)
    .field("candles", v ? std::optional<uint64_t>{d.candles} : std::nullopt)
    .field("mfiv_minus_dvol", opt(d.mfiv_minus_dvol))
    .field("reason", reason(d.reason))
    .end_object();
}

} // namespace derivcache::runtime
