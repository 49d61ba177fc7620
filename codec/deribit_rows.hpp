// The rows of the Deribit codec: a row's fields as raw values, the rules that read them (with the texts of the
// row errors), and each row kind's fields in the order they are checked. The streaming decoder
// (codec/deribit.cpp) fills the raw values from the parser's events; the tests' DOM reference
// (tests/codec/deribit_dom_reference.cpp) from a parsed object, so both read rows by the same rules.
#pragma once

#include "quant/records.hpp"

#include <boost/json.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace derivcache::codec::rows {

/// One row field as the parser left it: the last value of its key (the DOM keeps the last duplicate too).
struct raw_field {
  enum class kind : std::uint8_t { absent, string, int64, uint64, real, other };   // null is absent
  kind type = kind::absent;
  std::int64_t int64 = 0;
  std::uint64_t uint64 = 0;
  double real = 0;
  std::string text;
};

/// A parsed value as a raw field (the index price's fields come from the DOM).
inline raw_field raw_of(const boost::json::value* v) {
  raw_field f;
  if (!v || v->is_null())
    return f;
  if (const auto* d = v->if_double()) {
    f.type = raw_field::kind::real;
    f.real = *d;
  } else if (const auto* i = v->if_int64()) {
    f.type = raw_field::kind::int64;
    f.int64 = *i;
  } else if (const auto* u = v->if_uint64()) {
    f.type = raw_field::kind::uint64;
    f.uint64 = *u;
  } else if (const auto* text = v->if_string()) {
    f.type = raw_field::kind::string;
    f.text.assign(text->data(), text->size());
  } else {
    f.type = raw_field::kind::other;
  }
  return f;
}

/// Reads a row's raw fields (by index into the row kind's keys); the first problem is kept as `error()`
/// ("mark_price is missing").
template <std::size_t N>
class field_reader {
public:
  field_reader(const std::array<std::string_view, N>& keys, std::array<raw_field, N>& fields)
    : keys_(keys), fields_(fields) {}

  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }

  /// A required non-negative finite number.
  double non_negative(std::size_t key) {
    auto value = optional_non_negative(key);
    if (!value && !failed())
      fail(key, "is missing");
    return value.value_or(0.0);
  }

  /// A non-negative finite number; absent or null gives nullopt.
  std::optional<double> optional_non_negative(std::size_t key) {
    auto value = optional_signed(key);
    if (value && *value < 0) {
      fail(key, "is negative");
      return std::nullopt;
    }
    return value;
  }

  /// A finite number that may be negative (a rate); absent or null gives nullopt.
  std::optional<double> optional_signed(std::size_t key) {
    const auto* field = present(key);
    if (!field)
      return std::nullopt;
    double number = 0;
    if (field->type == raw_field::kind::real)
      number = field->real;
    else if (field->type == raw_field::kind::int64)
      number = static_cast<double>(field->int64);
    else if (field->type == raw_field::kind::uint64)
      number = static_cast<double>(field->uint64);
    else
      fail(key, "is not a number");
    if (!failed() && !std::isfinite(number))
      fail(key, "is not finite");
    if (failed())
      return std::nullopt;
    return number;
  }

  /// A required integer count of ms since the epoch (a double with an integral value is accepted).
  quant::timestamp time_ms(std::size_t key) {
    const auto* field = present(key);
    if (!field) {
      fail(key, "is missing");
      return {};
    }
    if (field->type == raw_field::kind::int64)
      return quant::from_unix_ms(field->int64);
    // 2^63 as a double: the first value that no longer fits an int64.
    constexpr double int64_limit = 9223372036854775808.0;
    const double d = field->real;
    if (field->type == raw_field::kind::real && std::trunc(d) == d && d >= -int64_limit && d < int64_limit)
      return quant::from_unix_ms(static_cast<int64_t>(d));
    fail(key, "is not an integer");
    return {};
  }

  /// A required string.
  std::string text(std::size_t key) {
    auto value = optional_text(key);
    if (!value && !failed())
      fail(key, "is missing");
    return value ? std::move(*value) : std::string{};
  }

  /// A string; absent or null gives nullopt. Takes the field's text (each row sets it anew).
  std::optional<std::string> optional_text(std::size_t key) {
    auto* field = present(key);
    if (!field)
      return std::nullopt;
    if (field->type == raw_field::kind::string)
      return std::move(field->text);
    fail(key, "is not a string");
    return std::nullopt;
  }

private:
  raw_field* present(std::size_t key) {
    auto& field = fields_[key];
    return field.type == raw_field::kind::absent ? nullptr : &field;
  }

  void fail(std::size_t key, const char* what) {
    if (failed())
      return;
    error_.append(keys_[key]).append(" ").append(what);
  }

  const std::array<std::string_view, N>& keys_;
  std::array<raw_field, N>& fields_;
  std::string error_;
};

// Each row kind: its label, its fields (`keys` in `field` order) and its reader; the order of the reads is the
// order of the checks, so a row's error names its first failing field in that order.
struct option_rows {
  using row_type = quant::option_summary;
  static constexpr std::string_view label = "options";
  enum field : std::size_t { instrument_name, base_currency, mark_iv, underlying_price, estimated_delivery_price,
                             creation_timestamp, mark_price };
  static constexpr std::array<std::string_view, 7> keys{"instrument_name",  "base_currency",
                                                        "mark_iv",          "underlying_price",
                                                        "estimated_delivery_price", "creation_timestamp",
                                                        "mark_price"};
  template <class Reader>
  static row_type read(Reader& r) {
    row_type row;
    row.instrument_name = r.text(instrument_name);
    row.base_currency = r.optional_text(base_currency).value_or(std::string{});
    row.mark_iv = r.optional_non_negative(mark_iv);
    row.underlying_price = r.non_negative(underlying_price);
    row.estimated_delivery_price = r.optional_non_negative(estimated_delivery_price);
    row.creation_time = r.time_ms(creation_timestamp);
    row.mark_price = r.optional_non_negative(mark_price);
    return row;
  }
};

struct future_rows {
  using row_type = quant::future_summary;
  static constexpr std::string_view label = "futures";
  enum field : std::size_t { instrument_name, base_currency, mark_price, estimated_delivery_price,
                             creation_timestamp, funding_8h };
  static constexpr std::array<std::string_view, 6> keys{"instrument_name",          "base_currency",
                                                        "mark_price",               "estimated_delivery_price",
                                                        "creation_timestamp",       "funding_8h"};
  template <class Reader>
  static row_type read(Reader& r) {
    row_type row;
    row.instrument_name = r.text(instrument_name);
    row.base_currency = r.optional_text(base_currency).value_or(std::string{});
    row.mark_price = r.non_negative(mark_price);
    row.estimated_delivery_price = r.non_negative(estimated_delivery_price);
    row.creation_time = r.time_ms(creation_timestamp);
    row.funding_8h = r.optional_signed(funding_8h);
    return row;
  }
};

struct instrument_rows {
  using row_type = quant::instrument_info;
  static constexpr std::string_view label = "instruments";
  enum field : std::size_t { instrument_name, kind, expiration_timestamp, base_currency, settlement_period,
                             strike };
  static constexpr std::array<std::string_view, 6> keys{"instrument_name", "kind",
                                                        "expiration_timestamp", "base_currency",
                                                        "settlement_period", "strike"};
  template <class Reader>
  static row_type read(Reader& r) {
    row_type row;
    row.instrument_name = r.text(instrument_name);
    row.kind = r.text(kind);
    row.expiration_time = r.time_ms(expiration_timestamp);
    row.base_currency = r.optional_text(base_currency).value_or(std::string{});
    row.settlement_period = r.optional_text(settlement_period).value_or(std::string{});
    row.strike = r.optional_non_negative(strike);
    return row;
  }
};

} // namespace derivcache::codec::rows
