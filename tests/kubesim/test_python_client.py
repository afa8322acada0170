"""test_python_client.py - the official Python client against kubesim.

Run: KUBESIM_BIN=<path to kubesim> /usr/bin/python3 -m pytest test_python_client.py
Starts kubesim with TLS + bearer token, drives changes through the control
endpoint, and checks typed paging, watch events, and the client's documented
410 behaviour (watch.py: one silent retry from the last RV, then
ApiException(status=410)).  Every blocking call has a timeout.
"""
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request

import pytest

kubernetes = pytest.importorskip("kubernetes")
from kubernetes import client, watch  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402

TOKEN = "py-token"


class Sim:
    def __init__(self, pods=30):
        binary = os.environ.get("KUBESIM_BIN")
        if not binary or not os.access(binary, os.X_OK):
            pytest.skip("KUBESIM_BIN not set")
        self.dir = tempfile.mkdtemp(prefix="kubesim-py-")
        self.proc = subprocess.Popen(
            [binary, "--generate-pods", str(pods), "--seed", "5", "--token", TOKEN,
             "--generate-certs", self.dir + "/certs", "--bookmark-ms", "300"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"port=(\d+) control=(\d+)", line)
        if not m:
            self.close()
            raise RuntimeError("kubesim did not start: " + line)
        self.port, self.ctl = int(m.group(1)), int(m.group(2))
        cfg = client.Configuration()
        cfg.host = "https://127.0.0.1:%d" % self.port
        cfg.ssl_ca_cert = self.dir + "/certs/ca.crt"
        cfg.api_key = {"authorization": TOKEN}
        cfg.api_key_prefix = {"authorization": "Bearer"}
        self.api = client.ApiClient(cfg)
        self.v1 = client.CoreV1Api(self.api)

    def control(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.ctl, path),
                                     data=data, method=method)
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def pod(self, ns, name, label="v1"):
        return self.control("POST", "/objects", {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": ns, "labels": {"rev": label}},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]}})

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def sim():
    s = Sim()
    yield s
    s.close()


def later(delay, fn, *args):
    t = threading.Timer(delay, fn, args)
    t.start()
    return t


def test_typed_paging_collects_all_pods_once(sim):
    seen, cont, pages = [], None, 0
    while True:
        kw = {"limit": 7}
        if cont:
            kw["_continue"] = cont
        lst = sim.v1.list_pod_for_all_namespaces(_request_timeout=10, **kw)
        assert len(lst.items) <= 7
        seen += ["%s/%s" % (p.metadata.namespace, p.metadata.name) for p in lst.items]
        pages += 1
        cont = lst.metadata._continue
        if not cont:
            break
        assert pages < 100
    want = sim.control("GET", "/names?resource=pods")["items"]
    assert len(want) == 30
    assert sorted(seen) == sorted(want)
    assert len(set(seen)) == len(seen)
    assert pages == 5


def test_watch_added_modified_deleted(sim):
    ns = "pywatch"
    rv = sim.v1.list_namespaced_pod(ns, _request_timeout=10).metadata.resource_version

    def changes():
        sim.pod(ns, "p1", "a")
        sim.pod(ns, "p1", "b")
        sim.control("DELETE", "/objects?resource=pods&namespace=%s&name=p1" % ns)

    t = later(0.5, changes)
    w = watch.Watch()
    events = []
    for ev in w.stream(sim.v1.list_namespaced_pod, ns, resource_version=rv,
                       timeout_seconds=5, _request_timeout=10):
        events.append((ev["type"], ev["object"].metadata.name,
                       (ev["object"].metadata.labels or {}).get("rev")))
        if ev["type"] == "DELETED":
            w.stop()
    t.join()
    assert events == [("ADDED", "p1", "a"), ("MODIFIED", "p1", "b"),
                      ("DELETED", "p1", "b")]


def test_watch_resumes_after_cut(sim):
    """After a clean close the client re-watches from the last RV."""
    ns = "pycut"
    rv = sim.v1.list_namespaced_pod(ns, _request_timeout=10).metadata.resource_version
    later(0.5, sim.pod, ns, "before")
    later(1.5, sim.control, "POST", "/cut-watches", {})
    later(2.5, sim.pod, ns, "after")
    w = watch.Watch()
    names = []
    started = time.time()
    for ev in w.stream(sim.v1.list_namespaced_pod, ns, resource_version=rv,
                       _request_timeout=10):
        names.append(ev["object"].metadata.name)
        if ev["object"].metadata.name == "after" or time.time() - started > 10:
            w.stop()
    assert names == ["before", "after"]
    assert sim.control("GET", "/state")["watches"] >= 2


def test_watch_410_one_silent_retry_then_apiexception(sim):
    """Compaction while a watch is open: the stream is cut, the client
    re-watches from its last RV, which is now too old -> 410; watch.py retries
    once silently from the same RV, gets 410 again and raises."""
    ns = "pyexpired"
    rv = sim.v1.list_namespaced_pod(ns, _request_timeout=10).metadata.resource_version

    def compact_and_cut():
        sim.pod("elsewhere", "bump")          # moves the RV past the client's
        sim.control("POST", "/compact", {})
        sim.control("POST", "/cut-watches", {})

    later(0.5, sim.pod, ns, "first")
    later(1.5, compact_and_cut)
    before = sim.control("GET", "/state")["watches"]
    w = watch.Watch()
    names = []
    with pytest.raises(ApiException) as exc:
        for ev in w.stream(sim.v1.list_namespaced_pod, ns, resource_version=rv,
                           _request_timeout=10):
            names.append(ev["object"].metadata.name)
    assert exc.value.status == 410
    assert "Expired" in exc.value.reason
    assert names == ["first"]
    # Either the cut closes the first stream cleanly (re-watch -> 410, silent
    # retry -> 410: 3 streams) or the compaction overtakes the idle stream
    # first (in-stream 410 on it, silent retry -> 410: 2 streams).  In both
    # the client retried exactly once after a 410 before raising.
    assert sim.control("GET", "/state")["watches"] - before in (2, 3)


def test_watch_from_compacted_rv_with_timeout_raises_at_once(sim):
    rv = sim.v1.list_namespaced_pod("default", _request_timeout=10).metadata.resource_version
    sim.pod("default", "x")
    sim.control("POST", "/compact", {})
    with pytest.raises(ApiException) as exc:
        for _ in watch.Watch().stream(sim.v1.list_namespaced_pod, "default",
                                      resource_version=rv, timeout_seconds=3,
                                      _request_timeout=10):
            pass
    assert exc.value.status == 410


def test_bookmarks_and_errors(sim):
    events = list(watch.Watch().stream(
        sim.v1.list_namespaced_pod, "default", allow_watch_bookmarks=True,
        resource_version=sim.v1.list_namespaced_pod("default").metadata.resource_version,
        timeout_seconds=1, _request_timeout=10))
    assert any(e["type"] == "BOOKMARK" for e in events)
    with pytest.raises(ApiException) as exc:
        sim.v1.read_namespaced_pod("missing", "default", _request_timeout=10)
    assert exc.value.status == 404
    assert json.loads(exc.value.body)["reason"] == "NotFound"
