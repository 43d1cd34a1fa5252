#!/usr/bin/env bats
# Hostile and broken images, and pulls killed at several points: each gets a clear error, nothing
# is written outside the store, and `berth image check` finds the store consistent afterwards.

load helpers
load peers
load registry

TOOLS=$BERTH_REPO/tests/tools

setup_file() {
  it_setup_file
  make_peer_rootfs_tar "$IT_TMP/rootfs.tar"
  start_registry plain
  echo "$REG_PORT" >"$IT_TMP/plain-port"
  echo "$REG_DIR" >"$IT_TMP/plain-dir"
}

teardown_file() {
  local pidfile
  for pidfile in "$IT_TMP"/*.fixture-pid; do
    [[ -f $pidfile ]] && kill "$(cat "$pidfile")" 2>/dev/null
  done
  stop_registries
  it_teardown_file
}

setup() {
  it_setup
  P=$(cat "$IT_TMP/plain-port")
  RDIR=$(cat "$IT_TMP/plain-dir")
}

teardown() {
  # The rmi test makes a layer folder immutable; a failure must not leave it undeletable.
  if [[ -n "${TDIR:-}" && -e "$TDIR/.immutable" ]]; then
    find "$TDIR" -type d -exec chattr -i {} + 2>/dev/null || true
  fi
  it_teardown
}

# start_fixture NAME COMMAND...: a helper server in the background, killed in teardown_file.
start_fixture() {
  local name=$1
  shift
  setsid "$@" >"$IT_TMP/$name.log" 2>&1 &
  echo $! >"$IT_TMP/$name.fixture-pid"
}

wait_port() {
  local i
  for i in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$1/v2/" && return 0
    sleep 0.1
  done
  return 1
}

# hostile_layer TAR KIND: a layer tarball whose entry tries to leave the layer.
hostile_layer() {
  python3 - "$1" "$2" "$IT_TMP" <<'PY'
import io, sys, tarfile
path, kind, outside = sys.argv[1], sys.argv[2], sys.argv[3]
with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as t:
    def add(name, data=b"owned", **kw):
        i = tarfile.TarInfo(name)
        for k, v in kw.items():
            setattr(i, k, v)
        if i.type == tarfile.REGTYPE:
            i.size = len(data)
            t.addfile(i, io.BytesIO(data))
        else:
            t.addfile(i)
    add("ok.txt")
    if kind == "dotdot":
        add("../../../../../../" + outside.lstrip("/") + "/escaped-dotdot")
    elif kind == "absolute":
        add(outside + "/escaped-absolute")
    elif kind == "symlink-parent":
        add("link", type=tarfile.SYMTYPE, linkname=outside)
        add("link/escaped-symlink")
    elif kind == "hardlink-outside":
        add("hl", type=tarfile.LNKTYPE, linkname="../../../../../etc/passwd")
PY
}

assert_consistent() {
  run berth image check
  echo "$output"
  [ "$status" -eq 0 ]
}

@test "hostile layers: escaping entries fail the pull naming the entry; nothing outside is touched" {
  local kind
  for kind in dotdot symlink-parent hardlink-outside; do
    hostile_layer "$TDIR/$kind.tar" "$kind"
    push_test_image "127.0.0.1:$P/hostile:$kind" --layer "$TDIR/$kind.tar"
    run berth pull "127.0.0.1:$P/hostile:$kind"
    echo "$kind: $output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"layer entry"* ]]
    [ ! -e "$IT_TMP/escaped-dotdot" ]
    [ ! -e "$IT_TMP/escaped-symlink" ]
    run berth images -q
    [ -z "$output" ]
    assert_consistent
  done
  grep -q '^root:' /etc/passwd
}

@test "hostile layers: an absolute entry name lands inside the image, as Docker confines it" {
  hostile_layer "$TDIR/absolute.tar" absolute
  push_test_image "127.0.0.1:$P/hostile:absolute" --layer "$TDIR/absolute.tar"
  run berth pull "127.0.0.1:$P/hostile:absolute"
  [ "$status" -eq 0 ]
  [ ! -e "$IT_TMP/escaped-absolute" ]
  mnt=$(berth image mount "127.0.0.1:$P/hostile:absolute")
  [ -f "$mnt$IT_TMP/escaped-absolute" ]
  berth image unmount "127.0.0.1:$P/hostile:absolute"
  assert_consistent
}

@test "a corrupted blob in the registry: digest mismatch, no blob kept; the next pull after repair works" {
  push_test_image "127.0.0.1:$P/corrupt:1" --random-layer 1
  layer=$(skopeo inspect --raw --tls-verify=false "docker://127.0.0.1:$P/corrupt:1" | jq -r '.layers[0].digest')
  data=$RDIR/data/docker/registry/v2/blobs/sha256/${layer:7:2}/${layer:7}/data
  cp "$data" "$TDIR/good"
  printf 'XXXX' | dd of="$data" bs=1 seek=100 conv=notrunc status=none
  run berth pull "127.0.0.1:$P/corrupt:1"
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"${layer:7:12}"* ]]
  [ ! -e "$TDIR/data/content/blobs/sha256/${layer:7}" ]
  assert_consistent

  truncate -s 1000 "$data"
  run berth pull "127.0.0.1:$P/corrupt:1"
  echo "$output"
  [ "$status" -eq 1 ]
  assert_consistent

  cp "$TDIR/good" "$data"
  run berth pull "127.0.0.1:$P/corrupt:1"
  [ "$status" -eq 0 ]
  assert_consistent
}

@test "a manifest pointing at a blob the registry does not have: the error names the blob" {
  push_test_image "127.0.0.1:$P/missing:1" --random-layer 1
  layer=$(skopeo inspect --raw --tls-verify=false "docker://127.0.0.1:$P/missing:1" | jq -r '.layers[0].digest')
  rm -rf "$RDIR/data/docker/registry/v2/blobs/sha256/${layer:7:2}/${layer:7}"
  run berth pull "127.0.0.1:$P/missing:1"
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"${layer:7:12}"* ]]
  run berth images -q
  [ -z "$output" ]
  assert_consistent
}

@test "an unknown layer media type is refused by name" {
  push_test_image "127.0.0.1:$P/weird:1" --layer "$IT_TMP/rootfs.tar" --media-type application/x-berth-weird
  run berth pull "127.0.0.1:$P/weird:1"
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"application/x-berth-weird"* ]]
  assert_consistent
}

@test "a hostile server: huge manifest, schema 1, a lying digest, an endless blob" {
  local kind port
  for kind in huge schema1 lying-digest endless-blob; do
    port=$(free_port)
    start_fixture "hostile-$kind" python3 "$TOOLS/hostile_registry.py" "$port" "$kind"
    wait_port "$port"
    run timeout 60 "$BERTH" $(berth_flags) pull "127.0.0.1:$port/evil:1"
    echo "$kind: $output"
    [ "$status" -eq 1 ]
    case $kind in
      huge) [[ "${output,,}" == *"larger than"* ]] ;;
      schema1) [[ "${output,,}" == *"schema 1"* ]] ;;
      lying-digest) [[ "${output,,}" == *"digest"* ]] ;;
      endless-blob) [[ "${output,,}" == *"more than the expected"* ]] ;;
    esac
    kill "$(cat "$IT_TMP/hostile-$kind.fixture-pid")"
    assert_consistent
  done
}

@test "kill -9 during a pull, at several points: the store stays consistent and the next pull works" {
  push_test_image "127.0.0.1:$P/big:1" --random-layer 8 --random-layer 8 --random-layer 8
  port=$(free_port)
  start_fixture slow-proxy python3 "$TOOLS/slow_proxy.py" "$port" "$P" 20000000
  wait_port "$port"
  local point
  for point in "Pulling fs layer" "Downloading" "Download complete" "Extracting" "Pull complete"; do
    run python3 "$TOOLS/kill_during.py" "$point" -- "$BERTH" $(berth_flags) pull "127.0.0.1:$port/big:1"
    echo "$point: $output"
    [ "$status" -eq 0 ]
    assert_consistent
    run berth pull "127.0.0.1:$port/big:1"
    echo "$output"
    [ "$status" -eq 0 ]
    assert_consistent
    berth rmi "127.0.0.1:$port/big:1" >/dev/null
    berth image prune -a -f >/dev/null
  done
  kill "$(cat "$IT_TMP/slow-proxy.fixture-pid")"
}

@test "two pulls of the same image at once both succeed and store one copy" {
  push_test_image "127.0.0.1:$P/twice:1" --random-layer 4 --random-layer 4
  berth pull "127.0.0.1:$P/twice:1" >"$TDIR/a.out" 2>&1 &
  a=$!
  berth pull "127.0.0.1:$P/twice:1" >"$TDIR/b.out" 2>&1 &
  b=$!
  wait "$a" || { cat "$TDIR/a.out"; false; }
  wait "$b" || { cat "$TDIR/b.out"; false; }
  run berth images -q
  [ "${#lines[@]}" -eq 1 ]
  [ "$(ls "$TDIR/data/layers" | grep -vc '^\.')" -eq 2 ]
  assert_consistent
}

@test "rmi whose gc cannot remove a layer: the image is gone, a warning says why, prune frees it later" {
  berth import "$IT_TMP/rootfs.tar" stuck:1 >/dev/null
  id=$(berth image inspect --format '{{.Id}}' stuck:1)
  bin=$(dirname "$(find "$TDIR/data/layers" -path '*/diff/bin/busybox' | head -1)")
  touch "$TDIR/.immutable"
  chattr +i "$bin" || skip "chattr +i is not supported under $TDIR"
  run berth rmi stuck:1
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Deleted: $id"* ]]
  [[ "$output" == *"Warning: stuck:1: files left for the next prune: "*"operation not permitted"* ]]
  run berth images -q
  [ -z "$output" ]
  # gc moved the layer aside before removing it.
  chattr -i "$(find "$TDIR/data/layers" -path '*/diff/bin' -type d)"
  run berth image prune -a -f
  echo "$output"
  [ "$status" -eq 0 ]
  [ -d "$TDIR/data/layers" ] && [ -z "$(ls "$TDIR/data/layers")" ]
  assert_consistent
}
