#!/usr/bin/env bash
# Build everything with -Werror and run every test (the README's test command).
# PEDIA_SANITIZE=1 builds with ASan+UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
build=${PEDIA_BUILD_DIR:-build/test}
san=${PEDIA_SANITIZE:-OFF}
[ "$san" = 1 ] && san=ON
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPEDIA_WERROR=ON \
      -DPEDIA_SANITIZE="$san" >/dev/null
cmake --build "$build" -j"$(nproc)"
cd "$build"
ctest --output-on-failure -j"${PEDIA_TEST_JOBS:-2}"
