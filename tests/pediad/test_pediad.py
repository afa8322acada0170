#!/usr/bin/env python3
"""End-to-end tests of the real pediad binary.

Usage: test_pediad.py PEDIAD_BINARY TEST_NAME   (or "all")

Every server listens on 127.0.0.1 port 0 with a temporary state dir, is
waited for with bounded waits, and is always stopped (SIGTERM, then SIGKILL)
even when a check fails. HTTP requests use the curl command, certificates
are made with the openssl command, kubeconfigs are checked with the real
kubectl. Exit 0 = pass, 1 = fail, 77 = skipped (reason printed).
"""
import json
import os
import re
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import sys
import tempfile
import time
import warnings

from sar_server import SarServer

SKIP = 77
CURL = shutil.which("curl") or "/usr/bin/curl"
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
KUBECTL = os.environ.get("KUBECTL", "/usr/bin/kubectl")
SERVING_RE = re.compile(r"^pediad: serving on (https://[^\s/]+:(\d+))$", re.M)


class Fail(Exception):
    pass


class Skip(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def run(cmd, timeout=30, **kw):
    return subprocess.run(cmd, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=timeout, **kw)


class Server:
    """One pediad process; a context manager that always stops it."""

    count = 0

    def __init__(self, tmp, *args, state=None, listen="127.0.0.1:0",
                 debug=True):
        Server.count += 1
        self.tmp = tmp
        self.state = state or os.path.join(tmp, "state")
        self.args = [PEDIAD, "--listen", listen, "--state-dir", self.state]
        if debug:
            self.args += ["--log-level", "debug"]
        self.args += list(args)
        n = Server.count
        self.out_path = os.path.join(tmp, f"pediad{n}.out")
        self.err_path = os.path.join(tmp, f"pediad{n}.err")
        self.proc = None
        self.url = None
        self.port = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop(check_rc=exc[0] is None)
        return False

    def start(self):
        with open(self.out_path, "w") as out, open(self.err_path, "w") as err:
            self.proc = subprocess.Popen(self.args, stdout=out, stderr=err,
                                         stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            m = SERVING_RE.search(self.stdout())
            if m:
                self.url, self.port = m.group(1), int(m.group(2))
                return
            if self.proc.poll() is not None:
                raise Fail(f"pediad exited with {self.proc.returncode} "
                           f"before serving:\n{self.stderr()}")
            time.sleep(0.05)
        self.kill()
        raise Fail(f"pediad did not print its URL in 30 s:\n{self.stderr()}")

    def stdout(self):
        with open(self.out_path) as f:
            return f.read()

    def stderr(self):
        with open(self.err_path) as f:
            return f.read()

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self, sig=signal.SIGTERM, timeout=20, check_rc=True):
        """Stop with sig; returns the exit code. Fails when the process
        needs SIGKILL or (check_rc) exits non-zero."""
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                if check_rc:
                    raise Fail(f"pediad did not exit {timeout} s after "
                               f"signal {sig}")
        rc = self.proc.returncode
        if check_rc and rc != 0:
            raise Fail(f"pediad exited with {rc}:\n{self.stderr()}")
        return rc

    def ca(self):
        return os.path.join(self.state, "ca.crt")

    def admin_token(self):
        with open(os.path.join(self.state, "admin-token")) as f:
            return f.read().strip()

    def wait_log(self, pattern, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(pattern, self.stderr(), re.M):
                return
            time.sleep(0.05)
        raise Fail(f"log never matched {pattern!r}:\n{self.stderr()}")


def curl(url, cacert, token=None, cert=None, headers=(), data_file=None,
         method=None, extra=()):
    """Returns (http_code, body)."""
    with tempfile.NamedTemporaryFile(prefix="pd-body-") as body:
        cmd = [CURL, "-sS", "--max-time", "20", "-o", body.name, "-w",
               "%{http_code}", "--cacert", cacert]
        if token is not None:
            cmd += ["-H", f"Authorization: Bearer {token}"]
        if cert:
            cmd += ["--cert", cert[0], "--key", cert[1]]
        for h in headers:
            cmd += ["-H", h]
        if data_file:
            cmd += ["--data-binary", "@" + data_file, "-H",
                    "Content-Type: application/json"]
        if method:
            cmd += ["-X", method]
        cmd += list(extra) + [url]
        r = run(cmd)
        with open(body.name, "rb") as f:
            data = f.read().decode("utf-8", "replace")
        code = int(r.stdout.strip() or "0")
        if code == 0:
            raise Fail(f"curl {url} failed: {r.stderr}")
        return code, data


def check_status(body, code):
    try:
        st = json.loads(body)
    except ValueError:
        raise Fail(f"not JSON: {body[:200]!r}")
    check(st.get("kind") == "Status" and st.get("code") == code,
          f"expected a {code} Status, got {body[:300]}")


# ---- certificates ----

def openssl(*args):
    r = run([OPENSSL, *args])
    check(r.returncode == 0, f"openssl {' '.join(args)}: {r.stderr}")


def make_ca(d, name):
    crt, key = os.path.join(d, name + ".crt"), os.path.join(d, name + ".key")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out",
            crt, "-subj", "/CN=" + name, "-days", "2", "-addext",
            "basicConstraints=critical,CA:TRUE", "-addext",
            "keyUsage=critical,keyCertSign,cRLSign")
    return crt, key


def make_leaf(d, ca, name, subj, ext_lines):
    """A P-256 key and a certificate for it signed by ca (crt, key), with
    the extensions in ext_lines."""
    key = os.path.join(d, name + ".key")
    csr = os.path.join(d, name + ".csr")
    crt = os.path.join(d, name + ".crt")
    ext = os.path.join(d, name + ".ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=CA:FALSE\n"
                "keyUsage=critical,digitalSignature\n" + ext_lines)
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out",
            csr, "-subj", subj)
    openssl("x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1],
            "-CAcreateserial", "-out", crt, "-days", "2", "-extfile", ext)
    return crt, key


def make_client(d, ca, name, subj):
    return make_leaf(d, ca, name, subj, "extendedKeyUsage=clientAuth\n")


# ---- tests ----

USAGE = ("pediad --storage URI --listen HOST:PORT [--tls-cert-file F "
         "--tls-private-key-file F] [--client-ca-file F] [--token-auth-file F]"
         " [--requestheader-client-ca-file F --requestheader-allowed-names "
         "a,b] [--clusters-dir DIR] [--kubeconfig-out F] [--state-dir DIR] "
         "[--host-kubeconfig F | --host-in-cluster] [--authorization-mode M] "
         "[--authorization-kubeconfig F] [--log-level L] "
         "[--change-log-retention N]")


def test_help(tmp):
    r = run([PEDIAD, "--help"])
    check(r.returncode == 0, f"--help exit {r.returncode}")
    check(USAGE in r.stdout.splitlines()[0], "usage line: " + r.stdout)
    for flag in ("--storage", "--kubeconfig-out", "--log-level",
                 "--change-log-retention"):
        check(flag in r.stdout, flag + " not described")


def test_bad_flags(tmp):
    cases = [
        (["--bogus"], "--bogus"),
        (["--listen", "nope"], "--listen"),
        (["--listen", "127.0.0.1:70000"], "--listen"),
        (["--listen", "::1:80"], "--listen"),
        (["--log-level", "loud"], "--log-level"),
        (["--change-log-retention", "0"], "--change-log-retention"),
        (["--change-log-retention=-5"], "--change-log-retention"),
        (["--change-log-retention", "1e3"], "--change-log-retention"),
        (["--change-log-retention"], "--change-log-retention"),
        (["--storage"], "--storage"),
        (["--storage="], "--storage"),
        (["--tls-cert-file", "x.crt"], "--tls-private-key-file"),
        (["--tls-private-key-file", "x.key"], "--tls-cert-file"),
        (["--requestheader-allowed-names", "a"],
         "--requestheader-client-ca-file"),
        (["stray"], "stray"),
    ]
    for args, word in cases:
        r = run([PEDIAD, "--state-dir", os.path.join(tmp, "s"), *args])
        check(r.returncode == 2, f"{args}: exit {r.returncode}, want 2")
        check(word in r.stderr, f"{args}: stderr lacks {word}: {r.stderr}")
        check("Usage:" in r.stderr, f"{args}: no usage in {r.stderr}")
    check(not os.path.exists(os.path.join(tmp, "s")),
          "a usage error created the state dir")
    # Runtime errors are exit 1 with the file named.
    r = run([PEDIAD, "--state-dir", os.path.join(tmp, "s"), "--listen",
             "127.0.0.1:0", "--token-auth-file", "/nonexistent/tokens"])
    check(r.returncode == 1 and "/nonexistent/tokens" in r.stderr,
          f"missing token file: {r.returncode} {r.stderr}")


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def san_text(path):
    r = run([OPENSSL, "x509", "-in", path, "-noout", "-ext",
             "subjectAltName"])
    return r.stdout


def read(path):
    with open(path) as f:
        return f.read()


def test_cert(tmp):
    state = os.path.join(tmp, "nested", "state")
    with Server(tmp, state=state) as s:
        check(mode(state) == 0o700, f"state dir mode {oct(mode(state))}")
        for name in ("ca.key", "serving.key", "admin-token"):
            p = os.path.join(state, name)
            check(mode(p) == 0o600, f"{name} mode {oct(mode(p))}")
        sans = san_text(os.path.join(state, "serving.crt"))
        for want in ("DNS:localhost", "IP Address:127.0.0.1",
                     "IP Address:0:0:0:0:0:0:0:1"):
            check(want in sans, f"SANs lack {want}: {sans}")
        tok = s.admin_token()
        code, _ = curl(s.url + "/healthz", s.ca())
        check(code == 200, f"healthz over verified TLS: {code}")
        # The name "localhost" verifies too.
        code, _ = curl(f"https://localhost:{s.port}/healthz", s.ca(),
                       extra=["--resolve", f"localhost:{s.port}:127.0.0.1"])
        check(code == 200, f"healthz via localhost: {code}")
        first = {n: read(os.path.join(state, n))
                 for n in ("ca.crt", "serving.crt", "serving.key")}
    # Restart: everything reused.
    with Server(tmp, state=state) as s:
        for n, text in first.items():
            check(read(os.path.join(state, n)) == text, f"{n} regenerated")
        check(s.admin_token() == tok, "admin token regenerated")
        code, _ = curl(s.url + "/version", s.ca(), token=tok)
        check(code == 200, f"/version after restart: {code}")
    # A lost serving key is reissued from the same CA; clients that trust
    # the CA keep working.
    os.unlink(os.path.join(state, "serving.key"))
    with Server(tmp, state=state) as s:
        check(read(os.path.join(state, "ca.crt")) == first["ca.crt"],
              "CA regenerated")
        check(read(os.path.join(state, "serving.crt")) !=
              first["serving.crt"], "serving cert not reissued")
        code, _ = curl(s.url + "/version", s.ca(), token=tok)
        check(code == 200, f"/version with the reissued cert: {code}")


def tls_handshake(s, ctx):
    """(version, cipher) pediad agrees to with ctx, or the SSL error."""
    ctx.load_verify_locations(cafile=s.ca())
    try:
        with ctx.wrap_socket(socket.create_connection(("127.0.0.1", s.port),
                                                      timeout=10),
                             server_hostname="127.0.0.1") as c:
            return c.version(), c.cipher()[0]
    except ssl.SSLError as e:
        return "refused", str(e)


def test_tls(tmp):
    """TLS 1.3 and 1.2 with AEAD ciphers only; the server picks AES-128-GCM
    first (as kube-apiserver does) even when the client prefers AES-256."""
    with Server(tmp) as s:
        ctx = ssl.create_default_context()
        got = tls_handshake(s, ctx)
        check(got == ("TLSv1.3", "TLS_AES_128_GCM_SHA256"), f"TLS 1.3: {got}")
        ctx = ssl.create_default_context()
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers("ECDHE-ECDSA-AES256-GCM-SHA384:"
                        "ECDHE-ECDSA-AES128-GCM-SHA256")
        got = tls_handshake(s, ctx)
        check(got == ("TLSv1.2", "ECDHE-ECDSA-AES128-GCM-SHA256"),
              f"TLS 1.2: {got}")
        ctx = ssl.create_default_context()
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers("ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA")
        got = tls_handshake(s, ctx)
        check(got[0] == "refused", f"TLS 1.2 with CBC ciphers only: {got}")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():  # deprecated: that is the point
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        got = tls_handshake(s, ctx)
        check(got[0] == "refused", f"TLS 1.1: {got}")


def make_serving(d, ca, name):
    return make_leaf(d, ca, name, "/CN=" + name,
                     "extendedKeyUsage=serverAuth\n"
                     "subjectAltName=IP:127.0.0.1,DNS:localhost\n")


def test_given_cert(tmp):
    ca = make_ca(tmp, "serving-ca")
    crt, key = make_serving(tmp, ca, "server")
    chain = write(os.path.join(tmp, "chain.crt"), read(crt) + read(ca[0]))
    tf = write(os.path.join(tmp, "tokens.csv"), "tok-1,admin,1,ops\n")
    kc = os.path.join(tmp, "home", "kubeconfig")
    os.mkdir(os.path.dirname(kc))
    with Server(tmp, "--tls-cert-file", chain, "--tls-private-key-file", key,
                "--token-auth-file", tf, "--kubeconfig-out", kc) as s:
        check(not os.path.exists(os.path.join(s.state, "ca.crt")),
              "a CA was generated although a certificate is given")
        code, _ = curl(s.url + "/version", ca[0], token="tok-1")
        check(code == 200, f"/version over the given certificate: {code}")
        # The kubeconfig trusts the chain's CA and has no credentials.
        _, cfg = kubeconfig_clusters(kc)
        users = {u["name"]: u.get("user") or {} for u in cfg["users"]}
        check(users == {"pediad-admin": {}}, f"users {users}")
        r = kubectl(kc, "--token", "tok-1", "get", "--raw", "/version")
        check(r.returncode == 0, "kubectl with the given CA: " + r.stderr)
        # Without credentials kubectl fails (it prompts for a basic-auth
        # user name, then sees end of input).
        r = kubectl(kc, "get", "--raw", "/version")
        check(r.returncode != 0, "kubectl without credentials succeeded")
    other = make_serving(tmp, ca, "other")
    r = run([PEDIAD, "--state-dir", os.path.join(tmp, "s"), "--listen",
             "127.0.0.1:0", "--tls-cert-file", chain,
             "--tls-private-key-file", other[1]])
    check(r.returncode == 1 and "--tls-cert-file" in r.stderr,
          f"mismatched key: {r.returncode} {r.stderr}")


def test_token_admin(tmp):
    with Server(tmp) as s:
        tok = s.admin_token()
        check(re.fullmatch(r"[0-9a-f]{64}", tok), "admin token not 32 hex "
              "bytes")
        code, body = curl(s.url + "/version", s.ca(), token=tok)
        check(code == 200, f"/version with the admin token: {code} {body}")
        check(json.loads(body).get("gitVersion"), "no gitVersion: " + body)
        s.wait_log(r"GET /version 200 user=pediad-admin "
                   r"groups=system:masters")
        for bad in ("wrong", tok[:-1], tok + "0", tok.upper()):
            code, body = curl(s.url + "/version", s.ca(), token=bad)
            check(code == 401, f"bad token: {code}")
            check_status(body, 401)
        code, body = curl(s.url + "/version", s.ca())
        check(code == 401, f"no token: {code}")
        check_status(body, 401)
        code, body = curl(s.url + "/version", s.ca(),
                          headers=[f"Authorization: Basic {tok}"])
        check(code == 401, f"basic auth: {code}")
        for p in ("/healthz", "/livez", "/readyz"):
            code, _ = curl(s.url + p, s.ca())
            check(code == 200, f"{p} without credentials: {code}")
        check(tok not in s.stderr(), "the token was logged")


TOKENS = '''\
tok-alice,alice,uid-1
tok-bob,bob,uid-2,"dev,ops"

 tok-carol,"carol ""c""",,g1
'''


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def test_token_file(tmp):
    tf = write(os.path.join(tmp, "tokens.csv"), TOKENS)
    with Server(tmp, "--token-auth-file", tf) as s:
        check(not os.path.exists(os.path.join(s.state, "admin-token")),
              "admin token generated although a token file is given")
        for tok, user, groups in (("tok-alice", "alice", ""),
                                  ("tok-bob", "bob", "dev,ops"),
                                  ("tok-carol", 'carol "c"', "g1")):
            code, body = curl(s.url + "/version", s.ca(), token=tok)
            check(code == 200, f"{tok}: {code} {body}")
            s.wait_log(r"GET /version 200 user=" + re.escape(user) +
                       " groups=" + re.escape(groups) + "$")
        code, body = curl(s.url + "/version", s.ca(), token="tok-dave")
        check(code == 401, f"unknown token: {code}")
        check_status(body, 401)
    bad = [
        ("tok-x,user-x\n", "line 1"),
        ("ok,u,1\n\n,u2,2\n", "line 3"),
        ('a,b,c\nt,"unterminated,1\n', "line 2"),
        ("a,b,c\nd,e,f\na,z,y\n", "line 3"),
        ('a,b"c,d\n', "line 1"),
        ("a,,c\n", "line 1"),
    ]
    for i, (text, where) in enumerate(bad):
        tf = write(os.path.join(tmp, f"bad{i}.csv"), text)
        r = run([PEDIAD, "--state-dir", os.path.join(tmp, "s"), "--listen",
                 "127.0.0.1:0", "--token-auth-file", tf], timeout=30)
        check(r.returncode == 1, f"{text!r}: exit {r.returncode}")
        check(where in r.stderr and tf in r.stderr,
              f"{text!r}: stderr should name {tf} {where}: {r.stderr}")
        check("tok-x" not in r.stderr, "a token was printed")


AUTHZ_TOKENS = """\
tok-root,root,uid-r,system:masters
tok-alice,alice,uid-a
"""


def test_authorization(tmp):
    """--authorization-mode RBAC: kube's bootstrap roles for everyone
    signed in (discovery, /version, whoami), nothing else without a
    binding (kube's 403), system:masters everything; bad modes refused."""
    tf = write(os.path.join(tmp, "tokens.csv"), AUTHZ_TOKENS)
    with Server(tmp, "--token-auth-file", tf, "--authorization-mode",
                "RBAC") as s:
        res = s.url + "/apis/clusterpedia.io/v1beta1/resources"
        for path in ("/version", "/apis", res + "/api"):
            code, body = curl(s.url + path if path[0] == "/" else path,
                              s.ca(), token="tok-alice")
            check(code == 200, f"alice {path}: {code} {body}")
        code, body = curl(res + "/api/v1/pods", s.ca(), token="tok-alice")
        check(code == 403, f"alice lists pods: {code}")
        check_status(body, 403)
        check('User \\"alice\\" cannot list resource \\"pods\\" in API '
              'group \\"\\" at the cluster scope' in body, body)
        code, body = curl(s.url + "/metrics", s.ca(), token="tok-alice")
        check(code == 403, f"alice /metrics: {code}")
        code, body = curl(s.url + "/apis/authentication.k8s.io/v1/"
                          "selfsubjectreviews", s.ca(), token="tok-alice",
                          method="POST")
        check(code == 201 and '"username":"alice"' in body,
              f"alice whoami: {code} {body}")
        for path in ("/metrics", "/apis/cluster.clusterpedia.io/v1alpha2/"
                     "pediaclusters"):
            code, body = curl(s.url + path, s.ca(), token="tok-root")
            check(code == 200, f"root {path}: {code} {body}")
        code, body = curl(s.url + "/metrics", s.ca(), token="tok-root")
        m = re.search(r"^pedia_api_authz_denied_total (\d+)", body, re.M)
        check(m and int(m.group(1)) >= 2, f"denials counted: {m}")
        s.wait_log(r'denied: user "alice" list pods cluster "" namespace ""')
        check("tok-alice" not in s.stdout() + s.stderr(),
              "a token in the log")
    for mode, why in (("Bogus", "unknown"),
                      ("Webhook", "no authorization kubeconfig"),
                      ("RBAC,RBAC", "twice"), ("", "empty")):
        r = run([PEDIAD, "--state-dir", os.path.join(tmp, "s"), "--listen",
                 "127.0.0.1:0", "--authorization-mode", mode], timeout=30)
        check(r.returncode != 0, f"mode {mode!r}: exit {r.returncode}")
        check("--authorization-mode" in r.stderr and why in r.stderr,
              f"mode {mode!r}: {r.stderr}")


def test_client_cert(tmp):
    ca = make_ca(tmp, "client-ca")
    other = make_ca(tmp, "other-ca")
    alice = make_client(tmp, ca, "alice", "/O=dev/O=ops/CN=alice")
    mallory = make_client(tmp, other, "mallory", "/O=dev/CN=mallory")
    with Server(tmp, "--client-ca-file", ca[0]) as s:
        check(not os.path.exists(os.path.join(s.state, "admin-token")),
              "admin token generated although a client CA is given")
        code, body = curl(s.url + "/version", s.ca(), cert=alice)
        check(code == 200, f"alice's certificate: {code} {body}")
        s.wait_log(r"GET /version 200 user=alice groups=dev,ops$")
        code, body = curl(s.url + "/version", s.ca(), cert=mallory)
        check(code == 401, f"certificate of another CA: {code}")
        check_status(body, 401)
        # No certificate: the handshake still succeeds (certs are optional).
        code, body = curl(s.url + "/version", s.ca())
        check(code == 401, f"no certificate: {code}")
        code, _ = curl(s.url + "/healthz", s.ca())
        check(code == 200, f"healthz without a certificate: {code}")


WHOAMI = "/apis/authentication.k8s.io/v1/selfsubjectreviews"


def whoami(s, **kw):
    """POST a SelfSubjectReview with curl: (code, status.userInfo or the
    body when not 201)."""
    code, body = curl(s.url + WHOAMI, s.ca(), method="POST", **kw)
    if code != 201:
        return code, body
    return code, json.loads(body)["status"]["userInfo"]


def test_front_proxy(tmp):
    rh = make_ca(tmp, "front-proxy-ca")
    cca = make_ca(tmp, "client-ca")
    proxy = make_client(tmp, rh, "proxy", "/CN=front-proxy-client")
    evil = make_client(tmp, rh, "evil", "/CN=someone-else")
    alice = make_client(tmp, cca, "alice", "/O=dev/CN=alice")
    stranger = make_client(tmp, make_ca(tmp, "x-ca"), "stranger",
                           "/CN=front-proxy-client")
    hdrs = ["X-Remote-User: bob", "X-Remote-Group: g1",
            "X-Remote-Group: g2", "X-Remote-Extra-Scopes: s"]
    with Server(tmp, "--requestheader-client-ca-file", rh[0],
                "--requestheader-allowed-names", "front-proxy-client,other",
                "--client-ca-file", cca[0]) as s:
        code, body = curl(s.url + "/version", s.ca(), cert=proxy,
                          headers=hdrs)
        check(code == 200, f"front proxy: {code} {body}")
        s.wait_log(r"GET /version 200 user=bob groups=g1,g2$")
        # X-Remote-Extra-<key>: one value per header, the key lower-cased
        # and percent-decoded (kube-aggregator escapes it); whoami shows it
        code, info = whoami(s, cert=proxy, headers=hdrs + [
            "X-Remote-Extra-Scopes: t",
            "x-remote-extra-Example.com%2FTeam: Blue, Green"])
        check(code == 201 and info.get("extra") ==
              {"scopes": ["s", "t"], "example.com/team": ["Blue, Green"]},
              f"front proxy's extra: {code} {info}")
        check(info["username"] == "bob" and "g2" in info["groups"],
              f"front proxy's whoami: {info}")
        # The proxy certificate alone is no user.
        code, _ = curl(s.url + "/version", s.ca(), cert=proxy)
        check(code == 401, f"proxy cert without X-Remote-User: {code}")
        # A CN that is not allowed, a foreign CA, no cert: headers ignored.
        for cert in (evil, stranger, None):
            code, body = curl(s.url + "/version", s.ca(), cert=cert,
                              headers=hdrs)
            check(code == 401, f"headers honoured for {cert}: {code}")
            check_status(body, 401)
        # A client certificate: the user is its CN, headers ignored.
        code, _ = curl(s.url + "/version", s.ca(), cert=alice, headers=hdrs)
        check(code == 200, f"client cert with proxy headers: {code}")
        s.wait_log(r"GET /version 200 user=alice groups=dev$")
        code, info = whoami(s, cert=alice, headers=hdrs)
        check(code == 201 and info["username"] == "alice" and
              "extra" not in info, f"alice's whoami: {code} {info}")
        # honoured for the proxy's two requests only (/version, whoami)
        check(s.stderr().count("user=bob") == 2,
              "proxy headers honoured for others:\n" + s.stderr())
    # An empty allowed-names list accepts any CN of the front-proxy CA.
    with Server(tmp, "--requestheader-client-ca-file", rh[0],
                "--requestheader-allowed-names", "") as s:
        code, _ = curl(s.url + "/version", s.ca(), cert=evil, headers=hdrs)
        check(code == 200, f"any CN with an empty allow list: {code}")
        s.wait_log(r"user=bob groups=g1,g2$")


def test_impersonate_extra(tmp):
    """Impersonate-Extra-* and Impersonate-Group with ", " through pediad
    (libmicrohttpd's headers told one by one), with curl and with the real
    kubectl (a kubeconfig's as-user-extra); each extra value needs its own
    userextras grant."""
    tf = write(os.path.join(tmp, "tokens.csv"), AUTHZ_TOKENS)
    kc = os.path.join(tmp, "home", "kubeconfig")
    os.mkdir(os.path.dirname(kc))
    with Server(tmp, "--token-auth-file", tf, "--kubeconfig-out", kc) as s:
        code, info = whoami(s, token="tok-root", headers=[
            "Impersonate-User: alice", "Impersonate-Group: a, b",
            "Impersonate-Group: c", "Impersonate-Extra-Scopes: x",
            "Impersonate-Extra-Scopes: y",
            "Impersonate-Extra-Example.com%2fTeam: blue"])
        check(code == 201 and info == {
            "username": "alice", "groups": ["a, b", "c",
                                            "system:authenticated"],
            "extra": {"example.com/team": ["blue"], "scopes": ["x", "y"]}},
            f"root as alice: {code} {info}")
        code, body = whoami(s, token="tok-root", headers=[
            "Impersonate-Extra-Scopes: x"])
        check(code == 400 and "without impersonating a user" in body,
              f"extra without a user: {code} {body}")
        # alice may impersonate bob with scopes=read only
        role = write(os.path.join(tmp, "as-bob.yaml"), AS_BOB)
        r = kubectl(kc, "--token", "tok-root", "apply", "-f", role)
        check(r.returncode == 0, "apply: " + r.stderr)
        for scope, want in (("read", 201), ("write", 403)):
            code, body = whoami(s, token="tok-alice", headers=[
                "Impersonate-User: bob", f"Impersonate-Extra-Scopes: {scope}"])
            check(code == want, f"alice as bob with {scope}: {code} {body}")
        check('userextras.authentication.k8s.io \\"write\\" is forbidden: '
              'User \\"alice\\" cannot impersonate resource '
              '\\"userextras/scopes\\" in API group '
              '\\"authentication.k8s.io\\" at the cluster scope' in body,
              body)
        # the real kubectl: as-user-extra of a kubeconfig's user
        r = kubectl(kc, "config", "view", "--raw", "-o", "json")
        check(r.returncode == 0, "config view: " + r.stderr)
        cfg = json.loads(r.stdout)
        user = cfg["users"][0]["user"]
        user.pop("client-certificate-data", None)
        user.pop("client-key-data", None)
        user.update({"token": "tok-alice", "as": "bob",
                     "as-user-extra": {"scopes": ["read"]}})
        kc2 = write(os.path.join(tmp, "home", "as-bob.json"), json.dumps(cfg))
        r = kubectl(kc2, "auth", "whoami", "-o", "json")
        check(r.returncode == 0, "kubectl as bob: " + r.stdout + r.stderr)
        info = json.loads(r.stdout)["status"]["userInfo"]
        check(info["username"] == "bob" and
              info.get("extra") == {"scopes": ["read"]},
              f"kubectl as bob: {info}")
        user["as-user-extra"] = {"scopes": ["read", "write"]}
        write(kc2, json.dumps(cfg))
        r = kubectl(kc2, "get", "clusterroles")
        check(r.returncode != 0 and "cannot impersonate resource "
              '"userextras/scopes"' in r.stderr,
              "kubectl as bob with write: " + r.stdout + r.stderr)


AS_BOB = """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: as-bob
rules:
- apiGroups: [""]
  resources: [users]
  resourceNames: [bob]
  verbs: [impersonate]
- apiGroups: [authentication.k8s.io]
  resources: [userextras/scopes]
  resourceNames: [read]
  verbs: [impersonate]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: alice-as-bob
subjects:
- kind: User
  name: alice
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: as-bob
"""


def test_limits(tmp):
    with Server(tmp) as s:
        tok = s.admin_token()
        big = os.path.join(tmp, "big.json")
        with open(big, "wb") as f:
            f.write(b" " * (4 << 20))
        url = s.url + "/apis/cluster.clusterpedia.io/v1alpha2/pediaclusters"
        code, body = curl(url, s.ca(), token=tok, data_file=big)
        check(code == 413, f"4 MiB POST: {code}")
        check_status(body, 413)
        code, body = curl(url, s.ca(), token=tok, data_file=big,
                          headers=["Transfer-Encoding: chunked"])
        check(code == 413, f"4 MiB chunked POST: {code}")
        check_status(body, 413)
        check_long_heads(s, tok, status_body=True)
    # A watch-heavy pool (32 KiB): heads past it get libmicrohttpd's own
    # 414/431 (no Status), 20 kB of headers still fit.
    with Server(tmp, "--http-connection-memory", "32768",
                state=os.path.join(tmp, "state2")) as s:
        tok = s.admin_token()
        check_long_heads(s, tok, status_body=False)
        code, _ = curl(s.url + "/version", s.ca(), token=tok,
                       headers=["X-Big: " + "b" * 20000])
        check(code == 200, f"20 kB of headers: {code}")


def check_long_heads(s, tok, status_body):
    """A 40 kB URL is 414, 90 kB of headers 431; the server stays fine."""
    code, body = curl(s.url + "/version?x=" + "a" * 40000, s.ca(),
                      token=tok)
    check(code == 414 or (not status_body and code == 431),
          f"40 kB URL: {code}")
    if status_body:
        check_status(body, 414)
    try:
        code, body = curl(s.url + "/version", s.ca(), token=tok,
                          headers=[f"X-Big-{i}: " + "b" * 30000
                                   for i in range(3)])
    except Fail as e:
        # a small pool: libmicrohttpd may answer and close before curl
        # has sent the 90 kB, which curl reports as a send failure
        if status_body or "Send failure" not in str(e):
            raise
        code, body = 431, ""
    check(code == 431, f"90 kB of headers: {code}")
    if status_body:
        check_status(body, 431)
    code, _ = curl(s.url + "/version", s.ca(), token=tok)
    check(code == 200, f"server still fine: {code}")


MEMBER = """\
# A member that is never reachable: only its name matters here.
apiVersion: cluster.clusterpedia.io/v1alpha2
kind: PediaCluster
metadata:
  name: {name}
spec:
  apiserver: https://127.0.0.1:9
  tokenData: dG9rZW4=
  insecureSkipTLSVerify: true
  syncResources:
  - group: ""
    resources: [pods]
"""


WEBHOOK_TOKENS = """\
tok-hooked,hooked,uid-h,dev
tok-banned,banned,uid-b,system:masters-not
tok-other,other,uid-o
"""


def test_webhook(tmp):
    """--authorization-mode RBAC,Webhook: the host's SubjectAccessReview
    decides what RBAC does not allow, with the request's own attributes
    (outer ones below a search root), cached; bad flags refused."""
    sar = SarServer("sar-s3cret")
    try:
        kc = write(os.path.join(tmp, "authz.kubeconfig"),
                   sar.kubeconfig("sar-s3cret"))
        tf = write(os.path.join(tmp, "tokens.csv"), WEBHOOK_TOKENS)
        with Server(tmp, "--token-auth-file", tf, "--authorization-mode",
                    "RBAC,Webhook", "--authorization-kubeconfig", kc,
                    "--authorization-webhook-cache-authorized-ttl", "1m",
                    "--authorization-webhook-cache-unauthorized-ttl",
                    "500ms") as s:
            pcl = (s.url +
                   "/apis/cluster.clusterpedia.io/v1alpha2/pediaclusters")
            code, body = curl(pcl, s.ca(), token="tok-hooked")
            check(code == 200, f"hooked lists pediaclusters: {code} {body}")
            spec = sar.reviews[-1]
            check(spec["user"] == "hooked" and "dev" in spec["groups"] and
                  spec["resourceAttributes"] ==
                  {"namespace": "", "verb": "list",
                   "group": "cluster.clusterpedia.io", "version": "v1alpha2",
                   "resource": "pediaclusters", "subresource": "",
                   "name": ""}, f"review: {spec}")
            n = len(sar.reviews)
            code, _ = curl(pcl, s.ca(), token="tok-hooked")
            check(code == 200 and len(sar.reviews) == n,
                  f"an allow is cached: {code} {len(sar.reviews)} vs {n}")
            for tok in ("tok-banned", "tok-other"):
                code, body = curl(pcl, s.ca(), token=tok)
                check(code == 403, f"{tok}: {code} {body}")
            # below a search root: the outer path, as Clusterpedia's hosts
            curl(s.url + "/apis/clusterpedia.io/v1beta1/resources/clusters/"
                 "c1/api/v1/pods", s.ca(), token="tok-other")
            spec = sar.reviews[-1]["resourceAttributes"]
            check(spec["group"] == "clusterpedia.io" and
                  spec["resource"] == "resources" and
                  spec["name"] == "clusters" and spec["subresource"] == "c1"
                  and spec["verb"] == "get", f"outer attributes: {spec}")
            # the host's denial below a search root says why, as at the root
            code, body = curl(s.url + "/apis/clusterpedia.io/v1beta1/"
                              "resources/clusters/c1/api/v1/pods", s.ca(),
                              token="tok-banned")
            check(code == 403 and 'cannot list resource \\"pods\\"' in body
                  and "at the cluster scope: by the test's host" in body,
                  f"denied below a search root: {code} {body}")
            code, _ = curl(s.url + "/metrics", s.ca(), token="tok-hooked")
            check(code == 200, f"hooked /metrics: {code}")
            # a webhook cannot list rules: a rules review says so
            rr = write(os.path.join(tmp, "ssrr.json"),
                       '{"spec":{"namespace":"default"}}')
            code, body = curl(s.url + "/apis/authorization.k8s.io/v1/"
                              "selfsubjectrulesreviews", s.ca(),
                              token="tok-other", data_file=rr, method="POST",
                              headers=["Content-Type: application/json"])
            check(code == 201 and '"incomplete":true' in body,
                  f"rules review under Webhook: {code} {body}")
            check(sar.reviews[-1].get("nonResourceAttributes") ==
                  {"path": "/metrics", "verb": "get"},
                  f"non-resource review: {sar.reviews[-1]}")
            check("sar-s3cret" not in s.stdout() + s.stderr(),
                  "the authorization kubeconfig's token in the log")
            # an impersonated extra is the review's spec.extra
            code, body = curl(pcl, s.ca(), token="tok-hooked", headers=[
                "Impersonate-User: hooked", "Impersonate-Extra-Team: x"])
            check(code == 200, f"hooked with an extra: {code} {body}")
            check(sar.reviews[-1].get("extra") == {"team": ["x"]} and
                  sar.reviews[-1]["user"] == "hooked",
                  f"impersonated extra in the review: {sar.reviews[-1]}")
        check_webhook_extra(tmp, kc, sar)
        for flags, why in (
                (["--authorization-kubeconfig", "/nonexistent"],
                 "cannot read"),
                (["--authorization-webhook-cache-authorized-ttl", "10x"],
                 "expected a duration")):
            r = run([PEDIAD, "--state-dir", os.path.join(tmp, "s2"),
                     "--listen", "127.0.0.1:0", *flags], timeout=30)
            check(r.returncode != 0 and why in r.stderr,
                  f"{flags}: {r.returncode} {r.stderr}")
    finally:
        sar.close()


def check_webhook_extra(tmp, kc, sar):
    """A front proxy's X-Remote-Extra-* goes to the host as the review's
    spec.extra (a map of lists, as kube's webhook authorizer sends it), and
    is part of the cache key: another extra is another review."""
    rh = make_ca(tmp, "front-proxy-ca")
    proxy = make_client(tmp, rh, "proxy", "/CN=front-proxy-client")
    tf = write(os.path.join(tmp, "tokens2.csv"), WEBHOOK_TOKENS)
    with Server(tmp, "--token-auth-file", tf,
                "--requestheader-client-ca-file", rh[0],
                "--authorization-mode", "RBAC,Webhook",
                "--authorization-kubeconfig", kc,
                "--authorization-webhook-cache-authorized-ttl", "1m",
                state=os.path.join(tmp, "state-extra")) as s:
        pcl = s.url + "/apis/cluster.clusterpedia.io/v1alpha2/pediaclusters"
        as_hooked = ["X-Remote-User: hooked", "X-Remote-Group: dev",
                     "X-Remote-Extra-Scopes: a", "X-Remote-Extra-Scopes: b",
                     "X-Remote-Extra-Example.com%2FTeam: blue"]
        n = len(sar.reviews)
        code, body = curl(pcl, s.ca(), cert=proxy, headers=as_hooked)
        check(code == 200, f"proxied hooked: {code} {body}")
        spec = sar.reviews[-1]
        check(len(sar.reviews) == n + 1 and
              spec.get("extra") == {"scopes": ["a", "b"],
                                    "example.com/team": ["blue"]},
              f"spec.extra: {spec}")
        code, _ = curl(pcl, s.ca(), cert=proxy, headers=as_hooked)
        check(code == 200 and len(sar.reviews) == n + 1,
              "the same extra is answered from the cache")
        code, _ = curl(pcl, s.ca(), cert=proxy,
                       headers=as_hooked[:2] + ["X-Remote-Extra-Scopes: c"])
        check(code == 200 and len(sar.reviews) == n + 2 and
              sar.reviews[-1].get("extra") == {"scopes": ["c"]},
              f"another extra, another review: {sar.reviews[-1]}")
        code, _ = curl(pcl, s.ca(), token="tok-hooked")
        check(code == 200 and "extra" not in sar.reviews[-1],
              f"no extra, none sent: {sar.reviews[-1]}")


TEAM_A = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: pod-reader
  namespace: team-a
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch]
- apiGroups: [rbac.authorization.k8s.io]
  resources: [roles]
  verbs: [get, list]
- apiGroups: [rbac.authorization.k8s.io]
  resources: [rolebindings]
  verbs: [create, get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: alice-reads
  namespace: team-a
subjects:
- kind: User
  name: alice
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: pod-reader
"""


def test_rbac_kubectl(tmp):
    """pediad's own RBAC API with the real kubectl, in the default mode
    (RBAC): apply, re-apply, get, edit by patch, escalation refused, delete;
    a binding is in force as soon as kubectl returns."""
    tf = write(os.path.join(tmp, "tokens.csv"), AUTHZ_TOKENS)
    kc = os.path.join(tmp, "home", "kubeconfig")
    os.mkdir(os.path.dirname(kc))
    team = write(os.path.join(tmp, "team-a.yaml"), TEAM_A)
    with Server(tmp, "--token-auth-file", tf, "--kubeconfig-out", kc) as s:
        root = ("--token", "tok-root")
        alice = ("--token", "tok-alice")
        # what the Role grants at pediad's own root (pods need a member)
        pods = ("get", "roles", "-n", "team-a")
        r = kubectl(kc, *alice, *pods)
        check(r.returncode != 0 and "forbidden" in r.stderr.lower(),
              "alice before the binding: " + r.stderr)
        r = kubectl(kc, *root, "apply", "-f", team)
        check(r.returncode == 0, "apply: " + r.stderr)
        check("role.rbac.authorization.k8s.io/pod-reader created" in
              r.stdout, r.stdout)
        r = kubectl(kc, *alice, *pods)
        check(r.returncode == 0 and "pod-reader" in r.stdout,
              "alice after the binding: " + r.stderr)
        r = kubectl(kc, *root, "apply", "-f", team)
        check(r.returncode == 0 and "unchanged" in r.stdout,
              "re-apply: " + r.stdout + r.stderr)
        # the admin acts as alice (kubectl --as): alice's rights, not root's
        r = kubectl(kc, *root, "--as", "alice", "auth", "whoami", "-o",
                    "json")
        check(r.returncode == 0 and
              json.loads(r.stdout)["status"]["userInfo"]["username"] ==
              "alice", "--as alice whoami: " + r.stdout + r.stderr)
        r = kubectl(kc, *root, "--as", "alice", *pods)
        check(r.returncode == 0 and "pod-reader" in r.stdout,
              "--as alice: " + r.stderr)
        r = kubectl(kc, *root, "--as", "alice", "get", "clusterroles")
        check(r.returncode != 0 and "forbidden" in r.stderr.lower(),
              "--as alice lists clusterroles: " + r.stderr)
        r = kubectl(kc, *alice, "--as", "root", *pods)
        check(r.returncode != 0 and "cannot impersonate" in r.stderr,
              "alice --as root: " + r.stderr)
        r = kubectl(kc, *root, "get", "clusterroles", "-o", "name")
        check(r.returncode == 0 and "clusterrole.rbac.authorization.k8s.io/"
              "cluster-admin" in r.stdout, "bootstrap roles: " + r.stdout +
              r.stderr)
        r = kubectl(kc, *root, "get", "rolebindings", "-A")
        check(r.returncode == 0 and "alice-reads" in r.stdout,
              "bindings: " + r.stdout + r.stderr)
        r = kubectl(kc, *root, "label", "role", "-n", "team-a",
                    "pod-reader", "team=a")
        check(r.returncode == 0, "label: " + r.stderr)
        # alice may not grant herself more
        mine = write(os.path.join(tmp, "mine.yaml"), TEAM_A.split("---\n")[1]
                     .replace("alice-reads", "mine")
                     .replace("kind: Role\n  name: pod-reader",
                              "kind: ClusterRole\n  name: cluster-admin"))
        r = kubectl(kc, *alice, "apply", "-f", mine)
        check(r.returncode != 0 and "is attempting to grant RBAC "
              "permissions not currently held" in r.stderr,
              "alice binds cluster-admin: " + r.stderr)
        r = kubectl(kc, *root, "delete", "-f", team)
        check(r.returncode == 0 and "deleted" in r.stdout,
              "delete: " + r.stdout + r.stderr)
        r = kubectl(kc, *alice, *pods)
        check(r.returncode != 0 and "forbidden" in r.stderr.lower(),
              "alice after the delete: " + r.stderr)


def kubectl(kc, *args):
    if not os.access(KUBECTL, os.X_OK):
        raise Skip(f"{KUBECTL} missing")
    return run([KUBECTL, "--kubeconfig", kc, "--request-timeout", "15s",
                *args], env=dict(os.environ, HOME=os.path.dirname(kc)))


def kubeconfig_clusters(kc):
    r = kubectl(kc, "config", "view", "-o", "json")
    check(r.returncode == 0, "config view: " + r.stderr)
    cfg = json.loads(r.stdout)
    return {c["name"]: c["cluster"]["server"] for c in cfg["clusters"]}, cfg


def test_kubeconfig(tmp):
    cdir = os.path.join(tmp, "clusters")
    os.mkdir(cdir)
    write(os.path.join(cdir, "a.yaml"), MEMBER.format(name="member-a"))
    write(os.path.join(cdir, "b.yml"), "---\n" + MEMBER.format(name="member-b"))
    write(os.path.join(cdir, "notes.txt"), "not a manifest")
    kc = os.path.join(tmp, "home", "kubeconfig")
    os.mkdir(os.path.dirname(kc))
    with Server(tmp, "--kubeconfig-out", kc, "--clusters-dir", cdir) as s:
        check(mode(kc) == 0o600, f"kubeconfig mode {oct(mode(kc))}")
        check(s.admin_token() in read(kc), "admin token not in kubeconfig")
        r = kubectl(kc, "get", "--raw", "/version")
        check(r.returncode == 0, "kubectl get --raw /version: " + r.stderr)
        check(json.loads(r.stdout).get("gitVersion"), r.stdout)
        servers, cfg = kubeconfig_clusters(kc)
        base = s.url
        want = {"pediad": base,
                "clusterpedia": base +
                "/apis/clusterpedia.io/v1beta1/resources",
                "member-a": base +
                "/apis/clusterpedia.io/v1beta1/resources/clusters/member-a",
                "member-b": base +
                "/apis/clusterpedia.io/v1beta1/resources/clusters/member-b"}
        check(servers == want, f"clusters {servers}")
        check(cfg["current-context"] == "pediad", "current-context")
        ctxs = {c["name"] for c in cfg["contexts"]}
        check(ctxs == set(want), f"contexts {ctxs}")
        check(not any(f.startswith("kubeconfig.tmp") for f in
                      os.listdir(os.path.dirname(kc))), "temp file left")


def test_kubeconfig_dynamic(tmp):
    kc = os.path.join(tmp, "home", "kubeconfig")
    os.mkdir(os.path.dirname(kc))
    m = write(os.path.join(tmp, "m.yaml"), MEMBER.format(name="member-c"))
    with Server(tmp, "--kubeconfig-out", kc) as s:
        servers, _ = kubeconfig_clusters(kc)
        check(set(servers) == {"pediad", "clusterpedia"}, f"{servers}")
        r = kubectl(kc, "apply", "--validate=false", "-f", m)
        if r.returncode != 0 and "could not find the requested" in r.stderr:
            raise Skip("the PediaCluster API is not served yet: " +
                       r.stderr.strip())
        check(r.returncode == 0, "kubectl apply: " + r.stderr)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            servers, _ = kubeconfig_clusters(kc)
            if "member-c" in servers:
                break
            time.sleep(0.5)
        check("member-c" in servers, f"kubeconfig not rewritten: {servers}")
        r = kubectl(kc, "get", "pediaclusters", "-o", "name")
        check(r.returncode == 0 and "member-c" in r.stdout,
              "get pediaclusters: " + r.stdout + r.stderr)


def test_clusters_dir_error(tmp):
    cdir = os.path.join(tmp, "clusters")
    os.mkdir(cdir)
    write(os.path.join(cdir, "a-good.yaml"), MEMBER.format(name="member-a"))
    bad = write(os.path.join(cdir, "b-bad.yaml"),
                "apiVersion: cluster.clusterpedia.io/v1alpha2\n"
                "kind: PediaCluster\nmetadata:\n  name: x\nspec: 7\n")
    r = run([PEDIAD, "--state-dir", os.path.join(tmp, "s"), "--listen",
             "127.0.0.1:0", "--clusters-dir", cdir], timeout=60)
    check(r.returncode == 1, f"exit {r.returncode}: {r.stderr}")
    check(bad in r.stderr, f"stderr does not name {bad}: {r.stderr}")
    r = run([PEDIAD, "--state-dir", os.path.join(tmp, "s"), "--listen",
             "127.0.0.1:0", "--clusters-dir", os.path.join(tmp, "none")],
            timeout=60)
    check(r.returncode == 1 and "--clusters-dir" in r.stderr,
          f"missing dir: {r.returncode} {r.stderr}")


def test_sigterm(tmp):
    for sig in (signal.SIGTERM, signal.SIGINT):
        with Server(tmp) as s:
            tok = s.admin_token()
            # An idle keep-alive connection and a long-running request.
            ctx = ssl.create_default_context(cafile=s.ca())
            idle = ctx.wrap_socket(socket.create_connection(
                ("127.0.0.1", s.port), timeout=10),
                server_hostname="127.0.0.1")
            idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            check(b" 200 " in idle.recv(4096), "keep-alive request")
            watch = subprocess.Popen(
                [CURL, "-sN", "--max-time", "60", "--cacert", s.ca(), "-H",
                 f"Authorization: Bearer {tok}",
                 s.url + "/apis/clusterpedia.io/v1beta1/resources/api/v1/"
                 "pods?watch=1"], stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL)
            try:
                time.sleep(1)
                t0 = time.monotonic()
                rc = s.stop(sig, timeout=15)
                took = time.monotonic() - t0
                check(rc == 0, f"exit code {rc} after {sig}")
                check(took < 10, f"shutdown took {took:.1f} s")
                check("stopped" in s.stderr(), "no 'stopped' log line")
                watch.wait(10)
            finally:
                idle.close()
                if watch.poll() is None:
                    watch.kill()
                    watch.wait()


class Kubesim:
    """tests/kubesim as a member cluster (KUBESIM env var: its binary)."""

    def __init__(self, tmp, pods=45, seed=3):
        self.pods = pods
        self.bin = os.environ.get("KUBESIM", "")
        if not os.access(self.bin, os.X_OK):
            raise Skip("KUBESIM (the kubesim binary) not given")
        self.tmp = tmp
        self.seed = seed  # another seed, other object names
        tag = "" if seed == 3 else str(seed)
        self.certs = os.path.join(tmp, f"ks{tag}-certs")
        self.out = os.path.join(tmp, f"ks{tag}.out")
        self.proc = None

    def __enter__(self):
        with open(self.out, "w") as out:
            self.proc = subprocess.Popen(
                [self.bin, "--generate-pods", str(self.pods), "--seed",
                 str(self.seed),
                 "--token", "tok3n", "--generate-certs", self.certs],
                stdout=out,
                stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            m = re.search(r"port=(\d+) control=(\d+)", read(self.out))
            if m:
                self.port, self.control = int(m.group(1)), int(m.group(2))
                return self
            check(self.proc.poll() is None, "kubesim exited")
            time.sleep(0.05)
        raise Fail("kubesim did not start")

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        return False

    def manifest(self, name):
        import base64
        ca = base64.b64encode(open(os.path.join(self.certs, "ca.crt"),
                                   "rb").read()).decode()
        return (f"apiVersion: cluster.clusterpedia.io/v1alpha2\n"
                f"kind: PediaCluster\nmetadata:\n  name: {name}\nspec:\n"
                f"  apiserver: https://127.0.0.1:{self.port}\n"
                f"  caData: {ca}\n  tokenData: dG9rM24=\n"
                f"  syncResources:\n  - group: \"\"\n    resources: [pods]\n")

    def latency(self, ms):
        """Delay every API request of the member by ms (0 = off)."""
        run([CURL, "-sS", "--max-time", "10", "-XPOST", "-d",
             json.dumps({"ms": ms}),
             f"http://127.0.0.1:{self.control}/latency"])

    def churn(self, rate):
        run([CURL, "-sS", "--max-time", "10", "-XPOST", "-d",
             json.dumps({"rate": rate}),
             f"http://127.0.0.1:{self.control}/churn"])


def test_watch(tmp):
    """A real member (kubesim): lists and watches stream through pediad to
    kubectl; SIGTERM with the watch open still exits 0 promptly."""
    with Kubesim(tmp) as ks:
        cdir = os.path.join(tmp, "clusters")
        os.mkdir(cdir)
        write(os.path.join(cdir, "m1.yaml"), ks.manifest("m1"))
        kc = os.path.join(tmp, "home", "kubeconfig")
        os.mkdir(os.path.dirname(kc))
        with Server(tmp, "--clusters-dir", cdir, "--kubeconfig-out", kc) as s:
            deadline = time.monotonic() + 60
            rows = []
            while time.monotonic() < deadline:
                r = kubectl(kc, "--context", "m1", "get", "pods", "-A",
                            "--no-headers", "--chunk-size=7")
                rows = r.stdout.splitlines() if r.returncode == 0 else []
                if len(rows) == 45:
                    break
                time.sleep(0.5)
            check(len(rows) == 45, f"{len(rows)} pods listed, want 45")
            events = os.path.join(tmp, "watch.out")
            with open(events, "w") as out:
                w = subprocess.Popen(
                    [KUBECTL, "--kubeconfig", kc, "--context", "clusterpedia",
                     "get", "pods", "-A", "-w", "--watch-only",
                     "--output-watch-events", "--no-headers"],
                    stdout=out, stderr=subprocess.DEVNULL,
                    stdin=subprocess.DEVNULL,
                    env=dict(os.environ, HOME=os.path.dirname(kc)))
            try:
                time.sleep(2)
                ks.churn(10)
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and \
                        len(read(events).splitlines()) < 5:
                    time.sleep(0.2)
                ks.churn(0)
                n = len(read(events).splitlines())
                check(n >= 5, f"{n} watch events through pediad")
                t0 = time.monotonic()
                rc = s.stop(signal.SIGTERM, timeout=15)
                check(rc == 0, f"exit {rc} with a watch open")
                check(time.monotonic() - t0 < 10, "slow shutdown")
                w.wait(15)
            finally:
                if w.poll() is None:
                    w.kill()
                    w.wait()


def fill(directory):
    """Fill the file system of directory until it has no room left;
    returns the filler's path."""
    path = os.path.join(directory, "filler")
    chunk = b"\0" * 65536
    with open(path, "wb", buffering=0) as f:
        try:
            while True:
                f.write(chunk)
        except OSError:
            pass
        try:  # the last partial block
            while True:
                f.write(b"\0" * 512)
        except OSError:
            pass
    return path


def wait_readyz(s, code, timeout=60):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = curl(s.url + "/readyz", s.ca())
        if last[0] == code:
            return last[1]
        time.sleep(0.2)
    raise Fail(f"/readyz never answered {code}; last {last}")


def test_readyz_disk_full(tmp):
    """The store on a small tmpfs that fills up while a member churns:
    /readyz fails (kube's "[-]store failed: reason withheld"), liveness
    stays, the log says why once; room again: ready by itself. The
    database and its -wal/-shm are 0600. Needs root for the mount."""
    mnt = os.path.join(tmp, "mnt")
    os.mkdir(mnt)
    r = run(["mount", "-t", "tmpfs", "-o", "size=8m,mode=0755", "tmpfs", mnt])
    if r.returncode != 0:
        raise Skip(f"cannot mount a tmpfs (root needed): {r.stderr.strip()}")
    try:
        with Kubesim(tmp) as ks:
            readyz_disk_full(tmp, mnt, ks)
    finally:
        run(["umount", "-l", mnt])


def readyz_disk_full(tmp, mnt, ks):
    cdir = os.path.join(tmp, "clusters")
    os.mkdir(cdir)
    write(os.path.join(cdir, "m1.yaml"), ks.manifest("m1"))
    db = os.path.join(mnt, "store.db")
    with Server(tmp, "--clusters-dir", cdir, "--storage", "sqlite:" + db) as s:
        check(wait_readyz(s, 200) == "ok", "ready at start")
        for f in (db, db + "-wal", db + "-shm"):
            check(mode(f) == 0o600, f"{f}: mode {oct(mode(f))}, want 0600")
        filler = fill(mnt)
        ks.churn(50)
        try:
            body = wait_readyz(s, 500)
            check("[-]store failed: reason withheld\n" in body and
                  body.endswith("readyz check failed\n"), body)
            check("disk" not in body, f"the reason is withheld: {body}")
            code, _ = curl(s.url + "/livez", s.ca())
            check(code == 200, f"livez while the disk is full: {code}")
            code, one = curl(s.url + "/readyz/store", s.ca(),
                             token=s.admin_token())
            check(code == 500 and "store: disk full" in one,
                  f"/readyz/store: {code} {one}")
            s.wait_log(r"store not ready: store: disk full")
            os.unlink(filler)
            check(wait_readyz(s, 200) == "ok", "ready again")
            s.wait_log(r"store ready again")
            n = len(re.findall(r"store not ready", s.stderr()))
            check(n <= 3, f"'store not ready' logged {n} times")
        finally:
            ks.churn(0)


TESTS = {name[5:]: fn for name, fn in sorted(globals().items())
         if name.startswith("test_")}


def run_tests(tests, doc, argv):
    """The runner of every pediad test file: argv = [prog, PEDIAD, NAME|all];
    each test gets a fresh temporary directory. Exit code 0, 1 (a failure),
    2 (usage) or SKIP (one test asked for, and it skipped)."""
    global PEDIAD
    if len(argv) != 3:
        print(doc)
        return 2
    PEDIAD = os.path.abspath(argv[1])
    names = list(tests) if argv[2] == "all" else [argv[2]]
    rc = 0
    for name in names:
        if name not in tests:
            print(f"unknown test {name}; have {', '.join(tests)}")
            return 2
        tmp = tempfile.mkdtemp(prefix=f"pediad-{name}-")
        try:
            tests[name](tmp)
            print(f"ok: {name}")
        except Skip as e:
            print(f"skip: {name}: {e}")
            rc = rc or (SKIP if len(names) == 1 else 0)
        except (Fail, subprocess.TimeoutExpired, OSError, ValueError,
                KeyError) as e:
            print(f"FAIL: {name}: {e}")
            rc = 1
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return rc


def main():
    for tool in (CURL, OPENSSL):
        if not os.access(tool, os.X_OK):
            print(f"skip: {tool} missing")
            return SKIP
    return run_tests(TESTS, __doc__, sys.argv)


if __name__ == "__main__":
    sys.exit(main())
