// The line logger.
#include "runtime/log.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <iostream>

namespace derivcache::runtime {

std::string to_string(log_level x) {
  switch (x) {
    case log_level::debug: return "DEBUG";
    case log_level::info: return "INFO";
    case log_level::warn: return "WARN";
    case log_level::error: return "ERROR";
  }
  return "INFO";
}

std::optional<log_level> parse_log_level(const std::string& text) {
  std::string s = text;
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (s == "debug")
    return log_level::debug;
  if (s == "info")
    return log_level::info;
  if (s == "warn" || s == "warning")
    return log_level::warn;
  if (s == "error")
    return log_level::error;
  return std::nullopt;
}

std::string format_utc(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto ms_total = duration_cast<milliseconds>(t.time_since_epoch()).count();
  auto secs = static_cast<std::time_t>(ms_total / 1000);
  auto ms = ms_total % 1000;
  if (ms < 0) {
    ms += 1000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

logger::logger(log_level min_level, std::string tag, sink_type sink)
  : min_level_(min_level), tag_(std::move(tag)), sink_(std::move(sink)) {}

void logger::log(log_level level, const std::string& message) {
  if (!enabled(level))
    return;
  std::string line = format_utc(std::chrono::system_clock::now());
  line += ' ';
  line += to_string(level);
  if (!tag_.empty())
    line += " [" + tag_ + "]";
  line += ' ';
  line += message;
  std::lock_guard<std::mutex> guard{mtx_};
  if (sink_)
    sink_(line);
  else
    std::cerr << line << '\n' << std::flush;
}

} // namespace derivcache::runtime
