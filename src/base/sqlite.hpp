#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

// A thin owner of SQLite connections and statements. Every error reads
// `sqlite "PATH": <sql op>: <sqlite message>`.
namespace berth::sqlite {

class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Parameters count from 1, as in SQLite.
  Status bind(int idx, std::string_view value);
  Status bind(int idx, int64_t value);
  Status bind(int idx, std::nullptr_t);
  // True when a row is ready for the column_* calls, false when the statement is done.
  Result<bool> step();
  // Columns count from 0; NULL reads as "" and 0.
  std::string column_text(int i) const;
  int64_t column_int64(int i) const;
  bool column_is_null(int i) const;
  // Ready to step again from the start, with no parameters bound.
  void reset();

 private:
  friend class Db;
  Statement(sqlite3_stmt* stmt, std::string db_path, std::string sql)
      : stmt_(stmt), db_path_(std::move(db_path)), sql_(std::move(sql)) {}
  Error error(const std::string& op) const;

  sqlite3_stmt* stmt_ = nullptr;
  std::string db_path_;
  std::string sql_;
};

class Db {
 public:
  // Creates the file (0600) when missing; WAL journal, foreign keys on, busy timeout 10 s.
  static Result<Db> open(const std::string& path);

  Db(Db&& other) noexcept;
  Db& operator=(Db&& other) noexcept;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db();

  const std::string& path() const { return path_; }
  // Runs one or more statements that return no rows.
  Status exec(std::string_view sql);
  Result<Statement> prepare(std::string_view sql);
  // Rows changed by the last INSERT, UPDATE or DELETE.
  int64_t changes() const;

  // Brings component's tables to steps.size() by running the steps it has not run yet, in one
  // transaction; the versions live in the table schema_versions(component, version). Each part
  // of berth (images, containers, volumes) migrates its own tables in the shared database.
  Status migrate(std::string_view component, const std::vector<std::string_view>& steps);

 private:
  friend class Statement;
  friend class Transaction;
  Db(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  Error error(const std::string& op) const;

  sqlite3* db_ = nullptr;
  std::string path_;
};

// BEGIN IMMEDIATE: the write lock is taken at once (waiting up to the busy timeout), so a
// transaction never fails half-way because another writer came first. Rolls back in its
// destructor unless committed.
class Transaction {
 public:
  static Result<Transaction> begin(Db& db);

  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  Status commit();

 private:
  explicit Transaction(Db* db) : db_(db) {}
  Db* db_ = nullptr;  // null once committed or rolled back
};

}  // namespace berth::sqlite
