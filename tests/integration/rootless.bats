#!/usr/bin/env bats
# The runtime run by an unprivileged user made for this file: lifecycle, exec, user namespace
# mappings (single id, and subordinate ranges through newuidmap/newgidmap), mounts, security
# settings, and cleanup.

load helpers

setup_file() { it_setup_file rootless; }
teardown_file() { it_teardown_file; }
setup() { it_setup; }
teardown() {
  it_teardown
  remove_delegated_cgroup
}

# Maps container 0 to the user and 1..65536 to its subordinate range.
map_range() {
  edit_config --argjson u "$IT_UID" --argjson g "$IT_GID" --argjson s "$IT_SUBID_START" '
    .linux.uidMappings = [{containerID: 0, hostID: $u, size: 1}, {containerID: 1, hostID: $s, size: 65536}]
    | .linux.gidMappings = [{containerID: 0, hostID: $g, size: 1}, {containerID: 1, hostID: $s, size: 65536}]'
}

@test "rootless: the test user is unprivileged and has a subordinate range" {
  [ "$IT_UID" -ne 0 ]
  run as_user id -u
  [ "$output" = "$IT_UID" ]
  grep -qx "$IT_USER:$IT_SUBID_START:65536" /etc/subuid
  grep -qx "$IT_USER:$IT_SUBID_START:65536" /etc/subgid
}

@test "rootless: run, and the process is root in its user namespace" {
  run_probe ids
  [ "$status" -eq 0 ]
  [ "$(value uid)" = 0 ]
  [ "$(value gid)" = 0 ]
  run_probe maps
  [ "$output" = "uid_map=0 $IT_UID 1
gid_map=0 $IT_GID 1" ]
}

@test "rootless: create, start, state, kill, delete" {
  set_args probe sleep 1000
  rt create --bundle "$BUNDLE" --pid-file "$TDIR/pid" "$CID"
  [ "$status" -eq 0 ]
  [ "$(state_field "$CID" status)" = created ]
  pid=$(cat "$TDIR/pid")
  [ "$(stat -c %u "/proc/$pid")" = "$IT_UID" ]
  rt start "$CID"
  [ "$status" -eq 0 ]
  [ "$(state_field "$CID" status)" = running ]
  rt kill "$CID" KILL
  wait_status "$CID" stopped
  rt delete "$CID"
  [ "$status" -eq 0 ]
  [ ! -e "$RT_ROOT/$CID" ]
  rt list -q
  [ "$output" = "" ]
}

@test "rootless: the state dir belongs to the user" {
  start_sleeper
  [ -d "$RT_ROOT/$CID" ]
  [ "$(stat -c %u "$RT_ROOT/$CID")" = "$IT_UID" ]
}

@test "rootless: the default root is under XDG_RUNTIME_DIR" {
  skip_if_runc "runc's default is \$XDG_RUNTIME_DIR/runc"
  set_args probe sleep 1000
  as_user "$RUNTIME" run -d --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1
  [ -d "$IT_XDG/berth-runtime/$CID" ]
  as_user "$RUNTIME" delete -f "$CID"
  [ ! -e "$IT_XDG/berth-runtime/$CID" ]
}

@test "rootless: exec" {
  start_sleeper
  rt exec "$CID" probe ns
  [ "$status" -eq 0 ]
  [ "$(value ns_user)" = "$(host_ns "$PID" user)" ]
  [ "$(value ns_user)" != "$(host_ns self user)" ]
  rt exec "$CID" sh -c 'exit 3'
  [ "$status" -eq 3 ]
}

@test "rootless: subordinate ranges through newuidmap and newgidmap" {
  map_range
  run_probe maps
  [ "$status" -eq 0 ]
  [ "$output" = "uid_map=0 $IT_UID 1
uid_map=1 $IT_SUBID_START 65536
gid_map=0 $IT_GID 1
gid_map=1 $IT_SUBID_START 65536" ]
}

@test "rootless: a container user of the range owns host files as its subordinate id" {
  map_range
  add_caps CAP_CHOWN
  set_args sh -c 'mkdir /tmp/u && chown 1000:1000 /tmp/u && touch /tmp/r'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "$(stat -c %u:%g "$BUNDLE/rootfs/tmp/u")" = "$((IT_SUBID_START + 999)):$((IT_SUBID_START + 999))" ]
  [ "$(stat -c %u:%g "$BUNDLE/rootfs/tmp/r")" = "$IT_UID:$IT_GID" ]
}

@test "rootless: exec --user of the range" {
  map_range
  start_sleeper
  rt exec --user 1000:1000 "$CID" probe ids
  [ "$status" -eq 0 ]
  [ "$(value uid)" = 1000 ]
  [ "$(value gid)" = 1000 ]
}

@test "rootless: a range the user was not given is refused" {
  edit_config --argjson u "$IT_UID" '.linux.uidMappings = [{containerID: 0, hostID: $u, size: 1}, {containerID: 1, hostID: 1, size: 1000}]'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  [ ! -e "$RT_ROOT/$CID" ]
}

@test "rootless: what the container writes into a bind-mounted folder belongs to the user" {
  mkdir "$TDIR/vol"
  chown "$IT_UID:$IT_GID" "$TDIR/vol"
  edit_config --arg s "$TDIR/vol" '.mounts += [{destination: "/vol", type: "bind", source: $s, options: ["rbind", "rw"]}]'
  set_args sh -c 'stat -c %u:%g /vol; probe write /vol/f'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0:0 ]
  [ "${lines[1]}" = write=ok ]
  [ "$(stat -c %u:%g "$TDIR/vol/f")" = "$IT_UID:$IT_GID" ]
}

@test "rootless: a folder the user cannot read stays closed" {
  mkdir "$TDIR/private"
  chmod 0700 "$TDIR/private"
  edit_config --arg s "$TDIR/private" '.mounts += [{destination: "/private", type: "bind", source: $s, options: ["rbind", "ro"]}]'
  set_args sh -c 'ls /private 2>&1; echo rc=$?'
  rt run --bundle "$BUNDLE" "$CID"
  # Either the bind is refused at create, or the folder is unreadable inside.
  if [ "$status" -eq 0 ]; then
    [[ "$output" == *"Permission denied"* ]]
  else
    [ ! -e "$RT_ROOT/$CID" ]
  fi
}

@test "rootless: tmpfs, readonly root, maskedPaths" {
  mkdir "$BUNDLE/rootfs/secret"
  echo s >"$BUNDLE/rootfs/secret/f"
  chown -R "$IT_UID:$IT_GID" "$BUNDLE/rootfs/secret"
  edit_config '.root.readonly = true | .linux.maskedPaths += ["/secret"]
    | .mounts += [{destination: "/scratch", type: "tmpfs", source: "tmpfs", options: ["size=1m", "mode=755"]}]'
  set_args sh -c 'probe write /etc/x; probe write /scratch/x; ls -A /secret | wc -l'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = "write=EROFS
write=ok
0" ]
}

@test "rootless: new network, uts, ipc namespaces owned by the user namespace" {
  edit_config '.linux.namespaces += [{type: "network"}] | .hostname = "rootless-host"'
  set_args sh -c 'probe ns; probe hostname; ip -o link | wc -l'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "$(value hostname)" = rootless-host ]
  [ "$(value ns_net)" != "$(host_ns self net)" ]
  [ "$(value ns_uts)" != "$(host_ns self uts)" ]
  [ "${lines[-1]}" = 1 ]
}

@test "rootless: capabilities, noNewPrivileges, seccomp, rlimits" {
  edit_config '.process.noNewPrivileges = true
    | .process.rlimits = [{type: "RLIMIT_NOFILE", soft: 256, hard: 512}]
    | .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64"],
        syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 1}]}'
  set_args sh -c 'probe caps; probe nnp; probe syscall mkdir /tmp/d; probe rlimits'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "$(value cap_eff)" = 0000000020000420 ]
  [ "$(value cap_bnd)" = 0000000020000420 ]
  [ "$(value no_new_privs)" = 1 ]
  [ "$(value mkdir)" = EPERM ]
  [ "$(value rlimit_nofile)" = "256 512" ]
}

@test "rootless: the default devices are there" {
  set_args sh -c 'stat -c "%t:%T" /dev/null /dev/zero /dev/urandom; echo x > /dev/null && echo ok'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = "1:3
1:5
1:9
ok" ]
}

@test "rootless: hooks run as the user" {
  edit_config --arg d "$TDIR" '.hooks = {createRuntime: [{path: "/bin/sh", args: ["sh", "-c", "id -u > \($d)/hook-uid"]}]}'
  run_probe ids
  [ "$status" -eq 0 ]
  [ "$(cat "$TDIR/hook-uid")" = "$IT_UID" ]
}

@test "rootless: cgroup limits where the user has a delegated cgroup v2" {
  is_cgroup_v2 || skip "rootless cgroups need a delegated cgroup v2 tree; this machine is v1/hybrid"
  edit_config '.linux.resources = {pids: {limit: 40}}'
  start_sleeper
  [ "$(cat "$(cgroup_dir "$PID" unified)/pids.max")" = 40 ]
}

@test "rootless: pause needs a cgroup it owns" {
  if ! is_cgroup_v2; then
    is_runc && skip "runc 1.1.5 freezes only through cgroup v1 on hybrid hosts"
    # Hybrid: a cgroup2 directory of the user's in the unified hierarchy; the runtime, started
    # in it, makes the container's cgroup below it and freezes through cgroup.freeze there.
    make_delegated_cgroup
    echo "$BASHPID" >"$DELEG/cgroup.procs"
  fi
  start_sleeper
  rt pause "$CID"
  [ "$status" -eq 0 ]
  [ "$(state_field "$CID" status)" = paused ]
  if [[ -n ${DELEG:-} ]]; then
    [ "$(cgroup_dir "$PID" unified)" == "$DELEG/$CID" ]
    grep -qx 'frozen 1' "$DELEG/$CID/cgroup.events"
  fi
  rt resume "$CID"
  [ "$status" -eq 0 ]
  [ "$(state_field "$CID" status)" = running ]
}

@test "rootless: delete --force leaves no process and no state" {
  start_sleeper
  runtime exec -d "$CID" probe sleep 1000
  rt delete --force "$CID"
  [ "$status" -eq 0 ]
  for _ in $(seq 50); do [ -e "/proc/$PID" ] || break; sleep 0.1; done
  [ ! -e "/proc/$PID" ]
  [ ! -e "$RT_ROOT/$CID" ]
  [ -z "$(pgrep -u "$IT_UID" -f 'probe sleep')" ]
}
