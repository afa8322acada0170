"""Searches: conditions, ordering, paging (automatic and manual), errors,
and cursor lifetime."""
from __future__ import annotations

import gc

import pytest

import pedia
from conftest import load_pods, pod


@pytest.fixture
def big(store):
    """1,200 pods in 'east' (3 namespaces) and 30 in 'west'."""
    for ns in ("default", "shop", "kube-system"):
        load_pods(store, "east", 400, ns=ns)
    load_pods(store, "west", 30)
    return store


def keys(rows):
    return [(o.cluster, o.namespace, o.name) for o in rows]


def test_paging_exact_over_default_page_size(big):
    it = big.search("v1/pods")  # page_size 500 by default
    rows = list(it)
    assert len(rows) == 1230
    assert len(set(keys(rows))) == 1230, "a row was returned twice"
    assert it.pages == 3
    assert it.continue_token is None
    assert it.resource_version == big.revision
    # the same rows as one unpaged page, in the same order
    items, token, rv = big.search_page("v1/pods")
    assert token is None and rv == big.revision
    assert keys(items) == keys(rows)


@pytest.mark.parametrize("page_size", [1, 7, 100, 410, 1230, 5000])
def test_paging_exact_any_page_size(big, page_size):
    if page_size == 1:
        rows = list(big.search("v1/pods", clusters="west", page_size=1))
        assert len(rows) == 30 and len(set(keys(rows))) == 30
        return
    rows = list(big.search("v1/pods", page_size=page_size,
                           order_by=["-name", "namespace"]))
    assert len(rows) == 1230
    assert len(set(keys(rows))) == 1230
    assert [o.name for o in rows] == sorted((o.name for o in rows),
                                            reverse=True)


def test_limit_caps_the_total(big):
    it = big.search("v1/pods", limit=750, page_size=500)
    rows = list(it)
    assert len(rows) == 750 and it.pages == 2
    assert len(list(big.search("v1/pods", limit=0))) == 0
    assert len(list(big.search("v1/pods", limit=5000))) == 1230
    with pytest.raises(ValueError):
        big.search("v1/pods", limit=-1)
    with pytest.raises(ValueError):
        big.search("v1/pods", page_size=0)


def test_manual_paging_with_search_page(big):
    seen, token, pages = [], None, 0
    first_rv = None
    while True:
        page = big.search_page("v1/pods", limit=300, continue_token=token,
                               namespaces=["default", "shop"])
        items, token, rv = page
        assert page.items is items and page.continue_token == token
        assert page.resource_version == rv
        first_rv = first_rv or rv
        assert rv == first_rv  # every page of one list has its revision
        seen += keys(items)
        pages += 1
        if token is None:
            break
        assert len(items) == 300
    assert len(seen) == 830 and len(set(seen)) == 830 and pages == 3


def test_search_continues_from_a_token(big):
    items, token, _ = big.search_page("v1/pods", limit=1000)
    rest = list(big.search("v1/pods", continue_token=token))
    assert len(items) + len(rest) == 1230
    assert not set(keys(items)) & set(keys(rest))


def test_remaining_count(big):
    page = big.search_page("v1/pods", limit=200, with_remaining_count=True)
    assert page.remaining == 1030
    it = big.search("v1/pods", page_size=1000, with_remaining_count=True)
    list(it)
    assert it.remaining == 0
    assert big.search_page("v1/pods", limit=10).remaining is None


def test_conditions(big):
    assert big.count("v1/pods", clusters=["west"]) == 30
    assert big.count("v1/pods", clusters="east", namespaces="shop") == 400
    assert big.count("v1/pods", namespaces=["shop", "default"]) == 830
    assert big.count("v1/pods", names=["p-00001", "p-00002"]) == 8
    assert big.count("v1/pods", names="p-00003", clusters=["west"]) == 1
    assert big.count("v1/pods", label_selector="app=web") == 615
    assert big.count("v1/pods", label_selector="app=db,i in (0,2,4)") == 12
    assert big.count("v1/pods", field_selector="status.phase=Pending") == 123
    assert big.count("v1/pods", field_selector="metadata.namespace=shop",
                     label_selector="app=web") == 200
    assert big.count("v1/pods", url_query="clusters=west&names=p-00004") == 1
    assert big.count("v1/pods", url_query={"clusters": ["west", "east"],
                                           "namespaces": "kube-system"}) \
        == 400
    assert big.count("v1/pods", cluster="west") == 30
    assert big.count("v1/pods", cluster="west", namespace="shop") == 0
    assert big.count("v1/pods", namespace="shop") == 400
    assert big.count(("", "v1", "pods"), label_selector=
                     "search.clusterpedia.io/clusters in (west)") == 30


def test_order_by_forms(big):
    a = [o.name for o in big.search("v1/pods", clusters="west",
                                    order_by=[("name", True)])]
    b = [o.name for o in big.search("v1/pods", clusters="west",
                                    order_by="-name")]
    c = [o.name for o in big.search("v1/pods", clusters="west",
                                    order_by=["name desc"])]
    d = [o.name for o in big.search("v1/pods", clusters="west",
                                    url_query="orderby=name%20desc")]
    assert a == b == c == d == sorted(a, reverse=True)
    asc = [o.name for o in big.search("v1/pods", clusters="west",
                                      order_by=[("name", False),
                                                "created_at asc"])]
    assert asc == sorted(asc)
    with pytest.raises(TypeError):
        big.search("v1/pods", order_by=[42])
    with pytest.raises(ValueError):
        big.search("v1/pods", order_by=["-"])


def test_object_attributes(store):
    with store.batch() as b:
        b.upsert("east", "v1/pods", pod("a", "ns1", uid="uid-a", rv="77",
                                        created="2026-03-05T00:00:00Z"))
    (o,) = list(store.search("v1/pods"))
    assert isinstance(o, dict) and isinstance(o, pedia.Object)
    assert o["metadata"]["name"] == "a"
    assert o["metadata"]["resourceVersion"] == str(o.revision)
    assert (o.cluster, o.group, o.version, o.resource, o.kind) == \
        ("east", "", "v1", "pods", "Pod")
    assert (o.namespace, o.name, o.uid, o.member_rv) == \
        ("ns1", "a", "uid-a", "77")
    assert o.created_at == 1772668800
    assert o.event_type is None
    assert o.revision == store.revision
    assert "east/ns1/a" in repr(o)


def test_collection(store):
    with store.batch() as b:
        b.upsert("east", "apps/v1/deployments", {
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default",
                         "uid": "d1"}})
        b.upsert("east", "v1/configmaps", {
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "cm", "namespace": "default", "uid": "c1"}})
    rows = list(store.search(collection="workloads"))
    assert [o.kind for o in rows] == ["Deployment"]
    with pytest.raises(pedia.NotFound):
        store.search(collection="nosuchcollection")
    with pytest.raises(TypeError):
        store.search()
    with pytest.raises(TypeError):
        store.search("v1/pods", collection="workloads")


@pytest.mark.parametrize("kw", [
    {"label_selector": "app in (web"},
    {"label_selector": "a=b=c"},
    {"field_selector": "=x"},
    {"field_selector": "metadata.name!"},
    {"order_by": ["no such field!"]},
    {"url_query": "limit=abc"},
    {"url_query": "labelSelector=%ZZ"},
])
def test_bad_conditions_raise_QueryError(store, kw):
    with pytest.raises(pedia.QueryError) as ei:
        store.search("v1/pods", **kw)  # checked before any row is read
    assert ei.value.code == "EQUERY" and ei.value.message
    with pytest.raises(pedia.QueryError):
        store.search_page("v1/pods", **kw)


def test_bad_continue_token(big):
    with pytest.raises(pedia.QueryError):
        big.search_page("v1/pods", limit=5, continue_token="not-a-token!")
    _, token, _ = big.search_page("v1/pods", limit=5)
    with pytest.raises(pedia.QueryError):  # token of a different query
        big.search_page("v1/pods", limit=5, continue_token=token,
                        order_by=["-name"])
    with pytest.raises(TypeError):
        big.search_page("v1/pods", bogus=1)


def test_expired_continue_token(tmpdir_path):
    with pedia.Store.open("sqlite:%s/r.db" % tmpdir_path,
                          change_retention=10) as st:
        load_pods(st, "east", 30)
        _, token, _ = st.search_page("v1/pods", limit=5)
        load_pods(st, "east", 30, prefix="q")  # the log moves past it
        with pytest.raises(pedia.Expired) as ei:
            st.search_page("v1/pods", limit=5, continue_token=token)
        assert ei.value.code == "EEXPIRED"
        with pytest.raises(pedia.Expired):
            list(st.search("v1/pods", continue_token=token))


def test_bad_resource_arguments(store):
    for bad in ("pods", "a/b/c/d", "/v1/", ""):
        with pytest.raises(ValueError):
            store.search(bad)
    with pytest.raises(TypeError):
        store.search(123)
    with pytest.raises(ValueError):
        store.search(("", "", "pods"))
    with pytest.raises(TypeError):
        store.search("v1/pods", clusters=[1])
    assert pedia.parse_resource("apps/v1/deployments") == \
        ("apps", "v1", "deployments")
    assert pedia.parse_resource(["", "v1", "pods"]) == ("", "v1", "pods")


def test_iterator_close_and_gc_free_the_cursor(tmpdir_path):
    ctx = pedia.Context(track_allocations=True)
    st = ctx.open_store("sqlite:%s/a.db" % tmpdir_path)
    load_pods(st, "east", 50)
    tr = ctx.allocations
    list(st.search("v1/pods"))  # warm the store's reader pool
    base = tr.live
    it = st.search("v1/pods", page_size=20)
    next(it)
    assert tr.live > base
    it.close()
    it.close()
    assert tr.live == base
    with pytest.raises(pedia.ClosedError):
        next(it)
    # exhaustion frees it
    it = st.search("v1/pods", page_size=20)
    assert len(list(it)) == 50 and tr.live == base
    assert list(it) == []
    # with-block frees it
    with st.search("v1/pods", page_size=20) as it:
        next(it)
    assert tr.live == base
    # garbage collection frees it
    it = st.search("v1/pods", page_size=20)
    next(it)
    del it
    gc.collect()
    assert tr.live == base
    # closing the store closes its live iterators; they raise afterwards
    it = st.search("v1/pods", page_size=20)
    next(it)
    st.close()
    with pytest.raises(pedia.ClosedError):
        next(it)
    with pytest.raises(pedia.ClosedError):
        next(it)
    ctx.close()
    assert tr.live == 0


def test_search_from_threads(big):
    """Several threads searching one store: calls take turns per handle."""
    import threading
    errors, counts = [], []

    def work():
        try:
            counts.append(len(list(big.search("v1/pods", page_size=97))))
        except Exception as e:  # pragma: no cover
            errors.append(e)
    ts = [threading.Thread(target=work) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    assert not errors and counts == [1230] * 4


def test_docstring_examples():
    import doctest
    import pedia.store
    assert doctest.testmod(pedia.store).failed == 0
