"""Run a sweep: expand the cells, fetch cached results, compute the rest on an executor, collect values."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cache import ResultCache, cache_key, code_version
from .executor import execute
from .quantities import QUANTITIES, producers_for
from .spec import Cell, SweepConfig, expand_cells

ProgressFactory = Callable[[str, int], Callable[[int], None]]


@dataclass
class SweepResult:
    config: SweepConfig
    cells: list[Cell]
    values: list[dict[str, dict]]  # per cell: quantity -> qvalue
    cell_time_s: list[float]  # wall time of each cell's producers (cached: the time when computed)
    computed: list[tuple[int, str]] = field(default_factory=list)  # (cell, producer) computed in this run
    cached: list[tuple[int, str]] = field(default_factory=list)  # (cell, producer) read from the cache
    code_version: str = ""
    wall_time_s: float = 0.0
    quick: bool = False

    def value(self, cell: int, quantity: str) -> dict:
        return self.values[cell][quantity]


def _no_progress(description: str, total: int) -> Callable[[int], None]:
    return lambda k: None


def resolve_cache_dir(cfg: SweepConfig, cache_dir: str | Path | None = None) -> Path:
    """``--cache-dir``, else ``[sweep].cache_dir``, else the user cache directory (never the cwd)."""
    if cache_dir is not None:
        return Path(cache_dir)
    if cfg.sweep.cache_dir is not None:
        return Path(cfg.sweep.cache_dir)
    from glaverify.proofs_check.paths import user_cache_dir

    return user_cache_dir("tables")


def run_sweep(
    cfg: SweepConfig,
    *,
    jobs: int = 1,
    scheduler: Any = None,
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
    version: str | None = None,
    quick: bool = False,
    progress: ProgressFactory = _no_progress,
) -> SweepResult:
    """Compute every quantity the config's tables and figures need, for every cell.

    Results are cached per (cell, producer) under the content hash of the cell's model config, the run
    config, the producer and ``version`` (default: :func:`code_version`). ``use_cache=False`` recomputes
    everything (and refreshes the cache).
    """
    t0 = time.perf_counter()
    version = version or code_version()
    cells = expand_cells(cfg)
    needs = {cell.index: cfg.needs(cell) for cell in cells}
    cache = ResultCache(resolve_cache_dir(cfg, cache_dir), enabled=use_cache)
    run = cfg.run.model_dump(mode="json")
    run_train = {**run, "_train": cfg.sweep.train.model_dump(mode="json")}  # only the training producer
    slots: dict[tuple[int, str], dict] = {}
    tasks, task_slots, keys = [], [], []
    cached: list[tuple[int, str]] = []
    for cell in cells:
        model = cell.model.model_dump(mode="json")
        for prod in producers_for(needs[cell.index]):
            prun = run_train if prod == "trained" else run
            key = cache_key(model, prun, prod, version, quick)
            hit = cache.get(key)
            if hit is not None:
                slots[(cell.index, prod)] = hit
                cached.append((cell.index, prod))
            else:
                tasks.append((prod, model, prun, quick))
                task_slots.append((cell.index, prod))
                keys.append(key)
    advance = progress(f"sweep: {len(tasks)} task(s), {len(cached)} cached", len(tasks))

    def on_result(i: int, res: dict) -> None:
        cache.put(keys[i], {"producer": task_slots[i][1], **res})  # as soon as it arrives (Ctrl-C safe)
        slots[task_slots[i]] = res
        advance(1)

    execute(tasks, jobs=jobs, scheduler=scheduler, on_result=on_result)
    values, times = [], []
    for cell in cells:
        vals: dict[str, dict] = {}
        t = 0.0
        for prod in producers_for(needs[cell.index]):
            entry = slots[(cell.index, prod)]
            vals.update(entry["values"])
            t += float(entry.get("elapsed_s", 0.0))
        values.append({q: v for q, v in vals.items() if q in QUANTITIES})
        times.append(t)
    return SweepResult(
        cfg,
        cells,
        values,
        times,
        computed=task_slots,
        cached=cached,
        code_version=version,
        wall_time_s=time.perf_counter() - t0,
        quick=quick,
    )
