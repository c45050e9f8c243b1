"""Sweep throughput of ``glaverify tables``: cells/min at --jobs 1 and 2, parallel efficiency, and the
Dask overhead against the local process pool on the same sweep (results go to docs/performance/tables.md).

The sweep: 12 cells (d in {4, 8} x 6 task structures, n = 12) with the WPGD optimum, the GLA class optima,
the certified LinAtt optimum and a 20 000-prompt Monte Carlo estimate per cell. The cache is disabled
(each run recomputes everything); each configuration is timed once after a warm-up of the imports.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from glaverify.proofs_check.tables.spec import parse_sweep_config
from glaverify.proofs_check.tables.sweep import run_sweep

ROOT = Path(__file__).resolve().parents[1]

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


#: every task of examples/appendix.toml in the sweep's order, in ONE process: CPU seconds per producer (and
#: per cell). A script, not a function, so the code under test can be another checkout (PYTHONPATH) timed in
#: the same run and under the same load as this one; it uses only APIs that existed before issue 9.
_APPENDIX_CPU = r"""
import json, sys, time
from pathlib import Path
from glaverify.proofs_check.tables import producers
from glaverify.proofs_check.tables.quantities import producers_for
from glaverify.proofs_check.tables.spec import expand_cells, load_sweep_config
cfg = load_sweep_config(Path(sys.argv[1]))
run = cfg.run.model_dump(mode="json")
train = {**run, "_train": cfg.sweep.train.model_dump(mode="json")}
per_producer, per_cell = {}, []
w0, c0 = time.perf_counter(), time.process_time()
for cell in expand_cells(cfg):
    cc = time.process_time()
    for prod in producers_for(cfg.needs(cell)):
        t = time.process_time()
        producers.run_producer(prod, cell.model.model_dump(mode="json"), train if prod == "trained" else run,
                               False)
        per_producer[prod] = per_producer.get(prod, 0.0) + time.process_time() - t
    per_cell.append(time.process_time() - cc)
print(json.dumps({"cpu_s": time.process_time() - c0, "wall_s": time.perf_counter() - w0,
                  "per_producer": per_producer, "per_cell": per_cell,
                  "code": producers.__file__}))
"""


#: runs a command and reports the CPU time of its whole process tree: as a child subreaper (Linux prctl) it
#: inherits the orphaned fork server and pool workers of ``glaverify tables --jobs N``, reaps them and then
#: reads RUSAGE_CHILDREN, which then holds every descendant. Prints one JSON line.
_TREE_CPU = r"""
import ctypes, json, os, resource, subprocess, sys, time
try:
    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    reaper = True
except (OSError, AttributeError):
    reaper = False
t0 = time.perf_counter()
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
wall = time.perf_counter() - t0
while True:  # the orphans (fork server, workers) end when their pipes close
    try:
        os.wait()
    except ChildProcessError:
        break
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": rc, "wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime, "whole_tree": reaper}))
"""


def _popen(args: list[str], pythonpath: str | None) -> subprocess.Popen:
    import os

    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    return subprocess.Popen([sys.executable, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT)


def appendix_old_vs_new(old: str | None, serial: bool = True) -> None:
    """Serial CPU of the whole appendix (one process; skipped unless ``serial``) and the wall time of
    ``glaverify tables --jobs 2 --no-cache``, this checkout and (``old``: a directory holding a ``glaverify``
    package of the code before issue 9, see docs/performance/tables.md) the old code, each pair started at
    the same time, so both see the same load."""
    import json
    import os

    config = str(ROOT / "examples" / "appendix.toml")
    runs = {"new": None, **({"old": old} if old else {})}
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    procs = {k: _popen(["-c", _APPENDIX_CPU, config], pp) for k, pp in runs.items()} if serial else {}
    for k, pr in procs.items():
        out, err = pr.communicate()
        if pr.returncode != 0:
            print(f"{k}: serial appendix failed: {err.strip().splitlines()[-1:]}")
            continue
        res = json.loads(out.strip().splitlines()[-1])
        top = sorted(res["per_producer"].items(), key=lambda kv: -kv[1])[:8]
        print(f"{k} ({res['code']}): serial appendix, one process: {res['cpu_s']:.1f} s CPU "
              f"({res['wall_s']:.1f} s wall); per cell {min(res['per_cell']):.2f}-"
              f"{max(res['per_cell']):.2f} s CPU")
        print("  " + ", ".join(f"{p} {t:.1f}" for p, t in top))
    print(f"load average before the --jobs 2 runs: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        procs = {
            k: _popen(["-c", _TREE_CPU, sys.executable, "-m", "glaverify.proofs_check.cli", "tables",
                       "--config", config, "--out", f"{tmp}/{k}", "--jobs", "2", "--no-cache", "--cache-dir",
                       f"{tmp}/{k}-cache"], pp)
            for k, pp in runs.items()
        }
        for k, pr in procs.items():
            out, err = pr.communicate()
            try:
                res = json.loads(out.strip().splitlines()[-1])
            except (IndexError, ValueError):
                print(f"{k}: glaverify tables failed: {err.strip().splitlines()[-1:]}")
                continue
            tree = "the whole process tree" if res["whole_tree"] else "the processes reaped (partial)"
            print(f"{k}: glaverify tables --jobs 2 --no-cache: {res['wall_s']:.1f} s wall, "
                  f"{res['cpu_s']:.1f} s CPU of {tree}"
                  f" (exit {res['rc']}; {'started together with the other' if len(runs) > 1 else 'alone'})")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


def main() -> None:
    import os

    if os.environ.get("GLAVERIFY_BENCH_APPENDIX") is not None:
        # GLAVERIFY_BENCH_APPENDIX=/path/to/old python -m benchmarks tables: the appendix old vs new only
        # (GLAVERIFY_BENCH_SERIAL=0: only the --jobs 2 runs)
        appendix_old_vs_new(os.environ["GLAVERIFY_BENCH_APPENDIX"] or None,
                            serial=os.environ.get("GLAVERIFY_BENCH_SERIAL", "1") != "0")
        return
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
