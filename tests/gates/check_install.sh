#!/usr/bin/env bash
# Install libpedia into a temporary prefix, then build and run a consumer
# twice: with find_package(pedia) -> pedia::pedia, and with pkg-config.
# $3: extra compiler flags for the consumer (the sanitizers of a sanitized
# build, whose runtime must come first in the consumer too).
set -euo pipefail
build=$1 src=$2 cflags=${3:-}
work=$(mktemp -d /tmp/pedia-install-XXXXXX)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
mkdir -p "$work/app"
cat > "$work/app/main.c" <<'C'
#include <pedia/pedia.h>
#include <stdio.h>
int main(void) {
    pedia_ctx *ctx = NULL;
    pedia_store *st = NULL;
    if (pedia_ctx_create(&ctx, NULL) != PEDIA_OK) return 1;
    if (pedia_store_open(&st, ctx, "bogus:x") != PEDIA_EINVAL) return 2;
    printf("libpedia %s: %s\n", pedia_version(), pedia_error_last_message());
    pedia_ctx_free(ctx);
    return PEDIA_VERSION_MAJOR == 0 ? 0 : 3;
}
C
cat > "$work/app/CMakeLists.txt" <<'C'
cmake_minimum_required(VERSION 3.20)
project(app C)
find_package(pedia 0.1 REQUIRED)
add_executable(app main.c)
target_link_libraries(app PRIVATE pedia::pedia)
C
cmake -S "$work/app" -B "$work/app/b" -DCMAKE_PREFIX_PATH="$work/prefix" \
      -DCMAKE_C_FLAGS="$cflags" -DCMAKE_EXE_LINKER_FLAGS="$cflags" >/dev/null
cmake --build "$work/app/b" >/dev/null
LD_LIBRARY_PATH="$work/prefix/lib" "$work/app/b/app"
libdir=$(ls -d "$work"/prefix/lib*/pkgconfig | head -1)
flags=$(PKG_CONFIG_PATH="$libdir" pkg-config --cflags --libs libpedia)
gcc $cflags "$work/app/main.c" -o "$work/app/app-pc" $flags
LD_LIBRARY_PATH="$work/prefix/lib" "$work/app/app-pc"
echo "install, find_package(pedia) and pkg-config consumers OK"
