#!/usr/bin/env bats
# berth's image verbs against a real docker-registry on 127.0.0.1, with skopeo and podman as the
# peers that write and read the same images.

load helpers
load peers
load registry

setup_file() {
  it_setup_file
  make_peer_rootfs_tar "$IT_TMP/rootfs.tar"
  start_registry plain
  echo "$REG_PORT" >"$IT_TMP/plain-port"
  push_test_image "127.0.0.1:$REG_PORT/busybox:1" --layer "$IT_TMP/rootfs.tar" --random-layer 1 --cmd sh
}

teardown_file() {
  stop_registries
  it_teardown_file
}

setup() {
  it_setup
  P=$(cat "$IT_TMP/plain-port")
  IMG=127.0.0.1:$P/busybox:1
}

teardown() {
  it_teardown
}

@test "pull: an image skopeo pushed comes with the registry's digest, and runs" {
  run berth pull "$IMG"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"1: Pulling from busybox"* ]]
  [[ "$output" == *"Status: Downloaded newer image for $IMG"* ]]
  [[ "${lines[-1]}" == "$IMG" ]]
  digest=$(skopeo_digest "$IMG")
  run berth image inspect --format '{{json .RepoDigests}}' "$IMG"
  [ "$status" -eq 0 ]
  [[ "$output" == "[\"127.0.0.1:$P/busybox@$digest\"]" ]]
  run berth images --digests --format '{{.Repository}} {{.Tag}} {{.Digest}}'
  [[ "$output" == *"127.0.0.1:$P/busybox 1 $digest"* ]]

  mnt=$(berth image mount "$IMG")
  [ -x "$mnt/bin/busybox" ]
  [ -f "$mnt/data/blob-0" ]
  edit_config --arg r "$mnt" '.root.path = $r'
  set_args sh -c 'echo hello from the image; cat /etc/group | head -1'
  rt run --bundle "$BUNDLE" "$CID"
  [ "$status" -eq 0 ]
  [[ "$output" == *"hello from the image"*"root:x:0:"* ]]
  run berth image unmount "$IMG"
  [ "$status" -eq 0 ]
  [ ! -e "$mnt" ]
  run berth image check
  [ "$status" -eq 0 ]
}

@test "pull: a second pull downloads nothing and says the image is up to date" {
  berth pull -q "$IMG"
  run berth pull "$IMG"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Status: Image is up to date for $IMG"* ]]
  [[ "$output" != *"Downloading"* ]]
}

@test "pull by digest records the digest and no tag" {
  digest=$(skopeo_digest "$IMG")
  run berth pull "127.0.0.1:$P/busybox@$digest"
  [ "$status" -eq 0 ]
  [[ "${lines[-1]}" == "127.0.0.1:$P/busybox@$digest" ]]
  run berth image inspect --format '{{.Id}}' "127.0.0.1:$P/busybox@$digest"
  [ "$status" -eq 0 ]
  [[ "$output" == sha256:* ]]
}

@test "push: skopeo reads what berth pushed, with the same digest" {
  berth pull -q "$IMG"
  berth tag "$IMG" "127.0.0.1:$P/copy:2"
  run berth push "127.0.0.1:$P/copy:2"
  echo "$output"
  [ "$status" -eq 0 ]
  pushed=$(sed -n 's/^2: digest: \(sha256:[0-9a-f]*\) size: [0-9]*$/\1/p' <<<"$output")
  [ -n "$pushed" ]
  [[ "$output" == *"Mounted from busybox"* || "$output" == *"Layer already exists"* ]]
  [ "$(skopeo_digest "127.0.0.1:$P/copy:2")" == "$pushed" ]
  [ "$(skopeo_digest "$IMG")" == "$pushed" ]
  skopeo copy -q --src-tls-verify=false "docker://127.0.0.1:$P/copy:2" "oci:$TDIR/out:x"
  [ -f "$TDIR/out/index.json" ]
}

@test "push: an imported image's new layers are uploaded and skopeo sees its config" {
  run berth import -m "from a tarball" "$IT_TMP/rootfs.tar" "127.0.0.1:$P/imported:1"
  [ "$status" -eq 0 ]
  id=${lines[-1]}
  [[ "$id" == sha256:* ]]
  run berth push "127.0.0.1:$P/imported:1"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Pushed"* ]]
  config=$(skopeo inspect --raw --tls-verify=false "docker://127.0.0.1:$P/imported:1" | jq -r .config.digest)
  [ "$config" == "$id" ]
  run skopeo inspect --config --tls-verify=false "docker://127.0.0.1:$P/imported:1"
  [[ "$(jq -r '.history[-1].comment' <<<"$output")" == "from a tarball" ]]
}

@test "TLS and htpasswd: pull refused without login, wrong password refused, login, pull, push, logout" {
  start_registry secure tls auth
  SP=$REG_PORT
  SKOPEO_CREDS=tester:s3cret push_test_image "127.0.0.1:$SP/private:1" --layer "$IT_TMP/rootfs.tar"
  run berth pull "127.0.0.1:$SP/private:1"
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"127.0.0.1:$SP"* ]]
  [[ "${output,,}" == *"unauthorized"* || "${output,,}" == *"authentication required"* ]]

  run berth login -u tester -p wrong "127.0.0.1:$SP"
  [ "$status" -eq 1 ]
  [ ! -e "$TDIR/client/config.json" ] || ! grep -q "127.0.0.1:$SP" "$TDIR/client/config.json"

  run berth login -u tester --password-stdin "127.0.0.1:$SP" <<<"s3cret"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Login Succeeded"* ]]
  [ "$(stat -c %a "$TDIR/client/config.json")" == 600 ]
  jq -e --arg k "127.0.0.1:$SP" '.auths[$k].auth' "$TDIR/client/config.json"

  run berth pull "127.0.0.1:$SP/private:1"
  echo "$output"
  [ "$status" -eq 0 ]
  berth tag "127.0.0.1:$SP/private:1" "127.0.0.1:$SP/private:again"
  run berth push "127.0.0.1:$SP/private:again"
  [ "$status" -eq 0 ]
  [ "$(SKOPEO_CREDS=tester:s3cret skopeo_digest "127.0.0.1:$SP/private:again")" == \
    "$(SKOPEO_CREDS=tester:s3cret skopeo_digest "127.0.0.1:$SP/private:1")" ]

  run berth logout "127.0.0.1:$SP"
  [ "$status" -eq 0 ]
  berth rmi "127.0.0.1:$SP/private:1" "127.0.0.1:$SP/private:again"
  run berth pull "127.0.0.1:$SP/private:1"
  [ "$status" -eq 1 ]
}

@test "images, tag, rmi: Docker's semantics" {
  berth pull -q "$IMG"
  id=$(berth image inspect --format '{{.Id}}' "$IMG")
  berth tag "$IMG" other:latest
  berth tag other mirror.example/team/other:v1
  run berth images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
  echo "$output"
  [[ "$output" == *"127.0.0.1:$P/busybox:1 ${id:7:12}"* ]]
  [[ "$output" == *"other:latest ${id:7:12}"* ]]
  [[ "$output" == *"mirror.example/team/other:v1 ${id:7:12}"* ]]
  run berth images -q
  [ "${#lines[@]}" -eq 3 ]
  run berth images --filter reference='other*' --format '{{.Repository}}'
  [ "$output" == other ]
  run berth images other
  [ "${#lines[@]}" -eq 2 ]
  [[ "${lines[0]}" == "REPOSITORY"*"TAG"*"IMAGE ID"*"CREATED"*"SIZE" ]]

  run berth rmi "${id:7:12}"
  [ "$status" -eq 1 ]
  [[ "$output" == *"-f"* || "$output" == *"force"* ]]
  run berth rmi other
  [ "$status" -eq 0 ]
  [ "$output" == "Untagged: other:latest" ]
  run berth rmi no-such-image:1
  [ "$status" -eq 1 ]
  [[ "${output,,}" == *"no such image"* ]]
  run berth rmi -f "$id"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Deleted: $id"* ]]
  run berth images -q
  [ -z "$output" ]
  # Its layers and blobs go with it, as with Docker's rmi.
  [ -d "$TDIR/data/layers" ] && [ -z "$(ls "$TDIR/data/layers")" ]
  [ -d "$TDIR/data/content/blobs/sha256" ] && [ -z "$(ls "$TDIR/data/content/blobs/sha256")" ]
  run berth image check
  [ "$status" -eq 0 ]
}

@test "image prune: dangling images first, all with -a; the store stays consistent" {
  berth pull -q "$IMG"
  run berth import "$IT_TMP/rootfs.tar"
  dangling=${lines[-1]}
  run berth images --filter dangling=true -q --no-trunc
  [ "$output" == "$dangling" ]
  run berth image prune -f
  [ "$status" -eq 0 ]
  [[ "$output" == *"deleted: $dangling"* ]]
  [[ "$output" == *"Total reclaimed space:"* ]]
  run berth images -q
  [ "${#lines[@]}" -eq 1 ]
  run berth image prune -a -f
  [ "$status" -eq 0 ]
  run berth images -q
  [ -z "$output" ]
  [ -z "$(ls "$TDIR/data/layers" | grep -v '^\.')" ]
  run berth image check
  [ "$status" -eq 0 ]
}

@test "history and inspect of an imported image with --change" {
  run berth import -c 'CMD ["sh", "-c", "echo hi"]' -c 'ENV A=b' -c 'WORKDIR /tmp' -m "made here" \
    "$IT_TMP/rootfs.tar" imported:v1
  [ "$status" -eq 0 ]
  run berth image inspect imported:v1
  [ "$status" -eq 0 ]
  [ "$(jq -r '.[0].Config.Cmd | join(" ")' <<<"$output")" == "sh -c echo hi" ]
  [ "$(jq -r '.[0].Config.WorkingDir' <<<"$output")" == /tmp ]
  jq -e '.[0].Config.Env | index("A=b")' <<<"$output"
  [ "$(jq -r '.[0].RepoTags[0]' <<<"$output")" == imported:v1 ]
  [ "$(jq -r '.[0].RootFS.Layers | length' <<<"$output")" == 1 ]
  run berth history imported:v1
  echo "$output"
  [[ "${lines[0]}" == IMAGE*CREATED*"CREATED BY"*SIZE*COMMENT ]]
  [[ "$output" == *"made here"* ]]
  run berth history -q imported:v1
  [ "${#lines[@]}" -eq 1 ]
}

@test "save and load: berth's archives load into podman, podman's into berth (docker and OCI)" {
  berth pull -q "$IMG"
  id=$(berth image inspect --format '{{.Id}}' "$IMG")
  pmroot=$TDIR/podman
  pmc() {
    podman --root "$pmroot/root" --runroot "$pmroot/run" --tmpdir "$pmroot/tmp" \
      --storage-driver vfs --cgroup-manager cgroupfs --events-backend none "$@"
  }
  berth save -o "$TDIR/docker.tar" "$IMG"
  run pmc load -i "$TDIR/docker.tar"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(pmc image inspect --format '{{.Id}}' "$IMG")" == "${id#sha256:}" ]

  berth save --format oci-archive -o "$TDIR/oci.tar" "$IMG"
  pmc rmi -a -f >/dev/null
  run pmc load -i "$TDIR/oci.tar"
  echo "$output"
  [ "$status" -eq 0 ]

  pmc tag "$IMG" localhost/from-podman:1
  pmc save --format docker-archive -o "$TDIR/pm-docker.tar" localhost/from-podman:1
  pmc save --format oci-archive -o "$TDIR/pm-oci.tar" localhost/from-podman:1
  berth rmi -f "$id"
  run berth load -i "$TDIR/pm-docker.tar"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Loaded image: localhost/from-podman:1"* ]]
  [ "$(berth image inspect --format '{{.Id}}' localhost/from-podman:1)" == "$id" ]
  berth rmi -f "$id"
  run berth load <"$TDIR/pm-oci.tar"
  echo "$output"
  [ "$status" -eq 0 ]
  mnt=$(berth image mount localhost/from-podman:1)
  [ -x "$mnt/bin/busybox" ]
  berth image unmount localhost/from-podman:1
  pmc rmi -a -f >/dev/null || true
  umount -R "$pmroot" 2>/dev/null || true
  run berth image check
  [ "$status" -eq 0 ]
}

@test "bad input: clear errors and status codes" {
  run berth pull 'UPPER/case'
  [ "$status" -eq 1 ]
  [[ "$output" == *"UPPER/case"* ]]
  run berth images --no-such-flag
  [ "$status" -eq 125 ]
  run berth pull "127.0.0.1:$P/no-such-repo:1"
  [ "$status" -eq 1 ]
  [[ "$output" == *"no-such-repo"* ]]
  echo '{"data-root": 5}' >"$TDIR/daemon.json"
  run berth images
  rm -f "$TDIR/daemon.json"
  [ "$status" -eq 125 ]
  [[ "$output" == *"daemon.json"*"data-root"* ]]
  echo '{"no-such-key": 1}' >"$TDIR/daemon.json"
  run berth images
  rm -f "$TDIR/daemon.json"
  [ "$status" -eq 125 ]
  [[ "$output" == *"no-such-key"* ]]
  run berth load -i /nonexistent.tar
  [ "$status" -eq 1 ]
  [[ "$output" == *"/nonexistent.tar"* ]]
  head -c 10000 /dev/urandom >"$TDIR/junk.tar"
  run berth load -i "$TDIR/junk.tar"
  [ "$status" -eq 1 ]
  run berth image check
  [ "$status" -eq 0 ]
}

@test "images --filter before/since/label, inspect's Docker shape, info names the snapshotter" {
  berth pull -q "$IMG"
  run berth import -c 'LABEL team=blue' "$IT_TMP/rootfs.tar" newer:1
  [ "$status" -eq 0 ]
  run berth images --filter before=newer:1 --format '{{.Repository}}'
  [ "$output" == "127.0.0.1:$P/busybox" ]
  run berth images --filter since="$IMG" --format '{{.Repository}}'
  [ "$output" == newer ]
  run berth images --filter label=team=blue --format '{{.Repository}}'
  [ "$output" == newer ]
  run berth images --filter label=team=red -q
  [ -z "$output" ]
  run berth images --filter bogus=1
  [ "$status" -eq 1 ]
  [[ "$output" == *"invalid filter 'bogus'"* ]]

  run berth image inspect "$IMG"
  [ "$status" -eq 0 ]
  for key in Id RepoTags RepoDigests Parent Comment Created Config Architecture Os Size GraphDriver RootFS Metadata; do
    jq -e --arg k "$key" '.[0] | has($k)' <<<"$output" >/dev/null || { echo "missing $key"; false; }
  done
  [ "$(jq -r '.[0].Config.Cmd[0]' <<<"$output")" == sh ]
  [ "$(jq -r '.[0].RootFS.Layers | length' <<<"$output")" == 2 ]
  [ "$(jq -r '.[0].Architecture' <<<"$output")" == amd64 ]

  run berth info --format '{{.Driver}}'
  [ "$status" -eq 0 ]
  [ "$output" == overlayfs ]
  run berth info
  [[ "$output" == *"Storage Driver: overlayfs"* ]]
  [[ "$output" == *"Berth Root Dir: $TDIR/data"* ]]
}
