# bench/lib_bench.sh: the start-up and clean-up that the benchmark drivers
# which run kubesim and pediad share (run_load_bench.sh, run_api_bench.sh,
# run_sync_bench.sh). Sourced, not run:
#   . bench/lib_bench.sh
#   bench_init pedia-loadbench      # $work, pids=(), the EXIT trap
#   start_kubesim kubesim "$ks" --generate-certs "$work/member" ...
#   start_pediad pediad "$pediad" --clusters-dir "$work/clusters" ...
#   wait_ready load-member
# Every process it starts is recorded in pids and stopped by PID on exit
# (TERM to all, then up to 30 s each, then KILL); the temp dir goes too. Waits are bounded:
# wait_tenths tenths of a second (default 600) for a start-up line.

wait_tenths=${wait_tenths:-600}

# bench_init PREFIX: a temp dir $work (/tmp/PREFIX-XXXXXX), pids=() and
# the traps that clean up on any exit.
bench_init() {
  work=$(mktemp -d "/tmp/$1-XXXXXX")
  pids=()
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

# stop_pid PID: TERM, wait up to 30 s, KILL.
stop_pid() {
  local p=$1 i
  kill -TERM "$p" 2>/dev/null || return 0
  for i in $(seq 1 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
}

bench_cleanup() {
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do stop_pid "$p"; done
  rm -rf "$work"
}

# wait_line FILE PATTERN PID: the first line of FILE matching PATTERN,
# written by PID; bounded by wait_tenths. On failure FILE (and FILE's
# stderr file, FILE with .err for .out) goes to stderr.
wait_line() {
  local i line
  for i in $(seq 1 "$wait_tenths"); do
    line=$(grep -m1 "$2" "$1" || true)
    if [ -n "$line" ]; then echo "$line"; return 0; fi
    kill -0 "$3" 2>/dev/null || break
    sleep 0.1
  done
  echo "no '$2' from PID $3:" >&2
  cat "$1" >&2 2>/dev/null || true
  [ "${1%.out}" != "$1" ] && cat "${1%.out}.err" >&2 2>/dev/null
  return 1
}

# start_kubesim NAME KUBESIM ARGS...: starts KUBESIM ARGS (output in
# $work/NAME.out), waits for its listening line; sets kspid, ksport, ksctl
# (control port, empty without one) and ksrv.
start_kubesim() {
  local name=$1 bin=$2 line
  shift 2
  "$bin" "$@" >"$work/$name.out" 2>&1 &
  kspid=$!
  pids+=("$kspid")
  line=$(wait_line "$work/$name.out" '^kubesim: listening' "$kspid")
  ksport=$(sed -n 's/.* port=\([0-9]*\) .*/\1/p' <<<"$line")
  ksctl=$(sed -n 's/.* control=\([0-9]*\) .*/\1/p' <<<"$line")
  ksrv=$(sed -n 's/.* rv=\([0-9]*\).*/\1/p' <<<"$line")
}

# start_pediad NAME PEDIAD ARGS...: starts PEDIAD on 127.0.0.1:0 with
# state dir $work/state and kubeconfig $work/kubeconfig, then ARGS (stdout
# in $work/NAME.out, stderr in $work/NAME.err), waits until it serves; sets
# pdpid, pdurl and pdport. The admin token is $work/state/admin-token.
start_pediad() {
  local name=$1 bin=$2 line
  shift 2
  "$bin" --listen 127.0.0.1:0 --state-dir "$work/state" \
    --kubeconfig-out "$work/kubeconfig" "$@" \
    >"$work/$name.out" 2>"$work/$name.err" &
  pdpid=$!
  pids+=("$pdpid")
  line=$(wait_line "$work/$name.out" '^pediad: serving on ' "$pdpid")
  pdurl=${line#pediad: serving on }
  pdport=${pdurl##*:}
}

# wait_ready CLUSTER: until pediad ($pdurl, admin token) reports the
# PediaCluster Ready (60 s at most); 1 if it never does.
wait_ready() {
  local i
  for i in $(seq 1 300); do
    if curl -sk -H "Authorization: Bearer $(cat "$work/state/admin-token")" \
         "$pdurl/apis/cluster.clusterpedia.io/v1alpha2/pediaclusters/$1" 2>/dev/null |
       grep -q '"type":"Ready","status":"True"'; then return 0; fi
    sleep 0.2
  done
  return 1
}
