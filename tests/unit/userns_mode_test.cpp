#include <gtest/gtest.h>
#include <stdlib.h>

#include "base/fs.hpp"
#include "engine/host_accounts.hpp"
#include "engine/userns_auto.hpp"
#include "engine/userns_keep_id.hpp"
#include "engine/userns_mode.hpp"
#include "id_mapping_text.hpp"

using berth::engine::allocate_auto_map;
using berth::engine::IdMap;
using berth::engine::keep_id_map;
using berth::engine::parse_userns_mode;
using berth::engine::UsernsMode;
using berth_test::text;

namespace {

IdMap single(uint32_t host, uint32_t size) {
  return IdMap{{{0, host, size}}, {{0, host, size}}};
}

}  // namespace

TEST(UsernsMode, GoodValues) {
  using Kind = UsernsMode::Kind;
  struct Case {
    const char* value;
    Kind kind;
    uint32_t size;
    std::optional<uint32_t> uid, gid;
  };
  for (const auto& c :
       std::vector<Case>{{"", Kind::unset, 0, {}, {}},
                         {"host", Kind::host, 0, {}, {}},
                         {"private", Kind::private_, 0, {}, {}},
                         {"auto", Kind::auto_, 0, {}, {}},
                         {"auto:size=1000", Kind::auto_, 1000, {}, {}},
                         {"keep-id", Kind::keep_id, 0, {}, {}},
                         {"keep-id:uid=0", Kind::keep_id, 0, 0, {}},
                         {"keep-id:gid=7", Kind::keep_id, 0, {}, 7},
                         {"keep-id:uid=1000,gid=100", Kind::keep_id, 0, 1000, 100},
                         {"keep-id:gid=100,uid=1000", Kind::keep_id, 0, 1000, 100}}) {
    auto m = parse_userns_mode(c.value);
    ASSERT_TRUE(m) << c.value << ": " << m.error().what();
    EXPECT_EQ(m->kind, c.kind) << c.value;
    EXPECT_EQ(m->auto_size, c.size) << c.value;
    EXPECT_EQ(m->keep_uid, c.uid) << c.value;
    EXPECT_EQ(m->keep_gid, c.gid) << c.value;
    auto again = parse_userns_mode(m->str());
    ASSERT_TRUE(again) << m->str();
    EXPECT_EQ(again->str(), m->str());
  }
  EXPECT_EQ(parse_userns_mode("keep-id:gid=100,uid=1000")->str(), "keep-id:uid=1000,gid=100");
}

TEST(UsernsMode, BadValues) {
  for (const char* bad : {"x",
                          "Host",
                          "host:",
                          "private:size=1",
                          "auto:",
                          "auto:size=",
                          "auto:size=0",
                          "auto:size=-1",
                          "auto:size=4294967296",
                          "auto:size=10,size=20",
                          "auto:uidmapping=0:1:1",
                          "keep-id:",
                          "keep-id:uid=",
                          "keep-id:uid=a",
                          "keep-id:uid=1,uid=2",
                          "keep-id:uid=1,",
                          "keep-id:size=10",
                          "keep-id:uid=4294967295",
                          "nomap",
                          "ns:/proc/1/ns/user",
                          " host"}) {
    auto m = parse_userns_mode(bad);
    ASSERT_FALSE(m) << bad;
    EXPECT_EQ(m.error().what(),
              "--userns \"" + std::string(bad) +
                  "\": invalid value (host, private, auto[:size=N] or keep-id[:uid=U,gid=G])");
  }
}

TEST(UsernsAuto, FirstFitFromTheLowestIds) {
  IdMap pool{{{0, 100000, 65536}, {65536, 1000000, 1000000}}, {{0, 100000, 1065536}}};
  auto a = allocate_auto_map(pool, 0, {});
  ASSERT_TRUE(a) << a.error().what();
  EXPECT_EQ(text(a->uids), "0:100000:65536 ");
  EXPECT_EQ(text(a->gids), "0:100000:65536 ");
  auto b = allocate_auto_map(pool, 1000, {*a});
  ASSERT_TRUE(b) << b.error().what();
  EXPECT_EQ(text(b->uids), "0:1000000:1000 ");
  EXPECT_EQ(text(b->gids), "0:165536:1000 ");
}

TEST(UsernsAuto, SkipsTakenRangesAndReusesHoles) {
  IdMap pool = single(100000, 1000000);
  // A freed hole of 1000 at 101000 is too small for 2000; the remap map sits at 110000.
  std::vector<IdMap> taken = {single(100000, 1000), single(102000, 5000), single(110000, 65536)};
  auto big = allocate_auto_map(pool, 2000, taken);
  ASSERT_TRUE(big) << big.error().what();
  EXPECT_EQ(text(big->uids), "0:107000:2000 ");
  auto small = allocate_auto_map(pool, 1000, taken);
  ASSERT_TRUE(small) << small.error().what();
  EXPECT_EQ(text(small->uids), "0:101000:1000 ");
  // Taken ranges that reach outside the pool, or overlap each other, count only where they meet it.
  auto edge = allocate_auto_map(single(100000, 3000), 1000,
                                {single(99000, 1500), single(100200, 1000), single(102500, 9000)});
  ASSERT_TRUE(edge) << edge.error().what();
  EXPECT_EQ(text(edge->uids), "0:101200:1000 ");
}

TEST(UsernsAuto, CombinesFreeRunsWhenNoneIsLongEnough) {
  IdMap pool = single(100000, 3000);
  auto map = allocate_auto_map(pool, 2000, {single(101000, 1000)});
  ASSERT_TRUE(map) << map.error().what();
  EXPECT_EQ(text(map->uids), "0:100000:1000 1000:102000:1000 ");
  EXPECT_EQ(map->size(), 2000u);
}

TEST(UsernsAuto, NoRoomNamesTheFile) {
  berth::engine::SubidFiles files;
  files.subuid = "/x/subuid";
  files.subgid = "/x/subgid";
  IdMap pool = single(100000, 65536);
  auto map = allocate_auto_map(pool, 65536, {single(100000, 1)}, files);
  ASSERT_FALSE(map);
  EXPECT_EQ(map.error().what(),
            "--userns=auto: no free range of 65536 ids in the subordinate ids of \"containers\" "
            "(/x/subuid)");
  IdMap short_gids{{{0, 100000, 65536}}, {{0, 100000, 100}}};
  map = allocate_auto_map(short_gids, 1000, {}, files);
  ASSERT_FALSE(map);
  EXPECT_EQ(map.error().what(),
            "--userns=auto: no free range of 1000 ids in the subordinate ids of \"containers\" "
            "(/x/subgid)");
}

TEST(UsernsAuto, PoolIsTheLinesOfContainers) {
  if (berth::engine::host_user("containers"))
    GTEST_SKIP() << "a user \"containers\" exists here: its id lines would count as well";
  char tmpl[] = "/tmp/berth-userns-auto-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  struct Cleanup {
    std::string dir;
    ~Cleanup() { (void)berth::fs::remove_all(dir); }
  } cleanup{dir};
  berth::engine::SubidFiles files{dir + "/subuid", dir + "/subgid", false};
  ASSERT_TRUE(berth::fs::write_file_atomic(
      files.subuid, "alice:100000:65536\ncontainers:1000000:500000\ncontainers:2000000:10\n",
      0644));
  ASSERT_TRUE(berth::fs::write_file_atomic(files.subgid, "containers:1000000:500010\n", 0644));
  auto pool = berth::engine::auto_pool(files);
  ASSERT_TRUE(pool) << pool.error().what();
  EXPECT_EQ(text(pool->uids), "0:1000000:500000 500000:2000000:10 ");
  EXPECT_EQ(text(pool->gids), "0:1000000:500010 ");

  ASSERT_TRUE(berth::fs::write_file_atomic(files.subgid, "", 0644));
  pool = berth::engine::auto_pool(files);
  ASSERT_FALSE(pool);
  EXPECT_EQ(pool.error().what(), "--userns=auto: " + files.subgid +
                                     " gives containers no subordinate gids: add a range, e.g. "
                                     "echo containers:196608:65536 >> " +
                                     files.subgid);
}

TEST(UsernsKeepId, OwnUidKeepsItsNumberInsideTheSubordinateIds) {
  auto map = keep_id_map(1000, 1000, {{100000, 65536}}, {{200000, 65536}}, {}, {});
  ASSERT_TRUE(map) << map.error().what();
  EXPECT_EQ(text(map->uids), "0:100000:1000 1000:1000:1 1001:101000:64536 ");
  EXPECT_EQ(text(map->gids), "0:200000:1000 1000:1000:1 1001:201000:64536 ");
  EXPECT_EQ(map->size(), 65537u);
  EXPECT_EQ(map->root_uid(), 100000u);
}

TEST(UsernsKeepId, SplitsTheRangeTheUidFallsIn) {
  auto map = keep_id_map(1000, 1000, {{100000, 500}, {200000, 65536}}, {{300000, 65536}}, {}, {});
  ASSERT_TRUE(map) << map.error().what();
  EXPECT_EQ(text(map->uids), "0:100000:500 500:200000:500 1000:1000:1 1001:200500:65036 ");
}

TEST(UsernsKeepId, OwnIdZero) {
  auto map = keep_id_map(0, 0, {{100000, 65536}}, {{100000, 65536}}, {}, {});
  ASSERT_TRUE(map) << map.error().what();
  EXPECT_EQ(text(map->uids), "0:0:1 1:100000:65536 ");
  EXPECT_EQ(text(map->gids), "0:0:1 1:100000:65536 ");
}

TEST(UsernsKeepId, CustomUidAndGid) {
  auto map = keep_id_map(1000, 1001, {{100000, 65536}}, {{100000, 65536}}, 5, 0);
  ASSERT_TRUE(map) << map.error().what();
  EXPECT_EQ(text(map->uids), "0:100000:5 5:1000:1 6:100005:65531 ");
  EXPECT_EQ(text(map->gids), "0:1001:1 1:100000:65536 ");
  // The container uid right after every subordinate id.
  map = keep_id_map(1000, 1000, {{100000, 10}}, {{100000, 10}}, 10, 10);
  ASSERT_TRUE(map) << map.error().what();
  EXPECT_EQ(text(map->uids), "0:100000:10 10:1000:1 ");
  // No subordinate ids: the own id alone, at 0.
  map = keep_id_map(1000, 1000, {}, {}, 0, 0);
  ASSERT_TRUE(map) << map.error().what();
  EXPECT_EQ(text(map->uids), "0:1000:1 ");
}

TEST(UsernsKeepId, ImpossibleLayoutsAreErrors) {
  auto beyond = keep_id_map(1000, 1000, {{100000, 500}}, {{100000, 65536}}, {}, {});
  ASSERT_FALSE(beyond);
  EXPECT_EQ(beyond.error().what(),
            "--userns=keep-id: uid 1000 needs 1000 subordinate uids below it, the user has 500");
  auto inside = keep_id_map(1000, 100005, {{100000, 65536}}, {{100000, 65536}}, {}, 0);
  ASSERT_FALSE(inside);
  EXPECT_EQ(inside.error().what(),
            "--userns=keep-id: gid 100005 is inside its own subordinate gids (100000-165535)");
}
