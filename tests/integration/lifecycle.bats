#!/usr/bin/env bats
# create/start/state/kill/delete, run, run -d, pid files, list, and the error texts
# containerd matches on.

load helpers

setup_file() { it_setup_file; }
teardown_file() { it_teardown_file; }
setup() { it_setup; }
teardown() { it_teardown; }

@test "create, start, kill, delete: state goes created, running, stopped" {
  set_args probe sleep 1000
  rt create --bundle "$BUNDLE" --pid-file "$TDIR/pid" "$CID"
  [ "$status" -eq 0 ]
  [ "$(state_field "$CID" status)" = created ]
  [ "$(state_field "$CID" id)" = "$CID" ]
  [ "$(state_field "$CID" bundle)" = "$BUNDLE" ]
  pid=$(cat "$TDIR/pid")
  [ "$(state_field "$CID" pid)" = "$pid" ]
  [ -d "/proc/$pid" ]
  # Before start, the init waits: it is not yet running the probe.
  ! grep -q probe "/proc/$pid/cmdline"

  rt start "$CID"
  [ "$status" -eq 0 ]
  [ "$(state_field "$CID" status)" = running ]
  for _ in $(seq 50); do grep -q probe "/proc/$pid/cmdline" && break; sleep 0.1; done
  [ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" = "probe sleep 1000 " ]

  rt kill "$CID" KILL
  [ "$status" -eq 0 ]
  wait_status "$CID" stopped

  rt delete "$CID"
  [ "$status" -eq 0 ]
  rt state "$CID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"does not exist"* ]]
  [ ! -e "$RT_ROOT/$CID" ]
}

@test "state of a created container reports ociVersion, pid and bundle" {
  set_args probe sleep 1000
  runtime create --bundle "$BUNDLE" "$CID"
  rt state "$CID"
  [ "$status" -eq 0 ]
  echo "$output" | jq -e '.ociVersion | test("^1\\.")'
  echo "$output" | jq -e '.pid > 0'
  echo "$output" | jq -e --arg b "$BUNDLE" '.bundle == $b'
}

@test "run in the foreground: output and exit status are the process's" {
  set_args sh -c 'echo hello from the container; exit 7'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 7 ]
  [ "$output" = "hello from the container" ]
  # A foreground run deletes the container when it ends.
  rt state "$CID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"does not exist"* ]]
}

@test "run in the foreground: stdin is passed through" {
  set_args cat
  run bash -c 'echo through-stdin | "$0" --root "$1" run --bundle "$2" "$3"' "$RUNTIME" "$RT_ROOT" "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = through-stdin ]
}

@test "run -d with --pid-file: detached, running, pid is the init" {
  start_sleeper
  [ "$(state_field "$CID" status)" = running ]
  [ "$(state_field "$CID" pid)" = "$PID" ]
  [ "$(tr '\0' ' ' <"/proc/$PID/cmdline")" = "probe sleep 1000 " ]
  # The pid file holds the number alone, no newline needed.
  [[ "$(cat "$TDIR/$CID.pid")" =~ ^[0-9]+$ ]]
}

@test "the process sees itself as pid 1 in its pid namespace" {
  run_probe pid
  [ "$status" -eq 0 ]
  [ "$(value pid)" = 1 ]
  [ "$(value ppid)" = 0 ]
}

@test "list shows the containers, --format json too" {
  start_sleeper "$CID"
  start_sleeper "$CID-b"
  rt list
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == ID* ]]
  [[ "$output" == *"$CID "*running* ]]
  [[ "$output" == *"$CID-b "*running* ]]
  rt list -q
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | sort | tr '\n' ' ')" = "$CID $CID-b " ]
  rt list --format json
  [ "$status" -eq 0 ]
  echo "$output" | jq -e --arg id "$CID" 'map(select(.id == $id)) | length == 1'
  echo "$output" | jq -e --arg id "$CID" 'map(select(.id == $id))[0].status == "running"'
  echo "$output" | jq -e --arg id "$CID" --arg b "$BUNDLE" 'map(select(.id == $id))[0].bundle == $b'
  echo "$output" | jq -e --arg id "$CID" --argjson p "$PID" 'map(select(.id == $id + "-b"))[0].pid == $p'
}

@test "list of an empty root is empty" {
  rt list -q
  [ "$status" -eq 0 ]
  [ "$output" = "" ]
  rt list --format json
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq length)" -eq 0 ]
}

@test "a duplicate id is refused and the first container is unharmed" {
  start_sleeper
  rt create --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"already exists"* ]]
  [ "$(state_field "$CID" status)" = running ]
  [ "$(state_field "$CID" pid)" = "$PID" ]
}

@test "every verb on an unknown id says 'does not exist'" {
  for verb in state start delete kill pause resume ps; do
    rt "$verb" "no-such-$CID"
    [ "$status" -ne 0 ]
    [[ "$output" == *"does not exist"* ]] || { echo "verb $verb: $output"; false; }
  done
  rt exec "no-such-$CID" true
  [ "$status" -ne 0 ]
  [[ "$output" == *"does not exist"* ]]
}

@test "kill of a stopped container fails with 'container not running'" {
  set_args true
  runtime create --bundle "$BUNDLE" "$CID"
  runtime start "$CID"
  wait_status "$CID" stopped
  rt kill "$CID" TERM
  [ "$status" -ne 0 ]
  [[ "$output" == *"container not running"* ]]
}

# wait_file PATH [CONTENT]: polls until PATH exists (and has CONTENT).
wait_file() {
  for _ in $(seq 100); do
    if [ -e "$1" ] && { [ $# -lt 2 ] || [ "$(cat "$1")" = "$2" ]; }; then return 0; fi
    sleep 0.05
  done
  echo "waited in vain for $1 ${2:+to hold '$2'}: $(cat "$1" 2>&1)"
  return 1
}

@test "kill takes signal names with and without SIG and numbers" {
  set_args sh -c 'trap "echo got-usr1 >> /tmp/sig" USR1; trap "echo got-hup >> /tmp/sig" HUP; touch /tmp/ready; while :; do sleep 0.05; done'
  runtime run -d --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1
  wait_file "$BUNDLE/rootfs/tmp/ready"
  rt kill "$CID" USR1
  [ "$status" -eq 0 ]
  wait_file "$BUNDLE/rootfs/tmp/sig" got-usr1
  rt kill "$CID" SIGHUP
  [ "$status" -eq 0 ]
  wait_file "$BUNDLE/rootfs/tmp/sig" "got-usr1
got-hup"
  rt kill "$CID" 9
  [ "$status" -eq 0 ]
  wait_status "$CID" stopped
}

@test "kill with no signal sends SIGTERM" {
  set_args sh -c 'trap "echo term > /tmp/sig; exit 0" TERM; touch /tmp/ready; while :; do sleep 0.05; done'
  runtime run -d --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1
  wait_file "$BUNDLE/rootfs/tmp/ready"
  rt kill "$CID"
  [ "$status" -eq 0 ]
  wait_status "$CID" stopped
  [ "$(cat "$BUNDLE/rootfs/tmp/sig")" = term ]
}

@test "kill --all reaches every process of the container" {
  set_args sh -c 'sleep 1000 & sleep 1000 & wait'
  runtime run -d --bundle "$BUNDLE" --pid-file "$TDIR/pid" "$CID" </dev/null >/dev/null 2>&1
  pid=$(cat "$TDIR/pid")
  for _ in $(seq 50); do [ "$(pgrep -P "$pid" | wc -l)" -eq 2 ] && break; sleep 0.1; done
  children=$(pgrep -P "$pid")
  [ "$(echo "$children" | wc -l)" -eq 2 ]
  rt kill --all "$CID" KILL
  [ "$status" -eq 0 ]
  wait_status "$CID" stopped
  for c in $children; do [ ! -e "/proc/$c" ] || grep -q '^State:.*Z' "/proc/$c/status"; done
}

@test "delete of a running container without --force is refused" {
  start_sleeper
  rt delete "$CID"
  [ "$status" -ne 0 ]
  [[ "$output" == *running* ]]
  [ "$(state_field "$CID" status)" = running ]
  kill -0 "$PID"
}

@test "delete --force kills and removes a running container" {
  start_sleeper
  rt delete --force "$CID"
  [ "$status" -eq 0 ]
  for _ in $(seq 50); do [ -e "/proc/$PID" ] || break; sleep 0.1; done
  [ ! -e "/proc/$PID" ]
  rt state "$CID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"does not exist"* ]]
  [ ! -e "$RT_ROOT/$CID" ]
}

@test "delete of a created container removes its waiting init" {
  set_args true
  runtime create --bundle "$BUNDLE" --pid-file "$TDIR/pid" "$CID"
  pid=$(cat "$TDIR/pid")
  rt delete --force "$CID"
  [ "$status" -eq 0 ]
  for _ in $(seq 50); do [ -e "/proc/$pid" ] || break; sleep 0.1; done
  [ ! -e "/proc/$pid" ]
}

@test "delete of a stopped container works without --force" {
  set_args true
  runtime create --bundle "$BUNDLE" "$CID"
  runtime start "$CID"
  wait_status "$CID" stopped
  rt delete "$CID"
  [ "$status" -eq 0 ]
  [ ! -e "$RT_ROOT/$CID" ]
}

@test "start of a container that is already running fails" {
  start_sleeper
  rt start "$CID"
  [ "$status" -ne 0 ]
  [ "$(state_field "$CID" status)" = running ]
}

@test "--version prints a version and spec line" {
  run "$RUNTIME" --version
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" =~ version\ [0-9]+\.[0-9]+ ]]
  [[ "$output" == *"spec: 1."* ]]
}

@test "spec writes a config.json that the runtime runs" {
  mkdir "$TDIR/spec"
  run bash -c 'cd "$1" && "$2" spec' _ "$TDIR/spec" "$RUNTIME"
  [ "$status" -eq 0 ]
  jq -e '.ociVersion and .process.args == ["sh"] and .root.path == "rootfs"' "$TDIR/spec/config.json"
  jq -e '[.linux.namespaces[].type] | sort == ["ipc","mount","network","pid","uts"]' "$TDIR/spec/config.json"
  # A second spec into the same dir refuses to overwrite.
  run bash -c 'cd "$1" && "$2" spec' _ "$TDIR/spec" "$RUNTIME"
  [ "$status" -ne 0 ]
}

@test "spec --rootless maps the caller and drops the network namespace" {
  mkdir "$TDIR/spec"
  run bash -c 'cd "$1" && "$2" spec --rootless' _ "$TDIR/spec" "$RUNTIME"
  [ "$status" -eq 0 ]
  jq -e '[.linux.namespaces[].type] | index("user") != null and index("network") == null' "$TDIR/spec/config.json"
  jq -e '.linux.uidMappings | length == 1' "$TDIR/spec/config.json"
}

@test "features prints JSON with the spec version range" {
  skip_if_runc "runc 1.1.5 has no features command"
  rt features
  [ "$status" -eq 0 ]
  echo "$output" | jq -e '.ociVersionMin and .ociVersionMax'
  echo "$output" | jq -e '.linux.namespaces | index("user") != null'
}

@test "global flags --debug, --log and --log-format text are accepted" {
  rt --debug --log "$TDIR/rt.log" --log-format text list -q
  [ "$status" -eq 0 ]
  [ "$output" = "" ]
  set_args true
  rt --log "$TDIR/rt.log" run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ -e "$TDIR/rt.log" ]
}
