#!/usr/bin/env bats
# User namespaces as root: uid/gid mappings, ownership through them, idmapped mounts.

load helpers

setup_file() { it_setup_file; }
teardown_file() { it_teardown_file; }

# Container ids 0..65535 are host ids HOSTBASE..HOSTBASE+65535.
HOSTBASE=300000

setup() {
  it_setup
  edit_config --argjson b $HOSTBASE '.linux.namespaces += [{type: "user"}]
    | .linux.uidMappings = [{containerID: 0, hostID: $b, size: 65536}]
    | .linux.gidMappings = [{containerID: 0, hostID: $b, size: 65536}]'
  chown -R $HOSTBASE:$HOSTBASE "$BUNDLE/rootfs"
  chown $((HOSTBASE + 1000)):$((HOSTBASE + 1000)) "$BUNDLE/rootfs/home/user"
}
teardown() { it_teardown; }

@test "uid_map and gid_map are as configured" {
  run_probe maps
  [ "$status" -eq 0 ]
  [ "$output" = "uid_map=0 $HOSTBASE 65536
gid_map=0 $HOSTBASE 65536" ]
}

@test "several mapping ranges" {
  edit_config '.linux.uidMappings = [{containerID: 0, hostID: 300000, size: 1000}, {containerID: 1000, hostID: 401000, size: 10}]
    | .linux.gidMappings = [{containerID: 0, hostID: 300000, size: 1000}, {containerID: 1000, hostID: 501000, size: 5}]'
  run_probe maps
  [ "$status" -eq 0 ]
  [ "$output" = "uid_map=0 300000 1000
uid_map=1000 401000 10
gid_map=0 300000 1000
gid_map=1000 501000 5" ]
}

@test "the container's root is root inside and the mapped id outside" {
  run_probe ids
  [ "$(value uid)" = 0 ]
  [ "$(value gid)" = 0 ]
  add_caps CAP_CHOWN
  set_args sh -c 'touch /tmp/by-root && mkdir /tmp/by-user && chown 1000:1000 /tmp/by-user'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "$(stat -c %u:%g "$BUNDLE/rootfs/tmp/by-root")" = "$HOSTBASE:$HOSTBASE" ]
  [ "$(stat -c %u:%g "$BUNDLE/rootfs/tmp/by-user")" = "$((HOSTBASE + 1000)):$((HOSTBASE + 1000))" ]
}

@test "the container's root has its capabilities in its own namespace only" {
  run_probe caps
  [ "$(value cap_eff)" = 0000000020000420 ]
  # Host-owned files it is not mapped to are nobody's and read-only to it.
  mkdir "$TDIR/hostdir"
  chmod 0755 "$TDIR/hostdir"
  edit_config --arg s "$TDIR/hostdir" '.mounts += [{destination: "/hostdir", type: "bind", source: $s, options: ["rbind", "rw"]}]'
  set_args sh -c 'stat -c %u:%g /hostdir; probe write /hostdir/x'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "65534:65534" ]
  [ "${lines[1]}" = "write=EACCES" ]
}

@test "a process user inside the namespace" {
  edit_config '.process.user = {uid: 1000, gid: 1000, additionalGids: [2000]}'
  run_probe ids
  [ "$status" -eq 0 ]
  [ "$(value uid)" = 1000 ]
  [ "$(value gid)" = 1000 ]
  [ "$(value groups)" = 2000 ]
}

@test "a user that is not mapped is refused" {
  edit_config '.process.user = {uid: 70000, gid: 0}'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  [ ! -e "$RT_ROOT/$CID" ]
}

@test "idmapped bind mount with its own mappings: a host user's folder is the container root's" {
  skip_if_runc "runc 1.1.5 has no idmapped mounts (runc 1.2 does)"
  mkdir "$TDIR/vol"
  echo data >"$TDIR/vol/file"
  chown -R 1234:1234 "$TDIR/vol"
  # On-disk 1234 shows as host HOSTBASE, which is the container's 0.
  edit_config --arg s "$TDIR/vol" --argjson b $HOSTBASE '.mounts += [{destination: "/vol", type: "bind", source: $s,
      options: ["bind", "rw"],
      uidMappings: [{containerID: 1234, hostID: $b, size: 1}],
      gidMappings: [{containerID: 1234, hostID: $b, size: 1}]}]'
  set_args sh -c 'stat -c %u:%g /vol/file; touch /vol/new; grep " /vol " /proc/self/mountinfo'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "0:0" ]
  [[ "${lines[1]}" == *idmapped* ]]
  # What the container writes belongs to the folder's host user.
  [ "$(stat -c %u:%g "$TDIR/vol/new")" = "1234:1234" ]
}

@test "idmap option without mappings uses the container's mappings" {
  skip_if_runc "runc 1.1.5 has no idmapped mounts (runc 1.2 does)"
  mkdir "$TDIR/vol"
  touch "$TDIR/vol/rootfile"
  chown 1000:1000 "$TDIR/vol"
  # The spec's container root has no CAP_DAC_OVERRIDE: the folder must let it in.
  chmod 0777 "$TDIR/vol"
  edit_config --arg s "$TDIR/vol" '.mounts += [{destination: "/vol", type: "bind", source: $s, options: ["bind", "idmap"]}]'
  set_args sh -c 'stat -c %u:%g /vol/rootfile /vol; touch /vol/new'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "0:0" ]
  [ "${lines[1]}" = "1000:1000" ]
  [ "$(stat -c %u:%g "$TDIR/vol/new")" = "0:0" ]
}

@test "ridmap: recursive idmapped bind" {
  skip_if_runc "runc 1.1.5 has no idmapped mounts (runc 1.2 does)"
  mkdir -p "$TDIR/vol/sub"
  mount -t tmpfs tmpfs "$TDIR/vol/sub"
  touch "$TDIR/vol/sub/f"
  edit_config --arg s "$TDIR/vol" '.mounts += [{destination: "/vol", type: "bind", source: $s, options: ["rbind", "ridmap"]}]'
  set_args stat -c %u:%g /vol/sub/f
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = "0:0" ]
}

@test "setgroups stays allowed as root with a full gid mapping" {
  edit_config '.process.user = {uid: 0, gid: 0, additionalGids: [10, 20]}'
  run_probe ids
  [ "$status" -eq 0 ]
  [ "$(value groups)" = "10,20" ]
}

@test "joining a user namespace by path while creating the other namespaces" {
  start_sleeper first
  cp "$BUNDLE/config.json" "$TDIR/first.json"
  edit_config --arg p "/proc/$PID/ns/user" 'del(.linux.uidMappings, .linux.gidMappings)
    | .linux.namespaces = [.linux.namespaces[] | select(.type != "user")] + [{type: "user", path: $p}]'
  set_args sh -c 'probe maps; probe pid; probe ids'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  # The joined namespace's mapping, a pid namespace of its own owned by it, root inside.
  [ "$(value uid_map)" = "0 $HOSTBASE 65536" ]
  # sh is pid 1 of the new pid namespace, and the probe its child.
  [ "$(value ppid)" = 1 ]
  [ "$(value uid)" = 0 ]
}
