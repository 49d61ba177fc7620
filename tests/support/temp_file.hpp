// A temporary file path unique per process and per use; removes the file (and SQLite's WAL files beside it).
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

namespace derivcache::test {

struct temp_file {
  std::string path;
  explicit temp_file(const std::string& extension) {
    static int n = 0;
    path = (std::filesystem::temp_directory_path() /
            ("derivcache_" + std::to_string(::getpid()) + "_" + std::to_string(++n) + extension))
             .string();
    remove_all();
  }
  /// Written with `content` (a config file, a payload).
  temp_file(const std::string& extension, const std::string& content) : temp_file(extension) {
    std::ofstream{path} << content;
  }
  ~temp_file() { remove_all(); }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;

  void remove_all() const {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"})
      std::filesystem::remove(path + suffix);
  }
};

/// A SQLite database path.
struct temp_db : temp_file {
  temp_db() : temp_file(".db") {}
};

} // namespace derivcache::test
