// Tardis.dev CSV datasets of Deribit (`options_chain`, `derivative_ticker`): columns found by the header, rows read
// into typed ticks without allocating, and the reasons a row is skipped.
#pragma once

#include "quant/instrument.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace derivcache::backfill {

/// Why a row was skipped (counted with its line number, never fatal).
enum class skip_reason : std::uint8_t {
  missing_field,      ///< a required field is empty, or the row has too few fields
  not_a_number,       ///< a number or timestamp field does not parse, or is not finite
  unknown_type,       ///< options: `type` is neither put nor call
  bad_symbol,         ///< the symbol is not an instrument of the file's kind (an option name, a future name)
  type_mismatch,      ///< options: `type` disagrees with the symbol's -P / -C
  out_of_order,       ///< its timestamp is more than the allowed disorder older than the newest row already read
};
constexpr std::size_t skip_reason_count = 6;
std::string to_string(skip_reason x);

/// Where each wanted column is in a file's header.
struct column_map {
  std::array<int, 16> index{};   ///< per wanted column: its position in a row, -1 when absent
  std::size_t fields = 0;        ///< fields a row is split into: up to the last wanted column
  std::string missing;           ///< the first required column the header lacks; empty when all are there
};

/// Maps `header` (a CSV header line) onto `names`, of which the first `required` must be present. Other columns
/// are ignored, in any order.
template <std::size_t N>
column_map map_columns(std::string_view header, const std::array<std::string_view, N>& names, std::size_t required);

/// The `options_chain` columns backfill reads: the first 8 are required.
struct option_columns {
  enum : std::size_t { symbol, timestamp, type, strike_price, expiration, mark_price, mark_iv, underlying_price };
  static constexpr std::array<std::string_view, 8> names{"symbol",     "timestamp",  "type",   "strike_price",
                                                         "expiration", "mark_price", "mark_iv", "underlying_price"};
  static constexpr std::size_t required = 8;
  static constexpr const char* file = "options_chain";
  static constexpr const char* a_file = "an options_chain";   ///< in messages: "an options_chain file needs ..."
};

/// The `derivative_ticker` columns backfill reads: the first 4 are required, funding_rate is optional.
struct future_columns {
  enum : std::size_t { symbol, timestamp, mark_price, index_price, funding_rate };
  static constexpr std::array<std::string_view, 5> names{"symbol", "timestamp", "mark_price", "index_price",
                                                         "funding_rate"};
  static constexpr std::size_t required = 4;
  static constexpr const char* file = "derivative_ticker";
  static constexpr const char* a_file = "a derivative_ticker";
};

/// One `options_chain` row: what the book summary's option rows carry (times in µs since the epoch, as Tardis).
struct option_tick {
  std::string_view symbol;
  std::int64_t time_us = 0;          ///< exchange `timestamp`
  quant::option_type type = quant::option_type::call;
  double strike = 0;
  std::int64_t expiration_us = 0;
  double mark_price = 0;             ///< coin (BTC, ETH) or USDC (SOL_USDC)
  double mark_iv = 0;                ///< percent
  double underlying_price = 0;       ///< the expiry's forward
};

/// One `derivative_ticker` row of a future or perpetual.
struct future_tick {
  std::string_view symbol;
  std::int64_t time_us = 0;
  double mark_price = 0;             ///< F
  double index_price = 0;            ///< S
  std::optional<double> funding_rate;   ///< Tardis maps Deribit's funding_8h here
};

/// Reads an `options_chain` row (columns by `map`); the reason when it is unusable. The symbol is not checked here.
std::optional<skip_reason> read_option_row(std::string_view line, const column_map& map, option_tick& out);

/// Reads a `derivative_ticker` row (columns by `map`); the reason when it is unusable.
std::optional<skip_reason> read_future_row(std::string_view line, const column_map& map, future_tick& out);

} // namespace derivcache::backfill
