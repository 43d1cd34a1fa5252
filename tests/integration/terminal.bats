#!/usr/bin/env bats
# process.terminal through --console-socket: the pty master reaches the socket's listener.

load helpers

setup_file() { it_setup_file; }
teardown_file() { it_teardown_file; }
setup() {
  it_setup
  SOCK=$TDIR/console.sock
  edit_config '.process.terminal = true | .process.consoleSize = {height: 25, width: 80}'
}
teardown() {
  [[ -n "${RECV_PID:-}" ]] && kill "$RECV_PID" 2>/dev/null
  it_teardown
}

# recvtty OUT [INPUT]: starts the receiver in the background, waits for its socket.
recvtty() {
  rm -f "$SOCK"
  python3 "$BATS_TEST_DIRNAME/recvtty.py" "$SOCK" "$1" "${2:-}" </dev/null >"$TDIR/recvtty.log" 2>&1 3>&- &
  RECV_PID=$!
  for _ in $(seq 50); do [ -S "$SOCK" ] && return 0; sleep 0.1; done
  echo "recvtty did not listen" >&2
  return 1
}

wait_recvtty() {
  local i
  for ((i = 0; i < 100; i++)); do kill -0 "$RECV_PID" 2>/dev/null || break; sleep 0.1; done
  wait "$RECV_PID"
}

@test "terminal: the process's stdio is a pty, sized as asked" {
  recvtty "$TDIR/out"
  set_args sh -c 'tty; stty size; probe fds; [ -t 0 ] && echo stdin-is-tty'
  rt create --console-socket "$SOCK" --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  rt start "$CID"
  [ "$status" -eq 0 ]
  wait_recvtty
  out=$(tr -d '\r' <"$TDIR/out")
  echo "$out"
  [ "$(sed -n 1p <<<"$out")" = /dev/pts/0 ]
  [ "$(sed -n 2p <<<"$out")" = "25 80" ]
  grep -qx 'fd=0 /dev/pts/0' <<<"$out"
  grep -qx 'fd=1 /dev/pts/0' <<<"$out"
  grep -qx 'fd=2 /dev/pts/0' <<<"$out"
  grep -qx 'fd_count=3' <<<"$out"
  grep -qx stdin-is-tty <<<"$out"
}

@test "terminal: /dev/console is the pty" {
  recvtty "$TDIR/out"
  set_args sh -c 'stat -c %t:%T /dev/console /dev/pts/0'
  runtime run -d --console-socket "$SOCK" --bundle "$BUNDLE" "$CID"
  wait_recvtty
  out=$(tr -d '\r' <"$TDIR/out")
  # devpts major 136 (0x88), minor 0: the console is the same node.
  [ "$out" = "88:0
88:0" ]
}

@test "terminal: input typed on the master reaches the process" {
  recvtty "$TDIR/out" $'typed-line\n'
  set_args sh -c 'read line; echo "got:$line"'
  runtime run -d --console-socket "$SOCK" --bundle "$BUNDLE" "$CID"
  wait_recvtty
  grep -q '^got:typed-line' <(tr -d '\r' <"$TDIR/out")
}

@test "terminal without --console-socket is refused for create" {
  rt create --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  [[ "$output" == *console* ]]
  [ ! -e "$RT_ROOT/$CID" ]
}

@test "exec -t with --console-socket" {
  edit_config '.process.terminal = false'
  start_sleeper
  recvtty "$TDIR/out"
  rt exec -t --console-socket "$SOCK" -d "$CID" sh -c 'tty; echo exec-on-tty'
  [ "$status" -eq 0 ]
  wait_recvtty
  out=$(tr -d '\r' <"$TDIR/out")
  [[ "$(sed -n 1p <<<"$out")" == /dev/pts/* ]]
  [ "$(sed -n 2p <<<"$out")" = exec-on-tty ]
}
