"""Best one-layer risk of each gate class (A3), block-reduced and certified on all n weights.

``L*`` is homogeneous of degree 0 and even, so ``min`` over a realisable cone is ``min`` over
``{cone, rᵀω = ±1}``. ``L*`` depends on ω through ``(rᵀω, a, b)`` and falls in ``a`` and in ``b``, so the
minimiser is Pareto-minimal for ``(a, b)`` on that convex set; the linearisation of ``L*`` there is
``F₃ a + F₂ b ∝ ωᵀ(R + γ*I)ω`` with ``γ* = 1 + s F₂/F₃ ∈ [1 + s/λ_max, 1 + s/λ_min]``: ω solves the cone
QP ``min ωᵀ(R + γ*I)ω, r̂ᵀω = ±1`` at its own γ*. For ``Σ = λI`` the interval is the point ``1 + s/λ``.

Route: :mod:`.reduced` (K block variables, exact NNLS solves, fixed points of ``γ ↦ Γ(ω(γ))`` by Brent).
Certificate (:class:`ClassCertificate`): the reduced QP's KKT residual and duality gap, the fixed-point
residual, and the KKT conditions of ``min L*`` on the *full* n-dimensional cone built independently from
the class's gate products (:mod:`.certificate`), plus membership of the returned ω. The dense n-variable
route is kept as the slow reference in :mod:`.dense`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..closed_forms import optimal_preconditioner, profile_risk, risk_coefficients
from ..errors import InputError
from ..model import DataModel
from ..tolerances import CERT_TOL, FIXED_POINT_TOL, MEMBERSHIP_TOL
from .certificate import ConeKKT, cone_kkt_certificate
from .reduced import REDUCED_KINDS, BlockReduction, ReducedSolution, reduced_class_optimum, reduced_cone
from .sets import is_realisable


@dataclass(frozen=True)
class ClassCertificate:
    """Why a class optimum is believed: every field is a residual that a wrong point makes large.

    ``kkt`` / ``duality_gap``: the reduced cone QP at the reported γ (exact NNLS, ~1e-15);
    ``fixed_point``: ``|γ − Γ(ω)|/γ``; ``cone``: KKT of ``min L*`` on the full cone from gate products;
    ``realisable``: ω lies in the class's realisable set (``MEMBERSHIP_TOL``); ``roots`` / ``grid_size``:
    the γ search (fixed points found, grid points); ``objective``: the largest relative difference between
    the optimiser's K-variable gain and the closed-form gain ``(s − L*(E u))/ρ²`` on all n weights over the
    fixed points found; ``ranking``: how much smaller the winner's closed-form gain is than the best
    candidate's, relative (0 when the search kept the best fixed point). See :func:`objective_residuals`."""

    kkt: float
    duality_gap: float
    fixed_point: float
    cone: ConeKKT
    realisable: bool
    roots: int
    grid_size: int
    tolerance: float
    objective: float = 0.0
    ranking: float = 0.0

    @property
    def ok(self) -> bool:
        return bool(
            self.kkt <= self.tolerance
            and self.duality_gap <= self.tolerance
            and self.fixed_point <= FIXED_POINT_TOL
            and self.cone.residual <= self.tolerance
            and self.realisable
            and self.objective <= self.tolerance
            and self.ranking <= self.tolerance
        )

    def __getitem__(self, key: str) -> float:
        """Read access by the old dict keys (``ok``, ``kkt``, ``cone_kkt``, ...) for callers on other
        branches; new code reads attributes."""
        return self.to_dict()[key]

    def to_dict(self) -> dict[str, float]:
        """The JSON form (the keys the A3 check and the tables print)."""
        return {
            "kkt": self.kkt,
            "duality_gap": self.duality_gap,
            "fixed_point": self.fixed_point,
            "cone_kkt": self.cone.residual,
            "cone_stationarity": self.cone.stationarity,
            "cone_complementarity": self.cone.complementarity,
            "cone_feasibility": self.cone.feasibility,
            "cone_active": float(self.cone.active),
            "realisable": float(self.realisable),
            "roots": float(self.roots),
            "grid_size": float(self.grid_size),
            "objective": self.objective,
            "ranking": self.ranking,
            "tolerance": self.tolerance,
            "ok": float(self.ok),
        }


@dataclass(frozen=True, eq=False)
class ClassOptimum:
    """Best one-layer risk of a gate class (A3), with its certificate.

    ``omega`` is normalised (``max|ω| = 1``, ``rᵀω ≥ 0``); ``P = P*(ω)`` (R3); ``gamma`` the QP parameter at
    the optimum (a fixed point ``γ = Γ(ω)``; NaN for LinAtt); ``sign`` the winning normalisation
    ``r̂ᵀω = ±1`` of the search."""

    kind: str
    risk: float
    omega: np.ndarray
    P: np.ndarray
    gamma: float
    sign: int
    certificate: ClassCertificate
    method: str = ""

    @property
    def certified(self) -> bool:
        return self.certificate.ok

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "risk": self.risk,
            "omega": self.omega.tolist(),
            "gamma": self.gamma,
            "sign": self.sign,
            "certified": self.certified,
            "certificate": self.certificate.to_dict(),
            "method": self.method,
        }


def fixed_point_gamma(model: DataModel, omega: np.ndarray) -> float:
    """``1 + s F₂/F₃`` at ω (R4's fixed point; the first-order condition on a cone, too), in O(nK)."""
    from ..closed_forms import risk_coefficients

    co = risk_coefficients(model, omega)
    lam = model.eigenvalues
    den = (co.a * lam + co.b) ** 2
    return 1.0 + model.s * float(np.sum(lam**2 / den)) / float(np.sum(lam**3 / den))


def objective_residuals(
    model: DataModel, red: BlockReduction, candidates: tuple[ReducedSolution, ...], winner: ReducedSolution
) -> tuple[float, float]:
    """``(objective, ranking)`` of :class:`ClassCertificate`, both relative and scale-free in r.

    ``objective``: the largest relative difference, over every candidate fixed point, between the reduced
    gain ``BlockReduction.gain(u)`` and the same gain from the closed forms on all n weights,
    ``(r̂ᵀω)² Σ_k λ_k²/(aλ_k + b)`` with ``(rᵀω, a, b)`` of R1's ``risk_coefficients`` at ``ω = E u`` and
    ``r̂ = r/max|r|`` (the gain ``s − L*`` divided by ``ρ²``: no subtraction from ``s``, no underflow at a
    tiny r). ``ranking``: how much smaller the winner's closed-form gain is than the best candidate's,
    relative. A wrong gain (it only ranks the roots) shows in the first even when it keeps the same winner."""
    sols = [c for c in candidates if c.u is not None] or [winner]
    lam, rho = model.eigenvalues, red.rho

    def closed_form_gain(u: np.ndarray) -> float:
        co = risk_coefficients(model, red.lift(u))
        return float((co.rw / rho) ** 2 * np.sum(lam**2 / (co.a * lam + co.b)))

    gains, objective = [], 0.0
    for sol in sols:
        g_cf, g_red = closed_form_gain(sol.u), float(red.gain(sol.u))
        gains.append(g_cf)
        objective = max(objective, abs(g_red - g_cf) / max(abs(g_cf), abs(g_red), 1e-300))
    best = closed_form_gain(winner.u)
    top = max(gains)
    ranking = max((top - best) / top, 0.0) if top > 0 else 0.0
    return float(objective), float(ranking)


def _normalise(omega: np.ndarray, r: np.ndarray) -> np.ndarray:
    """``max|ω| = 1`` and ``rᵀω ≥ 0`` (first nonzero entry > 0 when ``rᵀω = 0``)."""
    w = omega / float(np.max(np.abs(omega)))
    rw = float(r @ w)
    if abs(rw) > 1e-14 * float(np.linalg.norm(r)) * float(np.linalg.norm(w)):
        return w if rw > 0 else -w
    nz = w[np.abs(w) > 1e-12]
    return w if nz.size == 0 or nz[0] > 0 else -w


def constrained_optimum(
    model: DataModel,
    kind: str,
    tol: float = CERT_TOL,
    drop_constraint: int | None = None,
    flip_constraint: int | None = None,
) -> ClassOptimum:
    """A3: ``min L*(ω)`` over the realisable cone of ``kind`` (``free``, ``delimiter``, ``linatt``, or
    ``unconstrained`` for WPGD), both signs ``rᵀω = ±1``, in O(nK + K³·grid + d³).

    The ``free`` class has the same optimum as the ``delimiter`` class (block reduction, docs/gating.md);
    its certificate still checks KKT on the full monotone cone of all n weights. ``drop_constraint`` /
    ``flip_constraint`` (tests only) plant an error in the optimiser's reduced cone builder; the
    certificate, built from gate products, must then fail whenever the planted row matters."""
    if kind not in REDUCED_KINDS:
        raise InputError("kind", f"must be one of {', '.join(REDUCED_KINDS)}", kind)
    red = BlockReduction.of(model)
    if kind == "linatt":
        w = np.ones(model.n)
        cone = cone_kkt_certificate(model, w, "linatt")
        cert = ClassCertificate(0.0, 0.0, 0.0, cone, True, 1, 1, tol)
        return ClassOptimum(
            "linatt", profile_risk(model, w), w, optimal_preconditioner(model, w), float("nan"), 1, cert,
            "closed form (the set is one ray)",
        )  # fmt: skip
    cone_red = reduced_cone(kind, red.K, drop_constraint, flip_constraint)
    search = reduced_class_optimum(red, cone_red)
    sol = search.solution
    omega = _normalise(red.lift(sol.u), model.r)
    cone = cone_kkt_certificate(model, omega, kind)
    member = kind == "unconstrained" or is_realisable(omega, kind, model, tol=MEMBERSHIP_TOL)
    objective, ranking = objective_residuals(model, red, search.candidates, sol)
    cert = ClassCertificate(
        kkt=float(sol.kkt),
        duality_gap=float(sol.gap),
        fixed_point=float(search.fixed_point),
        cone=cone,
        realisable=bool(member),
        roots=search.roots,
        grid_size=search.grid_size,
        tolerance=tol,
        objective=objective,
        ranking=ranking,
    )
    iso = search.grid_size == 1
    method = (
        "block-reduced: one exact cone QP at gamma = 1 + s/lambda (isotropic)"
        if iso
        else "block-reduced: exact cone QPs in K block values, fixed points of gamma by Brent"
    )
    return ClassOptimum(
        kind,
        float(profile_risk(model, omega)),
        omega,
        optimal_preconditioner(model, omega),
        float(sol.gamma),
        int(sol.sign),
        cert,
        method,
    )


def linatt_risk(model: DataModel) -> float:
    """``min_P L(P, 1)``: linear attention with the best preconditioner (A4)."""
    return profile_risk(model, np.ones(model.n))
