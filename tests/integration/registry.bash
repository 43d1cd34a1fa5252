# Image tests: berth's CLI against a real docker-registry started by the test on 127.0.0.1, with
# skopeo, podman and umoci as the peers that read and write the same images. Load after helpers.
#
# Nothing touches the machine's own state: berth runs with --data-root/--exec-root/--config in
# the test's temp dir; a registry's TLS CA goes to /etc/berth/certs.d/127.0.0.1:PORT (a port
# this file chose), removed in teardown.

BERTH=${BERTH:-$BERTH_BUILD/bin/berth}
MAKE_OCI_IMAGE=$BERTH_REPO/tests/tools/make_oci_image.py

# berth with all its state in the test's temp dir.
berth_flags() {
  echo --data-root "$TDIR/data" --exec-root "$TDIR/exec" --config "$TDIR/client" \
    --config-file "$TDIR/daemon.json"
}
berth() {
  # shellcheck disable=SC2046
  "$BERTH" $(berth_flags) "$@"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_registry NAME [tls] [auth]: a docker-registry on 127.0.0.1; sets REG_NAME_PORT-style
# variables through REG_PORT (the last one started) and records it for stop_registries.
# auth: htpasswd with user "tester", password "s3cret".
start_registry() {
  local name=$1 tls=${2:-} auth=${3:-} dir port scheme=http
  dir=$IT_TMP/registry-$name
  mkdir -p "$dir/data"
  port=$(free_port)
  {
    echo "version: 0.1"
    echo "log: {level: error}"
    echo "storage: {filesystem: {rootdirectory: $dir/data}, delete: {enabled: true}}"
    echo "http:"
    echo "  addr: 127.0.0.1:$port"
    echo "  secret: berth-test-$port"
    if [[ $tls == tls ]]; then
      make_registry_certs "$dir"
      echo "  tls: {certificate: $dir/server.crt, key: $dir/server.key}"
      scheme=https
    fi
    if [[ $auth == auth ]]; then
      htpasswd -Bbn tester s3cret >"$dir/htpasswd"
      echo "auth: {htpasswd: {realm: berth-test, path: $dir/htpasswd}}"
    fi
  } >"$dir/config.yml"
  setsid docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
  echo $! >"$dir/pid"
  echo "$port" >"$dir/port"
  if [[ $tls == tls ]]; then
    mkdir -p "/etc/berth/certs.d/127.0.0.1:$port"
    cp "$dir/ca.crt" "/etc/berth/certs.d/127.0.0.1:$port/ca.crt"
    echo "/etc/berth/certs.d/127.0.0.1:$port" >>"$IT_TMP/certs-dirs"
  fi
  local i
  for i in $(seq 100); do
    if curl -s -o /dev/null --cacert "$dir/ca.crt" "$scheme://127.0.0.1:$port/v2/" 2>/dev/null ||
      curl -s -o /dev/null "$scheme://127.0.0.1:$port/v2/" 2>/dev/null; then
      REG_PORT=$port
      REG_DIR=$dir
      return 0
    fi
    sleep 0.1
  done
  echo "registry $name did not start:" >&2
  cat "$dir/log" >&2
  return 1
}

make_registry_certs() {
  local dir=$1
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=berth-test-ca \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
    -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1\n' >"$dir/san.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
    -CAcreateserial -days 2 -extfile "$dir/san.ext" -out "$dir/server.crt" 2>/dev/null
}

stop_registries() {
  local pidfile
  for pidfile in "$IT_TMP"/registry-*/pid; do
    [[ -f $pidfile ]] || continue
    kill "$(cat "$pidfile")" 2>/dev/null
    rm -f "$pidfile"
  done
  if [[ -f $IT_TMP/certs-dirs ]]; then
    xargs rm -rf <"$IT_TMP/certs-dirs"
    rmdir /etc/berth/certs.d /etc/berth 2>/dev/null || true
    rm -f "$IT_TMP/certs-dirs"
  fi
  return 0
}

# make_rootfs_tar TAR: busybox-static with its applets, passwd/group and the probe.
make_rootfs_tar() {
  make_peer_rootfs_tar "$1"
}

# push_test_image REF [make_oci_image args...]: an OCI layout made offline, pushed by skopeo to
# docker://REF (plain HTTP or TLS without verification, credentials when the registry has auth).
push_test_image() {
  local ref=$1 layout
  shift
  layout=$(mktemp -d "$IT_TMP/layout.XXXXXX")
  python3 "$MAKE_OCI_IMAGE" "$layout" t "$@" >/dev/null
  skopeo copy -q --dest-tls-verify=false ${SKOPEO_CREDS:+--dest-creds "$SKOPEO_CREDS"} \
    "oci:$layout:t" "docker://$ref"
  rm -rf "$layout"
}

# The digest skopeo sees for REF.
skopeo_digest() {
  skopeo inspect --tls-verify=false ${SKOPEO_CREDS:+--creds "$SKOPEO_CREDS"} "docker://$1" |
    jq -r .Digest
}
