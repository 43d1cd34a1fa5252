// Real-kernel tests of the cgroup backends: root only; every cgroup and process they make is
// removed by a guard, also when an assertion fails.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <algorithm>
#include <functional>

#include "base/fs.hpp"
#include "base/syscalls.hpp"
#include "runtime/cgroups/cgroup.hpp"
#include "runtime/cgroups/device_rules.hpp"
#include "runtime/cgroups/tree.hpp"
#include "runtime/cgroups/v2.hpp"

namespace berth::runtime::cgroups {
namespace {

std::string read_trim(const std::string& path) {
  auto v = read_value(path);
  return v ? *v : "<" + v.error().what() + ">";
}

// A child that waits for a byte on a pipe, then opens `open_path` (when set) and exits with 0 or
// the errno of the open.
class Child {
 public:
  explicit Child(const char* open_path = nullptr) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(fds[1]);
      char c;
      if (::read(fds[0], &c, 1) != 1) ::_exit(100);
      if (open_path == nullptr) ::_exit(0);
      int fd = ::open(open_path, O_RDWR);
      ::_exit(fd >= 0 ? 0 : errno);
    }
    ::close(fds[0]);
    go_ = fds[1];
  }
  ~Child() {
    if (go_ >= 0) ::close(go_);
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  // Lets it run, and returns its exit code.
  int finish() {
    if (::write(go_, "x", 1) != 1) return -1;
    int status = 0;
    if (::waitpid(pid_, &status, 0) != pid_) return -1;
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  int go_ = -1;
};

// Removes the test's top cgroup from every hierarchy when the test ends.
class Scratch {
 public:
  Scratch() : name_("berth-cgtest-" + std::to_string(::getpid())) {}
  ~Scratch() {
    for (const char* h : {"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio",
                          "pids", "hugetlb", "net_cls", "perf_event", "systemd", "unified", ""}) {
      auto dir = std::string("/sys/fs/cgroup/") + h + (*h ? "/" : "") + name_;
      if (fs::exists(dir)) (void)remove_tree(dir);
    }
  }
  std::string path(const std::string& leaf) const { return "/" + name_ + "/" + leaf; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

bool has_pid(const std::vector<pid_t>& pids, pid_t pid) {
  return std::find(pids.begin(), pids.end(), pid) != pids.end();
}

class CgroupsRoot : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to create cgroups";
    auto m = detect_mode();
    ASSERT_TRUE(m) << m.error().what();
    mode_ = *m;
  }
  Mode mode_ = Mode::v1;
  Scratch scratch_;
};

// Create, join, limit, read back, update, freeze, thaw, destroy, through open() in this mode.
void full_scenario(Mode mode_, const Scratch& scratch_) {
  auto cg = open(scratch_.path("c1"), "c1", false, false);
  ASSERT_TRUE(cg) << cg.error().what();
  ASSERT_TRUE((*cg)->create());
  ASSERT_TRUE((*cg)->create()) << "create is idempotent";

  Child child;
  ASSERT_GT(child.pid(), 0);
  auto added = (*cg)->add_process(child.pid());
  ASSERT_TRUE(added) << added.error().what();

  Resources r;
  r.memory = MemoryResources{};
  r.memory->limit = 64 << 20;
  r.memory->swap = 128 << 20;
  r.memory->reservation = 32 << 20;
  r.cpu = CpuResources{};
  r.cpu->shares = 512;
  r.cpu->quota = 50000;
  r.cpu->period = 100000;
  r.cpu->cpus = "0";
  r.cpu->mems = "0";
  r.pids_limit = 32;
  DeviceRule deny_all;
  deny_all.allow = false;
  r.devices = container_device_rules({deny_all}, {});
  auto applied = (*cg)->apply(r);
  ASSERT_TRUE(applied) << applied.error().what();

  auto paths = (*cg)->paths();
  auto pids = (*cg)->pids();
  ASSERT_TRUE(pids) << pids.error().what();
  EXPECT_TRUE(has_pid(*pids, child.pid()));
  auto proc_cgroup = read_trim("/proc/" + std::to_string(child.pid()) + "/cgroup");

  if (mode_ == Mode::v2) {
    std::string dir = paths["unified"];
    EXPECT_EQ(read_trim(dir + "/memory.max"), std::to_string(64 << 20));
    EXPECT_EQ(read_trim(dir + "/memory.low"), std::to_string(32 << 20));
    EXPECT_EQ(read_trim(dir + "/cpu.max"), "50000 100000");
    EXPECT_EQ(read_trim(dir + "/cpu.weight"), "20");
    EXPECT_EQ(read_trim(dir + "/pids.max"), "32");
  } else {
    EXPECT_EQ(paths["memory"], "/sys/fs/cgroup/memory" + scratch_.path("c1"));
    std::string mem = paths["memory"], cpu = paths["cpu"], cpuset = paths["cpuset"];
    EXPECT_EQ(read_trim(mem + "/memory.limit_in_bytes"), std::to_string(64 << 20));
    if (fs::exists(mem + "/memory.memsw.limit_in_bytes")) {
      EXPECT_EQ(read_trim(mem + "/memory.memsw.limit_in_bytes"), std::to_string(128 << 20));
    }
    EXPECT_EQ(read_trim(mem + "/memory.soft_limit_in_bytes"), std::to_string(32 << 20));
    EXPECT_EQ(read_trim(cpu + "/cpu.shares"), "512");
    EXPECT_EQ(read_trim(cpu + "/cpu.cfs_quota_us"), "50000");
    EXPECT_EQ(read_trim(cpu + "/cpu.cfs_period_us"), "100000");
    EXPECT_EQ(read_trim(cpuset + "/cpuset.cpus"), "0");
    EXPECT_EQ(read_trim(std::string(paths["pids"]) + "/pids.max"), "32");
    auto list = read_trim(std::string(paths["devices"]) + "/devices.list");
    EXPECT_NE(list.find("c 1:3 rwm"), std::string::npos) << list;
    EXPECT_EQ(list.find("a *:* rwm"), std::string::npos) << list;
    EXPECT_NE(proc_cgroup.find(":memory:" + scratch_.path("c1")), std::string::npos) << proc_cgroup;
    EXPECT_NE(proc_cgroup.find(":cpuset:" + scratch_.path("c1")), std::string::npos) << proc_cgroup;
  }
  if (mode_ == Mode::hybrid) {
    EXPECT_EQ(paths["unified"], "/sys/fs/cgroup/unified" + scratch_.path("c1"));
    EXPECT_NE(proc_cgroup.find("0::" + scratch_.path("c1")), std::string::npos) << proc_cgroup;
  }

  // update: raising both limits must write swap first, lowering must write the limit first.
  Resources up;
  up.memory = MemoryResources{};
  up.memory->limit = 256 << 20;
  up.memory->swap = 512 << 20;
  applied = (*cg)->apply(up);
  EXPECT_TRUE(applied) << applied.error().what();
  Resources down;
  down.memory = MemoryResources{};
  down.memory->limit = 16 << 20;
  down.memory->swap = 24 << 20;
  applied = (*cg)->apply(down);
  EXPECT_TRUE(applied) << applied.error().what();
  if (mode_ != Mode::v2) {
    EXPECT_EQ(read_trim(std::string(paths["memory"]) + "/memory.limit_in_bytes"),
              std::to_string(16 << 20));
  }

  auto frozen = (*cg)->frozen();
  ASSERT_TRUE(frozen) << frozen.error().what();
  EXPECT_FALSE(*frozen);
  auto froze = (*cg)->freeze();
  ASSERT_TRUE(froze) << froze.error().what();
  frozen = (*cg)->frozen();
  ASSERT_TRUE(frozen);
  EXPECT_TRUE(*frozen);
  auto thawed = (*cg)->thaw();
  ASSERT_TRUE(thawed) << thawed.error().what();
  EXPECT_FALSE(*(*cg)->frozen());

  EXPECT_EQ(child.finish(), 0);
  auto destroyed = (*cg)->destroy();
  ASSERT_TRUE(destroyed) << destroyed.error().what();
  for (const auto& [key, dir] : paths.items()) {
    if (key != "mode") {
      EXPECT_FALSE(fs::exists(dir.get<std::string>())) << dir;
    }
  }
  EXPECT_TRUE((*cg)->destroy()) << "destroy of a missing cgroup is fine";
}

TEST_F(CgroupsRoot, CreateJoinLimitFreezeDestroy) {
  full_scenario(mode_, scratch_);
}

// Runs body in a child with a mount namespace of its own, where `setup` has changed how
// /sys/fs/cgroup looks; returns the child's exit code (0 when no expectation failed).
int in_mount_namespace(const std::function<bool()>& setup, const std::function<void()>& body) {
  ::fflush(stdout);
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::unshare(CLONE_NEWNS) < 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0)
      ::_exit(90);
    if (!setup()) ::_exit(91);
    body();
    ::fflush(stdout);
    ::_exit(::testing::Test::HasFailure() ? 1 : 0);
  }
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST_F(CgroupsRoot, PureV1) {
  if (mode_ != Mode::hybrid) GTEST_SKIP() << "made from the hybrid layout";
  int code =
      in_mount_namespace([] { return ::umount2("/sys/fs/cgroup/unified", MNT_DETACH) == 0; },
                         [&] {
                           auto mode = detect_mode();
                           ASSERT_TRUE(mode && *mode == Mode::v1);
                           full_scenario(Mode::v1, scratch_);
                           auto cg = open(scratch_.path("v1"), "v1", false, false);
                           ASSERT_TRUE(cg);
                           Resources r;
                           r.unified["cgroup.max.depth"] = "1";
                           auto refused = (*cg)->apply(r);
                           ASSERT_FALSE(refused);
                           EXPECT_NE(refused.error().message.find("cgroup v2"), std::string::npos);
                         });
  EXPECT_EQ(code, 0);
}

TEST_F(CgroupsRoot, PureV2) {
  if (mode_ == Mode::v2) GTEST_SKIP() << "covered by the other tests";
  if (mode_ != Mode::hybrid) GTEST_SKIP() << "made from the hybrid layout";
  std::string root = "/sys/fs/cgroup/unified";
  auto had = read_trim(root + "/cgroup.subtree_control");
  int code = in_mount_namespace(
      [] { return ::mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, nullptr) == 0; },
      [&] {
        auto mode = detect_mode();
        ASSERT_TRUE(mode && *mode == Mode::v2);
        auto cg = open(scratch_.path("v2"), "v2", false, false);
        ASSERT_TRUE(cg) << cg.error().what();
        EXPECT_EQ((*cg)->paths()["unified"], "/sys/fs/cgroup" + scratch_.path("v2"));
        auto created = (*cg)->create();
        ASSERT_TRUE(created) << created.error().what();
        auto offered = read_trim("/sys/fs/cgroup/cgroup.controllers");
        if (!offered.empty()) {
          // Every controller the root offers is on down to the container's parent.
          EXPECT_EQ(read_trim("/sys/fs/cgroup/" + scratch_.name() + "/cgroup.subtree_control"),
                    offered);
        }

        DeviceRule deny_all;
        deny_all.allow = false;
        Resources r;
        r.devices = container_device_rules({deny_all}, {});
        r.unified["cgroup.max.descendants"] = "3";
        if (offered.find("hugetlb") != std::string::npos &&
            fs::exists("/sys/kernel/mm/hugepages/hugepages-2048kB"))
          r.hugepage_limits.push_back(HugepageLimit{"2MB", 2 << 21});
        auto applied = (*cg)->apply(r);
        ASSERT_TRUE(applied) << applied.error().what();
        std::string dir = (*cg)->paths()["unified"];
        EXPECT_EQ(read_trim(dir + "/cgroup.max.descendants"), "3");
        if (!r.hugepage_limits.empty()) {
          EXPECT_EQ(read_trim(dir + "/hugetlb.2MB.max"), std::to_string(2 << 21));
        }

        // A controller the kernel does not offer here is a clear error.
        Resources mem;
        mem.memory = MemoryResources{};
        mem.memory->limit = 1 << 30;
        if (offered.find("memory") == std::string::npos) {
          auto refused = (*cg)->apply(mem);
          ASSERT_FALSE(refused);
          EXPECT_NE(refused.error().what().find("memory.max"), std::string::npos)
              << refused.error().what();
        }

        {
          Child ok("/dev/null");
          ASSERT_TRUE((*cg)->add_process(ok.pid()));
          EXPECT_EQ(ok.finish(), 0);
        }
        if (fs::exists("/dev/kmsg")) {
          Child denied("/dev/kmsg");
          ASSERT_TRUE((*cg)->add_process(denied.pid()));
          EXPECT_EQ(denied.finish(), EPERM);
        }

        // clone3 straight into the cgroup.
        auto fd = (*cg)->open_v2_dir_fd();
        ASSERT_TRUE(fd) << fd.error().what();
        unique_fd cgroup_fd(*fd);
        auto pid = sys::clone3(0, nullptr, cgroup_fd.get());
        ASSERT_TRUE(pid) << pid.error().what();
        if (*pid == 0) {
          ::pause();
          ::_exit(0);
        }
        auto pids = (*cg)->pids();
        ASSERT_TRUE(pids);
        EXPECT_TRUE(has_pid(*pids, *pid));
        EXPECT_NE(read_trim("/proc/" + std::to_string(*pid) + "/cgroup")
                      .find("0::" + scratch_.path("v2")),
                  std::string::npos);
        auto froze = (*cg)->freeze();
        EXPECT_TRUE(froze) << froze.error().what();
        EXPECT_TRUE(*(*cg)->frozen());
        EXPECT_TRUE((*cg)->thaw());
        ::kill(*pid, SIGKILL);
        ::waitpid(*pid, nullptr, 0);
        auto destroyed = (*cg)->destroy();
        EXPECT_TRUE(destroyed) << destroyed.error().what();
        EXPECT_FALSE(fs::exists(dir));
      });
  EXPECT_EQ(code, 0);
  (void)remove_tree(root + "/" + scratch_.name());
  for (const auto& c : {"hugetlb"}) {
    if (had.find(c) == std::string::npos)
      (void)fs::write_file(root + "/cgroup.subtree_control", std::string("-") + c);
  }
  EXPECT_EQ(read_trim(root + "/cgroup.subtree_control"), had);
}

TEST_F(CgroupsRoot, LoadFromPathsAndNested) {
  auto cg = open(scratch_.path("c2"), "c2", false, false);
  ASSERT_TRUE(cg) << cg.error().what();
  ASSERT_TRUE((*cg)->create());
  auto again = load((*cg)->paths(), false);
  ASSERT_TRUE(again) << again.error().what();
  EXPECT_EQ((*again)->paths(), (*cg)->paths());
  EXPECT_EQ((*again)->mode(), mode_);

  // A process inside made its own sub-cgroup: it is listed, and destroy removes it too.
  std::string sub = std::string((*cg)->paths()[mode_ == Mode::v2 ? "unified" : "pids"]) + "/inner";
  ASSERT_EQ(::mkdir(sub.c_str(), 0755), 0) << sub;
  Child child;
  ASSERT_TRUE((*again)->add_process(child.pid()));
  ASSERT_TRUE(fs::write_file(sub + "/cgroup.procs", std::to_string(child.pid())));
  auto pids = (*again)->pids();
  ASSERT_TRUE(pids) << pids.error().what();
  EXPECT_TRUE(has_pid(*pids, child.pid()));
  EXPECT_EQ(child.finish(), 0);
  auto destroyed = (*again)->destroy();
  ASSERT_TRUE(destroyed) << destroyed.error().what();
  EXPECT_FALSE(fs::exists(sub));
}

TEST_F(CgroupsRoot, RelativePathIsUnderOwnCgroup) {
  if (mode_ == Mode::v2) GTEST_SKIP() << "checks the v1 layout";
  auto own = read_trim("/proc/self/cgroup");
  auto pos = own.find(":memory:");
  ASSERT_NE(pos, std::string::npos);
  auto own_memory = own.substr(pos + 8, own.find('\n', pos) - pos - 8);
  auto cg = open(scratch_.name() + "/rel", "x", false, false);
  ASSERT_TRUE(cg) << cg.error().what();
  std::string expected = "/sys/fs/cgroup/memory" + (own_memory == "/" ? "" : own_memory) + "/" +
                         scratch_.name() + "/rel";
  EXPECT_EQ((*cg)->paths()["memory"], expected);
  ASSERT_TRUE((*cg)->create());
  EXPECT_TRUE(fs::exists(expected));
  EXPECT_TRUE((*cg)->destroy());
  (void)remove_tree(fs::dirname(expected));
}

TEST_F(CgroupsRoot, UnifiedKeysAndHugetlb) {
  if (mode_ == Mode::v1) GTEST_SKIP() << "no cgroup2 hierarchy";
  std::string root = mode_ == Mode::v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
  auto had = read_trim(root + "/cgroup.subtree_control");
  auto cg = open(scratch_.path("c3"), "c3", false, false);
  ASSERT_TRUE(cg) << cg.error().what();
  ASSERT_TRUE((*cg)->create());
  std::string dir = (*cg)->paths()["unified"];

  Resources r;
  r.unified["cgroup.max.descendants"] = "5";
  auto applied = (*cg)->apply(r);
  ASSERT_TRUE(applied) << applied.error().what();
  EXPECT_EQ(read_trim(dir + "/cgroup.max.descendants"), "5");
  r.unified = {{"../cgroup.max.descendants", "1"}};
  EXPECT_FALSE((*cg)->apply(r));
  r.unified = {{"nosuch.file", "1"}};
  EXPECT_FALSE((*cg)->apply(r));

  auto offered = read_trim(root + "/cgroup.controllers");
  if (offered.find("hugetlb") != std::string::npos &&
      fs::exists("/sys/kernel/mm/hugepages/hugepages-2048kB")) {
    Resources h;
    h.hugepage_limits.push_back(HugepageLimit{"2MB", 4 << 21});
    applied = (*cg)->apply(h);
    EXPECT_TRUE(applied) << applied.error().what();
    if (mode_ == Mode::hybrid && !fs::exists("/sys/fs/cgroup/hugetlb")) {
      EXPECT_EQ(read_trim(dir + "/hugetlb.2MB.max"), std::to_string(4 << 21));
    }
  }
  EXPECT_TRUE((*cg)->destroy());
  if (had.find("hugetlb") == std::string::npos) {
    // The controller can only be turned off again once no child has it on.
    (void)remove_tree(root + "/" + scratch_.name());
    auto restored = fs::write_file(root + "/cgroup.subtree_control", "-hugetlb");
    EXPECT_TRUE(restored) << restored.error().what();
  }
}

TEST_F(CgroupsRoot, V2DeviceFilterAndFreeze) {
  if (mode_ == Mode::v1) GTEST_SKIP() << "no cgroup2 hierarchy";
  std::string mount = mode_ == Mode::v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
  V2Cgroup cg(mount, mount + scratch_.path("dev"), false, false);
  ASSERT_TRUE(cg.create());

  DeviceRule deny_all;
  deny_all.allow = false;
  DeviceRule zero;
  zero.allow = true;
  zero.type = "c";
  zero.major = 1;
  zero.minor = 5;
  Resources r;
  r.devices = {deny_all, zero};
  auto applied = cg.apply(r);
  ASSERT_TRUE(applied) << applied.error().what();
  {
    Child denied("/dev/null");
    ASSERT_TRUE(cg.add_process(denied.pid()));
    EXPECT_EQ(denied.finish(), EPERM);
    Child allowed("/dev/zero");
    ASSERT_TRUE(cg.add_process(allowed.pid()));
    EXPECT_EQ(allowed.finish(), 0);
  }
  // A second program replaces the first (else both would have to allow).
  DeviceRule null;
  null.allow = true;
  null.type = "c";
  null.major = 1;
  null.minor = 3;
  r.devices = {deny_all, null};
  applied = cg.apply(r);
  ASSERT_TRUE(applied) << applied.error().what();
  {
    Child allowed("/dev/null");
    ASSERT_TRUE(cg.add_process(allowed.pid()));
    EXPECT_EQ(allowed.finish(), 0);
  }

  Child sleeper;
  ASSERT_TRUE(cg.add_process(sleeper.pid()));
  auto froze = cg.freeze();
  ASSERT_TRUE(froze) << froze.error().what();
  EXPECT_TRUE(*cg.frozen());
  ASSERT_TRUE(cg.thaw());
  EXPECT_FALSE(*cg.frozen());
  EXPECT_EQ(sleeper.finish(), 0);
  EXPECT_TRUE(cg.destroy());
}

TEST_F(CgroupsRoot, RootlessWithoutDelegation) {
  std::string path = scratch_.path("rootless");
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::setgid(65534) < 0 || ::setuid(65534) < 0) ::_exit(90);
    auto cg = open(path, "rootless", true, false);
    if (!cg) ::_exit(91);
    if (!(*cg)->create()) ::_exit(92);
    if (!(*cg)->add_process(::getpid())) ::_exit(93);
    if (!(*cg)->apply(Resources{})) ::_exit(94);
    Resources r;
    r.devices.push_back(DeviceRule{});
    if (!(*cg)->apply(r)) ::_exit(95);
    r.pids_limit = 10;
    auto refused = (*cg)->apply(r);
    if (refused) ::_exit(96);
    if (refused.error().message.find("rootless") == std::string::npos) ::_exit(97);
    // What the state file keeps names no cgroup, and a reload still refuses limits clearly.
    auto paths = (*cg)->paths();
    if (paths.size() != 1) ::_exit(99);
    auto again = load(paths, true);
    if (!again) ::_exit(100);
    auto refused_again = (*again)->apply(r);
    if (refused_again || refused_again.error().message.find("rootless") == std::string::npos)
      ::_exit(101);
    if ((*again)->pids()) ::_exit(102);
    if (!(*again)->destroy()) ::_exit(103);
    if (!(*cg)->destroy()) ::_exit(98);
    ::_exit(0);
  }
  ASSERT_GT(pid, 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace berth::runtime::cgroups
