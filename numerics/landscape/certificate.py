"""The R6 certificate of the WPGD landscape: candidates from the three routes, the decision rule on the
quotient, and the typed result (docs/landscape.md, "The certificate").

Everything is computed on the full space ℝⁿ (and ``ℝ^{d×d}`` for P) through the block-reduced core
(:mod:`.reduced`): the gradient of ``L(P, ω)`` at ``(P*(ω*), ω*)``, the structured spectrum of ``∇²L*`` on
``ω^⊥`` in ℝⁿ (with its multiplicities), ``H_PP``'s smallest eigenvalue, and the routes' agreement. The
result is a frozen :class:`LandscapeResult` with a typed :class:`Certificate`; ``certificate`` (a dict with
the historical JSON keys, see :meth:`Certificate.to_dict`) is produced only at the JSON boundary.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..closed_forms import optimal_preconditioner, wpgd_risk
from ..model import DataModel
from ..tolerances import HESS_RTOL, OMEGA_TOL, RISK_RTOL
from .curve import CurveResult, GammaMap, curve_route, gamma_bracket
from .multistart import MultiStartResult, multistart_route
from .quotient import normalise, quotient_distance, r_is_zero, r_scale
from .reduced import (
    full_gradient_norms,
    hpp_min_eigenvalue,
    profile_gain,
    reduction,
    restricted_spectrum_structured,
)

PrecondFn = Callable[[DataModel, np.ndarray], np.ndarray]

__all__ = [
    "Certificate",
    "LandscapeResult",
    "Minimum",
    "UniquenessDecision",
    "certify",
    "decide_uniqueness",
    "distinct_minima",
]


@dataclass(frozen=True)
class Minimum:
    """A candidate minimum on the quotient, with the route that found it. ``gain`` is ``(s − L*)/ρ²`` (see
    :func:`r_scale`); when it is NaN the decision falls back to comparing ``risk``."""

    omega: np.ndarray
    risk: float
    route: str
    gain: float = float("nan")

    def loss(self) -> float:
        return -self.gain if np.isfinite(self.gain) else self.risk


def distinct_minima(
    minima: Sequence[Minimum], r: np.ndarray, omega_tol: float = OMEGA_TOL
) -> list[list[Minimum]]:
    """Cluster candidate minima by quotient distance (single linkage at ``omega_tol``·10)."""
    clusters: list[list[Minimum]] = []
    for m in minima:
        w = normalise(m.omega, r)
        for cl in clusters:
            if float(np.max(np.abs(normalise(cl[0].omega, r) - w))) <= 10 * omega_tol:
                cl.append(m)
                break
        else:
            clusters.append([m])
    return clusters


@dataclass(frozen=True)
class UniquenessDecision:
    verdict: str  # certified | refuted | inconclusive
    reason: str
    counterexample: dict | None = None


def decide_uniqueness(
    minima: Sequence[Minimum],
    r: np.ndarray,
    hess_min: float,
    hess_scale: float,
    strict_local_nonglobal: Sequence[Minimum] = (),
    risk_rtol: float = RISK_RTOL,
    omega_tol: float = OMEGA_TOL,
    hess_rtol: float = HESS_RTOL,
    routes_ok: bool = True,
    route_note: str = "",
) -> UniquenessDecision:
    """The R6 decision rule on the quotient. Values are compared through :meth:`Minimum.loss` (``−gain``,
    scale-free) with tolerance ``risk_rtol · |global loss|`` (``risk_rtol · max(1, |risk|)`` for risks).

    * ``refuted``: two inequivalent candidates within tolerance of the global value, or a strict local
      minimum (PD restricted Hessian) above the global value by more than the tolerance;
    * ``certified``: one class of minimisers at the global value, all routes agree (``routes_ok``) and the
      restricted Hessian is PD beyond ``hess_rtol · hess_scale``;
    * ``inconclusive`` otherwise, with the reason.
    """
    if not minima:
        return UniquenessDecision("inconclusive", "no candidate minimum")
    glob = min(m.loss() for m in minima)
    gains = all(np.isfinite(m.gain) for m in minima)
    tol = risk_rtol * (abs(glob) if gains else max(1.0, abs(glob)))
    near = [m for m in minima if m.loss() <= glob + tol]
    clusters = distinct_minima(near, r, omega_tol)
    if len(clusters) > 1:
        a, b = clusters[0][0], clusters[1][0]
        return UniquenessDecision(
            "refuted",
            f"{len(clusters)} inequivalent minimisers within {risk_rtol:g} (relative) of the global value",
            {
                "omega_1": normalise(a.omega, r).tolist(),
                "risk_1": a.risk,
                "route_1": a.route,
                "omega_2": normalise(b.omega, r).tolist(),
                "risk_2": b.risk,
                "route_2": b.route,
                "quotient_distance": quotient_distance(a.omega, b.omega, r),
            },
        )
    bad = [m for m in strict_local_nonglobal if m.loss() > glob + tol]
    if bad:
        m = min(bad, key=lambda x: x.loss())
        g = min(minima, key=lambda x: x.loss())
        return UniquenessDecision(
            "refuted",
            "a strict local minimum on the quotient is not global",
            {
                "local_omega": normalise(m.omega, r).tolist(),
                "local_risk": m.risk,
                "global_omega": normalise(g.omega, r).tolist(),
                "global_risk": g.risk,
                "route": m.route,
            },
        )
    if not routes_ok:
        return UniquenessDecision("inconclusive", f"routes disagree: {route_note}")
    if not (hess_min > hess_rtol * max(hess_scale, 1e-300)):
        return UniquenessDecision(
            "inconclusive",
            f"restricted Hessian not PD beyond tolerance "
            f"(min eigenvalue {hess_min:.3g}, scale {hess_scale:.3g})",
        )
    return UniquenessDecision("certified", "one minimiser class, routes agree, restricted Hessian PD")


# ======================================================================== typed certificate
@dataclass(frozen=True)
class RouteAgreement:
    """One route's best point against the global one: exact risk difference ``ρ²(G − gain)``, relative gain
    difference, quotient distance (None when the route produced nothing)."""

    risk_diff: float | None
    relative: float | None
    omega_dist: float | None

    def to_dict(self) -> dict:
        return {"risk_diff": self.risk_diff, "relative": self.relative, "omega_dist": self.omega_dist}


@dataclass(frozen=True)
class DistinctMinima:
    curve_local_minima: int
    curve_stationary_points: int
    curve_h_minima: int
    multistart_classes: int

    def to_dict(self) -> dict:
        return {
            "curve_local_minima": self.curve_local_minima,
            "curve_stationary_points": self.curve_stationary_points,
            "curve_h_minima": self.curve_h_minima,
            "multistart_classes": self.multistart_classes,
        }


@dataclass(frozen=True)
class HessianCertificate:
    """``∇²L*`` on ``ω^⊥`` in ℝⁿ (scaled back to the model's r): min, max, min/max; the multiplicity of the
    within-block eigenvalue α; ``H_PP``'s smallest eigenvalue; the dense full restricted spectrum (min, max)
    when ``d² + n`` is small."""

    profile_restricted_min: float
    profile_restricted_max: float
    H_PP_min: float
    restricted_min_relative: float
    full_restricted: dict | None
    within_block_eigenvalue: float
    within_block_multiplicity: int

    def to_dict(self) -> dict:
        return {
            "profile_restricted_min": self.profile_restricted_min,
            "profile_restricted_max": self.profile_restricted_max,
            "H_PP_min": self.H_PP_min,
            "restricted_min_relative": self.restricted_min_relative,
            "full_restricted": self.full_restricted,
            "within_block_eigenvalue": self.within_block_eigenvalue,
            "within_block_multiplicity": self.within_block_multiplicity,
        }


@dataclass(frozen=True)
class MultistartCertificate:
    starts: int
    relative_spread: float
    max_grad_norm_unit_r: float

    def to_dict(self) -> dict:
        return {
            "starts": self.starts,
            "relative_spread": self.relative_spread,
            "max_grad_norm_unit_r": self.max_grad_norm_unit_r,
        }


@dataclass(frozen=True)
class CvxpyCertificate:
    status: str
    theta: float
    kkt_residual: float
    duality_gap: float
    solves: int
    all_optimal: bool

    def to_dict(self) -> dict:
        return {
            "status": self.status,
            "theta": self.theta,
            "kkt_residual": self.kkt_residual,
            "duality_gap": self.duality_gap,
            "solves": self.solves,
            "all_optimal": self.all_optimal,
        }


@dataclass(frozen=True)
class Certificate:
    """The R6 certificate. :meth:`to_dict` gives the JSON object of ``glaverify landscape --json``
    (``wpgd.certificate``); its key set is pinned by a test."""

    routes: dict[str, RouteAgreement]
    distinct_minima: DistinctMinima
    gradient_norm: float
    gradient_relative: float
    hessian: HessianCertificate
    gamma_bracket: tuple[float, float]
    single_ray: bool
    r_scale: float
    multistart: MultistartCertificate
    tolerances: dict[str, float]
    cvxpy: CvxpyCertificate | None = None

    def to_dict(self) -> dict:
        out: dict[str, Any] = {
            "routes": {k: v.to_dict() for k, v in self.routes.items()},
            "distinct_minima": self.distinct_minima.to_dict(),
            "gradient_norm": self.gradient_norm,
            "gradient_relative": self.gradient_relative,
            "hessian": self.hessian.to_dict(),
            "gamma_bracket": list(self.gamma_bracket),
            "single_ray": self.single_ray,
            "r_scale": self.r_scale,
            "multistart": self.multistart.to_dict(),
            "tolerances": dict(self.tolerances),
        }
        if self.cvxpy is not None:
            out["cvxpy"] = self.cvxpy.to_dict()
        return out


@dataclass(frozen=True)
class RZeroCertificate:
    """R6's ``r = 0`` clause: every ``(0, ω)`` is optimal with risk ``s``."""

    risk_equals_s: bool

    def to_dict(self) -> dict:
        return {
            "r_zero": True,
            "risk_equals_s": self.risk_equals_s,
            "P_zero_optimal": "L(P, ω) = s + tr(PᵀΣPM) >= s",
        }


@dataclass(frozen=True)
class LandscapeResult:
    """Everything :func:`certify` found. ``omega`` normalised (an n-vector), ``P = P*(ω)``; ``cert`` typed,
    ``certificate`` its JSON form."""

    risk: float
    omega: np.ndarray
    P: np.ndarray
    gamma: float
    verdict: str
    reason: str
    cert: Certificate | RZeroCertificate
    counterexample: dict | None
    curve: CurveResult | None
    scalarised: Any | None  # ScalarisedOptimum (cvxpy is imported only by route (b))
    multistart: MultiStartResult | None
    unique: bool = True

    @property
    def certificate(self) -> dict:
        return self.cert.to_dict()

    def to_dict(self) -> dict:
        return {
            "risk": self.risk,
            "omega": self.omega.tolist(),
            "P": self.P.tolist(),
            "gamma": self.gamma,
            "certificate": self.certificate,
            "verdict": self.verdict,
            "reason": self.reason,
            "counterexample": self.counterexample,
            "unique": self.unique,
        }


def restricted_profile_spectrum(
    model: DataModel, omega: np.ndarray, r: np.ndarray | None = None
) -> np.ndarray:
    """Eigenvalues of the Hessian of ``L*`` compressed to ``ω^⊥`` (ascending; n − 1 of them, multiplicities
    expanded) from the structured Hessian."""
    return restricted_spectrum_structured(model, omega, r).as_array()


def restricted_profile_hessian_min(model: DataModel, omega: np.ndarray, r: np.ndarray | None = None) -> float:
    return restricted_spectrum_structured(model, omega, r).min


def full_gradient(
    model: DataModel, P: np.ndarray, omega: np.ndarray, r: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(∂L/∂P, ∂L/∂ω) of R1: ``−2cΣ² + 2ΣPM`` and ``−2 tr(PΣ²) r + 2 tr(PᵀΣPΣ²) Aω + 2s tr(PᵀΣPΣ) ω``
    (O(d³ + n); the certificate uses :func:`~.reduced.full_gradient_norms`)."""
    red = reduction(model)
    sig = model.sigma
    sig2 = sig @ sig
    w = np.asarray(omega, dtype=np.float64)
    r = np.asarray(model.r) if r is None else r
    Aw = red.apply_R(w) + w
    c = float(r @ w)
    a, b = float(w @ Aw), model.s * float(w @ w)
    M = a * sig2 + b * sig
    gP = -2 * c * sig2 + 2 * sig @ P @ M
    SP = sig @ P
    t2 = float(np.sum(SP * (P @ sig2)))
    t1 = float(np.sum(SP * (P @ sig)))
    gw = -2 * float(np.sum(P * sig2.T)) * r + 2 * t2 * Aw + 2 * model.s * t1 * w
    return gP, gw


def certify(
    model: DataModel,
    rng: np.random.Generator | None = None,
    starts: int = 6,
    use_cvxpy: bool = True,
    gamma_map: GammaMap | None = None,
    preconditioner: PrecondFn | None = None,
    risk_rtol: float = RISK_RTOL,
    omega_tol: float = OMEGA_TOL,
    hess_rtol: float = HESS_RTOL,
    extra_minima: Sequence[Minimum] = (),
    full_hessian_max: int = 200,
    scalarised: object | None = None,
) -> LandscapeResult:
    """R6: the global minimum of the WPGD risk by the three routes and the uniqueness certificate.

    ``gamma_map`` / ``preconditioner`` are the formulas under test (defaults: R4's map and R3's P*);
    ``extra_minima`` are added to the candidate set (tests plant a duplicated inequivalent minimum there).
    Every certificate quantity is about all n weights: the gradient of ``L(P, ω)`` on ``ℝ^{d×d} × ℝⁿ``
    and the structured spectrum of ``∇²L*`` on ``ω^⊥ ⊂ ℝⁿ``. When ``d² + n <= full_hessian_max`` the
    dense full restricted Hessian of the reference (:mod:`.dense`) is also computed. ``scalarised``: the
    result of ``optimise_scalarised(ScalarisedFamily(model))`` when the caller has it already (the cvxpy
    route depends on the model only, so the claims of one sweep cell share it); computed here otherwise.
    """
    rng = rng or np.random.default_rng(0)
    preconditioner = preconditioner or optimal_preconditioner
    r = np.asarray(model.r, dtype=np.float64)
    if r_is_zero(model):
        w = normalise(np.ones(model.n))
        P = np.zeros((model.d, model.d))
        rk = float(wpgd_risk(model, P, w))
        return LandscapeResult(
            risk=rk,
            omega=w,
            P=P,
            gamma=float("nan"),
            verdict="certified",
            reason="r = 0: every (0, ω) is optimal with risk tr Σ + σ² (the non-unique case of R6)",
            cert=RZeroCertificate(risk_equals_s=abs(rk - model.s) <= 1e-12 * model.s),
            counterexample=None,
            curve=None,
            scalarised=None,
            multistart=None,
            unique=False,
        )
    curve = curve_route(model, gamma_map=gamma_map)
    scal = None
    if use_cvxpy:
        from .scalarised import ScalarisedFamily, optimise_scalarised

        scal = scalarised if scalarised is not None else optimise_scalarised(ScalarisedFamily(model))
    ms = multistart_route(model, rng, starts=starts)
    rho, ru = r_scale(model)

    cands: list[Minimum] = [Minimum(p.omega, p.risk, "curve", p.gain) for p in curve.stationary]
    if scal is not None and scal.omega is not None:
        cands.append(Minimum(scal.omega, scal.risk, "cvxpy", scal.gain))
    cands += [
        Minimum(w, rk, f"multistart[{i}]", g)
        for i, (w, rk, g) in enumerate(zip(ms.omegas, ms.risks, ms.gains, strict=True))
    ]
    for m in extra_minima:  # declared values are trusted (tests plant minima here)
        g = m.gain if np.isfinite(m.gain) else (model.s - m.risk) / rho**2
        cands.append(Minimum(m.omega, m.risk, m.route, g))
    G = max(m.gain for m in cands)
    tol = risk_rtol * G
    best = max(cands, key=lambda m: m.gain)
    # prefer the curve's representative when it is at the global value (most accurate)
    if curve.best is not None and curve.best.gain >= G - tol:
        best = Minimum(curve.best.omega, curve.best.risk, "curve", curve.best.gain)
    w = normalise(best.omega, r)
    P = np.asarray(preconditioner(model, w), dtype=np.float64)

    # route agreement (gains are scale-free; risk_diff = ρ²(G − gain) is the exact risk difference)
    notes: list[str] = []
    ok = True

    def agree(name: str, wv: np.ndarray | None, g: float) -> RouteAgreement:
        nonlocal ok
        if wv is None or not np.isfinite(g):
            ok = False
            notes.append(f"{name}: no result")
            return RouteAgreement(None, None, None)
        rel = (G - g) / G
        od = quotient_distance(wv, w, r)
        if abs(rel) > risk_rtol or od > omega_tol:
            ok = False
            notes.append(f"{name}: relative value diff {rel:.3g}, ω distance {od:.3g}")
        return RouteAgreement(rho**2 * (G - g), rel, od)

    agreement = {
        "curve": agree(
            "curve", curve.best.omega if curve.best else None, curve.best.gain if curve.best else np.nan
        ),
        "multistart": agree("multistart", ms.omega, ms.gain),
    }
    if use_cvxpy:
        agreement["cvxpy"] = agree("cvxpy", scal.omega if scal else None, scal.gain if scal else np.nan)
        if scal is not None and not scal.certified:
            ok = False
            notes.append("cvxpy: a solve was not 'optimal'")
    # the Hessian of L* on ω^⊥ ⊂ ℝⁿ, structured (unit r: the spectrum of L* divided by ρ²)
    spec = restricted_spectrum_structured(model, w, ru)
    hmin = spec.min if spec.size else float("inf")
    hscale = spec.max_abs if spec.size else 1.0
    hpp = hpp_min_eigenvalue(model, w)
    gPn, gwn = full_gradient_norms(model, P / rho, w, ru)
    grad_norm = float(np.hypot(gPn, gwn))
    g0P, g0w = full_gradient_norms(model, np.zeros_like(P), w, ru)  # gradient scale at P = 0
    grad_scale = float(np.hypot(g0P, g0w)) + 1e-300
    stationary_ok = grad_norm <= 1e-7 * grad_scale
    if not stationary_ok:
        ok = False
        notes.append(
            f"(P*(ω), ω) is not stationary for L(P, ω): relative ‖∇L‖ = {grad_norm / grad_scale:.3g}"
        )
    full_spec = None
    if model.d * model.d + model.n <= full_hessian_max:
        from .dense import restricted_full_spectrum

        fs = restricted_full_spectrum(model, P, w)
        full_spec = {"min": float(fs[0]), "max": float(fs[-1])}
    # strict local minima on the quotient that are not global: from the curve classification and multistart
    locals_ = [Minimum(p.omega, p.risk, "curve-stationary", p.gain) for p in curve.stationary if p.local_min]
    for i, (wi, rk, g) in enumerate(zip(ms.omegas, ms.risks, ms.gains, strict=True)):
        pd = restricted_spectrum_structured(model, wi, ru).min > hess_rtol * hscale
        if ms.grad_norms[i] <= 1e-9 * G and pd:
            locals_.append(Minimum(wi, rk, f"multistart[{i}]", g))
    dec = decide_uniqueness(
        cands,
        r,
        hmin,
        hscale,
        locals_,
        risk_rtol,
        omega_tol,
        hess_rtol,
        routes_ok=ok,
        route_note="; ".join(notes),
    )
    if not stationary_ok and dec.verdict == "inconclusive":
        dec = UniquenessDecision(
            "refuted",
            notes[-1],
            {"omega": w.tolist(), "P": P.tolist(), "grad_norm_relative": grad_norm / grad_scale},
        )
    cvx = None
    if scal is not None and scal.solution is not None:
        sol = scal.solution
        cvx = CvxpyCertificate(
            status=sol.status,
            theta=sol.theta,
            kkt_residual=sol.kkt_residual,
            duality_gap=sol.duality_gap,
            solves=len(scal.solves),
            all_optimal=scal.all_optimal,
        )
    cert = Certificate(
        routes=agreement,
        distinct_minima=DistinctMinima(
            curve_local_minima=len(curve.local_minima),
            curve_stationary_points=len(curve.stationary),
            curve_h_minima=len(curve.h_minima),
            multistart_classes=len(distinct_minima([Minimum(x, 0.0, "m") for x in ms.omegas], r, omega_tol)),
        ),
        gradient_norm=grad_norm * rho**2,
        gradient_relative=grad_norm / grad_scale,
        hessian=HessianCertificate(
            profile_restricted_min=hmin * rho**2,
            profile_restricted_max=hscale * rho**2,
            H_PP_min=hpp,
            restricted_min_relative=hmin / max(hscale, 1e-300),
            full_restricted=full_spec,
            within_block_eigenvalue=spec.bulk * rho**2,
            within_block_multiplicity=spec.bulk_multiplicity,
        ),
        gamma_bracket=gamma_bracket(model),
        single_ray=curve.single_ray,
        r_scale=rho,
        multistart=MultistartCertificate(
            starts=len(ms.risks),
            relative_spread=ms.spread,
            max_grad_norm_unit_r=float(np.max(ms.grad_norms)),
        ),
        tolerances={"risk_rtol": risk_rtol, "omega_tol": omega_tol, "hess_rtol": hess_rtol},
        cvxpy=cvx,
    )
    gamma = curve.best.gamma if curve.best is not None and best.route == "curve" else float("nan")
    return LandscapeResult(
        risk=float(model.s - rho**2 * profile_gain(model, w, ru)),
        omega=w,
        P=P,
        gamma=gamma,
        verdict=dec.verdict,
        reason=dec.reason,
        cert=cert,
        counterexample=dec.counterexample,
        curve=curve,
        scalarised=scal,
        multistart=ms,
    )
