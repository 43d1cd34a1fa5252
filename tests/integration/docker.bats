#!/usr/bin/env bats
# Docker (dockerd 20.10, its own containerd, containerd-shim-runc-v2) drives the runtime under
# test: `dockerd --add-runtime berth=$RUNTIME`, `docker run --runtime berth`. One dockerd and one
# image import for the file, all state in a temp dir (peers.bash).

load helpers
load peers

setup_file() { dk_setup_file; }
teardown_file() { dk_teardown_file; }
setup() {
  [[ -z "${DK_SKIP:-}" ]] || skip "$DK_SKIP"
  DK_RUN_OPTS=(--runtime berth --network none)
  T=$DK_TMP/t
  mkdir -p "$T"
}
teardown() { dk_teardown; }

timed() {
  local t0 t1
  t0=$(date +%s%N)
  "$@"
  t1=$(date +%s%N)
  elapsed=$(((t1 - t0) / 100000000))
  echo "elapsed: $elapsed tenths of a second"
}

runtime_state_names() {
  [[ -d $DK_RT_ROOT ]] || return 0
  ls -A "$DK_RT_ROOT" | grep -v '^~' || true
}

dk_logs_equal() { [[ "$(dk logs "$1" 2>&1)" == "$2" ]]; }

@test "docker run --rm --runtime berth: output, exit status; nothing left behind" {
  dk_out run --rm "${DK_RUN_OPTS[@]}" --name dk-rm "$DK_IMAGE" \
    sh -c 'echo hello from docker; echo to-stderr >&2; exit 7'
  [ "$status" -eq 7 ]
  [ "$output" = "hello from docker" ]
  [ "$errout" = "to-stderr" ]
  dk_out ps -a -q
  [ "$status" -eq 0 ]
  [ "$output" = "" ]
  [ "$(runtime_state_names)" = "" ]
}

@test "docker run -i: stdin is passed through" {
  printf 'line one\nline two\n' >"$T/in"
  status=0
  dk run --rm -i "${DK_RUN_OPTS[@]}" "$DK_IMAGE" cat <"$T/in" >"$T/out" 2>"$T/err" 3>&- || status=$?
  [ "$status" -eq 0 ]
  [ "$(cat "$T/out")" = $'line one\nline two' ]
  [ "$(cat "$T/err")" = "" ]
}

@test "docker run -d, exec, inspect: the container runs under the runtime under test" {
  dk_out run -d "${DK_RUN_OPTS[@]}" --name dk-d "$DK_IMAGE" sleep 1000
  [ "$status" -eq 0 ]
  [[ "$output" =~ ^[0-9a-f]{64}$ ]]
  id=$output

  dk_out exec dk-d sh -c 'echo out; echo err >&2; exit 5'
  [ "$status" -eq 5 ]
  [ "$output" = out ]
  [ "$errout" = err ]

  dk_out exec dk-d sh -c "tr '\\0' ' ' </proc/1/cmdline"
  [ "$status" -eq 0 ]
  [ "$output" = "sleep 1000 " ]

  dk_out ps --no-trunc --format '{{.ID}} {{.Names}} {{.Command}}'
  [ "$status" -eq 0 ]
  [ "$output" = "$id dk-d \"sleep 1000\"" ]

  [ "$(dk_state dk-d)" = running ]
  [ "$(dk inspect -f '{{.HostConfig.Runtime}}' dk-d)" = berth ]
  # The shim was told to use it...
  bundle=$DK_TMP/exec/containerd/daemon/io.containerd.runtime.v2.task/moby/$id
  [ "$(jq -r .binary_name "$bundle/options.json")" = "$RUNTIME" ]
  # ...and the runtime has the container in its state root, with docker's pid.
  [ -d "$DK_RT_ROOT/$id" ]
  pid=$(dk inspect -f '{{.State.Pid}}' dk-d)
  [ "$("$RUNTIME" --root "$DK_RT_ROOT" state "$id" | jq -r .status)" = running ]
  [ "$("$RUNTIME" --root "$DK_RT_ROOT" state "$id" | jq -r .pid)" = "$pid" ]
  [ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" = "sleep 1000 " ]
  grep -q ":/$DK_CGPARENT/$id\$" "/proc/$pid/cgroup"
}

@test "docker exec: --user, --workdir, --env, -d, a missing binary" {
  dk run -d "${DK_RUN_OPTS[@]}" --name dk-ex "$DK_IMAGE" sleep 1000 >/dev/null 3>&-
  dk_out exec --user 1000 --workdir /tmp --env FOO=bar dk-ex sh -c 'id; pwd; echo $FOO'
  [ "$status" -eq 0 ]
  [ "$output" = $'uid=1000(user) gid=1000(user) groups=1000(user)\n/tmp\nbar' ]
  dk_out exec -d dk-ex sh -c 'echo detached > /tmp/marker'
  [ "$status" -eq 0 ]
  [ "$output" = "" ]
  wait_until 50 dk exec dk-ex test -s /tmp/marker
  dk_out exec dk-ex cat /tmp/marker
  [ "$output" = detached ]
  dk_out exec dk-ex /no/such/binary
  # The CLI's status for a failed exec, whatever the text; the text names the file and the error.
  [ "$status" -eq 126 ]
  [[ "${output,,}" == *'"/no/such/binary"'*"no such file or directory"* ]]
}

@test "docker exec -t and run -t: a terminal without one on our side" {
  dk run -d "${DK_RUN_OPTS[@]}" --name dk-tty "$DK_IMAGE" sleep 1000 >/dev/null 3>&-
  dk_out exec -t dk-tty sh -c 'tty; test -t 1 && echo stdout-is-a-tty'
  [ "$status" -eq 0 ]
  [ "$output" = $'/dev/pts/0\r\nstdout-is-a-tty\r' ]
  dk_out run --rm -t "${DK_RUN_OPTS[@]}" "$DK_IMAGE" sh -c 'tty; test -t 1 && echo stdout-is-a-tty'
  [ "$status" -eq 0 ]
  [ "$output" = $'/dev/pts/0\r\nstdout-is-a-tty\r' ]
}

@test "docker logs: stdout and stderr of a detached container" {
  dk run -d "${DK_RUN_OPTS[@]}" --name dk-logs "$DK_IMAGE" \
    sh -c 'echo first; echo oops >&2; echo second' >/dev/null 3>&-
  dk_wait_state dk-logs exited
  [ "$(dk inspect -f '{{.State.ExitCode}}' dk-logs)" = 0 ]
  dk_out logs dk-logs
  [ "$status" -eq 0 ]
  [ "$output" = $'first\nsecond' ]
  [ "$errout" = oops ]
}

@test "docker top: the container's processes, through the runtime's ps" {
  dk run -d "${DK_RUN_OPTS[@]}" --name dk-top "$DK_IMAGE" sh -c 'sleep 1000 & wait' >/dev/null 3>&-
  top_lines() { [[ $(dk top dk-top 2>/dev/null | wc -l) == 3 ]]; }
  wait_until 50 top_lines
  # docker top runs the host's ps on the pids the runtime's `ps` reports: host pids.
  pid=$(dk inspect -f '{{.State.Pid}}' dk-top)
  dk_out top dk-top -o pid,args
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 3 ]
  [ "$(awk '{$1 = $1}; 1' <<<"${lines[0]}")" = "PID COMMAND" ]
  [ "$(awk '{$1 = $1}; 1' <<<"${lines[1]}")" = "$pid sh -c sleep 1000 & wait" ]
  [[ "$(awk '{$1 = $1}; 1' <<<"${lines[2]}")" =~ ^[0-9]+\ sleep\ 1000$ ]]
}

@test "docker stop: a process that handles SIGTERM exits at once, with its own status" {
  dk run -d "${DK_RUN_OPTS[@]}" --name dk-term "$DK_IMAGE" \
    sh -c 'trap "echo got TERM; exit 3" TERM; echo ready; sleep 1000 & wait' >/dev/null 3>&-
  wait_until 50 dk_logs_equal dk-term ready
  timed dk_out stop -t 20 dk-term
  [ "$status" -eq 0 ]
  [ "$output" = dk-term ]
  ((elapsed < 50))
  [ "$(dk_state dk-term)" = exited ]
  [ "$(dk inspect -f '{{.State.ExitCode}}' dk-term)" = 3 ]
  dk_out logs dk-term
  [ "$output" = $'ready\ngot TERM' ]
}

@test "docker stop -t 2: a process that ignores SIGTERM is killed after the timeout" {
  dk run -d "${DK_RUN_OPTS[@]}" --name dk-noterm "$DK_IMAGE" sleep 1000 >/dev/null 3>&-
  pid=$(dk inspect -f '{{.State.Pid}}' dk-noterm)
  timed dk_out stop -t 2 dk-noterm
  [ "$status" -eq 0 ]
  [ "$output" = dk-noterm ]
  ((elapsed >= 20 && elapsed < 80))
  [ "$(dk_state dk-noterm)" = exited ]
  [ "$(dk inspect -f '{{.State.ExitCode}}' dk-noterm)" = 137 ]
  [ ! -e "/proc/$pid" ] || [ "$(awk '{print $3}' "/proc/$pid/stat")" = Z ]
}

@test "docker kill -s: the signal reaches the container's process" {
  dk run -d "${DK_RUN_OPTS[@]}" --name dk-kill "$DK_IMAGE" \
    sh -c 'trap "echo got USR1" USR1; echo ready; while :; do sleep 0.1; done' >/dev/null 3>&-
  wait_until 50 dk_logs_equal dk-kill ready
  dk_out kill -s USR1 dk-kill
  [ "$status" -eq 0 ]
  [ "$output" = dk-kill ]
  wait_until 50 dk_logs_equal dk-kill $'ready\ngot USR1'
  [ "$(dk_state dk-kill)" = running ]
  dk_out kill dk-kill
  [ "$status" -eq 0 ]
  dk_wait_state dk-kill exited
  [ "$(dk inspect -f '{{.State.ExitCode}}' dk-kill)" = 137 ]
}

@test "docker pause, unpause" {
  dk_out run -d "${DK_RUN_OPTS[@]}" --name dk-pause "$DK_IMAGE" sh -c 'while :; do echo tick > /tmp/t; sleep 0.1; done'
  [ "$status" -eq 0 ]
  id=$output
  pid=$(dk inspect -f '{{.State.Pid}}' dk-pause)
  dk_out pause dk-pause
  [ "$status" -eq 0 ]
  [ "$output" = dk-pause ]
  [ "$(dk_state dk-pause)" = paused ]
  [ "$("$RUNTIME" --root "$DK_RT_ROOT" state "$id" | jq -r .status)" = paused ]
  [ "$(cat "$(cgroup_dir "$pid" freezer)/freezer.state")" = FROZEN ]

  dk_out unpause dk-pause
  [ "$status" -eq 0 ]
  [ "$output" = dk-pause ]
  [ "$(dk_state dk-pause)" = running ]
  [ "$("$RUNTIME" --root "$DK_RT_ROOT" state "$id" | jq -r .status)" = running ]
  [ "$(cat "$(cgroup_dir "$pid" freezer)/freezer.state")" = THAWED ]
  dk_out exec dk-pause echo alive
  [ "$status" -eq 0 ]
  [ "$output" = alive ]
}

@test "docker rm -f: a running container, its process and the runtime's state are gone" {
  dk_out run -d "${DK_RUN_OPTS[@]}" --name dk-rmf "$DK_IMAGE" sleep 1000
  id=$output
  pid=$(dk inspect -f '{{.State.Pid}}' dk-rmf)
  [ -d "$DK_RT_ROOT/$id" ]
  dk_out rm -f dk-rmf
  [ "$status" -eq 0 ]
  [ "$output" = dk-rmf ]
  dk_out ps -a -q
  [ "$output" = "" ]
  [ ! -e "/proc/$pid" ] || [ "$(awk '{print $3}' "/proc/$pid/stat")" = Z ]
  [ ! -e "$DK_RT_ROOT/$id" ]
  [ ! -e "/sys/fs/cgroup/memory/$DK_CGPARENT/$id" ]
}

@test "docker rm -f: a paused container" {
  dk_out run -d "${DK_RUN_OPTS[@]}" --name dk-rmp "$DK_IMAGE" sleep 1000
  id=$output
  pid=$(dk inspect -f '{{.State.Pid}}' dk-rmp)
  dk pause dk-rmp >/dev/null 3>&-
  dk_wait_state dk-rmp paused
  dk_out rm -f dk-rmp
  [ "$status" -eq 0 ]
  [ "$output" = dk-rmp ]
  dk_out ps -a -q
  [ "$output" = "" ]
  [ ! -e "/proc/$pid" ] || [ "$(awk '{print $3}' "/proc/$pid/stat")" = Z ]
  [ ! -e "$DK_RT_ROOT/$id" ]
}

@test "docker start: a stopped container runs again under the same id" {
  dk_out run -d "${DK_RUN_OPTS[@]}" --name dk-again "$DK_IMAGE" sh -c 'echo run; sleep 1000'
  id=$output
  dk stop -t 0 dk-again >/dev/null 3>&-
  dk_wait_state dk-again exited
  dk_out start dk-again
  [ "$status" -eq 0 ]
  [ "$output" = dk-again ]
  [ "$(dk_state dk-again)" = running ]
  [ "$("$RUNTIME" --root "$DK_RT_ROOT" state "$id" | jq -r .status)" = running ]
  wait_until 50 dk_logs_equal dk-again $'run\nrun'
  dk_out exec dk-again echo alive
  [ "$output" = alive ]
}

@test "docker stop then rm: an exited container is removed" {
  dk run -d "${DK_RUN_OPTS[@]}" --name dk-stoprm "$DK_IMAGE" sleep 1000 >/dev/null 3>&-
  dk_out stop -t 0 dk-stoprm
  [ "$status" -eq 0 ]
  dk_out rm dk-stoprm
  [ "$status" -eq 0 ]
  [ "$output" = dk-stoprm ]
  dk_out ps -a -q
  [ "$output" = "" ]
  [ "$(runtime_state_names)" = "" ]
}

@test "docker run --user 1000 and --user 1000:2000" {
  dk_out run --rm "${DK_RUN_OPTS[@]}" --user 1000 "$DK_IMAGE" id
  [ "$status" -eq 0 ]
  [ "$output" = "uid=1000(user) gid=1000(user) groups=1000(user)" ]
  dk_out run --rm "${DK_RUN_OPTS[@]}" --user 1000:2000 "$DK_IMAGE" sh -c 'id -u; id -g'
  [ "$status" -eq 0 ]
  [ "$output" = $'1000\n2000' ]
}

@test "docker run -v: a bind mount, read-write and read-only" {
  mkdir -p "$T/vol"
  echo "from host" >"$T/vol/in"
  dk_out run --rm "${DK_RUN_OPTS[@]}" -v "$T/vol:/data" "$DK_IMAGE" \
    sh -c 'cat /data/in; echo from container > /data/out'
  [ "$status" -eq 0 ]
  [ "$output" = "from host" ]
  [ "$(cat "$T/vol/out")" = "from container" ]
  [ "$(stat -c %u:%g "$T/vol/out")" = 0:0 ]

  dk_out run --rm "${DK_RUN_OPTS[@]}" -v "$T/vol:/data:ro" "$DK_IMAGE" \
    sh -c 'cat /data/in; echo x > /data/out2 || echo refused'
  [ "$status" -eq 0 ]
  [ "$output" = $'from host\nrefused' ]
  [[ "$errout" == *"Read-only file system"* ]]
  [ ! -e "$T/vol/out2" ]
}

@test "docker run --read-only, --cap-add, --security-opt no-new-privileges" {
  dk_out run --rm "${DK_RUN_OPTS[@]}" --read-only "$DK_IMAGE" sh -c 'touch /x 2>&1; echo rc=$?'
  [ "$status" -eq 0 ]
  [ "$output" = $'touch: /x: Read-only file system\nrc=1' ]
  # Docker's default set: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
  # NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP.
  dk_out run --rm "${DK_RUN_OPTS[@]}" "$DK_IMAGE" grep -E '^(CapEff|NoNewPrivs)' /proc/self/status
  [ "$status" -eq 0 ]
  [ "$output" = $'CapEff:\t00000000a80425fb\nNoNewPrivs:\t0' ]
  dk_out run --rm "${DK_RUN_OPTS[@]}" --cap-add NET_ADMIN --security-opt no-new-privileges "$DK_IMAGE" \
    grep -E '^(CapEff|NoNewPrivs)' /proc/self/status
  [ "$status" -eq 0 ]
  [ "$output" = $'CapEff:\t00000000a80435fb\nNoNewPrivs:\t1' ]
}

@test "docker run: a missing command fails with docker's not-found status" {
  # The docker CLI gives 127 only when the error text has "executable file not found" or
  # "no such file or directory" (case-sensitive, as runc and Go spell errno texts), else 125.
  dk_out run --rm "${DK_RUN_OPTS[@]}" --name dk-missing "$DK_IMAGE" /no/such/binary
  [ "$status" -eq 127 ]
  [[ "$errout" == *'"/no/such/binary"'* ]]
  dk_out run --rm "${DK_RUN_OPTS[@]}" --name dk-missing "$DK_IMAGE" no-such-command
  [ "$status" -eq 127 ]
  [[ "$errout" == *'"no-such-command": executable file not found in $PATH'* ]]
  dk_out ps -a -q
  [ "$output" = "" ]
  [ "$(runtime_state_names)" = "" ]
}

@test "docker run: a command that cannot be executed fails with docker's status 126" {
  # 126 when the error text has "permission denied" (case-sensitive), or when the container's
  # process exits 126.
  dk_out run --rm "${DK_RUN_OPTS[@]}" --name dk-noexec "$DK_IMAGE" /etc/passwd
  [ "$status" -eq 126 ]
  # Refused by the runtime's create (so by the daemon), not a container that ran and failed.
  [[ "$errout" == *'OCI runtime create failed'*'"/etc/passwd"'*'permission denied'* ]]
  dk_out ps -a -q
  [ "$output" = "" ]
  [ "$(runtime_state_names)" = "" ]
}

@test "docker save archives load into berth, and berth save archives load into docker" {
  local berth=("$BERTH_BUILD/bin/berth" --data-root "$T/berth-data" --exec-root "$T/berth-exec" --config "$T/berth-client")
  dk save -o "$T/from-docker.tar" "$DK_IMAGE"
  run "${berth[@]}" load -i "$T/from-docker.tar"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == "Loaded image: $DK_IMAGE" ]]
  dk_id=$(dk image inspect -f '{{.Id}}' "$DK_IMAGE")
  [ "$("${berth[@]}" image inspect --format '{{.Id}}' "$DK_IMAGE")" == "$dk_id" ]

  "${berth[@]}" tag "$DK_IMAGE" berth-made:2
  "${berth[@]}" save -o "$T/from-berth.tar" berth-made:2
  run dk load -i "$T/from-berth.tar"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Loaded image: berth-made:2"* ]]
  [ "$(dk image inspect -f '{{.Id}}' berth-made:2)" == "$dk_id" ]
  dk_out run --rm "${DK_RUN_OPTS[@]}" berth-made:2 echo loaded from berth
  [ "$output" = "loaded from berth" ]
  dk rmi berth-made:2 >/dev/null
  run "${berth[@]}" image check
  [ "$status" -eq 0 ]
}
