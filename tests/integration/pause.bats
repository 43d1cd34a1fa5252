#!/usr/bin/env bats
# pause and resume: state "paused", the freezer cgroup, and what is refused while paused.

load helpers

setup_file() { it_setup_file; }
teardown_file() { it_teardown_file; }
setup() { it_setup; }
teardown() { it_teardown; }

# freezer_state PID: FROZEN/THAWED from v1 freezer, or 1/0 from v2 cgroup.freeze.
freezer_state() {
  if is_cgroup_v2; then cat "$(cgroup_dir "$1" unified)/cgroup.freeze"; else cat "$(cgroup_dir "$1" freezer)/freezer.state"; fi
}

@test "pause freezes, resume thaws" {
  start_sleeper
  rt pause "$CID"
  [ "$status" -eq 0 ]
  [ "$(state_field "$CID" status)" = paused ]
  if is_cgroup_v2; then [ "$(freezer_state "$PID")" = 1 ]; else [ "$(freezer_state "$PID")" = FROZEN ]; fi
  rt resume "$CID"
  [ "$status" -eq 0 ]
  [ "$(state_field "$CID" status)" = running ]
  if is_cgroup_v2; then [ "$(freezer_state "$PID")" = 0 ]; else [ "$(freezer_state "$PID")" = THAWED ]; fi
}

@test "a paused container does not run" {
  set_args sh -c 'while :; do echo x >> /tmp/ticks; sleep 0.05; done'
  runtime run -d --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1
  for _ in $(seq 50); do [ -s "$BUNDLE/rootfs/tmp/ticks" ] && break; sleep 0.1; done
  rt pause "$CID"
  [ "$status" -eq 0 ]
  sleep 0.2
  before=$(wc -l <"$BUNDLE/rootfs/tmp/ticks")
  sleep 0.5
  [ "$(wc -l <"$BUNDLE/rootfs/tmp/ticks")" -eq "$before" ]
  rt resume "$CID"
  sleep 0.5
  [ "$(wc -l <"$BUNDLE/rootfs/tmp/ticks")" -gt "$before" ]
}

@test "pause of a stopped container fails, resume of a running one fails" {
  start_sleeper
  rt resume "$CID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"not paused"* ]]
  runtime kill "$CID" KILL
  wait_status "$CID" stopped
  rt pause "$CID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"not running"* ]]
}

@test "delete --force of a paused container" {
  start_sleeper
  runtime pause "$CID"
  rt delete --force "$CID"
  [ "$status" -eq 0 ]
  for _ in $(seq 50); do [ -e "/proc/$PID" ] || break; sleep 0.1; done
  [ ! -e "/proc/$PID" ]
  rt state "$CID"
  [[ "$output" == *"does not exist"* ]]
}

@test "list shows a paused container as paused" {
  start_sleeper
  runtime pause "$CID"
  rt list --format json
  echo "$output" | jq -e --arg id "$CID" 'map(select(.id == $id))[0].status == "paused"'
  runtime resume "$CID"
}
