#include "base/sqlite.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <utility>

namespace berth::sqlite {

namespace {

constexpr int kBusyTimeoutMs = 10'000;

// The statement as shown in errors: its first line, shortened.
std::string shown_sql(std::string_view sql) {
  std::string s(sql.substr(0, sql.find('\n')));
  while (!s.empty() && (s.front() == ' ')) s.erase(0, 1);
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return quote(s);
}

Error make_error(const std::string& db_path, const std::string& op, sqlite3* db) {
  const char* why = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
  return plain_error("sqlite " + quote(db_path) + ": " + op + ": " + why);
}

}  // namespace

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)),
      db_path_(std::move(other.db_path_)),
      sql_(std::move(other.sql_)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    db_path_ = std::move(other.db_path_);
    sql_ = std::move(other.sql_);
  }
  return *this;
}

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

Error Statement::error(const std::string& op) const {
  return make_error(db_path_, op + " " + sql_, sqlite3_db_handle(stmt_));
}

Status Statement::bind(int idx, std::string_view value) {
  if (sqlite3_bind_text64(stmt_, idx, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8) !=
      SQLITE_OK)
    return fail(error("bind ?" + std::to_string(idx) + " of"));
  return {};
}

Status Statement::bind(int idx, int64_t value) {
  if (sqlite3_bind_int64(stmt_, idx, value) != SQLITE_OK)
    return fail(error("bind ?" + std::to_string(idx) + " of"));
  return {};
}

Status Statement::bind(int idx, std::nullptr_t) {
  if (sqlite3_bind_null(stmt_, idx) != SQLITE_OK)
    return fail(error("bind ?" + std::to_string(idx) + " of"));
  return {};
}

Result<bool> Statement::step() {
  int r = sqlite3_step(stmt_);
  if (r == SQLITE_ROW) return true;
  if (r == SQLITE_DONE) return false;
  auto e = error("step");
  // A failed step leaves the statement needing a reset before its next use.
  sqlite3_reset(stmt_);
  return fail(std::move(e));
}

std::string Statement::column_text(int i) const {
  const auto* text = sqlite3_column_text(stmt_, i);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, i)));
}

int64_t Statement::column_int64(int i) const {
  return sqlite3_column_int64(stmt_, i);
}

bool Statement::column_is_null(int i) const {
  return sqlite3_column_type(stmt_, i) == SQLITE_NULL;
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Result<Db> Db::open(const std::string& path) {
  // SQLite creates the -wal and -shm files with the database's permissions.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return fail_sys("sqlite: open " + quote(path));
  ::close(fd);
  sqlite3* raw = nullptr;
  int r = sqlite3_open_v2(path.c_str(), &raw,
                          SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_FULLMUTEX,
                          nullptr);
  Db db(raw, path);
  if (r != SQLITE_OK) return fail(make_error(path, "open", raw));
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  BERTH_CHECK(db.exec("PRAGMA foreign_keys = ON"));
  // In WAL mode NORMAL syncs at checkpoints, not at each commit: a killed process loses nothing
  // (the commit is in the page cache), only a power cut may lose the last commits, and the
  // database stays consistent either way. A commit then costs no fdatasync.
  BERTH_CHECK(db.exec("PRAGMA synchronous = NORMAL"));
  // The last connection to close would checkpoint and delete the WAL, with three syncs: each
  // short-lived CLI process would pay them. Checkpoints happen as the WAL grows instead.
  sqlite3_db_config(raw, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  // Switching a new database to WAL takes a lock that the busy handler does not wait for, as when
  // two processes open it at once: retry for as long as the busy timeout.
  for (int waited_ms = 0;; waited_ms += 10) {
    auto mode = BERTH_TRY(db.prepare("PRAGMA journal_mode = WAL"));
    auto row = mode.step();
    if (row) {
      if (!*row || mode.column_text(0) != "wal")
        return fail_msg("sqlite " + quote(path) + ": journal_mode = WAL: refused (got " +
                        quote(mode.column_text(0)) + ")");
      return db;
    }
    int code = sqlite3_errcode(raw) & 0xff;
    if ((code != SQLITE_BUSY && code != SQLITE_LOCKED) || waited_ms >= kBusyTimeoutMs)
      return fail(row.error());
    ::usleep(10000);
  }
}

Db::Db(Db&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)) {}

Db& Db::operator=(Db&& other) noexcept {
  if (this != &other) {
    sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
  }
  return *this;
}

Db::~Db() {
  sqlite3_close_v2(db_);
}

Error Db::error(const std::string& op) const {
  return make_error(path_, op, db_);
}

Status Db::exec(std::string_view sql) {
  std::string text(sql);
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK)
    return fail(error("exec " + shown_sql(sql)));
  return {};
}

Result<Statement> Db::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK)
    return fail(error("prepare " + shown_sql(sql)));
  if (stmt == nullptr) return fail(error("prepare " + shown_sql(sql) + ": no statement"));
  return Statement(stmt, path_, shown_sql(sql));
}

int64_t Db::changes() const {
  return sqlite3_changes64(db_);
}

Status Db::migrate(std::string_view component, const std::vector<std::string_view>& steps) {
  auto txn = BERTH_TRY(Transaction::begin(*this));
  BERTH_CHECK(
      exec("CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY NOT NULL, "
           "version INTEGER NOT NULL) STRICT"));
  auto get = BERTH_TRY(prepare("SELECT version FROM schema_versions WHERE component = ?1"));
  BERTH_CHECK(get.bind(1, component));
  int64_t version = BERTH_TRY(get.step()) ? get.column_int64(0) : 0;
  get.reset();
  if (version > static_cast<int64_t>(steps.size()))
    return fail_msg("sqlite " + quote(path_) + ": " + std::string(component) +
                    " tables at version " + std::to_string(version) +
                    ", newer than this program's " + std::to_string(steps.size()));
  if (version == static_cast<int64_t>(steps.size())) return txn.commit();
  for (auto i = static_cast<size_t>(version); i < steps.size(); ++i) BERTH_CHECK(exec(steps[i]));
  auto set =
      BERTH_TRY(prepare("INSERT INTO schema_versions (component, version) VALUES (?1, ?2) "
                        "ON CONFLICT (component) DO UPDATE SET version = excluded.version"));
  BERTH_CHECK(set.bind(1, component));
  BERTH_CHECK(set.bind(2, static_cast<int64_t>(steps.size())));
  BERTH_CHECK(set.step());
  return txn.commit();
}

Result<Transaction> Transaction::begin(Db& db) {
  BERTH_CHECK(db.exec("BEGIN IMMEDIATE"));
  return Transaction(&db);
}

Transaction::Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Transaction::~Transaction() {
  if (db_ != nullptr) (void)db_->exec("ROLLBACK");
}

Status Transaction::commit() {
  if (db_ == nullptr) return fail_msg("sqlite: commit: the transaction has ended");
  Db* db = std::exchange(db_, nullptr);
  if (auto r = db->exec("COMMIT"); !r) {
    (void)db->exec("ROLLBACK");
    return r;
  }
  return {};
}

}  // namespace berth::sqlite
