// Deribit JSON-RPC payloads -> typed quant records, with per-row errors. Never throws.
#pragma once

#include "quant/currency.hpp"
#include "quant/dvol.hpp"
#include "quant/records.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace derivcache::codec {

/// A JSON-RPC error object returned by Deribit (`{"error":{"code":10028,"message":...}}`).
struct rpc_error {
  int64_t code = 0;
  std::string message;
  std::string reason;   ///< `error.data.reason` when present
};

/// The rows that decoded, plus why the others were skipped. A payload that is not JSON,
/// is a JSON-RPC error, or has no result array is unusable as a whole (`ok()` is false).
template <class Row>
struct decoded_rows {
  std::vector<Row> rows;
  std::vector<std::string> row_errors;     ///< "options row 17: mark_iv is not a number"
  std::size_t rows_without_mark_iv = 0;    ///< options kept without mark_iv (unusable for skew)
  std::optional<rpc_error> error_reply;    ///< the body was a JSON-RPC error
  std::string fatal;                       ///< why the payload as a whole is unusable

  bool ok() const { return fatal.empty() && !error_reply; }
};

/// `public/get_book_summary_by_currency?kind=option`: a full response body or a bare `result` array.
decoded_rows<quant::option_summary> decode_option_summaries(std::string_view body);

/// `public/get_book_summary_by_currency?kind=future`: a full response body or a bare `result` array.
decoded_rows<quant::future_summary> decode_future_summaries(std::string_view body);

/// `public/get_instruments`: a full response body or a bare `result` array.
decoded_rows<quant::instrument_info> decode_instruments(std::string_view body);

/// `public/get_index_price` result.
struct index_price {
  double index_price = 0;
  double estimated_delivery_price = 0;
};
struct decoded_index_price {
  std::optional<index_price> value;
  std::optional<rpc_error> error_reply;
  std::string fatal;
};
decoded_index_price decode_index_price(std::string_view body);

/// `public/get_volatility_index_data` (DVOL candles `[ts, open, high, low, close]`): a full response body or
/// its bare `result` object. Unusable as a whole (`fatal` set, no value) when `data` is missing or empty, or
/// any candle is not five finite non-negative numbers with an integer `ts` ("candle 3: close is not a number").
struct decoded_dvol {
  std::optional<quant::dvol_reading> value;   ///< the newest candle (largest `ts`)
  std::optional<rpc_error> error_reply;
  std::string fatal;
};
decoded_dvol decode_volatility_index(std::string_view body);

/// The JSON-RPC error in a body, if the body is one (any HTTP status may carry it).
std::optional<rpc_error> decode_rpc_error(std::string_view body);

/// Deribit's rate-limit errors: 10028 too_many_requests (the session ends) and 10066 too_many_concurrent_requests.
bool is_rate_limit_code(int64_t rpc_code);

/// Whether a reply is a rate-limit answer: HTTP 429, or a JSON-RPC rate-limit error with any status. Error
/// bodies are small: a body over 64 KiB is not parsed (a chain is never an error).
bool is_rate_limit_reply(unsigned status, std::string_view body);

/// The request targets: "<prefix>/public/get_book_summary_by_currency?currency=BTC&kind=future" (kind:
/// future or option) and "<prefix>/public/get_instruments?currency=BTC&expired=false".
std::string book_summary_target(const std::string& prefix, const quant::currency_spec& c, const std::string& kind);
std::string instruments_target(const std::string& prefix, const quant::currency_spec& c);

/// "<prefix>/public/get_volatility_index_data?currency=BTC&start_timestamp=S&end_timestamp=E&resolution=60":
/// one-minute DVOL candles from `start` to `end` (Unix ms in the target).
std::string volatility_index_target(const std::string& prefix, const quant::currency_spec& c, quant::timestamp start,
                                    quant::timestamp end);

} // namespace derivcache::codec
