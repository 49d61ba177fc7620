// A small RAII wrapper over SQLite: a connection, prepared statements and transactions. Every failure
// throws store::error naming the SQL and sqlite3_errmsg.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

struct sqlite3;
struct sqlite3_stmt;

namespace derivcache::store {

/// A failed SQLite call: "SQL 'INSERT INTO ...': UNIQUE constraint failed: ...".
class error : public std::runtime_error {
public:
  explicit error(const std::string& what, int code = 0) : std::runtime_error(what), code_(code) {}
  /// The extended SQLite result code (0 when the failure did not come from SQLite).
  int code() const { return code_; }
  /// Busy or locked past the busy timeout, disk full, I/O error: the same write may succeed later.
  bool transient() const;

private:
  int code_ = 0;
};

class statement;

/// One open database connection. Not thread-safe: one owner uses it.
class connection {
public:
  /// Opens (read-write, created when missing; or read-only) `path`; a locked database is waited for up to
  /// `busy_timeout_ms` before a statement fails with SQLITE_BUSY. Throws store::error.
  connection(const std::string& path, bool read_only, int busy_timeout_ms = 5000);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Runs one or more statements without results.
  void exec(const std::string& sql);

  statement prepare(const std::string& sql);

  /// Rows changed by the last INSERT, UPDATE or DELETE.
  int64_t changes() const;

  int64_t last_insert_rowid() const;

  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_; }

private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

/// A prepared statement: bind (1-based), step, read columns (0-based), reset.
class statement {
public:
  statement(connection& db, const std::string& sql);
  ~statement();
  statement(statement&& other) noexcept;
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  statement& operator=(statement&&) = delete;

  statement& bind(int index, int64_t value);
  statement& bind(int index, double value);
  statement& bind(int index, const std::string& value);
  statement& bind(int index, const std::optional<double>& value);
  statement& bind(int index, const std::optional<int64_t>& value);
  statement& bind_null(int index);

  /// True when a row is ready; false when done.
  bool step();
  /// Steps a statement that returns no rows.
  void run() { step(); }
  /// Resets for reuse and clears the bindings.
  void reset();

  bool is_null(int column) const;
  int64_t int64(int column) const;
  double real(int column) const;
  std::optional<double> optional_real(int column) const;
  std::optional<int64_t> optional_int64(int column) const;
  std::string text(int column) const;

private:
  [[noreturn]] void fail(const std::string& what) const;

  connection* db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string sql_;
};

/// BEGIN IMMEDIATE now; COMMIT on commit(); ROLLBACK when destroyed uncommitted (an exception).
class transaction {
public:
  explicit transaction(connection& db);
  ~transaction();
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  void commit();

private:
  connection& db_;
  bool done_ = false;
};

} // namespace derivcache::store
