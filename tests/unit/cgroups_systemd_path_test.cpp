#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "base/fs.hpp"
#include "runtime/cgroups/path.hpp"
#include "runtime/cgroups/systemd_path.hpp"
#include "runtime/cgroups/tree.hpp"

namespace berth::runtime::cgroups {
namespace {

TEST(CgroupsSystemdPath, ExpandSlice) {
  struct Case {
    const char* slice;
    const char* path;
  };
  for (const auto& c : {
           Case{"system.slice", "/system.slice"},
           Case{"machine.slice", "/machine.slice"},
           Case{"-.slice", "/"},
           Case{"a-b.slice", "/a.slice/a-b.slice"},
           Case{"a-b-c.slice", "/a.slice/a-b.slice/a-b-c.slice"},
           Case{"kubepods-burstable-pod1_2.slice",
                "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1_2.slice"},
           Case{"user-1000.slice", "/user.slice/user-1000.slice"},
       }) {
    auto path = expand_slice(c.slice);
    ASSERT_TRUE(path) << c.slice << ": " << path.error().what();
    EXPECT_EQ(*path, c.path) << c.slice;
  }
}

TEST(CgroupsSystemdPath, ExpandSliceErrors) {
  for (const char* bad : {"", ".slice", "system", "system.scope", "-a.slice", "a-.slice",
                          "a--b.slice", "--.slice", "a/b.slice", "../x.slice", "a b.slice"}) {
    auto path = expand_slice(bad);
    ASSERT_FALSE(path) << bad << " -> " << *path;
    EXPECT_NE(path.error().message.find(quote(bad)), std::string::npos) << path.error().what();
    EXPECT_EQ(path.error().message.find('\n'), std::string::npos);
  }
  EXPECT_NE(expand_slice("a/b.slice").error().message.find("\"/\""), std::string::npos);
  EXPECT_FALSE(expand_slice(std::string(300, 'a') + ".slice"));
}

TEST(CgroupsSystemdPath, Translate) {
  struct Case {
    const char* cgroups_path;
    bool rootless;
    const char* path;
  };
  for (const auto& c : {
           Case{"system.slice:docker:abc123", false, "/system.slice/docker-abc123.scope"},
           Case{"machine.slice:libpod:abc", false, "/machine.slice/libpod-abc.scope"},
           Case{"a-b.slice:crio:x", false, "/a.slice/a-b.slice/crio-x.scope"},
           Case{"-.slice:p:x", false, "/p-x.scope"},
           Case{":docker:abc", false, "/system.slice/docker-abc.scope"},
           Case{":docker:abc", true, "/user.slice/docker-abc.scope"},
           Case{"system.slice::abc", false, "/system.slice/abc.scope"},
           Case{"a.slice:p:a-b.slice", false, "/a.slice/a-b.slice"},
           Case{"system.slice:p:child.slice", false, "/system.slice/child.slice"},
           Case{"", false, "/system.slice/berth-ctr1.scope"},
           // ".." only ever ends up inside a unit name, never as a way up.
           Case{"system.slice::..", false, "/system.slice/...scope"},
           Case{"", true, "/user.slice/berth-ctr1.scope"},
       }) {
    auto sd = systemd_path(c.cgroups_path, "ctr1", c.rootless);
    ASSERT_TRUE(sd) << c.cgroups_path << ": " << sd.error().what();
    EXPECT_EQ(sd->path(), c.path) << c.cgroups_path;
  }
  auto sd = systemd_path("a-b.slice:docker:x", "x", false);
  ASSERT_TRUE(sd);
  EXPECT_EQ(sd->slice, "/a.slice/a-b.slice");
  EXPECT_EQ(sd->unit, "docker-x.scope");
}

TEST(CgroupsSystemdPath, TranslateErrors) {
  for (const char* bad : {
           "/system.slice/docker-abc.scope",  // a plain path: runc refuses it too
           "docker/abc",
           "system.slice:docker",
           "system.slice:docker:abc:def",
           "system:docker:abc",
           "a--b.slice:docker:abc",
           "a/b.slice:docker:abc",
           "system.slice:docker:",
           "system.slice:docker:a/b",
           "system.slice:do/cker:abc",
           "system.slice:p:.slice",
           "system.slice:p:x--y.slice",
       }) {
    auto sd = systemd_path(bad, "ctr1", false);
    ASSERT_FALSE(sd) << bad << " -> " << sd->path();
    EXPECT_NE(sd.error().message.find(quote(bad)), std::string::npos) << sd.error().what();
    EXPECT_EQ(sd.error().message.find('\n'), std::string::npos);
  }
  EXPECT_FALSE(systemd_path("", "a/b", false));
  EXPECT_FALSE(systemd_path("system.slice:docker:" + std::string(300, 'a'), "x", false));
}

TEST(CgroupsSystemdPath, RequestedPath) {
  EXPECT_EQ(*requested_path("system.slice:docker:abc", "abc", true),
            "/system.slice/docker-abc.scope");
  EXPECT_EQ(*requested_path("", "abc", true), "/system.slice/berth-abc.scope");
  EXPECT_FALSE(requested_path("/x", "abc", true));
  auto without = requested_path("machine.slice:libpod:abc", "abc", false);
  ASSERT_FALSE(without);
  EXPECT_NE(without.error().message.find("--systemd-cgroup"), std::string::npos);
  EXPECT_TRUE(is_systemd_form("system.slice:docker:abc"));
  EXPECT_TRUE(is_systemd_form("::abc"));
  EXPECT_FALSE(is_systemd_form("/a:b:c"));
  EXPECT_FALSE(is_systemd_form("a:b"));
  EXPECT_FALSE(is_systemd_form("system.slice/docker-abc.scope"));
}

// A cgroup over plain directories: enough to check what the slice wrapper removes.
class DirCgroup : public Cgroup {
 public:
  explicit DirCgroup(std::string dir) : dir_(std::move(dir)) {}
  Mode mode() const override { return Mode::v1; }
  Status create() override { return make_dirs(dir_, nullptr); }
  Status add_process(pid_t) override { return {}; }
  Status apply(const Resources&) override { return {}; }
  Status freeze() override { return {}; }
  Status thaw() override { return {}; }
  Result<bool> frozen() override { return false; }
  Result<std::vector<pid_t>> pids() override { return std::vector<pid_t>{}; }
  Status destroy() override { return remove_tree(dir_); }
  nlohmann::json paths() const override { return {{"mode", "v1"}, {"pids", dir_}}; }

 private:
  std::string dir_;
};

class SliceCleanup : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-sdtest-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { (void)fs::remove_all(root_); }

  std::unique_ptr<Cgroup> open_at(const std::string& cgroups_path) {
    auto sd = systemd_path(cgroups_path, "x", false);
    EXPECT_TRUE(sd);
    return with_slice_cleanup(std::make_unique<DirCgroup>(root_ + sd->path()), sd->slice);
  }

  std::string root_;
};

TEST_F(SliceCleanup, RemovesOnlyTheSlicesItMade) {
  ASSERT_EQ(::mkdir((root_ + "/a.slice").c_str(), 0755), 0);
  auto cg = open_at("a-b-c.slice:p:x");
  ASSERT_TRUE(cg->create());
  std::string scope = root_ + "/a.slice/a-b.slice/a-b-c.slice/p-x.scope";
  EXPECT_TRUE(fs::exists(scope));
  auto paths = cg->paths();
  ASSERT_TRUE(paths.contains(kSystemdSlicesKey));
  EXPECT_EQ(paths[kSystemdSlicesKey], nlohmann::json({root_ + "/a.slice/a-b.slice/a-b-c.slice",
                                                      root_ + "/a.slice/a-b.slice"}));

  // What load() gets back from the state file.
  auto reopened = load(paths, false);
  ASSERT_TRUE(reopened) << reopened.error().what();
  EXPECT_EQ((*reopened)->paths(), paths);
  ASSERT_TRUE((*reopened)->destroy());
  EXPECT_FALSE(fs::exists(scope));
  EXPECT_FALSE(fs::exists(root_ + "/a.slice/a-b.slice"));
  EXPECT_TRUE(fs::exists(root_ + "/a.slice"));  // it was there before
}

TEST_F(SliceCleanup, KeepsASliceStillInUse) {
  auto first = open_at("system.slice:p:one");
  auto second = open_at("system.slice:p:two");
  ASSERT_TRUE(first->create());
  ASSERT_TRUE(second->create());
  EXPECT_TRUE(first->paths().contains(kSystemdSlicesKey));
  EXPECT_FALSE(second->paths().contains(kSystemdSlicesKey));  // the first one made it
  ASSERT_TRUE(first->destroy());
  EXPECT_TRUE(fs::exists(root_ + "/system.slice/p-two.scope"));
  ASSERT_TRUE(second->destroy());
  EXPECT_TRUE(fs::exists(root_ + "/system.slice"));  // not second's to remove
  EXPECT_FALSE(fs::exists(root_ + "/system.slice/p-two.scope"));
}

TEST_F(SliceCleanup, RootSliceHasNothingToRemove) {
  auto cg = open_at("-.slice:p:x");
  ASSERT_TRUE(cg->create());
  EXPECT_FALSE(cg->paths().contains(kSystemdSlicesKey));
  ASSERT_TRUE(cg->destroy());
  EXPECT_FALSE(fs::exists(root_ + "/p-x.scope"));
  EXPECT_TRUE(fs::exists(root_));
}

TEST(CgroupsSystemdPath, LoadRejectsBadSlices) {
  nlohmann::json paths{{"mode", "v1"}, {"pids", "/sys/fs/cgroup/pids/x"}};
  paths[kSystemdSlicesKey] = nlohmann::json::array({"relative"});
  EXPECT_FALSE(load(paths, false));
  paths[kSystemdSlicesKey] = "not a list";
  EXPECT_FALSE(load(paths, false));
}

}  // namespace
}  // namespace berth::runtime::cgroups
