#!/usr/bin/env bats
# No host fd or cwd leaks into the container (CVE-2024-21626); the runtime binary cannot be
# reopened for writing through /proc/PID/exe (CVE-2019-5736); --preserve-fds passes exactly N.

load helpers

setup_file() { it_setup_file; }
teardown_file() { it_teardown_file; }
setup() { it_setup; }
teardown() { it_teardown; }

@test "the container sees only fds 0, 1, 2 even when its caller has more open" {
  set_args probe fds
  run bash -c 'exec 5</etc/passwd 6>"$4/leak" 9</; exec "$0" --root "$1" run --bundle "$2" "$3" </dev/null' \
    "$RUNTIME" "$RT_ROOT" "$BUNDLE" "$CID" "$TDIR"
  [ "$status" -eq 0 ]
  [ "$(value fd_count)" = 3 ]
  [ "$(grep '^fd=' <<<"$output" | cut -d' ' -f1 | tr '\n' ' ')" = "fd=0 fd=1 fd=2 " ]
}

@test "--preserve-fds N passes fds 3 .. 3+N-1 and no more" {
  set_args probe fds
  echo preserved >"$TDIR/p3"
  run bash -c 'exec 3<"$4/p3" 4</etc/hostname 5</etc/passwd; exec "$0" --root "$1" run --preserve-fds 2 --bundle "$2" "$3" </dev/null' \
    "$RUNTIME" "$RT_ROOT" "$BUNDLE" "$CID" "$TDIR"
  [ "$status" -eq 0 ]
  [ "$(value fd_count)" = 5 ]
  grep -qx "fd=3 $TDIR/p3" <<<"$output"
  grep -qx "fd=4 /etc/hostname" <<<"$output"
  ! grep -q '^fd=5 ' <<<"$output"
}

@test "a process cwd of /proc/self/fd/N cannot reach a host directory (CVE-2024-21626)" {
  for n in 3 4 5 6 7 8 9 10; do
    edit_config --arg c "/proc/self/fd/$n" '.process.cwd = $c'
    set_args sh -c 'probe cwd; ls ../../../../etc/hostname 2>&1; cat ../../../../etc/hostname 2>/dev/null'
    rt run --bundle "$BUNDLE" "${CID}-$n"
    runtime delete -f "${CID}-$n" >/dev/null 2>&1 || true
    if [ "$status" -eq 0 ]; then
      # Allowed only when the cwd really is inside the container.
      [[ "$(value cwd)" == /* ]] || { echo "fd $n: cwd outside the root: $output"; false; }
      [[ "$output" != *"$(hostname)"* ]] || { echo "fd $n: host /etc/hostname reachable: $output"; false; }
    fi
  done
}

@test "exec with cwd /proc/self/fd/N cannot reach a host directory" {
  start_sleeper
  for n in 3 4 5 6 7 8; do
    rt exec --cwd "/proc/self/fd/$n" "$CID" probe cwd
    if [ "$status" -eq 0 ]; then
      [[ "$(value cwd)" == /* ]] || { echo "fd $n: cwd outside the root: $output"; false; }
    fi
  done
}

# The runtime's init waits in the created container (set_args first): returns its host pid.
create_waiting() {
  runtime create --bundle "$BUNDLE" --pid-file "$TDIR/pid" "$CID" </dev/null >/dev/null 2>&1
  cat "$TDIR/pid"
}

@test "a container process cannot reach the runtime binary through /proc/1/exe of the waiting init (CVE-2019-5736)" {
  # Checked: runc 1.1.5's init shows the container its own binary (the same inode) until start.
  is_runc && skip "runc 1.1.5 fails this"
  set_args probe sleep 1000
  create_waiting >/dev/null
  rt exec "$CID" sh -c 'stat -L -c %d:%i /proc/1/exe 2>/dev/null || echo denied'
  [ "$status" -eq 0 ]
  # The init runs the runtime's binary until start, not dumpable: nothing without CAP_SYS_PTRACE
  # over the host opens its exe.
  [ "$output" == denied ]
}

@test "a process with CAP_SYS_PTRACE may not join a container whose init still runs the runtime" {
  is_runc && skip "a rule of berth's exec stub, which runc does not have"
  set_args probe sleep 1000
  create_waiting >/dev/null
  rt exec --cap CAP_SYS_PTRACE "$CID" true
  [ "$status" -ne 0 ]
  [[ "$output" == *"cannot exec a process with CAP_SYS_PTRACE in \"$CID\" before it starts"* ]]
  rt exec "$CID" true
  [ "$status" -eq 0 ]
  runtime start "$CID"
  wait_status "$CID" running
  rt exec --cap CAP_SYS_PTRACE "$CID" true
  [ "$status" -eq 0 ]
}

@test "exec goes through the stub until a process with CAP_SYS_PTRACE is exec'd, then runs read-only" {
  is_runc && skip "a rule of berth's exec stub, which runc does not have"
  start_sleeper
  # Nothing in the container can trace the exec'd process: /proc/self/exe is the stub.
  rt exec "$CID" /proc/self/exe --version
  [ "$status" -eq 126 ]
  [[ "$output" == "berth-runtime-exec: usage: "* ]]
  rt exec -d --cap CAP_SYS_PTRACE "$CID" probe sleep 1000
  [ "$status" -eq 0 ]
  # Now one can: the runtime runs from a read-only mount, and that is what the process runs.
  rt exec "$CID" /proc/self/exe --version
  [ "$status" -eq 0 ]
  [[ "$output" == *"berth-runtime version"* ]]
  rt exec "$CID" probe write /proc/self/exe
  [ "$status" -eq 0 ]
  [ "$(value write)" != ok ]
}

@test "in the host's pid namespace the runtime runs from a read-only mount of its binary" {
  is_runc && skip "runc 1.1.5 runs its parent from its own, writable binary"
  # The container sees every process there, and its init runs the runtime until it execs: the
  # runtime re-executes itself from a read-only mount instead of using the exec stub.
  edit_config '.linux.namespaces |= map(select(.type != "pid"))'
  set_args sleep 3
  runtime run --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1 &
  local run_pid=$!
  wait_status "$CID" running
  pid=$(state_field "$CID" pid)
  parent=$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status")
  on_readonly_mount "/proc/$parent/exe"
  cmp -s "/proc/$parent/exe" "$RUNTIME"
  wait "$run_pid"
}

@test "with CAP_SYS_PTRACE the init runs from a read-only mount: its exe cannot be written (CVE-2019-5736)" {
  add_caps CAP_SYS_PTRACE
  set_args probe sleep 1000
  pid=$(create_waiting)
  # What the init runs is what such a container could reach.
  exec 7<"/proc/$pid/exe"
  runtime start "$CID"
  sum_before=$(sha256sum <"$(readlink -f "$RUNTIME")")
  run bash -c 'exec 8>>/proc/self/fd/7 && echo opened'
  echo "open for write: $output"
  if [ "$output" = opened ]; then
    # Writable only if it is a private copy (memfd), not the runtime's file.
    [ "$(stat -L -c %d:%i /proc/self/fd/7)" != "$(stat -L -c %d:%i "$RUNTIME")" ]
  fi
  exec 7<&-
  [ "$(sha256sum <"$(readlink -f "$RUNTIME")")" = "$sum_before" ]
}

# The 2019 attack: the container's binary re-executes /proc/self/exe inside the container; a
# second process grabs /proc/PID/exe and writes it once that process is gone.
attack_through_self_exe() {
  printf '#!/proc/self/exe\n' >"$BUNDLE/rootfs/bin/evil"
  chmod 755 "$BUNDLE/rootfs/bin/evil"
  add_caps "$@"
  set_args sh -c '
    i=0
    while [ $i -lt 400 ]; do
      for p in /proc/[0-9]*; do
        case "$(readlink $p/exe 2>/dev/null)" in *probe|*busybox|"") continue ;; esac
        exec 5<$p/exe 2>/dev/null || continue
        sleep 0.2
        if (exec 6>>/proc/self/fd/5) 2>/dev/null; then echo WROTE-OPEN $(readlink $p/exe); fi
        exec 5<&-
      done
      i=$((i + 1))
    done; echo done'
  runtime run -d --bundle "$BUNDLE" --pid-file "$TDIR/pid" "$CID" </dev/null >"$TDIR/out" 2>&1
  sum_before=$(sha256sum <"$(readlink -f "$RUNTIME")")
  for _ in 1 2 3 4 5; do runtime exec "$CID" /bin/evil >/dev/null 2>&1 || true; done
  for _ in $(seq 100); do grep -q '^done' "$TDIR/out" && break; sleep 0.1; done
  [ "$(sha256sum <"$(readlink -f "$RUNTIME")")" = "$sum_before" ]
  ! grep -q WROTE-OPEN "$TDIR/out"
}

@test "a container process cannot write the runtime through a #!/proc/self/exe binary" {
  attack_through_self_exe CAP_DAC_OVERRIDE
}

@test "nor with CAP_SYS_PTRACE, which can open the exe of any process it sees" {
  attack_through_self_exe CAP_SYS_PTRACE CAP_DAC_OVERRIDE
}

@test "the runtime's state dir is not reachable from the container" {
  start_sleeper
  rt exec "$CID" sh -c "ls $RT_ROOT 2>&1; ls $BUNDLE 2>&1"
  [[ "$output" == *"No such file or directory"* ]]
  [[ "$output" != *"$CID"* ]]
  [[ "$output" != *config.json* ]]
}

@test "CVE-2019-5736: a container that execs /proc/self/exe runs no writable runtime" {
  is_runc && skip "runc 1.1.5 protects with a memfd copy: a different check"
  # /proc/self/exe of the process that execs the container's program is berth's exec stub,
  # itself on a read-only mount: the runtime is not run at all.
  set_args /proc/self/exe --version
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 126 ]
  [[ "$output" == "berth-runtime-exec: usage: "* ]]
  # With CAP_SYS_PTRACE the runtime runs from a read-only mount, and is what the process runs.
  add_caps CAP_SYS_PTRACE
  rt run --bundle "$BUNDLE" "${CID}p"
  [ "$status" -eq 0 ]
  [[ "$output" == *"berth-runtime version"* ]]
  set_args probe write /proc/self/exe
  rt run --bundle "$BUNDLE" "${CID}b"
  [ "$status" -eq 0 ]
  [ "$(value write)" != ok ]
}
