#!/usr/bin/env bash
# example_sync_search against two kubesim members: every deployment of
# both members is printed, with the right cluster names.
set -uo pipefail
ex=$1 sim=$2
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
for i in 1 2; do
  "$sim" --name "m$i" --generate-pods $((30 * i)) --seed "$i" > "$work/m$i.out" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do grep -q '^kubesim: listening' "$work/m$i.out" && break; sleep 0.1; done
  port=$(sed -nE 's/^kubesim: listening port=([0-9]+).*/\1/p' "$work/m$i.out")
  [ -n "$port" ] || { echo "kubesim m$i did not start"; cat "$work/m$i.out"; exit 1; }
  cat > "$work/m$i.yaml" <<YAML
apiVersion: cluster.clusterpedia.io/v1alpha2
kind: PediaCluster
metadata:
  name: m$i
spec:
  apiserver: http://127.0.0.1:$port
  syncResources:
  - group: apps
    resources: [deployments]
YAML
done
out=$("$ex" "sqlite:$work/p.db" "$work/m1.yaml" "$work/m2.yaml" -- apps/v1/deployments "orderby=cluster") || {
  echo "example failed: $out"; exit 1; }
echo "$out"
m1=$(grep -c '^m1 ' <<<"$out"); m2=$(grep -c '^m2 ' <<<"$out")
total=$(sed -nE 's/^([0-9]+) rows.*/\1/p' <<<"$out")
[ "$m1" -gt 0 ] && [ "$m2" -gt 0 ] && [ "$total" -eq $((m1 + m2)) ] || {
  echo "FAIL: expected rows of m1 and m2 (m1=$m1 m2=$m2 total=$total)"; exit 1; }
# m1 rows come first (orderby=cluster).
[ "$(grep -E '^m[12] ' <<<"$out" | head -1 | cut -c1-2)" = m1 ] || { echo "FAIL: order"; exit 1; }
echo "example_sync_search OK"
