#!/usr/bin/env bash
# Builds berth into build/ (release with debug info, -Werror). Usage: scripts/build.sh [BUILD_DIR] [cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-build}"
shift || true
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBERTH_WERROR=ON "$@" >/dev/null
ninja -C "$dir"
