"""Initialiser of process-pool workers. Kept free of heavy imports: it must run before numpy is loaded."""

from __future__ import annotations

import os

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
                "NUMEXPR_NUM_THREADS")


def single_threaded() -> None:
    """One BLAS/OpenMP thread per worker: N workers on N cores must not each start N threads."""
    for var in THREAD_VARS:
        os.environ.setdefault(var, "1")
