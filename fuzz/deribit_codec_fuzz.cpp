// libFuzzer target: arbitrary bytes through every Deribit decoder. The codec promises never to throw and
// to return only finite, non-negative prices; a broken promise aborts the run with the input saved.
#include "codec/deribit.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

using namespace derivcache;

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "deribit_codec_fuzz: broken promise: %s\n", what);
    std::abort();
  }
}

bool non_negative(double x) { return std::isfinite(x) && x >= 0; }
bool non_negative(const std::optional<double>& x) { return !x || non_negative(*x); }

template <class Row>
void check_common(const codec::decoded_rows<Row>& out) {
  if (!out.ok())
    require(out.rows.empty() && out.row_errors.empty(), "rows next to a fatal error or an error reply");
  require(!(out.error_reply && !out.fatal.empty()), "both an error reply and a fatal error");
  for (const auto& e : out.row_errors)
    require(!e.empty(), "empty row error");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body{reinterpret_cast<const char*>(data), size};

  auto options = codec::decode_option_summaries(body);
  check_common(options);
  require(options.rows_without_mark_iv <= options.rows.size(), "more rows without mark_iv than rows");
  for (const auto& row : options.rows)
    require(non_negative(row.mark_iv) && non_negative(row.underlying_price) &&
              non_negative(row.estimated_delivery_price),
            "option row with a negative or non-finite number");

  auto futures = codec::decode_future_summaries(body);
  check_common(futures);
  for (const auto& row : futures.rows) {
    require(non_negative(row.mark_price) && non_negative(row.estimated_delivery_price),
            "future row with a negative or non-finite price");
    require(!row.funding_8h || std::isfinite(*row.funding_8h), "non-finite funding");
  }

  auto instruments = codec::decode_instruments(body);
  check_common(instruments);
  for (const auto& row : instruments.rows)
    require(non_negative(row.strike), "instrument with a negative or non-finite strike");

  auto index = codec::decode_index_price(body);
  require(!(index.value && (index.error_reply || !index.fatal.empty())), "index price next to an error");
  if (index.value)
    require(non_negative(index.value->index_price) && non_negative(index.value->estimated_delivery_price),
            "negative or non-finite index price");

  auto error = codec::decode_rpc_error(body);
  require(error.has_value() == options.error_reply.has_value(), "decode_rpc_error disagrees with the row decoders");
  return 0;
}
