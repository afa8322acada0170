"""Scenario 1: three members joined with `kubectl apply -f`, listed Ready."""
import json
import time

from conftest import parse_table, table_dicts, wait_until, RES


def test_kubectl_version_recorded(world):
    v = world.kubectl_version
    assert "Client Version" in v and "Server Version" in v, v
    server = json.loads(world.kubectl().ok("get", "--raw", "/version"))
    assert server["gitVersion"] in v, (server, v)


def test_apply_created_all_three(world):
    for name in ("c1", "c2", "c3"):
        assert f"pediacluster.cluster.clusterpedia.io/{name} created" in \
            world.apply_output, world.apply_output


def test_get_pediaclusters_ready(world, kubectl):
    def ready():
        out = kubectl.ok("get", "pediaclusters")
        header, rows = table_dicts(out)
        if all(r.get("READY") == "True" for r in rows) and len(rows) == 3:
            return header, rows, out
        return None
    got = wait_until(ready, 60, interval=1, what="pediaclusters Ready")
    out = kubectl.ok("get", "pediaclusters")
    assert got, f"not every PediaCluster is READY True within 60 s:\n{out}"
    header, rows, out = got
    assert header == ["NAME", "READY", "VERSION", "APISERVER", "AGE"], out
    by = {r["NAME"]: r for r in rows}
    assert set(by) == {"c1", "c2", "c3"}, out
    for name, m in world.members.items():
        r = by[name]
        assert r["READY"] == "True", out
        assert r["VERSION"] == "v1.31.0-kubesim", out
        assert r["APISERVER"] == m.url, out
        assert r["AGE"] and r["AGE"][-1] in "smhd", out


def test_get_pediaclusters_wide_and_yaml(world, kubectl):
    out = kubectl.ok("get", "pediaclusters", "-o", "wide")
    header, _ = parse_table(out)
    for col in ("VALIDATED", "SYNCHRORUNNING", "CLUSTERHEALTHY"):
        assert col in header, out
    doc = json.loads(kubectl.ok("get", "pediacluster", "c2", "-o", "json"))
    assert doc["kind"] == "PediaCluster" and doc["metadata"]["name"] == "c2"
    conds = {c["type"]: c["status"] for c in doc["status"]["conditions"]}
    assert conds.get("Ready") == "True", doc["status"]
    # Credentials never come back (DESIGN D8).
    text = json.dumps(doc)
    m = world.members["c2"]
    assert m.b64("client.key") not in text, "keyData echoed by the API"
    doc3 = kubectl.ok("get", "pediacluster", "c3", "-o", "yaml")
    assert "tok-c3-secret" not in doc3, "token inside spec.kubeconfig " \
        "echoed by the API"


def test_kubeconfig_lists_members(world, kubectl):
    def servers():
        cfg = json.loads(kubectl.ok("config", "view", "-o", "json"))
        s = {c["name"]: c["cluster"]["server"] for c in cfg["clusters"]}
        return s if {"c1", "c2", "c3"} <= set(s) else None
    s = wait_until(servers, 10, interval=0.5, what="kubeconfig rewritten")
    assert s, "kubeconfig-out never got the member clusters"
    cfg = json.loads(kubectl.ok("config", "view", "-o", "json"))
    assert cfg["current-context"] == "pediad", cfg["current-context"]
    base = world.pediad.url
    assert s["pediad"] == base
    assert s["clusterpedia"] == base + RES
    for n in ("c1", "c2", "c3"):
        assert s[n] == f"{base}{RES}/clusters/{n}"


def test_healthy_members_no_stale_warnings(world, kubectl):
    """All members are up and answering: searches must not warn that a
    cluster is not ready. Sampled for ~5 s (raw requests, every 0.25 s) and
    once through kubectl, which prints Warning headers on stderr."""
    warnings = []
    for _ in range(20):
        st, hdrs, body = world.pediad.request(
            "GET", RES + "/apis/apps/v1/deployments?limit=1")
        assert st == 200, body[:300]
        if "warning" in hdrs:
            warnings.append(hdrs["warning"])
        time.sleep(0.25)
    r = kubectl.run("--cluster", "clusterpedia", "get", "deployments", "-A")
    assert r.returncode == 0, r.stderr
    warnings += [l for l in r.stderr.splitlines() if "Warning" in l]
    st = json.loads(kubectl.ok("get", "pediaclusters", "-o", "json"))
    conds = {i["metadata"]["name"]: {c["type"]: (c["status"], c.get("reason"))
                                     for c in i["status"]["conditions"]}
             for i in st["items"]}
    assert not warnings, f"{len(warnings)} warnings with healthy members, " \
        f"e.g. {sorted(set(warnings))[:3]}; conditions now: {conds}"
