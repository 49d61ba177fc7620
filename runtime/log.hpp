// A tiny thread-safe line logger: "2026-11-24T09:10:00.123Z INFO [TAG] message", one line per event.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

namespace derivcache::runtime {

enum class log_level : uint8_t { debug, info, warn, error };

/// "DEBUG", "INFO", "WARN", "ERROR".
std::string to_string(log_level x);

/// Parses "debug", "info", "warn"/"warning", "error" (any case).
std::optional<log_level> parse_log_level(const std::string& text);

/// Formats a wall-clock time as UTC ISO 8601 with milliseconds: "2026-11-24T09:10:00.123Z".
std::string format_utc(std::chrono::system_clock::time_point t);

/// Writes one line per event to a sink (stderr by default). Safe to call from any thread.
class logger {
public:
  using sink_type = std::function<void(const std::string& line)>;

  /// `tag` is printed in brackets when not empty (e.g. "SIMULATED"); `sink` defaults to stderr.
  explicit logger(log_level min_level = log_level::info, std::string tag = {}, sink_type sink = {});

  void log(log_level level, const std::string& message);
  void debug(const std::string& message) { log(log_level::debug, message); }
  void info(const std::string& message) { log(log_level::info, message); }
  void warn(const std::string& message) { log(log_level::warn, message); }
  void error(const std::string& message) { log(log_level::error, message); }

  bool enabled(log_level level) const { return level >= min_level_; }

private:
  log_level min_level_;
  std::string tag_;
  sink_type sink_;
  std::mutex mtx_;
};

} // namespace derivcache::runtime
