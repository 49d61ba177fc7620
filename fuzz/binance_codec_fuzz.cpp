// libFuzzer target: arbitrary bytes as one Binance WebSocket frame; a broken promise (codec_promises.hpp)
// aborts the run with the input saved.
#include "fuzz/codec_promises.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  derivcache::fuzz::check_binance_frame(std::string_view{reinterpret_cast<const char*>(data), size});
  return 0;
}
