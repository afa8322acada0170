#!/usr/bin/env bash
# Reproducible store/search benchmark (issue 2), both drivers, one command:
#   bench/run_store_bench.sh [OBJECTS] [ITERATIONS]
# Builds Release, runs bench_store on SQLite, then starts a throwaway
# PostgreSQL 15 server (as the postgres user when root; fsync on, default
# settings otherwise) in a temp dir on 127.0.0.1, runs bench_store on it,
# and stops it. Prints the results table and JSON lines.
# PEDIA_BENCH_DRIVERS="sqlite" or "postgres" runs one driver only.
set -euo pipefail
cd "$(dirname "$0")/.."
objects=${1:-1000000}
iters=${2:-200}
scripts/deps.sh
build=build/bench
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DPEDIA_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target bench_store >/dev/null
work=$(mktemp -d /tmp/pedia-bench-XXXXXX)
chmod 755 "$work"
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  as_pg "$pgbin/pg_ctl" -D "$work/pg" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

drivers=${PEDIA_BENCH_DRIVERS:-sqlite postgres}
if [[ " $drivers " == *" sqlite "* ]]; then
  echo "== SQLite"
  "$build/bench/bench_store" --uri "sqlite:$work/pedia.db" --objects "$objects" \
    --iterations "$iters"
  rm -f "$work"/pedia.db*
fi
[[ " $drivers " == *" postgres "* ]] || exit 0

echo "== PostgreSQL"
mkdir -p "$work/pg"
[ "$(id -u)" -eq 0 ] && chown postgres "$work/pg"
port=$(( 20000 + RANDOM % 20000 ))
as_pg "$pgbin/initdb" -D "$work/pg" -A trust -U postgres >/dev/null
as_pg "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg/log" -w \
  -o "-p $port -k $work/pg -c listen_addresses=127.0.0.1 -c shared_buffers=1GB -c max_wal_size=8GB" \
  start >/dev/null
"$build/bench/bench_store" --uri "postgresql://postgres@127.0.0.1:$port/postgres" \
  --objects "$objects" --iterations "$iters"
