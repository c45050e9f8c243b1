"""Once per process: work that does not depend on a sweep cell, computed by the first cell that needs it.

``glaverify tables`` runs the same default checks on every cell of a sweep (docs/performance/tables.md).
Part of their work does not depend on the cell at all (the dimension-free proofs depend only on the seed,
A6's fixed exact cases on nothing) or is asked for by several claims of the same cell (the exact class
enclosures of A3, A4 and A6). Inside :func:`sweep_scope` such calls go through :func:`once`, which keeps the
result for the life of the worker process; a cold run still pays for every result once per process.

Outside the scope (``glaverify check``/``verify``, the tests, the mutation runner's fresh processes)
:func:`once` calls the function every time, so a planted error or a monkeypatched routine is always seen.

The key is the function object itself plus every argument (or an explicit ``key`` for arguments that are
not hashable), so two calls share a result only when they are the same computation. Results are shared,
not copied: only pure functions whose results the callers do not mutate may go through here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Hashable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

_active = 0
_store: dict[Hashable, Any] = {}
#: how many calls each key answered from the store (for the benchmarks and tests)
hits: dict[Hashable, int] = {}


@contextlib.contextmanager
def sweep_scope() -> Iterator[None]:
    """Reuse the results of :func:`once` calls inside the block (nested scopes are fine)."""
    global _active
    _active += 1
    try:
        yield
    finally:
        _active -= 1


def active() -> bool:
    return _active > 0


def clear() -> None:
    """Forget every stored result (tests; a long-lived process that changed its code)."""
    _store.clear()
    hits.clear()


def once(fn: Callable[..., T], *args: Any, key: Hashable = None, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)``; inside :func:`sweep_scope`, computed once per process for the same
    ``(fn, args, kwargs)`` (or the same ``(fn, key)`` when ``key`` is given, for unhashable arguments:
    the key must then determine every argument)."""
    if not _active:
        return fn(*args, **kwargs)
    k = (fn, key) if key is not None else (fn, args, tuple(sorted(kwargs.items())))
    try:
        found = k in _store
    except TypeError:  # an unhashable argument and no key: compute, never guess
        return fn(*args, **kwargs)
    if found:
        hits[k] = hits.get(k, 0) + 1
        return _store[k]
    out = fn(*args, **kwargs)
    _store[k] = out
    return out
