#include "runtime/seccomp_cache.hpp"

#include <dirent.h>
#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/fs.hpp"

namespace berth::runtime {
namespace {

Seccomp profile(unsigned errno_ret) {
  Seccomp s;
  s.default_action = "SCMP_ACT_ALLOW";
  s.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"};
  SeccompSyscall mkdir_rule;
  mkdir_rule.names = {"mkdir", "mkdirat"};
  mkdir_rule.action = "SCMP_ACT_ERRNO";
  mkdir_rule.errno_ret = errno_ret;
  mkdir_rule.args = {{1, 0700, 0, "SCMP_CMP_EQ"}};
  s.syscalls = {mkdir_rule};
  return s;
}

bool same_filter(const SeccompProgram& a, const SeccompProgram& b) {
  return a.flags == b.flags && a.needs_listener == b.needs_listener &&
         a.filter.size() == b.filter.size() &&
         std::memcmp(a.filter.data(), b.filter.data(), a.filter.size() * sizeof(sock_filter)) == 0;
}

class SeccompCache : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-seccomp-cache-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    dir_ = root_ + "/cache";
  }
  void TearDown() override { (void)fs::remove_all(root_); }

  std::string only_entry() {
    std::string found;
    DIR* d = ::opendir(dir_.c_str());
    if (!d) return found;
    while (auto* e = ::readdir(d)) {
      if (e->d_name[0] != '.') found = dir_ + "/" + e->d_name;
    }
    ::closedir(d);
    return found;
  }

  std::string root_, dir_;
};

TEST(SeccompCacheEntry, RoundTripAndDamage) {
  auto program = compile_seccomp(profile(EXDEV)).value();
  program.flags = SECCOMP_FILTER_FLAG_LOG;
  const std::string key = seccomp_cache_key(profile(EXDEV));
  const std::string entry = encode_seccomp_entry(key, program);

  auto back = decode_seccomp_entry(entry, key);
  ASSERT_TRUE(back) << back.error().what();
  EXPECT_TRUE(same_filter(*back, program));

  auto other = decode_seccomp_entry(entry, seccomp_cache_key(profile(EPERM)));
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().what(), "seccomp cache entry: for another profile");

  std::string flipped = entry;
  flipped[flipped.size() - 3] ^= 0x40;
  auto damaged = decode_seccomp_entry(flipped, key);
  ASSERT_FALSE(damaged);
  EXPECT_EQ(damaged.error().what(), "seccomp cache entry: bad checksum");

  EXPECT_FALSE(decode_seccomp_entry(entry.substr(0, entry.size() - 8), key));
  EXPECT_FALSE(decode_seccomp_entry("", key));
}

TEST(SeccompCacheEntry, KeyCoversEveryField) {
  const std::string base = seccomp_cache_key(profile(EXDEV));
  EXPECT_EQ(base, seccomp_cache_key(profile(EXDEV)));
  EXPECT_NE(base, seccomp_cache_key(profile(EPERM)));
  Seccomp s = profile(EXDEV);
  s.syscalls[0].args[0].value = 0755;
  EXPECT_NE(base, seccomp_cache_key(s));
  s = profile(EXDEV);
  s.syscalls[0].args[0].op = "SCMP_CMP_NE";
  EXPECT_NE(base, seccomp_cache_key(s));
  s = profile(EXDEV);
  s.architectures.pop_back();
  EXPECT_NE(base, seccomp_cache_key(s));
  s = profile(EXDEV);
  s.flags = {"SECCOMP_FILTER_FLAG_LOG"};
  EXPECT_NE(base, seccomp_cache_key(s));
  s = profile(EXDEV);
  s.syscalls[0].names = {"mkdirat", "mkdir"};
  EXPECT_NE(base, seccomp_cache_key(s));
}

TEST_F(SeccompCache, StoresThenReuses) {
  const auto fresh = compile_seccomp(profile(EXDEV)).value();
  auto first = compile_seccomp_cached(profile(EXDEV), dir_);
  ASSERT_TRUE(first) << first.error().what();
  EXPECT_TRUE(same_filter(*first, fresh));

  struct stat st {};
  ASSERT_EQ(::stat(dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  const std::string entry = only_entry();
  ASSERT_FALSE(entry.empty());

  // Plant a different program under the same key: a hit must return it, which proves the cache
  // is read rather than the profile compiled again.
  SeccompProgram planted = fresh;
  planted.flags = SECCOMP_FILTER_FLAG_SPEC_ALLOW;
  ASSERT_TRUE(fs::write_file_atomic(
      entry, encode_seccomp_entry(seccomp_cache_key(profile(EXDEV)), planted), 0600));
  auto hit = compile_seccomp_cached(profile(EXDEV), dir_);
  ASSERT_TRUE(hit) << hit.error().what();
  EXPECT_TRUE(same_filter(*hit, planted));

  // Another profile gets its own entry and its own program.
  auto other = compile_seccomp_cached(profile(EPERM), dir_);
  ASSERT_TRUE(other) << other.error().what();
  EXPECT_TRUE(same_filter(*other, compile_seccomp(profile(EPERM)).value()));
}

TEST_F(SeccompCache, IgnoresAWritableDirectoryAndDamagedEntries) {
  const auto fresh = compile_seccomp(profile(EXDEV)).value();
  ASSERT_TRUE(compile_seccomp_cached(profile(EXDEV), dir_));
  const std::string entry = only_entry();
  ASSERT_FALSE(entry.empty());
  SeccompProgram planted = fresh;
  planted.flags = SECCOMP_FILTER_FLAG_SPEC_ALLOW;
  ASSERT_TRUE(fs::write_file_atomic(
      entry, encode_seccomp_entry(seccomp_cache_key(profile(EXDEV)), planted), 0600));

  ASSERT_EQ(::chmod(dir_.c_str(), 0777), 0);
  auto unshared = compile_seccomp_cached(profile(EXDEV), dir_);
  ASSERT_TRUE(unshared) << unshared.error().what();
  EXPECT_TRUE(same_filter(*unshared, fresh)) << "a world-writable cache must not be trusted";
  ASSERT_EQ(::chmod(dir_.c_str(), 0700), 0);

  ASSERT_TRUE(fs::write_file_atomic(entry, "garbage", 0600));
  auto recompiled = compile_seccomp_cached(profile(EXDEV), dir_);
  ASSERT_TRUE(recompiled) << recompiled.error().what();
  EXPECT_TRUE(same_filter(*recompiled, fresh));
  // ...and the damaged entry was replaced.
  auto text = fs::read_file(entry);
  ASSERT_TRUE(text);
  EXPECT_TRUE(decode_seccomp_entry(*text, seccomp_cache_key(profile(EXDEV))));
}

TEST_F(SeccompCache, CompileErrorsAreReportedNotCached) {
  Seccomp bad = profile(EXDEV);
  bad.syscalls[0].action = "SCMP_ACT_BOGUS";
  auto r = compile_seccomp_cached(bad, dir_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what(),
            "linux.seccomp.syscalls[0].action: unknown action \"SCMP_ACT_BOGUS\"");
  EXPECT_TRUE(only_entry().empty());
}

TEST_F(SeccompCache, MissingParentMeansNoCache) {
  auto r = compile_seccomp_cached(profile(EXDEV), root_ + "/no/such/parent");
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_FALSE(fs::exists(root_ + "/no"));
}

}  // namespace
}  // namespace berth::runtime
