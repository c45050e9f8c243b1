"""The dense reference of the gate-class optima (A3): n cvxpy variables, the n×n constraint matrices.

This is the old, explicit implementation kept as the slow reference (the way fla keeps its naive kernels):
the block-reduced optima of :mod:`.optima` are tested against it (tests/test_gating.py). It forms n×n
matrices, so it refuses ``n > DENSE_MAX_N`` with an InputError; nothing but tests and benchmarks call it.

Route: the landscape's scalarised cvxpy family with the cone constraints ``Aω ≥ 0, Dω = 0`` added, an
outer search over γ, a fixed-point refinement and an active-face polish; the γ-free KKT certificate on
the same (dense) cone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..closed_forms import optimal_preconditioner, profile_risk
from ..errors import InputError
from ..model import DataModel
from ..tolerances import ACTIVE_TOL, CERT_TOL, FIXED_POINT_TOL, OMEGA_MATCH_TOL
from .sets import CONE_KINDS, _check_kind, monotone_cone_matrix

#: largest n the dense reference accepts: it forms n×n matrices (R, the constraint rows) and solves cvxpy
#: problems in n variables; at n = 2048 that is 32 MB per matrix and seconds per solve.
DENSE_MAX_N = 2048


def check_dense_size(model: DataModel) -> None:
    """The dense reference forms n×n matrices: refuse models above ``DENSE_MAX_N`` with a clear message."""
    if model.n > DENSE_MAX_N:
        raise InputError(
            "model",
            f"n = {model.n} is too large for the dense reference (n <= {DENSE_MAX_N}); "
            "use numerics.gating.constrained_optimum (block-reduced)",
        )


def cone_constraint_matrices(kind: str, model: DataModel) -> tuple[np.ndarray | None, np.ndarray | None]:
    """``(A, D)`` with the realisable cone of ``kind`` (up to scale) equal to ``{ω : A ω ≥ 0, D ω = 0}``.

    ``free``: ``A`` = the monotone-cone rows (``ω_1 ≥ 0``, ``ω_{i+1} − ω_i ≥ 0``), no ``D``.
    ``delimiter``: ``D`` = within-block differences, ``A`` = monotone rows on the first entry of each block.
    ``linatt``: ``D`` = all consecutive differences, ``A`` = ``ω_1 ≥ 0``.
    ``unconstrained``: neither."""
    n, K = model.n, model.K
    if kind == "unconstrained":
        return None, None
    if kind == "free":
        return monotone_cone_matrix(n), None
    if kind == "linatt":
        D = np.diff(np.eye(n), axis=0)
        A = np.zeros((1, n))
        A[0, 0] = 1.0
        return A, (D if n > 1 else None)
    if kind == "delimiter":
        starts = np.concatenate([[0], np.cumsum(model.block_sizes)[:-1]]).astype(int)
        Srep = np.zeros((K, n))
        Srep[np.arange(K), starts] = 1.0
        A = monotone_cone_matrix(K) @ Srep
        rows = [i for i in range(1, n) if model.block_index[i] == model.block_index[i - 1]]
        D = np.zeros((len(rows), n))
        for j, i in enumerate(rows):
            D[j, i], D[j, i - 1] = 1.0, -1.0
        return A, (D if rows else None)
    _check_kind(kind, CONE_KINDS + ("unconstrained",))
    raise AssertionError  # pragma: no cover


def cone_constraints(
    kind: str, model: DataModel, drop_constraint: int | None = None, drop_equalities: bool = False
) -> Callable[[object], list] | None:
    """``extra_constraints`` callable for the landscape's :class:`ScalarisedFamily`: ``ω ↦ [Aω ≥ 0, Dω = 0]``.

    ``drop_constraint`` (tests only) deletes one row of ``A``, to plant a missing cone constraint;
    ``drop_equalities`` (tests only) deletes ``D`` (the delimiter's within-block equalities)."""
    A, D = cone_constraint_matrices(kind, model)
    if drop_equalities:
        D = None
    if A is None and D is None:
        return None
    if A is not None and drop_constraint is not None:
        A = np.delete(A, drop_constraint, axis=0)

    def fn(omega: object) -> list:
        cons = []
        if A is not None and A.shape[0]:
            cons.append(A @ omega >= 0)
        if D is not None:
            cons.append(D @ omega == 0)
        return cons

    return fn


@dataclass(frozen=True, eq=False)
class DenseClassOptimum:
    """Best one-layer risk of a gate class (A3) by the dense reference, with its certificate.

    ``omega`` is normalised (``max|ω| = 1``, ``r^T ω ≥ 0``); ``P = P*(ω)``; ``gamma`` the QP parameter at
    the optimum; ``certificate`` holds the solver status, KKT residual, duality gap, the fixed-point
    residual ``|γ − (1 + s F_2/F_3)|/γ`` and ``ok``."""

    kind: str
    risk: float
    omega: np.ndarray
    P: np.ndarray
    gamma: float
    sign: int
    certificate: dict[str, float] = field(default_factory=dict)
    method: str = ""

    @property
    def certified(self) -> bool:
        return bool(self.certificate.get("ok", 0.0))


def _spectral_sums(model: DataModel, omega: np.ndarray) -> tuple[float, float]:
    from ..closed_forms import risk_coefficients

    co = risk_coefficients(model, omega)
    lam = model.eigenvalues
    den = co.a * lam + co.b
    return float(np.sum(lam**2 / den**2)), float(np.sum(lam**3 / den**2))


def fixed_point_gamma(model: DataModel, omega: np.ndarray) -> float:
    """``1 + s F_2/F_3`` at ω (R4's fixed point, docs/landscape.md; the first-order condition on the cone,
    too)."""
    f2, f3 = _spectral_sums(model, omega)
    return 1.0 + model.s * f2 / f3


def dense_cone_kkt_certificate(
    model: DataModel, omega: np.ndarray, kind: str, active_tol: float = ACTIVE_TOL
) -> dict[str, float]:
    """First-order (KKT) certificate of ``min L*(ω)`` over the realisable cone of ``kind`` at ``ω`` (A3),
    independent of cvxpy and of γ.

    The cone is ``{Aω ≥ 0, Dω = 0}`` (:func:`cone_constraint_matrices`, always the true cone of ``kind``);
    ``ω`` or ``−ω`` must lie in it (``L*`` is even). KKT: ``∇L*(ω) = A_Iᵀμ + Dᵀη`` with ``μ ≥ 0`` on the
    active rows ``I``, solved as a bounded least-squares problem (BVLS: ``μ ≥ 0``, ``η`` free). Returned:

    ``stationarity`` ``‖∇L* − A_Iᵀμ − Dᵀη‖_∞`` relative to the larger of the two terms of
    ``∇L* = −2cf r̂ + 2c²(F₃(R+I)ω + sF₂ω)`` (unit ``r̂``, so scale-free; the terms cancel at an interior
    optimum, so ``‖∇L*‖`` itself is no scale); ``complementarity`` ``max μ_i (Aω)_i`` on the same scale;
    ``feasibility`` ``max(−min Aω, max|Dω|)/max|ω|``; ``residual`` the largest of the three; ``active`` the
    number of active rows; ``min_multiplier``.

    Why it is the right condition: at ``γ = 1 + sF₂/F₃`` the gradient is
    ``c²F₃ [2(R+γI)ω − (2f/(cF₃)) r̂]``, so it lies in the normal cone exactly when ω solves the cone QP
    ``min ωᵀ(R+γI)ω, r̂ᵀω = c`` at that γ (the ``r̂`` multiplier is fixed by ``∇L*·ω = 0``) — the
    first-order condition the γ search certifies, here checked without a γ. For the uniform vector with all
    cone constraints active (i.i.d. tasks, decreasing star) it is the direct certificate of optimality of
    ``ω ∝ 1`` over the cone."""
    from scipy.optimize import lsq_linear

    from ..landscape import profile_gradient, r_scale

    check_dense_size(model)

    w = np.asarray(omega, dtype=np.float64)
    if w.shape != (model.n,):
        raise InputError("omega", f"must have shape ({model.n},), got {w.shape}")
    scale_w = float(np.max(np.abs(w)))
    if scale_w == 0.0 or not np.isfinite(scale_w):
        raise InputError("omega", "must be nonzero and finite")
    w = w / scale_w
    A, D = cone_constraint_matrices(kind, model)
    A = np.zeros((0, model.n)) if A is None else A
    D = np.zeros((0, model.n)) if D is None else D

    def infeas(v: np.ndarray) -> float:
        lo = float(-np.min(A @ v)) if A.shape[0] else 0.0
        eq = float(np.max(np.abs(D @ v))) if D.shape[0] else 0.0
        return max(lo, eq, 0.0) + 0.0  # no -0.0

    if infeas(-w) < infeas(w):  # P absorbs the sign; L* is even, ∇L* odd
        w = -w
    feas = infeas(w)
    _, r_hat = r_scale(model)
    g = profile_gradient(model, w, r_hat)
    c = float(r_hat @ w)
    lam, s = model.eigenvalues, model.s
    Aw_full = model.R @ w + w
    a, b = float(w @ Aw_full), s * float(w @ w)
    den = a * lam + b
    f = float(np.sum(lam**2 / den))
    f2, f3 = float(np.sum(lam**2 / den**2)), float(np.sum(lam**3 / den**2))
    scale_g = max(
        float(np.max(np.abs(2 * c * f * r_hat))),
        float(np.max(np.abs(2 * c * c * (f3 * Aw_full + s * f2 * w)))),
        1e-300,
    )
    slack = A @ w
    act = np.flatnonzero(slack <= active_tol)
    cols = np.vstack([A[act], D]).T if (act.size + D.shape[0]) else np.zeros((model.n, 0))
    if cols.shape[1]:
        lb = np.concatenate([np.zeros(act.size), np.full(D.shape[0], -np.inf)])
        ub = np.full(cols.shape[1], np.inf)
        sol = lsq_linear(cols, g, bounds=(lb, ub), method="bvls", tol=1e-15, lsmr_tol=None)
        x = sol.x
        res = g - cols @ x
        mu = x[: act.size]
    else:
        res, mu = g, np.zeros(0)
    stat = float(np.max(np.abs(res))) / scale_g
    comp = float(np.max(np.abs(mu * slack[act]))) / scale_g if act.size else 0.0
    return {
        "residual": max(stat, comp, feas),
        "stationarity": stat,
        "complementarity": comp,
        "feasibility": feas,
        "active": float(act.size),
        "min_multiplier": float(np.min(mu)) if mu.size else float("nan"),
    }


def best_refinement(cands: list[tuple], tol: float = OMEGA_MATCH_TOL) -> tuple:
    """Among fixed-point refinements ``(residual, match, γ, solution)`` (``match``: quotient distance of the
    refined ω from the search's ω), the smallest residual among those within ``tol`` (``OMEGA_MATCH_TOL``)
    of the search's ω: a refinement may sharpen γ but must not move to another optimum. The search's own
    candidate (match 0) always qualifies."""
    matching = [c for c in cands if c[1] <= tol]
    return min(matching, key=lambda c: c[0])


def dense_constrained_optimum(
    model: DataModel,
    kind: str,
    tol: float = CERT_TOL,
    drop_constraint: int | None = None,
    drop_equalities: bool = False,
) -> DenseClassOptimum:
    """A3: ``min L*(ω)`` over the realisable cone of ``kind`` (``free``, ``delimiter``, ``linatt``, or
    ``unconstrained`` for WPGD), both signs ``r^T ω = ±1``.

    Uses the landscape's scalarised family (:class:`glaverify.numerics.landscape.ScalarisedFamily`) with the
    cone constraints of :func:`cone_constraints` added, and its outer search
    (:func:`~glaverify.numerics.landscape.optimise_scalarised`). Why this is the constrained optimum:
    ``L*`` depends on ω through ``(r^T ω, a, b)`` and falls in ``a`` and in ``b``, so on the convex set
    ``{cone, r^T ω = ±1}`` the minimiser is Pareto-minimal for ``(a, b)``; and at it, the linearisation of
    ``L*`` is ``F_3 a + F_2 b ∝ ω^T (R + γ* I) ω`` with
    ``γ* = 1 + s F_2/F_3 ∈ [1 + s/λ_max, 1 + s/λ_min]``, so ω is the family's solution at ``γ*``. For
    ``Σ = λ I`` the interval is the point ``1 + s/λ`` (one convex QP).

    Certificate (``certificate``; ``ok`` iff all hold): every solve ``optimal``; KKT residual and duality gap
    of the cone QP at the reported γ ≤ ``tol``; the fixed-point residual ``|γ − Γ(ω(γ))|/γ ≤ 1e-4`` with
    ``Γ(ω) = 1 + s F_2/F_3`` and ``ω(γ)`` that QP's solution (``fixed_point``); ``ω(γ)`` equal to the
    returned ω up to scale (``omega_match ≤ 1e-6``); and the γ-free KKT certificate of
    :func:`cone_kkt_certificate` on the *true* cone of ``kind`` (``cone_kkt ≤ tol``).

    The reported γ is a fixed point, not the γ where the outer search stopped. When the cone constraints
    pin the solution (e.g. the uniform vector, every constraint active: i.i.d. tasks, decreasing star), ω(γ)
    is constant on a whole γ interval, so the profile risk is flat there and the search stops anywhere in it;
    ``Γ(ω(γ))`` is constant too, so the residual at the search's γ is large (≈ 0.6 on the appendix cells)
    although the fixed point ``γ* = Γ(ω)`` lies in the same interval. Hence the search's γ is refined by
    the fixed-point iteration ``γ ← Γ(ω(γ))`` (≤ 3 re-solves; one suffices on a flat interval), keeping
    the iterate with the smallest residual whose solution still matches the search's ω. Every quantity
    is evaluated at the γ reported, so a non-stationary point (wrong γ, missing cone constraint) still fails.
    """
    from cvxpy import INFEASIBLE, OPTIMAL  # solver statuses by cvxpy's named constants

    from ..landscape import ScalarisedFamily, normalise, optimise_scalarised, quotient_distance

    check_dense_size(model)
    if kind == "linatt":
        w = np.ones(model.n)
        cert = {"status_optimal": 1.0, "kkt": 0.0, "duality_gap": 0.0, "fixed_point": 0.0, "ok": 1.0}
        return DenseClassOptimum(
            "linatt",
            profile_risk(model, w),
            w,
            optimal_preconditioner(model, w),
            np.nan,
            1,
            cert,
            "closed form (the set is one ray)",
        )
    cons = cone_constraints(kind, model, drop_constraint, drop_equalities)
    best = None
    all_opt = []
    for sign in (1, -1):
        fam = ScalarisedFamily(model, cons, sign=sign)
        opt = optimise_scalarised(fam)
        if opt.omega is None:
            # infeasible side (e.g. r > 0 and ω in the cone cannot have r^T ω = −1): every status must say so
            all_opt.append(all(s.status in (INFEASIBLE, OPTIMAL) for s in opt.solves))
            continue
        all_opt.append(opt.all_optimal)
        if best is None or opt.risk < best[0].risk:
            best = (opt, sign, fam)
    if best is None:
        raise InputError("model", f"no feasible weights for kind {kind!r} with r^T w = +-1 (is r = 0?)")
    opt, sign, fam = best
    omega = opt.omega

    def residual(g: float, w: np.ndarray) -> float:
        return abs(g - fixed_point_gamma(model, w)) / g if np.isfinite(g) else 0.0

    # fixed-point refinement of the search's γ (see the docstring); candidates (residual, match, γ, solution)
    sol0 = opt.solution
    cands = [(residual(opt.gamma, sol0.omega), 0.0, float(opt.gamma), sol0)]
    g = float(opt.gamma)
    if np.isfinite(g):
        for _ in range(3):
            if cands[-1][0] <= 1e-12:
                break
            g = fixed_point_gamma(model, cands[-1][3].omega)
            sol = fam.solve(fam.theta_of(g))
            all_opt.append(sol.status == OPTIMAL)
            if sol.omega is None:
                break
            cands.append((residual(g, sol.omega), quotient_distance(sol.omega, omega, model.r), g, sol))
    fp_res, match, gamma, sol = best_refinement(cands)
    # active-face polish: an interior-point solution sits ~sqrt(solver tol) inside degenerate active
    # constraints (zero multipliers: i.i.d. uniform optimum, within-block equalities), which limits every
    # first-order check at ω to ~1e-7. Re-solve the QP exactly on the face the solver identified (a linear
    # KKT system) and iterate γ ← Γ(ω) on it; keep it only if it is feasible and no worse. Nothing is
    # assumed: the polished point is certified below like any other.
    true_kind = kind if kind in CONE_KINDS else "unconstrained"
    pol = _polish_on_face(model, kind, sol.omega, gamma, drop_constraint)
    if pol is not None and profile_risk(model, pol[0]) <= profile_risk(model, omega) + 1e-12 * model.s:
        omega, gamma = normalise(pol[0], model.r), pol[1]
        fp_res = residual(gamma, omega)
        sol = fam.solve(fam.theta_of(gamma))  # the cvxpy certificate at the reported γ
        all_opt.append(sol.status == OPTIMAL)
        match = quotient_distance(sol.omega, omega, model.r) if sol.omega is not None else np.inf
    # the QP value of ω against cvxpy's certified optimum at γ (same normalisation r̂ᵀω = sign): the QP is
    # strictly convex, so a feasible ω within ε of the optimum value is within O(√ε) of its unique minimiser
    qp_gap = np.inf
    if sol.omega is not None:
        w = omega * (sign / float(fam.r_unit @ omega))
        th = fam.theta_of(gamma)
        q = th * float(w @ (model.R @ w) + w @ w) + (1 - th) * model.s * float(w @ w)
        qp_gap = abs(q - sol.objective) / max(abs(sol.objective), 1e-300)
    cone = dense_cone_kkt_certificate(model, omega, true_kind)
    cert = {
        "status_optimal": 1.0 if (sol.status == OPTIMAL and all(all_opt)) else 0.0,
        "kkt": float(sol.kkt_residual),
        "duality_gap": float(sol.duality_gap),
        "fixed_point": float(fp_res),
        "omega_match": float(match),
        "qp_value_gap": float(qp_gap),
        "cone_kkt": float(cone["residual"]),
        "cone_active": float(cone["active"]),
        "search_gamma": float(opt.gamma),
        "search_fixed_point": float(cands[0][0]),
        "solves": float(len(opt.solves) + len(cands)),
    }
    cert["ok"] = (
        1.0
        if (
            cert["status_optimal"]
            and cert["kkt"] <= tol
            and cert["duality_gap"] <= tol
            and cert["fixed_point"] <= FIXED_POINT_TOL
            and cert["qp_value_gap"] <= tol
            and cert["cone_kkt"] <= tol
        )
        else 0.0
    )
    lam = model.eigenvalues
    iso = bool(np.allclose(lam, lam[0], rtol=1e-12))
    method = (
        "isotropic: one convex cone QP at gamma = 1 + s/lambda"
        if iso
        else "scalarised family (landscape) with cone constraints, outer search over gamma"
    )
    return DenseClassOptimum(
        kind,
        float(profile_risk(model, omega)),
        omega,
        optimal_preconditioner(model, omega),
        float(gamma),
        sign,
        cert,
        method,
    )


def _polish_on_face(
    model: DataModel,
    kind: str,
    omega: np.ndarray,
    gamma: float,
    drop_constraint: int | None = None,
    face_tol: float = 1e-5,
    iterations: int = 6,
) -> tuple[np.ndarray, float] | None:
    """The cone QP ``min ωᵀ(R+γI)ω, r̂ᵀω = 1`` solved exactly on the face ``{A_I ω = 0, Dω = 0}`` with
    ``I`` = rows of ``A`` with slack ≤ ``face_tol·max|ω|`` at ``omega`` (the cone the search used, i.e.
    with ``drop_constraint`` applied), iterating ``γ ← Γ(ω)``. Returns ``(ω, γ)`` or None when the face
    point leaves the cone or γ is infinite. A heuristic: its output is certified, never trusted."""
    if not np.isfinite(gamma):
        return None
    A, D = cone_constraint_matrices(kind, model) if kind in CONE_KINDS else (None, None)
    if A is not None and drop_constraint is not None:
        A = np.delete(A, drop_constraint, axis=0)
    A = np.zeros((0, model.n)) if A is None else A
    D = np.zeros((0, model.n)) if D is None else D
    w0 = np.asarray(omega, dtype=np.float64)
    w0 = w0 / float(np.max(np.abs(w0)))
    if A.shape[0] and float(np.min(A @ -w0)) > float(np.min(A @ w0)):
        w0 = -w0
    act = np.flatnonzero(A @ w0 <= face_tol) if A.shape[0] else np.zeros(0, dtype=int)
    r_hat = model.r / float(np.max(np.abs(model.r)))
    E = np.vstack([np.sign(r_hat @ w0) * r_hat[None, :], A[act], D])
    rhs = np.zeros(E.shape[0])
    rhs[0] = 1.0
    n = model.n
    w, g = w0, float(gamma)
    for _ in range(iterations):
        K = np.block([[2 * (model.R + g * np.eye(n)), E.T], [E, np.zeros((E.shape[0], E.shape[0]))]])
        sol = np.linalg.lstsq(K, np.concatenate([np.zeros(n), rhs]), rcond=None)[0]
        w = sol[:n]
        g_new = fixed_point_gamma(model, w)
        if abs(g_new - g) <= 1e-15 * g:
            g = g_new
            break
        g = g_new
    w = w / float(np.max(np.abs(w)))
    if A.shape[0] and float(np.min(A @ w)) < -1e-12:
        return None
    if D.shape[0] and float(np.max(np.abs(D @ w))) > 1e-12:
        return None
    return w, g
