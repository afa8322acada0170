"""pedia.Api: the Kubernetes-compatible API in process, searched as a user.

The API serves a type below a search root only when a cluster syncs it
(its PediaCluster status says so).  The bindings cannot write that status
(it is the engine's), so two PediaClusters, c1 and c2, sync the pods of one
kubesim member that has none; once they are synced, the pods are written
through store.batch(): c1 and c2 each hold pods in team-a and team-b.
"""
from __future__ import annotations

import json
import threading
import time

import pytest

import pedia
from conftest import Sim, pod

ROOT = "/apis/clusterpedia.io/v1beta1/resources"
PODS = ROOT + "/api/v1/pods"
RBAC = "rbac.authorization.k8s.io"
ADMIN = {"user": "admin", "groups": ["system:masters"]}
CLUSTERS = ("c1", "c2")
NAMESPACES = ("team-a", "team-b")


def pod_key(p):
    md = p["metadata"]
    return (md["annotations"]["shadow.clusterpedia.io/cluster-name"],
            md["namespace"], md["name"])


def expected(*namespaces):
    return sorted((c, ns, "%s-%s-%d" % (c, ns, i)) for c in CLUSTERS
                  for ns in namespaces for i in range(2))


@pytest.fixture
def world(tmpdir_path):
    """(store, engine, api): RBAC on, pods of c1 and c2 in two namespaces."""
    sim = Sim(pods=0)
    store = pedia.Store.open("sqlite:%s/store.db" % tmpdir_path)
    try:
        engine = pedia.Engine(store)
        for name in CLUSTERS:
            engine.apply(sim.manifest(name, [{"group": "",
                                              "resources": ["pods"]}]))
        engine.start()
        engine.wait_ready(*CLUSTERS, timeout=60, synced=True)
        with store.batch() as b:
            for c, ns, name in expected(*NAMESPACES):
                b.upsert(c, "v1/pods", pod(name, ns, uid="uid-" + name))
        api = pedia.Api(store, engine)
        api.set_authorization("RBAC")
        yield store, engine, api
    finally:
        store.close()
        sim.close()


def role(ns="team-a", verbs=("get", "list", "watch")):
    return {"apiVersion": RBAC + "/v1", "kind": "Role",
            "metadata": {"name": "pod-reader", "namespace": ns},
            "rules": [{"apiGroups": [""], "resources": ["pods"],
                       "verbs": list(verbs)}]}


def binding(user="alice", ns="team-a"):
    return {"apiVersion": RBAC + "/v1", "kind": "RoleBinding",
            "metadata": {"name": "%s-reads" % user, "namespace": ns},
            "subjects": [{"kind": "User", "name": user,
                          "apiGroup": RBAC}],
            "roleRef": {"apiGroup": RBAC, "kind": "Role",
                        "name": "pod-reader"}}


def grant_alice(api):
    r = api.apply_rbac(role(), **ADMIN)
    assert r["kind"] == "Role" and r["metadata"]["namespace"] == "team-a"
    b = api.apply_rbac(binding(), **ADMIN)
    assert b["subjects"][0]["name"] == "alice"


def test_search_as_a_user(world):
    store, _, api = world
    # nothing granted yet: kube's 403, with its message
    with pytest.raises(pedia.APIError) as e:
        list(api.list(PODS, user="alice"))
    assert e.value.status == 403 and e.value.reason == "Forbidden"
    grant_alice(api)

    mine = sorted(pod_key(p) for p in api.list(PODS, user="alice"))
    assert mine == expected("team-a")
    # the same answer a page at a time (continue tokens followed)
    paged = sorted(pod_key(p) for p in api.list(PODS, user="alice", limit=1))
    assert paged == mine
    # a get inside the grant, and one outside it
    path = ROOT + "/clusters/c2/api/v1/namespaces/%s/pods/c2-%s-0"
    assert api.get(path % ("team-a", "team-a"),
                   user="alice")["metadata"]["name"] == "c2-team-a-0"
    with pytest.raises(pedia.APIError) as e:
        api.get(path % ("team-b", "team-b"), user="alice")
    assert e.value.status == 403 and e.value.cause == 403
    assert e.value.reason == "Forbidden"
    assert e.value.message == (
        'pods "c2-team-b-0" is forbidden: User "alice" cannot get resource '
        '"pods" in API group "" in the namespace "team-b"')
    assert json.loads(e.value.body)["code"] == 403
    assert "HTTP 403 Forbidden" in str(e.value)

    with pytest.raises(pedia.APIError) as e:
        list(api.list(PODS, user="bob"))
    assert e.value.status == 403
    assert 'User "bob" cannot list resource "pods"' in e.value.message

    everything = sorted(pod_key(p) for p in api.list(PODS, **ADMIN))
    assert everything == expected(*NAMESPACES)
    assert len(everything) == store.count("v1/pods")


def test_group_grants_and_impersonation_headers(world):
    _, _, api = world
    b = binding()
    b["metadata"]["name"] = "devs-read"
    b["subjects"] = [{"kind": "Group", "name": "devs", "apiGroup": RBAC}]
    api.apply_rbac(role(), **ADMIN)
    api.apply_rbac(b, **ADMIN)
    assert sorted(pod_key(p) for p in api.list(
        PODS, user="carol", groups=["devs"])) == expected("team-a")
    # the header callback: names case-insensitive, a list is sent joined
    r = api.request("GET", PODS, headers={"impersonate-user": "dave",
                                          "IMPERSONATE-GROUP": ["x", "devs"]},
                    **ADMIN)
    assert r.status == 200, r.body
    assert sorted(pod_key(p) for p in r.json()["items"]) == \
        expected("team-a")
    # alice may not impersonate anyone
    r = api.request("GET", PODS, user="alice",
                    headers={"Impersonate-User": "admin"})
    assert r.status == 403
    with pytest.raises(pedia.APIError):
        r.raise_for_status()


WHOAMI = "/apis/authentication.k8s.io/v1/selfsubjectreviews"


def test_user_extra_and_repeated_headers(tmpdir_path):
    """A user's extra reaches SelfSubjectReview; a header given as a list is
    one header per item (the enumerator), so Impersonate-Group may hold
    ", " and Impersonate-Extra-* are seen."""
    store = pedia.Store.open("sqlite:%s/store.db" % tmpdir_path)
    try:
        with pedia.Api(store) as api:
            r = api.request("POST", WHOAMI, user="alice", groups=["dev"],
                            extra={"scopes": ["a", "b"], "team": "blue"})
            assert r.status == 201, r.body
            info = r.json()["status"]["userInfo"]
            assert info["extra"] == {"scopes": ["a", "b"], "team": ["blue"]}
            r = api.request("POST", WHOAMI, user="admin",
                            extra={"mine": ["x"]},
                            headers={"Impersonate-User": "bob",
                                     "Impersonate-Group": ["a, b", "c"],
                                     "impersonate-extra-Scopes": ["x", "y"]})
            assert r.status == 201, r.body
            assert r.json()["status"]["userInfo"] == {
                "username": "bob",
                "groups": ["a, b", "c", "system:authenticated"],
                "extra": {"scopes": ["x", "y"]}}
            r = api.request("POST", WHOAMI, user="admin",
                            headers={"Impersonate-Extra-Scopes": "x"})
            assert r.status == 400
            assert b"without impersonating a user" in r.body
    finally:
        store.close()


def test_watch_as_a_user(world):
    _, _, api = world
    grant_alice(api)
    r = api.request("GET", PODS + "?watch=true&timeoutSeconds=1",
                    user="alice")
    assert r.status == 200
    events = [json.loads(line) for line in r.body.splitlines() if line]
    assert {e["type"] for e in events} == {"ADDED"}
    assert sorted(pod_key(e["object"]) for e in events) == \
        expected("team-a")


def test_apply_rbac_creates_then_updates(world):
    _, _, api = world
    first = api.apply_rbac(role(verbs=["get"]), **ADMIN)
    again = api.apply_rbac(role(), **ADMIN)  # 409 on POST, then PUT
    assert again["metadata"]["uid"] == first["metadata"]["uid"]
    assert again["rules"][0]["verbs"] == ["get", "list", "watch"]
    path = "/apis/%s/v1/namespaces/team-a/roles/pod-reader" % RBAC
    assert api.get(path, **ADMIN)["rules"] == again["rules"]
    cr = api.apply_rbac({"apiVersion": RBAC + "/v1", "kind": "ClusterRole",
                         "metadata": {"name": "pods:all"},
                         "rules": role()["rules"]}, **ADMIN)
    assert "namespace" not in cr["metadata"]
    # alice cannot write RBAC objects (kube's authorization, not escalation)
    with pytest.raises(pedia.APIError) as e:
        api.apply_rbac(binding(user="alice"), user="alice")
    assert e.value.status == 403
    # kube's validation: 422
    bad = role()
    bad["rules"][0]["verbs"] = []
    with pytest.raises(pedia.APIError) as e:
        api.apply_rbac(bad, **ADMIN)
    assert e.value.status == 422 and e.value.reason == "Invalid"
    with pytest.raises(ValueError):
        api.apply_rbac(pod("x"), **ADMIN)
    with pytest.raises(ValueError):
        api.apply_rbac({"apiVersion": RBAC + "/v1", "kind": "Role",
                        "metadata": {"name": "no-namespace"}}, **ADMIN)
    with pytest.raises(ValueError):
        api.apply_rbac({"apiVersion": RBAC + "/v1", "kind": "ClusterRole",
                        "metadata": {"name": "r", "namespace": "x"}},
                       **ADMIN)


def test_self_subject_review(world):
    _, _, api = world
    r = api.request("POST", "/apis/authentication.k8s.io/v1/"
                    "selfsubjectreviews", user="alice", uid="u-1",
                    groups=["devs", "ops"],
                    body={"apiVersion": "authentication.k8s.io/v1",
                          "kind": "SelfSubjectReview"})
    assert r.status == 201, r.body
    info = r.json()["status"]["userInfo"]
    assert info["username"] == "alice" and info["uid"] == "u-1"
    assert info["groups"][:2] == ["devs", "ops"]
    assert r.header("content-type").startswith("application/json")


def test_request_shapes(world):
    _, _, api = world
    # no user: health only, everything else 401
    assert api.request("GET", "/healthz", user=None).body == b"ok"
    r = api.request("GET", "/version", user=None)
    assert r.status == 401 and r.json()["reason"] == "Unauthorized"
    # a str body with its own Content-Type
    r = api.request("POST", "/apis/authentication.k8s.io/v1/"
                    "selfsubjectreviews", user="eve",
                    body='{"kind":"SelfSubjectReview",'
                         '"apiVersion":"authentication.k8s.io/v1"}',
                    headers={"Content-Type": "application/json"})
    assert r.status == 201
    # a dict body sent with the caller's Content-Type, not JSON's
    r = api.request("POST", "/apis/%s/v1/clusterroles" % RBAC,
                    body=role(), headers={"content-type": "text/plain"},
                    **ADMIN)
    assert r.status == 415 and r.json()["reason"] == "UnsupportedMediaType"
    with pytest.raises(TypeError):
        api.request("GET", "/version", user="eve", body=42)
    with pytest.raises(ValueError):
        api.request("GET", "/version", user="eve",
                    headers={"X": "a\0b"})
    assert "<pedia.Response 401" in repr(api.request("GET", "/api",
                                                     user=None))


def test_settings(world):
    store, _, api = world
    api.set_address("10.0.0.1:6443")
    doc = api.get("/api", **ADMIN)
    assert doc["serverAddressByClientCIDRs"][0]["serverAddress"] == \
        "10.0.0.1:6443"
    api.set_watch_cache_size(1 << 20)
    with pytest.raises(pedia.InvalidArgument):
        api.set_watch_cache_size(1024)
    with pytest.raises(pedia.InvalidArgument) as e:
        api.set_authorization("RBAC,Bogus")
    assert "Bogus" in e.value.message
    with pytest.raises(TypeError):
        api.set_authorization(None)
    # an API without an engine serves the store, but no synced types
    with pedia.Api(store) as bare:
        assert bare.request("GET", PODS, **ADMIN).status == 404
    assert bare.closed


def test_requests_from_threads(world):
    _, _, api = world
    grant_alice(api)
    results, errors = [], []

    def worker(who):
        try:
            for _ in range(5):
                results.append((who["user"], sorted(
                    pod_key(p) for p in api.list(PODS, limit=3, **who))))
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)
    threads = [threading.Thread(target=worker, args=(who,))
               for who in ({"user": "alice"}, ADMIN, {"user": "alice"})]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert len(results) == 15
    for user, keys in results:
        assert keys == (expected(*NAMESPACES) if user == "admin"
                        else expected("team-a"))


def test_lifetime(world, tmpdir_path):
    store, engine, api = world
    assert "Api" in repr(api) and not api.closed
    api.close()
    api.close()  # idempotent
    assert api.closed and "closed" in repr(api)
    with pytest.raises(pedia.ClosedError):
        api.request("GET", "/healthz", user=None)
    # closing the engine (its parent) closes the Api first
    api2 = pedia.Api(store, engine)
    engine.close()
    assert api2.closed
    with pytest.raises(pedia.ClosedError):
        pedia.Api(store, engine)
    # an engine of another store is refused
    other = pedia.Store.open("sqlite:%s/other.db" % tmpdir_path)
    try:
        with pytest.raises(ValueError):
            pedia.Api(other, pedia.Engine(store))
    finally:
        other.close()
    # closing the store closes its Apis
    api3 = pedia.Api(store)
    api4 = pedia.Api(store, pedia.Engine(store))
    store.close()
    assert api3.closed and api4.closed
    with pytest.raises(pedia.ClosedError):
        api3.get("/version", **ADMIN)


def test_close_ends_a_watch_being_read(world):
    _, _, api = world
    out = []

    def watch():
        try:
            out.append(api.request(
                "GET", PODS + "?watch=true&timeoutSeconds=60", **ADMIN))
        except pedia.ClosedError as e:  # closed between two reads
            out.append(e)
    t = threading.Thread(target=watch)
    t.start()
    t.join(0.5)
    assert t.is_alive(), "the watch ended before its timeout"
    api.close()  # pedia_api_shutdown: the read ends within a second
    t.join(10)
    assert not t.is_alive() and len(out) == 1
    assert api.closed


def test_member_rbac_synced_and_enforced(tmpdir_path):
    """MemberRBAC: the engine syncs a member's own RBAC although its
    syncResources name pods only, and the member's RoleBinding decides."""
    sim = Sim("--rbac", pods=0)
    store = pedia.Store.open("sqlite:%s/store.db" % tmpdir_path)
    try:
        sim.control("POST", "/objects", {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": "r", "namespace": "team-a"},
            "rules": [{"apiGroups": [""], "resources": ["pods"],
                       "verbs": ["get", "list", "watch"]}]})
        sim.control("POST", "/objects", {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "b", "namespace": "team-a"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io",
                        "kind": "Role", "name": "r"},
            "subjects": [{"kind": "User", "name": "carol",
                          "apiGroup": "rbac.authorization.k8s.io"}]})
        engine = pedia.Engine(store)
        engine.sync_member_rbac(True)
        engine.apply(sim.manifest("c1", [{"group": "",
                                          "resources": ["pods"]}]))
        engine.start()
        engine.wait_ready("c1", timeout=60, synced=True)
        with store.batch() as b:
            for ns in ("team-a", "team-b"):
                b.upsert("c1", "v1/pods", pod("p-" + ns, ns, uid="u-" + ns))
        api = pedia.Api(store, engine)
        api.set_authorization("MemberRBAC")
        deadline = time.monotonic() + 30
        names = []
        while time.monotonic() < deadline:
            try:
                names = [i["metadata"]["name"] for i in
                         api.list(ROOT + "/clusters/c1/api/v1/pods",
                                  user="carol")]
                break
            except pedia.APIError:
                time.sleep(0.2)  # the member's RBAC is still syncing
        assert names == ["p-team-a"]
    finally:
        store.close()
        sim.close()
