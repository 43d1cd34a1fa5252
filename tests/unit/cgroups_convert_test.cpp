#include <gtest/gtest.h>

#include "runtime/cgroups/convert.hpp"
#include "runtime/cgroups/path.hpp"

namespace berth::runtime::cgroups {
namespace {

TEST(CgroupsConvert, SharesToWeight) {
  EXPECT_EQ(shares_to_weight(0), 0u);
  EXPECT_EQ(shares_to_weight(2), 1u);
  EXPECT_EQ(shares_to_weight(1024), 39u);
  EXPECT_EQ(shares_to_weight(262144), 10000u);
  EXPECT_EQ(shares_to_weight(1), 1u);
  EXPECT_EQ(shares_to_weight(1000000), 10000u);
}

TEST(CgroupsConvert, BlkioWeightToIoWeight) {
  EXPECT_EQ(blkio_weight_to_io_weight(0), 0u);
  EXPECT_EQ(blkio_weight_to_io_weight(10), 1u);
  EXPECT_EQ(blkio_weight_to_io_weight(500), 4950u);
  EXPECT_EQ(blkio_weight_to_io_weight(1000), 10000u);
}

TEST(CgroupsConvert, SwapMax) {
  using O = std::optional<int64_t>;
  EXPECT_EQ(*v2_swap_max(O(), O()), O());
  EXPECT_EQ(*v2_swap_max(O(100), O()), O());
  EXPECT_EQ(*v2_swap_max(O(-1), O()), O(-1));
  EXPECT_EQ(*v2_swap_max(O(-1), O(-1)), O(-1));
  EXPECT_EQ(*v2_swap_max(O(100), O(-1)), O(-1));
  EXPECT_EQ(*v2_swap_max(O(100), O(300)), O(200));
  EXPECT_EQ(*v2_swap_max(O(100), O(100)), O(0));
  EXPECT_EQ(*v2_swap_max(O(0), O(0)), O());
  EXPECT_FALSE(v2_swap_max(O(300), O(100)));
  EXPECT_FALSE(v2_swap_max(O(), O(100)));
  EXPECT_FALSE(v2_swap_max(O(-1), O(100)));
}

TEST(CgroupsConvert, Limits) {
  EXPECT_EQ(v2_limit(-1), "max");
  EXPECT_EQ(v2_limit(4096), "4096");
  EXPECT_TRUE(check_page_size("2MB"));
  EXPECT_TRUE(check_page_size("1GB"));
  EXPECT_TRUE(check_page_size("64KB"));
  EXPECT_FALSE(check_page_size("MB"));
  EXPECT_FALSE(check_page_size("2MB/../x"));
  EXPECT_FALSE(check_page_size(""));
}

TEST(CgroupsPath, Clean) {
  EXPECT_EQ(clean_path("/a/b"), "/a/b");
  EXPECT_EQ(clean_path("/a//b/"), "/a/b");
  EXPECT_EQ(clean_path("/a/./b/../c"), "/a/c");
  EXPECT_EQ(clean_path("/../../x"), "/x");
  EXPECT_EQ(clean_path("../x"), "x");
  EXPECT_EQ(clean_path("a/../../b"), "b");
  EXPECT_EQ(clean_path("/"), "/");
  EXPECT_EQ(clean_path(""), "");
}

TEST(CgroupsPath, Requested) {
  EXPECT_EQ(*requested_path("", "abc", false), "abc");
  EXPECT_EQ(*requested_path("/docker/abc", "abc", false), "/docker/abc");
  EXPECT_EQ(*requested_path("/a/../../b", "abc", false), "/b");
  EXPECT_EQ(*requested_path("foo/bar", "abc", false), "foo/bar");
  EXPECT_EQ(*requested_path("../../etc", "abc", false), "etc");
  EXPECT_FALSE(requested_path("/", "abc", false));
  EXPECT_FALSE(requested_path("..", "abc", false));
  auto systemd = requested_path("system.slice:docker:abc", "abc", false);
  ASSERT_FALSE(systemd);
  EXPECT_NE(systemd.error().message.find("systemd"), std::string::npos);
  EXPECT_FALSE(requested_path("/x", "abc", true));
  EXPECT_FALSE(requested_path("", "a/b", false));
}

TEST(CgroupsPath, ParseProcCgroup) {
  auto lines = parse_proc_cgroup(
      "9:name=systemd:/\n4:memory:/process_api/d2dc\n2:cpu,cpuacct:/x\n0::/a:b\n");
  ASSERT_TRUE(lines) << lines.error().what();
  ASSERT_EQ(lines->size(), 4u);
  EXPECT_EQ((*lines)[0].hierarchy, 9);
  EXPECT_EQ((*lines)[0].controllers, std::vector<std::string>{"name=systemd"});
  EXPECT_EQ((*lines)[1].path, "/process_api/d2dc");
  EXPECT_EQ((*lines)[2].controllers, (std::vector<std::string>{"cpu", "cpuacct"}));
  EXPECT_EQ((*lines)[3].hierarchy, 0);
  EXPECT_TRUE((*lines)[3].controllers.empty());
  EXPECT_EQ((*lines)[3].path, "/a:b");
  EXPECT_FALSE(parse_proc_cgroup("garbage\n"));
}

TEST(CgroupsPath, ContainerDir) {
  EXPECT_EQ(container_dir("/sys/fs/cgroup/memory", "/process_api/x", "/docker/abc"),
            "/sys/fs/cgroup/memory/docker/abc");
  EXPECT_EQ(container_dir("/sys/fs/cgroup/memory", "/process_api/x", "abc"),
            "/sys/fs/cgroup/memory/process_api/x/abc");
  EXPECT_EQ(container_dir("/sys/fs/cgroup/cpu", "/", "abc"), "/sys/fs/cgroup/cpu/abc");
  EXPECT_EQ(container_dir("/sys/fs/cgroup", "/", "/abc"), "/sys/fs/cgroup/abc");
}

}  // namespace
}  // namespace berth::runtime::cgroups
