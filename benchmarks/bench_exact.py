"""Benchmark of the exact routes (issue 11): R6 proved, A3/A4 enclosures, A7 witness; cost against d, K, n.

``python -m benchmarks exact`` prints, one core each (OPENBLAS/OMP threads = 1):

1. R6 exact on every shipped example (target < 5 s each), and A3/A4 exact enclosures (target < 10 s each,
   free + delimiter classes, including the numeric hints);
2. R6 exact on the default family (star ρ from 0.1 to 0.95, eigenvalues from 0.5 to 2) over a (d, K) grid with
   n = 8K, including the target d = 16, n = 64, K = 8 (< 60 s): polynomial degree, proof time (with the
   deg + 1-point identity proof);
3. R6 exact at fixed d = 4, K = 4 over n (the route works at block level: its cost does not grow with n);
4. the largest d (K = 8) and the largest K (d = 8) for which R6 exact finishes within 60 s;
5. A7 exact-gla: the exact two-layer GLA risk over n, and the witness (search + exact) per example.
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from glaverify.numerics import gating as G  # noqa: E402
from glaverify.numerics.config import build_model_config, load_config  # noqa: E402
from glaverify.numerics.model import DataModel  # noqa: E402
from glaverify.theory import exact as E  # noqa: E402
from glaverify.theory import exact_gating as EG  # noqa: E402

EXAMPLES = ["default", "star", "custom", "decay", "iid", "nonmonotone"]
LIMIT_S = 60.0


def family(d: int, K: int, n: int):
    sizes = [n // K + (1 if i < n % K else 0) for i in range(K)]
    eig = [round(float(x), 6) for x in np.linspace(0.5, 2.0, d)] if d > 1 else [1.0]
    return build_model_config({
        "d": d, "n": n, "noise_var": 0.1,
        "features": {"covariance": "diagonal", "eigenvalues": eig},
        "tasks": {"family": "star", "block_sizes": sizes,
                  "rho": [round(float(x), 6) for x in np.linspace(0.1, 0.95, K)] if K > 1 else [0.9]},
    })


def r6_time(cfg) -> tuple[float, E.R6Proof]:
    t0 = time.perf_counter()
    pr = E.prove_r6(E.exact_model(cfg))
    return time.perf_counter() - t0, pr


def examples() -> None:
    print("shipped examples: R6 exact and A3/A4 exact enclosures (seconds, one core)")
    print(f"{'example':>12} {'d':>3} {'n':>3} {'K':>2} {'deg':>4} {'R6_s':>7} {'A3A4_s':>7} status")
    for name in EXAMPLES:
        cfg = load_config(f"examples/{name}.toml").model
        t, pr = r6_time(cfg)
        em = E.exact_model(cfg)
        model = DataModel.from_config(cfg)
        t0 = time.perf_counter()
        for kind in EG.CLASS_KINDS:
            co = G.constrained_optimum(model, kind)
            EG.enclose_class(em, kind, pr, pr.polynomial, co.omega, co.gamma)
        ta = time.perf_counter() - t0
        print(f"{name:>12} {cfg.d:>3} {cfg.n:>3} {em.K:>2} {pr.degree:>4} {t:7.3f} {ta:7.2f} {pr.status}",
              flush=True)


def grid() -> None:
    print("\nR6 exact on the star family, n = 8K (seconds, one core)")
    print(f"{'d':>3} {'K':>3} {'n':>4} {'deg':>5} {'time_s':>8} status")
    for d, K in [(2, 2), (4, 4), (8, 4), (8, 8), (12, 8), (16, 4), (16, 8)]:
        t, pr = r6_time(family(d, K, 8 * K))
        print(f"{d:>3} {K:>3} {8 * K:>4} {pr.degree:>5} {t:8.3f} {pr.status}", flush=True)
    print("\nR6 exact at d = 4, K = 4 against n")
    for n in (16, 256, 4096, 65536):
        t, pr = r6_time(family(4, 4, n))
        print(f"  n = {n:>6}: {t:.3f} s, degree {pr.degree}, {pr.status}", flush=True)


def largest() -> None:
    print(f"\nlargest sizes within {LIMIT_S:.0f} s (R6 exact, n = 8K)")
    for label, sizes in (("d (K = 8)", [(d, 8) for d in (16, 20, 24, 32)]),
                         ("K (d = 8)", [(8, K) for K in (8, 12, 16, 24)])):
        best = None
        for d, K in sizes:
            t, pr = r6_time(family(d, K, 8 * K))
            print(f"  {label}: d = {d}, K = {K}: {t:.2f} s, degree {pr.degree}, {pr.status}", flush=True)
            if t > LIMIT_S or pr.status != "proved":
                break
            best = (d, K, t)
        print(f"  largest {label} within the limit: {best}", flush=True)


def a7_gla() -> None:
    """A7 exact-gla: the exact two-layer GLA risk (fmpq, index sums over coincidence patterns: cost ~ n⁴) at
    fixed parameters over n (d = 5, K = 4 star family), and the float search + exact witness per example."""
    from glaverify.theory import exact_depth_gla as EDG

    print("A7 exact-gla: exact two-layer GLA risk at fixed parameters, d = 5, K = 4", flush=True)
    for n in (8, 16, 24, 32, 40):
        em = E.exact_model(family(5, 4, n))
        P = [[EDG.fmpq(1, 50) if i == j else 0 for j in range(5)] for i in range(5)]
        p = EDG.GLAParams(EDG.fmpq_mat(P), EDG.fmpq_mat(P), (EDG.fmpq(1, 2),) * 4, (EDG.fmpq(9, 10),) * 4)
        EDG.two_layer_risk(em, p)  # pattern tables cached per n (built once)
        t0 = time.perf_counter()
        EDG.two_layer_risk(em, p)
        print(f"  n = {n}: {time.perf_counter() - t0:.2f} s", flush=True)
    for name in EXAMPLES:
        cfg = load_config(f"examples/{name}.toml").model
        em = E.exact_model(cfg)
        pr = E.prove_r6(em)
        t0 = time.perf_counter()
        w = EDG.gla_depth_witness(em, pr)
        print(f"  {name}: witness {time.perf_counter() - t0:.2f} s, two-layer {E.qfloat(w.risk):.9f} vs"
              f" one-step {pr.min_risk.str(10)}, strictly better: {w.strictly_better}", flush=True)


def main() -> None:
    examples()
    grid()
    largest()
    a7_gla()


if __name__ == "__main__":
    main()
