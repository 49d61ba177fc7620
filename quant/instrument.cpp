// Deribit instrument names: parsing, expiries and the quarterly rule.
#include "quant/instrument.hpp"

#include "quant/enum_names.hpp"

#include <array>
#include <charconv>

namespace derivcache::quant {

namespace {

constexpr std::array<std::string_view, 12> month_codes = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};

struct civil_date {
  int year;
  unsigned month;
  unsigned day;
};

// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian, days since 1970-01-01).
int64_t days_from_civil(int y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

civil_date civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<int>(static_cast<int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0)), m, d};
}

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(int y, unsigned m) {
  constexpr std::array<unsigned, 12> len = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

// ASCII only (names are ASCII; no locale lookups on the hot path).
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }

bool all_digits(std::string_view s) {
  for (char c : s)
    if (!is_digit(c))
      return false;
  return !s.empty();
}

bool all_upper_alnum(std::string_view s) {
  for (char c : s)
    if (!is_upper(c) && !is_digit(c))
      return false;
  return !s.empty();
}

// The value of a run of digits (all_digits checked).
template <class Int>
Int digits_value(std::string_view digits) {
  Int value = 0;
  std::from_chars(digits.data(), digits.data() + digits.size(), value);
  return value;
}

// A name's '-' separated parts; `count` is how many there are (up to 5: five means "more than four").
struct name_split {
  std::array<std::string_view, 4> part;
  std::size_t count = 0;
};

name_split split_name(std::string_view s) {
  name_split out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i < s.size() && s[i] != '-')
      continue;
    if (out.count == out.part.size())
      return {out.part, out.part.size() + 1};
    out.part[out.count++] = s.substr(start, i - start);
    start = i + 1;
  }
  return out;
}

// "27MAR26" -> 2026-03-27 08:00 UTC; the day is not zero-padded by Deribit ("3APR26").
std::optional<timestamp> parse_expiry_code(std::string_view code, std::string& error) {
  if (code.size() < 6 || code.size() > 7) {
    error = "expiry '" + std::string{code} + "' is not DMMMYY";
    return std::nullopt;
  }
  auto day_part = code.substr(0, code.size() - 5);
  auto month_part = code.substr(code.size() - 5, 3);
  auto year_part = code.substr(code.size() - 2);
  if (!all_digits(day_part) || !all_digits(year_part)) {
    error = "expiry '" + std::string{code} + "' is not DMMMYY";
    return std::nullopt;
  }
  unsigned month = 0;
  for (unsigned i = 0; i < month_codes.size(); ++i)
    if (month_codes[i] == month_part)
      month = i + 1;
  if (month == 0) {
    error = "expiry '" + std::string{code} + "' has an unknown month '" + std::string{month_part} + "'";
    return std::nullopt;
  }
  const int year = 2000 + digits_value<int>(year_part);
  const auto day = digits_value<unsigned>(day_part);
  if (day == 0 || day > days_in_month(year, month)) {
    error = "expiry '" + std::string{code} + "' has no such day";
    return std::nullopt;
  }
  return expiry_at(year, month, day);
}

// "60000" -> 60000, "1d25" -> 1.25 (Deribit writes the decimal point as 'd').
std::optional<double> parse_strike(std::string_view text) {
  auto d = text.find('d');
  auto int_part = text.substr(0, d);
  auto frac_part = d == std::string_view::npos ? std::string_view{} : text.substr(d + 1);
  if (!all_digits(int_part) || (d != std::string_view::npos && !all_digits(frac_part)))
    return std::nullopt;
  double value = 0;
  if (frac_part.empty() && int_part.size() <= 15) {
    value = static_cast<double>(digits_value<uint64_t>(int_part));   // exact: fewer than 16 digits
  } else if (frac_part.empty()) {
    std::from_chars(int_part.data(), int_part.data() + int_part.size(), value);
  } else {
    const std::string decimal = std::string{int_part} + "." + std::string{frac_part};
    std::from_chars(decimal.data(), decimal.data() + decimal.size(), value);
  }
  if (!(value > 0))
    return std::nullopt;
  return value;
}

constexpr name_table<instrument_kind, 3> kind_names{
  {{instrument_kind::future, "future"}, {instrument_kind::perpetual, "perpetual"}, {instrument_kind::option, "option"}}};

} // namespace

std::string to_string(instrument_kind x) { return name_of(kind_names, x); }

std::string to_string(option_type x) { return x == option_type::call ? "call" : "put"; }

timestamp expiry_at(int year, unsigned month, unsigned day) {
  using namespace std::chrono;
  return timestamp{duration_cast<milliseconds>(hours{24 * days_from_civil(year, month, day) + 8})};
}

bool is_quarterly(timestamp expiry) {
  const int64_t days_since_epoch = to_unix_ms(expiry) / 86'400'000;
  const auto date = civil_from_days(days_since_epoch);
  const bool quarter_month = date.month % 3 == 0;
  const bool friday = (days_since_epoch % 7 + 7 + 4) % 7 == 5;   // 0 = Sunday; 1970-01-01 was a Thursday
  const bool last_of_month = date.day + 7 > days_in_month(date.year, date.month);
  return quarter_month && friday && last_of_month;
}

namespace {

// A name's fields, as views into it; `error` says what is wrong when there are none.
struct name_fields {
  std::string_view underlying;
  std::string_view base;
  bool linear = false;
  instrument_kind kind = instrument_kind::future;
  std::string_view expiry_code;
  timestamp expiry{};
  double strike = 0;
  option_type type = option_type::call;
};

// Fills `x` and returns true, or sets `error` and returns false. (Filled in place: returning the struct in an optional
// costs more than the parsing on a 1,000-name chain.)
bool parse_fields(std::string_view name, name_fields& x, std::string& error) {
  auto fail = [&](const std::string& what) {
    error = "instrument '" + std::string{name} + "': " + what;
    return false;
  };
  const auto parts = split_name(name);
  if (parts.count != 2 && parts.count != 4)
    return fail("expected UNDERLYING-EXPIRY, UNDERLYING-PERPETUAL or UNDERLYING-EXPIRY-STRIKE-C|P");
  x.underlying = parts.part[0];
  auto underscore = x.underlying.find('_');
  x.base = x.underlying.substr(0, underscore);
  x.linear = underscore != std::string_view::npos;
  if (!all_upper_alnum(x.base) || (x.linear && !all_upper_alnum(x.underlying.substr(underscore + 1))))
    return fail("underlying '" + std::string{x.underlying} + "' is not of the form BTC or SOL_USDC");
  if (parts.count == 2 && parts.part[1] == "PERPETUAL") {
    x.kind = instrument_kind::perpetual;
    return true;
  }
  std::string expiry_error;
  auto expiry = parse_expiry_code(parts.part[1], expiry_error);
  if (!expiry)
    return fail(expiry_error);
  x.expiry_code = parts.part[1];
  x.expiry = *expiry;
  if (parts.count == 2)
    return true;
  auto strike = parse_strike(parts.part[2]);
  if (!strike)
    return fail("strike '" + std::string{parts.part[2]} + "' is not a positive number (decimal point written as d)");
  if (parts.part[3] != "C" && parts.part[3] != "P")
    return fail("option type '" + std::string{parts.part[3]} + "' is not C or P");
  x.kind = instrument_kind::option;
  x.strike = *strike;
  x.type = parts.part[3] == "C" ? option_type::call : option_type::put;
  return true;
}

} // namespace

instrument_parse parse_instrument(std::string_view name) {
  instrument_parse out;
  name_fields f;
  if (!parse_fields(name, f, out.error))
    return out;
  const auto* fields = &f;
  auto& x = out.value.emplace();
  x.name = std::string{name};
  x.underlying = std::string{fields->underlying};
  x.base = std::string{fields->base};
  x.linear = fields->linear;
  x.kind = fields->kind;
  x.expiry_code = std::string{fields->expiry_code};
  x.expiry = fields->expiry;
  x.strike = fields->strike;
  x.type = fields->type;
  return out;
}

std::optional<option_key> parse_option_key(std::string_view name) {
  std::string error;
  name_fields f;
  if (!parse_fields(name, f, error) || f.kind != instrument_kind::option)
    return std::nullopt;
  const auto* fields = &f;
  option_key key;
  key.label_size = fields->underlying.size() + 1 + fields->expiry_code.size();
  key.expiry = fields->expiry;
  key.strike = fields->strike;
  key.type = fields->type;
  key.linear = fields->linear;
  return key;
}

expiry_table::expiry_table(const std::vector<instrument_info>& rows) {
  for (const auto& row : rows)
    if (row.kind != "perpetual" && row.settlement_period != "perpetual")
      add(row.instrument_name, row.expiration_time);
}

std::optional<timestamp> expiry_table::find(std::string_view name) const {
  thread_local std::string key;   // reused: a lookup allocates nothing once the buffer has grown
  key.assign(name);
  if (auto i = by_name_.find(key); i != by_name_.end())
    return i->second;
  return std::nullopt;
}

bool expiry_table::apply(instrument& x) const {
  if (x.kind == instrument_kind::perpetual)
    return false;
  auto listed = find(x.name);
  if (!listed || *listed == x.expiry)
    return false;
  x.expiry = *listed;
  return true;
}

} // namespace derivcache::quant
