#!/usr/bin/env bash
# Runs scripts/quickstart.sh --non-interactive and checks what a newcomer
# sees: both clusters Ready, the kube-system deployments of both clusters
# with the CLUSTER column, the label-filtered ordered search, the
# single-cluster pod table, and the closing instructions.
set -uo pipefail
src=$1 bin=$2
command -v kubectl >/dev/null || { echo "SKIP: kubectl not installed"; exit 77; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
PEDIA_PREBUILT_DIR=$bin timeout 240 "$src/scripts/quickstart.sh" --non-interactive >"$out" 2>&1
rc=$?
cat "$out"
[ $rc -eq 0 ] || { echo "FAIL: quickstart exited $rc"; exit 1; }
fail=0
expect() {
  if ! grep -Eq "$1" "$out"; then echo "FAIL: output lacks /$1/ ($2)"; fail=1; fi
}
expect '^cluster-1 +True' "cluster-1 Ready in kubectl get pediaclusters"
expect '^cluster-2 +True' "cluster-2 Ready"
expect '^CLUSTER +NAME +READY +UP-TO-DATE +AVAILABLE +AGE' "deployment table header"
expect '^cluster-1 +coredns +2/2' "coredns of cluster-1"
expect '^cluster-2 +coredns +2/2' "coredns of cluster-2"
expect '^cluster-1 +metrics-server' "metrics-server of cluster-1"
expect '^NAMESPACE +CLUSTER +NAME +READY' "the -A search has NAMESPACE first"
expect '^cluster-1 +[a-z]+-0-[a-z0-9]+-[a-z0-9]+ +1/1 +Running' "pods of one cluster with -o wide"
expect '"kind":"DeploymentList"' "the URL form"
expect 'rolebinding.rbac.authorization.k8s.io/team-a-reads created' "team-a's binding applied"
expect '^no$' "team-a may not list kube-system pods"
expect '^Username +team-a' "team-a authenticates with its own token (auth whoami)"
expect 'export KUBECONFIG=' "how to keep exploring"
# team-a's deployments: one namespace only, of both clusters; the admin's
# search of the same command shows more namespaces.
teama=$(awk '/--user team-a --cluster clusterpedia get deployments/{f=1;next} /^\$ /{f=0} f && $2 ~ /^cluster-/ {print $1}' "$out" | sort -u)
admin=$(awk '/^\$ kubectl --cluster clusterpedia get deployments -A --chunk-size=10/{f=1;next} /^\$ /{f=0} f && $2 ~ /^cluster-/ {print $1}' "$out" | sort -u)
if [ -z "$teama" ] || [ "$(wc -l <<<"$teama")" -ne 1 ]; then
  echo "FAIL: team-a should see one namespace, saw: $teama"; fail=1
fi
if [ "$(wc -l <<<"$admin")" -le 1 ]; then
  echo "FAIL: the admin should see several namespaces, saw: $admin"; fail=1
fi
expect 'quickstart: done' "clean stop"
# The frontend search is ordered newest first: AGE must not decrease.
ages=$(awk '/frontend deployments/{f=1;next} /^==>/{f=0} f && $2 ~ /^cluster-/ {print $NF}' "$out")
[ -n "$ages" ] || { echo "FAIL: no rows in the frontend search"; fail=1; }
# kube ages (2y164d, 3d4h, 47m, 75s) in seconds, each >= the previous.
if ! awk 'function secs(a,  n,u,t){t=0; while (match(a,/^[0-9]+[ydhms]/)) {
            n=substr(a,1,RLENGTH-1)+0; u=substr(a,RLENGTH,1);
            t+=n*(u=="y"?31536000:u=="d"?86400:u=="h"?3600:u=="m"?60:1);
            a=substr(a,RLENGTH+1)} return t}
          {s=secs($1); if (NR>1 && s<prev) exit 1; prev=s}' <<<"$ages"; then
  echo "FAIL: the newest-first search is not ordered by age"; fail=1
fi
[ $fail -eq 0 ] && echo "quickstart output OK"
[ $fail -eq 0 ] || exit 1

# --kubeconfig: the contexts of a user's kubeconfig become the members
# (here two contexts of one TLS + token kubesim).
work=$(mktemp -d)
sim_pid=""
trap 'rm -f "$out"; [ -n "$sim_pid" ] && kill $sim_pid 2>/dev/null; rm -rf "$work"' EXIT
"$bin/tests/kubesim/kubesim" --generate-certs "$work" --token t0ken-abc \
  --generate-pods 50 --seed 9 > "$work/sim.out" 2>&1 &
sim_pid=$!
for _ in $(seq 1 100); do grep -q '^kubesim: listening' "$work/sim.out" && break; sleep 0.1; done
port=$(sed -nE 's/^kubesim: listening port=([0-9]+).*/\1/p' "$work/sim.out")
[ -n "$port" ] || { echo "FAIL: kubesim did not start"; exit 1; }
cat > "$work/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: sim
  cluster:
    server: https://127.0.0.1:$port
    certificate-authority-data: $(base64 -w0 < "$work/ca.crt")
users:
- name: me
  user:
    token: t0ken-abc
contexts:
- name: prod-eu
  context: {cluster: sim, user: me}
- name: Staging_US
  context: {cluster: sim, user: me}
current-context: prod-eu
KC
PEDIA_PREBUILT_DIR=$bin timeout 240 "$src/scripts/quickstart.sh" --non-interactive \
  --kubeconfig "$work/kubeconfig" >"$out" 2>&1
rc=$?
cat "$out"
[ $rc -eq 0 ] || { echo "FAIL: quickstart --kubeconfig exited $rc"; exit 1; }
expect '^prod-eu +True' "context prod-eu imported and Ready"
expect '^staging-us +True' "context Staging_US imported as staging-us"
expect '^NAMESPACE +CLUSTER +NAME' "a search over the imported clusters"
if grep -q 't0ken-abc' "$out"; then echo "FAIL: the token leaked into the output"; fail=1; fi
[ $fail -eq 0 ] && echo "quickstart --kubeconfig OK"
exit $fail
