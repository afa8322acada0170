#!/usr/bin/env bash
# Issue 14 load benchmarks against pediad, one command:
#   bench/run_load_bench.sh [PARTS]
# PARTS: comma-separated, any of connflood,watchmem,watchlag,python,
# watchspread (default: all five, in that order). Scale and durations come
# from the environment (defaults = the issue's scale):
#   connflood: LOAD_IDLE=1000 idle TCP connections, LOAD_SLOW=200 slow-header
#     TLS connections (one header line every LOAD_SLOW_INTERVAL_MS=5000),
#     LOAD_SECONDS=15 of measurement unloaded and again loaded.
#   watchmem:  LOAD_WATCHES=10000 TLS watches, idle, then a light churn
#     (LOAD_MEM_RATE=20 changes/s, LOAD_MEM_COUNT=100 changes) every watch
#     must receive; server samples LOAD_AFTER=10,60 s after they close;
#     LOAD_MEM_CYCLES=N repeats it on the same pediad (growth vs high-water).
#   watchlag:  LOAD_LAG_WATCHES=100 watches, LOAD_RATE=1000 changes/s for
#     LOAD_LAG_SECONDS=10 (every watch receives every change: the server
#     delivers watches x rate events/s).
#   watchspread: LOAD_SPREAD_WATCHES=10000 watches over
#     LOAD_SPREAD_NAMESPACES=1000 namespaces (watch j watches namespace
#     j % N, whose objects are every N-th), LOAD_SPREAD_RATE=1000 changes/s
#     for LOAD_SPREAD_SECONDS=10: every watch must get every change of its
#     namespace (the server delivers rate x watches / namespaces events/s).
#   python:    LOAD_PY_WATCHES=200 threads of the Python kubernetes client,
#     LOAD_PY_RATE=10 changes/s, LOAD_PY_COUNT=50 changes; LOAD_PY_RAW=1
#     skips the client's model deserialization (its lag is the client's).
# Also: LOAD_OBJECTS (stamped ConfigMaps; default: as many as a part makes
# changes, so each object changes once and every watch must get every
# change; fewer objects let pediad skip superseded versions), LOAD_PODS=200 (member pods,
# what connflood's GETs page through), LOAD_BUILD=build/rel (build dir),
# LOAD_PEDIAD=/path/to/pediad (another binary, e.g. a before/after build),
# LOAD_NO_BUILD=1, LOAD_OUT=file (append the JSON result lines there),
# LOAD_PEDIAD_ARGS (more pediad flags), LOAD_POOL=32768 (--http-connection-memory;
# empty: pediad's default).
#
# Starts, on 127.0.0.1: one kubesim member (TLS, bearer token, control
# endpoint) and pediad (generated certificate and admin token, SQLite store
# in a temp state dir, the member registered through --clusters-dir with
# pods and configmaps synced), waits until the member is Ready, runs the
# parts (bench/connflood, bench/watchload, bench/watch_py.py), prints a
# summary table, and stops everything it started, by PID. Raises
# RLIMIT_NOFILE for itself and the processes it starts.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib_bench.sh
parts=${1:-connflood,watchmem,watchlag,python,watchspread}
idle=${LOAD_IDLE:-1000}
slow=${LOAD_SLOW:-200}
slow_ms=${LOAD_SLOW_INTERVAL_MS:-5000}
secs=${LOAD_SECONDS:-15}
watches=${LOAD_WATCHES:-10000}
mem_rate=${LOAD_MEM_RATE:-20}
mem_count=${LOAD_MEM_COUNT:-100}
after=${LOAD_AFTER:-10,60}
lag_watches=${LOAD_LAG_WATCHES:-100}
rate=${LOAD_RATE:-1000}
lag_secs=${LOAD_LAG_SECONDS:-10}
spread_watches=${LOAD_SPREAD_WATCHES:-10000}
spread_ns=${LOAD_SPREAD_NAMESPACES:-1000}
spread_rate=${LOAD_SPREAD_RATE:-1000}
spread_secs=${LOAD_SPREAD_SECONDS:-10}
py_watches=${LOAD_PY_WATCHES:-200}
py_rate=${LOAD_PY_RATE:-10}
py_count=${LOAD_PY_COUNT:-50}
objargs=()
[ -n "${LOAD_OBJECTS:-}" ] && objargs=(--objects "$LOAD_OBJECTS")
pods=${LOAD_PODS:-200}
build=${LOAD_BUILD:-build/rel}

if [ -z "${LOAD_NO_BUILD:-}" ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j2 --target pediad kubesim connflood watchload >/dev/null
fi
pediad=${LOAD_PEDIAD:-$build/pediad/pediad}
ks="$build/tests/kubesim/kubesim"
for b in "$pediad" "$ks" "$build/bench/connflood" "$build/bench/watchload"; do
  [ -x "$b" ] || { echo "run_load_bench: missing $b" >&2; exit 1; }
done

# Descriptors: every connection is one on each side; pediad inherits this.
need=$(( idle + slow > watches ? idle + slow : watches ))
need=$(( (need > spread_watches ? need : spread_watches) + 4096 ))
[ "$need" -lt 65536 ] && need=65536
ulimit -Hn "$need" 2>/dev/null || true
ulimit -n "$need" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), $(uname -r); RLIMIT_NOFILE $(ulimit -n)"
echo "== pediad: $pediad ($(git log -1 --format='%h %s' 2>/dev/null | cut -c1-70))"

bench_init pedia-loadbench

# The member: TLS, a bearer token, generated pods and configmaps, a control
# endpoint for the stamped churn; history long enough for a 1000/s run.
mkdir -p "$work/member" "$work/clusters"
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/member/token"
start_kubesim kubesim "$ks" --name load-member --generate-certs "$work/member" \
  --token "$(cat "$work/member/token")" --generate-pods "$pods" --namespaces 4 \
  --history 500000 --control-port 0
ctl=$ksctl
cat >"$work/clusters/load-member.yaml" <<EOF
apiVersion: cluster.clusterpedia.io/v1alpha2
kind: PediaCluster
metadata:
  name: load-member
spec:
  apiserver: https://127.0.0.1:$ksport
  caData: $(base64 -w0 <"$work/member/ca.crt")
  tokenData: $(printf %s "$(cat "$work/member/token")" | base64 -w0)
  syncResources:
  - group: ""
    resources: [pods, configmaps]
EOF

# Every load client is one address and one user: lift pediad's per-address
# and per-user caps (a build without those flags is an older one: it has no
# caps to lift).
caps=()
if "$pediad" --help 2>&1 | grep -q -- --max-connections-per-address; then
  caps=(--max-connections-per-address 30000 --max-watches-per-user 30000
        --max-requests-inflight-per-user 0)
fi
# A pediad holding thousands of watches runs with the small connection pool
# (DECISIONS R15); LOAD_POOL= (empty) keeps the binary's default.
if "$pediad" --help 2>&1 | grep -q -- --http-connection-memory; then
  [ -n "${LOAD_POOL-32768}" ] && caps+=(--http-connection-memory "${LOAD_POOL-32768}")
fi
start_pediad pediad "$pediad" --clusters-dir "$work/clusters" \
  "${caps[@]}" ${LOAD_PEDIAD_ARGS:-} --log-level warn
url=$pdurl
port=$pdport
token="$work/state/admin-token"
echo "== member: kubesim 127.0.0.1:$ksport (control $ctl), $pods pods; pediad $url, PID $pdpid"
wait_ready load-member || { echo "run_load_bench: the member did not become Ready" >&2; tail -5 "$work/pediad.err" >&2; exit 1; }

results="$work/results.jsonl"
: >"$results"
# run_part NAME BOUND_SECONDS CMD...: output to the terminal and NAME.out;
# its JSON lines to the results.
run_part() {
  local name=$1 bound=$2 rc=0
  shift 2
  echo
  echo "== $name: $*"
  timeout "$bound" "$@" 2>&1 | tee "$work/$name.out" || rc=$?
  grep '^{"bench":' "$work/$name.out" >>"$results" || true
  [ "$rc" -eq 0 ] || echo "run_load_bench: $name exited $rc" >&2
  kill -0 "$pdpid" 2>/dev/null || { echo "run_load_bench: pediad died:" >&2; tail -20 "$work/pediad.err" >&2; exit 1; }
  sleep 2
}
want() { [[ ",$parts," == *",$1,"* ]]; }
lastafter=${after##*,}

if want connflood; then
  run_part connflood $(( 2 * secs + 300 )) "$build/bench/connflood" --port "$port" \
    --token-file "$token" --pid "$pdpid" --idle "$idle" --slow "$slow" \
    --slow-interval-ms "$slow_ms" --seconds "$secs"
fi
if want watchmem; then
  # LOAD_MEM_CYCLES > 1 repeats it on the same pediad: each cycle's
  # "before" is the previous one's "after", so memory that does not come
  # back grows cycle after cycle, and a one-time high-water mark does not.
  for cycle in $(seq 1 "${LOAD_MEM_CYCLES:-1}"); do
    run_part watchmem $(( lastafter + 900 )) "$build/bench/watchload" --port "$port" \
      --token-file "$token" --control-port "$ctl" --pid "$pdpid" \
      --watches "$watches" --rate "$mem_rate" --count "$mem_count" \
      "${objargs[@]}" --after "$after"
  done
fi
if want watchlag; then
  run_part watchlag $(( lag_secs + 600 )) "$build/bench/watchload" --port "$port" \
    --token-file "$token" --control-port "$ctl" --pid "$pdpid" \
    --watches "$lag_watches" --rate "$rate" --seconds "$lag_secs" \
    "${objargs[@]}" --idle-seconds 2 --after 5
fi
if want python; then
  run_part python $(( py_count / py_rate + 600 )) /usr/bin/python3 bench/watch_py.py \
    --kubeconfig "$work/kubeconfig" --control-port "$ctl" \
    --watches "$py_watches" --rate "$py_rate" --count "$py_count" \
    "${objargs[@]}" ${LOAD_PY_RAW:+--raw}
fi

if want watchspread; then
  run_part watchspread $(( spread_secs + 900 )) "$build/bench/watchload" --port "$port" \
    --token-file "$token" --control-port "$ctl" --pid "$pdpid" \
    --watches "$spread_watches" --namespaces "$spread_ns" --rate "$spread_rate" \
    --seconds "$spread_secs" "${objargs[@]}" --idle-seconds 2 --after 5
fi

[ -n "${LOAD_OUT:-}" ] && cat "$results" >>"$LOAD_OUT"
echo
echo "== summary (pediad PID $pdpid; JSON lines above)"
/usr/bin/python3 - "$results" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def mb(p): return f"{p['rss_kb']/1024:.1f} MB" if p and p.get("rss_kb", -1) >= 0 else "n/a"
def r(v, f="{:.2f}"): return "n/a" if v is None or v < 0 else f.format(v)
for x in rows:
    b = x["bench"]
    if b == "connflood":
        u, l = x["unloaded"], x["loaded"]
        print(f"connflood  {x['idle']} idle + {x['slow']} slow: idle open {x['idle_open']} "
              f"(closed by server {x['idle_closed_by_server']}), slow handshaken {x['slow_handshaked']} "
              f"(TLS failed {x['slow_tls_failed']}, closed {x['slow_closed_by_server']})")
        for k, name in (("fresh", "fresh TLS"), ("keepalive", "keep-alive"), ("healthz", "/healthz")):
            print(f"  {name:<11} unloaded ok {u[k]['ok']:>5} p50 {u[k]['p50_ms']:7.2f} p99 {u[k]['p99_ms']:7.2f} ms"
                  f" | loaded ok {l[k]['ok']:>5} refused {l[k]['refused']:>5} failed {l[k]['failed']:>5}"
                  f" p50 {l[k]['p50_ms']:7.2f} p99 {l[k]['p99_ms']:7.2f} ms")
        print(f"  loaded/unloaded p99: fresh {r(x['ratio_p99_fresh'])}, keep-alive "
              f"{r(x['ratio_p99_keepalive'])} (goal <= 2); server threads "
              f"{x['server_before']['threads']} -> {x['server_loaded']['threads']}, RSS "
              f"{mb(x['server_before'])} -> {mb(x['server_loaded'])}")
    elif b == "watchload":
        after = ", ".join(f"{a['s']} s: {mb(a['proc'])} ({v:.2f}x)" for a, v in
                          zip(x["server_after"], x["after_rss_vs_before"]))
        ns = x.get("namespaces", 1)
        print(f"watchload  {x['watches']} watches"
              f"{f' over {ns} namespaces' if ns > 1 else ''}: open {x['open']} "
              f"(fail connect {x['fail_connect']}, tls {x['fail_tls']}, io {x['fail_io']}, http {x['fail_http']});"
              f" {x['count']} changes on {x['objects']} objects at {x['rate']:g}/s: every change "
              f"{x['complete']}/{x['open']}, final versions {x['converged']}/{x['open']}, events per watch "
              f"min/max {x['min_events']}/{x['max_events']}, missing {x['missing']} (superseded "
              f"{x['superseded']}, lost {x['lost']}), dup {x['duplicates']}, ended early {x['ended_early']}")
        print(f"  lag p50 {x['lag_p50_ms']:.2f} ms, p99 {x['lag_p99_ms']:.2f} ms, max {x['lag_max_ms']:.2f} ms"
              f" (client CPU {x['client_cpu_pct']:.0f} %); RSS before {mb(x['server_before'])}, idle "
              f"{mb(x['server_idle'])} = {r(x['rss_per_idle_watch_kb'], '{:.1f}')} KB/watch (goal <= 64), "
              f"churn peak {mb(x['server_churn_peak'])}; threads idle {x['server_idle']['threads']}, "
              f"server CPU while idle {r(x.get('server_idle_cpu_pct'), '{:.1f}')} %")
        if ns > 1:
            span = x["churn_s"] if x["churn_s"] > 0 else 0
            print(f"  spread: every change of its namespace {x['complete']}/{x['open']}, "
                  f"delivered {x['delivered']} of {x['expected']} expected events "
                  f"(changes x W/N = {x['count'] * x['watches'] / ns:.0f}; "
                  f"{x['delivered'] / span if span else 0:.0f} events/s), other events "
                  f"{x['other_events']}; goal: all, lag p99 <= 250 ms")
        print(f"  after close: {after} (goal 1.00 +- 0.10)")
    elif b == "watch_py":
        print(f"watch_py   {x['watches']} Python watches, {x['count']} changes at {x['rate']:g}/s: "
              f"every change {x['complete']}/{x['watches']}, final versions {x['converged']}/{x['watches']}, "
              f"min/max {x['min_events']}/{x['max_events']}, missing {x['missing']} (superseded "
              f"{x['superseded']}, lost {x['lost']}), errors {x['errors']}; lag p50 {x['lag_p50_ms']:.1f} ms, "
              f"p99 {x['lag_p99_ms']:.1f} ms (client CPU {x['client_cpu_pct']:.0f} %)")
PY
