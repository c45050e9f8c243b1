"""Command-line start-up: wall time of ``glaverify --help``, ``glaverify list`` and ``glaverify list --json``.

Run: ``python -m benchmarks cli``. Target (issue 9, item 5): both print in under 0.5 s. Each command runs as
a fresh process (the installed console script), as a user starts it; the best of 7 and the median are
reported, with the CPU time (user + system) of the process, which a loaded machine does not inflate: on
2 shared cores at load 10 the wall time is several times the CPU time. For comparison, the same process
importing the whole registry (every check module: torch, cvxpy, sympy), which is what ``list`` did before
the static method index.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

PIN = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
REPEATS = 7


def _cli() -> list[str]:
    exe = Path(sys.executable).with_name("glaverify")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "glaverify.proofs_check.cli"]


def time_command(cmd: list[str], repeats: int = REPEATS) -> dict:
    times, cpu = [], []
    env = {**os.environ, **PIN}
    for _ in range(repeats):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, env=env, timeout=300)
        times.append(time.perf_counter() - t0)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
        if proc.returncode != 0:
            raise RuntimeError(f"{cmd} failed: {proc.stderr.decode()[-500:]}")
    return {"best_s": min(times), "median_s": statistics.median(times),
            "cpu_median_s": statistics.median(cpu), "repeats": repeats}


def main() -> None:
    cli = _cli()
    rows = {
        "glaverify --help": time_command([*cli, "--help"]),
        "glaverify list": time_command([*cli, "list"]),
        "glaverify list --json": time_command([*cli, "list", "--json"]),
        "import every check module (the old list)": time_command(
            [sys.executable, "-c", "from glaverify.proofs_check.registry import all_claims; all_claims()"],
            repeats=3,
        ),
    }
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average (1 min): {load:.2f}")
    for name, r in rows.items():
        status = "" if "old" in name else (
            "  (target < 0.5 s: met)" if r["median_s"] < 0.5 else "  (target < 0.5 s: not met in wall time)"
        )
        print(f"{name:45s} wall best {r['best_s']:.3f} s, median {r['median_s']:.3f} s; CPU median "
              f"{r['cpu_median_s']:.3f} s; of {r['repeats']}{status}")


if __name__ == "__main__":
    main()
