"""End-to-end acceptance tests of pediad: fixtures and helpers.

Three kubesim member clusters (tests/kubesim) and one pediad, all on
127.0.0.1 with ephemeral ports, are started once per pytest session; the
test files then drive the *real* kubectl (/usr/bin/kubectl, a dispatcher
that picks the kubectl matching the server's /version) and the Debian
python3-kubernetes client against pediad, comparing what a user sees with
the members' truth (kubesim's control endpoint and API).

Environment:
  PEDIAD_BIN    the pediad binary (required; tests skip without it)
  KUBESIM_BIN   the kubesim binary (required)
  KUBECTL       kubectl to use (default /usr/bin/kubectl)
  E2E_LOG_DIR   keep the work dir (state, kubeconfig, process logs) and the
                command log e2e.log there; default: a temp dir, removed at
                the end when every test passed

Every process started here is killed in a finalizer (by its own PID); every
wait is bounded.
"""
import base64
import http.client
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request

import pytest

KUBECTL = os.environ.get("KUBECTL", "/usr/bin/kubectl")
PEDIAD_RE = re.compile(r"^pediad: serving on (https://[^\s/]+:(\d+))\s*$", re.M)
KUBESIM_RE = re.compile(r"kubesim: listening port=(\d+) control=(\d+)")
RES = "/apis/clusterpedia.io/v1beta1/resources"
CLUSTER_ANN = "shadow.clusterpedia.io/cluster-name"
PC_PATH = "/apis/cluster.clusterpedia.io/v1alpha2/pediaclusters"

# Generous but bounded waits (seconds).
START_TIMEOUT = 30
SYNC_TIMEOUT = 90
CMD_TIMEOUT = 60

_PROCS = []          # every Popen we started, killed at session end
_LOG_LOCK = threading.Lock()
_LOG = {"path": None}


def log(msg):
    """Append a line to the session's command log (E2E_LOG_DIR/e2e.log)."""
    with _LOG_LOCK:
        if _LOG["path"]:
            with open(_LOG["path"], "a") as f:
                f.write(msg.rstrip("\n") + "\n")


def short(text, n=1500):
    text = text if isinstance(text, str) else text.decode("utf-8", "replace")
    return text if len(text) <= n else text[:n] + f"... [{len(text)} bytes]"


def spawn(args, out_path, err_path=None):
    out = open(out_path, "w")
    err = open(err_path, "w") if err_path else subprocess.STDOUT
    try:
        p = subprocess.Popen(args, stdout=out, stderr=err,
                             stdin=subprocess.DEVNULL)
    finally:
        out.close()
        if err_path:
            err.close()
    _PROCS.append(p)
    log(f"[spawn pid={p.pid}] {' '.join(args)}")
    return p


def kill_proc(p, sig=signal.SIGKILL, timeout=10):
    """Stops one process we started (by its PID) and reaps it."""
    if p.poll() is None:
        try:
            p.send_signal(sig)
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout)
    return p.returncode


def wait_until(fn, timeout, interval=0.25, what="condition"):
    """Polls fn() until it returns a truthy value; returns it, or the last
    value after timeout (callers assert on it)."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = fn()
        if last:
            return last
        if time.monotonic() >= deadline:
            log(f"[wait] {what}: gave up after {timeout}s")
            return last
        time.sleep(interval)


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


# ---------------------------------------------------------------- kubesim

class Kubesim:
    """One kubesim member: API on HTTPS, control endpoint on plain HTTP."""

    def __init__(self, binary, workdir, name, args):
        self.name = name
        self.dir = os.path.join(workdir, "ks-" + name)
        os.makedirs(self.dir)
        self.certs = os.path.join(self.dir, "certs")
        self.out = os.path.join(self.dir, "kubesim.out")
        self.proc = spawn([binary, "--generate-certs", self.certs,
                           "--name", name, *args], self.out)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            m = KUBESIM_RE.search(read(self.out))
            if m:
                self.port, self.ctl = int(m.group(1)), int(m.group(2))
                break
            if self.proc.poll() is not None or time.monotonic() > deadline:
                kill_proc(self.proc)
                raise RuntimeError(f"kubesim {name} did not start: "
                                   f"{read(self.out)}")
            time.sleep(0.05)
        self.url = f"https://127.0.0.1:{self.port}"
        self.token = None

    def ca(self):
        return os.path.join(self.certs, "ca.crt")

    def control(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"http://127.0.0.1:{self.ctl}{path}",
                                     data=data, method=method)
        with urllib.request.urlopen(req, timeout=15) as r:
            return json.loads(r.read())

    def state(self):
        return self.control("GET", "/state")

    def names(self, resource, group=""):
        """The member's truth: "ns/name" (namespaced) or "name"."""
        q = urllib.parse.urlencode({"resource": resource, "group": group})
        return self.control("GET", "/names?" + q)["items"]

    def upsert(self, obj):
        rv = self.control("POST", "/objects", obj)
        log(f"[kubesim {self.name}] upsert {obj['kind']} "
            f"{obj['metadata'].get('namespace', '')}/"
            f"{obj['metadata']['name']} -> {rv}")
        return rv

    def delete(self, resource, ns, name, group=""):
        q = urllib.parse.urlencode({"resource": resource, "group": group,
                                    "namespace": ns, "name": name})
        rv = self.control("DELETE", "/objects?" + q)
        log(f"[kubesim {self.name}] delete {resource} {ns}/{name} -> {rv}")
        return rv

    def api_get(self, path):
        """GET on the member's own API (truth for object contents)."""
        ctx = ssl.create_default_context(cafile=self.ca())
        if self.token:
            headers = {"Authorization": "Bearer " + self.token}
        else:
            headers = {}
            ctx.load_cert_chain(os.path.join(self.certs, "client.crt"),
                                os.path.join(self.certs, "client.key"))
        c = http.client.HTTPSConnection("127.0.0.1", self.port, context=ctx,
                                        timeout=20)
        try:
            c.request("GET", path, headers=headers)
            r = c.getresponse()
            body = r.read()
            assert r.status == 200, f"member {self.name} GET {path}: " \
                f"{r.status} {short(body)}"
            return json.loads(body)
        finally:
            c.close()

    def b64(self, fname):
        with open(os.path.join(self.certs, fname), "rb") as f:
            return base64.b64encode(f.read()).decode()


# ---------------------------------------------------------------- pediad

class Pediad:
    """One pediad process. name keeps the files of several apart (state
    dir NAME-state, kubeconfig home/NAME.kubeconfig, logs NAME.N.out/err);
    args are extra flags (e.g. another --authorization-mode)."""

    def __init__(self, binary, workdir, name="pediad", args=()):
        self.binary = binary
        self.workdir = workdir
        self.name = name
        self.args = list(args)
        self.state = os.path.join(workdir, f"{name}-state")
        self.kubeconfig = os.path.join(workdir, "home", f"{name}.kubeconfig")
        self.proc = None
        self.port = 0
        self.url = None
        self.starts = 0

    def start(self, port=None):
        port = self.port if port is None else port
        self.starts += 1
        self.out = os.path.join(self.workdir,
                                f"{self.name}.{self.starts}.out")
        self.err = os.path.join(self.workdir,
                                f"{self.name}.{self.starts}.err")
        self.proc = spawn([self.binary, "--listen", f"127.0.0.1:{port}",
                           "--state-dir", self.state, "--kubeconfig-out",
                           self.kubeconfig, "--log-level", "debug",
                           *self.args], self.out, self.err)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            m = PEDIAD_RE.search(read(self.out))
            if m:
                self.url, self.port = m.group(1), int(m.group(2))
                break
            if self.proc.poll() is not None or time.monotonic() > deadline:
                kill_proc(self.proc)
                raise RuntimeError(
                    f"{self.name} did not print its URL (exit "
                    f"{self.proc.returncode}):\n{short(read(self.err), 4000)}")
            time.sleep(0.05)
        self.host = "127.0.0.1"
        # The kubeconfig is written before the URL line is printed
        # (README); wait a little in case it is not.
        wait_until(lambda: os.path.exists(self.kubeconfig), 10,
                   what="kubeconfig-out")
        log(f"[{self.name}] serving on {self.url} (start #{self.starts})")

    def stop(self, sig=signal.SIGTERM, timeout=20):
        """Stops pediad; returns (exit code, seconds taken)."""
        t0 = time.monotonic()
        rc = kill_proc(self.proc, sig, timeout)
        return rc, time.monotonic() - t0

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def ca(self):
        return os.path.join(self.state, "ca.crt")

    def token(self):
        return read(os.path.join(self.state, "admin-token")).strip()

    def stderr(self):
        return read(self.err)

    def request(self, method, path, body=None, headers=None, token=True,
                timeout=30):
        """One raw HTTPS request; returns (status, headers dict, body str).
        token=True uses the admin token, a string uses that token, None sends
        no Authorization header."""
        ctx = ssl.create_default_context(cafile=self.ca())
        c = http.client.HTTPSConnection("127.0.0.1", self.port, context=ctx,
                                        timeout=timeout)
        h = {"Accept": "application/json"}
        if token is True:
            h["Authorization"] = "Bearer " + self.token()
        elif token:
            h["Authorization"] = "Bearer " + token
        h.update(headers or {})
        if isinstance(body, str):
            body = body.encode()
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read().decode("utf-8", "replace")
            hdrs = {k.lower(): v for k, v in r.getheaders()}
            log(f"[http] {method} {short(path, 300)} -> {r.status} "
                f"{short(data, 300)}")
            return r.status, hdrs, data
        finally:
            c.close()

    def get_json(self, path):
        st, _, body = self.request("GET", path)
        assert st == 200, f"GET {path}: {st} {short(body)}"
        return json.loads(body)

    def list_all(self, path, limit=None):
        """Follows continue tokens; returns (items, pages)."""
        items, pages, cont = [], 0, None
        while True:
            q = {}
            if limit:
                q["limit"] = str(limit)
            if cont:
                q["continue"] = cont
            sep = "&" if "?" in path else "?"
            p = path + (sep + urllib.parse.urlencode(q) if q else "")
            doc = self.get_json(p)
            pages += 1
            items.extend(doc.get("items") or [])
            cont = (doc.get("metadata") or {}).get("continue")
            if not cont or pages > 10000:
                return items, pages


# ---------------------------------------------------------------- kubectl

class Kubectl:
    def __init__(self, kubeconfig, home):
        self.kubeconfig = kubeconfig
        self.home = home
        self.env = dict(os.environ, HOME=home, KUBECACHEDIR=os.path.join(
            home, ".kube", "cache"))
        self.env.pop("KUBECONFIG", None)

    def argv(self, *args):
        return [KUBECTL, "--kubeconfig", self.kubeconfig, *args]

    def run(self, *args, timeout=CMD_TIMEOUT, input=None):
        argv = self.argv(*args)
        t0 = time.monotonic()
        r = subprocess.run(argv, capture_output=True, text=True,
                           env=self.env, timeout=timeout, input=input,
                           stdin=None if input is not None else
                           subprocess.DEVNULL)
        log(f"$ {' '.join(argv[1:])}  [rc={r.returncode} "
            f"{time.monotonic() - t0:.2f}s]\n{short(r.stdout)}"
            + (f"\n[stderr] {short(r.stderr)}" if r.stderr else ""))
        return r

    def ok(self, *args, **kw):
        r = self.run(*args, **kw)
        assert r.returncode == 0, \
            f"kubectl {' '.join(args)} failed ({r.returncode}):\n" \
            f"{short(r.stderr)}\n{short(r.stdout)}"
        return r.stdout

    def popen(self, *args, out_path):
        argv = self.argv(*args)
        out = open(out_path, "w")
        try:
            p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, env=self.env)
        finally:
            out.close()
        _PROCS.append(p)
        log(f"[spawn pid={p.pid}] {' '.join(argv)}")
        return p


def parse_table(text):
    """kubectl's tab-aligned table → (header list, rows as lists). Columns
    are split on runs of 2+ spaces; empty cells are not expected in the
    columns the tests look at."""
    lines = [l for l in text.splitlines() if l.strip()]
    if not lines:
        return [], []
    header = re.split(r"\s{2,}", lines[0].strip())
    # Split rows by the header's column start offsets, which is robust to
    # cells that contain single spaces ("1 (5m ago)").
    starts = [m.start() for m in re.finditer(r"(?:(?<=\s\s)|^)\S",
                                               lines[0])]
    rows = []
    for l in lines[1:]:
        cells = []
        for i, s in enumerate(starts):
            e = starts[i + 1] if i + 1 < len(starts) else None
            cells.append(l[s:e].strip())
        rows.append(cells)
    return header, rows


def table_dicts(text):
    header, rows = parse_table(text)
    return header, [dict(zip(header, r)) for r in rows]


# ---------------------------------------------------------------- objects

def deployment(ns, name, replicas=2, image="nginx:1.27", ready=None):
    ready = replicas if ready is None else ready
    labels = {"app": name, "tier": "e2e"}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "labels": labels,
                     "generation": 1},
        "spec": {"replicas": replicas,
                 "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [
                                  {"name": name.split("-")[0],
                                   "image": image}]}}},
        "status": {"observedGeneration": 1, "replicas": replicas,
                   "updatedReplicas": replicas, "readyReplicas": ready,
                   "availableReplicas": ready}}


def pod(ns, name, labels=None, ip="10.99.0.1", node="node-0000"):
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns,
                     "labels": labels or {"app": "e2e"}},
        "spec": {"nodeName": node,
                 "containers": [{"name": "c", "image": "busybox:1.36"}]},
        "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
                   "conditions": [{"type": "Ready", "status": "True"}],
                   "containerStatuses": [{
                       "name": "c", "ready": True, "restartCount": 0,
                       "image": "busybox:1.36", "imageID": "",
                       "state": {"running": {
                           "startedAt": "2024-06-01T00:00:00Z"}}}]}}


# ---------------------------------------------------------------- manifests

# Which resources each member syncs: the three spellings a user may write
# (group wildcard, plural list, singular names).
SYNC_C1 = """\
  syncResources:
  - group: ""
    resources: ["*"]
  - group: apps
    resources: ["*"]
"""
SYNC_C2 = """\
  syncResources:
  - group: ""
    resources: [pods, services, namespaces, nodes, configmaps]
  - group: apps
    resources: [deployments, replicasets, daemonsets]
"""
SYNC_C3 = """\
  syncResources:
  - group: ""
    resources: [pod, service, namespace, node, configmap]
  - group: apps
    resources: [deployment, replicaset, daemonset]
"""

# What the tests compare with the members' truth: (group, resource).
CHECKED = [("", "pods"), ("", "services"), ("", "namespaces"), ("", "nodes"),
           ("apps", "deployments"), ("apps", "replicasets")]


def gv_path(group, resource, ns=None):
    base = "/api/v1" if not group else f"/apis/{group}/v1"
    return base + (f"/namespaces/{ns}" if ns else "") + "/" + resource


class World:
    """The running system shared by all tests of a session."""

    def __init__(self, workdir, pediad_bin, kubesim_bin):
        self.workdir = workdir
        self.home = os.path.join(workdir, "home")
        os.makedirs(self.home)
        self.members = {}
        self.pediad = Pediad(pediad_bin, workdir)
        self.kubesim_bin = kubesim_bin
        self.manifest_dir = os.path.join(workdir, "manifests")
        os.makedirs(self.manifest_dir)
        self.apply_output = ""
        self.removed = set()      # members deleted by test_5

    # -- members
    def start_members(self):
        # Every member serves rbac.authorization.k8s.io (empty until a test
        # writes some): its own RBAC, which pediad's MemberRBAC mode syncs.
        # c1: TLS + bearer token, apiserver/caData/tokenData.
        c1 = Kubesim(self.kubesim_bin, self.workdir, "c1",
                     ["--generate-pods", "40", "--namespaces", "4",
                      "--seed", "11", "--token", "tok-c1-secret",
                      "--bookmark-ms", "1000", "--rbac"])
        c1.token = "tok-c1-secret"
        self.members["c1"] = c1
        # c2: TLS + client certificate (certData/keyData).
        c2 = Kubesim(self.kubesim_bin, self.workdir, "c2",
                     ["--generate-pods", "30", "--namespaces", "3",
                      "--seed", "22", "--bookmark-ms", "1000", "--rbac"])
        self.members["c2"] = c2
        # c3: TLS + token given as a whole kubeconfig (spec.kubeconfig).
        c3 = Kubesim(self.kubesim_bin, self.workdir, "c3",
                     ["--generate-pods", "25", "--namespaces", "3",
                      "--seed", "33", "--token", "tok-c3-secret",
                      "--bookmark-ms", "1000", "--rbac"])
        c3.token = "tok-c3-secret"
        self.members["c3"] = c3
        # Workloads a user expects in kube-system / default.
        for name, m in self.members.items():
            m.upsert(deployment("kube-system", "coredns", 2,
                                "registry.k8s.io/coredns/coredns:v1.11.1"))
            m.upsert(deployment("kube-system", "metrics-server", 1,
                                "registry.k8s.io/metrics-server:v0.7.1"))
        self.members["c1"].upsert(deployment("default", "nginx", 3))
        self.members["c2"].upsert(deployment("default", "shop-web", 2, ready=1))
        self.members["c3"].upsert(deployment("default", "nginx", 1))

    def manifest(self, name):
        m = self.members[name]
        b64 = lambda s: base64.b64encode(s.encode()).decode()  # noqa: E731
        head = ("apiVersion: cluster.clusterpedia.io/v1alpha2\n"
                "kind: PediaCluster\n"
                f"metadata:\n  name: {name}\nspec:\n")
        if name == "c1":
            return head + (f"  apiserver: {m.url}\n"
                           f"  caData: {m.b64('ca.crt')}\n"
                           f"  tokenData: {b64(m.token)}\n") + SYNC_C1
        if name == "c2":
            return head + (f"  apiserver: {m.url}\n"
                           f"  caData: {m.b64('ca.crt')}\n"
                           f"  certData: {m.b64('client.crt')}\n"
                           f"  keyData: {m.b64('client.key')}\n") + SYNC_C2
        kc = (
            "apiVersion: v1\nkind: Config\nclusters:\n"
            f"- name: member\n  cluster:\n    server: {m.url}\n"
            f"    certificate-authority-data: {m.b64('ca.crt')}\n"
            "users:\n- name: admin\n  user:\n"
            f"    token: {m.token}\n"
            "contexts:\n- name: member\n  context:\n"
            "    cluster: member\n    user: admin\n"
            "current-context: member\n")
        return head + f"  kubeconfig: {b64(kc)}\n" + SYNC_C3

    def write_manifests(self, names=None, directory=None):
        """Writes the PediaCluster manifests of names (default: every
        member) into directory (default: the manifest dir); returns it."""
        directory = directory or self.manifest_dir
        os.makedirs(directory, exist_ok=True)
        for name in names or self.members:
            with open(os.path.join(directory, f"{name}.yaml"), "w") as f:
                f.write(self.manifest(name))
        return directory

    # -- pediad
    def kubectl(self):
        return Kubectl(self.pediad.kubeconfig, self.home)

    def kubeconfig_servers(self, pediad=None):
        """{cluster name: server} of pediad's --kubeconfig-out file."""
        try:
            text = read((pediad or self.pediad).kubeconfig)
        except OSError:
            return {}
        import yaml
        try:
            cfg = yaml.safe_load(text) or {}
        except yaml.YAMLError:
            return {}
        return {c["name"]: c["cluster"]["server"]
                for c in cfg.get("clusters") or []}

    def wait_kubeconfig(self, timeout=10, pediad=None):
        """Waits (bounded) until the kubeconfig names every active member;
        callers that depend on it assert themselves."""
        return wait_until(lambda: set(self.active()) <=
                          set(self.kubeconfig_servers(pediad)), timeout,
                          interval=0.25, what="kubeconfig lists members")

    def active(self):
        return {n: m for n, m in self.members.items()
                if n not in self.removed}

    def truth(self, group, resource, clusters=None):
        """{(cluster, ns, name)} of what the members hold."""
        out = set()
        for cname, m in self.active().items():
            if clusters and cname not in clusters:
                continue
            for k in m.names(resource, group):
                ns, _, name = k.rpartition("/")
                out.add((cname, ns, name))
        return out

    def served(self, group, resource, cluster=None, pediad=None):
        """{(cluster, ns, name)} as pediad's API lists it (to the admin)."""
        path = RES + (f"/clusters/{cluster}" if cluster else "") + \
            gv_path(group, resource)
        items, _ = (pediad or self.pediad).list_all(path, limit=500)
        return {item_key(i) for i in items}

    def synced(self, pediad=None):
        """True when pediad serves exactly the members' truth."""
        for g, r in CHECKED:
            try:
                if self.served(g, r, pediad=pediad) != self.truth(g, r):
                    return False
            except AssertionError:
                return False
        return True

    def sync_diff(self, pediad=None):
        """What pediad serves unlike the members, for a failure message."""
        diff = []
        for g, res in CHECKED:
            try:
                s, t = self.served(g, res, pediad=pediad), self.truth(g, res)
            except AssertionError as e:
                diff.append(f"{res}: {e}")
                continue
            if s != t:
                diff.append(f"{res}: missing {sorted(t - s)[:5]} "
                            f"({len(t - s)}), extra {sorted(s - t)[:5]} "
                            f"({len(s - t)})")
        return "\n".join(diff)

    def start_pediad(self, name, *args):
        """Another pediad over the same members (e.g. another
        --authorization-mode): its own state dir, store and kubeconfig,
        the PediaClusters of the active members (those test_5 did not
        delete) applied with kubectl; returns
        (Pediad, Kubectl) once it serves the members' truth and its
        kubeconfig has a cluster per member (`--cluster c1`). The caller
        stops it (Pediad.stop); the session's finalizer kills it
        anyway."""
        p = Pediad(self.pediad.binary, self.workdir, name, args)
        p.start(0)
        kc = Kubectl(p.kubeconfig, self.home)
        kc.ok("apply", "-f", self.write_manifests(
            sorted(self.active()),
            os.path.join(self.workdir, f"{name}-manifests")))
        if not wait_until(lambda: self.synced(p), SYNC_TIMEOUT, interval=0.5,
                          what=f"{name} serves the members' truth"):
            pytest.fail(f"{name} did not sync the members in "
                        f"{SYNC_TIMEOUT}s:\n{self.sync_diff(p)}\n" +
                        short(p.stderr()[-3000:], 3000))
        assert self.wait_kubeconfig(pediad=p), \
            f"{name}'s kubeconfig does not list the members: " \
            f"{self.kubeconfig_servers(p)}"
        return p, kc


def item_key(obj):
    md = obj.get("metadata") or {}
    ann = md.get("annotations") or {}
    return (ann.get(CLUSTER_ANN, "?"), md.get("namespace", ""), md["name"])


# ---------------------------------------------------------------- fixtures

def _binary(var):
    b = os.environ.get(var, "")
    if not b or not os.access(b, os.X_OK):
        pytest.skip(f"{var} is not set to an executable ({b!r})")
    return b


@pytest.fixture(scope="session")
def world(request):
    pediad_bin = _binary("PEDIAD_BIN")
    kubesim_bin = _binary("KUBESIM_BIN")
    if not os.access(KUBECTL, os.X_OK):
        pytest.skip(f"{KUBECTL} not found")
    keep = os.environ.get("E2E_LOG_DIR")
    if keep:
        shutil.rmtree(keep, ignore_errors=True)
        os.makedirs(keep)
        workdir = os.path.join(keep, "work")
        os.makedirs(workdir)
        _LOG["path"] = os.path.join(keep, "e2e.log")
    else:
        workdir = tempfile.mkdtemp(prefix="pedia-e2e-")
        _LOG["path"] = os.path.join(workdir, "e2e.log")
    w = World(workdir, pediad_bin, kubesim_bin)

    def finish():
        for p in reversed(_PROCS):
            kill_proc(p)
        failed = request.session.testsfailed
        if not keep and not failed:
            shutil.rmtree(workdir, ignore_errors=True)
        elif not keep:
            print(f"\ne2e work dir kept for inspection: {workdir}")
    request.addfinalizer(finish)

    w.start_members()
    w.pediad.start(0)
    kc = w.kubectl()
    r = kc.run("version")
    w.kubectl_version = (r.stdout + r.stderr).strip()
    _LOG["kubectl_version"] = w.kubectl_version
    log("[kubectl version]\n" + w.kubectl_version)
    r = kc.run("apply", "-f", w.write_manifests())
    w.apply_output = r.stdout + r.stderr
    assert r.returncode == 0, f"kubectl apply -f manifests: {short(r.stderr)}"
    ok = wait_until(w.synced, SYNC_TIMEOUT, interval=0.5,
                    what="pediad serves the members' truth")
    if not ok:
        pytest.fail(f"pediad did not sync the 3 members in {SYNC_TIMEOUT}s:"
                    f"\n{w.sync_diff()}\n" +
                    short(w.pediad.stderr()[-3000:], 3000))
    return w


@pytest.fixture(autouse=True)
def pediad_running(request):
    """A test that left pediad stopped (failed restart) does not take the
    following tests down with it."""
    yield
    if "world" in request.fixturenames:
        w = request.getfixturevalue("world")
        if not w.pediad.alive():
            log("[fixture] pediad not running after the test: restarting")
            w.pediad.start(w.pediad.port)


@pytest.fixture(scope="session")
def kubectl(world):
    return world.kubectl()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    version = _LOG.get("kubectl_version")
    if version:
        terminalreporter.write_line("kubectl version (via the dispatcher, "
                                    "against pediad):")
        for line in version.splitlines():
            terminalreporter.write_line("  " + line)
    path = _LOG.get("path")
    if path and os.path.exists(path):
        terminalreporter.write_line(f"e2e command log: {path}")
