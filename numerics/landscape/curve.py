"""Route (a) of the WPGD landscape: the curve ``ω(γ) = (R+γI)⁻¹ r`` of R4 (docs/landscape.md).

Stationary points of ``L*`` with ``rᵀω ≠ 0`` satisfy ``(R + γI)ω ∝ r`` with ``γ = 1 + sF₂/F₃``; ``F₂/F₃`` is a
weighted mean of ``1/λ_k``, so ``γ ∈ [1 + s/λ_max, 1 + s/λ_min]``. On the curve ``ω = Q_E (G+γI)⁻¹ ř`` (block
reduction, :mod:`.reduced`), so ``rᵀω``, ``‖ω‖²`` and ``ωᵀRω`` are sums over K spectral terms: O(K + d) per
γ. :func:`curve_route` finds every root of the fixed-point residual on a log grid (brentq) and every local
minimum of ``h(γ) = L*(ω(γ))`` (bounded Brent), and classifies each stationary point by the structured
Hessian of ``L*`` on ``ω^⊥`` in ℝⁿ.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from ..closed_forms import profile_risk
from ..model import DataModel
from ..tolerances import HESS_RTOL
from .quotient import normalise, r_scale
from .reduced import profile_gain, reduction, restricted_spectrum_structured

GammaMap = Callable[[np.ndarray, float, np.ndarray, np.ndarray], np.ndarray]


# ======================================================================== curve data
@dataclass(frozen=True)
class CurveSpectrum:
    """Spectral data of the curve ``ω(γ) = (R+γI)⁻¹ r`` in the block reduction.

    ``G = N^{1/2} C N^{1/2} = V diag(μ) Vᵀ``, ``z = Vᵀ N^{1/2} c``; then ``rᵀω = Σ z²/(μ+γ)``,
    ``‖ω‖² = Σ z²/(μ+γ)²``, ``ωᵀRω = Σ μ z²/(μ+γ)²``.
    """

    mu: np.ndarray
    V: np.ndarray
    z: np.ndarray
    sqrt_n: np.ndarray
    lam: np.ndarray
    s: float

    @classmethod
    def of(cls, model: DataModel) -> CurveSpectrum:
        red = reduction(model)  # G = N^{1/2} C N^{1/2} = U diag(μ) Uᵀ, μ clipped at 0 (C is PSD)
        return cls(mu=red.mu, V=red.U, z=red.U.T @ red.r_coords, sqrt_n=red.sqrt_n, lam=red.lam, s=red.s)

    def coefficients(self, gammas: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(rᵀω, a, b)`` at ``ω(γ)`` for every γ (vectorised)."""
        g = np.atleast_1d(np.asarray(gammas, dtype=np.float64))
        inv = 1.0 / (self.mu[None, :] + g[:, None])
        z2 = self.z**2
        rw = (z2 * inv).sum(1)
        sq = (z2 * inv**2).sum(1)
        quad = (self.mu * z2 * inv**2).sum(1)
        return rw, quad + sq, self.s * sq

    def is_single_ray(self, rtol: float = 1e-10) -> bool:
        """True when r is an eigenvector of R (the curve is one ray, ω ∝ r)."""
        w = self.z**2
        if w.sum() == 0:
            return True
        support = self.mu[w > rtol * w.sum()]
        return bool(np.ptp(support) <= rtol * max(1.0, float(np.max(np.abs(support)))))


def curve_omega(model: DataModel, gamma: float, spec: CurveSpectrum | None = None) -> np.ndarray:
    """``ω(γ) = (R+γI)⁻¹ r`` (R4) through the block reduction; ``γ = inf`` gives ``ω = r``."""
    spec = spec or CurveSpectrum.of(model)
    if not np.isfinite(gamma):
        return np.asarray(model.r, dtype=np.float64).copy()
    u = (spec.V @ (spec.z / (spec.mu + gamma))) / spec.sqrt_n
    return u[reduction(model).block_index]


def gamma_bracket(model: DataModel) -> tuple[float, float]:
    """``[1 + s/λ_max, 1 + s/λ_min]``: every stationary γ lies here (``F₂/F₃`` is a mean of ``1/λ``)."""
    lam = model.eigenvalues
    return 1.0 + model.s / float(lam[-1]), 1.0 + model.s / float(lam[0])


def gamma_map_r4(lam: np.ndarray, s: float, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """R4's map ``Γ(a, b) = 1 + s F₂/F₃`` (vectorised over a, b)."""
    den = (a[:, None] * lam[None, :] + b[:, None]) ** 2
    f2 = (lam**2 / den).sum(1)
    f3 = (lam**3 / den).sum(1)
    return 1.0 + s * f2 / f3


def profile_on_curve(spec: CurveSpectrum, gammas: np.ndarray) -> np.ndarray:
    """``h(γ) = L*(ω(γ))``, vectorised."""
    rw, a, b = spec.coefficients(gammas)
    lam = spec.lam
    f = (lam[None, :] ** 2 / (a[:, None] * lam[None, :] + b[:, None])).sum(1)
    return spec.s - rw**2 * f


# ======================================================================== route (a)
@dataclass(frozen=True)
class CurvePoint:
    gamma: float
    risk: float
    omega: np.ndarray  # normalised
    local_min: bool  # a strict local minimum of L* on the quotient (Hessian test)
    hess_min: float  # smallest eigenvalue of the Hessian of L* on ω^⊥ (normalised ω, unit r)
    gain: float = float("nan")  # (s − L*)/ρ² (scale-free, see r_scale)


@dataclass(frozen=True)
class CurveResult:
    """Route (a). ``stationary``: roots of the fixed-point residual (stationary points of L*), sorted by risk.
    ``h_minima``: local minima of h along the curve (γ values). ``best``: the lowest stationary point."""

    stationary: list[CurvePoint]
    h_minima: list[float]
    bracket: tuple[float, float]
    single_ray: bool
    best: CurvePoint | None
    grid_size: int

    @property
    def local_minima(self) -> list[CurvePoint]:
        return [p for p in self.stationary if p.local_min]


def _grid(lo: float, hi: float, size: int) -> np.ndarray:
    if hi <= lo * (1 + 1e-12):
        return np.array([lo])
    return np.exp(np.linspace(np.log(lo), np.log(hi), size))


def curve_route(
    model: DataModel,
    gamma_map: GammaMap | None = None,
    grid_size: int = 400,
    bracket: tuple[float, float] | None = None,
    classify: bool = True,
    spec: CurveSpectrum | None = None,
) -> CurveResult:
    """Route (a): every stationary point of ``L*`` on the curve of R4, and every local minimum of ``h``.

    ``gamma_map`` is the fixed-point map under test (default :func:`gamma_map_r4`); ``bracket`` the γ range
    searched (default :func:`gamma_bracket`, widened by 1% on both sides so roots at the ends are caught).
    """
    gamma_map = gamma_map or gamma_map_r4
    spec = spec or CurveSpectrum.of(model)
    lo, hi = bracket or gamma_bracket(model)
    if bracket is None:
        lo, hi = max(lo / 1.01, 1.0), hi * 1.01
    single = spec.is_single_ray()
    grid = _grid(lo, hi, grid_size)

    def resid(g: np.ndarray) -> np.ndarray:
        _, a, b = spec.coefficients(g)
        return (np.atleast_1d(g) - gamma_map(spec.lam, spec.s, a, b)) / np.atleast_1d(g)

    res = resid(grid)
    hv = profile_on_curve(spec, grid)
    roots: list[float] = []
    for i in range(len(grid) - 1):
        if res[i] == 0.0:
            roots.append(float(grid[i]))
        elif res[i] * res[i + 1] < 0:
            roots.append(
                optimize.brentq(
                    lambda g: float(resid(np.array([g]))[0]),
                    grid[i],
                    grid[i + 1],
                    xtol=1e-14 * grid[i],
                    rtol=1e-15,
                    maxiter=200,
                )
            )
    if len(grid) and res[-1] == 0.0:
        roots.append(float(grid[-1]))
    # local minima of h on the grid, refined in log γ
    h_min: list[float] = []
    noise = 1e-12 * spec.s  # below this, grid minima of h are rounding noise (r ≈ 0)
    for i in range(1, len(grid) - 1):
        if hv[i] < hv[i - 1] - noise and hv[i] < hv[i + 1] - noise:
            out = optimize.minimize_scalar(
                lambda t: float(profile_on_curve(spec, np.array([np.exp(t)]))[0]),
                bounds=(np.log(grid[i - 1]), np.log(grid[i + 1])),
                method="bounded",
                options={"xatol": 1e-13},
            )
            h_min.append(float(np.exp(out.x)))
    pts: list[CurvePoint] = []
    _, ru = r_scale(model)
    if single and not roots:
        # r is an eigenvector of R: the curve is one ray (ω ∝ r) and every γ is stationary
        roots = [float("inf")]
    for g in roots:
        w = normalise(curve_omega(model, g, spec), model.r)
        hm = float("nan")
        loc = True
        if classify:
            ev = restricted_spectrum_structured(model, w, ru)
            hm = ev.min
            loc = hm > HESS_RTOL * (ev.max_abs if ev.size else 1.0)
        pts.append(
            CurvePoint(
                gamma=float(g),
                risk=float(profile_risk(model, w)),
                omega=w,
                local_min=loc,
                hess_min=hm,
                gain=profile_gain(model, w, ru),
            )
        )
    pts.sort(key=lambda p: -p.gain)
    return CurveResult(
        stationary=pts,
        h_minima=h_min,
        bracket=(lo, hi),
        single_ray=single,
        best=pts[0] if pts else None,
        grid_size=len(grid),
    )
