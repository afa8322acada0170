"""The Kubernetes-compatible API in process (pedia/apiserver.h): answer
HTTP-shaped requests as a given user, without a server or a socket.

``pedia_api_handle`` takes the user a transport authenticated; the library
authorizes every request for that user (``set_authorization``).  Get, list
and watch below a search root answer only what the user may see (RBAC
grants become conditions of the store query), so::

    with pedia.Api(store, engine) as api:
        api.set_authorization("RBAC")
        for pod in api.list("/apis/clusterpedia.io/v1beta1/resources"
                            "/api/v1/pods", user="alice"):
            ...

searches "as alice".  Writes of rbac.authorization.k8s.io/v1 objects
(Role, ClusterRole, RoleBinding, ClusterRoleBinding) go to the API's root:
:meth:`Api.apply_rbac`.

Lifetime: an :class:`Api` is a child of its engine when it has one (the C
rule: the engine must outlive the API), else of its store; closing either
closes the Api first.  Each request frees its C response before it returns:
a :class:`Response` is plain Python data.

Threads: the C API serves many requests at once; the bindings take the
Api's lock for ``pedia_api_handle`` (and the setters) only, then read the
body under the response's own lock, so a long body (a watch, which the
caller bounds with ``timeoutSeconds``) does not hold up other requests.
As everywhere in these bindings, ctypes releases the GIL for each C call
and takes it back for the header callback, which runs on the calling
thread during ``pedia_api_handle``.
"""
from __future__ import annotations

import ctypes
import json
import urllib.parse
from ctypes import byref, c_bool, c_char_p, c_size_t, c_void_p
from typing import (Any, Dict, Iterator, List, Mapping, Optional, Sequence,
                    Tuple, Union)

from . import _ffi
from ._handle import Native, Wrapper
from .errors import APIError, ClosedError

#: The API group of the RBAC objects served at the API's root.
RBAC_GROUP = "rbac.authorization.k8s.io"
#: kind -> (resource, namespaced) of the RBAC objects apply_rbac writes.
RBAC_KINDS = {"Role": ("roles", True), "RoleBinding": ("rolebindings", True),
              "ClusterRole": ("clusterroles", False),
              "ClusterRoleBinding": ("clusterrolebindings", False)}

_READ_CHUNK = 64 * 1024

Body = Union[None, bytes, str, Mapping[str, Any], Sequence[Any]]
Headers = Optional[Mapping[str, Union[str, Sequence[str]]]]


class Response:
    """One answer: ``status`` (HTTP code), ``headers`` (list of (name,
    value) in the library's order), ``body`` (bytes, read whole)."""

    __slots__ = ("status", "headers", "body")

    def __init__(self, status: int, headers: List[Tuple[str, str]],
                 body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name: str, default: Optional[str] = None
               ) -> Optional[str]:
        """The first header called ``name`` (case-insensitive)."""
        want = name.lower()
        for k, v in self.headers:
            if k.lower() == want:
                return v
        return default

    def json(self) -> Any:
        """The body decoded as JSON.  :raises ValueError: not JSON."""
        return json.loads(self.body)

    def raise_for_status(self) -> "Response":
        """Raise :class:`pedia.APIError` for a status of 400 or more (the
        kube Status's reason and message when the body is one); else
        return self."""
        if self.status < 400:
            return self
        reason, message = "", ""
        try:
            doc = self.json()
        except ValueError:
            doc = None
        if isinstance(doc, dict) and doc.get("kind") == "Status":
            reason = str(doc.get("reason") or "")
            message = str(doc.get("message") or "")
        else:
            message = self.body.decode("utf-8", "replace").strip()
        raise APIError(message, cause=self.status, reason=reason,
                       body=self.body)

    def __repr__(self) -> str:
        return "<pedia.Response %d %d bytes>" % (self.status, len(self.body))


class _Headers:
    """The request headers, answered through API_HEADER_FN (a lookup) and
    API_HEADER_EACH_FN (every occurrence, version 2 of the request).

    Names are matched case-insensitively; a header given as a list is
    several headers: joined with ", " for the lookup (the callback
    contract), one occurrence per item for the enumerator (so a group
    holding ", " can be impersonated).  Every value is a C buffer owned
    here, alive for the whole call, and returned by address (an int):
    returning a bytes object as the ``c_char_p`` result would make ctypes
    keep it for ever and warn "memory leak in callback function".
    """

    def __init__(self, headers: Headers) -> None:
        self.values: Dict[bytes, Any] = {}
        self.items: List[Tuple[Any, Any]] = []
        self.failure: Optional[BaseException] = None
        for name, value in (headers or {}).items():
            key = _ffi.cstr(name, "header name")
            assert key is not None
            items = [value] if isinstance(value, (str, bytes)) else value
            for item in items:
                one = _ffi.cstr(item, "header %s" % name)
                assert one is not None
                self.items.append((ctypes.create_string_buffer(key),
                                   ctypes.create_string_buffer(one)))
            if not isinstance(value, (str, bytes)):
                value = ", ".join(value)
            data = _ffi.cstr(value, "header %s" % name)
            assert data is not None
            self.values[key.lower()] = ctypes.create_string_buffer(data)
        self.fn = _ffi.API_HEADER_FN(self._lookup)
        self.each_fn = _ffi.API_HEADER_EACH_FN(self._each)

    def has(self, name: str) -> bool:
        return name.lower().encode() in self.values

    def _lookup(self, payload: Any, name: Optional[bytes]) -> Optional[int]:
        # Runs inside pedia_api_handle: nothing may raise through C.
        try:
            buf = self.values.get((name or b"").lower())
            return None if buf is None else ctypes.addressof(buf)
        except BaseException as e:  # pragma: no cover - defensive
            self.failure = e
            return None

    def _each(self, cb: Any, cb_payload: Any, payload: Any) -> None:
        # Runs inside pedia_api_handle: nothing may raise through C.
        try:
            for name, value in self.items:
                if cb(ctypes.cast(name, c_char_p), ctypes.cast(value, c_char_p),
                      cb_payload):
                    return
        except BaseException as e:  # pragma: no cover - defensive
            self.failure = e


def _encode_body(body: Body) -> Tuple[Optional[bytes], bool]:
    """(bytes, is JSON made here) for a request body."""
    if body is None:
        return None, False
    if isinstance(body, bytes):
        return body, False
    if isinstance(body, str):
        return body.encode("utf-8"), False
    if isinstance(body, (Mapping, list, tuple)):
        return json.dumps(body, separators=(",", ":")).encode(), True
    raise TypeError("body must be bytes, str, a dict or a list, not %s"
                    % type(body).__name__)


def _user(user: Optional[str], groups: Sequence[str],
          uid: Optional[str]) -> Optional[_ffi.ApiUser]:
    if user is None:
        return None  # no credentials: 401 but for the health checks
    if isinstance(groups, str):
        groups = [groups]
    names = [_ffi.cstr(g, "groups") for g in groups]
    arr = (c_char_p * max(1, len(names)))(*names)
    u = _ffi.ApiUser(_ffi.cstr(user, "user"), _ffi.cstr(uid, "uid"),
                     ctypes.cast(arr, ctypes.POINTER(c_char_p)), len(names))
    u._keep = arr  # the structure only holds a pointer into it
    return u


Extra = Optional[Mapping[str, Union[str, Sequence[str]]]]


def _extra(extra: Extra) -> Tuple[Any, int]:
    """(pedia_api_extra array or None, count) for a user's extra; the
    array keeps the value arrays it points to alive."""
    if not extra:
        return None, 0
    entries = (_ffi.ApiExtra * len(extra))()
    keep = []
    for i, (key, values) in enumerate(extra.items()):
        if isinstance(values, (str, bytes)):
            values = [values]
        data = [_ffi.cstr(v, "extra %s" % key) for v in values]
        arr = (c_char_p * max(1, len(data)))(*data)
        name = _ffi.cstr(key, "extra key")
        keep += [arr, name]
        entries[i] = _ffi.ApiExtra(name,
                                   ctypes.cast(arr, ctypes.POINTER(c_char_p)),
                                   len(data))
    entries._keep = keep  # the structures only hold pointers into them
    return entries, len(extra)


def _query(params: Mapping[str, Any]) -> str:
    def text(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (list, tuple)):
            return ",".join(text(x) for x in v)
        return str(v)
    return urllib.parse.urlencode({k: text(v) for k, v in params.items()
                                   if v is not None})


def _with_query(path: str, params: Mapping[str, Any]) -> str:
    q = _query(params)
    if not q:
        return path
    return path + ("&" if "?" in path else "?") + q


class Api(Wrapper):
    """The API over a :class:`pedia.Store` and, optionally, a
    :class:`pedia.Engine` of that store (``pedia_api_create``).

    Without an engine the API serves what is in the store; the types a
    search root serves are those the clusters' stored statuses sync (the
    engine of this or another process wrote them).  A new API allows every
    user everything (``AlwaysAllow``): call :meth:`set_authorization`
    before the first request.
    """

    def __init__(self, store: "Store", engine: Optional["Engine"] = None
                 ) -> None:  # noqa: F821
        lib = _ffi.lib()
        if engine is not None and engine.store is not store:
            raise ValueError("the engine belongs to another store")
        out = c_void_p()
        with store._n.use() as sptr:
            if engine is None:
                lib.pedia_api_create(byref(out), sptr, None)
                parent = store._n
            else:
                with engine._n.use() as eptr:
                    lib.pedia_api_create(byref(out), sptr, eptr)
                parent = engine._n
        self._n = Native(out.value, lib.pedia_api_free, "Api", parent=parent)
        self.store = store
        self.engine = engine

    # -- lifetime -------------------------------------------------------------
    def close(self) -> None:
        """End open watches (``pedia_api_shutdown``: their reads end within
        a second), then free the API.  Idempotent."""
        try:
            with self._n.use() as p:
                _ffi.lib().pedia_api_shutdown(p)
        except ClosedError:  # closed already (or by its parent meanwhile)
            pass
        self._n.close()

    def __repr__(self) -> str:
        return "<pedia.Api%s>" % (" closed" if self.closed else "")

    # -- settings -------------------------------------------------------------
    def set_authorization(self, modes: str) -> None:
        """How requests are authorized, as kube-apiserver's
        ``--authorization-mode``: "AlwaysAllow" (the default), "RBAC",
        "RBAC,MemberRBAC" ...  Call before the first request.

        :raises InvalidArgument: unknown, repeated or unsupported mode.
        :raises StoreError: the stored RBAC objects could not be read.
        """
        data = _ffi.cstr(modes, "modes")
        if data is None:
            raise TypeError("modes must be a str")
        with self._n.use() as p:
            _ffi.lib().pedia_api_set_authorization(p, data)

    def set_address(self, address: str) -> None:
        """The "host:port" clients reach the API at (for ``/api``)."""
        data = _ffi.cstr(address, "address")
        if data is None:
            raise TypeError("address must be a str")
        with self._n.use() as p:
            _ffi.lib().pedia_api_set_address(p, data)

    def set_watch_cache_size(self, max_bytes: int) -> None:
        """Bound the watch cache (bytes, at least 64 KiB).
        :raises InvalidArgument: below 64 KiB."""
        with self._n.use() as p:
            _ffi.lib().pedia_api_set_watch_cache_size(p, int(max_bytes))

    # -- requests -------------------------------------------------------------
    def request(self, method: str, path: str, *, user: Optional[str],
                groups: Sequence[str] = (), uid: Optional[str] = None,
                extra: Extra = None, body: Body = None,
                headers: Headers = None) -> Response:
        """Handle one request as ``user`` (member of ``groups``) and read
        its whole body.

        :param path: the request target: percent-encoded path, then
            optionally "?" and the query string.
        :param user: the authenticated user's name; None sends no
            credentials (401 but for /healthz, /livez, /readyz).
        :param extra: the user's extra (kube's user.Info.Extra): key ->
            list of values (a str is one value); shown by SelfSubjectReview
            and sent to a Webhook authorizer.
        :param body: bytes or str (sent as they are), or a dict / list
            (sent as JSON with ``Content-Type: application/json`` unless
            ``headers`` has a Content-Type).
        :param headers: request headers (names case-insensitive; a list
            value is one header sent several times, e.g.
            ``{"Impersonate-Group": ["a, b", "c"]}``).
        :returns: the :class:`Response`; errors of the request itself (403,
            404, 422 ...) are responses, not exceptions.
        :raises InvalidArgument, OutOfMemory: the library refused the call.
        :raises StoreError: the body could not be completed (the store
            failed mid-stream).
        """
        data, is_json = _encode_body(body)
        hdrs = _Headers(headers)
        if is_json and not hdrs.has("Content-Type"):
            hdrs.values[b"content-type"] = ctypes.create_string_buffer(
                b"application/json")
        u = _user(user, groups, uid)
        extras, n_extra = _extra(extra)
        req = _ffi.ApiRequest(
            _ffi.API_REQUEST_VERSION, _ffi.cstr(method, "method"),
            _ffi.cstr(path, "path"), hdrs.fn, None, data,
            len(data) if data else 0, ctypes.pointer(u) if u else None,
            hdrs.each_fn,
            ctypes.cast(extras, ctypes.POINTER(_ffi.ApiExtra))
            if extras is not None else None, n_extra)
        lib = _ffi.lib()
        out = c_void_p()
        with self._n.use() as p:
            lib.pedia_api_handle(byref(out), p, byref(req))
            resp = Native(out.value, lib.pedia_api_response_free,
                          "response", parent=self._n)
        try:
            if hdrs.failure is not None:  # pragma: no cover - defensive
                raise hdrs.failure
            return _read_response(lib, resp)
        finally:
            resp.close()

    def get(self, path: str, *, user: Optional[str],
            groups: Sequence[str] = (), **params: Any) -> Dict[str, Any]:
        """GET ``path`` (query ``params`` added) as the user; the decoded
        JSON body.  :raises APIError: status 400 or more (``.status``,
        ``.reason`` and ``.message`` from the kube Status)."""
        r = self.request("GET", _with_query(path, params), user=user,
                         groups=groups)
        return r.raise_for_status().json()

    def list(self, path: str, *, user: Optional[str],
             groups: Sequence[str] = (), **params: Any
             ) -> Iterator[Dict[str, Any]]:
        """The items of a list at ``path`` as the user, following
        ``metadata.continue`` page by page (pass ``limit=`` for the page
        size; other ``params`` are query parameters: labelSelector, ...).
        :raises APIError: a page answered with status 400 or more."""
        params = dict(params)
        while True:
            page = self.get(path, user=user, groups=groups, **params)
            for item in page.get("items") or ():
                yield item
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return
            params["continue"] = token

    def apply_rbac(self, obj: Mapping[str, Any], *, user: Optional[str],
                   groups: Sequence[str] = ()) -> Dict[str, Any]:
        """Create, or replace, a Role, ClusterRole, RoleBinding or
        ClusterRoleBinding (rbac.authorization.k8s.io/v1) at the API's
        root: POST to its collection, then PUT on 409 AlreadyExists.
        Returns the stored object.

        :raises ValueError: not an RBAC object, or no name / namespace.
        :raises APIError: the write was refused (403 escalation, 422 ...).
        """
        collection, name = rbac_paths(obj)
        r = self.request("POST", collection, user=user, groups=groups,
                         body=obj)
        if r.status == 409:
            r = self.request("PUT", "%s/%s" % (collection, name), user=user,
                             groups=groups, body=obj)
        return r.raise_for_status().json()


def _read_response(lib: Any, resp: Native) -> Response:
    """Status, headers and the whole body of a C response."""
    with resp.use() as r:
        status = lib.pedia_api_response_status(r)
        headers = []
        for i in range(lib.pedia_api_response_header_count(r)):
            value = c_char_p()
            name = lib.pedia_api_response_header(byref(value), r, i)
            headers.append((_ffi.text(name) or "",
                            _ffi.text(value.value) or ""))
    buf = ctypes.create_string_buffer(_READ_CHUNK)
    n, eof = c_size_t(), c_bool(False)
    chunks = []
    while not eof.value:
        # One read at a time under the lock: a close() from another thread
        # waits for at most one read (about a second for a quiet watch).
        with resp.use() as r:
            lib.pedia_api_response_read(buf, _READ_CHUNK, byref(n),
                                        byref(eof), r)
        if n.value:
            chunks.append(buf.raw[:n.value])
    return Response(status, headers, b"".join(chunks))


def rbac_paths(obj: Mapping[str, Any]) -> Tuple[str, str]:
    """(collection path, name) of an RBAC object at the API's root."""
    if not isinstance(obj, Mapping):
        raise TypeError("obj must be a dict")
    if obj.get("apiVersion") != RBAC_GROUP + "/v1":
        raise ValueError("apiVersion must be %s/v1, not %r"
                         % (RBAC_GROUP, obj.get("apiVersion")))
    kind = obj.get("kind")
    if kind not in RBAC_KINDS:
        raise ValueError("kind must be one of %s, not %r"
                         % (", ".join(sorted(RBAC_KINDS)), kind))
    resource, namespaced = RBAC_KINDS[kind]
    md = obj.get("metadata") or {}
    name, ns = md.get("name"), md.get("namespace")
    if not name:
        raise ValueError("metadata.name is required")
    q = urllib.parse.quote
    base = "/apis/%s/v1" % RBAC_GROUP
    if namespaced:
        if not ns:
            raise ValueError("metadata.namespace is required for a %s" % kind)
        base += "/namespaces/%s" % q(ns, safe="")
    elif ns:
        raise ValueError("a %s has no namespace" % kind)
    return "%s/%s" % (base, resource), q(name, safe="")


if False:  # pragma: no cover - typing only
    from .engine import Engine  # noqa: F401
    from .store import Store  # noqa: F401
