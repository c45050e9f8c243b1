"""Small validated linear-algebra helpers shared by the config, the data model and the strategies."""

from __future__ import annotations

import numpy as np

from .errors import InputError

#: Relative tolerance for symmetry, unit diagonals and positive semidefiniteness of user matrices.
from .tolerances import MATRIX_RTOL  # noqa: F401


def as_finite_array(value: object, field: str, ndim: int | None = None) -> np.ndarray:
    """Convert ``value`` to a float64 array, rejecting NaN/inf and ragged input."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(field, "must be a numeric array (rows of equal length)") from exc
    if ndim is not None and arr.ndim != ndim:
        raise InputError(field, f"must be {ndim}-dimensional, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise InputError(field, "must contain only finite numbers (no NaN or inf)")
    return arr


def check_symmetric(mat: np.ndarray, field: str) -> None:
    if mat.ndim != 2 or mat.shape[0] != mat.shape[1]:
        raise InputError(field, f"must be a square matrix, got shape {mat.shape}")
    scale = max(1.0, float(np.max(np.abs(mat))) if mat.size else 1.0)
    asym = float(np.max(np.abs(mat - mat.T))) if mat.size else 0.0
    if asym > MATRIX_RTOL * scale:
        raise InputError(field, f"must be symmetric (max |A - A^T| = {asym:.3g})")


def min_eigenvalue(mat: np.ndarray) -> float:
    return float(np.linalg.eigvalsh(0.5 * (mat + mat.T))[0]) if mat.size else 0.0


def check_psd(mat: np.ndarray, field: str, strict: bool = False) -> None:
    """Symmetric and positive semidefinite (positive definite if ``strict``), with a relative tolerance."""
    check_symmetric(mat, field)
    lam = min_eigenvalue(mat)
    scale = max(1.0, float(np.max(np.abs(mat))))
    if strict:
        if lam <= MATRIX_RTOL * scale:
            raise InputError(field, f"must be positive definite (smallest eigenvalue {lam:.3g})")
    elif lam < -MATRIX_RTOL * scale:
        raise InputError(field, f"must be positive semidefinite (smallest eigenvalue {lam:.3g})")


def check_correlation(mat: np.ndarray, field: str) -> None:
    """A valid correlation matrix: symmetric, unit diagonal, PSD."""
    check_symmetric(mat, field)
    diag = np.diag(mat)
    bad = np.flatnonzero(np.abs(diag - 1.0) > MATRIX_RTOL)
    if bad.size:
        raise InputError(field, f"must have unit diagonal (entry {bad[0]} is {diag[bad[0]]:.6g})")
    check_psd(mat, field)


def psd_sqrt(mat: np.ndarray) -> np.ndarray:
    """Symmetric square root of a PSD matrix (tiny negative eigenvalues from rounding clipped at 0)."""
    w, v = np.linalg.eigh(0.5 * (mat + mat.T))
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T
