#!/usr/bin/env bats
# ps: the processes of a container, as a table and as JSON.

load helpers

setup_file() { it_setup_file; }
teardown_file() { it_teardown_file; }
setup() { it_setup; }
teardown() { it_teardown; }

@test "ps --format json lists the host pids of the container's processes" {
  set_args sh -c 'sleep 1000 & exec probe sleep 1000'
  runtime run -d --bundle "$BUNDLE" --pid-file "$TDIR/pid" "$CID" </dev/null >/dev/null 2>&1
  pid=$(cat "$TDIR/pid")
  for _ in $(seq 50); do [ -n "$(pgrep -P "$pid")" ] && break; sleep 0.1; done
  child=$(pgrep -P "$pid")
  rt ps --format json "$CID"
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq -c 'sort')" = "$(printf '%s\n' "$pid" "$child" | sort -n | jq -sc .)" ]
}

@test "ps prints a table with a PID column" {
  start_sleeper
  rt ps "$CID"
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == *PID* ]]
  [[ "$output" == *"probe sleep 1000"* ]]
  [ "${#lines[@]}" -eq 2 ]
}

@test "ps of an unknown container says 'does not exist'" {
  rt ps "no-such-$CID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"does not exist"* ]]
}
