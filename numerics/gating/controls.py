"""Run-time controls of the gate-class certificate (A3, A4, A6; docs/gating.md, docs/reliability.md).

On a model where the class attains the WPGD optimum (the default model), ``∇L* = 0`` at the class optimum:
every KKT multiplier is 0 whatever the cone's rows or the order of the summation, so the certificate's
multipliers and its equality rows decide nothing there. These controls run the same certificate code on
small planted cases whose answer is known, before any verdict; a control that comes out wrong is an error
of the tool (the A3/A4/A6 checks then report a tool error), never a finding about the theory.

``active-face`` (a model, known answer): ``Σ = I₂``, two blocks of 2, star tasks with *decreasing*
``ρ = (0.9, 0.3)``, ``σ² = 0.1``. For ``Σ = λI``, ``L* = s − dλ(rᵀω)²/(ωᵀ(R + γI)ω)`` with ``γ = 1 + s/λ``;
on ``{rᵀω > 0}`` the quotient is quasi-concave (its super-level sets ``{rᵀω ≥ t‖ω‖_Q}`` are convex cones).
With block values ``u = (t, 1)`` its maximiser is the unconstrained ``t* = u*₁/u*₂``, and ``t* > 1`` here
(checked at run time: the precondition of the known answer), so over the cone ``0 ≤ t ≤ 1`` the quotient
rises up to ``t = 1``: the delimiter and free class optimum is the uniform ω, the between-block row is
active and its multiplier is positive. The control requires: the optimiser returns ω = 1 and certifies it
with an active row of positive multiplier; each multiplier equals, independently, the central finite
difference of R3's ``profile_risk`` along the cone generator of its row (``1_{j ≥ i}``: raise every weight
from i on, the literal meaning of ``μ = A^{-T}∇L*``); a feasible non-optimal point (``u = (½, 1)``) is
rejected.

``pinned-gates`` (planted multipliers, no model optimum): on the same layout the certificate's row kinds
(from gate products) must be the model's block layout (row i an equality iff examples i−1 and i share a
block); at ω = 1 with the planted gradient ``Aᵀμ`` (``A`` typed literally as the bidiagonal matrix of the
rows), ``μ = (0, −0.4, 0.7, −0.3)`` — negative on the two pinned within-block rows — the delimiter cone
must accept (a pinned gate's multiplier is free) and report the planted ``min μ = 0.7`` of its active
inequality row, the free cone must reject; and the monotone but not block-constant ``ω = (0.2, 0.4, 0.7,
1)`` with zero gradient is accepted by the free cone and rejected (infeasible) by the delimiter cone.

Cost: two exact 2-variable cone QPs and a few O(n) certificates on n = 4 (a few ms).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from ..closed_forms import profile_risk
from ..model import DataModel
from ..tolerances import CERT_TOL, CONTROL_FD_TOL
from . import certificate as cert  # read at call time: the controls examine the certificate code as it is

if TYPE_CHECKING:
    from .optima import ClassOptimum

#: the class-optimum function the ``active-face`` control runs (``constrained_optimum(model, kind)``)
OptimumFn = Callable[[DataModel, str], "ClassOptimum"]

#: the planted multipliers of the ``pinned-gates`` control (rows of ω = 1 on blocks (2, 2))
PLANTED_MU = (0.0, -0.4, 0.7, -0.3)
#: central finite-difference step of the multiplier control (truncation ~1e-10, round-off ~1e-11)
FD_STEP = 1e-5
#: agreement of the certificate's multipliers with the finite differences (relative to the gradient scale)
FD_TOL = CONTROL_FD_TOL


@dataclass(frozen=True)
class ControlOutcome:
    """One control: what was expected, what came out, and whether they agree."""

    name: str
    expected: str
    observed: str
    ok: bool


@dataclass(frozen=True)
class ControlReport:
    """All certificate controls; ``failures`` names the ones that came out wrong (a tool error)."""

    outcomes: tuple[ControlOutcome, ...] = field(default_factory=tuple)

    @property
    def failures(self) -> tuple[str, ...]:
        return tuple(f"{o.name}: expected {o.expected}, got {o.observed}" for o in self.outcomes if not o.ok)

    @property
    def ok(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "controls": [
                {"name": o.name, "expected": o.expected, "observed": o.observed, "ok": o.ok}
                for o in self.outcomes
            ],
        }


def control_model() -> DataModel:
    """The planted model of the controls: ``Σ = I₂``, blocks (2, 2), star ``ρ = (0.9, 0.3)``, ``σ² = 0.1``."""
    rho = np.array([0.9, 0.3])
    corr = np.eye(3)
    corr[:2, :2] = np.outer(rho, rho) + np.diag(1.0 - rho**2)
    corr[:2, 2] = corr[2, :2] = rho
    return DataModel.create(np.eye(2), corr, (2, 2), 0.1, family="star")


def literal_rows(n: int) -> np.ndarray:
    """The n×n matrix ``A`` of the cone rows typed literally: ``(Aω)_1 = ω_1``, ``(Aω)_i = ω_i − ω_{i−1}``."""
    A = np.eye(n)
    A[np.arange(1, n), np.arange(n - 1)] = -1.0
    return A


def _fd_multipliers(model: DataModel, omega: np.ndarray, rho2: float, scale: float) -> np.ndarray:
    """``μ_i`` by central differences of ``profile_risk`` along the generator ``1_{j ≥ i}`` of row i, in the
    certificate's units (``∇L*/ρ²``, divided by its ``scale``)."""
    n = omega.size
    out = np.empty(n)
    for i in range(n):
        e = np.zeros(n)
        e[i:] = 1.0
        up = profile_risk(model, omega + FD_STEP * e)
        down = profile_risk(model, omega - FD_STEP * e)
        out[i] = (up - down) / (2 * FD_STEP) / rho2 / scale
    return out


def _active_face(optimum: OptimumFn | None) -> list[ControlOutcome]:
    from .optima import constrained_optimum
    from .reduced import BlockReduction, solve_unconstrained

    model = control_model()
    red = BlockReduction.of(model)
    gamma = 1.0 + model.s / float(model.eigenvalues[0])
    u_star = solve_unconstrained(red, gamma).u
    t_star = float(u_star[0] / u_star[1]) if u_star[1] > 0 else float("nan")
    out = [ControlOutcome("active-face: precondition", "unconstrained block ratio t* > 1",
                          f"t* = {t_star:.6g}", bool(t_star > 1.0))]  # fmt: skip
    optimum = optimum if optimum is not None else constrained_optimum
    for kind in ("delimiter", "free"):
        co = optimum(model, kind)
        cone = co.certificate.cone
        dev = float(np.max(np.abs(co.omega - 1.0)))
        out.append(ControlOutcome(
            f"active-face ({kind}): optimum",
            "uniform omega, certified, an active row with multiplier > 0",
            f"max|omega - 1| = {dev:.3g}, cone residual {cone.residual:.3g}, active {cone.active}, "
            f"min multiplier {cone.min_multiplier:.6g}",
            bool(dev <= 1e-9 and co.certificate.cone.residual <= CERT_TOL and cone.active >= 1
                 and cone.min_multiplier > 0.0),
        ))  # fmt: skip
    w = cert.orient(np.ones(model.n), cert.gate_step_kinds("delimiter", model))
    grad, scale = cert.profile_gradient_parts(model, w)
    mu = cert.cone_multipliers(grad, scale)
    rho2 = float(np.max(np.abs(model.query_corr))) ** 2
    fd = _fd_multipliers(model, w, rho2, scale)
    err = float(np.max(np.abs(mu - fd)))
    out.append(ControlOutcome(
        "active-face: multipliers", f"mu = finite differences along the cone generators (within {FD_TOL:g})",
        f"max |mu - fd| = {err:.3g} (mu = {np.round(mu, 9).tolist()})", bool(err <= FD_TOL),
    ))  # fmt: skip
    off = cert.cone_kkt_certificate(model, red.lift(np.array([0.5, 1.0])), "delimiter")
    out.append(ControlOutcome(
        "active-face: non-optimal point u = (1/2, 1)", f"rejected (residual > {CERT_TOL:g})",
        f"residual {off.residual:.3g}", bool(off.residual > CERT_TOL),
    ))  # fmt: skip
    return out


def _pinned_gates() -> list[ControlOutcome]:
    model = control_model()
    n = model.n
    idx = model.block_index
    layout = np.array(["ineq"] + ["eq" if idx[i] == idx[i - 1] else "ineq" for i in range(1, n)])
    kinds_del = cert.gate_step_kinds("delimiter", model)
    kinds_free = cert.gate_step_kinds("free", model)
    out = [ControlOutcome(
        "pinned-gates: delimiter rows", f"{layout.tolist()} (the block layout)", str(kinds_del.tolist()),
        bool(np.array_equal(kinds_del, layout)),
    )]  # fmt: skip
    mu = np.array(PLANTED_MU)
    w = np.ones(n)
    grad = literal_rows(n).T @ mu
    acc = cert.cone_kkt_from_gradient(w, grad, 1.0, kinds_del)
    out.append(ControlOutcome(
        "pinned-gates: planted multipliers, delimiter cone",
        f"accepted with min multiplier {max(PLANTED_MU):g}",
        f"residual {acc.residual:.3g}, min multiplier {acc.min_multiplier:.6g}",
        bool(acc.residual <= 1e-12 and abs(acc.min_multiplier - max(PLANTED_MU)) <= 1e-12),
    ))  # fmt: skip
    rej = cert.cone_kkt_from_gradient(w, grad, 1.0, kinds_free)
    out.append(ControlOutcome(
        "pinned-gates: planted multipliers, free cone", "rejected (negative multiplier on an active row)",
        f"residual {rej.residual:.3g}", bool(rej.residual >= 0.3 - 1e-12),
    ))  # fmt: skip
    ramp = np.array([0.2, 0.4, 0.7, 1.0])
    free_ok = cert.cone_kkt_from_gradient(ramp, np.zeros(n), 1.0, kinds_free)
    del_no = cert.cone_kkt_from_gradient(ramp, np.zeros(n), 1.0, kinds_del)
    out.append(ControlOutcome(
        "pinned-gates: non-block-constant point",
        "free cone accepts, delimiter cone rejects it as infeasible",
        f"free residual {free_ok.residual:.3g}, delimiter feasibility {del_no.feasibility:.3g}",
        bool(free_ok.residual <= 1e-12 and del_no.feasibility >= 0.2 - 1e-12),
    ))  # fmt: skip
    return out


def certificate_controls(optimum: OptimumFn | None = None) -> ControlReport:
    """Run every certificate control (cached per process when ``optimum`` is the default).

    ``optimum`` (tests only) replaces :func:`.optima.constrained_optimum` in the ``active-face`` control."""
    if optimum is None:
        return _cached_controls()
    return ControlReport(tuple(_active_face(optimum) + _pinned_gates()))


@lru_cache(maxsize=1)
def _cached_controls() -> ControlReport:
    return ControlReport(tuple(_active_face(None) + _pinned_gates()))
