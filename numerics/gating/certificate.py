"""The certificate of a gate-class optimum on all n weights, built independently of the optimiser (A3).

The optimiser (:mod:`.reduced`) builds its reduced cone once, from the monotone rows on K block values.
This module does not use that builder. It derives the realisable cone literally from the gate products of
the class (:func:`.sets.weights_from_gates`): one-layer weights satisfy ``ω_i = g_{i+1} ω_{i+1}``, so the
constraint between neighbours ``i`` and ``i+1`` is an inequality ``0 ≤ ω_i ≤ ω_{i+1}`` when the gate
``g_{i+1}`` ranges over ``[0, 1]`` and an equality ``ω_i = ω_{i+1}`` when the class pins it to 1 (data
tokens of the delimiter class, every token of LinAtt). :func:`gate_step_kinds` reads which one from the
products of probe gates (a ratio exactly 1 means pinned); row 0 is ``ω_1 ≥ 0`` (gates are ≥ 0).

With ``A`` the n×n bidiagonal matrix of those rows (``(Aω)_1 = ω_1``, ``(Aω)_i = ω_i − ω_{i−1}``), the
cone is ``{A_ineq ω ≥ 0, A_eq ω = 0}``. ``A`` is invertible, so the KKT multipliers of
``∇L*(ω) = Aᵀμ`` are unique: ``μ = A^{-T} ∇L*``, i.e. the suffix sums ``μ_i = Σ_{j≥i} ∂_j L*``. KKT holds
iff ``μ_i ≥ 0`` on active inequality rows, ``μ_i = 0`` on inactive ones, and ``μ_i`` is free on equality
rows. Everything is O(n) after the O(nK) gradient: no n×n matrix is formed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..model import DataModel
from ..tolerances import ACTIVE_TOL
from .sets import weights_from_gates

#: probe gates are 1 − PROBE_EPS·(1 + (j mod 7)): distinct from 1 in float64, and their products over
#: 65 536 tokens stay above 1e-2 (no underflow), so a ratio of neighbouring weights is exactly 1.0 only
#: where the class pins the gate.
PROBE_EPS = 1e-7


def gate_step_kinds(kind: str, model: DataModel) -> np.ndarray:
    """Row kinds of the realisable cone of ``kind`` from its gate products: ``"ineq"`` or ``"eq"`` per row
    (row 0: ``ω_1 ≥ 0``; row i: between ``ω_i`` and ``ω_{i+1}``, 1-based), ``"free"`` everywhere for the
    unconstrained WPGD set."""
    n = model.n
    if kind == "unconstrained":
        return np.full(n, "free")
    if kind == "free":
        j = np.arange(n + 1)
        omega = weights_from_gates(1.0 - PROBE_EPS * (1 + j % 7), "free")
    elif kind == "delimiter":
        k = np.arange(model.K)
        omega = weights_from_gates(1.0 - PROBE_EPS * (1 + k % 7), "delimiter", model)
    elif kind == "linatt":
        omega = weights_from_gates(np.ones(n + 1), "linatt", model)
    else:
        raise InputError("kind", "must be one of free, delimiter, linatt, unconstrained", kind)
    kinds = np.full(n, "ineq")
    kinds[1:][omega[:-1] / omega[1:] == 1.0] = "eq"
    return kinds


@dataclass(frozen=True)
class ConeKKT:
    """KKT residuals of ``min L*`` over the gate-product cone at ω (all relative, see
    :func:`cone_kkt_certificate`)."""

    residual: float
    stationarity: float
    complementarity: float
    feasibility: float
    active: int
    min_multiplier: float

    def __getitem__(self, key: str) -> float:
        """Read access by the old dict keys, for callers on other branches; new code reads attributes."""
        return self.to_dict()[key]

    def to_dict(self) -> dict[str, float]:
        return {
            "residual": self.residual,
            "stationarity": self.stationarity,
            "complementarity": self.complementarity,
            "feasibility": self.feasibility,
            "active": float(self.active),
            "min_multiplier": self.min_multiplier,
        }


def profile_gradient_parts(model: DataModel, omega: np.ndarray) -> tuple[np.ndarray, float]:
    """``∇L*(ω)`` with the unit ``r̂ = r/max|r|`` (``L* − s`` scaled by ``1/ρ²``; scale-free) in O(nK), and the
    scale of its two terms ``−2cf r̂`` and ``2c²(F₃(R+I)ω + sF₂ω)`` (they cancel at an interior optimum)."""
    w = np.asarray(omega, dtype=np.float64)
    rho = float(np.max(np.abs(model.query_corr)))
    r_hat = np.asarray(model.query_corr, dtype=np.float64)[model.block_index] / rho
    sums = np.bincount(model.block_index, weights=w, minlength=model.K)
    Aw = (np.asarray(model.task_corr) @ sums)[model.block_index] + w
    lam, s = model.eigenvalues, model.s
    c = float(r_hat @ w)
    a, b = float(w @ Aw), s * float(w @ w)
    den = a * lam + b
    f = float(np.sum(lam**2 / den))
    f2, f3 = float(np.sum(lam**2 / den**2)), float(np.sum(lam**3 / den**2))
    t1 = -2 * c * f * r_hat
    t2 = 2 * c * c * (f3 * Aw + s * f2 * w)
    scale = max(float(np.max(np.abs(t1))), float(np.max(np.abs(t2))), 1e-300)
    return t1 + t2, scale


def cone_multipliers(grad: np.ndarray, scale: float) -> np.ndarray:
    """``μ = A^{-T}∇ / scale``: the unique multipliers of ``∇ = Aᵀμ`` for the bidiagonal cone rows, i.e. the
    suffix sums ``μ_i = Σ_{j≥i} ∇_j`` (``μ_i`` is the derivative along the cone generator ``1_{j≥i}``)."""
    grad = np.asarray(grad, dtype=np.float64)
    mu = np.cumsum(grad[::-1])[::-1] / scale
    return mu


def cone_kkt_from_gradient(
    omega: np.ndarray, grad: np.ndarray, scale: float, kinds: np.ndarray, active_tol: float = ACTIVE_TOL
) -> ConeKKT:
    """KKT of a stationary point of a function with gradient ``grad`` over the cone with row ``kinds``
    (``ω`` scaled to ``max|ω| = 1`` and oriented into the cone by the caller)."""
    w = np.asarray(omega, dtype=np.float64)
    v = np.concatenate([w[:1], np.diff(w)])  # (Aω)_i
    ineq, eq, free = kinds == "ineq", kinds == "eq", kinds == "free"
    feas = max(
        float(np.max(-v[ineq])) if ineq.any() else 0.0,
        float(np.max(np.abs(v[eq]))) if eq.any() else 0.0,
        0.0,
    )
    mu = cone_multipliers(grad, scale)  # A^{-T} ∇, relative
    active = ineq & (v <= active_tol)
    inactive = ineq & ~active
    stat = max(
        float(np.max(np.abs(mu[inactive | free]))) if (inactive | free).any() else 0.0,
        float(np.max(-mu[active])) if active.any() else 0.0,
        0.0,
    )
    comp = float(np.max(np.abs(mu[active] * v[active]))) if active.any() else 0.0
    return ConeKKT(
        residual=max(stat, comp, feas),
        stationarity=stat,
        complementarity=comp,
        feasibility=feas,
        active=int(active.sum()),
        min_multiplier=float(np.min(mu[active])) if active.any() else float("nan"),
    )


def orient(omega: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    """``±ω/max|ω|``, the sign that lies (closer) in the cone (``L*`` is even; P absorbs the sign)."""
    w = np.asarray(omega, dtype=np.float64)
    scale = float(np.max(np.abs(w))) if w.size else 0.0
    if scale == 0.0 or not np.isfinite(scale):
        raise InputError("omega", "must be nonzero and finite")
    w = w / scale

    def infeas(x: np.ndarray) -> float:
        v = np.concatenate([x[:1], np.diff(x)])
        lo = float(np.max(-v[kinds == "ineq"])) if (kinds == "ineq").any() else 0.0
        return max(lo, 0.0)

    return -w if infeas(-w) < infeas(w) else w


def cone_kkt_certificate(
    model: DataModel, omega: np.ndarray, kind: str, active_tol: float = ACTIVE_TOL
) -> ConeKKT:
    """First-order (KKT) certificate of ``min L*(ω)`` over the realisable cone of ``kind`` at ω (A3), on all
    n weights, independent of the optimiser, of cvxpy and of γ (see the module docstring).

    ``stationarity``: the largest multiplier that must vanish (inactive inequality rows) or must be ≥ 0
    (active ones), relative to the larger term of ``∇L*``; ``complementarity``: ``max μ_i (Aω)_i``;
    ``feasibility``: the largest violated row (ω scaled to max|ω| = 1); ``residual``: the largest of the
    three. Why it is the right condition: at ``γ = 1 + sF₂/F₃`` the gradient is
    ``c²F₃ [2(R+γI)ω − (2f/(cF₃)) r̂]``, so it lies in the normal cone exactly when ω solves the cone QP at
    that γ — the first-order condition the γ search relies on, checked here without γ."""
    w = np.asarray(omega, dtype=np.float64)
    if w.shape != (model.n,):
        raise InputError("omega", f"must have shape ({model.n},), got {w.shape}")
    kinds = gate_step_kinds(kind, model)
    w = orient(w, kinds)
    grad, scale = profile_gradient_parts(model, w)
    return cone_kkt_from_gradient(w, grad, scale, kinds, active_tol)


def qp_kkt_certificate(
    model: DataModel,
    omega: np.ndarray,
    gamma: float,
    kind: str,
    active_tol: float = ACTIVE_TOL,
    kinds: np.ndarray | None = None,
) -> ConeKKT:
    """KKT of the per-coordinate cone QP ``min ωᵀ(R+γI)ω s.t. r̂ᵀω = 1`` (A6) at ω on all n weights: the
    gradient of the Lagrangian ``2(R+γI)ω − ν r̂`` with ``ν = 2ωᵀ(R+γI)ω / r̂ᵀω`` (homogeneity), against
    the gate-product cone of ``kind`` (``kinds``: :func:`gate_step_kinds` of it, when already built)."""
    w = np.asarray(omega, dtype=np.float64)
    kinds = gate_step_kinds(kind, model) if kinds is None else kinds
    w = orient(w, kinds)
    rho = float(np.max(np.abs(model.query_corr)))
    r_hat = np.asarray(model.query_corr, dtype=np.float64)[model.block_index] / rho
    sums = np.bincount(model.block_index, weights=w, minlength=model.K)
    Qw = (np.asarray(model.task_corr) @ sums)[model.block_index] + gamma * w
    c = float(r_hat @ w)
    if c == 0.0:
        return ConeKKT(float("inf"), float("inf"), float("inf"), float("inf"), 0, float("nan"))
    nu = 2.0 * float(w @ Qw) / c
    t1, t2 = 2.0 * Qw, nu * r_hat
    scale = max(float(np.max(np.abs(t1))), float(np.max(np.abs(t2))), 1e-300)
    return cone_kkt_from_gradient(w, t1 - t2, scale, kinds, active_tol)
