#include "base/syscalls.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "image_fixture.hpp"

namespace {

using berth_test::TempDir;

// openat2 with RESOLVE_IN_ROOT answers EAGAIN when a ".." of the path races with a rename
// anywhere on the system; a rename storm beside it makes that all but certain.
TEST(Syscalls, Openat2InRootRetriesWhenADotDotRacesWithARename) {
  TempDir tmp("/tmp/berth-openat2-XXXXXX");
  ASSERT_EQ(::mkdir(tmp.at("root").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(tmp.at("root/a").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(tmp.at("root/a/b").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(tmp.at("spin").c_str(), 0755), 0);
  std::FILE* f = std::fopen(tmp.at("spin/x").c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  auto root = berth::sys::open(tmp.at("root"), O_PATH | O_DIRECTORY);
  ASSERT_TRUE(root.has_value());

  std::atomic<bool> stop{false};
  std::thread renamer([&] {
    const std::string x = tmp.at("spin/x"), y = tmp.at("spin/y");
    while (!stop) {
      (void)std::rename(x.c_str(), y.c_str());
      (void)std::rename(y.c_str(), x.c_str());
    }
  });
  std::string failure;
  for (int i = 0; i < 2000 && failure.empty(); ++i) {
    auto fd =
        berth::sys::openat2(root->get(), "a/b/../../../a/b", O_PATH | O_DIRECTORY, RESOLVE_IN_ROOT);
    if (!fd) failure = fd.error().what();
  }
  stop = true;
  renamer.join();
  EXPECT_EQ(failure, "");
}

}  // namespace
