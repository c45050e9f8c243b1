"""The search engine: split a budget into fixed chunks, run each chunk with hypothesis, merge in order.

A budget ``N`` is split between the phases (``random`` 40 %, ``degenerate`` 30 %, ``targeted`` 30 %) and each
phase into chunks of at most :data:`CHUNK` instances. Chunk ``i`` of phase ``p`` draws with
``hypothesis.find`` seeded by ``SeedSequence([seed, crc32(claim), p, i])`` and no example database, so the
chunks — and therefore the result — depend only on ``(claim, budget, seed, max_d, max_n)``, never on how many
processes ran them (``--jobs``) or where (``--scheduler``, a Dask cluster). The result is the ordered prefix
of chunks up to and including the first chunk that found a failure; hypothesis has shrunk that failure to a
minimal instance inside the chunk. The failure is then confirmed (or not) by the claim's independent method
in the calling process.
"""

from __future__ import annotations

import contextlib
import random
import signal
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from glaverify.numerics.errors import InputError

from .spec import PHASE_SPLIT, PHASES, Confirmation, Instance, SearchSpec, get_spec

#: instances per chunk (the unit of parallel work and of progress)
CHUNK = 100

#: set by the SIGINT handler of :func:`search`; checked between draws and between chunks. A flag, not an
#: exception: hypothesis runs code in gc callbacks, where a KeyboardInterrupt would be swallowed.
_INTERRUPT = threading.Event()


@contextlib.contextmanager
def _sigint_flag() -> Iterator[None]:
    """First Ctrl-C sets :data:`_INTERRUPT` (the search stops cleanly at the next draw); a second one
    raises KeyboardInterrupt as usual. Only in the main thread (signal handlers live there)."""
    _INTERRUPT.clear()
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)

    def handler(signum: int, frame: Any) -> None:
        _INTERRUPT.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _ignore_sigint() -> None:  # pool workers: the parent decides what an interrupt means
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@dataclass(frozen=True)
class ChunkTask:
    claim: str
    phase: str
    index: int
    size: int
    seed: int
    max_d: int | None
    max_n: int | None
    #: wall-clock time (``time.time()``) after which the chunk stops drawing; None = no limit
    deadline: float | None = None

    @property
    def order(self) -> tuple[int, int]:
        return (PHASES.index(self.phase) if self.phase in PHASES else len(PHASES), self.index)

    def chunk_seed(self) -> int:
        ss = np.random.SeedSequence([self.seed, zlib.crc32(self.claim.encode()), self.order[0], self.index])
        return int(ss.generate_state(1)[0])


@dataclass
class ChunkResult:
    claim: str
    phase: str
    index: int
    checked: int = 0
    invalid: int = 0
    shrink_steps: int = 0
    coverage: dict[str, list[float]] = field(default_factory=dict)
    failure: Instance | None = None
    failure_residual: float | None = None
    failure_detail: dict[str, Any] = field(default_factory=dict)
    tolerance: float | None = None
    seconds: float = 0.0
    timed_out: bool = False
    error: str | None = None

    @property
    def order(self) -> tuple[int, int]:
        return (PHASES.index(self.phase) if self.phase in PHASES else len(PHASES), self.index)


def _cover(cov: dict[str, list[float]], values: dict[str, float]) -> None:
    for k, v in values.items():
        v = float(v)
        if v != v:
            continue
        lo_hi = cov.get(k)
        cov[k] = [v, v] if lo_hi is None else [min(lo_hi[0], v), max(lo_hi[1], v)]


@contextlib.contextmanager
def _no_local_constants() -> Iterator[None]:
    """Hypothesis mixes constants harvested from the source of every *local* module loaded in the process
    into its draws, so the same seed draws differently in a pytest process, the CLI and a pool or Dask
    worker. A search must not depend on what happens to be imported: hide those constants while a chunk
    runs (hypothesis' own global constants stay). If hypothesis' internals move, fall back to plain draws
    (results then depend on the process; the test of --jobs/--scheduler equality would say so)."""
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover
        yield
        return
    original = getattr(providers, "_get_local_constants", None)
    if original is None or not hasattr(providers, "Constants"):  # pragma: no cover
        yield
        return
    empty = providers.Constants()
    providers.CONSTANTS_CACHE.cache.clear()
    providers._get_local_constants = lambda: empty
    try:
        yield
    finally:
        providers._get_local_constants = original
        providers.CONSTANTS_CACHE.cache.clear()


def run_chunk(task: ChunkTask, spec: SearchSpec | None = None) -> ChunkResult:
    """Run one chunk (in this process, a pool worker or a Dask worker). ``spec`` overrides the registered
    search of ``task.claim`` (serial runs only: tests plant errors this way)."""
    spec = spec or get_spec(task.claim)
    res = ChunkResult(task.claim, task.phase, task.index)
    t0 = time.perf_counter()
    if task.deadline is not None and time.time() > task.deadline:  # --time is up: do not start
        res.timed_out = True
        return res
    if spec.external is not None:
        try:
            spec.external(task, res)
        except InputError:
            raise
        except Exception as exc:  # a crash of our own code: an error of the tool, reported as such
            res.error = f"{type(exc).__name__}: {exc}"
        res.seconds = time.perf_counter() - t0
        return res

    from hypothesis import HealthCheck, Phase, find, settings, target
    from hypothesis.errors import NoSuchExample

    opts = spec.options(task.max_d, task.max_n)
    strat = spec.strategies(opts)[task.phase]
    state = {"failed": False, "stop": False}

    def cond(inst: Instance) -> bool:
        if _INTERRUPT.is_set() and not state["failed"]:
            state["stop"] = True
            return False
        if state["stop"] or (
            task.deadline is not None and not state["failed"] and time.time() > task.deadline
        ):
            state["stop"] = True
            res.timed_out = True
            return False
        try:
            out = spec.prop(inst)
        except InputError:
            res.invalid += 1
            return False
        if state["failed"]:
            res.shrink_steps += 1
        else:
            res.checked += 1
            _cover(res.coverage, spec.coverage(inst))
        if task.phase == "targeted":
            target(out.target_score)
        if not out.ok:
            state["failed"] = True
            res.failure, res.failure_residual, res.failure_detail = inst, out.residual, out.detail
            res.tolerance = out.tolerance
        return not out.ok

    phases = [Phase.generate, Phase.shrink] + ([Phase.target] if task.phase == "targeted" else [])
    try:
        with _no_local_constants():
            find(
                strat,
                cond,
                settings=settings(
                    max_examples=task.size,
                    database=None,
                    deadline=None,
                    phases=phases,
                    suppress_health_check=list(HealthCheck),
                ),
                random=random.Random(task.chunk_seed()),
            )
    except NoSuchExample:
        pass
    except InputError:
        raise
    except Exception as exc:  # hypothesis gave up (e.g. too many invalid draws) or our code crashed
        if res.failure is None:
            res.error = f"{type(exc).__name__}: {exc}"
    # the last failing call of find is the shrunk (minimal) example; re-evaluate it to report its residual
    if res.failure is not None:
        out = spec.prop(res.failure)
        res.failure_residual, res.failure_detail, res.tolerance = out.residual, out.detail, out.tolerance
    res.seconds = time.perf_counter() - t0
    return res


def plan(
    claim: str,
    budget: int,
    seed: int,
    max_d: int | None = None,
    max_n: int | None = None,
    deadline: float | None = None,
    chunk: int = CHUNK,
) -> list[ChunkTask]:
    """The chunks of a search, in order (independent of the number of workers)."""
    sizes: dict[str, int] = {}
    left = budget
    for p in PHASES[:-1]:
        sizes[p] = int(round(budget * PHASE_SPLIT[p]))
        left -= sizes[p]
    sizes[PHASES[-1]] = left
    tasks = []
    for p in PHASES:
        n, i = sizes[p], 0
        while n > 0:
            k = min(chunk, n)
            tasks.append(ChunkTask(claim, p, i, k, seed, max_d, max_n, deadline))
            n, i = n - k, i + 1
    return tasks


@dataclass
class SearchReport:
    """What ``glaverify search`` reports for one claim."""

    claim: str
    verdict: str
    budget: int
    seed: int
    checked: int = 0
    invalid: int = 0
    shrink_steps: int = 0
    by_phase: dict[str, int] = field(default_factory=dict)
    coverage: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0
    confirm_seconds: float = 0.0
    chunks: int = 0
    counterexample: Instance | None = None
    residual: float | None = None
    tolerance: float | None = None
    failure_detail: dict[str, Any] = field(default_factory=dict)
    confirmation: Confirmation | None = None
    interrupted: bool = False
    timed_out: bool = False
    errors: list[str] = field(default_factory=list)
    quantifies: tuple[str, ...] = ()
    ranges: str = ""
    fast_method: str = ""
    confirm_method: str = ""
    where: str = "local"

    @property
    def rate_per_minute(self) -> float:
        return 60.0 * self.checked / self.seconds if self.seconds > 0 else float("nan")

    def to_dict(self) -> dict[str, Any]:
        from glaverify.proofs_check.evidence import jsonable

        d = asdict(self)
        d["instances_per_minute"] = self.rate_per_minute
        d["confirmation"] = asdict(self.confirmation) if self.confirmation is not None else None
        return jsonable(d)


def merge(spec: SearchSpec, results: Iterable[ChunkResult], budget: int, seed: int) -> SearchReport:
    """The ordered prefix of chunk results up to the first failure, summed."""
    rep = SearchReport(
        spec.claim,
        "inconclusive",
        budget,
        seed,
        quantifies=spec.quantifies,
        ranges=spec.ranges,
        fast_method=spec.fast_method,
        confirm_method=spec.confirm_method,
    )
    for r in sorted(results, key=lambda r: r.order):
        rep.chunks += 1
        rep.checked += r.checked
        rep.invalid += r.invalid
        rep.shrink_steps += r.shrink_steps
        rep.by_phase[r.phase] = rep.by_phase.get(r.phase, 0) + r.checked
        rep.timed_out = rep.timed_out or r.timed_out
        for k, (lo, hi) in r.coverage.items():
            _cover(rep.coverage, {k: lo})
            _cover(rep.coverage, {k: hi})
        if r.error:
            rep.errors.append(f"{r.phase}[{r.index}]: {r.error}")
        if r.failure is not None:
            rep.counterexample, rep.residual, rep.tolerance = r.failure, r.failure_residual, r.tolerance
            rep.failure_detail = r.failure_detail
            break
    return rep


Progress = Callable[[int], None]


def _first_failure_order(done: dict[tuple[int, int], ChunkResult]) -> tuple[int, int] | None:
    fails = [o for o, r in done.items() if r.failure is not None]
    return min(fails) if fails else None


def _prefix_complete(tasks: list[ChunkTask], done: dict[tuple[int, int], ChunkResult]) -> list[ChunkResult]:
    """Completed chunks in order, up to the first missing one (what is covered for certain)."""
    out = []
    for t in tasks:
        r = done.get(t.order)
        if r is None:
            break
        out.append(r)
        if r.failure is not None:
            break
    return out


def execute(
    tasks: list[ChunkTask],
    jobs: int = 1,
    scheduler: str | None = None,
    progress: Progress | None = None,
    spec: SearchSpec | None = None,
) -> tuple[list[ChunkResult], bool]:
    """Run the chunks serially, in ``jobs`` local processes, or on the Dask scheduler at ``scheduler``.
    Returns the ordered complete prefix (stopping after the first failing chunk) and whether the run was
    interrupted (Ctrl-C)."""
    progress = progress or (lambda k: None)
    done: dict[tuple[int, int], ChunkResult] = {}
    interrupted = False
    try:
        if scheduler is not None:
            _run_dask(tasks, scheduler, done, progress)
        elif jobs > 1:
            _run_pool(tasks, jobs, done, progress)
        else:
            for t in tasks:
                r = run_chunk(t, spec)
                done[t.order] = r
                progress(r.checked)
                if r.failure is not None or r.timed_out or _INTERRUPT.is_set():
                    break
    except KeyboardInterrupt:
        interrupted = True
    interrupted = interrupted or _INTERRUPT.is_set()
    return _prefix_complete(tasks, done), interrupted


def _run_pool(tasks: list[ChunkTask], jobs: int, done: dict, progress: Progress) -> None:
    import concurrent.futures as cf
    import multiprocessing as mp

    ex = cf.ProcessPoolExecutor(
        max_workers=jobs, mp_context=mp.get_context("spawn"), initializer=_ignore_sigint
    )
    try:
        futs = {ex.submit(run_chunk, t): t for t in tasks}
        pending = set(futs)
        while pending and not _INTERRUPT.is_set():
            finished, pending = cf.wait(pending, timeout=0.5, return_when=cf.FIRST_COMPLETED)
            for f in finished:
                if f.cancelled():
                    continue
                r = f.result()
                done[futs[f].order] = r
                progress(r.checked)
            first = _first_failure_order(done)
            if first is not None:
                for g, t in futs.items():
                    if t.order > first:
                        g.cancel()
                if all(t.order in done for t in tasks if t.order <= first):
                    break
    finally:
        ex.shutdown(wait=True, cancel_futures=True)


def check_scheduler(address: str) -> None:
    """Bad input before any work: the Dask scheduler at ``address`` must be reachable (one line, exit 2)."""
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - dask is an optional extra
        raise InputError("--scheduler", "needs dask.distributed (pip install 'glaverify[dask]')") from None
    try:
        Client(address, timeout="5s").close()
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError("--scheduler", f"cannot reach a Dask scheduler at {address!r} ({exc})") from None


def _run_dask(tasks: list[ChunkTask], address: str, done: dict, progress: Progress) -> None:
    try:
        from distributed import Client, as_completed
    except ImportError:  # pragma: no cover - dask is an optional extra
        raise InputError("--scheduler", "needs dask.distributed (pip install 'glaverify[dask]')") from None
    try:
        client = Client(address, timeout="5s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError("--scheduler", f"cannot reach a Dask scheduler at {address!r} ({exc})") from None
    try:
        futs = {client.submit(run_chunk, t, pure=False): t for t in tasks}
        for f in as_completed(list(futs)):
            if _INTERRUPT.is_set():
                break
            r = f.result()
            done[futs[f].order] = r
            progress(r.checked)
            first = _first_failure_order(done)
            if first is not None:
                for g, t in futs.items():
                    if t.order > first:
                        g.cancel()
                if all(t.order in done for t in tasks if t.order <= first):
                    break
    finally:
        client.close()


def search(
    claim: str,
    budget: int = 1000,
    seed: int = 0,
    jobs: int = 1,
    scheduler: str | None = None,
    time_limit: float | None = None,
    max_d: int | None = None,
    max_n: int | None = None,
    progress: Progress | None = None,
    confirm: bool = True,
) -> SearchReport:
    """Search ``budget`` instances of ``claim`` for a counterexample (see the module docstring).

    ``claim`` is a claim id or a :class:`SearchSpec` (a spec object runs in this process only: tests plant
    errors this way). Bad input (unknown claim, claim without a search, budget ≤ 0, jobs ≤ 0, time ≤ 0,
    sizes < 1) raises :class:`~glaverify.numerics.errors.InputError`."""
    given = claim if isinstance(claim, SearchSpec) else None
    spec = given or get_spec(claim)
    if given is not None and (jobs > 1 or scheduler is not None):
        raise InputError(
            "--jobs", "a search spec object (not a registered claim) runs in this process only", jobs
        )
    for name, v, lo in (("--budget", budget, 1), ("--seed", seed, 0), ("--jobs", jobs, 1)):
        if isinstance(v, bool) or int(v) != v or v < lo:
            raise InputError(name, f"must be an integer >= {lo}", v)
    for name, v in (("--max-d", max_d), ("--max-n", max_n)):
        if v is not None and (int(v) != v or v < 1):
            raise InputError(name, "must be an integer >= 1", v)
    if time_limit is not None and not time_limit > 0:
        raise InputError("--time", "must be > 0 seconds", time_limit)
    t0 = time.perf_counter()
    deadline = time.time() + time_limit if time_limit is not None else None
    tasks = plan(
        spec.claim,
        int(budget),
        int(seed),
        max_d,
        max_n,
        deadline,
        chunk=getattr(spec.external, "chunk", CHUNK) if spec.external else CHUNK,
    )
    with _sigint_flag():
        results, interrupted = execute(tasks, jobs, scheduler, progress, given)
    rep = merge(spec, results, int(budget), int(seed))
    rep.interrupted = interrupted
    rep.where = f"dask {scheduler}" if scheduler else (f"{jobs} processes" if jobs > 1 else "1 process")
    rep.seconds = time.perf_counter() - t0
    if rep.counterexample is not None:
        if confirm and not interrupted:
            try:
                rep.confirmation = spec.confirm(rep.counterexample)
            except KeyboardInterrupt:
                rep.interrupted = True
        if rep.confirmation is not None and rep.confirmation.confirmed:
            rep.verdict = "refuted"
        else:
            rep.verdict = "inconclusive"
    elif rep.errors:
        rep.verdict = "inconclusive"
    else:
        rep.verdict = "supported" if rep.checked else "inconclusive"
    rep.confirm_seconds = time.perf_counter() - t0 - rep.seconds
    return rep
