// The DOM row decoders of codec/deribit.cpp as they were before the streaming decoder (commit 6139000), unchanged
// but for the namespace: the reference the differential tests and the fuzzer compare the streaming decoder with.
#include "tests/codec/deribit_dom_reference.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <utility>

namespace derivcache::codec::dom_reference {

namespace {

namespace json = boost::json;

// Small bodies (errors, index price) fit in these; the 435 KB chain grows the resource once or twice.
constexpr std::size_t parse_stack_size = 1024;
constexpr std::size_t value_stack_size = 8192;

/// A parsed body whose values live in a monotonic arena on the caller's stack.
class document {
public:
  /// Parses `body`; on failure `value()` is null and `error()` says why.
  explicit document(std::string_view body) : arena_(value_buffer_, sizeof value_buffer_), value_(&arena_) {
    json::parser parser{json::storage_ptr{}, json::parse_options{}, parse_buffer_, sizeof parse_buffer_};
    parser.reset(&arena_);
    boost::system::error_code ec;
    auto consumed = parser.write(body.data(), body.size(), ec);
    if (ec) {
      error_ = "not JSON: " + ec.message() + " at offset " + std::to_string(consumed);
      return;
    }
    value_ = parser.release();   // same arena: a move, not a copy
  }

  document(const document&) = delete;
  document& operator=(const document&) = delete;

  const json::value& value() const { return value_; }
  const std::string& error() const { return error_; }

private:
  unsigned char parse_buffer_[parse_stack_size];
  alignas(std::max_align_t) unsigned char value_buffer_[value_stack_size];
  json::monotonic_resource arena_;
  json::value value_;
  std::string error_;
};

std::string to_string(json::string_view s) { return std::string{s.data(), s.size()}; }

std::optional<rpc_error> rpc_error_of(const json::value& body) {
  const auto* envelope = body.if_object();
  if (!envelope)
    return std::nullopt;
  const auto* error = envelope->if_contains("error");
  if (!error || !error->is_object())
    return std::nullopt;
  const auto& fields = error->get_object();
  rpc_error out;
  if (const auto* code = fields.if_contains("code")) {
    if (const auto* i = code->if_int64())
      out.code = *i;
  }
  if (const auto* message = fields.if_contains("message")) {
    if (const auto* s = message->if_string())
      out.message = to_string(*s);
  }
  if (const auto* data = fields.if_contains("data"); data && data->is_object()) {
    if (const auto* reason = data->get_object().if_contains("reason")) {
      if (const auto* s = reason->if_string())
        out.reason = to_string(*s);
    }
  }
  return out;
}

/// Where the `result` of a body is, or why there is none.
struct envelope {
  const json::value* result = nullptr;
  std::optional<rpc_error> error_reply;
  std::string fatal;
};

// `bare_key` names a field that marks a bare result object (get_index_price); empty for arrays.
envelope open_envelope(const document& doc, std::string_view bare_key) {
  envelope out;
  if (!doc.error().empty()) {
    out.fatal = doc.error();
    return out;
  }
  const auto& body = doc.value();
  if (body.is_array()) {
    out.result = &body;
    return out;
  }
  if (auto error = rpc_error_of(body)) {
    out.error_reply = std::move(error);
    return out;
  }
  if (const auto* object = body.if_object()) {
    if (const auto* result = object->if_contains("result"))
      out.result = result;
    else if (!bare_key.empty() && object->contains(bare_key))
      out.result = &body;
  }
  if (!out.result)
    out.fatal = R"(no "result" in response)";
  return out;
}

/// Reads the fields of one row; the first problem is kept as `error()` ("mark_price is missing").
class row_reader {
public:
  explicit row_reader(const json::object& row) : row_(row) {}

  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }

  /// A required non-negative finite number.
  double non_negative(std::string_view key) {
    auto value = optional_non_negative(key);
    if (!value && !failed())
      fail(key, "is missing");
    return value.value_or(0.0);
  }

  /// A non-negative finite number; absent or null gives nullopt.
  std::optional<double> optional_non_negative(std::string_view key) {
    auto value = optional_signed(key);
    if (value && *value < 0) {
      fail(key, "is negative");
      return std::nullopt;
    }
    return value;
  }

  /// A finite number that may be negative (a rate); absent or null gives nullopt.
  std::optional<double> optional_signed(std::string_view key) {
    const auto* field = present(key);
    if (!field)
      return std::nullopt;
    double number = 0;
    if (const auto* d = field->if_double())
      number = *d;
    else if (const auto* i = field->if_int64())
      number = static_cast<double>(*i);
    else if (const auto* u = field->if_uint64())
      number = static_cast<double>(*u);
    else
      fail(key, "is not a number");
    if (!failed() && !std::isfinite(number))
      fail(key, "is not finite");
    if (failed())
      return std::nullopt;
    return number;
  }

  /// A required integer count of ms since the epoch (a double with an integral value is accepted).
  quant::timestamp time_ms(std::string_view key) {
    const auto* field = present(key);
    if (!field) {
      fail(key, "is missing");
      return {};
    }
    if (const auto* i = field->if_int64())
      return quant::from_unix_ms(*i);
    // 2^63 as a double: the first value that no longer fits an int64.
    constexpr double int64_limit = 9223372036854775808.0;
    const auto* d = field->if_double();
    if (d && std::trunc(*d) == *d && *d >= -int64_limit && *d < int64_limit)
      return quant::from_unix_ms(static_cast<int64_t>(*d));
    fail(key, "is not an integer");
    return {};
  }

  /// A required string.
  std::string text(std::string_view key) {
    auto value = optional_text(key);
    if (!value && !failed())
      fail(key, "is missing");
    return value ? std::move(*value) : std::string{};
  }

  /// A string; absent or null gives nullopt.
  std::optional<std::string> optional_text(std::string_view key) {
    const auto* field = present(key);
    if (!field)
      return std::nullopt;
    if (const auto* s = field->if_string())
      return to_string(*s);
    fail(key, "is not a string");
    return std::nullopt;
  }

private:
  // Null counts as absent: Deribit writes null for fields it has no value for.
  const json::value* present(std::string_view key) const {
    const auto* field = row_.if_contains(key);
    return field && !field->is_null() ? field : nullptr;
  }

  void fail(std::string_view key, const char* what) {
    if (failed())
      return;
    error_.append(key.data(), key.size()).append(" ").append(what);
  }

  const json::object& row_;
  std::string error_;
};

quant::option_summary read_option(row_reader& r) {
  quant::option_summary row;
  row.instrument_name = r.text("instrument_name");
  row.base_currency = r.optional_text("base_currency").value_or(std::string{});
  row.mark_iv = r.optional_non_negative("mark_iv");
  row.underlying_price = r.non_negative("underlying_price");
  row.estimated_delivery_price = r.optional_non_negative("estimated_delivery_price");
  row.creation_time = r.time_ms("creation_timestamp");
  row.mark_price = r.optional_non_negative("mark_price");
  return row;
}

quant::future_summary read_future(row_reader& r) {
  quant::future_summary row;
  row.instrument_name = r.text("instrument_name");
  row.base_currency = r.optional_text("base_currency").value_or(std::string{});
  row.mark_price = r.non_negative("mark_price");
  row.estimated_delivery_price = r.non_negative("estimated_delivery_price");
  row.creation_time = r.time_ms("creation_timestamp");
  row.funding_8h = r.optional_signed("funding_8h");
  return row;
}

quant::instrument_info read_instrument(row_reader& r) {
  quant::instrument_info row;
  row.instrument_name = r.text("instrument_name");
  row.kind = r.text("kind");
  row.expiration_time = r.time_ms("expiration_timestamp");
  row.base_currency = r.optional_text("base_currency").value_or(std::string{});
  row.settlement_period = r.optional_text("settlement_period").value_or(std::string{});
  row.strike = r.optional_non_negative("strike");
  return row;
}

template <class Row, class ReadRow>
decoded_rows<Row> decode_rows(std::string_view body, std::string_view label, ReadRow read_row) {
  decoded_rows<Row> out;
  document doc{body};
  auto env = open_envelope(doc, {});
  if (env.error_reply || !env.fatal.empty()) {
    out.error_reply = std::move(env.error_reply);
    out.fatal = std::move(env.fatal);
    return out;
  }
  const auto* rows = env.result->if_array();
  if (!rows) {
    out.fatal = R"("result" is not an array)";
    return out;
  }
  out.rows.reserve(rows->size());
  auto row_error = [&](std::size_t index, std::string_view what) {
    std::string text{label};
    text.append(" row ").append(std::to_string(index)).append(": ").append(what);
    out.row_errors.push_back(std::move(text));
  };
  for (std::size_t i = 0; i < rows->size(); ++i) {
    const auto* object = (*rows)[i].if_object();
    if (!object) {
      row_error(i, "row is not an object");
      continue;
    }
    row_reader reader{*object};
    auto row = read_row(reader);
    if (reader.failed())
      row_error(i, reader.error());
    else
      out.rows.push_back(std::move(row));
  }
  return out;
}

} // namespace

decoded_rows<quant::option_summary> decode_option_summaries(std::string_view body) {
  auto out = decode_rows<quant::option_summary>(body, "options", read_option);
  out.rows_without_mark_iv = static_cast<std::size_t>(
    std::count_if(out.rows.begin(), out.rows.end(), [](const auto& row) { return !row.mark_iv; }));
  return out;
}

decoded_rows<quant::future_summary> decode_future_summaries(std::string_view body) {
  return decode_rows<quant::future_summary>(body, "futures", read_future);
}

decoded_rows<quant::instrument_info> decode_instruments(std::string_view body) {
  return decode_rows<quant::instrument_info>(body, "instruments", read_instrument);
}

} // namespace derivcache::codec::dom_reference
