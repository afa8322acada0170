"""Watches over the change log (pedia_changes_*)."""
from __future__ import annotations

import threading
import time

import pytest

import pedia
from conftest import load_pods, pod


def test_watch_from_zero_sees_history_in_order(store):
    load_pods(store, "east", 5)
    with store.batch() as b:
        b.delete("east", "v1/pods", "default", "p-00001")
    with store.watch(since=0, timeout=0.5) as w:
        evs = list(w)
    # the log keeps the latest change of each object: p-00001's ADDED was
    # superseded by its DELETED
    assert [e["type"] for e in evs] == ["ADDED"] * 4 + ["DELETED"]
    revs = [e["revision"] for e in evs]
    assert revs == sorted(revs) and revs[-1] == store.revision
    assert evs[-1]["object"].name == "p-00001"
    assert evs[0]["object"].event_type == "ADDED"
    assert w.revision == store.revision and w.closed


def test_watch_sees_an_upsert_made_meanwhile(store):
    load_pods(store, "east", 3)
    rev = store.revision
    w = store.watch(since=rev, timeout=10)

    def writer():
        time.sleep(0.3)
        with store.batch() as b:
            b.upsert("east", "v1/pods", pod("p-00000", labels={"x": "y"},
                                            uid="east-default-p-0", rv="2"))
    t = threading.Thread(target=writer)
    t.start()
    t0 = time.monotonic()
    ev = next(w)
    t.join()
    assert time.monotonic() - t0 < 9
    assert ev["type"] == "MODIFIED"
    assert ev["object"]["metadata"]["labels"] == {"x": "y"}
    assert ev["revision"] > rev
    w.close()
    with pytest.raises(StopIteration):
        next(w)


def test_watch_default_since_is_now_and_type_filter(store):
    load_pods(store, "east", 3)
    w = store.watch("apps/v1/deployments", timeout=1)
    with store.batch() as b:
        b.upsert("east", "v1/pods", pod("other"))
        b.upsert("east", "apps/v1/deployments", {
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "d", "namespace": "default", "uid": "d"}})
    evs = list(w)
    assert [(e["type"], e["object"].kind) for e in evs] == \
        [("ADDED", "Deployment")]


def test_watch_timeout_ends_iteration(store):
    t0 = time.monotonic()
    assert list(store.watch(timeout=0.3)) == []
    assert 0.25 < time.monotonic() - t0 < 5


def test_watch_resume_from_revision(store):
    load_pods(store, "east", 4)
    w = store.watch(since=0, timeout=0.2)
    first = [next(w), next(w)]
    w.close()
    rest = list(store.watch(since=w.revision, timeout=0.2))
    assert [e["object"].name for e in first + rest] == \
        ["p-%05d" % i for i in range(4)]


def test_watch_expired_revision(tmpdir_path):
    with pedia.Store.open("sqlite:%s/r.db" % tmpdir_path,
                          change_retention=5) as st:
        load_pods(st, "east", 40)
        with pytest.raises(pedia.Expired) as ei:
            st.watch(since=1)
        assert ei.value.code == "EEXPIRED"
        assert list(st.watch(since=st.revision - 2, timeout=0.1))
    with pytest.raises(ValueError):
        pedia.Store.open("sqlite::memory:").watch(since=-1)


def test_watch_close_from_another_thread(store):
    w = store.watch(timeout=None)
    got = []

    def consume():
        for ev in w:
            got.append(ev)
    t = threading.Thread(target=consume)
    t.start()
    time.sleep(0.3)
    w.close()
    t.join(5)
    assert not t.is_alive(), "close() did not end a blocked watch"
    assert w.closed and got == []


def test_store_close_ends_watch(store):
    w = store.watch(timeout=None)
    store.close()
    assert w.closed
    with pytest.raises(pedia.ClosedError):
        next(w)
    with pytest.raises(pedia.ClosedError):
        store.watch()
