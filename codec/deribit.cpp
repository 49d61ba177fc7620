// Deribit JSON-RPC payloads -> typed quant records: one parse, per-row errors, no exceptions. Row bodies (book
// summaries, instruments) stream through a basic_parser handler; the small ones are parsed into a DOM.
#include "codec/deribit.hpp"
#include "codec/deribit_dom.hpp"
#include "codec/deribit_rows.hpp"

#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

namespace derivcache::codec {

namespace {

namespace json = boost::json;
using dom::document;
using dom::open_envelope;
using dom::rpc_error_of;
using rows::field_reader;
using rows::future_rows;
using rows::instrument_rows;
using rows::option_rows;
using rows::raw_field;
using rows::raw_of;

const char* const candle_fields[] = {"ts", "open", "high", "low", "close"};

// One candle `[ts, open, high, low, close]` (extra trailing values are ignored); empty when it is usable.
std::string read_candle(const json::value& v, quant::timestamp& time, double& close) {
  const auto* values = v.if_array();
  if (!values)
    return "is not an array";
  if (values->size() < 5)
    return "has " + std::to_string(values->size()) + " values, expected 5 (ts, open, high, low, close)";
  const auto& ts = (*values)[0];
  // 2^63 as a double: the first value that no longer fits an int64 (as field_reader::time_ms).
  constexpr double int64_limit = 9223372036854775808.0;
  const auto* d = ts.if_double();
  if (const auto* i = ts.if_int64())
    time = quant::from_unix_ms(*i);
  else if (d && std::trunc(*d) == *d && *d >= -int64_limit && *d < int64_limit)
    time = quant::from_unix_ms(static_cast<int64_t>(*d));
  else
    return "ts is not an integer";
  for (std::size_t i = 1; i < 5; ++i) {
    const auto& x = (*values)[i];
    if (!x.is_number())
      return std::string{candle_fields[i]} + " is not a number";
    const double number = x.to_number<double>();
    if (!std::isfinite(number))
      return std::string{candle_fields[i]} + " is not finite";
    if (number < 0)
      return std::string{candle_fields[i]} + " is negative";
    if (i == 4)
      close = number;
  }
  return {};
}

// Byte equality of two keys of the same length, inline (the keys are short; a memcmp call costs more).
bool same_bytes(const char* a, const char* b, std::size_t n) {
  for (; n >= 8; n -= 8, a += 8, b += 8) {
    std::uint64_t x = 0;
    std::uint64_t y = 0;
    std::memcpy(&x, a, 8);
    std::memcpy(&y, b, 8);
    if (x != y)
      return false;
  }
  for (; n > 0; --n)
    if (*a++ != *b++)
      return false;
  return true;
}

/// A basic_parser handler that decodes a row body as the DOM decoder did: the last `error` object of the top-level
/// object makes an error reply, else its last `result` (or a bare top-level array) holds the rows. Each row's
/// fields are kept raw until the row ends, then read in the reader's order; nested values are skipped.
template <class Rows>
class row_stream {
public:
  using row_type = typename Rows::row_type;
  using error_code = boost::system::error_code;
  using string_view = json::string_view;

  // The DOM parser's limits (json::parser's handler), so the same bodies fail.
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  /// `body_size` sizes the rows: a Deribit summary or instrument row takes 400 bytes or more.
  explicit row_stream(std::size_t body_size) {
    out_.rows.reserve(body_size / 400);
    by_length_.fill(-1);
    for (std::size_t i = n_fields; i-- > 0;) {
      const auto length = Rows::keys[i].size();
      assert(length < by_length_.size());
      next_same_length_[i] = by_length_[length];
      by_length_[length] = static_cast<std::int8_t>(i);
    }
  }

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) { return begin(true); }
  bool on_object_end(std::size_t, error_code&) { return end(); }
  bool on_array_begin(error_code&) { return begin(false); }
  bool on_array_end(std::size_t, error_code&) { return end(); }
  bool on_comment_part(string_view, error_code&) { return true; }
  bool on_comment(string_view, error_code&) { return true; }
  bool on_number_part(string_view, error_code&) { return true; }

  bool on_key_part(string_view s, std::size_t, error_code&) {
    if (skip_ == 0)
      key_part_.append(s.data(), s.size());
    return true;
  }

  bool on_key(string_view s, std::size_t, error_code&) {
    if (skip_ > 0)
      return true;
    std::string_view k{s.data(), s.size()};
    if (!key_part_.empty()) {
      key_part_.append(s.data(), s.size());
      k = key_part_;
    }
    if (in_row_)
      field_ = field_of(k);
    else
      key(k);
    key_part_.clear();
    return true;
  }

  bool on_string_part(string_view s, std::size_t, error_code&) {
    if (skip_ == 0)
      string_part_.append(s.data(), s.size());
    return true;
  }

  bool on_string(string_view s, std::size_t, error_code&) {
    std::string_view text{s.data(), s.size()};
    if (!string_part_.empty()) {
      string_part_.append(s.data(), s.size());
      text = string_part_;
    }
    if (field_) {
      field_->type = raw_field::kind::string;
      field_->text.assign(text.data(), text.size());
      field_ = nullptr;
    } else if (skip_ == 0 && !in_row_) {
      scalar_value v{raw_field::kind::string};
      v.text = text;
      scalar(v);
    }
    string_part_.clear();
    return true;
  }

  bool on_int64(std::int64_t i, string_view, error_code&) {
    number(raw_field::kind::int64, i, 0, 0);
    return true;
  }

  bool on_uint64(std::uint64_t u, string_view, error_code&) {
    number(raw_field::kind::uint64, 0, u, 0);
    return true;
  }

  bool on_double(double d, string_view, error_code&) {
    number(raw_field::kind::real, 0, 0, d);
    return true;
  }

  bool on_bool(bool, error_code&) {
    other_scalar(raw_field::kind::other);
    return true;
  }

  bool on_null(error_code&) {
    other_scalar(raw_field::kind::absent);
    return true;
  }

  /// The decoded body, once the parser has accepted all of it.
  decoded_rows<row_type> finish() {
    if (top_ == top::object && error_object_) {
      decoded_rows<row_type> reply;
      reply.error_reply = std::move(rpc_);
      return reply;
    }
    if (top_ == top::scalar || (top_ == top::object && !result_seen_))
      out_.fatal = R"(no "result" in response)";
    else if (top_ == top::object && !result_array_)
      out_.fatal = R"("result" is not an array)";
    if (!out_.fatal.empty()) {
      out_.rows.clear();
      out_.row_errors.clear();
    }
    return std::move(out_);
  }

private:
  // What an open container is to the decoder; anything else is skipped whole (`skip_` counts its depth).
  enum class frame : std::uint8_t { envelope, rows, row, error, error_data };
  enum class top : std::uint8_t { scalar, array, object };
  static constexpr std::size_t n_fields = Rows::keys.size();

  // A scalar outside a row's fields: only its kind, its int64 (an error code) and its text matter.
  struct scalar_value {
    explicit scalar_value(raw_field::kind t) : type(t) {}
    raw_field::kind type;
    std::int64_t int64 = 0;
    std::string_view text;
  };

  frame open() const { return frames_[depth_ - 1]; }

  void push(frame f) {
    assert(depth_ < frames_.size());
    frames_[depth_++] = f;
    in_row_ = f == frame::row;
  }

  raw_field* field_of(std::string_view k) {
    if (k.size() >= by_length_.size())
      return nullptr;
    for (int i = by_length_[k.size()]; i >= 0; i = next_same_length_[static_cast<std::size_t>(i)])
      if (same_bytes(Rows::keys[static_cast<std::size_t>(i)].data(), k.data(), k.size()))
        return &fields_[static_cast<std::size_t>(i)];
    return nullptr;
  }

  void other_scalar(raw_field::kind type) {
    if (field_) {
      field_->type = type;
      field_ = nullptr;
    } else if (skip_ == 0 && !in_row_) {
      scalar(scalar_value{type});
    }
  }

  // A key of the innermost open object outside a row: remembers what the next value is, and resets what that
  // value replaces (a later duplicate key wins, as in the DOM).
  void key(std::string_view k) {
    key_ = -1;
    switch (open()) {
      case frame::envelope:
        if (k == "result") {
          key_ = 0;
          result_seen_ = true;
          result_array_ = false;
          out_.rows.clear();
          out_.row_errors.clear();
          next_row_ = 0;
        } else if (k == "error") {
          key_ = 1;
          error_object_ = false;
          rpc_ = rpc_error{};
        }
        break;
      case frame::error:
        if (k == "code") {
          key_ = 0;
          rpc_.code = 0;
        } else if (k == "message") {
          key_ = 1;
          rpc_.message.clear();
        } else if (k == "data") {
          key_ = 2;
          rpc_.reason.clear();
        }
        break;
      case frame::error_data:
        if (k == "reason") {
          key_ = 0;
          rpc_.reason.clear();
        }
        break;
      case frame::rows:
      case frame::row:
        break;
    }
  }

  // A scalar outside a row's fields and outside skipped values.
  /// A number: into the row field being read, else (outside rows and skipped values) to scalar().
  void number(raw_field::kind type, std::int64_t i, std::uint64_t u, double d) {
    if (field_) {
      field_->type = type;
      field_->int64 = i;
      field_->uint64 = u;
      field_->real = d;
      field_ = nullptr;
    } else if (skip_ == 0 && !in_row_) {
      scalar_value v{type};
      v.int64 = i;
      scalar(v);
    }
  }

  void scalar(const scalar_value& v) {
    if (depth_ == 0)
      return;   // a top-level scalar: top_ stays scalar
    switch (open()) {
      case frame::rows:
        row_error(next_row_++, "row is not an object");
        break;
      case frame::error:
        if (key_ == 0 && v.type == raw_field::kind::int64)
          rpc_.code = v.int64;
        else if (key_ == 1 && v.type == raw_field::kind::string)
          rpc_.message.assign(v.text.data(), v.text.size());
        break;
      case frame::error_data:
        if (key_ == 0 && v.type == raw_field::kind::string)
          rpc_.reason.assign(v.text.data(), v.text.size());
        break;
      case frame::envelope:   // a scalar `result` or `error`: its key already said so
      case frame::row:        // a value of a key the row does not read
        break;
    }
  }

  bool begin(bool object) {
    if (skip_ > 0) {
      ++skip_;
      return true;
    }
    if (depth_ == 0) {
      top_ = object ? top::object : top::array;
      push(object ? frame::envelope : frame::rows);
      return true;
    }
    switch (open()) {
      case frame::envelope:
        if (key_ == 0 && !object) {
          result_array_ = true;
          push(frame::rows);
          return true;
        }
        if (key_ == 1 && object) {
          error_object_ = true;
          push(frame::error);
          return true;
        }
        break;
      case frame::rows:
        row_ = next_row_++;
        if (object) {
          for (auto& field : fields_)
            field.type = raw_field::kind::absent;
          push(frame::row);
          return true;
        }
        row_error(row_, "row is not an object");
        break;
      case frame::row:
        if (field_) {
          field_->type = raw_field::kind::other;
          field_ = nullptr;
        }
        break;
      case frame::error:
        if (key_ == 2 && object) {
          push(frame::error_data);
          return true;
        }
        break;
      case frame::error_data:
        break;
    }
    skip_ = 1;
    return true;
  }

  bool end() {
    if (skip_ > 0) {
      --skip_;
      return true;
    }
    const frame closed = frames_[--depth_];
    in_row_ = false;   // a row holds no open frame, and no frame holds a row but rows
    if (closed == frame::row)
      finish_row();
    return true;
  }

  void finish_row() {
    field_reader<n_fields> reader{Rows::keys, fields_};
    auto row = Rows::read(reader);
    if (reader.failed())
      row_error(row_, reader.error());
    else
      out_.rows.push_back(std::move(row));
  }

  void row_error(std::size_t index, std::string_view what) {
    std::string text{Rows::label};
    text.append(" row ").append(std::to_string(index)).append(": ").append(what);
    out_.row_errors.push_back(std::move(text));
  }

  // envelope -> rows -> row, or envelope -> error -> data: three frames at most.
  std::array<frame, 3> frames_{};
  std::size_t depth_ = 0;
  std::size_t skip_ = 0;
  bool in_row_ = false;          // the innermost open frame is a row
  raw_field* field_ = nullptr;   // the row field the next value goes to (its key is one the row reads)
  int key_ = -1;                 // outside rows: the innermost object's current key, as key() numbered it
  top top_ = top::scalar;
  bool result_seen_ = false;
  bool result_array_ = false;
  bool error_object_ = false;
  rpc_error rpc_;
  std::size_t next_row_ = 0;   // index of the next element of the rows array
  std::size_t row_ = 0;        // index of the open row
  std::array<std::int8_t, 32> by_length_{};               // the first field whose key has n characters, or -1
  std::array<std::int8_t, n_fields> next_same_length_{};  // the next field with a key of that length, or -1
  std::array<raw_field, n_fields> fields_;
  std::string key_part_;
  std::string string_part_;
  decoded_rows<row_type> out_;
};

template <class Rows>
decoded_rows<typename Rows::row_type> stream_rows(std::string_view body) {
  json::basic_parser<row_stream<Rows>> parser{json::parse_options{}, body.size()};
  boost::system::error_code ec;
  auto consumed = parser.write_some(false, body.data(), body.size(), ec);
  // As json::parser::write: bytes after a complete value are an error.
  if (!ec && consumed < body.size())
    ec = json::make_error_code(json::error::extra_data);
  if (ec) {
    decoded_rows<typename Rows::row_type> out;
    out.fatal = "not JSON: " + ec.message() + " at offset " + std::to_string(consumed);
    return out;
  }
  return parser.handler().finish();
}

// The envelope's result as an object; null when there is none, with `out`'s error reply or fatal message set.
template <class Decoded>
const json::object* result_object(document& doc, const char* what, Decoded& out) {
  auto env = open_envelope(doc, what);
  if (env.error_reply || !env.fatal.empty()) {
    out.error_reply = std::move(env.error_reply);
    out.fatal = std::move(env.fatal);
    return nullptr;
  }
  const auto* fields = env.result->if_object();
  if (!fields)
    out.fatal = R"("result" is not an object)";
  return fields;
}

} // namespace

decoded_rows<quant::option_summary> decode_option_summaries(std::string_view body) {
  auto out = stream_rows<option_rows>(body);
  out.rows_without_mark_iv = static_cast<std::size_t>(
    std::count_if(out.rows.begin(), out.rows.end(), [](const auto& row) { return !row.mark_iv; }));
  return out;
}

decoded_rows<quant::future_summary> decode_future_summaries(std::string_view body) {
  return stream_rows<future_rows>(body);
}

decoded_rows<quant::instrument_info> decode_instruments(std::string_view body) {
  return stream_rows<instrument_rows>(body);
}

decoded_index_price decode_index_price(std::string_view body) {
  decoded_index_price out;
  document doc{body};
  if (const auto* fields = result_object(doc, "index_price", out)) {
    static constexpr std::array<std::string_view, 2> keys{"index_price", "estimated_delivery_price"};
    std::array<raw_field, 2> raw{raw_of(fields->if_contains(keys[0])), raw_of(fields->if_contains(keys[1]))};
    field_reader<2> reader{keys, raw};
    index_price value;
    value.index_price = reader.non_negative(0);
    value.estimated_delivery_price = reader.non_negative(1);
    if (reader.failed())
      out.fatal = "index price: " + reader.error();
    else
      out.value = value;
  }
  return out;
}

decoded_dvol decode_volatility_index(std::string_view body) {
  decoded_dvol out;
  document doc{body};
  const auto* fields = result_object(doc, "data", out);
  if (!fields)
    return out;
  const auto* data = fields->if_contains("data");
  if (!data || data->is_null()) {
    out.fatal = R"(no "data" in result)";
    return out;
  }
  const auto* candles = data->if_array();
  if (!candles) {
    out.fatal = R"("data" is not an array)";
    return out;
  }
  if (candles->empty()) {
    out.fatal = R"(no candles in "data")";
    return out;
  }
  quant::dvol_reading newest;
  for (std::size_t i = 0; i < candles->size(); ++i) {
    quant::timestamp time{};
    double close = 0;
    if (auto problem = read_candle((*candles)[i], time, close); !problem.empty()) {
      out.fatal = "candle " + std::to_string(i) + ": " + problem;
      return out;
    }
    // Deribit sends candles oldest first; the newest is picked by time all the same.
    if (i == 0 || time >= newest.time) {
      newest.time = time;
      newest.close = close;
    }
  }
  newest.candles = candles->size();
  out.value = newest;
  return out;
}

std::optional<rpc_error> decode_rpc_error(std::string_view body) {
  document doc{body};
  if (!doc.error().empty())
    return std::nullopt;
  return rpc_error_of(doc.value());
}

bool is_rate_limit_code(int64_t rpc_code) {
  return rpc_code == 10028 || rpc_code == 10066;
}

bool is_rate_limit_reply(unsigned status, std::string_view body) {
  if (status == 429)
    return true;
  if (body.size() > (64u << 10) || body.find("\"error\"") == std::string_view::npos)
    return false;
  auto rpc = decode_rpc_error(body);
  return rpc && is_rate_limit_code(rpc->code);
}

std::string book_summary_target(const std::string& prefix, const quant::currency_spec& c, const std::string& kind) {
  return prefix + "/public/get_book_summary_by_currency?currency=" + c.deribit_currency + "&kind=" + kind;
}

std::string instruments_target(const std::string& prefix, const quant::currency_spec& c) {
  return prefix + "/public/get_instruments?currency=" + c.deribit_currency + "&expired=false";
}

std::string volatility_index_target(const std::string& prefix, const quant::currency_spec& c, quant::timestamp start,
                                    quant::timestamp end) {
  return prefix + "/public/get_volatility_index_data?currency=" + c.deribit_currency +
         "&start_timestamp=" + std::to_string(quant::to_unix_ms(start)) +
         "&end_timestamp=" + std::to_string(quant::to_unix_ms(end)) + "&resolution=60";
}

} // namespace derivcache::codec
