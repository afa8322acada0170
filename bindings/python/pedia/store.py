"""Stores (pedia/store.h), searches (pedia/query.h) and the change log.

Thread safety (C rule ``@threadsafety handle``): a store, a batch, a search
iterator and a watch are each for one thread at a time.  The bindings
serialize the C calls on each handle with a lock, so sharing a :class:`Store`
between threads is safe (calls take turns); an iterator should still be
consumed by one thread.  Results and change readers use their own database
connections, so iterating several searches at once is fine.
"""
from __future__ import annotations

import ctypes
import json
import time
import urllib.parse
from ctypes import byref, c_int64, c_size_t, c_void_p
from typing import (Any, Dict, Iterable, List, Mapping, Optional,
                    Sequence, Tuple, Union)

from . import _ffi
from ._handle import Native, Wrapper, safe_close
from .context import Context
from .errors import ClosedError, Timeout

#: A resource type: "v1/pods", "apps/v1/deployments" or (group, version,
#: resource) with group "" for the core group.
Resource = Union[str, Tuple[str, str, str], Sequence[str]]
#: Sort fields: "name", "-created_at" (descending), or (field, descending).
OrderBy = Union[str, Tuple[str, bool]]

EVENT_TYPES = {0: None, 1: "ADDED", 2: "MODIFIED", 3: "DELETED"}

NORMALIZE_KEEP_MANAGED_FIELDS = 0x1
NORMALIZE_KEEP_LAST_APPLIED = 0x2
NORMALIZE_KEEP_SECRET_DATA = 0x4


def parse_resource(resource: Resource) -> Tuple[str, str, str]:
    """Split a resource into (group, version, resource); group "" = core.

    >>> parse_resource("v1/pods")
    ('', 'v1', 'pods')
    >>> parse_resource("apps/v1/deployments")
    ('apps', 'v1', 'deployments')
    """
    if isinstance(resource, str):
        parts = resource.strip("/").split("/")
        if len(parts) == 2:
            parts.insert(0, "")
        if len(parts) != 3 or not parts[1] or not parts[2]:
            raise ValueError(
                "resource must look like 'v1/pods' or 'apps/v1/deployments'"
                ", not %r" % resource)
        return parts[0], parts[1], parts[2]
    try:
        group, ver, res = resource
    except (TypeError, ValueError):
        raise TypeError("resource must be a str or a (group, version, "
                        "resource) tuple, not %r" % (resource,)) from None
    if not all(isinstance(x, str) for x in (group, ver, res)) \
            or not ver or not res:
        raise ValueError("bad resource tuple %r" % (resource,))
    return group, ver, res


class Object(dict):
    """One stored object: the decoded JSON (a dict) plus the index columns
    as attributes (``cluster``, ``group``, ``version``, ``resource``,
    ``kind``, ``namespace``, ``name``, ``uid``, ``member_rv``, ``revision``,
    ``created_at`` (Unix seconds, 0 unknown) and ``event_type`` (None for a
    search row, else "ADDED" / "MODIFIED" / "DELETED"))."""

    __slots__ = ("cluster", "group", "version", "resource", "kind",
                 "namespace", "name", "uid", "member_rv", "revision",
                 "created_at", "event_type")

    @classmethod
    def _from_view(cls, lib: Any, o: int) -> "Object":
        """Copy a borrowed ``const pedia_object *`` into Python now."""
        n = c_size_t()
        p = lib.pedia_object_json(byref(n), o)
        raw = ctypes.string_at(p, n.value) if p else b"{}"
        obj = cls(json.loads(raw))
        t = _ffi.text
        obj.cluster = t(lib.pedia_object_cluster(o)) or ""
        obj.group = t(lib.pedia_object_group(o)) or ""
        obj.version = t(lib.pedia_object_version(o)) or ""
        obj.resource = t(lib.pedia_object_resource(o)) or ""
        obj.kind = t(lib.pedia_object_kind(o)) or ""
        obj.namespace = t(lib.pedia_object_namespace(o)) or ""
        obj.name = t(lib.pedia_object_name(o)) or ""
        obj.uid = t(lib.pedia_object_uid(o)) or ""
        obj.member_rv = t(lib.pedia_object_member_rv(o)) or ""
        obj.revision = lib.pedia_object_revision(o)
        obj.created_at = lib.pedia_object_created_at(o)
        obj.event_type = EVENT_TYPES.get(lib.pedia_object_event_type(o))
        return obj

    def __repr__(self) -> str:
        return "<pedia.Object %s %s/%s/%s rev=%d>" % (
            self.resource, self.cluster, self.namespace, self.name,
            self.revision)


def _as_list(v: Union[None, str, Iterable[str]], what: str) -> List[str]:
    if v is None:
        return []
    if isinstance(v, str):
        return [v]
    out = list(v)
    for x in out:
        if not isinstance(x, str):
            raise TypeError("%s must be strings" % what)
    return out


def _order_items(order_by: Union[None, OrderBy, Sequence[OrderBy]]
                 ) -> List[Tuple[str, bool]]:
    if order_by is None:
        return []
    if isinstance(order_by, (str, tuple)):
        order_by = [order_by]  # type: ignore[list-item]
    out = []
    for item in order_by:  # type: ignore[union-attr]
        if isinstance(item, str):
            desc = item.startswith("-")
            field = item[1:] if desc else item
            if field.endswith(" desc"):
                field, desc = field[:-5], True
            elif field.endswith(" asc"):
                field = field[:-4]
        elif isinstance(item, tuple) and len(item) == 2:
            field, desc = item[0], bool(item[1])
        else:
            raise TypeError("order_by items are 'field', '-field' or "
                            "(field, descending), not %r" % (item,))
        if not isinstance(field, str) or not field:
            raise ValueError("empty order_by field")
        out.append((field, desc))
    return out


class _Search:
    """The conditions of one search, turned into a pedia_query per page."""

    def __init__(self, store: "Store", resource: Optional[Resource],
                 collection: Optional[str], cluster: Optional[str],
                 namespace: Optional[str], clusters: Any, namespaces: Any,
                 names: Any, label_selector: Optional[str],
                 field_selector: Optional[str], order_by: Any,
                 url_query: Union[None, str, Mapping[str, Any]],
                 with_remaining_count: bool) -> None:
        if resource is None and collection is None:
            raise TypeError("search needs resource= or collection=")
        if resource is not None and collection is not None:
            raise TypeError("give resource= or collection=, not both")
        self.store = store
        self.gvr = parse_resource(resource) if resource is not None else None
        self.collection = collection
        self.cluster = cluster
        self.namespace = namespace
        self.clusters = _as_list(clusters, "clusters")
        self.namespaces = _as_list(namespaces, "namespaces")
        self.names = _as_list(names, "names")
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.order = _order_items(order_by)
        self.with_remaining = with_remaining_count
        if isinstance(url_query, Mapping):
            url_query = urllib.parse.urlencode(
                {k: ",".join(v) if isinstance(v, (list, tuple)) else v
                 for k, v in url_query.items()})
        self.url = url_query or ""

    def make_query(self, limit: Optional[int], token: Optional[str]) -> Native:
        """A new pedia_query (Native) for one page."""
        lib = _ffi.lib()
        qn = Native.child(self.store._ctx._n, lib.pedia_query_create,
                          lib.pedia_query_free, "query")
        try:
            with qn.use() as p:
                self._apply(lib, p, limit, token)
        except BaseException:
            qn.close()
            raise
        return qn

    def _apply(self, lib: Any, p: int, limit: Optional[int],
               token: Optional[str]) -> None:
        c = _ffi.cstr
        if self.gvr is not None:
            g, v, r = self.gvr
            lib.pedia_query_set_resource(p, c(g), c(v), c(r))
        else:
            lib.pedia_query_set_collection(p, c(self.collection,
                                                "collection"))
        if self.url:
            lib.pedia_query_parse_url(p, c(self.url, "url_query"))
        if self.cluster is not None:
            lib.pedia_query_set_path_cluster(p, c(self.cluster, "cluster"))
        if self.namespace is not None:
            lib.pedia_query_set_path_namespace(p, c(self.namespace,
                                                    "namespace"))
        for cl in self.clusters:
            lib.pedia_query_add_cluster(p, c(cl, "clusters"))
        for ns in self.namespaces:
            lib.pedia_query_add_namespace(p, c(ns, "namespaces"))
        for name in self.names:
            lib.pedia_query_add_name(p, c(name, "names"))
        if self.label_selector is not None:
            lib.pedia_query_set_label_selector(
                p, c(self.label_selector, "label_selector"))
        if self.field_selector is not None:
            lib.pedia_query_set_field_selector(
                p, c(self.field_selector, "field_selector"))
        for field, desc in self.order:
            lib.pedia_query_add_order_by(p, c(field, "order_by"), desc)
        if limit is not None:
            lib.pedia_query_set_limit(p, int(limit))
        if token is not None:
            lib.pedia_query_set_continue(p, c(token, "continue"))
        if self.with_remaining:
            lib.pedia_query_set_with_remaining_count(p, True)

    def run(self, limit: Optional[int], token: Optional[str],
            query: Optional[Native] = None) -> Native:
        """Run one page; returns the pedia_result Native (child of store).
        ``query``: the page's query when already built (it is consumed)."""
        lib = _ffi.lib()
        qn = query if query is not None else self.make_query(limit, token)
        try:
            r = c_void_p()
            with self.store._n.use() as sptr, qn.use() as qptr:
                lib.pedia_query_run(byref(r), sptr, qptr)
                return Native(r.value, lib.pedia_result_free, "search",
                              parent=self.store._n)
        finally:
            qn.close()  # the result keeps no pointer into the query


class SearchIterator:
    """Iterator over the rows (:class:`Object`) of a search, following
    continue tokens page by page.  Its C cursor (and database connection) is
    freed when the rows are exhausted, on :meth:`close`, when leaving a
    ``with`` block, or when the iterator is garbage-collected.

    Attributes: ``resource_version`` (revision of the list snapshot),
    ``continue_token`` (token of the next page while paging, None at the
    end), ``pages`` (pages run so far), ``remaining`` (remainingItemCount of
    the last page when asked for with ``with_remaining_count``, else None).
    """

    def __init__(self, search: _Search, limit: Optional[int],
                 page_size: int, token: Optional[str]) -> None:
        if page_size is None or int(page_size) <= 0:
            raise ValueError("page_size must be > 0")
        if limit is not None and int(limit) < 0:
            raise ValueError("limit must be >= 0")
        self._search = search
        self._left = None if limit is None else int(limit)
        self._page_size = int(page_size)
        self._res: Optional[Native] = None
        self._done = False
        self._closed = False
        self.continue_token: Optional[str] = token
        self.resource_version: Optional[int] = None
        self.remaining: Optional[int] = None
        self.pages = 0
        self._first_token = token
        # Built (and so validated) at once by Store.search; the first page
        # runs it instead of building it again.
        self._first_query: Optional[Native] = search.make_query(
            self._page_len() or self._page_size, token)

    def _page_len(self) -> int:
        if self._left is None:
            return self._page_size
        return min(self._page_size, self._left)

    def __iter__(self) -> "SearchIterator":
        return self

    def _next_page(self) -> bool:
        size = self._page_len()
        query, self._first_query = self._first_query, None
        if size <= 0 or (self.pages and self.continue_token is None):
            safe_close(query)
            return False
        self._res = self._search.run(size, self.continue_token, query)
        self.pages += 1
        with self._res.use() as r:
            rv = _ffi.lib().pedia_result_revision(r)
        if self.resource_version is None:
            self.resource_version = rv
        return True

    def __next__(self) -> Object:
        if self._closed:
            raise ClosedError("search iterator is closed")
        if self._search.store.closed:
            self._finish()
            raise ClosedError("the store of this search is closed")
        try:
            return self._next_row()
        except StopIteration:
            raise
        except BaseException:
            # A failed page cannot be resumed: free the cursor now rather
            # than when the traceback (which references us) goes away.
            self._finish()
            raise

    def _next_row(self) -> Object:
        lib = _ffi.lib()
        while not self._done:
            if self._res is None and not self._next_page():
                break
            res = self._res
            assert res is not None
            o = c_void_p()
            with res.use() as r:
                lib.pedia_result_next(byref(o), r)
                if o.value:
                    obj = Object._from_view(lib, o.value)
                    if self._left is not None:
                        self._left -= 1
                    return obj
                tok = lib.pedia_result_continue(r)
                rem = c_int64()
                if lib.pedia_result_remaining(byref(rem), r):
                    self.remaining = rem.value
            self.continue_token = _ffi.text(tok)
            self._res = None
            res.close()
            if self.continue_token is None:
                break
        self._finish()
        raise StopIteration

    def _finish(self) -> None:
        self._done = True
        query, self._first_query = self._first_query, None
        safe_close(query)
        if self._res is not None:
            res, self._res = self._res, None
            res.close()

    def close(self) -> None:
        """Free the C cursor now.  Idempotent."""
        self._finish()
        self._closed = True

    def __enter__(self) -> "SearchIterator":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        safe_close(getattr(self, "_first_query", None))
        safe_close(getattr(self, "_res", None))


class Page(tuple):
    """(items, continue_token, resource_version) of :meth:`Store.search_page`;
    also has ``remaining`` (remainingItemCount or None)."""

    remaining: Optional[int]

    def __new__(cls, items: List[Object], token: Optional[str], rv: int,
                remaining: Optional[int]) -> "Page":
        self = super().__new__(cls, (items, token, rv))
        self.remaining = remaining
        return self

    @property
    def items(self) -> List[Object]:
        return self[0]

    @property
    def continue_token(self) -> Optional[str]:
        return self[1]

    @property
    def resource_version(self) -> int:
        return self[2]


class Watch(Wrapper):
    """Iterator over change-log events after a revision, as dicts
    ``{"type": "ADDED"|"MODIFIED"|"DELETED", "object": Object,
    "revision": int}``.

    Built on ``pedia_changes_next`` / ``pedia_changes_wait``.  It ends when
    ``timeout`` seconds have passed since it started (like kube's
    ``timeoutSeconds``; None waits for ever), on :meth:`close` (also from
    another thread: the wait is sliced so it returns within ``slice_ms``),
    or when garbage-collected.  ``revision`` is the last revision delivered:
    pass it as ``since`` to resume.

    :raises Expired: ``since`` is older than the retained change log (410).
    """

    def __init__(self, store: "Store", resource: Optional[Resource],
                 since: Optional[int], timeout: Optional[float],
                 slice_ms: int = 250) -> None:
        lib = _ffi.lib()
        c = _ffi.cstr
        gvr = parse_resource(resource) if resource is not None else None
        if since is None:
            since = store.revision
        if int(since) < 0:
            raise ValueError("since must be >= 0")
        self.revision = int(since)
        self._deadline = None if timeout is None else \
            time.monotonic() + float(timeout)
        self._slice = max(1, int(slice_ms))
        self._stop = False
        self._ended = False
        what = (None, None, None) if gvr is None else \
            (c(gvr[0]), c(gvr[1]), c(gvr[2]))
        self._n = Native.child(store._n, lib.pedia_changes_create,
                               lib.pedia_changes_free, "watch",
                               self.revision, *what)
        self.store = store

    def __iter__(self) -> "Watch":
        return self

    def __next__(self) -> Dict[str, Any]:
        try:
            return self._next_event()
        except (StopIteration, ClosedError):
            raise
        except BaseException:
            self._n.close()  # an error ends the watch (resume from .revision)
            raise

    def _next_event(self) -> Dict[str, Any]:
        lib = _ffi.lib()
        while True:
            if self._stop or self._ended:
                self._ended = True
                self._n.close()
                raise StopIteration
            o = c_void_p()
            with self._n.use() as ch:
                lib.pedia_changes_next(byref(o), ch)
                if o.value:
                    obj = Object._from_view(lib, o.value)
                    self.revision = obj.revision
                    return {"type": obj.event_type, "object": obj,
                            "revision": obj.revision}
                wait = self._slice
                if self._deadline is not None:
                    left = self._deadline - time.monotonic()
                    if left <= 0:
                        self._ended = True
                        break
                    wait = min(wait, max(1, int(left * 1000)))
                try:
                    lib.pedia_changes_wait(ch, wait)
                except Timeout:
                    pass
        self._n.close()
        raise StopIteration

    def close(self) -> None:
        """End the watch and free its reader.  Idempotent; from another
        thread it makes the iterating thread stop within one wait slice."""
        self._stop = True
        if self._n.lock.acquire(blocking=False):
            try:
                self._n.close()
            finally:
                self._n.lock.release()


class Batch(Wrapper):
    """A batch of writes applied atomically by :meth:`commit`
    (``pedia_batch_*``).  As a context manager it commits on a normal exit
    and drops the writes when an exception leaves the block.

    Objects are normalized on upsert (see :meth:`Store.set_normalize`).
    """

    def __init__(self, store: "Store") -> None:
        lib = _ffi.lib()
        self._n = Native.child(store._n, lib.pedia_batch_create,
                               lib.pedia_batch_free, "batch")
        self.store = store

    def upsert(self, cluster: str, resource: Resource,
               obj: Union[Mapping[str, Any], str, bytes]) -> None:
        """Queue an upsert of one object (dict or JSON text) of a member
        cluster.  :raises InvalidArgument: malformed JSON or a missing
        required field (the message names it)."""
        g, v, r = parse_resource(resource)
        data = obj if isinstance(obj, bytes) else (
            obj.encode() if isinstance(obj, str) else
            json.dumps(obj, separators=(",", ":")).encode())
        c = _ffi.cstr
        name = c(cluster, "cluster")
        if name is None:
            raise TypeError("cluster must be a str")
        with self._n.use() as p:
            _ffi.lib().pedia_batch_upsert(p, name, c(g), c(v), c(r), data,
                                          len(data))

    def delete(self, cluster: str, resource: Resource, namespace: str,
               name: str) -> None:
        """Queue a delete of one object (namespace "" if cluster-scoped)."""
        g, v, r = parse_resource(resource)
        c = _ffi.cstr
        args = [c(cluster, "cluster"), c(namespace or "", "namespace"),
                c(name, "name")]
        if any(a is None for a in args):
            raise TypeError("cluster and name are required")
        with self._n.use() as p:
            _ffi.lib().pedia_batch_delete(p, args[0], c(g), c(v), c(r),
                                          args[1], args[2])

    def __len__(self) -> int:
        """Writes queued (``pedia_batch_size``)."""
        with self._n.use() as p:
            return int(_ffi.lib().pedia_batch_size(p))

    def commit(self) -> int:
        """Apply the queued writes atomically; returns how many changed the
        store.  The batch is empty afterwards and can be reused.
        :raises StoreError: the backend failed."""
        n = c_size_t()
        with self._n.use() as p:
            _ffi.lib().pedia_batch_commit(byref(n), p)
        return n.value

    def close(self) -> None:
        """Drop uncommitted writes and free the batch.  Idempotent."""
        self._n.close()

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        try:
            if exc_type is None:
                self.commit()
        finally:
            self.close()


class Store(Wrapper):
    """An open store (``pedia_store``).

    ``with pedia.Store.open("sqlite:/tmp/p.db") as store: ...``

    URIs: ``sqlite:PATH``, ``sqlite::memory:``, ``postgres://...`` /
    ``postgresql://...`` or the scheme of a loaded driver.  Closing the store
    closes its engines, searches, watches and batches first; using any of
    them afterwards raises :class:`pedia.ClosedError`.
    """

    _n: Native
    _ctx: Context
    uri: str

    def __init__(self, *args: Any, **kw: Any) -> None:
        raise TypeError("use pedia.Store.open(uri)")

    @classmethod
    def open(cls, uri: str, context: Optional[Context] = None,
             **context_options: Any) -> "Store":
        """Open a store.  Without ``context`` a private :class:`Context` is
        made from ``context_options`` (logger=, change_retention=, ...) and
        closed with the store.

        :raises InvalidArgument: bad URI or unknown scheme.
        :raises StoreError: cannot open or migrate.
        """
        data = _ffi.cstr(uri, "uri")
        if data is None:
            raise TypeError("uri must be a str")
        own = context is None
        if own:
            context = Context(**context_options)
        elif context_options:
            raise TypeError("context options are given to Context()")
        assert context is not None
        try:
            lib = _ffi.lib()
            n = Native.child(context._n, lib.pedia_store_open,
                             lib.pedia_store_free, "Store", data)
            self = object.__new__(cls)
            self._ctx = context
            self._n = n
        except BaseException:
            if own:
                context.close()
            raise
        if own:
            self._n.on_close.append(context.close)
        self.uri = uri
        return self

    @property
    def context(self) -> Context:
        """The context the store belongs to."""
        return self._ctx

    # -- lifetime -------------------------------------------------------------
    def close(self) -> None:
        """Close the store (and everything made from it).  Idempotent."""
        self._n.close()

    def __repr__(self) -> str:
        return "<pedia.Store %r%s>" % (getattr(self, "uri", "?"),
                                       " closed" if self.closed else "")

    # -- properties -----------------------------------------------------------
    @property
    def revision(self) -> int:
        """The latest committed global revision.
        :raises StoreError: the backend failed."""
        out = c_int64()
        with self._n.use() as p:
            _ffi.lib().pedia_store_current_revision(byref(out), p)
        return out.value

    def set_normalize(self, *, keep_managed_fields: bool = False,
                      keep_last_applied: bool = False,
                      keep_secret_data: bool = False) -> None:
        """How upserts normalize objects (default: prune managedFields and
        the last-applied annotation, redact Secret data)."""
        flags = (NORMALIZE_KEEP_MANAGED_FIELDS * bool(keep_managed_fields)
                 | NORMALIZE_KEEP_LAST_APPLIED * bool(keep_last_applied)
                 | NORMALIZE_KEEP_SECRET_DATA * bool(keep_secret_data))
        with self._n.use() as p:
            _ffi.lib().pedia_store_set_normalize_flags(p, flags)

    # -- writes ---------------------------------------------------------------
    def batch(self) -> Batch:
        """A new :class:`Batch` of writes."""
        return Batch(self)

    def delete_cluster(self, cluster: str,
                       resource: Optional[Resource] = None) -> None:
        """Delete every record of a cluster, or of one resource type in it."""
        c = _ffi.cstr
        name = c(cluster, "cluster")
        if name is None:
            raise TypeError("cluster must be a str")
        lib = _ffi.lib()
        with self._n.use() as p:
            if resource is None:
                lib.pedia_store_delete_cluster(p, name, None, None, None)
            else:
                g, v, r = parse_resource(resource)
                lib.pedia_store_delete_cluster(p, name, c(g), c(v), c(r))

    # -- reads ----------------------------------------------------------------
    def search(self, resource: Optional[Resource] = None, *,
               collection: Optional[str] = None,
               clusters: Union[None, str, Iterable[str]] = None,
               namespaces: Union[None, str, Iterable[str]] = None,
               names: Union[None, str, Iterable[str]] = None,
               label_selector: Optional[str] = None,
               field_selector: Optional[str] = None,
               order_by: Union[None, OrderBy, Sequence[OrderBy]] = None,
               limit: Optional[int] = None, page_size: int = 500,
               url_query: Union[None, str, Mapping[str, Any]] = None,
               cluster: Optional[str] = None,
               namespace: Optional[str] = None,
               continue_token: Optional[str] = None,
               with_remaining_count: bool = False) -> SearchIterator:
        """Search one resource type (or a collection) across clusters.

        Returns an iterator of :class:`Object` rows that runs one page of
        ``page_size`` rows at a time and follows the continue tokens itself;
        ``limit`` caps the total number of rows (None: all).

        :param resource: "v1/pods", "apps/v1/deployments" or a (group,
            version, resource) tuple.
        :param collection: "workloads", "kuberesources" or "any" instead.
        :param clusters: restrict to these clusters (str or list).
        :param namespaces: restrict to these namespaces.
        :param names: restrict to these object names.
        :param label_selector: Kubernetes label selector, with the
            ``search.clusterpedia.io/...`` pseudo-labels.
        :param field_selector: e.g. ``status.phase=Running``.
        :param order_by: ["name", "-created_at"] or [("name", True)] where
            True means descending.
        :param url_query: more conditions as a Clusterpedia URL query
            string (or a dict), e.g. ``"ownerName=web&since=1h"``; the
            keyword arguments are applied after it.
        :param cluster, namespace: the request-path cluster / namespace
            (override clusters / namespaces).
        :param continue_token: start from this token.
        :raises QueryError: an invalid condition or continue token (checked
            here, before any row is read).
        :raises NotFound: unknown collection.
        """
        s = _Search(self, resource, collection, cluster, namespace, clusters,
                    namespaces, names, label_selector, field_selector,
                    order_by, url_query, with_remaining_count)
        self._n.get()
        # Builds the first page's query now: bad conditions raise here.
        return SearchIterator(s, limit, page_size, continue_token)

    def search_page(self, resource: Optional[Resource] = None, *,
                    limit: Optional[int] = None,
                    continue_token: Optional[str] = None,
                    **conditions: Any) -> Page:
        """One page of a search, for manual paging: returns
        ``(items, continue_token, resource_version)`` (a :class:`Page`).
        ``limit`` is the page size (None: the url_query's limit, else every
        row); pass the returned token back as ``continue_token``.  The other
        keyword arguments are those of :meth:`search`.

        :raises QueryError: invalid conditions or a malformed token.
        :raises Expired: the token is older than the change log.
        """
        s = _Search(self, resource, conditions.pop("collection", None),
                    conditions.pop("cluster", None),
                    conditions.pop("namespace", None),
                    conditions.pop("clusters", None),
                    conditions.pop("namespaces", None),
                    conditions.pop("names", None),
                    conditions.pop("label_selector", None),
                    conditions.pop("field_selector", None),
                    conditions.pop("order_by", None),
                    conditions.pop("url_query", None),
                    conditions.pop("with_remaining_count", False))
        if conditions:
            raise TypeError("unexpected arguments: %s"
                            % ", ".join(sorted(conditions)))
        lib = _ffi.lib()
        res = s.run(limit, continue_token)
        items: List[Object] = []
        try:
            with res.use() as r:
                rv = lib.pedia_result_revision(r)
                while True:
                    o = c_void_p()
                    lib.pedia_result_next(byref(o), r)
                    if not o.value:
                        break
                    items.append(Object._from_view(lib, o.value))
                token = _ffi.text(lib.pedia_result_continue(r))
                rem = c_int64()
                remaining = rem.value if lib.pedia_result_remaining(byref(rem),
                    r) else None
        finally:
            res.close()
        return Page(items, token, rv, remaining)

    def watch(self, resource: Optional[Resource] = None, *,
              since: Optional[int] = None,
              timeout: Optional[float] = None) -> Watch:
        """Changes after revision ``since`` (default: the current revision,
        i.e. only new changes), optionally of one resource type; see
        :class:`Watch`.

        :raises Expired: ``since`` is older than the retained change log.
        """
        return Watch(self, resource, since, timeout)

    def count(self, resource: Optional[Resource] = None,
              **conditions: Any) -> int:
        """Number of rows a search returns (iterates it)."""
        n = 0
        with self.search(resource, **conditions) as it:
            for _ in it:
                n += 1
        return n
