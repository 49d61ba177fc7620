// Typed rows of Deribit's public REST payloads, as the codec produces them and quant consumes them.
#pragma once

#include "quant/time.hpp"

#include <cstddef>
#include <optional>
#include <string>

namespace derivcache::quant {

/// What every computation over a chain reports besides its values.
struct chain_reading {
  timestamp as_of{};                      ///< the snapshot time it was computed as of
  std::size_t skipped_rows = 0;           ///< rows not used: a name that does not parse, a missing or non-positive
                                          ///< value it needs (mark_iv, mark_price, underlying_price, prices)
  std::size_t expiry_disagreements = 0;   ///< names whose 08:00 UTC expiry the get_instruments table overrode
};

/// One row of `public/get_book_summary_by_currency?kind=future` (a dated future or a perpetual).
struct future_summary {
  std::string instrument_name;
  std::string base_currency;             ///< "BTC", "SOL"; empty when the payload lacks it
  double mark_price = 0;                 ///< USD (inverse) or USDC (linear)
  double estimated_delivery_price = 0;   ///< the index, as Deribit would deliver against it now
  timestamp creation_time{};             ///< snapshot time (`creation_timestamp`)
  std::optional<double> funding_8h;      ///< perpetuals only
};

/// One row of `public/get_book_summary_by_currency?kind=option`.
struct option_summary {
  std::string instrument_name;
  std::string base_currency;
  std::optional<double> mark_iv;                    ///< percent; absent in pre-2023 recordings
  double underlying_price = 0;                      ///< the expiry's forward used for the IV
  std::optional<double> estimated_delivery_price;
  timestamp creation_time{};
  std::optional<double> mark_price;                 ///< coin (inverse BTC, ETH) or USDC (linear SOL_USDC)
};

/// One row of `public/get_instruments`, kept for its authoritative expiry.
struct instrument_info {
  std::string instrument_name;
  std::string kind;                 ///< "future", "option", ...
  std::string base_currency;
  std::string settlement_period;    ///< "month", "week", "day", "perpetual"
  timestamp expiration_time{};
  std::optional<double> strike;
};

} // namespace derivcache::quant
