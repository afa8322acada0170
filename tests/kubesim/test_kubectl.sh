#!/bin/bash
# test_kubectl.sh - real kubectl against kubesim over TLS with a bearer token
# (and a client certificate).  Usage: test_kubectl.sh <kubesim-binary>
# Exit 77 (skip) when kubectl or python3 is missing.  Every kubectl call is
# wrapped in `timeout`; the server is killed on exit.
set -u
KUBESIM=${1:?kubesim binary}
KUBECTL=${KUBECTL:-/usr/bin/kubectl}
PY=/usr/bin/python3
[ -x "$KUBECTL" ] && [ -x "$PY" ] || { echo "skip: kubectl/python3 missing"; exit 77; }

T=$(mktemp -d /tmp/kubesim-kubectl-XXXXXX)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$KUBESIM" --generate-pods 45 --seed 3 --token tok3n --generate-certs "$T/certs" \
    >"$T/out" 2>"$T/err" &
PID=$!
for _ in $(seq 1 100); do grep -q "listening" "$T/out" && break; sleep 0.1; done
PORT=$(sed -n 's/.*port=\([0-9]*\).*/\1/p' "$T/out")
CTL=$(sed -n 's/.*control=\([0-9]*\).*/\1/p' "$T/out")
[ -n "$PORT" ] || fail "kubesim did not start: $(cat "$T/err")"

kubeconfig() {  # $1 file, $2 user yaml
    cat >"$1" <<YAML
apiVersion: v1
kind: Config
clusters:
- cluster: {server: "https://127.0.0.1:$PORT", certificate-authority: "$T/certs/ca.crt"}
  name: sim
users:
- name: u
  user: $2
contexts:
- context: {cluster: sim, user: u}
  name: sim
current-context: sim
YAML
}
kubeconfig "$T/kc" "{token: tok3n}"
kubeconfig "$T/kc-bad" "{token: wrong}"
kubeconfig "$T/kc-cert" "{client-certificate: \"$T/certs/client.crt\", client-key: \"$T/certs/client.key\"}"
export HOME=$T KUBECONFIG=$T/kc
k() { timeout 20 "$KUBECTL" "$@"; }
names() { curl -s "http://127.0.0.1:$CTL/names?$1" |
    $PY -c 'import json,sys; print("\n".join(json.load(sys.stdin)["items"]))'; }

# 1. chunked list: every pod exactly once
k get pods -A --chunk-size=7 --no-headers \
    -o custom-columns=NS:.metadata.namespace,N:.metadata.name |
    awk '{print $1"/"$2}' | sort >"$T/got" || fail "kubectl get pods"
names "resource=pods" | sort >"$T/want"
[ "$(wc -l <"$T/want")" -eq 45 ] || fail "server has $(wc -l <"$T/want") pods"
diff -u "$T/want" "$T/got" || fail "chunked list differs"
echo "ok: get pods -A --chunk-size=7 returned 45 pods once each"

# 2. deployments in one namespace
NS=$(head -1 "$T/want" | cut -d/ -f1)
k get deploy -n "$NS" --no-headers -o custom-columns=N:.metadata.name | sort >"$T/dgot"
names "group=apps&resource=deployments" | grep "^$NS/" | cut -d/ -f2 | sort >"$T/dwant"
[ -s "$T/dwant" ] && diff -u "$T/dwant" "$T/dgot" || fail "deployments differ"
echo "ok: get deploy -n $NS"

# 3. get one pod as JSON
POD=$(head -1 "$T/want" | cut -d/ -f2)
k get pod "$POD" -n "$NS" -o json | $PY -c '
import json,sys; o=json.load(sys.stdin); n=sys.argv[1]
assert o["metadata"]["name"]==n and o["kind"]=="Pod", o["metadata"]["name"]
assert o["metadata"]["ownerReferences"][0]["kind"]=="ReplicaSet"' "$POD" ||
    fail "get pod -o json"
echo "ok: get pod $POD -o json"

# 4. api-resources
k api-resources >"$T/ar" || fail "api-resources"
for r in pods deployments widgets customresourcedefinitions; do
    grep -q "^$r " "$T/ar" || fail "api-resources lacks $r"
done
echo "ok: api-resources lists pods/deployments/widgets"

# 5. watch sees a change made through the control endpoint
timeout 15 "$KUBECTL" get pods -n "$NS" -w --request-timeout=6s -o name \
    >"$T/watch" 2>"$T/watch.err" &
WPID=$!
sleep 2
curl -s -XPOST "http://127.0.0.1:$CTL/objects" -d "{\"apiVersion\":\"v1\",
    \"kind\":\"Pod\",\"metadata\":{\"name\":\"watched-pod\",\"namespace\":\"$NS\"},
    \"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}]}}" >/dev/null
wait $WPID
grep -q "pod/watched-pod" "$T/watch" || fail "watch missed the update: $(cat "$T/watch" "$T/watch.err")"
echo "ok: get pods -w saw pod/watched-pod"

# 6. wrong token → Unauthorized
if KUBECONFIG=$T/kc-bad k get pods -A >"$T/bad" 2>&1; then fail "wrong token accepted"; fi
grep -Eq "Unauthorized|must be logged in" "$T/bad" || fail "no Unauthorized: $(cat "$T/bad")"
echo "ok: wrong token is refused"

# 7. client certificate
KUBECONFIG=$T/kc-cert k get ns --no-headers >"$T/ns" || fail "client cert refused"
grep -q kube-system "$T/ns" || fail "client cert: no namespaces"
echo "ok: client certificate accepted"
exit 0
