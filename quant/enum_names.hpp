// Enum <-> text through one table per enum, so that to_string and parsing read the same list.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace derivcache::quant {

template <class Enum, std::size_t N>
using name_table = std::array<std::pair<Enum, const char*>, N>;

/// The table's text for `x`; `otherwise` for a value the table lacks (one cast from a wrong number).
template <class Enum, std::size_t N>
std::string name_of(const name_table<Enum, N>& table, Enum x, const char* otherwise = "?") {
  for (const auto& [value, name] : table)
    if (value == x)
      return name;
  return otherwise;
}

/// The value whose text is `text`, if one is.
template <class Enum, std::size_t N>
std::optional<Enum> value_of(const name_table<Enum, N>& table, std::string_view text) {
  for (const auto& [value, name] : table)
    if (text == name)
      return value;
  return std::nullopt;
}

} // namespace derivcache::quant
