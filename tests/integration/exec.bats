#!/usr/bin/env bats
# exec into a running container: args, --process, -d, --pid-file, --env, --cwd, --user, --cap,
# exit status.

load helpers

setup_file() { it_setup_file; }
teardown_file() { it_teardown_file; }
setup() { it_setup; start_sleeper; }
teardown() { it_teardown; }

@test "exec runs args in the container's namespaces" {
  rt exec "$CID" probe ns
  [ "$status" -eq 0 ]
  for ns in pid mnt net uts ipc; do
    [ "$(value "ns_$ns")" = "$(host_ns "$PID" "$ns")" ]
  done
}

@test "exec: the process joins the container's cgroup" {
  rt exec "$CID" probe cgroup
  [ "$status" -eq 0 ]
  [ "$output" = "$(sed 's/^/cgroup=/' "/proc/$PID/cgroup")" ]
}

@test "exec propagates the exit status" {
  rt exec "$CID" sh -c 'exit 42'
  [ "$status" -eq 42 ]
  rt exec "$CID" false
  [ "$status" -eq 1 ]
  rt exec "$CID" true
  [ "$status" -eq 0 ]
}

@test "exec of a missing binary fails" {
  rt exec "$CID" /no/such/binary
  [ "$status" -ne 0 ]
  [[ "$output" == *"/no/such/binary"* ]]
  # The container is unharmed.
  [ "$(state_field "$CID" status)" = running ]
}

@test "exec inherits the container's env and adds --env" {
  rt exec --env FOO=bar --env "WITH_SPACE=a b" "$CID" probe env
  [ "$status" -eq 0 ]
  grep -qx 'FOO=bar' <<<"$output"
  grep -qx 'WITH_SPACE=a b' <<<"$output"
  grep -qx 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' <<<"$output"
}

@test "exec --env overrides a variable of the container" {
  edit_config '.process.env += ["MODE=config"]'
  runtime delete -f "$CID"
  start_sleeper
  rt exec "$CID" probe env
  grep -qx 'MODE=config' <<<"$output"
  rt exec --env MODE=exec "$CID" probe env
  [ "$status" -eq 0 ]
  grep -qx 'MODE=exec' <<<"$output"
  [ "$(grep -c '^MODE=' <<<"$output")" -eq 1 ]
}

@test "exec --cwd sets the working directory" {
  rt exec --cwd /etc "$CID" probe cwd
  [ "$status" -eq 0 ]
  [ "$(value cwd)" = /etc ]
  rt exec "$CID" probe cwd
  [ "$(value cwd)" = / ]
}

@test "exec --user uid:gid" {
  rt exec --user 1000:1000 "$CID" probe ids
  [ "$status" -eq 0 ]
  [ "$(value uid)" = 1000 ]
  [ "$(value gid)" = 1000 ]
  [ "$(value euid)" = 1000 ]
  [ "$(value egid)" = 1000 ]
  [ "$(value groups)" = "" ]
}

@test "exec --user with a uid only keeps gid 0" {
  rt exec --user 1000 "$CID" probe ids
  [ "$status" -eq 0 ]
  [ "$(value uid)" = 1000 ]
  [ "$(value gid)" = 0 ]
}

@test "exec --additional-gids" {
  rt exec --user 1000:1000 --additional-gids 2000 --additional-gids 3000 "$CID" probe ids
  [ "$status" -eq 0 ]
  [ "$(value groups)" = "2000,3000" ]
}

@test "exec --cap adds a capability to the spec's set" {
  # `spec` gives CAP_AUDIT_WRITE (29), CAP_KILL (5), CAP_NET_BIND_SERVICE (10).
  rt exec "$CID" probe caps
  [ "$(value cap_eff)" = 0000000020000420 ]
  rt exec --cap CAP_SYS_ADMIN "$CID" probe caps
  [ "$status" -eq 0 ]
  # CAP_SYS_ADMIN is bit 21.
  [ "$(value cap_eff)" = 0000000020200420 ]
  [ "$(value cap_prm)" = 0000000020200420 ]
  [ "$(value cap_bnd)" = 0000000020200420 ]
}

@test "exec --process FILE runs the process it describes" {
  cat >"$TDIR/process.json" <<'EOF'
{
  "terminal": false,
  "user": { "uid": 1000, "gid": 2000, "additionalGids": [3000] },
  "args": ["probe", "ids"],
  "env": ["PATH=/bin", "FROM_FILE=yes"],
  "cwd": "/tmp",
  "capabilities": { "bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"] },
  "noNewPrivileges": true
}
EOF
  rt exec --process "$TDIR/process.json" "$CID"
  [ "$status" -eq 0 ]
  [ "$(value uid)" = 1000 ]
  [ "$(value gid)" = 2000 ]
  [ "$(value groups)" = 3000 ]
  jq '.args = ["probe", "env"]' "$TDIR/process.json" >"$TDIR/p2.json"
  rt exec --process "$TDIR/p2.json" "$CID"
  [ "$status" -eq 0 ]
  grep -qx FROM_FILE=yes <<<"$output"
  jq '.args = ["probe", "cwd"]' "$TDIR/process.json" >"$TDIR/p3.json"
  rt exec --process "$TDIR/p3.json" "$CID"
  [ "$(value cwd)" = /tmp ]
  jq '.args = ["probe", "caps"] | .user = {uid: 0, gid: 0}' "$TDIR/process.json" >"$TDIR/p4.json"
  rt exec --process "$TDIR/p4.json" "$CID"
  [ "$status" -eq 0 ]
  # CAP_KILL is bit 5.
  [ "$(value cap_eff)" = 0000000000000020 ]
  [ "$(value cap_bnd)" = 0000000000000020 ]
  jq '.args = ["probe", "nnp"]' "$TDIR/process.json" >"$TDIR/p5.json"
  rt exec --process "$TDIR/p5.json" "$CID"
  [ "$(value no_new_privs)" = 1 ]
}

@test "exec -d with --pid-file runs detached" {
  rt exec -d --pid-file "$TDIR/exec.pid" "$CID" probe sleep 1000
  [ "$status" -eq 0 ]
  epid=$(cat "$TDIR/exec.pid")
  [[ "$epid" =~ ^[0-9]+$ ]]
  [ "$(tr '\0' ' ' <"/proc/$epid/cmdline")" = "probe sleep 1000 " ]
  [ "$(host_ns "$epid" pid)" = "$(host_ns "$PID" pid)" ]
  [ "$(host_ns "$epid" mnt)" = "$(host_ns "$PID" mnt)" ]
  # ps lists it with the init.
  rt ps --format json "$CID"
  [ "$status" -eq 0 ]
  echo "$output" | jq -e --argjson p "$epid" 'index($p) != null'
}

@test "exec into a stopped container fails with 'not running'" {
  runtime kill "$CID" KILL
  wait_status "$CID" stopped
  rt exec "$CID" true
  [ "$status" -ne 0 ]
  [[ "$output" == *"not running"* ]] || [[ "$output" == *"stopped"* ]]
}

@test "exec'd process sees no leaked fds" {
  rt exec "$CID" probe fds
  [ "$status" -eq 0 ]
  [ "$(value fd_count)" -eq 3 ]
  [ "$(grep -c '^fd=' <<<"$output")" -eq 3 ]
  [ "$(grep '^fd=' <<<"$output" | cut -d' ' -f1 | tr '\n' ' ')" = "fd=0 fd=1 fd=2 " ]
}

@test "exec's process is in the container's namespaces before the container can see it" {
  # With CAP_SYS_PTRACE a container process can read (and trace) any process it sees: one still
  # in the host's mount namespace would be a way out.
  add_caps CAP_SYS_PTRACE
  set_args sh -c 'own=$(readlink /proc/self/ns/mnt)
    while [ ! -e /tmp/stop ]; do
      for p in /proc/[0-9]*; do
        m=$(readlink $p/ns/mnt 2>/dev/null) || continue
        [ "$m" = "$own" ] || echo "FOREIGN ${p#/proc/} $m"
      done
    done; echo watched'
  local w=$CID-watch
  runtime run -d --bundle "$BUNDLE" --pid-file "$TDIR/pid" "$w" </dev/null >"$TDIR/out" 2>&1
  for _ in $(seq 40); do runtime exec "$w" true </dev/null >/dev/null 2>&1; done
  runtime exec "$w" touch /tmp/stop </dev/null
  for _ in $(seq 50); do grep -q '^watched' "$TDIR/out" && break; sleep 0.1; done
  cat "$TDIR/out"
  grep -q '^watched' "$TDIR/out"
  ! grep -q FOREIGN "$TDIR/out"
}
