#!/usr/bin/env bats
# berth's image verbs as an ordinary user (made for this file, with subordinate ranges): state in
# the user's XDG folders, layers unpacked without root, the snapshotter probed for a user.

load helpers
load peers
load registry

setup_file() {
  it_setup_file rootless
  make_peer_rootfs_tar "$IT_TMP/rootfs.tar"
  start_registry plain
  echo "$REG_PORT" >"$IT_TMP/plain-port"
  push_test_image "127.0.0.1:$REG_PORT/busybox:1" --layer "$IT_TMP/rootfs.tar"
}

teardown_file() {
  stop_registries
  it_teardown_file
}

setup() {
  it_setup
  P=$(cat "$IT_TMP/plain-port")
}

teardown() {
  it_teardown
}

user_berth() {
  as_user "$BERTH" "$@"
}

@test "rootless: a user pulls into its own data root, lists, saves, loads and removes images" {
  run user_berth pull "127.0.0.1:$P/busybox:1"
  echo "$output"
  [ "$status" -eq 0 ]
  data=$IT_HOME/.local/share/berth
  [ -d "$data/content/blobs/sha256" ]
  [ "$(stat -c %u "$data/berth.db")" == "$IT_UID" ]
  [ "$(stat -c %a "$data/berth.db")" == 600 ]
  busybox=$(find "$data/layers" -path '*/diff/bin/busybox' | head -1)
  [ -n "$busybox" ]
  [ "$(stat -c %u "$busybox")" == "$IT_UID" ]
  # Ownership as the user namespace sees it: uid 1000 of the image is subordinate id 999 + start.
  home=$(find "$data/layers" -path '*/diff/home/user' | head -1)
  [ "$(stat -c %u "$home")" == "$((IT_SUBID_START + 999))" ]
  run user_berth image mount "127.0.0.1:$P/busybox:1"
  [ "$status" -eq 1 ]
  [[ "$output" == *"rootless"* ]]

  run user_berth images --format '{{.Repository}}:{{.Tag}}'
  [ "$output" == "127.0.0.1:$P/busybox:1" ]
  run user_berth info --format '{{.Driver}} {{.Rootless}}'
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *" true" ]]
  [[ "$output" != copy* ]]

  run user_berth save -o "$IT_HOME/saved.tar" "127.0.0.1:$P/busybox:1"
  [ "$status" -eq 0 ]
  run user_berth rmi "127.0.0.1:$P/busybox:1"
  [ "$status" -eq 0 ]
  run user_berth load -i "$IT_HOME/saved.tar"
  [ "$status" -eq 0 ]
  [[ "$output" == "Loaded image: 127.0.0.1:$P/busybox:1" ]]
  run user_berth image check
  [ "$status" -eq 0 ]
  run user_berth image prune -a -f
  [ "$status" -eq 0 ]
  run user_berth images -q
  [ -z "$output" ]
  # Nothing of the user's went to root's places.
  [ ! -e /var/lib/berth/berth.db ] || [ "$(stat -c %u /var/lib/berth/berth.db)" == 0 ]
}
