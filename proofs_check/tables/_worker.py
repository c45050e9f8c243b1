"""Initialiser of process-pool workers. Kept free of heavy imports: it must run before numpy is loaded."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def single_threaded() -> None:
    """One BLAS/OpenMP thread per worker: N workers on N cores must not each start N threads."""
    for var in THREAD_VARS:
        os.environ.setdefault(var, "1")


def init_worker(once_dir: str | None = None) -> None:
    """The pool's initialiser: :func:`single_threaded`, then share the cell-independent results of
    :func:`~glaverify.proofs_check.once.once` with the other workers through ``once_dir`` (the run's
    temporary directory; docs/performance/tables.md)."""
    single_threaded()
    from glaverify.proofs_check import once

    once.share_between_processes(once_dir)


def _openblas_handles() -> list[tuple[object, object]]:
    """(get, set) pairs of every OpenBLAS loaded in this process (numpy's and scipy's bundled copies)."""
    import ctypes

    try:
        with open("/proc/self/maps") as fh:
            paths = sorted({ln.split()[-1] for ln in fh if "openblas" in ln.lower() and "/" in ln})
    except OSError:  # not Linux: leave threading alone
        return []
    out = []
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for suffix in ("64_", ""):
            for prefix in ("scipy_openblas", "openblas"):
                get = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                put = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                if get is not None and put is not None:
                    out.append((get, put))
                    break
            else:
                continue
            break
    return out


@contextlib.contextmanager
def blas_threads(n: int) -> Iterator[None]:
    """Limit OpenBLAS (and torch, if loaded) to ``n`` threads inside the block; restore afterwards.

    The serial executor uses this: on a loaded machine, multi-threaded BLAS on the small matrices of a cell
    spends most of its time waiting (measured: the WPGD certificate 2.6 s with 2 threads, 0.13 s with 1).
    """
    import sys

    handles = _openblas_handles()
    old = [get() for get, _ in handles]
    torch = sys.modules.get("torch")
    old_torch = torch.get_num_threads() if torch is not None else None
    try:
        for _, put in handles:
            put(n)
        if torch is not None:
            torch.set_num_threads(n)
        yield
    finally:
        for (_, put), k in zip(handles, old, strict=True):
            put(k)
        if torch is not None and old_torch is not None:
            torch.set_num_threads(old_torch)
