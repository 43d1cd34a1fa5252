#!/usr/bin/env bats
# berth volume create|ls|inspect|rm|prune: Docker's output, filters and errors, with all state in
# the test's temp dir.

bats_require_minimum_version 1.5.0

load helpers
load registry

setup_file() {
  it_setup_file
}

teardown_file() {
  it_teardown_file
}

setup() {
  it_setup
}

teardown() {
  it_teardown
}

@test "volume create: prints the name, makes Docker's folder, and is idempotent" {
  run berth volume create data
  [ "$status" -eq 0 ]
  [ "$output" == data ]
  [ -d "$TDIR/data/volumes/data/_data" ]
  run berth volume create data
  [ "$status" -eq 0 ]
  [ "$output" == data ]

  run berth volume create
  [ "$status" -eq 0 ]
  [[ "$output" =~ ^[0-9a-f]{64}$ ]]

  run berth volume create --opt type=tmpfs --opt device=tmpfs -o o=size=1m tmp
  [ "$status" -eq 0 ]
  run berth volume create --opt type=tmpfs --opt device=tmpfs tmp
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == "Error: create tmp: volume name must be unique"* ]]
}

@test "volume create: Docker's errors for names, drivers and options" {
  run berth volume create 'bad/name'
  [ "$status" -eq 1 ]
  [[ "$output" == 'Error: create bad/name: "bad/name" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed.'* ]]
  run berth volume create -d flocker v1
  [ "$status" -eq 1 ]
  [[ "$output" == *'plugin "flocker" not found'* ]]
  run berth volume create -o foo=bar v1
  [ "$status" -eq 1 ]
  [ "$output" == 'Error: create v1: invalid option: "foo"' ]
  run berth volume create -o device=/dev/sdz v1
  [ "$status" -eq 1 ]
  [ "$output" == 'Error: create v1: missing required option: "type"' ]
  run berth volume ls -q
  [ "$output" == "" ]
}

@test "volume inspect: Docker's JSON, --format, and missing volumes" {
  berth volume create --label team=db --label solo -o type=tmpfs -o device=tmpfs -o o=size=1m data
  run berth volume inspect data
  [ "$status" -eq 0 ]
  echo "$output"
  [ "$(jq -r '.[0].Name' <<<"$output")" == data ]
  [ "$(jq -r '.[0].Driver' <<<"$output")" == local ]
  [ "$(jq -r '.[0].Scope' <<<"$output")" == local ]
  [ "$(jq -r '.[0].Mountpoint' <<<"$output")" == "$TDIR/data/volumes/data/_data" ]
  [ "$(jq -c '.[0].Labels' <<<"$output")" == '{"solo":"","team":"db"}' ]
  [ "$(jq -c '.[0].Options' <<<"$output")" == '{"device":"tmpfs","o":"size=1m","type":"tmpfs"}' ]
  [[ "$(jq -r '.[0].CreatedAt' <<<"$output")" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$ ]]
  [ "$(jq -c '.[0] | keys' <<<"$output")" == '["CreatedAt","Driver","Labels","Mountpoint","Name","Options","Scope"]' ]

  run berth volume inspect --format '{{.Name}} {{.Driver}} {{index .Labels "team"}}' data
  [ "$status" -eq 0 ]
  [ "$output" == "data local db" ]

  berth volume create plain
  run berth volume inspect plain
  [ "$(jq -c '.[0].Labels' <<<"$output")" == '{}' ]

  run --separate-stderr berth volume inspect data nope plain
  [ "$status" -eq 1 ]
  [ "$stderr" == "Error: No such volume: nope" ]
  [ "$(jq -r '.[].Name' <<<"$output" | tr '\n' ' ')" == "data plain " ]
}

@test "volume ls: Docker's table, -q, --format and filters" {
  berth volume create --label env=prod alpha
  berth volume create --label env=test beta
  berth volume create gamma
  run berth volume ls
  [ "$status" -eq 0 ]
  [ "${lines[0]}" == "DRIVER    VOLUME NAME" ]
  [ "${lines[1]}" == "local     alpha" ]
  [ "${lines[3]}" == "local     gamma" ]
  run berth volume ls -q
  [ "$output" == $'alpha\nbeta\ngamma' ]
  run berth volume ls --format '{{.Name}}:{{.Labels}}:{{.Scope}}'
  [ "$output" == $'alpha:env=prod:local\nbeta:env=test:local\ngamma::local' ]
  run berth volume ls --format 'table {{.Name}}\t{{.Mountpoint}}'
  [ "${lines[0]}" == "VOLUME NAME   MOUNTPOINT" ]
  run berth volume ls -q --filter label=env
  [ "$output" == $'alpha\nbeta' ]
  run berth volume ls -q --filter label=env=test
  [ "$output" == beta ]
  run berth volume ls -q --filter name=mm
  [ "$output" == gamma ]
  run berth volume ls -q --filter 'name=^a' --filter name=eta
  [ "$output" == $'alpha\nbeta' ]
  run berth volume ls -q --filter driver=local --filter dangling=true
  [ "$output" == $'alpha\nbeta\ngamma' ]
  run berth volume ls -q --filter dangling=false
  [ "$output" == "" ]
  run berth volume ls --filter dangling=maybe
  [ "$status" -eq 1 ]
  [ "$output" == "Error: invalid filter 'dangling=maybe'" ]
  run berth volume ls --filter color=red
  [ "$status" -eq 1 ]
  [ "$output" == "Error: invalid filter 'color'" ]
}

@test "volume rm: removes, names each, errors for missing ones unless -f" {
  berth volume create one
  berth volume create two
  echo data >"$TDIR/data/volumes/one/_data/file"
  run --separate-stderr berth volume rm one nope two
  [ "$status" -eq 1 ]
  [ "$output" == $'one\ntwo' ]
  [ "$stderr" == "Error: get nope: no such volume" ]
  [ ! -e "$TDIR/data/volumes/one" ]
  run berth volume rm -f nope
  [ "$status" -eq 0 ]
  run berth volume ls -q
  [ "$output" == "" ]
}

@test "volume prune: anonymous ones by default, all with -a, label filters, reclaimed space" {
  anon=$(berth volume create)
  berth volume create --label keep=yes kept
  berth volume create scratch
  head -c 1200 /dev/zero >"$TDIR/data/volumes/scratch/_data/blob"
  # An unnamed volume from the CLI is not anonymous: prune without -a leaves it.
  run berth volume prune -f
  [ "$status" -eq 0 ]
  [ "$output" == "Total reclaimed space: 0B" ]
  run berth volume prune -f -a --filter label!=keep
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" == "Deleted Volumes:" ]
  [[ "$output" == *"$anon"* ]]
  [[ "$output" == *scratch* ]]
  [ "${lines[-1]}" == "Total reclaimed space: 1.2kB" ]
  run berth volume ls -q
  [ "$output" == kept ]
  run berth volume prune --filter all=true <<<"n"
  [ "$status" -eq 0 ]
  [[ "$output" == "WARNING! This will remove all local volumes not used by at least one container."* ]]
  run berth volume ls -q
  [ "$output" == kept ]
  run berth volume prune --filter color=red -f
  [ "$status" -eq 1 ]
}

# A container record as the engine stores it, using volume $2 by name (HostConfig.Binds) and
# anonymous volume $3 (state Mounts), written with sqlite3 so that this test needs no `run`.
add_container_record() {
  local id=$1 named=$2 anon=$3
  berth volume ls --filter dangling=true >/dev/null # makes the containers table
  sqlite3 "$TDIR/data/berth.db" "INSERT INTO containers VALUES ('$id', 'c-$id', 'busybox',
    'sha256:$(printf 'a%.0s' {1..64})', '2026-11-26T10:00:00Z', '{}',
    '{\"Binds\":[\"$named:/data:ro\"]}',
    '{\"Mounts\":[{\"Type\":\"volume\",\"Name\":\"$anon\",\"Destination\":\"/anon\"}]}')"
}

@test "volumes used by a container: rm refuses, dangling filters, prune keeps them" {
  berth volume create used
  berth volume create free
  anon=$(berth volume create)
  id=$(printf 'c%.0s' {1..64})
  add_container_record "$id" used "$anon"
  run berth volume rm used
  [ "$status" -eq 1 ]
  [ "$output" == "Error: remove used: volume is in use - [$id]" ]
  run berth volume rm -f used
  [ "$status" -eq 1 ]
  run berth volume ls -q --filter dangling=false
  [ "${#lines[@]}" -eq 2 ]
  [[ "$output" == *used* && "$output" == *"$anon"* ]]
  run berth volume ls -q --filter dangling=true
  [ "$output" == free ]
  run berth volume prune -af
  [ "$status" -eq 0 ]
  [ "${lines[1]}" == free ]
  run berth volume ls -q
  [ "${#lines[@]}" -eq 2 ]
}
