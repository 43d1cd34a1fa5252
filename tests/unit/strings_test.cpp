#include "base/strings.hpp"

#include <gtest/gtest.h>

using berth::split;
using V = std::vector<std::string>;

TEST(Split, KeepsEmptyParts) {
  EXPECT_EQ(split("cpu,cpuacct", ','), (V{"cpu", "cpuacct"}));
  EXPECT_EQ(split("/a//b/", '/'), (V{"", "a", "", "b", ""}));
  EXPECT_EQ(split("", ','), (V{""}));
  EXPECT_EQ(split("single", ','), (V{"single"}));
}
