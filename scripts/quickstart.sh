#!/usr/bin/env bash
# The quickstart (the README's run command): installs what is missing,
# builds libpedia, loads a small multi-cluster data set into an embedded
# SQLite store and runs multi-cluster searches through the C API.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
build=${PEDIA_BUILD_DIR:-build/quickstart}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DPEDIA_BUILD_TESTS=OFF \
      -DPEDIA_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target example_demo >/dev/null
db=$(mktemp -d)/pedia-demo.db
trap 'rm -rf "$(dirname "$db")"' EXIT
"$build/examples/example_demo" "sqlite:$db"
cat <<MSG
Next steps:
  - the C API in brief: README.md ("Searching"), include/pedia/*.h
  - your own searches: $build/examples/example_search (see examples/search.c)
  - every test: scripts/test.sh
MSG
