// Appends feature snapshots to a JSON Lines file: one write(2) per line on an O_APPEND descriptor;
// a torn last line left by a crash is cut off when the file is opened, so readers see whole lines only.
#pragma once

#include "messages/feed.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace derivcache::runtime {

/// One JSON object per snapshot, without the newline (fields and units: docs/snapshots.md).
std::string snapshot_json(const messages::feature_snapshot& s);

/// An open JSONL file. Not thread-safe: one owner (the feature collector) writes to it.
class snapshot_sink {
public:
  ~snapshot_sink();
  snapshot_sink(const snapshot_sink&) = delete;
  snapshot_sink& operator=(const snapshot_sink&) = delete;

  /// Opens (creates, mode 0644) `path` for appending. If its last line has no '\n' (a write cut short
  /// by a crash), the file is truncated after the last '\n'. Null with `error` set on failure.
  static std::unique_ptr<snapshot_sink> open(const std::string& path, std::string& error);

  /// Appends `line` + '\n' with one write(2) (the rest is retried only after a short write).
  bool append(const std::string& line, std::string& error);

  bool append(const messages::feature_snapshot& s, std::string& error) { return append(snapshot_json(s), error); }

  /// Bytes cut off by the repair at open (0 when the file ended cleanly).
  uint64_t repaired_bytes() const { return repaired_bytes_; }
  uint64_t lines_written() const { return lines_written_; }
  const std::string& path() const { return path_; }

private:
  snapshot_sink(int fd, std::string path, uint64_t repaired) : fd_(fd), path_(std::move(path)), repaired_bytes_(repaired) {}

  int fd_;
  std::string path_;
  uint64_t repaired_bytes_ = 0;
  uint64_t lines_written_ = 0;
};

} // namespace derivcache::runtime
