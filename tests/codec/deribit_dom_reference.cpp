// The DOM row decoders of codec/deribit.cpp as they were before the streaming decoder (commit 6139000): the whole
// body parsed into a DOM (codec/deribit_dom.hpp), each row object's fields read by the codec's row rules
// (codec/deribit_rows.hpp, the texts of the old row_reader). The reference the differential tests and the fuzzer
// compare the streaming decoder with: what they check is the streaming (nesting, duplicate keys, keys and strings
// in parts, the envelope), not the field rules both share; tests/codec/deribit_test.cpp pins those texts.
#include "tests/codec/deribit_dom_reference.hpp"

#include "codec/deribit_dom.hpp"
#include "codec/deribit_rows.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <string>
#include <utility>

namespace derivcache::codec::dom_reference {

namespace {

using dom::document;
using dom::open_envelope;

template <class Rows>
decoded_rows<typename Rows::row_type> decode_rows(std::string_view body) {
  decoded_rows<typename Rows::row_type> out;
  document doc{body};
  auto env = open_envelope(doc, {});
  if (env.error_reply || !env.fatal.empty()) {
    out.error_reply = std::move(env.error_reply);
    out.fatal = std::move(env.fatal);
    return out;
  }
  const auto* items = env.result->if_array();
  if (!items) {
    out.fatal = R"("result" is not an array)";
    return out;
  }
  out.rows.reserve(items->size());
  auto row_error = [&](std::size_t index, std::string_view what) {
    std::string text{Rows::label};
    text.append(" row ").append(std::to_string(index)).append(": ").append(what);
    out.row_errors.push_back(std::move(text));
  };
  for (std::size_t i = 0; i < items->size(); ++i) {
    const auto* object = (*items)[i].if_object();
    if (!object) {
      row_error(i, "row is not an object");
      continue;
    }
    // The row's fields as the DOM holds them (a duplicate key: its last value), read by the codec's rules.
    std::array<rows::raw_field, Rows::keys.size()> raw;
    for (std::size_t k = 0; k < Rows::keys.size(); ++k)
      raw[k] = rows::raw_of(object->if_contains(Rows::keys[k]));
    rows::field_reader<Rows::keys.size()> reader{Rows::keys, raw};
    auto row = Rows::read(reader);
    if (reader.failed())
      row_error(i, reader.error());
    else
      out.rows.push_back(std::move(row));
  }
  return out;
}

} // namespace

decoded_rows<quant::option_summary> decode_option_summaries(std::string_view body) {
  auto out = decode_rows<rows::option_rows>(body);
  out.rows_without_mark_iv = static_cast<std::size_t>(
    std::count_if(out.rows.begin(), out.rows.end(), [](const auto& row) { return !row.mark_iv; }));
  return out;
}

decoded_rows<quant::future_summary> decode_future_summaries(std::string_view body) {
  return decode_rows<rows::future_rows>(body);
}

decoded_rows<quant::instrument_info> decode_instruments(std::string_view body) {
  return decode_rows<rows::instrument_rows>(body);
}

} // namespace derivcache::codec::dom_reference
