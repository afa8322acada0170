"""Native handle bookkeeping shared by every wrapper class.

A :class:`Native` owns one C pointer and its ``pedia_*_free`` function.
The C rule "a parent must outlive its children" (STYLE 2.4) is kept here,
independently of Python's garbage-collection order:

* a child Native holds a strong reference to its parent Native, and the
  parent keeps the set of its live children;
* ``close()`` first closes every live child, then frees its own pointer,
  so closing a Store also closes its engines, searches and watches, and a
  finalizer that runs parent-first (possible for cyclic garbage) is safe;
* every C call on a handle runs under that handle's lock (``use()``), so a
  ``close()`` from another thread waits for the call in progress instead of
  freeing memory under it, and a closed handle raises
  :class:`pedia.ClosedError` instead of reaching C;
* wrappers call ``close()`` from ``__del__``, and an ``atexit`` hook closes
  every context still open (children first) before the interpreter tears
  down, so library threads never call into a finalized interpreter.

Objects the C side points to (CFUNCTYPE callbacks) are kept in ``keep``
until the pointer is freed.
"""
from __future__ import annotations

import atexit
import threading
from contextlib import contextmanager
from ctypes import byref, c_void_p
from typing import Any, Callable, Iterator, List, Optional, Set, TypeVar

from .errors import ClosedError

_roots: Set["Native"] = set()
_roots_lock = threading.Lock()


class Native:
    """One owned C pointer; see the module docstring."""

    __slots__ = ("ptr", "kind", "_free", "parent", "children", "lock",
                 "keep", "on_close", "__weakref__")

    def __init__(self, ptr: int, free: Callable[[int], None], kind: str,
                 parent: Optional["Native"] = None,
                 keep: Optional[List[Any]] = None) -> None:
        if not ptr:
            raise ValueError("NULL %s handle" % kind)
        self.ptr: Optional[int] = ptr
        self.kind = kind
        self._free = free
        self.parent = parent
        self.children: Set[Native] = set()
        self.lock = threading.RLock()
        self.keep: List[Any] = list(keep or ())
        self.on_close: List[Callable[[], None]] = []
        if parent is not None:
            with parent.lock:
                if parent.ptr is None:  # closed meanwhile: free at once
                    self.ptr = None
                    free(ptr)
                    raise ClosedError("%s is closed" % parent.kind)
                parent.children.add(self)
        else:
            with _roots_lock:
                _roots.add(self)

    @classmethod
    def child(cls, parent: "Native", create: Callable[..., Any],
              free: Callable[[int], None], kind: str, *args: Any) -> "Native":
        """``create(&out, parent_ptr, *args)`` under the parent's lock
        (a ``pedia_*_create`` constructor), owned as a child of parent."""
        out = c_void_p()
        with parent.use() as pptr:
            create(byref(out), pptr, *args)
        return cls(out.value, free, kind, parent=parent)

    @property
    def closed(self) -> bool:
        return self.ptr is None

    def get(self) -> int:
        """The pointer; raises ClosedError when closed."""
        ptr = self.ptr
        if ptr is None:
            raise ClosedError("%s is closed" % self.kind)
        return ptr

    @contextmanager
    def use(self) -> Iterator[int]:
        """Hold the handle's lock for one C call and yield the pointer."""
        with self.lock:
            yield self.get()

    def close(self) -> None:
        """Close children, then free the pointer.  Idempotent."""
        while True:
            with self.lock:
                kids = list(self.children)
            if not kids:
                break
            for child in kids:
                child.close()
        with self.lock:
            ptr, self.ptr = self.ptr, None
            if ptr is not None:
                try:
                    self._free(ptr)
                finally:
                    self.keep = []
        hooks, self.on_close = self.on_close, []
        for hook in hooks:
            hook()
        parent = self.parent
        if parent is not None:
            with parent.lock:
                parent.children.discard(self)
        else:
            with _roots_lock:
                _roots.discard(self)


def safe_close(native: Optional[Native]) -> None:
    """close() for finalizers: never raises (interpreter shutdown ...)."""
    if native is None:
        return
    try:
        native.close()
    except Exception:  # pragma: no cover - best effort in __del__
        pass


_W = TypeVar("_W", bound="Wrapper")


class Wrapper:
    """Lifetime methods of a class wrapping one :class:`Native` in ``_n``:
    ``closed``, an idempotent ``close()``, ``with`` support (closes on exit)
    and a finalizer that never raises.  Subclasses override ``close`` (or
    ``__exit__``) where theirs does more."""

    _n: Native

    @property
    def closed(self) -> bool:
        """True after :meth:`close`."""
        return self._n.closed

    def close(self) -> None:
        """Free the handle and everything made from it.  Idempotent."""
        self._n.close()

    def __enter__(self: _W) -> _W:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        safe_close(getattr(self, "_n", None))


@atexit.register
def _close_all() -> None:
    """Close every context still open, children first (see module doc)."""
    with _roots_lock:
        roots = list(_roots)
    for r in roots:
        safe_close(r)


def live_roots() -> int:
    """Number of open root handles (contexts); for tests."""
    with _roots_lock:
        return len(_roots)
