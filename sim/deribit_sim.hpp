// Loopback Deribit HTTPS simulator: serves recorded/derived public data and scripted faults on 127.0.0.1.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace derivcache::sim {

/// A scripted misbehaviour, applied to the next API requests (see sim/data/README.md for the wire form).
enum class fault : uint8_t {
  rate_limit_429,              ///< HTTP 429, HTML body, no Retry-After
  rate_limit_429_retry_after,  ///< HTTP 429 with `Retry-After: <retry_after seconds>`
  rpc_10028,                   ///< HTTP 400, JSON-RPC error 10028 too_many_requests, connection closed
  maintenance_11051_503,       ///< HTTP 503, JSON-RPC error 11051 system_maintenance
  server_error_500,            ///< HTTP 500, HTML body
  stall,                       ///< read the request, never answer
  reset,                       ///< read the request, close with TCP RST
  truncated_body,              ///< full Content-Length, half the body, then close
  malformed_json,              ///< HTTP 200, body cut in the middle of the JSON
  rpc_10066,                   ///< HTTP 400, JSON-RPC error 10066 too_many_concurrent_requests
  reset_mid_body,              ///< headers and half the body, then TCP RST
  oversized_body,              ///< HTTP 200, the normal JSON padded with spaces to `bytes` bytes
  // Payload variants: HTTP 200 with the normal answer rewritten (see sim/data/README.md).
  wrong_types,                 ///< every row's mark_price, mark_iv and underlying_price as strings
  result_not_array,            ///< `"result"` is an object instead of an array
  nan_mark_iv,                 ///< every mark_iv is the bare token NaN (not JSON)
  null_mark_iv,                ///< every mark_iv is null
  negative_mark_iv,            ///< every mark_iv is negated
  negative_prices,             ///< every mark_price and underlying_price is negated
  empty_chain,                 ///< `"result":[]`
  one_expiry,                  ///< only rows of the 27MAR26 expiry (and perpetuals) are kept
  expired_instruments,         ///< every dated instrument renamed to expire 6MAR26, before the data's time
  // Encodings.
  gzip_bomb,                   ///< HTTP 200, `Content-Encoding: gzip`: the normal JSON padded with spaces to `bytes`
                               ///< bytes, compressed (about 1000:1), whether or not the request asked for gzip
  unsupported_encoding,        ///< HTTP 200, the normal answer labelled `Content-Encoding: br` (not compressed)
};
std::string to_string(fault x);

/// Parses a fault name as used by `--fault` and `/_sim/fault?kind=`: `429`, `10028`, `10066`, `11051`, `500`,
/// `stall`, `reset`, `truncated`, `malformed`, `oversized`, or a `to_string(fault)` name. False when unknown.
bool parse_fault(const std::string& text, fault& out);

/// One queued fault: applies to the next `count` API requests whose path contains `method` (any when empty).
struct fault_spec {
  fault kind = fault::server_error_500;
  int count = 1;
  std::chrono::seconds retry_after{1};  ///< for rate_limit_429_retry_after
  std::string method;                   ///< e.g. "get_book_summary"
  std::size_t bytes = 17u << 20;        ///< for oversized_body and gzip_bomb: the body size (default: over the
                                        ///< 16 MiB cap)
};

/// One API request as it arrived.
struct request_record {
  std::chrono::steady_clock::time_point at;   ///< when its headers had been read
  std::string method;                         ///< e.g. "public/get_instruments"
  std::string fault;                          ///< the fault it got (`to_string(fault)`), empty for a normal answer
  bool gzip = false;                          ///< it asked for gzip (`Accept-Encoding` names gzip): answered gzip
};

/// request_log() keeps the first this many requests.
inline constexpr std::size_t max_request_log = 100000;

struct simulator_options {
  static constexpr const char* bind_address = "127.0.0.1";  ///< fixed: never anything else
  unsigned short port = 0;                                   ///< 0 = ephemeral
  std::string cert_file;                                     ///< PEM chain; default: default_cert_dir()/server.pem
  std::string key_file;                                      ///< default: default_cert_dir()/server.key
  std::string data_dir;                                      ///< default: default_data_dir()
  /// A link model (0: off, loopback as it is). Each new connection waits two round trips before the TLS
  /// handshake is answered (TCP's and TLS 1.3's), each answer waits one before its first byte.
  std::chrono::milliseconds link_rtt{0};
  /// The link's rate in Mbit/s (0: unpaced): each answer's bytes (headers and body) are written in 16 KiB
  /// pieces no faster than it.
  double link_mbps = 0;
};

/// `${PROJECT_SOURCE_DIR}/sim/data` of the build that made this library.
std::string default_data_dir();
/// `${PROJECT_BINARY_DIR}/certs` of the build that made this library (test certificates).
std::string default_cert_dir();

/// Outcome of start(): the bound port, or an error text.
struct start_result {
  unsigned short port = 0;
  std::string error;
  explicit operator bool() const { return error.empty(); }
};

/// The server. Runs its own io_context thread between start() and stop(); every public member
/// function is thread-safe.
class deribit_simulator {
public:
  explicit deribit_simulator(simulator_options options = {});
  ~deribit_simulator();
  deribit_simulator(const deribit_simulator&) = delete;
  deribit_simulator& operator=(const deribit_simulator&) = delete;

  /// Loads the data, binds 127.0.0.1:port and starts serving. Call once.
  start_result start();
  /// Stops serving and closes every connection; the port is free afterwards. Idempotent.
  void stop();
  /// The bound port (0 before start()).
  unsigned short port() const;

  /// Queues a fault for the next `count` API requests.
  void inject(fault f, int count = 1);
  void inject(fault_spec spec);
  /// Drops every queued fault.
  void clear_faults();

  /// API requests received (including faulted ones; `/_sim/` requests excluded).
  std::uint64_t requests_served() const;
  /// API requests that asked for gzip (and got their answer gzip-compressed, level 6).
  std::uint64_t gzip_requests() const;
  /// API requests received for one method, e.g. "public/get_book_summary_by_currency".
  std::uint64_t method_count(const std::string& method) const;
  std::map<std::string, std::uint64_t> method_counts() const;
  /// Every API request in arrival order (the first max_request_log).
  std::vector<request_record> request_log() const;
  /// TCP connections accepted.
  std::uint64_t connections_accepted() const;

  struct impl;

private:
  std::shared_ptr<impl> impl_;
};

} // namespace derivcache::sim
