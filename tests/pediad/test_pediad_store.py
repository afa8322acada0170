#!/usr/bin/env python3
"""pediad and its store (issue 16), on the real binary with a kubesim
member (KUBESIM env var: its binary; skipped without it).

Usage: test_pediad_store.py PEDIAD_BINARY TEST_NAME   (or "all")

- change_log_retention: with --change-log-retention 10, a watch from a
  resourceVersion the log has since dropped gets kube's in-stream ERROR
  410 Expired Status, while one from a recent resourceVersion streams.
- sqlite_in_use: a second pediad on the SQLite file of a running one (by
  its path or a symbolic link) exits 1 at start naming the file and the
  owner's pid; the first keeps serving; once it stopped, the file opens.
- readyz_restart: pediad restarted over an SQLite store with two synced
  members, /readyz polled every 20 ms: from its first "ok", every GET of a
  stored pod through /clusters/<c>/... and through the search root
  answers 200, while the members answer slowly (before issue 16 they
  answered 404 until the engine had rediscovered the members' types and
  the API's cluster snapshot, taken every second, had caught up).
Exit 0 = pass, 1 = fail, 77 = skipped.
"""
import http.client
import json
import os
import subprocess
import ssl
import sys
import time

import test_pediad as base
from test_pediad import CURL, Fail, Kubesim, Server, check, curl, run, write

SKIP = 77
SEARCH = "/apis/clusterpedia.io/v1beta1/resources"


def get_json(s, path):
    code, body = curl(s.url + path, s.ca(), token=s.admin_token())
    check(code == 200, f"GET {path}: {code} {body[:300]}")
    return json.loads(body)


def wait_pods(s, n, timeout=60):
    """Wait until the search lists n pods; returns the list."""
    deadline = time.monotonic() + timeout
    got = None
    while time.monotonic() < deadline:
        got = get_json(s, SEARCH + "/api/v1/pods")
        if len(got["items"]) == n:
            return got
        time.sleep(0.2)
    raise Fail(f"{len(got['items']) if got else 0} pods synced, want {n}")


def list_rv(s):
    return int(get_json(s, SEARCH + "/api/v1/pods")["metadata"][
        "resourceVersion"])


def settled_rv(s, timeout=30):
    """The store's revision once it stood still for a second (the changes
    a member made before its churn stopped have all arrived)."""
    deadline = time.monotonic() + timeout
    rv, since = list_rv(s), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = list_rv(s)
        if now != rv:
            rv, since = now, time.monotonic()
        elif time.monotonic() - since >= 1:
            return rv
    raise Fail(f"the store's revision never settled (last {rv})")


def watch_events(s, rv, seconds):
    """The events a pod watch from rv streams in `seconds` (or until the
    server ends it), one decoded JSON object each."""
    r = subprocess.run(
        [CURL, "-sN", "--max-time", str(seconds), "--cacert", s.ca(), "-H",
         f"Authorization: Bearer {s.admin_token()}",
         f"{s.url}{SEARCH}/api/v1/pods?watch=1&resourceVersion={rv}"],
        capture_output=True, text=True, stdin=subprocess.DEVNULL,
        timeout=seconds + 10)
    check(r.returncode in (0, 28), f"watch: curl exit {r.returncode}")
    return [json.loads(line) for line in r.stdout.splitlines() if line]


def is_expired(ev):
    obj = ev.get("object", {})
    return (ev.get("type") == "ERROR" and obj.get("kind") == "Status" and
            obj.get("code") == 410 and obj.get("reason") == "Expired")


def member_dir(tmp, ks, name="m1"):
    cdir = os.path.join(tmp, "clusters")
    os.makedirs(cdir, exist_ok=True)
    write(os.path.join(cdir, name + ".yaml"), ks.manifest(name))
    return cdir


def test_change_log_retention(tmp):
    """The expired watch is the first watch: pediad's watch cache (a ring
    of the changes it has read since its first watch) would otherwise
    serve the dropped changes from memory, as kube's cacher serves what
    etcd has compacted."""
    retention = 10
    with Kubesim(tmp) as ks, Server(tmp, "--clusters-dir", member_dir(tmp, ks),
                                    "--change-log-retention",
                                    str(retention)) as s:
        wait_pods(s, 45)
        old_rv = settled_rv(s)
        # Push the log well past the retained window.
        ks.churn(60)
        rv = old_rv
        deadline = time.monotonic() + 60
        try:
            while time.monotonic() < deadline and rv <= old_rv + 3 * retention:
                time.sleep(0.2)
                rv = list_rv(s)
        finally:
            ks.churn(0)
        check(rv > old_rv + 3 * retention,
              f"the store reached revision {rv} only (from {old_rv})")
        rv = settled_rv(s)
        events = watch_events(s, old_rv, 10)
        check(len(events) == 1 and is_expired(events[0]),
              f"watch from {old_rv} after {rv}: want only a 410 Expired "
              f"ERROR, got {str(events)[:500]}")
        events = watch_events(s, rv - retention // 2, 2)
        check(events and not any(is_expired(e) for e in events),
              f"a watch within the window: {str(events)[:500]}")


def second_pediad(tmp, storage, n):
    """Start another pediad on storage; returns its completed process."""
    return run([base.PEDIAD, "--listen", "127.0.0.1:0", "--state-dir",
                os.path.join(tmp, f"state{n}"), "--clusters-dir",
                os.path.join(tmp, "clusters"), "--storage", storage])


def test_sqlite_in_use(tmp):
    db = os.path.join(tmp, "db", "store.db")
    os.mkdir(os.path.dirname(db))
    link = os.path.join(tmp, "link.db")
    os.symlink(db, link)
    with Kubesim(tmp) as ks:
        cdir = member_dir(tmp, ks)
        with Server(tmp, "--clusters-dir", cdir, "--storage",
                    "sqlite:" + db) as s:
            pod = wait_pods(s, 45)["items"][0]["metadata"]
            pod_path = (f"{SEARCH}/clusters/m1/api/v1/namespaces/"
                        f"{pod['namespace']}/pods/{pod['name']}")
            # its path, a symbolic link, an SQLite URI filename (%-encoded)
            uri = f"sqlite:file://{db[:-1]}%{ord(db[-1]):02X}?cache=private"
            for n, storage in enumerate(("sqlite:" + db, "sqlite:" + link,
                                         uri)):
                r = second_pediad(tmp, storage, n + 2)
                check(r.returncode == 1, f"second pediad on {storage}: exit "
                      f"{r.returncode}\n{r.stdout}{r.stderr}")
                check(f"--storage {storage}: the database file is in use by "
                      f"another pediad (pid {s.proc.pid})" in r.stderr,
                      f"second pediad's message: {r.stderr}")
                check("serving on" not in r.stdout, r.stdout)
            # The first is untouched: it serves and syncs as before.
            check(get_json(s, pod_path)["metadata"]["name"] == pod["name"],
                  "GET after the second pediad")
            check(curl(s.url + "/readyz", s.ca())[0] == 200, "first ready")
            wait_pods(s, 45, timeout=5)
        # Stopped, the lock is gone with it (its file stays, harmless).
        with Server(tmp, "--clusters-dir", cdir, "--storage",
                    "sqlite:" + link) as s:
            check(get_json(s, pod_path)["metadata"]["name"] == pod["name"],
                  "GET after a restart on the file")


class Conn:
    """One keep-alive HTTPS connection to a pediad (reopened on errors):
    polling every 20 ms leaves no time for a curl process per request."""

    def __init__(self, s, token=None):
        self.s, self.token, self.c = s, token, None

    def get(self, path):
        """(status, body); status 0 when the server could not be reached."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token \
            else {}
        try:
            if not self.c:
                ctx = ssl.create_default_context(cafile=self.s.ca())
                self.c = http.client.HTTPSConnection(
                    "127.0.0.1", self.s.port, context=ctx, timeout=10)
            self.c.request("GET", path, headers=headers)
            r = self.c.getresponse()
            return r.status, r.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            self.close()
            return 0, ""

    def close(self):
        if self.c:
            self.c.close()
        self.c = None


def stored_pods(s, per_cluster):
    """(cluster, namespace, name) of a few pods of each cluster, with names
    no other cluster has (the search root answers 409 for those)."""
    items = get_json(s, SEARCH + "/api/v1/pods")["items"]
    seen, picked = {}, {}
    for it in items:
        md = it["metadata"]
        key = (md["namespace"], md["name"])
        seen[key] = seen.get(key, 0) + 1
    for it in items:
        md = it["metadata"]
        c = md["annotations"]["shadow.clusterpedia.io/cluster-name"]
        if seen[(md["namespace"], md["name"])] == 1 and \
                len(picked.setdefault(c, [])) < per_cluster:
            picked[c].append((c, md["namespace"], md["name"]))
    return [p for c in sorted(picked) for p in picked[c]]


def pod_paths(pods):
    """Each pod's GET through its cluster and through the search root."""
    for c, ns, name in pods:
        tail = f"/api/v1/namespaces/{ns}/pods/{name}"
        yield name, f"{SEARCH}/clusters/{c}{tail}"
        yield name, SEARCH + tail


def first_ready(s, timeout=30):
    """Poll /readyz every 20 ms; the monotonic time of its first "ok"."""
    conn, deadline = Conn(s), time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            code, body = conn.get("/readyz")
            if code == 200 and body == "ok":
                return time.monotonic()
            time.sleep(0.02)
    finally:
        conn.close()
    raise Fail(f"/readyz never answered ok in {timeout} s:\n{s.stderr()}")


def gets_after_ready(s, pods, seconds):
    """GET every pod, both ways, over and over for `seconds` from the
    first ready; returns the failures as (ms after ready, path, status)."""
    ready = first_ready(s)
    conn, bad, rounds = Conn(s, s.admin_token()), [], 0
    try:
        while time.monotonic() - ready < seconds or rounds == 0:
            rounds += 1
            for name, path in pod_paths(pods):
                code, body = conn.get(path)
                ok = code == 200 and \
                    json.loads(body)["metadata"]["name"] == name
                if not ok:
                    bad.append((int((time.monotonic() - ready) * 1000), path,
                                code))
    finally:
        conn.close()
    return bad


def test_readyz_restart(tmp):
    db = os.path.join(tmp, "store.db")
    with Kubesim(tmp) as ks1, Kubesim(tmp, seed=4) as ks2:
        cdir = member_dir(tmp, ks1, "m1")
        member_dir(tmp, ks2, "m2")
        with Server(tmp, "--clusters-dir", cdir, "--storage",
                    "sqlite:" + db) as s:
            wait_pods(s, 90)
            pods = stored_pods(s, 4)
            state = s.state
        check({p[0] for p in pods} == {"m1", "m2"}, f"picked {pods}")
        # Slow members: the restarted engine learns their types from them
        # (discovery) only seconds later, so what is served before comes
        # from what the store holds.
        ks1.latency(1500)
        ks2.latency(1500)
        # Restarted with the manifests again, then from the store alone.
        for extra in (["--clusters-dir", cdir], []):
            with Server(tmp, *extra, "--storage", "sqlite:" + db,
                        state=state) as s:
                bad = gets_after_ready(s, pods, 2.0)
                check(not bad, f"restart {extra or 'from the store'}: "
                      f"{len(bad)} GETs failed after /readyz said ok, "
                      f"first {bad[:4]}")


TESTS = {name[5:]: fn for name, fn in sorted(globals().items())
         if name.startswith("test_")}


def main():
    return base.run_tests(TESTS, __doc__, sys.argv)


if __name__ == "__main__":
    sys.exit(main())
