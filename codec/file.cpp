// Whole-file reads with an error that names the path.
#include "codec/file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace derivcache::codec {

std::optional<std::string> read_text_file(const std::string& path, std::string& error) {
  std::ifstream in{path, std::ios::binary};
  if (!in) {
    error = path + ": cannot read: " + std::strerror(errno);
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

} // namespace derivcache::codec
