"""Exact / rigorously enclosed gate-class optima (claims A3, A4) at the user's model, with python-flint.

A gate class (``free``: the monotone cone ``0 ≤ ω_1 ≤ … ≤ ω_n``; ``delimiter``: block-constant and
block-monotone) restricts ``ω`` to a closed cone; scale is absorbed by P. In reduced coordinates ``ω = E u``
(``E = I`` or the block indicator B) the cone is ``{A u ≥ 0}`` and, with ``c(u) = rᵀu``,
``a(u) = uᵀQ_a u``, ``b(u) = uᵀQ_b u``, the class optimum maximises the gain ``g(u) = c² f(a, b)``,
``f(a, b) = Σ_k λ_k²/(aλ_k + b) = tr(Σ²(aΣ + bI)⁻¹)`` (so ``min L = s − max g``). What is computed, exactly:

* **Membership of ω*** (A3's criterion). The WPGD optimum is ``B p(γ*)`` (:mod:`glaverify.theory.exact`);
  ``σ p_1(γ*) ≥ 0`` and ``σ(p_{k+1} − p_k)(γ*) ≥ 0`` are decided in ball arithmetic on the isolating box of
  γ*, and a sign that stays ambiguous is settled exactly (does ``p_{k+1} − p_k`` share the root γ* with Φ?).
  If ω* is in the cone, the class attains WPGD exactly. If not, the class optimum is strictly worse: the
  class minimum is attained (the cone meets the unit sphere in a compact set, and L* > min L* where
  ``rᵀω = 0``), and R6 (proved) says the only global minimisers are the orbit of ω*.
* **The class value, enclosed.** A lower bound on ``max g``: a rational point ``û`` exactly in the cone
  (the numeric optimum rounded and projected exactly), ``g(û)`` exact. An upper bound: for each sign
  ``rᵀu = σ`` and each θ of a grid, weak duality of the convex QP ``min θa + (1−θ)b s.t. rᵀu = σ, Au ≥ 0``
  with rational multipliers ``(ν, μ ≥ 0)`` gives ``θ a + (1−θ) b ≥ ℓ_θ := νσ − ¼ vᵀQ_θ⁻¹v``,
  ``v = νr + Aᵀμ``, for **every** feasible u (any multipliers give a valid bound: a rounded multiplier only
  loosens it). So every feasible ``(a, b)`` lies in the polygon ``{θ_i a + (1−θ_i) b ≥ ℓ_i}``; f is convex
  and decreasing in a and b, so ``max f`` over the polygon is at one of its vertices (exact rationals).
  The sign ``σ`` is infeasible iff Farkas' certificate holds (all tail sums of ``σ r`` are ≤ 0).
* **The LinAtt margin** (A4): ``g(1)`` is exact, so the margin ``max g − g(1)`` is enclosed, and strictness
  is decided by an exact rational comparison ``g(û) > g(1)``.

The QP solves and multiplier fits are floating-point *hints*; every inequality that decides a verdict is
evaluated in exact rational or ball arithmetic.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
from flint import arb, fmpq, fmpq_mat, fmpq_poly
from flint import ctx as flint_ctx

from . import exact as E

CLASS_KINDS = ("free", "delimiter")
#: an enclosure of the class value counts as tight (``proved`` value to ~9 digits) at this relative width
ENCLOSURE_RTOL = fmpq(1, 10**9)


def _eye(n: int) -> fmpq_mat:
    return fmpq_mat([[1 if i == j else 0 for j in range(n)] for i in range(n)])


def _q(x: float) -> fmpq:
    fr = Fraction(float(x))
    return fmpq(fr.numerator, fr.denominator)


@dataclass(frozen=True)
class ConeProblem:
    """Reduced class problem: ``a = uᵀQ_a u``, ``b = uᵀQ_b u``, ``c = rᵀu``, cone ``{A u ≥ 0}`` (monotone)."""

    kind: str
    Qa: fmpq_mat
    Qb: fmpq_mat
    r: tuple[fmpq, ...]
    dim: int
    sizes: tuple[int, ...]  # multiplicity of each reduced coordinate in ω (all 1 for ``free``)

    def cone_ok(self, u: list[fmpq]) -> bool:
        """``u`` in the monotone cone ``0 ≤ u_1 ≤ … ≤ u_m``, exactly."""
        return u[0] >= 0 and all(u[i + 1] >= u[i] for i in range(len(u) - 1))


def cone_problem(em: E.ExactModel, kind: str) -> ConeProblem:
    """The class problem in reduced coordinates (blocks for ``delimiter``, examples for ``free``)."""
    K, N, s = em.K, list(em.block_sizes), em.s
    if kind == "delimiter":
        Qa = fmpq_mat(K, K)
        Qb = fmpq_mat(K, K)
        for i in range(K):
            for j in range(K):
                Qa[i, j] = N[i] * em.task_corr[i, j] * N[j] + (N[i] if i == j else 0)
            Qb[i, i] = s * N[i]
        return ConeProblem(kind, Qa, Qb, tuple(em.query_corr[k] * N[k] for k in range(K)), K, tuple(N))
    if kind != "free":
        raise ValueError(f"kind must be one of {CLASS_KINDS}")
    idx = [k for k in range(K) for _ in range(N[k])]
    n = len(idx)
    Qa = fmpq_mat(n, n)
    for i in range(n):
        for j in range(n):
            Qa[i, j] = em.task_corr[idx[i], idx[j]] + (1 if i == j else 0)
    return ConeProblem(kind, Qa, _eye(n) * s, tuple(em.query_corr[k] for k in idx), n, tuple([1] * n))


def _quad(Q: fmpq_mat, u: list[fmpq]) -> fmpq:
    m = len(u)
    return sum((u[i] * Q[i, j] * u[j] for i in range(m) for j in range(m) if Q[i, j] != 0), fmpq(0))


def f_exact(em: E.ExactModel, a: fmpq, b: fmpq) -> fmpq:
    """``f(a, b) = tr(Σ²(aΣ + bI)⁻¹)`` exactly (no eigenvalues)."""
    d = em.d
    M = em.sigma * a + _eye(d) * b
    X = M.solve(em.sigma * em.sigma)
    return sum((X[i, i] for i in range(d)), fmpq(0))


def gain_exact(em: E.ExactModel, prob: ConeProblem, u: list[fmpq]) -> fmpq:
    """``g(u) = c² f(a, b) = s − L*(E u)`` exactly."""
    c = sum((prob.r[i] * u[i] for i in range(prob.dim)), fmpq(0))
    if c == 0:
        return fmpq(0)
    return c * c * f_exact(em, _quad(prob.Qa, u), _quad(prob.Qb, u))


# ------------------------------------------------------------------------ membership of ω*
def _sign_at_root(poly: fmpq_poly, phi: fmpq_poly, box: E.RootBox) -> int:
    """The sign of ``poly(γ*)`` for the root γ* of ``phi`` isolated in ``box``: ball arithmetic, refined;
    exactly 0 when ``poly`` and ``phi`` share that root."""
    if poly.is_zero():
        return 0
    if box.lo == box.hi:
        v = poly(box.lo)
        return (v > 0) - (v < 0)
    g = poly.gcd(phi)
    if g.degree() > 0 and E.isolate_real_roots(g, box.lo, box.hi):
        return 0
    b = box
    for k in (60, 120, 240, 480):
        b = E.refine_root(phi, b, fmpq(1, 2**k))
        if b.lo == b.hi:
            v = poly(b.lo)
            return (v > 0) - (v < 0)
        with flint_ctx.workprec(2 * k + 64):  # the ball must carry the refined box's precision (finding 9)
            val = E._ev(poly, b.ball())
        if val > 0:
            return 1
        if val < 0:
            return -1
    raise E.IsolationFailed("sign at the root not decided after 480-bit refinement")


def omega_star_in_cone(pr: E.R6Proof, phi: fmpq_poly) -> tuple[bool, int, list[int]]:
    """Is ``σ B p(γ*)`` in the monotone (block) cone for some sign σ? Returns (member, σ, signs used)."""
    p = pr.omega_blocks
    signs = [_sign_at_root(p[0], phi, pr.gamma_star)]
    signs += [_sign_at_root(p[k + 1] - p[k], phi, pr.gamma_star) for k in range(len(p) - 1)]
    for sigma in (1, -1):
        if all(sigma * sg >= 0 for sg in signs):
            return True, sigma, signs
    return False, 0, signs


# ------------------------------------------------------------------------ the enclosure
def sign_feasible(prob: ConeProblem, sigma: int) -> bool:
    """Whether ``rᵀu = σ`` meets the cone. Infeasible iff every tail sum of ``σ r`` is ≤ 0 (Farkas:
    ``σ r = Aᵀμ`` with ``μ_j = −Σ_{i≥j} σ r_i ≥ 0`` ... i.e. ``σ rᵀu ≤ 0`` on the whole cone)."""
    tail = fmpq(0)
    for i in reversed(range(prob.dim)):
        tail += sigma * prob.r[i]
        if tail > 0:
            return True
    return False


def _monotone_rows(m: int) -> np.ndarray:
    a = np.eye(m)
    for i in range(1, m):
        a[i, i - 1] = -1.0
    return a


class QPHints:
    """Float solutions of ``min uᵀ(θQ_a + (1−θ)Q_b)u  s.t.  rᵀu = σ, Au ≥ 0`` for one cone problem and sign
    and many θ (hints for the exact KKT system; cvxpy + Clarabel). The problem is built once with the
    Cholesky factor of ``θQ_a + (1−θ)Q_b`` as a cvxpy Parameter (DPP), so a new θ re-solves without
    recompiling; an enclosure asks for about twenty θ."""

    def __init__(self, prob: ConeProblem, sigma: int):
        import cvxpy as cp

        self.prob = prob
        self.u = cp.Variable(prob.dim)
        self.factor = cp.Parameter((prob.dim, prob.dim))
        r = np.array([E.qfloat(x) for x in prob.r])
        cons = [r @ self.u == sigma, _monotone_rows(prob.dim) @ self.u >= 0]
        self.problem = cp.Problem(cp.Minimize(cp.sum_squares(self.factor.T @ self.u)), cons)

    def __call__(self, theta: fmpq) -> np.ndarray | None:
        import cvxpy as cp

        Q = np.array((self.prob.Qa * theta + self.prob.Qb * (1 - theta)).tolist(), dtype=float)
        self.factor.value = np.linalg.cholesky(0.5 * (Q + Q.T))
        try:
            self.problem.solve(solver=cp.CLARABEL)
        except cp.SolverError:
            return None
        if self.problem.status != cp.OPTIMAL or self.u.value is None:
            return None
        return np.asarray(self.u.value)


def qp_hint(prob: ConeProblem, theta: fmpq, sigma: int) -> np.ndarray | None:
    """One :class:`QPHints` solve (a single θ)."""
    return QPHints(prob, sigma)(theta)


def _a_row(m: int, i: int) -> list[fmpq]:
    row = [fmpq(0)] * m
    row[i] = fmpq(1)
    if i > 0:
        row[i - 1] = fmpq(-1)
    return row


def _bound_from(prob: ConeProblem, Qe: fmpq_mat, sigma: int, nu: fmpq, mu: dict[int, fmpq]) -> fmpq:
    """``νσ − ¼ vᵀQ⁻¹v`` with ``v = νr + Aᵀμ``: valid for every ν and every μ ≥ 0 (weak duality)."""
    m = prob.dim
    v = [nu * prob.r[i] for i in range(m)]
    for i, mi in mu.items():
        if mi < 0:
            raise ValueError("a negative multiplier of an inequality gives no bound")
        v[i] += mi  # row i of A: e_i − e_{i−1}
        if i > 0:
            v[i - 1] -= mi
    w = Qe.solve(fmpq_mat(m, 1, v))
    return nu * sigma - sum((v[i] * w[i, 0] for i in range(m)), fmpq(0)) / 4


def exact_kkt(prob: ConeProblem, theta: fmpq, sigma: int, act: list[int]) -> tuple[list[fmpq], fmpq,
                                                                                   dict[int, fmpq]] | None:
    """Solve the KKT system of the QP with active set ``act`` exactly; ``(u, ν, μ)`` if it is the exact
    optimum (μ ≥ 0, u in the cone), else None."""
    m, J = prob.dim, len(act)
    Qe = prob.Qa * theta + prob.Qb * (1 - theta)
    size = m + 1 + J
    M = fmpq_mat(size, size)
    rhs = fmpq_mat(size, 1)
    for i in range(m):
        for j in range(m):
            M[i, j] = 2 * Qe[i, j]
        M[i, m] = -prob.r[i]
        M[m, i] = prob.r[i]
    for k, a in enumerate(act):
        row = _a_row(m, a)
        for i in range(m):
            M[i, m + 1 + k] = -row[i]
            M[m + 1 + k, i] = row[i]
    rhs[m, 0] = fmpq(sigma)
    try:
        sol = M.solve(rhs)
    except ZeroDivisionError:
        return None
    u = [sol[i, 0] for i in range(m)]
    nu = sol[m, 0]
    mu = {a: sol[m + 1 + k, 0] for k, a in enumerate(act)}
    if any(v < 0 for v in mu.values()) or not prob.cone_ok(u):
        return None
    return u, nu, mu


def dual_bound(prob: ConeProblem, theta: fmpq, sigma: int, u_hint: np.ndarray,
               round_to: int | None = None) -> tuple[fmpq, list[fmpq] | None]:
    """Weak-duality lower bound ``ℓ ≤ min θa + (1−θ)b`` over ``{rᵀu = σ, Au ≥ 0}``, exact, and the exact
    optimum ``u`` when the KKT system on a guessed active set closes exactly (then ℓ is the QP's value).
    Otherwise multipliers fitted to the hint (``2Qû = νr + Aᵀμ`` on the active set, μ clipped to ≥ 0).
    ``round_to`` (tests) rounds the multipliers to that many decimals: the bound stays valid, only looser."""
    m = prob.dim
    Qe = prob.Qa * theta + prob.Qb * (1 - theta)
    Q = np.array(Qe.tolist(), dtype=float)
    A = _monotone_rows(m)
    r = np.array([E.qfloat(x) for x in prob.r])
    slack = A @ u_hint
    scale = max(1.0, float(np.max(np.abs(u_hint))))
    best: fmpq | None = None
    best_u = None
    for tol in (1e-10, 1e-8, 1e-6):
        act = [int(i) for i in np.where(slack <= tol * scale)[0]]
        if round_to is None:
            kkt = exact_kkt(prob, theta, sigma, act)
            if kkt is not None:
                u, nu, mu = kkt
                return _bound_from(prob, Qe, sigma, nu, mu), u
        M = np.column_stack([r] + [A[i] for i in act])
        x, *_ = np.linalg.lstsq(M, 2 * Q @ u_hint, rcond=None)
        if round_to is not None:
            x = np.round(x, round_to)
        mu = {a: max(fmpq(0), _q(v)) for a, v in zip(act, x[1:], strict=True)}
        val = _bound_from(prob, Qe, sigma, _q(x[0]), mu)
        if best is None or val > best:
            best = val
    return best, best_u


def polygon_max_f(em: E.ExactModel, lines: list[tuple[fmpq, fmpq]]) -> tuple[fmpq | None, tuple]:
    """``max f`` over ``{(a, b): θ_i a + (1−θ_i) b ≥ ℓ_i}`` (must contain θ = 0 and θ = 1 with ℓ > 0): the
    maximum of the convex, decreasing f sits at a vertex; every vertex is an exact intersection."""
    best, arg = None, ()
    for i in range(len(lines)):
        for j in range(i + 1, len(lines)):
            (t1, l1), (t2, l2) = lines[i], lines[j]
            det = t1 * (1 - t2) - t2 * (1 - t1)
            if det == 0:
                continue
            a = (l1 * (1 - t2) - l2 * (1 - t1)) / det
            b = (t1 * l2 - t2 * l1) / det
            if a <= 0 or b <= 0:
                continue
            if all(t * a + (1 - t) * b >= lv for t, lv in lines):
                val = f_exact(em, a, b)
                if best is None or val > best:
                    best, arg = val, (a, b)
    return best, arg


def project_to_cone(u: np.ndarray, sigma: int) -> list[fmpq]:
    """An exact cone point near ``σ·u``: rationals of the floats, then a running maximum from 0."""
    out, run = [], fmpq(0)
    for x in (sigma * np.asarray(u, dtype=float)):
        q = _q(x)
        run = q if q > run else run
        out.append(run)
    return out


def theta_of_gamma(em: E.ExactModel, gamma: float) -> fmpq:
    """``θ = s/(γ − 1 + s)``: the scalarised weight whose QP matrix is ∝ R + γI."""
    return em.s / (_q(gamma) - 1 + em.s)


@dataclass(frozen=True)
class ClassEnclosure:
    """A3/A4 for one class. ``gain_lo ≤ max g ≤ gain_hi`` (exact rationals); ``member`` is the exact verdict
    on ``ω* ∈ cone``; ``linatt_gain = g(1)`` exact."""

    kind: str
    member: bool
    member_sign: int
    member_signs: tuple[int, ...]
    gain_lo: fmpq
    gain_hi: fmpq | None
    linatt_gain: fmpq
    s: fmpq
    u_hat: tuple[fmpq, ...]
    thetas: int
    feasible_signs: tuple[int, ...]
    notes: tuple[str, ...] = ()
    elapsed_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def risk_hi(self) -> fmpq:
        return self.s - self.gain_lo

    @property
    def risk_lo(self) -> fmpq | None:
        return None if self.gain_hi is None else self.s - self.gain_hi

    @property
    def tight(self) -> bool:
        if self.gain_hi is None:
            return False
        return (self.gain_hi - self.gain_lo) <= ENCLOSURE_RTOL * abs(self.risk_hi)

    def describe(self) -> dict[str, Any]:
        out = {
            "kind": self.kind,
            "omega_star_in_cone": self.member,
            "omega_star_sign": self.member_sign,
            "omega_star_condition_signs": list(self.member_signs),
            "class_risk_upper": E.qstr(self.risk_hi),
            "class_risk_upper_float": E.qfloat(self.risk_hi),
            "class_risk_lower": None if self.risk_lo is None else E.qstr(self.risk_lo),
            "class_risk_lower_float": None if self.risk_lo is None else E.qfloat(self.risk_lo),
            "enclosure_width": None if self.gain_hi is None else E.qfloat(self.gain_hi - self.gain_lo),
            "linatt_risk": E.qstr(self.s - self.linatt_gain),
            "linatt_risk_float": E.qfloat(self.s - self.linatt_gain),
            "margin_lower_float": E.qfloat(self.gain_lo - self.linatt_gain),
            "margin_upper_float": None if self.gain_hi is None else E.qfloat(self.gain_hi - self.linatt_gain),
            "thetas": self.thetas,
            "feasible_signs": list(self.feasible_signs),
            "notes": list(self.notes),
            "elapsed_s": self.elapsed_s,
            **self.extra,
        }
        return out


def enclose_class(
    em: E.ExactModel,
    kind: str,
    pr: E.R6Proof,
    phi: fmpq_poly,
    hint_omega: np.ndarray,
    hint_gamma: float,
    round_multipliers: int | None = None,
    cone_check: Any = None,
) -> ClassEnclosure:
    """A3/A4 for ``kind`` at the exact model (``pr``: the proved R6 result; ``phi``: its polynomial).

    ``hint_omega``/``hint_gamma``: the numeric class optimum (example-level ω, its γ). ``cone_check``
    (tests) replaces the exact cone membership test of the primal point, to plant a flipped inequality."""
    t0 = time.perf_counter()
    prob = cone_problem(em, kind)
    notes: list[str] = []
    member, msign, msigns = omega_star_in_cone(pr, phi)
    # primal point, reduced coordinates
    w = np.asarray(hint_omega, dtype=float)
    if kind == "delimiter":
        starts = np.concatenate([[0], np.cumsum(em.block_sizes)[:-1]]).astype(int)
        w = w[starts]
    ok = cone_check or prob.cone_ok
    cands = []
    for sigma in (1, -1):
        u = project_to_cone(w, sigma)
        if ok(u):
            cands.append(u)
    if not cands:
        notes.append("no rational primal point passed the exact cone test")
    ones = [fmpq(1)] * prob.dim
    g1 = gain_exact(em, prob, ones)
    gains = [(gain_exact(em, prob, u), u) for u in cands]
    glo, uhat = max(gains, key=lambda t: t[0]) if gains else (g1, ones)
    glo = max(glo, g1)  # the uniform vector is in both cones
    # upper bound
    th_star = theta_of_gamma(em, hint_gamma)
    # θ = 0 and 1 bound the polygon; lines at θ* ± 2^-k make it tight near the optimum (the gap of the
    # polygon shrinks like the square of the spacing around θ*)
    grid = {fmpq(0), fmpq(1)} | {fmpq(j, 4) for j in range(1, 4)}
    for k in (3, 6, 10, 16, 24, 34):
        eps = fmpq(1, 2**k)
        for th in (th_star * (1 - eps), th_star * (1 + eps)):
            if 0 < th < 1:
                grid.add(th)
    if 0 < th_star < 1:
        grid.add(th_star)
    feas = tuple(sg for sg in (1, -1) if sign_feasible(prob, sg))
    ghi: fmpq | None = None
    for sigma in feas:
        lines = []
        hints = QPHints(prob, sigma)
        for th in sorted(grid):
            hint = hints(th)
            if hint is None:
                continue
            bound, u_exact = dual_bound(prob, th, sigma, hint, round_to=round_multipliers)
            lines.append((th, bound))
            if u_exact is not None and (ok(u_exact)):
                g = gain_exact(em, prob, u_exact)  # an exact QP optimum is also a primal point
                if g > glo:
                    glo, uhat = g, u_exact
        ends = {t for t, lv in lines if lv > 0}
        if fmpq(0) not in ends or fmpq(1) not in ends:
            notes.append(f"sign {sigma}: no positive bound at theta = 0 or 1; no upper bound")
            ghi = None
            break
        best, _ = polygon_max_f(em, lines)
        if best is None:
            notes.append(f"sign {sigma}: empty polygon")
            ghi = None
            break
        ghi = best if ghi is None else max(ghi, best)
    if not feas:
        notes.append("no sign of r^T w is feasible on the cone (every class vector has r^T w = 0)")
        ghi = fmpq(0)
    return ClassEnclosure(kind, member, msign, tuple(msigns), glo, ghi, g1, em.s, tuple(uhat), len(grid),
                          feas, tuple(notes), time.perf_counter() - t0)


def wpgd_gain_ball(pr: E.R6Proof, em: E.ExactModel) -> arb:
    """``s − min L`` of the proved WPGD optimum as a ball."""
    return arb(em.s) - pr.min_risk


# ------------------------------------------------------------------------ A6: vector (key-dimension) gating
@dataclass(frozen=True)
class VectorGating:
    """A6 for diagonal Σ: the key-gated optimum ``s − Σ_m λ_m / q_m`` with ``q_m`` the value of coordinate m's
    QP ``min uᵀ(R + γ_m I)u, rᵀu = ±1`` (over the class cone, or free), ``γ_m = 1 + s/λ_m``, exactly."""

    kind: str
    risk: fmpq | None  # None when a coordinate's KKT system did not close exactly
    per_coordinate_gamma: tuple[fmpq, ...]
    per_coordinate_q: tuple[fmpq | None, ...]
    notes: tuple[str, ...] = ()


def vector_gating_exact(em: E.ExactModel, kind: str) -> VectorGating:
    """``kind``: ``unconstrained`` (closed form ``q_m = 1/(cᵀN(CN + γ_m I)⁻¹c)`` at block level) or a class
    (``delimiter``, ``free``: the cone QP at the fixed θ_m solved by exact KKT)."""
    if not em.is_diagonal():
        raise ValueError("A6 exact needs a diagonal Sigma")
    K, N, s = em.K, em.block_sizes, em.s
    gammas, qs, notes = [], [], []
    prob = None if kind == "unconstrained" else cone_problem(em, kind)  # the same cone for every coordinate
    hints: dict[int, QPHints] = {}  # one compiled hint problem per sign, re-solved at each coordinate's θ
    for m in range(em.d):
        lam = em.sigma[m, m]
        g = 1 + s / lam
        gammas.append(g)
        if kind == "unconstrained":
            M = fmpq_mat([[em.task_corr[i, j] * N[j] + (g if i == j else 0) for j in range(K)]
                          for i in range(K)])
            u = M.solve(fmpq_mat(K, 1, list(em.query_corr)))
            val = sum((em.query_corr[i] * N[i] * u[i, 0] for i in range(K)), fmpq(0))
            qs.append(1 / val if val != 0 else None)
            continue
        theta = s / (g - 1 + s)
        best = None
        for sigma in (1, -1):
            if not sign_feasible(prob, sigma):
                continue
            if sigma not in hints:
                hints[sigma] = QPHints(prob, sigma)
            hint = hints[sigma](theta)
            if hint is None:
                continue
            bound, u = dual_bound(prob, theta, sigma, hint)
            if u is None:
                notes.append(f"coordinate {m}, sign {sigma}: the KKT system did not close exactly")
                best = None
                break
            q = bound / theta  # θ(R + γI) scaled back to R + γI
            best = q if best is None or q < best else best
        qs.append(best)
    risk = None if any(q is None for q in qs) else s - sum(
        (em.sigma[m, m] / qs[m] for m in range(em.d)), fmpq(0))
    return VectorGating(kind, risk, tuple(gammas), tuple(qs), tuple(notes))


def r_eigenvector_of_R(em: E.ExactModel) -> bool:
    """Whether ``r`` is an eigenvector of ``R`` (block level: ``C_K N c ∥ c``), exactly."""
    K, N, c = em.K, em.block_sizes, em.query_corr
    v = [sum((em.task_corr[i, j] * N[j] * c[j] for j in range(K)), fmpq(0)) for i in range(K)]
    return all(v[i] * c[j] == v[j] * c[i] for i in range(K) for j in range(K))
