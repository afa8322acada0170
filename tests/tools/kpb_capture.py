#!/usr/bin/python3
"""Capture the Kubernetes protobuf request bodies the real kubectl sends.

Why: pediad decodes these bodies (libpedia/model/model_kpb.c) and its unit
tests (tests/unit/model/test_model_kpb.c) need fixtures made by the real
client, not by us. This script starts a tiny plain-HTTP server on 127.0.0.1
that answers just enough discovery for kubectl (/version, /api, /apis and
the resource lists of core/v1, rbac, authorization and authentication),
answers every POST with a plausible JSON object, and records each request
body. It then runs a fixed list of kubectl commands against it and writes
each captured body to OUT/<name>.pb. The expected <name>.json files are
written by hand (from the command line) and are not touched here.

Regenerate (kubectl from the google-cloud-sdk package ships one binary per
minor version; the server's /version answers the same minor):

  K=/usr/lib/google-cloud-sdk/bin/kubectl
  /usr/bin/python3 tests/tools/kpb_capture.py --kubectl $K.1.33 --minor 33 \\
      --out tests/unit/model/fixtures/kpb
  /usr/bin/python3 tests/tools/kpb_capture.py --kubectl $K.1.31 --minor 31 \\
      --out tests/unit/model/fixtures/kpb

(kubectl 1.32 sends bytes identical to 1.33's; 1.27 to 1.31 send JSON.)

The server lives only while the commands run (each has a 30 s timeout, the
whole run at most 5 minutes); stdlib only.
"""
import argparse
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

GROUPS = {
    "rbac.authorization.k8s.io": [
        ("roles", "Role", True), ("rolebindings", "RoleBinding", True),
        ("clusterroles", "ClusterRole", False),
        ("clusterrolebindings", "ClusterRoleBinding", False)],
    "authorization.k8s.io": [
        ("selfsubjectaccessreviews", "SelfSubjectAccessReview", False),
        ("selfsubjectrulesreviews", "SelfSubjectRulesReview", False),
        ("subjectaccessreviews", "SubjectAccessReview", False),
        ("localsubjectaccessreviews", "LocalSubjectAccessReview", True)],
    "authentication.k8s.io": [
        ("selfsubjectreviews", "SelfSubjectReview", False)],
    "apps": [("deployments", "Deployment", True)],
}
CORE = [("pods", "Pod", True), ("namespaces", "Namespace", False),
        ("serviceaccounts", "ServiceAccount", True)]

# name -> kubectl arguments. The body of the command's last write request
# is saved as <name><suffix>.pb when it is protobuf (kubectl >= 1.32), as
# <name><suffix>.client.json when it is JSON (kubectl <= 1.31: the same
# object as written by that kubectl's own JSON encoder, kept to check the
# hand-written expected JSON against).
COMMANDS = [
    ("role", ["create", "role", "r", "--verb=get", "--verb=list",
              "--resource=pods", "--resource-name=p1", "-n", "ns"]),
    ("rolebinding", ["create", "rolebinding", "rb", "--role=r",
                     "--user=alice", "--group=g",
                     "--serviceaccount=ns:sa", "-n", "ns"]),
    ("clusterrole", ["create", "clusterrole", "cr", "--verb=get",
                     "--non-resource-url=/healthz"]),
    ("clusterrole_agg", ["create", "clusterrole", "agg",
                         "--aggregation-rule=a=b"]),
    ("clusterrolebinding", ["create", "clusterrolebinding", "crb",
                            "--clusterrole=cr", "--user=u"]),
    ("ssar", ["auth", "can-i", "list", "pods", "-n", "ns"]),
    ("ssar_subresource", ["auth", "can-i", "get", "pods", "--subresource=log",
                          "-n", "ns"]),
    ("ssar_group", ["auth", "can-i", "create", "deployments.apps", "-A"]),
    ("rolebinding_clusterrole", ["create", "rolebinding", "rbc",
                                 "--clusterrole=view", "--user=bob",
                                 "-n", "ns"]),
    ("ssar_nonresource", ["auth", "can-i", "get", "/healthz"]),
    ("ssrr", ["auth", "can-i", "--list", "-n", "ns"]),
    ("whoami", ["auth", "whoami"]),
]


def resource_list(gv, resources):
    return {"kind": "APIResourceList", "apiVersion": "v1",
            "groupVersion": gv,
            "resources": [{"name": n, "singularName": n[:-1],
                           "namespaced": ns, "kind": k,
                           "verbs": ["create", "delete", "get", "list"]}
                          for n, k, ns in resources]}


def answer_get(path, minor):
    if path == "/version":
        return {"major": "1", "minor": minor,
                "gitVersion": "v1.%s.0" % minor, "platform": "linux/amd64"}
    if path == "/api":
        return {"kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [
                    {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}
    if path == "/apis":
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
            {"name": g, "versions": [{"groupVersion": g + "/v1",
                                      "version": "v1"}],
             "preferredVersion": {"groupVersion": g + "/v1",
                                  "version": "v1"}} for g in GROUPS]}
    if path == "/api/v1":
        return resource_list("v1", CORE)
    for g, res in GROUPS.items():
        if path == "/apis/%s/v1" % g:
            return resource_list(g + "/v1", res)
    return None


def answer_post(path):
    """A JSON object of the kind posted to, enough for kubectl to print."""
    parts = path.strip("/").split("/")
    resource = parts[-1]
    for g, res in GROUPS.items():
        for n, k, _ in res:
            if n != resource:
                continue
            obj = {"apiVersion": g + "/v1", "kind": k,
                   "metadata": {"name": "x", "uid": "u-1"}}
            if k.endswith("AccessReview"):
                obj["spec"] = {}
                obj["status"] = {"allowed": True}
            elif k == "SelfSubjectRulesReview":
                obj["spec"] = {}
                obj["status"] = {"resourceRules": [], "incomplete": False,
                                 "nonResourceRules": []}
            elif k == "SelfSubjectReview":
                obj["status"] = {"userInfo": {"username": "alice"}}
            return obj
    return None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        obj = answer_get(self.path.split("?")[0], self.server.minor)
        if obj is None:
            self.reply(404, {"kind": "Status", "apiVersion": "v1",
                             "status": "Failure", "reason": "NotFound",
                             "code": 404})
        else:
            self.reply(200, obj)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        self.server.bodies.append((self.path, self.headers.get(
            "Content-Type", ""), body))
        obj = answer_post(self.path.split("?")[0])
        self.reply(201 if obj else 404, obj or {"kind": "Status"})


def run(args):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.minor = args.minor
    srv.bodies = []
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    deadline = time.monotonic() + 300
    with tempfile.TemporaryDirectory() as tmp:
        kc = os.path.join(tmp, "kubeconfig")
        with open(kc, "w") as f:
            f.write(KUBECONFIG % srv.server_address[1])
        env = dict(os.environ, HOME=tmp, KUBECONFIG=kc)
        for name, argv in COMMANDS:
            if time.monotonic() > deadline:
                sys.exit("capture: out of time")
            srv.bodies.clear()
            cmd = [args.kubectl, "--cache-dir", os.path.join(tmp, "c")] + argv
            p = subprocess.run(cmd, env=env, capture_output=True, timeout=30)
            if not srv.bodies:
                print("%s: no body (rc %d): %s" % (name, p.returncode,
                                                  p.stderr.decode()[:300]))
                continue
            path, ctype, body = srv.bodies[-1]
            ext = ".pb" if "protobuf" in ctype else ".client.json"
            out = os.path.join(args.out, name + args.suffix + ext)
            with open(out, "wb") as f:
                f.write(body)
            print("%s: POST %s %s, %d bytes -> %s" % (name, path, ctype,
                                                     len(body), out))
    srv.shutdown()


KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "http://127.0.0.1:%d"}
users:
- name: u
  user: {token: capture}
contexts:
- name: c
  context: {cluster: c, user: u}
current-context: c
"""

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kubectl", default="/usr/bin/kubectl")
    ap.add_argument("--minor", default="31")
    ap.add_argument("--out", required=True)
    ap.add_argument("--suffix", default="")
    run(ap.parse_args())
