#!/bin/sh
# make_bundle.sh DIR: the OCI bundle the runtime benchmarks run.
#
# DIR/rootfs: busybox-static with its applets as symlinks in /bin.
# DIR/config.json: `runc spec` (pid, mount, uts, ipc and network namespaces,
# pivot_root, runc's default capabilities, masked and read-only paths,
# read-only root) running /bin/true, without a terminal, with
# bench/seccomp-default.json (a Docker-default-equivalent allow-list).
#
# Needs: runc (for `runc spec`), jq, busybox-static (env BUSYBOX overrides
# /bin/busybox). Replaces DIR/config.json and DIR/rootfs if present.
set -eu

usage() { echo "usage: $0 DIR" >&2; exit 2; }
[ $# -eq 1 ] || usage
dir=$1
here=$(cd "$(dirname "$0")" && pwd)
seccomp=$here/seccomp-default.json
busybox=${BUSYBOX:-/bin/busybox}
runc=${RUNC:-runc}

die() { echo "make_bundle.sh: $*" >&2; exit 1; }
command -v jq >/dev/null || die "jq is missing (apt-get install -y jq)"
command -v "$runc" >/dev/null || die "runc is missing (apt-get install -y runc): its 'spec' is the base config"
[ -x "$busybox" ] || die "$busybox is missing (apt-get install -y busybox-static)"
# A dynamic busybox would need its libraries in the rootfs.
if command -v file >/dev/null && ! file -L "$busybox" | grep -q 'statically linked'; then
	die "$busybox is not statically linked (install busybox-static)"
fi
[ -r "$seccomp" ] || die "$seccomp is missing"

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
rm -rf "$dir/rootfs" "$dir/config.json"

root=$dir/rootfs
mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" "$root/tmp" "$root/etc" "$root/root"
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
	[ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"

"$runc" spec --bundle "$dir"
tmp=$dir/config.json.tmp
jq --slurpfile seccomp "$seccomp" '
	.process.args = ["/bin/true"]
	| .process.terminal = false
	| .hostname = "berth-bench"
	| .linux.seccomp = $seccomp[0]
' "$dir/config.json" >"$tmp"
mv "$tmp" "$dir/config.json"

# What the benchmark promises about this bundle; fail loudly if runc's spec changes. (On a
# cgroup v2 host runc's spec adds a cgroup namespace, as Docker does there.)
jq -e '
	([.linux.namespaces[].type | select(. != "cgroup")] | sort) == ["ipc", "mount", "network", "pid", "uts"]
	and .process.args == ["/bin/true"]
	and .linux.seccomp.defaultAction == "SCMP_ACT_ERRNO"
	and (.process.capabilities.bounding | length) > 0
' "$dir/config.json" >/dev/null || die "unexpected config.json in $dir"
[ -L "$root/bin/true" ] || die "busybox has no 'true' applet"
