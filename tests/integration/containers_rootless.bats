#!/usr/bin/env bats
# Rootless berth: an ordinary user (made for this file, with a subordinate range) imports an image
# and runs containers with no sudo; state in the user's XDG folders; the container's root is the
# user on the host, and what it writes into the user's folders stays the user's.

load helpers
load peers
load registry

bats_require_minimum_version 1.5.0

setup_file() {
  it_setup_file rootless
  make_peer_rootfs_tar "$IT_TMP/rootfs.tar"
  chmod 0644 "$IT_TMP/rootfs.tar"
}

teardown_file() {
  it_teardown_file
}

setup() {
  it_setup
  user_berth import --change 'CMD ["sh"]' "$IT_TMP/rootfs.tar" bb:latest >/dev/null
}

teardown() {
  local c
  for c in $(user_berth ps -aq 2>/dev/null); do user_berth rm -f -v "$c" >/dev/null 2>&1 || true; done
  pkill_user_procs
  remove_delegated_cgroup
  rm -rf "$IT_HOME/.local" "$IT_XDG/berth"
  it_teardown
}

user_berth() {
  as_user "$BERTH" "$@"
}

# deleg_berth ARGS...: the user's berth, started inside the delegated cgroup (in the leaf where
# berth moved the user's processes, once it has).
deleg_berth() {
  local at=$DELEG
  [[ -d $DELEG/berth-leaf ]] && at=$DELEG/berth-leaf
  (echo "$BASHPID" >"$at/cgroup.procs" && user_berth "$@")
}

@test "rootless: run --rm, and the container's root is the user on the host" {
  run user_berth run --rm bb sh -c 'id -u; cat /proc/self/uid_map'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" == 0 ]
  [[ "$(echo ${lines[1]})" == "0 $IT_UID 1" ]]
  [[ "$(echo ${lines[2]})" == "1 $IT_SUBID_START 65536" ]]
  run user_berth ps -aq
  [ -z "$output" ]
}

@test "rootless: run -d, exec, logs, stop, rm; host ps shows the container as the user" {
  run user_berth run -d --name svc bb sh -c 'echo hello; exec sleep 1000'
  echo "$output"
  [ "$status" -eq 0 ]
  pid=$(user_berth inspect -f '{{.State.Pid}}' svc)
  [ "$(ps -o uid= -p "$pid" | tr -d ' ')" -eq "$IT_UID" ]
  run user_berth exec svc ps -o pid,comm
  [[ "$output" == *"1 sleep"* ]]
  run user_berth logs svc
  [ "$output" == hello ]
  run user_berth ps --format '{{.Names}} {{.State}}'
  [ "$output" == "svc running" ]
  run user_berth stop -t 1 svc
  [ "$status" -eq 0 ]
  run user_berth inspect -f '{{.State.Status}}' svc
  [ "$output" == exited ]
  run user_berth rm svc
  [ "$status" -eq 0 ]
  [ -z "$(user_berth ps -aq)" ]
  # The state is the user's.
  [ "$(stat -c %u "$IT_HOME/.local/share/berth")" -eq "$IT_UID" ]
  [ "$(stat -c %u "$IT_XDG/berth")" -eq "$IT_UID" ]
}

@test "rootless: a folder of the user's is written as the user, plain -v and match-user" {
  share=$TDIR/share
  mkdir "$share"
  chown "$IT_UID:$IT_GID" "$share"
  run user_berth run --rm -v "$share:/s" bb sh -c 'touch /s/plain && stat -c %u /s'
  [ "$status" -eq 0 ]
  [ "$output" == 0 ]
  [ "$(stat -c %u "$share/plain")" -eq "$IT_UID" ]
  run user_berth run --rm -v "$share:/s:match-user" bb touch /s/matched
  [ "$status" -eq 0 ]
  [ "$(stat -c %u:%g "$share/matched")" == "$IT_UID:$IT_GID" ]
}

@test "rootless: resource limits without a delegated cgroup are refused, and say why" {
  is_cgroup_v2 && skip "this machine has cgroup v2: delegation decides"
  run user_berth run --rm --memory 64m bb true
  echo "$output"
  [ "$status" -eq 125 ]
  [[ "$output" == *"--memory"* && "$output" == *deleg* ]]
}

@test "rootless in a delegated cgroup: a cgroup per container, pause, exec, and limits of delegated controllers only" {
  make_delegated_cgroup
  run deleg_berth run -d --name svc bb sleep 1000
  echo "$output"
  [ "$status" -eq 0 ]
  id=$(user_berth inspect -f '{{.Id}}' svc)
  pid=$(user_berth inspect -f '{{.State.Pid}}' svc)
  [ "$(cgroup_dir "$pid" unified)" == "$DELEG/berth/$id" ]
  # Not marked delegated, and no limits: the user's processes stay where they are.
  [ ! -e "$DELEG/berth-leaf" ]
  [ -z "$(cat "$DELEG/cgroup.subtree_control")" ]

  run deleg_berth pause svc
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(cat "$DELEG/berth/$id/cgroup.freeze")" == 1 ]
  grep -qx 'frozen 1' "$DELEG/berth/$id/cgroup.events"
  [ "$(user_berth inspect -f '{{.State.Status}}' svc)" == paused ]
  run deleg_berth unpause svc
  [ "$status" -eq 0 ]
  grep -qx 'frozen 0' "$DELEG/berth/$id/cgroup.events"
  run deleg_berth top svc
  [[ "$output" == *"sleep 1000"* ]]
  run deleg_berth stats --no-stream --format '{{.Name}} {{.PIDs}}' svc
  echo "$output"
  [ "$output" == "svc 1" ]

  # exec joins the container's cgroup, which only a process inside the delegated tree may do.
  run deleg_berth exec svc cat /proc/self/cgroup
  echo "$output"
  [ "$status" -eq 0 ]
  grep -qx '0::/' <<<"$output"
  run user_berth exec svc true
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *"join the container's cgroup: "*"permission denied (rootless: run this inside the delegated cgroup"* ]]
  [ "${#lines[@]}" -eq 1 ]

  # Marked delegated: the user's processes move to a leaf, and containers get the controllers
  # (when the hierarchy offers any: hybrid hosts' often offers none).
  mark_delegated
  run deleg_berth run -d --name svc2 bb sleep 1000
  [ "$status" -eq 0 ]
  if [[ -n $(cat "$DELEG/cgroup.controllers") ]]; then
    [ -z "$(cat "$DELEG/cgroup.procs")" ]
    [ -n "$(cat "$DELEG/berth-leaf/cgroup.procs")" ]
    [ "$(cat "$DELEG/cgroup.subtree_control")" == "$(cat "$DELEG/cgroup.controllers")" ]
    [ "$(cat "$DELEG/berth/cgroup.subtree_control")" == "$(cat "$DELEG/cgroup.controllers")" ]
  fi

  if grep -qw memory "$DELEG/cgroup.controllers"; then
    run deleg_berth run -d --name limited --memory 64m bb sleep 1000
    [ "$status" -eq 0 ]
    limited=$(user_berth inspect -f '{{.Id}}' limited)
    [ "$(cat "$DELEG/berth/$limited/memory.max")" -eq $((64 << 20)) ]
  else
    run deleg_berth run --rm --memory 64m bb true
    echo "$output"
    [ "$status" -eq 125 ]
    [[ "$output" == "Error: --memory: the memory controller is not delegated to this user (cgroup \"$DELEG\" offers"* ]]
  fi

  run deleg_berth rm -f $(user_berth ps -aq)
  [ "$status" -eq 0 ]
  [ -z "$(find "$DELEG/berth" -mindepth 1 -type d)" ]
}

@test "rootless --userns=keep-id: the user's own uid inside, the image still root's, files the user's" {
  share=$TDIR/share
  mkdir "$share"
  chown "$IT_UID:$IT_GID" "$share"
  run user_berth run --rm --userns=keep-id -v "$share:/s" bb sh -c 'id -u; id -g; stat -c %u:%g /bin/busybox /home/user /s; touch /s/kept'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" == "$IT_UID" ]
  [ "${lines[1]}" == "$IT_GID" ]
  [ "${lines[2]}" == 0:0 ]
  [ "${lines[3]}" == 1000:1000 ]
  [ "${lines[4]}" == "$IT_UID:$IT_GID" ]
  [ "$(stat -c %u:%g "$share/kept")" == "$IT_UID:$IT_GID" ]
  run user_berth run --rm --userns=keep-id:uid=7,gid=8 bb sh -c 'id -u; id -g'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" == 7 ] && [ "${lines[1]}" == 8 ]
}

@test "rootless match-user, container user not root: the folder is that user's inside, the files the user's" {
  share=$TDIR/share
  mkdir "$share"
  chown "$IT_UID:$IT_GID" "$share"
  # By number, and by the name the image's /etc/passwd gives (read from its layers at create).
  for u in 1000 user; do
    run user_berth run --rm -u "$u" -v "$share:/s:match-user" bb sh -c "id -u; id -g; stat -c %u:%g /s /bin/busybox; touch /s/by-$u"
    echo "$output"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" == 1000 ] && [ "${lines[1]}" == 1000 ]
    [ "${lines[2]}" == 1000:1000 ]
    [ "${lines[3]}" == 0:0 ]
    [ "$(stat -c %u:%g "$share/by-$u")" == "$IT_UID:$IT_GID" ]
  done
  [ -z "$(user_berth ps -aq)" ]
}

@test "rootless match-user of a folder that is not the user's: a clear error, nothing left" {
  share=$TDIR/share
  mkdir -m 0777 "$share"
  run user_berth run --rm -u 1000 -v "$share:/s:match-user" bb true
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *"match-user"* && "$output" == *"user's own"* ]]
  [ -z "$(user_berth ps -aq)" ]
}
