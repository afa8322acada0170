"""Scenario 6: authorization (issue 15) with the real kubectl and the
official Python client over the three kubesim members.

The admin (the generated token, system:masters) grants team-a one
namespace in every cluster with pediad's own RBAC (kubectl apply); the
team-a user is then driven by the admin's `kubectl --as team-a` (and the
Python client's Impersonate-User header): every search it makes answers
exactly the members' truth in that namespace — lists, chunked lists,
label-form and URL-form searches, a collection, get by name, a watch
while objects change in allowed and forbidden places — `kubectl auth
can-i` and `whoami` answer for it, and deleting the binding while a
watch runs ends the watch and the next list is refused.
"""
import json
import os
import time

import pytest

from conftest import (CLUSTER_ANN, RES, item_key, log, parse_table, pod,
                      short, wait_until)

AS = ("--as", "team-a")


@pytest.fixture(scope="module")
def team_ns(world, kubectl):
    """The namespace granted: one that holds pods in every member."""
    truth = world.truth("", "pods")
    per = {}
    for c, ns, _ in truth:
        per.setdefault(ns, set()).add(c)
    ns = sorted(n for n, cs in per.items()
                if cs == set(world.active()) and n.startswith("ns-"))[0]
    path = os.path.join(world.workdir, "team-a.yaml")
    with open(path, "w") as f:
        f.write(f"""\
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: reader, namespace: {ns}}}
rules:
- apiGroups: ["", apps]
  resources: [pods, deployments]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: team-a, namespace: {ns}}}
subjects: [{{kind: User, name: team-a}}]
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: collections}}
rules:
- apiGroups: [clusterpedia.io]
  resources: [collectionresources]
  verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: team-a-collections}}
subjects: [{{kind: User, name: team-a}}]
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole,
          name: collections}}
""")
    kubectl.ok("apply", "-f", path)
    world.team_yaml = path
    return ns


def rows(out):
    """(cluster, ns, name) of a `get -A` table."""
    head, body = parse_table(out)
    i = {h: n for n, h in enumerate(head)}
    return {(r[i["CLUSTER"]], r[i["NAMESPACE"]], r[i["NAME"]]) for r in body}


def test_list_is_exactly_the_grant(world, kubectl, team_ns):
    truth = {k for k in world.truth("", "pods") if k[1] == team_ns}
    out = kubectl.ok(*AS, "--cluster", "clusterpedia", "get", "pods", "-A")
    assert rows(out) == truth
    out = kubectl.ok(*AS, "--cluster", "clusterpedia", "get", "pods", "-A",
                     "--chunk-size=7")
    assert rows(out) == truth
    # the admin sees more
    out = kubectl.ok("--cluster", "clusterpedia", "get", "pods", "-A")
    assert rows(out) > truth


def test_searches_stay_inside_the_grant(world, kubectl, team_ns):
    truth = {k for k in world.truth("", "pods") if k[1] == team_ns}
    out = kubectl.ok(*AS, "--cluster", "clusterpedia", "get", "pods", "-A",
                     "-l", "search.clusterpedia.io/clusters in (c1,c2)")
    assert rows(out) == {k for k in truth if k[0] in ("c1", "c2")}
    out = kubectl.ok(*AS, "--cluster", "clusterpedia", "get", "pods", "-A",
                     "-l", "search.clusterpedia.io/namespaces=kube-system")
    assert rows(out) == set()
    raw = kubectl.ok(*AS, "--cluster", "clusterpedia", "get", "--raw",
                     RES + "/api/v1/pods?clusters=c3&limit=500")
    assert {item_key(i) for i in json.loads(raw)["items"]} == \
        {k for k in truth if k[0] == "c3"}
    # one cluster's root
    out = kubectl.ok(*AS, "--cluster", "c2", "get", "pods", "-n", team_ns)
    head, body = parse_table(out)
    name = head.index("NAME")
    assert {r[name] for r in body} == {k[2] for k in truth if k[0] == "c2"}


def test_collection_and_get_by_name(world, kubectl, team_ns):
    deploys = {k for k in world.truth("apps", "deployments")
               if k[1] == team_ns}
    raw = kubectl.ok(*AS, "get", "--raw",
                     "/apis/clusterpedia.io/v1beta1/collectionresources/"
                     "workloads?limit=500")
    items = json.loads(raw)["items"]
    assert deploys and {item_key(i) for i in items
                        if i["kind"] == "Deployment"} == deploys
    assert all(i["metadata"]["namespace"] == team_ns for i in items)
    other = sorted(k for k in world.truth("", "pods")
                   if k[1] != team_ns and k[1].startswith("ns-"))[0]
    r = kubectl.run(*AS, "--cluster", other[0], "get", "pod", "-n", other[1],
                    other[2])
    assert r.returncode != 0 and "forbidden" in r.stderr.lower(), r.stderr
    mine = sorted(k for k in world.truth("", "pods") if k[1] == team_ns)[0]
    kubectl.ok(*AS, "--cluster", mine[0], "get", "pod", "-n", team_ns,
               mine[2])


def test_can_i_and_whoami(world, kubectl, team_ns):
    r = kubectl.run(*AS, "--cluster", "c1", "auth", "can-i", "list", "pods",
                    "-n", team_ns)
    assert r.stdout.strip() == "yes", r.stdout + r.stderr
    r = kubectl.run(*AS, "--cluster", "c1", "auth", "can-i", "list", "pods",
                    "-n", "kube-system")
    assert r.stdout.strip() == "no", r.stdout + r.stderr
    out = kubectl.ok(*AS, "auth", "whoami", "-o", "json")
    assert json.loads(out)["status"]["userInfo"]["username"] == "team-a"


def test_python_client_as_team_a(world, team_ns):
    kubernetes = pytest.importorskip("kubernetes")
    from kubernetes import client, config
    world.wait_kubeconfig()
    api = config.new_client_from_config(config_file=world.pediad.kubeconfig,
                                        context="clusterpedia")
    api.set_default_header("Impersonate-User", "team-a")
    v1 = client.CoreV1Api(api)
    got, tok = [], None
    while True:
        kw = {"limit": 5, "_request_timeout": 30}
        if tok:
            kw["_continue"] = tok
        resp = v1.list_pod_for_all_namespaces(**kw)
        got.extend((p.metadata.annotations[CLUSTER_ANN], p.metadata.namespace,
                    p.metadata.name) for p in resp.items)
        tok = resp.metadata._continue
        if not tok:
            break
    assert set(got) == {k for k in world.truth("", "pods")
                        if k[1] == team_ns}
    assert len(got) == len(set(got))
    with pytest.raises(kubernetes.client.rest.ApiException) as e:
        v1.list_namespaced_pod("kube-system", _request_timeout=30)
    assert e.value.status == 403


def test_watch_then_revocation(world, kubectl, team_ns):
    """A watch shows changes in the granted namespace only; deleting the
    binding ends it, and the next list is refused."""
    out_path = os.path.join(world.workdir, "watch-team-a.out")
    p = kubectl.popen(*AS, "--cluster", "clusterpedia", "get", "pods", "-A",
                      "-w", "--output-watch-events", "--no-headers",
                      out_path=out_path)
    try:
        time.sleep(2)  # the initial state is out
        world.members["c1"].upsert(pod(team_ns, "seen-by-team-a"))
        world.members["c1"].upsert(pod("kube-system", "hidden-from-team-a"))
        assert wait_until(lambda: "seen-by-team-a" in open(out_path).read(),
                          30, what="the allowed change in the watch")
        t0 = time.monotonic()
        kubectl.ok("delete", "-f", world.team_yaml)
        assert wait_until(lambda: p.poll() is not None, 30,
                          what="the watch ends after the revocation")
        log(f"[authz] watch ended {time.monotonic() - t0:.2f}s after the "
            f"binding was deleted")
        text = open(out_path).read()
        assert "hidden-from-team-a" not in text, short(text)
    finally:
        if p.poll() is None:
            p.kill()
    r = kubectl.run(*AS, "--cluster", "clusterpedia", "get", "pods", "-A")
    assert r.returncode != 0 and "forbidden" in r.stderr.lower(), r.stderr
