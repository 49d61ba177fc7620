// Reads a whole file into a string, for tests that load recorded payloads.
#pragma once

#include <cstddef>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace derivcache::test {

/// The bytes of `path`; throws std::runtime_error naming the path if it cannot be read.
inline std::string read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    throw std::runtime_error("cannot read " + path);
  in.seekg(0, std::ios::end);
  const auto size = in.tellg();
  in.seekg(0, std::ios::beg);
  if (size < 0)
    throw std::runtime_error("cannot read " + path);
  std::string text(static_cast<std::size_t>(size), '\0');
  if (!in.read(text.data(), size))
    throw std::runtime_error("cannot read " + path);
  return text;
}

/// The lines of `text`, without their '\n'.
inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in{text};
  std::string line;
  while (std::getline(in, line))
    out.push_back(line);
  return out;
}

} // namespace derivcache::test
