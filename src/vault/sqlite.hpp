// A thin RAII layer over sqlite3 statements, turning SQLite errors into
// Result errors (SQLITE_NOTADB/CORRUPT -> corrupt, BUSY -> timeout).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "crypto/primitives.hpp"
#include "util/result.hpp"

namespace ward {

tl::unexpected<Error> sqlite_error(sqlite3* db, int rc, std::string_view what);

// Runs SQL with no results.
Status sqlite_exec(sqlite3* db, const char* sql);

class Stmt {
 public:
  static Result<Stmt> prepare(sqlite3* db, const char* sql);
  Stmt(Stmt&& other) noexcept;
  Stmt& operator=(Stmt&&) = delete;
  Stmt(const Stmt&) = delete;
  ~Stmt();

  Stmt& bind(int index, std::int64_t value);
  Stmt& bind(int index, std::string_view text);
  Stmt& bind(int index, std::span<const std::uint8_t> blob);
  // true while there is a row; false when done.
  Result<bool> step();
  Status run();  // step to completion, expecting no rows

  std::int64_t int64(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::string text(int col) const;
  Bytes blob(int col) const;
  bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

 private:
  Stmt(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

// An IMMEDIATE transaction, rolled back unless committed.
class Transaction {
 public:
  static Result<Transaction> begin(sqlite3* db);
  Transaction(Transaction&& other) noexcept : db_(other.db_), done_(other.done_) {
    other.done_ = true;
  }
  Transaction(const Transaction&) = delete;
  ~Transaction();
  Status commit();

 private:
  explicit Transaction(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  bool done_ = false;
};

}  // namespace ward
