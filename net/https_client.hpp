// Asynchronous HTTPS GET client (Boost.Beast + OpenSSL) with keep-alive, deadlines and a body cap.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace derivcache::net {

/// Where a request failed, for error mapping by the caller.
enum class failure : uint8_t {
  none,
  resolve,         ///< host name did not resolve
  connect,         ///< TCP connect refused / unreachable
  tls,             ///< handshake failed: untrusted certificate, wrong host name, protocol
  timeout,         ///< the request's total deadline passed
  reset,           ///< connection reset or closed mid-exchange (after one retry on a fresh connection)
  truncated,       ///< body shorter than announced
  body_too_large,  ///< body over the configured cap
  protocol,        ///< malformed HTTP
  cancelled,       ///< not sent: the client was shut down, or the host rate-limited an earlier request
  rate_limited,    ///< not sent: the host's Retry-After has not passed yet
};
std::string to_string(failure x);

struct http_response {
  unsigned status = 0;
  std::string body;                                  ///< inflated when it came gzip-encoded
  std::size_t wire_bytes = 0;                        ///< the body's size on the wire
  std::optional<std::chrono::seconds> retry_after;   ///< from a Retry-After header (delta-seconds)
};

/// Says whether a response asks the client to stop sending (HTTP 429, or an API's own rate-limit error).
using rate_limit_rule = std::function<bool(const http_response&)>;

/// An HTTPS origin and its client settings.
struct https_options {
  std::string host = "www.deribit.com";
  std::string port = "443";
  std::string ca_file;                                  ///< extra trust anchor(s); system store always used
  std::chrono::milliseconds timeout{std::chrono::seconds{10}};   ///< total per request, from get() (queue time counts;
                                                                 ///< a request with < 1/10 of it left fails in the queue)
  std::size_t max_body = 16u << 20;                     ///< on the wire and, for a gzip answer, once inflated
  /// Asks for gzip (`Accept-Encoding: gzip`). A `Content-Encoding: gzip` answer is inflated either way;
  /// any other encoding but identity fails with `protocol`.
  bool gzip = false;
  std::string user_agent = "derivcache";
  /// A response it matches makes the client fail every queued, unsent request at once (`cancelled`) and,
  /// when the response carries a Retry-After, fail every request asked for before it has passed
  /// (`rate_limited`, with the seconds left in `response.retry_after`), so nothing reaches the host
  /// between a rate-limit answer and its Retry-After. Default: HTTP 429.
  rate_limit_rule is_rate_limit = [](const http_response& r) { return r.status == 429; };
};

/// The outcome of one GET: a response (any status) or a failure with a message.
struct http_result {
  failure error = failure::none;
  std::string message;    ///< e.g. "tls: certificate verify failed"
  http_response response;
  std::chrono::microseconds latency{0};
};

/// The I/O seam between actors and the network; tests may substitute a fake.
class http_client {
public:
  using handler = std::function<void(http_result)>;
  virtual ~http_client() = default;
  /// Queues GET `target` (path + query). `h` runs on the client's I/O thread, exactly once.
  virtual void get(std::string target, handler h) = 0;
  /// Cancels queued and in-flight requests (their handlers get failure::cancelled) and closes the connection.
  virtual void shutdown() = 0;
};

/// Makes a client bound to `ioc`. Fails (empty pointer, `error` set) when the CA file is unreadable.
std::shared_ptr<http_client> make_https_client(boost::asio::io_context& ioc, https_options options,
                                               std::string& error);

} // namespace derivcache::net
