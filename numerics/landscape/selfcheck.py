"""Run-time self-checks of the landscape core (R4–R7): our own routes compared with routes computed another
way, and controls with a known answer (docs/landscape.md, "Self-checks of the core"; docs/reliability.md).

Everything here is about the *tool*, never about the theory: a failure is a tool error (two routes of our
own code disagree, or a decision rule gives the wrong answer on a planted case), reported as such by the
R4 and R6 checks, never as a refutation.

:func:`core_cross_check`
    The block-reduced core (:mod:`.reduced`: ``profile_gain``, ``profile_gradient``, the structured Hessian)
    against independent routes, at the optimum and at a random point that is **not** block-constant (the
    within-block part of the structured Hessian only matters there):

    * the gain ``(s − L*)/ρ²`` against the closed form ``L*`` of R3 (``closed_forms.profile_risk``, O(n))
      and, for n ≤ ``dense_max_n``, the dense reference (explicit n×n R);
    * ``∇L*`` against Danskin's gradient ``∂L/∂ω(P*(ω), ω)`` of the full risk (R1 with R3's P*; the gradient
      of the full risk is a different formula, O(n + d³)) and, for small n, the dense reference;
    * ``∇²L* x`` (structured matvec) along random directions x against central differences of Danskin's
      gradient (O(n + d³) per direction, any n) and, for small n, the dense Hessian; the restricted spectrum
      (n − 1 eigenvalues on ω^⊥, multiplicities expanded) against the dense one.
:func:`normalisation_invariants`
    The quotient representative checked by its defining properties (``max|ω| = 1``, ``rᵀω > 0``, the same
    representative for every nonzero multiple), not by calling the normaliser again on its own output only.
:func:`curve_classifier_control`, :func:`uniqueness_decision_control`
    Controls: the curve's local-minimum classifier and the R6 Hessian decision run on planted cases with a
    known answer (a point with a negative restricted Hessian eigenvalue that must not count as a minimum, one
    that must; a non-PD Hessian that must not certify, a PD one that must, either side of ``HESS_RTOL``).
    On models without a saddle on the curve these decision branches are otherwise never reached.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..closed_forms import optimal_preconditioner, profile_risk, risk_coefficients, wpgd_risk
from ..model import DataModel
from ..tolerances import CORE_DENSE_RTOL, CORE_FD_RTOL, HESS_RTOL, RISK_RTOL
from .certificate import Minimum, decide_uniqueness, full_gradient
from .curve import CurveResult, GammaMap, curve_route, gamma_map_r4
from .quotient import normalise, quotient_distance, r_scale
from .reduced import (
    full_gradient_norms,
    profile_gain,
    profile_gradient,
    profile_hessian_structured,
    reduction,
)

__all__ = [
    "CORE_DENSE_MAX_N",
    "ControlOutcome",
    "CoreCrossCheck",
    "core_cross_check",
    "curve_classifier_control",
    "curve_point_residuals",
    "danskin_gradient",
    "fixed_point_membership",
    "landscape_controls",
    "normalisation_invariants",
    "uniqueness_decision_control",
]

#: the dense reference (explicit n×n matrices) is used by the cross-check up to this n; beyond it only the
#: O(n) routes (closed form, Danskin's gradient and its finite differences) run
CORE_DENSE_MAX_N = 200


# ======================================================================== independent routes
def danskin_gradient(model: DataModel, omega: np.ndarray, r_unit: np.ndarray, rho: float) -> np.ndarray:
    """``∇(L*/ρ²)(ω) = ∂_ω L̂(P̂*(ω), ω)`` (Danskin): the ω-gradient of the full risk of R1 with the unit
    ``r̂ = r/ρ`` at its minimiser ``P̂* = P*(ω)/ρ`` (R3). Shares no code with ``reduced.profile_gradient``."""
    P = np.asarray(optimal_preconditioner(model, omega), dtype=np.float64) / rho
    return full_gradient(model, P, omega, r_unit)[1]


def _closed_gain(model: DataModel, omega: np.ndarray, rho: float) -> float:
    return (model.s - profile_risk(model, omega)) / rho**2


@dataclass(frozen=True)
class CoreCrossCheck:
    """Outcome of :func:`core_cross_check`. ``residuals`` are relative errors (name → value), ``tolerances``
    the bound each was held to; ``failures`` one line per residual above its bound (empty: consistent)."""

    residuals: dict[str, float]
    tolerances: dict[str, float]
    failures: tuple[str, ...]
    points: tuple[str, ...]
    directions: int
    dense: bool
    seconds: float

    @property
    def ok(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "failures": list(self.failures),
            "residuals": dict(self.residuals),
            "tolerances": dict(self.tolerances),
            "points": list(self.points),
            "directions": self.directions,
            "dense_reference": self.dense,
            "seconds": self.seconds,
        }


def _rel(x: np.ndarray | float, y: np.ndarray | float, scale: float) -> float:
    return float(np.max(np.abs(np.asarray(x) - np.asarray(y)), initial=0.0)) / max(scale, 1e-300)


def core_cross_check(
    model: DataModel,
    omega: np.ndarray,
    rng: np.random.Generator,
    directions: int = 2,
    dense_max_n: int = CORE_DENSE_MAX_N,
) -> CoreCrossCheck:
    """Compare the block-reduced core with independent routes at ``omega`` (the optimum) and at a random
    non-block-constant point (``omega`` plus a Gaussian perturbation of half its size). Requires r ≠ 0.
    Cost per point: O(n + K³ + d³) per direction; plus O(n³) for the dense reference when n ≤ dense_max_n."""
    t0 = time.perf_counter()
    red = reduction(model)
    rho, ru = r_scale(model)
    w0 = np.asarray(omega, dtype=np.float64)
    scale_w = float(np.max(np.abs(w0)))
    w1 = w0 + 0.5 * scale_w * rng.standard_normal(model.n)
    if abs(float(ru @ w1)) < 1e-3 * float(np.linalg.norm(ru)) * float(np.linalg.norm(w1)):
        w1 = w1 + 0.5 * scale_w * ru / float(np.max(np.abs(ru)))  # keep c = rᵀω away from 0
    use_dense = model.n <= dense_max_n
    res: dict[str, float] = {}
    tols: dict[str, float] = {}
    fails: list[str] = []
    eps = float(np.finfo(np.float64).eps)

    def judge(name: str, value: float, tol: float, what: str) -> None:
        res[name] = value
        tols[name] = tol
        if not (value <= tol):  # NaN fails
            fails.append(f"{what}: relative error {value:.3g} > {tol:.1e} ({name})")

    for label, w in (("optimum", w0), ("random", w1)):
        # -- gain (s − L*)/ρ²: the closed form of R3 (cancellation against s bounded by the rounding of s)
        g_core = profile_gain(model, w, ru)
        g_closed = _closed_gain(model, w, rho)
        slack = 64 * eps * model.s / rho**2
        judge(f"gain_closed_form[{label}]", abs(g_core - g_closed) / max(abs(g_closed), slack),
              max(CORE_DENSE_RTOL, slack / max(abs(g_closed), slack)),
              f"profile gain vs the closed-form L* at the {label} point")
        # -- gradient: Danskin's gradient of the full risk
        grad_core = profile_gradient(model, w, ru)
        grad_ref = danskin_gradient(model, w, ru, rho)
        t = profile_gain(model, w, ru)  # (r̂ᵀω)² f: the size of the terms of ∇L* (times 1/‖ω‖)
        gscale = max(float(np.max(np.abs(grad_ref))), t / max(float(np.linalg.norm(w)), 1e-300))
        judge(f"gradient_danskin[{label}]", _rel(grad_core, grad_ref, gscale), CORE_DENSE_RTOL,
              f"∇L* (block-reduced) vs Danskin's gradient of the full risk at the {label} point")
        # -- Hessian: structured matvec vs central differences of Danskin's gradient
        S = profile_hessian_structured(model, w, ru)
        spec = S.spectrum()
        # L* is homogeneous of degree 0, so its Hessian scales like gain/‖ω‖²; the spectrum alone is no scale
        # (at n = 1 the Hessian at a stationary point is 0 up to rounding)
        hscale = max(spec.max_abs, t / max(float(w @ w), 1e-300), 1e-300)
        for j in range(directions):
            x = rng.standard_normal(model.n)
            x /= float(np.linalg.norm(x))
            h = 1e-4 * float(np.linalg.norm(w))
            gp = danskin_gradient(model, w + h * x, ru, rho)
            fd = (gp - danskin_gradient(model, w - h * x, ru, rho)) / (2 * h)
            hx = S.matvec(red, x)
            sc = max(hscale, float(np.max(np.abs(fd))))
            judge(f"hessian_fd[{label},{j}]", _rel(hx, fd, sc), CORE_FD_RTOL,
                  f"∇²L*·x (structured) vs finite differences of Danskin's gradient at the {label} point")
        # -- the full gradient of R1 (used by the stationarity tests of R4 and R6) at a non-stationary P
        P0 = np.asarray(optimal_preconditioner(model, w), dtype=np.float64)
        X = rng.standard_normal(P0.shape)
        X *= max(float(np.linalg.norm(P0)), 1e-300) / float(np.linalg.norm(X))
        P = P0 + 0.3 * X
        gP, gw = full_gradient(model, P, w)
        nP, nw = full_gradient_norms(model, P, w)
        gnorm = max(float(np.linalg.norm(gP)), float(np.linalg.norm(gw)), 1e-300)
        judge(f"full_gradient_eigenbasis[{label}]",
              max(abs(nP - float(np.linalg.norm(gP))), abs(nw - float(np.linalg.norm(gw)))) / gnorm,
              CORE_DENSE_RTOL,
              f"‖∂L/∂P‖, ‖∂L/∂ω‖ in Σ's eigenbasis vs the explicit gradient at the {label} point")
        x = rng.standard_normal(model.n)
        x *= float(np.linalg.norm(w)) / float(np.linalg.norm(x))
        h = 1e-5
        fd = (wpgd_risk(model, P + h * X, w + h * x) - wpgd_risk(model, P - h * X, w - h * x)) / (2 * h)
        dP, dw = float(np.sum(gP * X)), float(gw @ x)
        fscale = max(abs(dP) + abs(dw), rho**2 * abs(g_closed), 1e-300)
        judge(f"full_gradient_fd[{label}]", abs(fd - dP - dw) / fscale,
              max(CORE_FD_RTOL, 1e3 * eps * model.s / h / fscale),
              f"the full gradient of R1 vs finite differences of the closed-form L(P, ω) at the {label} "
              "point")
        if use_dense:
            from . import dense

            dgP, dgw = dense.full_gradient(model, P, w)
            judge(f"full_gradient_dense[{label}]",
                  max(_rel(gP, dgP, gnorm), _rel(gw, dgw, gnorm)), CORE_DENSE_RTOL,
                  f"the full gradient of R1 vs the dense reference at the {label} point")
            g_dense = dense.profile_gain(model, w, ru)
            judge(f"gain_dense[{label}]", abs(g_core - g_dense) / max(abs(g_core), 1e-300),
                  CORE_DENSE_RTOL, f"profile gain vs the dense reference at the {label} point")
            judge(f"gradient_dense[{label}]", _rel(grad_core, dense.profile_gradient(model, w, ru), gscale),
                  CORE_DENSE_RTOL, f"∇L* vs the dense reference at the {label} point")
            D = dense.profile_hessian(model, w, ru)
            xs = rng.standard_normal((model.n, directions))
            judge(f"hessian_dense[{label}]",
                  _rel(np.column_stack([S.matvec(red, xs[:, j]) for j in range(directions)]), D @ xs,
                       hscale * float(np.max(np.linalg.norm(xs, axis=0)))),
                  CORE_DENSE_RTOL, f"∇²L*·x (structured) vs the dense Hessian at the {label} point")
            if model.n > 1:
                ev_core = S.restricted_spectrum().as_array()
                ev_dense = dense.restricted_profile_spectrum(model, w, ru)
                judge(f"restricted_spectrum_dense[{label}]", _rel(ev_core, ev_dense, hscale), CORE_DENSE_RTOL,
                      f"spectrum of ∇²L* on ω^⊥ (structured) vs the dense one at the {label} point")
    return CoreCrossCheck(
        residuals=res,
        tolerances=tols,
        failures=tuple(fails),
        points=("optimum", "random non-block-constant"),
        directions=directions,
        dense=use_dense,
        seconds=time.perf_counter() - t0,
    )


def normalisation_invariants(omega: np.ndarray, r: np.ndarray) -> list[str]:
    """What is wrong with ``omega`` as the quotient representative for ``r`` (empty: nothing): it must have
    ``max_i |ω_i| = 1`` and ``rᵀω > 0`` (a minimiser of L* has ``rᵀω ≠ 0``), and every nonzero multiple of it
    must normalise back to it (docs/landscape.md, "The quotient")."""
    w = np.asarray(omega, dtype=np.float64)
    out = []
    m = float(np.max(np.abs(w)))
    if not abs(m - 1.0) <= 1e-12:
        out.append(f"normalised ω has max|ω_i| = {m!r}, not 1")
    rw = float(np.asarray(r, dtype=np.float64) @ w)
    if not rw > 0:
        out.append(f"normalised ω has rᵀω = {rw:.3g}, not > 0")
    for k in (-2.5, 0.37):
        d = float(np.max(np.abs(normalise(k * w, r) - w)))
        if not d <= 1e-12:
            out.append(f"normalise({k:g}·ω) differs from ω by {d:.3g} (not a quotient representative)")
    return out


def curve_point_residuals(
    model: DataModel, curve: CurveResult, gamma_map: GammaMap | None = None
) -> list[str]:
    """What is wrong with the curve route's stationary points (empty: nothing): each finite-γ point must
    satisfy its defining equation ``(R + γI)ω ∝ r`` (R4), checked with R applied block-wise
    (``BlockReduction.apply_R``, ``E C Eᵀω``), not through the eigen-decomposition the curve route uses; its
    reported risk must be the closed-form ``L*(ω)``; its γ must solve the fixed-point equation of the map
    under test (default R4's) with ``a(ω)``, ``b(ω)`` from the closed forms. O(n + K² + d) per point."""
    red = reduction(model)
    r = np.asarray(model.r, dtype=np.float64)
    rr = float(r @ r)
    out = []
    for p in curve.stationary:
        if not np.isfinite(p.gamma):
            continue
        w = p.omega
        y = red.apply_R(w) + p.gamma * w
        kappa = float(r @ y) / rr
        res = float(np.max(np.abs(y - kappa * r))) / max(float(np.max(np.abs(y))), 1e-300)
        if not res <= CORE_DENSE_RTOL:
            out.append(f"curve point at γ = {p.gamma:.8g} does not solve (R + γI)ω ∝ r: relative residual "
                       f"{res:.3g} > {CORE_DENSE_RTOL:.1e}")
        risk = profile_risk(model, w)
        if not abs(risk - p.risk) <= CORE_DENSE_RTOL * max(1.0, abs(risk)):
            out.append(f"curve point at γ = {p.gamma:.8g}: reported risk {p.risk!r} vs closed form {risk!r}")
        co = risk_coefficients(model, w)
        g = float(np.asarray((gamma_map or gamma_map_r4)(
            model.eigenvalues, model.s, np.array([co.a]), np.array([co.b])))[0])
        fp = abs(p.gamma - g) / p.gamma
        if not fp <= CORE_DENSE_RTOL:
            out.append(f"curve point at γ = {p.gamma:.8g} is not a fixed point of the map: Γ(a(ω), b(ω)) = "
                       f"{g:.10g} (relative {fp:.3g})")
    return out


def fixed_point_membership(model: DataModel, omega: np.ndarray, gamma_map: GammaMap | None = None
                           ) -> tuple[float, float]:
    """``(γ, distance)``: ``γ = Γ(a(ω), b(ω))`` of the map under test (default R4's) at ``omega``, and the
    quotient distance between ``omega`` and the curve point ``(R + γI)⁻¹r`` at that γ, solved without the
    curve code (the Woodbury solve of :mod:`.reduced`). Distance 0 means ``omega`` solves the fixed-point
    equation; ``inf`` when γ is not finite and > 0. Used to confirm an R4 refutation: a global minimiser that
    solves the equation was missed by our curve route (a tool error), one that does not refutes R4."""
    co = risk_coefficients(model, omega)
    g = float(np.asarray((gamma_map or gamma_map_r4)(
        model.eigenvalues, model.s, np.array([co.a]), np.array([co.b])))[0])
    if not (np.isfinite(g) and g > 0):
        return g, float("inf")
    w_curve = reduction(model).solve_shifted(g, np.asarray(model.r, dtype=np.float64))
    return g, quotient_distance(w_curve, omega, model.r)


# ======================================================================== controls
@dataclass(frozen=True)
class ControlOutcome:
    """One planted case of a decision rule: what the rule answered, what it must answer."""

    name: str
    expected: str
    got: str
    details: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.expected == self.got

    def to_dict(self) -> dict:
        return {"name": self.name, "expected": self.expected, "got": self.got, "ok": self.ok, **self.details}


def control_model() -> DataModel:
    """The planted model of the curve-classifier control: d = 2 (λ = 0.1, 1), K = 2 blocks of sizes 1 and
    2, σ² = 0.1. At γ = 10⁻³ its curve point has a negative eigenvalue of ∇²L* on ω^⊥ (dense reference:
    ≈ −0.126 with the unit r); at its optimum (γ* ≈ 1) all are positive (≈ 0.43)."""
    C = np.array([[1.0, 0.9, 0.2], [0.9, 1.0, 0.1], [0.2, 0.1, 1.0]])
    return DataModel.create(np.diag([0.1, 1.0]), C, [1, 2], 0.1)


#: the planted fixed point of the control (a curve point with a negative restricted Hessian eigenvalue)
CONTROL_GAMMA = 1e-3


def curve_classifier_control() -> tuple[ControlOutcome, ControlOutcome]:
    """The curve classifier (``curve_route``'s Hessian test) on the control model: a planted map with its
    fixed point at γ = 10⁻³ (a point where the restricted Hessian has a negative eigenvalue: must **not** be
    a local minimum) and R4's own map (its root is the optimum: must be one). The expected answers are
    computed by the dense reference's restricted spectrum at the same points, not taken from the
    classifier."""
    from . import dense

    m = control_model()
    _, ru = r_scale(m)
    out = []
    for name, gmap, bracket in (
        ("curve point with a negative restricted eigenvalue",
         lambda lam, s, a, b: np.full(np.shape(a), CONTROL_GAMMA), (CONTROL_GAMMA / 2, 2 * CONTROL_GAMMA)),
        ("curve optimum", gamma_map_r4, None),
    ):
        cr = curve_route(m, gamma_map=gmap, bracket=bracket, grid_size=40)
        if len(cr.stationary) != 1:
            out.append(ControlOutcome(f"curve classifier: {name}", "1 stationary point",
                                      f"{len(cr.stationary)} stationary points"))
            continue
        p = cr.stationary[0]
        ev = dense.restricted_profile_spectrum(m, p.omega, ru)
        want = bool(ev[0] > HESS_RTOL * float(np.max(np.abs(ev))))
        out.append(ControlOutcome(
            f"curve classifier: {name}",
            "local minimum" if want else "not a local minimum",
            "local minimum" if p.local_min else "not a local minimum",
            {"gamma": p.gamma, "dense_restricted_min": float(ev[0]), "classifier_hess_min": p.hess_min},
        ))
    return out[0], out[1]


def uniqueness_decision_control() -> tuple[ControlOutcome, ...]:
    """R6's Hessian decision (:func:`decide_uniqueness`) on one planted minimiser class with a restricted
    Hessian minimum of ``−10⁻³``, ``0.5·HESS_RTOL`` and ``2·HESS_RTOL`` (scale 1): only the last may
    certify."""
    r = np.array([1.0, 0.5])
    cand = [Minimum(np.array([1.0, 0.2]), 0.5, "control", 1.0)]
    cases = (("negative restricted eigenvalue", -1e-3, "inconclusive"),
             ("eigenvalue just below HESS_RTOL", 0.5 * HESS_RTOL, "inconclusive"),
             ("eigenvalue just above HESS_RTOL", 2 * HESS_RTOL, "certified"))
    out = []
    for name, hmin, want in cases:
        dec = decide_uniqueness(cand, r, hmin, 1.0, risk_rtol=RISK_RTOL)
        out.append(ControlOutcome(f"uniqueness decision: {name}", want, dec.verdict, {"hess_min": hmin}))
    return tuple(out)


def landscape_controls() -> tuple[ControlOutcome, ...]:
    """Every control of this module (each < 0.1 s on one core)."""
    return (*curve_classifier_control(), *uniqueness_decision_control())
