#!/usr/bin/env bats
# hostname, domainname and sysctl.

load helpers

setup_file() { it_setup_file; }
teardown_file() { it_teardown_file; }
setup() { it_setup; }
teardown() { it_teardown; }

@test "hostname" {
  edit_config '.hostname = "berth-host"'
  run_probe hostname
  [ "$status" -eq 0 ]
  [ "$(value hostname)" = berth-host ]
  # The host's is untouched.
  [ "$(hostname)" != berth-host ]
}

@test "domainname" {
  skip_if_runc "runc 1.1.5 ignores the domainname field"
  edit_config '.hostname = "h" | .domainname = "example.test"'
  run_probe hostname
  [ "$status" -eq 0 ]
  [ "$(value hostname)" = h ]
  [ "$(value domainname)" = example.test ]
}

@test "hostname without a UTS namespace is refused" {
  edit_config '.hostname = "nope" | .linux.namespaces |= map(select(.type != "uts"))'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  [ "$(hostname)" != nope ]
  [ ! -e "$RT_ROOT/$CID" ]
}

@test "sysctl net.ipv4.ip_forward in a new network namespace" {
  edit_config '.linux.sysctl = {"net.ipv4.ip_forward": "1", "net.ipv4.ip_unprivileged_port_start": "80"}'
  set_args sh -c 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/ip_unprivileged_port_start'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = "1
80" ]
}

@test "sysctl kernel.domainname in a new UTS namespace" {
  edit_config '.linux.sysctl = {"kernel.domainname": "from-sysctl"}'
  run_probe hostname
  [ "$status" -eq 0 ]
  [ "$(value domainname)" = from-sysctl ]
}

@test "sysctl kernel.msgmax in a new IPC namespace leaves the host's alone" {
  before=$(cat /proc/sys/kernel/msgmax)
  want=4096
  [ "$before" != $want ] || want=4097
  edit_config --arg v $want '.linux.sysctl = {"kernel.msgmax": $v}'
  set_args cat /proc/sys/kernel/msgmax
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = $want ]
  [ "$(cat /proc/sys/kernel/msgmax)" = "$before" ]
}

@test "a net sysctl without a network namespace is refused" {
  before=$(cat /proc/sys/net/ipv4/ip_forward)
  edit_config --arg v "$((1 - before))" '.linux.sysctl = {"net.ipv4.ip_forward": $v} | .linux.namespaces |= map(select(.type != "network"))'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  [ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$before" ]
  [ ! -e "$RT_ROOT/$CID" ]
}

@test "a sysctl that is not namespaced is refused" {
  before=$(cat /proc/sys/kernel/panic)
  edit_config '.linux.sysctl = {"kernel.panic": "77"}'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -ne 0 ]
  [ "$(cat /proc/sys/kernel/panic)" = "$before" ]
}
