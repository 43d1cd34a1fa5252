#!/usr/bin/env bats
# Podman (4.3, with conmon) drives the runtime under test: `podman --runtime $RUNTIME`.
# One image import for the file; podman's state, and the runtime's, in a temp dir (peers.bash).

load helpers
load peers

setup_file() { pm_setup_file; }
teardown_file() { pm_teardown_file; }
setup() {
  [[ -z "${PM_SKIP:-}" ]] || skip "$PM_SKIP"
  pm_run_opts
  T=$PM_TMP/t
  mkdir -p "$T"
}
teardown() { pm_teardown; }

# Elapsed wall time of a command, in tenths of a second, in $elapsed.
timed() {
  local t0 t1
  t0=$(date +%s%N)
  "$@"
  t1=$(date +%s%N)
  elapsed=$(((t1 - t0) / 100000000))
  echo "elapsed: $elapsed tenths of a second"
}

# runtime_state_names: the container ids in the runtime's state root.
runtime_state_names() {
  [[ -d $PM_RT_ROOT ]] || return 0
  ls -A "$PM_RT_ROOT" | grep -v '^~' || true
}

@test "podman run --rm: output, exit status, rlimits; nothing left behind" {
  pm_out run --rm "${PM_RUN_OPTS[@]}" --name pm-rm "$PM_IMAGE" \
    sh -c 'echo hello from podman; ulimit -n; ulimit -u; exit 7'
  [ "$status" -eq 7 ]
  [ "$output" = $'hello from podman\n20000\n20000' ]
  pm_out ps -a -q
  [ "$status" -eq 0 ]
  [ "$output" = "" ]
  [ "$(runtime_state_names)" = "" ]
}

@test "podman run --rm: stdin is passed with -i, stderr kept apart" {
  printf 'line one\nline two\n' >"$T/in"
  status=0
  pm run --rm -i "${PM_RUN_OPTS[@]}" "$PM_IMAGE" sh -c 'cat; echo to-stderr >&2' \
    <"$T/in" >"$T/out" 2>"$T/err" 3>&- || status=$?
  [ "$status" -eq 0 ]
  [ "$(cat "$T/out")" = $'line one\nline two' ]
  [ "$(cat "$T/err")" = "to-stderr" ]
}

@test "podman run -d, exec, ps, inspect: the container runs under the runtime under test" {
  pm_out run -d "${PM_RUN_OPTS[@]}" --name pm-d "$PM_IMAGE" sleep 1000
  [ "$status" -eq 0 ]
  [[ "$output" =~ ^[0-9a-f]{64}$ ]]
  id=$output

  pm_out exec pm-d sh -c 'echo out; echo err >&2; exit 5'
  [ "$status" -eq 5 ]
  [ "$output" = out ]
  [ "$errout" = err ]

  pm_out exec pm-d sh -c "tr '\\0' ' ' </proc/1/cmdline"
  [ "$status" -eq 0 ]
  [ "$output" = "sleep 1000 " ]

  pm_out ps --no-trunc --format '{{.ID}} {{.Names}} {{.Command}}'
  [ "$status" -eq 0 ]
  [ "$output" = "$id pm-d sleep 1000" ]

  [ "$(pm_state pm-d)" = running ]
  [ "$(pm inspect -f '{{.OCIRuntime}}' pm-d)" = "$RUNTIME" ]
  # conmon was told to use it...
  conmon=$(pm inspect -f '{{.State.ConmonPid}}' pm-d)
  [[ "$(tr '\0' ' ' <"/proc/$conmon/cmdline")" == *" -r $RUNTIME "* ]]
  # ...and the runtime has the container in its own state root, with podman's pid.
  [ -d "$PM_RT_ROOT/$id" ]
  pid=$(pm inspect -f '{{.State.Pid}}' pm-d)
  [ "$("$RUNTIME" --root "$PM_RT_ROOT" state "$id" | jq -r .status)" = running ]
  [ "$("$RUNTIME" --root "$PM_RT_ROOT" state "$id" | jq -r .pid)" = "$pid" ]
  [ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" = "sleep 1000 " ]
  # In the cgroup podman asked for.
  grep -q ":/$PM_CGPARENT/libpod-$id\$" "/proc/$pid/cgroup"
}

@test "podman exec: --user, --workdir, --env, -d" {
  pm run -d "${PM_RUN_OPTS[@]}" --name pm-ex "$PM_IMAGE" sleep 1000 >/dev/null 3>&-
  pm_out exec --user 1000 --workdir /tmp --env FOO=bar pm-ex sh -c 'id; pwd; echo $FOO'
  [ "$status" -eq 0 ]
  [ "$output" = $'uid=1000(user) gid=1000(user)\n/tmp\nbar' ]
  pm_out exec -d pm-ex sh -c 'echo detached > /tmp/marker'
  [ "$status" -eq 0 ]
  wait_until 50 pm exec pm-ex test -s /tmp/marker
  pm_out exec pm-ex cat /tmp/marker
  [ "$output" = detached ]
  pm_out exec pm-ex /no/such/binary
  [ "$status" -eq 127 ]
}

@test "podman exec -t: a terminal without one on our side" {
  pm run -d "${PM_RUN_OPTS[@]}" --name pm-tty "$PM_IMAGE" sleep 1000 >/dev/null 3>&-
  pm_out exec -t pm-tty sh -c 'tty; echo $TERM'
  [ "$status" -eq 0 ]
  [ "$output" = $'/dev/pts/0\r\nxterm\r' ]
}

@test "podman run -t: the container's stdio is a terminal" {
  pm_out run --rm -t "${PM_RUN_OPTS[@]}" "$PM_IMAGE" sh -c 'tty; test -t 1 && echo stdout-is-a-tty'
  [ "$status" -eq 0 ]
  [ "$output" = $'/dev/pts/0\r\nstdout-is-a-tty\r' ]
}

@test "podman top" {
  pm run -d "${PM_RUN_OPTS[@]}" --name pm-top "$PM_IMAGE" sh -c 'sleep 1000 & wait' >/dev/null 3>&-
  top_lines() { [[ $(pm top pm-top pid 2>/dev/null | wc -l) == 3 ]]; }
  wait_until 50 top_lines
  pm_out top pm-top user args
  [ "$status" -eq 0 ]
  [ "$(printf '%s\n' "$output" | awk '{$1 = $1}; 1')" = $'USER COMMAND\nroot sh -c sleep 1000 & wait\nroot sleep 1000' ]
  pm_out top pm-top pid comm
  [ "$status" -eq 0 ]
  [ "${lines[1]// /}" = 1sh ]
  [[ "${lines[2]}" =~ ^[0-9]+\ +sleep\ *$ ]]
}

@test "podman stop: a process that handles SIGTERM exits at once, with its own status" {
  pm run -d "${PM_RUN_OPTS[@]}" --name pm-term "$PM_IMAGE" \
    sh -c 'trap "echo got TERM; exit 3" TERM; echo ready; sleep 1000 & wait' >/dev/null 3>&-
  wait_until 50 pm_logs_equal pm-term ready
  timed pm_out stop -t 20 pm-term
  [ "$status" -eq 0 ]
  [ "$output" = pm-term ]
  ((elapsed < 50))
  [ "$(pm_state pm-term)" = exited ]
  [ "$(pm inspect -f '{{.State.ExitCode}}' pm-term)" = 3 ]
  pm_out logs pm-term
  [ "$output" = $'ready\ngot TERM' ]
}

@test "podman stop -t 2: a process that ignores SIGTERM is killed after the timeout" {
  # pid 1 without a handler: the kernel drops SIGTERM.
  pm run -d "${PM_RUN_OPTS[@]}" --name pm-noterm "$PM_IMAGE" sleep 1000 >/dev/null 3>&-
  pid=$(pm inspect -f '{{.State.Pid}}' pm-noterm)
  timed pm_out stop -t 2 pm-noterm
  [ "$status" -eq 0 ]
  [ "$output" = pm-noterm ]
  ((elapsed >= 20 && elapsed < 80))
  [ "$(pm_state pm-noterm)" = exited ]
  [ "$(pm inspect -f '{{.State.ExitCode}}' pm-noterm)" = 137 ]
  [ ! -e "/proc/$pid" ] || [ "$(awk '{print $3}' "/proc/$pid/stat")" = Z ]
}

@test "podman kill -s: the signal reaches the container's process" {
  pm run -d "${PM_RUN_OPTS[@]}" --name pm-kill "$PM_IMAGE" \
    sh -c 'trap "echo got USR1" USR1; echo ready; while :; do sleep 0.1; done' >/dev/null 3>&-
  wait_until 50 pm_logs_equal pm-kill ready
  pm_out kill -s USR1 pm-kill
  [ "$status" -eq 0 ]
  [ "$output" = pm-kill ]
  wait_until 50 pm_logs_equal pm-kill $'ready\ngot USR1'
  [ "$(pm_state pm-kill)" = running ]

  pm_out kill -s KILL pm-kill
  [ "$status" -eq 0 ]
  [ "$output" = pm-kill ]
  pm_wait_state pm-kill exited
  [ "$(pm inspect -f '{{.State.ExitCode}}' pm-kill)" = 137 ]
}

@test "podman pause, unpause" {
  pm_out run -d "${PM_RUN_OPTS[@]}" --name pm-pause "$PM_IMAGE" sh -c 'while :; do echo tick > /tmp/t; sleep 0.1; done'
  [ "$status" -eq 0 ]
  id=$output
  pid=$(pm inspect -f '{{.State.Pid}}' pm-pause)
  pm_out pause pm-pause
  [ "$status" -eq 0 ]
  [ "$output" = pm-pause ]
  [ "$(pm_state pm-pause)" = paused ]
  [ "$("$RUNTIME" --root "$PM_RT_ROOT" state "$id" | jq -r .status)" = paused ]
  # Frozen: the kernel has stopped every task of the cgroup.
  [ "$(cat "$(cgroup_dir "$pid" freezer)/freezer.state")" = FROZEN ]

  pm_out unpause pm-pause
  [ "$status" -eq 0 ]
  [ "$output" = pm-pause ]
  [ "$(pm_state pm-pause)" = running ]
  [ "$("$RUNTIME" --root "$PM_RT_ROOT" state "$id" | jq -r .status)" = running ]
  [ "$(cat "$(cgroup_dir "$pid" freezer)/freezer.state")" = THAWED ]
  pm_out exec pm-pause echo alive
  [ "$status" -eq 0 ]
  [ "$output" = alive ]
}

@test "podman rm -f: a running container, its process and the runtime's state are gone" {
  pm_out run -d "${PM_RUN_OPTS[@]}" --name pm-rmf "$PM_IMAGE" sleep 1000
  id=$output
  pid=$(pm inspect -f '{{.State.Pid}}' pm-rmf)
  [ -d "$PM_RT_ROOT/$id" ]
  pm_out rm -f -t 0 pm-rmf
  [ "$status" -eq 0 ]
  [ "$output" = pm-rmf ]
  pm_out ps -a -q
  [ "$output" = "" ]
  [ ! -e "/proc/$pid" ] || [ "$(awk '{print $3}' "/proc/$pid/stat")" = Z ]
  [ ! -e "$PM_RT_ROOT/$id" ]
  [ ! -e "/sys/fs/cgroup/memory/$PM_CGPARENT/libpod-$id" ]
}

@test "podman rm -f: a paused container" {
  pm_out run -d "${PM_RUN_OPTS[@]}" --name pm-rmp "$PM_IMAGE" sleep 1000
  id=$output
  pid=$(pm inspect -f '{{.State.Pid}}' pm-rmp)
  pm pause pm-rmp >/dev/null 3>&-
  pm_wait_state pm-rmp paused
  pm_out rm -f -t 0 pm-rmp
  [ "$status" -eq 0 ]
  [ "$output" = pm-rmp ]
  pm_out ps -a -q
  [ "$output" = "" ]
  [ ! -e "/proc/$pid" ] || [ "$(awk '{print $3}' "/proc/$pid/stat")" = Z ]
  [ ! -e "$PM_RT_ROOT/$id" ]
}

@test "podman start: a stopped container runs again under the same id" {
  pm_out run -d "${PM_RUN_OPTS[@]}" --name pm-again "$PM_IMAGE" sh -c 'echo run; sleep 1000'
  id=$output
  pm stop -t 0 pm-again >/dev/null 3>&-
  pm_wait_state pm-again exited
  pm_out start pm-again
  [ "$status" -eq 0 ]
  [ "$output" = pm-again ]
  [ "$(pm_state pm-again)" = running ]
  [ "$("$RUNTIME" --root "$PM_RT_ROOT" state "$id" | jq -r .status)" = running ]
  wait_until 50 pm_logs_equal pm-again $'run\nrun'
  pm_out exec pm-again echo alive
  [ "$output" = alive ]
}

@test "podman run --user 1000 and --user 1000:2000" {
  pm_out run --rm "${PM_RUN_OPTS[@]}" --user 1000 "$PM_IMAGE" id
  [ "$status" -eq 0 ]
  [ "$output" = "uid=1000(user) gid=1000(user) groups=1000(user)" ]
  pm_out run --rm "${PM_RUN_OPTS[@]}" --user 1000:2000 "$PM_IMAGE" sh -c 'id -u; id -g'
  [ "$status" -eq 0 ]
  [ "$output" = $'1000\n2000' ]
}

@test "podman run -v: a bind mount, read-write and read-only" {
  mkdir -p "$T/vol"
  echo "from host" >"$T/vol/in"
  pm_out run --rm "${PM_RUN_OPTS[@]}" -v "$T/vol:/data" "$PM_IMAGE" \
    sh -c 'cat /data/in; echo from container > /data/out'
  [ "$status" -eq 0 ]
  [ "$output" = "from host" ]
  [ "$(cat "$T/vol/out")" = "from container" ]
  [ "$(stat -c %u:%g "$T/vol/out")" = 0:0 ]

  pm_out run --rm "${PM_RUN_OPTS[@]}" -v "$T/vol:/data:ro" "$PM_IMAGE" \
    sh -c 'cat /data/in; echo x > /data/out2 || echo refused'
  [ "$status" -eq 0 ]
  [ "$output" = $'from host\nrefused' ]
  [[ "$errout" == *"Read-only file system"* ]]
  [ ! -e "$T/vol/out2" ]
}

@test "podman run --read-only: root is read-only, /tmp stays writable" {
  pm_out run --rm "${PM_RUN_OPTS[@]}" --read-only "$PM_IMAGE" \
    sh -c 'touch /x 2>&1; echo rc=$?; touch /tmp/y && echo tmp-ok'
  [ "$status" -eq 0 ]
  [ "$output" = $'touch: /x: Read-only file system\nrc=1\ntmp-ok' ]
}

@test "podman run --cap-add, --cap-drop" {
  pm_out run --rm "${PM_RUN_OPTS[@]}" "$PM_IMAGE" grep -E '^Cap(Eff|Bnd)' /proc/self/status
  [ "$status" -eq 0 ]
  # podman's built-in default set: CHOWN DAC_OVERRIDE FOWNER FSETID KILL NET_BIND_SERVICE
  # SETFCAP SETGID SETPCAP SETUID SYS_CHROOT, and NET_RAW MKNOD AUDIT_WRITE.
  [ "$output" = $'CapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb' ]
  pm_out run --rm "${PM_RUN_OPTS[@]}" --cap-add NET_ADMIN --cap-add SYS_PTRACE "$PM_IMAGE" \
    grep -E '^Cap(Eff|Bnd)' /proc/self/status
  [ "$status" -eq 0 ]
  [ "$output" = $'CapEff:\t00000000a80c35fb\nCapBnd:\t00000000a80c35fb' ]
  pm_out run --rm "${PM_RUN_OPTS[@]}" --cap-drop all --cap-add KILL "$PM_IMAGE" \
    grep -E '^Cap(Eff|Bnd)' /proc/self/status
  [ "$status" -eq 0 ]
  [ "$output" = $'CapEff:\t0000000000000020\nCapBnd:\t0000000000000020' ]
}

@test "podman run --security-opt no-new-privileges" {
  pm_out run --rm "${PM_RUN_OPTS[@]}" "$PM_IMAGE" grep NoNewPrivs /proc/self/status
  [ "$status" -eq 0 ]
  [ "$output" = $'NoNewPrivs:\t0' ]
  pm_out run --rm "${PM_RUN_OPTS[@]}" --security-opt no-new-privileges "$PM_IMAGE" grep NoNewPrivs /proc/self/status
  [ "$status" -eq 0 ]
  [ "$output" = $'NoNewPrivs:\t1' ]
}

@test "podman run: a missing command fails with podman's not-found status" {
  pm_out run --rm "${PM_RUN_OPTS[@]}" --name pm-missing "$PM_IMAGE" /no/such/binary
  [ "$status" -eq 127 ]
  [[ "${errout,,}" == "error: "*'"/no/such/binary"'*'no such file or directory'* ]]
  pm_out run --rm "${PM_RUN_OPTS[@]}" --name pm-missing "$PM_IMAGE" no-such-command
  [ "$status" -eq 127 ]
  [[ "$errout" == "Error: "*'"no-such-command": executable file not found in $PATH'* ]]
  pm_out ps -a -q
  [ "$output" = "" ]
  [ "$(runtime_state_names)" = "" ]
}

@test "podman run: a command that cannot be executed is refused at create, status 126" {
  pm_out run --rm "${PM_RUN_OPTS[@]}" --name pm-noexec "$PM_IMAGE" /etc/passwd
  [ "$status" -eq 126 ]
  # podman's own error for a runtime that refused the create, not the container's stderr.
  [[ "$errout" == "Error: "*'"/etc/passwd"'*'permission denied'* ]]
  pm_out ps -a -q
  [ "$output" = "" ]
  [ "$(runtime_state_names)" = "" ]
}
