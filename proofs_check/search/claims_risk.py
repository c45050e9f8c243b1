"""Searches of the risk and landscape claims R1–R7 (docs/risk.md, docs/landscape.md).

Each fast property compares the claim's formula with a second route computed another way; each
confirmation recomputes a failing instance in exact rationals (Fractions of the very float64 values the fast
route saw), except R6 (its own certified engine, :mod:`glaverify.numerics.r6_search`) and R7 (the
three-route certificate of :func:`glaverify.numerics.landscape.certify`).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp
from glaverify.numerics import closed_forms as cf
from glaverify.numerics.errors import InputError
from hypothesis import strategies as st

from .common import (
    data_model,
    exact_model,
    frac,
    frac_matrix,
    model_coverage,
    model_strategy,
    nonzero_vec,
    rel,
    vec,
)
from .spec import PHASES, Confirmation, Instance, Outcome, SearchOptions, SearchSpec, register

#: relative tolerance of float64 identities of O(n² + d³) terms (the fast routes of R1–R3)
IDENTITY_RTOL = 1e-8


def _closed_form_default() -> Any:
    from glaverify.theory.risk import wpgd_risk_closed_form

    return wpgd_risk_closed_form


# ============================================================================================ R1
@st.composite
def _model_P_omega(draw: Any, phase: str, opts: SearchOptions) -> Instance:
    m = draw(model_strategy(phase, opts))
    d, n = m["d"], m["n"]
    return {"model": m, "P": [vec(draw, d) for _ in range(d)], "omega": nonzero_vec(draw, n)}


def _phases(fn: Any) -> Any:
    return lambda opts: {p: fn(p, opts) for p in PHASES}


def moment_risk(model: Any, P: np.ndarray, omega: np.ndarray) -> float:
    """``E(y − ŷ)²`` of ``ŷ = Σ_i ω_i y_i xᵀPx_i`` by conditioning on the features and Isserlis' theorem, term
    by term (``E yŷ``, and ``E ŷ²`` split into the pairs i ≠ j and i = j): a second derivation of R1 that
    never forms a(ω), b(ω) or M(ω)."""
    sig, R, r, nv = model.sigma, model.R, model.r, model.noise_var
    A = P.T @ sig @ P
    t_sas = float(np.trace(sig @ A @ sig))
    t_as = float(np.trace(A @ sig))
    t_s = float(np.trace(sig))
    diag = np.diag(R)
    off = float(omega @ R @ omega - np.sum(omega**2 * diag))
    e_yy = t_s + nv
    e_yh = float(np.sum(omega * r)) * float(np.trace(sig @ P @ sig))
    e_hh = off * t_sas + float(np.sum(omega**2 * (diag * (t_s * t_as + 2 * t_sas) + nv * t_as)))
    return e_yy - 2 * e_yh + e_hh


def moment_risk_exact(sig: list, R: list, r: list, nv: Fraction, P: list, omega: list) -> Fraction:
    """:func:`moment_risk` in exact rationals (lists of Fractions)."""
    S, Pm, Rm = (sp.Matrix(x) for x in (sig, P, R))
    A = Pm.T * S * Pm
    t_sas, t_as, t_s = (S * A * S).trace(), (A * S).trace(), S.trace()
    n = len(omega)
    off = sum(omega[i] * omega[j] * Rm[i, j] for i in range(n) for j in range(n) if i != j)
    e_hh = off * t_sas + sum(
        omega[i] ** 2 * (Rm[i, i] * (t_s * t_as + 2 * t_sas) + nv * t_as) for i in range(n)
    )
    e_yh = sum(omega[i] * r[i] for i in range(n)) * (S * Pm * S).trace()
    return sp.Rational(t_s + nv - 2 * e_yh + e_hh)


def _closed_exact(closed_form: Any, sig: list, P: list, omega: list, R: list, r: list, nv: Fraction) -> Any:
    return sp.Rational(closed_form(sig, P, omega, R, r, nv))


def r1_spec(closed_form: Any = None) -> SearchSpec:
    """R1: ``L(P, ω) = tr Σ + σ² − 2(rᵀω) tr(PΣ²) + tr(PᵀΣPM(ω))``. ``closed_form`` (generic, on lists;
    default the project's) is the formula under test, injectable so tests can plant errors."""

    def formula(model: Any, P: np.ndarray, w: np.ndarray) -> float:
        if closed_form is None:
            return cf.wpgd_risk(model, P, w)
        return float(
            closed_form(
                model.sigma.tolist(),
                P.tolist(),
                w.tolist(),
                model.R.tolist(),
                model.r.tolist(),
                model.noise_var,
            )
        )

    def prop(inst: Instance) -> Outcome:
        model = data_model(inst)
        P, w = np.asarray(inst["P"], float), np.asarray(inst["omega"], float)
        a, b = formula(model, P, w), moment_risk(model, P, w)
        res = rel(a, b)
        return Outcome(res <= IDENTITY_RTOL, res, IDENTITY_RTOL, {"closed_form": a, "moment_route": b})

    def confirm(inst: Instance) -> Confirmation:
        model = data_model(inst)
        sig, R, r, nv = exact_model(model)
        P, w = frac_matrix(np.asarray(inst["P"], float)), [frac(v) for v in inst["omega"]]
        claim = _closed_exact(closed_form or _closed_form_default(), sig, P, w, R, r, nv)
        if model.d <= 2 and model.n <= 3:
            from glaverify.theory.risk import build_risk_problem, derived_risk

            prob = build_risk_problem(sp.Matrix(sig), frac_matrix(model.block_corr), model.block_sizes, nv)
            der = derived_risk(prob).as_expr()
            subs = {prob.P[i, j]: sp.Rational(P[i][j]) for i in range(model.d) for j in range(model.d)}
            subs.update({s: sp.Rational(v) for s, v in zip(prob.omega, w, strict=True)})
            truth, method = sp.Rational(der.subs(subs)), "Wick pairings of the model (theory.wick), exact"
        else:
            truth, method = moment_risk_exact(sig, R, r, nv, P, w), "moment route in exact rationals"
        diff = claim - truth
        return Confirmation(
            diff != 0,
            method,
            True,
            f"closed form − model risk = {diff} (exact)",
            {"closed_form": str(claim), "model_risk": str(truth), "difference": str(diff)},
        )

    return SearchSpec(
        "R1",
        ("models", "preconditioners", "weights"),
        "d ≤ max_d (8), n ≤ max_n (32), K ≤ 6; Σ identity/diagonal/full, condition ≤ 1e4 (1e8 degenerate); "
        "iid/star/decay/custom tasks; P, ω entries in [−2, 2]",
        _phases(lambda p, o: _model_P_omega(p, o)),
        prop,
        confirm,
        "closed form vs moment route (float64)",
        "exact rationals: Wick pairings (d ≤ 2, n ≤ 3) or moment route",
        lambda inst: model_coverage(inst),
    )


# ============================================================================================ R2
@st.composite
def _r2_instances(draw: Any, phase: str, opts: SearchOptions) -> Instance:
    inst = draw(_model_P_omega(phase, opts))
    c = draw(st.floats(0.01, 100.0)) * draw(st.sampled_from([1.0, -1.0]))
    return {**inst, "c": c}


def r2_spec(closed_form: Any = None) -> SearchSpec:
    """R2: ``L(P/c, cω) = L(P, ω)`` for every c ≠ 0."""
    cfm = closed_form

    def risk(model: Any, P: np.ndarray, w: np.ndarray) -> float:
        if cfm is None:
            return cf.wpgd_risk(model, P, w)
        return float(
            cfm(
                model.sigma.tolist(),
                P.tolist(),
                w.tolist(),
                model.R.tolist(),
                model.r.tolist(),
                model.noise_var,
            )
        )

    def prop(inst: Instance) -> Outcome:
        model = data_model(inst)
        P, w, c = np.asarray(inst["P"], float), np.asarray(inst["omega"], float), float(inst["c"])
        a, b = risk(model, P, w), risk(model, P / c, c * w)
        res = rel(a, b)
        return Outcome(res <= IDENTITY_RTOL, res, IDENTITY_RTOL, {"L(P,w)": a, "L(P/c,cw)": b})

    def confirm(inst: Instance) -> Confirmation:
        model = data_model(inst)
        sig, R, r, nv = exact_model(model)
        c = frac(inst["c"])
        P, w = frac_matrix(np.asarray(inst["P"], float)), [frac(v) for v in inst["omega"]]
        form = cfm or _closed_form_default()
        a = _closed_exact(form, sig, P, w, R, r, nv)
        b = _closed_exact(form, sig, [[v / c for v in row] for row in P], [c * v for v in w], R, r, nv)
        return Confirmation(
            a != b,
            "closed form in exact rationals at (P, ω) and (P/c, cω)",
            True,
            f"L(P/c, cω) − L(P, ω) = {b - a} (exact)",
            {"difference": str(b - a)},
        )

    return SearchSpec(
        "R2",
        ("models", "preconditioners", "weights"),
        "as R1, and c ∈ ±[0.01, 100]",
        _phases(lambda p, o: _r2_instances(p, o)),
        prop,
        confirm,
        "closed form at (P, ω) and (P/c, cω) (float64)",
        "exact rationals",
        model_coverage,
    )


# ============================================================================================ R3
@st.composite
def _r3_instances(draw: Any, phase: str, opts: SearchOptions) -> Instance:
    inst = draw(_model_P_omega(phase, opts))
    d = inst["model"]["d"]
    return {"model": inst["model"], "omega": inst["omega"], "Delta": [vec(draw, d, -1, 1) for _ in range(d)]}


def r3_spec(preconditioner: Any = None) -> SearchSpec:
    """R3: ``P*(ω) = (rᵀω)(aΣ + bI)^{-1}`` minimises ``L(·, ω)`` and ``L(P*, ω) = L*(ω)``. ``preconditioner``
    (model, ω) -> P* is the formula under test (default the project's)."""
    pstar = preconditioner or cf.optimal_preconditioner

    def prop(inst: Instance) -> Outcome:
        model = data_model(inst)
        w, D = np.asarray(inst["omega"], float), np.asarray(inst["Delta"], float)
        P = pstar(model, w)
        at = cf.wpgd_risk(model, P, w)
        prof = cf.profile_risk(model, w)
        moved = cf.wpgd_risk(model, P + D, w)
        scale = max(1.0, abs(at), abs(moved))
        res = max(rel(at, prof), (at - moved) / scale)
        return Outcome(
            res <= IDENTITY_RTOL, res, IDENTITY_RTOL, {"L(P*)": at, "profile": prof, "L(P*+Delta)": moved}
        )

    def confirm(inst: Instance) -> Confirmation:
        from glaverify.theory.risk import profile_risk_sym, risk_coefficients_sym

        model = data_model(inst)
        sig, R, r, nv = exact_model(model)
        w = [frac(v) for v in inst["omega"]]
        D = frac_matrix(np.asarray(inst["Delta"], float))
        S = sp.Matrix(sig)
        s = S.trace() + nv
        rw, a, b = risk_coefficients_sym(w, R, r, s)
        # the formula under test, evaluated exactly: float P* is compared through its own exact value
        P = frac_matrix(pstar(model, np.asarray(inst["omega"], float)))
        form = _closed_form_default()
        at = _closed_exact(form, sig, P, w, R, r, nv)
        exact_star = sp.Rational(rw) * (a * S + b * sp.eye(model.d)).inv()
        at_star = sp.Rational(form(sig, exact_star.tolist(), w, R, r, nv))
        prof = sp.nsimplify(profile_risk_sym(S, rw, a, b, nv))
        moved = _closed_exact(form, sig, (exact_star + sp.Matrix(D)).tolist(), w, R, r, nv)
        wrong = (
            at_star != prof
            or moved < at_star
            or abs(float(at - at_star)) > 1e-6 * max(1.0, abs(float(at_star)))
        )
        return Confirmation(
            bool(wrong),
            "exact rationals: (rᵀω)(aΣ+bI)⁻¹, the closed form and the profile risk",
            True,
            f"L(P*) − L*(ω) = {at_star - prof}; L(P*+Δ) − L(P*) = {moved - at_star}; "
            f"formula P* vs exact P*: risk difference {float(at - at_star):.3g}",
            {"profile_gap": str(at_star - prof), "move_gain": str(moved - at_star)},
        )

    return SearchSpec(
        "R3",
        ("models", "weights", "preconditioners"),
        "as R1; perturbations Δ with entries in [−1, 1]",
        _phases(lambda p, o: _r3_instances(p, o)),
        prop,
        confirm,
        "P*(ω) against the closed form and random moves (float64)",
        "exact rationals",
        model_coverage,
    )


# ============================================================================================ R4
@st.composite
def _model_omega(draw: Any, phase: str, opts: SearchOptions, **kw: Any) -> Instance:
    m = draw(model_strategy(phase, opts, **kw))
    return {"model": m, "omega": nonzero_vec(draw, m["n"])}


def _r4_sides(model: Any, w: np.ndarray, shift: float = 1.0) -> tuple[np.ndarray, np.ndarray, float]:
    """(finite-difference gradient of L*, the R4 form 2ρ²F₃(R + γI)ω − 2ρF₁r, γ)."""
    lam = model.eigenvalues
    co = cf.risk_coefficients(model, w)
    den = co.a * lam + co.b
    F1, F2, F3 = (float(np.sum(lam**p / den ** (1 if p == 1 else 2))) for p in (2, 2, 3))
    F1 = float(np.sum(lam**2 / den))
    gamma = shift + model.s * F2 / F3
    form = 2 * co.rw**2 * F3 * (model.R @ w + gamma * w) - 2 * co.rw * F1 * model.r
    h = 1e-6 * max(1.0, float(np.max(np.abs(w))))
    fd = np.empty_like(w)
    for i in range(w.size):
        e = np.zeros_like(w)
        e[i] = h
        fd[i] = (cf.profile_risk(model, w + e) - cf.profile_risk(model, w - e)) / (2 * h)
    return fd, form, gamma


R4_FD_RTOL = 1e-4


def r4_spec(shift: float = 1.0) -> SearchSpec:
    """R4 (its stationarity identity, which puts every stationary point with rᵀω ≠ 0 on the curve
    ω ∝ (R + γI)⁻¹r): ``∇L*(ω) = 2ρ²F₃(R + γ(ω)I)ω − 2ρF₁r`` with ``γ = 1 + sF₂/F₃ ∈ [1, ∞)``. ``shift``
    (the 1 of γ) is injectable so tests can plant an error."""

    def prop(inst: Instance) -> Outcome:
        model = data_model(inst)
        w = np.asarray(inst["omega"], float)
        fd, form, gamma = _r4_sides(model, w, shift)
        # finite differences of L* carry an absolute error ~ 1e-10·s/‖ω‖; the gradient itself scales as 1/‖ω‖
        floor = 1e-3 * model.s / float(np.max(np.abs(w)))
        scale = max(float(np.max(np.abs(fd))), float(np.max(np.abs(form)))) + floor
        res = float(np.max(np.abs(fd - form))) / scale
        if gamma < 1.0:
            res = max(res, 1.0)
        return Outcome(res <= R4_FD_RTOL, res, R4_FD_RTOL, {"gamma": gamma})

    def confirm(inst: Instance) -> Confirmation:
        model = data_model(inst)
        lam = [sp.Rational(frac(v)) for v in model.eigenvalues]
        _, R, r, nv = exact_model(model)
        n = model.n
        ws = sp.symbols(f"w1:{n + 1}")
        wv = [sp.Rational(frac(v)) for v in inst["omega"]]
        s = sum(lam) + nv
        Rm, rv = sp.Matrix(R), sp.Matrix(r)
        W = sp.Matrix(ws)
        rho = (rv.T * W)[0]
        a = (W.T * (Rm + sp.eye(n)) * W)[0]
        b = s * (W.T * W)[0]
        prof = s - rho**2 * sum(lk**2 / (a * lk + b) for lk in lam)
        sub = dict(zip(ws, wv, strict=True))
        grad = [sp.Rational(sp.diff(prof, wi).subs(sub)) for wi in ws]
        av, bv, rhov = a.subs(sub), b.subs(sub), rho.subs(sub)
        F1 = sum(lk**2 / (av * lk + bv) for lk in lam)
        F2 = sum(lk**2 / (av * lk + bv) ** 2 for lk in lam)
        F3 = sum(lk**3 / (av * lk + bv) ** 2 for lk in lam)
        gam = sp.Rational(shift) + s * F2 / F3
        Wn = sp.Matrix(wv)
        form = 2 * rhov**2 * F3 * (Rm * Wn + gam * Wn) - 2 * rhov * F1 * rv
        diff = [sp.Rational(g - f) for g, f in zip(grad, form, strict=True)]
        bad = any(x != 0 for x in diff) or gam < 1
        return Confirmation(
            bad,
            "exact gradient of L* (sympy, exact rationals) against the R4 form",
            True,
            f"max |∇L* − R4 form| = {max(abs(float(x)) for x in diff):.3g}, γ = {float(gam):.6g}",
            {"gamma": str(gam)},
        )

    return SearchSpec(
        "R4",
        ("models", "weights"),
        "d ≤ 8, n ≤ 32 (exact confirmation slows beyond n ≈ 12); Σ diagonal/full/identity; ω ∈ [−2, 2]^n",
        _phases(lambda p, o: _model_omega(p, o)),
        prop,
        confirm,
        "finite-difference gradient of L* vs the R4 form (float64)",
        "exact gradient (sympy)",
        model_coverage,
    )


# ============================================================================================ R5
def r5_claimed(model: Any, shift: Any = None) -> tuple[np.ndarray, float]:
    """R5 with Σ = λI: ``ω* = Q⁻¹r``, ``Q = R + (1 + d + σ²/λ)I``; ``min L = dλ + σ² − dλ rᵀQ⁻¹r``."""
    lam = float(model.eigenvalues[0])
    d = model.d
    g = (1 + d + model.noise_var / lam) if shift is None else shift(d, lam, model.noise_var)
    Q = model.R + g * np.eye(model.n)
    w = np.linalg.solve(Q, model.r)
    return w, d * lam + model.noise_var - d * lam * float(model.r @ w)


def r5_spec(shift: Any = None) -> SearchSpec:
    """R5. ``shift(d, λ, σ²)`` (default ``1 + d + σ²/λ``) is the formula under test."""

    def prop(inst: Instance) -> Outcome:
        from glaverify.numerics import landscape as ls

        model = data_model(inst)
        w, claimed = r5_claimed(model, shift)
        if ls.r_is_zero(model):
            return Outcome(abs(claimed - model.s) <= 1e-9 * model.s, rel(claimed, model.s), 1e-9)
        curve = ls.curve_route(model, classify=False)
        best = float(curve.best.risk) if curve.best is not None else cf.profile_risk(model, w)
        at = cf.profile_risk(model, w)
        res = max(rel(at, claimed), rel(best, claimed))
        return Outcome(res <= 1e-7, res, 1e-7, {"claimed": claimed, "L*(w*)": at, "curve_min": best})

    def confirm(inst: Instance) -> Confirmation:
        model = data_model(inst)
        lam = sp.Rational(frac(model.eigenvalues[0]))
        _, R, r, nv = exact_model(model)
        d, n = model.d, model.n
        g = (1 + d + nv / lam) if shift is None else sp.Rational(shift(d, lam, nv))
        Q = sp.Matrix(R) + g * sp.eye(n)
        rv = sp.Matrix(r)
        w = Q.LUsolve(rv)
        claimed = d * lam + nv - d * lam * (rv.T * w)[0]
        # the R3 profile for Σ = λI (exact): s − (rᵀω)² dλ² / (aλ + b), maximised only by ω ∝ Q₀⁻¹r
        s = d * lam + nv
        Q0 = sp.Matrix(R) + (1 + s / lam) * sp.eye(n)
        w0 = Q0.LUsolve(rv)
        true_min = s - d * lam * (rv.T * w0)[0]
        diff = sp.nsimplify(claimed - true_min)
        return Confirmation(
            diff != 0,
            "exact rationals: Cauchy–Schwarz optimum of the R3 profile",
            True,
            f"claimed min − true min = {diff}",
            {"difference": str(diff)},
        )

    return SearchSpec(
        "R5",
        ("models",),
        "Σ = λI (λ ∈ [0.05, 20]), d ≤ 8, n ≤ 32, all task families",
        _phases(lambda p, o: model_strategy(p, o, covariances=("identity",)).map(lambda m: {"model": m})),
        prop,
        confirm,
        "R5 formula vs the curve route's global minimum (float64)",
        "exact rationals (R3 profile, Cauchy–Schwarz)",
        model_coverage,
    )


# ============================================================================================ R7
def r7_spec() -> SearchSpec:
    """R7: the optimum is constant within each task block (local L-BFGS on the *example-level* profile,
    never the block-reduced one)."""
    from scipy.optimize import minimize

    tol = 1e-5

    def prop(inst: Instance) -> Outcome:
        from glaverify.numerics import landscape as ls

        model = data_model(inst)
        if ls.r_is_zero(model) or model.K == model.n:
            return Outcome(True, 0.0, tol, {"trivial": True})
        w0 = ls.curve_omega(model, float(np.mean(ls.gamma_bracket(model))))
        pert = np.asarray(inst.get("omega", np.zeros(model.n)), float)
        start = w0 + 0.3 * pert * float(np.linalg.norm(w0)) / np.sqrt(model.n)
        sol = minimize(
            lambda w: cf.profile_risk(model, w),
            start,
            jac=lambda w: ls.profile_gradient(model, w),
            method="L-BFGS-B",
            options={"maxiter": 500, "ftol": 1e-15, "gtol": 1e-12},
        )
        w = sol.x
        if model.s - float(sol.fun) < 1e-6 * model.s:  # flat profile (r ≈ 0): ω* is not resolvable in float64
            return Outcome(True, 0.0, tol, {"skipped": "s − L* < 1e-6·s: flat profile"})
        spread = ls.block_spread(model, w)
        return Outcome(spread <= tol, float(spread), tol, {"omega": w.tolist(), "risk": float(sol.fun)})

    def confirm(inst: Instance) -> Confirmation:
        from glaverify.numerics import landscape as ls

        model = data_model(inst)
        res = ls.certify(model, np.random.default_rng(0), starts=8, use_cvxpy=True)
        spread = ls.block_spread(model, np.asarray(res.omega)) if res.omega is not None else float("nan")
        bad = res.verdict in ("certified", "proved") and spread > tol
        undecided = res.verdict not in ("certified", "proved")
        return Confirmation(
            None if undecided else bad,
            "three-route certificate (landscape.certify)",
            False,
            f"certificate {res.verdict}: block spread of ω* {spread:.3g}",
            {"reason": res.reason},
        )

    return SearchSpec(
        "R7",
        ("models",),
        "multitask models, d ≤ 8, n ≤ 32, K ≤ 6, all families",
        _phases(lambda p, o: _model_omega(p, o)),
        prop,
        confirm,
        "L-BFGS on the example-level profile from a perturbed start (float64)",
        "three-route certificate (certified, not exact)",
        model_coverage,
    )


# ============================================================================================ R6
def _r6_chunk(task: Any, res: Any) -> None:
    from glaverify.numerics import r6_search as rs

    out = rs.search(
        task.size, seed=task.chunk_seed() % (2**32), max_d=task.max_d or 8, max_n=task.max_n or 16
    )
    res.checked, res.invalid = out.checked, out.invalid
    res.tolerance = 0.0
    for k, v in out.by_generator.items():
        res.coverage[f"generator:{k}"] = [float(v), float(v)]
    if out.counterexamples:
        c = out.counterexamples[0]
        inst = c["instance"]
        res.failure = {
            "model": {
                "d": len(inst["eigenvalues"]),
                "n": int(sum(inst["block_sizes"])),
                "noise_var": inst["noise_var"],
                "features": {"covariance": "diagonal", "eigenvalues": inst["eigenvalues"]},
                "tasks": {
                    "family": "custom",
                    "block_sizes": inst["block_sizes"],
                    "correlation": inst["correlation"],
                },
            }
        }
        res.failure_residual, res.failure_detail = 1.0, {"reason": c["reason"]}


_r6_chunk.chunk = 200  # type: ignore[attr-defined]


def r6_spec() -> SearchSpec:
    """R6 wraps :func:`glaverify.numerics.r6_search.search` chunk by chunk (its own generators, screening,
    certificate and shrinking)."""

    def prop(inst: Instance) -> Outcome:
        from glaverify.numerics import r6_search as rs

        sc = rs.screen(data_model(inst))
        return Outcome(not sc.suspect, float(sc.roots), 1.0, {"roots": sc.roots, "h_minima": sc.h_minima})

    def confirm(inst: Instance) -> Confirmation:
        from glaverify.numerics import landscape as ls

        res = ls.certify(data_model(inst), np.random.default_rng(0), starts=8, use_cvxpy=True)
        return Confirmation(
            True if res.verdict == "refuted" else (False if res.verdict in ("certified", "proved") else None),
            "three-route certificate (landscape.certify)",
            False,
            f"certificate {res.verdict}: {res.reason}",
            {},
        )

    return SearchSpec(
        "R6",
        ("models",),
        "numerics.r6_search generators: hypothesis models, near-degenerate "
        "(|r| → 0, condition 1e8, singular C), "
        "adversarial hill climbing; d ≤ 8, n ≤ 16",
        lambda o: {},
        prop,
        confirm,
        "curve screening (numerics.r6_search.screen)",
        "three-route certificate",
        model_coverage,
        default_max_d=8,
        default_max_n=16,
        external=_r6_chunk,
    )


for _spec in (r1_spec(), r2_spec(), r3_spec(), r4_spec(), r5_spec(), r6_spec(), r7_spec()):
    register(_spec)

__all__ = [
    "r1_spec",
    "r2_spec",
    "r3_spec",
    "r4_spec",
    "r5_spec",
    "r6_spec",
    "r7_spec",
    "moment_risk",
    "InputError",
]
