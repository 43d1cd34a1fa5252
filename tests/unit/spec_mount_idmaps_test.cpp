#include "engine/spec_mount_idmaps.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace berth::engine {
namespace {

uint64_t total(const std::vector<runtime::IdMapping>& map) {
  uint64_t n = 0;
  for (const auto& m : map) n += m.size;
  return n;
}

TEST(SpecMountIdmaps, SwapMapTradesTwoIdsAndKeepsTheRest) {
  auto map = swap_map(1000, 100000);
  EXPECT_EQ(total(map), 4294967295u);
  EXPECT_EQ(host_id_of(map, 1000), 100000u);
  EXPECT_EQ(host_id_of(map, 100000), 1000u);
  EXPECT_EQ(host_id_of(map, 0), 0u);
  EXPECT_EQ(host_id_of(map, 999), 999u);
  EXPECT_EQ(host_id_of(map, 1001), 1001u);
  EXPECT_EQ(host_id_of(map, 4294967294u), 4294967294u);
  EXPECT_EQ(container_id_of(map, 1000), 100000u);
  // 0 at either end: no empty range is written.
  for (const auto& m : swap_map(0, 5)) EXPECT_GT(m.size, 0u);
  EXPECT_EQ(host_id_of(swap_map(0, 5), 0), 5u);
  EXPECT_EQ(swap_map(7, 7).size(), 1u);
}

TEST(SpecMountIdmaps, HostAndContainerIdsThroughAMap) {
  std::vector<runtime::IdMapping> map = {{0, 100000, 10}, {10, 300000, 5}};
  EXPECT_EQ(host_id_of(map, 0), 100000u);
  EXPECT_EQ(host_id_of(map, 12), 300002u);
  EXPECT_FALSE(host_id_of(map, 15));
  EXPECT_EQ(container_id_of(map, 300004), 14u);
  EXPECT_FALSE(container_id_of(map, 99999));
}

TEST(SpecMountIdmaps, PodmanIdmapWithContainerIdsGoesThroughTheContainersMap) {
  std::vector<MountEntry> mounts = {{"bind", "/srv", "/s", {"rbind"}}};
  mounts[0].idmap = "idmap=uids=@2000-7-2;gids=2000-1-1";
  MountUser user;
  user.uid_map = {{0, 100000, 65536}};
  user.gid_map = {{0, 100000, 65536}};
  ASSERT_TRUE(resolve_mount_idmaps(mounts, user));
  ASSERT_EQ(mounts[0].uid_mappings.size(), 1u);
  EXPECT_EQ(mounts[0].uid_mappings[0].container_id, 2000u);
  EXPECT_EQ(mounts[0].uid_mappings[0].host_id, 100007u);
  EXPECT_EQ(mounts[0].uid_mappings[0].size, 2u);
  ASSERT_EQ(mounts[0].gid_mappings.size(), 1u);
  EXPECT_EQ(mounts[0].gid_mappings[0].host_id, 1u);
  EXPECT_EQ(mounts[0].options.back(), "idmap");
}

TEST(SpecMountIdmaps, RootlessIdmapIsNothingWithoutAMapAndRefusedWithOne) {
  std::vector<MountEntry> mounts = {{"bind", "/srv", "/s", {"rbind"}}};
  mounts[0].idmap = "idmap";
  MountUser user;
  user.rootless = true;
  ASSERT_TRUE(resolve_mount_idmaps(mounts, user));
  EXPECT_EQ(mounts[0].options, std::vector<std::string>{"rbind"});

  user.uid_map = {{0, 1, 1000}, {1000, 0, 1}};  // keep-id's layout
  user.gid_map = user.uid_map;
  for (const char* request : {"idmap", "idmap=uids=0-1-1;gids=0-1-1"}) {
    mounts[0].idmap = request;
    auto r = resolve_mount_idmaps(mounts, user);
    ASSERT_FALSE(r) << request;
    EXPECT_NE(r.error().what().find("rootless, the kernel gives users no idmapped mounts"),
              std::string::npos)
        << r.error().what();
  }
}

TEST(SpecMountIdmaps, BadRequestsAreRefusedByName) {
  for (const char* bad : {"idmap=uids=x", "idmap=uids=1-2-0;gids=1-2-1", "idmap=uids=1-2-3",
                          "idmap=foo=1", "match-users"}) {
    auto r = check_idmap_request(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().what().find("idmap"), std::string::npos) << r.error().what();
  }
  EXPECT_TRUE(check_idmap_request("match-user"));
  EXPECT_TRUE(check_idmap_request("idmap"));
  EXPECT_TRUE(check_idmap_request("idmap=uids=@0-1-10#10-20-5;gids=0-1-1"));
}

TEST(SpecMountIdmaps, MatchUserTradesTheFoldersOwnerWithTheContainersUser) {
  char tmpl[] = "/tmp/idmaps-test.XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  struct stat st;
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  std::vector<MountEntry> mounts = {{"bind", dir, "/s", {"rbind"}}};
  mounts[0].idmap = "match-user";
  MountUser user;
  user.uid = 0;
  user.gid = 0;
  user.uid_map = {{0, st.st_uid + 500000u, 65536}};
  user.gid_map = {{0, st.st_gid + 500000u, 65536}};
  auto r = resolve_mount_idmaps(mounts, user);
  ::rmdir(dir.c_str());
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(host_id_of(mounts[0].uid_mappings, st.st_uid), st.st_uid + 500000u);
  EXPECT_EQ(host_id_of(mounts[0].gid_mappings, st.st_gid), st.st_gid + 500000u);
  EXPECT_NE(std::find(mounts[0].options.begin(), mounts[0].options.end(), "nosuid"),
            mounts[0].options.end());
  // The owner already: nothing to map.
  std::vector<MountEntry> same = {{"bind", "/", "/s", {"rbind"}}};
  same[0].idmap = "match-user";
  MountUser root_user;
  ASSERT_TRUE(resolve_mount_idmaps(same, root_user));
  EXPECT_TRUE(same[0].uid_mappings.empty());
}

}  // namespace
}  // namespace berth::engine
