#!/usr/bin/env bash
# The fuzz targets in the test suite (tests/fuzz/README.md).
#
#   run_fuzz.sh build SRC BUILD                  configure + build with clang
#   run_fuzz.sh run SRC BUILD TARGET SECONDS     replay, then fuzz SECONDS
#
# SRC is tests/fuzz, BUILD the fuzz build directory. `run` first replays
# every committed input (corpus/TARGET and crashes/TARGET: old findings
# must stay fixed), then fuzzes from the seeds for SECONDS with new inputs
# kept in BUILD/work/TARGET (never in the source tree). A finding fails the
# test and is printed with the command that reproduces it. Exit 77 (CTest
# skip) with the reason when clang-14 or libFuzzer is missing.
# PEDIA_FUZZ_CC overrides the compiler (default clang-14).
set -euo pipefail

cc=${PEDIA_FUZZ_CC:-clang-14}
skip() {
  echo "fuzz: skipped: $*"
  exit 77
}

# Is there a clang with libFuzzer? Prints the reason when not.
have_libfuzzer() {
  local tmp rc=0
  if ! command -v "$cc" >/dev/null 2>&1; then
    echo "$cc not found (scripts/deps.sh installs clang-14 and libfuzzer-14-dev)"
    return 1
  fi
  tmp=$(mktemp -d)
  printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)\n%s\n' \
    '{ (void)d; (void)n; return 0; }' >"$tmp/p.c"
  if ! "$cc" -fsanitize=fuzzer,address "$tmp/p.c" -o "$tmp/p" >/dev/null 2>&1; then
    echo "$cc cannot link libFuzzer (-fsanitize=fuzzer; Debian: libfuzzer-14-dev)"
    rc=1
  fi
  rm -rf "$tmp"
  return $rc
}

# Per-target libFuzzer options: input size bound (list pages and
# manifests need room; the others are short strings).
target_opts() {
  case $1 in
    fuzz_listscan | fuzz_manifest | fuzz_normalize) echo "-max_len=16384" ;;
    *) echo "-max_len=4096" ;;
  esac
}

build() {
  local src=$1 bld=$2 why
  why=$(have_libfuzzer) || skip "$why"
  cmake -S "$src" -B "$bld" -DCMAKE_C_COMPILER="$cc" \
    -DCMAKE_BUILD_TYPE= >/dev/null
  cmake --build "$bld" -j"${PEDIA_FUZZ_JOBS:-$(nproc)}"
}

# Show a finding: where it is, its first bytes, how to reproduce it.
report() {
  local t=$1 bin=$2 dir=$3 f
  for f in "$dir"/*; do
    [ -e "$f" ] || continue
    echo "fuzz: $t: FINDING $f ($(stat -c %s "$f") bytes):"
    od -A d -c "$f" | head -n 8
    echo "fuzz: reproduce: $bin $f"
    echo "fuzz: keep it as a regression: tests/fuzz/crashes/$t/<name>"
  done
}

run() {
  local src=$1 bld=$2 t=$3 secs=$4 bin work why
  local -a replay opts
  bin=$bld/$t
  if [ ! -x "$bin" ]; then
    why=$(have_libfuzzer) || skip "$why"
    echo "fuzz: $bin missing: did fuzz_build fail?"
    exit 1
  fi
  work=$bld/work/$t
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/findings"
  export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  read -r -a opts <<<"$(target_opts "$t")"
  opts+=(-timeout=10 -rss_limit_mb=2048 "-artifact_prefix=$work/findings/")
  [ -f "$src/dict/$t.dict" ] && opts+=("-dict=$src/dict/$t.dict")
  shopt -s nullglob
  replay=("$src/corpus/$t"/* "$src/crashes/$t"/*)
  shopt -u nullglob
  echo "fuzz: $t: replaying ${#replay[@]} committed inputs"
  if [ ${#replay[@]} -gt 0 ] &&
    ! "$bin" "${opts[@]}" "${replay[@]}" >"$work/replay.log" 2>&1; then
    tail -n 40 "$work/replay.log"
    report "$t" "$bin" "$work/findings"
    exit 1
  fi
  echo "fuzz: $t: fuzzing for ${secs}s"
  if ! "$bin" "${opts[@]}" -max_total_time="$secs" -print_final_stats=1 \
    "$work/corpus" "$src/corpus/$t" >"$work/fuzz.log" 2>&1; then
    tail -n 60 "$work/fuzz.log"
    report "$t" "$bin" "$work/findings"
    exit 1
  fi
  grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::new_units_added)' \
    "$work/fuzz.log" || true
}

case ${1:-} in
  build) build "$2" "$3" ;;
  run) run "$2" "$3" "$4" "$5" ;;
  *)
    echo "usage: $0 build SRC BUILD | run SRC BUILD TARGET SECONDS" >&2
    exit 2
    ;;
esac
