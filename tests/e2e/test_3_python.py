"""Scenario 3: the official Python client (Debian python3-kubernetes).

Typed paging over every pod of every member, and a typed watch across
members that survives a pediad restart (SIGTERM, start again on the same
port and state dir). The watch loop is what a careful user writes around
watch.Watch().stream (kube-api.md B.7): watch.py itself re-watches from the
last RV after a clean close and retries once on an in-stream 410; when the
server is gone the request raises, and the loop reconnects from the last
resourceVersion it saw, or relists on 410.
"""
import collections
import http.client
import json
import math
import ssl
import threading
import time

import pytest

from conftest import CLUSTER_ANN, RES, log, pod, wait_until

kubernetes = pytest.importorskip("kubernetes")
from kubernetes import client, config, watch  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402


def api_for(world, context):
    world.wait_kubeconfig()
    return client.CoreV1Api(config.new_client_from_config(
        config_file=world.pediad.kubeconfig, context=context))


@pytest.fixture(scope="module")
def v1(world):
    return api_for(world, "clusterpedia")


def key(p):
    ann = p.metadata.annotations or {}
    return (ann.get(CLUSTER_ANN, "?"), p.metadata.namespace, p.metadata.name)


def test_typed_paging_every_pod_once(world, v1):
    seen, pages, tok, list_rvs = [], 0, None, set()
    while True:
        kw = {"limit": 9, "_request_timeout": 30}
        if tok:
            kw["_continue"] = tok
        resp = v1.list_pod_for_all_namespaces(**kw)
        pages += 1
        assert len(resp.items) <= 9
        seen.extend(key(p) for p in resp.items)
        list_rvs.add(resp.metadata.resource_version)
        tok = resp.metadata._continue
        if not tok:
            break
        assert pages < 1000, "continue tokens never end"
    truth = world.truth("", "pods")
    dups = [k for k, n in collections.Counter(seen).items() if n > 1]
    assert not dups, f"pods seen twice while paging: {dups[:10]}"
    assert set(seen) == truth, \
        f"missing {sorted(truth - set(seen))[:5]}, " \
        f"extra {sorted(set(seen) - truth)[:5]}"
    # Servers may return short pages; they must still page (keyset, D3).
    assert pages >= math.ceil(len(truth) / 9), (pages, len(truth))
    assert all(rv and rv.isdigit() for rv in list_rvs), list_rvs


def test_typed_namespaced_list_one_cluster(world):
    api = api_for(world, "c3")
    truth = world.truth("", "pods", {"c3"})
    ns = sorted({k[1] for k in truth})[0]
    resp = api.list_namespaced_pod(ns, _request_timeout=30)
    got = [key(p) for p in resp.items]
    assert sorted(got) == sorted(k for k in truth if k[1] == ns)
    one = api.read_namespaced_pod(got[0][2], ns, _request_timeout=30)
    assert key(one) == got[0]
    assert one.spec.containers and one.status.phase


class Watcher(threading.Thread):
    """A watch on every pod of every member with a reconnect/relist loop.
    Subclasses implement stream(rv) → iterator of (type, key, rv) and
    relist() → rv."""

    def __init__(self):
        super().__init__(daemon=True)
        self.rv = None
        self.halt = threading.Event()
        self.lock = threading.Lock()
        self.notes = []          # ("event", type, key, rv) and others

    def note(self, *n):
        with self.lock:
            self.notes.append(n)
        log(f"[{type(self).__name__}] {n}")

    def events(self):
        with self.lock:
            return [n for n in self.notes if n[0] == "event"]

    def kinds(self, kind):
        with self.lock:
            return [n for n in self.notes if n[0] == kind]

    def run(self):
        while not self.halt.is_set():
            try:
                self.note("watch", self.rv)
                for typ, k, rv in self.stream(self.rv):
                    self.rv = rv
                    self.note("event", typ, k, rv)
                    if self.halt.is_set():
                        break
                self.note("closed", self.rv)
            except Expired as e:
                self.note("expired", self.rv, str(e)[:200])
                self.try_relist()
            except ApiException as e:
                if e.status == 410:
                    self.note("expired", self.rv, str(e.reason)[:200])
                    self.try_relist()
                else:
                    self.note("error", e.status, str(e.reason)[:300])
                    time.sleep(0.5)
            except Exception as e:     # connection refused/reset, timeouts
                self.note("disconnect", type(e).__name__, str(e)[:200])
                time.sleep(0.5)

    def try_relist(self):
        try:
            self.rv = self.relist()
            self.note("relist", self.rv)
        except Exception as e:   # pediad not back yet
            self.note("relist-failed", repr(e)[:200])
            time.sleep(0.5)

    def wait_event(self, k, types=("ADDED",), timeout=30):
        def found():
            return [e for e in self.events() if e[2] == k and e[1] in types]
        return wait_until(found, timeout, interval=0.1,
                          what=f"watch event {types} {k}")


class Expired(Exception):
    pass


class PyWatcher(Watcher):
    """watch.Watch().stream(CoreV1Api.list_pod_for_all_namespaces)."""

    def __init__(self, v1):
        super().__init__()
        self.v1 = v1
        self.w = None

    def stream(self, rv):
        self.w = watch.Watch()
        for ev in self.w.stream(self.v1.list_pod_for_all_namespaces,
                                resource_version=rv,
                                _request_timeout=(5, 20)):
            obj = ev["object"]
            yield ev["type"], key(obj), obj.metadata.resource_version
            if self.halt.is_set():
                self.w.stop()

    def relist(self):
        return self.v1.list_pod_for_all_namespaces(
            _request_timeout=30).metadata.resource_version


class RawWatcher(Watcher):
    """The same watch as plain HTTP (watch=true, NDJSON), to tell pediad's
    resume semantics apart from client-specific request encoding."""

    PATH = RES + "/api/v1/pods"

    def __init__(self, pediad):
        super().__init__()
        self.pediad = pediad

    def stream(self, rv):
        ctx = ssl.create_default_context(cafile=self.pediad.ca())
        c = http.client.HTTPSConnection("127.0.0.1", self.pediad.port,
                                        context=ctx, timeout=20)
        try:
            c.request("GET", f"{self.PATH}?watch=true&resourceVersion={rv}",
                      headers={"Authorization": "Bearer " +
                               self.pediad.token()})
            r = c.getresponse()
            if r.status == 410:
                raise Expired(r.read()[:300])
            if r.status != 200:
                raise RuntimeError(f"watch HTTP {r.status}: "
                                   f"{r.read()[:300]!r}")
            while not self.halt.is_set():
                line = r.readline()
                if not line:
                    return
                ev = json.loads(line)
                obj = ev["object"]
                if ev["type"] == "ERROR":
                    if obj.get("code") == 410:
                        raise Expired(obj.get("message"))
                    raise RuntimeError(f"ERROR event {obj}")
                if ev["type"] == "BOOKMARK":
                    continue
                md = obj["metadata"]
                k = ((md.get("annotations") or {}).get(CLUSTER_ANN, "?"),
                     md.get("namespace"), md["name"])
                yield ev["type"], k, md["resourceVersion"]
        finally:
            c.close()

    def relist(self):
        return self.pediad.get_json(self.PATH + "?limit=1")["metadata"][
            "resourceVersion"]


def probe_watch(world, value):
    """What pediad answers to ?watch=<value> (first bytes, 3 s)."""
    p = world.pediad
    ctx = ssl.create_default_context(cafile=p.ca())
    c = http.client.HTTPSConnection("127.0.0.1", p.port, context=ctx,
                                    timeout=3)
    try:
        path = f"{RES}/api/v1/pods?resourceVersion=1&watch={value}"
        c.request("GET", path,
                  headers={"Authorization": "Bearer " + p.token()})
        r = c.getresponse()
        try:
            head = r.read(160)
        except Exception as e:
            head = repr(e).encode()
        return f"GET {path} -> {r.status} {head[:160]!r}"
    except Exception as e:
        return f"probe failed: {e!r}"
    finally:
        c.close()


def watch_scenario(world, w, rv0):
    """Changes on two members, then a pediad restart (SIGTERM, same port
    and state dir) with a change while it is down and one after."""
    c1, c2, c3 = (world.members[n] for n in ("c1", "c2", "c3"))
    w.rv = rv0
    w.start()
    made = []
    tag = type(w).__name__[:3].lower()
    try:
        stamp = int(time.time()) % 100000
        a = ("c1", "default", f"{tag}-a-{stamp}")
        b = ("c2", "default", f"{tag}-b-{stamp}")
        c1.upsert(pod("default", a[2], ip="10.99.0.11"))
        made.append((c1, a))
        c2.upsert(pod("default", b[2], ip="10.99.0.12"))
        made.append((c2, b))
        got = w.wait_event(a, timeout=20)
        assert got, f"no ADDED for {a} (c1) within 20 s: {w.notes[-6:]}; " \
            f"probe: {probe_watch(world, 'True')}"
        assert w.wait_event(b), f"no ADDED for {b} (c2): {w.notes[-10:]}"
        c1.upsert(pod("default", a[2], ip="10.99.0.11",
                      labels={"app": "e2e", "rev": "2"}))
        assert w.wait_event(a, ("MODIFIED",)), \
            f"no MODIFIED for {a}: {w.notes[-10:]}"
        before = w.events()
        last_rv_before = int(before[-1][3])

        # Restart pediad on the same port and state dir.
        port = world.pediad.port
        rc, took = world.pediad.stop()
        assert rc == 0 and took < 10, \
            f"pediad SIGTERM with a watch open: exit {rc} after {took:.1f}s"
        assert wait_until(lambda: w.kinds("disconnect") or
                          w.kinds("closed"), 20, what="watch noticed stop"), \
            f"the watch did not notice pediad stopping: {w.notes[-5:]}"
        d = ("c3", "default", f"{tag}-down-{stamp}")
        c3.upsert(pod("default", d[2], ip="10.99.0.13"))
        made.append((c3, d))
        world.pediad.start(port)
        assert world.pediad.port == port
        e = ("c2", "default", f"{tag}-after-{stamp}")
        c2.upsert(pod("default", e[2], ip="10.99.0.14"))
        made.append((c2, e))
        got_e = w.wait_event(e, timeout=45)
        got_d = w.wait_event(d, timeout=5)
        relisted = w.kinds("relist")
        summary = (f"reconnects={len(w.kinds('watch')) - 1} "
                   f"expired={len(w.kinds('expired'))} "
                   f"relists={len(relisted)} notes={w.notes[-12:]}")
        log(f"[{type(w).__name__}] " + summary)
        assert got_e, "the watch never saw the change made after the " \
            f"restart ({e}): {summary}"
        if not relisted:
            # Resumed from the last RV: the change made while pediad was
            # down must come through too, with RVs above the old ones.
            assert got_d, f"resumed watch lost the change made while " \
                f"pediad was down ({d}): {summary}"
            assert int(got_e[0][3]) > last_rv_before, \
                f"resourceVersion went backwards over the restart: " \
                f"{last_rv_before} -> {got_e[0][3]}"
        # Event RVs between relists are strictly increasing.
        rvs = [int(n[3]) for n in w.notes if n[0] == "event"]
        assert relisted or rvs == sorted(set(rvs)), \
            f"event resourceVersions not increasing: {rvs}"
    finally:
        w.halt.set()
        if getattr(w, "w", None):
            w.w.stop()
        if not world.pediad.alive():
            world.pediad.start(world.pediad.port)
        for m, k in made:
            try:
                m.delete("pods", k[1], k[2])
            except Exception:
                pass
    assert wait_until(lambda: world.served("", "pods") ==
                      world.truth("", "pods"), 30, what="cleanup synced")


def test_watch_across_members_and_restart(world, v1):
    """The acceptance scenario with the Python client's typed watch."""
    rv0 = v1.list_pod_for_all_namespaces(limit=1, _request_timeout=30) \
        .metadata.resource_version
    watch_scenario(world, PyWatcher(v1), rv0)


def test_raw_watch_across_restart(world):
    """Same scenario over plain HTTP with watch=true."""
    rv0 = world.pediad.get_json(RES + "/api/v1/pods?limit=1")["metadata"][
        "resourceVersion"]
    watch_scenario(world, RawWatcher(world.pediad), rv0)


@pytest.mark.parametrize("value,is_watch", [
    ("true", True), ("True", True), ("1", True), ("TRUE", True),
    ("false", False), ("0", False), ("False", False)])
def test_watch_parameter_forms(world, value, is_watch):
    """kube-apiserver reads ?watch= as true unless it is "0" or "false"
    (any case); the Python client sends watch=True."""
    rv = world.pediad.get_json(RES + "/api/v1/pods?limit=1")["metadata"][
        "resourceVersion"]
    path = (f"{RES}/api/v1/pods?watch={value}&resourceVersion={rv}"
            f"&timeoutSeconds=1" + ("" if is_watch else "&limit=1"))
    st, _, body = world.pediad.request("GET", path, timeout=15)
    assert st == 200, (path, st, body[:300])
    if is_watch:
        is_list = '"kind":"PodList"' in body[:200]
        assert not is_list, f"GET {path} answered a list, not a watch stream: {body[:160]}"
        for line in body.splitlines():
            assert "type" in json.loads(line), line[:200]
    else:
        assert json.loads(body)["kind"] == "PodList", body[:200]
