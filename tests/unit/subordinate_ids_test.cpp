#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/fs.hpp"
#include "engine/subordinate_ids.hpp"

namespace {

struct TempFile {
  std::string path;
  explicit TempFile(const std::string& content) {
    char tmpl[] = "/tmp/berth-subid-XXXXXX";
    int fd = ::mkstemp(tmpl);
    path = tmpl;
    EXPECT_EQ(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
    ::close(fd);
  }
  ~TempFile() { ::unlink(path.c_str()); }
};

}  // namespace

TEST(SubordinateIds, RangesByNameOrIdInFileOrder) {
  TempFile f(
      "# comment\nalice:100000:65536\nbob:165536:65536\n1001:300000:1000\nalice:500000:10\n");
  auto alice = berth::engine::subordinate_ranges(f.path, "alice", 1000);
  ASSERT_TRUE(alice) << alice.error().what();
  ASSERT_EQ(alice->size(), 2u);
  EXPECT_EQ((*alice)[0].start, 100000u);
  EXPECT_EQ((*alice)[1].count, 10u);
  auto by_id = berth::engine::subordinate_ranges(f.path, "carol", 1001);
  ASSERT_TRUE(by_id);
  ASSERT_EQ(by_id->size(), 1u);
  EXPECT_EQ((*by_id)[0].start, 300000u);
  auto none = berth::engine::subordinate_ranges(f.path, "dave", 1002);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  auto missing = berth::engine::subordinate_ranges("/nonexistent/subuid", "alice", 1000);
  ASSERT_TRUE(missing);
  EXPECT_TRUE(missing->empty());
}

TEST(SubordinateIds, BadRangeNamesFileAndLine) {
  TempFile f("alice:lots:65536\n");
  auto r = berth::engine::subordinate_ranges(f.path, "alice", 1000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what(), f.path + " line 1: bad range \"alice:lots:65536\"");
}

TEST(SubordinateIds, RootlessMapPutsTheUserAtZero) {
  auto map = berth::engine::rootless_id_map(1000, {{100000, 65536}, {500000, 10}});
  ASSERT_EQ(map.size(), 3u);
  EXPECT_EQ(map[0].container_id, 0u);
  EXPECT_EQ(map[0].host_id, 1000u);
  EXPECT_EQ(map[0].size, 1u);
  EXPECT_EQ(map[1].container_id, 1u);
  EXPECT_EQ(map[1].host_id, 100000u);
  EXPECT_EQ(map[2].container_id, 65537u);
  EXPECT_EQ(map[2].size, 10u);
}
