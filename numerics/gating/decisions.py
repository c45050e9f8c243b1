"""One decision per question (A3, A4): the WPGD optimum, the LinAtt optimum and "does a class attain WPGD".

The A3/A4 checks, the tables producers, the ``glaverify landscape`` gating sections and training all ask
these questions; they all call the functions here, with the tolerances of
:mod:`glaverify.numerics.tolerances`, so a table cell and the check for the same claim cannot disagree.

* :func:`wpgd_optimum` — the WPGD optimum (R4/R6) is the landscape's
  :func:`~glaverify.numerics.landscape.certify` (three routes, uniqueness certificate), typed.
* :func:`linatt_optimum` — the best LinAtt predictor ``P*(1)`` (R3) with its own certificate.
* :func:`attainment` — the class optimum's *gain* ``s − L*`` is within ``ATTAINS_RTOL`` (relative) of the
  WPGD optimum's gain; the membership of ω* in the class's realisable set (``MEMBERSHIP_TOL``) is the
  second, independent criterion, and the two must agree (A3: the class attains WPGD iff the WPGD optimum
  is realisable, since the optimum is unique).

Why the gain and not the risk: the weights change the risk only by the gain
``s − L*(ω) = (rᵀω)² Σ_k λ_k²/(aλ_k + b)``, which is of order ``|r|²``. A gap compared with the risk
(``ATTAINS_RTOL·max(1, |L|)``) is blind when ``|r|`` is small: at ``ρ = (2⁻¹¹, 0)`` (d = 1, blocks (1, 1),
σ² = 0) the gap is 4e-8 — 15 % of the gain — and a risk-sized rule said "attains" while ω* is not
realisable (docs/findings.md). The gains are computed from ω by the closed form without subtracting from
``s`` (no cancellation), so their ratio is accurate to round-off at every scale of ``r`` and the decision is
invariant under ``r → c·r``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import closed_forms as cf
from ..model import DataModel
from ..tolerances import ATTAINS_RTOL, LINATT_TOL, MEMBERSHIP_TOL
from .sets import is_realisable


@dataclass(frozen=True, eq=False)
class WPGDOptimum:
    """The certified WPGD optimum from :func:`~glaverify.numerics.landscape.certify`.

    ``certificate`` is certify's JSON certificate (a dict at that boundary); ``relative_spread`` its
    multistart spread (``None`` when certify did not run the multistart route)."""

    risk: float
    omega: np.ndarray
    P: np.ndarray
    gamma: float
    verdict: str
    reason: str
    certificate: dict
    counterexample: object
    relative_spread: float | None
    source: str = "numerics.landscape.certify"

    @property
    def certified(self) -> bool:
        return self.verdict == "certified"


def wpgd_optimum(model: DataModel, rng: np.random.Generator | None = None, starts: int = 6,
                 scalarised: object | None = None) -> WPGDOptimum:
    """R4/R6: the WPGD global minimum, from the one entry point ``numerics.landscape.certify``
    (``scalarised``: its cvxpy route when the caller has it already, see
    :func:`~glaverify.numerics.landscape.certify`)."""
    from .. import landscape

    res = landscape.certify(model, rng=rng if rng is not None else np.random.default_rng(0), starts=starts,
                            scalarised=scalarised)
    return wpgd_from_certify(res)


def wpgd_from_certify(res: object) -> WPGDOptimum:
    """Type a ``certify`` result (its ``certificate`` stays the JSON dict certify writes)."""
    cert = getattr(res, "certificate", None) or {}
    cert = dict(cert) if isinstance(cert, dict) else {}
    ms = cert.get("multistart") if isinstance(cert.get("multistart"), dict) else {}
    spread = ms.get("relative_spread") if ms else None
    verdict = res.verdict
    return WPGDOptimum(
        risk=float(res.risk),
        omega=np.asarray(res.omega, dtype=np.float64),
        P=np.asarray(res.P, dtype=np.float64),
        gamma=float(res.gamma),
        verdict=str(getattr(verdict, "value", verdict)),
        reason=str(getattr(res, "reason", "")),
        certificate=cert,
        counterexample=getattr(res, "counterexample", None),
        relative_spread=None if spread is None else float(spread),
    )


@dataclass(frozen=True, eq=False)
class LinAttOptimum:
    """A4/R3: the best LinAtt predictor. LinAtt realises ω ∝ 1 only; with R2 the scale goes into P, so the
    optimum is ``P*(1)``. ``omega`` is ``1/(rᵀ1)`` (the scale that makes ``P*`` the R3 form at ω = 1)."""

    risk: float
    P: np.ndarray
    omega: np.ndarray
    stationarity: float
    r1_vs_r3: float
    hessian_min_eig: float
    tolerance: float

    @property
    def ok(self) -> bool:
        return bool(
            self.stationarity <= self.tolerance
            and self.r1_vs_r3 <= self.tolerance
            and self.hessian_min_eig > 0
        )

    @property
    def residuals(self) -> dict[str, float]:
        return {
            "stationarity": self.stationarity,
            "r1_vs_r3": self.r1_vs_r3,
            "hessian_min_eig": self.hessian_min_eig,
        }


def linatt_optimum(model: DataModel, tolerance: float = LINATT_TOL) -> LinAttOptimum:
    """A4/R3: LinAtt's optimum ``P*(1)``. Certificate (could fail): the gradient of the R1 risk in P,
    ``−2(rᵀω)Σ² + 2ΣPM``, vanishes at ``P*(1)`` (relative residual), the Hessian ``M ⊗ Σ`` is positive
    definite (min eigenvalue > 0), so the stationary point is the global minimum over P; and R1 at ``P*(1)``
    equals the R3 profile value."""
    omega = np.ones(model.n)
    co = cf.risk_coefficients(model, omega)
    P = cf.optimal_preconditioner(model, omega)  # looked up at call time: a planted error must show
    sig = model.sigma
    sig2 = sig @ sig
    M = co.a * sig2 + co.b * sig
    grad = -2.0 * co.rw * sig2 + 2.0 * sig @ P @ M
    scale = max(float(np.linalg.norm(2.0 * co.rw * sig2)), 1e-300)
    risk_r1 = cf.wpgd_risk(model, P, omega)
    risk_r3 = cf.profile_risk(model, omega)
    return LinAttOptimum(
        risk=risk_r3,
        P=P,
        omega=omega / co.rw if co.rw != 0 else omega,
        stationarity=float(np.linalg.norm(grad)) / scale,
        r1_vs_r3=abs(risk_r1 - risk_r3) / max(abs(risk_r3), 1e-300),
        hessian_min_eig=float(np.linalg.eigvalsh(0.5 * (M + M.T)).min() * model.eigenvalues.min()),
        tolerance=tolerance,
    )


def attains_wpgd(class_risk: float, wpgd_risk_value: float, rtol: float = ATTAINS_RTOL) -> bool:
    """Risk-sized comparison ``L_class − L_WPGD ≤ rtol · max(1, |L_WPGD|)`` (``ATTAINS_RTOL``), for callers
    that have risks only (the vector-gate section). It is blind when ``|r|`` is small; the A3 decision is
    :func:`attains_by_gain` (see the module docstring)."""
    return bool(class_risk - wpgd_risk_value <= rtol * max(1.0, abs(wpgd_risk_value)))


def optimum_gain(model: DataModel, omega: np.ndarray) -> float:
    """R3's gain ``s − L*(ω) = (rᵀω)² Σ_k λ_k²/(aλ_k + b)`` from ω, without subtracting from ``s`` (0 at
    ω = 0)."""
    co = cf.risk_coefficients(model, omega)
    if co.a <= 0.0:
        return 0.0
    lam = model.eigenvalues
    return float(co.rw**2 * np.sum(lam**2 / (co.a * lam + co.b)))


def attains_by_gain(gain_class: float, gain_wpgd: float, rtol: float = ATTAINS_RTOL) -> bool:
    """A3 "the class attains WPGD": ``g_WPGD − g_class ≤ rtol · g_WPGD`` for the gains ``g = s − L*`` of the
    two optima (scale-free in r; with ``g_WPGD = 0``, i.e. r = 0, every ω is optimal: the class attains)."""
    return bool(gain_wpgd - gain_class <= rtol * gain_wpgd)


@dataclass(frozen=True)
class Attainment:
    """A3 for one class: the risk criterion, the membership criterion, and whether they agree."""

    attains: bool
    gap: float
    omega_star_realisable: bool
    #: ``(g_WPGD − g_class)/g_WPGD`` for the gains ``g = s − L*`` (what :func:`attains_by_gain` decides on)
    gain_gap: float = float("nan")

    @property
    def agree(self) -> bool:
        return self.attains == self.omega_star_realisable


def attainment(
    model: DataModel,
    kind: str,
    class_risk: float,
    wpgd_risk_value: float,
    omega_star: np.ndarray,
    omega_class: np.ndarray | None = None,
    rtol: float = ATTAINS_RTOL,
) -> Attainment:
    """Both A3 criteria for ``kind`` from the class optimum and the WPGD optimum (risk, ω*).

    The risk criterion decides on the gains ``s − L*`` of ``omega_class`` and ``omega_star``
    (:func:`attains_by_gain`); when ``omega_class`` is not given it is the certified class optimum of
    :func:`.optima.constrained_optimum` (a reduced solve). ``gap`` is ``class_risk − wpgd_risk_value``."""
    member = kind in ("unconstrained",) or is_realisable(omega_star, kind, model, tol=MEMBERSHIP_TOL)
    if omega_class is None:
        from .optima import constrained_optimum

        omega_class = constrained_optimum(model, kind).omega
    g_class, g_wpgd = optimum_gain(model, omega_class), optimum_gain(model, omega_star)
    return Attainment(
        attains=attains_by_gain(g_class, g_wpgd, rtol),
        gap=float(class_risk - wpgd_risk_value),
        omega_star_realisable=bool(member),
        gain_gap=float((g_wpgd - g_class) / g_wpgd) if g_wpgd > 0 else 0.0,
    )


def attains(
    model: DataModel, kind: str, tol: float = ATTAINS_RTOL, rng: np.random.Generator | None = None
) -> dict:
    """A3 criterion, both ways, for one model: the class optimum (block-reduced) against the WPGD optimum
    (:func:`wpgd_optimum`; its multistart generator is ``rng``, by default the fixed seed 0).
    Returns both answers and the numbers behind them (JSON-ready)."""
    from .optima import constrained_optimum

    wp = wpgd_optimum(model, rng)
    co = constrained_optimum(model, kind)
    att = attainment(model, kind, co.risk, wp.risk, wp.omega, omega_class=co.omega, rtol=tol)
    return {
        "wpgd_risk": wp.risk,
        "class_risk": co.risk,
        "gap": att.gap,
        "gain_gap": att.gain_gap,
        "attains": att.attains,
        "omega_star_realisable": att.omega_star_realisable,
        "omega_star": wp.omega,
        "omega_class": co.omega,
    }
