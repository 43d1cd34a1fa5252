#!/usr/bin/env bats
# User namespaces as root: --userns-remap (the global flag and daemon.json), idmapped image layers
# shared with unmapped containers, volumes, match-user and Podman's idmap binds, --userns=host and
# --userns=auto. The remapped root is a user made for this file, with its own subordinate range.

load helpers
load peers
load registry
load containers

bats_require_minimum_version 1.5.0

setup_file() {
  ct_setup_file
  create_rootless_user # the remap user: IT_USER, its range from IT_SUBID_START
  add_auto_pool
}

teardown_file() {
  remove_auto_pool
  ct_teardown_file
}

setup() { ct_setup; }
teardown() { ct_teardown; }

# --userns=auto draws from the ranges of user "containers" (Podman's convention): a range for
# this file, unless the machine has one already.
add_auto_pool() {
  export AUTO_POOL_ADDED=0
  grep -q '^containers:' /etc/subuid && grep -q '^containers:' /etc/subgid && return 0
  append_subid_range containers 262144
  AUTO_POOL_ADDED=1
  it_record user containers
}

remove_auto_pool() {
  [[ "${AUTO_POOL_ADDED:-0}" == 1 ]] || return 0
  (
    flock 9
    sed -i '/^containers:/d' /etc/subuid /etc/subgid
  ) 9</etc
}

remapped() {
  berth --userns-remap "$IT_USER" "$@"
}

host_uid_of_pid() { awk '/^Uid:/ { print $2 }' "/proc/$1/status"; }

@test "remap: root inside is 0, on the host a subordinate uid, and the host's files stay closed" {
  run remapped run -d --name svc -v /:/host bb sleep 1000
  [ "$status" -eq 0 ]
  pid=$(berth inspect -f '{{.State.Pid}}' svc)
  [ "$(host_uid_of_pid "$pid")" -eq "$IT_SUBID_START" ]
  run berth exec svc id -u
  [ "$output" == 0 ]
  run berth exec svc cat /proc/self/uid_map
  [[ "$(echo $output)" == "0 $IT_SUBID_START 65536" ]]
  run berth exec svc cat /host/etc/shadow
  [ "$status" -ne 0 ]
  [[ "$output" == *"Permission denied"* ]]
  # Processes of the container show as the subordinate uid in the host's ps.
  run ps -o uid= -p "$pid"
  [ "$(echo $output)" -eq "$IT_SUBID_START" ]
  run berth inspect -f '{{json .IdMappings}}' svc
  [[ "$output" == *"\"0:$IT_SUBID_START:65536\""* ]]
}

@test "remap: the image is shared, not copied: root owns its files inside, the layers stay as they are" {
  du_data() { du -sk "$TDIR/data" | cut -f1; }
  before=$(du_data)
  run remapped run --rm bb sh -c 'stat -c "%u %g" /bin/busybox /home/user /'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" == "0 0" ]
  [ "${lines[1]}" == "1000 1000" ]
  [ "${lines[2]}" == "0 0" ]
  after=$(du_data)
  # No copy of the image (its busybox alone is ~1 MiB): what grows is the container's own.
  [ $((after - before)) -lt 256 ]
  busybox=$(find "$TDIR/data/layers" -path '*/diff/bin/busybox' | head -1)
  [ "$(stat -c %u "$busybox")" -eq 0 ]
  # The same image, unmapped, at the same time as a remapped one.
  remapped run -d --name mapped bb sleep 1000
  run berth run --rm bb id -u
  [ "$output" == 0 ]
  run berth exec mapped stat -c %u /bin/busybox
  [ "$output" == 0 ]
}

@test "remap: a service writes its data folder as remapped root where -u 1000 cannot" {
  run remapped run --name data bb sh -c 'mkdir -p /var/lib/svc && echo kept >/var/lib/svc/db && cat /var/lib/svc/db'
  [ "$status" -eq 0 ]
  [ "$output" == kept ]
  id=$(berth inspect -f '{{.Id}}' data)
  # In the container's layer on disk, the file belongs to the subordinate uid.
  [ "$(stat -c %u "$TDIR/data/snapshots/$id/upper/var/lib/svc/db")" -eq "$IT_SUBID_START" ]
  run remapped run --rm -u 1000 bb sh -c 'mkdir -p /var/lib/svc'
  [ "$status" -ne 0 ]
  [[ "$output" == *"Permission denied"* ]]
}

@test "remap: a named volume is written by remapped root and keeps container ids on disk" {
  run remapped run --rm -v vol:/home/user bb sh -c 'touch /home/user/by-root && stat -c %u /home/user'
  [ "$status" -eq 0 ]
  [ "$output" == 1000 ]
  data=$TDIR/data/volumes/vol/_data
  [ "$(stat -c %u "$data")" -eq 1000 ] # copied up from the image with the image's owner
  [ "$(stat -c %u "$data/by-root")" -eq 0 ]
  # An unmapped container sees the same owners.
  run berth run --rm -v vol:/v bb stat -c %u /v/by-root
  [ "$output" == 0 ]
}

@test "match-user: files a root container writes in a folder of uid 1000 belong to 1000, remapped or not" {
  share=$TDIR/share
  mkdir "$share"
  chown 1000:1000 "$share"
  run berth run --rm -v "$share:/s:match-user" bb sh -c 'touch /s/plain && stat -c "%u %g" /s'
  [ "$status" -eq 0 ]
  [ "$output" == "0 0" ]
  [ "$(stat -c %u:%g "$share/plain")" == 1000:1000 ]
  run remapped run --rm --mount "type=bind,src=$share,dst=/s,idmap=match-user" bb touch /s/remapped
  [ "$status" -eq 0 ]
  [ "$(stat -c %u:%g "$share/remapped")" == 1000:1000 ]
  # A user of the image, not root: it writes as the folder's owner too.
  chown 2000:2000 "$share"
  run berth run --rm -u 1000 -v "$share:/s:match-user" bb touch /s/as-user
  [ "$status" -eq 0 ]
  [ "$(stat -c %u:%g "$share/as-user")" == 2000:2000 ]
  # Nothing on the host was chowned, and plain -v keeps Docker's behaviour.
  [ "$(stat -c %u:%g "$share/plain")" == 1000:1000 ]
  run berth run --rm -v "$share:/s" bb touch /s/docker
  [ "$(stat -c %u "$share/docker")" -eq 0 ]
}

@test "idmap (Podman's): ids on disk are container ids, or as the option maps them" {
  share=$TDIR/share
  mkdir "$share"
  touch "$share/rootfile"
  run remapped run --rm -v "$share:/s:idmap" bb sh -c 'stat -c %u /s/rootfile && touch /s/new'
  [ "$status" -eq 0 ]
  [ "$output" == 0 ]
  [ "$(stat -c %u "$share/new")" -eq 0 ]
  # On disk 2000 is container id 7 ("@": a container id, through the container's map).
  chown 2000:2000 "$share/rootfile"
  run remapped run --rm -v "$share:/s:idmap=uids=@2000-7-1;gids=@2000-7-1" bb stat -c %u:%g /s/rootfile
  [ "$status" -eq 0 ]
  [ "$output" == 7:7 ]
  run remapped run --rm -v "$share:/s:idmap=uids=x" bb true
  [ "$status" -eq 125 ]
  [[ "$output" == *"idmap"* ]]
}

@test "--userns=host leaves the remap, and --privileged needs it" {
  run remapped run --rm bb cat /proc/self/uid_map
  [[ "$(echo $output)" == "0 $IT_SUBID_START 65536" ]]
  run remapped run --rm --userns=host bb cat /proc/self/uid_map
  [[ "$(echo $output)" == "0 0 4294967295" ]]
  run remapped run --rm --privileged bb true
  [ "$status" -eq 125 ]
  [[ "$output" == *"--userns=host"* ]]
  run remapped run --rm --privileged --userns=host bb true
  [ "$status" -eq 0 ]
}

@test "--userns=auto: two running containers get disjoint ranges of the pool" {
  berth run -d --name ua --userns=auto:size=1000 bb sleep 1000
  berth run -d --name ub --userns=auto:size=1000 bb sleep 1000
  a=$(berth exec ua cat /proc/self/uid_map | awk '{ print $2, $3 }')
  b=$(berth exec ub cat /proc/self/uid_map | awk '{ print $2, $3 }')
  read -r a_start a_size <<<"$a"
  read -r b_start b_size <<<"$b"
  [ "$a_size" -eq 1000 ] && [ "$b_size" -eq 1000 ]
  ((a_start + a_size <= b_start || b_start + b_size <= a_start))
  pool=$(awk -F: '$1 == "containers" { print $2; exit }' /etc/subuid)
  [ "$a_start" -ge "$pool" ] && [ "$b_start" -ge "$pool" ]
  run berth exec ua stat -c %u /bin/busybox
  [ "$output" == 0 ]
  run berth run --rm --userns=bogus bb true
  [ "$status" -eq 125 ]
  [[ "$output" == *"--userns"* ]]
}

@test "remap: daemon.json's userns-remap, and a user without ranges gets the file to fix" {
  echo "{\"userns-remap\": \"$IT_USER\"}" >"$TDIR/daemon.json"
  run berth run --rm bb cat /proc/self/uid_map
  [ "$status" -eq 0 ]
  [[ "$(echo $output)" == "0 $IT_SUBID_START 65536" ]]
  rm "$TDIR/daemon.json"
  run berth --userns-remap nobody run --rm bb true
  [ "$status" -eq 125 ]
  [[ "$output" == *"/etc/subuid"* && "$output" == *nobody* ]]
}

@test "remap default: creates user berthremap with a range of its own, once" {
  if id berthremap >/dev/null 2>&1; then
    skip "berthremap exists on this machine already: not removing someone else's user"
  fi
  it_record user berthremap
  run berth --userns-remap default run --rm bb cat /proc/self/uid_map
  echo "$output"
  status_run=$status
  map=$output
  lines_uid=$(grep -c '^berthremap:' /etc/subuid || true)
  start=$(awk -F: '$1 == "berthremap" { print $2 }' /etc/subuid)
  run berth --userns-remap default run --rm bb true
  again=$(grep -c '^berthremap:' /etc/subuid || true)
  (
    flock 9
    sed -i '/^berthremap:/d' /etc/subuid /etc/subgid
  ) 9</etc
  userdel berthremap >/dev/null 2>&1 || true
  [ "$status_run" -eq 0 ]
  [ "$lines_uid" -eq 1 ] && [ "$again" -eq 1 ]
  [[ "$(echo $map)" == "0 $start 65536" ]]
  ! id berthremap >/dev/null 2>&1
}

@test "remap: cp and export speak the container's ids, both ways" {
  remapped run -d --name box bb sleep 1000
  run bash -c "\"$BERTH\" $(berth_flags) cp box:/home/user - | tar -tv --numeric-owner"
  [ "$status" -eq 0 ]
  [[ "$output" == *" 1000/1000 "* ]]
  echo hi >"$TDIR/f"
  chown 7:7 "$TDIR/f"
  berth cp -a "$TDIR/f" box:/tmp/f
  run berth exec box stat -c %u:%g /tmp/f
  [ "$output" == 7:7 ]
  berth cp "$TDIR/f" box:/tmp/g
  run berth exec box stat -c %u:%g /tmp/g
  [ "$output" == 0:0 ]
  berth stop -t 1 box
  run bash -c "\"$BERTH\" $(berth_flags) export box | tar -tv --numeric-owner"
  [ "$status" -eq 0 ]
  [[ "$output" == *" 1000/1000 "*"home/user"* ]]
  [[ "$output" == *" 7/7 "*"tmp/f"* ]]
  [[ "$output" != *"$IT_SUBID_START"* ]]
}

@test "remap where the kernel cannot idmap the data root (ramfs): layers copied once per map, info says so" {
  rdata=$TDIR/rdata
  mkdir "$rdata"
  mount -t ramfs ramfs "$rdata"
  rb() { "$BERTH" --data-root "$rdata" --exec-root "$TDIR/exec" --config-file "$TDIR/daemon.json" "$@"; }
  rb import --change 'CMD ["sh"]' "$IT_TMP/rootfs.tar" rbb:latest >/dev/null
  run rb info --format '{{.LayerSharing}}'
  [[ "$output" == *"chowned copies"* ]]
  run rb --userns-remap "$IT_USER" run --rm rbb sh -c 'stat -c "%u %g" /bin/busybox /home/user; touch /root/w'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" == "0 0" ]
  [ "${lines[1]}" == "1000 1000" ]
  copy=$(find "$rdata/layers-mapped" -path '*/diff/bin/busybox' | head -1)
  [ "$(stat -c %u "$copy")" -eq "$IT_SUBID_START" ]
  inode=$(stat -c %i "$copy")
  run rb --userns-remap "$IT_USER" run --rm rbb true
  [ "$status" -eq 0 ]
  [ "$(stat -c %i "$copy")" == "$inode" ] # the same copy, not made again
  [ "$(find "$rdata/layers-mapped" -path '*/diff/bin/busybox' | wc -l)" -eq 1 ]
  # The store's own layer is untouched.
  [ "$(stat -c %u "$(find "$rdata/layers" -path '*/diff/bin/busybox' | head -1)")" -eq 0 ]
  # A new volume where the image has nothing holds host ids here: it is the remapped root's.
  run rb --userns-remap "$IT_USER" run --rm -v rvol:/newdir rbb sh -c 'touch /newdir/w && stat -c "%u %g" /newdir'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" == "0 0" ]
  [ "$(stat -c %u:%g "$rdata/volumes/rvol/_data")" == "$IT_SUBID_START:$IT_SUBID_START" ]
  rb volume rm rvol >/dev/null
  # The copies go with the image's layers.
  rb rmi rbb >/dev/null
  run rb image prune -a -f
  [ "$status" -eq 0 ]
  [ -z "$(find "$rdata/layers-mapped" -path '*/diff/bin/busybox')" ]
}
