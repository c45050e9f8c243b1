"""Closed forms of the WPGD risk (docs/risk.md, claims R1 and R3), in float64.

All functions take a :class:`~glaverify.numerics.model.DataModel` and work through the block structure
(``R = B C B^T``) and the eigen-decomposition of Σ: no explicit inverse is formed and the n×n matrix R
is never built.

Notation: ``s = tr Σ + σ²``, ``a(ω) = ω^T (R + I) ω``, ``b(ω) = s ‖ω‖²``, ``M(ω) = a Σ² + b Σ``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import InputError
from .model import DataModel


@dataclass(frozen=True)
class RiskCoefficients:
    """The three scalars through which ω enters the risk: ``r^T ω``, ``a(ω)``, ``b(ω)``."""

    rw: float
    a: float
    b: float


def _check_omega(model: DataModel, omega: np.ndarray) -> np.ndarray:
    w = np.asarray(omega, dtype=np.float64)
    if w.shape != (model.n,):
        raise InputError("omega", f"must have shape ({model.n},), got {w.shape}")
    if not np.all(np.isfinite(w)):
        raise InputError("omega", "must be finite")
    return w


def _check_P(model: DataModel, P: np.ndarray) -> np.ndarray:
    p = np.asarray(P, dtype=np.float64)
    if p.shape != (model.d, model.d):
        raise InputError("P", f"must have shape ({model.d}, {model.d}), got {p.shape}")
    if not np.all(np.isfinite(p)):
        raise InputError("P", "must be finite")
    return p


def risk_coefficients(model: DataModel, omega: np.ndarray) -> RiskCoefficients:
    """``r^T ω``, ``a(ω) = ω^T (R + I) ω`` and ``b(ω) = s ‖ω‖²`` via the block structure."""
    w = _check_omega(model, omega)
    u = model.block_sums(w)  # B^T ω
    sq = float(w @ w)
    a = float(u @ model.task_corr @ u) + sq
    return RiskCoefficients(rw=float(model.query_corr @ u), a=a, b=model.s * sq)


def wpgd_risk(model: DataModel, P: np.ndarray, omega: np.ndarray) -> float:
    """R1: ``L(P, ω) = tr Σ + σ² − 2 (r^T ω) tr(P Σ²) + tr(P^T Σ P M(ω))``."""
    p = _check_P(model, P)
    co = risk_coefficients(model, omega)
    sig = model.sigma
    sig2 = sig @ sig
    m = co.a * sig2 + co.b * sig
    quad = float(np.sum((sig @ p) * (p @ m)))  # tr(P^T Σ P M) = <Σ P, P M>
    return model.s - 2.0 * co.rw * float(np.sum(p * sig2.T)) + quad


def optimal_preconditioner(model: DataModel, omega: np.ndarray) -> np.ndarray:
    """R3: ``P*(ω) = (r^T ω) (a Σ + b I)^{-1}``, via Σ = V diag(λ) V^T. Requires ω ≠ 0."""
    co = risk_coefficients(model, omega)
    if co.a <= 0.0:
        raise InputError("omega", "must be nonzero for the optimal preconditioner to exist")
    lam, v = model.sigma_eig
    return (v * (co.rw / (co.a * lam + co.b))) @ v.T


def profile_risk_from_coefficients(model: DataModel, co: RiskCoefficients) -> float:
    lam = model.eigenvalues
    return model.s - co.rw**2 * float(np.sum(lam**2 / (co.a * lam + co.b)))


def profile_risk(model: DataModel, omega: np.ndarray) -> float:
    """R3: ``L*(ω) = tr Σ + σ² − (r^T ω)² Σ_k λ_k² / (a λ_k + b)`` (``= tr Σ + σ²`` at ω = 0)."""
    co = risk_coefficients(model, omega)
    if co.a <= 0.0:
        return model.s
    return profile_risk_from_coefficients(model, co)


def null_risk(model: DataModel) -> float:
    """Risk of the zero predictor, ``tr Σ + σ²``."""
    return model.s
