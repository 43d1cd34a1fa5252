#include "engine/rootless_check.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "base/fs.hpp"

namespace {

using berth::engine::CheckResult;
namespace engine = berth::engine;
namespace fs = berth::fs;

struct TempDir {
  std::string path;
  TempDir() {
    std::string tmpl = "/tmp/berth-check-test-XXXXXX";
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    ::chmod(path.c_str(), 0700);
    (void)fs::remove_all(path);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string at(const std::string& rel) const { return path + "/" + rel; }
  std::string write(const std::string& rel, const std::string& text) const {
    EXPECT_TRUE(fs::mkdir_p(fs::dirname(at(rel)), 0755));
    EXPECT_TRUE(fs::write_file_atomic(at(rel), text, 0644));
    return at(rel);
  }
};

size_t entries(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return 0;
  size_t n = 0;
  while (struct dirent* e = ::readdir(d))
    if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") ++n;
  ::closedir(d);
  return n;
}

TEST(RootlessCheck, FreeRangeSkipsEveryUsersRangesInBothFiles) {
  TempDir t;
  auto sub_uid = t.write("subuid", "");
  auto sub_gid = t.write("subgid", "");
  auto empty = engine::free_subordinate_range({sub_uid, sub_gid}, 65536);
  ASSERT_TRUE(empty) << empty.error().what();
  EXPECT_EQ(empty->start, 100000u);
  EXPECT_EQ(empty->count, 65536u);

  // A gap too small (165536..170000) is passed over; a range in subgid only counts too.
  t.write("subuid", "alice:100000:65536\n# note\nbroken line\ncarol:400000:65536\n");
  t.write("subgid", "alice:100000:65536\nbob:170000:65536\n");
  auto r = engine::free_subordinate_range({sub_uid, sub_gid}, 65536);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(r->start, 235536u);  // after bob's 170000+65536, and it fits below carol's 400000

  t.write("subgid", "alice:100000:65536\nbob:170000:65536\ndave:240000:10\n");
  r = engine::free_subordinate_range({sub_uid, sub_gid}, 65536);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->start, 240010u);  // after dave's ten

  auto missing = engine::free_subordinate_range({t.at("none1"), t.at("none2")}, 65536);
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->start, 100000u);

  t.write("subuid", "greedy:100000:600000000\n");
  auto full = engine::free_subordinate_range({sub_uid}, 65536);
  ASSERT_FALSE(full);
  EXPECT_NE(full.error().what().find("no free range of 65536"), std::string::npos);
}

TEST(RootlessCheck, SubordinateRangesSumToTheNeededCount) {
  TempDir t;
  auto sub_uid = t.write("subuid", "alice:231072:65536\nbob:100000:60000\n1003:400000:6000\n");
  auto sub_gid = t.write("subgid", "alice:231072:65536\nbob:100000:1000\n");

  CheckResult alice = engine::check_subordinate_ids("uids", sub_uid, sub_gid, "alice", 1001);
  EXPECT_TRUE(alice.ok);
  EXPECT_EQ(alice.name, "subordinate uids");
  EXPECT_EQ(alice.detail, "65536 from 231072 in " + sub_uid);
  EXPECT_EQ(alice.fix, "");

  // By name and by uid: 60000 + 6000.
  t.write("subuid", "alice:231072:65536\nbob:100000:60000\n1003:400000:6000\n");
  CheckResult bob = engine::check_subordinate_ids("uids", sub_uid, sub_gid, "bob", 1003);
  EXPECT_TRUE(bob.ok) << bob.detail;
  EXPECT_EQ(bob.detail, "66000 in 2 ranges in " + sub_uid);

  CheckResult bob_gids = engine::check_subordinate_ids("gids", sub_gid, sub_uid, "bob", 1003);
  EXPECT_FALSE(bob_gids.ok);
  EXPECT_EQ(bob_gids.name, "subordinate gids");
  EXPECT_EQ(bob_gids.detail, "only 1000 from 100000 in " + sub_gid + " for bob, 65536 needed");
  // Free in both files: past bob's uids (to 160000), below alice's (from 231072).
  EXPECT_EQ(bob_gids.fix, "sudo usermod --add-subgids 160000-225535 bob");

  CheckResult nobody = engine::check_subordinate_ids("uids", sub_uid, sub_gid, "erin", 1010);
  EXPECT_FALSE(nobody.ok);
  EXPECT_EQ(nobody.detail, "none for erin in " + sub_uid);
  EXPECT_EQ(nobody.fix, "sudo usermod --add-subuids 160000-225535 erin");

  t.write("subuid", "erin:lots:65536\n");
  CheckResult bad = engine::check_subordinate_ids("uids", sub_uid, sub_gid, "erin", 1010);
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(bad.detail, sub_uid + " line 1: bad range \"erin:lots:65536\"");
  EXPECT_NE(bad.fix.find(sub_uid), std::string::npos);
}

TEST(RootlessCheck, XdgRuntimeDirMustBeTheUsersWithMode0700) {
  TempDir t;
  const uid_t me = ::geteuid();
  CheckResult unset = engine::check_xdg_runtime_dir(std::nullopt, "alice", me);
  EXPECT_FALSE(unset.ok);
  EXPECT_EQ(unset.detail, "not set");
  EXPECT_EQ(unset.fix,
            "log in through a session (pam_systemd sets it), or sudo loginctl enable-linger alice "
            "and export XDG_RUNTIME_DIR=/run/user/" +
                std::to_string(me));

  EXPECT_FALSE(engine::check_xdg_runtime_dir("run/user", "alice", me).ok);
  CheckResult missing = engine::check_xdg_runtime_dir(t.at("gone"), "alice", me);
  EXPECT_FALSE(missing.ok);
  EXPECT_EQ(missing.detail, "lstat \"" + t.at("gone") + "\": no such file or directory");

  const std::string dir = t.at("xdg");
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(dir.c_str(), 0755), 0);
  CheckResult open = engine::check_xdg_runtime_dir(dir, "alice", me);
  EXPECT_FALSE(open.ok);
  EXPECT_EQ(open.detail, dir + " has mode 0755, not 0700");
  EXPECT_EQ(open.fix, "chmod 0700 " + dir);

  ASSERT_EQ(::chmod(dir.c_str(), 0700), 0);
  CheckResult ok = engine::check_xdg_runtime_dir(dir, "alice", me);
  EXPECT_TRUE(ok.ok) << ok.detail;
  EXPECT_EQ(ok.detail, dir + ", alice's, mode 0700");

  CheckResult other = engine::check_xdg_runtime_dir(dir, "bob", me + 1);
  EXPECT_FALSE(other.ok);
  EXPECT_EQ(other.detail, dir + " belongs to uid " + std::to_string(me) + ", not to bob");

  const std::string file = t.write("file", "x");
  EXPECT_EQ(engine::check_xdg_runtime_dir(file, "alice", me).detail, file + " is not a directory");
}

TEST(RootlessCheck, UserNamespaceFixFollowsTheSysctls) {
  TempDir t;
  t.write("user/max_user_namespaces", "15000\n");
  t.write("kernel/unprivileged_userns_clone", "0\n");
  EXPECT_EQ(engine::user_namespaces_fix(t.path).rfind(
                "sudo sysctl -w kernel.unprivileged_userns_clone=1", 0),
            0u);
  t.write("kernel/unprivileged_userns_clone", "1\n");
  t.write("user/max_user_namespaces", "0\n");
  EXPECT_EQ(
      engine::user_namespaces_fix(t.path).rfind("sudo sysctl -w user.max_user_namespaces=", 0), 0u);
  t.write("user/max_user_namespaces", "15000\n");
  t.write("kernel/apparmor_restrict_unprivileged_userns", "1\n");
  EXPECT_EQ(engine::user_namespaces_fix(t.path).rfind(
                "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0", 0),
            0u);
}

TEST(RootlessCheck, LimitsOnTheHostNetworkSayHowToLiftThem) {
  TempDir t;
  engine::CheckInputs in;
  in.proc_sys = t.path;
  in.gid = 1000;
  t.write("net/ipv4/ip_unprivileged_port_start", "1024\n");
  t.write("net/ipv4/ping_group_range", "1\t0\n");
  auto limits = engine::rootless_limits(in);
  ASSERT_EQ(limits.size(), 2u);
  EXPECT_FALSE(limits[0].ok);
  EXPECT_NE(limits[0].detail.find("below port 1024"), std::string::npos) << limits[0].detail;
  EXPECT_EQ(limits[0].fix.rfind("sudo sysctl -w net.ipv4.ip_unprivileged_port_start=0", 0), 0u);
  EXPECT_FALSE(limits[1].ok);
  EXPECT_NE(limits[1].detail.find("=1 0 leaves out gid 1000"), std::string::npos)
      << limits[1].detail;
  EXPECT_EQ(limits[1].fix.rfind("sudo sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"", 0),
            0u);

  t.write("net/ipv4/ip_unprivileged_port_start", "0\n");
  t.write("net/ipv4/ping_group_range", "0 2147483647\n");
  limits = engine::rootless_limits(in);
  EXPECT_TRUE(limits[0].ok && limits[1].ok);
  EXPECT_TRUE(limits[0].fix.empty() && limits[1].fix.empty());

  in.proc_sys = t.at("none");  // a kernel without the sysctls has no such limit
  limits = engine::rootless_limits(in);
  EXPECT_TRUE(limits[0].ok && limits[1].ok);
}

TEST(RootlessCheck, CgroupDelegationNeedsV2AndAWritableCgroupWithControllers) {
  using berth::runtime::cgroups::Mode;
  CheckResult v1 = engine::cgroup_delegation(Mode::v1, "/sys/fs/cgroup", "");
  EXPECT_FALSE(v1.ok);
  EXPECT_NE(v1.fix.find("systemd.unified_cgroup_hierarchy=1"), std::string::npos);
  EXPECT_NE(v1.fix.find("Delegate=yes"), std::string::npos);
  CheckResult hybrid = engine::cgroup_delegation(Mode::hybrid, "/sys/fs/cgroup/unified", "");
  EXPECT_FALSE(hybrid.ok);
  EXPECT_NE(hybrid.detail.find("hybrid"), std::string::npos);

  TempDir t;
  const std::string own = "/user.slice/user@1000.service/app.slice";
  t.write(own.substr(1) + "/cgroup.procs", "");
  t.write(own.substr(1) + "/cgroup.subtree_control", "");
  t.write(own.substr(1) + "/cgroup.controllers", "cpuset cpu io memory pids\n");
  const std::string text = "0::" + own + "\n";
  CheckResult ok = engine::cgroup_delegation(Mode::v2, t.path, text);
  EXPECT_TRUE(ok.ok) << ok.detail;
  EXPECT_EQ(ok.detail,
            "own cgroup " + t.path + own + " is delegated with cpuset cpu io memory pids");

  t.write(own.substr(1) + "/cgroup.controllers", "cpu io\n");
  CheckResult lacking = engine::cgroup_delegation(Mode::v2, t.path, text);
  EXPECT_FALSE(lacking.ok);
  EXPECT_EQ(lacking.detail,
            "own cgroup " + t.path + own + " lacks the controllers memory, pids (it has: cpu io)");
  EXPECT_NE(lacking.fix.find("Delegate=memory pids cpu"), std::string::npos);

  if (::geteuid() == 0) GTEST_SKIP() << "root writes any cgroup: no unwritable one to test";
  ASSERT_EQ(::chmod((t.path + own + "/cgroup.procs").c_str(), 0444), 0);
  CheckResult closed = engine::cgroup_delegation(Mode::v2, t.path, text);
  EXPECT_FALSE(closed.ok);
  EXPECT_NE(closed.detail.find("is not delegated to this user"), std::string::npos);
}

TEST(RootlessCheck, IdMapBinariesMustMapIdsForOrdinaryUsers) {
  TempDir t;
  t.write("bin/newuidmap", "#!/bin/sh\n");
  t.write("bin/newgidmap", "#!/bin/sh\n");
  ASSERT_EQ(::chmod(t.at("bin/newuidmap").c_str(), 0755), 0);
  ASSERT_EQ(::chmod(t.at("bin/newgidmap").c_str(), 0755), 0);
  CheckResult plain = engine::check_id_map_binaries(t.at("bin") + ":/usr/bin");
  EXPECT_FALSE(plain.ok);
  EXPECT_EQ(plain.detail, t.at("bin/newuidmap") + " is neither setuid root nor has cap_setuid");
  EXPECT_EQ(plain.fix, "sudo apt-get install --reinstall uidmap");

  if (::access("/usr/bin/newuidmap", X_OK) < 0) GTEST_SKIP() << "uidmap is not installed";
  CheckResult installed = engine::check_id_map_binaries("relative:");
  EXPECT_TRUE(installed.ok) << installed.detail;
  EXPECT_EQ(installed.detail,
            "/usr/bin/newuidmap and /usr/bin/newgidmap map ids for ordinary users");
}

// The probes run for real: whatever they answer, a missing one says how to fix it, and the
// overlay probe leaves nothing in its parent.
TEST(RootlessCheck, NamespaceProbesAnswerAndCleanUp) {
  std::optional<berth::probe::Identity> as;
  if (::geteuid() == 0) as = berth::probe::Identity{65534, 65534};
  CheckResult userns = engine::check_user_namespaces(as, "/proc/sys");
  EXPECT_TRUE(userns.ok || !userns.fix.empty()) << userns.detail;

  TempDir t;
  ASSERT_EQ(::chmod(t.path.c_str(), 0755), 0);  // nobody passes through to its probe dir
  CheckResult overlay = engine::check_overlay_in_user_namespace(t.path, as);
  EXPECT_TRUE(overlay.ok || !overlay.fix.empty()) << overlay.detail;
  if (userns.ok && overlay.ok) {
    EXPECT_NE(overlay.detail.find(t.path), std::string::npos);
  }
  EXPECT_EQ(entries(t.path), 0u);

  CheckResult nowhere = engine::check_overlay_in_user_namespace(t.at("gone"), as);
  EXPECT_FALSE(nowhere.ok);
  EXPECT_NE(nowhere.detail.find("cannot probe: make a temp dir in"), std::string::npos);
}

}  // namespace
