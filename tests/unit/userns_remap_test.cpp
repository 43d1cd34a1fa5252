#include <gtest/gtest.h>
#include <stdlib.h>

#include <thread>
#include <vector>

#include "base/fs.hpp"
#include "engine/userns_remap.hpp"
#include "id_mapping_text.hpp"

using berth::engine::IdMap;
using berth::engine::resolve_userns_remap;
using berth::engine::SubidFiles;
using berth_test::text;

namespace {

// Temp subuid and subgid files, and the existing user "nobody" (65534, group nogroup) as the one
// "default" stands for: nothing here creates users or touches /etc.
class UsernsRemap : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-userns-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    files_.subuid = dir_ + "/subuid";
    files_.subgid = dir_ + "/subgid";
    files_.create_users = false;
    files_.default_user = "nobody";
  }
  void TearDown() override { (void)berth::fs::remove_all(dir_); }

  void write(const std::string& subuid, const std::string& subgid) {
    ASSERT_TRUE(berth::fs::write_file_atomic(files_.subuid, subuid, 0644));
    ASSERT_TRUE(berth::fs::write_file_atomic(files_.subgid, subgid, 0644));
  }
  std::string read(const std::string& path) { return berth::fs::read_file(path).value_or("?"); }

  std::string dir_;
  SubidFiles files_;
};

}  // namespace

TEST_F(UsernsRemap, UserByNameTakesItsOwnLinesInBothFiles) {
  write("alice:1000000:65536\nnobody:100000:65536\n", "nobody:200000:65536\n");
  auto map = resolve_userns_remap("nobody", files_);
  ASSERT_TRUE(map) << map.error().what();
  EXPECT_EQ(text(map->uids), "0:100000:65536 ");
  EXPECT_EQ(text(map->gids), "0:200000:65536 ");
  EXPECT_EQ(map->root_uid(), 100000u);
  EXPECT_EQ(map->root_gid(), 200000u);
  EXPECT_EQ(map->size(), 65536u);
}

TEST_F(UsernsRemap, UidFormFindsLinesByNumberAndByName) {
  write("65534:300000:65536\n", "nobody:400000:65536\n");
  auto by_uid = resolve_userns_remap("65534", files_);
  ASSERT_TRUE(by_uid) << by_uid.error().what();
  EXPECT_EQ(text(by_uid->uids), "0:300000:65536 ");
  EXPECT_EQ(text(by_uid->gids), "0:400000:65536 ");
  auto by_name = resolve_userns_remap("nobody", files_);
  ASSERT_TRUE(by_name) << by_name.error().what();
  EXPECT_EQ(text(by_name->uids), "0:300000:65536 ");
}

TEST_F(UsernsRemap, UserGroupTakesTheGroupsLinesInSubgid) {
  write("nobody:100000:65536\n", "nobody:200000:65536\nnogroup:300000:65536\n");
  auto map = resolve_userns_remap("nobody:nogroup", files_);
  ASSERT_TRUE(map) << map.error().what();
  EXPECT_EQ(text(map->uids), "0:100000:65536 ");
  EXPECT_EQ(text(map->gids), "0:300000:65536 ");
}

TEST_F(UsernsRemap, UidGidFindsTheGroupByNumberAndByName) {
  write("nobody:100000:65536\n", "nobody:200000:65536\n65534:300000:65536\n");
  auto map = resolve_userns_remap("65534:65534", files_);
  ASSERT_TRUE(map) << map.error().what();
  EXPECT_EQ(text(map->gids), "0:300000:65536 ");
  write("nobody:100000:65536\n", "nogroup:500000:65536\n");
  map = resolve_userns_remap("65534:65534", files_);
  ASSERT_TRUE(map) << map.error().what();
  EXPECT_EQ(text(map->gids), "0:500000:65536 ");
}

TEST_F(UsernsRemap, NumericIdsWithoutAnEntryAreLookedUpByNumber) {
  write("4000000:100000:65536\n", "4000001:200000:65536\n");
  auto map = resolve_userns_remap("4000000:4000001", files_);
  ASSERT_TRUE(map) << map.error().what();
  EXPECT_EQ(map->root_uid(), 100000u);
  EXPECT_EQ(map->root_gid(), 200000u);
  write("", "");
  auto missing = resolve_userns_remap("4000000", files_);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().what(), "userns-remap \"4000000\": " + files_.subuid +
                                        " gives 4000000 no subordinate uids: add a range, e.g. "
                                        "echo 4000000:131072:65536 >> " +
                                        files_.subuid);
}

TEST_F(UsernsRemap, SeveralRangesCombineAndRepeatsMapOnce) {
  write("nobody:100000:30000\n65534:500000:40000\nnobody:100000:30000\nnobody:110000:30000\n",
        "nobody:200000:70000\n");
  auto map = resolve_userns_remap("nobody", files_);
  ASSERT_TRUE(map) << map.error().what();
  EXPECT_EQ(text(map->uids), "0:100000:30000 30000:500000:40000 70000:130000:10000 ");
  EXPECT_EQ(map->size(), 70000u);
  EXPECT_EQ(map->host_uid(30001), 500001u);
  EXPECT_EQ(map->host_uid(80000), std::nullopt);
}

TEST_F(UsernsRemap, ShortRangesSayHowManyAndHowToAdd) {
  write("nobody:100000:1000\n", "nobody:200000:65536\n");
  auto map = resolve_userns_remap("nobody", files_);
  ASSERT_FALSE(map);
  EXPECT_EQ(map.error().what(),
            "userns-remap \"nobody\": " + files_.subuid +
                " gives nobody only 1000 subordinate uids, 65536 needed: add a range, e.g. "
                "usermod --add-subuids 131072-196607 nobody");
}

TEST_F(UsernsRemap, MissingRangesNameTheFileAndAFreeRange) {
  write("alice:131072:65536\n", "bob:196608:65536\n");
  auto map = resolve_userns_remap("nobody", files_);
  ASSERT_FALSE(map);
  EXPECT_EQ(map.error().what(), "userns-remap \"nobody\": " + files_.subuid +
                                    " gives nobody no subordinate uids: add a range, e.g. "
                                    "usermod --add-subuids 262144-327679 nobody");
  write("nobody:100000:65536\n", "");
  map = resolve_userns_remap("nobody:nogroup", files_);
  ASSERT_FALSE(map);
  // No login is called nogroup: usermod cannot add to it.
  EXPECT_EQ(map.error().what(), "userns-remap \"nobody:nogroup\": " + files_.subgid +
                                    " gives nogroup no subordinate gids: add a range, e.g. "
                                    "echo nogroup:196608:65536 >> " +
                                    files_.subgid);
  ::unlink(files_.subuid.c_str());
  map = resolve_userns_remap("nobody", files_);
  ASSERT_FALSE(map);
  EXPECT_NE(map.error().what().find(files_.subuid + " gives nobody no subordinate uids"),
            std::string::npos)
      << map.error().what();
}

TEST_F(UsernsRemap, RangeWithHostRootIsRefused) {
  write("nobody:0:65536\n", "nobody:200000:65536\n");
  auto map = resolve_userns_remap("nobody", files_);
  ASSERT_FALSE(map);
  EXPECT_EQ(map.error().what(), "userns-remap \"nobody\": " + files_.subuid +
                                    " gives nobody a range that contains host uid 0 "
                                    "(nobody:0:65536): container root would be host root; "
                                    "remove it");
}

TEST_F(UsernsRemap, BadValuesAndUnknownNames) {
  write("nobody:100000:65536\n", "nobody:100000:65536\n");
  for (const char* bad : {"", "a:b:c", ":nogroup", "nobody:"}) {
    auto map = resolve_userns_remap(bad, files_);
    ASSERT_FALSE(map) << bad;
    EXPECT_EQ(map.error().what(), "userns-remap \"" + std::string(bad) +
                                      "\": expected default, user, user:group, uid or uid:gid");
  }
  auto user = resolve_userns_remap("berth-no-such-user", files_);
  ASSERT_FALSE(user);
  EXPECT_EQ(user.error().what(),
            "userns-remap \"berth-no-such-user\": no user \"berth-no-such-user\"");
  auto group = resolve_userns_remap("nobody:berth-no-such-group", files_);
  ASSERT_FALSE(group);
  EXPECT_EQ(group.error().what(),
            "userns-remap \"nobody:berth-no-such-group\": no group \"berth-no-such-group\"");
}

TEST_F(UsernsRemap, DefaultAddsAFreeRangeToBothFilesThenReusesIt) {
  // 131072 is taken in subgid, 196608 in subuid: both files count.
  write("alice:100000:65536\nbob:196608:100\n", "carol:131072:65536");
  auto map = resolve_userns_remap("default", files_);
  ASSERT_TRUE(map) << map.error().what();
  EXPECT_EQ(text(map->uids), "0:262144:65536 ");
  EXPECT_EQ(text(map->gids), "0:262144:65536 ");
  EXPECT_EQ(read(files_.subuid), "alice:100000:65536\nbob:196608:100\nnobody:262144:65536\n");
  EXPECT_EQ(read(files_.subgid), "carol:131072:65536\nnobody:262144:65536\n");
  auto again = resolve_userns_remap("default", files_);
  ASSERT_TRUE(again) << again.error().what();
  EXPECT_EQ(again->to_json(), map->to_json());
  EXPECT_EQ(read(files_.subuid), "alice:100000:65536\nbob:196608:100\nnobody:262144:65536\n");
  EXPECT_EQ(read(files_.subgid), "carol:131072:65536\nnobody:262144:65536\n");
}

TEST_F(UsernsRemap, DefaultAddsOnlyTheMissingSide) {
  write("nobody:131072:65536\n", "");
  auto map = resolve_userns_remap("default", files_);
  ASSERT_TRUE(map) << map.error().what();
  EXPECT_EQ(text(map->uids), "0:131072:65536 ");
  EXPECT_EQ(text(map->gids), "0:196608:65536 ");
  EXPECT_EQ(read(files_.subuid), "nobody:131072:65536\n");
}

TEST_F(UsernsRemap, DefaultCreatesFilesThatAreMissing) {
  auto map = resolve_userns_remap("default", files_);
  ASSERT_TRUE(map) << map.error().what();
  EXPECT_EQ(read(files_.subuid), "nobody:131072:65536\n");
  EXPECT_EQ(read(files_.subgid), "nobody:131072:65536\n");
}

TEST_F(UsernsRemap, DefaultAtOnceFromManyThreadsAddsOneRange) {
  write("", "");
  std::vector<std::string> roots(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < roots.size(); ++i)
    threads.emplace_back([&, i] {
      auto map = resolve_userns_remap("default", files_);
      roots[i] = map ? std::to_string(map->root_uid()) : map.error().what();
    });
  for (auto& t : threads) t.join();
  for (const auto& root : roots) EXPECT_EQ(root, "131072");
  EXPECT_EQ(read(files_.subuid), "nobody:131072:65536\n");
  EXPECT_EQ(read(files_.subgid), "nobody:131072:65536\n");
}

TEST_F(UsernsRemap, DefaultWithoutTheUserAndNoCreationSaysSo) {
  files_.default_user = "berth-no-such-user";
  write("", "");
  auto map = resolve_userns_remap("default", files_);
  ASSERT_FALSE(map);
  EXPECT_EQ(map.error().what(), "userns-remap \"default\": no user \"berth-no-such-user\"");
  EXPECT_EQ(read(files_.subuid), "");
}

TEST(IdMapJson, RoundTrip) {
  IdMap map{{{0, 100000, 1000}, {1000, 500000, 64536}}, {{0, 200000, 65536}}};
  auto j = map.to_json();
  EXPECT_EQ(j.dump(), R"({"GidMap":[{"ContainerID":0,"HostID":200000,"Size":65536}],"UidMap":[)"
                      R"({"ContainerID":0,"HostID":100000,"Size":1000},)"
                      R"({"ContainerID":1000,"HostID":500000,"Size":64536}]})");
  auto back = IdMap::from_json(j);
  ASSERT_TRUE(back) << back.error().what();
  EXPECT_EQ(back->to_json(), j);
  EXPECT_EQ(back->size(), 65536u);
  auto empty = IdMap::from_json(IdMap{}.to_json());
  ASSERT_TRUE(empty) << empty.error().what();
  EXPECT_TRUE(empty->empty());
  EXPECT_EQ(empty->root_uid(), 0u);
}

TEST(IdMapJson, BadRecordsNameTheField) {
  auto parse = [](const char* text) {
    auto r = IdMap::from_json(nlohmann::json::parse(text));
    return r ? std::string("ok") : r.error().what();
  };
  EXPECT_EQ(parse(R"({"UidMap":[{"ContainerID":1,"HostID":5,"Size":1}],)"
                  R"("GidMap":[{"ContainerID":0,"HostID":5,"Size":1}]})"),
            "IdMap.UidMap[0].ContainerID: must be 0 (container ids are contiguous from 0)");
  EXPECT_EQ(parse(R"({"UidMap":[{"ContainerID":0,"HostID":5,"Size":0}],"GidMap":[]})"),
            "IdMap.UidMap[0].Size: must be greater than 0");
  EXPECT_EQ(parse(R"({"UidMap":[{"ContainerID":0,"HostID":4294967290,"Size":10}]})"),
            "IdMap.UidMap[0].Size: host ids beyond 4294967294");
  EXPECT_EQ(parse(R"({"UidMap":[{"ContainerID":0,"HostID":5,"Size":1}]})"),
            "IdMap: needs both UidMap and GidMap, or neither");
  EXPECT_EQ(parse(R"({"UidMap":[{"HostID":5,"Size":1}]})"), "IdMap.UidMap[0].ContainerID: missing");
  EXPECT_EQ(parse("[]"), "IdMap: must be an object");
}

TEST(IdMapRanges, DistinctRangesDropWhatAnEarlierOneHas) {
  auto rs = berth::engine::distinct_ranges({{100, 50}, {120, 100}, {50, 60}, {4294967290u, 10}});
  std::string out;
  for (const auto& r : rs) out += std::to_string(r.start) + "+" + std::to_string(r.count) + " ";
  EXPECT_EQ(out, "100+50 150+70 50+50 4294967290+5 ");
}
