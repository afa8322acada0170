#!/usr/bin/env bash
# Every YAML file under examples/deploy/ parses (PyYAML, safe_load_all), each
# document is a Kubernetes object (apiVersion, kind, metadata.name), and the
# deployment holds what examples/deploy/README.md promises: the namespace,
# both CRDs with their schema and printer columns, the RBAC, the pediad
# Deployment flags, the Service and the APIService.
# Usage: check_deploy_yaml.sh [DEPLOY_DIR]   (exit 77 = skipped: no PyYAML)
set -euo pipefail
dir=${1:-$(cd "$(dirname "$0")/../../examples/deploy" && pwd)}
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3 || true)
if [ -z "$py" ] || ! "$py" -c 'import yaml' 2>/dev/null; then
  echo "SKIP: python3 with PyYAML not found"
  exit 77
fi
exec "$py" - "$dir" <<'PY'
import glob, os, sys
import yaml

root = sys.argv[1]
files = sorted(glob.glob(os.path.join(root, "**", "*.yaml"), recursive=True) +
               glob.glob(os.path.join(root, "**", "*.yml"), recursive=True))
errors = []
objs = {}  # (kind, namespace, name) -> (file, doc)


def err(msg):
    errors.append(msg)


if not files:
    err(f"no YAML files under {root}")
for f in files:
    rel = os.path.relpath(f, root)
    with open(f, encoding="utf-8") as fh:
        text = fh.read()
    if "\t" in text:
        err(f"{rel}: contains a tab")
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as e:
        err(f"{rel}: does not parse: {e}")
        continue
    if not docs:
        err(f"{rel}: no documents")
    for i, d in enumerate(docs):
        where = f"{rel} document {i + 1}"
        if not isinstance(d, dict):
            err(f"{where}: not a mapping")
            continue
        md = d.get("metadata") or {}
        if not d.get("apiVersion") or not d.get("kind") or not md.get("name"):
            err(f"{where}: needs apiVersion, kind and metadata.name")
            continue
        key = (d["kind"], md.get("namespace", ""), md["name"])
        # optional/ may redefine an object of the main set (a variant).
        if key in objs and not rel.startswith("optional" + os.sep):
            err(f"{where}: {key} already defined in {objs[key][0]}")
        objs.setdefault(key, (rel, d))


def get(kind, name, ns=""):
    o = objs.get((kind, ns, name))
    if not o:
        err(f"missing {kind} {ns + '/' if ns else ''}{name}")
        return {}
    return o[1]


def dig(d, *path):
    for p in path:
        if isinstance(d, dict):
            d = d.get(p)
        elif isinstance(d, list) and isinstance(p, int) and p < len(d):
            d = d[p]
        else:
            return None
    return d


def expect(cond, msg):
    if not cond:
        err(msg)


NS = "pedia-system"
get("Namespace", NS)

# CRDs: group, version, scope, schema, printer columns.
pc = get("CustomResourceDefinition", "pediaclusters.cluster.clusterpedia.io")
sr = get("CustomResourceDefinition",
         "clustersyncresources.cluster.clusterpedia.io")
for crd, kind in ((pc, "PediaCluster"), (sr, "ClusterSyncResources")):
    if not crd:
        continue
    s = crd["spec"]
    expect(s.get("group") == "cluster.clusterpedia.io", f"{kind}: group")
    expect(s.get("scope") == "Cluster", f"{kind}: scope")
    expect(dig(s, "names", "kind") == kind, f"{kind}: names.kind")
    v = [x for x in s.get("versions", []) if x.get("name") == "v1alpha2"]
    expect(len(v) == 1 and v[0].get("served") and v[0].get("storage"),
           f"{kind}: v1alpha2 served and stored")
    if not v:
        continue
    spec = dig(v[0], "schema", "openAPIV3Schema", "properties", "spec")
    expect("syncResources" in (spec or {}).get("required", []),
           f"{kind}: spec.syncResources required")
    item = dig(spec, "properties", "syncResources", "items") or {}
    for f in ("group", "versions", "resources"):
        expect(f in (item.get("properties") or {}),
               f"{kind}: syncResources[].{f}")
    expect(dig(item, "properties", "resources", "minItems") == 1,
           f"{kind}: syncResources[].resources minItems 1")
    if kind == "PediaCluster":
        props = spec.get("properties") or {}
        for f in ("apiserver", "caData", "tokenData", "certData", "keyData",
                  "kubeconfig", "syncResources", "syncAllCustomResources",
                  "syncResourcesRefName"):
            expect(f in props, f"PediaCluster: spec.{f}")
        for f in ("caData", "tokenData", "certData", "keyData", "kubeconfig"):
            expect(dig(props, f, "format") == "byte",
                   f"PediaCluster: spec.{f} format byte")
        st = dig(v[0], "schema", "openAPIV3Schema", "properties", "status",
                 "properties") or {}
        for f in ("apiserver", "version", "conditions", "syncResources"):
            expect(f in st, f"PediaCluster: status.{f}")
        expect(v[0].get("subresources", {}).get("status") == {},
               "PediaCluster: status subresource")
        cols = {c["name"].upper(): c for c in
                v[0].get("additionalPrinterColumns", [])}
        for c in ("READY", "VERSION", "APISERVER", "AGE"):
            expect(c in cols, f"PediaCluster: printer column {c}")
        expect(dig(cols, "READY", "jsonPath") ==
               '.status.conditions[?(@.type=="Ready")].status',
               "PediaCluster: READY column path")

# RBAC.
get("ServiceAccount", "pediad", NS)
role = get("ClusterRole", "pediad")
granted = set()
for r in role.get("rules", []):
    for g in r.get("apiGroups", []):
        for res in r.get("resources", []):
            for verb in r.get("verbs", []):
                granted.add((g, res, verb))
for res, verbs in (("pediaclusters", ("get", "list", "watch", "update")),
                   ("pediaclusters/status", ("get", "update")),
                   ("clustersyncresources", ("get", "list", "watch"))):
    for verb in verbs:
        expect(("cluster.clusterpedia.io", res, verb) in granted,
               f"ClusterRole pediad: {verb} {res}")


def bound(kind, name, ns, role_kind, role_name):
    b = get(kind, name, ns)
    expect(dig(b, "roleRef", "kind") == role_kind and
           dig(b, "roleRef", "name") == role_name,
           f"{kind} {name}: roleRef {role_kind} {role_name}")
    expect({"kind": "ServiceAccount", "name": "pediad", "namespace": NS}
           in b.get("subjects", []), f"{kind} {name}: subject pediad")


bound("ClusterRoleBinding", "pediad", "", "ClusterRole", "pediad")
bound("ClusterRoleBinding", "pediad:system:auth-delegator", "", "ClusterRole",
      "system:auth-delegator")
bound("RoleBinding", "pediad:extension-apiserver-authentication-reader",
      "kube-system", "Role", "extension-apiserver-authentication-reader")

# pediad.
get("PersistentVolumeClaim", "pediad-data", NS)
dep = get("Deployment", "pediad", NS)
c = dig(dep, "spec", "template", "spec", "containers", 0) or {}
args = c.get("args", [])
for flag, val in (("--storage", "sqlite:/var/lib/pedia/pedia.db"),
                  ("--listen", "0.0.0.0:6443"),
                  ("--tls-cert-file", None),
                  ("--tls-private-key-file", None),
                  ("--requestheader-client-ca-file", None),
                  ("--requestheader-allowed-names", "front-proxy-client"),
                  ("--host-in-cluster", None)):
    expect(flag in args, f"Deployment pediad: {flag}")
    if val and flag in args:
        i = args.index(flag)
        expect(i + 1 < len(args) and args[i + 1] == val,
               f"Deployment pediad: {flag} {val}")
expect(dig(dep, "spec", "template", "spec", "serviceAccountName") == "pediad",
       "Deployment pediad: serviceAccountName")
svc = get("Service", "pediad", NS)
p = dig(svc, "spec", "ports", 0) or {}
expect(p.get("port") == 443 and p.get("targetPort") in (6443, "https"),
       "Service pediad: 443 -> 6443")

api = get("APIService", "v1beta1.clusterpedia.io")
s = api.get("spec", {})
expect(s.get("group") == "clusterpedia.io" and s.get("version") == "v1beta1",
       "APIService: group/version")
expect(s.get("service") == {"namespace": NS, "name": "pediad", "port": 443},
       "APIService: service ref")
expect(s.get("insecureSkipTLSVerify") is False, "APIService: TLS verified")
expect(isinstance(s.get("caBundle"), str) and s["caBundle"],
       "APIService: caBundle placeholder")
expect(s.get("groupPriorityMinimum") == 1000 and
       s.get("versionPriority") == 100, "APIService: priorities")

for e in errors:
    print("check_deploy_yaml:", e)
if errors:
    sys.exit(1)
print(f"check_deploy_yaml: {len(files)} files, {len(objs)} objects: ok")
PY
