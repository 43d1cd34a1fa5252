# Setup for the tests of berth's containers: an image "bb" (busybox-static, imported offline) in
# each test's state, and a teardown that removes the test's monitors, containers, anonymous
# volumes, mounts and files, then berth's parent cgroup once the file is done. Load after
# helpers, peers and registry; call from the bats hooks of the same names.

ct_setup_file() {
  it_setup_file
  make_peer_rootfs_tar "$IT_TMP/rootfs.tar"
}

ct_teardown_file() {
  it_teardown_file
  remove_cgroup_tree berth
}

ct_setup() {
  it_setup
  berth import --change 'CMD ["sh"]' "$IT_TMP/rootfs.tar" bb:latest >/dev/null
}

ct_teardown() {
  kill_procs_mentioning "$TDIR/exec"
  local c
  for c in $(berth ps -aq 2>/dev/null); do berth rm -f -v "$c" >/dev/null 2>&1 || true; done
  it_teardown
}
