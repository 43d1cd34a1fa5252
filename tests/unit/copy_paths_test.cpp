#include "engine/copy_paths.hpp"

#include <gtest/gtest.h>

#include "cli/berth/cp_commands.hpp"

namespace {

namespace cp = berth::engine::copy_paths;

TEST(CopyPaths, CleanAsGo) {
  EXPECT_EQ(cp::clean(""), ".");
  EXPECT_EQ(cp::clean("a//b/./c/"), "a/b/c");
  EXPECT_EQ(cp::clean("/../a/.."), "/");
  EXPECT_EQ(cp::clean("../a/../../b"), "../../b");
  EXPECT_EQ(cp::clean("/a/b/../c"), "/a/c");
}

TEST(CopyPaths, TrailingDotOrSlashIsKept) {
  EXPECT_EQ(cp::clean_keep_trailing("/a/b/"), "/a/b/");
  EXPECT_EQ(cp::clean_keep_trailing("/a//b/."), "/a/b/.");
  EXPECT_EQ(cp::clean_keep_trailing("/."), "/.");
  EXPECT_EQ(cp::clean_keep_trailing("/"), "/");
  EXPECT_EQ(cp::container_abs("etc/hosts"), "/etc/hosts");
  EXPECT_EQ(cp::container_abs("../etc/"), "/etc/");
  EXPECT_TRUE(cp::asserts_directory("/a/"));
  EXPECT_TRUE(cp::asserts_directory("/a/."));
  EXPECT_FALSE(cp::asserts_directory("/a"));
}

TEST(CopyPaths, SplitDirEntry) {
  auto a = cp::split_dir_entry("/a/b");
  EXPECT_EQ(a.dir, "/a");
  EXPECT_EQ(a.base, "b");
  auto dot = cp::split_dir_entry("/a/b/.");
  EXPECT_EQ(dot.dir, "/a/b");
  EXPECT_EQ(dot.base, ".");
  auto slash = cp::split_dir_entry("/a/b/");
  EXPECT_EQ(slash.dir, "/a");
  EXPECT_EQ(slash.base, "b");
  auto root = cp::split_dir_entry("/");
  EXPECT_EQ(root.dir, "/");
  EXPECT_EQ(root.base, "/");
}

cp::CopyInfo info(std::string path, bool exists, bool is_dir, std::string rebase = "") {
  return {std::move(path), exists, is_dir, std::move(rebase)};
}

TEST(CopyPaths, PlanFollowsDockersRules) {
  // Into an existing directory: extracted there, nothing renamed.
  auto into = cp::plan_copy(info("/h/f", true, false), info("/c/dir", true, true));
  ASSERT_TRUE(into);
  EXPECT_EQ(into->dst_dir, "/c/dir");
  EXPECT_EQ(into->rebase_from, "");
  // A file onto a file, or to a new name: renamed to the destination's base.
  auto onto = cp::plan_copy(info("/h/f", true, false), info("/c/g", true, false));
  ASSERT_TRUE(onto);
  EXPECT_EQ(onto->dst_dir, "/c");
  EXPECT_EQ(onto->rebase_from, "f");
  EXPECT_EQ(onto->rebase_to, "g");
  // A directory to a new name.
  auto dir = cp::plan_copy(info("/h/d", true, true), info("/c/new", false, false));
  ASSERT_TRUE(dir);
  EXPECT_EQ(dir->dst_dir, "/c");
  EXPECT_EQ(dir->rebase_from, "d");
  EXPECT_EQ(dir->rebase_to, "new");
  // A directory's content to a new name: "./x" becomes "new/x".
  auto content = cp::plan_copy(info("/h/d/.", true, true), info("/c/new", false, false));
  ASSERT_TRUE(content);
  EXPECT_EQ(content->rebase_from, ".");
  EXPECT_EQ(content->rebase_to, "new");
  // A followed link keeps the link's name.
  auto link = cp::plan_copy(info("/h/target", true, false, "link"), info("/c/x", false, false));
  ASSERT_TRUE(link);
  EXPECT_EQ(link->rebase_from, "link");
  EXPECT_EQ(link->rebase_to, "x");

  auto dir_on_file = cp::plan_copy(info("/h/d", true, true), info("/c/f", true, false));
  ASSERT_FALSE(dir_on_file);
  EXPECT_EQ(dir_on_file.error().what(), "cannot copy directory");
  auto file_to_missing_dir = cp::plan_copy(info("/h/f", true, false), info("/c/n/", false, false));
  ASSERT_FALSE(file_to_missing_dir);
  EXPECT_EQ(file_to_missing_dir.error().what(), "no such directory");
}

TEST(CopyPaths, CpArgumentSplit) {
  auto c = berth::cli::split_cp_arg("web:/etc/hosts");
  EXPECT_EQ(c.container, "web");
  EXPECT_EQ(c.path, "/etc/hosts");
  EXPECT_EQ(berth::cli::split_cp_arg("/abs:olute").container, "");
  EXPECT_EQ(berth::cli::split_cp_arg("./a:b").container, "");
  EXPECT_EQ(berth::cli::split_cp_arg("plain").container, "");
  EXPECT_EQ(berth::cli::split_cp_arg("-").path, "-");
}

}  // namespace
