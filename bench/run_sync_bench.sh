#!/usr/bin/env bash
# Reproducible sync engine benchmark (issue 4), one command:
#   bench/run_sync_bench.sh [CLUSTERS] [PODS_PER_CLUSTER] [bench_sync args...]
# Builds Release (bench_sync, kubesim), starts CLUSTERS kubesim processes on
# 127.0.0.1 (one at a time; seeds 1..N; pods of PEDIA_BENCH_POD_MIN..MAX
# bytes, default 4096..8192; each member also has its deployments and
# replicasets: ~1.69 objects per pod), runs bench_sync against them with a
# fresh SQLite store in a temp dir, and stops every kubesim it started (by
# PID, on any exit). Defaults: 10 clusters x 59,200 pods = ~1,000,000 pods +
# deployments + replicasets. The members run as separate processes so their
# memory is not in the measured process.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib_bench.sh
clusters=${1:-10}
pods=${2:-59200}
shift $(($# >= 2 ? 2 : $#))
podmin=${PEDIA_BENCH_POD_MIN:-4096}
podmax=${PEDIA_BENCH_POD_MAX:-8192}
build=${PEDIA_BENCH_BUILD:-build/syncbench}
scripts/deps.sh
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DPEDIA_BUILD_TESTS=ON >/dev/null
cmake --build "$build" -j2 --target bench_sync kubesim >/dev/null
ks="$build/tests/kubesim/kubesim"
wait_tenths=3000   # generation: ~7 s per 100k pods; bound 300 s
bench_init pedia-syncbench

members=()
for i in $(seq 1 "$clusters"); do
  name=$(printf 'c%02d' "$i")
  start_kubesim "$name" "$ks" --port 0 --control-port 0 --generate-pods "$pods" \
    --seed "$i" --name "$name" --pod-min-bytes "$podmin" --pod-max-bytes "$podmax"
  port=$ksport
  ctl=$ksctl
  rss=$(awk '/^VmRSS/ {print int($2/1024)}' "/proc/$kspid/status")
  echo "member $name: api=$port control=$ctl kubesim RSS ${rss} MB"
  members+=(--member "$name=$port:$ctl")
done
echo "pods per cluster: $pods ($podmin..$podmax bytes)"
"$build/bench/bench_sync" --store "sqlite:$work/pedia.db" "${members[@]}" "$@"
