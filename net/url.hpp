// Query-string decoding for the HTTP servers (the metrics endpoint and the simulators).
#pragma once

#include <string>
#include <string_view>

namespace derivcache::net {

/// Decodes a query-string component: `+` is a space, `%XX` a byte; a malformed escape stays as it is.
std::string percent_decode(std::string_view text);

} // namespace derivcache::net
