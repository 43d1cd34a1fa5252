# Real peers driving the runtime under test ($RUNTIME): Podman (podman.bats) and Docker
# (docker.bats). Load after helpers (`load helpers; load peers`).
#
# Nothing touches the machine's own Podman or Docker state:
# - Podman runs with --root/--runroot/--tmpdir in a temp dir, and in a mount namespace of its
#   own (kept in a file, entered with nsenter for every podman command) where /run and
#   /var/lib/containers are bind mounts of temp dirs. Podman (4.3) gives the OCI runtime no --root
#   and does not pass --runtime-flag on to conmon's exit command, so the runtime keeps its state in
#   its default root (/run/runc, /run/berth-runtime): inside that namespace, in $PM_TMP/run.
#   Cgroups go under a parent of the file's own (--cgroup-parent), removed at the end.
# - dockerd runs with its own data root, exec root, socket, pid file, config file, trust key and
#   cgroup parent; it starts its own containerd under its exec root. It too runs in a mount
#   namespace of its own, with /run and /etc/docker bind mounts of temp dirs (the shims' sockets
#   go to /run/containerd/s whatever containerd's state dir is). The runtime's state is then in
#   $DK_TMP/exec/runtime-runc/moby (docker 20.10 names the root so for every runtime).
#
# Run: tests/integration/run.sh tests/integration/podman.bats tests/integration/docker.bats
# (RUNTIME=/usr/bin/runc to check the tests against the reference). To see why the runtime failed:
# PM_LOG_LEVEL=debug makes every podman command log at that level (its stderr is in the test's
# output); a failing docker test prints, from its teardown, the end of dockerd's log and the
# runtime's log.json (the --log file containerd's shim gives it) of each container.

# The test image: busybox-static and its applets, passwd and group with a user 1000.
PEER_APPLETS="sh ash ls cat id sleep ps echo true false env mkdir rm touch stat grep sed awk
  head tail wc uname hostname mount ln chmod cp mv readlink test printf kill tty stty tr xargs"

# make_peer_rootfs_tar TAR: a tarball of that rootfs.
make_peer_rootfs_tar() {
  local tar=$1 dir a
  dir=$(mktemp -d "$(dirname "$tar")/rootfs.XXXXXX")
  mkdir -p "$dir"/{bin,etc,proc,sys,dev,tmp,root,home/user,var/tmp,run,mnt}
  chmod 1777 "$dir/tmp" "$dir/var/tmp"
  cp /bin/busybox "$dir/bin/busybox"
  for a in $PEER_APPLETS; do ln -sf busybox "$dir/bin/$a"; done
  printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'user:x:1000:1000:user:/home/user:/bin/sh' \
    'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >"$dir/etc/passwd"
  printf '%s\n' 'root:x:0:' 'user:x:1000:' 'nogroup:x:65534:' >"$dir/etc/group"
  chown 1000:1000 "$dir/home/user"
  chmod 0755 "$dir"
  tar -C "$dir" --numeric-owner -cf "$tar" .
  rm -rf "$dir"
}

# runtime_is_runc: whether $RUNTIME is runc (the reference).
runtime_is_runc() {
  "$RUNTIME" --version 2>/dev/null | head -1 | grep -q '^runc'
}

# The runtime's default state root when it is given no --root (as root).
runtime_default_root() {
  if runtime_is_runc; then echo /run/runc; else echo "/run/$(basename "$RUNTIME")"; fi
}

# kill_procs_mentioning STRING: SIGKILLs (by pid) every process whose command line contains
# STRING (a temp dir of this file's), then waits for them to go.
kill_procs_mentioning() {
  local s=$1 p pids=() i
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [[ $p == "$$" || $p == "$BASHPID" ]] && continue
    if { tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | grep -qF -- "$s"; then pids+=("$p"); fi
  done
  ((${#pids[@]})) || return 0
  kill -9 "${pids[@]}" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    local left=0
    for p in "${pids[@]}"; do
      [[ -e /proc/$p ]] && [[ $(awk '{print $3}' "/proc/$p/stat" 2>/dev/null) != Z ]] && left=1
    done
    ((left)) || return 0
    sleep 0.1
  done
}

# remove_cgroup_tree NAME: removes /sys/fs/cgroup/*/NAME (and the v2 one) with all its
# children, deepest first.
remove_cgroup_tree() {
  local name=$1 d
  [[ -n $name ]] || return 0
  for d in /sys/fs/cgroup/*/"$name" /sys/fs/cgroup/"$name"; do
    [[ -d $d ]] || continue
    find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
}

# wait_until TRIES CMD...: polls CMD every 0.1 s.
wait_until() {
  local tries=$1 i
  shift
  for ((i = 0; i < tries; i++)); do
    "$@" && return 0
    sleep 0.1
  done
  return 1
}

# peer_ns_make DIR [HOSTDIR...]: a mount namespace kept in DIR/ns/mnt (enter it with nsenter
# --mount=DIR/ns/mnt) in which /run, and each HOSTDIR that exists, is a bind mount of an empty
# directory under DIR. Mounts from the host still propagate in (slave); none propagate out.
peer_ns_make() {
  local dir=$1 d binds
  shift
  mkdir -p "$dir/ns" "$dir/run"
  # The namespace file must live on a private mount, or the kernel refuses the bind.
  mount --bind "$dir/ns" "$dir/ns" || return 1
  mount --make-private "$dir/ns" || return 1
  touch "$dir/ns/mnt"
  binds="mount --bind '$dir/run' /run"
  for d in "$@"; do
    [[ -d $d ]] || continue
    mkdir -p "$dir/hide$d"
    binds+=" && mount --bind '$dir/hide$d' '$d'"
  done
  unshare --mount="$dir/ns/mnt" --propagation slave sh -c "$binds" || {
    echo "cannot make a mount namespace in $dir" >&2
    return 1
  }
}

# peer_ns_remove DIR: unmounts, inside the namespace, whatever the peer mounted under DIR, then
# lets the namespace go.
peer_ns_remove() {
  local dir=$1
  [[ -e $dir/ns/mnt ]] || return 0
  nsenter --mount="$dir/ns/mnt" sh -c "awk -v d='$dir' 'index(\$5, d \"/\") == 1 { print \$5 }' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l" 2>/dev/null || true
  umount -l "$dir/ns/mnt" 2>/dev/null || true
  umount -l "$dir/ns" 2>/dev/null || true
}

# ---------------------------------------------------------------- podman

pm_setup_file() {
  [[ -x "$RUNTIME" ]] || { echo "runtime not found: $RUNTIME" >&2; return 1; }
  # bats 1.8 cannot skip from setup_file: the reason is kept, and setup skips each test.
  export PM_SKIP=
  command -v podman >/dev/null || { PM_SKIP="podman not installed"; return 0; }
  command -v conmon >/dev/null || { PM_SKIP="conmon not installed"; return 0; }
  PM_TMP=$(mktemp -d /tmp/berth-podman.XXXXXX)
  chmod 0755 "$PM_TMP"
  it_record tmp "$PM_TMP"
  export PM_TMP
  export PM_CGPARENT="berth-it-podman-$$"
  mkdir -p "$PM_TMP"/{root,runroot,tmp,networks}
  peer_ns_make "$PM_TMP" /var/lib/containers || return 1
  export PM_NS=$PM_TMP/ns/mnt
  PM_RT_ROOT=$PM_TMP/run/$(basename "$(runtime_default_root)")
  export PM_RT_ROOT
  cat >"$PM_TMP/containers.conf" <<EOF
[containers]
default_sysctls = []
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
conmon_path = ["$(command -v conmon)"]
[network]
network_config_dir = "$PM_TMP/networks"
EOF
  cat >"$PM_TMP/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$PM_TMP/root"
runroot = "$PM_TMP/runroot"
EOF
  export CONTAINERS_CONF=$PM_TMP/containers.conf
  export CONTAINERS_STORAGE_CONF=$PM_TMP/storage.conf
  export CONTAINERS_REGISTRIES_CONF=$PM_TMP/registries.conf
  # No registry credentials of anyone's: podman reads them even to run a local image.
  export REGISTRY_AUTH_FILE=$PM_TMP/auth.json
  echo '{}' >"$REGISTRY_AUTH_FILE"
  unset DOCKER_CONFIG
  : >"$CONTAINERS_REGISTRIES_CONF"
  make_peer_rootfs_tar "$PM_TMP/rootfs.tar"
  pm import "$PM_TMP/rootfs.tar" localhost/berth-it-busybox:latest >"$PM_TMP/import.log" 2>&1 || {
    cat "$PM_TMP/import.log" >&2
    return 1
  }
  export PM_IMAGE=localhost/berth-it-busybox:latest
}

pm_teardown_file() {
  [[ -n "${PM_TMP:-}" && -d "$PM_TMP" ]] || return 0
  if [[ -e "${PM_NS:-}" ]]; then
    pm rm -a -f -t 0 >/dev/null 2>&1 || true
  fi
  kill_procs_mentioning "$PM_TMP"
  peer_ns_remove "$PM_TMP"
  unmount_under "$PM_TMP"
  remove_cgroup_tree "$PM_CGPARENT"
  rm -rf "$PM_TMP"
}

# pm ARGS...: podman with this file's state, in its mount namespace, driving $RUNTIME.
pm() {
  nsenter --mount="$PM_NS" podman --root "$PM_TMP/root" --runroot "$PM_TMP/runroot" \
    --tmpdir "$PM_TMP/tmp" --storage-driver vfs --cgroup-manager cgroupfs --events-backend file \
    --runtime "$RUNTIME" ${PM_LOG_LEVEL:+--log-level "$PM_LOG_LEVEL"} "$@"
}

# Options for every podman run/create: no network; rlimits this machine can grant (it lacks
# CAP_SYS_RESOURCE, and podman's default nofile is above the hard limit); our cgroup parent.
pm_run_opts() {
  # shellcheck disable=SC2034 # used by the test files
  PM_RUN_OPTS=(--network none --ulimit nofile=20000:20000 --ulimit nproc=20000:20000
    --cgroup-parent "/$PM_CGPARENT")
}

# pm_teardown: removes every container of this file, whatever the test left.
pm_teardown() {
  [[ -n "${PM_TMP:-}" ]] || return 0
  local left
  left=$(pm ps -a -q 2>/dev/null) || true
  if [[ -n $left ]]; then
    # A test that failed midway can leave a paused container: podman rm -f copes with it.
    pm rm -a -f -t 0 >/dev/null 2>&1 || true
  fi
  rm -rf "$PM_TMP/t"
}

# peer_out CMD ARGS...: runs CMD (pm or dk) with stdin from /dev/null, stdout in $output (and
# $lines), stderr in $errout, exit status in $status. Through files, not pipes: a detached
# container's monitor must not hold a pipe of ours open.
PEER_SEQ=0
# shellcheck disable=SC2034 # $lines and $errout are for the tests
peer_out() {
  PEER_SEQ=$((PEER_SEQ + 1))
  local base=${PEER_OUT_DIR:?}/out.$PEER_SEQ
  status=0
  "$@" </dev/null >"$base.stdout" 2>"$base.stderr" 3>&- || status=$?
  output=$(cat "$base.stdout")
  errout=$(cat "$base.stderr")
  mapfile -t lines <<<"$output"
  [[ -n "$output" ]] || lines=()
  echo "$* -> $status"
  echo "stdout: $output"
  echo "stderr: $errout"
  return 0
}

# pm_out ARGS...: peer_out for podman.
pm_out() { PEER_OUT_DIR=$PM_TMP peer_out pm "$@"; }

# pm_state NAME: podman's State.Status of the container.
pm_state() { pm inspect -f '{{.State.Status}}' "$1"; }

# pm_wait_state NAME STATUS [TRIES]
pm_wait_state() {
  local i s
  for ((i = 0; i < ${3:-100}; i++)); do
    s=$(pm_state "$1" 2>/dev/null) || true
    [[ $s == "$2" ]] && return 0
    sleep 0.1
  done
  echo "container $1: state '$s', wanted '$2'" >&2
  return 1
}

# pm_logs_equal NAME TEXT: whether `podman logs NAME` is TEXT.
pm_logs_equal() { [[ "$(pm logs "$1" 2>&1)" == "$2" ]]; }

# ---------------------------------------------------------------- docker

dk_setup_file() {
  [[ -x "$RUNTIME" ]] || { echo "runtime not found: $RUNTIME" >&2; return 1; }
  export DK_SKIP=
  command -v dockerd >/dev/null || { DK_SKIP="dockerd not installed (docker.io)"; return 0; }
  command -v docker >/dev/null || { DK_SKIP="docker CLI not installed"; return 0; }
  DK_TMP=$(mktemp -d /tmp/berth-docker.XXXXXX)
  chmod 0755 "$DK_TMP"
  it_record tmp "$DK_TMP"
  export DK_TMP
  export DK_CGPARENT="berth-it-docker-$$"
  export DK_SOCK=$DK_TMP/docker.sock
  export DOCKER_CONFIG=$DK_TMP/client
  mkdir -p "$DK_TMP"/{data,exec,client}
  # dockerd would make /etc/docker/key.json; containerd's shims put their sockets in
  # /run/containerd/s whatever containerd's state dir; dockerd makes /run/docker/plugins.
  jq -n --arg k "$DK_TMP/key.json" '{"deprecated-key-path": $k}' >"$DK_TMP/daemon.json"
  peer_ns_make "$DK_TMP" /etc/docker || return 1
  export DK_NS=$DK_TMP/ns/mnt
  # dockerd starts its own containerd (config, root and state under its data and exec roots).
  # nsenter execs dockerd (no fork for a mount namespace): $! is dockerd.
  # shellcheck disable=SC2086 # DK_EXTRA_ARGS: extra dockerd flags, split on blanks
  nsenter --mount="$DK_NS" dockerd --config-file "$DK_TMP/daemon.json" --data-root "$DK_TMP/data" --exec-root "$DK_TMP/exec" \
    --pidfile "$DK_TMP/dockerd.pid" -H "unix://$DK_SOCK" --iptables=false --ip6tables=false \
    --bridge=none --ip-masq=false --storage-driver vfs --cgroup-parent "/$DK_CGPARENT" \
    --add-runtime "berth=$RUNTIME" ${DK_EXTRA_ARGS:-} >"$DK_TMP/dockerd.log" 2>&1 </dev/null 3>&- &
  DK_PID=$!
  export DK_PID
  local i
  for ((i = 0; i < 150; i++)); do
    if ! kill -0 "$DK_PID" 2>/dev/null; then break; fi
    docker -H "unix://$DK_SOCK" version >/dev/null 2>&1 && break
    sleep 0.2
  done
  if ! docker -H "unix://$DK_SOCK" version >/dev/null 2>&1; then
    DK_SKIP="dockerd cannot start on this machine; the end of its log: $(tail -5 "$DK_TMP/dockerd.log" | tr '\n' '|')"
    dk_teardown_file
    return 0
  fi
  # Its own containerd, not the machine's.
  if ! grep -q "containerd --config $DK_TMP/exec/containerd/containerd.toml" \
    <(pgrep -a -P "$DK_PID" containerd); then
    echo "dockerd did not start its own containerd under $DK_TMP/exec" >&2
    return 1
  fi
  make_peer_rootfs_tar "$DK_TMP/rootfs.tar"
  dk import "$DK_TMP/rootfs.tar" berth-it-busybox:latest >"$DK_TMP/import.log" 2>&1 || {
    cat "$DK_TMP/import.log" >&2
    return 1
  }
  export DK_IMAGE=berth-it-busybox:latest
  export DK_RT_ROOT=$DK_TMP/exec/runtime-runc/moby
}

dk_teardown_file() {
  [[ -n "${DK_TMP:-}" && -d "$DK_TMP" ]] || return 0
  if [[ -n "${DK_PID:-}" ]] && kill -0 "$DK_PID" 2>/dev/null; then
    local ids
    ids=$(dk ps -a -q 2>/dev/null) || true
    # shellcheck disable=SC2086 # one id a word
    [[ -n $ids ]] && dk rm -f $ids >/dev/null 2>&1
    local ctrd
    ctrd=$(pgrep -P "$DK_PID" containerd) || true
    kill -TERM "$DK_PID" 2>/dev/null || true
    wait_until 200 bash -c "! kill -0 $DK_PID 2>/dev/null" || kill -9 "$DK_PID" 2>/dev/null || true
    wait "$DK_PID" 2>/dev/null || true
    if [[ -n $ctrd ]]; then
      wait_until 100 bash -c "! kill -0 $ctrd 2>/dev/null" || kill -9 "$ctrd" 2>/dev/null || true
    fi
  fi
  # Shims and anything else that outlived them.
  kill_procs_mentioning "$DK_TMP"
  peer_ns_remove "$DK_TMP"
  unmount_under "$DK_TMP"
  remove_cgroup_tree "$DK_CGPARENT"
  rm -rf "$DK_TMP"
}

# dk ARGS...: the docker CLI on this file's dockerd.
dk() {
  docker -H "unix://$DK_SOCK" "$@"
}

# dk_out ARGS...: peer_out for docker.
dk_out() { PEER_OUT_DIR=$DK_TMP peer_out dk "$@"; }

dk_teardown() {
  [[ -n "${DK_TMP:-}" && -d "$DK_TMP" ]] || return 0
  local ids id
  ids=$(dk ps -a -q --no-trunc 2>/dev/null) || true
  # Shown by bats only when the test failed.
  echo "--- end of dockerd's log:"
  tail -n 15 "$DK_TMP/dockerd.log"
  for id in $ids; do
    echo "--- runtime log of $id:"
    dk_shim_log "$id"
  done
  # shellcheck disable=SC2086 # one id a word
  [[ -n $ids ]] && dk rm -f $ids >/dev/null 2>&1
  rm -rf "$DK_TMP/t"
  return 0
}

dk_state() { dk inspect -f '{{.State.Status}}' "$1"; }

dk_wait_state() {
  local i s
  for ((i = 0; i < ${3:-100}; i++)); do
    s=$(dk_state "$1" 2>/dev/null) || true
    [[ $s == "$2" ]] && return 0
    sleep 0.1
  done
  echo "container $1: state '$s', wanted '$2'" >&2
  return 1
}

# dk_shim_log ID: the runtime's log file that containerd's shim passed it (--log .../log.json).
dk_shim_log() {
  cat "$DK_TMP/exec/containerd/daemon/io.containerd.runtime.v2.task/moby/$1/log.json" 2>/dev/null || true
}
