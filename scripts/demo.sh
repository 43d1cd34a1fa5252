#!/usr/bin/env bash
# The main job: builds berth, makes an OCI bundle from Debian's busybox-static (offline), and
# runs a container in it with berth-runtime: its own pid, mount, uts, ipc and network namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build

bundle=$(mktemp -d /tmp/berth-demo.XXXXXX)
root=$(mktemp -d /tmp/berth-demo-state.XXXXXX)
trap 'build/bin/berth-runtime --root "$root" delete -f demo >/dev/null 2>&1 || true; rm -rf "$bundle" "$root"' EXIT

mkdir -p "$bundle/rootfs/bin"
cp /bin/busybox "$bundle/rootfs/bin/busybox"
for applet in sh ls cat id hostname ps mount echo; do ln -s busybox "$bundle/rootfs/bin/$applet"; done
build/bin/berth-runtime spec --bundle "$bundle"
jq '.process.terminal = false
    | .process.args = ["sh", "-c", "echo \"hello from $(hostname): uid $(id -u), pid $$\"; ps; ls /"]' \
  "$bundle/config.json" > "$bundle/config.json.new"
mv "$bundle/config.json.new" "$bundle/config.json"
build/bin/berth-runtime --root "$root" run --bundle "$bundle" demo
