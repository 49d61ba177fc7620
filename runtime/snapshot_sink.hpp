// Appends feature snapshots to a JSON Lines file: one write(2) per line on an O_APPEND descriptor;
// a torn last line left by a crash is cut off when the file is opened, so readers see whole lines only.
// The file is rotated by size and by UTC day into names that sort by time, with an fsync policy.
#pragma once

#include "messages/feed.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace derivcache::runtime {

/// One JSON object per snapshot, without the newline (fields and units: docs/snapshots.md).
std::string snapshot_json(const messages::feature_snapshot& s);

/// When the sink asks the disk to hold what it wrote (snapshots.fsync).
enum class fsync_policy : uint8_t {
  never,         ///< the kernel writes back when it likes (a power loss may lose the last seconds)
  rotate,        ///< a finished file is fsync'ed before it is renamed, and the directory after
  every_write,   ///< fdatasync after every line
};

/// "never", "rotate", "every-write".
std::string to_string(fsync_policy x);

/// The policy named `text`; none for anything else.
std::optional<fsync_policy> parse_fsync_policy(const std::string& text);

struct snapshot_sink_options {
  uint64_t max_file_size = 64 * 1024 * 1024;   ///< rotate before a line would take the file past it; 0: no limit
  fsync_policy fsync = fsync_policy::rotate;
  std::function<std::chrono::system_clock::time_point()> clock;   ///< default system_clock::now
};

/// The name a file is rotated to at `t`: "dir/snapshots.jsonl" -> "dir/snapshots.20261128T000430.123Z.jsonl".
std::string rotated_name(const std::string& path, std::chrono::system_clock::time_point t);

/// An open JSONL file. Not thread-safe: one owner (the feature collector) writes to it. Before a line would
/// take the file past max_file_size, or at the first line of a new UTC day (a file last written on an
/// earlier day is rotated at its first line too), the file is renamed to rotated_name(path, now) and a new
/// one started: every rotated file holds whole lines, and the names sort in the order of their lines.
class snapshot_sink {
public:
  ~snapshot_sink();
  snapshot_sink(const snapshot_sink&) = delete;
  snapshot_sink& operator=(const snapshot_sink&) = delete;

  /// Opens (creates, mode 0644) `path` for appending. If its last line has no '\n' (a write cut short
  /// by a crash), the file is truncated after the last '\n'. Null with `error` set on failure.
  static std::unique_ptr<snapshot_sink> open(const std::string& path, std::string& error,
                                             snapshot_sink_options options = {});

  /// Appends `line` + '\n' with one write(2) (the rest is retried only after a short write).
  bool append(const std::string& line, std::string& error);

  bool append(const messages::feature_snapshot& s, std::string& error) { return append(snapshot_json(s), error); }

  /// Bytes cut off by the repair at open (0 when the file ended cleanly).
  uint64_t repaired_bytes() const { return repaired_bytes_; }
  uint64_t lines_written() const { return lines_written_; }
  uint64_t rotations() const { return rotations_; }
  const std::string& path() const { return path_; }

private:
  snapshot_sink(int fd, std::string path, uint64_t repaired, snapshot_sink_options options, uint64_t size, int64_t day)
    : fd_(fd), path_(std::move(path)), repaired_bytes_(repaired), options_(std::move(options)), size_(size), day_(day) {}

  bool rotate(std::chrono::system_clock::time_point now, std::string& error);

  int fd_;
  std::string path_;
  uint64_t repaired_bytes_ = 0;
  uint64_t lines_written_ = 0;
  uint64_t rotations_ = 0;
  snapshot_sink_options options_;
  uint64_t size_ = 0;   ///< bytes in the current file
  int64_t day_ = 0;     ///< UTC day (days since 1970) of the current file's lines
};

} // namespace derivcache::runtime
