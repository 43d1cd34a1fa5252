#!/usr/bin/env bats
# `berth run` flags, each checked from inside the container it makes (busybox-static image made
# offline with `berth import`).

load helpers
load peers
load registry
load containers

setup_file() { ct_setup_file; }
teardown_file() { ct_teardown_file; }
setup() { ct_setup; }
teardown() { ct_teardown; }

r() { berth run --rm "$@"; }

@test "process: -e, --env-file, -w, --entrypoint, -h, --group-add, --label" {
  printf 'FROM_FILE=1\n# comment\n' >"$TDIR/env"
  [ "$(r -e A=b --env-file "$TDIR/env" bb sh -c 'echo $A$FROM_FILE')" = b1 ]
  [ "$(r -w /tmp bb sh -c pwd)" = /tmp ]
  [ "$(r --entrypoint echo bb hi there)" = "hi there" ]
  [ "$(r -h box.example bb hostname)" = box.example ]
  [ "$(r -u 1000 --group-add 65534 bb id -G)" = "1000 65534" ]
  berth create --name labelled --label team=db bb true >/dev/null
  [ "$(berth inspect -f '{{index .Config.Labels "team"}}' labelled)" = db ]
}

@test "filesystem: --read-only, --tmpfs, --mount bind/volume/tmpfs, --shm-size" {
  run r --read-only bb touch /x
  [ "$status" -ne 0 ]
  [[ "$output" == *"Read-only file system"* ]]
  [ "$(r --read-only --tmpfs /scratch bb sh -c 'touch /scratch/x && echo ok')" = ok ]
  mkdir -p "$TDIR/m"
  r --mount "type=bind,source=$TDIR/m,target=/m" bb sh -c 'echo bound > /m/f'
  [ "$(cat "$TDIR/m/f")" = bound ]
  r --mount type=volume,source=mv,target=/v bb sh -c 'echo kept > /v/f'
  [ "$(r --mount type=volume,source=mv,target=/v,readonly bb cat /v/f)" = kept ]
  [[ "$(r --mount type=tmpfs,target=/t,tmpfs-size=1048576 bb grep ' /t ' /proc/mounts)" == *size=1024k* ]]
  [[ "$(r --shm-size 8m bb grep ' /dev/shm ' /proc/mounts)" == *size=8192k* ]]
}

@test "security: --cap-add, --cap-drop, no-new-privileges, seccomp=unconfined, --privileged devices" {
  caps() { r "$@" bb sh -c 'grep CapEff /proc/self/status' | awk '{print $2}'; }
  [ "$(caps --cap-drop ALL)" = 0000000000000000 ]
  [ "$(caps --cap-drop ALL --cap-add NET_ADMIN)" = 0000000000001000 ]
  [ "$(r --security-opt no-new-privileges bb grep NoNewPrivs /proc/self/status | awk '{print $2}')" = 1 ]
  [ "$(r bb grep Seccomp: /proc/self/status | awk '{print $2}')" = 2 ]
  [ "$(r --security-opt seccomp=unconfined bb grep Seccomp: /proc/self/status | awk '{print $2}')" = 0 ]
  [ "$(r bb sh -c 'ls /dev | wc -l')" -lt "$(r --privileged bb sh -c 'ls /dev | wc -l')" ]
  [ "$(r --device /dev/zero:/dev/myzero bb sh -c 'head -c 3 /dev/myzero | wc -c')" = 3 ]
}

@test "resources: --memory, --pids-limit, --cpus, --cpu-shares, --ulimit, --sysctl" {
  berth run -d --name lim --memory 64m --pids-limit 50 --cpus 0.5 --cpu-shares 512 bb sleep 1000 >/dev/null
  id=$(berth inspect -f '{{.Id}}' lim)
  [ "$(cat /sys/fs/cgroup/memory/berth/"$id"/memory.limit_in_bytes)" = $((64 * 1024 * 1024)) ]
  [ "$(cat /sys/fs/cgroup/pids/berth/"$id"/pids.max)" = 50 ]
  [ "$(cat /sys/fs/cgroup/cpu/berth/"$id"/cpu.shares)" = 512 ]
  [ "$(cat /sys/fs/cgroup/cpu/berth/"$id"/cpu.cfs_quota_us)" = 50000 ]
  [ "$(r --ulimit nofile=1024:2048 bb sh -c 'ulimit -n')" = 1024 ]
  [ "$(r --sysctl net.ipv4.ip_forward=1 bb cat /proc/sys/net/ipv4/ip_forward)" = 1 ]
}

@test "namespaces: --pid host, --ipc host, --uts host, --network none, --init" {
  [ "$(r --pid host bb sh -c 'test -d /proc/1 && cat /proc/1/comm')" = "$(cat /proc/1/comm)" ]
  [ "$(r --ipc host bb readlink /proc/self/ns/ipc)" = "$(readlink /proc/self/ns/ipc)" ]
  [ "$(r --uts host bb hostname)" = "$(hostname)" ]
  [ "$(r --network none bb sh -c 'cat /proc/net/dev | wc -l')" -eq 3 ]
  [ "$(r --init bb cat /proc/1/cmdline | tr '\0' ' ')" = "/sbin/docker-init -- sh " ] ||
    [ "$(r --init bb sh -c 'cat /proc/1/comm')" = docker-init ]
}

@test "stop: --stop-signal and --stop-timeout are the container's defaults" {
  berth run -d --name sig --stop-signal USR1 bb sh -c 'trap "exit 11" USR1; while true; do sleep 0.1; done' >/dev/null
  berth stop sig >/dev/null
  [ "$(berth inspect -f '{{.State.ExitCode}}' sig)" = 11 ]
  berth run -d --name slow --stop-timeout 1 bb sh -c 'trap "" TERM; while true; do sleep 0.1; done' >/dev/null
  berth stop slow >/dev/null
  [ "$(berth inspect -f '{{.State.ExitCode}}' slow)" = 137 ]
}

@test "start -a, attach and a terminal with -t" {
  berth create --name later bb sh -c 'echo from-later; exit 6' >/dev/null
  run berth start -a later
  [ "$status" -eq 6 ]
  [ "$output" = from-later ]
  berth run -d -i --name cat bb cat >/dev/null
  # attach sends our stdin to the container and its output back. The container's stdin stays
  # open after ours closes (it was not made with StdinOnce), so attach waits: it is killed.
  (echo through-attach; sleep 2) | timeout -s KILL 5 "$BERTH" $(berth_flags) attach cat \
    >"$TDIR/attached" || true
  [ "$(cat "$TDIR/attached")" = through-attach ]
  [ "$(berth logs cat)" = through-attach ]
  # A terminal: the container's stdin is a tty, through a pty made by python.
  run python3 -c '
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b""
while True:
    try:
        data = os.read(fd, 1024)
    except OSError:
        break
    if not data:
        break
    out += data
print(out.decode(errors="replace"))
' "$BERTH" $(berth_flags) run --rm -t bb sh -c 'test -t 0 && echo is-a-tty'
  echo "$output"
  [[ "$output" == *is-a-tty* ]]
}

@test "--memory: a container the kernel's OOM killer ends shows OOMKilled and 137" {
  run berth run --name hog --memory 8m --memory-swap 8m bb sh -c 'a=xxxxxxxxxxxxxxxx; while true; do a=$a$a; done'
  [ "$status" -eq 137 ]
  [ "$(berth inspect -f '{{.State.ExitCode}} {{.State.OOMKilled}}' hog)" = "137 true" ]
  berth run --name fine --memory 64m bb true
  [ "$(berth inspect -f '{{.State.OOMKilled}}' fine)" = false ]
}
