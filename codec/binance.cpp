// Binance spot WebSocket frames -> typed records: one parse into a stack arena, the first bad field named.
#include "codec/binance.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

namespace derivcache::codec {

namespace {

namespace json = boost::json;

// A frame is a few hundred bytes; larger ones (depth snapshots) grow the arena from the heap.
constexpr std::size_t parse_stack_size = 512;
constexpr std::size_t value_stack_size = 4096;

std::string to_string(json::string_view s) { return std::string{s.data(), s.size()}; }

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

/// Reads the fields of one payload; the first problem is kept as `error()` ("aggTrade: p is missing").
class field_reader {
public:
  field_reader(const json::object& payload, const char* kind) : payload_(payload), kind_(kind) {}

  bool failed() const { return !error_.empty(); }
  std::string take_error() { return std::move(error_); }

  std::string text(const char* key) {
    const auto* v = find(key);
    if (!v)
      return {};
    const auto* s = v->if_string();
    if (!s || s->empty()) {
      fail(key, "is not a non-empty string");
      return {};
    }
    return to_string(*s);
  }

  /// A decimal string ("58942.01000000") as a finite, non-negative double.
  double decimal(const char* key) {
    const auto* v = find(key);
    if (!v)
      return 0;
    const auto* s = v->if_string();
    if (!s) {
      fail(key, "is not a decimal string");
      return 0;
    }
    const char* first = s->data();
    const char* last = first + s->size();
    double out = 0;
    auto [end, ec] = std::from_chars(first, last, out, std::chars_format::general);
    if (ec == std::errc::result_out_of_range) {
      fail(key, "is not finite");
      return 0;
    }
    if (ec != std::errc{} || end != last || first == last) {
      fail(key, "is not a decimal string");
      return 0;
    }
    if (!std::isfinite(out)) {
      fail(key, "is not finite");
      return 0;
    }
    if (out < 0) {
      fail(key, "is negative");
      return 0;
    }
    return out;
  }

  int64_t integer(const char* key) {
    const auto* v = find(key);
    if (!v)
      return 0;
    if (const auto* i = v->if_int64())
      return *i;
    if (const auto* u = v->if_uint64(); u && *u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return static_cast<int64_t>(*u);
    fail(key, "is not an integer");
    return 0;
  }

  /// Milliseconds since the epoch that nanosecond time points can hold (1970 to 2262): a time outside
  /// is bad input, not something to convert with overflow.
  quant::timestamp time(const char* key) {
    const auto ms = integer(key);
    if (failed())
      return {};
    constexpr auto max_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::nanoseconds::max()).count();
    if (ms < 0 || ms > max_ms) {
      fail(key, "is out of range (ms since 1970, up to the year 2262)");
      return {};
    }
    return quant::from_unix_ms(ms);
  }

  bool boolean(const char* key) {
    const auto* v = find(key);
    if (!v)
      return false;
    if (const auto* b = v->if_bool())
      return *b;
    fail(key, "is not a boolean");
    return false;
  }

  void fail(const char* key, const char* what) {
    if (error_.empty())
      error_ = std::string{kind_} + ": " + key + " " + what;
  }

private:
  const json::value* find(const char* key) {
    if (failed())
      return nullptr;
    const auto* v = payload_.if_contains(key);
    if (!v)
      fail(key, "is missing");
    return v;
  }

  const json::object& payload_;
  const char* kind_;
  std::string error_;
};

decoded_frame failed(std::string error) {
  decoded_frame out;
  out.error = std::move(error);
  return out;
}

decoded_frame decode_agg_trade(const json::object& payload) {
  field_reader r{payload, "aggTrade"};
  agg_trade t;
  t.symbol = r.text("s");
  t.price = r.decimal("p");
  t.quantity = r.decimal("q");
  t.first_trade_id = r.integer("f");
  t.last_trade_id = r.integer("l");
  t.trade_time = r.time("T");
  t.event_time = r.time("E");
  t.buyer_is_maker = r.boolean("m");
  if (!r.failed() && t.last_trade_id < t.first_trade_id)
    r.fail("l", "is less than f");
  if (r.failed())
    return failed(r.take_error());
  return {std::move(t), {}};
}

decoded_frame decode_book_ticker(const json::object& payload) {
  field_reader r{payload, "bookTicker"};
  book_ticker b;
  b.update_id = r.integer("u");
  b.symbol = r.text("s");
  b.bid_price = r.decimal("b");
  b.bid_quantity = r.decimal("B");
  b.ask_price = r.decimal("a");
  b.ask_quantity = r.decimal("A");
  if (r.failed())
    return failed(r.take_error());
  return {std::move(b), {}};
}

decoded_frame decode_server_shutdown(const json::object& payload) {
  // The notice matters more than its time stamp: a missing or odd `E` still means "reconnect".
  server_shutdown s;
  if (const auto* e = payload.if_contains("E"); e && e->is_int64()) {
    field_reader r{payload, "serverShutdown"};
    const auto t = r.time("E");
    if (!r.failed())
      s.event_time = t;
  }
  return {s, {}};
}

} // namespace

decoded_frame decode_binance_frame(std::string_view text) {
  unsigned char parse_buffer[parse_stack_size];
  alignas(std::max_align_t) unsigned char value_buffer[value_stack_size];
  json::monotonic_resource arena{value_buffer, sizeof value_buffer};
  json::parser parser{json::storage_ptr{}, json::parse_options{}, parse_buffer, sizeof parse_buffer};
  parser.reset(&arena);
  boost::system::error_code ec;
  auto consumed = parser.write(text.data(), text.size(), ec);
  if (ec)
    return failed("not JSON: " + ec.message() + " at offset " + std::to_string(consumed));
  json::value doc = parser.release();

  const auto* frame = doc.if_object();
  if (!frame)
    return failed("frame is not an object");

  // Combined stream: {"stream":"btcusdt@aggTrade","data":{...}}; otherwise the frame is the payload.
  std::string stream;
  const json::object* payload = frame;
  if (const auto* s = frame->if_contains("stream")) {
    const auto* name = s->if_string();
    if (!name)
      return failed("stream is not a string");
    stream = to_string(*name);
    const auto* data = frame->if_contains("data");
    if (!data)
      return failed(stream + ": data is missing");
    payload = data->if_object();
    if (!payload) {
      if (stream == "!serverShutdown")
        return {server_shutdown{}, {}};
      return {ignored_frame{std::move(stream)}, {}};
    }
  }

  if (stream == "!serverShutdown")
    return decode_server_shutdown(*payload);
  if (const auto* e = payload->if_contains("e")) {
    const auto* kind = e->if_string();
    if (!kind)
      return failed("e is not a string");
    if (*kind == "aggTrade")
      return decode_agg_trade(*payload);
    if (*kind == "serverShutdown")
      return decode_server_shutdown(*payload);
    return {ignored_frame{stream.empty() ? to_string(*kind) : std::move(stream)}, {}};
  }
  // Spot bookTicker payloads carry no `e`: recognise them by stream name, or by `u` + `s` when raw.
  bool book = ends_with(stream, "@bookTicker") || stream == "!bookTicker"
              || (stream.empty() && payload->contains("u") && payload->contains("s"));
  if (book)
    return decode_book_ticker(*payload);
  return {ignored_frame{std::move(stream)}, {}};
}

std::string binance_stream_target(const std::vector<std::string>& symbols) {
  std::string out = "/stream?streams=";
  bool first = true;
  for (auto s : symbols) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    out += (first ? "" : "/") + s + "@aggTrade/" + s + "@bookTicker";
    first = false;
  }
  return out;
}

} // namespace derivcache::codec
