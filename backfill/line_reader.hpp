// Lines of a plain or gzip text file, read in large blocks: memory stays fixed whatever the file's size.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace derivcache::backfill {

/// Reads `path` line by line; gzip (one or more members) is recognised by its magic bytes and inflated as it
/// is read. A line is valid until the next call of `next`.
class line_reader {
public:
  /// Opens `path`; when it cannot, `error()` names the path and the cause.
  explicit line_reader(const std::string& path);
  ~line_reader();
  line_reader(const line_reader&) = delete;
  line_reader& operator=(const line_reader&) = delete;

  /// The next line without its "\n" or "\r\n"; false at the end of the file, or on an error (then `error()`).
  bool next(std::string_view& line);

  /// Number (from 1) of the line `next` returned last.
  std::uint64_t line_number() const { return line_number_; }

  /// Bytes of the file read so far and its size (for the share of input read).
  std::uint64_t bytes_read() const { return bytes_read_; }
  std::uint64_t file_size() const { return file_size_; }

  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  const std::string& path() const { return path_; }

private:
  struct impl;
  bool fill();
  std::size_t read_raw(char* into, std::size_t capacity);

  std::string path_;
  std::string error_;
  std::unique_ptr<impl> impl_;
  std::string text_;            // decoded text; [begin_, end_) not yet returned
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  bool eof_ = false;            // no more text will come
  std::uint64_t line_number_ = 0;
  std::uint64_t bytes_read_ = 0;
  std::uint64_t file_size_ = 0;
};

} // namespace derivcache::backfill
