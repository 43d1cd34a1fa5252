#include "engine/delegated_cgroup.hpp"

#include <gtest/gtest.h>

namespace {

using berth::engine::DelegatedCgroup;
using berth::engine::delegation_candidate;
using berth::runtime::cgroups::Mode;

const char* kHybrid = "9:name=systemd:/user.slice\n4:memory:/\n0::/user.slice/app.scope\n";

TEST(DelegatedCgroup, CandidateIsOwnCgroup2PathOrTheParentOfBerthsLeaf) {
  auto own = delegation_candidate(Mode::hybrid, kHybrid);
  ASSERT_TRUE(own) << own.error().what();
  EXPECT_EQ(own->value_or("none"), "/user.slice/app.scope");

  // After berth moved the shell into its leaf, later commands start there.
  own = delegation_candidate(Mode::v2, "0::/user.slice/app.scope/berth-leaf\n");
  ASSERT_TRUE(own) << own.error().what();
  EXPECT_EQ(own->value_or("none"), "/user.slice/app.scope");

  own = delegation_candidate(Mode::v2, "0::/\n");
  ASSERT_TRUE(own) << own.error().what();
  EXPECT_EQ(own->value_or("none"), "/");
}

TEST(DelegatedCgroup, NoCandidateOnCgroupV1AndAnErrorWithoutACgroup2Line) {
  auto v1 = delegation_candidate(Mode::v1, "4:memory:/\n");
  ASSERT_TRUE(v1) << v1.error().what();
  EXPECT_FALSE(v1->has_value());
  auto none = delegation_candidate(Mode::v2, "4:memory:/\n");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().what(), "/proc/self/cgroup names no cgroup v2 path");
}

TEST(DelegatedCgroup, ContainersGoUnderBerthInTheDelegatedCgroup) {
  DelegatedCgroup scope{"/sys/fs/cgroup", "/user.slice/app.scope", {}};
  EXPECT_EQ(scope.dir(), "/sys/fs/cgroup/user.slice/app.scope");
  EXPECT_EQ(scope.container_path("abc"), "/user.slice/app.scope/berth/abc");
  DelegatedCgroup root{"/sys/fs/cgroup/unified", "/", {}};
  EXPECT_EQ(root.dir(), "/sys/fs/cgroup/unified");
  EXPECT_EQ(root.container_path("abc"), "/berth/abc");
}

}  // namespace
