// A temporary SQLite path unique per process and per use; removes the database and its WAL files.
#pragma once

#include <filesystem>
#include <string>

#include <unistd.h>

namespace derivcache::test {

struct temp_db {
  std::string path;
  temp_db() {
    static int n = 0;
    path = (std::filesystem::temp_directory_path() /
            ("derivcache_store_" + std::to_string(::getpid()) + "_" + std::to_string(++n) + ".db"))
             .string();
    remove_all();
  }
  ~temp_db() { remove_all(); }
  temp_db(const temp_db&) = delete;
  temp_db& operator=(const temp_db&) = delete;

  void remove_all() const {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"})
      std::filesystem::remove(path + suffix);
  }
};

} // namespace derivcache::test
