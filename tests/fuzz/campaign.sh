#!/usr/bin/env bash
# A longer fuzzing campaign than the test suite's 15 s per target
# (tests/fuzz/README.md).
#
#   tests/fuzz/campaign.sh [-m MINUTES] [-j JOBS] [-o DIR] [--merge] [TARGET...]
#
# Builds the targets (clang-14 + libFuzzer) into DIR/build, then runs every
# TARGET (default: all) for MINUTES each (default 10), JOBS at a time
# (default: the number of cores). Each target's corpus lives in
# DIR/corpus/TARGET and grows from one campaign to the next (the committed
# seeds in tests/fuzz/corpus/TARGET are read, never written); findings go
# to DIR/findings/TARGET. At the end it prints, per target, how many inputs
# ran, the corpus size and every finding with the command that reproduces
# it. --merge then adds the corpus entries that reach new code to the
# committed seeds (review and commit them). Exit status 1 when anything
# was found. DIR defaults to build/fuzz-campaign.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
minutes=10
jobs=$(nproc)
out=$root/build/fuzz-campaign
merge=0
targets=()
while [ $# -gt 0 ]; do
  case $1 in
    -m) minutes=$2; shift 2 ;;
    -j) jobs=$2; shift 2 ;;
    -o) out=$2; shift 2 ;;
    --merge) merge=1; shift ;;
    -h | --help) sed -n '2,18p' "$0"; exit 0 ;;
    -*) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if [ ${#targets[@]} -eq 0 ]; then
  for f in "$here"/fuzz_*.c; do
    targets+=("$(basename "$f" .c)")
  done
fi

"$here/run_fuzz.sh" build "$here" "$out/build" >/dev/null || {
  rc=$?
  [ $rc -eq 77 ] && echo "campaign: nothing to do: no clang-14 with libFuzzer"
  exit $rc
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# One target for the whole time: libFuzzer goes on after a finding
# (-fork mode keeps fuzzing past crashes, timeouts and OOMs).
fuzz_one() {
  local t=$1 bin=$out/build/$1 opts=()
  mkdir -p "$out/corpus/$t" "$out/findings/$t"
  case $t in
    fuzz_listscan | fuzz_manifest | fuzz_normalize) opts+=(-max_len=16384) ;;
    *) opts+=(-max_len=4096) ;;
  esac
  [ -f "$here/dict/$t.dict" ] && opts+=("-dict=$here/dict/$t.dict")
  "$bin" "${opts[@]}" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 \
    -ignore_ooms=1 -timeout=10 -rss_limit_mb=2048 \
    -max_total_time=$((minutes * 60)) \
    "-artifact_prefix=$out/findings/$t/" \
    "$out/corpus/$t" "$here/corpus/$t" >"$out/$t.log" 2>&1 || true
}

echo "campaign: ${#targets[@]} targets, $minutes min each, $jobs at a time," \
  "in $out"
running=0
for t in "${targets[@]}"; do
  [ -x "$out/build/$t" ] || { echo "campaign: no target $t" >&2; exit 2; }
  if [ $running -ge "$jobs" ]; then
    wait -n
    running=$((running - 1))
  fi
  fuzz_one "$t" &
  running=$((running + 1))
done
wait

found=0
for t in "${targets[@]}"; do
  last=$(grep -E '^#[0-9]+' "$out/$t.log" | tail -n 1 || true)
  n=$(find "$out/corpus/$t" -type f | wc -l)
  echo "campaign: $t: corpus $n inputs (log: $out/$t.log)"
  echo "  last status: ${last:-none}"
  for f in "$out/findings/$t"/*; do
    [ -e "$f" ] || continue
    found=1
    echo "  FINDING $(basename "$f") ($(stat -c %s "$f") bytes)"
    od -A d -c "$f" | head -n 4 | sed 's/^/    /'
    echo "    reproduce: $out/build/$t $f"
    echo "    once fixed, keep it: cp $f $here/crashes/$t/<what-it-was>"
  done
  if [ $merge -eq 1 ]; then
    before=$(find "$here/corpus/$t" -type f | wc -l)
    "$out/build/$t" -merge=1 "$here/corpus/$t" "$out/corpus/$t" \
      >"$out/$t.merge.log" 2>&1
    echo "  merged: seeds $before -> $(find "$here/corpus/$t" -type f | wc -l)"
  fi
done
[ $found -eq 0 ] && echo "campaign: no findings"
exit $found
