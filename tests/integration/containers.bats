#!/usr/bin/env bats
# berth's container verbs (run, ps, exec, stop, rm, ...) against the real kernel, on an image
# made offline with `berth import` from busybox-static.

load helpers
load peers
load registry
load containers

bats_require_minimum_version 1.5.0

setup_file() { ct_setup_file; }
teardown_file() { ct_teardown_file; }
setup() { ct_setup; }
teardown() { ct_teardown; }

# field_is NAME TEMPLATE VALUE: for wait_until, which runs its command again each time.
field_is() { [ "$(berth inspect -f "$2" "$1")" = "$3" ]; }
field_at_least() { [ "$(berth inspect -f "$2" "$1")" -ge "$3" ]; }

nothing_left_of() {
  local id=$1
  [ ! -e "$TDIR/exec/containers/$id" ]
  [ ! -e "$TDIR/exec/runtime/$id" ]
  ! grep -q "$id" /proc/self/mountinfo
  ! ls -d /sys/fs/cgroup/*/berth/"$id" 2>/dev/null
}

@test "run --rm: the command's output and exit code, and nothing left behind" {
  run berth run --rm bb sh -c 'echo out; echo err >&2; exit 7'
  [ "$status" -eq 7 ]
  [[ "$output" == *out* && "$output" == *err* ]]
  run berth ps -aq
  [ -z "$output" ]
  [ -z "$(ls "$TDIR/exec/containers" 2>/dev/null)" ]
  [ -z "$(ls "$TDIR/data/snapshots" | grep -v '^\.')" ]
  ! grep -q "$TDIR" /proc/self/mountinfo
}

@test "run: Docker's exit codes for berth's own errors and for commands that cannot run" {
  run -127 berth run --rm bb no-such-command
  [[ "$output" == *no-such-command* ]]
  run -126 berth run --rm bb /etc/passwd
  [[ "$output" == *"permission denied"* ]]
  [ -z "$(berth ps -aq)" ]
  run berth run --rm --memory 12x bb true
  [ "$status" -eq 125 ]
  [[ "$output" == *"--memory"* ]]
  run berth run --rm
  [ "$status" -eq 125 ]
  run berth run --rm bb sh -c 'sleep 10 & kill -9 $!; wait $!'
  [ "$status" -eq 137 ]
}

# exec_in_background NAME: runs `berth exec NAME sleep 30` in the background until its command
# shows in the container. Sets EXEC_PID to that berth's pid (the process the container sees).
exec_in_background() {
  # shellcheck disable=SC2046
  "$BERTH" $(berth_flags) exec "$1" sleep 30 >/dev/null 2>&1 3>&- &
  EXEC_PID=$!
  wait_until 50 shows_sleep_30 "$1"
}
shows_sleep_30() { berth top "$1" | awk '$NF == 30' | grep -q .; }

@test "CVE-2019-5736: the monitor and exec's berth run from read-only mounts of their binaries" {
  berth run -d --name svc --privileged bb sleep 1000
  id=$(berth inspect -f '{{.Id}}' svc)
  pid=$(berth inspect -f '{{.State.Pid}}' svc)
  monitor=$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status")
  # Every container process starts as a fork of the monitor: what it runs is what they reach.
  grep -q "^berth-monitor.*$id" <(tr '\0' ' ' <"/proc/$monitor/cmdline")
  cmp -s "/proc/$monitor/exe" "$BERTH_BUILD/bin/berth-monitor"
  on_readonly_mount "/proc/$monitor/exe"
  # exec's process is a fork of this berth, seen in the container before it execs the command;
  # with CAP_SYS_PTRACE the container could open its exe: berth runs again from a read-only mount.
  exec_in_background svc
  cmp -s "/proc/$EXEC_PID/exe" "$BERTH_BUILD/bin/berth"
  on_readonly_mount "/proc/$EXEC_PID/exe"
  berth rm -f svc >/dev/null
  wait "$EXEC_PID" || true

  # Without CAP_SYS_PTRACE in the container the process cannot be traced: it execs through the
  # stub, which is what a command re-executing /proc/self/exe finds.
  berth run -d --name plain bb sleep 1000
  run -126 berth exec plain /proc/self/exe --version
  [[ "$output" == "berth-runtime-exec: usage: "* ]]
  # A process exec'd with every capability could trace later ones: they run berth read-only.
  berth exec -d --privileged plain sleep 1000
  exec_in_background plain
  on_readonly_mount "/proc/$EXEC_PID/exe"
  berth rm -f plain >/dev/null
  wait "$EXEC_PID" || true
}

@test "run -d: a service with --network host, seen by ps, exec, top and inspect, stopped and removed" {
  run berth run -d --name svc --network host bb sh -c 'echo started; exec sleep 1000'
  [ "$status" -eq 0 ]
  id=$output
  [[ $id =~ ^[0-9a-f]{64}$ ]]
  run berth ps --format '{{.Names}} {{.State}} {{.Image}}'
  [ "$output" = "svc running bb" ]
  # The service is PID 1 of its pid namespace.
  run berth exec svc ps -ef
  [ "$status" -eq 0 ]
  echo "$output"
  [[ "$(echo "$output" | awk '$1 == 1 {print $3}')" == "sleep" ]]
  # top shows it from the host: the pid inspect reports.
  pid=$(berth inspect -f '{{.State.Pid}}' svc)
  run berth top svc
  echo "$output"
  [[ "${lines[0]}" == *PID* ]]
  echo "$output" | awk 'NR > 1 {print $2}' | grep -qx "$pid"
  # --network host: the host's interfaces.
  [ "$(berth exec svc cat /proc/net/dev | wc -l)" -eq "$(wc -l </proc/net/dev)" ]
  grep -q '"log":"started\\n","stream":"stdout"' "$TDIR/data/containers/$id/$id-json.log"
  run berth stop -t 1 svc
  [ "$status" -eq 0 ]
  [ "$(berth inspect -f '{{.State.Status}}' svc)" = exited ]
  run berth rm svc
  [ "$status" -eq 0 ]
  nothing_left_of "$id"
  run berth inspect svc
  [ "$status" -eq 1 ]
  [[ "$output" == *"No such object: svc"* ]]
}

@test "run: -u with numbers and names, --privileged with every capability, default caps as Docker's" {
  [ "$(berth run --rm -u 1000 bb id -u)" = 1000 ]
  [ "$(berth run --rm -u user bb id -un)" = user ]
  [ "$(berth run --rm -u 1000:1000 bb id -g)" = 1000 ]
  run berth run --rm -u nobody-here bb true
  [ "$status" -ne 0 ]
  [[ "$output" == *"unable to find user nobody-here"* ]]
  [ "$(berth run --rm bb sh -c 'grep CapEff /proc/self/status' | awk '{print $2}')" = 00000000a80425fb ]
  host=$(awk '/CapBnd/ {print $2}' /proc/self/status)
  [ "$(berth run --rm --privileged bb sh -c 'grep CapEff /proc/self/status' | awk '{print $2}')" = "$host" ]
}

@test "stop: the stop signal, then SIGKILL after the timeout; a stopped container starts again" {
  berth run -d --name trap bb sh -c 'trap "exit 42" TERM; while true; do sleep 0.1; done' >/dev/null
  run berth stop trap
  [ "$status" -eq 0 ]
  [ "$(berth inspect -f '{{.State.ExitCode}}' trap)" = 42 ]
  berth run -d --name stubborn bb sh -c 'trap "" TERM; while true; do sleep 0.1; done' >/dev/null
  run berth stop -t 1 stubborn
  [ "$(berth inspect -f '{{.State.ExitCode}}' stubborn)" = 137 ]
  run berth start stubborn
  [ "$status" -eq 0 ]
  [ "$(berth inspect -f '{{.State.Status}}' stubborn)" = running ]
  run berth restart -t 0 stubborn
  [ "$status" -eq 0 ]
  [ "$(berth inspect -f '{{.State.Status}}' stubborn)" = running ]
}

@test "kill, pause and unpause, rename and wait" {
  berth run -d --name kk bb sleep 1000 >/dev/null
  run berth pause kk
  [ "$status" -eq 0 ]
  [ "$(berth inspect -f "{{.State.Status}} {{.State.Paused}}" kk)" = "paused true" ]
  grep -q FROZEN /sys/fs/cgroup/freezer/berth/"$(berth inspect -f "{{.Id}}" kk)"/freezer.state
  run berth unpause kk
  [ "$(berth inspect -f "{{.State.Status}}" kk)" = running ]
  run berth rename kk k2
  [ "$status" -eq 0 ]
  [ "$(berth ps --format '{{.Names}}')" = k2 ]
  (sleep 0.5; berth kill -s KILL k2) &
  killer=$!
  run berth wait k2
  wait "$killer"
  [ "$status" -eq 0 ]
  [ "$output" = 137 ]
  berth run -d --name trapper bb sh -c 'trap "exit 9" USR1; while true; do sleep 0.1; done' >/dev/null
  run berth kill -s usr1 trapper
  [ "$status" -eq 0 ]
  [ "$(berth wait trapper)" = 9 ]
  run berth kill k2
  [ "$status" -eq 1 ]
  [[ "$output" == *"is not running"* ]]
}

@test "restart policies: on-failure:N is carried out by the monitor; a stop is never undone" {
  berth run -d --name flaky --restart on-failure:2 bb sh -c 'echo run; exit 3' >/dev/null
  wait_until 100 field_is flaky '{{.State.Status}}' exited
  [ "$(berth inspect -f '{{.RestartCount}} {{.State.ExitCode}}' flaky)" = "2 3" ]
  id=$(berth inspect -f '{{.Id}}' flaky)
  [ "$(grep -c '"log":"run' "$TDIR/data/containers/$id/$id-json.log")" -eq 3 ]
  berth run -d --name always --restart always bb sh -c 'sleep 0.2; exit 1' >/dev/null
  wait_until 100 field_at_least always '{{.RestartCount}}' 1
  run berth stop always
  [ "$status" -eq 0 ]
  sleep 0.5
  [ "$(berth inspect -f '{{.State.Status}}' always)" = exited ]
}

@test "state stays true after the monitor is killed and after the exec root is wiped" {
  berth run -d --name victim bb sleep 1000 >/dev/null
  id=$(berth inspect -f '{{.Id}}' victim)
  monitor=$(pgrep -f "berth-monitor $TDIR/exec/containers/$id")
  kill -9 "$monitor"
  run berth ps -a --format '{{.Names}} {{.State}}'
  [ "$output" = "victim exited" ]
  [ "$(berth inspect -f '{{.State.ExitCode}}' victim)" = 255 ]
  nothing_left_of "$id"
  # As after a reboot: every process gone and /run empty.
  run berth start victim
  [ "$status" -eq 0 ]
  kill_procs_mentioning "$TDIR/exec"
  pkill -9 -f "sleep 1000" || true
  rm -rf "$TDIR/exec"
  [ "$(berth inspect -f '{{.State.Status}}' victim)" = exited ]
  run berth start victim
  [ "$status" -eq 0 ]
  [ "$(berth inspect -f '{{.State.Status}}' victim)" = running ]
  run berth rm -f victim
  [ "$status" -eq 0 ]
  nothing_left_of "$id"
}

@test "twenty run -d at once all start, with twenty different names" {
  pids=()
  for i in $(seq 20); do
    berth run -d bb sleep 1000 >"$TDIR/out.$i" 2>&1 &
    pids+=($!)
  done
  wait "${pids[@]}"
  cat "$TDIR"/out.*
  [ "$(berth ps -q | wc -l)" -eq 20 ]
  [ "$(berth ps --format '{{.Names}}' | sort -u | wc -l)" -eq 20 ]
  run berth rm -f $(berth ps -q)
  [ "$status" -eq 0 ]
  [ -z "$(berth ps -aq)" ]
}

@test "ps: -a, -q, -n, --filter and --format with Docker's fields" {
  berth create --name made --label tier=db bb true >/dev/null
  berth run --name done bb sh -c 'exit 4' || true
  berth run -d --name up bb sleep 1000 >/dev/null
  [ "$(berth ps --format '{{.Names}}')" = up ]
  [ "$(berth ps -a --format '{{.Names}}' | sort | tr '\n' ' ')" = "done made up " ]
  [ "$(berth ps -a -n 1 --format '{{.Names}}')" = up ]
  [ "$(berth ps -a --filter status=created --format '{{.Names}}')" = made ]
  [[ "$(berth ps -a --filter exited=4 --format '{{.Names}} {{.Status}}')" == "done Exited (4) "*" ago" ]]
  [ "$(berth ps -a --filter label=tier=db -q)" = "$(berth inspect -f '{{.Id}}' made | cut -c1-12)" ]
  run berth ps
  [[ "${lines[0]}" == "CONTAINER ID"*"IMAGE"*"COMMAND"*"CREATED"*"STATUS"*"PORTS"*"NAMES" ]]
  run berth ps --filter bogus=1
  [ "$status" -ne 0 ]
  run berth container prune -f
  [ "$status" -eq 0 ]
  [ "$(berth ps -a --format '{{.Names}}')" = up ]
}

@test "inspect: Docker's shape" {
  berth run -d --name shape --restart on-failure:3 -e A=1 bb sleep 1000 >/dev/null
  run berth inspect shape
  [ "$status" -eq 0 ]
  echo "$output" | jq -e '.[0] | .Name == "/shape" and .Config.Image == "bb"
    and .HostConfig.RestartPolicy.Name == "on-failure" and .State.Running == true
    and (.Config.Env | index("A=1")) != null and .Path == "sleep" and .Args == ["1000"]
    and (.State | has("MonitorPid") | not)'
  [ "$(berth container inspect -f '{{.State.Status}}' shape)" = running ]
}

@test "exec: -u, -e, -w, -d, --privileged, an exit code, and a stopped container refused" {
  berth run -d --name ex -w /tmp bb sleep 1000 >/dev/null
  [ "$(berth exec ex sh -c pwd)" = /tmp ]
  [ "$(berth exec -w / ex sh -c pwd)" = / ]
  [ "$(berth exec -u 1000 ex id -u)" = 1000 ]
  [ "$(berth exec -e X=y ex sh -c 'echo $X')" = y ]
  run berth exec ex sh -c 'exit 5'
  [ "$status" -eq 5 ]
  run berth exec -d ex sh -c 'echo detached > /tmp/d'
  [ "$status" -eq 0 ]
  wait_until 50 berth exec ex test -f /tmp/d
  # --privileged: every capability berth holds, for that command only.
  [ "$(berth exec --privileged ex grep CapEff /proc/self/status)" = "$(grep CapEff /proc/self/status)" ]
  [ "$(berth exec ex grep CapEff /proc/self/status)" = "CapEff:	00000000a80425fb" ]
  berth stop -t 0 ex >/dev/null
  run berth exec ex true
  [ "$status" -ne 0 ]
  [[ "$output" == *"is not running"* ]]
}

@test "volumes: a bind mount, a named volume made with mount options, copy-up, anonymous volumes" {
  mkdir -p "$TDIR/bind"
  berth run --rm -v "$TDIR/bind:/b" bb sh -c 'echo from-container > /b/f'
  [ "$(cat "$TDIR/bind/f")" = from-container ]
  run berth run --rm -v "$TDIR/bind:/b:ro" bb sh -c 'echo x > /b/g'
  [ "$status" -ne 0 ]
  berth volume create --opt type=tmpfs --opt device=tmpfs --opt o=size=1m,uid=1000 tv >/dev/null
  run berth run --rm -v tv:/data bb sh -c 'grep " /data " /proc/mounts; stat -c %u /data'
  echo "$output"
  [[ "${lines[0]}" == "tmpfs /data tmpfs "*"size=1024k"*"uid=1000"* ]]
  [ "${lines[1]}" = 1000 ]
  # A new volume is filled from the image's files at its destination; a non-empty one is not.
  [ "$(berth run --rm -v etcvol:/etc bb cat /etc/group | head -1)" = "root:x:0:" ]
  berth run --rm -v etcvol:/etc bb sh -c 'echo mine > /etc/mine'
  [ "$(berth run --rm -v etcvol:/etc bb cat /etc/mine)" = mine ]
  run berth volume rm etcvol
  [ "$status" -eq 0 ]
  # Anonymous volumes: made at create, kept by rm, removed by rm -v.
  berth run -d --name anon -v /scratch bb sleep 1000 >/dev/null
  vol=$(berth inspect -f '{{range .Mounts}}{{.Name}}{{end}}' anon)
  [[ $vol =~ ^[0-9a-f]{64}$ ]]
  run berth volume rm "$vol"
  [ "$status" -ne 0 ]
  [[ "$output" == *"volume is in use"* ]]
  berth rm -f -v anon >/dev/null
  run berth volume inspect "$vol"
  [ "$status" -ne 0 ]
  ! grep -q "$TDIR" /proc/self/mountinfo
}

@test "logs: -f until the container ends, --tail, -t, and stderr kept apart" {
  berth run -d --name talker bb sh -c 'for i in 1 2 3; do echo out $i; echo err $i >&2; sleep 0.2; done' >/dev/null
  run timeout 20 "$BERTH" $(berth_flags) logs -f talker
  [ "$status" -eq 0 ]
  [[ "$output" == *"out 3"* && "$output" == *"err 3"* ]]
  [ "$(berth logs talker 2>/dev/null | tr '\n' ' ')" = "out 1 out 2 out 3 " ]
  [ "$(berth logs talker 2>&1 >/dev/null | tr '\n' ' ')" = "err 1 err 2 err 3 " ]
  # --tail counts the entries of both streams, as Docker's: the last two are out 3 and err 3.
  [ "$(berth logs --tail 2 talker 2>/dev/null)" = "out 3" ]
  [[ "$(berth logs -t --tail 2 talker 2>/dev/null)" =~ ^20[0-9-]+T[0-9:.]+Z\ out\ 3$ ]]
  berth run -d --name quiet --log-driver none bb echo x >/dev/null
  run berth logs quiet
  [ "$status" -ne 0 ]
  [[ "$output" == *"does not support reading"* ]]
}

@test "cp both ways and export, on a running and a stopped container" {
  berth run -d --name box bb sleep 1000 >/dev/null
  echo hello >"$TDIR/in.txt"
  berth cp "$TDIR/in.txt" box:/tmp/
  [ "$(berth exec box cat /tmp/in.txt)" = hello ]
  berth cp box:/etc/passwd "$TDIR/out.txt"
  grep -q '^user:x:1000' "$TDIR/out.txt"
  berth stop -t 0 box >/dev/null
  berth cp box:/tmp/in.txt "$TDIR/again.txt"
  [ "$(cat "$TDIR/again.txt")" = hello ]
  berth export -o "$TDIR/box.tar" box
  tar -tf "$TDIR/box.tar" | grep -qx './tmp/in.txt\|tmp/in.txt'
  ! grep -q "$TDIR" /proc/self/mountinfo
}

@test "stats --no-stream and a -i/stdin round trip through the monitor" {
  berth run -d --name busy bb sh -c 'while true; do :; done' >/dev/null
  run berth stats --no-stream --format '{{.Name}} {{.PIDs}} {{.CPUPerc}}' busy
  echo "$output"
  [[ "$output" =~ ^busy\ 1\ [0-9]+\.[0-9]{2}%$ ]]
  [ "$(echo piped | berth run --rm -i bb cat)" = piped ]
}

@test "rmi: an image a container was made from is kept unless forced" {
  berth create --name user-of-bb bb true >/dev/null
  run berth rmi bb
  [ "$status" -ne 0 ]
  [[ "$output" == *"conflict"* ]]
  run berth image prune -a -f
  berth image inspect bb >/dev/null
  berth rm user-of-bb >/dev/null
  run berth rmi bb
  [ "$status" -eq 0 ]
}

@test "kill -9 of run -d at any moment: the store stays consistent and every container can be removed" {
  local delay
  for delay in 0.001 0.003 0.005 0.008 0.01 0.013 0.016 0.02 0.025 0.03 0.04 0.06; do
    "$BERTH" $(berth_flags) run -d bb sleep 1000 >/dev/null 2>&1 &
    local pid=$!
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  # Every record reads back; a running one is really running, and each one goes with rm -f.
  run berth ps -a --format '{{.ID}} {{.State}}'
  [ "$status" -eq 0 ]
  echo "$output"
  local id state
  while read -r id state; do
    [[ $state == created || $state == running || $state == exited ]]
    if [[ $state == running ]]; then
      [ -d "/proc/$(berth inspect -f '{{.State.Pid}}' "$id")" ]
    fi
  done <<<"$output"
  run berth rm -f $(berth ps -aq)
  echo "rm -f: $status: $output"
  [ -z "$(berth ps -aq)" ]
  [ -z "$(ls "$TDIR/data/snapshots" | grep -v '^\.')" ]
  [ -z "$(ls "$TDIR/exec/containers" 2>/dev/null)" ]
  [ -z "$(ls "$TDIR/data/containers" 2>/dev/null)" ]
  ! grep -q "$TDIR" /proc/self/mountinfo
  pgrep -f "berth-monitor $TDIR" && return 1
  true
}

@test "system df and system prune; inspect finds volumes too" {
  berth volume create keepme >/dev/null
  [ "$(berth inspect -f '{{.Name}} {{.Driver}}' keepme)" = "keepme local" ]
  berth run -d --name up bb sleep 1000 >/dev/null
  berth run --name gone -v /anon bb sh -c 'dd if=/dev/zero of=/big bs=1k count=100 2>/dev/null'
  run berth system df
  echo "$output"
  [[ "${lines[0]}" == TYPE*TOTAL*ACTIVE*SIZE*RECLAIMABLE ]]
  [[ "${lines[1]}" =~ ^Images\ +1\ +1\  ]]
  [[ "${lines[2]}" =~ ^Containers\ +2\ +1\ +102kB\ +102kB\ \(100%\) ]]
  [[ "${lines[3]}" =~ ^Local\ Volumes\ +2\ +1\  ]]
  run berth system prune -f --volumes
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Deleted Containers:"* ]]
  [[ "$output" == *"Total reclaimed space: 102kB"* ]]
  [ "$(berth ps -a --format '{{.Names}}')" = up ]
  [ "$(berth volume ls -q)" = keepme ]
  berth image inspect bb >/dev/null
}

@test "logs --since and --until, exec -i" {
  berth run -d --name slowtalk bb sh -c 'echo early; sleep 2; echo late; sleep 1000' >/dev/null
  wait_until 100 sh -c "'$BERTH' $(berth_flags) logs slowtalk | grep -q late"
  [ "$(berth logs --since 1s slowtalk)" = late ]
  [ "$(berth logs --until 1s slowtalk)" = "early
late" ] || [ "$(berth logs --until 1s slowtalk)" = early ]
  [ "$(echo from-stdin | berth exec -i slowtalk cat)" = from-stdin ]
}
