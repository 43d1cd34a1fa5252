#!/usr/bin/env bash
# The main job: builds berth, makes an image offline from Debian's busybox-static (`berth import`),
# mounts its root filesystem from the image store (overlay over the image's layers), and runs a
# container on it with berth-runtime: its own pid, mount, uts, ipc and network namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build

work=$(mktemp -d /tmp/berth-demo.XXXXXX)
berth() { build/bin/berth --data-root "$work/data" --exec-root "$work/exec" "$@"; }
cleanup() {
  build/bin/berth-runtime --root "$work/state" delete -f demo >/dev/null 2>&1 || true
  berth image unmount demo:1 >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/rootfs/bin"
cp /bin/busybox "$work/rootfs/bin/busybox"
for applet in sh ls cat id hostname ps mount echo; do ln -s busybox "$work/rootfs/bin/$applet"; done
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
berth import -m "busybox-static from Debian" \
  -c 'CMD ["sh", "-c", "echo \"hello from $(hostname): uid $(id -u), pid $$\"; ps; ls /"]' \
  "$work/rootfs.tar" demo:1 >/dev/null
berth images demo

rootfs=$(berth image mount demo:1)
mkdir -p "$work/bundle"
build/bin/berth-runtime spec --bundle "$work/bundle"
jq --arg root "$rootfs" --argjson args "$(berth image inspect --format '{{json .Config.Cmd}}' demo:1)" \
  '.process.terminal = false | .root.path = $root | .process.args = $args' \
  "$work/bundle/config.json" >"$work/bundle/config.json.new"
mv "$work/bundle/config.json.new" "$work/bundle/config.json"
build/bin/berth-runtime --root "$work/state" run --bundle "$work/bundle" demo
