#!/usr/bin/env bats
# New namespaces differ from the host's; absent ones are shared; joining a namespace by path.

load helpers

setup_file() { it_setup_file; }
teardown_file() { it_teardown_file; }
setup() { it_setup; }
teardown() { it_teardown; }

@test "each namespace of the spec is new" {
  edit_config '.linux.namespaces += [{type: "cgroup"}]'
  run_probe ns
  [ "$status" -eq 0 ]
  for ns in pid mnt net uts ipc cgroup; do
    [ "$(value "ns_$ns")" != "$(host_ns self "$ns")" ] || { echo "ns $ns is the host's"; false; }
  done
  # No user namespace asked for: the host's.
  [ "$(value ns_user)" = "$(host_ns self user)" ]
}

@test "a namespace left out of the spec is the host's" {
  edit_config '.linux.namespaces |= map(select(.type != "network" and .type != "ipc"))'
  run_probe ns
  [ "$status" -eq 0 ]
  [ "$(value ns_net)" = "$(host_ns self net)" ]
  [ "$(value ns_ipc)" = "$(host_ns self ipc)" ]
  [ "$(value ns_uts)" != "$(host_ns self uts)" ]
}

@test "time namespace" {
  skip_if_runc "runc 1.1.5 does not know the time namespace"
  [ -e /proc/self/ns/time ] || skip "kernel without time namespaces"
  edit_config '.linux.namespaces += [{type: "time"}] | .linux.timeOffsets = {monotonic: {secs: 86400, nanosecs: 0}}'
  set_args sh -c 'cat /proc/self/timens_offsets'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  grep -Eq '^monotonic +86400 +0$' <<<"$output"
  run_probe ns
  [ "$(value ns_time)" != "$(host_ns self time)" ]
}

@test "a new network namespace has only lo, down" {
  set_args ip -o link
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "${lines[0]}" == "1: lo:"* ]]
}

@test "join net, ipc and uts namespaces of another container by path" {
  edit_config '.hostname = "first"'
  start_sleeper "$CID-a"
  apid=$PID
  edit_config --arg n "/proc/$apid/ns/net" --arg i "/proc/$apid/ns/ipc" --arg u "/proc/$apid/ns/uts" '
    .linux.namespaces |= map(
      if .type == "network" then .path = $n
      elif .type == "ipc" then .path = $i
      elif .type == "uts" then .path = $u
      else . end) | del(.hostname)'
  run_probe ns
  [ "$status" -eq 0 ]
  [ "$(value ns_net)" = "$(host_ns "$apid" net)" ]
  [ "$(value ns_ipc)" = "$(host_ns "$apid" ipc)" ]
  [ "$(value ns_uts)" = "$(host_ns "$apid" uts)" ]
  # The others are still new.
  [ "$(value ns_pid)" != "$(host_ns "$apid" pid)" ]
  [ "$(value ns_mnt)" != "$(host_ns "$apid" mnt)" ]
  run_probe hostname
  [ "$(value hostname)" = first ]
}

@test "join the pid namespace of another container: it sees the other's processes" {
  start_sleeper "$CID-a"
  apid=$PID
  edit_config --arg p "/proc/$apid/ns/pid" '.linux.namespaces |= map(if .type == "pid" then .path = $p else . end)'
  set_args ps -o pid,args
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  grep -Eq '^ *1 +probe sleep 1000$' <<<"$output"
}

@test "joining a namespace path that does not exist fails and leaves nothing" {
  edit_config '.linux.namespaces |= map(if .type == "network" then .path = "/proc/999999999/ns/net" else . end)'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  [ ! -e "$RT_ROOT/$CID" ]
  rt list -q
  [ "$output" = "" ]
}

@test "a namespace path of the wrong type is refused" {
  start_sleeper "$CID-a"
  edit_config --arg p "/proc/$PID/ns/ipc" '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  [ ! -e "$RT_ROOT/$CID" ]
}

@test "exec joins every namespace of the container, including a user namespace" {
  edit_config '.linux.namespaces += [{type: "user"}, {type: "cgroup"}]
    | .linux.uidMappings = [{containerID: 0, hostID: 300000, size: 65536}]
    | .linux.gidMappings = [{containerID: 0, hostID: 300000, size: 65536}]'
  chown -R 300000:300000 "$BUNDLE/rootfs"
  start_sleeper
  rt exec "$CID" probe ns
  [ "$status" -eq 0 ]
  for ns in pid mnt net uts ipc user cgroup; do
    [ "$(value "ns_$ns")" = "$(host_ns "$PID" "$ns")" ] || { echo "ns $ns differs"; false; }
  done
}

@test "without a mount namespace the process is chrooted and no mount reaches the host" {
  edit_config '.linux.namespaces = [.linux.namespaces[] | select(.type != "mount")]
    | .linux.maskedPaths = [] | .linux.readonlyPaths = []'
  set_args ls /
  mounts_before=$(wc -l </proc/self/mountinfo)
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  # The rootfs is its root (the host's /work is not in it), and nothing was mounted on the host.
  grep -qx bin <<<"$output"
  ! grep -qx work <<<"$output"
  [ "$(wc -l </proc/self/mountinfo)" -eq "$mounts_before" ]
}

@test "a container without /proc still starts (the exec fifo is reopened through the host's /proc)" {
  edit_config '.mounts = [.mounts[] | select(.destination != "/proc")]
    | .linux.maskedPaths = [] | .linux.readonlyPaths = []'
  set_args sh -c 'ls /proc | wc -l'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = 0 ]
}
