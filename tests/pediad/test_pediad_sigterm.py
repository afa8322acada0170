#!/usr/bin/env python3
"""pediad's graceful shutdown (issue 16): SIGTERM ends open watches as a
watch ends normally, so that clients watch again instead of reporting an
error, and pediad exits 0 within a bound.

Usage: test_pediad_sigterm.py PEDIAD_BINARY TEST_NAME   (or "all")

A watch is only at risk when it is busy at SIGTERM, that is when bytes
are still on their way to its client: a quiet watch was already ended
cleanly. Each test therefore makes its watch lag: its client stops
reading while the member churns, until pediad's side of the connection is
full (the watch is then never suspended, /metrics says), and starts
reading again a second after SIGTERM. The member has 1000 pods of 4 to
14 KB, so that the churn fills the buffers within seconds.

- watch_end: a raw HTTP/1.1 chunked watch gets everything that was sent,
  then the terminating zero-length chunk, then the close; a quiet watch
  ends the same way; while pediad drains, new connections are refused, a
  GET on a kept-alive connection is not answered (the connection closes,
  so clients send it again elsewhere) and a POST gets kube's 429 with
  Retry-After and Connection: close; pediad exits 0 within 10 s.
- client_watch: the Python kubernetes client's watch (Debian's
  python3-kubernetes) ends normally, with no exception.
- kubectl_watch: `kubectl get pods -w` ends with exit 0 and nothing on
  its stderr at -v=1, where client-go reports a cut watch ("Unexpected
  EOF during watch stream event decoding"); at the default verbosity
  kubectl prints nothing either way.
- websocket_end: a watch over WebSocket ends with a close frame 1000.
Exit 0 = pass, 1 = fail, 77 = skipped.
"""
import json
import os
import re
import signal
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time

import test_pediad as base
from test_pediad import MEMBER, Fail, Server, check, curl

SKIP = 77
PODS = 1000
PODS_PATH = "/apis/clusterpedia.io/v1beta1/resources/api/v1/pods"
ZERO_CHUNK = b"\r\n0\r\n\r\n"


# ---- helpers ----

def metric(s, series):
    code, body = curl(s.url + "/metrics", s.ca(), token=s.admin_token())
    check(code == 200, f"/metrics: {code}")
    m = re.search(r"^" + re.escape(series) + r" (\d+)", body, re.M)
    check(m, f"/metrics has no {series}")
    return int(m.group(1))


def suspended(s):
    return metric(s, "pediad_http_watches_suspended")


def wait_blocked(s, quiet, timeout=60):
    """Wait until every watch but the `quiet` ones is blocked on its
    client: none of them suspended (waiting for events) in ten samples
    over a second, while the member churns."""
    deadline = time.monotonic() + timeout
    run = 0
    while time.monotonic() < deadline and run < 10:
        run = run + 1 if suspended(s) <= quiet else 0
        time.sleep(0.1)
    check(run >= 10, f"the watch never filled its connection in {timeout} s")


def wait_synced(s, timeout=60):
    """Wait until pediad has stored the member's PODS pods (the store's
    revision passed PODS and stays); returns the list's resourceVersion."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        code, body = curl(s.url + PODS_PATH + "?limit=1", s.ca(),
                          token=s.admin_token())
        rv = json.loads(body)["metadata"]["resourceVersion"] \
            if code == 200 else None
        if rv and int(rv) >= PODS and rv == last:
            return rv
        last = rv
        time.sleep(0.5)
    raise Fail(f"the member's {PODS} pods not synced in {timeout} s "
               f"(revision {last})")


class Setup:
    """A member of PODS pods and pediad syncing it."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.ks = base.Kubesim(tmp, pods=PODS)
        self.kc = os.path.join(tmp, "kubeconfig")
        self.s = None

    def __enter__(self):
        self.ks.__enter__()
        try:
            cdir = os.path.join(self.tmp, "clusters")
            os.mkdir(cdir)
            base.write(os.path.join(cdir, "m1.yaml"), self.ks.manifest("m1"))
            self.s = Server(self.tmp, "--clusters-dir", cdir,
                            "--kubeconfig-out", self.kc, debug=False)
            self.s.start()
            self.rv = wait_synced(self.s)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        self.ks.churn(0)
        if self.s:
            self.s.stop(check_rc=exc[0] is None)
        self.ks.__exit__(*exc)
        return False

    def sigterm(self):
        """SIGTERM pediad; returns the time it was sent."""
        self.s.proc.send_signal(signal.SIGTERM)
        return time.monotonic()

    def check_exit(self, t0, bound=10):
        try:
            rc = self.s.proc.wait(max(0.1, t0 + bound - time.monotonic()))
        except subprocess.TimeoutExpired:
            raise Fail(f"pediad still runs {bound} s after SIGTERM")
        check(rc == 0, f"pediad exited with {rc}:\n{self.s.stderr()}")


def tls_conn(s, rcvbuf=None, timeout=30):
    ctx = ssl.create_default_context(cafile=s.ca())
    raw = socket.socket()
    if rcvbuf:  # before connect: the window stays small
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    raw.settimeout(timeout)
    raw.connect(("127.0.0.1", s.port))
    return ctx.wrap_socket(raw, server_hostname="127.0.0.1")


def request(c, s, method, path, body=None):
    extra = ""
    if body is not None:
        extra = ("Content-Type: application/json\r\n"
                 f"Content-Length: {len(body)}\r\n")
    c.sendall((f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               f"Authorization: Bearer {s.admin_token()}\r\n{extra}\r\n")
              .encode() + (body or b""))


def read_all(c):
    """Every byte until the peer closes; a TLS connection closed without
    close_notify ends the same way (the HTTP framing says whether the
    response was complete)."""
    data = bytearray()
    while True:
        try:
            d = c.recv(65536)
        except (ssl.SSLEOFError, ConnectionResetError):
            break
        if not d:
            break
        data += d
    return bytes(data)


def split_head(data):
    check(b"\r\n\r\n" in data, f"no response head in {data[:200]!r}")
    head, rest = data.split(b"\r\n\r\n", 1)
    m = re.match(rb"HTTP/1\.1 (\d+)", head)
    check(m, f"not an HTTP/1.1 response: {head[:200]!r}")
    return int(m.group(1)), head.decode("latin-1"), rest


def read_head(c):
    data = b""
    while b"\r\n\r\n" not in data:
        d = c.recv(4096)
        check(d, "closed before the response head")
        data += d
    return split_head(data)


def dechunk(data):
    """(body, ended): the chunked body's bytes, and whether it ended with
    the zero-length chunk (what follows it must be nothing)."""
    body, at = bytearray(), 0
    while True:
        eol = data.find(b"\r\n", at)
        if eol < 0:
            return bytes(body), False
        size = int(data[at:eol].split(b";")[0], 16)
        if size == 0:
            check(data[eol:] == b"\r\n\r\n",
                  f"bytes after the last chunk: {data[eol:eol + 80]!r}")
            return bytes(body), True
        end = eol + 2 + size
        if len(data) < end + 2:
            return bytes(body), False
        check(data[end:end + 2] == b"\r\n", "chunk not ended by CRLF")
        body += data[eol + 2:end]
        at = end + 2


def check_events(body, what):
    """Every line a watch event, in revision order; returns how many."""
    last = 0
    lines = body.split(b"\n")
    check(lines[-1] == b"", f"{what}: the last event is cut")
    for line in lines[:-1]:
        ev = json.loads(line)
        check(ev["type"] in ("ADDED", "MODIFIED", "DELETED"),
              f"{what}: event {ev['type']}")
        rv = int(ev["object"]["metadata"]["resourceVersion"])
        check(rv > last, f"{what}: revision {rv} after {last}")
        last = rv
    return len(lines) - 1


# ---- tests ----

def open_watches(st):
    """The lagging watch (pods from now on, small receive buffer, not
    read), a quiet one (PediaClusters, read), and two kept-alive
    connections that served a request."""
    s = st.s
    lag = tls_conn(s, rcvbuf=16384)
    request(lag, s, "GET", f"{PODS_PATH}?watch=1&resourceVersion={st.rv}")
    code, _, first = read_head(lag)
    check(code == 200, f"watch: {code}")
    quiet = tls_conn(s)
    request(quiet, s, "GET",
            "/apis/cluster.clusterpedia.io/v1alpha2/pediaclusters?watch=1")
    kept = []
    for _ in range(2):
        c = tls_conn(s)
        request(c, s, "GET", "/version")
        code, head, rest = read_head(c)
        length = int(re.search(r"Content-Length: (\d+)", head, re.I)
                     .group(1))
        while len(rest) < length:
            rest += c.recv(4096)
        check(code == 200, f"/version: {code}")
        kept.append(c)
    return lag, first, quiet, kept


def check_draining(s, kept):
    """While pediad drains: refused, dropped, 429."""
    try:
        socket.create_connection(("127.0.0.1", s.port), timeout=5).close()
        raise Fail("a new connection was accepted while draining")
    except ConnectionRefusedError:
        pass
    request(kept[0], s, "GET", "/version")
    got = read_all(kept[0])
    check(got == b"", f"a GET while draining was answered: {got[:300]!r}")
    request(kept[1], s, "POST",
            "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            b'{"apiVersion":"authentication.k8s.io/v1",'
            b'"kind":"SelfSubjectReview"}')
    code, head, rest = split_head(read_all(kept[1]))
    check(code == 429, f"a POST while draining: {code} {head}")
    check(re.search(r"^Retry-After: 5\r?$", head, re.M | re.I) and
          re.search(r"^Connection: close\r?$", head, re.M | re.I),
          f"429 without Retry-After / Connection: close: {head}")
    check(b"shutting down" in rest, f"429 body: {rest!r}")


def test_watch_end(tmp):
    with Setup(tmp) as st:
        lag, first, quiet, kept = open_watches(st)
        quiet_data = []
        reader = threading.Thread(
            target=lambda: quiet_data.append(read_all(quiet)))
        reader.start()
        st.ks.churn(1000)
        wait_blocked(st.s, quiet=1)
        t0 = st.sigterm()
        time.sleep(0.3)
        check_draining(st.s, kept)
        time.sleep(max(0.0, t0 + 1.0 - time.monotonic()))
        data = first + read_all(lag)
        reader.join(15)
        check(not reader.is_alive(), "the quiet watch did not end")
        st.check_exit(t0)
        body, ended = dechunk(data)
        check(ended, f"the lagging watch was cut after {len(data)} bytes, "
              f"before its terminating chunk: ...{data[-60:]!r}")
        n = check_events(body, "lagging watch")
        check(n >= 100, f"the lagging watch got {n} events")
        _, _, rest = split_head(quiet_data[0])
        body, ended = dechunk(rest)
        check(ended, f"the quiet watch was cut: ...{rest[-60:]!r}")
        print(f"lagging watch: {n} events, {len(data)} bytes, then the "
              "terminating chunk")


def test_client_watch(tmp):
    try:
        from kubernetes import client, config, watch
    except ImportError:
        raise base.Skip("python3-kubernetes is not installed")
    with Setup(tmp) as st:
        api = client.CoreV1Api(config.new_client_from_config(
            st.kc, context="clusterpedia"))
        go, got, out = threading.Event(), threading.Event(), {}

        def run():
            n = 0
            try:
                for ev in watch.Watch().stream(
                        api.list_pod_for_all_namespaces,
                        resource_version=st.rv, timeout_seconds=120):
                    n += 1
                    got.set()
                    go.wait(60)  # lag: stop reading until told
                out["end"] = ("normal", n)
            except Exception as e:  # what a cut stream raises
                out["end"] = (repr(e), n)
        t = threading.Thread(target=run)
        t.start()
        try:
            st.ks.churn(1000)
            check(got.wait(30), "no event reached the Python client")
            wait_blocked(st.s, quiet=0)
            t0 = st.sigterm()
            time.sleep(1)
        finally:
            go.set()
        t.join(60)
        check(not t.is_alive(), "the Python client's watch did not end")
        st.check_exit(t0)
        end, n = out["end"]
        check(end == "normal", f"the Python client's watch failed after "
              f"{n} events: {end}")
        print(f"Python client: {n} events, then a normal end")


def test_kubectl_watch(tmp):
    kubectl = base.KUBECTL
    if not os.access(kubectl, os.X_OK):
        raise base.Skip(f"{kubectl} not found")
    with Setup(tmp) as st:
        out, err = (os.path.join(tmp, "kubectl." + x) for x in ("out", "err"))
        with open(out, "w") as o, open(err, "w") as e:
            w = subprocess.Popen(
                [kubectl, "--kubeconfig", st.kc, "--context", "clusterpedia",
                 "get", "pods", "-A", "-w", "--watch-only", "-o", "json",
                 "-v=1"], stdout=o, stderr=e, stdin=subprocess.DEVNULL,
                env=dict(os.environ, HOME=tmp))
        stopped = False
        try:
            deadline = time.monotonic() + 30
            while suspended(st.s) < 1 and time.monotonic() < deadline:
                time.sleep(0.1)  # its watch is open and waits
            check(suspended(st.s) >= 1, "kubectl's watch did not start")
            w.send_signal(signal.SIGSTOP)
            stopped = True
            st.ks.churn(1000)
            wait_blocked(st.s, quiet=0)
            t0 = st.sigterm()
            time.sleep(1)
            w.send_signal(signal.SIGCONT)
            stopped = False
            rc = w.wait(60)
            st.check_exit(t0)
        finally:
            if stopped:
                w.send_signal(signal.SIGCONT)
            if w.poll() is None:
                w.kill()
                w.wait()
        text = base.read(err)
        check(rc == 0 and not text.strip(),
              f"kubectl get -w: exit {rc}, stderr:\n{text}")
        n = base.read(out).count('"kind": "Pod"')
        check(n >= 100, f"kubectl printed {n} pods")
        print(f"kubectl get -w: {n} pods printed, exit 0, nothing on stderr")


def test_websocket_end(tmp):
    try:
        import websocket  # python3-websocket
    except ImportError:
        raise base.Skip("python3-websocket is not installed")
    cdir = os.path.join(tmp, "clusters")
    os.mkdir(cdir)
    base.write(os.path.join(cdir, "m1.yaml"), MEMBER.format(name="m1"))
    with Server(tmp, "--clusters-dir", cdir, debug=False) as s:
        tok = s.admin_token()
        ws = websocket.create_connection(
            f"wss://127.0.0.1:{s.port}/apis/cluster.clusterpedia.io/"
            "v1alpha2/pediaclusters?watch=1", sslopt={"ca_certs": s.ca()},
            origin="https://127.0.0.1",
            header=[f"Authorization: Bearer {tok}"], timeout=20)
        try:
            check(json.loads(ws.recv())["type"] == "ADDED", "first event")
            t0 = time.monotonic()
            s.proc.send_signal(signal.SIGTERM)
            op, frame = ws.recv_data_frame(control_frame=True)
            check(op == websocket.ABNF.OPCODE_CLOSE,
                  f"frame {op} instead of the close")
            code = struct.unpack("!H", frame.data[:2])[0]
            check(code == 1000, f"close code {code}, want 1000")
        finally:
            ws.close()
        check(s.proc.wait(10) == 0, "exit code")
        check(time.monotonic() - t0 < 10, "slow shutdown")


TESTS = {name[5:]: fn for name, fn in sorted(globals().items())
         if name.startswith("test_")}


def main():
    return base.run_tests(TESTS, __doc__, sys.argv)


if __name__ == "__main__":
    sys.exit(main())
