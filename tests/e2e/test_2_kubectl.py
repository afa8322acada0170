"""Scenario 2: what kubectl users see when searching every member at once.

Note on the deployments header: kubectl itself prepends the NAMESPACE column
for -A (cli-runtime decorateTable), in front of the server's first column
CLUSTER; the header a user sees is therefore
NAMESPACE CLUSTER NAME READY UP-TO-DATE AVAILABLE AGE (same as Clusterpedia).
"""
import collections
import json
import re
import time

import yaml

from conftest import (CLUSTER_ANN, RES, deployment, item_key, log, pod,
                      short, table_dicts, wait_until)

DEPLOY_HEADER = ["NAMESPACE", "CLUSTER", "NAME", "READY", "UP-TO-DATE",
                 "AVAILABLE", "AGE"]
POD_HEADER_A = ["NAMESPACE", "CLUSTER", "NAME", "READY", "STATUS",
                "RESTARTS", "AGE"]


def keys(rows):
    return [(r["CLUSTER"], r.get("NAMESPACE", ""), r["NAME"]) for r in rows]


def no_dups(ks, what):
    dups = [k for k, n in collections.Counter(ks).items() if n > 1]
    assert not dups, f"{what}: rows listed more than once: {dups[:10]}"


def raw(kubectl, path):
    return json.loads(kubectl.ok("get", "--raw", path))


# ------------------------------------------------------------ deployments

def test_deployments_all_clusters(world, kubectl):
    out = kubectl.ok("--cluster", "clusterpedia", "get", "deployments", "-A")
    header, rows = table_dicts(out)
    assert header == DEPLOY_HEADER, out[:500]
    ks = keys(rows)
    no_dups(ks, "get deployments -A")
    truth = world.truth("apps", "deployments")
    assert set(ks) == truth, \
        f"missing {sorted(truth - set(ks))}, extra {sorted(set(ks) - truth)}"
    assert {k[0] for k in ks} == {"c1", "c2", "c3"}
    by = {k: r for k, r in zip(ks, rows)}
    r = by[("c2", "default", "shop-web")]
    assert (r["READY"], r["UP-TO-DATE"], r["AVAILABLE"]) == ("1/2", "2", "1"), r
    r = by[("c1", "default", "nginx")]
    assert (r["READY"], r["UP-TO-DATE"], r["AVAILABLE"]) == ("3/3", "3", "3"), r
    assert all(re.fullmatch(r"\d+[smhdy]\S*", r["AGE"]) for r in rows), out


def test_label_form_clusters_and_namespaces(world, kubectl):
    sel = ("search.clusterpedia.io/clusters in (c1,c2),"
           "search.clusterpedia.io/namespaces in (kube-system,default)")
    out = kubectl.ok("--cluster", "clusterpedia", "get", "deployments", "-A",
                     "-l", sel)
    header, rows = table_dicts(out)
    assert header == DEPLOY_HEADER, out
    want = {k for k in world.truth("apps", "deployments", {"c1", "c2"})
            if k[1] in ("kube-system", "default")}
    assert len(want) == 6
    ks = keys(rows)
    no_dups(ks, "label search")
    assert set(ks) == want, out
    # Search labels combine with a real label selector.
    out = kubectl.ok("--cluster", "clusterpedia", "get", "deployments", "-A",
                     "-l", "app=coredns,search.clusterpedia.io/clusters in "
                     "(c1,c3)")
    _, rows = table_dicts(out)
    assert set(keys(rows)) == {("c1", "kube-system", "coredns"),
                               ("c3", "kube-system", "coredns")}, out


def test_url_form_clusters_and_namespaces(world, kubectl):
    doc = raw(kubectl, RES + "/apis/apps/v1/deployments?clusters=c1,c2&"
              "namespaces=kube-system,default")
    got = [item_key(i) for i in doc["items"]]
    want = {k for k in world.truth("apps", "deployments", {"c1", "c2"})
            if k[1] in ("kube-system", "default")}
    no_dups(got, "URL search")
    assert set(got) == want
    assert doc["kind"] == "DeploymentList" and doc["apiVersion"] == "apps/v1"
    assert all(i.get("kind") == "Deployment" for i in doc["items"])


def test_default_order_is_cluster_namespace_name(world, kubectl):
    doc = raw(kubectl, RES + "/apis/apps/v1/deployments")
    got = [item_key(i) for i in doc["items"]]
    assert got == sorted(got), "default order is not (cluster, namespace, " \
        f"name): {got[:12]}"


def test_orderby_url_form(world, kubectl):
    doc = raw(kubectl, RES + "/apis/apps/v1/deployments?orderby=name%20desc")
    names = [i["metadata"]["name"] for i in doc["items"]]
    assert names == sorted(names, reverse=True), names
    assert {item_key(i) for i in doc["items"]} == \
        world.truth("apps", "deployments")
    # Several fields keep their order: cluster descending, then name.
    doc = raw(kubectl, RES + "/apis/apps/v1/deployments?"
              "orderby=cluster%20desc,name")
    got = [item_key(i) for i in doc["items"]]
    want = sorted(got, key=lambda k: k[2])
    want = sorted(want, key=lambda k: k[0], reverse=True)
    assert [(k[0], k[2]) for k in got] == [(k[0], k[2]) for k in want], got


def test_orderby_label_form(world, kubectl):
    out = kubectl.ok("--cluster", "clusterpedia", "get", "deployments", "-A",
                     "-l", "search.clusterpedia.io/orderby=name_desc")
    header, rows = table_dicts(out)
    assert header == DEPLOY_HEADER, out
    names = [r["NAME"] for r in rows]
    assert names == sorted(names, reverse=True), names
    assert set(keys(rows)) == world.truth("apps", "deployments")


def test_chunk_size_every_row_once(world, kubectl):
    r = kubectl.run("--cluster", "clusterpedia", "get", "pods", "-A",
                    "--chunk-size=7", "-v=6")
    assert r.returncode == 0, r.stderr[-2000:]
    header, rows = table_dicts(r.stdout)
    assert header == POD_HEADER_A, r.stdout[:300]
    ks = keys(rows)
    truth = world.truth("", "pods")
    no_dups(ks, "--chunk-size=7")
    assert set(ks) == truth, \
        f"missing {sorted(truth - set(ks))[:5]} ({len(truth - set(ks))}), " \
        f"extra {sorted(set(ks) - truth)[:5]}"
    pages = len(re.findall(r"GET \S+/pods\?\S*limit=7", r.stderr))
    continued = len(re.findall(r"GET \S+/pods\?\S*continue=", r.stderr))
    assert pages >= len(truth) // 7, f"{pages} page requests for " \
        f"{len(truth)} pods"
    assert continued == pages - 1, (pages, continued)


def test_chunked_with_orderby_keeps_order(world, kubectl):
    """Keyset paging over a non-default order (limit=7, name desc)."""
    items, pages = world.pediad.list_all(
        RES + "/api/v1/pods?orderby=name%20desc", limit=7)
    got = [item_key(i) for i in items]
    no_dups(got, "limit=7&orderby=name desc")
    assert set(got) == world.truth("", "pods")
    names = [k[2] for k in got]
    assert names == sorted(names, reverse=True)
    assert pages >= len(got) // 7


def test_paging_while_members_change(world):
    """limit=7 pages while pods are added and deleted between pages: no pod
    twice, and every pod that existed throughout is listed."""
    c1 = world.members["c1"]
    stable = world.truth("", "pods")
    victims = sorted(k for k in stable if k[0] == "c1")[-3:]
    path = RES + "/api/v1/pods"
    seen, cont, pages, added = [], None, 0, []
    try:
        while True:
            p = path + "?limit=7" + (f"&continue={cont}" if cont else "")
            doc = world.pediad.get_json(p)
            pages += 1
            seen.extend(item_key(i) for i in doc["items"])
            cont = doc["metadata"].get("continue")
            if pages == 2:
                for n in ("aaa-early", "zzz-late"):
                    c1.upsert(pod("default", f"{n}-{pages}"))
                    added.append(("c1", "default", f"{n}-{pages}"))
                for v in victims:
                    c1.delete("pods", v[1], v[2])
                time.sleep(1.5)   # let pediad sync the changes
            if not cont:
                break
            assert pages < 200
    finally:
        for k in added:
            c1.delete("pods", k[1], k[2])
        for v in victims:
            c1.upsert(pod(v[1], v[2]))
    no_dups(seen, "paging under changes")
    survivors = stable - set(victims)
    assert survivors <= set(seen), \
        f"pods that existed throughout were skipped: " \
        f"{sorted(survivors - set(seen))[:5]}"
    assert wait_until(lambda: world.served("", "pods") ==
                      world.truth("", "pods"), 20, what="restore synced")


# ------------------------------------------------------------ one cluster

def test_pods_of_one_cluster_and_namespace(world, kubectl):
    truth = world.truth("", "pods", {"c1"})
    ns = sorted({k[1] for k in truth})[1]
    out = kubectl.ok("--cluster", "c1", "get", "pods", "-n", ns)
    header, rows = table_dicts(out)
    assert header == ["CLUSTER", "NAME", "READY", "STATUS", "RESTARTS",
                      "AGE"], out[:300]
    assert {r["CLUSTER"] for r in rows} == {"c1"}
    names = [r["NAME"] for r in rows]
    no_dups(names, f"c1 pods in {ns}")
    assert set(names) == {k[2] for k in truth if k[1] == ns}, out
    assert all(r["STATUS"] for r in rows)


def test_get_pod_yaml_has_cluster_annotation(world, kubectl):
    m = world.members["c1"]
    ns, name = sorted(m.names("pods"))[3].split("/")
    out = kubectl.ok("--cluster", "c1", "get", "pod", name, "-n", ns,
                     "-o", "yaml")
    obj = yaml.safe_load(out)
    assert obj["apiVersion"] == "v1" and obj["kind"] == "Pod", out[:300]
    md = obj["metadata"]
    assert (md["namespace"], md["name"]) == (ns, name)
    assert md["annotations"][CLUSTER_ANN] == "c1", md.get("annotations")
    truth = m.api_get(f"/api/v1/namespaces/{ns}/pods/{name}")
    assert md["uid"] == truth["metadata"]["uid"]
    assert md.get("labels") == truth["metadata"].get("labels")
    assert obj["spec"]["nodeName"] == truth["spec"]["nodeName"]
    assert [c["image"] for c in obj["spec"]["containers"]] == \
        [c["image"] for c in truth["spec"]["containers"]]
    assert md.get("resourceVersion", "").isdigit(), md


def test_nodes_cluster_scoped(world, kubectl):
    out = kubectl.ok("--cluster", "clusterpedia", "get", "nodes")
    header, rows = table_dicts(out)
    assert header == ["CLUSTER", "NAME", "STATUS", "ROLES", "AGE",
                      "VERSION"], out[:300]
    ks = [(r["CLUSTER"], "", r["NAME"]) for r in rows]
    no_dups(ks, "get nodes")
    assert set(ks) == world.truth("", "nodes"), out


# ------------------------------------------------------------ discovery

def api_resources(kubectl, *args):
    out = kubectl.ok(*args, "api-resources")
    header, rows = table_dicts(out)
    assert header[:1] == ["NAME"] and "KIND" in header, out[:300]
    return header, {(r["NAME"], r["APIVERSION"]): r for r in rows}, out


def test_api_resources(world, kubectl):
    header, res, out = api_resources(kubectl, "--cluster", "clusterpedia")
    assert header == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED",
                      "KIND"], out[:300]
    want = {("pods", "v1"): ("po", "true", "Pod"),
            ("services", "v1"): ("svc", "true", "Service"),
            ("namespaces", "v1"): ("ns", "false", "Namespace"),
            ("nodes", "v1"): ("no", "false", "Node"),
            ("configmaps", "v1"): ("cm", "true", "ConfigMap"),
            ("deployments", "apps/v1"): ("deploy", "true", "Deployment"),
            ("replicasets", "apps/v1"): ("rs", "true", "ReplicaSet"),
            ("daemonsets", "apps/v1"): ("ds", "true", "DaemonSet")}
    for k, (short_, nsd, kind) in want.items():
        assert k in res, f"{k} missing from api-resources:\n{out}"
        r = res[k]
        assert (r["SHORTNAMES"], r["NAMESPACED"], r["KIND"]) == \
            (short_, nsd, kind), r
    # Only c1 syncs secrets (core wildcard): the union has them, c2 not.
    assert ("secrets", "v1") in res, out
    _, res2, out2 = api_resources(kubectl, "--cluster", "c2")
    assert ("pods", "v1") in res2 and ("secrets", "v1") not in res2, out2
    # Read-only verbs.
    out = kubectl.ok("--cluster", "clusterpedia", "api-resources", "-o",
                     "wide")
    header, rows = table_dicts(out)
    pods = [r for r in rows if r["NAME"] == "pods"][0]
    # kubectl >= 1.30 joins verbs with commas, older ones print [a b c].
    assert re.sub(r"[\[\],]", " ", pods["VERBS"]).split() == \
        ["get", "list", "watch"], pods
    # The root context serves PediaCluster objects.
    _, root, out = api_resources(kubectl)
    assert ("pediaclusters", "cluster.clusterpedia.io/v1alpha2") in root, out
    assert root[("pediaclusters", "cluster.clusterpedia.io/v1alpha2")][
        "NAMESPACED"] == "false"


# ------------------------------------------------------------ output forms

def member_pods(world, cname):
    m = world.members[cname]
    return {(cname, p["metadata"]["namespace"], p["metadata"]["name"]): p
            for p in m.api_get("/api/v1/pods")["items"]}


def test_wide_output(world, kubectl):
    out = kubectl.ok("--cluster", "clusterpedia", "get", "pods", "-A", "-o",
                     "wide")
    header, rows = table_dicts(out)
    assert header == POD_HEADER_A + ["IP", "NODE", "NOMINATED NODE",
                                     "READINESS GATES"], out[:400]
    truth = {}
    for c in world.active():
        truth.update(member_pods(world, c))
    assert set(keys(rows)) == set(truth)
    for k, r in zip(keys(rows), rows):
        p = truth[k]
        st = p.get("status", {})
        ip = (st.get("podIPs") or [{}])[0].get("ip") or "<none>"
        assert r["IP"] == ip, (k, r, "printer: IP = status.podIPs[0].ip")
        assert r["NODE"] == (p["spec"].get("nodeName") or "<none>"), (k, r)


def test_show_labels(world, kubectl):
    out = kubectl.ok("--cluster", "clusterpedia", "get", "pods", "-A",
                     "--show-labels")
    header, rows = table_dicts(out)
    assert header == POD_HEADER_A + ["LABELS"], out[:400]
    truth = {}
    for c in world.active():
        truth.update(member_pods(world, c))
    assert set(keys(rows)) == set(truth)
    for k, r in zip(keys(rows), rows):
        labels = truth[k]["metadata"].get("labels") or {}
        want = ",".join(f"{a}={b}" for a, b in sorted(labels.items())) \
            or "<none>"
        assert r["LABELS"] == want, (k, r["LABELS"], want)


# ------------------------------------------------------------ watch

def test_watch_prints_change(world, kubectl, tmp_path):
    out_path = str(tmp_path / "watch.out")
    w = kubectl.popen("--cluster", "clusterpedia", "get", "pods", "-A", "-w",
                      out_path=out_path)
    name = f"e2e-watch-{int(time.time() * 1000) % 10**8}"
    try:
        total = len(world.truth("", "pods"))

        def listed():
            with open(out_path) as f:
                return len(f.read().splitlines()) >= total + 1
        assert wait_until(listed, 30, what="initial list of get -w"), \
            "kubectl get -w never printed the initial list:\n" + \
            short(open(out_path).read())
        world.members["c2"].upsert(pod("default", name,
                                       labels={"app": "e2e-watch"}))

        def seen():
            with open(out_path) as f:
                return [l for l in f.read().splitlines() if name in l]
        lines = wait_until(seen, 20, interval=0.2, what="watch event")
        assert lines, f"kubectl get pods -A -w did not print {name} " \
            f"within 20 s:\n" + short(open(out_path).read()[-2000:])
        cells = lines[0].split()
        assert cells[:3] == ["default", "c2", name], lines
        assert w.poll() is None, "kubectl -w exited:\n" + \
            open(out_path).read()[-2000:]
    finally:
        w.kill()
        w.wait(10)
        log("[kubectl get pods -A -w output, tail]\n" +
            open(out_path).read()[-1500:])
        try:
            world.members["c2"].delete("pods", "default", name)
        except Exception:
            pass
    # Wait until the deletion is synced so later tests see the truth.
    assert wait_until(lambda: world.served("", "pods") ==
                      world.truth("", "pods"), 20, what="delete synced")


def test_live_deployment_change_shows(world, kubectl):
    """A deployment scaled in a member shows its new READY within 20 s
    (apps/v1 changes arrive through the member's watch, not the first
    list)."""
    c1 = world.members["c1"]
    c1.upsert(deployment("default", "nginx", 5))
    try:
        def row():
            out = kubectl.ok("--cluster", "c1", "get", "deployment", "nginx",
                             "-n", "default")
            _, rows = table_dicts(out)
            return rows[0] if rows and rows[0]["READY"] == "5/5" else None
        got = wait_until(row, 20, interval=0.5, what="scaled deployment")
        last = kubectl.run("--cluster", "c1", "get", "deployment", "nginx",
                           "-n", "default")
        assert got, "c1 default/nginx scaled 3 -> 5 in the member, still " \
            f"not shown after 20 s:\n{last.stdout}{last.stderr}"
        assert got["UP-TO-DATE"] == "5" and got["AVAILABLE"] == "5", got
    finally:
        c1.upsert(deployment("default", "nginx", 3))
