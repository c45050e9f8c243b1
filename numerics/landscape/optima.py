"""Closed-form optima next to the landscape: R5 (isotropic Σ) and the best LinAtt predictor (ω ∝ 1)."""

from __future__ import annotations

import numpy as np

from ..closed_forms import optimal_preconditioner, profile_risk
from ..model import DataModel
from .curve import curve_omega
from .quotient import normalise


def isotropic_closed_form(model: DataModel) -> tuple[np.ndarray, float] | None:
    """R5 for ``Σ = λI``: ``ω* ∝ (R + (1 + d + σ²/λ)I)⁻¹ r`` and
    ``min L = dλ + σ² − dλ rᵀ(R + (1+d+σ²/λ)I)⁻¹ r``. None if Σ is not isotropic."""
    lam = model.eigenvalues
    if np.ptp(lam) > 1e-12 * lam[-1]:
        return None
    lv = float(lam.mean())
    g = 1.0 + model.d + model.noise_var / lv
    w = curve_omega(model, g)
    risk = model.d * lv + model.noise_var - model.d * lv * float(model.r @ w)
    return w, risk


def linatt_optimum(model: DataModel) -> dict:
    """The best LinAtt predictor: ω ∝ 1 with ``P = P*(1)``; the risk is ``L*(1)``."""
    w = normalise(np.ones(model.n), model.r)
    return {"risk": float(profile_risk(model, w)), "omega": w, "P": optimal_preconditioner(model, w)}
