"""Exceptions: one class per ``pedia_err`` family (pedia/errors.h).

Every exception raised for a failed library call is a :class:`Error` with:

``code``
    the enum name without prefix, e.g. ``"EQUERY"`` (``pedia_err_name``);
``errno``
    the numeric ``pedia_err`` value (negative);
``message``
    the library's one-line message (``pedia_error_last_message``);
``cause``
    the dependency's code behind it (HTTP status, SQLite extended code,
    CURLcode ...; ``pedia_error_last_cause``), or 0.

Classes also derive from the closest built-in exception where that helps
callers (``InvalidArgument`` is a ``ValueError``, ``NotFound`` a
``LookupError``, ``Timeout`` a ``TimeoutError`` ...).
"""
from __future__ import annotations

from typing import Dict, Optional, Type


class Error(Exception):
    """Base class of every libpedia error."""

    #: default code of the class (instances carry the actual one)
    default_code = "ERROR"
    default_errno = -1

    def __init__(self, message: str = "", *, code: Optional[str] = None,
                 errno: Optional[int] = None, cause: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.errno = self.default_errno if errno is None else errno
        self.cause = cause

    def __str__(self) -> str:
        if self.message:
            return "%s: %s" % (self.code, self.message)
        return self.code


#: Alias matching STYLE.md's name for the base class.
PediaError = Error


class OutOfMemory(Error, MemoryError):
    """PEDIA_ENOMEM."""
    default_code, default_errno = "ENOMEM", -2


class InvalidArgument(Error, ValueError):
    """PEDIA_EINVAL: a bad argument (URI, manifest, JSON ...)."""
    default_code, default_errno = "EINVAL", -3


class ManifestError(InvalidArgument):
    """PEDIA_EINVAL from :meth:`pedia.Engine.apply`: the manifest was
    rejected whole; the message names the field."""


class NotFound(Error, LookupError):
    """PEDIA_ENOTFOUND."""
    default_code, default_errno = "ENOTFOUND", -4


class AlreadyExists(Error):
    """PEDIA_EEXISTS."""
    default_code, default_errno = "EEXISTS", -5


class Busy(Error):
    """PEDIA_EBUSY (e.g. re-entering a context from a callback)."""
    default_code, default_errno = "EBUSY", -6


class StateError(Error):
    """PEDIA_ESTATE: invalid state for this operation."""
    default_code, default_errno = "ESTATE", -7


class ClosedError(StateError, ValueError):
    """A Python handle was used after close() (raised by the bindings; the
    C library is never called with a freed handle)."""


class Timeout(Error, TimeoutError):
    """PEDIA_ETIMEDOUT."""
    default_code, default_errno = "ETIMEDOUT", -8


class Canceled(Error):
    """PEDIA_ECANCELED."""
    default_code, default_errno = "ECANCELED", -9


class NetworkError(Error):
    """PEDIA_ENET."""
    default_code, default_errno = "ENET", -10


class TLSError(NetworkError):
    """PEDIA_ETLS."""
    default_code, default_errno = "ETLS", -11


class AuthError(Error):
    """PEDIA_EAUTH."""
    default_code, default_errno = "EAUTH", -12


class APIError(Error):
    """PEDIA_EAPI: an API server answered an error Status: a member's (from
    the library), or libpedia's own API (:meth:`pedia.Api.get` and the
    other :class:`pedia.Api` conveniences).

    ``status`` is the HTTP status code (also ``cause``, as the library
    reports it), ``reason`` the Status reason ("Forbidden", "NotFound" ...;
    "" when unknown), ``message`` the Status message, ``body`` the raw
    response body (bytes, or None when the library raised it).
    """
    default_code, default_errno = "EAPI", -13

    def __init__(self, message: str = "", *, code: Optional[str] = None,
                 errno: Optional[int] = None, cause: int = 0,
                 reason: str = "", body: Optional[bytes] = None) -> None:
        super().__init__(message, code=code, errno=errno, cause=cause)
        self.reason = reason
        self.body = body

    @property
    def status(self) -> int:
        """The HTTP status code (``cause``)."""
        return self.cause

    def __str__(self) -> str:
        if self.body is None:
            return super().__str__()
        return "%s: HTTP %d%s: %s" % (
            self.code, self.cause, " " + self.reason if self.reason else "",
            self.message)


class StoreError(Error):
    """PEDIA_ESTORE: the storage backend failed."""
    default_code, default_errno = "ESTORE", -14


class QueryError(Error, ValueError):
    """PEDIA_EQUERY: an invalid search (selector, order, token ...)."""
    default_code, default_errno = "EQUERY", -15


class CallbackError(Error):
    """PEDIA_EUSER: a callback aborted.  When the callback was Python code
    that raised, the bindings re-raise that exception instead."""
    default_code, default_errno = "EUSER", -16


class InternalError(Error):
    """PEDIA_EINTERNAL."""
    default_code, default_errno = "EINTERNAL", -17


class Expired(Error):
    """PEDIA_EEXPIRED: a revision or continue token older than the retained
    change log (HTTP 410 Expired): start again from a fresh list."""
    default_code, default_errno = "EEXPIRED", -18


class NotSupported(Error, NotImplementedError):
    """PEDIA_ENOTSUP."""
    default_code, default_errno = "ENOTSUP", -19


class Fenced(Error):
    """PEDIA_EFENCED: a write for a cluster whose lease another replica took
    over (several pediad on one PostgreSQL); nothing was written."""
    default_code, default_errno = "EFENCED", -20


#: pedia_err value -> exception class; every code of pedia/errors.h (each
#: class carries its own value; subclasses that share one are left out).
BY_ERRNO: Dict[int, Type[Error]] = {
    cls.default_errno: cls for cls in (
        Error, OutOfMemory, InvalidArgument, NotFound, AlreadyExists, Busy,
        StateError, Timeout, Canceled, NetworkError, TLSError, AuthError,
        APIError, StoreError, QueryError, CallbackError, InternalError,
        Expired, NotSupported, Fenced)
}

#: enum name without its prefix (e.g. "ENOMEM") -> pedia_err value
BY_CODE: Dict[str, int] = {c.default_code: n for n, c in BY_ERRNO.items()}


def make_error(errno: int, message: str, cause: int = 0,
               name: Optional[str] = None) -> Error:
    """The exception for a non-OK ``pedia_err`` (unknown codes: Error)."""
    cls = BY_ERRNO.get(errno, Error)
    if name is None or name in ("", "UNKNOWN", "unknown error"):
        name = cls.default_code if cls is not Error or errno == -1 \
            else "E%d" % -errno
    return cls(message, code=name, errno=errno, cause=cause)


__all__ = [c.__name__ for c in BY_ERRNO.values()] + [
    "PediaError", "ManifestError", "ClosedError", "make_error", "BY_ERRNO"]
