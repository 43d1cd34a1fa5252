#include "image/content_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "base/fs.hpp"
#include "child_status.hpp"

namespace fs = berth::fs;
using berth::image::ContentStore;
using berth::image::Digest;
using berth::image::sha256_of;

namespace {

struct StoreDir {
  std::string path;
  StoreDir() {
    char tmpl[] = "/tmp/berth-content-store-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~StoreDir() { (void)fs::remove_all(path); }
};

std::string big_blob(size_t size) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 7919) >> 3);
  return s;
}

size_t ingest_count(const std::string& root) {
  size_t n = 0;
  auto* d = ::opendir((root + "/ingest").c_str());
  while (auto* e = ::readdir(d)) n += e->d_name[0] != '.';
  ::closedir(d);
  return n;
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  ::lstat(path.c_str(), &st);
  return st.st_mode & 07777;
}

class ContentStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = ContentStore::open(dir_.path + "/store");
    ASSERT_TRUE(s) << s.error().what();
    store_.emplace(std::move(*s));
  }
  std::string root() const { return dir_.path + "/store"; }
  ContentStore& store() { return *store_; }

  StoreDir dir_;
  std::optional<ContentStore> store_;
};

TEST_F(ContentStoreTest, PutStoresReadOnlyBlobThatReadsBackVerified) {
  auto d = store().put("{\"schemaVersion\":2}");
  ASSERT_TRUE(d) << d.error().what();
  EXPECT_EQ(*d, sha256_of("{\"schemaVersion\":2}"));
  EXPECT_TRUE(store().has(*d));
  EXPECT_EQ(store().path(*d), root() + "/blobs/sha256/" + d->hex);
  EXPECT_EQ(mode_of(store().path(*d)), 0444u);
  EXPECT_EQ(mode_of(root() + "/blobs"), 0700u);
  EXPECT_EQ(mode_of(root() + "/ingest"), 0700u);
  EXPECT_EQ(store().read(*d, 1024).value(), "{\"schemaVersion\":2}");
  EXPECT_EQ(store().size(*d).value(), 19u);
  EXPECT_EQ(ingest_count(root()), 0u);

  auto again = store().put("{\"schemaVersion\":2}");
  ASSERT_TRUE(again) << again.error().what();
  EXPECT_EQ(store().list().value(), std::vector<Digest>{*d});
}

TEST_F(ContentStoreTest, ReadRefusesBlobsOverTheLimit) {
  auto d = store().put(std::string(100, 'x')).value();
  auto r = store().read(d, 99);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what(), "read blob " + d.str() + ": larger than the limit of 99 bytes");
  EXPECT_TRUE(store().read(d, 100));
}

TEST_F(ContentStoreTest, DigestMismatchNamesBothAndRemovesThePartialFile) {
  Digest expected = sha256_of("hello");
  auto w = store().writer(expected, std::nullopt);
  ASSERT_TRUE(w) << w.error().what();
  ASSERT_TRUE(w->write("hellO"));
  EXPECT_EQ(ingest_count(root()), 1u);
  auto r = w->commit();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what(),
            "commit blob " + expected.str() + ": digest mismatch: got " + sha256_of("hellO").str());
  EXPECT_FALSE(store().has(expected));
  EXPECT_EQ(ingest_count(root()), 0u);
  EXPECT_TRUE(store().list().value().empty());
  EXPECT_FALSE(w->commit());

  // The next writer starts from nothing and succeeds.
  auto w2 = store().writer(expected, 5).value();
  EXPECT_EQ(w2.offset(), 0u);
  ASSERT_TRUE(w2.write("hello"));
  ASSERT_TRUE(w2.commit());
  EXPECT_TRUE(store().has(expected));
}

TEST_F(ContentStoreTest, SizeMismatchFailsTheCommitAndOverflowFailsTheWrite) {
  Digest expected = sha256_of("0123456789");
  auto w = store().writer(expected, 10).value();
  ASSERT_TRUE(w.write("01234"));
  auto r = w.commit();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what(),
            "commit blob " + expected.str() + ": size mismatch: expected 10 bytes, got 5");
  EXPECT_EQ(ingest_count(root()), 0u);

  auto w2 = store().writer(expected, 10).value();
  ASSERT_TRUE(w2.write("0123456789"));
  auto over = w2.write("!");
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().what(),
            "write blob " + expected.str() + ": more than the expected 10 bytes");
  EXPECT_EQ(ingest_count(root()), 0u);
  EXPECT_FALSE(store().has(expected));
}

TEST_F(ContentStoreTest, DroppedWriterLeavesNoBlobAndTheNextOneResumes) {
  std::string data = big_blob(300000);
  Digest d = sha256_of(data);
  {
    auto w = store().writer(d, data.size()).value();
    ASSERT_TRUE(w.write(std::string_view(data).substr(0, 120000)));
  }
  EXPECT_FALSE(store().has(d));
  EXPECT_TRUE(store().list().value().empty());

  auto w = store().writer(d, data.size()).value();
  EXPECT_FALSE(w.exists());
  ASSERT_EQ(w.offset(), 120000u);
  ASSERT_TRUE(w.write(std::string_view(data).substr(120000)));
  ASSERT_TRUE(w.commit());
  EXPECT_EQ(store().read(d, data.size()).value(), data);
  EXPECT_EQ(ingest_count(root()), 0u);
}

TEST_F(ContentStoreTest, RestartDropsAStaleWrongPrefix) {
  std::string data = "the real content";
  Digest d = sha256_of(data);
  {
    auto w = store().writer(d, std::nullopt).value();
    ASSERT_TRUE(w.write("garbage"));
  }
  auto w = store().writer(d, std::nullopt).value();
  EXPECT_EQ(w.offset(), 7u);
  ASSERT_TRUE(w.restart());
  EXPECT_EQ(w.offset(), 0u);
  ASSERT_TRUE(w.write(data));
  ASSERT_TRUE(w.commit());
  EXPECT_EQ(store().read(d, 100).value(), data);
}

TEST_F(ContentStoreTest, StaleIngestLongerThanTheSizeStartsOver) {
  std::string data = "short";
  Digest d = sha256_of(data);
  {
    auto w = store().writer(d, std::nullopt).value();
    ASSERT_TRUE(w.write("much longer than five bytes"));
  }
  auto w = store().writer(d, data.size()).value();
  EXPECT_EQ(w.offset(), 0u);
  ASSERT_TRUE(w.write(data));
  ASSERT_TRUE(w.commit());
}

TEST_F(ContentStoreTest, WriterKilledMidWriteLeavesNoBlobAndTheNextWriterSucceeds) {
  std::string data = big_blob(1 << 20);
  Digest d = sha256_of(data);
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(ready[0]);
    auto s = ContentStore::open(root());
    if (!s) ::_exit(2);
    auto w = s->writer(d, data.size());
    if (!w || !w->write(std::string_view(data).substr(0, 400000))) ::_exit(3);
    (void)!::write(ready[1], "x", 1);
    for (;;) {
      if (!w->write(std::string_view(data).substr(w->offset(), 1))) ::_exit(4);
      if (w->offset() == 500000) ::pause();
    }
  }
  ::close(ready[1]);
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ::close(ready[0]);
  ::usleep(20000);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << describe_status(status);

  EXPECT_FALSE(store().has(d));
  EXPECT_TRUE(store().list().value().empty());
  EXPECT_TRUE(store().check().value().empty());

  auto w = store().writer(d, data.size(), ContentStore::Wait::no);
  ASSERT_TRUE(w) << w.error().what();  // the kill released the lock
  ASSERT_GE(w->offset(), 400000u);
  ASSERT_LE(w->offset(), 500000u);
  ASSERT_TRUE(w->write(std::string_view(data).substr(w->offset())));
  ASSERT_TRUE(w->commit());
  EXPECT_EQ(store().read(d, data.size()).value(), data);
  EXPECT_EQ(ingest_count(root()), 0u);
}

TEST_F(ContentStoreTest, ConcurrentWritersOfOneBlobAllSucceedWithOneCopy) {
  std::string data = big_blob(2 << 20);
  Digest d = sha256_of(data);
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  std::vector<pid_t> pids;
  for (int i = 0; i < 6; ++i) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(go[1]);
      char c;
      (void)!::read(go[0], &c, 1);  // returns at EOF: all start together
      auto s = ContentStore::open(root());
      if (!s) ::_exit(2);
      if (i % 2 == 1) ::_exit(s->put(data) == d ? 0 : 3);
      auto w = s->writer(d, data.size());
      if (!w) ::_exit(4);
      if (!w->exists() && w->offset() != 0 && !w->restart()) ::_exit(5);
      for (size_t off = 0; off < data.size() && !w->exists(); off += 65536)
        if (!w->write(std::string_view(data).substr(off, 65536))) ::_exit(6);
      ::_exit(w->commit() ? 0 : 7);
    }
    pids.push_back(pid);
  }
  ::close(go[0]);
  ::close(go[1]);
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << describe_status(status);
  }
  EXPECT_EQ(store().list().value(), std::vector<Digest>{d});
  EXPECT_EQ(store().read(d, data.size()).value(), data);
  EXPECT_EQ(ingest_count(root()), 0u);
  EXPECT_TRUE(store().check().value().empty());
}

TEST_F(ContentStoreTest, SecondWriterFailsWithoutWaitAndWaitsOtherwise) {
  std::string data = "contended";
  Digest d = sha256_of(data);
  auto first = store().writer(d, data.size()).value();
  auto second = store().writer(d, data.size(), ContentStore::Wait::no);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().what(), "write blob " + d.str() + ": another writer holds \"" + root() +
                                       "/ingest/" + d.hex + "\"");

  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto s = ContentStore::open(root());
    if (!s) ::_exit(2);
    auto w = s->writer(d, data.size());  // blocks until the parent commits
    if (!w) ::_exit(3);
    if (!w->exists()) ::_exit(4);
    ::_exit(w->commit() ? 0 : 5);
  }
  ::usleep(100000);
  ASSERT_TRUE(first.write(data));
  ASSERT_TRUE(first.commit());
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << describe_status(status);
  EXPECT_EQ(ingest_count(root()), 0u);
  EXPECT_EQ(store().list().value(), std::vector<Digest>{d});
}

TEST_F(ContentStoreTest, CheckFindsCorruptedAndForeignEntries) {
  auto good = store().put("good").value();
  auto bad = store().put("bad").value();
  std::string bad_path = store().path(bad);
  ASSERT_EQ(::chmod(bad_path.c_str(), 0644), 0);
  ASSERT_TRUE(fs::write_file(bad_path, "BAD"));
  ASSERT_EQ(::chmod(bad_path.c_str(), 0444), 0);
  ASSERT_TRUE(fs::write_file_atomic(root() + "/blobs/sha256/junk", "x", 0444));
  Digest linked = sha256_of("linked");
  ASSERT_EQ(::symlink(store().path(good).c_str(), store().path(linked).c_str()), 0);
  Digest writable = sha256_of("writable");
  ASSERT_TRUE(fs::write_file_atomic(store().path(writable), "writable", 0644));

  auto problems = store().check();
  ASSERT_TRUE(problems) << problems.error().what();
  std::vector<std::string> want = {
      "\"" + bad_path + "\": content has digest " + sha256_of("BAD").str(),
      "\"" + store().path(linked) + "\": a symlink",
      "\"" + store().path(writable) + "\": writable (mode 0644)",
      "\"" + root() + "/blobs/sha256/junk\": name is not a sha256 digest",
  };
  std::sort(want.begin(), want.end());
  auto got = *problems;
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, want);

  auto r = store().read(bad, 100);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what(),
            "read blob " + bad.str() + ": digest mismatch: got " + sha256_of("BAD").str());
}

TEST_F(ContentStoreTest, SymlinksInTheStoreAreNeverFollowed) {
  std::string outside = dir_.path + "/outside";
  ASSERT_TRUE(fs::write_file_atomic(outside, "secret", 0644));
  Digest d = sha256_of("secret");
  ASSERT_EQ(::symlink(outside.c_str(), store().path(d).c_str()), 0);
  EXPECT_FALSE(store().has(d));
  auto r = store().read(d, 100);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().errno_value, ELOOP);
  EXPECT_FALSE(store().open_blob(d));
  EXPECT_TRUE(store().list().value().empty());

  // A commit replaces the symlink itself.
  ASSERT_EQ(store().put("secret").value(), d);
  EXPECT_TRUE(store().has(d));
  EXPECT_EQ(mode_of(outside), 0644u);

  Digest other = sha256_of("other");
  ASSERT_EQ(::symlink(outside.c_str(), (root() + "/ingest/" + other.hex).c_str()), 0);
  auto w = store().writer(other, std::nullopt);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().errno_value, ELOOP);
  EXPECT_EQ(fs::read_file(outside).value(), "secret");
  EXPECT_EQ(mode_of(outside), 0644u);
}

TEST_F(ContentStoreTest, ReadOnlyIngestLeftByACrashInCommitIsReplaced) {
  std::string data = "committed but not renamed";
  Digest d = sha256_of(data);
  ASSERT_TRUE(fs::write_file_atomic(root() + "/ingest/" + d.hex, data, 0444));
  auto w = store().writer(d, data.size());
  ASSERT_TRUE(w) << w.error().what();
  EXPECT_EQ(w->offset(), 0u);
  ASSERT_TRUE(w->write(data));
  ASSERT_TRUE(w->commit());
  EXPECT_EQ(store().read(d, 100).value(), data);
}

TEST_F(ContentStoreTest, HandMadeDigestsCannotEscapeTheStore) {
  Digest evil{"sha256", "../../outside"};
  EXPECT_FALSE(store().has(evil));
  EXPECT_FALSE(store().read(evil, 10));
  EXPECT_FALSE(store().writer(evil, std::nullopt));
  EXPECT_FALSE(store().remove(evil));
}

TEST_F(ContentStoreTest, RemoveDeletesAndReportsMissingBlobs) {
  auto d = store().put("gone soon").value();
  ASSERT_TRUE(store().remove(d));
  EXPECT_FALSE(store().has(d));
  auto r = store().remove(d);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().errno_value, ENOENT);
  EXPECT_EQ(r.error().what(), "remove \"" + store().path(d) + "\": no such file or directory");
}

TEST(ContentStoreOpen, RefusesASymlinkedBlobsDirectory) {
  StoreDir dir;
  ASSERT_EQ(::mkdir((dir.path + "/elsewhere").c_str(), 0700), 0);
  ASSERT_EQ(::mkdir((dir.path + "/store").c_str(), 0700), 0);
  ASSERT_EQ(::symlink((dir.path + "/elsewhere").c_str(), (dir.path + "/store/blobs").c_str()), 0);
  auto s = ContentStore::open(dir.path + "/store");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().what(), "open \"" + dir.path + "/store/blobs\": not a directory");
  EXPECT_FALSE(fs::exists(dir.path + "/elsewhere/sha256"));
}

}  // namespace
