"""The library context (pedia/ctx.h): logger, change retention, allocator.

Thread safety: a :class:`Context` is safe to use from any thread (the C
context locks internally).
"""
from __future__ import annotations

import ctypes
import logging
import queue
import threading
from ctypes import byref, c_void_p
from typing import Any, Callable, Dict, Optional, Tuple, Union

from . import _ffi
from ._handle import Native, Wrapper

#: pedia_log_level values (syslog order).
LOG_ERROR, LOG_WARN, LOG_NOTICE, LOG_INFO, LOG_DEBUG = 3, 4, 5, 6, 7

_TO_LOGGING = {LOG_ERROR: logging.ERROR, LOG_WARN: logging.WARNING,
               LOG_NOTICE: logging.INFO, LOG_INFO: logging.INFO,
               LOG_DEBUG: logging.DEBUG}

LogCallable = Callable[[int, str, str], Any]


def _pedia_level_for(py_level: int) -> int:
    """The most verbose pedia level a logging level lets through."""
    if py_level <= logging.DEBUG:
        return LOG_DEBUG
    if py_level <= logging.INFO:
        return LOG_INFO
    if py_level <= logging.WARNING:
        return LOG_WARN
    return LOG_ERROR


class _LogPump:
    """Moves library log records to :mod:`logging` on a Python thread.

    The C logger callback runs on library threads; it only converts its
    arguments and puts a tuple on a :class:`queue.SimpleQueue` (which takes
    nothing but the GIL), so a library thread never waits for a lock of a
    logging handler.  A daemon thread ("pedia-log") emits the records.
    """

    def __init__(self) -> None:
        self.q: "queue.SimpleQueue[Any]" = queue.SimpleQueue()
        self.thread: Optional[threading.Thread] = None
        self.lock = threading.Lock()

    def start(self) -> None:
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run,
                                               name="pedia-log", daemon=True)
                self.thread.start()

    def _run(self) -> None:
        while True:
            item = self.q.get()
            if isinstance(item, threading.Event):
                item.set()
                continue
            logger, level, component, msg = item
            try:
                lg = logger.getChild(component) if component else logger
                lg.log(_TO_LOGGING.get(level, logging.INFO), "%s", msg)
            except Exception:  # pragma: no cover - a broken handler
                pass

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every record queued so far was emitted."""
        if self.thread is None:
            return True
        done = threading.Event()
        self.q.put(done)
        return done.wait(timeout)


_PUMP = _LogPump()


def flush_logs(timeout: float = 5.0) -> bool:
    """Emit every library log record received so far (returns False if
    that took longer than ``timeout`` seconds)."""
    return _PUMP.flush(timeout)


class AllocationTracker:
    """Counting allocator hooks (``pedia_ctx_options_set_allocator``).

    A debugging aid: every allocation libpedia itself makes for the context
    goes through Python (and the GIL), so it is slow.  ``live`` and
    ``live_bytes`` count outstanding blocks; ``size_mismatches`` counts sized
    frees whose size differs from the allocation.  ``fail_after`` = N makes
    the N+1-th following allocation fail (out-of-memory testing); None never
    fails.
    """

    def __init__(self) -> None:
        libc = ctypes.CDLL(None)
        self._malloc = libc.malloc
        self._malloc.restype = c_void_p
        self._malloc.argtypes = [ctypes.c_size_t]
        self._realloc = libc.realloc
        self._realloc.restype = c_void_p
        self._realloc.argtypes = [c_void_p, ctypes.c_size_t]
        self._libc_free = libc.free
        self._libc_free.restype = None
        self._libc_free.argtypes = [c_void_p]
        self.blocks: Dict[int, int] = {}
        self.total = 0
        self.size_mismatches = 0
        self.fail_after: Optional[int] = None
        self.failed = 0
        self.callbacks = (_ffi.MALLOC_CB(self._on_malloc),
                          _ffi.REALLOC_CB(self._on_realloc),
                          _ffi.FREE_CB(self._on_free))

    @property
    def live(self) -> int:
        return len(self.blocks)

    @property
    def live_bytes(self) -> int:
        return sum(self.blocks.values())

    def _fail(self) -> bool:
        if self.fail_after is None:
            return False
        if self.fail_after <= 0:
            self.failed += 1
            return True
        self.fail_after -= 1
        return False

    def _on_malloc(self, size: int, payload: Any) -> Optional[int]:
        try:
            if self._fail():
                return None
            p = self._malloc(size or 1)
            if p:
                self.blocks[p] = size
                self.total += 1
            return p
        except BaseException:  # never let an exception cross C frames
            return None

    def _on_realloc(self, ptr: Optional[int], old: int, new: int,
                    payload: Any) -> Optional[int]:
        try:
            if self._fail():
                return None
            p = self._realloc(ptr, new or 1)
            if p:
                if ptr:
                    if self.blocks.pop(ptr, old) != old:
                        self.size_mismatches += 1
                self.blocks[p] = new
                self.total += 1
            return p
        except BaseException:
            return None

    def _on_free(self, ptr: Optional[int], size: int, payload: Any) -> None:
        try:
            if not ptr:
                return
            if self.blocks.pop(ptr, size) != size:
                self.size_mismatches += 1
            self._libc_free(ptr)
        except BaseException:
            pass


class Context(Wrapper):
    """A libpedia context: owns the logger, allocator and drivers.

    ``with Context(logger="pedia") as ctx: store = ctx.open_store(uri)``

    :param logger: where library log lines go: a :class:`logging.Logger`
        or logger name (records are emitted by a "pedia-log" thread, as
        ``<logger>.<component>``), or a callable ``f(level, component,
        msg)`` called directly on library threads (it must be thread-safe
        and quick, and must not call back into pedia; its exceptions are
        swallowed), or None (silent, the default).
    :param log_level: the most verbose pedia level passed on (``LOG_*``);
        by default derived from the logger's effective level.
    :param change_retention: change-log entries kept by stores opened with
        this context (None/0: the library default, 200,000); older watch
        revisions and continue tokens raise :class:`pedia.Expired`.
    :param track_allocations: route libpedia's allocations through a
        counting :class:`AllocationTracker` (debugging; slow).

    Thread safety: any thread.  Closing a context closes every store, engine
    and search made from it.
    """

    def __init__(self, *, logger: Union[None, str, logging.Logger,
                                        LogCallable] = None,
                 log_level: Optional[int] = None,
                 change_retention: Optional[int] = None,
                 track_allocations: bool = False) -> None:
        lib = _ffi.lib()
        self.allocations: Optional[AllocationTracker] = None
        keep = []
        opts = c_void_p()
        lib.pedia_ctx_options_create(byref(opts))
        try:
            cb = self._make_logger(logger, log_level)
            if cb is not None:
                func, level = cb
                lib.pedia_ctx_options_set_logger(opts, func, level, None)
                keep.append(func)
            if change_retention is not None:
                lib.pedia_ctx_options_set_change_retention(
                    opts, int(change_retention))
            if track_allocations:
                tracker = AllocationTracker()
                lib.pedia_ctx_options_set_allocator(opts, *tracker.callbacks,
                                                    None)
                keep.append(tracker.callbacks)
                self.allocations = tracker
            ctx = c_void_p()
            lib.pedia_ctx_create(byref(ctx), opts)
        finally:
            lib.pedia_ctx_options_free(opts)
        self._n = Native(ctx.value, lib.pedia_ctx_free, "Context", keep=keep)

    @staticmethod
    def _make_logger(logger: Any, log_level: Optional[int]
                     ) -> Optional[Tuple[Any, int]]:
        if logger is None:
            return None
        if callable(logger) and not isinstance(logger, logging.Logger):
            user = logger

            def direct(level: int, component: Optional[bytes],
                       msg: Optional[bytes], payload: Any) -> None:
                try:
                    user(level, _ffi.text(component) or "",
                         _ffi.text(msg) or "")
                except BaseException:  # never cross C frames
                    pass
            return _ffi.LOG_CB(direct), log_level or LOG_DEBUG
        if isinstance(logger, str):
            logger = logging.getLogger(logger)
        if not isinstance(logger, logging.Logger):
            raise TypeError("logger must be a logging.Logger, a name, a "
                            "callable or None")
        target = logger
        put = _PUMP.q.put
        _PUMP.start()

        def pump(level: int, component: Optional[bytes],
                 msg: Optional[bytes], payload: Any) -> None:
            try:
                put((target, level,
                     component.decode("utf-8", "replace") if component
                     else "",
                     msg.decode("utf-8", "replace") if msg else ""))
            except BaseException:  # never cross C frames
                pass
        level = log_level or _pedia_level_for(logger.getEffectiveLevel())
        return _ffi.LOG_CB(pump), level

    # -- lifetime -------------------------------------------------------------
    def close(self) -> None:
        """Free the context and everything made from it.  Idempotent."""
        self._n.close()

    def __repr__(self) -> str:
        return "<pedia.Context %s>" % ("closed" if self.closed else "open")

    # -- operations -----------------------------------------------------------
    def open_store(self, uri: str) -> "Store":
        """Open a store with this context (see :meth:`pedia.Store.open`)."""
        from .store import Store
        return Store.open(uri, context=self)

    def load_store_driver(self, path: str) -> None:
        """Load a store driver module (``pedia_store_driver_load``) and
        register its URI scheme in this context.

        :raises NotFound: no such file or no ``pedia_store_driver_entry``.
        :raises InvalidArgument: incompatible driver version.
        :raises AlreadyExists: the scheme is taken.
        """
        data = _ffi.cstr(path, "path")
        if data is None:
            raise TypeError("path must be a str")
        with self._n.use() as ptr:
            _ffi.lib().pedia_store_driver_load(ptr, data)


def version() -> str:
    """The loaded library's version, "MAJOR.MINOR.PATCH"."""
    return _ffi.text(_ffi.lib().pedia_version()) or ""


def version_info() -> Tuple[int, int, int]:
    """The loaded library's version as a (major, minor, patch) tuple."""
    n = _ffi.lib().pedia_version_number()
    return (n >> 16, (n >> 8) & 0xFF, n & 0xFF)


def strerror(code: Union[int, str]) -> str:
    """Static English text of a pedia_err (number or name like "EQUERY")."""
    return _ffi.text(_ffi.lib().pedia_strerror(_errno_of(code))) or ""


def err_name(code: int) -> str:
    """The enum name of a pedia_err without its prefix, e.g. "ENOMEM"."""
    return _ffi.text(_ffi.lib().pedia_err_name(int(code))) or ""


def _errno_of(code: Union[int, str]) -> int:
    if isinstance(code, int):
        return code
    from .errors import BY_CODE
    if code in BY_CODE:
        return BY_CODE[code]
    if code == "OK":
        return 0
    raise ValueError("unknown pedia_err name %r" % code)


if False:  # pragma: no cover - typing only
    from .store import Store  # noqa: F401
