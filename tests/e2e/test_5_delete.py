"""Scenario 5: `kubectl delete pediacluster c3` removes the member.

Runs last in a session (it changes the shared world): c3 leaves the
PediaCluster list and every search, the other members are untouched.
"""
import json

from conftest import CHECKED, RES, table_dicts, wait_until


def test_delete_pediacluster(world, kubectl):
    before = {(g, r): world.served(g, r) for g, r in CHECKED}
    assert any(k[0] == "c3" for k in before[("", "pods")])
    out = kubectl.ok("delete", "pediacluster", "c3")
    assert 'pediacluster.cluster.clusterpedia.io "c3" deleted' in out, out
    world.removed.add("c3")

    def listed():
        _, rows = table_dicts(kubectl.ok("get", "pediaclusters"))
        return sorted(r["NAME"] for r in rows)
    names = wait_until(lambda: listed() == ["c1", "c2"] and listed(), 30,
                       interval=0.5, what="c3 gone from get pediaclusters")
    assert names == ["c1", "c2"], \
        f"kubectl get pediaclusters still shows: {listed()}"
    r = kubectl.run("get", "pediacluster", "c3")
    assert r.returncode != 0 and "NotFound" in r.stderr, r.stderr

    def c3_gone():
        out = kubectl.ok("--cluster", "clusterpedia", "get", "pods", "-A")
        _, rows = table_dicts(out)
        return not any(r["CLUSTER"] == "c3" for r in rows)
    assert wait_until(c3_gone, 30, interval=0.5, what="c3 rows gone"), \
        "c3 pods still listed 30 s after kubectl delete pediacluster c3"
    # Every resource type: exactly the remaining members' truth.
    for g, r in CHECKED:
        got = wait_until(lambda: world.served(g, r) ==
                         world.truth(g, r) or None, 30, what=f"{r} synced")
        served = world.served(g, r)
        assert got, f"{r}: c3 rows left: " \
            f"{sorted(k for k in served if k[0] == 'c3')[:5]}; missing: " \
            f"{sorted(world.truth(g, r) - served)[:5]}"
        assert served == {k for k in before[(g, r)] if k[0] != "c3"}, r
    # Searches naming c3 find nothing; deployments -A shows c1 and c2 only.
    out = kubectl.ok("--cluster", "clusterpedia", "get", "deployments", "-A",
                     "-l", "search.clusterpedia.io/clusters in (c3)")
    _, rows = table_dicts(out)
    assert rows == [], out
    doc = json.loads(kubectl.ok("get", "--raw", RES +
                                "/apis/apps/v1/deployments?clusters=c3"))
    assert doc["items"] == []
    out = kubectl.ok("--cluster", "clusterpedia", "get", "deployments", "-A")
    _, rows = table_dicts(out)
    assert {r["CLUSTER"] for r in rows} == {"c1", "c2"}, out
    # The per-cluster path is gone (the kubeconfig entry too).
    def c3_path():
        st, _, body = world.pediad.request("GET",
                                           RES + "/clusters/c3/api/v1/pods")
        return (st, body[:300])
    assert wait_until(lambda: c3_path()[0] == 404, 10,
                      what="c3 path 404"), c3_path()
    assert wait_until(lambda: "c3" not in world.kubeconfig_servers(), 10,
                      what="kubeconfig drops c3"), \
        f"kubeconfig still has c3: {world.kubeconfig_servers()}"
