#!/usr/bin/env bats
# cgroup resources read back from the host's cgroup files, cgroupsPath, update, and cleanup on
# delete. Works on v1, v2 and hybrid (v1 controllers + /sys/fs/cgroup/unified).

load helpers

setup_file() { it_setup_file; }
teardown_file() { it_teardown_file; }
setup() { it_setup; }
teardown() {
  it_teardown
  [[ -n "${CGPARENT:-}" ]] && find /sys/fs/cgroup -depth -type d -path "*/$CGPARENT*" -exec rmdir {} + 2>/dev/null
  true
}

@test "memory limit" {
  edit_config '.linux.resources.memory = {limit: 67108864}'
  start_sleeper
  [ "$(cg_read "$PID" memory memory.limit_in_bytes memory.max)" = 67108864 ]
}

@test "memory reservation" {
  edit_config '.linux.resources.memory = {limit: 67108864, reservation: 33554432}'
  start_sleeper
  [ "$(cg_read "$PID" memory memory.soft_limit_in_bytes memory.low)" = 33554432 ]
}

@test "pids limit" {
  edit_config '.linux.resources.pids = {limit: 50}'
  start_sleeper
  [ "$(cg_read "$PID" pids pids.max pids.max)" = 50 ]
}

@test "pids limit is enforced" {
  edit_config '.linux.resources.pids = {limit: 10}'
  set_args sh -c 'for i in $(seq 20); do sleep 10 & done; echo spawned'
  rt run --bundle "$BUNDLE" "$CID"
  [[ "$output" == *"can't fork"* ]] || [[ "$output" == *"Resource temporarily unavailable"* ]]
}

@test "cpu shares" {
  edit_config '.linux.resources.cpu = {shares: 512}'
  start_sleeper
  if is_cgroup_v2; then
    # runc's conversion: weight = 1 + ((shares - 2) * 9999) / 262142
    [ "$(cat "$(cgroup_dir "$PID" unified)/cpu.weight")" = 20 ]
  else
    [ "$(cat "$(cgroup_dir "$PID" cpu)/cpu.shares")" = 512 ]
  fi
}

@test "cpu quota and period" {
  edit_config '.linux.resources.cpu = {quota: 50000, period: 100000}'
  start_sleeper
  if is_cgroup_v2; then
    [ "$(cat "$(cgroup_dir "$PID" unified)/cpu.max")" = "50000 100000" ]
  else
    [ "$(cat "$(cgroup_dir "$PID" cpu)/cpu.cfs_quota_us")" = 50000 ]
    [ "$(cat "$(cgroup_dir "$PID" cpu)/cpu.cfs_period_us")" = 100000 ]
  fi
}

@test "cpuset cpus" {
  edit_config '.linux.resources.cpu = {cpus: "0"}'
  start_sleeper
  [ "$(cg_read "$PID" cpuset cpuset.cpus cpuset.cpus)" = 0 ]
  [ "$(awk '/^Cpus_allowed_list/ { print $2 }' "/proc/$PID/status")" = 0 ]
}

@test "blkio weight" {
  is_cgroup_v2 && skip "v1 blkio test"
  [ -e /sys/fs/cgroup/blkio/blkio.weight ] || [ -e /sys/fs/cgroup/blkio/blkio.bfq.weight ] || skip "no blkio weight (no CFQ/BFQ scheduler)"
  edit_config '.linux.resources.blockIO = {weight: 500}'
  start_sleeper
  d=$(cgroup_dir "$PID" blkio)
  [ "$(cat "$d/blkio.weight" 2>/dev/null || awk '{ print $NF }' "$d/blkio.bfq.weight")" = 500 ]
}

@test "devices cgroup: a device outside the allow list cannot be opened; one inside can" {
  # c 1:1 (/dev/mem) is not among the default devices; c 1:3 (null) is allowed explicitly
  # here under another name. mknod itself is allowed for all ("c *:* m", as runc does).
  edit_config '.linux.resources.devices = [{allow: false, access: "rwm"}, {allow: true, type: "c", major: 1, minor: 3, access: "rwm"}]'
  add_caps CAP_MKNOD
  set_args sh -c 'mknod /tmp/mem c 1 1 && mknod /tmp/mynull c 1 3 || exit 9
    head -c 1 /tmp/mem >/dev/null; echo mem=$?; echo hi >/tmp/mynull; echo mynull=$?'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  grep -qx 'mem=1' <<<"$output"
  grep -qx 'mynull=0' <<<"$output"
  [[ "$output" == *"/tmp/mem: Operation not permitted"* ]]
}

@test "hugetlb limit" {
  [ -d /sys/fs/cgroup/hugetlb ] || is_cgroup_v2 || skip "no hugetlb controller"
  edit_config '.linux.resources.hugepageLimits = [{pageSize: "2MB", limit: 4194304}]'
  start_sleeper
  [ "$(cg_read "$PID" hugetlb hugetlb.2MB.limit_in_bytes hugetlb.2MB.max)" = 4194304 ]
}

@test "hugetlb limit on a hybrid host without a v1 hugetlb: set on the unified hierarchy" {
  skip_if_runc "runc cannot set hugetlb limits without a v1 hugetlb hierarchy"
  [ ! -d /sys/fs/cgroup/hugetlb ] && [ -d /sys/fs/cgroup/unified ] || skip "not a hybrid host without v1 hugetlb"
  grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.controllers || skip "no hugetlb controller on the unified hierarchy"
  edit_config '.linux.resources.hugepageLimits = [{pageSize: "2MB", limit: 4194304}]'
  start_sleeper
  path=$(awk -F: '$1 == "0" { print $3 }' "/proc/$PID/cgroup")
  [ "$(cat "/sys/fs/cgroup/unified$path/hugetlb.2MB.max")" = 4194304 ]
}

@test "cgroupsPath places the container" {
  CGPARENT="berth-it-cg-$$"
  edit_config --arg p "/$CGPARENT/$CID" '.linux.cgroupsPath = $p | .linux.resources.pids = {limit: 20}'
  start_sleeper
  [ "$(awk -F: '$2 == "pids" { print $3 }' "/proc/$PID/cgroup")" = "/$CGPARENT/$CID" ]
  is_cgroup_v2 || [ "$(cgroup_dir "$PID" pids)" = "/sys/fs/cgroup/pids/$CGPARENT/$CID" ]
  [ "$(cg_read "$PID" pids pids.max pids.max)" = 20 ]
  is_cgroup_v2 || [ "$(awk -F: '$1 == "0" { print $3 }' "/proc/$PID/cgroup")" = "/$CGPARENT/$CID" ]
}

@test "cgroups are removed on delete" {
  edit_config '.linux.resources = {memory: {limit: 67108864}, pids: {limit: 50}}'
  start_sleeper
  dirs=$(all_cgroup_dirs "$PID" | grep "$CID")
  [ "$(echo "$dirs" | wc -l)" -ge 2 ]
  for d in $dirs; do [ -d "$d" ]; done
  runtime kill "$CID" KILL
  wait_status "$CID" stopped
  rt delete "$CID"
  [ "$status" -eq 0 ]
  for d in $dirs; do [ ! -e "$d" ] || { echo "left behind: $d"; false; }; done
}

@test "cgroups are removed on delete --force of a running container" {
  edit_config '.linux.resources = {pids: {limit: 50}}'
  start_sleeper
  runtime exec -d "$CID" probe sleep 1000
  dirs=$(all_cgroup_dirs "$PID" | grep "$CID")
  [ -n "$dirs" ]
  rt delete --force "$CID"
  [ "$status" -eq 0 ]
  for d in $dirs; do [ ! -e "$d" ] || { echo "left behind: $d"; false; }; done
}

@test "update --memory and --pids-limit" {
  edit_config '.linux.resources = {memory: {limit: 67108864}, pids: {limit: 50}}'
  start_sleeper
  rt update --memory 134217728 "$CID"
  [ "$status" -eq 0 ]
  [ "$(cg_read "$PID" memory memory.limit_in_bytes memory.max)" = 134217728 ]
  rt update --pids-limit 77 "$CID"
  [ "$status" -eq 0 ]
  [ "$(cg_read "$PID" pids pids.max pids.max)" = 77 ]
  # Untouched by the second update.
  [ "$(cg_read "$PID" memory memory.limit_in_bytes memory.max)" = 134217728 ]
}

@test "update --cpu-shares and --cpu-quota" {
  is_cgroup_v2 && skip "v1 cpu files"
  start_sleeper
  rt update --cpu-share 256 --cpu-quota 20000 --cpu-period 100000 "$CID"
  [ "$status" -eq 0 ]
  [ "$(cat "$(cgroup_dir "$PID" cpu)/cpu.shares")" = 256 ]
  [ "$(cat "$(cgroup_dir "$PID" cpu)/cpu.cfs_quota_us")" = 20000 ]
}

@test "update --resources - reads JSON from stdin" {
  edit_config '.linux.resources = {memory: {limit: 67108864}, pids: {limit: 50}}'
  start_sleeper
  echo '{"memory": {"limit": 100663296}, "pids": {"limit": 33}}' >"$TDIR/res.json"
  RT_STDIN=$TDIR/res.json rt update --resources - "$CID"
  [ "$status" -eq 0 ]
  [ "$(cg_read "$PID" memory memory.limit_in_bytes memory.max)" = 100663296 ]
  [ "$(cg_read "$PID" pids pids.max pids.max)" = 33 ]
}

@test "update --resources FILE" {
  start_sleeper
  echo '{"pids": {"limit": 44}}' >"$TDIR/res.json"
  rt update --resources "$TDIR/res.json" "$CID"
  [ "$status" -eq 0 ]
  [ "$(cg_read "$PID" pids pids.max pids.max)" = 44 ]
}

@test "update of an unknown container says 'does not exist'" {
  rt update --pids-limit 10 "no-such-$CID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"does not exist"* ]]
}

@test "the container sees its own cgroup namespace root" {
  edit_config '.linux.namespaces += [{type: "cgroup"}]'
  run_probe cgroup
  [ "$status" -eq 0 ]
  # In a new cgroup namespace every hierarchy's path is "/".
  [ "$(grep -vc ':/$' <<<"$output")" -eq 0 ]
  [ "$(grep -c '^cgroup=' <<<"$output")" -ge 1 ]
}

@test "pure cgroup v2 (simulated in a private mount namespace): init is cloned into its cgroup" {
  is_runc && skip "runc is checked against this machine's real layout only"
  [ -d /sys/fs/cgroup/unified ] || skip "needs the hybrid layout to simulate v2 from"
  set_args sh -c 'cat /proc/self/cgroup; echo x >/dev/null && echo devnull=ok; head -c1 /dev/kmsg >/dev/null 2>&1 || echo kmsg=denied'
  run unshare -m sh -c "mount --make-rprivate / && umount -l /sys/fs/cgroup &&
    mount -t cgroup2 none /sys/fs/cgroup &&
    strace -f -e trace=clone3 -o '$TDIR/strace' '$RUNTIME' --root '$RT_ROOT' run --bundle '$BUNDLE' '$CID' &&
    ! test -e '/sys/fs/cgroup/$CID'"
  echo "$output"
  [ "$status" -eq 0 ]
  grep -qx "0::/$CID" <<<"$output"
  grep -qx devnull=ok <<<"$output"
  grep -qx kmsg=denied <<<"$output"
  grep -q CLONE_INTO_CGROUP "$TDIR/strace"
}
