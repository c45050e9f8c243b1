"""Searches of the gating claims A1–A6 (docs/gating.md). A7 (depth, trained models) has no search."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
from glaverify.numerics import closed_forms as cf
from glaverify.numerics import gating as G
from hypothesis import strategies as st

from .common import data_model, frac, model_coverage, model_strategy, rel
from .spec import PHASES, Confirmation, Instance, Outcome, SearchOptions, SearchSpec, register

#: relative tolerance of "block values are non-decreasing" (float64 solve of a ≤ 32×32 SPD system)
MONOTONE_RTOL = 1e-9


# ============================================================================================ A5
@st.composite
def star_models(draw: Any, phase: str, opts: SearchOptions) -> Instance:
    """Star-family models with ``0 ≤ ρ_1 ≤ … ≤ ρ_K < 1`` and any block sizes, Σ = λI.
    ``degenerate``: ρ nearly equal, one long block; ``targeted``: as random, steered to large violations."""
    K = draw(st.integers(2, 6))
    max_n = max(opts.max_n or 32, K)
    if phase == "degenerate":
        base = draw(st.floats(0.0, 0.95))
        rho = sorted(min(0.999, base + draw(st.floats(0.0, 0.05))) for _ in range(K))
    else:
        rho = sorted(draw(st.floats(0.0, 0.999)) for _ in range(K))
    sizes = [draw(st.integers(1, max(1, max_n // K))) for _ in range(K)]
    d = draw(st.integers(1, opts.max_d or 8))
    return {
        "model": {
            "d": d,
            "n": int(sum(sizes)),
            "noise_var": draw(st.one_of(st.just(0.0), st.floats(1e-3, 5.0))),
            "features": {"covariance": "identity", "scale": draw(st.floats(0.05, 20.0))},
            "tasks": {"family": "star", "block_sizes": sizes, "rho": rho},
        }
    }


def a5_block_values(model: Any) -> np.ndarray:
    """Block values of the WPGD optimum for Σ = λI: ω* ∝ Q⁻¹r, Q = λ(R + I) + sI (the R3 profile is
    s − dλ²(rᵀω)²/(ωᵀQω), a Rayleigh quotient), solved in the K×K block-reduced form."""
    lam = float(model.eigenvalues[0])
    N = np.diag(np.asarray(model.block_sizes, float))
    C = model.task_corr
    # (λ(R + I) + sI) ω = r with ω block constant (u): λ(C N u)_k + (λ + s) u_k = c_k
    A = lam * C @ N + (lam + model.s) * np.eye(model.K)
    return np.linalg.solve(A, model.query_corr)


def a5_prop(inst: Instance) -> Outcome:
    model = data_model(inst)
    u = a5_block_values(model)
    scale = float(np.max(np.abs(u)))
    drop = float(np.max(u[:-1] - u[1:])) / scale if scale > 0 else 0.0
    return Outcome(
        drop <= MONOTONE_RTOL, max(drop, 0.0), MONOTONE_RTOL, {"block_values": u.tolist()}, score=drop
    )


def a5_confirm(inst: Instance) -> Confirmation:
    """Exact: ω* = Q⁻¹r with Q = λ(R + I) + sI on the example level (python-flint fmpq_mat), its block values
    decrease somewhere, ρ is exactly non-decreasing and ≥ 0, Q ≻ 0 (exact LDLᵀ pivots); then ω* is the
    unique maximiser of the Rayleigh quotient up to scale, no block-monotone ω (either sign) is parallel to
    it, so delimiter GLA cannot attain the WPGD optimum. The uniform ω (realisable) gives the exact gap."""
    import flint

    model = data_model(inst)
    n = model.n
    lam = frac(model.eigenvalues[0])
    nv = frac(model.noise_var)
    s = model.d * lam + nv
    rho = [frac(v) for v in inst["model"]["tasks"]["rho"]]
    idx = [k for k, nk in enumerate(model.block_sizes) for _ in range(nk)]

    def q(i: int, j: int) -> Fraction:
        rij = Fraction(1) if idx[i] == idx[j] else rho[idx[i]] * rho[idx[j]]
        return lam * (rij + (1 if i == j else 0)) + (s if i == j else 0)

    Q = [[q(i, j) for j in range(n)] for i in range(n)]
    r = [rho[k] for k in idx]
    # Q ≻ 0: every pivot of Gaussian elimination without pivoting is > 0 (exact)
    M = [row[:] for row in Q]
    pivots_ok = True
    for k in range(n):
        if M[k][k] <= 0:
            pivots_ok = False
            break
        for i in range(k + 1, n):
            f = M[i][k] / M[k][k]
            for j in range(k, n):
                M[i][j] -= f * M[k][j]
    Qf = flint.fmpq_mat(n, n, [flint.fmpq(v.numerator, v.denominator) for row in Q for v in row])
    rf = flint.fmpq_mat(n, 1, [flint.fmpq(v.numerator, v.denominator) for v in r])
    w = Qf.solve(rf)
    wv = [Fraction(int(w[i, 0].p), int(w[i, 0].q)) for i in range(n)]
    first = [idx.index(k) for k in range(model.K)]
    u = [wv[i] for i in first]
    block_const = all(wv[i] == u[idx[i]] for i in range(n))
    rho_ok = all(0 <= rho[k] <= rho[k + 1] for k in range(len(rho) - 1)) and rho[0] >= 0
    mono_up = all(u[k] <= u[k + 1] for k in range(len(u) - 1)) and u[0] >= 0
    mono_down = all(-u[k] <= -u[k + 1] for k in range(len(u) - 1)) and -u[0] >= 0
    violated = not (mono_up or mono_down)

    def profile(om: list[Fraction]) -> Fraction:  # R3 profile for Σ = λI: s − dλ²(rᵀω)²/(λ a + b)
        rw = sum(ri * oi for ri, oi in zip(r, om, strict=True))
        quad = sum(om[i] * Q[i][j] * om[j] for i in range(n) for j in range(n))
        return s - model.d * lam * rw * rw / quad

    opt, uni = profile(wv), profile([Fraction(1)] * n)
    gap = uni - opt
    ok = pivots_ok and rho_ok and violated and block_const and gap > 0
    k = next((k for k in range(len(u) - 1) if u[k] > u[k + 1]), None)
    return Confirmation(
        ok,
        "exact rationals (python-flint fmpq_mat): ω* = Q⁻¹r, Q ≻ 0 by exact pivots",
        True,
        (f"ρ non-decreasing but u*_{k + 1} = {u[k]} > u*_{k + 2} = {u[k + 1]}; " if k is not None else "")
        + f"uniform (delimiter-realisable) risk exceeds the WPGD optimum by {gap} (exact)",
        {
            "u_star": [str(x) for x in u],
            "rho": [str(x) for x in rho],
            "block_sizes": list(model.block_sizes),
            "wpgd_risk": str(opt),
            "uniform_risk": str(uni),
            "gap_uniform": str(gap),
            "q_positive_definite": pivots_ok,
            "rho_non_decreasing": rho_ok,
            "block_constant": block_const,
        },
    )


def _star_coverage(inst: Instance) -> dict[str, float]:
    cov = model_coverage(inst)
    sizes = inst["model"]["tasks"]["block_sizes"]
    cov["unequal_blocks"] = float(len(set(sizes)) > 1)
    return cov


def a5_spec() -> SearchSpec:
    return SearchSpec(
        "A5",
        ("models",),
        "star family, 0 ≤ ρ_1 ≤ … ≤ ρ_K < 1, K ∈ [2, 6], block sizes 1..max_n/K (equal and unequal), "
        "Σ = λI (λ ∈ [0.05, 20]), d ≤ 8",
        lambda o: {p: star_models(p, o) for p in PHASES},
        a5_prop,
        a5_confirm,
        "block values of Q⁻¹r (float64, block-reduced)",
        "exact rationals (python-flint)",
        _star_coverage,
    )


# ============================================================================================ A4
A4_TOL = 1e-7


def _r_tiny(model: Any) -> bool:
    """‖r‖∞ < 1e-8: the weights hardly matter (every risk is within ~1e-16·s of s); skipped, and said so."""
    return float(np.max(np.abs(model.r))) < 1e-8


def a4_spec() -> SearchSpec:
    """A4: ``min L_GLA ≤ min L_LinAtt`` (free scalar gates and delimiter gates)."""

    def prop(inst: Instance) -> Outcome:
        model = data_model(inst)
        if _r_tiny(model):
            return Outcome(True, 0.0, 1.0, {"skipped": "r ≈ 0"})
        lin = G.linatt_risk(model)
        worst = -np.inf
        detail = {"linatt": lin}
        for kind in ("free", "delimiter"):
            co = G.constrained_optimum(model, kind)
            worst = max(worst, (co.risk - lin) / max(1.0, abs(lin)))
            detail[kind] = co.risk
        return Outcome(worst <= A4_TOL, float(max(worst, 0.0)), A4_TOL, detail, score=float(worst))

    def confirm(inst: Instance) -> Confirmation:
        model = data_model(inst)
        # the uniform ω is realisable by both classes: the class optimum can never exceed its risk
        uni = cf.profile_risk(model, np.ones(model.n))
        out = {k: G.constrained_optimum(model, k, tol=1e-10).risk for k in ("free", "delimiter")}
        bad = any(v > uni * (1 + 1e-9) + 1e-12 for v in out.values())
        return Confirmation(
            bool(bad),
            "re-solve at tolerance 1e-10 against the uniform (realisable) ω",
            False,
            f"class optima {out}, LinAtt {uni}",
            {},
        )

    return SearchSpec(
        "A4",
        ("models", "gates"),
        "d ≤ 3, n ≤ 8 (--max-d, --max-n to widen), all families (cvxpy class optima: slow per instance)",
        lambda o: {p: model_strategy(p, o).map(lambda m: {"model": m}) for p in PHASES},
        prop,
        confirm,
        "cvxpy class optima vs LinAtt (float64)",
        "re-solve + uniform witness (certified, not exact)",
        model_coverage,
        default_max_d=3,
        default_max_n=8,
    )


# ============================================================================================ A1 / A2
@st.composite
def _gates_instances(draw: Any, phase: str, opts: SearchOptions, kind: str) -> Instance:
    n = draw(st.integers(1, opts.max_n or 32))
    if kind == "free":
        m = {
            "d": 1,
            "n": n,
            "noise_var": 0.1,
            "features": {"covariance": "identity", "scale": 1.0},
            "tasks": {"family": "iid"},
        }
        size = n + 1
    else:
        m = draw(model_strategy("random", opts, d=1, families=("star",)))
        size = len(m["tasks"]["block_sizes"])
    gate = st.floats(0.0, 1.0)
    if phase == "degenerate":
        gate = st.one_of(st.just(0.0), st.just(1.0), st.floats(0.0, 1e-6), st.floats(1 - 1e-6, 1.0))
    gates = draw(st.lists(gate, min_size=size, max_size=size))
    target = sorted(
        draw(st.lists(gate, min_size=n if kind == "free" else size, max_size=n if kind == "free" else size))
    )
    return {"model": m, "gates": gates, "weights": target}


def _a12_spec(claim: str, kind: str) -> SearchSpec:
    """A1 (``free`` scalar gates: the monotone cone 0 ≤ ω_1 ≤ … ≤ ω_n ≤ 1) and A2 (``delimiter`` gates: block
    values 0 ≤ u_1 ≤ … ≤ u_K ≤ 1): gates → weights lie in the set, and every point of the set is realised."""
    tol = 1e-12

    def prop(inst: Instance) -> Outcome:
        model = data_model(inst)
        gates = np.asarray(inst["gates"], float)
        w = G.weights_from_gates(gates, kind, model)
        vals = w if kind == "free" else G.block_values(w, model)
        viol = max(
            0.0, float(-vals.min()), float(vals.max() - 1.0), float(np.max(vals[:-1] - vals[1:], initial=0))
        )
        target = np.asarray(inst["weights"], float)
        om = target if kind == "free" else target[model.block_index]
        g2 = G.gates_for_weights(om, kind, model)
        back = G.weights_from_gates(g2, kind, model)
        rng_viol = max(0.0, float(-g2.min()), float(g2.max() - 1.0))
        res = max(viol, rng_viol, float(np.max(np.abs(back - om))))
        return Outcome(res <= tol, res, tol, {"weights": vals.tolist(), "rebuilt_gates": g2.tolist()})

    def confirm(inst: Instance) -> Confirmation:
        from glaverify.theory import gating_symbolic as S

        model = data_model(inst)
        gates = [frac(v) for v in inst["gates"]]
        if kind == "free":
            w = [Fraction(1)] * model.n
            for i in range(model.n):
                for g in gates[i + 1 :]:
                    w[i] *= g
            vals = w
        else:
            vals = [Fraction(1)] * model.K
            for k in range(model.K):
                for g in gates[k:]:
                    vals[k] *= g
        in_set = all(0 <= v <= 1 for v in vals) and all(vals[i] <= vals[i + 1] for i in range(len(vals) - 1))
        target = [frac(v) for v in inst["weights"]]
        rebuilt = S.construct_exact(target) if kind == "free" else S.construct_exact(target)
        realised = rebuilt is not None
        return Confirmation(
            not (in_set and realised),
            "exact rationals (gate products, theory.gating_symbolic)",
            True,
            f"weights in the set: {in_set}; target realised exactly: {realised}",
            {},
        )

    return SearchSpec(
        claim,
        ("gates", "weights", "sequence lengths"),
        f"{kind} gates in [0, 1] (degenerate: exactly 0, 1, and within 1e-6 of them); n ≤ max_n",
        lambda o: {p: _gates_instances(p, o, kind) for p in PHASES},
        prop,
        confirm,
        "gates → weights → gates round trip (float64)",
        "exact rationals",
        lambda inst: {"n": inst["model"]["n"], "zero_gates": float(sum(g == 0 for g in inst["gates"]))},
    )


# ============================================================================================ A6
def a6_spec() -> SearchSpec:
    """A6: with diagonal Σ, key-dimension (vector) gating is never worse than scalar weighting, and equal to
    it when all λ_m are equal."""
    tol = 1e-7

    def prop(inst: Instance) -> Outcome:
        model = data_model(inst)
        if _r_tiny(model):
            return Outcome(True, 0.0, 1.0, {"skipped": "r ≈ 0"})
        vec_risk = float(G.vector_gate_optimum(model, "unconstrained")["risk"])
        sc = G.wpgd_optimum(model).risk
        res = (vec_risk - sc) / max(1.0, abs(sc))
        lam = model.eigenvalues
        if np.allclose(lam, lam[0], rtol=0, atol=0):
            res = max(res, abs(vec_risk - sc) / max(1.0, abs(sc)))
        return Outcome(
            res <= tol, float(max(res, 0.0)), tol, {"vector": vec_risk, "scalar": sc}, score=float(res)
        )

    def confirm(inst: Instance) -> Confirmation:
        model = data_model(inst)
        w = G.coordinate_optimal_weights(model)
        from glaverify.numerics import landscape as ls

        best = ls.curve_route(model).best  # the scalar optimum by the curve route, not gating's cvxpy family
        sc = float(best.risk) if best is not None else cf.profile_risk(model, np.ones(model.n))
        lam = model.eigenvalues
        vr = (
            model.s
            - sum(
                lam[m] ** 2
                * float(model.r @ w[:, m]) ** 2
                / (
                    lam[m] * float(w[:, m] @ (model.R + np.eye(model.n)) @ w[:, m])
                    + model.s * float(w[:, m] @ w[:, m])
                )
                for m in range(model.d)
            )
            if w.ndim == 2 and w.shape == (model.n, model.d)
            else float("nan")
        )
        bad = vr == vr and vr > sc * (1 + 1e-8) + 1e-12
        return Confirmation(
            bool(bad),
            "closed-form per-coordinate optimum vs the scalar optimum (tol 1e-10)",
            False,
            f"vector {vr}, scalar {sc}",
            {},
        )

    return SearchSpec(
        "A6",
        ("models",),
        "diagonal Σ (condition ≤ 1e4), d ≤ 3, n ≤ 8 (--max-d, --max-n to widen), all families",
        lambda o: {
            p: model_strategy(p, o, covariances=("diagonal", "identity")).map(lambda m: {"model": m})
            for p in PHASES
        },
        prop,
        confirm,
        "vector-gate optimum vs scalar WPGD optimum (float64)",
        "per-coordinate closed form (certified, not exact)",
        model_coverage,
        default_max_d=3,
        default_max_n=8,
    )


# ============================================================================================ A3
def a3_spec() -> SearchSpec:
    """A3 (the iff): the delimiter class attains the WPGD optimum iff the sign-normalised ω* is realisable."""
    tol = 1e-6

    def prop(inst: Instance) -> Outcome:
        model = data_model(inst)
        if _r_tiny(model):
            return Outcome(True, 0.0, 1.0, {"skipped": "r ≈ 0"})
        a = G.attains(model, "delimiter", tol=tol)
        agree = bool(a["attains"]) == bool(a["omega_star_realisable"])
        res = 0.0 if agree else 1.0
        return Outcome(agree, res, 0.5, {"gap": a["gap"], "realisable": bool(a["omega_star_realisable"])})

    def confirm(inst: Instance) -> Confirmation:
        model = data_model(inst)
        a = G.attains(model, "delimiter", tol=1e-8)
        b = G.attains(model, "delimiter", tol=1e-4)
        stable = a["attains"] == b["attains"]
        bad = stable and bool(a["attains"]) != bool(a["omega_star_realisable"])
        return Confirmation(
            bad if stable else None,
            "re-decided at tolerances 1e-8 and 1e-4",
            False,
            f"attains {a['attains']} / {b['attains']}, realisable {a['omega_star_realisable']}, "
            f"gap {a['gap']:.3g}",
            {},
        )

    return SearchSpec(
        "A3",
        ("models", "gates"),
        "d ≤ 3, n ≤ 8 (--max-d, --max-n to widen), all families (cvxpy: slow per instance)",
        lambda o: {p: model_strategy(p, o).map(lambda m: {"model": m}) for p in PHASES},
        prop,
        confirm,
        "class optimum vs membership of ω* (float64, cvxpy)",
        "re-decision at two tolerances (not exact)",
        model_coverage,
        default_max_d=3,
        default_max_n=8,
    )


for _spec in (
    _a12_spec("A1", "free"),
    _a12_spec("A2", "delimiter"),
    a3_spec(),
    a4_spec(),
    a5_spec(),
    a6_spec(),
):
    register(_spec)

__all__ = ["a5_spec", "a5_block_values", "star_models", "rel"]
