"""Executors for sweep tasks: serial, a local process pool (``--jobs N``) or Dask (``--scheduler ADDRESS``).

Each task is ``(producer, model_dict, run_dict, quick)``, JSON-able and handled by the module-level
:func:`~glaverify.proofs_check.tables.producers.run_producer`, so the three executors compute exactly the
same thing. Results come back as ``(task_index, result)`` in completion order; the sweep reorders them.
"""

from __future__ import annotations

import contextlib
import importlib.util
import multiprocessing
import os
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

from glaverify.numerics.errors import InputError

from ._worker import THREAD_VARS, blas_threads, init_worker, single_threaded
from .producers import run_producer

Task = tuple[str, dict, dict, bool]

#: how long to wait for a Dask scheduler before giving up
CONNECT_TIMEOUT = "10s"


def run_serial(tasks: list[Task]) -> Iterator[tuple[int, dict[str, Any]]]:
    with blas_threads(1):
        for i, t in enumerate(tasks):
            yield i, run_producer(*t)


#: imported once by the fork server, so pool workers start warm (forked, not re-importing)
PRELOAD = (
    "glaverify.proofs_check.tables.producers",
    "glaverify.numerics.gating",
    "cvxpy",
    "scipy.optimize",
    "glaverify.proofs_check.tables._preload",  # the check modules and torch's lazy imports (see there)
)


def _preload_modules() -> list[str]:
    return [m for m in PRELOAD if importlib.util.find_spec(m.split(".")[0]) is not None]


def start_fork_server() -> None:
    """Start the process pool's fork server now. Its preload (the heavy imports, about 3 s on one core) then
    runs while the parent is still validating the config and hashing the sources, instead of after; the
    sweep's pool and the figures' pool fork from it later. Idempotent."""
    from multiprocessing import forkserver

    multiprocessing.get_context("forkserver").set_forkserver_preload(_preload_modules())
    with _child_env({v: "1" for v in THREAD_VARS}):
        forkserver.ensure_running()


@contextlib.contextmanager
def _child_env(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for child processes started inside the block (restored afterwards)."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update({k: v for k, v in values.items() if old[k] is None})
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)


def run_process_pool(tasks: list[Task], jobs: int) -> Iterator[tuple[int, dict[str, Any]]]:
    # forkserver: workers do not inherit the parent's threads (rich progress, Dask), which fork would copy;
    # the server preloads the heavy modules once and starts single-threaded (one BLAS thread per worker)
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(_preload_modules())
    # the workers share their cell-independent results (once.py) through a directory that lives for this run
    with tempfile.TemporaryDirectory(prefix="glaverify-once-") as once_dir:
        with _child_env({v: "1" for v in THREAD_VARS}):
            pool = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=init_worker,
                                       initargs=(once_dir,))
            futures = {pool.submit(run_producer, *t): i for i, t in enumerate(tasks)}
        try:
            for fut in as_completed(futures):
                yield futures[fut], fut.result()
        except BaseException:  # Ctrl-C or a failed task: drop the queued tasks and stop the running ones
            stop_pool(pool)
            raise
        pool.shutdown(wait=True)


def map_in_pool(fn: Callable[..., Any], args: list[tuple], jobs: int) -> list[Any]:
    """``[fn(*a) for a in args]`` on ``jobs`` workers of the fork server the sweep started (its modules
    already imported), results in order. Used for the figures, which are independent of each other: the
    two slowest of the appendix took about 8 s one after the other in the parent."""
    if jobs <= 1 or len(args) <= 1:
        return [fn(*a) for a in args]
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(_preload_modules())
    with _child_env({v: "1" for v in THREAD_VARS}):
        pool = ProcessPoolExecutor(
            max_workers=min(jobs, len(args)), mp_context=ctx, initializer=single_threaded
        )
        futures = [pool.submit(fn, *a) for a in args]
    try:
        out = [f.result() for f in futures]
    except BaseException:
        stop_pool(pool)
        raise
    pool.shutdown(wait=True)
    return out


#: seconds a terminated worker gets before it is killed
TERMINATE_GRACE_S = 1.0


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel the queued tasks and terminate the workers, so Ctrl-C returns within about a second.

    ``shutdown(cancel_futures=True)`` alone lets every running task finish (minutes on a big sweep) and
    the interpreter then waits for the pool at exit. Results that already arrived were cached by the
    caller; a terminated worker writes nothing (the cache is written by the parent only).
    """
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        with contextlib.suppress(Exception):
            p.terminate()
    for p in procs:
        with contextlib.suppress(Exception):
            p.join(TERMINATE_GRACE_S)
            if p.is_alive():
                p.kill()
                p.join(TERMINATE_GRACE_S)


def run_dask(tasks: list[Task], scheduler: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    """``scheduler``: an address (``tcp://host:8786``) or an existing ``distributed.Client``."""
    try:
        from distributed import Client
        from distributed import as_completed as dask_as_completed
    except ImportError:
        raise InputError("--scheduler", "needs dask[distributed] (pip install 'glaverify[dask]')") from None
    own = not isinstance(scheduler, Client)
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT) if own else scheduler
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError("--scheduler", f"cannot connect to the Dask scheduler: {exc}", scheduler) from None
    try:
        futures = [
            client.submit(run_producer, *t, pure=False, key=f"glaverify-{t[0]}-{i}-{id(tasks)}")
            for i, t in enumerate(tasks)
        ]
        index = {f.key: i for i, f in enumerate(futures)}
        try:
            for fut in dask_as_completed(futures):
                yield index[fut.key], fut.result()
        except BaseException:  # Ctrl-C or a failed task: cancel what is queued or running on the cluster
            with contextlib.suppress(Exception):
                client.cancel(futures)
            raise
    finally:
        if own:
            client.close()


def iter_results(
    tasks: list[Task], jobs: int = 1, scheduler: Any = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Run every task; yield ``(index, result)`` as each completes."""
    if jobs < 1:
        raise InputError("--jobs", "must be >= 1", jobs)
    if not tasks:
        return iter(())
    if scheduler is not None:
        return run_dask(tasks, scheduler)
    if jobs > 1 and len(tasks) > 1:
        return run_process_pool(tasks, min(jobs, len(tasks)))
    return run_serial(tasks)


def execute(
    tasks: list[Task],
    jobs: int = 1,
    scheduler: Any = None,
    on_result: Callable[[int, dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Run every task; results in task order. ``on_result`` sees each result as it arrives."""
    out: list[dict[str, Any] | None] = [None] * len(tasks)
    for i, res in iter_results(tasks, jobs, scheduler):
        out[i] = res
        if on_result is not None:
            on_result(i, res)
    return out  # type: ignore[return-value]
