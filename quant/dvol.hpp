// Deribit's DVOL (its 30-day implied-volatility index) as derivcache reads it: the newest candle.
#pragma once

#include "quant/time.hpp"

#include <cstddef>

namespace derivcache::quant {

/// The newest candle of one `public/get_volatility_index_data` answer. Values are vol points (35.47 = 35.47 %).
struct dvol_reading {
  double close = 0;          ///< the newest candle's close: DVOL's latest value
  timestamp time{};          ///< that candle's start (its `ts`)
  std::size_t candles = 0;   ///< candles in the answer
};

} // namespace derivcache::quant
