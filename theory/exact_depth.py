"""Depth strictly helps (claim A7), proved for a given model: a two-step causal WPGD whose exact risk is
below the proved one-step optimum.

**The witness.** Two steps of causal WPGD (docs/gla.md, G3) with pairwise weights
``ω^{(1)}_{k→j} = 0`` for every example position ``j ≤ n`` (the examples' iterates stay at 0),
``ω^{(1)}_{k→n+1} = ω_k`` (the query's first step is a one-step WPGD), ``ω^{(2)}_{j→n+1} = ω'_j`` for
``j ≤ n`` and ``ω^{(2)}_{n+1→n+1} = 0``. Since the examples' residuals in step 2 are ``x_jᵀ0 − y_j``, the
query iterate is ``w = P_1' Σ_k ω_k x_k y_k + P_2' Σ_j ω'_j x_j y_j`` (``P_2' = −P_2``, any sign allowed),
i.e. ``ŷ = Σ_k xᵀA_k x_k y_k`` with ``A_k = ω_k P_1' + ω'_k P_2'``: per-example preconditioners in a
two-dimensional span. (These pairwise weights are allowed by causal WPGD; scalar-gated GLA ties
``ω_{j→j} = 1``, so this witness is a statement about two-step WPGD, the object G3 equates with GLA only for
gate-realisable weights: say so wherever it is reported.)

**Its risk** (derived with ``E[x xᵀ B x xᵀ] = Σ(B + Bᵀ)Σ + tr(BΣ)Σ``, as R1; cross-checked exactly against
the Wick engine by :func:`per_example_risk_wick`):

    L(A) = tr Σ + σ² − 2 Σ_k r_k tr(ΣA_kΣ) + Σ_{k,l} (R + I)_{kl} tr(ΣA_kᵀΣA_lΣ) + s Σ_k tr(A_kᵀΣA_kΣ).

For diagonal Σ and diagonal ``P_1', P_2'`` it separates over coordinates m: with ``a_m = W t_m``,
``W = [ω, ω']`` (block-constant weights, K-level) and ``Q_m = λ_m³ (NCN + N) + s λ_m² N``, the best ``t_m`` is
``λ_m² (WᵀQ_mW)⁻¹ Wᵀ N c`` and ``L = s − Σ_m λ_m⁴ (Nc)ᵀW(WᵀQ_mW)⁻¹Wᵀ(Nc)`` — exact rationals. The one-step
optimum is the same expression with ``W = [ω*]`` (R3), enclosed by the exact R6 route.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy as sp
from flint import arb, fmpq, fmpq_mat

from . import exact as E
from .wick import GaussianModel


@dataclass(frozen=True)
class DepthWitness:
    """Exact two-step witness: weights (K-level) ``omega1``, ``omega2``, diagonal preconditioners, risk."""

    omega1: tuple[fmpq, ...]
    omega2: tuple[fmpq, ...]
    P1: fmpq_mat  # d×d preconditioner of step 1 (diagonal for the per-coordinate witness)
    P2: fmpq_mat
    risk: fmpq
    one_step_risk_ball: arb
    coordinate: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def strictly_better(self) -> bool:
        return bool(arb(self.risk) < self.one_step_risk_ball)

    def describe(self) -> dict[str, Any]:
        return {
            "omega_step1_blocks": [E.qstr(x) for x in self.omega1],
            "omega_step2_blocks": [E.qstr(x) for x in self.omega2],
            "P_step1": [[E.qfloat(x) for x in row] for row in self.P1.tolist()],
            "P_step2": [[E.qfloat(x) for x in row] for row in self.P2.tolist()],
            "two_step_risk": E.qstr(self.risk),
            "two_step_risk_float": E.qfloat(self.risk),
            "one_step_optimum_ball": self.one_step_risk_ball.str(20, radius=True),
            "improvement_lower": float((self.one_step_risk_ball - arb(self.risk)).lower()),
            "second_weights_from_coordinate": self.coordinate,
            **self.extra,
        }


def _kmats(em: E.ExactModel) -> tuple[fmpq_mat, fmpq_mat, list[fmpq]]:
    K, N = em.K, em.block_sizes
    A = fmpq_mat(K, K)
    Nm = fmpq_mat(K, K)
    for i in range(K):
        for j in range(K):
            A[i, j] = N[i] * em.task_corr[i, j] * N[j] + (N[i] if i == j else 0)
        Nm[i, i] = fmpq(N[i])
    return A, Nm, [em.query_corr[k] * N[k] for k in range(K)]


def span_risk(em: E.ExactModel, W: list[list[fmpq]]) -> tuple[fmpq, list[list[fmpq]]]:
    """``s − Σ_m λ_m⁴ (Nc)ᵀW(WᵀQ_mW)⁻¹Wᵀ(Nc)`` and the optimal coefficients ``t_m`` (diagonal Σ only).
    ``W``: the columns (K-level weight vectors) spanning the per-coordinate weights."""
    if not em.is_diagonal():
        raise ValueError("the exact depth witness needs a diagonal Sigma")
    A, Nm, rk = _kmats(em)
    K, q = em.K, len(W)
    Wm = fmpq_mat(K, q)
    for j, col in enumerate(W):
        for i in range(K):
            Wm[i, j] = col[i]
    Wt = Wm.transpose()
    rvec = fmpq_mat(K, 1, rk)
    Wr = Wt * rvec
    total = fmpq(0)
    coeffs = []
    s = em.s
    for m in range(em.d):
        lam = em.sigma[m, m]
        Q = A * lam**3 + Nm * (s * lam**2)
        G = Wt * Q * Wm
        t = G.solve(Wr) * lam**2
        coeffs.append([t[j, 0] for j in range(q)])
        total += lam**2 * sum((Wr[j, 0] * t[j, 0] for j in range(q)), fmpq(0))
    return s - total, coeffs


def coordinate_weights(em: E.ExactModel, m: int) -> list[fmpq]:
    """``(C N + γ_m I)⁻¹ c`` with ``γ_m = 1 + s/λ_m``: the weights coordinate m prefers (A6), exact."""
    K, N = em.K, em.block_sizes
    g = 1 + em.s / em.sigma[m, m]
    M = fmpq_mat([[em.task_corr[i, j] * N[j] + (g if i == j else 0) for j in range(K)] for i in range(K)])
    sol = M.solve(fmpq_mat(K, 1, list(em.query_corr)))
    return [sol[i, 0] for i in range(K)]


def depth_witness(em: E.ExactModel, pr: E.R6Proof) -> DepthWitness:
    """The best two-step witness over ``ω' ∈ {coordinate-preferred weights}`` with ``ω`` = a rational point
    of the proved one-step optimum's curve (``p(γ)`` at the midpoint of γ*'s isolating box)."""
    g = (pr.gamma_star.lo + pr.gamma_star.hi) / 2
    w1 = [p(g) for p in pr.omega_blocks]
    best = None
    for m in range(em.d):
        w2 = coordinate_weights(em, m)
        try:
            risk, t = span_risk(em, [w1, w2])
        except ZeroDivisionError:  # ω' ∥ ω: the span is one-dimensional
            continue
        if best is None or risk < best[0]:
            best = (risk, t, w2, m)
    if best is None:
        risk, t = span_risk(em, [w1])
        best = (risk, [tt + [fmpq(0)] for tt in t], w1, -1)
    risk, t, w2, m = best
    one, _ = span_risk(em, [w1])
    d = em.d
    P1 = fmpq_mat([[t[i][0] if i == j else 0 for j in range(d)] for i in range(d)])
    P2 = fmpq_mat([[t[i][1] if i == j else 0 for j in range(d)] for i in range(d)])
    return DepthWitness(tuple(w1), tuple(w2), P1, P2, risk, pr.min_risk, m,
                        {"one_step_risk_at_rational_omega": E.qfloat(one),
                         "witness_kind": "diagonal preconditioners (per-coordinate span formula)"})


def per_example_risk_closed(sigma: sp.Matrix, R: sp.Matrix, r: list, noise_var: Any,
                            A: list[sp.Matrix]) -> sp.Expr:
    """The closed form of ``E(y − Σ_k xᵀA_k x_k y_k)²`` (module docstring), in sympy."""
    n = len(A)
    s = sigma.trace() + noise_var
    out = sigma.trace() + noise_var
    for k in range(n):
        out -= 2 * r[k] * (sigma * A[k] * sigma).trace()
        out += s * (A[k].T * sigma * A[k] * sigma).trace()
        for j in range(n):
            out += (R[k, j] + (1 if k == j else 0)) * (sigma * A[k].T * sigma * A[j] * sigma).trace()
    return sp.expand(out)


def per_example_risk_wick(sigma: sp.Matrix, C: sp.Matrix, noise_var: Any, A: list[sp.Matrix]) -> sp.Expr:
    """``E(y − Σ_k xᵀA_k x_k y_k)²`` by Isserlis/Wick pairings from the model itself (per-example tasks with
    the (n+1)×(n+1) correlation ``C``, query last): an independent route to
    :func:`per_example_risk_closed`."""
    d, n = sigma.shape[0], len(A)
    xs = [sp.symbols(f"x{i}_1:{d + 1}") for i in range(n + 1)]
    bs = [sp.symbols(f"b{i}_1:{d + 1}") for i in range(n + 1)]
    es = sp.symbols(f"e0:{n + 1}")
    groups: list[tuple[Any, Any]] = [(xs[i], sigma) for i in range(n + 1)]
    # tasks: E[β_i β_jᵀ] = C_ij I_d, so coordinate c of all tasks is one group with covariance C
    for c in range(d):
        groups.append(([bs[i][c] for i in range(n + 1)], C))
    groups += [((es[i],), [[noise_var]]) for i in range(n + 1)]
    gm = GaussianModel(groups)
    g = gm.gen
    xv = [[g(v) for v in xs[i]] for i in range(n + 1)]
    bv = [[g(v) for v in bs[i]] for i in range(n + 1)]
    y = [sum(xv[i][c] * bv[i][c] for c in range(d)) + g(es[i]) for i in range(n + 1)]
    q = xv[n]
    yhat = gm.ring.zero
    for k in range(n):
        Ak = A[k]
        for a in range(d):
            for b in range(d):
                if Ak[a, b] != 0:
                    yhat += gm.ring.from_expr(Ak[a, b]) * q[a] * xv[k][b] * y[k]
    return gm.expect_element((y[n] - yhat) ** 2).as_expr()


def per_example_risk_matrix(em: E.ExactModel, w: DepthWitness) -> fmpq:
    """The witness's risk by the matrix closed form (module docstring) at block level, exactly: an
    independent evaluation of :func:`span_risk` (any Σ; ``A_b = ω_b P_1 + ω'_b P_2`` per block b)."""
    d, K, N = em.d, em.K, em.block_sizes
    S = em.sigma
    A = [w.P1 * w.omega1[b] + w.P2 * w.omega2[b] for b in range(K)]
    SAS = [S * a * S for a in A]

    def tr(M: fmpq_mat) -> fmpq:
        return sum((M[i, i] for i in range(d)), fmpq(0))

    out = tr(S) + em.noise_var
    s = em.s
    for b in range(K):
        out -= 2 * N[b] * em.query_corr[b] * tr(SAS[b])
        out += s * N[b] * tr(A[b].transpose() * S * A[b] * S)
        for c in range(K):
            coef = N[b] * N[c] * em.task_corr[b, c] + (N[b] if b == c else 0)
            if coef != 0:
                out += coef * tr(S * A[b].transpose() * SAS[c])
    return out


def witness_risk_general(em: E.ExactModel, w1: list[fmpq], w2: list[fmpq], P1: fmpq_mat,
                         P2: fmpq_mat) -> fmpq:
    """The per-example closed form for ``A_b = ω_b P_1 + ω'_b P_2`` with full matrices (block level), written
    independently of :func:`per_example_risk_matrix` (which the check compares it with)."""
    d, K, N = em.d, em.K, em.block_sizes
    S = em.sigma
    A = [P1 * w1[b] + P2 * w2[b] for b in range(K)]

    def tr(M: fmpq_mat) -> fmpq:
        return sum((M[i, i] for i in range(d)), fmpq(0))

    SAS = [S * a * S for a in A]
    out = tr(S) + em.noise_var
    for b in range(K):
        out -= 2 * N[b] * em.query_corr[b] * tr(SAS[b])
        out += em.s * N[b] * tr(A[b].transpose() * S * A[b] * S)
        for c in range(K):
            coef = N[b] * N[c] * em.task_corr[b, c] + (N[b] if b == c else 0)
            if coef != 0:
                out += coef * tr(S * A[b].transpose() * SAS[c])
    return out


def depth_witness_general(em: E.ExactModel, pr: E.R6Proof) -> DepthWitness:
    """Any Σ: the risk is a quadratic ``c₀ − 2gᵀθ + θᵀHθ`` in ``θ = (vec P_1, vec P_2)``; its coefficients are
    read off exact evaluations (polarisation) and ``Hθ = g`` is solved over Q. ``ω`` as in
    :func:`depth_witness`, ``ω'`` the curve point at either end of the rational γ bracket (the better one)."""
    d = em.d
    g_mid = (pr.gamma_star.lo + pr.gamma_star.hi) / 2
    w1 = [p(g_mid) for p in pr.omega_blocks]
    lo, hi, _ = E.gamma_bracket_exact(em)
    K, N = em.K, em.block_sizes
    m = 2 * d * d
    best = None
    for gam in (lo, hi):
        M = fmpq_mat([[em.task_corr[i, j] * N[j] + (gam if i == j else 0) for j in range(K)]
                      for i in range(K)])
        sol = M.solve(fmpq_mat(K, 1, list(em.query_corr)))
        w2 = [sol[i, 0] for i in range(K)]

        def risk(theta: list[fmpq], w2: list[fmpq] = w2) -> fmpq:
            P1 = fmpq_mat(d, d, theta[: d * d])
            P2 = fmpq_mat(d, d, theta[d * d:])
            return witness_risk_general(em, w1, w2, P1, P2)

        zero = [fmpq(0)] * m
        c0 = risk(zero)
        single = []
        for i in range(m):
            e = list(zero)
            e[i] = fmpq(1)
            single.append(risk(e))
        H = fmpq_mat(m, m)
        for i in range(m):
            H[i, i] = (single[i] + risk([-x for x in ([fmpq(0)] * i + [fmpq(1)] + [fmpq(0)] * (m - i - 1))])
                       - 2 * c0) / 2
        for i in range(m):
            for j in range(i + 1, m):
                e = list(zero)
                e[i] = e[j] = fmpq(1)
                H[i, j] = H[j, i] = (risk(e) - single[i] - single[j] + c0) / 2
        gvec = fmpq_mat(m, 1, [(H[i, i] + c0 - single[i]) / 2 for i in range(m)])
        try:
            theta = H.solve(gvec)
        except ZeroDivisionError:
            continue
        th = [theta[i, 0] for i in range(m)]
        val = risk(th)
        if best is None or val < best[0]:
            best = (val, th, w2)
    if best is None:
        raise ZeroDivisionError("singular normal equations for both second-step weights")
    val, th, w2 = best
    P1 = fmpq_mat(d, d, th[: d * d])
    P2 = fmpq_mat(d, d, th[d * d:])
    return DepthWitness(tuple(w1), tuple(w2), P1, P2, val, pr.min_risk, -1,
                        {"witness_kind": "full preconditioners (exact normal equations)"})
