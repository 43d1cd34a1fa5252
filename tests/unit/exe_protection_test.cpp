#include "runtime/exe_protection.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "base/fs.hpp"
#include "child_status.hpp"
#include "runtime/capabilities.hpp"

extern char** environ;

namespace {

using berth::runtime::any_may_ptrace_runtime;
using berth::runtime::exec_via_stub;
using berth::runtime::may_ptrace_runtime;
using berth::runtime::Process;

Process with_bounding(std::vector<std::string> bounding) {
  Process p;
  p.capabilities = berth::runtime::Capabilities{};
  p.capabilities->bounding = std::move(bounding);
  return p;
}

TEST(ExeProtection, OnlyCapSysPtraceWithoutAUserNamespaceReachesRuntimeProcesses) {
  EXPECT_TRUE(may_ptrace_runtime(with_bounding({"CAP_KILL", "CAP_SYS_PTRACE"}), false));
  EXPECT_FALSE(may_ptrace_runtime(with_bounding({"CAP_SYS_PTRACE"}), true));
  EXPECT_FALSE(may_ptrace_runtime(with_bounding({"CAP_KILL", "CAP_SYS_ADMIN"}), false));
  // No capabilities object: the process keeps every capability.
  EXPECT_TRUE(may_ptrace_runtime(Process{}, false));
  EXPECT_FALSE(may_ptrace_runtime(Process{}, true));
}

// A child that drops CAP_SYS_PTRACE from its bounding set, then waits for a byte on `go`.
struct ChildWithoutPtrace {
  int go[2] = {-1, -1};
  int dropped[2] = {-1, -1};
  pid_t pid = -1;
  ChildWithoutPtrace() {
    if (::pipe(go) < 0 || ::pipe(dropped) < 0) return;
    pid = ::fork();
    if (pid == 0) {
      char c = ::prctl(PR_CAPBSET_DROP, CAP_SYS_PTRACE, 0, 0, 0) == 0 ? 'y' : 'n';
      (void)!::write(dropped[1], &c, 1);
      (void)!::read(go[0], &c, 1);
      ::_exit(0);
    }
  }
  bool ready() {
    char c = 0;
    return pid > 0 && ::read(dropped[0], &c, 1) == 1 && c == 'y';
  }
  ~ChildWithoutPtrace() {
    if (pid > 0) {
      (void)!::write(go[1], "x", 1);
      ::waitpid(pid, nullptr, 0);
    }
    for (int fd : {go[0], go[1], dropped[0], dropped[1]})
      if (fd >= 0) ::close(fd);
  }
};

TEST(ExeProtection, RunningProcessesReachTheRuntimeOnlyWithCapSysPtraceInTheirBoundingSet) {
  if (!berth::runtime::have_cap_sys_ptrace())
    GTEST_SKIP() << "needs root (CAP_SYS_PTRACE, CAP_SETPCAP)";
  auto own = berth::runtime::process_capability_set(0, "CapBnd");
  ASSERT_TRUE(own.has_value());
  EXPECT_TRUE(*own >> CAP_SYS_PTRACE & 1);
  ChildWithoutPtrace child;
  ASSERT_TRUE(child.ready());
  auto bounding = berth::runtime::process_capability_set(child.pid, "CapBnd");
  ASSERT_TRUE(bounding.has_value());
  EXPECT_EQ(*bounding, *own & ~(uint64_t{1} << CAP_SYS_PTRACE));
  EXPECT_FALSE(any_may_ptrace_runtime({child.pid}));
  EXPECT_TRUE(any_may_ptrace_runtime({child.pid, ::getpid()}));
  // A process that is gone reaches nothing; no processes, nothing either.
  pid_t gone = ::fork();
  if (gone == 0) ::_exit(0);
  ::waitpid(gone, nullptr, 0);
  EXPECT_FALSE(berth::runtime::process_capability_set(gone, "CapBnd").has_value());
  EXPECT_FALSE(any_may_ptrace_runtime({gone}));
  EXPECT_FALSE(any_may_ptrace_runtime({}));
}

// The stub beside the test binary (both in build/bin), as berth-runtime finds it beside itself.
std::string stub_path() {
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return "";
  self[n] = '\0';
  return berth::fs::dirname(self) + "/berth-runtime-exec";
}

TEST(ExeProtection, TheStubExecsTheProgramWithItsArgumentsAndReportsAFailedExec) {
  const std::string stub = stub_path();
  if (::access(stub.c_str(), X_OK) != 0) GTEST_SKIP() << "no berth-runtime-exec at " << stub;
  int fd = ::open(stub.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  auto exec_in_child = [&](const std::string& program, std::vector<std::string> args) {
    return run_in_child([&] {
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::close(2);  // the stub's message is not the test's output
      (void)exec_via_stub(fd, program, argv.data(), environ);
      return 99;
    });
  };
  int status = exec_in_child(
      "/bin/sh", {"sh", "-c", "[ \"$0\" = zero ] && [ \"$1\" = one ] && exit 7", "zero", "one"});
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 7) << describe_status(status);
  status = exec_in_child("/nonexistent/program", {"program"});
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 127) << describe_status(status);
  status = exec_in_child("/etc/hostname", {"hostname"});
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 126) << describe_status(status);
  ::close(fd);
}

}  // namespace
