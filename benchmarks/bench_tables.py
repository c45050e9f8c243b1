"""Sweep throughput of ``glaverify tables``: cells/min at --jobs 1 and 2, parallel efficiency, and the
Dask overhead against the local process pool on the same sweep (results go to docs/performance/tables.md).

The sweep: 12 cells (d in {4, 8} x 6 task structures, n = 12) with the WPGD optimum, the GLA class optima,
the certified LinAtt optimum and a 20 000-prompt Monte Carlo estimate per cell. The cache is disabled
(each run recomputes everything); each configuration is timed once after a warm-up of the imports.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from glaverify.proofs_check.tables.spec import parse_sweep_config
from glaverify.proofs_check.tables.sweep import run_sweep

TASKS = [
    {"family": "iid"},
    {"family": "star", "block_sizes": [4, 4, 4], "rho": [0.2, 0.55, 0.9]},
    {"family": "star", "block_sizes": [4, 4, 4], "rho": [0.9, 0.55, 0.2]},
    {"family": "decay", "block_sizes": [4, 4, 4], "rho": 0.3},
    {"family": "decay", "block_sizes": [4, 4, 4], "rho": 0.6},
    {"family": "decay", "block_sizes": [4, 4, 4], "rho": 0.9},
]

CONFIG = {
    "model": {
        "d": 4,
        "n": 12,
        "noise_var": 0.1,
        "features": {"covariance": "diagonal", "eigenvalues": [0.5, 1.0, 1.5, 2.0]},
    },
    "run": {"seed": 1, "mc_prompts": 20000},
    "sweep": {
        "zip": [
            {
                "name": "d",
                "d": [4, 8],
                "features": {
                    "eigenvalues": [
                        [0.5, 1.0, 1.5, 2.0],
                        [0.5, 0.714286, 0.928571, 1.142857, 1.357143, 1.571429, 1.785714, 2.0],
                    ]
                },
            },
            {"name": "tasks", "tasks": TASKS},
        ]
    },
    "table": [
        {
            "name": "bench",
            "index": ["d", "tasks"],
            "columns": ["risk.wpgd", "risk.gla.delimiter", "risk.gla.vector", "risk.linatt", "mc.linatt"],
        }
    ],
}


def _time(cfg, **kw) -> tuple[float, object]:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        res = run_sweep(cfg, cache_dir=Path(tmp), use_cache=False, version="bench", **kw)
        return time.perf_counter() - t0, res


#: the producers of one appendix cell (examples/appendix.toml), in the order the sweep schedules them
APPENDIX_PRODUCERS = (
    "closed_form", "wpgd", "gla", "mc_linatt", "mc_wpgd", "r6", "verdict.R1", "verdict.R3", "verdict.R4",
    "verdict.R6", "verdict.R7", "verdict.A3", "verdict.A4", "verdict.A6", "trained",
)  # fmt: skip


def appendix_cell_breakdown(cell: int = 1) -> list[tuple[str, float]]:
    """Wall time of every producer of one cell of ``examples/appendix.toml`` (serial, one process; the WPGD
    optimum is computed by the first producer that needs it and reused by the others)."""
    from glaverify.proofs_check.tables import producers
    from glaverify.proofs_check.tables.spec import expand_cells, load_sweep_config

    cfg = load_sweep_config(Path(__file__).resolve().parents[1] / "examples" / "appendix.toml")
    c = expand_cells(cfg)[cell]
    run = cfg.run.model_dump(mode="json")
    model = c.model.model_dump(mode="json")
    rows = []
    for prod in APPENDIX_PRODUCERS:
        r = dict(run)
        if prod == "trained":
            r["_train"] = cfg.sweep.train.model_dump(mode="json")
        t0 = time.perf_counter()
        producers.run_producer(prod, model, r, False)
        rows.append((prod, time.perf_counter() - t0))
    return rows


def main() -> None:
    import os

    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    rows = appendix_cell_breakdown()
    total = sum(t for _, t in rows)
    print(f"appendix cell 1 (d = 4, n = 12), serial, {total:.1f} s:")
    print("  " + ", ".join(f"{p} {t:.2f}s" for p, t in rows))
    cfg = parse_sweep_config(CONFIG)
    cells = 12
    warm = {
        **CONFIG,
        "sweep": {"axes": {"noise_var": [0.1]}},
        "table": [{**CONFIG["table"][0], "index": ["noise_var"]}],
    }
    _time(parse_sweep_config(warm))  # warm-up imports
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    t1, r1 = _time(cfg, jobs=1)
    t2c, r2 = _time(cfg, jobs=2)  # starts the fork server (imports the heavy modules once)
    t2, _ = _time(cfg, jobs=2)
    print(
        f"sweep: {cells} cells, {len(r1.computed)} tasks; compute time per cell "
        f"{sum(r1.cell_time_s) / cells:.2f} s (serial)"
    )
    print(f"jobs=1: {t1:.2f} s  -> {60 * cells / t1:.1f} cells/min")
    print(
        f"jobs=2: {t2c:.2f} s first run (starts the fork server), {t2:.2f} s warm "
        f"-> {60 * cells / t2:.1f} cells/min (process pool)"
    )
    print(f"speed-up {t1 / t2:.2f}x, parallel efficiency {t1 / t2 / 2:.0%} (warm)")
    same = r1.values == r2.values
    try:
        import distributed
    except ImportError:
        print("dask: not installed")
        return
    t0 = time.perf_counter()
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        t_start = time.perf_counter() - t0
        td, rd = _time(cfg, scheduler=cluster.scheduler_address)
        td2, _ = _time(cfg, scheduler=cluster.scheduler_address)
    print(
        f"dask LocalCluster (2 worker processes): start-up {t_start:.2f} s; sweep {td:.2f} s (cold workers), "
        f"{td2:.2f} s (warm) -> {60 * cells / td2:.1f} cells/min"
    )
    print(
        f"dask overhead vs warm process pool: {td - t2:+.2f} s cold workers, {td2 - t2:+.2f} s warm "
        f"({(td2 / t2 - 1):+.0%})"
    )
    print(f"identical values: serial vs pool {same}, serial vs dask {r1.values == rd.values}")


if __name__ == "__main__":
    main()
