"""Third routes that decide between *the claim is false* and *our code is wrong* (docs/reliability.md,
"Who is to blame").

When two routes of our own code disagree (the GLA kernel and the WPGD reference, the closed forms and the
dense reference, causal and full-context WPGD at L = 1), the disagreement alone says nothing about the
theory: either route may be the faulty one. A refutation is printed only when an independent third route,
evaluated *exactly* at the counterexample point, sides with the failing route:

- the WPGD risk ``E(y − ŷ)²`` derived from the Gaussian model by Wick pairings (theory/risk.py,
  :func:`glaverify.theory.risk.derived_risk`), evaluated in exact rationals at ``(P, ω)``;
- the GLA recurrence and the WPGD predictors typed symbolically (theory/gla_symbolic.py), evaluated in
  exact rationals at one prompt.

Each function returns normally when the exact route confirms the failure (the caller then refutes) and
raises :class:`ToolError` when the exact route agrees with the claim (our float route is at fault) or
when the exact route cannot be evaluated at this size.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np
import sympy as sp
from glaverify.numerics.consistency import ToolError

#: largest model for which the Wick-derived exact risk is built (about 10 s at d = 4, n = 12 under load)
EXACT_RISK_MAX = {"d": 4, "n": 16}
#: largest prompt for the exact GLA / WPGD evaluation (rational arithmetic, one prompt)
EXACT_PROMPT_MAX = {"d": 16, "n": 64}
#: relative agreement required of two exact values (exact rationals: any gap is a real difference, but the
#: inputs are floats converted exactly, so the claim's identities hold to the last bit)
EXACT_RTOL = 1e-12

_RISK_CACHE: dict[tuple, tuple] = {}


def _q(x: float) -> sp.Rational:
    return sp.Rational(Fraction(float(x)))


def _risk_poly(model) -> tuple:
    key = (model.d, model.n, tuple(model.block_sizes), float(model.noise_var),
           np.asarray(model.sigma).tobytes(), np.asarray(model.block_corr).tobytes())
    if key not in _RISK_CACHE:
        from glaverify.theory.risk import build_risk_problem, derived_risk

        pb = build_risk_problem(np.asarray(model.sigma), np.asarray(model.block_corr), model.block_sizes,
                                model.noise_var)
        _RISK_CACHE.clear()
        _RISK_CACHE[key] = (pb, derived_risk(pb))
    return _RISK_CACHE[key]


def exact_risk(model, P: np.ndarray, omega: np.ndarray) -> Fraction:
    """``E(y − ŷ)²`` of WPGD-1 at ``(P, ω)`` from the Wick derivation, in exact rationals (R1's risk derived
    from the model, never from a closed form). Raises ToolError beyond :data:`EXACT_RISK_MAX`."""
    if model.d > EXACT_RISK_MAX["d"] or model.n > EXACT_RISK_MAX["n"]:
        raise ToolError(f"no exact third route at d = {model.d}, n = {model.n} (limit d <= "
                        f"{EXACT_RISK_MAX['d']}, n <= {EXACT_RISK_MAX['n']}) to decide whether the claim or "
                        "our code is wrong")
    pb, poly = _risk_poly(model)
    P = np.asarray(P, dtype=np.float64)
    values = {}
    for a in range(model.d):
        for b in range(model.d):
            values[pb.P[a, b]] = Fraction(float(P[a, b]))
    for i, s in enumerate(pb.omega):
        values[s] = Fraction(float(omega[i]))
    ring = pb.gauss.ring
    point = [values.get(s, Fraction(0)) for s in ring.symbols]
    total = Fraction(0)
    for monom, coeff in poly.terms():
        term = Fraction(int(coeff.numerator), int(coeff.denominator))
        for v, e in zip(point, monom, strict=True):
            if e:
                term *= v**e
        total += term
    return total


def _rel(a: Fraction, b: Fraction, scale: float) -> float:
    return abs(float(a - b)) / max(abs(float(b)), scale, 1e-300)


def confirm_r2(model, P: np.ndarray, omega: np.ndarray, c: float, tol: float, route: str) -> float:
    """R2 at one failing point: the exact risk's relative change under ``(P, ω) → (P/c, cω)``. Returns
    it when it exceeds ``tol`` (the third route sides with the failure); else ToolError blaming ``route``."""
    P = np.asarray(P, dtype=np.float64)
    base = exact_risk(model, P, omega)
    scaled = exact_risk(model, P / c, c * np.asarray(omega, dtype=np.float64))
    res = _rel(scaled, base, model.s)
    if res > tol:
        return res
    raise ToolError(f"R2 fails for the {route} at c = {c} but the exact Wick-derived risk is invariant there "
                    f"(relative change {res:.3g} <= {tol:g}): an error of our {route}, not of R2")


def confirm_r3(model, omega: np.ndarray, p_star: np.ndarray, profile: float, grad_rtol: float,
               tol: float, failed: Sequence[str]) -> dict:
    """R3 at one ω: is ``p_star`` the minimiser of the exact (Wick-derived) risk and ``L(P*) = L*(ω)``?
    Central differences of a quadratic are exact in rationals, so the gradient is exact. Returns the exact
    residuals when the exact route confirms a failure; otherwise ToolError (the dense reference is wrong)."""
    p = np.asarray(p_star, dtype=np.float64)
    d = p.shape[0]

    def grad(at: np.ndarray) -> np.ndarray:
        g = np.zeros((d, d))
        for a in range(d):
            for b in range(d):
                e = np.zeros((d, d))
                e[a, b] = 1.0
                g[a, b] = float((exact_risk(model, at + e, omega) - exact_risk(model, at - e, omega)) / 2)
        return g

    rel_grad = float(np.linalg.norm(grad(p)) / max(np.linalg.norm(grad(np.zeros_like(p))), 1e-300))
    at_star = exact_risk(model, p, omega)
    prof_res = abs(float(at_star) - profile) / max(model.s, abs(profile))
    out = {"exact_rel_grad": rel_grad, "exact_profile_residual": prof_res}
    if rel_grad > grad_rtol or prof_res > tol:
        return out
    raise ToolError(f"R3: the dense reference reports {', '.join(failed)}, but the exact Wick-derived risk "
                    f"has relative gradient {rel_grad:.3g} at P*(ω) and |L(P*) - L*|/s = {prof_res:.3g}: an "
                    "error of our dense reference, not of R3")


def _prompt(X, y, xq):
    from glaverify.theory.gla_symbolic import SymbolicPrompt

    X = np.asarray(X, dtype=np.float64)
    return SymbolicPrompt(sp.Matrix(X.shape[0], X.shape[1], lambda i, m: _q(X[i, m])),
                          [_q(v) for v in np.asarray(y, dtype=np.float64)],
                          sp.Matrix(X.shape[1], 1, lambda m, _j: _q(np.asarray(xq)[m])))


def confirm_one_layer(X, y, xq, Q, gates, shape: str, gla_value: float, wpgd_value: float,
                      tol: float) -> dict:
    """G1 (``scalar``) / G2 (``key``) at one prompt: exact GLA recurrence (theory/gla_symbolic.py) and exact
    WPGD-1 with gate-product weights, in rationals. Returns both when they differ by more than ``tol``
    relative (the claim fails at this prompt); otherwise ToolError naming the float route that is off."""
    from glaverify.theory.gla_symbolic import gate_product, gla_predict_symbolic, one_step_wpgd_symbolic

    X = np.asarray(X, dtype=np.float64)
    n, d = X.shape
    if d > EXACT_PROMPT_MAX["d"] or n > EXACT_PROMPT_MAX["n"]:
        raise ToolError(f"no exact third route at d = {d}, n = {n}: cannot tell whether the claim or our "
                        "code is wrong")
    pr = _prompt(X, y, xq)
    Qm = sp.Matrix(np.asarray(Q, dtype=np.float64).shape[0], d, lambda a, b: _q(np.asarray(Q)[a, b]))
    g = np.asarray(gates, dtype=np.float64)
    gq = [_q(v) if shape == "scalar" else [_q(u) for u in v] for v in g]
    exact_gla = gla_predict_symbolic(pr, [Qm], lambda _l, i, _z: gq[i], shape)
    weights = [gate_product(gq, i, n, shape) for i in range(n)]
    exact_wpgd = one_step_wpgd_symbolic(pr, Qm.T, weights, shape)
    return _judge(float(exact_gla), float(exact_wpgd), gla_value, wpgd_value, tol, "GLA", "WPGD")


def confirm_g4_l1(X, y, xq, P, gate: float, causal_value: float, full_value: float, tol: float) -> dict:
    """G4 at L = 1 and one prompt: exact causal WPGD (constant gates ``gate``) and exact full-context WPGD
    with the query-row weights, in rationals; as :func:`confirm_one_layer`."""
    from glaverify.theory.gla_symbolic import causal_wpgd_symbolic, full_context_wpgd_symbolic, gate_product

    X = np.asarray(X, dtype=np.float64)
    n, d = X.shape
    if d > EXACT_PROMPT_MAX["d"] or n > EXACT_PROMPT_MAX["n"]:
        raise ToolError(f"no exact third route at d = {d}, n = {n}: cannot tell whether the claim or our "
                        "code is wrong")
    pr = _prompt(X, y, xq)
    Pm = sp.Matrix(d, d, lambda a, b: _q(np.asarray(P)[a, b]))
    g = _q(gate)
    exact_causal = causal_wpgd_symbolic(pr, [Pm], lambda _l, _i, _z: g)
    gates = [g] * (n + 1)
    exact_full = full_context_wpgd_symbolic(pr, [Pm], [[gate_product(gates, j, n) for j in range(n)]])
    return _judge(float(exact_causal), float(exact_full), causal_value, full_value, tol, "causal WPGD",
                  "full-context WPGD")


def _judge(exact_a: float, exact_b: float, float_a: float, float_b: float, tol: float, name_a: str,
           name_b: str) -> dict:
    scale = max(abs(exact_a), abs(exact_b), 1e-300)
    gap = abs(exact_a - exact_b) / scale
    out = {f"exact {name_a}": exact_a, f"exact {name_b}": exact_b, "exact_relative_gap": gap}
    if gap > tol:
        return out
    off = [f"our {nm} ({fv:.17g} vs exact {ev:.17g})" for nm, fv, ev in
           ((name_a, float_a, exact_a), (name_b, float_b, exact_b)) if abs(fv - ev) > tol * scale]
    raise ToolError(f"{name_a} and {name_b} differ in our float routes, but agree in exact rational "
                    f"arithmetic at the counterexample (relative gap {gap:.3g}): the fault is in "
                    f"{' and '.join(off) or 'our float routes'}, not in the claim")
