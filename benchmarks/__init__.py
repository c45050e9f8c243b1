"""Benchmarks: `python -m benchmarks [NAME ...]` runs every benchmarks/bench_*.py (or the named ones)."""

import statistics as _statistics
import time as _time
from collections.abc import Callable as _Callable


def median_time(fn: _Callable[[], object], reps: int = 5, warmup: bool = False) -> float:
    """Median wall time of ``reps`` calls of ``fn`` (after one untimed call when ``warmup``)."""
    if warmup:
        fn()
    out = []
    for _ in range(reps):
        t0 = _time.perf_counter()
        fn()
        out.append(_time.perf_counter() - t0)
    return _statistics.median(out)
