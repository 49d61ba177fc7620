// The DOM row decoders that codec/deribit.cpp used before it streamed (deribit_dom_reference.cpp), and a check that
// the streaming decoders give the same results on a body. Used by tests/codec and the Deribit fuzzer.
#pragma once

#include "codec/deribit.hpp"

#include <cmath>
#include <cstring>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

namespace derivcache::codec::dom_reference {

decoded_rows<quant::option_summary> decode_option_summaries(std::string_view body);
decoded_rows<quant::future_summary> decode_future_summaries(std::string_view body);
decoded_rows<quant::instrument_info> decode_instruments(std::string_view body);

namespace detail {

// Bit-for-bit: -0.0 differs from 0.0 here.
inline bool same(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }
inline bool same(const std::optional<double>& a, const std::optional<double>& b) {
  return a.has_value() == b.has_value() && (!a || same(*a, *b));
}

inline bool same(const quant::option_summary& a, const quant::option_summary& b) {
  return a.instrument_name == b.instrument_name && a.base_currency == b.base_currency && same(a.mark_iv, b.mark_iv) &&
         same(a.underlying_price, b.underlying_price) && same(a.estimated_delivery_price, b.estimated_delivery_price) &&
         a.creation_time == b.creation_time && same(a.mark_price, b.mark_price);
}

inline bool same(const quant::future_summary& a, const quant::future_summary& b) {
  return a.instrument_name == b.instrument_name && a.base_currency == b.base_currency &&
         same(a.mark_price, b.mark_price) && same(a.estimated_delivery_price, b.estimated_delivery_price) &&
         a.creation_time == b.creation_time && same(a.funding_8h, b.funding_8h);
}

inline bool same(const quant::instrument_info& a, const quant::instrument_info& b) {
  return a.instrument_name == b.instrument_name && a.kind == b.kind && a.base_currency == b.base_currency &&
         a.settlement_period == b.settlement_period && a.expiration_time == b.expiration_time &&
         same(a.strike, b.strike);
}

inline std::string describe(const std::optional<rpc_error>& e) {
  if (!e)
    return "none";
  return std::to_string(e->code) + " '" + e->message + "' '" + e->reason + "'";
}

// The first difference between two results, empty when there is none.
template <class Row>
std::string difference(const char* what, const decoded_rows<Row>& streamed, const decoded_rows<Row>& dom) {
  std::ostringstream out;
  out << what << ": ";
  if (streamed.fatal != dom.fatal)
    out << "fatal '" << streamed.fatal << "' vs DOM '" << dom.fatal << "'";
  else if (describe(streamed.error_reply) != describe(dom.error_reply))
    out << "error reply " << describe(streamed.error_reply) << " vs DOM " << describe(dom.error_reply);
  else if (streamed.row_errors != dom.row_errors) {
    out << streamed.row_errors.size() << " row errors vs DOM " << dom.row_errors.size();
    for (std::size_t i = 0; i < streamed.row_errors.size() && i < dom.row_errors.size(); ++i)
      if (streamed.row_errors[i] != dom.row_errors[i]) {
        out << ", first different: '" << streamed.row_errors[i] << "' vs DOM '" << dom.row_errors[i] << "'";
        break;
      }
  } else if (streamed.rows.size() != dom.rows.size())
    out << streamed.rows.size() << " rows vs DOM " << dom.rows.size();
  else if (streamed.rows_without_mark_iv != dom.rows_without_mark_iv)
    out << "rows_without_mark_iv " << streamed.rows_without_mark_iv << " vs DOM " << dom.rows_without_mark_iv;
  else {
    for (std::size_t i = 0; i < streamed.rows.size(); ++i)
      if (!same(streamed.rows[i], dom.rows[i]))
        return out.str() + "row " + std::to_string(i) + " (" + dom.rows[i].instrument_name + ") differs";
    return {};
  }
  return out.str();
}

} // namespace detail

/// Where the streaming decoders (codec::decode_*) and the DOM reference disagree on `body`: empty when the rows,
/// row errors, rows without mark_iv, error reply and fatal message are the same for options, futures and
/// instruments.
inline std::string disagreement(std::string_view body) {
  auto d = detail::difference("options", codec::decode_option_summaries(body), decode_option_summaries(body));
  if (d.empty())
    d = detail::difference("futures", codec::decode_future_summaries(body), decode_future_summaries(body));
  if (d.empty())
    d = detail::difference("instruments", codec::decode_instruments(body), decode_instruments(body));
  return d;
}

} // namespace derivcache::codec::dom_reference
