#!/usr/bin/env bash
# Runs the integration tests (all tests/integration/*.bats, or the bats arguments given) against
# $RUNTIME (default $BERTH_BUILD/bin/berth-runtime; BERTH_BUILD defaults to <repo>/build), and
# ends with a line "N passed, N failed, N skipped". Exits non-zero if any test failed.
#
#   tests/integration/run.sh                         # everything, against build/bin/berth-runtime
#   RUNTIME=/usr/bin/runc tests/integration/run.sh   # the same tests against the reference
#   tests/integration/run.sh tests/integration/exec.bats -f 'exec --user'
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
export BERTH_REPO=$repo
export BERTH_BUILD=${BERTH_BUILD:-$repo/build}
export RUNTIME=${RUNTIME:-$BERTH_BUILD/bin/berth-runtime}
export BERTH_PROBE=${BERTH_PROBE:-$BERTH_BUILD/bin/berth-probe}
# A hung runtime fails its test instead of the whole run.
export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-120}

die() { echo "run.sh: $*" >&2; exit 2; }
[[ $(id -u) == 0 ]] || die "must run as root (the tests mount, make cgroups and create a rootless user)"
for tool in bats jq python3 setpriv useradd; do
  command -v "$tool" >/dev/null || die "missing $tool (apt-get install -y bats jq python3 util-linux passwd)"
done
[[ -x $RUNTIME ]] || die "runtime not found: $RUNTIME (build it, or set RUNTIME / BERTH_BUILD)"
[[ -x $BERTH_PROBE ]] || die "probe not found: $BERTH_PROBE (ninja -C \$BERTH_BUILD berth-probe)"
[[ -x /bin/busybox ]] || die "missing /bin/busybox (apt-get install -y busybox-static)"

if (($# == 0)); then
  set -- "$here"/*.bats
fi

# Every test dir, user and container id the tests make is noted here (helpers.bash it_record);
# afterwards none of them may be left: dirs, mounts, cgroups, users, subordinate ranges.
manifest=$(mktemp /tmp/berth-it-manifest.XXXXXX)
export BERTH_IT_MANIFEST=$manifest
leftovers() {
  local kind value
  while read -r kind value; do
    case $kind in
      tmp)
        [[ -e $value ]] && echo "dir $value"
        awk -v d="$value" '$5 == d || index($5, d "/") == 1 { print "mount " $5 }' /proc/self/mountinfo
        ;;
      cid)
        find /sys/fs/cgroup -maxdepth 6 -type d \( -name "$value" -o -name "$value-*" \) 2>/dev/null | sed 's/^/cgroup /'
        pgrep -f -- "$value( |-|$)" 2>/dev/null | sed 's/^/process /'
        ;;
      user)
        grep -q "^$value:" /etc/passwd && echo "user $value"
        grep -h "^$value:" /etc/subuid /etc/subgid 2>/dev/null | sed 's/^/subid /'
        ;;
    esac
  done <"$manifest"
  return 0
}

echo "# runtime: $RUNTIME ($("$RUNTIME" --version 2>/dev/null | head -1))"
log=$(mktemp /tmp/berth-it-tap.XXXXXX)
trap 'rm -f "$log" "$manifest"' EXIT
bats --tap "$@" | tee "$log"
rc=${PIPESTATUS[0]}

skipped=$(grep -cE '^ok [0-9]+ .*# skip' "$log")
ok=$(grep -cE '^ok [0-9]+' "$log")
failed=$(grep -cE '^not ok [0-9]+' "$log")
passed=$((ok - skipped))
left=$(leftovers | sort -u)
if [[ -n $left ]]; then
  echo "# left behind by this run:"
  sed 's/^/#   /' <<<"$left"
  rc=1
fi
echo "$passed passed, $failed failed, $skipped skipped"
if ((rc != 0 || failed > 0)); then exit 1; fi
exit 0
