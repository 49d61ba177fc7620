// Tardis CSV rows: header mapping, field splitting, numbers with std::from_chars, the skip reasons.
#include "backfill/tardis_csv.hpp"

#include <charconv>
#include <cmath>
#include <cstring>

namespace derivcache::backfill {

std::string to_string(skip_reason x) {
  switch (x) {
    case skip_reason::missing_field: return "missing field";
    case skip_reason::not_a_number: return "not a number";
    case skip_reason::unknown_type: return "unknown type";
    case skip_reason::bad_symbol: return "unparsable symbol";
    case skip_reason::type_mismatch: return "type disagrees with symbol";
    case skip_reason::out_of_order: return "timestamp far out of order";
  }
  return "?";
}

namespace {

constexpr std::size_t max_fields = 64;
using fields_t = std::array<std::string_view, max_fields>;

// Splits at commas into at most `wanted` fields (Tardis quotes nothing); returns how many were found. A plain loop:
// fields are short, and a memchr call per field costs more than it saves.
std::size_t split(std::string_view line, fields_t& out, std::size_t wanted) {
  std::size_t n = 0;
  const char* p = line.data();
  const char* const end = p + line.size();
  const char* start = p;
  for (; p != end; ++p)
    if (*p == ',') {
      out[n++] = std::string_view{start, static_cast<std::size_t>(p - start)};
      if (n == wanted)
        return n;
      start = p + 1;
    }
  if (n < wanted)
    out[n++] = std::string_view{start, static_cast<std::size_t>(end - start)};
  return n;
}

// Reads field `column` of a split row as T; the reason when it is empty or not a (finite) number.
template <class T>
std::optional<skip_reason> number(const fields_t& f, std::size_t found, int column, T& out) {
  if (column < 0 || static_cast<std::size_t>(column) >= found || f[column].empty())
    return skip_reason::missing_field;
  const auto text = f[column];
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc{} || ptr != text.data() + text.size())
    return skip_reason::not_a_number;
  if constexpr (std::is_floating_point_v<T>)
    if (!std::isfinite(out))
      return skip_reason::not_a_number;
  return std::nullopt;
}

// A required non-empty text field.
std::optional<skip_reason> text(const fields_t& f, std::size_t found, int column, std::string_view& out) {
  if (column < 0 || static_cast<std::size_t>(column) >= found || f[column].empty())
    return skip_reason::missing_field;
  out = f[column];
  return std::nullopt;
}

} // namespace

template <std::size_t N>
column_map map_columns(std::string_view header, const std::array<std::string_view, N>& names, std::size_t required) {
  static_assert(N <= 16, "column_map holds 16 columns");
  column_map map;
  map.index.fill(-1);
  fields_t f;
  const auto found = split(header, f, max_fields);
  for (std::size_t i = 0; i < found; ++i) {
    auto name = f[i];
    if (i == 0 && name.size() >= 3 && name.substr(0, 3) == "\xEF\xBB\xBF")   // a UTF-8 byte order mark
      name.remove_prefix(3);
    for (std::size_t k = 0; k < N; ++k)
      if (name == names[k] && map.index[k] < 0) {
        map.index[k] = static_cast<int>(i);
        map.fields = std::max(map.fields, i + 1);
      }
  }
  for (std::size_t k = 0; k < required; ++k)
    if (map.index[k] < 0) {
      map.missing = std::string{names[k]};
      break;
    }
  return map;
}

template column_map map_columns(std::string_view, const std::array<std::string_view, 8>&, std::size_t);
template column_map map_columns(std::string_view, const std::array<std::string_view, 5>&, std::size_t);

std::optional<skip_reason> read_option_row(std::string_view line, const column_map& map, option_tick& out) {
  using c = option_columns;
  fields_t f;
  const auto n = split(line, f, map.fields);
  const auto& i = map.index;
  std::string_view type;
  // Checked in the order of option_columns::names, so a row with several problems reports the first.
  if (auto r = text(f, n, i[c::symbol], out.symbol))
    return r;
  if (auto r = number(f, n, i[c::timestamp], out.time_us))
    return r;
  if (auto r = text(f, n, i[c::type], type))
    return r;
  if (type == "call")
    out.type = quant::option_type::call;
  else if (type == "put")
    out.type = quant::option_type::put;
  else
    return skip_reason::unknown_type;
  if (auto r = number(f, n, i[c::strike_price], out.strike))
    return r;
  if (auto r = number(f, n, i[c::expiration], out.expiration_us))
    return r;
  for (auto [column, into] : {std::pair{c::mark_price, &out.mark_price}, std::pair{c::mark_iv, &out.mark_iv},
                              std::pair{c::underlying_price, &out.underlying_price}})
    if (auto r = number(f, n, i[column], *into))
      return r;
  return std::nullopt;
}

std::optional<skip_reason> read_future_row(std::string_view line, const column_map& map, future_tick& out) {
  using c = future_columns;
  fields_t f;
  const auto n = split(line, f, map.fields);
  const auto& i = map.index;
  if (auto r = text(f, n, i[c::symbol], out.symbol))
    return r;
  if (auto r = number(f, n, i[c::timestamp], out.time_us))
    return r;
  if (auto r = number(f, n, i[c::mark_price], out.mark_price))
    return r;
  if (auto r = number(f, n, i[c::index_price], out.index_price))
    return r;
  out.funding_rate.reset();
  const int fr = i[c::funding_rate];
  if (fr >= 0 && static_cast<std::size_t>(fr) < n && !f[fr].empty()) {
    double rate = 0;
    if (auto r = number(f, n, fr, rate))
      return r;
    out.funding_rate = rate;
  }
  return std::nullopt;
}

} // namespace derivcache::backfill
