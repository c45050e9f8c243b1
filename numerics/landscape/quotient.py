"""The quotient by scaling (R2) and scale-free comparison of values (docs/landscape.md, "The quotient").

``L(P/c, cω) = L(P, ω)``, so minima are compared through one representative per orbit: ω scaled to
``max_i |ω_i| = 1`` with ``rᵀω ≥ 0`` (:func:`normalise`). Values are compared through the gain
``(s − L*)/ρ²`` with the unit ``r̂ = r/ρ``, ``ρ = max_i |r_i|`` (:func:`r_scale`), never through ``L*`` itself.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..model import DataModel
from ..tolerances import R_ZERO_TOL
from .reduced import reduction


def normalise(omega: np.ndarray, r: np.ndarray | None = None) -> np.ndarray:
    """The quotient representative: ``max_i |ω_i| = 1`` and ``rᵀω ≥ 0`` (first nonzero entry > 0 if
    ``rᵀω = 0``). Raises InputError for ω = 0."""
    w = np.asarray(omega, dtype=np.float64)
    m = float(np.max(np.abs(w))) if w.size else 0.0
    if not np.isfinite(m) or m == 0.0:
        raise InputError("omega", "must be nonzero and finite to have a quotient representative")
    w = w / m
    rw = float(r @ w) if r is not None else 0.0
    if r is not None and abs(rw) > 1e-14 * float(np.linalg.norm(r)) * float(np.linalg.norm(w)):
        return w if rw > 0 else -w
    nz = w[np.abs(w) > 1e-12]
    return w if nz.size == 0 or nz[0] > 0 else -w


def quotient_distance(w1: np.ndarray, w2: np.ndarray, r: np.ndarray | None = None) -> float:
    """max-norm distance of the quotient representatives."""
    return float(np.max(np.abs(normalise(w1, r) - normalise(w2, r))))


def r_is_zero(model: DataModel, tol: float = R_ZERO_TOL) -> bool:
    """``max_k |c_k| <= tol``: R6's non-unique case."""
    return float(np.max(np.abs(model.query_corr))) <= tol


def r_scale(model: DataModel) -> tuple[float, np.ndarray]:
    """``(ρ, r/ρ)`` with ``ρ = max_i |r_i|``. ``L − s`` is ``ρ²`` times the same expression with ``r/ρ`` and
    ``P/ρ``, so every comparison is done with the unit ``r`` (scale-free; exact for tiny ``r``)."""
    rho = float(np.max(np.abs(model.query_corr))) if model.n else 0.0
    r = np.asarray(model.r, dtype=np.float64)
    return rho, (r / rho if rho > 0 else r)


def block_spread(model: DataModel, omega: np.ndarray) -> float:
    """max over blocks of ``max − min`` of ω within the block (R7), O(n)."""
    red = reduction(model)
    w = np.asarray(omega, dtype=np.float64)
    hi = np.full(red.K, -np.inf)
    lo = np.full(red.K, np.inf)
    np.maximum.at(hi, red.block_index, w)
    np.minimum.at(lo, red.block_index, w)
    return float(np.max(hi - lo)) if red.K else 0.0
