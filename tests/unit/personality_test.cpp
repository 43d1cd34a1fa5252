#include "runtime/personality.hpp"

#include <gtest/gtest.h>
#include <sys/personality.h>

#include "child_status.hpp"

namespace berth::runtime {
namespace {

TEST(Personality, Domains) {
  EXPECT_EQ(resolve_personality({"LINUX", {}}).value(), static_cast<unsigned long>(PER_LINUX));
  EXPECT_EQ(resolve_personality({"LINUX32", {}}).value(), static_cast<unsigned long>(PER_LINUX32));
  auto bad = resolve_personality({"BSD", {}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().what(), "linux.personality.domain: unknown domain \"BSD\"");
}

TEST(Personality, Flags) {
  auto persona = resolve_personality({"LINUX32", {"ADDR_NO_RANDOMIZE", "UNAME26"}});
  ASSERT_TRUE(persona) << persona.error().what();
  EXPECT_EQ(*persona, static_cast<unsigned long>(PER_LINUX32) | ADDR_NO_RANDOMIZE | UNAME26);
  auto bad = resolve_personality({"LINUX", {"ADDR_NO_RANDOMIZE", "NOPE"}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().what(), "linux.personality.flags[1]: unknown flag \"NOPE\"");
}

TEST(Personality, AppliesInChild) {
  const unsigned long persona = resolve_personality({"LINUX32", {"ADDR_NO_RANDOMIZE"}}).value();
  const int status = run_in_child([&] {
    if (!apply_personality(persona)) return 1;
    return static_cast<unsigned long>(::personality(0xffffffff)) == persona ? 0 : 2;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << describe_status(status);
}

}  // namespace
}  // namespace berth::runtime
