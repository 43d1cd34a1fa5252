#include "engine/seccomp_default_profile.hpp"

#include <errno.h>
#include <sched.h>
#include <sys/socket.h>

#include <initializer_list>

namespace berth::engine {

namespace {

using Names = std::initializer_list<const char*>;

// Syscalls every container may make, grouped by what they touch.
constexpr Names kFiles = {
    "access",
    "chdir",
    "chmod",
    "chown",
    "chown32",
    "close",
    "close_range",
    "copy_file_range",
    "creat",
    "dup",
    "dup2",
    "dup3",
    "faccessat",
    "faccessat2",
    "fadvise64",
    "fadvise64_64",
    "fallocate",
    "fchdir",
    "fchmod",
    "fchmodat",
    "fchmodat2",
    "fchown",
    "fchown32",
    "fchownat",
    "fcntl",
    "fcntl64",
    "fdatasync",
    "flock",
    "fstat",
    "fstat64",
    "fstatat64",
    "fstatfs",
    "fstatfs64",
    "fsync",
    "ftruncate",
    "ftruncate64",
    "futimesat",
    "getcwd",
    "getdents",
    "getdents64",
    "lchown",
    "lchown32",
    "link",
    "linkat",
    "_llseek",
    "lseek",
    "lstat",
    "lstat64",
    "mkdir",
    "mkdirat",
    "mknod",
    "mknodat",
    "name_to_handle_at",
    "newfstatat",
    "open",
    "openat",
    "openat2",
    "pread64",
    "preadv",
    "preadv2",
    "pwrite64",
    "pwritev",
    "pwritev2",
    "read",
    "readahead",
    "readlink",
    "readlinkat",
    "readv",
    "rename",
    "renameat",
    "renameat2",
    "rmdir",
    "sendfile",
    "sendfile64",
    "splice",
    "stat",
    "stat64",
    "statfs",
    "statfs64",
    "statx",
    "symlink",
    "symlinkat",
    "sync",
    "sync_file_range",
    "syncfs",
    "tee",
    "truncate",
    "truncate64",
    "umask",
    "unlink",
    "unlinkat",
    "utime",
    "utimensat",
    "utimensat_time64",
    "utimes",
    "vmsplice",
    "write",
    "writev",
    "ioctl",
    "cachestat",
    "listmount",
    "statmount",
};

constexpr Names kExtendedAttributes = {
    "fgetxattr",   "flistxattr",    "fremovexattr", "fsetxattr",  "getxattr",     "getxattrat",
    "lgetxattr",   "listxattr",     "listxattrat",  "llistxattr", "lremovexattr", "lsetxattr",
    "removexattr", "removexattrat", "setxattr",     "setxattrat",
};

constexpr Names kEventsAndPolling = {
    "epoll_create",
    "epoll_create1",
    "epoll_ctl",
    "epoll_ctl_old",
    "epoll_pwait",
    "epoll_pwait2",
    "epoll_wait",
    "epoll_wait_old",
    "eventfd",
    "eventfd2",
    "fanotify_mark",
    "inotify_add_watch",
    "inotify_init",
    "inotify_init1",
    "inotify_rm_watch",
    "_newselect",
    "poll",
    "ppoll",
    "ppoll_time64",
    "pselect6",
    "pselect6_time64",
    "select",
    "signalfd",
    "signalfd4",
    "timerfd_create",
    "timerfd_gettime",
    "timerfd_gettime64",
    "timerfd_settime",
    "timerfd_settime64",
    "pipe",
    "pipe2",
};

constexpr Names kAsyncIo = {
    "io_cancel", "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64",
    "io_setup",  "io_submit",  "ioprio_get",   "ioprio_set",
};

constexpr Names kMemory = {
    "brk",
    "madvise",
    "map_shadow_stack",
    "membarrier",
    "memfd_create",
    "memfd_secret",
    "mincore",
    "mlock",
    "mlock2",
    "mlockall",
    "mmap",
    "mmap2",
    "mprotect",
    "mremap",
    "mseal",
    "msync",
    "munlock",
    "munlockall",
    "munmap",
    "pkey_alloc",
    "pkey_free",
    "pkey_mprotect",
    "remap_file_pages",
};

constexpr Names kProcesses = {
    "capget",
    "capset",
    "execve",
    "execveat",
    "exit",
    "exit_group",
    "fork",
    "vfork",
    "getcpu",
    "getpgid",
    "getpgrp",
    "getpid",
    "getppid",
    "getpriority",
    "getrlimit",
    "getrusage",
    "getsid",
    "gettid",
    "landlock_add_rule",
    "landlock_create_ruleset",
    "landlock_restrict_self",
    "pidfd_open",
    "pidfd_send_signal",
    "prctl",
    "prlimit64",
    "process_mrelease",
    "restart_syscall",
    "rseq",
    "seccomp",
    "setpgid",
    "setpriority",
    "setrlimit",
    "setsid",
    "set_robust_list",
    "get_robust_list",
    "set_thread_area",
    "get_thread_area",
    "set_tid_address",
    "ugetrlimit",
    "uname",
    "wait4",
    "waitid",
    "waitpid",
    "sysinfo",
    "times",
    "uretprobe",
    "riscv_hwprobe",
};

constexpr Names kScheduling = {
    "sched_getaffinity",
    "sched_getattr",
    "sched_getparam",
    "sched_get_priority_max",
    "sched_get_priority_min",
    "sched_getscheduler",
    "sched_rr_get_interval",
    "sched_rr_get_interval_time64",
    "sched_setaffinity",
    "sched_setattr",
    "sched_setparam",
    "sched_setscheduler",
    "sched_yield",
};

constexpr Names kIdentity = {
    "getegid",   "getegid32",   "geteuid",   "geteuid32",   "getgid",    "getgid32",
    "getgroups", "getgroups32", "getresgid", "getresgid32", "getresuid", "getresuid32",
    "getuid",    "getuid32",    "setfsgid",  "setfsgid32",  "setfsuid",  "setfsuid32",
    "setgid",    "setgid32",    "setgroups", "setgroups32", "setregid",  "setregid32",
    "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid",  "setreuid32",
    "setuid",    "setuid32",
};

constexpr Names kSignals = {
    "kill",
    "tkill",
    "tgkill",
    "pause",
    "rt_sigaction",
    "rt_sigpending",
    "rt_sigprocmask",
    "rt_sigqueueinfo",
    "rt_sigreturn",
    "rt_sigsuspend",
    "rt_sigtimedwait",
    "rt_sigtimedwait_time64",
    "rt_tgsigqueueinfo",
    "sigaltstack",
    "sigprocmask",
    "sigreturn",
};

constexpr Names kTime = {
    "adjtimex",
    "alarm",
    "clock_adjtime",
    "clock_adjtime64",
    "clock_getres",
    "clock_getres_time64",
    "clock_gettime",
    "clock_gettime64",
    "clock_nanosleep",
    "clock_nanosleep_time64",
    "getitimer",
    "gettimeofday",
    "nanosleep",
    "setitimer",
    "time",
    "timer_create",
    "timer_delete",
    "timer_getoverrun",
    "timer_gettime",
    "timer_gettime64",
    "timer_settime",
    "timer_settime64",
};

constexpr Names kFutexes = {
    "futex", "futex_requeue", "futex_time64", "futex_wait", "futex_waitv", "futex_wake",
};

constexpr Names kSysvAndPosixIpc = {
    "ipc",
    "msgctl",
    "msgget",
    "msgrcv",
    "msgsnd",
    "semctl",
    "semget",
    "semop",
    "semtimedop",
    "semtimedop_time64",
    "shmat",
    "shmctl",
    "shmdt",
    "shmget",
    "mq_getsetattr",
    "mq_notify",
    "mq_open",
    "mq_timedreceive",
    "mq_timedreceive_time64",
    "mq_timedsend",
    "mq_timedsend_time64",
    "mq_unlink",
};

constexpr Names kNetwork = {
    "accept",     "accept4",    "bind",       "connect",   "getpeername", "getsockname",
    "getsockopt", "listen",     "recv",       "recvfrom",  "recvmmsg",    "recvmmsg_time64",
    "recvmsg",    "send",       "sendmmsg",   "sendmsg",   "sendto",      "setsockopt",
    "shutdown",   "socketcall", "socketpair", "getrandom",
};

// Allowed only where the container holds the capability.
struct CapabilityGroup {
  const char* capability;
  Names names;
};

const CapabilityGroup kCapabilityGroups[] = {
    {"CAP_DAC_READ_SEARCH", {"open_by_handle_at"}},
    {"CAP_SYS_ADMIN",
     {"bpf",
      "clone",
      "clone3",
      "fanotify_init",
      "fsconfig",
      "fsmount",
      "fsopen",
      "fspick",
      "lookup_dcookie",
      "lsm_get_self_attr",
      "lsm_list_modules",
      "lsm_set_self_attr",
      "mount",
      "mount_setattr",
      "move_mount",
      "open_tree",
      "perf_event_open",
      "quotactl",
      "quotactl_fd",
      "setdomainname",
      "sethostname",
      "setns",
      "syslog",
      "umount",
      "umount2",
      "unshare"}},
    {"CAP_SYS_BOOT", {"reboot"}},
    {"CAP_SYS_CHROOT", {"chroot"}},
    {"CAP_SYS_MODULE", {"delete_module", "init_module", "finit_module"}},
    {"CAP_SYS_PACCT", {"acct"}},
    {"CAP_SYS_PTRACE",
     {"kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace"}},
    {"CAP_SYS_RAWIO", {"iopl", "ioperm"}},
    {"CAP_SYS_TIME", {"settimeofday", "stime", "clock_settime", "clock_settime64"}},
    {"CAP_SYS_TTY_CONFIG", {"vhangup"}},
    {"CAP_SYS_NICE", {"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"}},
    {"CAP_SYSLOG", {"syslog"}},
    {"CAP_BPF", {"bpf"}},
    {"CAP_PERFMON", {"perf_event_open"}},
};

// Allowed only on these architectures (libseccomp's native names).
struct ArchGroup {
  Names arches;
  Names names;
};

const ArchGroup kArchGroups[] = {
    {{"amd64", "x32"}, {"arch_prctl"}},
    {{"amd64", "x32", "x86"}, {"modify_ldt"}},
    {{"arm", "arm64"},
     {"arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint", "cacheflush",
      "set_tls"}},
    {{"ppc64le"}, {"sync_file_range2", "swapcontext"}},
    {{"s390", "s390x"}, {"s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"}},
    {{"riscv64"}, {"riscv_flush_icache"}},
};

// The namespace flags of clone(2): creating any of them takes CAP_SYS_ADMIN.
constexpr uint64_t kCloneNamespaceFlags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC |
                                          CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |
                                          CLONE_NEWCGROUP;

// personality(2) personas that change nothing a container could abuse: PER_LINUX, PER_LINUX32,
// UNAME26, UNAME26|PER_LINUX32, and the query 0xffffffff.
constexpr uint64_t kPersonas[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};

std::vector<std::string> to_vector(Names names) {
  return {names.begin(), names.end()};
}

SeccompRule allow(std::vector<std::string> names) {
  SeccompRule r;
  r.names = std::move(names);
  r.action = "SCMP_ACT_ALLOW";
  return r;
}

SeccompRule allow_if(const char* name, SeccompArgRule arg) {
  auto r = allow({name});
  r.args.push_back(arg);
  return r;
}

SeccompProfile build() {
  SeccompProfile p;
  p.default_action = "SCMP_ACT_ERRNO";
  p.default_errno_ret = EPERM;
  p.arch_map = {
      {"SCMP_ARCH_X86_64", {"SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
      {"SCMP_ARCH_AARCH64", {"SCMP_ARCH_ARM"}},
      {"SCMP_ARCH_MIPS64", {"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32"}},
      {"SCMP_ARCH_MIPS64N32", {"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64"}},
      {"SCMP_ARCH_MIPSEL64", {"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32"}},
      {"SCMP_ARCH_MIPSEL64N32", {"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64"}},
      {"SCMP_ARCH_S390X", {"SCMP_ARCH_S390"}},
      {"SCMP_ARCH_RISCV64", {}},
      {"SCMP_ARCH_LOONGARCH64", {}},
  };

  std::vector<std::string> always;
  for (Names group :
       {kFiles, kExtendedAttributes, kEventsAndPolling, kAsyncIo, kMemory, kProcesses, kScheduling,
        kIdentity, kSignals, kTime, kFutexes, kSysvAndPosixIpc, kNetwork})
    always.insert(always.end(), group.begin(), group.end());
  p.syscalls.push_back(allow(std::move(always)));

  // ptrace and process_vm_* became safe to allow with kernel 4.8, which closed the seccomp
  // bypass through ptrace.
  auto ptrace = allow({"process_vm_readv", "process_vm_writev", "ptrace"});
  ptrace.includes.min_kernel = std::pair{4u, 8u};
  p.syscalls.push_back(std::move(ptrace));

  // socket(2) for every family but AF_ALG (38) and AF_VSOCK (40), which sit two apart.
  static_assert(AF_VSOCK - AF_ALG == 2);
  p.syscalls.push_back(allow_if("socket", {0, AF_ALG, 0, "SCMP_CMP_LT"}));
  p.syscalls.push_back(allow_if("socket", {0, AF_ALG + 1, 0, "SCMP_CMP_EQ"}));
  p.syscalls.push_back(allow_if("socket", {0, AF_VSOCK, 0, "SCMP_CMP_GT"}));

  for (uint64_t persona : kPersonas)
    p.syscalls.push_back(allow_if("personality", {0, persona, 0, "SCMP_CMP_EQ"}));

  for (const auto& group : kArchGroups) {
    auto r = allow(to_vector(group.names));
    r.includes.arches = to_vector(group.arches);
    p.syscalls.push_back(std::move(r));
  }

  for (const auto& group : kCapabilityGroups) {
    auto r = allow(to_vector(group.names));
    r.includes.caps = {group.capability};
    p.syscalls.push_back(std::move(r));
  }

  // Without CAP_SYS_ADMIN: clone without namespace flags (its flags are the first argument,
  // the second on s390), and clone3 fails with ENOSYS, since seccomp cannot look into its struct.
  auto clone = allow_if("clone", {0, kCloneNamespaceFlags, 0, "SCMP_CMP_MASKED_EQ"});
  clone.excludes.caps = {"CAP_SYS_ADMIN"};
  clone.excludes.arches = {"s390", "s390x"};
  p.syscalls.push_back(std::move(clone));
  auto clone_s390 = allow_if("clone", {1, kCloneNamespaceFlags, 0, "SCMP_CMP_MASKED_EQ"});
  clone_s390.includes.arches = {"s390", "s390x"};
  clone_s390.excludes.caps = {"CAP_SYS_ADMIN"};
  p.syscalls.push_back(std::move(clone_s390));
  SeccompRule clone3;
  clone3.names = {"clone3"};
  clone3.action = "SCMP_ACT_ERRNO";
  clone3.errno_ret = ENOSYS;
  clone3.excludes.caps = {"CAP_SYS_ADMIN"};
  p.syscalls.push_back(std::move(clone3));
  return p;
}

}  // namespace

const SeccompProfile& default_seccomp_profile() {
  static const SeccompProfile profile = build();
  return profile;
}

}  // namespace berth::engine
