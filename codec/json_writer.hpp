// A minimal streaming JSON writer: doubles in shortest round-trip form, strings escaped.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace derivcache::codec {

/// Appends JSON to a string. Callers keep keys and values in order; the writer adds commas.
class json_writer {
public:
  json_writer& begin_object() { return open('{'); }
  json_writer& end_object() { return close('}'); }
  json_writer& begin_array() { return open('['); }
  json_writer& end_array() { return close(']'); }

  json_writer& key(std::string_view k) {
    separate();
    quote(k);
    out_ += ':';
    after_key_ = true;
    return *this;
  }

  json_writer& value(std::string_view s) {
    separate();
    quote(s);
    return *this;
  }
  json_writer& value(const char* s) { return value(std::string_view{s}); }
  json_writer& value(const std::string& s) { return value(std::string_view{s}); }
  json_writer& value(bool b) {
    separate();
    out_ += b ? "true" : "false";
    return *this;
  }
  json_writer& value(int64_t x) {
    separate();
    out_ += std::to_string(x);
    return *this;
  }
  json_writer& value(int x) { return value(static_cast<int64_t>(x)); }
  json_writer& value(uint64_t x) {
    separate();
    out_ += std::to_string(x);
    return *this;
  }
  /// Shortest round-trip form; NaN and infinities (not JSON) become null.
  json_writer& value(double x) {
    separate();
    if (!std::isfinite(x)) {
      out_ += "null";
      return *this;
    }
    char buf[32];
    auto res = std::to_chars(buf, buf + sizeof buf, x);
    out_.append(buf, res.ptr);
    return *this;
  }
  template <class T>
  json_writer& value(const std::optional<T>& x) {
    return x ? value(*x) : null();
  }
  json_writer& null() {
    separate();
    out_ += "null";
    return *this;
  }

  /// Appends `json`, already serialized (a recorded frame, a client's request id), as the next value.
  json_writer& raw(std::string_view json) {
    separate();
    out_ += json;
    return *this;
  }

  template <class T>
  json_writer& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }

  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

private:
  json_writer& open(char c) {
    separate();
    out_ += c;
    first_ = true;
    return *this;
  }
  json_writer& close(char c) {
    out_ += c;
    first_ = false;
    return *this;
  }
  void separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!first_ && !out_.empty())
      out_ += ',';
    first_ = false;
  }
  void quote(std::string_view s) {
    out_ += '"';
    for (char c : s) {
      switch (c) {
        case '"': out_ += "\\\""; break;
        case '\\': out_ += "\\\\"; break;
        case '\n': out_ += "\\n"; break;
        case '\r': out_ += "\\r"; break;
        case '\t': out_ += "\\t"; break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            constexpr char hex[] = "0123456789abcdef";
            out_ += "\\u00";
            out_ += hex[(c >> 4) & 0xf];
            out_ += hex[c & 0xf];
          } else {
            out_ += c;
          }
      }
    }
    out_ += '"';
  }

  std::string out_;
  bool first_ = true;
  bool after_key_ = false;
};

} // namespace derivcache::codec
