#!/usr/bin/env bash
# Builds everything and runs every test: unit tests under ASan/UBSan, then the integration tests
# (real binaries against the real kernel, as root and as an unprivileged user they create).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

scripts/build.sh build
scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DBERTH_SANITIZE=ON

echo "== unit tests (ASan/UBSan)"
(cd build-asan && ctest --output-on-failure -j2)

echo "== integration tests"
BERTH_BUILD="$PWD/build" tests/integration/run.sh
