"""Low-level ctypes declarations of libpedia's public ABI.

Every exported symbol of ``docs/symbols.txt`` is declared here with its
``argtypes`` and ``restype`` (a test cross-checks the two lists).  Functions
returning ``pedia_err`` get an ``errcheck`` that raises the matching
:class:`pedia.Error` subclass, reading the per-thread message and cause right
after the call: ctypes releases the GIL during a foreign call but stays on the
same OS thread, so the thread-local error slot still describes that call.

The library is loaded lazily (first use), in this order:

1. the ``PEDIA_LIBRARY`` environment variable (path to ``libpedia.so``);
2. ``pedia/_libpath.py`` with ``LIBRARY = "/path/libpedia.so.0.4"``, if a
   packager wrote one at build/install time (optional, absent by default);
3. ``ctypes.util.find_library("pedia")``, then ``libpedia.so.0*`` in the
   standard library directories.

It is opened with ``RTLD_GLOBAL`` so that store drivers loaded at run time
(:meth:`pedia.Context.load_store_driver`) resolve ``pedia_sys_error_set``.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
import threading
from ctypes import (
    CFUNCTYPE,
    POINTER,
    c_bool,
    c_char_p,
    c_int,
    c_int64,
    c_size_t,
    c_uint,
    c_void_p,
)
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import errors as _errors

#: The library major version these bindings speak (checked at load).
ABI_MAJOR = 0
#: The minor version these bindings need. Before 1.0 every minor version is
#: its own ABI epoch (SONAME libpedia.so.0.<minor>), so it must match.
ABI_MIN_MINOR = 4

c_int_p = POINTER(c_int)
c_int64_p = POINTER(c_int64)
c_size_t_p = POINTER(c_size_t)
c_void_pp = POINTER(c_void_p)
c_char_pp = POINTER(c_char_p)
c_bool_p = POINTER(c_bool)

# Callback types (pedia/log.h, pedia/ctx.h, pedia/sync.h, pedia/apiserver.h).
LOG_CB = CFUNCTYPE(None, c_int, c_char_p, c_char_p, c_void_p)
MALLOC_CB = CFUNCTYPE(c_void_p, c_size_t, c_void_p)
REALLOC_CB = CFUNCTYPE(c_void_p, c_void_p, c_size_t, c_size_t, c_void_p)
FREE_CB = CFUNCTYPE(None, c_void_p, c_size_t, c_void_p)
ENGINE_LIST_CB = CFUNCTYPE(c_int, c_char_p, POINTER(ctypes.c_char), c_size_t,
                           c_void_p)
API_HEADER_FN = CFUNCTYPE(c_char_p, c_void_p, c_char_p)
API_HEADER_CB = CFUNCTYPE(c_int, c_char_p, c_char_p, c_void_p)
API_HEADER_EACH_FN = CFUNCTYPE(None, API_HEADER_CB, c_void_p, c_void_p)
API_WAKE_FN = CFUNCTYPE(None, c_void_p)
API_METRICS_FN = CFUNCTYPE(c_size_t, c_void_p, c_size_t, c_void_p)


class ApiUser(ctypes.Structure):
    """``pedia_api_user`` (pedia/apiserver.h)."""

    _fields_ = [("name", c_char_p), ("uid", c_char_p),
                ("groups", POINTER(c_char_p)), ("n_groups", c_size_t)]


class ApiExtra(ctypes.Structure):
    """``pedia_api_extra`` (pedia/apiserver.h)."""

    _fields_ = [("key", c_char_p), ("values", POINTER(c_char_p)),
                ("n_values", c_size_t)]


#: The pedia_api_request layout these bindings fill.
API_REQUEST_VERSION = 2


class ApiRequest(ctypes.Structure):
    """``pedia_api_request`` (pedia/apiserver.h), version 2."""

    _fields_ = [("version", c_uint),
                ("method", c_char_p), ("target", c_char_p),
                ("header", API_HEADER_FN), ("header_payload", c_void_p),
                ("body", c_char_p), ("body_len", c_size_t),
                ("user", POINTER(ApiUser)),
                # version 2
                ("header_each", API_HEADER_EACH_FN),
                ("extra", POINTER(ApiExtra)), ("n_extra", c_size_t)]


ERR = "pedia_err"  # marker: the function returns pedia_err (errcheck raises)

# name: (restype, argtypes).  Keep in the order of the headers.
SIGNATURES: Dict[str, Tuple[Any, List[Any]]] = {
    # errors.h
    "pedia_strerror": (c_char_p, [c_int]),
    "pedia_err_name": (c_char_p, [c_int]),
    "pedia_error_last_code": (c_int, []),
    "pedia_error_last_message": (c_char_p, []),
    "pedia_error_last_cause": (c_int, []),
    # ctx.h
    "pedia_ctx_options_create": (ERR, [c_void_pp]),
    "pedia_ctx_options_free": (None, [c_void_p]),
    "pedia_ctx_options_set_logger": (ERR, [c_void_p, LOG_CB, c_int, c_void_p]),
    "pedia_ctx_options_set_allocator": (
        ERR, [c_void_p, MALLOC_CB, REALLOC_CB, FREE_CB, c_void_p]),
    "pedia_ctx_options_set_change_retention": (ERR, [c_void_p, c_int64]),
    "pedia_ctx_create": (ERR, [c_void_pp, c_void_p]),
    "pedia_ctx_free": (None, [c_void_p]),
    "pedia_version": (c_char_p, []),
    "pedia_version_number": (c_uint, []),
    # store.h
    "pedia_store_open": (ERR, [c_void_pp, c_void_p, c_char_p]),
    "pedia_store_free": (None, [c_void_p]),
    "pedia_store_driver_load": (ERR, [c_void_p, c_char_p]),
    "pedia_store_set_normalize_flags": (None, [c_void_p, c_uint]),
    "pedia_store_current_revision": (ERR, [c_int64_p, c_void_p]),
    "pedia_store_delete_cluster": (
        ERR, [c_void_p, c_char_p, c_char_p, c_char_p, c_char_p]),
    "pedia_batch_create": (ERR, [c_void_pp, c_void_p]),
    "pedia_batch_free": (None, [c_void_p]),
    "pedia_batch_upsert": (ERR, [c_void_p, c_char_p, c_char_p, c_char_p,
                                 c_char_p, c_char_p, c_size_t]),
    "pedia_batch_delete": (ERR, [c_void_p, c_char_p, c_char_p, c_char_p,
                                 c_char_p, c_char_p, c_char_p]),
    "pedia_batch_size": (c_size_t, [c_void_p]),
    "pedia_batch_commit": (ERR, [c_size_t_p, c_void_p]),
    "pedia_changes_create": (ERR, [c_void_pp, c_void_p, c_int64, c_char_p,
                                   c_char_p, c_char_p]),
    "pedia_changes_next": (ERR, [c_void_pp, c_void_p]),
    "pedia_changes_wait": (ERR, [c_void_p, c_int]),
    "pedia_changes_free": (None, [c_void_p]),
    # query.h
    "pedia_query_create": (ERR, [c_void_pp, c_void_p]),
    "pedia_query_free": (None, [c_void_p]),
    "pedia_query_set_resource": (ERR, [c_void_p, c_char_p, c_char_p,
                                       c_char_p]),
    "pedia_query_set_collection": (ERR, [c_void_p, c_char_p]),
    "pedia_query_set_path_cluster": (ERR, [c_void_p, c_char_p]),
    "pedia_query_set_path_namespace": (ERR, [c_void_p, c_char_p]),
    "pedia_query_parse_url": (ERR, [c_void_p, c_char_p]),
    "pedia_query_set_label_selector": (ERR, [c_void_p, c_char_p]),
    "pedia_query_set_field_selector": (ERR, [c_void_p, c_char_p]),
    "pedia_query_add_cluster": (ERR, [c_void_p, c_char_p]),
    "pedia_query_add_namespace": (ERR, [c_void_p, c_char_p]),
    "pedia_query_add_name": (ERR, [c_void_p, c_char_p]),
    "pedia_query_add_order_by": (ERR, [c_void_p, c_char_p, c_bool]),
    "pedia_query_set_limit": (ERR, [c_void_p, c_int64]),
    "pedia_query_set_continue": (ERR, [c_void_p, c_char_p]),
    "pedia_query_set_with_remaining_count": (ERR, [c_void_p, c_bool]),
    "pedia_query_run": (ERR, [c_void_pp, c_void_p, c_void_p]),
    "pedia_result_next": (ERR, [c_void_pp, c_void_p]),
    "pedia_result_continue": (c_char_p, [c_void_p]),
    "pedia_result_revision": (c_int64, [c_void_p]),
    "pedia_result_remaining": (c_bool, [c_int64_p, c_void_p]),
    "pedia_result_free": (None, [c_void_p]),
    # object.h (borrowed views: strings are copied into Python at once)
    "pedia_object_json": (c_void_p, [c_size_t_p, c_void_p]),
    "pedia_object_cluster": (c_char_p, [c_void_p]),
    "pedia_object_group": (c_char_p, [c_void_p]),
    "pedia_object_version": (c_char_p, [c_void_p]),
    "pedia_object_resource": (c_char_p, [c_void_p]),
    "pedia_object_kind": (c_char_p, [c_void_p]),
    "pedia_object_namespace": (c_char_p, [c_void_p]),
    "pedia_object_name": (c_char_p, [c_void_p]),
    "pedia_object_uid": (c_char_p, [c_void_p]),
    "pedia_object_member_rv": (c_char_p, [c_void_p]),
    "pedia_object_revision": (c_int64, [c_void_p]),
    "pedia_object_created_at": (c_int64, [c_void_p]),
    "pedia_object_event_type": (c_int, [c_void_p]),
    # sync.h
    "pedia_engine_create": (ERR, [c_void_pp, c_void_p]),
    "pedia_engine_start": (ERR, [c_void_p]),
    "pedia_engine_stop": (ERR, [c_void_p]),
    "pedia_engine_free": (None, [c_void_p]),
    "pedia_engine_apply": (ERR, [c_void_p, c_char_p, c_size_t]),
    "pedia_engine_apply_all": (ERR, [c_size_t_p, c_void_p, c_char_p, c_size_t]),
    "pedia_engine_delete": (ERR, [c_void_p, c_char_p, c_char_p]),
    "pedia_engine_follow_host": (ERR, [c_void_p, c_char_p, c_size_t]),
    "pedia_engine_get": (ERR, [c_char_p, c_size_t, c_size_t_p, c_void_p,
                               c_char_p, c_char_p]),
    "pedia_engine_list": (ERR, [c_void_p, c_char_p, ENGINE_LIST_CB, c_void_p]),
    "pedia_engine_sync_member_rbac": (None, [c_void_p, ctypes.c_int]),
    "pedia_engine_set_replica": (ERR, [c_void_p, c_char_p, ctypes.c_int]),
    # sys/store_driver.h (for drivers; declared for completeness)
    "pedia_sys_error_set": (None, [c_int, c_int, c_char_p]),
    # apiserver.h (wrapped by pedia.Api: create, free, set_authorization,
    # set_address, set_watch_cache_size, shutdown, handle, response_*)
    "pedia_api_create": (ERR, [c_void_pp, c_void_p, c_void_p]),
    "pedia_api_set_address": (ERR, [c_void_p, c_char_p]),
    "pedia_api_set_authorization": (ERR, [c_void_p, c_char_p]),
    "pedia_api_set_authorization_webhook": (ERR, [c_void_p, c_char_p,
                                                  c_size_t, c_int64, c_int64]),
    "pedia_api_shutdown": (None, [c_void_p]),
    "pedia_api_set_user_limits": (ERR, [c_void_p, ctypes.c_uint,
                                        ctypes.c_uint]),
    "pedia_api_set_metrics_source": (ERR, [c_void_p, API_METRICS_FN,
                                           c_void_p]),
    "pedia_api_response_set_wake": (ERR, [c_void_p, API_WAKE_FN, c_void_p]),
    "pedia_api_set_watch_cache_size": (ERR, [c_void_p, c_size_t]),
    "pedia_api_free": (None, [c_void_p]),
    "pedia_api_handle": (ERR, [c_void_pp, c_void_p, POINTER(ApiRequest)]),
    "pedia_api_error_response": (ERR, [c_void_pp, c_void_p, c_int, c_char_p]),
    "pedia_api_response_status": (c_int, [c_void_p]),
    "pedia_api_response_header_count": (c_size_t, [c_void_p]),
    "pedia_api_response_header": (c_char_p, [c_char_pp, c_void_p, c_size_t]),
    "pedia_api_response_length": (c_int64, [c_void_p]),
    "pedia_api_response_read": (ERR, [c_char_p, c_size_t, c_size_t_p,
                                      c_bool_p, c_void_p]),
    "pedia_api_response_body": (c_bool, [c_void_pp, c_size_t_p, c_void_p]),
    "pedia_api_response_free": (None, [c_void_p]),
}

#: Symbols a library may lack without failing the load (not in every build
#: or not yet exported); calling one that is absent raises NotSupported.
OPTIONAL = frozenset(n for n in SIGNATURES if n.startswith("pedia_api_"))


def _errcheck(result: int, func: Any, args: Tuple[Any, ...]) -> int:
    """ctypes errcheck for pedia_err returns: raise on anything but OK."""
    if result != 0:
        raise _last_error(result)
    return result


def _last_error(code: int) -> "_errors.Error":
    """Build the exception for ``code`` from this thread's error slot."""
    lib = _LIB
    message = b""
    cause = 0
    name = None
    if lib is not None:
        if lib.pedia_error_last_code() == code:
            message = lib.pedia_error_last_message() or b""
            cause = lib.pedia_error_last_cause()
        name = lib.pedia_err_name(code)
        if not message:
            message = lib.pedia_strerror(code) or b""
    return _errors.make_error(
        code, message.decode("utf-8", "replace"), cause,
        name.decode() if name else None)


class _Missing:
    """Stand-in for an optional symbol the loaded library lacks."""

    def __init__(self, name: str) -> None:
        self.__name__ = name

    def __call__(self, *args: Any) -> Any:
        raise _errors.NotSupported(
            "%s is not exported by the loaded libpedia" % self.__name__)


class Library:
    """The loaded shared library with every function declared."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.dll = ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
        missing = []
        for name, (restype, argtypes) in SIGNATURES.items():
            try:
                fn = getattr(self.dll, name)
            except AttributeError:
                if name in OPTIONAL:
                    setattr(self, name, _Missing(name))
                    continue
                missing.append(name)
                continue
            fn.argtypes = argtypes
            if restype is ERR:
                fn.restype = c_int
                fn.errcheck = _errcheck
            else:
                fn.restype = restype
            setattr(self, name, fn)
        if missing:
            raise LibraryNotFoundError(
                "%s is not a compatible libpedia: missing %s"
                % (path, ", ".join(sorted(missing))))
        number = self.pedia_version_number()
        major, minor = number >> 16, (number >> 8) & 0xFF
        if major != ABI_MAJOR or minor < ABI_MIN_MINOR or (
                major == 0 and minor != ABI_MIN_MINOR):
            raise LibraryNotFoundError(
                "%s is libpedia %s; these bindings need %d.%d%s"
                % (path, self.pedia_version().decode(), ABI_MAJOR,
                   ABI_MIN_MINOR,
                   "" if ABI_MAJOR == 0 else " or a later %d.x" % ABI_MAJOR))


class LibraryNotFoundError(ImportError):
    """libpedia.so could not be found or is not usable by these bindings."""


_LIB: Optional[Library] = None
_LOCK = threading.Lock()

_STD_DIRS = ("/usr/local/lib", "/usr/local/lib64", "/usr/lib",
             "/usr/lib64", "/usr/lib/x86_64-linux-gnu",
             "/usr/lib/aarch64-linux-gnu", "/lib", "/lib64")


def candidates() -> List[Tuple[str, str]]:
    """The places tried, in order, as (how, path-or-name) pairs."""
    out: List[Tuple[str, str]] = []
    env = os.environ.get("PEDIA_LIBRARY")
    if env:
        out.append(("PEDIA_LIBRARY", env))
        return out  # an explicit choice is never second-guessed
    try:
        from . import _libpath  # type: ignore[attr-defined]
        recorded = getattr(_libpath, "LIBRARY", None)
        if recorded:
            out.append(("recorded at build time", recorded))
    except ImportError:
        pass
    found = ctypes.util.find_library("pedia")
    if found:
        out.append(("find_library", found))
    for d in _STD_DIRS:
        for p in sorted(glob.glob(os.path.join(d, "libpedia.so.0*")),
                        reverse=True):
            out.append(("standard dir", p))
    out.append(("dlopen", "libpedia.so.0.%d" % ABI_MIN_MINOR))
    return out


def load(path: Optional[str] = None) -> Library:
    """Load (once) and return the library; ``path`` overrides the lookup.

    :raises LibraryNotFoundError: nothing usable was found (an ImportError).
    """
    global _LIB
    with _LOCK:
        if _LIB is not None:
            if path is None or os.path.realpath(path) == os.path.realpath(
                    _LIB.path):
                return _LIB
            raise LibraryNotFoundError(
                "libpedia is already loaded from %s" % _LIB.path)
        tried = [("argument", path)] if path else candidates()
        errors = []
        for how, cand in tried:
            try:
                lib = Library(cand)
            except LibraryNotFoundError as e:
                errors.append("%s (%s): %s" % (cand, how, e))
                continue
            except OSError as e:
                errors.append("%s (%s): %s" % (cand, how, e))
                continue
            _LIB = lib
            return lib
        raise LibraryNotFoundError(
            "libpedia shared library not found; set PEDIA_LIBRARY to the "
            "path of libpedia.so (e.g. build/libpedia/libpedia.so) or "
            "install it in a standard directory.  Tried:\n  "
            + "\n  ".join(errors))


def lib() -> Library:
    """The loaded library (loading it on first use)."""
    return _LIB if _LIB is not None else load()


def declared_symbols() -> List[str]:
    """Every symbol declared here (for the symbols.txt cross-check)."""
    return sorted(SIGNATURES)


def cstr(value: Optional[str], what: str = "argument") -> Optional[bytes]:
    """Encode an optional str argument for a ``const char *`` parameter."""
    if value is None:
        return None
    if isinstance(value, bytes):
        data = value
    elif isinstance(value, str):
        data = value.encode("utf-8")
    else:
        raise TypeError("%s must be a str, not %s"
                        % (what, type(value).__name__))
    if b"\0" in data:
        raise ValueError("%s must not contain NUL characters" % what)
    return data


def text(value: Optional[bytes]) -> Optional[str]:
    """Decode a borrowed ``const char *`` result (None stays None)."""
    return None if value is None else value.decode("utf-8", "replace")


Callback = Callable[..., Any]
