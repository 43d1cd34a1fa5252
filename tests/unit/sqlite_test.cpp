#include "base/sqlite.hpp"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "base/fs.hpp"

namespace {

using berth::sqlite::Db;
using berth::sqlite::Transaction;

struct TempDir {
  std::string path;
  TempDir() {
    std::string tmpl = "/tmp/berth-sqlite-XXXXXX";
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { (void)berth::fs::remove_all(path); }
  std::string at(const std::string& rel) const { return path + "/" + rel; }
};

int64_t count(Db& db, const std::string& table) {
  auto st = db.prepare("SELECT count(*) FROM " + table);
  EXPECT_TRUE(st) << st.error().what();
  auto row = st->step();
  EXPECT_TRUE(row && *row);
  return st->column_int64(0);
}

TEST(Sqlite, OpensInWalModeWithAPrivateFile) {
  TempDir dir;
  auto db = Db::open(dir.at("t.db"));
  ASSERT_TRUE(db) << db.error().what();
  struct stat st;
  ASSERT_EQ(::stat(dir.at("t.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto mode = db->prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode);
  ASSERT_TRUE(*mode->step());
  EXPECT_EQ(mode->column_text(0), "wal");
  auto fk = db->prepare("PRAGMA foreign_keys");
  ASSERT_TRUE(fk);
  ASSERT_TRUE(*fk->step());
  EXPECT_EQ(fk->column_int64(0), 1);
}

TEST(Sqlite, BindsStepsAndResets) {
  TempDir dir;
  auto db = Db::open(dir.at("t.db"));
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->exec("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER, n TEXT)"));
  auto ins = db->prepare("INSERT INTO t (k, v, n) VALUES (?1, ?2, ?3)");
  ASSERT_TRUE(ins) << ins.error().what();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(ins->bind(1, "key" + std::to_string(i)));
    ASSERT_TRUE(ins->bind(2, int64_t{i} * 10));
    ASSERT_TRUE(ins->bind(3, nullptr));
    auto r = ins->step();
    ASSERT_TRUE(r) << r.error().what();
    EXPECT_FALSE(*r);
    EXPECT_EQ(db->changes(), 1);
    ins->reset();
  }
  auto sel = db->prepare("SELECT k, v, n FROM t WHERE v >= ?1 ORDER BY v");
  ASSERT_TRUE(sel);
  ASSERT_TRUE(sel->bind(1, int64_t{10}));
  ASSERT_TRUE(*sel->step());
  EXPECT_EQ(sel->column_text(0), "key1");
  EXPECT_EQ(sel->column_int64(1), 10);
  EXPECT_TRUE(sel->column_is_null(2));
  EXPECT_EQ(sel->column_text(2), "");
  ASSERT_TRUE(*sel->step());
  EXPECT_EQ(sel->column_text(0), "key2");
  EXPECT_FALSE(*sel->step());
}

TEST(Sqlite, ErrorsNameTheFileTheStatementAndTheReason) {
  TempDir dir;
  auto db = Db::open(dir.at("t.db"));
  ASSERT_TRUE(db);
  auto bad = db->prepare("SELEC nothing");
  ASSERT_FALSE(bad);
  EXPECT_EQ(
      bad.error().what().rfind("sqlite \"" + dir.at("t.db") + "\": prepare \"SELEC nothing\": ", 0),
      0u)
      << bad.error().what();
  ASSERT_TRUE(db->exec("CREATE TABLE u (k TEXT PRIMARY KEY)"));
  ASSERT_TRUE(db->exec("INSERT INTO u VALUES ('a')"));
  auto dup = db->prepare("INSERT INTO u VALUES ('a')");
  ASSERT_TRUE(dup);
  auto r = dup->step();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what().find("step \"INSERT INTO u VALUES ('a')\": UNIQUE constraint failed"),
            std::string::npos)
      << r.error().what();
}

TEST(Sqlite, TransactionRollsBackUnlessCommitted) {
  TempDir dir;
  auto db = Db::open(dir.at("t.db"));
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->exec("CREATE TABLE t (k TEXT)"));
  {
    auto txn = Transaction::begin(*db);
    ASSERT_TRUE(txn) << txn.error().what();
    ASSERT_TRUE(db->exec("INSERT INTO t VALUES ('dropped')"));
  }
  EXPECT_EQ(count(*db, "t"), 0);
  {
    auto txn = Transaction::begin(*db);
    ASSERT_TRUE(txn);
    ASSERT_TRUE(db->exec("INSERT INTO t VALUES ('kept')"));
    ASSERT_TRUE(txn->commit());
    EXPECT_FALSE(txn->commit());
  }
  EXPECT_EQ(count(*db, "t"), 1);
}

TEST(Sqlite, ForeignKeysCascade) {
  TempDir dir;
  auto db = Db::open(dir.at("t.db"));
  ASSERT_TRUE(db);
  ASSERT_TRUE(
      db->exec("CREATE TABLE p (id TEXT PRIMARY KEY);"
               "CREATE TABLE c (pid TEXT NOT NULL REFERENCES p(id) ON DELETE CASCADE)"));
  EXPECT_FALSE(db->exec("INSERT INTO c VALUES ('none')"));
  ASSERT_TRUE(db->exec("INSERT INTO p VALUES ('x'); INSERT INTO c VALUES ('x')"));
  ASSERT_TRUE(db->exec("DELETE FROM p"));
  EXPECT_EQ(count(*db, "c"), 0);
}

TEST(Sqlite, MigrateRunsEachStepOnce) {
  TempDir dir;
  {
    auto db = Db::open(dir.at("t.db"));
    ASSERT_TRUE(db);
    auto r = db->migrate("things", {"CREATE TABLE things (a TEXT)"});
    ASSERT_TRUE(r) << r.error().what();
    ASSERT_TRUE(db->migrate("things", {"CREATE TABLE things (a TEXT)"}));
    ASSERT_TRUE(db->migrate("other", {"CREATE TABLE other (a TEXT)"}));
  }
  auto db = Db::open(dir.at("t.db"));
  ASSERT_TRUE(db);
  auto r = db->migrate("things", {"CREATE TABLE things (a TEXT)", "ALTER TABLE things ADD b TEXT"});
  ASSERT_TRUE(r) << r.error().what();
  ASSERT_TRUE(db->exec("INSERT INTO things (a, b) VALUES ('1', '2')"));
  auto older = db->migrate("things", {"CREATE TABLE things (a TEXT)"});
  ASSERT_FALSE(older);
  EXPECT_NE(older.error().what().find("newer than this program's 1"), std::string::npos);
}

// Two processes writing at once: BEGIN IMMEDIATE and the busy timeout serialize them.
TEST(Sqlite, ConcurrentWritersFromTwoProcesses) {
  TempDir dir;
  {
    auto db = Db::open(dir.at("t.db"));
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec("CREATE TABLE t (v INTEGER)"));
  }
  constexpr int kRows = 200;
  pid_t children[2];
  for (auto& child : children) {
    child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      auto db = Db::open(dir.at("t.db"));
      if (!db) ::_exit(2);
      for (int i = 0; i < kRows; ++i) {
        auto txn = Transaction::begin(*db);
        if (!txn) ::_exit(3);
        if (!db->exec("INSERT INTO t VALUES (" + std::to_string(i) + ")")) ::_exit(4);
        if (!txn->commit()) ::_exit(5);
      }
      ::_exit(0);
    }
  }
  for (auto child : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }
  auto db = Db::open(dir.at("t.db"));
  ASSERT_TRUE(db);
  EXPECT_EQ(count(*db, "t"), 2 * kRows);
}

}  // namespace
