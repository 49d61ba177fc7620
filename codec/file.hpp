// Reading a whole file: recorded payloads, simulator data, inputs of the command-line tools.
#pragma once

#include <optional>
#include <string>

namespace derivcache::codec {

/// The bytes of `path`, or nothing with `error` naming the path and the cause
/// ("data/x.json: cannot read: No such file or directory").
std::optional<std::string> read_text_file(const std::string& path, std::string& error);

} // namespace derivcache::codec
