#include "runtime/rlimits.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>

#include "child_status.hpp"

namespace berth::runtime {
namespace {

TEST(Rlimits, NamesRoundTrip) {
  for (const char* name :
       {"RLIMIT_AS", "RLIMIT_CORE", "RLIMIT_CPU", "RLIMIT_DATA", "RLIMIT_FSIZE", "RLIMIT_LOCKS",
        "RLIMIT_MEMLOCK", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_NOFILE", "RLIMIT_NPROC",
        "RLIMIT_RSS", "RLIMIT_RTPRIO", "RLIMIT_RTTIME", "RLIMIT_SIGPENDING", "RLIMIT_STACK"}) {
    auto resource = rlimit_from_name(name);
    ASSERT_TRUE(resource.has_value()) << name;
    EXPECT_EQ(rlimit_name(*resource), name);
  }
  EXPECT_EQ(rlimit_from_name("RLIMIT_NOFILE"), RLIMIT_NOFILE);
  EXPECT_EQ(rlimit_from_name("RLIMIT_NPROC"), RLIMIT_NPROC);
  EXPECT_FALSE(rlimit_from_name("NOFILE").has_value());
}

TEST(Rlimits, ResolvesInOrder) {
  auto resolved = resolve_rlimits({{"RLIMIT_NOFILE", 4096, 1024}, {"RLIMIT_CORE", 0, 0}});
  ASSERT_TRUE(resolved) << resolved.error().what();
  ASSERT_EQ(resolved->size(), 2u);
  EXPECT_EQ((*resolved)[0].resource, RLIMIT_NOFILE);
  EXPECT_EQ((*resolved)[0].soft, 1024u);
  EXPECT_EQ((*resolved)[0].hard, 4096u);
  EXPECT_EQ((*resolved)[1].resource, RLIMIT_CORE);
}

TEST(Rlimits, InfinityStaysInfinity) {
  auto resolved = resolve_rlimits({{"RLIMIT_CORE", UINT64_MAX, UINT64_MAX}});
  ASSERT_TRUE(resolved) << resolved.error().what();
  EXPECT_EQ((*resolved)[0].hard, RLIM_INFINITY);
  EXPECT_EQ((*resolved)[0].soft, RLIM_INFINITY);
}

TEST(Rlimits, UnknownTypeIsAnError) {
  auto resolved = resolve_rlimits({{"RLIMIT_NOFILE", 10, 10}, {"RLIMIT_FOO", 1, 1}});
  ASSERT_FALSE(resolved);
  EXPECT_EQ(resolved.error().what(),
            "process.rlimits[1].type: unknown resource limit \"RLIMIT_FOO\"");
}

TEST(Rlimits, DuplicateTypeIsAnError) {
  auto resolved = resolve_rlimits({{"RLIMIT_NOFILE", 10, 10}, {"RLIMIT_NOFILE", 20, 20}});
  ASSERT_FALSE(resolved);
  EXPECT_EQ(resolved.error().what(),
            "process.rlimits[1].type: duplicate resource limit \"RLIMIT_NOFILE\"");
}

TEST(Rlimits, SoftAboveHardIsAnError) {
  auto resolved = resolve_rlimits({{"RLIMIT_NOFILE", 10, 20}});
  ASSERT_FALSE(resolved);
  EXPECT_EQ(resolved.error().what(),
            "process.rlimits[0]: RLIMIT_NOFILE soft limit 20 is greater than its hard limit 10");
}

TEST(Rlimits, AppliesInChild) {
  rlimit current{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &current), 0);
  ASSERT_GT(current.rlim_cur, 16u);
  const rlim_t soft = std::min<rlim_t>(current.rlim_cur - 1, 64);
  const rlim_t hard = current.rlim_max;
  auto resolved = resolve_rlimits({{"RLIMIT_NOFILE", hard, soft}, {"RLIMIT_CORE", 0, 0}});
  ASSERT_TRUE(resolved) << resolved.error().what();

  const int status = run_in_child([&] {
    if (!apply_rlimits(*resolved)) return 1;
    rlimit got{};
    if (::getrlimit(RLIMIT_NOFILE, &got) < 0) return 2;
    if (got.rlim_cur != soft || got.rlim_max != hard) return 3;
    if (::getrlimit(RLIMIT_CORE, &got) < 0) return 4;
    if (got.rlim_cur != 0 || got.rlim_max != 0) return 5;
    return 0;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << describe_status(status);

  rlimit after{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &after), 0);
  EXPECT_EQ(after.rlim_cur, current.rlim_cur) << "the test process itself must be untouched";
}

TEST(Rlimits, ApplyErrorNamesTheLimit) {
  const int status = run_in_child([] {
    auto st = apply_rlimits({{RLIMIT_NOFILE, 10, 5}});
    if (st) return 1;
    return st.error().what() ==
                   std::string("setrlimit RLIMIT_NOFILE (soft 10, hard 5): invalid argument")
               ? 0
               : 2;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << describe_status(status);
}

}  // namespace
}  // namespace berth::runtime
