"""Scenario 4: what users see when they get it wrong (or attack).

401 on a wrong token, 400 naming the problem for malformed parameters, no
500 and no SQL/internal error leaking for SQL metacharacters in any
parameter (and the data intact afterwards), oversized requests refused, and
405 for writes to synced resources.
"""
import base64
import json
import os
import re
import shutil
import subprocess
import urllib.parse

import pytest

from conftest import CHECKED, PC_PATH, RES, log, short

CURL = shutil.which("curl") or "/usr/bin/curl"
PODS = RES + "/api/v1/pods"
DEPLOYS = RES + "/apis/apps/v1/deployments"


def q(path, **params):
    return path + "?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


def status_of(body):
    try:
        st = json.loads(body)
    except ValueError:
        return None
    return st if isinstance(st, dict) and st.get("kind") == "Status" else None


# ------------------------------------------------------------ 401

def test_wrong_token_is_401(world, kubectl):
    r = kubectl.run("--token", "not-the-token", "--cluster", "clusterpedia",
                    "get", "pods", "-A")
    assert r.returncode != 0, r.stdout
    assert "You must be logged in to the server" in r.stderr or \
        "Unauthorized" in r.stderr, r.stderr[-800:]
    assert r.stdout == "", "rows printed without credentials"
    for tok in ("not-the-token", None, world.pediad.token()[:-1]):
        st, hdrs, body = world.pediad.request("GET", PODS, token=tok)
        assert st == 401, (tok, st, short(body))
        s = status_of(body)
        assert s and s["code"] == 401 and s["reason"] == "Unauthorized", body
        assert hdrs.get("content-type", "").startswith("application/json")
        assert "items" not in body


# ------------------------------------------------------------ 400

MALFORMED = [
    # (query parameters, words the message must contain (any of))
    ({"labelSelector": "a in (b"}, ["labelSelector", "label selector", "a in (b"]),
    ({"labelSelector": "=x"}, ["labelSelector", "label selector", "=x"]),
    ({"labelSelector": "a>b"}, ["labelSelector", "label selector", "a>b"]),
    ({"labelSelector": "app=a b"}, ["labelSelector", "label selector", "a b"]),
    ({"labelSelector": "search.clusterpedia.io/orderby=bogus_desc"},
     ["orderby", "bogus"]),
    ({"labelSelector": "search.clusterpedia.io/since=yesterday"},
     ["since", "yesterday"]),
    # A bare key is Clusterpedia's "field exists" (enhanced field selector),
    # not an error; an unfinished set is.
    ({"fieldSelector": "metadata.name in (a"},
     ["fieldSelector", "field selector", "metadata.name"]),
    ({"fieldSelector": "=x"}, ["fieldSelector", "field selector", "=x"]),
    ({"fieldSelector": "metadata.name=a=b"},
     ["fieldSelector", "field selector", "metadata.name=a=b"]),
    ({"limit": "abc"}, ["limit"]),
    ({"limit": "1x"}, ["limit"]),
    ({"limit": "99999999999999999999999"}, ["limit"]),
    ({"orderby": "bogus"}, ["orderby", "bogus"]),
    ({"orderby": "name asc desc"}, ["orderby"]),
    ({"orderby": "name sideways"}, ["orderby", "sideways"]),
    ({"since": "not-a-time"}, ["since", "not-a-time"]),
]


@pytest.mark.parametrize("params,words", MALFORMED,
                         ids=[json.dumps(p) for p, _ in MALFORMED])
def test_malformed_parameter_is_400(world, params, words):
    path = q(PODS, **params)
    st, hdrs, body = world.pediad.request("GET", path)
    assert st == 400, f"GET {path} -> {st} {short(body, 400)}"
    s = status_of(body)
    assert s, f"not a Status: {short(body, 300)}"
    assert s["code"] == 400 and s["reason"] == "BadRequest", s
    assert any(w.lower() in s["message"].lower() for w in words), \
        f"GET {path}: message does not name the problem ({words}): " \
        f"{s['message']!r}"
    assert hdrs.get("content-type", "").startswith("application/json")


def test_malformed_selector_through_kubectl(world, kubectl):
    r = kubectl.run("--cluster", "clusterpedia", "get", "pods", "-A", "-l",
                    "a in (b")
    assert r.returncode != 0
    assert "BadRequest" in r.stderr and "a in (b" in r.stderr, r.stderr
    r = kubectl.run("--cluster", "clusterpedia", "get", "pods", "-A",
                    "--field-selector", "metadata.name=a=b")
    assert r.returncode != 0, "kubectl --field-selector metadata.name=a=b " \
        f"listed {len(r.stdout.splitlines()) - 1} rows instead " \
        "of failing with BadRequest"
    assert "BadRequest" in r.stderr or "invalid" in r.stderr.lower(), \
        r.stderr


# ------------------------------------------------------------ SQL

SQL = [
    "'", "''", "' OR '1'='1", "x' OR 1=1 --", "x'; DROP TABLE resources; --",
    '" OR ""="', "%", "_", "%%", "\\", "\\'", "*/", "/*", "`", ";", "--",
    "x) OR (1=1", "' UNION SELECT sqlite_version() --",
    "1; SELECT pg_sleep(5)", "$1", "?", "%' OR 1=1 --", "\u00fc'\u2019",
    "a\x00b", "' || (SELECT name FROM sqlite_master) || '",
]
LEAK = re.compile(r"sqlite|syntax error|near \"|no such (table|column)|"
                  r"unrecognized token|pq:|postgres|SQLSTATE|"
                  r"unterminated quoted|"
                  r"\bSELECT\b|\bFROM\b|\bWHERE\b|segmentation|panic|"
                  r"\.c:\d+", re.I)


def strip_payload(text, p):
    """Removes echoes of the user's own input (whole, or a quoted token of
    it as parsers report: found 'SELECT') before looking for leaks."""
    text = re.sub(r"'([^']*)'|\"([^\"]*)\"",
                  lambda m: "" if (m.group(1) or m.group(2) or "") in p
                  else m.group(0), text)
    for form in {p, json.dumps(p)[1:-1], urllib.parse.quote(p),
                 urllib.parse.quote(p, safe=""), repr(p)[1:-1]}:
        if form:
            text = text.replace(form, "")
    return text


def sql_requests(p):
    """(description, path, 'none' if a 200 must list nothing)."""
    enc = lambda s: urllib.parse.quote(s, safe="")  # noqa: E731
    reqs = [
        ("labelSelector value", q(PODS, labelSelector=f"app={p}"), "none"),
        ("labelSelector in", q(PODS, labelSelector=f"app in ({p})"), "none"),
        ("labelSelector key", q(PODS, labelSelector=f"{p}=x"), "none"),
        ("search label names", q(PODS, labelSelector=
                                 f"search.clusterpedia.io/names={p}"), "none"),
        ("search label clusters", q(PODS, labelSelector=
                                    f"search.clusterpedia.io/clusters in "
                                    f"({p})"), "none"),
        ("search label orderby", q(PODS, labelSelector=
                                   f"search.clusterpedia.io/orderby={p}"),
         None),
        ("names=", q(PODS, names=p), "none"),
        ("names= with a real one", q(PODS, names=f"nginx,{p}"), None),
        ("namespaces=", q(PODS, namespaces=p), "none"),
        ("clusters=", q(PODS, clusters=p), "none"),
        ("ownerName=", q(PODS, clusters="c1", ownerName=p), "none"),
        ("ownerUID=", q(PODS, clusters="c1", ownerUID=p), "none"),
        ("since=", q(PODS, since=p), None),
        ("orderby=", q(PODS, orderby=p), None),
        ("orderby second", q(PODS, orderby=f"name,{p}"), None),
        ("orderby json path", q(PODS, orderby=f"metadata.labels['{p}']"),
         None),
        ("fieldSelector name", q(PODS, fieldSelector=f"metadata.name={p}"),
         "none"),
        ("fieldSelector ns",
         q(PODS, fieldSelector=f"metadata.namespace=={p}"), "none"),
        ("fieldSelector key", q(PODS, fieldSelector=f"{p}=x"), None),
        ("fieldSelector path",
         q(PODS, fieldSelector=f"spec.nodeName={p}"), "none"),
        ("continue", q(PODS, limit="5", **{"continue": p}), None),
        ("continue b64", q(PODS, limit="5", **{"continue": base64.
                                              urlsafe_b64encode(p.encode())
                                              .decode()}), None),
        ("namespace path", f"{RES}/api/v1/namespaces/{enc(p)}/pods", "none"),
        ("cluster path", f"{RES}/clusters/{enc(p)}/api/v1/pods", "none"),
        ("name path",
         f"{RES}/clusters/c1/api/v1/namespaces/default/pods/{enc(p)}", None),
        ("pediacluster name", f"{PC_PATH}/{enc(p)}", None),
    ]
    return reqs


def tampered_tokens(world):
    """A real continue token with SQL spliced into each of its fields."""
    doc = world.pediad.get_json(q(PODS, limit="3"))
    tok = doc["metadata"].get("continue")
    if not tok:
        return []
    pad = "=" * (-len(tok) % 4)
    try:
        inner = json.loads(base64.urlsafe_b64decode(tok + pad))
    except ValueError:
        return [tok[:-2] + "'--", "' OR 1=1 --" + tok]
    out = []
    for k, v in inner.items():
        t = dict(inner)
        if isinstance(v, list):
            t[k] = [x if i else "' OR 1=1 --" for i, x in enumerate(v)]
            t2 = dict(inner)
            t2[k] = v[:-1] + ["zzz' OR '1'='1"] if v else v
            out.append(t2)
        elif isinstance(v, int):
            t[k] = "1 OR 1=1"
        else:
            t[k] = "' OR 1=1 --"
        out.append(t)
    return [base64.urlsafe_b64encode(json.dumps(t).encode()).decode()
            .rstrip("=") for t in out]


def wildcard_cases(world):
    """LIKE/GLOB wildcards must be literal: a real name or label value with
    one character replaced by _ or ? (or a suffix by % or *) matches
    nothing."""
    _, ns, name = sorted(k for k in world.truth("", "pods") if k[0] == "c1")[0]
    app = name.split("-")[0]                       # label app=<app>
    fakes = [name[:-1] + "_", name[:-1] + "?", name[:-3] + "%",
             name[:-3] + "*", name.replace("-", "_"), name.replace("-", "%")]
    out = []
    for f in fakes:
        out += [(f, "names= wildcard", q(PODS, names=f), "none"),
                (f, "fieldSelector wildcard",
                 q(PODS, fieldSelector=f"metadata.name={f}"), "none"),
                (f, "namespaces= wildcard",
                 q(PODS, namespaces=ns[:-1] + "_"), "none")]
    lab = app[0] + "_" + app[2:]
    out += [(lab, "label value wildcard", q(PODS, labelSelector=f"app={lab}"),
             "none"),
            (lab, "fuzzy-name wildcard",
             q(PODS, labelSelector="internalstorage.clusterpedia.io/"
               f"fuzzy-name={name[2:8].replace('-', '_')}"), "none"),
            ("c_", "clusters= wildcard", q(PODS, clusters="c_"), "none")]
    return out


def test_wildcard_positive_controls(world):
    """The exact forms of the wildcard cases above do match (so "matches
    nothing" there means something)."""
    _, ns, name = sorted(k for k in world.truth("", "pods") if k[0] == "c1")[0]
    app = name.split("-")[0]
    for path, low in [
            (q(PODS, names=name), 1),
            (q(PODS, fieldSelector=f"metadata.name={name}"), 1),
            (q(PODS, namespaces=ns), 2),
            (q(PODS, labelSelector=f"app={app}"), 1),
            (q(PODS, labelSelector="internalstorage.clusterpedia.io/"
               f"fuzzy-name={name[2:8]}"), 1),
            (q(PODS, clusters="c1"), 2)]:
        doc = world.pediad.get_json(path)
        assert len(doc["items"]) >= low, f"GET {path}: {len(doc['items'])}"
        if "names=" in path or "metadata.name" in path:
            assert [i["metadata"]["name"] for i in doc["items"]] == [name]


def counts(world):
    return {r: len(world.served(g, r)) for g, r in CHECKED}


def test_sql_metacharacters(world):
    before = counts(world)
    truth = {r: len(world.truth(g, r)) for g, r in CHECKED}
    assert before == truth
    problems = []
    seen = 0
    cases = [(p, d, path, expect) for p in SQL
             for d, path, expect in sql_requests(p)]
    cases += wildcard_cases(world)
    cases += [("<token>", "tampered continue", q(PODS, limit="3",
                                                 **{"continue": t}), None)
              for t in tampered_tokens(world)]
    for p, desc, path, expect in cases:
        try:
            st, hdrs, body = world.pediad.request("GET", path)
        except Exception as e:    # a crash shows up as a dead connection
            problems.append(f"{desc} {p!r}: GET {path} -> {e!r}")
            if not world.pediad.alive():
                break
            continue
        seen += 1
        if st >= 500:
            problems.append(f"{desc} {p!r}: GET {path} -> {st} "
                            f"{short(body, 300)}")
            continue
        if st != 200:
            s = status_of(body)
            if not s:
                problems.append(f"{desc} {p!r}: {st} without a Status body:"
                                f" {short(body, 200)}")
                continue
            m = LEAK.search(strip_payload(s.get("message", ""), p))
            if m:
                problems.append(f"{desc} {p!r}: GET {path} -> {st} leaks "
                                f"{m.group(0)!r}: {s.get('message')!r}")
            continue
        if expect == "none":
            try:
                items = json.loads(body).get("items")
            except ValueError:
                problems.append(f"{desc} {p!r}: 200 not JSON")
                continue
            if items:
                problems.append(f"{desc} {p!r}: GET {path} -> 200 with "
                                f"{len(items)} items (filter must match "
                                f"nothing)")
    assert world.pediad.alive(), "pediad died: " + \
        short(world.pediad.stderr()[-2000:], 2000)
    after = counts(world)
    assert after == before, f"row counts changed: {before} -> {after}"
    assert world.synced(), "pediad no longer serves the members' truth"
    pcs = world.pediad.get_json(PC_PATH)["items"]
    assert sorted(i["metadata"]["name"] for i in pcs) == \
        sorted(world.active())
    assert not problems, f"{len(problems)} of {len(cases)} requests " \
        "misbehaved:\n" + "\n".join(problems[:40])


@pytest.mark.parametrize("name", ["does-not-exist", "a b", "x,y", "x=y",
                                  "x;y", "' OR '1'='1", "x\\,y", "%"])
def test_get_unknown_name_is_404(world, name):
    """GET by a name that does not exist is a plain NotFound, whatever the
    characters (kube does not validate names on GET)."""
    path = f"{RES}/clusters/c1/api/v1/namespaces/default/pods/" + \
        urllib.parse.quote(name, safe="")
    st, _, body = world.pediad.request("GET", path)
    s = status_of(body)
    assert st == 404 and s and s["reason"] == "NotFound", \
        f"GET {path} -> {st} {short(body, 300)}"
    assert s["message"] == f'pods "{name}" not found', s["message"]


# ------------------------------------------------------------ oversized

def curl(world, url, *extra):
    if not os.access(CURL, os.X_OK):
        pytest.skip("curl not found")
    r = subprocess.run(
        [CURL, "-sS", "--max-time", "30", "-o", "-", "-w",
         "\n%{http_code}", "--cacert", world.pediad.ca(), "-H",
         "Authorization: Bearer " + world.pediad.token(), *extra, url],
        capture_output=True, timeout=60)
    out = r.stdout.decode("utf-8", "replace")
    body, _, code = out.rpartition("\n")
    return int(code or 0), body, r.stderr.decode("utf-8", "replace")


def test_oversized_requests_refused(world, tmp_path):
    base = world.pediad.url
    big = tmp_path / "big.json"
    obj = {"apiVersion": "cluster.clusterpedia.io/v1alpha2",
           "kind": "PediaCluster", "metadata": {"name": "huge"},
           "spec": {"apiserver": "https://127.0.0.1:9", "syncResources": [],
                    "pad": "x" * (4 << 20)}}
    big.write_text(json.dumps(obj))
    results = []
    code, body, err = curl(world, base + PC_PATH, "-X", "POST", "-H",
                           "Content-Type: application/json",
                           "--data-binary", f"@{big}")
    results.append(("4 MiB POST pediaclusters", code, body, err))
    code, body, err = curl(world, base + PODS + "?labelSelector=app%3D" +
                           "a" * (64 << 10))
    results.append(("64 KiB URL", code, body, err))
    code, body, err = curl(world, base + RES + "/api/v1/namespaces/" +
                           "n" * (64 << 10) + "/pods")
    results.append(("64 KiB path", code, body, err))
    hdrs = []
    for i in range(4):
        hdrs += ["-H", f"X-Filler-{i}: " + "h" * (24 << 10)]
    code, body, err = curl(world, base + PODS, *hdrs)
    results.append(("96 KiB of headers", code, body, err))
    for d, c, b, e in results:
        log(f"[oversized] {d}: {c} {short(b, 200)} {e.strip()}")
    bad = [(d, c, short(b, 200), e) for d, c, b, e in results
           if c not in (400, 413, 414, 431)]
    assert world.pediad.alive(), "pediad died on an oversized request"
    st, _, _ = world.pediad.request("GET", "/version")
    assert st == 200
    names = [i["metadata"]["name"] for i in
             world.pediad.get_json(PC_PATH)["items"]]
    assert "huge" not in names
    assert not bad, f"not refused with 400/413/414/431: {bad}"
    for d, c, b, e in results:
        assert status_of(b), f"{d}: {c} without a Status body: {short(b)}"


# ------------------------------------------------------------ 405

def test_writes_to_synced_resources_are_405(world, kubectl):
    r = kubectl.run("--cluster", "clusterpedia", "delete", "pod", "x")
    assert r.returncode != 0
    assert "MethodNotAllowed" in r.stderr, r.stderr
    m = world.members["c1"]
    ns, name = sorted(m.names("pods"))[0].split("/")
    r = kubectl.run("--cluster", "c1", "delete", "pod", name, "-n", ns)
    assert r.returncode != 0 and "MethodNotAllowed" in r.stderr, r.stderr
    path = f"{RES}/clusters/c1/api/v1/namespaces/{ns}/pods/{name}"
    for method, p, body in [
            ("DELETE", path, None),
            ("PUT", path, json.dumps({"apiVersion": "v1", "kind": "Pod",
                                      "metadata": {"name": name}})),
            ("PATCH", path, "{}"),
            ("POST", f"{RES}/clusters/c1/api/v1/namespaces/{ns}/pods",
             json.dumps({"apiVersion": "v1", "kind": "Pod",
                         "metadata": {"name": "new"}})),
            ("DELETE", f"{RES}/api/v1/namespaces/{ns}/pods", None)]:
        ct = "application/merge-patch+json" if method == "PATCH" else \
            "application/json"
        st, _, out = world.pediad.request(method, p, body=body,
                                          headers={"Content-Type": ct})
        s = status_of(out)
        assert st == 405 and s and s["reason"] == "MethodNotAllowed", \
            f"{method} {p} -> {st} {short(out, 300)}"
    # Nothing was deleted.
    obj = world.pediad.get_json(path)
    assert obj["metadata"]["name"] == name
    assert f"{ns}/{name}" in m.names("pods")
