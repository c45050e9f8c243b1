"""Block-reduced gate-class optima (A3, A6): K block variables instead of n weights, no n×n matrix.

Why the reduction is exact (proof in docs/gating.md, "Block reduction"): the profile risk
``L*(ω) = s − (rᵀω)² Σ_k λ_k²/(a λ_k + b)`` sees ω only through ``rᵀω``, ``a = ωᵀ(R+I)ω`` and
``b = s‖ω‖²``; with ``R = E C Eᵀ`` and ``r = E c`` (``E`` the n×K block indicator) the block average
``ω̄ = E N⁻¹ Eᵀ ω`` (``N = diag(n_k)``) keeps ``rᵀω`` and ``ωᵀRω`` and does not increase ``‖ω‖²``, so
``L*(ω̄) ≤ L*(ω)``; and averaging a non-decreasing sequence over contiguous blocks keeps it
non-decreasing (and non-negative). So over the ``free`` cone (monotone), the ``delimiter`` cone
(block-constant monotone), the ``linatt`` ray and the whole space, an optimum can be taken block-constant,
``ω = E u``. On block-constant vectors

    rᵀω = cᵀN u,   ωᵀ(R + γI)ω = uᵀ(N C N + γN) u,   ‖ω‖² = uᵀN u,

so the cone QP of the γ family (see :mod:`.optima`) is a K-variable QP. The same holds per coordinate for
key-dimension gates (A6). The reduction is NOT used for the ``block-id`` class (geometric within blocks:
not closed under averaging) nor for ``token`` gates (no fixed weight vector).

The reduced cone is written by generators: with ``v = A u`` (``A`` the monotone rows ``u_1``,
``u_{k+1} − u_k``) and ``u = L v`` (``L`` lower-triangular ones), each row is an inequality
(``v_k ≥ 0``: column ``L_k``), an equality (``v_k = 0``: no column) or free (columns ``±L_k``). The QP
``min uᵀQu s.t. hᵀu = 1, u = Bx, x ≥ 0`` is, up to scale, the NNLS problem
``min_{x≥0} ½‖G B x − G^{-T} h‖²`` with ``Q = GᵀG`` (at the NNLS solution ``uᵀQu = hᵀu``), solved exactly
by scipy's active-set NNLS.

This module only optimises; the certificate of the result on all n weights lives in :mod:`.certificate`
and builds its cone independently (from gate products).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq, nnls

from ..errors import InputError
from ..model import DataModel

#: gate classes (and the unconstrained WPGD set) whose optimum the block reduction computes exactly
REDUCED_KINDS: tuple[str, ...] = ("free", "delimiter", "linatt", "unconstrained")
#: per monotone row of ``u``: the realisable cone's row kinds (the optimiser's builder)
_ROWS = {
    "free": "ineq",  # u_1 ≥ 0 and u_{k+1} ≥ u_k (free scalar gates reduce to the delimiter set)
    "delimiter": "ineq",
    "unconstrained": "free",
}
#: the message for r = 0 (the same as the landscape's scalarised family gives: nothing to optimise)
R_ZERO_MESSAGE = "is 0: the normalisation rᵀω = ±1 is infeasible (every (0, ω) is optimal)"
#: γ grid of the outer search (log-spaced on the bracket): residual sign changes are located on it
GAMMA_GRID = 96


@dataclass(frozen=True, eq=False)
class BlockReduction:
    """The model seen by block-constant weights ``ω = E u``: O(K² + d) numbers plus the block index."""

    sizes: np.ndarray  # n_k as floats
    C: np.ndarray  # K×K block-task correlation
    c: np.ndarray  # c_k = corr(β_k, β)
    lam: np.ndarray  # eigenvalues of Σ, ascending
    s: float
    block_index: np.ndarray  # (n,) block of every example

    @classmethod
    def of(cls, model: DataModel) -> BlockReduction:
        return cls(
            sizes=np.asarray(model.block_sizes, dtype=np.float64),
            C=np.asarray(model.task_corr, dtype=np.float64),
            c=np.asarray(model.query_corr, dtype=np.float64),
            lam=np.asarray(model.eigenvalues, dtype=np.float64),
            s=float(model.s),
            block_index=model.block_index,
        )

    @property
    def K(self) -> int:
        return int(self.sizes.size)

    @property
    def rho(self) -> float:
        """``max_k |c_k|`` (= ``max_i |r_i|``)."""
        return float(np.max(np.abs(self.c))) if self.c.size else 0.0

    @property
    def c_unit(self) -> np.ndarray:
        """``c / ρ``: the normalisation ``r̂ᵀω = ±1`` is well scaled for tiny r."""
        return self.c / self.rho

    def lift(self, u: np.ndarray) -> np.ndarray:
        """``ω = E u`` (O(n))."""
        return np.asarray(u, dtype=np.float64)[self.block_index]

    def qp_matrix(self, gamma: float) -> np.ndarray:
        """``N C N + γ N``: ``ωᵀ(R + γI)ω`` for ``ω = E u``."""
        n = self.sizes
        return (n[:, None] * self.C * n[None, :]) + gamma * np.diag(n)

    def coefficients(self, u: np.ndarray, unit: bool = False) -> tuple[float, float, float]:
        """``(rᵀω, a, b)`` of ``ω = E u`` (``r̂`` instead of ``r`` when ``unit``)."""
        nu = self.sizes * u
        sq = float(u @ nu)
        a = float(nu @ self.C @ nu) + sq
        c = self.c_unit if unit else self.c
        return float(c @ nu), a, self.s * sq

    def gain(self, u: np.ndarray) -> float:
        """``(s − L*(E u))/ρ²`` without cancellation against ``s`` (bigger is better)."""
        rw, a, b = self.coefficients(u, unit=True)
        return rw**2 * float(np.sum(self.lam**2 / (a * self.lam + b)))

    def fixed_point_gamma(self, u: np.ndarray) -> float:
        """``Γ(ω) = 1 + s F₂/F₃`` at ``ω = E u`` (R4's fixed point; scale-free)."""
        _, a, b = self.coefficients(u)
        den = (a * self.lam + b) ** 2
        return 1.0 + self.s * float(np.sum(self.lam**2 / den)) / float(np.sum(self.lam**3 / den))

    def gamma_bracket(self) -> tuple[float, float]:
        """``Γ`` takes values in ``[1 + s/λ_max, 1 + s/λ_min]`` (F₂/F₃ is a mean of 1/λ)."""
        return 1.0 + self.s / float(self.lam[-1]), 1.0 + self.s / float(self.lam[0])


@dataclass(frozen=True, eq=False)
class ReducedCone:
    """The optimiser's reduced cone ``{u = B x : x ≥ 0}`` with the row kinds it was built from."""

    kind: str
    rows: tuple[str, ...]  # per monotone row: "ineq", "eq", "free" or (planted) "flip"
    B: np.ndarray  # K×m generators


def reduced_cone(
    kind: str, K: int, drop_constraint: int | None = None, flip_constraint: int | None = None
) -> ReducedCone:
    """The reduced realisable cone of ``kind`` (one of :data:`REDUCED_KINDS`), built once.

    ``drop_constraint`` / ``flip_constraint`` (tests only) plant a builder error: row ``k`` of the monotone
    rows becomes free, or its inequality is reversed. The certificate must catch either when it matters."""
    if kind not in REDUCED_KINDS:
        raise InputError("kind", f"must be one of {', '.join(REDUCED_KINDS)} for the block reduction", kind)
    if kind == "linatt":
        rows = ["ineq"] + ["eq"] * (K - 1)
    else:
        rows = [_ROWS[kind]] * K
    for plant, new in ((drop_constraint, "free"), (flip_constraint, "flip")):
        if plant is not None:
            if not 0 <= plant < K:
                raise InputError("drop_constraint", f"must be a row index in [0, {K})", plant)
            rows[plant] = new
    L = np.tril(np.ones((K, K)))
    cols = []
    for k, kind_k in enumerate(rows):
        if kind_k == "ineq":
            cols.append(L[:, k])
        elif kind_k == "flip":
            cols.append(-L[:, k])
        elif kind_k == "free":
            cols += [L[:, k], -L[:, k]]
    return ReducedCone(kind, tuple(rows), np.stack(cols, axis=1))


@dataclass(frozen=True, eq=False)
class ReducedSolution:
    """The cone QP ``min uᵀQu s.t. r̂ᵀω = sign`` at one γ (``u`` None: that sign is infeasible).

    ``value`` is the QP optimum at that normalisation; ``kkt`` the relative KKT residual of the NNLS
    (dual infeasibility ``max(−w)`` with ``w = Hx − h_B``), ``gap`` its complementarity ``|xᵀw|`` relative
    to ``hᵀu`` (the duality gap of the QP)."""

    gamma: float
    sign: int
    u: np.ndarray | None
    value: float
    kkt: float
    gap: float


def solve_cone_qp(red: BlockReduction, cone: ReducedCone, gamma: float, sign: int) -> ReducedSolution:
    """Exact solution of the reduced cone QP at ``γ`` with ``r̂ᵀω = sign`` (active-set NNLS)."""
    Q = red.qp_matrix(gamma)
    h = sign * red.sizes * red.c_unit
    G = np.linalg.cholesky(Q).T  # Q = Gᵀ G
    t = np.linalg.solve(G.T, h)
    M = G @ cone.B
    x, _ = nnls(M, t, maxiter=50 * max(cone.B.shape[1], 1))
    u = cone.B @ x
    hu = float(h @ u)
    if not hu > 1e-14 * float(np.linalg.norm(h)) * max(float(np.linalg.norm(u)), 1e-300):
        return ReducedSolution(gamma, sign, None, float("inf"), float("inf"), float("inf"))
    hB = cone.B.T @ h
    w = M.T @ (M @ x) - hB
    scale = max(float(np.max(np.abs(hB))), 1e-300)
    kkt = max(float(-np.min(w)), 0.0) / scale + 0.0  # no -0.0
    gap = abs(float(x @ w)) / hu
    u = u / hu  # hᵀu = 1, i.e. r̂ᵀω = sign
    return ReducedSolution(gamma, sign, u, float(u @ Q @ u), kkt, gap)


def solve_unconstrained(red: BlockReduction, gamma: float) -> ReducedSolution:
    """``(N C N + γN) u ∝ N ĉ``: the unconstrained γ-QP (both signs give ±u)."""
    Q = red.qp_matrix(gamma)
    h = red.sizes * red.c_unit
    u = np.linalg.solve(Q, h)
    hu = float(h @ u)
    res = float(np.max(np.abs(Q @ u - h))) / max(float(np.max(np.abs(h))), 1e-300)
    u = u / hu
    return ReducedSolution(gamma, 1, u, float(u @ Q @ u), res, 0.0)


def _solve(red: BlockReduction, cone: ReducedCone, gamma: float, sign: int) -> ReducedSolution:
    if cone.kind == "unconstrained" and all(r == "free" for r in cone.rows):
        sol = solve_unconstrained(red, gamma)
        return sol if sign == 1 else ReducedSolution(gamma, -1, -sol.u, sol.value, sol.kkt, sol.gap)
    return solve_cone_qp(red, cone, gamma, sign)


@dataclass(frozen=True, eq=False)
class GammaSearch:
    """The outer search of :func:`reduced_class_optimum`: the winning solution and how it was found."""

    solution: ReducedSolution
    fixed_point: float  # |γ − Γ(ω(γ))|/γ at the reported γ
    roots: int  # fixed points found (both signs)
    grid_size: int
    signs_feasible: tuple[int, ...]
    #: every fixed point found (both signs), the winner included: the certificate re-ranks them by the
    #: closed-form risk, independently of :meth:`BlockReduction.gain`
    candidates: tuple[ReducedSolution, ...] = ()


def reduced_class_optimum(red: BlockReduction, cone: ReducedCone, grid: int = GAMMA_GRID) -> GammaSearch:
    """``min L*(E u)`` over the reduced cone, both signs ``r̂ᵀω = ±1``.

    Every local minimiser on the cone solves the cone QP at its own ``γ* = Γ(ω)`` (first-order condition,
    see :mod:`.optima`), and ``Γ`` maps into the bracket ``[1 + s/λ_max, 1 + s/λ_min]``, so the residual
    ``ρ(γ) = Γ(ω(γ)) − γ`` (continuous: a strictly convex QP's solution is continuous in γ) is ≥ 0 at the
    left end and ≤ 0 at the right end. Its roots are located on a log-spaced grid of ``grid`` points and
    refined by Brent's method to machine precision; the root with the largest gain (smallest risk) wins.
    For ``Σ = λI`` the bracket is one point and one QP solve suffices."""
    if red.rho == 0.0:
        raise InputError("r", R_ZERO_MESSAGE)
    lo, hi = red.gamma_bracket()
    feasible = tuple(sg for sg in (1, -1) if _solve(red, cone, lo, sg).u is not None)
    if not feasible:
        raise InputError("model", f"no feasible weights for kind {cone.kind!r} with r^T w = +-1 (is r = 0?)")
    cands: list[ReducedSolution] = []
    if hi - lo <= 1e-14 * hi:
        cands = [_solve(red, cone, lo, sg) for sg in feasible]
        grid_used = 1
    else:
        gs = np.geomspace(lo, hi, grid)
        gs[0], gs[-1] = lo, hi
        grid_used = grid
        for sg in feasible:

            def resid(g: float, sg: int = sg) -> float:
                sol = _solve(red, cone, g, sg)
                return red.fixed_point_gamma(sol.u) - g

            vals = np.array([resid(float(g)) for g in gs])
            roots = [float(g) for g, v in zip(gs, vals, strict=True) if v == 0.0]
            if vals[0] < 0.0:  # round-off at the ends: Γ ≥ lo holds exactly in real arithmetic
                roots.append(float(gs[0]))
            if vals[-1] > 0.0:
                roots.append(float(gs[-1]))
            for i in np.flatnonzero(np.sign(vals[:-1]) * np.sign(vals[1:]) < 0):
                roots.append(
                    brentq(resid, float(gs[i]), float(gs[i + 1]), xtol=1e-300, rtol=4 * np.finfo(float).eps)
                )
            cands += [_solve(red, cone, g, sg) for g in roots]
    best = max(cands, key=lambda sol: red.gain(sol.u))
    fp = abs(best.gamma - red.fixed_point_gamma(best.u)) / best.gamma
    return GammaSearch(best, fp, len(cands), grid_used, feasible, tuple(cands))
