#!/usr/bin/env bats
# seccomp: actions, errnoRet, default action, argument filters, flags.

load helpers

setup_file() { it_setup_file; }
teardown_file() { it_teardown_file; }
setup() { it_setup; }
teardown() { it_teardown; }

ARCHES='["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]'

# seccomp_rules DEFAULT RULES: sets linux.seccomp; RULES is a jq expression for the syscalls array.
seccomp_rules() {
  edit_config --arg d "$1" --argjson a "$ARCHES" \
    ".linux.seccomp = {defaultAction: \$d, architectures: \$a, syscalls: $2}"
}

@test "seccomp mode is 2 (filter) with a profile, 0 without" {
  run_probe seccomp
  [ "$(value seccomp)" = 0 ]
  seccomp_rules SCMP_ACT_ALLOW '[{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO"}]'
  run_probe seccomp
  [ "$status" -eq 0 ]
  [ "$(value seccomp)" = 2 ]
  [ "$(value seccomp_filters)" -ge 1 ]
}

@test "SCMP_ACT_ERRNO without errnoRet: mkdir fails with EPERM" {
  seccomp_rules SCMP_ACT_ALLOW '[{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO"}]'
  set_args sh -c 'probe syscall mkdir /tmp/d; probe syscall rmdir /bin'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = mkdir=EPERM ]
  # Other syscalls pass: rmdir of a non-empty dir reaches the kernel.
  [ "${lines[1]}" = rmdir=ENOTEMPTY ]
  [ ! -e "$BUNDLE/rootfs/tmp/d" ]
}

@test "errnoRet" {
  seccomp_rules SCMP_ACT_ALLOW '[{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 13}]'
  run_probe syscall mkdir /tmp/d
  [ "$status" -eq 0 ]
  [ "$output" = mkdir=EACCES ]
}

@test "default action SCMP_ACT_ERRNO with defaultErrnoRet, and an allow list" {
  # Enough for the runtime's last steps, execve, and a static binary.
  allow='["execve", "execveat", "brk", "arch_prctl", "set_tid_address", "set_robust_list", "rseq",
    "prlimit64", "mprotect", "mmap", "munmap", "mremap", "madvise", "readlink", "readlinkat", "uname",
    "write", "writev", "read", "exit", "exit_group", "openat", "open", "close", "close_range",
    "fstat", "newfstatat", "statx", "ioctl", "getrandom", "rt_sigaction", "rt_sigprocmask",
    "rt_sigreturn", "sigaltstack", "futex", "fcntl", "getpid", "getppid", "gettid", "tgkill",
    "lseek", "nanosleep", "clock_nanosleep", "sched_yield", "epoll_pwait", "epoll_ctl",
    "epoll_create1", "pipe2", "dup3", "capget", "capset", "prctl", "setgroups", "setuid",
    "setgid", "setresuid", "setresgid", "getuid", "getgid", "geteuid", "getegid", "getcwd",
    "chdir", "fchdir", "access", "faccessat", "faccessat2", "getdents64", "clone", "clone3",
    "wait4", "waitid", "kill", "sched_getaffinity", "mlock", "munlock", "pread64", "stat", "lstat", "fstatfs", "statfs",
    "getpgrp", "setsid", "dup", "dup2", "poll", "ppoll", "select", "pselect6", "umask", "sysinfo"]'
  edit_config --argjson a "$ARCHES" --argjson allow "$allow" '.linux.seccomp = {
    defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 38, architectures: $a,
    syscalls: [{names: $allow, action: "SCMP_ACT_ALLOW"}]}'
  run_probe syscall mkdir /tmp/d
  [ "$status" -eq 0 ]
  [ "$output" = mkdir=ENOSYS ]
}

@test "argument filter: mkdir with mode 0755 is denied, other modes pass" {
  seccomp_rules SCMP_ACT_ALLOW '[
    {names: ["mkdir"], action: "SCMP_ACT_ERRNO", args: [{index: 1, value: 493, op: "SCMP_CMP_EQ"}]},
    {names: ["mkdirat"], action: "SCMP_ACT_ERRNO", args: [{index: 2, value: 493, op: "SCMP_CMP_EQ"}]}]'
  set_args sh -c 'probe syscall mkdir /tmp/a; mkdir -m 700 /tmp/b && echo b=ok'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = "mkdir=EPERM
b=ok" ]
}

@test "argument filter with SCMP_CMP_MASKED_EQ" {
  # Deny when the mode has the group-write bit.
  seccomp_rules SCMP_ACT_ALLOW '[
    {names: ["mkdir"], action: "SCMP_ACT_ERRNO", args: [{index: 1, value: 16, valueTwo: 16, op: "SCMP_CMP_MASKED_EQ"}]},
    {names: ["mkdirat"], action: "SCMP_ACT_ERRNO", args: [{index: 2, value: 16, valueTwo: 16, op: "SCMP_CMP_MASKED_EQ"}]}]'
  set_args sh -c 'probe syscall mkdir /tmp/a 0770; probe syscall mkdir /tmp/b 0700'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = "mkdir=EPERM
mkdir=ok" ]
}

@test "SCMP_ACT_KILL: the process dies of SIGSYS" {
  seccomp_rules SCMP_ACT_ALLOW '[{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_KILL"}]'
  run_probe syscall mkdir /tmp/d
  # 128 + SIGSYS (31)
  [ "$status" -eq 159 ]
  [ ! -e "$BUNDLE/rootfs/tmp/d" ]
}

@test "SCMP_ACT_TRAP: SIGSYS" {
  seccomp_rules SCMP_ACT_ALLOW '[{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_TRAP"}]'
  run_probe syscall mkdir /tmp/d
  [ "$status" -eq 159 ]
}

@test "SCMP_ACT_LOG allows the call" {
  seccomp_rules SCMP_ACT_ALLOW '[{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_LOG"}]'
  run_probe syscall mkdir /tmp/d
  [ "$status" -eq 0 ]
  [ "$output" = mkdir=ok ]
}

@test "SCMP_ACT_TRACE without a tracer: ENOSYS" {
  seccomp_rules SCMP_ACT_ALLOW '[{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_TRACE", errnoRet: 1}]'
  run_probe syscall mkdir /tmp/d
  [ "$status" -eq 0 ]
  [ "$output" = mkdir=ENOSYS ]
}

@test "flags: SECCOMP_FILTER_FLAG_LOG and SPEC_ALLOW are accepted" {
  skip_if_runc "runc 1.1.5: seccomp flags are not yet supported"
  edit_config --argjson a "$ARCHES" '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", architectures: $a,
    flags: ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
    syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO"}]}'
  run_probe syscall mkdir /tmp/d
  [ "$status" -eq 0 ]
  [ "$output" = mkdir=EPERM ]
}

@test "the filter applies to exec'd processes too" {
  seccomp_rules SCMP_ACT_ALLOW '[{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO"}]'
  start_sleeper
  rt exec "$CID" probe syscall mkdir /tmp/d
  [ "$status" -eq 0 ]
  [ "$output" = mkdir=EPERM ]
  rt exec "$CID" probe seccomp
  [ "$(value seccomp)" = 2 ]
}

@test "unknown syscall names are ignored, an unknown action is refused" {
  seccomp_rules SCMP_ACT_ALLOW '[{names: ["mkdir", "mkdirat", "no_such_syscall_xyz"], action: "SCMP_ACT_ERRNO"}]'
  run_probe syscall mkdir /tmp/d
  [ "$status" -eq 0 ]
  [ "$output" = mkdir=EPERM ]
  seccomp_rules SCMP_ACT_ALLOW '[{names: ["mkdir"], action: "SCMP_ACT_BOGUS"}]'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  [ ! -e "$RT_ROOT/$CID" ]
}

@test "without noNewPrivileges a non-root user still gets the filter" {
  edit_config '.process.noNewPrivileges = false | .process.user = {uid: 1000, gid: 1000}'
  seccomp_rules SCMP_ACT_ALLOW '[{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO"}]'
  run_probe syscall mkdir /tmp/d
  [ "$status" -eq 0 ]
  [ "$output" = mkdir=EPERM ]
}
