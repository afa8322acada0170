"""The sync engine (pedia/sync.h): PediaCluster / ClusterSyncResources
manifests kept in the store and synced from member clusters (list + watch)
on library threads.

Thread safety: the C library documents ``pedia_engine_create``, ``apply``,
``start`` and ``stop`` as callable from any thread; the bindings also
serialize every call on one engine with a lock, so an :class:`Engine` may be
shared between threads.
"""
from __future__ import annotations

import ctypes
import json
import time
from ctypes import byref, c_size_t
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

from . import _ffi
from ._handle import Native, Wrapper
from .errors import CallbackError, InvalidArgument, ManifestError, Timeout

PEDIACLUSTER = "PediaCluster"
CLUSTERSYNCRESOURCES = "ClusterSyncResources"
KINDS = (PEDIACLUSTER, CLUSTERSYNCRESOURCES)
_EUSER = CallbackError.default_errno  # callbacks abort with it (STYLE 2.16)

Manifest = Union[Mapping[str, Any], str, bytes]


def _condition(doc: Mapping[str, Any], ctype: str) -> Optional[Dict[str, Any]]:
    for c in (doc.get("status") or {}).get("conditions") or ():
        if c.get("type") == ctype:
            return c
    return None


def is_ready(doc: Mapping[str, Any]) -> bool:
    """True when a PediaCluster document's Ready condition is True."""
    c = _condition(doc, "Ready")
    return bool(c and c.get("status") == "True")


def is_synced(doc: Mapping[str, Any]) -> bool:
    """True when a PediaCluster document is Ready and every resource it
    syncs has finished its initial list (``initialListPhase`` false)."""
    if not is_ready(doc):
        return False
    wanted = bool((doc.get("spec") or {}).get("syncResources")) or bool(
        (doc.get("spec") or {}).get("syncAllCustomResources"))
    conds = [c for g in (doc.get("status") or {}).get("syncResources") or ()
             for r in g.get("resources") or ()
             for c in r.get("syncConditions") or ()]
    if wanted and not conds:
        return False
    return not any(c.get("initialListPhase", True) for c in conds)


class Engine(Wrapper):
    """A sync engine over a :class:`pedia.Store` (which it keeps alive).

    ``with pedia.Engine(store) as engine: engine.apply(manifest);
    engine.start(); engine.wait_ready("member-1")``

    Creating it loads the manifests already stored; nothing syncs until
    :meth:`start`.  Closing (or leaving the ``with`` block) stops and frees
    it; closing the store closes its engines first.
    """

    def __init__(self, store: "Store") -> None:  # noqa: F821
        lib = _ffi.lib()
        self._n = Native.child(store._n, lib.pedia_engine_create,
                               lib.pedia_engine_free, "Engine")
        self.store = store

    # -- lifetime -------------------------------------------------------------
    def close(self) -> None:
        """Stop (bounded wait) and free the engine.  Idempotent."""
        self._n.close()

    def __repr__(self) -> str:
        return "<pedia.Engine%s>" % (" closed" if self.closed else "")

    # -- activity -------------------------------------------------------------
    def start(self) -> None:
        """Start syncing every applied cluster on library threads.
        :raises StateError: already started."""
        with self._n.use() as p:
            _ffi.lib().pedia_engine_start(p)

    def stop(self) -> None:
        """Stop syncing: cancel transfers, flush writes, join threads.
        :raises Timeout: the threads did not stop in time."""
        with self._n.use() as p:
            _ffi.lib().pedia_engine_stop(p)

    def follow_host(self, kubeconfig: Optional[str] = None) -> None:
        """Also follow the PediaCluster / ClusterSyncResources objects of a
        host cluster (status written back): ``kubeconfig`` is kubeconfig
        YAML text (its current context), or None for the in-cluster service
        account. Runs until the engine is closed.
        :raises InvalidArgument: bad kubeconfig or no in-cluster config.
        :raises StateError: already following."""
        data = kubeconfig.encode() if kubeconfig is not None else None
        with self._n.use() as p:
            _ffi.lib().pedia_engine_follow_host(
                p, data, len(data) if data is not None else 0)

    def sync_member_rbac(self, on: bool = True) -> None:
        """Also sync each member's own RBAC objects (Role, ClusterRole and
        their bindings), whatever its syncResources say: what the API's
        ``MemberRBAC`` authorization reads (``Api.set_authorization`` with
        that mode turns it on by itself)."""
        with self._n.use() as p:
            _ffi.lib().pedia_engine_sync_member_rbac(p, 1 if on else 0)

    def set_replica(self, replica: str, lease_ms: int = 15000) -> None:
        """Share the clusters with the other engines on the same PostgreSQL
        store (several pediad): from :meth:`start` on, sync only the clusters
        whose lease this replica holds (about its share), take over those
        of a replica that stopped within ``lease_ms``, give them up on
        stop. Call before :meth:`start`.

        :raises NotSupported: a store without leases (SQLite).
        :raises StateError: already started or set.
        :raises InvalidArgument: empty name, lease outside 1000..3600000."""
        with self._n.use() as p:
            _ffi.lib().pedia_engine_set_replica(p, replica.encode(),
                                                int(lease_ms))

    # -- manifests ------------------------------------------------------------
    def apply(self, manifest: Manifest) -> None:
        """Apply one PediaCluster or ClusterSyncResources manifest: a dict
        (sent as JSON), or YAML / JSON text (passed through unchanged).

        :raises ManifestError: invalid manifest (rejected whole; the message
            names the field) - an :class:`InvalidArgument`.
        :raises StoreError: the manifest could not be stored.
        """
        if isinstance(manifest, Mapping):
            data = json.dumps(manifest).encode()
        elif isinstance(manifest, str):
            data = manifest.encode()
        elif isinstance(manifest, bytes):
            data = manifest
        else:
            raise TypeError("manifest must be a dict, str or bytes, not %s"
                            % type(manifest).__name__)
        try:
            with self._n.use() as p:
                _ffi.lib().pedia_engine_apply(p, data, len(data))
        except InvalidArgument as e:
            raise ManifestError(e.message, code=e.code, errno=e.errno,
                                cause=e.cause) from None

    def apply_all(self, text: Union[str, bytes]) -> int:
        """Apply every manifest of a multi-document YAML (or JSON) text, in
        order; returns how many were applied. The text is parsed and every
        document validated before anything is applied.

        :raises ManifestError: a syntax error or an invalid document (the
            message names the document and the field).
        :raises StoreError: a manifest could not be stored (those before it
            stay applied).
        """
        data = text.encode() if isinstance(text, str) else text
        if not isinstance(data, bytes):
            raise TypeError("text must be a str or bytes, not %s"
                            % type(text).__name__)
        n = ctypes.c_size_t(0)
        try:
            with self._n.use() as p:
                _ffi.lib().pedia_engine_apply_all(ctypes.byref(n),
                                                  p,
                                                  data,
                                                  len(data))
        except InvalidArgument as e:
            raise ManifestError(e.message, code=e.code, errno=e.errno,
                                cause=e.cause) from None
        return n.value

    @staticmethod
    def _target(args: Tuple[Any, ...], kind: Optional[str]
                ) -> Tuple[str, str]:
        if len(args) == 1 and isinstance(args[0], Mapping):
            doc = args[0]
            return (kind or doc.get("kind") or PEDIACLUSTER,
                    (doc.get("metadata") or {}).get("name"))
        if len(args) == 2:
            if kind is not None:
                raise TypeError("kind given twice")
            return args[0], args[1]
        if len(args) == 1:
            return kind or PEDIACLUSTER, args[0]
        raise TypeError("expected (name), (kind, name) or (manifest)")

    def delete(self, *args: Any, kind: Optional[str] = None) -> None:
        """Delete a manifest: ``delete(name)`` (a PediaCluster),
        ``delete(kind, name)``, ``delete(name, kind=...)`` or
        ``delete(manifest_dict)``.  Deleting a PediaCluster deletes all its
        rows.

        :raises NotFound: no such manifest.
        :raises InvalidArgument: unknown kind.
        """
        k, name = self._target(args, kind)
        c = _ffi.cstr
        kb, nb = c(k, "kind"), c(name, "name")
        if kb is None or nb is None:
            raise TypeError("kind and name must be str")
        with self._n.use() as p:
            _ffi.lib().pedia_engine_delete(p, kb, nb)

    def get(self, name: str, kind: str = PEDIACLUSTER) -> Dict[str, Any]:
        """The manifest with its current status (credentials redacted).
        :raises NotFound: no such manifest."""
        c = _ffi.cstr
        kb, nb = c(kind, "kind"), c(name, "name")
        if kb is None or nb is None:
            raise TypeError("kind and name must be str")
        lib = _ffi.lib()
        need = c_size_t()
        with self._n.use() as p:
            cap = 4096
            while True:
                buf = ctypes.create_string_buffer(cap)
                lib.pedia_engine_get(buf, cap, byref(need), p, kb, nb)
                if need.value < cap:
                    return json.loads(buf.raw[:need.value])
                cap = need.value + 1

    def list(self, kind: str = PEDIACLUSTER) -> List[Dict[str, Any]]:
        """Every manifest of a kind with its status, ordered by name."""
        kb = _ffi.cstr(kind, "kind")
        if kb is None:
            raise TypeError("kind must be a str")
        out: List[Dict[str, Any]] = []
        failure: List[BaseException] = []

        def on_item(name: Optional[bytes], js: Any, n: int,
                    payload: Any) -> int:
            # Runs inside pedia_engine_list: an exception must not cross the
            # C frames, so it is kept and re-raised after the call returns.
            try:
                out.append(json.loads(ctypes.string_at(js, n)))
                return 0
            except BaseException as e:
                failure.append(e)
                return _EUSER  # abort: pedia_engine_list returns EUSER
        cb = _ffi.ENGINE_LIST_CB(on_item)  # referenced until the call ends
        try:
            with self._n.use() as p:
                _ffi.lib().pedia_engine_list(p, kb, cb, None)
        except CallbackError:
            if failure:
                raise failure[0] from None
            raise
        return out

    def clusters(self) -> List[Dict[str, Any]]:
        """Every PediaCluster with its status (``list("PediaCluster")``)."""
        return self.list(PEDIACLUSTER)

    def is_ready(self, name: str) -> bool:
        """True when the cluster's Ready condition is True."""
        return is_ready(self.get(name))

    def wait_ready(self, *names: str, timeout: float = 60.0,
                   interval: float = 0.1, synced: bool = False) -> None:
        """Wait until every named cluster (default: all) is Ready, and with
        ``synced=True`` also until every synced resource finished its
        initial list (its rows are then committed to the store).

        :raises Timeout: not there after ``timeout`` seconds (the message
            carries the last Ready condition)."""
        deadline = time.monotonic() + timeout
        want = list(names) or [d["metadata"]["name"]
                               for d in self.clusters()]
        check = is_synced if synced else is_ready
        while True:
            pending = []
            for n in want:
                doc = self.get(n)
                if not check(doc):
                    pending.append((n, _condition(doc, "Ready")))
            if not pending:
                return
            if time.monotonic() > deadline:
                raise Timeout("not Ready after %.1fs: %s" % (
                    timeout, "; ".join("%s: %s" % (n, (c or {}).get(
                        "message", "no status yet")) for n, c in pending)))
            time.sleep(interval)


if False:  # pragma: no cover - typing only
    from .store import Store  # noqa: F401
