"""pedia - Python bindings (ctypes) for libpedia.

libpedia keeps an indexed copy of many Kubernetes clusters in a store
(SQLite / PostgreSQL) and answers multi-cluster searches::

    import pedia

    with pedia.Store.open("sqlite:/tmp/p.db") as store, \\
            pedia.Engine(store) as engine:
        engine.apply(open("member-1.yaml").read())
        engine.start()
        engine.wait_ready("member-1", timeout=60)
        for pod in store.search("v1/pods", namespaces=["default"],
                                order_by=["name"], limit=10):
            print(pod.cluster, pod["metadata"]["name"])

:class:`Api` answers Kubernetes API requests in process as a given user
(only what that user may see under RBAC); see :mod:`pedia.api`.

The shared library is found through ``PEDIA_LIBRARY`` (path to
libpedia.so), then the standard library directories; see :mod:`pedia._ffi`.
Nothing is loaded at import time: the first call that needs the library
loads it, raising :class:`LibraryNotFoundError` (an ImportError) when it
cannot.

Objects and threads: :class:`Context` is safe from any thread; every other
handle is one thread at a time in C, and the bindings serialize the calls on
each handle with a lock.  Library threads call only the logger callback
(see :class:`Context`).  Handles free their C object on ``close()``, on
leaving a ``with`` block, on garbage collection and at interpreter exit;
closing a parent closes its children first; a closed handle raises
:class:`ClosedError`.
"""
from __future__ import annotations

from ._ffi import LibraryNotFoundError, load as load_library
from .api import Api, Response
from .context import (LOG_DEBUG, LOG_ERROR, LOG_INFO, LOG_NOTICE, LOG_WARN,
                      AllocationTracker, Context, err_name, flush_logs,
                      strerror, version, version_info)
from .engine import (CLUSTERSYNCRESOURCES, PEDIACLUSTER, Engine, is_ready,
                     is_synced)
from .errors import (APIError, AlreadyExists, AuthError, Busy, CallbackError,
                     Canceled, ClosedError, Error, Expired, InternalError,
                     InvalidArgument, ManifestError, NetworkError, NotFound,
                     NotSupported, OutOfMemory, PediaError, QueryError,
                     StateError, StoreError, Timeout, TLSError)
from .store import (Batch, Object, Page, SearchIterator, Store, Watch,
                    parse_resource)

__version__ = "0.4.0"

__all__ = [
    "APIError", "AllocationTracker", "AlreadyExists", "Api", "AuthError",
    "Batch", "Busy", "CLUSTERSYNCRESOURCES", "CallbackError", "Canceled",
    "ClosedError", "Context", "Engine", "Error", "Expired",
    "InternalError", "InvalidArgument", "LOG_DEBUG", "LOG_ERROR",
    "LOG_INFO", "LOG_NOTICE", "LOG_WARN", "LibraryNotFoundError",
    "ManifestError", "NetworkError", "NotFound", "NotSupported", "Object",
    "OutOfMemory", "PEDIACLUSTER", "Page", "PediaError", "QueryError",
    "Response", "SearchIterator", "StateError", "Store", "StoreError",
    "TLSError", "Timeout", "Watch", "err_name", "flush_logs", "is_ready",
    "is_synced", "load_library", "parse_resource", "strerror", "version",
    "version_info",
]
