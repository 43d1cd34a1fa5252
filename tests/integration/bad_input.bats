#!/usr/bin/env bats
# Bad input gets a clear error and leaves nothing behind: no state dir, no cgroup, no process.

load helpers

setup_file() { it_setup_file; }
teardown_file() { it_teardown_file; }
setup() { it_setup; }
teardown() { it_teardown; }

# run_split ARGS: runs the runtime with stdout and stderr in $TDIR/stdout, $TDIR/stderr.
run_split() {
  status=0
  runtime "$@" </dev/null >"$TDIR/stdout" 2>"$TDIR/stderr" || status=$?
  echo "status $status; stderr: $(cat "$TDIR/stderr")"
}

# nothing_left ID: no state, no cgroup directory, no process of the container.
nothing_left() {
  local id=${1:-$CID}
  [ ! -e "$RT_ROOT/$id" ] || { echo "state dir left: $RT_ROOT/$id"; return 1; }
  [ "$(runtime list -q)" = "" ] || { echo "list not empty: $(runtime list -q)"; return 1; }
  local left
  left=$(find /sys/fs/cgroup -maxdepth 6 -type d -name "*$id*" 2>/dev/null)
  [ -z "$left" ] || { echo "cgroups left: $left"; return 1; }
  ! grep -qs "$id" /proc/[0-9]*/cgroup || { echo "a process is still in a cgroup named $id"; return 1; }
}

@test "malformed config.json: non-zero exit, one error line, nothing left" {
  echo '{"ociVersion": "1.0.2", "process": ' >"$BUNDLE/config.json"
  run_split run --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  [ "$(wc -l <"$TDIR/stderr")" -eq 1 ]
  # runc 1.1.5 says only "unexpected EOF"; berth names the file.
  is_runc || grep -q config.json "$TDIR/stderr"
  nothing_left
}

@test "a field of the wrong type: the error names the field" {
  edit_config '.process.args = "probe ids"'
  run_split run --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  [ "$(wc -l <"$TDIR/stderr")" -eq 1 ]
  grep -q args "$TDIR/stderr"
  nothing_left
}

@test "a wrong type deep in linux: the error names the field" {
  edit_config '.linux.resources.memory.limit = "lots"'
  run_split run --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  grep -q limit "$TDIR/stderr"
  nothing_left
}

@test "no config.json" {
  rm "$BUNDLE/config.json"
  run_split run --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  grep -q config.json "$TDIR/stderr"
  nothing_left
}

@test "empty process.args" {
  edit_config '.process.args = []'
  run_split run --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  grep -q args "$TDIR/stderr"
  nothing_left
}

@test "missing rootfs" {
  rm -rf "$BUNDLE/rootfs"
  run_split create --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  grep -q rootfs "$TDIR/stderr"
  nothing_left
}

@test "missing bind mount source" {
  edit_config --arg s "$TDIR/no-such-dir" '.mounts += [{destination: "/data", type: "bind", source: $s, options: ["bind"]}] | .linux.resources.pids = {limit: 100}'
  run_split create --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  grep -q no-such-dir "$TDIR/stderr"
  nothing_left
  [ ! -e "$TDIR/no-such-dir" ]
}

@test "an unknown mount type" {
  edit_config '.mounts += [{destination: "/data", type: "nosuchfs", source: "x"}]'
  run_split create --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  nothing_left
}

@test "init failing while the runtime still writes the cgroup: init's error is the one reported" {
  edit_config '.mounts += [{destination: "/data", type: "tmpfs", source: "tmpfs", options: ["size=bogus"]}]
    | .linux.resources.devices = [{allow: false, access: "rwm"}]
        + [range(0; 15000) | {allow: true, type: "c", major: 200, minor: ., access: "r"}]'
  run_split create --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  grep -q 'size=bogus' "$TDIR/stderr"
  nothing_left
}

@test "an unknown global flag and an unknown command flag" {
  run_split --no-such-flag list
  [ "$status" -ne 0 ]
  grep -q no-such-flag "$TDIR/stderr"
  run_split create --no-such-flag --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  grep -q no-such-flag "$TDIR/stderr"
  nothing_left
}

@test "an unknown command" {
  run_split frobnicate
  [ "$status" -ne 0 ]
}

@test "a missing container id" {
  run_split create --bundle "$BUNDLE"
  [ "$status" -ne 0 ]
  [ -z "$(ls -A "$RT_ROOT")" ]
}

@test "ids with a slash, dot-dot, or empty are refused and create nothing outside the root" {
  for id in "../escape-$$" "a/b" ".." "."; do
    run_split create --bundle "$BUNDLE" "$id"
    [ "$status" -ne 0 ] || { echo "id '$id' accepted"; false; }
  done
  [ ! -e "$(dirname "$RT_ROOT")/escape-$$" ]
  [ -z "$(ls -A "$RT_ROOT")" ]
}

@test "a bundle path that does not exist" {
  run_split create --bundle "$TDIR/nowhere" "$CID"
  [ "$status" -ne 0 ]
  grep -q nowhere "$TDIR/stderr"
  nothing_left
}

@test "an unsupported ociVersion major is refused" {
  skip_if_runc "runc 1.1.5 does not check ociVersion"
  edit_config '.ociVersion = "9.0.0"'
  run_split create --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  grep -q ociVersion "$TDIR/stderr"
  nothing_left
}

@test "a failing process start (bad cwd file) cleans up the cgroup" {
  touch "$BUNDLE/rootfs/afile"
  edit_config '.process.cwd = "/afile" | .linux.resources.pids = {limit: 100}'
  run_split run --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  nothing_left
}

@test "--log-format json writes errors as JSON lines to --log" {
  echo '{' >"$BUNDLE/config.json"
  status=0
  runtime --log "$TDIR/log.json" --log-format json run --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1 || status=$?
  [ "$status" -ne 0 ]
  [ -s "$TDIR/log.json" ]
  tail -1 "$TDIR/log.json" | jq -e '.level == "error" and (.msg | length > 0)'
}

@test "net_cls/net_prio limits are refused, not silently ignored" {
  edit_config '.linux.resources.network = {classID: 1048577, priorities: [{name: "lo", priority: 5}]}'
  rt create --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"linux.resources.network"* ]]
  [ ! -e "$RT_ROOT/$CID" ]
}
