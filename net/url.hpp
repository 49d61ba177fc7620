// Parses the `https://host[:port][/prefix]` and `wss://...` origins the configuration names, and decodes query text.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace derivcache::net {

/// A parsed origin: scheme, host, port and an optional path prefix.
struct url {
  std::string scheme;       ///< "https" or "wss"
  std::string host;         ///< lower-cased host name or IPv4 literal
  std::string port;         ///< "443" unless given
  std::string prefix;       ///< path prefix without a trailing '/', e.g. "/api/v2"; empty for none
  bool host_is_ip = false;  ///< an IPv4 literal: no SNI is sent for it
};

/// Decodes a query-string component: `+` is a space, `%XX` a byte; a malformed escape stays as it is.
std::string percent_decode(std::string_view text);

/// Parses `text`; on failure returns nothing and sets `error` (e.g. "url 'http://x': scheme must be https or wss").
std::optional<url> parse_url(std::string_view text, std::string& error);

} // namespace derivcache::net
