// Tardis CSV rows: header mapping, field splitting, numbers with std::from_chars, the skip reasons.
#include "backfill/tardis_csv.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

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

// A field as a pointer and a size, left uninitialised until split sets it: an array of string_view would be
// zeroed on every row (1 KiB of memset per row).
struct field {
  const char* data;
  std::size_t size;
  bool empty() const { return size == 0; }
  operator std::string_view() const { return {data, size}; }
};
struct fields_t {
  field f[max_fields];
  field& operator[](std::size_t i) { return f[i]; }
  const field& operator[](std::size_t i) const { return f[i]; }
};

// Splits at commas into at most `wanted` fields (Tardis quotes nothing); returns how many were found. Eight bytes
// at a time: a word's commas are found with one subtract-and-mask (then checked, since the trick can also flag a
// '-' right after a comma).
std::size_t split(std::string_view line, fields_t& out, std::size_t wanted) {
  constexpr std::uint64_t commas = 0x2C2C2C2C2C2C2C2Cull, ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  std::size_t n = 0;
  const char* p = line.data();
  const char* const end = p + line.size();
  const char* start = p;
  auto cut = [&](const char* comma) {
    out[n++] = field{start, static_cast<std::size_t>(comma - start)};
    start = comma + 1;
    return n == wanted;
  };
  for (; end - p >= 8; p += 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    const std::uint64_t x = word ^ commas;
    for (std::uint64_t hits = (x - ones) & ~x & highs; hits != 0; hits &= hits - 1) {
      const char* c = p + (__builtin_ctzll(hits) >> 3);
      if (*c == ',' && cut(c))
        return n;
    }
  }
  for (; p != end; ++p)
    if (*p == ',' && cut(p))
      return n;
  if (n < wanted)
    out[n++] = field{start, static_cast<std::size_t>(end - start)};
  return n;
}

// Powers of ten a double holds exactly.
constexpr double exact_powers[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// "123.456" with at most 15 digits, no exponent: digits / 10^k is then one correctly rounded division of two exact
// doubles, the value from_chars gives (Clinger's fast path). Anything else: nothing, and from_chars decides.
std::optional<double> fast_decimal(std::string_view t) {
  const char* p = t.data();
  const char* const end = p + t.size();
  const bool negative = p != end && *p == '-';
  p += negative;
  std::uint64_t digits = 0;
  int count = 0, decimals = 0;
  bool point = false;
  for (; p != end; ++p) {
    if (*p >= '0' && *p <= '9') {
      digits = digits * 10 + static_cast<unsigned>(*p - '0');
      decimals += point;
      if (++count > 15)
        return std::nullopt;
    } else if (*p == '.' && !point) {
      point = true;
    } else {
      return std::nullopt;
    }
  }
  if (count == 0)
    return std::nullopt;
  const double value = static_cast<double>(digits) / exact_powers[decimals];
  return negative ? -value : value;
}

// Reads field `column` of a split row as T; the reason when it is empty or not a (finite) number.
template <class T>
std::optional<skip_reason> number(const fields_t& f, std::size_t found, int column, T& out) {
  if (column < 0 || static_cast<std::size_t>(column) >= found || f[column].empty())
    return skip_reason::missing_field;
  const std::string_view text = f[column];
  if constexpr (std::is_floating_point_v<T>) {
    if (auto fast = fast_decimal(text)) {
      out = *fast;
      return std::nullopt;
    }
  } else if (text.size() <= 18) {
    // Up to 18 digits cannot overflow an int64: the timestamps (16 digits of µs) take this path.
    std::int64_t value = 0;
    for (char c : text) {
      if (c < '0' || c > '9')
        return skip_reason::not_a_number;
      value = value * 10 + (c - '0');
    }
    out = value;
    return std::nullopt;
  }
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
  fields_t f;   // split sets the fields it reports
  const auto found = split(header, f, max_fields);
  for (std::size_t i = 0; i < found; ++i) {
    std::string_view name = f[i];
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
  fields_t f;   // split sets the fields it reports
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
  fields_t f;   // split sets the fields it reports
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
