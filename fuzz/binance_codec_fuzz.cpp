// libFuzzer target: arbitrary bytes as one Binance WebSocket frame. The codec promises never to throw, to
// name the problem of an unusable frame, and to return only finite, non-negative prices and quantities.
#include "codec/binance.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <variant>

namespace {

using namespace derivcache;

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "binance_codec_fuzz: broken promise: %s\n", what);
    std::abort();
  }
}

bool non_negative(double x) { return std::isfinite(x) && x >= 0; }

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto frame = codec::decode_binance_frame(std::string_view{reinterpret_cast<const char*>(data), size});
  if (!frame.ok())
    return 0;
  if (const auto* t = std::get_if<codec::agg_trade>(&frame.event)) {
    require(!t->symbol.empty(), "aggTrade without a symbol");
    require(non_negative(t->price) && non_negative(t->quantity), "aggTrade with a negative or non-finite number");
    require(t->last_trade_id >= t->first_trade_id, "aggTrade with l < f");
  } else if (const auto* b = std::get_if<codec::book_ticker>(&frame.event)) {
    require(!b->symbol.empty(), "bookTicker without a symbol");
    require(non_negative(b->bid_price) && non_negative(b->bid_quantity) && non_negative(b->ask_price) &&
              non_negative(b->ask_quantity),
            "bookTicker with a negative or non-finite number");
  }
  return 0;
}
