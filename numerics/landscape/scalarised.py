"""Route (b) of the WPGD landscape: the scalarised convex family (cvxpy + Clarabel; docs/landscape.md).

At fixed ``rᵀω``, ``L*`` increases in ``a`` and in ``b``, so a minimiser is Pareto-minimal for the two convex
quadratics and solves ``min θ a(ω) + (1−θ) b(ω)  s.t. r̂ᵀω = ±1`` for some θ; the KKT condition is
``(R + γI)ω ∝ r`` with ``γ = 1 + s(1−θ)/θ``. This is the one module of the landscape that imports cvxpy
(lazily, inside :class:`ScalarisedFamily`).

Reduced form. Without extra constraints the family is solved over the K block coordinates ``v``
(``ω = Q_E v``, :mod:`.reduced`): writing ``ω = Q_E v + ω_W``, ``a`` and ``b`` grow by ``‖ω_W‖²`` and
``s‖ω_W‖²`` while ``r̂ᵀω`` does not change, so the minimiser over ℝⁿ has ``ω_W = 0`` and the two problems
have the same solution. The certificate still speaks about all n weights: the KKT stationarity residual
is evaluated on ℝⁿ, ``‖∇f(ω) + y r̂‖_∞`` with cvxpy's dual ``y``. With extra (cone) constraints (the gate
classes) the variable is the full n-vector.

Solver statuses are compared through the named constants :data:`OPTIMAL`, :data:`OPTIMAL_INACCURATE`,
:data:`INFEASIBLE` (equal to cvxpy's; a test pins them); only :data:`OPTIMAL` is a certificate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import optimize

from ..closed_forms import profile_risk
from ..errors import InputError
from ..model import DataModel
from ..tolerances import FLAT_PROFILE_RTOL
from .quotient import normalise, r_scale
from .reduced import profile_gain, reduction

#: cvxpy's status strings (``cvxpy.OPTIMAL`` …), named so that no module compares raw strings
OPTIMAL = "optimal"
OPTIMAL_INACCURATE = "optimal_inaccurate"
INFEASIBLE = "infeasible"


def gain_degree(F: np.ndarray, size: int, sigma_eigenvalues: np.ndarray) -> int:
    """A bound on the degree in γ of the scale-free gain along the family without extra constraints.

    With ``m`` distinct eigenvalues of ``R = F Fᵀ`` (``size × size``) the minimiser is ``ω(γ) ∝ (R + γI)⁻¹ r =
    p(γ)/q(γ)`` with ``deg p ≤ m − 1``; the gain ``(rᵀω)² Σ_k λ_k²/(a λ_k + b)`` is scale-free, so the ``q``
    cancel and each of the ``p`` distinct ``λ_k`` of Σ adds a ratio of degree ``2(m − 1)``: the gain is a
    rational function of degree at most ``2(m − 1)p``. Equal at more points than that, it is constant.
    Eigenvalues are counted as distinct above 1e-12 of the largest (rounding splits equal ones: the bound only
    grows, the safe direction)."""
    F = np.asarray(F, dtype=np.float64)
    ev = np.linalg.eigvalsh(F.T @ F) if F.size else np.zeros(0)
    scale = max(float(np.max(np.abs(ev))) if ev.size else 0.0, 1.0)
    nonzero = np.sort(ev[ev > 1e-12 * scale])
    m = (1 + int(np.sum(np.diff(nonzero) > 1e-12 * scale))) if nonzero.size else 0
    if nonzero.size < size:  # R has a null space (rank F < size): the eigenvalue 0
        m += 1
    lam = np.sort(np.asarray(sigma_eigenvalues, dtype=np.float64))
    p = 1 + int(np.sum(np.diff(lam) > 1e-12 * max(float(np.max(np.abs(lam))), 1.0))) if lam.size else 0
    return 2 * max(m - 1, 0) * p


def flat_grid(values: np.ndarray, degree: int | None) -> bool:
    """Whether the θ grid's values are one plateau: every value finite, their spread at most
    ``FLAT_PROFILE_RTOL`` relative, and more grid points than ``degree`` (the gain's degree bound, ``None``
    when there is none, e.g. with cone constraints): then the gain is constant and refining between grid
    points would revisit the same value (docs/landscape.md, "the flat profile")."""
    v = np.asarray(values, dtype=np.float64)
    if degree is None or v.size <= degree or not np.all(np.isfinite(v)):
        return False
    return bool(np.max(v) - np.min(v) <= FLAT_PROFILE_RTOL * max(float(np.max(np.abs(v))), 1e-300))


@dataclass(frozen=True)
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
        return self.status == OPTIMAL and self.omega is not None


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
        reduced: bool | None = None,
    ):
        import cvxpy as cp

        if sign not in (1, -1):
            raise InputError("sign", "must be +1 or -1", sign)
        self.model = model
        self.sign = sign
        self.reduced = extra_constraints is None if reduced is None else bool(reduced)
        if self.reduced and extra_constraints is not None:
            raise InputError("reduced", "extra constraints act on the full n-vector ω; use reduced=False")
        red = reduction(model)
        self._red = red
        C = np.asarray(model.task_corr)
        ev, V = np.linalg.eigh(0.5 * (C + C.T))
        keep = ev > 1e-14 * max(1.0, float(ev.max()))
        L = V[:, keep] * np.sqrt(ev[keep])  # C = L Lᵀ
        self.r_scale, self.r_unit = r_scale(model)
        if self.r_scale == 0.0:
            raise InputError("r", "is 0: the normalisation rᵀω = ±1 is infeasible (every (0, ω) is optimal)")
        if self.reduced:
            # v = N^{-1/2} Eᵀω: ωᵀRω = ‖(N^{1/2}L)ᵀv‖², ‖ω‖² = ‖v‖², r̂ᵀω = (ř/ρ)ᵀv
            self.F = red.sqrt_n[:, None] * L
            size = model.K
            r_hat = red.r_coords / self.r_scale
        else:
            self.F = (L[red.block_index] if L.size else np.zeros((model.n, 0)))  # R = F Fᵀ (n × rank)
            size = model.n
            r_hat = self.r_unit
        self.variable = cp.Variable(size, name="v" if self.reduced else "omega")
        #: the cvxpy variable: the K block coordinates in reduced form, else the n-vector ω
        self.omega = self.variable
        self.theta = cp.Parameter(nonneg=True, name="theta", value=0.5)
        self.one_minus_theta = cp.Parameter(nonneg=True, name="one_minus_theta", value=0.5)
        a = cp.sum_squares(self.F.T @ self.variable) + cp.sum_squares(self.variable)
        b = model.s * cp.sum_squares(self.variable)
        self.normalisation = r_hat @ self.variable == sign
        self.extra = list(extra_constraints(self.variable)) if extra_constraints else []
        self.constraints = [self.normalisation, *self.extra]
        self.problem = cp.Problem(cp.Minimize(self.theta * a + self.one_minus_theta * b), self.constraints)
        #: degree bound of the gain in γ (:func:`gain_degree`); None with extra constraints (piecewise)
        self.degree = None if self.extra else gain_degree(self.F, size, model.eigenvalues)
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
        w = self.variable.value
        if w is None or status not in (OPTIMAL, OPTIMAL_INACCURATE):
            return ScalarisedSolution(
                theta, None, status, float("nan"), float("inf"), float("inf"), float("inf"), dt
            )
        w = np.asarray(w, dtype=np.float64)
        kkt, gap, prim = self._kkt_reduced(w, theta) if self.reduced else self._kkt(w, theta)
        if self.reduced:
            w = self._red.expand(w)
        return ScalarisedSolution(
            theta=float(theta),
            omega=w,
            status=status,
            objective=float(self.problem.value),
            kkt_residual=kkt,
            duality_gap=gap,
            primal_residual=prim,
            solve_time=dt,
            gamma=self.gamma_of(theta),
            risk=float(profile_risk(self.model, w)),
            gain=profile_gain(self.model, w, self.r_unit),
        )

    def _kkt_reduced(self, v: np.ndarray, theta: float) -> tuple[float, float, float]:
        """KKT data of a reduced solve, evaluated on ℝⁿ at ``ω = Q_E v``: stationarity
        ``‖∇f(ω) + y r̂‖_∞/‖∇f(ω)‖_∞`` with ``∇f = 2θ(R+I)ω + 2(1−θ)sω`` (all n weights), primal residual
        ``|r̂ᵀω − sign|``, duality gap ``|y (r̂ᵀω − sign)|`` relative to the objective."""
        y = self.normalisation.dual_value
        if y is None:
            return float("inf"), float("inf"), float("inf")
        y = float(np.asarray(y, dtype=np.float64).ravel()[0])
        w = self._red.expand(v)
        m = self.model
        grad_f = 2 * theta * (self._red.apply_R(w) + w) + 2 * (1 - theta) * m.s * w
        lag = grad_f + y * self.r_unit
        val = float(self.r_unit @ w) - self.sign
        scale = max(float(np.max(np.abs(grad_f))), 1e-300)
        prim = abs(val)
        kkt = max(float(np.max(np.abs(lag))) / scale, prim)
        obj = max(abs(float(self.problem.value)), 1e-300)
        return kkt, abs(y * val) / obj, prim

    def _kkt(self, w: np.ndarray, theta: float) -> tuple[float, float, float]:
        m = self.model
        grad_f = 2 * theta * (self._red.apply_R(w) + w) + 2 * (1 - theta) * m.s * w
        lag = grad_f.copy()
        slack = 0.0
        gap = 0.0
        prim = 0.0
        if self._jacobians is None:  # the constraints are affine: their Jacobians do not depend on ω
            self._jacobians = [constraint_jacobian(con, self.variable) for con in self.constraints]
        for con, J in zip(self.constraints, self._jacobians, strict=True):
            y = con.dual_value
            expr = con.expr
            val = np.atleast_1d(np.asarray(expr.value, dtype=np.float64)).ravel()
            if y is None:
                return float("inf"), float("inf"), float("inf")
            y = np.atleast_1d(np.asarray(y, dtype=np.float64)).ravel()
            if J is None:
                J = constraint_jacobian(con, self.variable, fixed=False)
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


def constraint_jacobian(con: Any, variable: Any, fixed: bool = True) -> np.ndarray | None:
    """The Jacobian of a cvxpy constraint's expression in ``variable`` (cvxpy's ``grad``, dense). With
    ``fixed`` (once per family) only for an affine expression, whose Jacobian does not depend on the point
    (cvxpy rebuilds it on every call); ``None`` otherwise, and the caller asks again at the point."""
    if fixed and not con.expr.is_affine():
        return None
    J = con.expr.grad[variable]
    return J.toarray() if hasattr(J, "toarray") else np.asarray(J)


@dataclass(frozen=True)
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
    plateau: bool = False  # the grid was flat (:func:`flat_grid`): no refinement was needed

    @property
    def certified(self) -> bool:
        return self.solution is not None and self.solution.certified and self.all_optimal


def neg_gain(sol: Any) -> float:
    """``−(s − L*)/ρ²`` of a solution (scale-free: no cancellation against s); ``inf`` without a solution."""
    return -sol.gain if sol.omega is not None and np.isfinite(sol.gain) else float("inf")


def theta_search(family: Any, grid_size: int = 24, xatol: float = 1e-11,
                 bracket: tuple[float, float] | None = None) -> tuple[list, list, bool]:
    """The outer search over θ shared by this family and the dense reference's (``family.solve(θ)`` returns a
    solution with ``omega`` and ``gain``): a ``grid_size``-point grid on ``bracket`` in logit scale and a
    bounded Brent refinement around every grid local minimum of ``−gain``, unless the grid is one plateau
    (:func:`flat_grid` with ``family.degree``). Returns every solve, the candidate minima, and the plateau
    flag."""
    lo, hi = bracket or family.theta_bracket()
    solves: list = []
    plateau = False

    def run(th: float) -> Any:
        sol = family.solve(th)
        solves.append(sol)
        return sol

    risk_of = neg_gain
    if hi - lo <= 1e-14:
        sols = [run(lo)]
        mins = sols
    else:
        logit = lambda t: np.log(t / (1 - t)) if t < 1 else 40.0  # noqa: E731
        expit = lambda u: 1.0 / (1.0 + np.exp(-u))  # noqa: E731
        us = np.linspace(logit(lo), logit(hi), grid_size)
        sols = [run(float(expit(u))) for u in us]
        rs = np.array([risk_of(s) for s in sols])
        mins = []
        plateau = flat_grid(rs, getattr(family, "degree", None))
        if plateau:  # the gain is constant along the family: any grid point is the optimum
            mins = [sols[int(np.argmin(rs))]]
        else:
            for i in range(len(us)):
                left = rs[i - 1] if i > 0 else np.inf
                right = rs[i + 1] if i < len(us) - 1 else np.inf
                if np.isfinite(rs[i]) and rs[i] <= left and rs[i] <= right:
                    a_, b_ = us[max(i - 1, 0)], us[min(i + 1, len(us) - 1)]
                    cache: dict[float, Any] = {}

                    def obj(u: float) -> float:
                        sol = run(float(expit(u)))
                        cache[u] = sol  # noqa: B023 (used within this iteration only)
                        return risk_of(sol)

                    out = optimize.minimize_scalar(
                        obj, bounds=(a_, b_), method="bounded", options={"xatol": xatol}
                    )
                    best_u = min(cache, key=lambda k: risk_of(cache[k])) if cache else out.x
                    cand = cache.get(best_u) or run(float(expit(out.x)))
                    mins.append(cand if risk_of(cand) <= rs[i] else sols[i])
    return solves, mins, plateau


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
    solves, mins, plateau = theta_search(family, grid_size, xatol, bracket)
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
        all_optimal=all(s.status == OPTIMAL for s in solves),
        local_minima=ok,
        gain=profile_gain(family.model, w, family.r_unit),
        plateau=plateau,
    )
