#!/usr/bin/env bats
# Mounts: bind ro/rw, rbind, tmpfs options, propagation, destinations through symlinks, readonly
# root, maskedPaths and readonlyPaths, --no-pivot.

load helpers

setup_file() { it_setup_file; }
teardown_file() { it_teardown_file; }
setup() { it_setup; }
teardown() { it_teardown; }

# add_mount JSON: appends a mount to the config.
add_mount() { edit_config --argjson m "$1" '.mounts += [$m]'; }

# mount_line MP: the `probe mounts` line for mountpoint MP (last one wins, as the kernel shows).
mount_line() { grep "^mount=$1 " <<<"$output" | tail -1; }

@test "bind mount rw: the container writes through to the host" {
  mkdir "$TDIR/data"
  echo from-host >"$TDIR/data/in"
  add_mount "$(jq -n --arg s "$TDIR/data" '{destination: "/data", type: "bind", source: $s, options: ["bind", "rw"]}')"
  set_args sh -c 'cat /data/in; probe write /data/out'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = from-host ]
  [ "${lines[1]}" = write=ok ]
  [ "$(cat "$TDIR/data/out")" = berth-probe ]
}

@test "bind mount ro: writes fail with EROFS" {
  mkdir "$TDIR/data"
  add_mount "$(jq -n --arg s "$TDIR/data" '{destination: "/data", type: "bind", source: $s, options: ["bind", "ro"]}')"
  run_probe write /data/out
  [ "$status" -eq 0 ]
  [ "$output" = write=EROFS ]
  [ ! -e "$TDIR/data/out" ]
}

@test "bind mount of a single file" {
  echo file-content >"$TDIR/file"
  add_mount "$(jq -n --arg s "$TDIR/file" '{destination: "/etc/bound", type: "bind", source: $s, options: ["bind", "ro"]}')"
  set_args cat /etc/bound
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = file-content ]
}

@test "bind mount creates a missing destination inside the rootfs" {
  mkdir "$TDIR/data"
  add_mount "$(jq -n --arg s "$TDIR/data" '{destination: "/new/deep/dir", type: "bind", source: $s, options: ["bind"]}')"
  run_probe mounts
  [ "$status" -eq 0 ]
  [ -n "$(mount_line /new/deep/dir)" ]
  [ -d "$BUNDLE/rootfs/new/deep/dir" ]
}

@test "rbind carries submounts, bind does not" {
  mkdir -p "$TDIR/src/sub"
  mount -t tmpfs -o size=1m tmpfs "$TDIR/src/sub"
  echo in-sub >"$TDIR/src/sub/f"
  add_mount "$(jq -n --arg s "$TDIR/src" '{destination: "/r", type: "bind", source: $s, options: ["rbind"]}')"
  add_mount "$(jq -n --arg s "$TDIR/src" '{destination: "/b", type: "bind", source: $s, options: ["bind"]}')"
  set_args sh -c 'cat /r/sub/f; ls -A /b/sub | wc -l'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = in-sub ]
  [ "${lines[1]}" = 0 ]
}

@test "tmpfs with size and mode" {
  add_mount '{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m", "mode=700", "nosuid", "nodev", "noexec"]}'
  set_args sh -c 'probe mounts; probe stat /scratch'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  line=$(mount_line /scratch)
  [[ "$line" == *" fstype=tmpfs "* ]]
  [[ "$line" == *" super=rw,size=1024k,mode=700"* ]]
  [[ "$line" == *" opts=rw,nosuid,nodev,noexec"* ]]
  [ "$(value mode)" = 0700 ]
}

@test "tmpfs size is enforced" {
  add_mount '{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["size=64k"]}'
  set_args sh -c 'dd if=/dev/zero of=/scratch/big bs=1k count=128 2>&1; echo rc=$?'
  rt run --bundle "$BUNDLE" "$CID"
  [[ "$output" == *"No space left on device"* ]]
  grep -qx 'rc=1' <<<"$output"
}

@test "mount flags ro, nosuid, nodev, noexec, relatime apply to a bind" {
  mkdir "$TDIR/data"
  add_mount "$(jq -n --arg s "$TDIR/data" '{destination: "/data", type: "bind", source: $s, options: ["bind", "ro", "nosuid", "nodev", "noexec"]}')"
  run_probe mounts
  line=$(mount_line /data)
  [[ "$line" == *" opts=ro,nosuid,nodev,noexec,"* ]]
}

@test "a symlinked destination pointing outside the rootfs stays inside" {
  mkdir "$TDIR/data"
  echo bound >"$TDIR/data/f"
  # An absolute link to a host path next to the bundle, and a relative one climbing out.
  ln -s "$TDIR/outside-abs" "$BUNDLE/rootfs/mnt/abs"
  ln -s "../../../../../../../../$TDIR/outside-rel" "$BUNDLE/rootfs/mnt/rel"
  add_mount "$(jq -n --arg s "$TDIR/data" '{destination: "/mnt/abs", type: "bind", source: $s, options: ["bind"]}')"
  add_mount "$(jq -n --arg s "$TDIR/data" '{destination: "/mnt/rel", type: "bind", source: $s, options: ["bind"]}')"
  set_args sh -c 'cat /mnt/abs/f /mnt/rel/f'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = "bound
bound" ]
  # Nothing was created on the host outside the rootfs; both landed under the rootfs.
  [ ! -e "$TDIR/outside-abs" ]
  [ ! -e "$TDIR/outside-rel" ]
  [ -d "$BUNDLE/rootfs$TDIR/outside-abs" ]
  [ -d "$BUNDLE/rootfs$TDIR/outside-rel" ]
}

@test "a /proc destination through a symlink is refused or kept inside" {
  # An image whose /proc is a symlink to /tmp: procfs must not land on the host's /tmp (in the
  # container's mount namespace, where it would vanish with the old root); refusing is fine.
  rmdir "$BUNDLE/rootfs/proc"
  ln -s /tmp "$BUNDLE/rootfs/proc"
  set_args probe mounts
  rt run --bundle "$BUNDLE" "$CID"
  if [ "$status" -eq 0 ]; then
    grep -Eq '^mount=/(tmp|proc) fstype=proc ' <<<"$output"
  else
    [ ! -e "$RT_ROOT/$CID" ]
  fi
}

@test "propagation rslave: a host mount made later shows up in the container" {
  mkdir -p "$TDIR/prop/later"
  mount --bind "$TDIR/prop" "$TDIR/prop"
  mount --make-shared "$TDIR/prop"
  add_mount "$(jq -n --arg s "$TDIR/prop" '{destination: "/prop", type: "bind", source: $s, options: ["rbind", "rslave"]}')"
  start_sleeper
  mount -t tmpfs -o size=1m tmpfs "$TDIR/prop/later"
  rt exec "$CID" probe mounts
  line=$(mount_line /prop)
  [[ "$line" == *" prop=master:"* ]]
  [[ "$(mount_line /prop/later)" == *" fstype=tmpfs "* ]]
}

@test "propagation rprivate: a host mount made later does not show up" {
  mkdir -p "$TDIR/prop/later"
  mount --bind "$TDIR/prop" "$TDIR/prop"
  mount --make-shared "$TDIR/prop"
  add_mount "$(jq -n --arg s "$TDIR/prop" '{destination: "/prop", type: "bind", source: $s, options: ["rbind", "rprivate"]}')"
  start_sleeper
  mount -t tmpfs -o size=1m tmpfs "$TDIR/prop/later"
  rt exec "$CID" probe mounts
  [[ "$(mount_line /prop)" == *" prop=private" ]]
  [ -z "$(mount_line /prop/later)" ]
}

@test "propagation rshared with rootfsPropagation shared: a container mount reaches the host" {
  mkdir -p "$TDIR/prop/inner"
  mount --bind "$TDIR/prop" "$TDIR/prop"
  mount --make-shared "$TDIR/prop"
  edit_config '.linux.rootfsPropagation = "shared"'
  add_mount "$(jq -n --arg s "$TDIR/prop" '{destination: "/prop", type: "bind", source: $s, options: ["rbind", "rshared"]}')"
  add_caps CAP_SYS_ADMIN
  set_args sh -c 'mount -t tmpfs -o size=1m tmpfs /prop/inner && touch /prop/inner/from-container && probe sleep 1000'
  runtime run -d --bundle "$BUNDLE" "$CID" </dev/null >"$TDIR/out" 2>&1
  for _ in $(seq 50); do [ -e "$TDIR/prop/inner/from-container" ] && break; sleep 0.1; done
  [ -e "$TDIR/prop/inner/from-container" ]
  umount "$TDIR/prop/inner"
}

@test "rootfsPropagation private: the root mount is private" {
  edit_config '.linux.rootfsPropagation = "private"'
  run_probe mounts
  [[ "$(mount_line /)" == *" prop=private" ]]
}

@test "readonly rootfs: writes fail with EROFS, mounts on top stay writable" {
  edit_config '.root.readonly = true'
  set_args sh -c 'probe write /etc/x; probe write /tmp/x; probe write /dev/shm/x'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = "write=EROFS
write=EROFS
write=ok" ]
  [ ! -e "$BUNDLE/rootfs/etc/x" ]
  run_probe mounts
  [[ "$(mount_line /)" == *" opts=ro,"* ]]
}

@test "maskedPaths: a file reads empty, a directory is empty, and neither can be written" {
  mkdir "$BUNDLE/rootfs/secretdir"
  echo secret >"$BUNDLE/rootfs/secretdir/f"
  echo secret >"$BUNDLE/rootfs/secretfile"
  edit_config '.linux.maskedPaths = ["/secretdir", "/secretfile", "/does/not/exist"]'
  set_args sh -c 'ls -A /secretdir | wc -l; wc -c </secretfile; probe write /secretdir/x; probe write /secretfile'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0 ]
  [ "${lines[1]}" = 0 ]
  [ "${lines[2]}" = write=EROFS ]
  # /dev/null is writable, but the host file is untouched.
  [ "$(cat "$BUNDLE/rootfs/secretfile")" = secret ]
}

@test "maskedPaths of the default spec: /proc/timer_list is /dev/null" {
  [ -e /proc/timer_list ] || skip "kernel without /proc/timer_list"
  jq -e '.linux.maskedPaths | index("/proc/timer_list") != null' "$BUNDLE/config.json"
  set_args sh -c 'stat -c %t:%T /proc/timer_list; wc -c </proc/timer_list'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  # /dev/null, major 1 minor 3.
  [ "$output" = "1:3
0" ]
}

@test "readonlyPaths: writes fail with EROFS, reads work" {
  mkdir "$BUNDLE/rootfs/rodir" "$BUNDLE/rootfs/rwdir"
  echo keep >"$BUNDLE/rootfs/rodir/f"
  edit_config '.linux.readonlyPaths = ["/rodir", "/does/not/exist"]'
  set_args sh -c 'cat /rodir/f; probe write /rodir/x; probe write /rwdir/x'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = "keep
write=EROFS
write=ok" ]
}

@test "default /proc/sys is read-only through readonlyPaths" {
  jq -e '.linux.readonlyPaths | index("/proc/sys") != null' "$BUNDLE/config.json"
  add_caps CAP_SYS_ADMIN
  run_probe write /proc/sys/kernel/hostname
  [ "$output" = write=EROFS ]
}

@test "--no-pivot: the container runs in its rootfs" {
  set_args sh -c 'ls /bin/probe && cat /etc/hostname'
  rt run --no-pivot --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = "/bin/probe
berth-it" ]
}

@test "the container's mount table starts at its rootfs: no host paths" {
  run_probe mounts
  [ "$status" -eq 0 ]
  [[ "$(mount_line /)" == *" root=$BUNDLE/rootfs "* ]] || [[ "$(mount_line /)" == *" root=/"* ]]
  ! grep -q "^mount=$TDIR" <<<"$output"
  ! grep -q "^mount=/work" <<<"$output"
  [[ "$(mount_line /proc)" == *" fstype=proc "* ]]
  [[ "$(mount_line /sys)" == *" fstype=sysfs "* ]]
  [[ "$(mount_line /dev)" == *" fstype=tmpfs "* ]]
  [[ "$(mount_line /dev/pts)" == *" fstype=devpts "* ]]
  [[ "$(mount_line /dev/shm)" == *" fstype=tmpfs "* ]]
  [[ "$(mount_line /dev/mqueue)" == *" fstype=mqueue "* ]]
}

@test "atime flags and nosymfollow" {
  add_mount '{"destination": "/a", "type": "tmpfs", "source": "tmpfs", "options": ["noatime", "nodiratime"]}'
  add_mount '{"destination": "/s", "type": "tmpfs", "source": "tmpfs", "options": ["strictatime"]}'
  add_mount '{"destination": "/n", "type": "tmpfs", "source": "tmpfs", "options": ["nosymfollow"]}'
  run_probe mounts
  [ "$status" -eq 0 ]
  [[ "$(mount_line /a)" == *" opts=rw,noatime,nodiratime "* ]]
  [[ "$(mount_line /s)" == *" opts=rw "* ]]
  [[ "$(mount_line /n)" == *" opts=rw,relatime,nosymfollow "* ]]
}

@test "rro: a recursive read-only bind makes submounts read-only too" {
  mkdir -p "$TDIR/src/sub"
  mount -t tmpfs -o size=1m tmpfs "$TDIR/src/sub"
  add_mount "$(jq -n --arg s "$TDIR/src" '{destination: "/r", type: "bind", source: $s, options: ["rbind", "rro"]}')"
  set_args sh -c 'probe write /r/x; probe write /r/sub/x'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = "write=EROFS
write=EROFS" ]
}

@test "plain ro on an rbind leaves submounts writable (only rro is recursive)" {
  mkdir -p "$TDIR/src/sub"
  mount -t tmpfs -o size=1m tmpfs "$TDIR/src/sub"
  add_mount "$(jq -n --arg s "$TDIR/src" '{destination: "/r", type: "bind", source: $s, options: ["rbind", "ro"]}')"
  set_args sh -c 'probe write /r/x; probe write /r/sub/x'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = "write=EROFS
write=ok" ]
}
