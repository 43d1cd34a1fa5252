#include "runtime/seccomp.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include "child_status.hpp"
#include "runtime/capabilities.hpp"

namespace berth::runtime {
namespace {

// A path whose parent does not exist: mkdir on it fails with ENOENT unless the filter intervenes,
// so the tests change nothing on disk.
constexpr const char* missing_path = "/nonexistent-berth-seccomp-test/dir";

SeccompSyscall rule(std::vector<std::string> names, std::string action,
                    std::optional<unsigned> errno_ret = std::nullopt,
                    std::vector<SeccompArg> args = {}) {
  SeccompSyscall r;
  r.names = std::move(names);
  r.action = std::move(action);
  r.errno_ret = errno_ret;
  r.args = std::move(args);
  return r;
}

Seccomp allow_by_default(std::vector<SeccompSyscall> rules) {
  Seccomp s;
  s.default_action = "SCMP_ACT_ALLOW";
  s.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  s.syscalls = std::move(rules);
  return s;
}

// errno of a raw syscall's result, 0 when it succeeded.
int error_of(long result) {
  return result == -1 ? errno : 0;
}

int mkdir_errno(unsigned mode) {
  return error_of(::syscall(SYS_mkdir, missing_path, mode));
}

// Loads the program in a forked child with no_new_privs, then runs check there; returns the
// child's wait status.
template <typename F>
int run_filtered(const SeccompProgram& program, F&& check) {
  return run_in_child([&]() -> int {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return 100;
    auto fd = load_seccomp(program);
    if (!fd) return 101;
    return check();
  });
}

SeccompProgram compile_ok(const Seccomp& s) {
  auto program = compile_seccomp(s);
  EXPECT_TRUE(program) << program.error().what();
  return program ? std::move(*program) : SeccompProgram{};
}

std::string compile_error(const Seccomp& s) {
  auto program = compile_seccomp(s);
  if (program) return "(compiled)";
  return program.error().what();
}

bool exited_ok(int status) {
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

TEST(Seccomp, ErrnoRuleWithArgumentCondition) {
  auto program = compile_ok(
      allow_by_default({rule({"mkdir"}, "SCMP_ACT_ERRNO", EXDEV, {{1, 0700, 0, "SCMP_CMP_EQ"}})}));
  ASSERT_FALSE(program.filter.empty());
  EXPECT_FALSE(program.needs_listener);
  const int status = run_filtered(program, [] {
    if (mkdir_errno(0700) != EXDEV) return 1;
    if (mkdir_errno(0755) != ENOENT) return 2;
    if (::getpid() <= 0) return 3;
    return 0;
  });
  EXPECT_TRUE(exited_ok(status)) << describe_status(status);
}

TEST(Seccomp, ErrnoDefaultsToEperm) {
  auto program = compile_ok(allow_by_default({rule({"getcwd"}, "SCMP_ACT_ERRNO")}));
  const int status = run_filtered(program, [] {
    char buf[256];
    if (error_of(::syscall(SYS_getcwd, buf, sizeof buf)) != EPERM) return 1;
    if (mkdir_errno(0700) != ENOENT) return 2;
    return 0;
  });
  EXPECT_TRUE(exited_ok(status)) << describe_status(status);
}

TEST(Seccomp, DefaultErrnoRetAndAllowList) {
  Seccomp s;
  s.default_action = "SCMP_ACT_ERRNO";
  s.default_errno_ret = ENOSYS;
  s.syscalls = {rule({"exit_group", "exit", "getpid", "rt_sigreturn"}, "SCMP_ACT_ALLOW"),
                rule({"getcwd"}, "SCMP_ACT_ERRNO", ENOTDIR)};
  auto program = compile_ok(s);
  const int status = run_filtered(program, [] {
    if (error_of(::syscall(SYS_getppid)) != ENOSYS) return 1;
    if (mkdir_errno(0700) != ENOSYS) return 2;
    char buf[256];
    if (error_of(::syscall(SYS_getcwd, buf, sizeof buf)) != ENOTDIR) return 3;
    if (error_of(::syscall(SYS_getpid)) != 0) return 4;
    return 0;
  });
  EXPECT_TRUE(exited_ok(status)) << describe_status(status);
}

TEST(Seccomp, EveryOperator) {
  struct Case {
    const char* op;
    uint64_t value, value_two;
    unsigned matching, other;
  };
  const Case cases[] = {
      {"SCMP_CMP_NE", 0700, 0, 0755, 0700},
      {"SCMP_CMP_LT", 0700, 0, 0600, 0700},
      {"SCMP_CMP_LE", 0700, 0, 0700, 0701},
      {"SCMP_CMP_EQ", 0700, 0, 0700, 0600},
      {"SCMP_CMP_GE", 0700, 0, 0700, 0677},
      {"SCMP_CMP_GT", 0700, 0, 0701, 0700},
      // value is the mask, valueTwo the datum: the sticky bit set.
      {"SCMP_CMP_MASKED_EQ", 01000, 01000, 01755, 0755},
  };
  for (const Case& c : cases) {
    auto program = compile_ok(allow_by_default(
        {rule({"mkdir"}, "SCMP_ACT_ERRNO", EXDEV, {{1, c.value, c.value_two, c.op}})}));
    const int status = run_filtered(program, [&] {
      if (mkdir_errno(c.matching) != EXDEV) return 1;
      if (mkdir_errno(c.other) != ENOENT) return 2;
      return 0;
    });
    EXPECT_TRUE(exited_ok(status)) << c.op << ": " << describe_status(status);
  }
}

TEST(Seccomp, ArgumentsOnDifferentIndexesAreAnded) {
  auto program = compile_ok(
      allow_by_default({rule({"mkdirat"}, "SCMP_ACT_ERRNO", EXDEV,
                             {{0, 12345, 0, "SCMP_CMP_EQ"}, {2, 0700, 0, "SCMP_CMP_EQ"}})}));
  const int status = run_filtered(program, [] {
    auto mkdirat = [](long dirfd, unsigned mode) {
      return error_of(::syscall(SYS_mkdirat, dirfd, "berth-seccomp-test", mode));
    };
    if (mkdirat(12345, 0700) != EXDEV) return 1;
    if (mkdirat(12345, 0755) != EBADF) return 2;
    if (mkdirat(12346, 0700) != EBADF) return 3;
    return 0;
  });
  EXPECT_TRUE(exited_ok(status)) << describe_status(status);
}

// libseccomp cannot compare one argument twice in a rule; like runc, each comparison becomes a
// rule of its own, so they match as alternatives.
TEST(Seccomp, ArgumentsOnTheSameIndexBecomeSeparateRules) {
  auto program = compile_ok(
      allow_by_default({rule({"mkdir"}, "SCMP_ACT_ERRNO", EXDEV,
                             {{1, 0700, 0, "SCMP_CMP_GE"}, {1, 0600, 0, "SCMP_CMP_LE"}})}));
  const int status = run_filtered(program, [] {
    if (mkdir_errno(0750) != EXDEV) return 1;
    if (mkdir_errno(0600) != EXDEV) return 2;
    if (mkdir_errno(0650) != ENOENT) return 3;
    return 0;
  });
  EXPECT_TRUE(exited_ok(status)) << describe_status(status);
}

TEST(Seccomp, KillingActionsRaiseSigsys) {
  for (const char* action :
       {"SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP"}) {
    auto program = compile_ok(allow_by_default({rule({"getppid"}, action)}));
    const int status = run_filtered(program, [] {
      ::syscall(SYS_getppid);
      return 0;
    });
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
        << action << ": " << describe_status(status);
  }
}

TEST(Seccomp, LogAllowsAndTraceWithoutTracerFailsWithEnosys) {
  auto program = compile_ok(
      allow_by_default({rule({"getppid"}, "SCMP_ACT_LOG"), rule({"getcwd"}, "SCMP_ACT_TRACE", 7)}));
  const int status = run_filtered(program, [] {
    if (::syscall(SYS_getppid) <= 0) return 1;
    char buf[256];
    if (error_of(::syscall(SYS_getcwd, buf, sizeof buf)) != ENOSYS) return 2;
    return 0;
  });
  EXPECT_TRUE(exited_ok(status)) << describe_status(status);
}

TEST(Seccomp, NotifyHandsOutAListener) {
  Seccomp s = allow_by_default({rule({"getppid"}, "SCMP_ACT_NOTIFY")});
  s.listener_path = "/run/berth-test-agent.sock";
  s.flags = {"SECCOMP_FILTER_FLAG_TSYNC"};
  auto program = compile_ok(s);
  ASSERT_TRUE(program.needs_listener);
  EXPECT_TRUE(program.flags & SECCOMP_FILTER_FLAG_NEW_LISTENER);
  EXPECT_TRUE(program.flags & SECCOMP_FILTER_FLAG_TSYNC_ESRCH);

  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(sv[0]);
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) ::_exit(100);
    auto fd = load_seccomp(program);
    if (!fd || *fd < 0) ::_exit(101);
    char byte = 0;
    iovec iov{&byte, 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(cmsg), &*fd, sizeof(int));
    if (::sendmsg(sv[1], &msg, 0) != 1) ::_exit(102);
    ::_exit(error_of(::syscall(SYS_getppid)) == EXDEV ? 0 : 103);
  }
  ::close(sv[1]);

  char byte = 0;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  const ssize_t got = ::recvmsg(sv[0], &msg, MSG_CMSG_CLOEXEC);
  ::close(sv[0]);
  int listener = -1;
  if (got == 1 && CMSG_FIRSTHDR(&msg)) std::memcpy(&listener, CMSG_DATA(CMSG_FIRSTHDR(&msg)), 4);
  if (listener >= 0) {
    seccomp_notif req{};
    if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) == 0) {
      EXPECT_EQ(req.data.nr, SYS_getppid);
      EXPECT_EQ(static_cast<pid_t>(req.pid), pid);
      seccomp_notif_resp resp{};
      resp.id = req.id;
      resp.error = -EXDEV;
      EXPECT_EQ(::ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp), 0) << std::strerror(errno);
    } else {
      ADD_FAILURE() << "SECCOMP_IOCTL_NOTIF_RECV: " << std::strerror(errno);
    }
    ::close(listener);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_GE(listener, 0) << "no listener received";
  EXPECT_TRUE(exited_ok(status)) << describe_status(status);
}

TEST(Seccomp, FlagsLoad) {
  Seccomp s = allow_by_default({rule({"getcwd"}, "SCMP_ACT_ERRNO", EXDEV)});
  s.flags = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
             "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
  auto program = compile_ok(s);
  // WAIT_KILLABLE_RECV only applies to a listener, and there is none.
  EXPECT_EQ(program.flags,
            SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW);
  const int status = run_filtered(program, [] {
    char buf[256];
    return error_of(::syscall(SYS_getcwd, buf, sizeof buf)) == EXDEV ? 0 : 1;
  });
  EXPECT_TRUE(exited_ok(status)) << describe_status(status);
}

TEST(Seccomp, UnknownSyscallsAndDefaultActionRulesAreSkipped) {
  auto plain = compile_ok(allow_by_default({rule({"getcwd"}, "SCMP_ACT_ERRNO")}));
  auto with_unknown = compile_ok(allow_by_default(
      {rule({"getcwd", "no_such_syscall_berth"}, "SCMP_ACT_ERRNO"),
       rule({"mkdir"}, "SCMP_ACT_ALLOW"), rule({"no_such_syscall_berth"}, "SCMP_ACT_KILL")}));
  ASSERT_EQ(plain.filter.size(), with_unknown.filter.size());
  EXPECT_EQ(0, std::memcmp(plain.filter.data(), with_unknown.filter.data(),
                           plain.filter.size() * sizeof(sock_filter)));
}

TEST(Seccomp, SyscallOfAnotherArchitecture) {
  // socketcall exists on x86 but not on x86_64: the rule lands in the x86 part of the filter.
  auto program =
      compile_ok(allow_by_default({rule({"socketcall", "mkdir"}, "SCMP_ACT_ERRNO", EXDEV)}));
  const int status = run_filtered(program, [] { return mkdir_errno(0700) == EXDEV ? 0 : 1; });
  EXPECT_TRUE(exited_ok(status)) << describe_status(status);
}

// A profile the size of Docker's: every syscall of this architecture allowed but one.
TEST(Seccomp, LargeProfile) {
  Seccomp s;
  s.default_action = "SCMP_ACT_ERRNO";
  s.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  SeccompSyscall allow = rule({}, "SCMP_ACT_ALLOW");
  for (int nr = 0; nr < 1024; ++nr) {
    char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
    if (!name) continue;
    if (std::strcmp(name, "getppid") != 0) allow.names.emplace_back(name);
    std::free(name);
  }
  ASSERT_GT(allow.names.size(), 300u);
  s.syscalls = {allow,
                rule({"personality"}, "SCMP_ACT_ALLOW", std::nullopt, {{0, 0, 0, "SCMP_CMP_EQ"}})};
  const auto start = std::chrono::steady_clock::now();
  auto program = compile_ok(s);
  const auto took = std::chrono::steady_clock::now() - start;
  RecordProperty(
      "compile_us",
      std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(took).count()));
  EXPECT_LT(program.filter.size(), static_cast<size_t>(BPF_MAXINSNS));
  const int status = run_filtered(program, [] {
    if (error_of(::syscall(SYS_getppid)) != EPERM) return 1;
    if (mkdir_errno(0700) != ENOENT) return 2;
    return 0;
  });
  EXPECT_TRUE(exited_ok(status)) << describe_status(status);
}

// A profile cannot know syscalls younger than itself: those fail with ENOSYS, which libc takes as
// "fall back", rather than with the default action.
TEST(Seccomp, SyscallsNewerThanTheProfileFailWithEnosys) {
  Seccomp s;
  s.default_action = "SCMP_ACT_ERRNO";
  s.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  s.syscalls = {
      rule({"exit_group", "exit", "getpid", "rt_sigreturn", "mkdirat"}, "SCMP_ACT_ALLOW")};
  auto program = compile_ok(s);
  const int status = run_filtered(program, [] {
    if (error_of(::syscall(SYS_getppid)) != EPERM) return 1;  // older than mkdirat (258)
    if (error_of(::syscall(SYS_process_mrelease, -1, 0)) != ENOSYS) return 2;
    if (error_of(::syscall(1000)) != ENOSYS) return 3;
    if (error_of(::syscall(SYS_getpid)) != 0) return 4;
    if (error_of(::syscall(SYS_mkdirat, AT_FDCWD, missing_path, 0700)) != ENOENT) return 5;
    return 0;
  });
  EXPECT_TRUE(exited_ok(status)) << describe_status(status);
}

TEST(Seccomp, EnosysAlsoSparesKillingDefaults) {
  Seccomp s;
  s.default_action = "SCMP_ACT_KILL_PROCESS";
  s.syscalls = {
      rule({"exit_group", "exit", "getpid", "rt_sigreturn", "mkdirat"}, "SCMP_ACT_ALLOW")};
  auto program = compile_ok(s);
  int status = run_filtered(program, [] { return error_of(::syscall(1000)) == ENOSYS ? 0 : 1; });
  EXPECT_TRUE(exited_ok(status)) << describe_status(status);
  status = run_filtered(program, [] {
    ::syscall(SYS_getppid);
    return 0;
  });
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) << describe_status(status);
}

TEST(Seccomp, NoEnosysPrefixWhenTheDefaultAllowsOrIsEnosys) {
  Seccomp allow = allow_by_default({rule({"getcwd"}, "SCMP_ACT_ERRNO")});
  Seccomp log = allow;
  log.default_action = "SCMP_ACT_LOG";
  Seccomp enosys = allow;
  enosys.default_action = "SCMP_ACT_ERRNO";
  enosys.default_errno_ret = ENOSYS;
  enosys.syscalls = {rule({"getcwd", "exit_group"}, "SCMP_ACT_ALLOW")};
  Seccomp eperm = enosys;
  eperm.default_errno_ret = EPERM;
  // libseccomp's programs begin by loading the architecture and comparing it with the first
  // one; the prefix begins the same way, so tell them apart by size against a known baseline.
  const size_t eperm_size = compile_ok(eperm).filter.size();
  const size_t enosys_size = compile_ok(enosys).filter.size();
  EXPECT_GT(eperm_size, enosys_size);
  const int status = run_filtered(
      compile_ok(enosys), [] { return error_of(::syscall(SYS_getppid)) == ENOSYS ? 0 : 1; });
  EXPECT_TRUE(exited_ok(status)) << describe_status(status);
  (void)compile_ok(log);
}

#if defined(__x86_64__)
// A 32-bit syscall from this 64-bit process: the kernel reports it as AUDIT_ARCH_I386 with i386
// numbers. Returns the raw result (-errno on failure).
long int80(long nr) {
  long ret;
  asm volatile("int $0x80" : "=a"(ret) : "a"(nr) : "memory", "r8", "r9", "r10", "r11");
  return ret;
}

TEST(Seccomp, I386SyscallsGoThroughTheirOwnPart) {
  constexpr long i386_getpid = 20, i386_getppid = 64, i386_mkdirat = 296;
  if (int80(i386_getpid) != ::getpid()) GTEST_SKIP() << "no IA-32 emulation";
  Seccomp s;
  s.default_action = "SCMP_ACT_ERRNO";
  s.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"};
  s.syscalls = {rule({"exit_group", "getpid", "mkdirat"}, "SCMP_ACT_ALLOW"),
                rule({"getppid"}, "SCMP_ACT_ERRNO", EXDEV)};
  auto program = compile_ok(s);
  int status = run_filtered(program, [] {
    if (int80(i386_getpid) != ::getpid()) return 1;
    if (int80(i386_getppid) != -EXDEV) return 2;
    if (int80(i386_mkdirat - 1) != -EPERM) return 3;
    if (int80(i386_mkdirat + 1) != -ENOSYS) return 4;
    return 0;
  });
  EXPECT_TRUE(exited_ok(status)) << describe_status(status);

  s.architectures = {"SCMP_ARCH_X86_64"};
  program = compile_ok(s);
  status = run_filtered(program, [] {
    int80(i386_getpid);
    return 0;
  });
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
      << "an architecture missing from the filter gets the bad-architecture action: "
      << describe_status(status);
}
#endif

TEST(Seccomp, X32NumbersStayWithTheBadArchitectureActionUnlessListed) {
  Seccomp s;
  s.default_action = "SCMP_ACT_ERRNO";
  s.architectures = {"SCMP_ARCH_X86_64"};
  s.syscalls = {rule({"exit_group", "getpid"}, "SCMP_ACT_ALLOW")};
  auto program = compile_ok(s);
  int status = run_filtered(program, [] {
    ::syscall(0x40000000 | 2000);
    return 0;
  });
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) << describe_status(status);

  s.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X32"};
  program = compile_ok(s);
  status = run_filtered(program,
                        [] { return error_of(::syscall(0x40000000 | 2000)) == ENOSYS ? 0 : 1; });
  EXPECT_TRUE(exited_ok(status)) << describe_status(status);
}

TEST(Seccomp, ErrorsNameTheField) {
  Seccomp s = allow_by_default({rule({"getcwd"}, "SCMP_ACT_ERRNO"), rule({"mkdir"}, "X")});
  EXPECT_EQ(compile_error(s), "linux.seccomp.syscalls[1].action: unknown action \"X\"");

  s = allow_by_default({});
  s.default_action = "SCMP_ACT_FOO";
  EXPECT_EQ(compile_error(s), "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_FOO\"");

  s = allow_by_default({});
  s.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_Z80"};
  EXPECT_EQ(compile_error(s),
            "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_Z80\"");

  s = allow_by_default({rule({"mkdir"}, "SCMP_ACT_ERRNO", std::nullopt,
                             {{1, 0, 0, "SCMP_CMP_EQ"}, {0, 0, 0, "SCMP_CMP_XX"}})});
  EXPECT_EQ(compile_error(s),
            "linux.seccomp.syscalls[0].args[1].op: unknown operator \"SCMP_CMP_XX\"");

  s = allow_by_default(
      {rule({"mkdir"}, "SCMP_ACT_ERRNO", std::nullopt, {{6, 0, 0, "SCMP_CMP_EQ"}})});
  EXPECT_EQ(compile_error(s), "linux.seccomp.syscalls[0].args[0].index: 6 is out of range (0-5)");

  s = allow_by_default({});
  s.flags = {"SECCOMP_FILTER_FLAG_FOO"};
  EXPECT_EQ(compile_error(s), "linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_FOO\"");

  s = allow_by_default({rule({"mkdir"}, "SCMP_ACT_KILL", EPERM)});
  EXPECT_EQ(compile_error(s),
            "linux.seccomp.syscalls[0].errnoRet: not allowed with action \"SCMP_ACT_KILL\"");

  s = allow_by_default({});
  s.default_errno_ret = EPERM;
  EXPECT_EQ(compile_error(s),
            "linux.seccomp.defaultErrnoRet: not allowed with action \"SCMP_ACT_ALLOW\"");

  s = allow_by_default({});
  s.default_action = "SCMP_ACT_NOTIFY";
  EXPECT_EQ(compile_error(s),
            "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");

  s = allow_by_default({rule({"mkdir"}, "SCMP_ACT_NOTIFY")});
  EXPECT_EQ(compile_error(s), "linux.seccomp.listenerPath: required by SCMP_ACT_NOTIFY");

  s = allow_by_default({rule({}, "SCMP_ACT_ERRNO")});
  EXPECT_EQ(compile_error(s), "linux.seccomp.syscalls[0].names: must not be empty");
}

// Without no_new_privs the kernel wants CAP_SYS_ADMIN: the reason the caller loads the filter
// before dropping capabilities in that case.
TEST(Seccomp, LoadWithoutNoNewPrivsNeedsCapSysAdmin) {
  auto program = compile_ok(allow_by_default({rule({"getcwd"}, "SCMP_ACT_ERRNO")}));
  const int status = run_in_child([&] {
    if (!apply_capabilities(CapSets{})) return 1;  // drop every capability, keep the uid
    auto fd = load_seccomp(program);
    if (fd) return 2;
    return fd.error().what() ==
                   std::string("seccomp SECCOMP_SET_MODE_FILTER (flags 0): permission denied")
               ? 0
               : 3;
  });
  EXPECT_TRUE(exited_ok(status)) << describe_status(status);
}

TEST(Seccomp, LoadRefusesAnEmptyProgram) {
  auto fd = load_seccomp(SeccompProgram{});
  ASSERT_FALSE(fd);
  EXPECT_EQ(fd.error().what(), "load seccomp filter: empty program");
}

TEST(Seccomp, FeatureLists) {
  auto has = [](const std::vector<std::string>& list, const char* name) {
    return std::find(list.begin(), list.end(), name) != list.end();
  };
  const auto actions = seccomp_actions();
  EXPECT_EQ(actions.size(), 9u);
  for (const char* a :
       {"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
        "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY"}) {
    EXPECT_TRUE(has(actions, a)) << a;
  }
  EXPECT_EQ(seccomp_operators().size(), 7u);
  EXPECT_TRUE(has(seccomp_operators(), "SCMP_CMP_MASKED_EQ"));
  for (const char* arch :
       {"SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64",
        "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390X", "SCMP_ARCH_RISCV64"}) {
    EXPECT_TRUE(has(seccomp_archs(), arch)) << arch;
  }
  // Every listed architecture compiles, except those of the other byte order, which cannot share
  // a filter with this machine's.
  for (const auto& arch : seccomp_archs()) {
    Seccomp s = allow_by_default({rule({"mkdir"}, "SCMP_ACT_ERRNO")});
    s.architectures = {arch};
    auto program = compile_seccomp(s);
    if (!program) {
      EXPECT_EQ(program.error().what(),
                "linux.seccomp.architectures[0]: \"" + arch +
                    "\" has another byte order than the native architecture");
    }
    const std::vector<std::string> little_endian = {
        "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64", "SCMP_ARCH_X32",      "SCMP_ARCH_ARM",
        "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32",
        "SCMP_ARCH_PPC64LE", "SCMP_ARCH_RISCV64"};
    if (!has(little_endian, arch.c_str())) continue;
    EXPECT_TRUE(program) << arch << ": " << program.error().what();
  }
  for (const char* flag :
       {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"}) {
    EXPECT_TRUE(has(seccomp_flags(), flag)) << flag;
    EXPECT_TRUE(has(seccomp_supported_flags(), flag)) << flag;
  }
}

}  // namespace
}  // namespace berth::runtime
