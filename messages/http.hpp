// An HTTP GET handed from the I/O thread to an actor, with the callback that answers it. Local only.
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>

#include <functional>
#include <string>

namespace derivcache::messages {

struct http_call {
  std::string path;    ///< target before '?', e.g. "/snapshot"
  std::string query;   ///< target after '?', still percent-encoded (empty when none)
  /// Answers the request; callable from any thread, at most once.
  std::function<void(unsigned status, std::string content_type, std::string body)> reply;
};

} // namespace derivcache::messages

// The callback cannot be serialized: the message never leaves the process.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(derivcache::messages::http_call)
