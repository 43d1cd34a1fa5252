#!/usr/bin/env bats
# Known runtime escapes must stay closed: CVE-2019-5736 (overwriting the runtime binary through
# /proc/<pid>/exe) and CVE-2024-21626 (a host fd or cwd leaking into the container).

load helpers

setup_file() { it_setup_file; }
teardown_file() { it_teardown_file; }
setup() { it_setup; }
teardown() { it_teardown; }

@test "CVE-2019-5736: the init's /proc/PID/exe cannot be opened for writing" {
  is_runc && skip "runc 1.1.5 protects with a memfd copy: a different check"
  set_args probe sleep 1000
  rt create --bundle "$BUNDLE" --pid-file "$TDIR/pid" "$CID"
  [ "$status" -eq 0 ]
  pid=$(cat "$TDIR/pid")
  # The attack: hold /proc/PID/exe of a process running the runtime binary, wait for it to exit
  # (a running binary is ETXTBSY anyway), then reopen it for writing. It must be EROFS.
  cmp "/proc/$pid/exe" "$RUNTIME"
  run python3 -c "import os, subprocess
held = os.open('/proc/$pid/exe', os.O_PATH)
subprocess.run(['$RUNTIME', '--root', '$RT_ROOT', 'delete', '-f', '$CID'], check=True)
try:
    os.open('/proc/self/fd/%d' % held, os.O_WRONLY)
    print('writable')
except OSError as e:
    print(e.strerror)"
  [ "$output" = "Read-only file system" ]
}

@test "CVE-2019-5736: a container that execs /proc/self/exe runs no writable runtime" {
  is_runc && skip "runc 1.1.5 protects with a memfd copy: a different check"
  # The process is /proc/self/exe of the init: the runtime binary itself, asked for its version.
  set_args /proc/self/exe --version
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [[ "$output" == *"berth-runtime version"* ]]
  set_args probe write /proc/self/exe
  rt run --bundle "$BUNDLE" "${CID}b"
  [ "$status" -eq 0 ]
  [ "$(value write)" != ok ]
}

@test "CVE-2024-21626: only stdio is open in the container, and cwd is inside it" {
  set_args probe fds
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "$(value fd_count)" = 3 ]
  edit_config '.process.cwd = "/proc/self/fd/7"'
  set_args probe cwd
  rt run --bundle "$BUNDLE" "${CID}b"
  [ "$status" -ne 0 ]
}
