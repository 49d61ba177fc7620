// The DOM side of the Deribit codec: a body parsed into an arena, its JSON-RPC error and where its `result` is.
// Used by codec/deribit.cpp for the small bodies (index price, DVOL, error replies) and by the tests' DOM
// reference decoders (tests/codec/deribit_dom_reference.cpp).
#pragma once

#include "codec/deribit.hpp"

#include <boost/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace derivcache::codec::dom {

namespace json = boost::json;

// Small bodies (errors, index price) fit in these; the 435 KB chain grows the resource once or twice.
inline constexpr std::size_t parse_stack_size = 1024;
inline constexpr std::size_t value_stack_size = 8192;

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

inline std::string to_string(json::string_view s) { return std::string{s.data(), s.size()}; }

inline std::optional<rpc_error> rpc_error_of(const json::value& body) {
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
inline envelope open_envelope(const document& doc, std::string_view bare_key) {
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

} // namespace derivcache::codec::dom
