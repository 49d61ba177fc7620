// Duration text.
#include "runtime/duration_text.hpp"

#include <charconv>

namespace derivcache::runtime {

std::string seconds_text(std::chrono::nanoseconds d) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  if (ms % 1000 == 0)
    return std::to_string(ms / 1000) + "s";
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, static_cast<double>(ms) / 1000.0);
  (void) ec;   // 32 characters hold any double
  return std::string{buf, end} + "s";
}

} // namespace derivcache::runtime
