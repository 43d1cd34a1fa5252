#!/usr/bin/env bats
# `berth system check`: what rootless berth needs, for the user who runs it. As root, as a user
# made for this file with subordinate ranges, and as a second user made here without any.

load helpers

BERTH=${BERTH:-$BERTH_BUILD/bin/berth}

setup_file() {
  it_setup_file rootless
  remove_stale_check_users
  # A second user, without subordinate ranges or XDG_RUNTIME_DIR.
  export CK_USER="berthck$$"
  it_record user "$CK_USER"
  export CK_HOME=$IT_TMP/ck-home
  mkdir -p "$CK_HOME"
  useradd -M -d "$CK_HOME" -s /bin/sh -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$CK_USER"
  chown "$(id -u "$CK_USER"):$(id -g "$CK_USER")" "$CK_HOME"
}

teardown_file() {
  remove_check_user "${CK_USER:-}"
  it_teardown_file
}

setup() {
  it_setup
}

teardown() {
  it_teardown
}

# Users berthckPID of runs killed before their teardown_file.
remove_stale_check_users() {
  local u
  for u in $(awk -F: '$1 ~ /^berthck[0-9]+$/ { print $1 }' /etc/passwd); do
    kill -0 "${u#berthck}" 2>/dev/null || remove_check_user "$u"
  done
}

remove_check_user() {
  [[ -n "$1" ]] || return 0
  pkill -9 -u "$1" 2>/dev/null || true
  (
    flock 9
    sed -i "/^$1:/d" /etc/subuid /etc/subgid
  ) 9</etc
  userdel "$1" >/dev/null 2>&1 || true
}

as_check_user() {
  setpriv --reuid="$CK_USER" --regid="$(id -g "$CK_USER")" --init-groups --reset-env \
    env HOME="$CK_HOME" USER="$CK_USER" LOGNAME="$CK_USER" \
    PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin "$@"
}

# Every check line is "ok      NAME: ..." or "missing NAME: ...", a missing one followed by its
# "        fix: ..." line; the exit status is 0 exactly when no line is missing.
assert_well_formed() {
  local line checks=0 missing=0 want_fix=0 limits=0 want_lift=0
  for line in "${lines[@]}"; do
    if ((want_fix)); then
      [[ "$line" == "        fix: "?* ]] || { echo "no fix after a missing line: $line"; return 1; }
      want_fix=0
      continue
    fi
    if ((want_lift)); then
      [[ "$line" == "        lift: sudo sysctl -w "?* ]] || { echo "no lift after a limit line: $line"; return 1; }
      want_lift=0
      continue
    fi
    case "$line" in
      "note: "*) ;;
      "ok      privileged ports: "?* | "ok      ping: "?*) limits=$((limits + 1)) ;;
      "limit   "?*": "?*) limits=$((limits + 1)) want_lift=1 ;;
      "ok      "?*": "?*) checks=$((checks + 1)) ;;
      "missing "?*": "?*) checks=$((checks + 1)) missing=$((missing + 1)) want_fix=1 ;;
      *) echo "unexpected line: $line"; return 1 ;;
    esac
  done
  [ "$checks" -eq 7 ]
  [ "$limits" -eq 2 ]
  if ((missing == 0)); then [ "$status" -eq 0 ]; else [ "$status" -eq 1 ]; fi
}

# The line of check (or limit) NAME, and the fix (or lift) line after it.
check_line() {
  local i
  for i in "${!lines[@]}"; do
    case "${lines[$i]}" in
      "ok      $1: "* | "missing $1: "* | "limit   $1: "*)
        printf '%s\n' "${lines[$i]}"
        [[ "${lines[$i]}" == missing* || "${lines[$i]}" == limit* ]] && printf '%s\n' "${lines[$((i + 1))]}"
        return 0
        ;;
    esac
  done
  echo "no line for $1" >&2
  return 1
}

@test "system check as root: every check reported, a note that they are for ordinary users" {
  run "$BERTH" system check
  echo "$output"
  assert_well_formed
  [[ "${lines[0]}" == "note: root runs berth rootful"*"as the user who will run berth"* ]]
  check_line "uidmap binaries"
  if [[ -u /usr/bin/newuidmap && -u /usr/bin/newgidmap ]]; then
    [[ "$(check_line "uidmap binaries")" == "ok "* ]]
  fi
  if ! is_cgroup_v2; then
    [[ "$(check_line "cgroup delegation")" == "missing cgroup delegation: "* ]]
    [[ "$(check_line "cgroup delegation")" == *"fix: "*"systemd.unified_cgroup_hierarchy=1"*"Delegate=yes"* ]]
  fi
  # The limits follow the machine's sysctls, and do not count in the exit status.
  if [ "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" -ne 0 ]; then
    [[ "$(check_line "privileged ports")" == "limit   privileged ports: "*"--network host"*"lift: sudo sysctl -w net.ipv4.ip_unprivileged_port_start=0"* ]]
  else
    [[ "$(check_line "privileged ports")" == "ok      privileged ports: "* ]]
  fi
  # Nothing left by the overlay probe.
  [ -z "$(find /tmp -maxdepth 1 -name '.berth-check-*' -user nobody)" ]
}

@test "system check as a user with subordinate ranges: the ranges and XDG_RUNTIME_DIR are ok" {
  run as_user "$BERTH" system check
  echo "$output"
  assert_well_formed
  [[ "$output" != *"note: "* ]]
  [ "$(check_line "subordinate uids")" == "ok      subordinate uids: 65536 from $IT_SUBID_START in /etc/subuid" ]
  [ "$(check_line "subordinate gids")" == "ok      subordinate gids: 65536 from $IT_SUBID_START in /etc/subgid" ]
  [ "$(check_line "XDG_RUNTIME_DIR")" == "ok      XDG_RUNTIME_DIR: $IT_XDG, $IT_USER's, mode 0700" ]
  [[ "$(check_line "user namespaces")" == "ok      user namespaces: this user can make a user namespace"* ]]
  if ! is_cgroup_v2; then
    [[ "$(check_line "cgroup delegation")" == "missing cgroup delegation: hybrid cgroups"* || "$(check_line "cgroup delegation")" == "missing cgroup delegation: cgroup v1"* ]]
  fi

  # JSON says the same, with the same exit status.
  local text_status=$status
  run as_user "$BERTH" system check --format json
  echo "$output"
  [ "$status" -eq "$text_status" ]
  [ "$(jq -r '.user' <<<"$output")" == "$IT_USER" ]
  [ "$(jq '.checks | length' <<<"$output")" -eq 7 ]
  [ "$(jq -r '[.limits[].name] | join(",")' <<<"$output")" == "privileged ports,ping" ]
  [ "$(jq '.ok == ([.checks[].ok] | all)' <<<"$output")" == true ]
  [ "$(jq -r '.checks[] | select(.name == "subordinate uids") | .ok' <<<"$output")" == true ]
  [ "$(jq -r '[.checks[] | select(.ok) | .fix] | unique | .[]' <<<"$output")" == "" ]

  run as_user "$BERTH" system check --format yaml
  [ "$status" -eq 1 ]
  [[ "$output" == *"--format"*"want json"* ]]
}

@test "system check as a user without ranges: missing, with a fix that names the user and works" {
  run as_check_user "$BERTH" system check
  echo "$output"
  assert_well_formed
  [ "$status" -eq 1 ]
  uids=$(check_line "subordinate uids")
  gids=$(check_line "subordinate gids")
  [[ "$uids" == "missing subordinate uids: none for $CK_USER in /etc/subuid"$'\n'"        fix: sudo usermod --add-subuids "*"-"*" $CK_USER" ]]
  [[ "$gids" == "missing subordinate gids: none for $CK_USER in /etc/subgid"$'\n'"        fix: sudo usermod --add-subgids "*"-"*" $CK_USER" ]]
  [[ "$(check_line "XDG_RUNTIME_DIR")" == "missing XDG_RUNTIME_DIR: not set"$'\n'"        fix: "*"loginctl enable-linger $CK_USER"* ]]

  # The fixes, run as printed (root needs no sudo), make both checks ok.
  local fix_uids fix_gids
  fix_uids=$(sed -n 's/^ *fix: sudo //p' <<<"$uids")
  fix_gids=$(sed -n 's/^ *fix: sudo //p' <<<"$gids")
  (
    flock 9
    $fix_uids
    $fix_gids
  ) 9</etc
  run as_check_user "$BERTH" system check
  echo "$output"
  assert_well_formed
  [[ "$(check_line "subordinate uids")" == "ok      subordinate uids: 65536 from "*" in /etc/subuid" ]]
  [[ "$(check_line "subordinate gids")" == "ok      subordinate gids: 65536 from "*" in /etc/subgid" ]]
  # The range given is free: it overlaps no other user's.
  start=$(awk -F: -v u="$CK_USER" '$1 == u { print $2 }' /etc/subuid)
  awk -F: -v u="$CK_USER" -v s="$start" '$1 != u && $2 < s + 65536 && s < $2 + $3 { print "overlaps " $0; bad = 1 } END { exit bad }' /etc/subuid /etc/subgid
}
