// The SQLite wrapper.
#include "store/sqlite.hpp"

#include <sqlite3.h>

namespace derivcache::store {

namespace {

std::string shorten(const std::string& sql) {
  constexpr std::size_t max = 120;
  return sql.size() <= max ? sql : sql.substr(0, max) + "...";
}

} // namespace

bool error::transient() const {
  switch (code_ & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_PROTOCOL:
      return true;
    default:
      return false;
  }
}

connection::connection(const std::string& path, bool read_only, int busy_timeout_ms) : path_(path) {
  const int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw error("cannot open " + path + ": " + msg);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, busy_timeout_ms);
}

connection::~connection() {
  sqlite3_close_v2(db_);
}

void connection::exec(const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : sqlite3_errmsg(db_);
    sqlite3_free(message);
    throw error(path_ + ": SQL '" + shorten(sql) + "': " + text, sqlite3_extended_errcode(db_));
  }
}

statement connection::prepare(const std::string& sql) { return statement{*this, sql}; }

int64_t connection::changes() const { return sqlite3_changes(db_); }

int64_t connection::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

statement::statement(connection& db, const std::string& sql) : db_(&db), sql_(sql) {
  if (sqlite3_prepare_v2(db.handle(), sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK)
    fail("prepare");
}

statement::statement(statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_), sql_(std::move(other.sql_)) {
  other.stmt_ = nullptr;
}

statement::~statement() { sqlite3_finalize(stmt_); }

void statement::fail(const std::string& what) const {
  throw error(db_->path() + ": SQL '" + shorten(sql_) + "' (" + what + "): " + sqlite3_errmsg(db_->handle()),
              sqlite3_extended_errcode(db_->handle()));
}

statement& statement::bind(int index, int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK)
    fail("bind " + std::to_string(index));
  return *this;
}

statement& statement::bind(int index, double value) {
  if (sqlite3_bind_double(stmt_, index, value) != SQLITE_OK)
    fail("bind " + std::to_string(index));
  return *this;
}

statement& statement::bind(int index, const std::string& value) {
  if (sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT) != SQLITE_OK)
    fail("bind " + std::to_string(index));
  return *this;
}

statement& statement::bind(int index, const std::optional<double>& value) {
  return value ? bind(index, *value) : bind_null(index);
}

statement& statement::bind(int index, const std::optional<int64_t>& value) {
  return value ? bind(index, *value) : bind_null(index);
}

statement& statement::bind_null(int index) {
  if (sqlite3_bind_null(stmt_, index) != SQLITE_OK)
    fail("bind " + std::to_string(index));
  return *this;
}

bool statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW)
    return true;
  if (rc == SQLITE_DONE) {
    sqlite3_reset(stmt_);
    return false;
  }
  std::string msg = sqlite3_errmsg(db_->handle());
  const int code = sqlite3_extended_errcode(db_->handle());
  sqlite3_reset(stmt_);
  throw error(db_->path() + ": SQL '" + shorten(sql_) + "': " + msg, code);
}

void statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool statement::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

int64_t statement::int64(int column) const { return sqlite3_column_int64(stmt_, column); }

double statement::real(int column) const { return sqlite3_column_double(stmt_, column); }

std::optional<double> statement::optional_real(int column) const {
  return is_null(column) ? std::nullopt : std::optional<double>{real(column)};
}

std::optional<int64_t> statement::optional_int64(int column) const {
  return is_null(column) ? std::nullopt : std::optional<int64_t>{int64(column)};
}

std::string statement::text(int column) const {
  auto p = sqlite3_column_text(stmt_, column);
  return p ? std::string{reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))}
           : std::string{};
}

transaction::transaction(connection& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

transaction::~transaction() {
  if (!done_)
    sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

} // namespace derivcache::store
