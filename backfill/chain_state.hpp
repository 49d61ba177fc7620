// The latest row of every live instrument, and the chain a step sees: per instrument, its newest row by exchange
// timestamp at or before the step, if that row is recent enough and the instrument has not expired.
#pragma once

#include "backfill/symbol_index.hpp"
#include "backfill/tardis_csv.hpp"
#include "quant/currency.hpp"
#include "quant/records.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace derivcache::backfill {

/// Per instrument two rows: the newest at or before the coming step (`seen`), and the newest after it that
/// arrived early (`early`, Tardis orders rows by receive time, so exchange times may run slightly ahead). At
/// each step `promote` makes the early rows seen. Memory: one entry per instrument not yet expired.
class chain_state {
public:
  explicit chain_state(std::vector<quant::currency_spec> followed);

  /// Takes an option row as of the step at `boundary_ms`; a reason when its symbol is unusable. Rows of
  /// currencies not followed are kept out of the chain (counted in `other_currency_rows`).
  std::optional<skip_reason> add(const option_tick& row, std::int64_t boundary_ms);
  /// Takes a future or perpetual row, likewise.
  std::optional<skip_reason> add(const future_tick& row, std::int64_t boundary_ms);

  /// The early rows become seen (call after the step at the boundary was emitted).
  void promote();
  /// Forgets instruments that expired at or before `t_ms`.
  void evict_expired(std::int64_t t_ms);

  /// The option rows of `currency` live at `t_ms` (seen row at most `max_age_ms` old), in order of first appearance,
  /// as the book summary's rows: creation_time is the row's timestamp, estimated_delivery_price the currency's
  /// newest live index price (from its futures), if any.
  std::vector<quant::option_summary> options_at(const quant::currency_spec& currency, std::int64_t t_ms,
                                                std::int64_t max_age_ms) const;
  /// The futures and perpetual rows of `currency` live at `t_ms`.
  std::vector<quant::future_summary> futures_at(const quant::currency_spec& currency, std::int64_t t_ms,
                                                std::int64_t max_age_ms) const;

  std::size_t instruments() const { return options_.size() + futures_.size(); }
  std::uint64_t other_currency_rows() const { return other_currency_rows_; }

private:
  template <class Values>
  struct slot {
    std::int64_t time_ms = -1;   // -1: empty
    Values values{};
  };
  struct option_values {
    double mark_price = 0, mark_iv = 0, underlying_price = 0;
  };
  struct future_values {
    double mark_price = 0, index_price = 0;
    std::optional<double> funding_rate;
  };
  template <class Values>
  struct entry {
    std::string symbol;
    std::string base;
    bool followed = false;
    bool linear = false;          // SOL_USDC, BTC_USDC: the USDC book, which a currency uses only when it is linear
    std::int64_t expiry_ms = 0;   // 0: never (perpetual)
    slot<Values> seen, early;
  };
  template <class Values>
  struct table {
    std::vector<entry<Values>> entries;
    symbol_index by_symbol;
    std::size_t size() const { return entries.size(); }
    std::uint32_t find(std::string_view symbol) const {
      return by_symbol.find(symbol, [this](std::uint32_t i) -> const std::string& { return entries[i].symbol; });
    }
  };

  template <class Values>
  static void place(entry<Values>& e, std::int64_t time_ms, const Values& v, std::int64_t boundary_ms);
  template <class Values>
  static void promote(table<Values>& t);
  template <class Values>
  static void evict(table<Values>& t, std::int64_t t_ms);
  bool follows(const std::string& base, bool linear) const;
  /// A new instrument's entry in `t`; returns its index.
  template <class Values>
  std::uint32_t insert(table<Values>& t, std::string_view symbol, bool linear, std::int64_t expiry_ms) const;
  template <class Values>
  static bool belongs(const entry<Values>& e, const quant::currency_spec& currency) {
    return e.base == currency.name && e.linear == currency.linear;
  }
  /// The currency's, seen at most `max_age_ms` before `t_ms`, and not expired by then (a perpetual never is).
  template <class Values>
  static bool live(const entry<Values>& e, const quant::currency_spec& currency, std::int64_t t_ms,
                   std::int64_t max_age_ms) {
    constexpr bool perpetuals = std::is_same_v<Values, future_values>;
    return belongs(e, currency) && e.seen.time_ms >= 0 && e.seen.time_ms >= t_ms - max_age_ms &&
           (e.expiry_ms > t_ms || (perpetuals && e.expiry_ms == 0));
  }
  /// A book-summary row per live entry of `t`: name, currency, mark price and time from the entry, the rest by
  /// `fill(row, values)`.
  template <class Summary, class Values, class Fill>
  static std::vector<Summary> rows_at(const table<Values>& t, const quant::currency_spec& currency, std::int64_t t_ms,
                                      std::int64_t max_age_ms, Fill fill) {
    std::vector<Summary> out;
    for (const auto& e : t.entries) {
      if (!live(e, currency, t_ms, max_age_ms))
        continue;
      Summary row;
      row.instrument_name = e.symbol;
      row.base_currency = e.base;
      row.mark_price = e.seen.values.mark_price;
      row.creation_time = quant::from_unix_ms(e.seen.time_ms);
      fill(row, e.seen.values);
      out.push_back(std::move(row));
    }
    return out;
  }
  std::optional<double> index_price(const quant::currency_spec& currency, std::int64_t t_ms, std::int64_t max_age_ms) const;

  std::vector<quant::currency_spec> followed_;
  table<option_values> options_;
  table<future_values> futures_;
  std::uint64_t other_currency_rows_ = 0;
};

} // namespace derivcache::backfill
