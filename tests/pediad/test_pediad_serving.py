#!/usr/bin/env python3
"""pediad serving many clients (issue 14): the event-driven server and its
protections, on the real binary.

Usage: test_pediad_serving.py PEDIAD_BINARY TEST_NAME   (or "all")

- idle: 300 idle TCP connections and 100 open watches (each its own TLS
  connection) do not add threads, /healthz and requests still answer, and
  /metrics counts them;
- hangup: clients that close suspended watches are noticed at once
  (descriptors, connection counts and /metrics come back);
- header_timeout: a client trickling header lines, and one that never
  starts TLS, are closed at the (absolute) header deadline;
- per_address: connections past --max-connections-per-address are refused;
- capacity: past 90% of --max-connections, a 503 Status with Retry-After;
- smuggling: two different Content-Lengths are a 400;
- websocket: a watch over WebSocket as kube-apiserver serves it (one JSON
  text frame per event, subprotocol echoed, bearer subprotocol, Origin
  required, ping/pong, close).
Exit 0 = pass, 1 = fail, 77 = skipped.
"""
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import time

import test_pediad as base
from test_pediad import MEMBER, Fail, Server, check, check_status, curl

SKIP = 77


def tls_conn(s, timeout=10):
    ctx = ssl.create_default_context(cafile=s.ca())
    raw = socket.create_connection(("127.0.0.1", s.port), timeout=timeout)
    return ctx.wrap_socket(raw, server_hostname="127.0.0.1")


def send_request(c, s, path, extra=""):
    c.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               f"Authorization: Bearer {s.admin_token()}\r\n{extra}\r\n")
              .encode())


def read_head(c):
    """The response's status code and header block."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = c.recv(4096)
        if not chunk:
            break
        data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    m = re.match(r"HTTP/1\.1 (\d+)", head)
    return (int(m.group(1)) if m else 0), head, data


def open_watch(s):
    """A TLS connection watching PediaClusters (200 checked)."""
    c = tls_conn(s)
    send_request(c, s, "/apis/cluster.clusterpedia.io/v1alpha2/"
                 "pediaclusters?watch=1")
    code, _, _ = read_head(c)
    check(code == 200, f"watch: {code}")
    return c


def threads(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"^Threads:\s+(\d+)", f.read(), re.M).group(1))


def metric(s, series):
    code, body = curl(s.url + "/metrics", s.ca(), token=s.admin_token())
    check(code == 200, f"/metrics: {code}")
    m = re.search(r"^" + re.escape(series) + r" (\d+)", body, re.M)
    check(m, f"/metrics has no {series}")
    return int(m.group(1))


def closed_within(c, seconds):
    """Seconds until the peer closed c (reading), or None."""
    c.settimeout(0.2)
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        try:
            if c.recv(1024) == b"":
                return time.monotonic() - t0
        except socket.timeout:
            continue
        except (ConnectionError, ssl.SSLError, OSError):
            return time.monotonic() - t0
    return None


def test_idle(tmp):
    with Server(tmp, "--max-connections-per-address", "5000",
                debug=False) as s:
        before = threads(s.proc.pid)
        idle = [socket.create_connection(("127.0.0.1", s.port))
                for _ in range(300)]
        watches = []
        try:
            code, _ = curl(s.url + "/healthz", s.ca())
            check(code == 200, f"/healthz with 300 idle connections: {code}")
            for _ in range(100):
                watches.append(open_watch(s))
            time.sleep(1.5)
            after = threads(s.proc.pid)
            # the API's timer thread may start with the first watch
            check(after <= before + 2,
                  f"threads {before} before, {after} with 300 idle "
                  "connections and 100 watches")
            code, _ = curl(s.url + "/version", s.ca(), token=s.admin_token())
            check(code == 200, f"/version while loaded: {code}")
            conns = metric(s, "pediad_http_connections")
            check(conns >= 400, f"pediad_http_connections {conns}")
            susp = metric(s, "pediad_http_watches_suspended")
            check(susp >= 50, f"pediad_http_watches_suspended {susp}")
        finally:
            for c in idle + watches:
                c.close()


def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_hangup(tmp):
    """Clients that leave suspended watches are noticed at once, not at
    the next 30 s liveness wake: descriptors and connection counts come
    back (a client dropping watches in a loop cannot pile them up)."""
    with Server(tmp, debug=False) as s:
        base_fds = fds(s.proc.pid)
        watches = []
        for _ in range(60):
            watches.append(open_watch(s))
        deadline = time.monotonic() + 10
        while (metric(s, "pediad_http_watches_suspended") < 60
               and time.monotonic() < deadline):
            time.sleep(0.1)
        susp = metric(s, "pediad_http_watches_suspended")
        check(susp >= 60, f"pediad_http_watches_suspended {susp}")
        for c in watches:
            c.close()
        # well inside the 30 s liveness wake that used to notice them
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if (metric(s, "pediad_http_hangups_total") >= 60 and
                    metric(s, "pediad_http_watches_suspended") == 0):
                break
            time.sleep(0.2)
        hup = metric(s, "pediad_http_hangups_total")
        check(hup >= 60, f"pediad_http_hangups_total {hup} of 60")
        susp = metric(s, "pediad_http_watches_suspended")
        check(susp == 0, f"pediad_http_watches_suspended {susp} after close")
        conns = metric(s, "pediad_http_connections")
        check(conns <= 2, f"pediad_http_connections {conns} after close")
        now = fds(s.proc.pid)
        check(now <= base_fds + 3, f"descriptors {base_fds} before, {now} "
              "after 60 watches came and went")
        # a watch that stays is not disturbed by the others leaving
        c = open_watch(s)
        check(closed_within(c, 1.5) is None, "a live watch was closed")
        c.close()


def test_header_timeout(tmp):
    with Server(tmp, "--http-header-timeout", "2", debug=False) as s:
        c = tls_conn(s)
        c.sendall(b"GET /version HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        t0 = time.monotonic()
        closed = None
        while time.monotonic() - t0 < 10 and closed is None:
            try:
                c.sendall(b"X-Slow: a\r\n")  # every 0.2 s: activity
            except OSError:
                closed = time.monotonic() - t0
                break
            if closed_within(c, 0.2) is not None:
                closed = time.monotonic() - t0
        check(closed is not None and 1.5 < closed < 6,
              f"trickling client closed after {closed} s (deadline 2 s)")
        raw = socket.create_connection(("127.0.0.1", s.port))
        t = closed_within(raw, 10)
        check(t is not None and t < 6, f"silent TCP client closed after {t}")
        n = metric(s, 'pediad_http_refused_total{reason="header_timeout"}')
        check(n >= 2, f"header timeouts counted: {n}")
        s.wait_log("did not complete a request's headers in time")


def test_per_address(tmp):
    with Server(tmp, "--max-connections-per-address", "4",
                debug=False) as s:
        held = [socket.create_connection(("127.0.0.1", s.port))
                for _ in range(4)]
        # the cap counts connections the server has taken in: let it
        time.sleep(0.5)
        try:
            extra = socket.create_connection(("127.0.0.1", s.port))
            t = closed_within(extra, 5)
            check(t is not None and t < 2, f"5th connection closed after {t}")
        finally:
            for c in held:
                c.close()
        time.sleep(0.5)
        n = metric(s, 'pediad_http_refused_total{reason="per_address"}')
        check(n >= 1, f"per-address refusals counted: {n}")
        s.wait_log("refused connections over the per-address limit")


def test_capacity(tmp):
    with Server(tmp, "--max-connections", "20", debug=False) as s:
        held = [socket.create_connection(("127.0.0.1", s.port))
                for _ in range(18)]
        try:
            c = tls_conn(s)
            send_request(c, s, "/version")
            code, head, data = read_head(c)
            check(code == 503, f"over capacity: {code}")
            check(re.search(r"^Retry-After: 1", head, re.M | re.I),
                  f"no Retry-After: {head}")
            body = data.split(b"\r\n\r\n", 1)[1].decode()
            while '"code":503' not in body and len(body) < 4000:
                more = c.recv(4096)
                if not more:
                    break
                body += more.decode()
            check_status(body[body.index("{"):body.rindex("}") + 1], 503)
        finally:
            for h in held:
                h.close()
        time.sleep(0.5)
        code, _ = curl(s.url + "/version", s.ca(), token=s.admin_token())
        check(code == 200, f"after the load: {code}")


def test_smuggling(tmp):
    with Server(tmp, debug=False) as s:
        for extra in ("Content-Length: 2\r\nContent-Length: 3\r\n",
                      "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n"):
            c = tls_conn(s)
            c.sendall(("POST /apis/cluster.clusterpedia.io/v1alpha2/"
                       "pediaclusters HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       f"Authorization: Bearer {s.admin_token()}\r\n"
                       f"Content-Type: application/json\r\n{extra}\r\n{{}}")
                      .encode())
            code, _, _ = read_head(c)
            check(code == 400, f"{extra!r}: {code}")
            c.close()




def test_websocket(tmp):
    try:
        import websocket  # python3-websocket, a dependency of kubernetes
    except ImportError:
        raise base.Skip("python3-websocket is not installed")
    import base64
    import json
    cdir = os.path.join(tmp, "clusters")
    os.mkdir(cdir)
    with open(os.path.join(cdir, "m1.yaml"), "w") as f:
        f.write(MEMBER.format(name="m1"))
    with Server(tmp, "--clusters-dir", cdir, debug=False) as s:
        tok = s.admin_token()
        url = (f"wss://127.0.0.1:{s.port}/apis/cluster.clusterpedia.io/"
               "v1alpha2/pediaclusters?watch=1")
        ssl_opt = {"ca_certs": s.ca()}
        bearer = ("base64url.bearer.authorization.k8s.io." +
                  base64.urlsafe_b64encode(tok.encode()).decode().rstrip("="))
        ws = websocket.create_connection(
            url, sslopt=ssl_opt, origin="https://127.0.0.1",
            subprotocols=["base64.binary.k8s.io", bearer], timeout=20)
        try:
            check(ws.subprotocol == "base64.binary.k8s.io",
                  f"subprotocol echoed: {ws.subprotocol}")
            ev = json.loads(ws.recv())
            check(ev["type"] == "ADDED" and
                  ev["object"]["metadata"]["name"] == "m1", f"first: {ev}")
            ws.ping(b"hi")
            op, frame = ws.recv_data_frame(control_frame=True)
            check(op == websocket.ABNF.OPCODE_PONG and frame.data == b"hi",
                  f"pong: {op} {frame.data!r}")
            ws.send("ignored by the server, as kube does")
            with open(os.path.join(tmp, "m2.json"), "w") as f:
                json.dump({"apiVersion": "cluster.clusterpedia.io/v1alpha2",
                           "kind": "PediaCluster",
                           "metadata": {"name": "m2"},
                           "spec": {"apiserver": "https://127.0.0.1:9",
                                    "tokenData": "dG9rZW4=",
                                    "insecureSkipTLSVerify": True,
                                    "syncResources": [
                                        {"group": "",
                                         "resources": ["pods"]}]}}, f)
            code, _ = curl(s.url + "/apis/cluster.clusterpedia.io/v1alpha2/"
                           "pediaclusters", s.ca(), token=tok,
                           data_file=os.path.join(tmp, "m2.json"),
                           method="POST")
            check(code == 201, f"create m2: {code}")
            seen = []
            while "m2" not in seen:
                ev = json.loads(ws.recv())
                seen.append(ev["object"]["metadata"]["name"])
            ws.send_close()
        finally:
            ws.close()
        # the Authorization header works as well; a bad token is a 401
        ws = websocket.create_connection(
            url, sslopt=ssl_opt, origin="https://127.0.0.1",
            header=[f"Authorization: Bearer {tok}"], timeout=20)
        check(json.loads(ws.recv())["type"] == "ADDED", "header token")
        ws.close()
        for kw, want in ((dict(suppress_origin=True), 403),
                         (dict(subprotocols=["a", "b"]), 400),
                         (dict(subprotocols=[bearer]), 400),
                         (dict(header=["Authorization: Bearer nope"]), 401)):
            kw.setdefault("origin", "https://127.0.0.1")
            if "suppress_origin" in kw:
                kw.pop("origin")
            if "header" not in kw:
                kw["header"] = [f"Authorization: Bearer {tok}"]
            try:
                websocket.create_connection(url, sslopt=ssl_opt, timeout=20,
                                            **kw).close()
                raise Fail(f"{kw}: handshake accepted")
            except websocket.WebSocketBadStatusException as e:
                check(e.status_code == want, f"{kw}: {e.status_code}")


KUBECTL_DIR = "/usr/lib/google-cloud-sdk/bin"


def kubectl_events(kc, exe, tmp, ks):
    """Watch events one kubectl version prints while the member churns."""
    events = os.path.join(tmp, os.path.basename(exe) + ".watch")
    with open(events, "w") as out:
        w = subprocess.Popen(
            [exe, "--kubeconfig", kc, "--context", "clusterpedia", "get",
             "pods", "-A", "-w", "--watch-only", "--output-watch-events",
             "--no-headers"], stdout=out, stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL)
    try:
        time.sleep(2)
        ks.churn(10)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and \
                len(base.read(events).splitlines()) < 5:
            time.sleep(0.2)
        ks.churn(0)
        return len(base.read(events).splitlines())
    finally:
        w.kill()
        w.wait()


def test_kubectl_versions(tmp):
    """kubectl 1.27 and 1.33 (the dispatcher's oldest and newest) list and
    watch through the event-driven server."""
    exes = [os.path.join(KUBECTL_DIR, f"kubectl.{v}") for v in ("1.27",
                                                                "1.33")]
    if not all(os.access(e, os.X_OK) for e in exes):
        raise base.Skip(f"kubectl 1.27 / 1.33 not in {KUBECTL_DIR}")
    with base.Kubesim(tmp) as ks:
        cdir = os.path.join(tmp, "clusters")
        os.mkdir(cdir)
        with open(os.path.join(cdir, "m1.yaml"), "w") as f:
            f.write(ks.manifest("m1"))
        kc = os.path.join(tmp, "kubeconfig")
        with Server(tmp, "--clusters-dir", cdir, "--kubeconfig-out", kc,
                    debug=False):
            for exe in exes:  # lists first: the watches churn the pods
                rows = []
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline and len(rows) != 45:
                    r = subprocess.run(
                        [exe, "--kubeconfig", kc, "--context", "m1", "get",
                         "pods", "-A", "--no-headers", "--chunk-size=7"],
                        capture_output=True, text=True, timeout=60)
                    rows = r.stdout.splitlines() if r.returncode == 0 else []
                    if len(rows) != 45:
                        time.sleep(0.5)
                check(len(rows) == 45, f"{exe}: {len(rows)} pods listed")
            for exe in exes:
                n = kubectl_events(kc, exe, tmp, ks)
                check(n >= 5, f"{exe}: {n} watch events")
            for exe in exes:  # at pediad's root and at a cluster's root
                for ctx in ("pediad", "clusterpedia", "m1"):
                    check_whoami(exe, kc, ctx)
                    check_can_i(exe, kc, ctx)
            # typed clients: kubectl 1.33 sends protobuf bodies
            for i, exe in enumerate(exes):
                r = subprocess.run(
                    [exe, "--kubeconfig", kc, "--context", "pediad", "create",
                     "role", f"r{i}", "-n", "team-a", "--verb=get",
                     "--resource=pediaclusters"],
                    capture_output=True, text=True, timeout=60)
                check(r.returncode == 0, f"{exe} create role: {r.stderr}")
                r = subprocess.run(
                    [exe, "--kubeconfig", kc, "--context", "pediad", "get",
                     "role", f"r{i}", "-n", "team-a", "-o", "json"],
                    capture_output=True, text=True, timeout=60)
                check(r.returncode == 0 and json.loads(r.stdout)["rules"] ==
                      [{"apiGroups": ["cluster.clusterpedia.io"],
                        "resources": ["pediaclusters"], "verbs": ["get"]}],
                      f"{exe} created role: {r.stdout} {r.stderr}")


def check_can_i(exe, kc, ctx):
    """kubectl auth can-i (SelfSubjectAccessReview) and --list
    (SelfSubjectRulesReview): the admin may do everything."""
    r = subprocess.run([exe, "--kubeconfig", kc, "--context", ctx, "auth",
                        "can-i", "list", "pods", "-n", "default"],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0 and r.stdout.strip() == "yes",
          f"{exe} auth can-i ({ctx}): {r.stdout} {r.stderr}")
    r = subprocess.run([exe, "--kubeconfig", kc, "--context", ctx, "auth",
                        "can-i", "--list", "-n", "default"],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0 and "*.*" in r.stdout,
          f"{exe} auth can-i --list ({ctx}): {r.stdout} {r.stderr}")


def check_whoami(exe, kc, ctx):
    """kubectl auth whoami: SelfSubjectReview (v1, or v1beta1 for 1.27)."""
    r = subprocess.run([exe, "--kubeconfig", kc, "--context", ctx, "auth",
                        "whoami", "-o", "json"],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, f"{exe} auth whoami ({ctx}): {r.stderr}")
    info = json.loads(r.stdout)["status"]["userInfo"]
    check(info.get("username") == "pediad-admin" and
          "system:masters" in info.get("groups", []),
          f"{exe} auth whoami ({ctx}): {info}")


TESTS = {name[5:]: fn for name, fn in sorted(globals().items())
         if name.startswith("test_")}


def main():
    return base.run_tests(TESTS, __doc__, sys.argv)


if __name__ == "__main__":
    sys.exit(main())
