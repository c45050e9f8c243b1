"""The dense reference implementation of the WPGD landscape (R4–R7): the slow, explicit one.

This is glaverify's first implementation of the three routes and the R6 certificate, kept unchanged in
substance as the reference that the block-reduced core (:mod:`glaverify.numerics.landscape`) is tested
against — the way fla keeps its naive kernels. It forms the n×n matrices ``R`` and ``∇²L*`` and solves the
scalarised cvxpy problems over all n weights, so it is O(n³) in time and O(n²) in memory; it refuses
models larger than ``DENSE_MAX_N`` examples or ``DENSE_MAX_D`` features with an InputError (the core never
does). Nothing in the core imports this module except for the small-model cross-checks of the full
Hessian (``d² + n ≤ 200``).

Notation: ``s = tr Σ + σ²``, ``a(ω) = ωᵀ(R+I)ω``, ``b(ω) = s‖ω‖²``, ``L*(ω) = s − (rᵀω)² f(a, b)``,
``f = Σ_k λ_k²/(aλ_k + b)``, ``F_p = Σ_k λ_k^p/(aλ_k+b)²``. See docs/landscape.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import optimize

from ..closed_forms import optimal_preconditioner, profile_risk, wpgd_risk
from ..errors import InputError
from ..model import DataModel
from ..tolerances import HESS_RTOL, OMEGA_TOL, RISK_RTOL

#: largest n (examples) and d (features) the dense reference accepts: it forms n×n matrices (O(n²)
#: memory, O(n³) eigen-decompositions) and cvxpy problems with n variables.
DENSE_MAX_N = 1024
DENSE_MAX_D = 128


def require_dense_size(model: DataModel) -> None:
    """Refuse a model too large for the dense reference (InputError naming n or d)."""
    if model.n > DENSE_MAX_N:
        raise InputError(
            "n", f"the dense landscape reference handles n <= {DENSE_MAX_N} (use the block-reduced core)",
            model.n,
        )
    if model.d > DENSE_MAX_D:
        raise InputError(
            "d", f"the dense landscape reference handles d <= {DENSE_MAX_D} (use the block-reduced core)",
            model.d,
        )

GammaMap = Callable[[np.ndarray, float, np.ndarray, np.ndarray], np.ndarray]
PrecondFn = Callable[[DataModel, np.ndarray], np.ndarray]


# ======================================================================== quotient
# The quotient convention (one representative per scaling orbit) is shared with the core, not re-derived:
# the dense reference checks risks and optima, not how orbits are labelled.
from .quotient import normalise, quotient_distance, r_is_zero  # noqa: E402,F401  (re-exported)


def r_scale(model: DataModel) -> tuple[float, np.ndarray]:
    """``(ρ, r/ρ)`` with ``ρ = max_i |r_i|``. ``L − s`` is ``ρ²`` times the same expression with ``r/ρ`` and
    ``P/ρ``, so every comparison is done with the unit ``r`` (scale-free; exact for tiny ``r``)."""
    rho = float(np.max(np.abs(model.r))) if model.n else 0.0
    r = np.asarray(model.r, dtype=np.float64)
    return rho, (r / rho if rho > 0 else r)


def profile_gain(model: DataModel, omega: np.ndarray, r: np.ndarray | None = None) -> float:
    """``(rᵀω)² f(a, b) = s − L*(ω)`` computed without the cancellation against ``s`` (with ``r`` = the unit
    ``r`` of :func:`r_scale` it is ``(s − L*)/ρ²``)."""
    w = np.asarray(omega, dtype=np.float64)
    r = np.asarray(model.r) if r is None else r
    lam = model.eigenvalues
    sq = float(w @ w)
    if sq == 0.0:
        return 0.0
    a = float(w @ _apply_R(model, w)) + sq
    return float(r @ w) ** 2 * float(np.sum(lam**2 / (a * lam + model.s * sq)))


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
        sn = np.sqrt(np.asarray(model.block_sizes, dtype=np.float64))
        G = sn[:, None] * model.task_corr * sn[None, :]
        mu, V = np.linalg.eigh(0.5 * (G + G.T))
        mu = np.clip(mu, 0.0, None)  # C is PSD; clip rounding
        z = V.T @ (sn * model.query_corr)
        return cls(mu=mu, V=V, z=z, sqrt_n=sn, lam=model.eigenvalues, s=model.s)

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
    return u[model.block_index]


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
@dataclass
class CurvePoint:
    gamma: float
    risk: float
    omega: np.ndarray  # normalised
    local_min: bool  # a strict local minimum of L* on the quotient (Hessian test)
    hess_min: float  # smallest eigenvalue of the Hessian of L* on ω^⊥ (normalised ω, unit r)
    gain: float = float("nan")  # (s − L*)/ρ² (scale-free, see r_scale)


@dataclass
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
            ev = restricted_profile_spectrum(model, w, ru)
            hm = float(ev[0]) if ev.size else float("inf")
            loc = hm > HESS_RTOL * (float(np.max(np.abs(ev))) if ev.size else 1.0)
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


# ======================================================================== profile calculus
def _apply_R(model: DataModel, omega: np.ndarray) -> np.ndarray:
    """``R ω`` with the explicit n×n ``R`` (the reference forms it)."""
    return np.asarray(model.R) @ np.asarray(omega, dtype=np.float64)


def profile_gradient(model: DataModel, omega: np.ndarray, r: np.ndarray | None = None) -> np.ndarray:
    """∇L*(ω) = −2 c f r + 2c² (F₃ (R+I)ω + s F₂ ω), ``c = rᵀω`` (``r`` defaults to the model's)."""
    w = np.asarray(omega, dtype=np.float64)
    r = np.asarray(model.r) if r is None else r
    lam, s = model.eigenvalues, model.s
    Aw = _apply_R(model, w) + w
    c = float(r @ w)
    a, b = float(w @ Aw), s * float(w @ w)
    den = a * lam + b
    f = float(np.sum(lam**2 / den))
    f2, f3 = float(np.sum(lam**2 / den**2)), float(np.sum(lam**3 / den**2))
    return -2 * c * f * r + 2 * c * c * (f3 * Aw + s * f2 * w)


def profile_hessian(model: DataModel, omega: np.ndarray, r: np.ndarray | None = None) -> np.ndarray:
    """Analytic Hessian of ``L*`` (n×n): ``−2f rrᵀ + 4c(r vᵀ + v rᵀ) + 2c² J_v`` with
    ``v = F₃ Aω + sF₂ ω``, ``J_v = F₃ A + sF₂ I − 4[G₄ ppᵀ + G₃(pqᵀ+qpᵀ) + G₂ qqᵀ]``, ``p = Aω``, ``q = sω``,
    ``A = R + I``, ``G_p = Σλ^p/(aλ+b)³``."""
    require_dense_size(model)
    w = np.asarray(omega, dtype=np.float64)
    lam, s = model.eigenvalues, model.s
    r = np.asarray(model.r) if r is None else r
    A = np.asarray(model.R) + np.eye(model.n)
    p = A @ w
    q = s * w
    c = float(r @ w)
    a, b = float(w @ p), s * float(w @ w)
    den = a * lam + b
    f = float(np.sum(lam**2 / den))
    f2, f3 = float(np.sum(lam**2 / den**2)), float(np.sum(lam**3 / den**2))
    g2, g3, g4 = (float(np.sum(lam**k / den**3)) for k in (2, 3, 4))
    v = f3 * p + f2 * q
    jv = (
        f3 * A
        + s * f2 * np.eye(model.n)
        - 4 * (g4 * np.outer(p, p) + g3 * (np.outer(p, q) + np.outer(q, p)) + g2 * np.outer(q, q))
    )
    H = -2 * f * np.outer(r, r) + 4 * c * (np.outer(r, v) + np.outer(v, r)) + 2 * c * c * jv
    return 0.5 * (H + H.T)


def _complement_basis(u: np.ndarray) -> np.ndarray:
    """Orthonormal basis (columns) of ``u^⊥``."""
    u = u / np.linalg.norm(u)
    q, _ = np.linalg.qr(np.column_stack([u, np.eye(len(u))]))
    return q[:, 1 : len(u)]


def _deflated(H: np.ndarray, u: np.ndarray, floor: float = 1.0) -> tuple[np.ndarray, float]:
    """``ΠHΠ + κ ûûᵀ`` with ``Π = I − ûûᵀ`` and κ above the spectrum of ΠHΠ: û is an eigenvector with
    eigenvalue κ and the other eigenpairs are those of H restricted to ``u^⊥``. κ = 10‖ΠHΠ‖∞ + ``floor``;
    the spectrum passes a tiny floor, because an absolute κ ≥ 1 caps the eigenvalues' accuracy at eps·κ, far
    above a Hessian of size 1e-10 (large σ², small Σ: review of session 4)."""
    u = u / np.linalg.norm(u)
    Hu = H @ u
    uHu = float(u @ Hu)
    PHP = H - np.outer(Hu, u) - np.outer(u, Hu) + uHu * np.outer(u, u)
    kappa = 10.0 * float(np.max(np.abs(PHP).sum(1))) + floor
    return PHP + kappa * np.outer(u, u), kappa


def restricted_profile_spectrum(
    model: DataModel, omega: np.ndarray, r: np.ndarray | None = None
) -> np.ndarray:
    """Eigenvalues of the Hessian of ``L*`` restricted to ``ω^⊥`` (ascending; n − 1 of them)."""
    if model.n == 1:
        return np.array([])
    D, _ = _deflated(profile_hessian(model, omega, r), np.asarray(omega, dtype=np.float64),
                     floor=float(np.finfo(np.float64).tiny))
    return np.linalg.eigvalsh(D)[:-1]


def restricted_profile_hessian_min(model: DataModel, omega: np.ndarray, r: np.ndarray | None = None) -> float:
    ev = restricted_profile_spectrum(model, omega, r)
    return float(ev[0]) if ev.size else float("inf")


# ======================================================================== full L(P, ω)
def full_gradient(
    model: DataModel, P: np.ndarray, omega: np.ndarray, r: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(∂L/∂P, ∂L/∂ω) of R1: ``−2cΣ² + 2ΣPM`` and ``−2 tr(PΣ²) r + 2 tr(PᵀΣPΣ²) Aω + 2s tr(PᵀΣPΣ) ω``."""
    sig = model.sigma
    sig2 = sig @ sig
    w = np.asarray(omega, dtype=np.float64)
    r = np.asarray(model.r) if r is None else r
    Aw = _apply_R(model, w) + w
    c = float(r @ w)
    a, b = float(w @ Aw), model.s * float(w @ w)
    M = a * sig2 + b * sig
    gP = -2 * c * sig2 + 2 * sig @ P @ M
    SP = sig @ P
    t2 = float(np.sum(SP * (P @ sig2)))  # tr(PᵀΣPΣ²)
    t1 = float(np.sum(SP * (P @ sig)))  # tr(PᵀΣPΣ)
    gw = -2 * float(np.sum(P * sig2.T)) * r + 2 * t2 * Aw + 2 * model.s * t1 * w
    return gP, gw


def full_hessian(model: DataModel, P: np.ndarray, omega: np.ndarray) -> np.ndarray:
    """Exact Hessian of R1 in ``(vec P row-major, ω)`` by torch autograd (small dims; tests)."""
    import torch

    d, n = model.d, model.n
    if d * d + n > 600:
        raise InputError("dims", f"full Hessian only for d² + n <= 600, got {d * d + n}")
    sig = torch.tensor(model.sigma, dtype=torch.float64)
    sig2 = sig @ sig
    A = torch.tensor(np.asarray(model.R) + np.eye(n), dtype=torch.float64)
    r = torch.tensor(np.asarray(model.r), dtype=torch.float64)
    s = model.s

    def L(x: torch.Tensor) -> torch.Tensor:
        Pm = x[: d * d].reshape(d, d)
        w = x[d * d :]
        a = w @ A @ w
        b = s * (w @ w)
        M = a * sig2 + b * sig
        return s - 2 * (r @ w) * torch.trace(Pm @ sig2) + torch.trace(Pm.T @ sig @ Pm @ M)

    x = torch.tensor(np.concatenate([np.asarray(P).ravel(), np.asarray(omega)]), dtype=torch.float64)
    H = torch.autograd.functional.hessian(L, x).numpy()
    return 0.5 * (H + H.T)


def full_hessian_analytic(model: DataModel, P: np.ndarray, omega: np.ndarray) -> np.ndarray:
    """Exact Hessian of R1 in ``(vec P row-major, ω)``: ``H_PP = 2 Σ⊗M``,
    ``H_Pω = −2 vec(Σ²) rᵀ + 4 vec(ΣPΣ²)(Aω)ᵀ + 4s vec(ΣPΣ) ωᵀ``,
    ``H_ωω = 2 tr(PᵀΣPΣ²) A + 2s tr(PᵀΣPΣ) I``."""
    require_dense_size(model)
    sig = model.sigma
    sig2 = sig @ sig
    P = np.asarray(P, dtype=np.float64)
    w = np.asarray(omega, dtype=np.float64)
    n = model.n
    A = np.asarray(model.R) + np.eye(n)
    Aw = A @ w
    a, b = float(w @ Aw), model.s * float(w @ w)
    M = a * sig2 + b * sig
    hpp = 2 * np.kron(sig, M)
    SP = sig @ P
    hpw = (
        -2 * np.outer(sig2.ravel(), model.r)
        + 4 * np.outer((SP @ sig2).ravel(), Aw)
        + 4 * model.s * np.outer((SP @ sig).ravel(), w)
    )
    t2 = float(np.sum(SP * (P @ sig2)))
    t1 = float(np.sum(SP * (P @ sig)))
    hww = 2 * t2 * A + 2 * model.s * t1 * np.eye(n)
    H = np.block([[hpp, hpw], [hpw.T, hww]])
    return 0.5 * (H + H.T)


def restricted_full_spectrum(
    model: DataModel,
    P: np.ndarray,
    omega: np.ndarray,
    hessian: Callable[[DataModel, np.ndarray, np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """Eigenvalues of the full Hessian restricted to the complement of the scaling direction ``(−P, ω)``."""
    H = (hessian or full_hessian_analytic)(model, P, omega)
    t = np.concatenate([-np.asarray(P).ravel(), np.asarray(omega)])
    Q = _complement_basis(t)
    return np.linalg.eigvalsh(Q.T @ H @ Q)


def hpp_min_eigenvalue(model: DataModel, omega: np.ndarray) -> float:
    """Smallest eigenvalue of ``H_PP = 2(M⊗Σ)``: ``2 min_i(aλ_i² + bλ_i) · min_j λ_j``."""
    lam = model.eigenvalues
    w = np.asarray(omega, dtype=np.float64)
    a = float(w @ (_apply_R(model, w) + w))
    b = model.s * float(w @ w)
    return float(2 * np.min(a * lam**2 + b * lam) * lam[0])


# ======================================================================== route (b)
@dataclass
class ScalarisedSolution:
    """One solve of the scalarised family at ``θ``.

    ``status`` is cvxpy's; only ``"optimal"`` counts (``certified`` property). ``kkt_residual``: max of the
    stationarity residual ``‖∇f + Σ J_iᵀ y_i‖_∞`` (relative to ``‖∇f‖_∞``), the primal infeasibility and
    the complementary slackness ``max |y_i · g_i(ω)|``; ``duality_gap``: ``|Σ_i ⟨y_i, g_i(ω)⟩|`` relative to
    the objective (for a convex problem with exact stationarity, primal − dual objective).
    """

    theta: float
    omega: np.ndarray | None
    status: str
    objective: float
    kkt_residual: float
    duality_gap: float
    primal_residual: float
    solve_time: float
    gamma: float = float("nan")
    risk: float = float("nan")
    gain: float = float("nan")  # (s − L*)/ρ², scale-free (see r_scale)

    @property
    def certified(self) -> bool:
        return self.status == "optimal" and self.omega is not None


class ScalarisedFamily:
    """The convex family ``min_ω θ a(ω) + (1−θ) b(ω)  s.t.  rᵀω = sign`` (route (b) of R4/R6; A3 for cones).

    Built once with cvxpy parameters ``θ`` and ``1−θ`` (both ``nonneg``), so the problem is DPP
    (``self.problem.is_dpp()``) and re-solves reuse the compiled problem. ``a(ω) = ‖Fᵀω‖² + ‖ω‖²`` with
    ``F = B L`` (``C = LLᵀ``) uses the block structure but the variable is the full n-vector ω (nothing
    assumes R7).

    Parameters
    ----------
    model : the data model.
    extra_constraints : ``fn(ω) -> [constraints]`` added to the problem (e.g. ``[cp.diff(ω) >= 0, ω >= 0]``).
    sign : ``+1`` or ``−1``: the normalisation ``r̂ᵀω = sign`` with ``r̂ = r / max_i|r_i|`` (the unit r of
        :func:`r_scale`; equivalent to ``rᵀω = sign·max|r|``, and well scaled when r is tiny).
    solver_opts : passed to ``problem.solve`` (Clarabel, tight tolerances by default).

    ``solve(θ)`` returns a :class:`ScalarisedSolution`. For θ in (0, 1] the KKT condition (without extra
    constraints) is ``(R + γI)ω ∝ r`` with ``γ = 1 + s(1−θ)/θ`` (:meth:`gamma_of`, :meth:`theta_of`).
    """

    def __init__(
        self,
        model: DataModel,
        extra_constraints: Callable[[Any], list] | None = None,
        sign: int = +1,
        solver_opts: dict | None = None,
    ):
        import cvxpy as cp

        require_dense_size(model)
        if sign not in (1, -1):
            raise InputError("sign", "must be +1 or -1", sign)
        self.model = model
        self.sign = sign
        C = np.asarray(model.task_corr)
        ev, V = np.linalg.eigh(0.5 * (C + C.T))
        keep = ev > 1e-14 * max(1.0, float(ev.max()))
        L = V[:, keep] * np.sqrt(ev[keep])
        self.F = np.asarray(model.block_indicator) @ L  # R = F Fᵀ
        self.omega = cp.Variable(model.n, name="omega")
        self.theta = cp.Parameter(nonneg=True, name="theta", value=0.5)
        self.one_minus_theta = cp.Parameter(nonneg=True, name="one_minus_theta", value=0.5)
        a = cp.sum_squares(self.F.T @ self.omega) + cp.sum_squares(self.omega)
        b = model.s * cp.sum_squares(self.omega)
        self.r_scale, self.r_unit = r_scale(model)
        if self.r_scale == 0.0:
            raise InputError("r", "is 0: the normalisation rᵀω = ±1 is infeasible (every (0, ω) is optimal)")
        self.normalisation = self.r_unit @ self.omega == sign
        self.extra = list(extra_constraints(self.omega)) if extra_constraints else []
        self.constraints = [self.normalisation, *self.extra]
        self.problem = cp.Problem(cp.Minimize(self.theta * a + self.one_minus_theta * b), self.constraints)
        from .scalarised import gain_degree

        self.degree = None if self.extra else gain_degree(self.F, model.n, model.eigenvalues)
        self._jacobians: list[np.ndarray | None] | None = None
        self.solver_opts = {
            "solver": cp.CLARABEL,
            "tol_gap_abs": 1e-12,
            "tol_gap_rel": 1e-12,
            "tol_feas": 1e-12,
            "tol_ktratio": 1e-10,
            **(solver_opts or {}),
        }

    def is_dpp(self) -> bool:
        return bool(self.problem.is_dpp())

    def gamma_of(self, theta: float) -> float:
        return float("inf") if theta >= 1.0 else 1.0 + self.model.s * (1.0 - theta) / theta

    def theta_of(self, gamma: float) -> float:
        return 1.0 if not np.isfinite(gamma) else self.model.s / (self.model.s + gamma - 1.0)

    def theta_bracket(self) -> tuple[float, float]:
        """θ range matching :func:`gamma_bracket`: ``[λ_min/(1+λ_min), λ_max/(1+λ_max)]``."""
        lam = self.model.eigenvalues
        return float(lam[0] / (1 + lam[0])), float(lam[-1] / (1 + lam[-1]))

    def solve(self, theta: float) -> ScalarisedSolution:
        import time

        if not (0.0 < theta <= 1.0):
            raise InputError("theta", "must lie in (0, 1]", theta)
        self.theta.value = float(theta)
        self.one_minus_theta.value = float(1.0 - theta)
        t0 = time.perf_counter()
        try:
            self.problem.solve(**self.solver_opts)
            status = str(self.problem.status)
        except Exception as exc:  # solver failure is a non-certificate, not a crash
            status = f"solver_error: {type(exc).__name__}"
        dt = time.perf_counter() - t0
        w = self.omega.value
        if w is None or status not in ("optimal", "optimal_inaccurate"):
            return ScalarisedSolution(
                theta, None, status, float("nan"), float("inf"), float("inf"), float("inf"), dt
            )
        w = np.asarray(w, dtype=np.float64)
        kkt, gap, prim = self._kkt(w, theta)
        sol = ScalarisedSolution(
            theta=float(theta),
            omega=w,
            status=status,
            objective=float(self.problem.value),
            kkt_residual=kkt,
            duality_gap=gap,
            primal_residual=prim,
            solve_time=dt,
            gamma=self.gamma_of(theta),
        )
        sol.risk = float(profile_risk(self.model, w))
        sol.gain = profile_gain(self.model, w, self.r_unit)
        return sol

    def _kkt(self, w: np.ndarray, theta: float) -> tuple[float, float, float]:
        m = self.model
        grad_f = 2 * theta * (_apply_R(m, w) + w) + 2 * (1 - theta) * m.s * w
        lag = grad_f.copy()
        slack = 0.0
        gap = 0.0
        prim = 0.0
        from .scalarised import constraint_jacobian

        if self._jacobians is None:  # affine constraints: the Jacobian does not depend on ω
            self._jacobians = [constraint_jacobian(con, self.omega) for con in self.constraints]
        for con, J in zip(self.constraints, self._jacobians, strict=True):
            y = con.dual_value
            expr = con.expr
            val = np.atleast_1d(np.asarray(expr.value, dtype=np.float64)).ravel()
            if y is None:
                return float("inf"), float("inf"), float("inf")
            y = np.atleast_1d(np.asarray(y, dtype=np.float64)).ravel()
            if J is None:
                J = constraint_jacobian(con, self.omega, fixed=False)
            lag += (np.atleast_2d(J) @ y) if J.ndim == 2 and J.shape[1] == y.size else J.reshape(-1) * y
            inner = float(y @ val)
            gap += inner
            if type(con).__name__ == "Equality" or type(con).__name__ == "Zero":
                prim = max(prim, float(np.max(np.abs(val))) if val.size else 0.0)
            else:
                prim = max(prim, float(np.max(np.clip(val, 0.0, None))) if val.size else 0.0)
                slack = max(slack, float(np.max(np.abs(y * val))) if val.size else 0.0)
        scale = max(float(np.max(np.abs(grad_f))), 1e-300)
        kkt = max(float(np.max(np.abs(lag))) / scale, prim, slack / scale)
        obj = max(abs(float(self.problem.value)), 1e-300)
        return kkt, abs(gap) / obj, prim


@dataclass
class ScalarisedOptimum:
    """Result of :func:`optimise_scalarised`: the best ω (normalised), its profile risk and θ, the solution
    there (certificate data), all solves made, and whether every solve used was ``optimal``."""

    omega: np.ndarray | None
    risk: float
    theta: float
    gamma: float
    solution: ScalarisedSolution | None
    solves: list[ScalarisedSolution]
    all_optimal: bool
    local_minima: list[ScalarisedSolution] = field(default_factory=list)
    gain: float = float("nan")  # (s − L*)/ρ² at omega

    @property
    def certified(self) -> bool:
        return self.solution is not None and self.solution.certified and self.all_optimal


def optimise_scalarised(
    family: ScalarisedFamily,
    grid_size: int = 24,
    xatol: float = 1e-11,
    bracket: tuple[float, float] | None = None,
) -> ScalarisedOptimum:
    """Outer search over θ: a grid on ``bracket`` (default :meth:`ScalarisedFamily.theta_bracket`, in logit
    scale) and a bounded Brent refinement around every grid local minimum of the profile risk of the
    solution. Returns the best one. For isotropic Σ the bracket is one point: a single solve.

    Any solve with status other than ``"optimal"`` is kept in ``solves`` and makes ``all_optimal`` false.
    """
    from .scalarised import neg_gain, theta_search  # the outer θ search (the solves here are unreduced)

    solves, mins, _ = theta_search(family, grid_size, xatol, bracket)
    ok = [s for s in mins if s.omega is not None]
    if not ok:
        return ScalarisedOptimum(None, float("nan"), float("nan"), float("nan"), None, solves, False, [])
    best = min(ok, key=neg_gain)
    w = normalise(best.omega, family.model.r)
    return ScalarisedOptimum(
        omega=w,
        risk=float(profile_risk(family.model, w)),
        theta=best.theta,
        gamma=best.gamma,
        solution=best,
        solves=solves,
        all_optimal=all(s.status == "optimal" for s in solves),
        local_minima=ok,
        gain=profile_gain(family.model, w, family.r_unit),
    )


# ======================================================================== route (c)
@dataclass
class MultiStartResult:
    omegas: list[np.ndarray]  # normalised, one per start
    risks: list[float]  # L*(ω) per start (after polish)
    full_risks: list[float]  # L(P, ω) reached by L-BFGS before the polish
    grad_norms: list[float]  # ‖∇L*‖ on the quotient after polish (unit r, see r_scale)
    best: int
    iterations: list[int]
    gains: list[float] = field(default_factory=list)  # (s − L*)/ρ² per start

    @property
    def omega(self) -> np.ndarray:
        return self.omegas[self.best]

    @property
    def risk(self) -> float:
        return self.risks[self.best]

    @property
    def gain(self) -> float:
        return self.gains[self.best]

    @property
    def spread(self) -> float:
        """Relative spread of the start values, ``(max gain − min gain)/max gain``."""
        return float((np.max(self.gains) - np.min(self.gains)) / np.max(self.gains)) if self.gains else np.nan


def _lbfgs_full(model: DataModel, rng: np.random.Generator, maxiter: int) -> tuple[np.ndarray, float, int]:
    """L-BFGS on the full L(P, ω) in the eigenbasis of Σ (P̃ = VᵀPV, an orthogonal change of variables),
    with the unit r of :func:`r_scale`: the objective is ``(L(ρP̃', ω) − s)/ρ²``, an affine image of L."""
    lam, _ = model.sigma_eig
    d, n, s = model.d, model.n, model.s
    r = r_scale(model)[1]
    lam2 = lam**2
    if d * d + n > 2000:  # large problems: the full stage only has to reach the basin; the polish finishes
        maxiter = min(maxiter, 150)

    def fg(x: np.ndarray) -> tuple[float, np.ndarray]:
        Pt = x[: d * d].reshape(d, d)
        w = x[d * d :]
        Aw = _apply_R(model, w) + w
        c = float(r @ w)
        a, b = float(w @ Aw), s * float(w @ w)
        m = a * lam2 + b * lam
        P2 = Pt * Pt
        quad = float(lam @ P2 @ m)  # Σ_ij λ_i P_ij² m_j
        trPS2 = float(np.diag(Pt) @ lam2)
        val = -2 * c * trPS2 + quad
        gP = 2 * Pt * np.outer(lam, m)
        gP[np.diag_indices(d)] -= 2 * c * lam2
        t2 = float(lam @ P2 @ lam2)
        t1 = float(lam @ P2 @ lam)
        gw = -2 * trPS2 * r + 2 * t2 * Aw + 2 * s * t1 * w
        return val, np.concatenate([gP.ravel(), gw])

    w0 = rng.standard_normal(n) + rng.uniform(-1, 1)
    w0 /= np.max(np.abs(w0))
    P0 = rng.standard_normal((d, d)) / (n * float(lam[-1]) * np.sqrt(d))
    x0 = np.concatenate([P0.ravel(), w0])
    out = optimize.minimize(
        fg,
        x0,
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": maxiter, "gtol": 1e-9, "ftol": 1e-13, "maxcor": 20},
    )
    return out.x[d * d :], float(out.fun), int(out.nit)


def _lbfgs_profile(model: DataModel, omega: np.ndarray, maxiter: int = 2000) -> np.ndarray:
    """L-BFGS on ``L*(ω)`` (n parameters) from ``omega``, rescaled to max |ω| = 1 first."""
    w0 = normalise(omega, model.r)
    r = r_scale(model)[1]

    def fg(w: np.ndarray) -> tuple[float, np.ndarray]:  # −gain: L* − s up to the factor ρ², no cancellation
        return -profile_gain(model, w, r), profile_gradient(model, w, r)

    out = optimize.minimize(
        fg,
        w0,
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": maxiter, "gtol": 1e-14, "ftol": 1e-16, "maxcor": 20},
    )
    return out.x


def newton_polish(model: DataModel, omega: np.ndarray, iters: int = 30, tol: float = 1e-15) -> np.ndarray:
    """Newton steps on ``L*`` restricted to ``ω^⊥`` (the quotient), with backtracking; stops when the step
    stops decreasing ``L*``."""
    w = normalise(omega, model.r)
    r = r_scale(model)[1]
    cur = -profile_gain(model, w, r)
    for _ in range(iters):
        g = profile_gradient(model, w, r)
        if np.linalg.norm(g) <= tol * max(abs(cur), 1e-300):
            break
        u = w / np.linalg.norm(w)
        g = g - (u @ g) * u
        D, kappa = _deflated(profile_hessian(model, w, r), w)
        try:  # PD on ω^⊥ (the deflated direction has eigenvalue κ > 0): Newton step, which stays ⊥ û
            L_ = np.linalg.cholesky(D)
            step = -np.linalg.solve(L_.T, np.linalg.solve(L_, g))
            step -= (u @ step) * u
        except np.linalg.LinAlgError:  # not locally convex: a gradient step instead
            step = -g / kappa
        t = 1.0
        while t > 1e-8:
            cand = normalise(w + t * step, model.r)
            val = -profile_gain(model, cand, r)
            if val <= cur:
                break
            t /= 2
        else:
            break
        if np.max(np.abs(cand - w)) < 1e-15:
            w = cand
            break
        w, cur = cand, val
    return w


def multistart_route(
    model: DataModel,
    rng: np.random.Generator,
    starts: int = 6,
    maxiter: int = 400,
    polish: bool = True,
    newton_iters: int = 4,
) -> MultiStartResult:
    """Route (c): ``starts`` random starts of L-BFGS on the full ``L(P, ω)`` (``maxiter`` iterations), each
    mapped to the quotient and polished (L-BFGS on ``L*(ω)``, then a few Newton steps on ``ω^⊥``)."""
    require_dense_size(model)
    oms, risks, full, gns, its, gains = [], [], [], [], [], []
    ru = r_scale(model)[1]
    for _ in range(starts):
        w, val, nit = _lbfgs_full(model, rng, maxiter)
        try:
            if polish:
                w = newton_polish(model, _lbfgs_profile(model, w), iters=newton_iters)
            else:
                w = normalise(w, model.r)
        except InputError:
            w = normalise(np.ones(model.n), model.r)
        oms.append(w)
        risks.append(float(profile_risk(model, w)))
        gains.append(profile_gain(model, w, ru))
        full.append(val)
        gns.append(float(np.linalg.norm(profile_gradient(model, w, ru))))
        its.append(nit)
    return MultiStartResult(oms, risks, full, gns, int(np.argmax(gains)), its, gains)


# ======================================================================== certificate
@dataclass
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


@dataclass
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


@dataclass
class LandscapeResult:
    """Everything :func:`certify` found. ``omega`` normalised, ``P = P*(ω)``."""

    risk: float
    omega: np.ndarray
    P: np.ndarray
    gamma: float
    verdict: str
    reason: str
    certificate: dict
    counterexample: dict | None
    curve: CurveResult | None
    scalarised: ScalarisedOptimum | None
    multistart: MultiStartResult | None
    unique: bool = True

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
) -> LandscapeResult:
    """Global minimum of the WPGD risk by the three routes and the R6 uniqueness certificate.

    ``gamma_map`` / ``preconditioner`` are the formulas under test (defaults: R4's map and R3's P*);
    ``extra_minima`` are added to the candidate set (tests plant a duplicated inequivalent minimum there).
    When ``d² + n <= full_hessian_max`` the full restricted Hessian is also computed (torch) and compared
    with the Schur-complement reduction.
    """
    require_dense_size(model)
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
            certificate={
                "r_zero": True,
                "risk_equals_s": abs(rk - model.s) <= 1e-12 * model.s,
                "P_zero_optimal": "L(P, ω) = s + tr(PᵀΣPM) >= s",
            },
            counterexample=None,
            curve=None,
            scalarised=None,
            multistart=None,
            unique=False,
        )
    curve = curve_route(model, gamma_map=gamma_map)
    scal = None
    if use_cvxpy:
        scal = optimise_scalarised(ScalarisedFamily(model))
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
    notes = []
    ok = True

    def agree(name: str, wv: np.ndarray | None, g: float) -> dict:
        nonlocal ok
        if wv is None or not np.isfinite(g):
            ok = False
            notes.append(f"{name}: no result")
            return {"risk_diff": None, "relative": None, "omega_dist": None}
        rel = (G - g) / G
        od = quotient_distance(wv, w, r)
        if abs(rel) > risk_rtol or od > omega_tol:
            ok = False
            notes.append(f"{name}: relative value diff {rel:.3g}, ω distance {od:.3g}")
        return {"risk_diff": rho**2 * (G - g), "relative": rel, "omega_dist": od}

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
    # Hessian via the Schur complement (unit r: the spectrum is that of L* divided by ρ²)
    spec = restricted_profile_spectrum(model, w, ru)
    hmin = float(spec[0]) if spec.size else float("inf")
    hscale = float(np.max(np.abs(spec))) if spec.size else 1.0
    hpp = hpp_min_eigenvalue(model, w)
    Pu = P / rho
    gP, gw = full_gradient(model, Pu, w, ru)
    grad_norm = float(np.sqrt(np.sum(gP**2) + np.sum(gw**2)))
    g0P, g0w = full_gradient(model, np.zeros_like(Pu), w, ru)  # gradient scale at P = 0
    grad_scale = float(np.sqrt(np.sum(g0P**2) + np.sum(g0w**2))) + 1e-300
    stationary_ok = grad_norm <= 1e-7 * grad_scale
    if not stationary_ok:
        ok = False
        notes.append(
            f"(P*(ω), ω) is not stationary for L(P, ω): relative ‖∇L‖ = {grad_norm / grad_scale:.3g}"
        )
    full_spec = None
    if model.d * model.d + model.n <= full_hessian_max:
        fs = restricted_full_spectrum(model, P, w)
        full_spec = {"min": float(fs[0]), "max": float(fs[-1])}
    # strict local minima on the quotient that are not global: from the curve classification and multistart
    locals_ = [Minimum(p.omega, p.risk, "curve-stationary", p.gain) for p in curve.stationary if p.local_min]
    for i, (wi, rk, g) in enumerate(zip(ms.omegas, ms.risks, ms.gains, strict=True)):
        if (
            ms.grad_norms[i] <= 1e-9 * G
            and restricted_profile_hessian_min(model, wi, ru) > hess_rtol * hscale
        ):
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
    cert = {
        "routes": agreement,
        "distinct_minima": {
            "curve_local_minima": len(curve.local_minima),
            "curve_stationary_points": len(curve.stationary),
            "curve_h_minima": len(curve.h_minima),
            "multistart_classes": len(
                distinct_minima([Minimum(x, 0.0, "m") for x in ms.omegas], r, omega_tol)
            ),
        },
        "gradient_norm": grad_norm * rho**2,
        "gradient_relative": grad_norm / grad_scale,
        "hessian": {
            "profile_restricted_min": hmin * rho**2,
            "profile_restricted_max": hscale * rho**2,
            "H_PP_min": hpp,
            "restricted_min_relative": hmin / max(hscale, 1e-300),
            "full_restricted": full_spec,
        },
        "gamma_bracket": list(gamma_bracket(model)),
        "single_ray": curve.single_ray,
        "r_scale": rho,
        "multistart": {
            "starts": len(ms.risks),
            "relative_spread": ms.spread,
            "max_grad_norm_unit_r": float(np.max(ms.grad_norms)),
        },
        "tolerances": {"risk_rtol": risk_rtol, "omega_tol": omega_tol, "hess_rtol": hess_rtol},
    }
    if scal is not None and scal.solution is not None:
        sol = scal.solution
        cert["cvxpy"] = {
            "status": sol.status,
            "theta": sol.theta,
            "kkt_residual": sol.kkt_residual,
            "duality_gap": sol.duality_gap,
            "solves": len(scal.solves),
            "all_optimal": scal.all_optimal,
        }
    gamma = curve.best.gamma if curve.best is not None and best.route == "curve" else float("nan")
    return LandscapeResult(
        risk=float(model.s - rho**2 * profile_gain(model, w, ru)),
        omega=w,
        P=P,
        gamma=gamma,
        verdict=dec.verdict,
        reason=dec.reason,
        certificate=cert,
        counterexample=dec.counterexample,
        curve=curve,
        scalarised=scal,
        multistart=ms,
    )


# ======================================================================== R5, R7, LinAtt
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


def block_spread(model: DataModel, omega: np.ndarray) -> float:
    """max over blocks of ``max − min`` of ω within the block (R7), for the normalised ω."""
    w = np.asarray(omega)
    out = 0.0
    for k in range(model.K):
        seg = w[model.block_index == k]
        out = max(out, float(np.ptp(seg)))
    return out


def linatt_optimum(model: DataModel) -> dict:
    """The best LinAtt predictor: ω ∝ 1 with ``P = P*(1)``; the risk is ``L*(1)``."""
    w = normalise(np.ones(model.n), model.r)
    return {"risk": float(profile_risk(model, w)), "omega": w, "P": optimal_preconditioner(model, w)}
