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

Between the workers of one ``glaverify tables --jobs N`` run (:func:`share_between_processes`, set by the
pool's initialiser): a result is also written, pickled, to a directory that lives as long as the run (a
temporary directory the parent deletes at the end; not the results cache, so ``--no-cache`` does not
touch it). The first worker to need a result computes it under a lock file; another worker that needs it
meanwhile waits for it instead of computing it a second time, and later ones load it. Only keys that
mean the same in every process are shared (functions by module and qualified name, arrays by their
bytes; anything whose text holds a memory address, lambdas, closures and bound methods are kept per
process), and a result that does not pickle is simply not shared.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import time
import types
from collections.abc import Callable, Hashable, Iterator
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

_active = 0
_store: dict[Hashable, Any] = {}
#: how many calls each key answered from the store (for the benchmarks and tests)
hits: dict[Hashable, int] = {}
#: the run directory shared by the workers of one process pool (None: results stay in this process)
_shared_dir: Path | None = None
#: results this process loaded from, and wrote to, the shared directory (benchmarks and tests)
shared_loads: list[str] = []
shared_writes: list[str] = []
#: seconds between looks while another worker computes a result this one needs
WAIT_POLL_S = 0.02


def share_between_processes(directory: str | os.PathLike | None) -> None:
    """Share :func:`once` results through ``directory`` (one run's temporary directory), or stop (None)."""
    global _shared_dir
    _shared_dir = Path(directory) if directory else None


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
    shared_loads.clear()
    shared_writes.clear()


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
    path = _shared_path(fn, key, args, kwargs) if _shared_dir is not None else None
    if path is None:
        out = fn(*args, **kwargs)
    else:
        out = _shared_call(path, fn, args, kwargs)
    _store[k] = out
    return out


class _Unstable(Exception):
    """A key whose text differs between processes (a memory address, a lambda): not shared."""


def _stable(x: Any) -> Any:
    if isinstance(x, str | int | float | bool | type(None)):
        return repr(x)
    if isinstance(x, tuple | list):
        return (type(x).__name__, *(_stable(i) for i in x))
    if isinstance(x, dict):
        return ("dict", *sorted((repr(k), _stable(v)) for k, v in x.items()))
    if type(x).__module__ == "numpy" and hasattr(x, "tobytes"):  # arrays and numpy scalars, by value
        import numpy as np

        a = np.ascontiguousarray(x)
        return ("ndarray", a.shape, str(a.dtype), hashlib.sha256(a.tobytes()).hexdigest())
    name = getattr(x, "__qualname__", None)
    if callable(x) and isinstance(name, str) and hasattr(x, "__module__"):
        if "<" in name:  # <lambda>, <locals>: two different functions can share the name
            raise _Unstable(name)
        owner = getattr(x, "__self__", None)
        if owner is not None and not isinstance(owner, types.ModuleType):  # a bound method: its object counts
            raise _Unstable(name)
        return f"{x.__module__}.{name}"
    text = repr(x)
    if " at 0x" in text or " object at " in text:
        raise _Unstable(text)
    return text


def _shared_path(fn: Callable, key: Hashable, args: tuple, kwargs: dict) -> Path | None:
    try:
        text = repr(_stable((fn, key) if key is not None else (fn, args, kwargs)))
    except _Unstable:
        return None
    return _shared_dir / (hashlib.sha256(text.encode()).hexdigest() + ".pickle")


def _load(path: Path) -> tuple[bool, Any]:
    try:
        with open(path, "rb") as fh:
            return True, pickle.load(fh)
    except (OSError, EOFError, pickle.UnpicklingError):
        return False, None


def _holder_alive(lock: Path) -> bool:
    try:
        pid = int(lock.read_text() or "0")
    except (OSError, ValueError):
        return lock.exists()  # being written: assume alive
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _shared_call(path: Path, fn: Callable, args: tuple, kwargs: dict) -> Any:
    """Load the result another worker wrote, wait for the one it is computing, or compute and write it."""
    lock = path.with_suffix(".lock")
    while True:
        ok, value = _load(path)
        if ok:
            shared_loads.append(path.name)
            return value
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            if _holder_alive(lock):
                time.sleep(WAIT_POLL_S)
                continue
            with contextlib.suppress(OSError):  # the holder died (a terminated worker): take over
                lock.unlink()
            continue
        except OSError:  # the run directory is gone (a stale setting): compute here, share nothing
            return fn(*args, **kwargs)
        break
    try:
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        out = fn(*args, **kwargs)
        try:
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            with open(tmp, "wb") as fh:
                pickle.dump(out, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
            shared_writes.append(path.name)
        except Exception:  # noqa: BLE001 - a result that does not pickle is kept in this process only
            with contextlib.suppress(OSError):
                tmp.unlink()
        return out
    finally:
        with contextlib.suppress(OSError):
            lock.unlink()
