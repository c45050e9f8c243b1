"""Route (c) of the WPGD landscape: multi-start local optimisation (docs/landscape.md).

:func:`multistart_route` runs L-BFGS on the full risk ``L(P, ω)`` restricted by two exact reductions —
``P̃ = VᵀPV`` diagonal (the off-diagonal entries of ``P̃`` enter ``L`` only through ``Σ_ij λ_i P̃_ij² m_j ≥ 0``)
and ω block-constant (the within-block part ``ω_W`` only raises ``a`` and ``b``, see :mod:`.reduced`) — so
``d + K`` parameters instead of ``d² + n``; then L-BFGS on the profile risk ``L*`` and Newton steps on the
quotient. Every result is an n-vector and its certificate (gradient on ℝⁿ, structured Hessian on ``ω^⊥``
in ℝⁿ) is computed by the caller on the full space.

:func:`free_weights_multistart` is the unreduced route for R7: L-BFGS on ``L*`` over all n weights from
random starts that are not block-constant (structured O(n) gradient, no block assumption on ω).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import optimize

from ..closed_forms import profile_risk
from ..errors import InputError
from ..model import DataModel
from .quotient import normalise, r_scale
from .reduced import profile_gain, profile_gradient, reduction, small_gradient, small_hessian


@dataclass(frozen=True)
class MultiStartResult:
    """Route (c): one normalised n-vector ω per start, ``L*(ω)``, the value reached by the first (full-L)
    stage, the gradient norm of ``L*`` on ℝⁿ after the polish (unit r), iterations and gains
    ``(s − L*)/ρ²``."""

    omegas: list[np.ndarray]
    risks: list[float]
    full_risks: list[float]
    grad_norms: list[float]
    best: int
    iterations: list[int]
    gains: list[float] = field(default_factory=list)

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


def _lbfgs_reduced(model: DataModel, rng: np.random.Generator, maxiter: int) -> tuple[np.ndarray, float, int]:
    """L-BFGS on ``(L(P, ω) − s)/ρ²`` over diagonal ``P̃`` (d) and block coordinates ``v`` (K), unit r."""
    red = reduction(model)
    rho, _ = r_scale(model)
    lam, s, G = red.lam, red.s, red.G
    d, K = lam.size, red.K
    rv = red.r_coords / rho
    lam2 = lam**2
    if d * d + model.n > 2000:  # large problems: this stage only has to reach the basin; the polish finishes
        maxiter = min(maxiter, 150)

    def fg(x: np.ndarray) -> tuple[float, np.ndarray]:
        p, v = x[:d], x[d:]
        Gv = G @ v
        c = float(rv @ v)
        sq = float(v @ v)
        a, b = float(v @ Gv) + sq, s * sq
        m = a * lam2 + b * lam
        tr2 = float(lam2 @ p)
        val = -2 * c * tr2 + float(lam @ (p * p * m))
        gp = -2 * c * lam2 + 2 * lam * p * m
        da = float(lam @ (p * p * lam2))
        db = float(lam @ (p * p * lam))
        gv = -2 * tr2 * rv + 2 * da * (Gv + v) + 2 * s * db * v
        return val, np.concatenate([gp, gv])

    u0 = rng.standard_normal(K) + rng.uniform(-1, 1)
    v0 = red.sqrt_n * u0 / np.max(np.abs(u0))
    p0 = rng.standard_normal(d) / (model.n * float(lam[-1]) * np.sqrt(d))
    out = optimize.minimize(
        fg,
        np.concatenate([p0, v0]),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": maxiter, "gtol": 1e-9, "ftol": 1e-13, "maxcor": 20},
    )
    return red.expand(out.x[d:]), float(out.fun), int(out.nit)


def _small_problem(model: DataModel, omega: np.ndarray):
    """The restriction of ``L*`` (unit r) to ``V = range(E) ⊕ span(ω_W)`` at ω: ``(Gm, rm, wm, lift)``."""
    red = reduction(model)
    rho, _ = r_scale(model)
    v, ww = red.split(omega)
    t = float(np.linalg.norm(ww))
    rv = red.r_coords / rho
    if t > 1e-15 * float(np.max(np.abs(omega))) * np.sqrt(red.n) and red.n > red.K:
        Gm = np.zeros((red.K + 1, red.K + 1))
        Gm[: red.K, : red.K] = red.G
        wdir = ww / t
        return Gm, np.append(rv, 0.0), np.append(v, t), lambda x: red.expand(x[: red.K]) + x[-1] * wdir
    return red.G, rv, v, red.expand


def _small_gain(Gm: np.ndarray, rm: np.ndarray, wm: np.ndarray, lam: np.ndarray, s: float) -> float:
    sq = float(wm @ wm)
    if sq == 0.0:
        return 0.0
    a = float(wm @ (Gm @ wm)) + sq
    return float(rm @ wm) ** 2 * float(np.sum(lam**2 / (a * lam + s * sq)))


def _lbfgs_profile(model: DataModel, omega: np.ndarray, maxiter: int = 2000) -> np.ndarray:
    """L-BFGS on ``L*`` restricted to ``V`` at ω (exact: the gradient of ``L*`` at a point of V lies in V)."""
    red = reduction(model)
    Gm, rm, wm, lift = _small_problem(model, normalise(omega, model.r))

    def fg(w: np.ndarray) -> tuple[float, np.ndarray]:  # −gain: L* − s up to the factor ρ², no cancellation
        return -_small_gain(Gm, rm, w, red.lam, red.s), small_gradient(Gm, rm, w, red.lam, red.s)

    out = optimize.minimize(
        fg, wm, jac=True, method="L-BFGS-B",
        options={"maxiter": maxiter, "gtol": 1e-14, "ftol": 1e-16, "maxcor": 20},
    )
    return lift(out.x)


def newton_polish(model: DataModel, omega: np.ndarray, iters: int = 30, tol: float = 1e-15) -> np.ndarray:
    """Newton steps on ``L*`` restricted to ``ω^⊥`` (the quotient), with backtracking; stops when the step
    stops decreasing ``L*``. Works in ``V = range(E) ⊕ span(ω_W)``, which contains ω, the gradient and the
    Newton step on ℝⁿ (the Hessian is α times the identity on ``V^⊥``), so it is Newton on all n weights."""
    red = reduction(model)
    w = normalise(omega, model.r)
    Gm, rm, wm, lift = _small_problem(model, w)
    lam, s = red.lam, red.s

    def norm_small(x: np.ndarray) -> np.ndarray:
        return normalise(lift(x), model.r)

    cur = -_small_gain(Gm, rm, wm, lam, s)
    x = wm
    for _ in range(iters):
        g = small_gradient(Gm, rm, x, lam, s)
        if np.linalg.norm(g) <= tol * max(abs(cur), 1e-300):
            break
        u = x / np.linalg.norm(x)
        g = g - (u @ g) * u
        H, _ = small_hessian(Gm, rm, x, lam, s)
        Hu = H @ u
        PHP = H - np.outer(Hu, u) - np.outer(u, Hu) + float(u @ Hu) * np.outer(u, u)
        kappa = 10.0 * float(np.max(np.abs(PHP).sum(1))) + 1.0
        D = PHP + kappa * np.outer(u, u)
        try:  # PD on ω^⊥: Newton step, which stays ⊥ u
            L_ = np.linalg.cholesky(D)
            step = -np.linalg.solve(L_.T, np.linalg.solve(L_, g))
            step -= (u @ step) * u
            convex = True
        except np.linalg.LinAlgError:  # not locally convex: a gradient step instead
            step = -g / kappa
            convex = False
        gnorm = float(np.linalg.norm(g) * np.linalg.norm(x))  # scale-free: ∇L* is homogeneous of degree −1
        t = 1.0
        while t > 1e-8:
            cand = x + t * step
            cand = cand / float(np.max(np.abs(lift(cand))))
            val = -_small_gain(Gm, rm, cand, lam, s)
            if val <= cur:
                break
            # near a strict minimum the decrease is below the rounding of the value: accept a Newton step
            # that reduces the (scale-free) gradient on ω^⊥ instead
            gc = small_gradient(Gm, rm, cand, lam, s)
            uc = cand / np.linalg.norm(cand)
            if convex and np.linalg.norm(gc - (uc @ gc) * uc) * np.linalg.norm(cand) < 0.5 * gnorm:
                break
            t /= 2
        else:
            break
        if np.max(np.abs(lift(cand) - lift(x))) < 1e-15:
            x = cand
            break
        x, cur = cand, val
    return norm_small(x)


def multistart_route(
    model: DataModel,
    rng: np.random.Generator,
    starts: int = 6,
    maxiter: int = 400,
    polish: bool = True,
    newton_iters: int = 4,
) -> MultiStartResult:
    """Route (c): ``starts`` random starts of L-BFGS on the reduced full risk (``maxiter`` iterations), each
    polished (L-BFGS on ``L*``, then a few Newton steps on ``ω^⊥``) and returned as an n-vector."""
    oms, risks, full, gns, its, gains = [], [], [], [], [], []
    ru = r_scale(model)[1]
    for _ in range(starts):
        w, val, nit = _lbfgs_reduced(model, rng, maxiter)
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


def free_weights_multistart(
    model: DataModel, rng: np.random.Generator, starts: int = 3, maxiter: int = 3000
) -> MultiStartResult:
    """The unreduced route for R7: L-BFGS on ``L*`` over all n weights (structured O(n) value and gradient,
    nothing assumes block constancy), from random starts with independent entries, then Newton steps on
    ℝⁿ. Used to check R7, never to establish the optimum the certificate reports."""
    ru = r_scale(model)[1]
    oms, risks, gns, its, gains = [], [], [], [], []
    for _ in range(starts):
        w0 = rng.standard_normal(model.n) + rng.uniform(-1, 1)
        w0 /= np.max(np.abs(w0))

        def fg(w: np.ndarray) -> tuple[float, np.ndarray]:
            return -profile_gain(model, w, ru), profile_gradient(model, w, ru)

        out = optimize.minimize(
            fg, w0, jac=True, method="L-BFGS-B",
            options={"maxiter": maxiter, "gtol": 1e-14, "ftol": 1e-16, "maxcor": 30},
        )
        try:
            w = newton_polish(model, out.x, iters=8)
        except InputError:
            w = normalise(np.ones(model.n), model.r)
        oms.append(w)
        risks.append(float(profile_risk(model, w)))
        gains.append(profile_gain(model, w, ru))
        gns.append(float(np.linalg.norm(profile_gradient(model, w, ru))))
        its.append(int(out.nit))
    return MultiStartResult(oms, risks, [float("nan")] * starts, gns, int(np.argmax(gains)), its, gains)
