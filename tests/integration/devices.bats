#!/usr/bin/env bats
# linux.devices and the default /dev.

load helpers

setup_file() { it_setup_file; }
teardown_file() { it_teardown_file; }
setup() { it_setup; }
teardown() { it_teardown; }

@test "a char device of the spec exists with its major, minor, mode and owner" {
  edit_config '.linux.devices = [{path: "/dev/mydev", type: "c", major: 1, minor: 3, fileMode: 416, uid: 1000, gid: 2000}]
    | .linux.resources.devices += [{allow: true, type: "c", major: 1, minor: 3, access: "rwm"}]'
  run_probe stat /dev/mydev
  [ "$status" -eq 0 ]
  [ "$output" = "stat=ok
type=char
mode=0640
uid=1000
gid=2000
major=1
minor=3
size=0" ]
}

@test "a block device of the spec, in a subdirectory" {
  edit_config '.linux.devices = [{path: "/dev/sub/myblk", type: "b", major: 7, minor: 42, fileMode: 384, uid: 0, gid: 0}]'
  run_probe stat /dev/sub/myblk
  [ "$status" -eq 0 ]
  [ "$(value type)" = block ]
  [ "$(value major)" = 7 ]
  [ "$(value minor)" = 42 ]
  [ "$(value mode)" = 0600 ]
}

@test "a spec device is made once the device rules are in place, however long they take" {
  # cgroup v1 takes the rules as "deny all", then one allow at a time: 15000 of them keep the
  # runtime writing while init, slowed by 300 mounts, reaches its mknod.
  [ -d /sys/fs/cgroup/devices ] || skip "no cgroup v1 devices controller: v2 loads the rules at once"
  edit_config '.linux.devices = [{path: "/dev/sub/myblk", type: "b", major: 7, minor: 42, fileMode: 384}]
    | .linux.resources.devices = [{allow: false, access: "rwm"}]
        + [range(0; 15000) | {allow: true, type: "c", major: 200, minor: ., access: "r"}]
    | .mounts += [range(0; 300) | {destination: "/tmp/m\(.)", type: "tmpfs", source: "tmpfs"}]'
  run_probe stat /dev/sub/myblk
  [ "$status" -eq 0 ]
  [ "$(value type)" = block ]
  [ "$(value major)" = 7 ]
}

@test "a fifo device of the spec" {
  edit_config '.linux.devices = [{path: "/dev/myfifo", type: "p", fileMode: 420}]'
  run_probe stat /dev/myfifo
  [ "$status" -eq 0 ]
  [ "$(value type)" = fifo ]
}

@test "the default devices exist with their numbers" {
  set_args sh -c 'for d in null zero full random urandom tty; do echo "$d $(stat -c "%F %t:%T %a" /dev/$d)"; done'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = "null character special file 1:3 666
zero character special file 1:5 666
full character special file 1:7 666
random character special file 1:8 666
urandom character special file 1:9 666
tty character special file 5:0 666" ]
}

@test "the default /dev links: fd, stdin, stdout, stderr, ptmx" {
  set_args sh -c 'for l in fd stdin stdout stderr ptmx; do echo "$l -> $(readlink /dev/$l)"; done'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = "fd -> /proc/self/fd
stdin -> /proc/self/fd/0
stdout -> /proc/self/fd/1
stderr -> /proc/self/fd/2
ptmx -> pts/ptmx" ]
}

@test "/dev/null and /dev/zero work" {
  set_args sh -c 'echo x > /dev/null && head -c 4 /dev/zero | wc -c'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = 4 ]
}

@test "no host device leaks into /dev" {
  set_args ls /dev
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "$(echo $output)" = "fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero" ]
}

@test "devices in a user namespace are bind mounts with the right numbers" {
  edit_config '.linux.namespaces += [{type: "user"}]
    | .linux.uidMappings = [{containerID: 0, hostID: 300000, size: 65536}]
    | .linux.gidMappings = [{containerID: 0, hostID: 300000, size: 65536}]'
  chown -R 300000:300000 "$BUNDLE/rootfs"
  set_args sh -c 'stat -c "%t:%T" /dev/null /dev/zero; echo x > /dev/null && echo null-ok'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = "1:3
1:5
null-ok" ]
}
