// The currencies derivcache follows and how each maps onto Deribit's books.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace derivcache::quant {

/// How one followed currency is found on Deribit.
struct currency_spec {
  std::string name;              ///< "BTC", "ETH", "SOL"
  std::string deribit_currency;  ///< the `currency=` parameter: "BTC", "ETH", "USDC" (SOL is linear)
  std::string index_name;        ///< "btc_usd", "eth_usd", "sol_usdc"
  bool linear = false;           ///< quoted in USDC; quarterlies without a future use a synthetic forward
  bool has_dvol = false;         ///< Deribit publishes a DVOL index for it (`get_volatility_index_data`)
};

/// BTC, ETH and SOL; empty for anything else.
std::optional<currency_spec> find_currency(std::string_view name);

/// The names find_currency knows, for messages.
std::string supported_currencies();

/// The base coin of a row: its `base_currency` when given, else the name's prefix ("SOL_USDC-..." -> "SOL").
std::string row_base(const std::string& instrument_name, const std::string& base_currency);

/// The currency of a spot symbol: its base asset (BTCUSDT -> BTC; quote suffixes FDUSD, USDT, USDC,
/// BUSD, USD are stripped). Upper case. A symbol that is only a quote suffix is returned unchanged.
std::string base_currency(const std::string& symbol);

/// The currency of `symbol`: its override if any (keys and values in any case), else its base asset.
std::string symbol_currency(const std::string& symbol, const std::map<std::string, std::string>& overrides);

/// The rows of `rows` that belong to `currency` (Deribit's USDC book mixes SOL, XRP, ...).
template <class Row>
std::vector<Row> rows_for(const std::vector<Row>& rows, const currency_spec& currency) {
  std::vector<Row> out;
  for (const auto& row : rows)
    if (row_base(row.instrument_name, row.base_currency) == currency.name)
      out.push_back(row);
  return out;
}

} // namespace derivcache::quant
