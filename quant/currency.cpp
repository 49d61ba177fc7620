// The currencies derivcache follows.
#include "quant/currency.hpp"

#include <array>

namespace derivcache::quant {

namespace {

const std::array<currency_spec, 3>& known() {
  static const std::array<currency_spec, 3> specs = {{
    {"BTC", "BTC", "btc_usd", false},
    {"ETH", "ETH", "eth_usd", false},
    {"SOL", "USDC", "sol_usdc", true},
  }};
  return specs;
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

} // namespace derivcache::quant
