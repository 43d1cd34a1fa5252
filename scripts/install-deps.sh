#!/usr/bin/env bash
# Installs what berth needs to build and test on Debian 12, from Debian's packages.
set -euo pipefail

packages=(
  # build
  cmake ninja-build g++ ccache pkg-config clang-format
  libgtest-dev libgmock-dev nlohmann-json3-dev libcli11-dev libseccomp-dev libcap-dev
  libssl-dev libarchive-dev libcurl4-openssl-dev libsqlite3-dev
  zlib1g-dev libzstd-dev liblzma-dev libbz2-dev
  # tests: real binaries and peers
  bats jq python3 busybox-static uidmap runc crun procps util-linux iproute2 strace passwd
  podman conmon docker.io
  docker-registry skopeo umoci apache2-utils openssl fuse-overlayfs
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}; run as root (or with sudo)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
