// Per-instrument latest rows and the chain of a currency at a step.
#include "backfill/chain_state.hpp"

#include "quant/instrument.hpp"

#include <algorithm>

namespace derivcache::backfill {

namespace {

std::int64_t to_ms(std::int64_t us) { return us >= 0 ? us / 1000 : -((-us + 999) / 1000); }

} // namespace

chain_state::chain_state(std::vector<quant::currency_spec> followed) : followed_(std::move(followed)) {}

bool chain_state::follows(const std::string& base, bool linear) const {
  return std::any_of(followed_.begin(), followed_.end(),
                     [&](const auto& c) { return c.name == base && c.linear == linear; });
}

template <class Values>
void chain_state::place(entry<Values>& e, std::int64_t time_ms, const Values& v, std::int64_t boundary_ms) {
  auto& s = time_ms <= boundary_ms ? e.seen : e.early;
  if (time_ms >= s.time_ms) {
    s.time_ms = time_ms;
    s.values = v;
  }
}

template <class Values>
std::uint32_t chain_state::insert(table<Values>& t, std::string_view symbol, bool linear, std::int64_t expiry_ms) const {
  entry<Values> e;
  e.symbol.assign(symbol);
  e.base = quant::row_base(e.symbol, "");
  e.linear = linear;
  e.followed = follows(e.base, linear);
  e.expiry_ms = expiry_ms;
  const auto at = static_cast<std::uint32_t>(t.entries.size());
  t.by_symbol.insert(e.symbol, at);
  t.entries.push_back(std::move(e));
  return at;
}

std::optional<skip_reason> chain_state::add(const option_tick& row, std::int64_t boundary_ms) {
  auto at = options_.find(row.symbol);
  if (at == symbol_index::none) {
    auto parsed = quant::parse_option_key(row.symbol);
    if (!parsed)
      return skip_reason::bad_symbol;
    if (parsed->type != row.type)
      return skip_reason::type_mismatch;
    at = insert(options_, row.symbol, parsed->linear, to_ms(row.expiration_us));
  }
  auto& e = options_.entries[at];
  if (!e.followed) {
    ++other_currency_rows_;
    return std::nullopt;
  }
  // The type is part of the name: a row that says otherwise is not this instrument's.
  const bool put = e.symbol.back() == 'P';
  if (put != (row.type == quant::option_type::put))
    return skip_reason::type_mismatch;
  place(e, to_ms(row.time_us), option_values{row.mark_price, row.mark_iv, row.underlying_price}, boundary_ms);
  return std::nullopt;
}

std::optional<skip_reason> chain_state::add(const future_tick& row, std::int64_t boundary_ms) {
  auto at = futures_.find(row.symbol);
  if (at == symbol_index::none) {
    auto parsed = quant::parse_instrument(row.symbol);
    if (!parsed.value || parsed.value->kind == quant::instrument_kind::option)
      return skip_reason::bad_symbol;
    const bool perpetual = parsed.value->kind == quant::instrument_kind::perpetual;
    at = insert(futures_, row.symbol, parsed.value->linear, perpetual ? 0 : quant::to_unix_ms(parsed.value->expiry));
  }
  auto& e = futures_.entries[at];
  if (!e.followed) {
    ++other_currency_rows_;
    return std::nullopt;
  }
  place(e, to_ms(row.time_us), future_values{row.mark_price, row.index_price, row.funding_rate}, boundary_ms);
  return std::nullopt;
}

template <class Values>
void chain_state::promote(table<Values>& t) {
  for (auto& e : t.entries) {
    if (e.early.time_ms >= 0 && e.early.time_ms >= e.seen.time_ms)
      e.seen = e.early;
    e.early = {};
  }
}

void chain_state::promote() {
  promote(options_);
  promote(futures_);
}

template <class Values>
void chain_state::evict(table<Values>& t, std::int64_t t_ms) {
  auto expired = [&](const entry<Values>& e) { return e.expiry_ms != 0 && e.expiry_ms <= t_ms; };
  if (std::none_of(t.entries.begin(), t.entries.end(), expired))
    return;
  t.entries.erase(std::remove_if(t.entries.begin(), t.entries.end(), expired), t.entries.end());
  t.by_symbol.clear();
  for (std::uint32_t i = 0; i < t.entries.size(); ++i)
    t.by_symbol.insert(t.entries[i].symbol, i);
}

void chain_state::evict_expired(std::int64_t t_ms) {
  evict(options_, t_ms);
  evict(futures_, t_ms);
}

std::optional<double> chain_state::index_price(const quant::currency_spec& currency, std::int64_t t_ms,
                                               std::int64_t max_age_ms) const {
  std::optional<double> index;
  std::int64_t newest = -1;
  for (const auto& e : futures_.entries)
    if (belongs(e, currency) && e.seen.time_ms > newest && e.seen.time_ms >= t_ms - max_age_ms &&
        e.seen.time_ms <= t_ms && e.seen.values.index_price > 0) {
      newest = e.seen.time_ms;
      index = e.seen.values.index_price;
    }
  return index;
}

std::vector<quant::option_summary> chain_state::options_at(const quant::currency_spec& currency, std::int64_t t_ms,
                                                           std::int64_t max_age_ms) const {
  const auto index = index_price(currency, t_ms, max_age_ms);
  return rows_at<quant::option_summary>(options_, currency, t_ms, max_age_ms,
                                        [&](quant::option_summary& row, const option_values& v) {
                                          row.mark_iv = v.mark_iv;
                                          row.underlying_price = v.underlying_price;
                                          row.estimated_delivery_price = index;
                                        });
}

std::vector<quant::future_summary> chain_state::futures_at(const quant::currency_spec& currency, std::int64_t t_ms,
                                                           std::int64_t max_age_ms) const {
  return rows_at<quant::future_summary>(futures_, currency, t_ms, max_age_ms,
                                        [](quant::future_summary& row, const future_values& v) {
                                          row.estimated_delivery_price = v.index_price;
                                          row.funding_8h = v.funding_rate;
                                        });
}

} // namespace derivcache::backfill
