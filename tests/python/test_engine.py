"""The sync engine against kubesim members (a real HTTP list/watch)."""
from __future__ import annotations

import json
import os

import pytest

import pedia
from conftest import SYNC_TIMEOUT, member_count, wait_synced, wait_until


@pytest.fixture
def engine(store):
    e = pedia.Engine(store)
    yield e
    e.close()


def yaml_manifest(name, url):
    return """\
apiVersion: cluster.clusterpedia.io/v1alpha2
kind: PediaCluster
metadata:
  name: %s
spec:
  apiserver: %s
  syncResources:
  - group: ""
    resources: [pods]
  - group: apps
    resources: [deployments]
""" % (name, url)


def test_apply_dict_yaml_json_and_sync(store, engine, sim, sim2):
    engine.apply(sim.manifest("m1"))                      # dict
    engine.apply(yaml_manifest("m2", sim2.url))           # YAML text
    engine.apply(json.dumps(sim.manifest("m3")).encode())  # JSON bytes
    names = [d["metadata"]["name"] for d in engine.clusters()]
    assert names == ["m1", "m2", "m3"]
    engine.start()
    engine.wait_ready(timeout=SYNC_TIMEOUT, synced=True)
    assert engine.is_ready("m2")
    assert all(pedia.is_synced(d) for d in engine.clusters())
    # synced: the initial lists are committed, so the rows are there now
    assert store.count("v1/pods", clusters=["m2"]) == \
        member_count(sim2, "pods")
    assert store.count("apps/v1/deployments", clusters=["m1"]) == \
        member_count(sim, "deployments", "apps")
    for name, s in (("m1", sim), ("m2", sim2), ("m3", sim)):
        wait_synced(store, s, name)
    pods = member_count(sim, "pods")
    assert store.count("v1/pods") == 2 * pods + member_count(sim2, "pods")
    doc = engine.get("m1")
    assert doc["kind"] == "PediaCluster" and pedia.is_ready(doc)
    assert doc["spec"]["apiserver"] == sim.url
    engine.stop()
    engine.stop()  # idempotent in C as well
    engine.start()
    engine.wait_ready("m1", timeout=SYNC_TIMEOUT)


def test_watch_sees_member_upsert(store, engine, sim):
    engine.apply(sim.manifest("m1"))
    engine.start()
    wait_synced(store, sim, "m1")
    rev = store.revision
    member_rv = sim.upsert_pod("default", "watched-pod", label="new")
    with store.watch("v1/pods", since=rev, timeout=SYNC_TIMEOUT) as w:
        for ev in w:
            o = ev["object"]
            if o.name == "watched-pod" and o.cluster == "m1":
                break
        else:
            pytest.fail("no event for the member's upsert")
    assert ev["type"] == "ADDED"
    assert o.member_rv == str(member_rv)
    assert o["metadata"]["labels"] == {"rev": "new"}
    assert ev["revision"] > rev


def test_search_synced_rows_paged(store, engine, sim):
    engine.apply(sim.manifest("m1"))
    engine.start()
    wait_synced(store, sim, "m1")
    n = member_count(sim, "pods")
    it = store.search("v1/pods", clusters=["m1"], page_size=3,
                      order_by=["namespace", "name"])
    rows = list(it)
    assert len(rows) == n and it.pages == (n + 2) // 3 + (n % 3 == 0)
    assert len({(o.namespace, o.name) for o in rows}) == n
    got = sorted("%s/%s" % (o.namespace, o.name) for o in rows)
    assert got == sorted(sim.control("GET", "/names?resource=pods")["items"])


def test_bad_manifests(engine):
    bad = [
        "{not json",
        "kind: [",
        {"apiVersion": "cluster.clusterpedia.io/v1alpha2",
         "kind": "PediaCluster", "metadata": {"name": "x"}, "spec": {}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"}},
        {"apiVersion": "cluster.clusterpedia.io/v1alpha2",
         "kind": "PediaCluster", "metadata": {},
         "spec": {"apiserver": "http://127.0.0.1:1"}},
    ]
    for m in bad:
        with pytest.raises(pedia.ManifestError) as ei:
            engine.apply(m)
        assert isinstance(ei.value, pedia.InvalidArgument)
        assert ei.value.code == "EINVAL" and ei.value.message
    assert engine.clusters() == []
    with pytest.raises(TypeError):
        engine.apply(42)


def test_follow_host_errors(store, engine, monkeypatch):
    # In-cluster without the service environment, and unusable kubeconfig
    # text, are clear InvalidArgument errors naming the problem.
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(pedia.InvalidArgument) as ei:
        engine.follow_host(None)
    assert ei.value.message
    with pytest.raises(pedia.Error) as ei:
        engine.follow_host("kind: [")
    assert ei.value.message


def test_set_replica_needs_a_shared_store(engine):
    # Replicas share clusters through PostgreSQL leases; the SQLite store
    # (one process) says so, and bad arguments are named.
    with pytest.raises(pedia.NotSupported) as ei:
        engine.set_replica("replica-a", 15000)
    assert "PostgreSQL" in ei.value.message
    with pytest.raises(pedia.InvalidArgument):
        engine.set_replica("", 15000)


def test_manifests_refuse_nul_and_invalid_utf8(engine):
    # A NUL would cut the name short ("n1\0x" read as "n1"); invalid UTF-8
    # would be served back as undecodable JSON. Refused, field named.
    def pc(name):
        return {"apiVersion": "cluster.clusterpedia.io/v1alpha2",
                "kind": "PediaCluster", "metadata": {"name": name},
                "spec": {"apiserver": "https://127.0.0.1:1",
                         "syncResources": []}}
    overlong = json.dumps(pc("n1@")).encode().replace(b"@", b"\xc0\x80")
    cases = [
        (pc("n1\x00x"), "manifest: metadata.name: contains a NUL character"),
        (yaml_manifest('"n1\\0x"', "https://h"),
         "manifest: metadata.name: contains a NUL character"),
        (overlong, "manifest: metadata.name: is not valid UTF-8"),
        (yaml_manifest("n1", "https://h").encode() + b"# \xff\n",
         "invalid YAML"),
    ]
    for manifest, want in cases:
        with pytest.raises(pedia.ManifestError) as ei:
            engine.apply(manifest)
        assert want in ei.value.message, (manifest, ei.value.message)
    two = (yaml_manifest("n1", "https://h") + "---\n" +
           yaml_manifest('"n2\\x00"', "https://h"))
    with pytest.raises(pedia.ManifestError) as ei:
        engine.apply_all(two)
    assert ei.value.message.startswith(
        "manifests: document 2: metadata.name: contains a NUL character")
    assert engine.clusters() == []


def test_get_delete_list_errors(store, engine, sim):
    with pytest.raises(pedia.NotFound):
        engine.get("nope")
    with pytest.raises(pedia.NotFound):
        engine.delete("nope")
    with pytest.raises(pedia.InvalidArgument):
        engine.get("x", kind="Pod")
    with pytest.raises(pedia.InvalidArgument):
        engine.list("Pod")
    with pytest.raises(pedia.InvalidArgument):
        engine.delete("Pod", "x")
    with pytest.raises(TypeError):
        engine.delete()
    with pytest.raises(TypeError):
        engine.delete("a", "b", kind="PediaCluster")
    with pytest.raises(TypeError):
        engine.get(None)
    with pytest.raises(TypeError):
        engine.list(None)
    # ClusterSyncResources: apply, get, list, delete(kind, name)
    engine.apply({"apiVersion": "cluster.clusterpedia.io/v1alpha2",
                  "kind": "ClusterSyncResources",
                  "metadata": {"name": "common"},
                  "spec": {"syncResources": [
                      {"group": "", "resources": ["pods"]}]}})
    assert engine.get("common", kind=pedia.CLUSTERSYNCRESOURCES)[
        "metadata"]["name"] == "common"
    assert len(engine.list("ClusterSyncResources")) == 1
    engine.delete("ClusterSyncResources", "common")
    assert engine.list(pedia.CLUSTERSYNCRESOURCES) == []
    # PediaCluster: rows go with it; delete by name, kind= and manifest
    m = sim.manifest("m1")
    engine.apply(m)
    engine.start()
    wait_synced(store, sim, "m1")
    engine.delete(m)
    assert engine.clusters() == []
    assert store.count("v1/pods", clusters=["m1"]) == 0
    engine.apply(m)
    engine.delete("m1", kind="PediaCluster")
    engine.apply(m)
    engine.delete("m1")
    with pytest.raises(pedia.NotFound):
        engine.get("m1")


def test_start_twice_is_a_state_error(engine):
    engine.start()
    with pytest.raises(pedia.StateError) as ei:
        engine.start()
    assert ei.value.code == "ESTATE"
    engine.stop()
    engine.start()  # a stopped engine starts again


def test_list_callback_exception_is_reraised(engine, monkeypatch, sim):
    engine.apply(sim.manifest("m1"))
    engine.apply(sim.manifest("m2"))

    class Boom(Exception):
        pass
    import pedia.engine as pe
    real = pe.json.loads
    calls = []

    def loads(data, *a, **k):
        calls.append(1)
        if len(calls) == 1 and isinstance(data, bytes):
            raise Boom("from the callback")
        return real(data, *a, **k)
    monkeypatch.setattr(pe.json, "loads", loads)
    with pytest.raises(Boom):
        engine.clusters()
    # the C call reported the abort with the callback's code as cause
    assert pedia._ffi.lib().pedia_error_last_code() == -16
    assert len(calls) == 1  # the library stopped calling after the abort
    monkeypatch.setattr(pe.json, "loads", real)
    assert len(engine.clusters()) == 2


def test_unreachable_member_is_not_ready(engine):
    engine.apply({"apiVersion": "cluster.clusterpedia.io/v1alpha2",
                  "kind": "PediaCluster", "metadata": {"name": "down"},
                  "spec": {"apiserver": "http://127.0.0.1:1",
                           "syncResources": [{"group": "",
                                              "resources": ["pods"]}]}})
    engine.start()
    with pytest.raises(pedia.Timeout) as ei:
        engine.wait_ready("down", timeout=1.0)
    assert "down" in str(ei.value)
    assert not engine.is_ready("down")


def test_engine_lifetime(store, sim):
    e = pedia.Engine(store)
    e.apply(sim.manifest("m1"))
    e.start()
    assert "Engine" in repr(e)
    e.close()
    e.close()
    assert e.closed and "closed" in repr(e)
    for call in (e.start, e.stop, e.clusters, lambda: e.get("m1"),
                 lambda: e.apply(sim.manifest("m2")),
                 lambda: e.delete("m1")):
        with pytest.raises(pedia.ClosedError):
            call()
    # a new engine resumes from the manifests stored by the first one
    with pedia.Engine(store) as e2:
        assert [d["metadata"]["name"] for d in e2.clusters()] == ["m1"]
        e2.start()
        e2.wait_ready("m1", timeout=SYNC_TIMEOUT)
    # closing the store closes a running engine first
    e3 = pedia.Engine(store)
    e3.start()
    store.close()
    assert e3.closed
    with pytest.raises(pedia.ClosedError):
        pedia.Engine(store)


def test_engine_in_threads(store, engine, sim):
    """apply/get from several threads while the engine runs."""
    import threading
    engine.start()
    errs = []

    def work(i):
        try:
            engine.apply(sim.manifest("t%d" % i))
            engine.get("t%d" % i)
        except Exception as e:  # pragma: no cover
            errs.append(e)
    ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    assert not errs
    engine.wait_ready(timeout=SYNC_TIMEOUT)
    assert len(engine.clusters()) == 4


def threads() -> int:
    return len(os.listdir("/proc/self/task"))


def test_dropped_engine_stops_its_threads(store, sim):
    import gc
    base = threads()
    e = pedia.Engine(store)
    e.apply(sim.manifest("m1"))
    e.start()
    e.wait_ready("m1", timeout=SYNC_TIMEOUT)
    assert threads() > base
    del e
    gc.collect()
    wait_until(lambda: threads() <= base, timeout=10,
               what="engine threads joined")


def test_apply_all_multi_document(engine):
    a = yaml_manifest("multi-a", "https://127.0.0.1:1")
    b = yaml_manifest("multi-b", "https://127.0.0.1:2")
    # a "---" inside a block scalar is text, not a document separator
    notes = "metadata:\n  name: multi-c\n  annotations:\n    n: |\n      ---\n"
    c = yaml_manifest("multi-c", "https://127.0.0.1:3").replace(
        "metadata:\n  name: multi-c\n", notes)
    assert engine.apply_all("---\n" + a + "---\n# only a comment\n---\n" +
                            b + "---\n" + c) == 3
    names = sorted(c["metadata"]["name"] for c in engine.clusters())
    assert names == ["multi-a", "multi-b", "multi-c"]
    bad = a.replace("multi-a", "multi-d") + "---\n" + \
        yaml_manifest("multi-e", "ftp://h")
    with pytest.raises(pedia.ManifestError) as ei:
        engine.apply_all(bad)
    assert ei.value.message.startswith("document 2: PediaCluster \"multi-e\"")
    assert "multi-d" not in [c["metadata"]["name"] for c in engine.clusters()]
    with pytest.raises(pedia.ManifestError) as ei:
        engine.apply_all("a: [1\n")
    assert "line 2" in ei.value.message
    with pytest.raises(pedia.ManifestError):
        engine.apply_all("# nothing\n")
