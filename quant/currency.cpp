// The currencies derivcache follows.
#include "quant/currency.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace derivcache::quant {

namespace {

const std::array<currency_spec, 3>& known() {
  static const std::array<currency_spec, 3> specs = {{
    {"BTC", "BTC", "btc_usd", false, true},
    {"ETH", "ETH", "eth_usd", false, true},
    {"SOL", "USDC", "sol_usdc", true, false},   // Deribit lists no SOL DVOL
  }};
  return specs;
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

} // namespace

std::optional<currency_spec> find_currency(std::string_view name) {
  for (const auto& spec : known())
    if (spec.name == name)
      return spec;
  return std::nullopt;
}

std::string supported_currencies() {
  std::string out;
  for (const auto& spec : known())
    out += (out.empty() ? "" : ", ") + spec.name;
  return out;
}

std::string row_base(const std::string& instrument_name, const std::string& base_currency) {
  if (!base_currency.empty())
    return base_currency;
  return instrument_name.substr(0, instrument_name.find_first_of("-_"));
}

std::string base_currency(const std::string& symbol) {
  const auto s = upper(symbol);
  static constexpr std::array<std::string_view, 5> quotes{"FDUSD", "USDT", "USDC", "BUSD", "USD"};
  for (auto q : quotes)
    if (s.size() > q.size() && std::string_view{s}.substr(s.size() - q.size()) == q)
      return s.substr(0, s.size() - q.size());
  return s;
}

std::string symbol_currency(const std::string& symbol, const std::map<std::string, std::string>& overrides) {
  const auto key = upper(symbol);
  for (const auto& [sym, currency] : overrides)
    if (upper(sym) == key)
      return upper(currency);
  return base_currency(key);
}

} // namespace derivcache::quant
