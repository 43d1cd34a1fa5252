#!/usr/bin/env bats
# Hooks: all six kinds, the state on stdin, order, args and env, failures and timeouts.

load helpers

setup_file() { it_setup_file; }
teardown_file() { it_teardown_file; }
setup() {
  it_setup
  HOOKS=$TDIR/hooks
  mkdir -p "$HOOKS"
  chmod 0777 "$HOOKS"
  # The same path inside the container, so hooks that run there write to the same place.
  edit_config --arg h "$HOOKS" '.mounts += [{destination: $h, type: "bind", source: $h, options: ["bind", "rw"]}]'
}
teardown() { it_teardown; }

# hook NAME: a hook that appends NAME to the log and saves its stdin as NAME.json.
hook() {
  jq -n --arg n "$1" --arg d "$HOOKS" \
    '{path: "/bin/sh", args: ["sh", "-c", "echo \($n) >> \($d)/order; cat > \($d)/\($n).json"]}'
}

all_hooks() {
  edit_config --argjson a "$(hook prestart)" --argjson b "$(hook createRuntime)" \
    --argjson c "$(hook createContainer)" --argjson d "$(hook startContainer)" \
    --argjson e "$(hook poststart)" --argjson f "$(hook poststop)" \
    '.hooks = {prestart: [$a], createRuntime: [$b], createContainer: [$c], startContainer: [$d], poststart: [$e], poststop: [$f]}'
}

@test "all six hooks run in order: prestart, createRuntime, createContainer at create; startContainer, poststart at start; poststop at delete" {
  skip_if_runc "runc 1.1.5 runs poststart hooks at create, before start (fixed in runc 1.2)"
  all_hooks
  set_args probe sleep 1000
  runtime create --bundle "$BUNDLE" --pid-file "$TDIR/pid" "$CID" </dev/null >/dev/null 2>&1
  [ "$(cat "$HOOKS/order")" = "prestart
createRuntime
createContainer" ]
  runtime start "$CID"
  for _ in $(seq 50); do [ -e "$HOOKS/poststart.json" ] && break; sleep 0.1; done
  [ "$(cat "$HOOKS/order")" = "prestart
createRuntime
createContainer
startContainer
poststart" ]
  runtime kill "$CID" KILL
  wait_status "$CID" stopped
  runtime delete "$CID"
  [ "$(cat "$HOOKS/order")" = "prestart
createRuntime
createContainer
startContainer
poststart
poststop" ]
}

@test "each hook gets the state on stdin: id, pid, bundle, and the status of its moment" {
  all_hooks
  set_args probe sleep 1000
  runtime create --bundle "$BUNDLE" --pid-file "$TDIR/pid" "$CID" </dev/null >/dev/null 2>&1
  pid=$(cat "$TDIR/pid")
  runtime start "$CID"
  for _ in $(seq 50); do [ -e "$HOOKS/poststart.json" ] && break; sleep 0.1; done
  runtime delete --force "$CID"
  for h in prestart createRuntime createContainer startContainer poststart poststop; do
    f=$HOOKS/$h.json
    jq -e --arg id "$CID" '.id == $id' "$f" || { echo "$h: bad id: $(cat "$f")"; false; }
    jq -e --arg b "$BUNDLE" '.bundle == $b' "$f" || { echo "$h: bad bundle: $(cat "$f")"; false; }
    jq -e '.ociVersion | test("^1\\.")' "$f"
  done
  for h in prestart createRuntime createContainer startContainer poststart; do
    # runc 1.1.5 passes the pid as seen inside the container (1) to the hooks it runs there.
    if is_runc && [[ $h == createContainer || $h == startContainer ]]; then continue; fi
    jq -e --argjson p "$pid" '.pid == $p' "$HOOKS/$h.json" || { echo "$h: bad pid: $(cat "$HOOKS/$h.json")"; false; }
  done
  [ "$(jq -r .status "$HOOKS/prestart.json")" = creating ]
  [ "$(jq -r .status "$HOOKS/createRuntime.json")" = creating ]
  [ "$(jq -r .status "$HOOKS/createContainer.json")" = creating ]
  [ "$(jq -r .status "$HOOKS/startContainer.json")" = created ]
  # runc 1.1.5 runs poststart at create, so it reports "created".
  is_runc || [ "$(jq -r .status "$HOOKS/poststart.json")" = running ]
  [ "$(jq -r .status "$HOOKS/poststop.json")" = stopped ]
}

@test "createRuntime runs on the host, startContainer in the container" {
  ns='readlink /proc/self/ns/mnt; readlink /proc/self/ns/pid'
  edit_config --arg d "$HOOKS" --arg ns "$ns" '.hooks = {
    createRuntime: [{path: "/bin/sh", args: ["sh", "-c", "{ \($ns); } > \($d)/cr"]}],
    startContainer: [{path: "/bin/sh", args: ["sh", "-c", "{ \($ns); } > \($d)/sc"]}]}'
  set_args probe sleep 1000
  runtime run -d --bundle "$BUNDLE" --pid-file "$TDIR/pid" "$CID" </dev/null >/dev/null 2>&1
  pid=$(cat "$TDIR/pid")
  cat "$HOOKS/cr" "$HOOKS/sc"
  [ "$(sed -n 1p "$HOOKS/cr")" = "$(readlink /proc/self/ns/mnt)" ]
  [ "$(sed -n 1p "$HOOKS/sc")" = "$(readlink "/proc/$pid/ns/mnt")" ]
  [ "$(sed -n 2p "$HOOKS/sc")" = "$(readlink "/proc/$pid/ns/pid")" ]
}

@test "hooks get their args and env, and nothing else in env" {
  edit_config --arg d "$HOOKS" '.hooks = {createRuntime: [{path: "/bin/sh",
    args: ["sh", "-c", "echo \"$0 $1\" > \($d)/args; env > \($d)/env", "first", "second"],
    env: ["HOOKVAR=hook-value"]}]}'
  run_probe ids
  [ "$status" -eq 0 ]
  [ "$(cat "$HOOKS/args")" = "first second" ]
  grep -qx HOOKVAR=hook-value "$HOOKS/env"
  ! grep -q '^RT_ROOT=' "$HOOKS/env"
}

@test "a failing createRuntime hook fails create and leaves nothing behind" {
  edit_config '.hooks = {createRuntime: [{path: "/bin/false"}]}'
  set_args probe sleep 1000
  rt create --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  rt list -q
  [ "$output" = "" ]
  [ ! -e "$RT_ROOT/$CID" ]
  ! grep -q "$CID" /proc/*/cgroup 2>/dev/null
  [ -z "$(find /sys/fs/cgroup -maxdepth 4 -type d -name "$CID" 2>/dev/null)" ]
}

@test "a hook timeout fails create and leaves nothing behind" {
  edit_config --arg d "$HOOKS" '.hooks = {prestart: [{path: "/bin/sh", args: ["sh", "-c", "echo $$ > \($d)/hookpid; exec sleep 30"], timeout: 1}]}'
  set_args probe sleep 1000
  start=$(date +%s)
  rt create --bundle "$BUNDLE" "$CID"
  end=$(date +%s)
  [ "$status" -ne 0 ]
  [ $((end - start)) -lt 10 ]
  [ ! -e "$RT_ROOT/$CID" ]
  # The hook was killed.
  hookpid=$(cat "$HOOKS/hookpid")
  for _ in $(seq 20); do [ -e "/proc/$hookpid" ] || break; sleep 0.1; done
  [ ! -e "/proc/$hookpid" ]
}

@test "a failing poststop hook does not stop delete" {
  edit_config '.hooks = {poststop: [{path: "/bin/false"}]}'
  set_args true
  runtime create --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1
  runtime start "$CID"
  wait_status "$CID" stopped
  rt delete "$CID"
  [ ! -e "$RT_ROOT/$CID" ]
}

@test "several hooks of one kind run in the order given" {
  edit_config --arg d "$HOOKS" '.hooks = {createRuntime: [
    {path: "/bin/sh", args: ["sh", "-c", "echo one >> \($d)/order"]},
    {path: "/bin/sh", args: ["sh", "-c", "echo two >> \($d)/order"]},
    {path: "/bin/sh", args: ["sh", "-c", "echo three >> \($d)/order"]}]}'
  run_probe ids
  [ "$status" -eq 0 ]
  [ "$(cat "$HOOKS/order")" = "one
two
three" ]
}
