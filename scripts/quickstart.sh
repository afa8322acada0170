#!/usr/bin/env bash
# The quickstart (the README's run command). On a fresh Debian 12 machine it
# installs what is missing, builds pediad, starts two simulated member
# clusters (kubesim, TLS + bearer token, realistic data), starts pediad on the
# embedded SQLite store, registers the clusters with `kubectl apply`, and
# shows real kubectl multi-cluster searches. Then it keeps running until
# Ctrl-C and prints the commands to keep exploring.
#
#   scripts/quickstart.sh                      simulated members
#   scripts/quickstart.sh --kubeconfig FILE    your own clusters (every context)
#   scripts/quickstart.sh --non-interactive    run the demo, then stop (tests)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

user_kubeconfig="" interactive=1
while [ $# -gt 0 ]; do
  case "$1" in
    --kubeconfig) user_kubeconfig=${2:?--kubeconfig needs a file}; shift 2 ;;
    --kubeconfig=*) user_kubeconfig=${1#*=}; shift ;;
    --non-interactive) interactive=0; shift ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "quickstart: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ -n "$user_kubeconfig" ] && [ ! -r "$user_kubeconfig" ]; then
  echo "quickstart: cannot read kubeconfig $user_kubeconfig" >&2; exit 2
fi

if [ -n "${PEDIA_PREBUILT_DIR:-}" ]; then
  # The test suite runs the quickstart on the binaries it already built.
  build=$PEDIA_PREBUILT_DIR
else
  scripts/deps.sh
  build=${PEDIA_BUILD_DIR:-build/quickstart}
  echo "==> building pediad and kubesim in $build"
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DPEDIA_BUILD_BENCH=OFF >/dev/null
  cmake --build "$build" -j"$(nproc)" --target pediad kubesim >/dev/null
fi

work=$(mktemp -d /tmp/pedia-quickstart.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Wait (bounded) for a line matching $2 in file $1; print it.
wait_line() {
  for _ in $(seq 1 300); do
    if grep -m1 -E "$2" "$1" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "quickstart: timed out waiting for '$2' in $1:" >&2; cat "$1" >&2; return 1
}

b64() { base64 -w0 < "$1"; }

# One simulated member: TLS with its own CA, a bearer token, generated data,
# and two kube-system deployments like a real cluster's.
start_member() {
  local name=$1 pods=$2 seed=$3 dir="$work/$1"
  mkdir -p "$dir"
  head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/token"
  "$build/tests/kubesim/kubesim" --name "$name" --generate-certs "$dir" \
    --token "$(cat "$dir/token")" --generate-pods "$pods" --namespaces 6 \
    --seed "$seed" --control-port 0 > "$dir/out" 2>&1 &
  pids+=($!)
  local line port ctl
  line=$(wait_line "$dir/out" '^kubesim: listening')
  port=$(sed -E 's/.*port=([0-9]+).*/\1/' <<<"$line")
  ctl=$(sed -E 's/.*control=([0-9]+).*/\1/' <<<"$line")
  for app in coredns metrics-server; do
    [ "$app" = metrics-server ] && [ "$name" = cluster-2 ] && continue
    curl -fsS -XPOST "http://127.0.0.1:$ctl/objects" -d "{
      \"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",
      \"metadata\":{\"name\":\"$app\",\"namespace\":\"kube-system\",
        \"uid\":\"$name-$app\",\"labels\":{\"k8s-app\":\"$app\"},
        \"creationTimestamp\":\"2024-06-0${seed}T08:00:00Z\"},
      \"spec\":{\"replicas\":2,\"selector\":{\"matchLabels\":{\"k8s-app\":\"$app\"}},
        \"template\":{\"metadata\":{\"labels\":{\"k8s-app\":\"$app\"}},
          \"spec\":{\"containers\":[{\"name\":\"$app\",\"image\":\"registry.k8s.io/$app:v1\"}]}}},
      \"status\":{\"replicas\":2,\"readyReplicas\":2,\"updatedReplicas\":2,\"availableReplicas\":2}}" >/dev/null
  done
  cat > "$work/$name.yaml" <<EOF
apiVersion: cluster.clusterpedia.io/v1alpha2
kind: PediaCluster
metadata:
  name: $name
spec:
  apiserver: https://127.0.0.1:$port
  caData: $(b64 "$dir/ca.crt")
  tokenData: $(printf %s "$(cat "$dir/token")" | base64 -w0)
  syncResources:
  - group: ""
    resources: [pods, services, namespaces, nodes, configmaps]
  - group: apps
    resources: ["*"]
  - group: batch
    resources: [jobs, cronjobs]
EOF
}

# Your own clusters: one PediaCluster per context, each carrying a
# self-contained kubeconfig (kubectl config view --minify --flatten).
import_contexts() {
  local ctx n=0
  for ctx in $(kubectl --kubeconfig "$user_kubeconfig" config get-contexts -o name); do
    local name
    name=$(tr -c 'a-z0-9-\n' '-' <<<"${ctx,,}" | sed -E 's/^-+//; s/-+$//' | cut -c1-63)
    kubectl --kubeconfig "$user_kubeconfig" config view --minify --flatten \
      --context "$ctx" > "$work/$name.kubeconfig"
    cat > "$work/$name.yaml" <<EOF
apiVersion: cluster.clusterpedia.io/v1alpha2
kind: PediaCluster
metadata:
  name: $name
spec:
  kubeconfig: $(b64 "$work/$name.kubeconfig")
  syncResources:
  - group: ""
    resources: [pods, services, namespaces, nodes, configmaps]
  - group: apps
    resources: ["*"]
EOF
    members+=("$name"); n=$((n + 1))
  done
  [ "$n" -gt 0 ] || { echo "quickstart: no contexts in $user_kubeconfig" >&2; exit 1; }
}

members=()
if [ -n "$user_kubeconfig" ]; then
  echo "==> importing the contexts of $user_kubeconfig"
  import_contexts
else
  echo "==> starting two simulated member clusters (kubesim, TLS + token)"
  start_member cluster-1 240 1; members+=(cluster-1)
  start_member cluster-2 160 2; members+=(cluster-2)
fi

# Two users, each with a generated bearer token (kube's --token-auth-file
# format): the admin (group system:masters may do everything) and team-a,
# who may do nothing until granted. pediad writes the clusters and contexts
# to $kc (and rewrites it as members come and go); the credentials live in
# their own file, listed first in KUBECONFIG so that kubectl takes the
# users from it.
echo "==> starting pediad (embedded SQLite store, TLS, two users with generated tokens)"
kc="$work/kubeconfig"
creds="$work/credentials.kubeconfig"
admin_token=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
team_token=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
(umask 077
 printf '%s,pediad-admin,pediad-admin,"system:masters"\n%s,team-a,team-a\n' \
   "$admin_token" "$team_token" > "$work/tokens.csv"
 cat > "$creds" <<EOF
apiVersion: v1
kind: Config
users:
- name: pediad-admin
  user: {token: $admin_token}
- name: team-a
  user: {token: $team_token}
EOF
)
"$build/pediad/pediad" --state-dir "$work/state" --listen 127.0.0.1:0 \
  --token-auth-file "$work/tokens.csv" \
  --kubeconfig-out "$kc" > "$work/pediad.out" 2> "$work/pediad.log" &
pids+=($!)
url=$(wait_line "$work/pediad.out" '^pediad: serving on' | awk '{print $4}')
echo "    $url"
export KUBECONFIG=$creds:$kc

run() {
  printf '\n$ %s\n' "$*"
  "$@" --cache-dir "$work/cache"
}

for m in "${members[@]}"; do
  run kubectl apply -f "$work/$m.yaml"
done
printf '\n==> waiting for the clusters to be Ready'
for _ in $(seq 1 120); do
  ready=$(kubectl --cache-dir "$work/cache" get pediaclusters \
            -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' 2>/dev/null \
          | grep -c True || true)
  [ "$ready" -ge "${#members[@]}" ] && break
  printf .; sleep 1
done
echo
run kubectl get pediaclusters
# pediad rewrites the kubeconfig with one entry per member; let it catch up.
for _ in $(seq 1 50); do
  all=1
  for m in "${members[@]}"; do grep -q "name: $m\$" "$kc" || all=0; done
  [ $all = 1 ] && break; sleep 0.2
done

echo; echo "==> deployments in kube-system, across every cluster"
run kubectl --cluster clusterpedia get deployments -n kube-system
echo; echo "==> frontend deployments of both clusters, newest first (label form of the search conditions)"
run kubectl --cluster clusterpedia get deployments -A \
  -l "tier=frontend,search.clusterpedia.io/clusters in (${members[0]},${members[1]:-${members[0]}}),search.clusterpedia.io/orderby in (created_at_desc)" \
  --chunk-size=10
echo; echo "==> one cluster, one namespace"
ns=$(kubectl --cache-dir "$work/cache" --cluster "${members[0]}" get namespaces -o jsonpath='{.items[-1].metadata.name}')
run kubectl --cluster "${members[0]}" get pods -n "$ns" --chunk-size=5 -o wide
echo; echo "==> the same search through the URL form"
run kubectl --cluster clusterpedia get --raw \
  "/apis/clusterpedia.io/v1beta1/resources/apis/apps/v1/deployments?namespaces=kube-system&orderby=name&limit=3"
echo

# A limited user: team-a may read pods and deployments of one namespace, in
# every cluster (pediad's own RBAC, applied with kubectl like kube's).
cat > "$work/team-a.yaml" <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: $ns}
rules:
- apiGroups: ["", apps]
  resources: [pods, deployments]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: team-a-reads, namespace: $ns}
subjects: [{kind: User, name: team-a}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
EOF
echo "==> a limited user: team-a may read namespace $ns of every cluster"
run kubectl apply -f "$work/team-a.yaml"
echo; echo "==> the same search as the admin and as team-a (its own token: kubectl --user team-a)"
run kubectl --cluster clusterpedia get deployments -A --chunk-size=10
run kubectl --user team-a --cluster clusterpedia get deployments -A --chunk-size=10
run kubectl --user team-a --cluster clusterpedia auth whoami
run kubectl --user team-a --cluster clusterpedia auth can-i list pods -n kube-system || true
echo

cat <<MSG

pediad is serving on $url; its kubeconfig is $kc, the two users'
credentials are in $creds.
Keep exploring (in another shell):
  export KUBECONFIG=$creds:$kc
  kubectl get pediaclusters
  kubectl --cluster clusterpedia get pods -A -l 'search.clusterpedia.io/clusters in ($(IFS=,; echo "${members[*]}"))'
  kubectl --cluster clusterpedia get deployments -A -o wide
  kubectl --cluster ${members[0]} api-resources
  kubectl --cluster clusterpedia get pods -A -w
  kubectl --user team-a --cluster clusterpedia get pods -A   # what team-a sees
Logs: $work/pediad.log
MSG
if [ "$interactive" = 1 ]; then
  echo "Press Ctrl-C to stop pediad and the simulated clusters."
  wait "${pids[-1]}"
else
  echo "quickstart: done (non-interactive); stopping."
fi
