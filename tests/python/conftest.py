"""Shared fixtures of the Python binding tests.

Environment:
  PEDIA_LIBRARY  path to libpedia.so (ctest: $<TARGET_FILE:pedia_shared>)
  KUBESIM_BIN    path to the kubesim program (tests that sync skip without it)
  PEDIA_EXAMPLE_DRIVER  optional: the example store driver module

The tests import the package from bindings/python (the source tree), so
they run without installing it.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from typing import Any, Dict, List, Optional

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BINDINGS = os.path.join(ROOT, "bindings", "python")
sys.path.insert(0, BINDINGS)

import pedia  # noqa: E402

START_TIMEOUT = 30.0   # kubesim start (generation included)
SYNC_TIMEOUT = 60.0    # a cluster synced into the store


CALLS: Dict[str, int] = {}


def _counting(name: str, fn: Any) -> Any:
    def call(*args: Any) -> Any:
        CALLS[name] = CALLS.get(name, 0) + 1
        return fn(*args)
    call.__name__ = name
    return call


def pytest_configure(config: Any) -> None:
    # Fail early and clearly when the library cannot be loaded.
    try:
        lib = pedia.load_library()
    except pedia.LibraryNotFoundError as e:
        raise pytest.UsageError("cannot load libpedia: %s" % e)
    # Count the calls of every C function, to check that the suite calls
    # each one (STYLE 2.15: every public function is called by a test).
    from pedia import _ffi
    for name in _ffi.SIGNATURES:
        if name not in _ffi.OPTIONAL:
            setattr(lib, name, _counting(name, getattr(lib, name)))


def _uncalled() -> List[str]:
    from pedia import _ffi
    return sorted(n for n in _ffi.SIGNATURES
                  if n not in _ffi.OPTIONAL and n not in CALLS)


def _whole_suite(session: Any) -> bool:
    import glob
    files = {os.path.basename(str(i.fspath)) for i in session.items}
    want = {os.path.basename(p) for p in glob.glob(os.path.join(HERE,
                                                                "test_*.py"))}
    cfg = session.config.option
    return files == want and not cfg.keyword and not cfg.markexpr


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    """With the whole suite run, every non-optional C function must have
    been called (only a warning when tests were skipped)."""
    if not _whole_suite(session) or session.testsfailed:
        return
    uncalled = _uncalled()
    if not uncalled:
        return
    rep = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(rep.stats.get("skipped", [])) if rep else 1
    sys.stderr.write("\n%s: C functions never called by the Python tests: "
                     "%s\n" % ("warning (tests were skipped)" if skipped
                                else "error", ", ".join(uncalled)))
    if not skipped:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    from pedia import _ffi
    total = len([n for n in _ffi.SIGNATURES if n not in _ffi.OPTIONAL])
    terminalreporter.write_line("libpedia C functions called: %d of %d%s" % (
        total - len(_uncalled()), total,
        "" if not _uncalled() else " (not: %s)" % ", ".join(_uncalled())))


@pytest.fixture
def tmpdir_path() -> Any:
    d = tempfile.mkdtemp(prefix="pedia-py-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def store(tmpdir_path: str) -> Any:
    st = pedia.Store.open("sqlite:%s/store.db" % tmpdir_path)
    yield st
    st.close()


def pod(name: str, ns: str = "default",
        labels: Optional[Dict[str, str]] = None,
        phase: str = "Running", created: str = "2026-03-01T10:00:00Z",
        uid: Optional[str] = None, rv: str = "1") -> Dict[str, Any]:
    """A minimal member Pod object."""
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": ns,
                         "uid": uid or "uid-%s-%s" % (ns, name),
                         "resourceVersion": rv,
                         "creationTimestamp": created,
                         "labels": labels or {"app": "web"}},
            "spec": {"nodeName": "node-1"}, "status": {"phase": phase}}


def load_pods(st: Any, cluster: str, n: int, ns: str = "default",
              prefix: str = "p") -> None:
    with st.batch() as b:
        for i in range(n):
            b.upsert(cluster, "v1/pods",
                     pod("%s-%05d" % (prefix, i), ns,
                         labels={"app": "web" if i % 2 else "db",
                                 "i": str(i)},
                         phase="Pending" if i % 10 == 0 else "Running",
                         uid="%s-%s-%s-%d" % (cluster, ns, prefix, i)))


class Sim:
    """A kubesim process on 127.0.0.1 (ephemeral ports), stopped by close().

    Startup is bounded: the first stdout line must arrive within
    START_TIMEOUT seconds; stdout is then drained by a thread so the pipe
    never fills.
    """

    def __init__(self, *args: str, pods: int = 20) -> None:
        binary = os.environ.get("KUBESIM_BIN")
        if not binary or not os.access(binary, os.X_OK):
            pytest.skip("KUBESIM_BIN not set or not executable")
        self.dir = tempfile.mkdtemp(prefix="kubesim-py-")
        self.err = open(os.path.join(self.dir, "stderr"), "w+")
        cmd = [binary, "--port", "0", "--control-port", "0",
               "--generate-pods", str(pods), "--seed", "7",
               "--pod-min-bytes", "200", "--pod-max-bytes", "400",
               "--bookmark-ms", "500", *args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                     stderr=self.err, text=True)
        self.lines: List[str] = []
        got = threading.Event()

        def drain() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                self.lines.append(line)
                got.set()
            got.set()
        threading.Thread(target=drain, daemon=True).start()
        if not got.wait(START_TIMEOUT) or not self.lines:
            self.close()
            raise RuntimeError("kubesim did not start in %ss" % START_TIMEOUT)
        m = re.search(r"port=(\d+) control=(\d+)", self.lines[0])
        if not m:
            self.close()
            raise RuntimeError("kubesim: unexpected output %r" % self.lines)
        self.port, self.ctl = int(m.group(1)), int(m.group(2))
        self.url = "http://127.0.0.1:%d" % self.port

    def control(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            "http://127.0.0.1:%d%s" % (self.ctl, path), data=data,
            method=method)
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def state(self) -> Dict[str, Any]:
        return self.control("GET", "/state")

    def upsert_pod(self, ns: str, name: str, label: str = "v1") -> int:
        out = self.control("POST", "/objects", {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": ns,
                         "labels": {"rev": label}},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]}})
        return int(out["resourceVersion"])

    def manifest(self, name: str, resources: Optional[List[Any]] = None
                 ) -> Dict[str, Any]:
        return {"apiVersion": "cluster.clusterpedia.io/v1alpha2",
                "kind": "PediaCluster", "metadata": {"name": name},
                "spec": {"apiserver": self.url,
                         "syncResources": resources or [
                             {"group": "", "resources": ["pods"]},
                             {"group": "apps",
                              "resources": ["deployments"]}]}}

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.proc.stdout:
            self.proc.stdout.close()
        self.err.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def sim() -> Any:
    s = Sim()
    yield s
    s.close()


@pytest.fixture
def sim2() -> Any:
    s = Sim(pods=12)
    yield s
    s.close()


def wait_until(pred: Any, timeout: float = SYNC_TIMEOUT,
               interval: float = 0.05, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("%s not met after %.0fs" % (what, timeout))
        time.sleep(interval)


def member_count(s: Sim, resource: str, group: str = "") -> int:
    q = "/names?resource=%s" % resource
    if group:
        q += "&group=%s" % group
    return len(s.control("GET", q)["items"])


def wait_synced(st: Any, s: Sim, cluster: str) -> None:
    """Until the store holds exactly the member's pods and deployments."""
    for res, group, gvr in (("pods", "", "v1/pods"),
                            ("deployments", "apps", "apps/v1/deployments")):
        want = member_count(s, res, group)
        wait_until(lambda: st.count(gvr, clusters=[cluster]) == want,
                   what="%s %s synced (%d)" % (cluster, res, want))
