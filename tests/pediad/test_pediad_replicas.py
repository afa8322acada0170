#!/usr/bin/env python3
"""Several pediad on one PostgreSQL (issue 16, docs/DECISIONS.md R23).

Usage: test_pediad_replicas.py PEDIAD TEST   (TEST: share | all)

A PostgreSQL server started here (initdb and pg_ctl as the postgres user,
127.0.0.1 on a free port, removed at the end), two kubesim members
(KUBESIM env var) and two pediad replicas (--replica-name a and b,
--lease-duration 4s) on one database. Two PediaClusters are applied
through replica a only. Then:
  - replica b serves both clusters too (it reads them from the store);
  - each cluster is synced by exactly one replica, and they split 1 / 1
    (status.syncedBy, read through either replica);
  - a pod of each member is readable by name through both replicas;
  - replica b is killed (SIGKILL): within the lease replica a syncs both,
    and a pod created in b's former member meanwhile appears through a.
Exit 77 (skipped) without PostgreSQL's binaries, the postgres user,
kubesim or curl.
"""
import glob
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import test_pediad as base
from test_pediad import Fail, Kubesim, Server, Skip, check, curl

LEASE = "4s"


class Postgres:
    """A throw-away PostgreSQL server (as the harness of the C tests)."""

    def __init__(self, tmp):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not bins:
            raise Skip("PostgreSQL's initdb not installed")
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise Skip("no postgres user") from None
        self.bin = os.path.dirname(bins[-1])
        self.dir = tempfile.mkdtemp(prefix="pediad-pg-")
        os.chmod(self.dir, 0o777)
        self.data = os.path.join(self.dir, "data")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.tmp = tmp

    def as_pg(self, *cmd):
        return subprocess.run(["runuser", "-u", "postgres", "--", *cmd],
                              capture_output=True, text=True, timeout=120)

    def __enter__(self):
        r = self.as_pg(os.path.join(self.bin, "initdb"), "-D", self.data,
                       "-A", "trust", "-U", "postgres")
        check(r.returncode == 0, "initdb: " + r.stderr[-2000:])
        opts = (f"-c listen_addresses=127.0.0.1 -c port={self.port} "
                f"-c unix_socket_directories={self.dir} -c fsync=off")
        r = self.as_pg(os.path.join(self.bin, "pg_ctl"), "-D", self.data,
                       "-o", opts, "-l", os.path.join(self.dir, "log"),
                       "-w", "start")
        check(r.returncode == 0, "pg_ctl start: " + r.stderr[-2000:])
        return self

    def __exit__(self, *exc):
        self.as_pg(os.path.join(self.bin, "pg_ctl"), "-D", self.data,
                   "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)
        return False

    def uri(self):
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"


def synced_by(s, tok):
    """{cluster: status.syncedBy} as replica s serves the PediaClusters."""
    code, body = curl(s.url + "/apis/cluster.clusterpedia.io/v1alpha2/"
                      "pediaclusters", s.ca(), token=tok)
    if code != 200:
        return {}
    try:
        items = json.loads(body).get("items", [])
    except ValueError:
        return {}
    return {i["metadata"]["name"]: i.get("status", {}).get("syncedBy", "")
            for i in items}


def metric(s, tok, name):
    """The value of one /metrics line of replica s (None when absent)."""
    code, body = curl(s.url + "/metrics", s.ca(), token=tok)
    for line in body.splitlines() if code == 200 else ():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return None


def wait(what, fn, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.2)
    raise Fail(f"timed out after {timeout} s waiting for {what}")


def first_pod(ks):
    """A pod of the member, read from kubesim's own API."""
    r = subprocess.run(
        [base.CURL, "-sS", "--max-time", "10", "--cacert",
         os.path.join(ks.certs, "ca.crt"), "-H", "Authorization: Bearer tok3n",
         f"https://127.0.0.1:{ks.port}/api/v1/pods?limit=1"],
        capture_output=True, text=True, timeout=20)
    item = json.loads(r.stdout)["items"][0]["metadata"]
    return item["namespace"], item["name"]


def pod_path(cluster, ns, name):
    return (f"/apis/clusterpedia.io/v1beta1/resources/clusters/{cluster}"
            f"/api/v1/namespaces/{ns}/pods/{name}")


def readable(s, tok, path):
    code, body = curl(s.url + path, s.ca(), token=tok)
    return code == 200 and '"kind":"Pod"' in body


def add_pod(ks, name):
    """Create a pod in the member (kubesim's control endpoint)."""
    body = json.dumps({"apiVersion": "v1", "kind": "Pod",
                       "metadata": {"name": name, "namespace": "default"}})
    r = subprocess.run(
        [base.CURL, "-sS", "--max-time", "10", "-XPOST", "-d", body,
         f"http://127.0.0.1:{ks.control}/objects"],
        capture_output=True, text=True, timeout=20)
    check('"resourceVersion"' in r.stdout, "kubesim create: " + r.stdout)


def test_share(tmp):
    for d in ("k1", "k2"):
        os.mkdir(os.path.join(tmp, d))
    kc = os.path.join(tmp, "home", "kubeconfig")
    os.mkdir(os.path.dirname(kc))
    with Postgres(tmp) as pg, Kubesim(os.path.join(tmp, "k1")) as k1, \
            Kubesim(os.path.join(tmp, "k2")) as k2:
        common = ["--storage", pg.uri(), "--lease-duration", LEASE]
        with Server(tmp, *common, "--replica-name", "a", "--kubeconfig-out",
                    kc, state=os.path.join(tmp, "sa")) as a, \
                Server(tmp, *common, "--replica-name", "b",
                       state=os.path.join(tmp, "sb")) as b:
            ta, tb = a.admin_token(), b.admin_token()
            for name, ks in (("m1", k1), ("m2", k2)):
                path = os.path.join(tmp, name + ".yaml")
                base.write(path, ks.manifest(name))
                r = base.kubectl(kc, "--context", "pediad", "apply", "-f",
                                 path)
                check(r.returncode == 0, "apply: " + r.stderr[-500:])

            def split():
                sa, sb = synced_by(a, ta), synced_by(b, tb)
                ok = (set(sa) == {"m1", "m2"} and sa == sb and
                      sorted(sa.values()) == ["a", "b"])
                return sa if ok else None
            owners = wait("each replica to sync one cluster, seen by both",
                          split, 60)
            print(f"owners: {owners}")
            check(metric(a, ta, 'pedia_replica_clusters{replica="a"}') == 1,
                  "/metrics of a: " + str(metric(a, ta, "pedia_replica")))
            for name, ks in (("m1", k1), ("m2", k2)):
                ns, pod = first_pod(ks)
                for s, t in ((a, ta), (b, tb)):
                    wait(f"{name}/{pod} through replica "
                         f"{'a' if s is a else 'b'}",
                         lambda s=s, t=t: readable(s, t,
                                                   pod_path(name, ns, pod)),
                         60)
            # b dies: a takes its cluster over within the lease
            lost = [c for c, r in owners.items() if r == "b"][0]
            ks = k1 if lost == "m1" else k2
            t0 = time.monotonic()
            b.stop(signal.SIGKILL, check_rc=False)
            b.proc = None  # reaped: its context exit has nothing to stop
            add_pod(ks, "made-while-b-was-dead")
            wait("replica a to sync both clusters",
                 lambda: synced_by(a, ta) == {"m1": "a", "m2": "a"}, 30)
            took = time.monotonic() - t0
            print(f"takeover after {took:.1f} s (lease {LEASE})")
            wait("a's /metrics to count both",
                 lambda: metric(a, ta, 'pedia_replica_clusters{replica="a"}')
                 == 2, 10)
            check(metric(a, ta,
                         'pedia_replica_lease_claims_total{replica="a"}') >= 2,
                  "claims counted")
            wait("the pod made meanwhile, through a",
                 lambda: readable(a, ta, pod_path(
                     lost, "default", "made-while-b-was-dead")), 30)


TESTS = {"share": test_share}


def main():
    if len(sys.argv) == 3 and os.geteuid() != 0:
        print("skip: starting PostgreSQL as its user needs root here")
        return base.SKIP
    return base.run_tests(TESTS, __doc__, sys.argv)


if __name__ == "__main__":
    sys.exit(main())
