#!/usr/bin/env bash
# Reproducible pediad HTTP benchmark (issue 5), one command:
#   bench/run_api_bench.sh [OBJECTS] [ITERATIONS] [KUBECTL_PODS]
# Defaults: 1,000,000 corpus objects (800,000 pods), 1000 iterations per page
# query, 100,000 pods for the kubectl run. Environment: PEDIA_BENCH_SECONDS
# (GET throughput seconds per run, default 10), PEDIA_BENCH_THREADS (client
# threads, default 2,8), PEDIA_BENCH_ROUNDS (alternations, default 2),
# PEDIA_BENCH_KUBECTL_RUNS (default 3), PEDIA_BENCH_BUILD (build dir).
#
# Builds Release (bench_api, pediad, kubesim), then:
#  1. starts one idle kubesim member (no objects) on 127.0.0.1;
#  2. bench_api prepare: a SQLite store with the seeded corpus (bench_ingest,
#     as bench_store), the sync state of every corpus cluster set to the
#     member's resourceVersion, one PediaCluster per corpus cluster pointing
#     at the member (see bench_api.c for why);
#  3. starts pediad on that store (127.0.0.1, port 0, generated certificate
#     and admin token, --clusters-dir) and runs bench_api run against it
#     (page latency HTTP vs C API; GET throughput vs the libmicrohttpd
#     baseline it starts itself); stops pediad;
#  4. the same with a KUBECTL_PODS store (KUBECTL_PODS * 1.25 objects) for
#     `kubectl get pods -A --chunk-size=500` through pediad's kubeconfig,
#     timed with /usr/bin/time -v, and bench_api pages (the same pages
#     through the C API and HTTP, for the server's share).
# Every process it starts is stopped by PID on exit; the temp dir goes too.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib_bench.sh
objects=${1:-1000000}
iters=${2:-1000}
kpods=${3:-100000}
seconds=${PEDIA_BENCH_SECONDS:-10}
threads=${PEDIA_BENCH_THREADS:-2,8}
rounds=${PEDIA_BENCH_ROUNDS:-2}
kruns=${PEDIA_BENCH_KUBECTL_RUNS:-3}
build=${PEDIA_BENCH_BUILD:-build/bench-api}
scripts/deps.sh
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DPEDIA_BUILD_TESTS=ON \
  -DPEDIA_BUILD_BENCH=ON >/dev/null
cmake --build "$build" -j2 --target bench_api pediad kubesim >/dev/null
bench="$build/bench/bench_api"
pediad="$build/pediad/pediad"
ks="$build/tests/kubesim/kubesim"
wait_tenths=1200
bench_init pedia-apibench

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), $(uname -r)"
start_kubesim kubesim "$ks" --port 0 --control-port 0 --generate-pods 0 --no-crd \
  --name idle
echo "member: idle kubesim on 127.0.0.1:$ksport, resourceVersion $ksrv"

# pediad_on DB CLUSTERS_DIR LABEL: sets pdpid and pdurl.
pediad_on() {
  start_pediad "pediad-$3" "$pediad" --storage "sqlite:$1" --clusters-dir "$2" \
    --log-level warn
  echo "pediad ($3): $pdurl, PID $pdpid"
}

echo "== 1 + 2: $objects objects"
mkdir -p "$work/big-clusters"
"$bench" prepare --uri "sqlite:$work/big.db" --objects "$objects" \
  --member "http://127.0.0.1:$ksport" --member-rv "$ksrv" \
  --clusters-dir "$work/big-clusters"
echo "store file: $(du -sh "$work/big.db" | cut -f1)"
pediad_on "$work/big.db" "$work/big-clusters" big
"$bench" run --uri "sqlite:$work/big.db" --server "$pdurl" \
  --state-dir "$work/state" --server-pid "$pdpid" --iterations "$iters" \
  --seconds "$seconds" --threads "$threads" --rounds "$rounds"
echo "pediad RSS after the run: $(awk '/^VmRSS/ {print int($2/1024)}' "/proc/$pdpid/status") MB"
stop_pid "$pdpid"
rm -f "$work"/big.db*

kobjects=$(( kpods * 10 / 8 ))
echo "== 3: kubectl get pods -A --chunk-size=500 over $kpods pods ($kobjects objects)"
mkdir -p "$work/k-clusters"
"$bench" prepare --uri "sqlite:$work/k.db" --objects "$kobjects" \
  --member "http://127.0.0.1:$ksport" --member-rv "$ksrv" \
  --clusters-dir "$work/k-clusters"
pediad_on "$work/k.db" "$work/k-clusters" kubectl
"$bench" wait --uri "sqlite:$work/k.db" --server "$pdurl" --state-dir "$work/state"
kubectl --kubeconfig "$work/kubeconfig" --context clusterpedia version 2>/dev/null | head -3 || true
# kubectl_timed LABEL ARGS...: sets wall, rss_mb, listed; kubectl's output
# in $work/kubectl.out, its stderr in $work/kubectl.err.
kubectl_timed() {
  local label=$1 kp h hwm t0
  shift
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -v -o "$work/time.txt" kubectl --kubeconfig "$work/kubeconfig" \
      --context clusterpedia --cache-dir "$work/kcache" "$@" \
      >"$work/kubectl.out" 2>"$work/kubectl.err"
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time.txt")
    rss_mb=$(( $(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt") / 1024 ))
  else  # no GNU time: wall clock here, peak RSS from /proc (VmHWM)
    t0=$(date +%s.%N)
    kubectl --kubeconfig "$work/kubeconfig" --context clusterpedia \
      --cache-dir "$work/kcache" "$@" >"$work/kubectl.out" 2>"$work/kubectl.err" &
    kp=$!
    hwm=0
    while kill -0 "$kp" 2>/dev/null; do
      h=$(awk '/^VmHWM/ {print $2}' "/proc/$kp/status" 2>/dev/null || echo 0)
      [ "${h:-0}" -gt "$hwm" ] && hwm=$h
      sleep 0.05
    done
    wait "$kp"
    wall=$(echo "$(date +%s.%N) - $t0" | bc)
    rss_mb=$(( hwm / 1024 ))
  fi
  listed=$(( $(wc -l <"$work/kubectl.out") - 1 ))
  echo "kubectl $label: wall $wall, peak RSS $rss_mb MB, $listed pods listed"
  echo "{\"bench\":\"api_kubectl\",\"run\":\"$label\",\"pods\":$listed,\"wall\":\"$wall\",\"peak_rss_mb\":$rss_mb}"
  if [ "$listed" -ne "$kpods" ]; then
    echo "kubectl listed $listed pods, expected $kpods:" >&2
    head -5 "$work/kubectl.err" >&2
    exit 1
  fi
}
for run in $(seq 1 "$kruns"); do
  kubectl_timed "chunk-size=500 run $run" get pods -A --chunk-size=500
done
# Where kubectl's time goes: its requests (-v=6 logs each with the time to
# the response headers) and client-go's client-side rate limiter (QPS 5,
# burst 10 in kubectl), which logs every wait over 50 ms.
kubectl_timed "chunk-size=500 -v=6" get pods -A --chunk-size=500 -v=6
awk '/due to client-side throttling/ {
       for (i = 1; i <= NF; i++) if ($i == "for") { v = $(i + 1); break }
       if (v ~ /ms$/) { sub(/ms$/, "", v); t += v / 1000 } else { sub(/s$/, "", v); t += v }
       n++ }
     / GET .*pods.* 200 OK in / { g++; for (i = 1; i <= NF; i++) if ($i == "in") hd += $(i + 1) }
     END { printf "kubectl -v=6: %d list requests (%.2f s to their response headers), %d client-side throttling waits totalling %.1f s\n", g, hd / 1000, n, t
           printf "{\"bench\":\"api_kubectl_throttle\",\"list_requests\":%d,\"header_s\":%.3f,\"throttle_waits\":%d,\"throttle_s\":%.2f}\n", g, hd / 1000, n, t }' \
  "$work/kubectl.err"
kubectl_timed "chunk-size=0 (one request)" get pods -A --chunk-size=0
"$bench" pages --uri "sqlite:$work/k.db" --server "$pdurl" --state-dir "$work/state"
echo "pediad RSS after the kubectl runs: $(awk '/^VmRSS/ {print int($2/1024)}' "/proc/$pdpid/status") MB"
stop_pid "$pdpid"
