#include "runtime/exe_protection.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "base/fs.hpp"
#include "child_status.hpp"

extern char** environ;

namespace {

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
