"""Scenario 8: the Webhook authorization mode with the real kubectl.

A SubjectAccessReview server (tests/pediad/sar_server.py, plain HTTP on
127.0.0.1, a bearer token) stands in for the host kube-apiserver; a
second pediad runs over the same three members with
`--authorization-mode RBAC,Webhook --authorization-kubeconfig` pointing at
it. pediad's own RBAC holds only the bootstrap roles (discovery, reviews),
so what the user `hooked` (the admin's `kubectl --as hooked`) may read is
the webhook's answer, asked with Clusterpedia's outer attributes below a
search root: the webhook allows cluster c1's root and reading
PediaClusters, explicitly denies c2's root and deleting PediaClusters, and
has no opinion about anything else (c3, the all-clusters root, any other
user). Allowed gets, lists and a watch succeed with the members' truth
(the webhook is a gate, not a filter); denied ones are kube's 403; `kubectl
auth can-i` answers what the webhook decides.
"""
import json
import os
import sys

import pytest

from conftest import log, parse_table, pod, short, wait_until

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "pediad"))
from sar_server import SarServer  # noqa: E402

USER = "hooked"
AS = ("--as", USER)
TOKEN = "sar-e2e-s3cret"
DENY_C2 = "c2 is closed to hooked (e2e host)"
DENY_DELETE = "PediaClusters are not deleted by hooked (e2e host)"


def decide(spec):
    """The host's policy: (allowed, denied, reason)."""
    if spec.get("user") != USER:
        return False, False, ""
    ra = spec.get("resourceAttributes") or {}
    if ra.get("group") == "clusterpedia.io" and \
            ra.get("resource") == "resources" and \
            ra.get("name") == "clusters":
        if ra.get("subresource") == "c1":
            return True, False, "c1 is open to hooked"
        if ra.get("subresource") == "c2":
            return False, True, DENY_C2
    if ra.get("group") == "cluster.clusterpedia.io" and \
            ra.get("resource") == "pediaclusters":
        if ra.get("verb") in ("get", "list", "watch"):
            return True, False, "hooked reads PediaClusters"
        if ra.get("verb") == "delete":
            return False, True, DENY_DELETE
    return False, False, ""


class WH:
    """The second pediad, its kubectl and the SAR server."""


@pytest.fixture(scope="module")
def wh(world):
    sar = SarServer(TOKEN, decide)
    kc_path = os.path.join(world.workdir, "authz.kubeconfig")
    with open(kc_path, "w") as f:
        f.write(sar.kubeconfig(TOKEN))
    try:
        p, kc = world.start_pediad(
            "pediad-webhook", "--authorization-mode", "RBAC,Webhook",
            "--authorization-kubeconfig", kc_path)
    except BaseException:
        sar.close()
        raise
    w = WH()
    w.sar, w.p, w.kc = sar, p, kc
    yield w
    rc, secs = p.stop()
    log(f"[webhook] pediad-webhook stopped: rc={rc} in {secs:.2f}s; "
        f"{len(sar.seen())} reviews")
    sar.close()
    assert TOKEN not in p.stderr() + read_out(p), \
        "the authorization kubeconfig's token is in pediad's log"


def read_out(p):
    with open(p.out, errors="replace") as f:
        return f.read()


def rows(out):
    head, body = parse_table(out)
    i = {h: n for n, h in enumerate(head)}
    return {(r[i["CLUSTER"]], r[i["NAMESPACE"]], r[i["NAME"]]) for r in body}


def reviews_of(wh, **attrs):
    """The reviews of user hooked whose resourceAttributes hold attrs."""
    return [s for s in wh.sar.seen() if s.get("user") == USER and
            all((s.get("resourceAttributes") or {}).get(k) == v
                for k, v in attrs.items())]


def forbidden(r, verb, resource, reason=None):
    """kube's 403 as kubectl prints it, with the webhook's reason when it
    denied explicitly."""
    assert r.returncode != 0 and not r.stdout.strip(), r.stdout
    assert r.stderr.startswith("Error from server (Forbidden): "), r.stderr
    assert f'User "{USER}" cannot {verb} resource "{resource}"' in r.stderr, \
        r.stderr
    if reason:
        assert reason in r.stderr, r.stderr


def test_allowed_cluster_lists_and_gets(world, wh):
    truth = world.truth("", "pods", {"c1"})
    out = wh.kc.ok(*AS, "--cluster", "c1", "get", "pods", "-A")
    assert rows(out) == truth
    out = wh.kc.ok(*AS, "--cluster", "c1", "get", "pods", "-A",
                   "--chunk-size=7")
    assert rows(out) == truth
    deps = world.truth("apps", "deployments", {"c1"})
    out = wh.kc.ok(*AS, "--cluster", "c1", "get", "deployments", "-A")
    assert rows(out) == deps
    one = sorted(truth)[0]
    out = wh.kc.ok(*AS, "--cluster", "c1", "get", "pod", "-n", one[1],
                   one[2], "-o", "json")
    assert json.loads(out)["metadata"]["name"] == one[2]
    # asked with the outer attributes, as Clusterpedia's hosts see them
    seen = reviews_of(wh, group="clusterpedia.io", resource="resources",
                      name="clusters", subresource="c1")
    assert seen, short(json.dumps(wh.sar.seen()[-5:]))
    assert "system:authenticated" in seen[-1]["groups"], seen[-1]


def test_denied_cluster_is_403(world, wh):
    r = wh.kc.run(*AS, "--cluster", "c2", "get", "pods", "-A")
    forbidden(r, "list", "pods", DENY_C2)
    one = sorted(world.truth("", "pods", {"c2"}))[0]
    r = wh.kc.run(*AS, "--cluster", "c2", "get", "pod", "-n", one[1], one[2])
    forbidden(r, "get", "pods", DENY_C2)
    assert reviews_of(wh, subresource="c2", name="clusters")
    # no opinion (c3, the all-clusters root) is a 403 too
    if "c3" in world.active():  # (test_5 deletes it in a whole-suite run)
        r = wh.kc.run(*AS, "--cluster", "c3", "get", "pods", "-A")
        forbidden(r, "list", "pods")
    r = wh.kc.run(*AS, "--cluster", "clusterpedia", "get", "pods", "-A")
    forbidden(r, "list", "pods")
    # another user, of whom the webhook has no opinion, reads nothing
    r = wh.kc.run("--as", "stranger", "--cluster", "c1", "get", "pods", "-A")
    assert r.returncode != 0 and "Forbidden" in r.stderr and \
        'User "stranger" cannot list resource "pods"' in r.stderr, r.stderr


def test_pediaclusters_at_the_root(world, wh):
    out = wh.kc.ok(*AS, "get", "pediaclusters")
    head, body = parse_table(out)
    assert {r[head.index("NAME")] for r in body} == set(world.active())
    assert reviews_of(wh, group="cluster.clusterpedia.io",
                      resource="pediaclusters", verb="list")
    wh.kc.ok(*AS, "get", "pediacluster", "c1", "-o", "name")
    r = wh.kc.run(*AS, "delete", "pediacluster", "c2")
    forbidden(r, "delete", "pediaclusters", DENY_DELETE)
    # still there
    wh.kc.ok("get", "pediacluster", "c2", "-o", "name")


def test_can_i_reflects_the_webhook(world, wh):
    def can(*args):
        # kubectl prints "no - <reason>" when the answer has a reason
        return wh.kc.run(*AS, "auth", "can-i", *args).stdout.strip()
    assert can("--cluster", "c1", "list", "pods", "-A") == "yes"
    assert can("--cluster", "c1", "get", "deployments", "-n",
               "kube-system") == "yes"
    assert can("--cluster", "c2", "list", "pods", "-A") == f"no - {DENY_C2}"
    if "c3" in world.active():
        assert can("--cluster", "c3", "list", "pods", "-A") == "no"
    assert can("list", "pediaclusters") == "yes"
    assert can("delete", "pediaclusters") == f"no - {DENY_DELETE}"
    out = wh.kc.ok(*AS, "auth", "whoami", "-o", "json")
    assert json.loads(out)["status"]["userInfo"]["username"] == USER


def test_watch_allowed_and_denied(world, wh):
    c1 = world.members["c1"]
    out_path = os.path.join(world.workdir, "watch-hooked.out")
    p = wh.kc.popen(*AS, "--cluster", "c1", "get", "pods", "-n", "default",
                    "-w", "--output-watch-events", "--no-headers",
                    out_path=out_path)
    try:
        # the watch's first list is out once kubectl printed it or, for
        # an empty namespace, after a moment
        wait_until(lambda: open(out_path).read(), 3,
                   what="the watch's initial state")
        assert p.poll() is None, open(out_path).read()
        c1.upsert(pod("default", "e2e-seen-by-hooked"))
        assert wait_until(lambda: "e2e-seen-by-hooked" in
                          open(out_path).read(), 30,
                          what="the change in the allowed watch")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(10)
        c1.delete("pods", "default", "e2e-seen-by-hooked")
    r = wh.kc.run(*AS, "--cluster", "c2", "get", "pods", "-n", "default",
                  "-w", timeout=30)
    forbidden(r, "list", "pods", DENY_C2)
