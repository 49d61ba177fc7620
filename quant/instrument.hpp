// Deribit instrument names: parsing, expiries (08:00 UTC) and the quarterly rule.
#pragma once

#include "quant/records.hpp"
#include "quant/time.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace derivcache::quant {

enum class instrument_kind : uint8_t { future, perpetual, option };
enum class option_type : uint8_t { call, put };

std::string to_string(instrument_kind x);
std::string to_string(option_type x);

/// A parsed instrument name such as `BTC-27MAR26-60000-C` or `SOL_USDC-26JUN26-1d25-P`.
struct instrument {
  std::string name;          ///< as given
  std::string underlying;    ///< name prefix: "BTC", "SOL_USDC"
  std::string base;          ///< base coin: "BTC", "SOL"
  bool linear = false;       ///< quoted in a stablecoin (`_USDC`, `_USDT`)
  instrument_kind kind = instrument_kind::future;
  std::string expiry_code;   ///< "27MAR26"; empty for a perpetual
  timestamp expiry{};        ///< 08:00 UTC on the expiry day; epoch for a perpetual
  double strike = 0;         ///< options only
  option_type type = option_type::call;

  /// "BTC-27MAR26": the expiry as it appears in names (futures: the whole name).
  std::string expiry_label() const { return underlying + "-" + expiry_code; }
};

/// A parsed instrument, or a message naming what is wrong with the name.
struct instrument_parse {
  std::optional<instrument> value;
  std::string error;
};

/// Parses a Deribit instrument name. Never guesses: anything off gives an error.
instrument_parse parse_instrument(std::string_view name);

/// An option name's fields that the chain computations read, parsed without copying.
struct option_key {
  std::size_t label_size = 0;   ///< the name's first `label_size` characters are its expiry label, "BTC-27MAR26"
  timestamp expiry{};       ///< 08:00 UTC on the expiry day
  double strike = 0;
  option_type type = option_type::call;
  bool linear = false;

  /// "BTC-27MAR26" of the name this key was parsed from.
  std::string_view label(std::string_view name) const { return name.substr(0, label_size); }
};

/// The option fields of a name, by the rules of parse_instrument; empty when the name is not a valid option name.
std::optional<option_key> parse_option_key(std::string_view name);

/// 08:00 UTC on the given civil date.
timestamp expiry_at(int year, unsigned month, unsigned day);

/// True for a Mar/Jun/Sep/Dec expiry on the last Friday of its month.
bool is_quarterly(timestamp expiry);

/// Expiries from `get_instruments`. Where an instrument is listed, its
/// `expiration_timestamp` wins over the 08:00 UTC rule applied to its name.
class expiry_table {
public:
  expiry_table() = default;
  explicit expiry_table(const std::vector<instrument_info>& rows);

  void add(const std::string& name, timestamp expiry) { by_name_[name] = expiry; }
  std::optional<timestamp> find(std::string_view name) const;
  std::size_t size() const { return by_name_.size(); }

  /// Applies the table to a parsed instrument; returns true when the table
  /// disagreed with the name (the table's expiry is kept).
  bool apply(instrument& x) const;

private:
  std::unordered_map<std::string, timestamp> by_name_;
};

} // namespace derivcache::quant
