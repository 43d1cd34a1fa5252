# Shared setup for berth-runtime integration tests. Runtime-agnostic: the runtime under test
# is $RUNTIME (default $BERTH_BUILD/bin/berth-runtime); run the same files with RUNTIME=/usr/bin/runc
# to check the tests against the reference.
#
# Each test file: `load helpers`, and in its setup_file call `it_setup_file` (or
# `it_setup_file rootless` to run the runtime as an unprivileged user made for the file),
# setup → it_setup, teardown → it_teardown, teardown_file → it_teardown_file.

BERTH_REPO=${BERTH_REPO:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
BERTH_BUILD=${BERTH_BUILD:-$BERTH_REPO/build}
RUNTIME=${RUNTIME:-$BERTH_BUILD/bin/berth-runtime}
BERTH_PROBE=${BERTH_PROBE:-$BERTH_BUILD/bin/berth-probe}
export BERTH_REPO BERTH_BUILD RUNTIME BERTH_PROBE

# Applets linked into the test rootfs's /bin.
BUSYBOX_APPLETS="sh ash ls cat id sleep ps echo true false env mkdir rmdir rm touch stat grep sed
  awk head tail wc uname hostname mount umount ln chmod chown cp mv readlink test printf kill
  dd tee sync pwd whoami date ip nsenter sysctl find xargs cut tr basename dirname seq stty tty
  mknod"

# True when the runtime under test is runc (the reference), for known runc limitations here.
is_runc() {
  case "$("$RUNTIME" --version 2>/dev/null | head -1)" in
    runc*) return 0 ;;
  esac
  return 1
}

# A test that runc 1.1.5 fails on this machine for a runc limitation: skipped for runc,
# still run for berth-runtime (which must do better).
skip_if_runc() {
  if is_runc; then skip "runc limitation: $*"; fi
}

# ---------------------------------------------------------------- file and test setup

# it_record KIND VALUE: notes what this run made (tmp dir, user, container id) in
# $BERTH_IT_MANIFEST when run.sh set it, so that run.sh can check that none of it is left.
it_record() {
  if [[ -n "${BERTH_IT_MANIFEST:-}" ]]; then echo "$1 $2" >>"$BERTH_IT_MANIFEST"; fi
  return 0
}

it_setup_file() {
  [[ -x "$RUNTIME" ]] || { echo "runtime not found: $RUNTIME (set RUNTIME or BERTH_BUILD)" >&2; return 1; }
  [[ -x "$BERTH_PROBE" ]] || { echo "probe not found: $BERTH_PROBE (build target berth-probe)" >&2; return 1; }
  command -v jq >/dev/null || { echo "jq missing: apt-get install -y jq" >&2; return 1; }
  IT_TMP=$(mktemp -d /tmp/berth-it.XXXXXX)
  chmod 0755 "$IT_TMP"
  it_record tmp "$IT_TMP"
  export IT_TMP
  export IT_ROOTLESS=0
  export RT_ROOT=$IT_TMP/state
  if [[ "${1:-}" == rootless ]]; then
    create_rootless_user
    IT_ROOTLESS=1
    export RT_ROOT=$IT_XDG/runtime-state
  fi
  mkdir -p "$RT_ROOT"
  [[ $IT_ROOTLESS == 1 ]] && chown "$IT_UID:$IT_GID" "$RT_ROOT"
  return 0
}

it_teardown_file() {
  [[ -n "${IT_TMP:-}" && -d "$IT_TMP" ]] || return 0
  cleanup_containers
  unmount_under "$IT_TMP"
  if [[ -n "${IT_USER:-}" ]]; then
    pkill_user_procs
    remove_rootless_user
  fi
  rm -rf "$IT_TMP"
}

it_setup() {
  CID="berth-it-$BATS_TEST_NUMBER-$$"
  it_record cid "$CID"
  TDIR=$IT_TMP/t$BATS_TEST_NUMBER
  rm -rf "$TDIR"
  mkdir -p "$TDIR"
  chmod 0755 "$TDIR"
  [[ $IT_ROOTLESS == 1 ]] && chown "$IT_UID:$IT_GID" "$TDIR"
  BUNDLE=$TDIR/bundle
  make_bundle "$BUNDLE"
}

it_teardown() {
  cleanup_containers
  [[ -n "${TDIR:-}" ]] || return 0
  unmount_under "$TDIR"
  rm -rf "$TDIR"
}

# Forcibly deletes every container in this file's runtime root.
cleanup_containers() {
  local id ids
  ids=$(runtime list -q 2>/dev/null) || true
  for id in $ids; do
    runtime kill "$id" KILL >/dev/null 2>&1 || true
    runtime delete -f "$id" >/dev/null 2>&1 || true
  done
  # A state dir the runtime itself cannot read back any more: remove it by hand.
  if [[ -d "$RT_ROOT" ]]; then
    for id in "$RT_ROOT"/*; do
      [[ -e "$id" ]] || continue
      runtime delete -f "$(basename "$id")" >/dev/null 2>&1 || true
    done
  fi
}

unmount_under() {
  local dir=$1 mp
  # Deepest first.
  for mp in $(awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
    umount -l "$mp" 2>/dev/null || true
  done
}

# ---------------------------------------------------------------- running the runtime

# runtime ARGS...: the runtime under test with this file's --root, as root or as the rootless user.
runtime() {
  if [[ $IT_ROOTLESS == 1 ]]; then
    as_user "$RUNTIME" --root "$RT_ROOT" "$@" 3>&-
  else
    "$RUNTIME" --root "$RT_ROOT" "$@" 3>&-
  fi
}

# Runs a command as the rootless user with a minimal environment of its own.
as_user() {
  setpriv --reuid="$IT_UID" --regid="$IT_GID" --init-groups --reset-env \
    env HOME="$IT_HOME" USER="$IT_USER" LOGNAME="$IT_USER" XDG_RUNTIME_DIR="$IT_XDG" \
    PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin "$@"
}

# rt ARGS...: like bats' `run runtime ARGS...` ($status, $output, $lines), but the runtime's
# stdout and stderr go to a file, not a pipe: a container created or run detached inherits them
# and would hold a pipe open forever. stdin is /dev/null unless RT_STDIN names a file.
RT_SEQ=0
rt() {
  RT_SEQ=$((RT_SEQ + 1))
  local out=$TDIR/rt.$RT_SEQ.out
  status=0
  runtime "$@" <"${RT_STDIN:-/dev/null}" >"$out" 2>&1 3>&- || status=$?
  output=$(cat "$out")
  mapfile -t lines <<<"$output"
  [[ -n "$output" ]] || lines=()
  echo "rt $* -> $status: $output"
  return 0
}

# ---------------------------------------------------------------- bundles

# make_bundle DIR: an OCI bundle whose rootfs is busybox + the probe, and a config.json from
# the runtime's own `spec` (rootless when the file is), with terminal off, a writable root and args `probe ids`.
make_bundle() {
  local dir=$1 rootfs=$1/rootfs a
  mkdir -p "$rootfs"/{bin,sbin,etc,proc,sys,dev,tmp,root,home/user,var,run,mnt}
  chmod 1777 "$rootfs/tmp"
  cp /bin/busybox "$rootfs/bin/busybox"
  for a in $BUSYBOX_APPLETS; do ln -sf busybox "$rootfs/bin/$a"; done
  cp "$BERTH_PROBE" "$rootfs/bin/probe"
  cat >"$rootfs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
  cat >"$rootfs/etc/group" <<'EOF'
root:x:0:
user:x:1000:
extra:x:2000:user
nogroup:x:65534:
EOF
  echo "berth-it" >"$rootfs/etc/hostname"
  chown 1000:1000 "$rootfs/home/user"
  if [[ $IT_ROOTLESS == 1 ]]; then
    # As the user, so that the spec maps the user's own uid and gid.
    chown "$IT_UID:$IT_GID" "$dir"
    (cd "$dir" && as_user "$RUNTIME" spec --rootless)
  else
    (cd "$dir" && "$RUNTIME" spec)
  fi
  local tmp
  tmp=$(mktemp "$dir/config.XXXXXX")
  jq '.process.terminal = false | .root.readonly = false | .process.args = ["probe", "ids"]' "$dir/config.json" >"$tmp"
  mv "$tmp" "$dir/config.json"
  if [[ $IT_ROOTLESS == 1 ]]; then
    chown -R "$IT_UID:$IT_GID" "$dir"
    chown "$IT_UID:$IT_GID" "$rootfs/home/user"
  fi
}

# edit_config [JQ-OPTIONS...] JQ-EXPR: rewrites $BUNDLE/config.json (or $CONFIG) through jq.
# e.g. edit_config --arg p /data '.mounts += [{destination: $p, type: "tmpfs", source: "tmpfs"}]'
edit_config() {
  local cfg=${CONFIG:-$BUNDLE/config.json}
  local expr=${*: -1}
  local opts=("${@:1:$#-1}")
  local out
  out=$(jq "${opts[@]}" "$expr" <"$cfg") || { echo "edit_config: jq failed on: $expr" >&2; return 1; }
  # Rewrite in place so the owner (rootless user) is kept.
  printf '%s\n' "$out" >"$cfg"
}

# set_args ARG...: the container's process.args.
set_args() {
  local cfg=${CONFIG:-$BUNDLE/config.json} out i=0 a opts=()
  # --arg, not --args: jq would take an argument such as "-c" for one of its own options.
  for a in "$@"; do
    opts+=(--arg "$i" "$a")
    i=$((i + 1))
  done
  out=$(jq "${opts[@]}" '.process.args = [$ARGS.named | to_entries | sort_by(.key | tonumber) | .[].value]' <"$cfg") || return 1
  printf '%s\n' "$out" >"$cfg"
}

# add_caps CAP...: adds capabilities to the bounding, effective and permitted sets.
add_caps() {
  local c
  for c in "$@"; do
    edit_config --arg c "$c" '.process.capabilities |= (.bounding += [$c] | .effective += [$c] | .permitted += [$c])'
  done
}

# ---------------------------------------------------------------- running containers

# run_probe ARG...: set args to `probe ARG...`, then `runtime run` the bundle in the
# foreground; $status, $output and $lines as rt sets them.
run_probe() {
  set_args probe "$@"
  rt run --bundle "$BUNDLE" "$CID"
}

# start_sleeper [ID]: create+start a container running `probe sleep 1000` in the background;
# leaves it running. Sets $PID to its init's host pid.
start_sleeper() {
  local id=${1:-$CID}
  set_args probe sleep 1000
  runtime run -d --bundle "$BUNDLE" --pid-file "$TDIR/$id.pid" "$id" </dev/null >"$TDIR/$id.out" 2>"$TDIR/$id.err" || {
    echo "run -d $id failed:" >&2
    cat "$TDIR/$id.err" >&2
    return 1
  }
  PID=$(cat "$TDIR/$id.pid")
}

# state_field ID FIELD: a field of `runtime state ID`.
state_field() {
  runtime state "$1" | jq -r ".$2"
}

# wait_status ID STATUS [TRIES]: polls `state` until it reports STATUS.
wait_status() {
  local i s
  for ((i = 0; i < ${3:-50}; i++)); do
    s=$(state_field "$1" status 2>/dev/null) || true
    [[ "$s" == "$2" ]] && return 0
    sleep 0.1
  done
  echo "container $1: status '$s', wanted '$2'" >&2
  return 1
}

# value KEY: the value of the first KEY=... line of $output (probe output).
value() {
  local line
  while IFS= read -r line; do
    if [[ "$line" == "$1="* ]]; then
      printf '%s\n' "${line#"$1="}"
      return 0
    fi
  done <<<"$output"
  echo "no key $1 in output:" >&2
  printf '%s\n' "$output" >&2
  return 1
}

# host_ns PID NS: inode of /proc/PID/ns/NS.
host_ns() {
  stat -L -c %i "/proc/$1/ns/$2"
}

# cgroup_dir PID CONTROLLER: host directory of PID's cgroup for a v1 controller, or the v2 one
# when CONTROLLER is "unified" (the hybrid mount) or the machine is pure v2.
cgroup_dir() {
  local pid=$1 ctrl=$2 line
  if is_cgroup_v2 || [[ $ctrl == unified ]]; then
    line=$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup")
    if is_cgroup_v2; then echo "/sys/fs/cgroup$line"; else echo "/sys/fs/cgroup/unified$line"; fi
    return 0
  fi
  awk -F: -v c="$ctrl" '$1 != "0" {
      n = split($2, a, ",")
      for (i = 1; i <= n; i++) if (a[i] == c || a[i] == "name=" c) { sub(/^name=/, "", $2); print "/sys/fs/cgroup/" $2 $3 }
    }' "/proc/$pid/cgroup"
}

# all_cgroup_dirs PID: every host cgroup directory PID is in, one a line (v1 and v2).
all_cgroup_dirs() {
  awk -F: '{
      if ($1 == "0") { print (v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified") $3; next }
      sub(/^name=/, "", $2); print "/sys/fs/cgroup/" $2 $3
    }' v2="$(is_cgroup_v2 && echo 1)" "/proc/$1/cgroup"
}

# cg_read PID V1CONTROLLER V1FILE V2FILE: a cgroup file of PID's, from v1 or v2 as the machine has it.
cg_read() {
  if is_cgroup_v2; then cat "$(cgroup_dir "$1" unified)/$4"; else cat "$(cgroup_dir "$1" "$2")/$3"; fi
}

is_cgroup_v2() { [[ -f /sys/fs/cgroup/cgroup.controllers ]]; }

# ---------------------------------------------------------------- the rootless user

# Users berthitPID left by a run that was killed before its teardown_file (PID gone).
remove_stale_users() {
  local u pid
  for u in $(awk -F: '$1 ~ /^berthit[0-9]+$/ { print $1 }' /etc/passwd); do
    pid=${u#berthit}
    kill -0 "$pid" 2>/dev/null && continue
    (
      flock 9
      sed -i "/^$u:/d" /etc/subuid /etc/subgid
    ) 9</etc
    userdel "$u" >/dev/null 2>&1 || true
  done
}

# append_subid_range NAME COUNT: a subordinate uid and gid range for NAME after every range
# already given out, under a lock so parallel runs do not pick the same one (flock on /etc
# itself: no lock file is left behind).
append_subid_range() {
  touch /etc/subuid /etc/subgid
  (
    flock 9
    local start
    start=$(awk -F: 'BEGIN { m = 1000000 } { e = $2 + $3; if (e > m) m = e } END { print m }' /etc/subuid /etc/subgid)
    start=$(((start + 65535) / 65536 * 65536))
    echo "$1:$start:$2" >>/etc/subuid
    echo "$1:$start:$2" >>/etc/subgid
  ) 9</etc
}

create_rootless_user() {
  remove_stale_users
  IT_USER="berthit$$"
  it_record user "$IT_USER"
  IT_HOME=$IT_TMP/home
  mkdir -p "$IT_HOME"
  # Stale user from a killed run with a recycled pid.
  if id "$IT_USER" >/dev/null 2>&1; then userdel "$IT_USER" >/dev/null 2>&1 || true; fi
  useradd -M -d "$IT_HOME" -s /bin/sh -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$IT_USER"
  IT_UID=$(id -u "$IT_USER")
  IT_GID=$(id -g "$IT_USER")
  chown "$IT_UID:$IT_GID" "$IT_HOME"
  IT_XDG=$IT_TMP/xdg
  mkdir -p "$IT_XDG"
  chown "$IT_UID:$IT_GID" "$IT_XDG"
  chmod 0700 "$IT_XDG"
  append_subid_range "$IT_USER" 65536
  IT_SUBID_START=$(awk -F: -v u="$IT_USER" '$1 == u { print $2 }' /etc/subuid)
  export IT_USER IT_UID IT_GID IT_HOME IT_XDG IT_SUBID_START
}

# make_delegated_cgroup: a cgroup2 directory given to the rootless user, as systemd's
# Delegate=yes gives one, in $DELEG. The test removes it with remove_delegated_cgroup.
make_delegated_cgroup() {
  local mount=/sys/fs/cgroup/unified
  is_cgroup_v2 && mount=/sys/fs/cgroup
  [[ -f $mount/cgroup.procs ]] || skip "no cgroup2 hierarchy is mounted"
  it_record cid "berthit-deleg-$$"
  DELEG=$mount/berthit-deleg-$$
  mkdir "$DELEG"
  chown "$IT_UID:$IT_GID" "$DELEG" "$DELEG"/cgroup.{procs,subtree_control,threads}
}

# Deepest first: what is left in a cgroup goes back to the root, then the cgroup goes (killed
# processes may take a moment to leave).
remove_delegated_cgroup() {
  [[ -n ${DELEG:-} && -d $DELEG ]] || return 0
  local dir pid try
  for dir in $(find "$DELEG" -depth -type d); do
    for try in $(seq 50); do
      for pid in $(cat "$dir/cgroup.procs" 2>/dev/null); do
        echo "$pid" >"$(dirname "$DELEG")/cgroup.procs" 2>/dev/null || true
      done
      rmdir "$dir" 2>/dev/null && break
      sleep 0.1
    done
  done
  [[ ! -d $DELEG ]] || echo "# left: $(find "$DELEG" -type d)" >&3
}

# mark_delegated: the mark systemd puts on a unit's cgroup with Delegate=yes.
mark_delegated() {
  python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.delegate", b"1")' "$DELEG"
}

pkill_user_procs() {
  local p
  for p in $(pgrep -u "$IT_UID" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
}

remove_rootless_user() {
  (
    flock 9
    sed -i "/^$IT_USER:/d" /etc/subuid /etc/subgid
  ) 9</etc
  userdel "$IT_USER" >/dev/null 2>&1 || true
}

# on_readonly_mount PATH: succeeds if PATH (a file, or a /proc/PID/exe link) is on a read-only mount.
on_readonly_mount() {
  python3 -c 'import os, sys; sys.exit(0 if os.statvfs(sys.argv[1]).f_flag & os.ST_RDONLY else 1)' "$1"
}
