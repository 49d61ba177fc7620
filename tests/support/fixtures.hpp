// Loads the real recorded payloads in tests/data into typed rows, through the codec.
#pragma once

#include "codec/deribit.hpp"
#include "support/read_file.hpp"

#include <stdexcept>
#include <string>
#include <vector>

namespace derivcache::test {

inline std::string data_path(const std::string& name) { return std::string{DERIVCACHE_TEST_DATA_DIR} + "/" + name; }

template <class Decode>
auto load_rows(const std::string& name, Decode decode) {
  auto decoded = decode(read_file(data_path(name)));
  if (!decoded.ok())
    throw std::runtime_error(name + ": " + decoded.fatal);
  return decoded.rows;
}

inline auto btc_chain_2026() {
  return load_rows("deribit_book_summary_option_btc_full_2026-03-13.json", codec::decode_option_summaries);
}

inline auto btc_futures_2025() {
  return load_rows("derived/deribit_book_summary_future_btc_2025-01-06.json", codec::decode_future_summaries);
}

/// `compute(btc_chain_2026(), {})` (compute_surface, compute_mfiv, ...), computed once: several tests pin one result.
template <class Result, class Params>
const Result& on_btc_chain_2026(Result (*compute)(const std::vector<quant::option_summary>&, const Params&)) {
  static const Result result = compute(btc_chain_2026(), {});   // one per computation: Result and Params name it
  return result;
}

/// The expiry labelled `label` ("BTC-3APR26") among `points` (a smile, MFIV's expiries), or null.
template <class Point>
const Point* find_expiry(const std::vector<Point>& points, const std::string& label) {
  for (const auto& p : points)
    if (p.expiry == label)
      return &p;
  return nullptr;
}

} // namespace derivcache::test
