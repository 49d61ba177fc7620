// derivcache's error codes, carried in caf::error (category "derivcache").
#pragma once

#include <caf/error.hpp>
#include <caf/message.hpp>

#include <cstdint>
#include <string>

namespace derivcache::messages {

/// The first five are the failing fetch outcomes (messages/fetch_outcome.hpp names them).
enum class errc : uint8_t {
  rate_limited = 1,   ///< HTTP 429, JSON-RPC 10028 / 10066; context: (retry_after_seconds: int64, detail: string)
  network_failure,    ///< resolve, connect, TLS, timeout, reset; context: (detail)
  unavailable,        ///< HTTP 5xx, 10040, 10041, 11051, 13028, 13503; context: (detail)
  request_error,      ///< other 4xx, -32602: our request was wrong; not retried in a loop
  bad_payload,        ///< a body that does not decode
  forbidden,          ///< a remote control request while introspection.allow-control is off
  capacity,           ///< introspection.max-subscribers reached
  storage_failure,    ///< the feature/label store could not write or read (SQLite); context: (detail)
};

std::string to_string(errc x);

/// Renders a derivcache error for logs: "rate_limited: HTTP 429 on get_book_summary_by_currency".
std::string render(const caf::error& err);

} // namespace derivcache::messages

CAF_ERROR_CODE_ENUM(derivcache::messages::errc, "derivcache")
