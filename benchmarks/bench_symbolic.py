"""Benchmark of the exact (symbolic) risk proofs: time of the R1 proof over a (d, n) grid, and R3/R4/R5.

R1 instances: Σ a fixed non-diagonal rational matrix (tridiagonal, 2 on the diagonal, 1/2 off it), a 2-block
star correlation (ρ = 1/2, 9/10), symbolic P, ω and σ². Each time is one run on one core (build + derive +
compare); ``derived terms`` is the number of monomials of E(y − ŷ)² as a polynomial in P, ω, σ².
"""

from __future__ import annotations

import time

import sympy as sp
from glaverify.theory import risk as rk


def _sigma(d: int) -> sp.Matrix:
    return sp.Matrix(d, d, lambda i, j: 2 if i == j else (sp.Rational(1, 2) if abs(i - j) == 1 else 0))


def _corr() -> sp.Matrix:
    rho = [sp.Rational(1, 2), sp.Rational(9, 10), 1]
    return sp.Matrix(3, 3, lambda i, j: 1 if i == j else rho[i] * rho[j])


def r1_time(d: int, n: int) -> tuple[float, int, bool]:
    sizes = (n // 2, n - n // 2) if n > 1 else (1,)
    corr = _corr() if n > 1 else _corr().extract([1, 2], [1, 2])
    t0 = time.perf_counter()
    res = rk.prove_r1(rk.build_risk_problem(_sigma(d), corr, [s for s in sizes if s]))
    return time.perf_counter() - t0, res.details["derived_terms"], res.holds


def all_dims() -> float:
    """Every dimension-free proof (method symbolic-all-dims), with its second-route cross-checks; seconds."""
    from glaverify.theory import gating_all_dims as ga
    from glaverify.theory import induction as ind
    from glaverify.theory import profile_all_dims as pa
    from glaverify.theory import risk_all_dims as ra

    provers = {
        "R1 derive only": lambda: ra.prove_r1_all_dims(cross_sizes=()),
        "R1 (+ cross-check d=1,2,3,5)": ra.prove_r1_all_dims,
        "R2": ra.prove_r2_all_dims,
        "R3": pa.prove_r3_all_dims,
        "R4 stationarity": pa.prove_r4_stationarity_all_dims,
        "R5": pa.prove_r5_all_dims,
        "G1": ind.prove_g1_all_dims,
        "G2": ind.prove_g2_all_dims,
        "G3 (every L; scalar/key/value)": ind.prove_g3_all_shapes,
        "G4": ind.prove_g4_all_dims,
        "A1": ind.prove_a1_all_n,
        "A6 decoupling": ga.prove_a6_decoupling_all_dims,
    }
    total = 0.0
    print("Dimension-free proofs (every d, n), seconds (incl. cross-checks unless stated):")
    for name, fn in provers.items():
        t0 = time.perf_counter()
        res = fn()
        dt = time.perf_counter() - t0
        if not name.startswith("R1 derive"):
            total += dt
        print(f"  {name:<30} {dt:7.3f} s  proved={res.holds}", flush=True)
    print(f"  {'total (default suite set)':<30} {total:7.3f} s\n", flush=True)
    return total


def main() -> None:
    all_dims()
    print("R1 proof (derive E(y-yhat)^2 by Wick pairings, compare with the closed form), seconds:")
    grid = {1: range(1, 9), 2: range(1, 9), 3: range(1, 9), 4: range(1, 7)}
    print(f"{'d':>2} {'n':>2} {'time_s':>8} {'terms':>6} proved")
    for d, ns in grid.items():
        for n in ns:
            t, terms, ok = r1_time(d, n)
            print(f"{d:>2} {n:>2} {t:8.3f} {terms:>6} {ok}", flush=True)
    print("\nR3 (gradient, profile value, second-order identity), seconds:")
    for d in (2, 3, 4):
        t0 = time.perf_counter()
        ok = all(r.holds for r in rk.prove_r3(_sigma(d)))
        print(f"  d={d} non-diagonal Sigma: {time.perf_counter() - t0:.3f} s, proved={ok}", flush=True)
    print("\nR4 stationarity identity (all symbolic), seconds:")
    for n, d in ((2, 2), (3, 2), (3, 4), (4, 3)):
        t0 = time.perf_counter()
        ok = rk.prove_r4_stationarity(n, d).holds
        print(f"  n={n} d={d}: {time.perf_counter() - t0:.3f} s, proved={ok}", flush=True)
    print("\nR5 isotropic closed form (R, r, lambda, sigma^2 symbolic), seconds:")
    for n, d in ((1, 4), (2, 4), (3, 4), (3, 16)):
        t0 = time.perf_counter()
        ok = all(r.holds for r in rk.prove_r5(n, d))
        print(f"  n={n} d={d}: {time.perf_counter() - t0:.3f} s, proved={ok}", flush=True)


if __name__ == "__main__":
    main()
