#include "runtime/capabilities.hpp"

#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "child_status.hpp"

namespace berth::runtime {
namespace {

constexpr uint64_t bit(int cap) {
  return uint64_t{1} << cap;
}

TEST(Capabilities, NamesRoundTrip) {
  const auto names = all_capability_names();
  ASSERT_EQ(names.size(), static_cast<size_t>(CAP_CHECKPOINT_RESTORE + 1));
  for (size_t i = 0; i < names.size(); ++i) {
    auto cap = capability_from_name(names[i]);
    ASSERT_TRUE(cap.has_value()) << names[i];
    EXPECT_EQ(*cap, static_cast<int>(i));
    EXPECT_EQ(capability_name(*cap), names[i]);
  }
  EXPECT_EQ(capability_from_name("CAP_CHOWN"), CAP_CHOWN);
  EXPECT_EQ(capability_from_name("CAP_SYS_ADMIN"), CAP_SYS_ADMIN);
  EXPECT_EQ(capability_from_name("CAP_BPF"), CAP_BPF);
  EXPECT_FALSE(capability_from_name("SYS_ADMIN").has_value());
  EXPECT_FALSE(capability_from_name("cap_sys_admin").has_value());
  EXPECT_TRUE(capability_name(64).empty());
  EXPECT_TRUE(capability_name(-1).empty());
}

TEST(Capabilities, MaskToNamesRoundTrip) {
  const uint64_t mask = bit(CAP_KILL) | bit(CAP_NET_BIND_SERVICE) | bit(CAP_AUDIT_WRITE);
  const auto names = capability_names(mask);
  EXPECT_EQ(names,
            (std::vector<std::string>{"CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"}));
  EXPECT_EQ(resolve_capability_set(names, "x").value(), mask);
}

TEST(Capabilities, KernelLastCapabilityMatchesProc) {
  std::ifstream in("/proc/sys/kernel/cap_last_cap");
  int last = -1;
  if (!(in >> last)) GTEST_SKIP() << "no /proc/sys/kernel/cap_last_cap";
  EXPECT_EQ(kernel_last_capability(), last);
}

TEST(Capabilities, OwnSetsAreWhatCapgetSays) {
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {};
  ASSERT_EQ(::syscall(SYS_capget, &header, data), 0);
  uint64_t effective = data[0].effective | uint64_t{data[1].effective} << 32;
  uint64_t permitted = data[0].permitted | uint64_t{data[1].permitted} << 32;
  EXPECT_EQ(own_capability_set("CapEff"), effective);
  EXPECT_EQ(own_capability_set("CapPrm"), permitted);
  EXPECT_FALSE(own_capability_set("NoSuchSet").has_value());
}

TEST(Capabilities, ResolvesEverySet) {
  Capabilities caps;
  caps.bounding = {"CAP_CHOWN", "CAP_KILL", "CAP_SETPCAP"};
  caps.effective = {"CAP_KILL"};
  caps.inheritable = {"CAP_CHOWN"};
  caps.permitted = {"CAP_KILL", "CAP_CHOWN"};
  caps.ambient = {"CAP_CHOWN", "CAP_CHOWN"};
  auto sets = resolve_capabilities(caps);
  ASSERT_TRUE(sets) << sets.error().what();
  EXPECT_EQ(sets->bounding, bit(CAP_CHOWN) | bit(CAP_KILL) | bit(CAP_SETPCAP));
  EXPECT_EQ(sets->effective, bit(CAP_KILL));
  EXPECT_EQ(sets->inheritable, bit(CAP_CHOWN));
  EXPECT_EQ(sets->permitted, bit(CAP_KILL) | bit(CAP_CHOWN));
  EXPECT_EQ(sets->ambient, bit(CAP_CHOWN));
}

TEST(Capabilities, UnknownNameNamesItAndItsSet) {
  Capabilities caps;
  caps.bounding = {"CAP_CHOWN", "CAP_FOO"};
  auto sets = resolve_capabilities(caps);
  ASSERT_FALSE(sets);
  EXPECT_EQ(sets.error().what(), "process.capabilities.bounding: unknown capability \"CAP_FOO\"");

  Capabilities ambient;
  ambient.ambient = {"NET_RAW"};
  sets = resolve_capabilities(ambient);
  ASSERT_FALSE(sets);
  EXPECT_EQ(sets.error().what(), "process.capabilities.ambient: unknown capability \"NET_RAW\"");
}

TEST(Capabilities, DockerDefaultsAreKnown) {
  const auto names = docker_default_capabilities();
  ASSERT_EQ(names.size(), 14u);
  auto mask = resolve_capability_set(names, "docker");
  ASSERT_TRUE(mask) << mask.error().what();
  EXPECT_EQ(__builtin_popcountll(*mask), 14);
  EXPECT_TRUE(*mask & bit(CAP_NET_RAW));
  EXPECT_TRUE(*mask & bit(CAP_AUDIT_WRITE));
  EXPECT_FALSE(*mask & bit(CAP_SYS_ADMIN));
}

std::map<std::string, uint64_t> read_cap_status() {
  std::map<std::string, uint64_t> out;
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Cap", 0) != 0) continue;
    auto colon = line.find(':');
    out[line.substr(0, colon)] = std::stoull(line.substr(colon + 1), nullptr, 16);
  }
  return out;
}

// In a child that owns a fresh user namespace (and so every capability within it, without being
// root), applies the sets and reads back what the kernel reports.
TEST(Capabilities, AppliesAllFiveSetsInUserNamespace) {
  CapSets sets;
  sets.bounding = bit(CAP_CHOWN) | bit(CAP_KILL) | bit(CAP_NET_BIND_SERVICE) | bit(CAP_SETPCAP);
  sets.permitted = bit(CAP_CHOWN) | bit(CAP_KILL) | bit(CAP_NET_BIND_SERVICE);
  sets.effective = bit(CAP_KILL);
  sets.inheritable = bit(CAP_NET_BIND_SERVICE) | bit(CAP_CHOWN);
  // CAP_SETUID is in neither permitted nor inheritable: the kernel would refuse it, so it is
  // skipped.
  sets.ambient = bit(CAP_NET_BIND_SERVICE) | bit(CAP_SETUID);

  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const int status = run_in_child([&] {
    ::close(fds[0]);
    if (::unshare(CLONE_NEWUSER) < 0) return 77;
    std::string report;
    if (auto st = drop_bounding_set(sets); !st) report = st.error().what();
    if (auto st = apply_capabilities(sets); !st) report = st.error().what();
    if (report.empty()) {
      for (const auto& [key, value] : read_cap_status()) {
        report += key + "=" + std::to_string(value) + "\n";
      }
    }
    (void)!::write(fds[1], report.data(), report.size());
    return 0;
  });
  ::close(fds[1]);
  std::string report;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) report.append(buf, n);
  ::close(fds[0]);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 77) GTEST_SKIP() << "no user namespaces";
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << describe_status(status);

  std::map<std::string, uint64_t> got;
  std::istringstream in(report);
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    ASSERT_NE(eq, std::string::npos) << report;
    got[line.substr(0, eq)] = std::stoull(line.substr(eq + 1));
  }
  EXPECT_EQ(got["CapBnd"], sets.bounding) << report;
  EXPECT_EQ(got["CapPrm"], sets.permitted) << report;
  EXPECT_EQ(got["CapEff"], sets.effective) << report;
  EXPECT_EQ(got["CapInh"], sets.inheritable) << report;
  EXPECT_EQ(got["CapAmb"], bit(CAP_NET_BIND_SERVICE)) << report;
}

TEST(Capabilities, CapsetErrorNamesTheOperation) {
  CapSets sets;
  sets.effective = bit(CAP_KILL);  // effective must be a subset of permitted
  const int status = run_in_child([&] {
    auto st = apply_capabilities(sets);
    if (st) return 1;
    return st.error().what() == std::string("capset: operation not permitted") ? 0 : 2;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << describe_status(status);
}

}  // namespace
}  // namespace berth::runtime
