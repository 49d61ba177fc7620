// Beast HTTPS server behind deribit_simulator: one io_context thread, one session per connection.
#include "sim/deribit_sim.hpp"

#include "sim/server.hpp"

#include "codec/file.hpp"
#include "codec/json_writer.hpp"

#include "net/gzip.hpp"
#include "net/url.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>

#include <openssl/ssl.h>
#include <zlib.h>

#include <cctype>
#include <cstdlib>
#include <cmath>
#include <deque>
#include <filesystem>
#include <iterator>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <vector>

namespace derivcache::sim {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

std::string to_string(fault x) {
  static constexpr const char* names[] = {
    "rate_limit_429", "rate_limit_429_retry_after", "rpc_10028", "maintenance_11051_503", "server_error_500",
    "stall", "reset", "truncated_body", "malformed_json", "rpc_10066", "reset_mid_body", "oversized_body",
    "wrong_types", "result_not_array", "nan_mark_iv", "null_mark_iv", "negative_mark_iv", "negative_prices",
    "empty_chain", "one_expiry", "expired_instruments", "gzip_bomb", "unsupported_encoding",
  };
  static_assert(std::size(names) == static_cast<std::size_t>(fault::unsupported_encoding) + 1, "one name per value");
  auto i = static_cast<std::size_t>(x);
  return i < std::size(names) ? names[i] : "unknown";
}

bool parse_fault(const std::string& text, fault& out) {
  static const std::pair<const char*, fault> names[] = {
    {"429", fault::rate_limit_429},         {"10028", fault::rpc_10028},
    {"11051", fault::maintenance_11051_503}, {"503", fault::maintenance_11051_503},
    {"500", fault::server_error_500},        {"stall", fault::stall},
    {"reset", fault::reset},                 {"truncated", fault::truncated_body},
    {"malformed", fault::malformed_json},   {"10066", fault::rpc_10066},
    {"oversized", fault::oversized_body},
  };
  for (const auto& [name, kind] : names) {
    if (text == name) {
      out = kind;
      return true;
    }
  }
  for (int i = 0; i <= static_cast<int>(fault::unsupported_encoding); ++i) {
    if (text == to_string(static_cast<fault>(i))) {
      out = static_cast<fault>(i);
      return true;
    }
  }
  return false;
}

std::string default_data_dir() {
  return DERIVCACHE_SIM_DATA_DIR;
}

std::string default_cert_dir() {
  return DERIVCACHE_SIM_CERT_DIR;
}

namespace {

using response = http::response<http::string_body>;
using query_map = std::map<std::string, std::string>;

query_map parse_query(std::string_view q) {
  query_map out;
  while (!q.empty()) {
    auto amp = q.find('&');
    auto pair = q.substr(0, amp);
    auto eq = pair.find('=');
    if (!pair.empty())
      out[net::percent_decode(pair.substr(0, eq))] = eq == std::string_view::npos ? "" : net::percent_decode(pair.substr(eq + 1));
    if (amp == std::string_view::npos)
      break;
    q.remove_prefix(amp + 1);
  }
  return out;
}

/// Ends a JSON-RPC answer with Deribit's timing fields and closes it.
std::string end_envelope(codec::json_writer& w) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(
              std::chrono::system_clock::now().time_since_epoch())
              .count();
  w.field("usIn", std::int64_t{us}).field("usOut", std::int64_t{us + 120}).field("usDiff", 120).field("testnet", false);
  return w.end_object().take();
}

std::string empty_result() {
  codec::json_writer w;
  w.begin_object().field("jsonrpc", "2.0").key("result").begin_array().end_array();
  return end_envelope(w);
}

/// A JSON-RPC error; `reason` and `param` fill its `data` when given.
std::string rpc_error(int code, const std::string& message, const char* reason = nullptr, const char* param = nullptr) {
  codec::json_writer w;
  w.begin_object().field("jsonrpc", "2.0").key("error").begin_object().field("message", message);
  if (reason)
    w.key("data").begin_object().field("reason", reason).field("param", param).end_object();
  w.field("code", code).end_object();
  return end_envelope(w);
}

std::string invalid_params(const char* reason, const char* param) {
  return rpc_error(-32602, "Invalid params", reason, param);
}

/// The body of a `/_sim/` control answer that refuses: {"error": text}.
std::string control_error(const char* text) {
  codec::json_writer w;
  return w.begin_object().field("error", text).end_object().take();
}

std::string html(unsigned status, const char* text) {
  auto code = std::to_string(status);
  return "<html>\r\n<head><title>" + code + " " + text + "</title></head>\r\n<body>\r\n<center><h1>" + code + " "
         + text + "</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
}


/// Renames a dated Deribit instrument ("BTC-27MAR26-70000-C", "SOL_USDC-27MAR26") to expire on `expiry`.
std::string with_expiry(const std::string& name, const std::string& expiry) {
  auto first = name.find('-');
  if (first == std::string::npos)
    return name;
  auto second = name.find('-', first + 1);
  auto label = name.substr(first + 1, second == std::string::npos ? std::string::npos : second - first - 1);
  if (label == "PERPETUAL" || label.empty() || !std::isdigit(static_cast<unsigned char>(label[0])))
    return name;
  return name.substr(0, first + 1) + expiry + (second == std::string::npos ? "" : name.substr(second));
}

/// The normal body of an API answer rewritten for a payload fault (see sim/data/README.md).
std::string rewrite_payload(fault kind, const std::string& body) {
  boost::system::error_code ec;
  auto doc = boost::json::parse(body, ec);
  if (ec || !doc.is_object() || !doc.as_object().contains("result") || !doc.at("result").is_array())
    return body;
  auto& rows = doc.at("result").as_array();
  if (kind == fault::result_not_array) {
    doc.as_object()["result"] = boost::json::object{{"rows", rows}};
    return boost::json::serialize(doc);
  }
  if (kind == fault::empty_chain) {
    rows.clear();
    return boost::json::serialize(doc);
  }
  if (kind == fault::one_expiry) {
    boost::json::array kept;
    for (auto& row : rows) {
      if (!row.is_object() || !row.as_object().contains("instrument_name"))
        continue;
      std::string name{row.at("instrument_name").as_string()};
      if (name.find("-27MAR26") != std::string::npos || name.find("PERPETUAL") != std::string::npos)
        kept.push_back(row);
    }
    rows = std::move(kept);
    return boost::json::serialize(doc);
  }
  auto negate = [](boost::json::object& row, const char* field) {
    auto it = row.find(field);
    if (it != row.end() && it->value().is_number())
      it->value() = -std::abs(it->value().to_number<double>());
  };
  for (auto& v : rows) {
    if (!v.is_object())
      continue;
    auto& row = v.as_object();
    switch (kind) {
      case fault::wrong_types:
        for (const char* field : {"mark_price", "mark_iv", "underlying_price"})
          if (auto it = row.find(field); it != row.end() && it->value().is_number())
            it->value() = boost::json::serialize(it->value());
        break;
      case fault::nan_mark_iv:
        if (row.contains("mark_iv"))
          row["mark_iv"] = "@NaN@";
        break;
      case fault::null_mark_iv:
        if (row.contains("mark_iv"))
          row["mark_iv"] = nullptr;
        break;
      case fault::negative_mark_iv:
        negate(row, "mark_iv");
        break;
      case fault::negative_prices:
        negate(row, "mark_price");
        negate(row, "underlying_price");
        break;
      case fault::expired_instruments:
        if (auto it = row.find("instrument_name"); it != row.end() && it->value().is_string())
          it->value() = with_expiry(std::string{it->value().as_string()}, "6MAR26");
        break;
      default:
        break;
    }
  }
  auto out = boost::json::serialize(doc);
  if (kind == fault::nan_mark_iv) {
    // A bare NaN, as some JSON writers emit it: not JSON, so the whole body must be refused.
    const std::string placeholder = "\"@NaN@\"";
    for (auto pos = out.find(placeholder); pos != std::string::npos; pos = out.find(placeholder, pos))
      out.replace(pos, placeholder.size(), "NaN");
  }
  return out;
}

} // namespace

struct deribit_simulator::impl {
  simulator_options options;

  // Immutable after start().
  std::map<std::string, std::string> bodies;  // "book_summary.BTC.option" -> HTTP body
  std::set<std::string> currencies;

  mutable std::mutex mutex;
  std::deque<fault_spec> faults;
  std::uint64_t requests = 0;
  std::uint64_t gzip_requests = 0;
  std::uint64_t connections = 0;
  std::map<std::string, std::string> gzipped;   // body -> its gzip, made once
  std::map<std::string, std::uint64_t> methods;
  std::vector<request_record> log;

  loopback_server server;

  std::string load_data();
  std::optional<fault_spec> next_fault(const std::string& path);
  void count(const std::string& method, const std::optional<fault_spec>& f, bool gzip);
  /// `body` gzip-compressed at level 6 (compressed once per distinct body).
  std::string gzip_of(const std::string& body);
  /// The normal answer to an API request: status and body.
  std::pair<http::status, std::string> route(const std::string& method, const query_map& query) const;
  std::pair<http::status, std::string> control(const std::string& path, const query_map& query);
};

namespace {

/// True when an Accept-Encoding value accepts gzip (`gzip`, `x-gzip` or `*`, with no `q=0`).
bool asks_for_gzip(std::string_view header) {
  while (!header.empty()) {
    const auto comma = header.find(',');
    auto item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    const auto semi = item.find(';');
    auto name = item.substr(0, semi);
    auto params = semi == std::string_view::npos ? std::string_view{} : item.substr(semi + 1);
    auto trim = [](std::string_view s) {
      while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
      while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
      return s;
    };
    name = trim(name);
    params = trim(params);
    const bool refused = params.size() >= 2 && (params[0] == 'q' || params[0] == 'Q') && params[1] == '=' &&
                         std::strtod(std::string{params.substr(2)}.c_str(), nullptr) <= 0;
    if (!refused && (beast::iequals(name, "gzip") || beast::iequals(name, "x-gzip") || name == "*"))
      return true;
  }
  return false;
}

/// `head` padded with spaces to `total` bytes, gzip-compressed as it is made (the padding is never held whole).
std::string gzip_padded(const std::string& head, std::size_t total) {
  z_stream zs{};
  deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  const std::string spaces(1u << 20, ' ');
  std::string out;
  std::vector<unsigned char> chunk(1u << 16);
  std::size_t left = total > head.size() ? total - head.size() : 0;
  auto feed = [&](std::string_view in, int flush) {
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    do {
      zs.next_out = chunk.data();
      zs.avail_out = static_cast<uInt>(chunk.size());
      deflate(&zs, flush);
      out.append(reinterpret_cast<const char*>(chunk.data()), chunk.size() - zs.avail_out);
    } while (zs.avail_out == 0);
  };
  feed(head, Z_NO_FLUSH);
  for (; left > spaces.size(); left -= spaces.size())
    feed(spaces, Z_NO_FLUSH);
  feed(std::string_view{spaces}.substr(0, left), Z_FINISH);
  deflateEnd(&zs);
  return out;
}

/// One server connection: handshake, then read request -> answer (or misbehave) -> repeat.
class session : public std::enable_shared_from_this<session> {
public:
  session(tcp::socket&& socket, ssl::context& ctx, deribit_simulator::impl& sim)
    : stream_(std::move(socket), ctx), sim_(sim), stall_timer_(stream_.get_executor()),
      link_timer_(stream_.get_executor()) {}

  void run() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->on_run(); });
  }

private:
  void on_run() {
    after(2 * sim_.options.link_rtt, [self = shared_from_this()] {
      beast::get_lowest_layer(self->stream_).expires_after(std::chrono::seconds{10});
      self->stream_.async_handshake(ssl::stream_base::server,
                                    [self](beast::error_code ec) { self->on_handshake(ec); });
    });
  }

  /// Runs `f` after `delay` (at once when it is zero), on this session's executor.
  template <class F>
  void after(std::chrono::nanoseconds delay, F f) {
    if (delay <= std::chrono::nanoseconds::zero())
      return f();
    link_timer_.expires_after(delay);
    link_timer_.async_wait([f = std::move(f)](beast::error_code ec) {
      if (!ec)
        f();
    });
  }

  void on_handshake(beast::error_code ec) {
    if (ec)
      return; // e.g. the client rejected our certificate
    do_read();
  }

  void do_read() {
    req_ = {};
    gzip_ = false;
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds{30});
    http::async_read(stream_, buffer_, req_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream)
      return do_close();
    if (ec)
      return;
    handle_request();
  }

  void handle_request() {
    std::string target{req_.target()};
    auto qpos = target.find('?');
    std::string path = target.substr(0, qpos);
    auto query = parse_query(qpos == std::string::npos ? std::string_view{} : std::string_view{target}.substr(qpos + 1));
    if (path.rfind("/_sim/", 0) == 0) {
      auto [status, body] = sim_.control(path, query);
      return send(make(status, std::move(body), "application/json", req_.keep_alive()));
    }
    const std::string api = "/api/v2/";
    std::string method = path.rfind(api, 0) == 0 ? path.substr(api.size()) : path;
    auto f = sim_.next_fault(path);
    gzip_ = asks_for_gzip(req_[http::field::accept_encoding]);
    sim_.count(method, f, gzip_);
    if (!f) {
      auto [status, body] = sim_.route(method, query);
      return send(make(status, std::move(body), "application/json", req_.keep_alive()));
    }
    switch (f->kind) {
      case fault::rate_limit_429:
      case fault::rate_limit_429_retry_after: {
        auto res = make(http::status::too_many_requests, html(429, "Too Many Requests"), "text/html", false);
        if (f->kind == fault::rate_limit_429_retry_after)
          res.set(http::field::retry_after, std::to_string(f->retry_after.count()));
        return send(std::move(res));
      }
      case fault::rpc_10028:
        return send(make(http::status::bad_request, rpc_error(10028, "too_many_requests"), "application/json", false));
      case fault::maintenance_11051_503:
        return send(make(http::status::service_unavailable, rpc_error(11051, "system_maintenance"),
                         "application/json", req_.keep_alive()));
      case fault::server_error_500:
        return send(make(http::status::internal_server_error, html(500, "Internal Server Error"), "text/html",
                         req_.keep_alive()));
      case fault::stall:
        // Hold the connection open without answering; the client's deadline must fire first.
        stall_timer_.expires_after(std::chrono::seconds{60});
        return stall_timer_.async_wait([self = shared_from_this()](beast::error_code) { self->close_hard(false); });
      case fault::reset:
        return close_hard(true);
      case fault::truncated_body:
        return send_half(method, query, false);
      case fault::malformed_json: {
        auto [status, body] = sim_.route(method, query);
        body.resize(body.size() / 2);
        return send(make(http::status::ok, std::move(body), "application/json", req_.keep_alive()));
      }
      case fault::rpc_10066:
        return send(make(http::status::bad_request, rpc_error(10066, "too_many_concurrent_requests"),
                         "application/json", req_.keep_alive()));
      case fault::reset_mid_body:
        return send_half(method, query, true);
      case fault::oversized_body: {
        auto [status, body] = sim_.route(method, query);
        if (body.size() < f->bytes)
          body.append(f->bytes - body.size(), ' ');
        return send(make(status, std::move(body), "application/json", req_.keep_alive()));
      }
      case fault::gzip_bomb: {
        gzip_ = false;   // the body is compressed here, once
        auto res = make(http::status::ok, gzip_padded(sim_.route(method, query).second, f->bytes),
                        "application/json", req_.keep_alive());
        res.set(http::field::content_encoding, "gzip");
        return send(std::move(res));
      }
      case fault::unsupported_encoding: {
        gzip_ = false;
        auto res = make(http::status::ok, sim_.route(method, query).second, "application/json", req_.keep_alive());
        res.set(http::field::content_encoding, "br");
        return send(std::move(res));
      }
      default: {
        auto [status, body] = sim_.route(method, query);
        if (status == http::status::ok)
          body = rewrite_payload(f->kind, body);
        return send(make(status, std::move(body), "application/json", req_.keep_alive()));
      }
    }
  }

  response make(http::status status, std::string body, const char* content_type, bool keep_alive) const {
    response res{status, req_.version()};
    res.set(http::field::server, "derivcache-sim");
    res.set(http::field::content_type, content_type);
    res.set(http::field::cache_control, "no-store");
    res.keep_alive(keep_alive);
    if (gzip_ && !body.empty()) {
      res.set(http::field::content_encoding, "gzip");
      body = sim_.gzip_of(body);
    }
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
  }

  void send(response res) {
    const auto& link = sim_.options;
    if (link.link_rtt.count() > 0 || link.link_mbps > 0)
      return send_over_link(std::move(res));
    auto sp = std::make_shared<response>(std::move(res));
    http::async_write(stream_, *sp, [self = shared_from_this(), sp](beast::error_code ec, std::size_t) {
      self->on_write(ec, sp->need_eof());
    });
  }

  /// The link model: one round trip before the first byte, then the bytes paced at link_mbps.
  void send_over_link(response res) {
    std::ostringstream wire;
    wire << res;
    auto bytes = std::make_shared<std::string>(wire.str());
    const bool close = res.need_eof();
    after(sim_.options.link_rtt, [self = shared_from_this(), bytes, close] {
      self->paced_write(bytes, 0, std::chrono::steady_clock::now(), close);
    });
  }

  /// Writes the piece after `sent` once the modelled link would have delivered its last byte.
  void paced_write(std::shared_ptr<std::string> bytes, std::size_t sent, std::chrono::steady_clock::time_point start,
                   bool close) {
    constexpr std::size_t piece = 16u << 10;
    const auto n = std::min(piece, bytes->size() - sent);
    const double mbps = sim_.options.link_mbps;
    const auto due = mbps > 0 ? start + std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::duration<double>((sent + n) * 8.0 / (mbps * 1e6)))
                              : start;
    after(due - std::chrono::steady_clock::now(), [self = shared_from_this(), bytes, sent, n, start, close] {
      asio::async_write(self->stream_, asio::buffer(bytes->data() + sent, n),
                        [self, bytes, sent, n, start, close](beast::error_code ec, std::size_t) {
                          if (ec || sent + n == bytes->size())
                            return self->on_write(ec, close);
                          self->paced_write(bytes, sent + n, start, close);
                        });
    });
  }

  void on_write(beast::error_code ec, bool close) {
    if (ec)
      return;
    if (close)
      return do_close();
    do_read();
  }

  void do_close() {
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds{2});
    stream_.async_shutdown([self = shared_from_this()](beast::error_code) {
      // Clients often just close after our close_notify (stream_truncated); nothing to do either way.
      self->close_hard(false);
    });
  }

  /// The headers (with the full Content-Length) and half the body of the real answer, then FIN or RST.
  void send_half(const std::string& method, const query_map& query, bool rst) {
    auto [status, body] = sim_.route(method, query);
    auto res = make(status, std::move(body), "application/json", true);
    std::ostringstream wire;
    wire << res;
    auto full = wire.str();
    auto head = full.size() - res.body().size();
    auto partial = std::make_shared<std::string>(full.substr(0, head + res.body().size() / 2));
    asio::async_write(stream_, asio::buffer(*partial), [self = shared_from_this(), partial, rst](beast::error_code, std::size_t) {
      self->close_hard(rst);
    });
  }

  void close_hard(bool rst) { sim::close_hard(beast::get_lowest_layer(stream_).socket(), rst); }

  beast::ssl_stream<beast::tcp_stream> stream_;
  deribit_simulator::impl& sim_;
  asio::steady_timer stall_timer_;
  asio::steady_timer link_timer_;
  beast::flat_buffer buffer_;
  bool gzip_ = false;   ///< the API request being answered asked for gzip
  http::request<http::string_body> req_;
};

} // namespace

std::string deribit_simulator::impl::load_data() {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::directory_iterator it{options.data_dir, ec};
  if (ec)
    return "data dir '" + options.data_dir + "': " + ec.message();
  for (const auto& entry : it) {
    auto name = entry.path().filename().string();
    if (entry.path().extension() != ".json")
      continue;
    auto stem = entry.path().stem().string();
    std::string error;
    auto body = codec::read_text_file(entry.path().string(), error);
    if (!body)
      return "data file " + error;
    auto first = stem.find('.');
    auto prefix = stem.substr(0, first);
    if (prefix == "book_summary" || prefix == "instruments") {
      auto second = stem.find('.', first + 1);
      if (second == std::string::npos)
        continue;
      currencies.insert(stem.substr(first + 1, second - first - 1));
    } else if (prefix != "index_price" && prefix != "currencies" && prefix != "volatility_index") {
      continue;
    }
    bodies[stem] = std::move(*body);
  }
  if (currencies.empty())
    return "data dir '" + options.data_dir + "': no book_summary.*.json or instruments.*.json files";
  // Without `kind`, Deribit returns every kind: futures then options, merged once here.
  for (const std::string endpoint : {"book_summary", "instruments"}) {
    for (const auto& cur : currencies) {
      boost::json::array merged;
      boost::json::object envelope;
      for (const std::string kind : {"future", "option"}) {
        auto found = bodies.find(endpoint + "." + cur + "." + kind);
        if (found == bodies.end())
          continue;
        boost::system::error_code jec;
        auto doc = boost::json::parse(found->second, jec);
        if (jec || !doc.is_object() || !doc.as_object().contains("result") || !doc.at("result").is_array())
          return "data file '" + found->first + ".json': not a JSON-RPC result array";
        for (auto& row : doc.at("result").as_array())
          merged.push_back(row);
        envelope = doc.as_object();
      }
      envelope["result"] = std::move(merged);
      if (!envelope.contains("jsonrpc"))
        envelope["jsonrpc"] = "2.0";
      bodies[endpoint + "." + cur] = boost::json::serialize(envelope);
    }
  }
  return {};
}

std::optional<fault_spec> deribit_simulator::impl::next_fault(const std::string& path) {
  std::lock_guard<std::mutex> guard{mutex};
  for (auto it = faults.begin(); it != faults.end(); ++it) {
    if (!it->method.empty() && path.find(it->method) == std::string::npos)
      continue;
    auto out = *it;
    if (--it->count <= 0)
      faults.erase(it);
    return out;
  }
  return std::nullopt;
}

void deribit_simulator::impl::count(const std::string& method, const std::optional<fault_spec>& f, bool gzip) {
  std::lock_guard<std::mutex> guard{mutex};
  ++requests;
  gzip_requests += gzip ? 1 : 0;
  ++methods[method];
  if (log.size() < max_request_log)
    log.push_back({std::chrono::steady_clock::now(), method, f ? to_string(f->kind) : std::string{}, gzip});
}

std::string deribit_simulator::impl::gzip_of(const std::string& body) {
  std::lock_guard<std::mutex> guard{mutex};
  auto it = gzipped.find(body);
  if (it == gzipped.end())
    it = gzipped.emplace(body, net::gzip(body)).first;
  return it->second;
}

std::pair<http::status, std::string> deribit_simulator::impl::route(const std::string& method,
                                                                   const query_map& query) const {
  auto param = [&](const char* name) -> std::optional<std::string> {
    auto it = query.find(name);
    if (it == query.end())
      return std::nullopt;
    return it->second;
  };
  auto ok = [](const std::string& body) { return std::make_pair(http::status::ok, body); };
  auto bad = [](std::string body) { return std::make_pair(http::status::bad_request, std::move(body)); };
  auto empty = [] { return std::make_pair(http::status::ok, empty_result()); };
  // The body named `prefix` + parameter `key`'s value: -32602 "required" without it, "wrong format" for a value
  // that names no body.
  auto body_by = [&](const char* key, const std::string& prefix) {
    auto value = param(key);
    if (!value)
      return bad(invalid_params("required", key));
    auto it = bodies.find(prefix + *value);
    return it == bodies.end() ? bad(invalid_params("wrong format", key)) : ok(it->second);
  };

  if (method == "public/get_book_summary_by_currency" || method == "public/get_instruments") {
    std::string endpoint = method == "public/get_instruments" ? "instruments" : "book_summary";
    auto cur = param("currency");
    if (!cur)
      return bad(invalid_params("required", "currency"));
    if (currencies.count(*cur) == 0)
      return bad(invalid_params("wrong format", "currency"));
    if (endpoint == "instruments") {
      auto expired = param("expired");
      if (expired && *expired != "true" && *expired != "false")
        return bad(invalid_params("wrong format", "expired"));
      if (expired && *expired == "true")
        return empty();
    }
    auto kind = param("kind");
    std::string key = endpoint + "." + *cur;
    if (kind) {
      if (*kind == "spot" || *kind == "future_combo" || *kind == "option_combo")
        return empty();
      if (*kind != "future" && *kind != "option")
        return bad(invalid_params("wrong format", "kind"));
      key += "." + *kind;
    }
    auto it = bodies.find(key);
    return it == bodies.end() ? empty() : ok(it->second);
  }
  if (method == "public/get_index_price")
    return body_by("index_name", "index_price.");
  if (method == "public/get_volatility_index_data") {
    auto cur = param("currency");
    if (!cur)
      return bad(invalid_params("required", "currency"));
    for (const char* name : {"start_timestamp", "end_timestamp", "resolution"})
      if (!param(name))
        return bad(invalid_params("required", name));
    for (const char* name : {"start_timestamp", "end_timestamp"}) {
      const auto text = *param(name);
      if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
        return bad(invalid_params("wrong format", name));
    }
    static const std::set<std::string> resolutions{"1", "60", "3600", "43200", "1D"};
    if (resolutions.count(*param("resolution")) == 0)
      return bad(invalid_params("wrong format", "resolution"));
    // Only BTC and ETH have a DVOL; the window is not applied: like the chains, the candles are one frozen
    // snapshot that ends at the chain's time.
    return body_by("currency", "volatility_index.");
  }
  if (method == "public/get_currencies") {
    auto it = bodies.find("currencies");
    return it == bodies.end() ? empty() : ok(it->second);
  }
  return bad(rpc_error(-32601, "Method not found"));
}

std::pair<http::status, std::string> deribit_simulator::impl::control(const std::string& path,
                                                                      const query_map& query) {
  if (path == "/_sim/stats") {
    std::lock_guard<std::mutex> guard{mutex};
    codec::json_writer w;
    w.begin_object().field("requests", requests).field("gzip_requests", gzip_requests).field("connections", connections);
    w.key("methods").begin_object();
    for (const auto& [name, n] : methods)
      w.field(name, n);
    return {http::status::ok, w.end_object().end_object().take()};
  }
  if (path == "/_sim/fault") {
    fault_spec spec;
    auto kind = query.find("kind");
    if (kind == query.end() || !parse_fault(kind->second, spec.kind))
      return {http::status::bad_request, control_error("unknown fault kind")};
    try {
      if (auto it = query.find("count"); it != query.end())
        spec.count = std::stoi(it->second);
      if (auto it = query.find("bytes"); it != query.end())
        spec.bytes = static_cast<std::size_t>(std::stoul(it->second));
      if (auto it = query.find("retry_after"); it != query.end()) {
        spec.retry_after = std::chrono::seconds{std::stoi(it->second)};
        if (spec.kind == fault::rate_limit_429)
          spec.kind = fault::rate_limit_429_retry_after;
      }
    } catch (const std::exception&) {
      return {http::status::bad_request, control_error("count, retry_after and bytes must be integers")};
    }
    if (auto it = query.find("method"); it != query.end())
      spec.method = it->second;
    if (spec.count < 1)
      return {http::status::bad_request, control_error("count must be at least 1")};
    if (spec.bytes > (256u << 20))
      return {http::status::bad_request, control_error("bytes must be at most 268435456")};
    std::lock_guard<std::mutex> guard{mutex};
    faults.push_back(std::move(spec));
    codec::json_writer w;
    return {http::status::ok, w.begin_object().field("queued", true).end_object().take()};
  }
  return {http::status::not_found, control_error("unknown /_sim/ path")};
}

deribit_simulator::deribit_simulator(simulator_options options) : impl_(std::make_shared<impl>()) {
  impl_->options = std::move(options);
}

deribit_simulator::~deribit_simulator() {
  stop();
}

start_result deribit_simulator::start() {
  auto& d = *impl_;
  auto load = [&d] {
    if (d.options.data_dir.empty())
      d.options.data_dir = default_data_dir();
    return d.load_data();
  };
  auto accept = [&d](tcp::socket socket, ssl::context& tls) {
    {
      std::lock_guard<std::mutex> guard{d.mutex};
      ++d.connections;
    }
    std::make_shared<session>(std::move(socket), tls, d)->run();
  };
  return d.server.start({"simulator", d.options.cert_file, d.options.key_file, d.options.port, load, accept});
}

void deribit_simulator::stop() {
  impl_->server.stop();
}

unsigned short deribit_simulator::port() const {
  return impl_->server.port();
}

void deribit_simulator::inject(fault f, int count) {
  inject(fault_of<fault_spec>(f, count));
}

void deribit_simulator::inject(fault_spec spec) {
  if (spec.count < 1)
    return;
  std::lock_guard<std::mutex> guard{impl_->mutex};
  impl_->faults.push_back(std::move(spec));
}

void deribit_simulator::clear_faults() {
  std::lock_guard<std::mutex> guard{impl_->mutex};
  impl_->faults.clear();
}

std::uint64_t deribit_simulator::requests_served() const {
  std::lock_guard<std::mutex> guard{impl_->mutex};
  return impl_->requests;
}

std::uint64_t deribit_simulator::gzip_requests() const {
  std::lock_guard<std::mutex> guard{impl_->mutex};
  return impl_->gzip_requests;
}

std::uint64_t deribit_simulator::method_count(const std::string& method) const {
  std::lock_guard<std::mutex> guard{impl_->mutex};
  auto it = impl_->methods.find(method);
  return it == impl_->methods.end() ? 0 : it->second;
}

std::map<std::string, std::uint64_t> deribit_simulator::method_counts() const {
  std::lock_guard<std::mutex> guard{impl_->mutex};
  return impl_->methods;
}

std::vector<request_record> deribit_simulator::request_log() const {
  std::lock_guard<std::mutex> guard{impl_->mutex};
  return impl_->log;
}

std::uint64_t deribit_simulator::connections_accepted() const {
  std::lock_guard<std::mutex> guard{impl_->mutex};
  return impl_->connections;
}

} // namespace derivcache::sim
