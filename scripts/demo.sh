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
  berth rm -f demo >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/rootfs/proc" "$work/rootfs/sys" "$work/rootfs/dev"
cp /bin/busybox "$work/rootfs/bin/busybox"
for applet in sh ls cat id hostname ps mount echo sleep; do ln -s busybox "$work/rootfs/bin/$applet"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$work/rootfs/etc/passwd"
echo 'root:x:0:' >"$work/rootfs/etc/group"
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
berth import -m "busybox-static from Debian" \
  -c 'CMD ["sh", "-c", "echo \"hello from $(hostname): uid $(id -u), pid $$\"; ps; ls /"]' \
  "$work/rootfs.tar" demo:1 >/dev/null
berth images demo

# A container in the foreground, removed when it ends; then one in the background, supervised by
# its monitor after this script's berth has exited.
berth run --rm demo:1
berth run -d --name demo demo:1 sh -c 'echo serving; exec sleep 1000' >/dev/null
berth exec demo ps
berth logs demo
berth ps
berth stop -t 1 demo >/dev/null
