"""Search benchmarks (issue 13): instances per minute per core of ``glaverify search`` for every claim, and
the A5 counterexample from a cold start.

Run: ``python -m benchmarks search`` (or ``python -m benchmarks.bench_search``).

* Throughput: ``search(claim, budget, seed=0)`` in this process, BLAS pinned to one thread; the figure per
  core is instances checked per CPU-minute of the process (``time.process_time``; confirmation excluded),
  which a shared machine does not distort; the wall-clock rate is printed beside it. Targets:
  ≥ 10 000/min/core for R1–R7 at d ≤ 8, n ≤ 32; ≥ 1 000/min/core for the GLA claims (torch float64).
  A3, A4, A6 solve cvxpy problems per
  instance and have no target (reported).
* Cold start: ``glaverify search A5`` in a fresh process (imports included) until the exact confirmation;
  target < 60 s.

Numbers go to docs/performance.md (section "Search (issue 13)"), with the load of the machine noted.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

PIN = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
BUDGETS = {
    "R1": 2000,
    "R2": 2000,
    "R3": 2000,
    "R4": 1000,
    "R5": 2000,
    "R6": 2000,
    "R7": 600,
    "G1": 1000,
    "G2": 1000,
    "G3": 600,
    "G4": 1000,
    "A1": 2000,
    "A2": 2000,
    "A3": 20,
    "A4": 20,
    "A5": 2000,
    "A6": 40,
}
TARGET = {**{f"R{i}": 10_000 for i in range(1, 8)}, **{f"G{i}": 1_000 for i in range(1, 5)}}


def throughput() -> list[dict]:
    from glaverify.proofs_check.search import search

    rows = []
    for claim, budget in BUDGETS.items():
        c0 = time.process_time()
        rep = search(claim, budget=budget, seed=0, confirm=False)
        cpu = time.process_time() - c0
        # per core: instances per CPU-minute of this process (the machine is shared; wall time is not)
        rate = 60.0 * rep.checked / cpu if cpu > 0 else float("nan")
        tgt = TARGET.get(claim)
        rows.append(
            {
                "claim": claim,
                "checked": rep.checked,
                "seconds": round(rep.seconds, 2),
                "per_minute": round(rate),
                "target": tgt,
                "verdict": rep.verdict,
                "meets": None if tgt is None else rate >= tgt,
            }
        )
        print(
            f"{claim:3s} {rep.checked:6d} instances in {rep.seconds:7.2f} s: {rate:9.0f}/min"
            + (f" (target {tgt}: {'ok' if rate >= tgt else 'MISSED'})" if tgt else "")
            + f"  [{rep.verdict}]",
            flush=True,
        )
    return rows


def cold_start() -> float:
    exe = os.path.join(os.path.dirname(sys.executable), "glaverify")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        res = subprocess.run(
            [exe, "search", "A5", "--out", tmp], capture_output=True, text=True, env={**os.environ, **PIN}
        )
        dt = time.perf_counter() - t0
    print(f"A5 cold start: exit {res.returncode} in {dt:.1f} s (target < 60 s)", flush=True)
    return dt


def main() -> None:
    os.environ.update(PIN)
    print(f"load average: {os.getloadavg()}", flush=True)
    throughput()
    cold_start()


if __name__ == "__main__":
    main()
