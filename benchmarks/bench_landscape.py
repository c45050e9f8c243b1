"""Landscape benchmarks (R4/R6): the certified WPGD optimum at d = 64, n = 512, the R6 search throughput,
and the DPP re-solve speed-up of :class:`~glaverify.numerics.landscape.ScalarisedFamily`.

Run: ``python -m benchmarks landscape`` (or ``python -m benchmarks.bench_landscape``).

* ``certify`` on a general (rotated, condition 100) Σ, 8 star blocks of 64 examples (d = 64, n = 512):
  all three routes and the certificate. Target < 5 s. Per-route times are reported.
* ``r6_search.search`` at d ≤ 8, n ≤ 16: instances per minute on one core. Target ≥ 1000/min.
* DPP: re-solving the built family at a new θ vs building the cvxpy problem again for every θ.

Measurements run in a child process with BLAS pinned to one thread (on the loaded 2-core machine,
multi-threaded OpenBLAS made a 512×512 eigen-decomposition ~10× slower). Numbers are recorded in
docs/performance/landscape.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np

PIN = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def big_model(d: int = 64, blocks: int = 8, per_block: int = 64, seed: int = 0):
    from glaverify.numerics.model import DataModel

    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    lam = np.exp(rng.uniform(np.log(0.1), np.log(10.0), d))
    sig = (Q * lam) @ Q.T
    rho = np.linspace(0.1, 0.9, blocks)
    corr = np.ones((blocks + 1, blocks + 1))
    corr[:blocks, :blocks] = np.outer(rho, rho)
    np.fill_diagonal(corr, 1.0)
    corr[:blocks, blocks] = corr[blocks, :blocks] = rho
    return DataModel.create(0.5 * (sig + sig.T), corr, [per_block] * blocks, 0.5)


def bench_certify() -> dict:
    from glaverify.numerics import landscape as ls

    m = big_model()
    ls.ScalarisedFamily(big_model(4, 2, 2))  # import and warm cvxpy outside the timing
    out = {"d": m.d, "n": m.n, "K": m.K}
    t0 = time.perf_counter()
    ls.curve_route(m)
    out["curve_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    fam = ls.ScalarisedFamily(m)
    out["cvxpy_build_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    opt = ls.optimise_scalarised(fam)
    out["cvxpy_search_s"] = time.perf_counter() - t0
    out["cvxpy_solves"] = len(opt.solves)
    t0 = time.perf_counter()
    ls.multistart_route(m, np.random.default_rng(0), starts=6)
    out["multistart_6_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = ls.certify(m, np.random.default_rng(0), starts=6)
    out["certify_total_s"] = time.perf_counter() - t0
    out["verdict"] = res.verdict
    out["hessian_min"] = res.certificate["hessian"]["profile_restricted_min"]
    out["route_agreement"] = res.certificate["routes"]
    return out


def bench_search(budget: int = 3000) -> dict:
    from glaverify.numerics import r6_search

    res = r6_search.search(budget, seed=0, max_d=8, max_n=16)
    return {
        "budget": budget,
        "seconds": res.seconds,
        "per_minute": res.rate_per_minute,
        "by_generator": res.by_generator,
        "suspects": res.suspects,
        "counterexamples": len(res.counterexamples),
    }


def bench_dpp(repeats: int = 20) -> dict:
    from glaverify.numerics import landscape as ls
    from glaverify.numerics.config import default_model_config
    from glaverify.numerics.model import DataModel

    out = {}
    for name, m in (
        ("default d=4 n=12", DataModel.from_config(default_model_config(4, 12))),
        ("d=64 n=512", big_model()),
    ):
        thetas = np.linspace(0.3, 0.9, repeats)
        fam = ls.ScalarisedFamily(m)
        fam.solve(0.5)  # first solve compiles the parametrised problem
        t0 = time.perf_counter()
        for th in thetas:
            fam.solve(float(th))
        resolve = (time.perf_counter() - t0) / repeats
        t0 = time.perf_counter()
        for th in thetas:
            ls.ScalarisedFamily(m).solve(float(th))
        rebuild = (time.perf_counter() - t0) / repeats
        out[name] = {"resolve_ms": 1e3 * resolve, "rebuild_ms": 1e3 * rebuild, "speedup": rebuild / resolve}
    return out


def child() -> None:
    print(json.dumps({"certify": bench_certify(), "search": bench_search(), "dpp": bench_dpp()}))


def main() -> None:
    env = {**os.environ, **PIN}
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_landscape", "--child"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        print(proc.stderr)
        raise SystemExit(proc.returncode)
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    c, s, d = data["certify"], data["search"], data["dpp"]
    print(
        f"certify d={c['d']} n={c['n']} K={c['K']}: {c['certify_total_s']:.2f} s total (target < 5 s), "
        f"verdict {c['verdict']}, restricted Hessian min {c['hessian_min']:.3g}"
    )
    print(
        f"  curve {c['curve_s']:.3f} s; cvxpy build {c['cvxpy_build_s']:.3f} s"
        f" + search {c['cvxpy_search_s']:.3f} s "
        f"({c['cvxpy_solves']} solves); multi-start x6 {c['multistart_6_s']:.2f} s"
    )
    print(
        f"R6 search d<=8 n<=16: {s['budget']} instances in {s['seconds']:.2f} s = {s['per_minute']:.0f}/min "
        f"(target >= 1000/min/core); suspects {s['suspects']}, counterexamples {s['counterexamples']}"
    )
    for name, v in d.items():
        print(
            f"DPP {name}: re-solve {v['resolve_ms']:.1f} ms vs rebuild {v['rebuild_ms']:.1f} ms "
            f"-> speed-up {v['speedup']:.1f}x"
        )
    print(json.dumps(data))


if __name__ == "__main__":
    if "--child" in sys.argv:
        child()
    else:
        main()
