#!/usr/bin/env bats
# The process of the spec: capabilities, noNewPrivileges, rlimits, oomScoreAdj, user, umask,
# env, cwd, personality.

load helpers

setup_file() { it_setup_file; }
teardown_file() { it_teardown_file; }
setup() { it_setup; }
teardown() { it_teardown; }

@test "capabilities as root with noNewPrivileges: exec keeps permitted, effective = permitted" {
  # CAP_CHOWN 0, CAP_NET_RAW 13, CAP_SYS_ADMIN 21.
  edit_config '.process.noNewPrivileges = true | .process.capabilities = {
      bounding: ["CAP_CHOWN", "CAP_NET_RAW", "CAP_SYS_ADMIN"],
      effective: ["CAP_CHOWN"], permitted: ["CAP_CHOWN", "CAP_NET_RAW"],
      inheritable: ["CAP_NET_RAW"], ambient: ["CAP_NET_RAW"]}'
  run_probe caps
  [ "$status" -eq 0 ]
  [ "$(value cap_bnd)" = 0000000000202001 ]
  [ "$(value cap_inh)" = 0000000000002000 ]
  [ "$(value cap_amb)" = 0000000000002000 ]
  # no_new_privs: exec gains nothing over the permitted set.
  [ "$(value cap_prm)" = 0000000000002001 ]
  [ "$(value cap_eff)" = 0000000000002001 ]
}

@test "capabilities as root without noNewPrivileges: exec raises permitted to the bounding set" {
  edit_config '.process.noNewPrivileges = false | .process.capabilities = {
      bounding: ["CAP_CHOWN", "CAP_NET_RAW", "CAP_SYS_ADMIN"],
      effective: ["CAP_CHOWN"], permitted: ["CAP_CHOWN", "CAP_NET_RAW"],
      inheritable: ["CAP_NET_RAW"], ambient: ["CAP_NET_RAW"]}'
  run_probe caps
  [ "$status" -eq 0 ]
  [ "$(value cap_bnd)" = 0000000000202001 ]
  # uid 0 execs with full file capabilities: P' = (inheritable | bounding) | ambient.
  [ "$(value cap_prm)" = 0000000000202001 ]
  [ "$(value cap_eff)" = 0000000000202001 ]
}

@test "capabilities as a non-root user: only ambient survive exec" {
  edit_config '.process.user = {uid: 1000, gid: 1000}
    | .process.capabilities = {
      bounding: ["CAP_CHOWN", "CAP_NET_RAW", "CAP_SYS_ADMIN"],
      effective: ["CAP_CHOWN", "CAP_NET_RAW"], permitted: ["CAP_CHOWN", "CAP_NET_RAW"],
      inheritable: ["CAP_NET_RAW"], ambient: ["CAP_NET_RAW"]}'
  run_probe caps
  [ "$status" -eq 0 ]
  [ "$(value cap_bnd)" = 0000000000202001 ]
  [ "$(value cap_inh)" = 0000000000002000 ]
  [ "$(value cap_amb)" = 0000000000002000 ]
  [ "$(value cap_prm)" = 0000000000002000 ]
  [ "$(value cap_eff)" = 0000000000002000 ]
}

@test "no capabilities at all" {
  edit_config '.process.capabilities = {bounding: [], effective: [], permitted: [], inheritable: [], ambient: []}
    | .process.user = {uid: 1000, gid: 1000}'
  run_probe caps
  [ "$status" -eq 0 ]
  for k in cap_inh cap_prm cap_eff cap_bnd cap_amb; do [ "$(value $k)" = 0000000000000000 ]; done
}

@test "a dropped capability is really gone: chown fails without CAP_CHOWN" {
  edit_config '.process.capabilities = {bounding: ["CAP_KILL"], effective: ["CAP_KILL"], permitted: ["CAP_KILL"]}'
  set_args sh -c 'touch /tmp/f; chown 1000 /tmp/f; echo rc=$?'
  rt run --bundle "$BUNDLE" "$CID"
  [[ "$output" == *"Operation not permitted"* ]]
  grep -qx rc=1 <<<"$output"
}

@test "an unknown capability name is named: refused, or ignored with a warning as runc does" {
  edit_config '.process.capabilities.bounding += ["CAP_NO_SUCH_THING"]'
  rt run --bundle "$BUNDLE" "$CID"
  [[ "$output" == *CAP_NO_SUCH_THING* ]]
  if [ "$status" -eq 0 ]; then
    [ "$(value uid)" = 0 ]
  else
    [ ! -e "$RT_ROOT/$CID" ]
  fi
}

@test "noNewPrivileges true and false" {
  edit_config '.process.noNewPrivileges = true'
  run_probe nnp
  [ "$status" -eq 0 ]
  [ "$(value no_new_privs)" = 1 ]
  edit_config '.process.noNewPrivileges = false'
  run_probe nnp
  [ "$(value no_new_privs)" = 0 ]
}

@test "rlimits" {
  edit_config '.process.rlimits = [
      {type: "RLIMIT_NOFILE", soft: 512, hard: 800},
      {type: "RLIMIT_CORE", soft: 0, hard: 4096},
      {type: "RLIMIT_NPROC", soft: 300, hard: 400},
      {type: "RLIMIT_MSGQUEUE", soft: 8192, hard: 16384}]'
  run_probe rlimits
  [ "$status" -eq 0 ]
  [ "$(value rlimit_nofile)" = "512 800" ]
  [ "$(value rlimit_core)" = "0 4096" ]
  [ "$(value rlimit_nproc)" = "300 400" ]
  [ "$(value rlimit_msgqueue)" = "8192 16384" ]
}

@test "an unknown rlimit is refused" {
  edit_config '.process.rlimits = [{type: "RLIMIT_NOPE", soft: 1, hard: 1}]'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  [ ! -e "$RT_ROOT/$CID" ]
}

@test "oomScoreAdj" {
  edit_config '.process.oomScoreAdj = 500'
  run_probe oom
  [ "$status" -eq 0 ]
  [ "$(value oom_score_adj)" = 500 ]
}

@test "oomScoreAdj unset keeps the runtime caller's value" {
  set_args probe oom
  run bash -c 'echo 123 > /proc/self/oom_score_adj && exec "$0" --root "$1" run --bundle "$2" "$3" </dev/null' "$RUNTIME" "$RT_ROOT" "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "$(value oom_score_adj)" = 123 ]
}

@test "user uid, gid, additionalGids" {
  edit_config '.process.user = {uid: 1000, gid: 1000, additionalGids: [2000, 3000]}'
  run_probe ids
  [ "$status" -eq 0 ]
  [ "$output" = "uid=1000
gid=1000
euid=1000
egid=1000
groups=2000,3000
umask=0022" ]
}

@test "user umask" {
  edit_config '.process.user = {uid: 0, gid: 0, umask: 23}'
  run_probe ids
  [ "$(value umask)" = 0027 ]
  set_args sh -c 'touch /tmp/f; stat -c %a /tmp/f'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$output" = 640 ]
}

@test "user root has no supplementary groups unless asked" {
  run_probe ids
  [ "$(value groups)" = "" ]
}

@test "env is exactly the spec's" {
  edit_config '.process.env = ["PATH=/bin:/usr/bin", "HOME=/root", "A=1", "B=with space", "EMPTY="]'
  run_probe env
  [ "$status" -eq 0 ]
  [ "$(sort <<<"$output")" = "$(printf '%s\n' A=1 "B=with space" EMPTY= HOME=/root PATH=/bin:/usr/bin | sort)" ]
}

@test "HOME is set from /etc/passwd when the spec has none" {
  edit_config '.process.env = ["PATH=/bin"] | .process.user = {uid: 1000, gid: 1000}'
  run_probe env
  grep -qx 'HOME=/home/user' <<<"$output"
}

@test "cwd" {
  edit_config '.process.cwd = "/home/user"'
  run_probe cwd
  [ "$status" -eq 0 ]
  [ "$output" = cwd=/home/user ]
}

@test "args: the executable is looked up in PATH" {
  edit_config '.process.env = ["PATH=/nowhere:/bin"]'
  set_args echo one "two three"
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = "one two three" ]
}

@test "a missing executable fails the run, naming it" {
  set_args /bin/nonexistent
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  [[ "$output" == *nonexistent* ]]
  [ ! -e "$RT_ROOT/$CID" ]
}

@test "personality LINUX32: uname -m prints i686" {
  skip_if_runc "runc 1.1.5 ignores linux.personality (added in runc 1.2)"
  edit_config '.linux.personality = {domain: "LINUX32"}'
  set_args uname -m
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = i686 ]
  run_probe personality
  [ "$(value personality)" = 0x8 ]
}

@test "personality LINUX is the default" {
  run_probe personality
  [ "$(value personality)" = 0x0 ]
  [ "$(value machine)" = "$(uname -m)" ]
}

@test "a new session keyring named for the container; --no-new-keyring keeps the caller's" {
  run_probe keyring
  [ "$status" -eq 0 ]
  [[ "$(value session_keyring_desc)" == "keyring;0;0;"*";_ses.$CID" ]]
  set_args probe keyring
  rt run --no-new-keyring --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  inside=$(value session_keyring)
  run "$BERTH_PROBE" keyring
  [ "$inside" = "$(value session_keyring)" ]
}
