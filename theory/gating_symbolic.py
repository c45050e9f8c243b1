"""Exact (sympy) proofs for the gating claims A1, A2, A5 and A6 at small, stated sizes.

Every function returns a :class:`SymbolicResult` whose ``holds`` is decided by an exact computation
(``sympy.expand``/``factor``/``simplify`` to zero, or exact rationals), never by floating point.

A1  ``prove_a1(n)``: with symbolic gates ``g_2..g_{n+1}``, ``ω_{i+1} − ω_i = ω_{i+1}(1 − g_{i+1})`` and
    ``ω_n = g_{n+1}`` identically, so gates in [0,1] give ``0 ≤ ω_1 ≤ … ≤ ω_n ≤ 1``; conversely, for symbolic
    positive ``w_1 ≤ … ≤ w_n ≤ 1`` the gates ``g_{i+1} = w_i/w_{i+1}``, ``g_{n+1} = w_n`` reproduce ``w``
    exactly. (Zeros: see :func:`construct_exact`.)
A2  ``prove_a2(block_sizes)``: the token sequence (data tokens gate 1, a delimiter with gate ``δ_k`` after
    block ``k``, query gate 1) gives block-constant weights ``u_k = Π_{l≥k} δ_l``.
A5  ``star_curve_block_values(block_sizes)`` derives, from ``(R + γI) ω = r`` for the star family, the block
    values ``u_k ∝ ρ_k / ((1 − ρ_k²) n_k + γ)``; ``prove_a5_equal_blocks(K)`` shows
    ``u_{k+1} − u_k ∝ (ρ_{k+1} − ρ_k)(n + γ + n ρ_k ρ_{k+1})`` for equal block sizes;
    ``a5_counterexample()`` is the exact rational refutation for unequal sizes.
A6  ``prove_a6_risk(Σ, C, block_sizes)``: the key-gated (G2) risk formula ``vector_gate_risk_sym``
    ``L = tr Σ + σ² − 2 tr(PH) + tr(PᵀΣPM)``, ``H = Σ_i r_i Γ_i Σ²``,
    ``M = Σ_ij R_ij Γ_i Σ² Γ_j + Σ_i Γ_i (Σ² + sΣ) Γ_i`` (``Γ_i = diag(γ_i)``), equals ``E(y − ŷ)²`` of
    ``ŷ = xᵀ P Σ_i Γ_i x_i y_i`` derived from the data model by Wick pairings
    (:func:`glaverify.theory.risk.derived_coordinate_weighted_risk`), exactly, with P, γ_i, σ² symbols and
    rational Σ, C; optionally a float implementation is compared with the derived polynomial at a rational
    point. ``prove_a6_decoupling(d, n)`` uses the same ``H``, ``M``: for diagonal Σ the key-gated risk is
    ``s − 2 Σ_m P_mm λ_m² c_m + Σ_{m,m'} λ_m P_{mm'}² M_{m'}``; the off-diagonal part is a sum of
    non-negative squares, and the per-coordinate optimum is ``γ^m ∝ (R + (1 + s/λ_m) I)^{-1} r``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import Any

import sympy as sp

from . import risk as rk
from .kernel import ProofResult, prove_identity


class SymbolicResult(ProofResult):
    """A gating result: a :class:`~glaverify.theory.kernel.ProofResult` built with the historical signature
    ``(claim, holds, statement, details)``."""

    def __init__(
        self, claim: str | None = None, holds: bool = False, statement: str = "",
        details: dict[str, Any] | None = None, **extra: Any,
    ) -> None:
        name = extra.pop("name", claim)  # dataclasses.replace passes every field by its kernel name
        super().__init__(name=name, holds=holds, statement=statement, details=dict(details or {}), **extra)


def gate_products(gates: Sequence[Any]) -> list[Any]:
    """``ω_i = Π_{j=i+1}^{n+1} g_j`` for token gates ``g_1..g_{n+1}`` (last = query)."""
    n = len(gates) - 1
    return [sp.Mul(*gates[i + 1 :]) for i in range(n)]


# ============================================================================ A1
def prove_a1(n: int, weights_fn=None) -> SymbolicResult:
    """A1 for ``n`` examples (exact). ``weights_fn`` (tests) replaces :func:`gate_products`."""
    weights_fn = weights_fn or gate_products
    g = sp.symbols(f"g1:{n + 2}", nonnegative=True)
    w = weights_fn(list(g))
    failures = []
    # forward: ω_{i+1} − ω_i = ω_{i+1} (1 − g_{i+1}) and ω_n = g_{n+1}
    for i in range(n - 1):
        if sp.expand(w[i + 1] - w[i] - w[i + 1] * (1 - g[i + 1])) != 0:
            failures.append(f"w{i + 2} - w{i + 1} != w{i + 2}(1 - g{i + 2})")
    if sp.expand(w[n - 1] - g[n]) != 0:
        failures.append(f"w{n} != g{n + 1}")
    # converse: symbolic positive targets t_1..t_n; gates t_i/t_{i+1}, t_n reproduce them
    t = sp.symbols(f"t1:{n + 1}", positive=True)
    gates = [sp.Integer(1)] + [t[i - 1] / t[i] for i in range(1, n)] + [t[n - 1]]
    back = weights_fn(gates)
    for i in range(n):
        if sp.simplify(back[i] - t[i]) != 0:
            failures.append(f"construction does not reproduce t{i + 1}")
    return SymbolicResult(
        "A1",
        not failures,
        f"n = {n}: w_(i+1) - w_i = w_(i+1)(1 - g_(i+1)), w_n = g_(n+1); gates t_i/t_(i+1) "
        "reproduce any positive monotone t",
        {"n": n, "failures": failures},
    )


def construct_exact(weights: Sequence[Any]) -> list[sp.Rational] | None:
    """Exact rational gates (tokens 1..n+1) for a vector in ``{0 ≤ w_1 ≤ … ≤ w_n ≤ 1}``, zeros allowed;
    ``None`` if the vector is not in the set. The round trip is exact."""
    w = [sp.Rational(x) for x in weights]
    n = len(w)
    if any(x < 0 or x > 1 for x in w) or any(w[i] > w[i + 1] for i in range(n - 1)):
        return None
    g = [sp.Integer(1)] * (n + 1)
    g[n] = w[n - 1]
    for j in range(n - 1, 0, -1):
        g[j] = w[j - 1] / w[j] if w[j] != 0 else sp.Integer(0)
    assert [sp.nsimplify(x) for x in gate_products(g)] == w
    return g


# ============================================================================ A2
def delimiter_token_gates(block_sizes: Sequence[int], deltas: Sequence[Any]) -> tuple[list[Any], list[int]]:
    """Token gates of the delimiter layout and the positions of the data tokens in it."""
    gates: list[Any] = []
    data_pos: list[int] = []
    for k, nk in enumerate(block_sizes):
        for _ in range(nk):
            data_pos.append(len(gates))
            gates.append(sp.Integer(1))
        gates.append(deltas[k])
    gates.append(sp.Integer(1))  # query
    return gates, data_pos


def prove_a2(block_sizes: Sequence[int], weights_fn=None) -> SymbolicResult:
    """A2: delimiter gating gives ``u_k = Π_{l≥k} δ_l`` on block ``k`` (exact). ``weights_fn`` (tests, planted
    errors) replaces :func:`gate_products`."""
    weights_fn = weights_fn or gate_products
    K = len(block_sizes)
    dl = sp.symbols(f"delta1:{K + 1}", nonnegative=True)
    gates, pos = delimiter_token_gates(block_sizes, dl)
    # tokens 1..T then query: weights of every non-query token
    w_all = weights_fn(gates)
    failures = []
    i = 0
    for k, nk in enumerate(block_sizes):
        target = sp.Mul(*dl[k:])
        for _ in range(nk):
            if sp.expand(w_all[pos[i]] - target) != 0:
                failures.append(f"example {i + 1} (block {k + 1})")
            i += 1
    return SymbolicResult(
        "A2",
        not failures,
        f"blocks {list(block_sizes)}: example weights are u_k = prod_(l>=k) delta_l",
        {"block_sizes": list(block_sizes), "failures": failures},
    )


# ============================================================================ A5
def star_R_r(block_sizes: Sequence[int], rho: Sequence[Any]) -> tuple[sp.Matrix, sp.Matrix]:
    """Example-level ``R`` and ``r`` of the star family
    (``corr(β_k, β_l) = ρ_kρ_l``, ``corr(β_k, β) = ρ_k``)."""
    idx = [k for k, nk in enumerate(block_sizes) for _ in range(nk)]
    n = len(idx)
    R = sp.Matrix(n, n, lambda i, j: 1 if idx[i] == idx[j] else rho[idx[i]] * rho[idx[j]])
    r = sp.Matrix([rho[k] for k in idx])
    return R, r


def star_curve_block_values(block_sizes: Sequence[int]) -> SymbolicResult:
    """Solve ``(R + γI) ω = r`` exactly (symbolic ρ, γ) and compare with
    ``u_k = c ρ_k / ((1 − ρ_k²) n_k + γ)``, ``c = 1 / (1 + Σ_l n_l ρ_l² / ((1 − ρ_l²) n_l + γ))``."""
    K = len(block_sizes)
    rho = sp.symbols(f"rho1:{K + 1}", real=True)
    gam = sp.Symbol("gamma", positive=True)
    R, r = star_R_r(block_sizes, rho)
    n = R.shape[0]
    den = [(1 - rho[k] ** 2) * block_sizes[k] + gam for k in range(K)]
    c = 1 / (1 + sum(block_sizes[k] * rho[k] ** 2 / den[k] for k in range(K)))
    idx = [k for k, nk in enumerate(block_sizes) for _ in range(nk)]
    w = sp.Matrix([c * rho[idx[i]] / den[idx[i]] for i in range(n)])
    # (R + γI) is positive definite for γ > 0, so the candidate is THE solution iff the residual vanishes
    resid = (R + gam * sp.eye(n)) * w - r
    failures = [i for i in range(n) if sp.cancel(sp.together(resid[i])) != 0]
    return SymbolicResult(
        "A5",
        not failures,
        f"blocks {list(block_sizes)}: (R + gamma I)^(-1) r has block values "
        "c rho_k / ((1 - rho_k^2) n_k + gamma) with c > 0",
        {"block_sizes": list(block_sizes), "failures": failures},
    )


def prove_a5_equal_blocks(K: int = 2) -> SymbolicResult:
    """Equal block sizes ``n`` (symbolic): ``u_{k+1} − u_k`` has the sign of
    ``(ρ_{k+1} − ρ_k)(n + γ + n ρ_k ρ_{k+1})``, non-negative for ``0 ≤ ρ_k ≤ ρ_{k+1}`` (exact factorisation).
    Non-increasing sizes: denominators ``(1−ρ_k²) n_k + γ`` are then non-increasing, and a non-negative
    non-decreasing numerator over a positive non-increasing denominator is non-decreasing."""
    rho = sp.symbols(f"rho1:{K + 1}", real=True)
    n, gam = sp.symbols("n gamma", positive=True)
    u = [rho[k] / ((1 - rho[k] ** 2) * n + gam) for k in range(K)]
    failures = []
    factors = []
    for k in range(K - 1):
        num = sp.factor(sp.together(u[k + 1] - u[k]).as_numer_denom()[0])
        expected = (rho[k + 1] - rho[k]) * (n + gam + n * rho[k] * rho[k + 1])
        if sp.expand(num - expected) != 0 and sp.expand(num + expected) != 0:
            failures.append(str(num))
        factors.append(str(num))
    return SymbolicResult(
        "A5",
        not failures,
        "equal blocks: u_(k+1) - u_k ~ (rho_(k+1) - rho_k)(n + gamma + n rho_k rho_(k+1)) >= 0",
        {"K": K, "numerators": factors, "failures": failures},
    )


def a5_counterexample(
    block_sizes: Sequence[int] = (1, 2), rho: Sequence[str] = ("1/2", "11/20"), noise_var: str = "1/10"
) -> SymbolicResult:
    """Exact rational refutation of A5 (d = 1, Σ = 1): the unique (up to scale) WPGD optimum
    ``ω* = (R + (1 + s) I)^{-1} r`` (R5 with d = λ = 1) has ``u_1 > u_2 > 0`` although ``ρ_1 ≤ ρ_2``;
    ``L*(ω) = s − (r^Tω)²/(ω^T Q ω)`` with ``Q = R + (1+s)I``; the best block-monotone ω (delimiter GLA) is
    the uniform one here, and its risk exceeds the optimum by an exact positive rational."""
    rh = [sp.Rational(x) for x in rho]
    s = 1 + sp.Rational(noise_var)
    R, r = star_R_r(block_sizes, rh)
    n = R.shape[0]
    Q = R + (1 + s) * sp.eye(n)
    w = Q.LUsolve(r)
    idx = [k for k, nk in enumerate(block_sizes) for _ in range(nk)]
    u = [w[idx.index(k)] for k in range(len(block_sizes))]
    opt = s - (r.T * w)[0]  # s − r^T Q^{-1} r
    # delimiter class, K = 2: min over u_1 ≤ u_2 of the quotient; unconstrained optimum has u_1 > u_2, so the
    # convex QP in u is solved on the face u_1 = u_2 (uniform): exact KKT in u-space below.
    ones = sp.ones(n, 1)
    uni = s - (r.T * ones)[0] ** 2 / (ones.T * Q * ones)[0]
    # KKT of min u^T H u s.t. c^T u = 1, u_2 - u_1 >= 0 at u = (t, t):
    N = sp.diag(*block_sizes)
    C = sp.Matrix(len(rh), len(rh), lambda a, b: 1 if a == b else rh[a] * rh[b])
    H = N * C * N + (1 + s) * N
    c = N * sp.Matrix(rh)
    t = 1 / (c[0] + c[1])
    uu = sp.Matrix([t, t])
    g = 2 * H * uu
    # g = nu c + mu (-1, 1)
    sol = sp.solve(
        [g[0] - sp.Symbol("nu") * c[0] + sp.Symbol("mu"), g[1] - sp.Symbol("nu") * c[1] - sp.Symbol("mu")],
        [sp.Symbol("nu"), sp.Symbol("mu")],
        dict=True,
    )[0]
    mu = sol[sp.Symbol("mu")]
    non_monotone = bool(u[0] > u[1] > 0) and all(rh[k] <= rh[k + 1] for k in range(len(rh) - 1))
    gap = sp.nsimplify(uni - opt)
    return SymbolicResult(
        "A5",
        not non_monotone,
        f"blocks {list(block_sizes)}, rho {list(rho)}, d = 1, Sigma = 1, noise {noise_var}: "
        f"u* = ({u[0]}, {u[1]}) is decreasing; delimiter-GLA risk {uni} > WPGD {opt}",
        {
            "u_star": [str(x) for x in u],
            "wpgd_risk": str(opt),
            "delimiter_risk": str(uni),
            "gap": str(gap),
            "gap_positive": bool(gap > 0),
            "kkt_mu": str(mu),
            "kkt_mu_nonnegative": bool(mu >= 0),
            "block_sizes": list(block_sizes),
            "rho": list(rho),
            "noise_var": noise_var,
            "d": 1,
            "sigma": [[1]],
        },
    )


# ============================================================================ A6
def vector_gate_hm(
    sigma: sp.Matrix, Gamma: sp.Matrix, R: sp.Matrix, r: sp.Matrix, s: Any
) -> tuple[sp.Matrix, sp.Matrix]:
    """``H = Σ_i r_i Γ_i Σ²`` and ``M = Σ_ij R_ij Γ_i Σ² Γ_j + Σ_i Γ_i (Σ² + sΣ) Γ_i``,
    ``Γ_i = diag(γ_i)`` (rows of ``Gamma``): the matrices of the key-gated risk (G2), shared by
    :func:`vector_gate_risk_sym` (proved against the Wick derivation) and :func:`prove_a6_decoupling`."""
    n, d = Gamma.shape
    Sig2 = sigma * sigma
    Gs = [sp.diag(*Gamma.row(i)) for i in range(n)]
    H = sp.zeros(d, d)
    M = sp.zeros(d, d)
    for i in range(n):
        H += r[i] * Gs[i] * Sig2
        M += Gs[i] * (Sig2 + s * sigma) * Gs[i]
        for j in range(n):
            M += R[i, j] * Gs[i] * Sig2 * Gs[j]
    return H, M


def vector_gate_risk_sym(
    sigma: sp.Matrix, P: sp.Matrix, Gamma: sp.Matrix, R: sp.Matrix, r: sp.Matrix, noise_var: Any
) -> sp.Expr:
    """The key-gated risk used by the A6 checks, symbolically (twin of ``numerics.gating.vector_gate_risk``):
    ``tr Σ + σ² − 2 tr(PH) + tr(PᵀΣPM)`` with ``H``, ``M`` of :func:`vector_gate_hm`."""
    s = sigma.trace() + noise_var
    H, M = vector_gate_hm(sigma, Gamma, R, r, s)
    return s - 2 * (P * H).trace() + (P.T * sigma * P * M).trace()


VectorRiskForm = Callable[[sp.Matrix, sp.Matrix, sp.Matrix, sp.Matrix, sp.Matrix, Any], sp.Expr]
#: ``numeric(P_rows, Gamma_rows, noise_var) -> float``: a float implementation on the same Σ, C, blocks
NumericVectorRisk = Callable[[list[list[float]], list[list[float]], float], float]

#: relative tolerance of the float-vs-exact comparison (float64 of a few dozen terms; dyadic inputs)
A6_NUMERIC_RTOL = 1e-9


def prove_a6_risk(
    sigma: object,
    block_corr: object,
    block_sizes: Sequence[int],
    risk: VectorRiskForm = vector_gate_risk_sym,
    numeric: NumericVectorRisk | None = None,
    noise_var: object | None = None,
    seed: int = 0,
) -> SymbolicResult:
    """A6 lemma (G2 risk): ``E(y − ŷ)²`` of ``ŷ = xᵀ P Σ_i diag(γ_i) x_i y_i``, derived from the data model by
    Wick pairings, minus the formula ``risk`` (default :func:`vector_gate_risk_sym`) expands to 0; P (d×d),
    γ_i ∈ R^d and σ² (unless ``noise_var``) are symbols, Σ and the block-task correlation exact rationals.

    ``numeric`` (optional) is a float implementation: it is evaluated at a random dyadic rational point
    (P, Γ, σ², exactly representable in binary) and compared with the exact value of the derived polynomial
    there (relative tolerance :data:`A6_NUMERIC_RTOL`). ``details`` hold the identity's residual and a
    rational point where it is nonzero (if any), and the numeric comparison."""
    t0 = time.perf_counter()
    pb = rk.build_risk_problem(sigma, block_corr, block_sizes, noise_var=noise_var, coordinate_weights=True)
    derived = rk.derived_coordinate_weighted_risk(pb)
    R, r = pb.example_correlation()
    Gam = sp.Matrix(pb.gamma)
    name = "A6: E(y - yhat)^2 of yhat = x^T P sum_i diag(gamma_i) x_i y_i == vector-gated risk formula"
    claimed = sp.expand(risk(pb.sigma, pb.P, Gam, R, r, pb.noise_var))
    try:
        ident = prove_identity(name, derived - pb.el(claimed), t0, seed, derived_terms=len(derived))
    except (ValueError, sp.polys.polyerrors.PolynomialError, sp.polys.polyerrors.CoercionFailed):
        ident = prove_identity(name, derived.as_expr() - claimed, t0, seed, derived_terms=len(derived))
    details: dict[str, Any] = {
        "d": pb.d,
        "n": pb.n,
        "block_sizes": list(pb.block_sizes),
        "sigma": str(pb.sigma.tolist()),
        "block_corr": str(pb.block_corr.tolist()),
        "identity": ident.name,
        "identity_holds": ident.holds,
        "derived_terms": len(derived),
        "residual_terms": ident.residual_terms,
        "residual": ident.residual,
        "point": ident.point,
        "residual_at_point": ident.value_at_point,
        "elapsed_s": round(ident.elapsed_s, 3),
    }
    ok = ident.holds
    if numeric is not None:
        rng = random.Random(seed)
        dy = [sp.Rational(k, 8) for k in range(-8, 9) if k]
        pos = [sp.Rational(k, 8) for k in range(1, 9)]
        Pv = [[rng.choice(dy) for _ in range(pb.d)] for _ in range(pb.d)]
        Gv = [[rng.choice(pos) for _ in range(pb.d)] for _ in range(pb.n)]
        s2 = pb.noise_var if not isinstance(pb.noise_var, sp.Symbol) else sp.Rational(rng.randint(1, 8), 16)
        sub = {pb.P[b, c]: Pv[b][c] for b in range(pb.d) for c in range(pb.d)}
        sub.update({pb.gamma[i][a]: Gv[i][a] for i in range(pb.n) for a in range(pb.d)})
        if isinstance(pb.noise_var, sp.Symbol):
            sub[pb.noise_var] = s2
        exact = sp.Rational(derived.as_expr().xreplace(sub))
        got = float(
            numeric(
                [[float(v) for v in row] for row in Pv], [[float(v) for v in row] for row in Gv], float(s2)
            )
        )
        err = abs(got - float(exact))
        num_ok = bool(err <= A6_NUMERIC_RTOL * max(1.0, abs(float(exact))))
        details["numeric"] = {
            "P": [[str(v) for v in row] for row in Pv],
            "Gamma": [[str(v) for v in row] for row in Gv],
            "noise_var": str(s2),
            "exact": str(exact),
            "float": got,
            "abs_error": err,
            "rtol": A6_NUMERIC_RTOL,
            "ok": num_ok,
        }
        ok = ok and num_ok
    return SymbolicResult(
        "A6",
        ok,
        f"d = {pb.d}, n = {pb.n} (blocks {list(pb.block_sizes)}): E(y - yhat)^2 of the key-gated predictor "
        "(Wick-derived) == s - 2 tr(PH) + tr(P^T Sigma P M)"
        + (" and the float implementation matches it at a rational point" if numeric is not None else ""),
        details,
    )


def prove_a6_decoupling(d: int = 2, n: int = 2) -> SymbolicResult:
    """A6 for diagonal Σ (symbolic λ, P, Γ, R, r, s): with ``M_m = λ_m² γ^{mT} R γ^m + (λ_m² + sλ_m)‖γ^m‖²``,
    ``tr(P^T Σ P M) − Σ_m λ_m P_mm² M_m = Σ_{m≠m'} λ_m P_{mm'}² M_{m'}`` (so off-diagonal P only adds
    non-negative terms, and ``M_{m'} > 0`` whenever ``γ^{m'} ≠ 0``), and the per-coordinate risk
    ``−2 P λ² c + P² λ M`` is minimised at ``P = λ c / M`` with value ``−λ² c² / (λ a + b)``,
    ``a = γ^T (R + I) γ``, ``b = s‖γ‖²``, ``c = r^T γ``: maximising ``c²/(a + b/λ)`` over ``γ`` gives
    ``γ ∝ (R + (1 + s/λ) I)^{-1} r`` (Cauchy–Schwarz in the ``Q``-inner product; checked here by the exact
    stationarity of the quotient at that γ)."""
    lam = sp.symbols(f"lambda1:{d + 1}", positive=True)
    s = sp.Symbol("s", positive=True)
    P = sp.Matrix(d, d, lambda i, j: sp.Symbol(f"P{i + 1}{j + 1}"))
    G = sp.Matrix(n, d, lambda i, j: sp.Symbol(f"gam{i + 1}_{j + 1}"))
    Rs = sp.Matrix(n, n, lambda i, j: 1 if i == j else sp.Symbol(f"R{min(i, j) + 1}{max(i, j) + 1}"))
    rs = sp.Matrix([sp.Symbol(f"r{i + 1}") for i in range(n)])
    Sig = sp.diag(*lam)
    # the matrices of the G2 risk, as proved against the Wick derivation by prove_a6_risk
    H, M = vector_gate_hm(Sig, G, Rs, rs, s)
    failures = []
    if any(sp.expand(M[i, j]) != 0 for i in range(d) for j in range(d) if i != j):
        failures.append("M is not diagonal")
    quad = sp.expand((P.T * Sig * P * M).trace())
    diag_part = sp.expand(sum(lam[m] * P[m, m] ** 2 * M[m, m] for m in range(d)))
    off = sp.expand(sum(lam[m] * P[m, mm] ** 2 * M[mm, mm] for m in range(d) for mm in range(d) if m != mm))
    if sp.expand(quad - diag_part - off) != 0:
        failures.append("off-diagonal P terms are not the stated squares")
    if sp.expand((P * H).trace() - sum(P[m, m] * H[m, m] for m in range(d))) != 0:
        failures.append("the linear term involves off-diagonal P")
    # per coordinate: quotient c^2/(γ^T Q γ) is stationary at γ = Q^{-1} r (n = 2, symbolic Q)
    lm = lam[0]
    Q = Rs + (1 + s / lm) * sp.eye(n)
    gsym = sp.Matrix([sp.Symbol(f"x{i + 1}") for i in range(n)])
    quot = (rs.T * gsym)[0] ** 2 / (gsym.T * Q * gsym)[0]
    gstar = Q.adjugate() * rs  # ∝ Q^{-1} r
    grad = [sp.simplify(sp.diff(quot, v).subs(dict(zip(gsym, gstar, strict=True)))) for v in gsym]
    if any(gv != 0 for gv in grad):
        failures.append("gamma ~ Q^{-1} r is not stationary")
    return SymbolicResult(
        "A6",
        not failures,
        f"d = {d}, n = {n}, diagonal Sigma: M diagonal, off-diagonal P adds "
        "sum lambda_m P_mm'^2 M_m' >= 0, coordinate m optimum ~ (R + (1 + s/lambda_m) I)^(-1) r",
        {"d": d, "n": n, "failures": failures},
    )


def a6_vector_advantage_zero_when_eigenvector() -> SymbolicResult:
    """When ``r`` is an eigenvector of ``R`` (``R r = μ r``), ``(R + tI)^{-1} r = r/(μ + t)``
    for every t, so all
    coordinates prefer the same direction and vector gating gains nothing (exact, 3×3 example)."""
    t = sp.Symbol("t", positive=True)
    R = sp.Matrix(
        [
            [1, sp.Rational(1, 2), sp.Rational(1, 2)],
            [sp.Rational(1, 2), 1, sp.Rational(1, 2)],
            [sp.Rational(1, 2), sp.Rational(1, 2), 1],
        ]
    )
    r = sp.Matrix([1, 1, 1]) * sp.Rational(1, 2)
    v = (R + t * sp.eye(3)).LUsolve(r)
    ok = all(sp.simplify(v[i] - v[0]) == 0 for i in range(3))
    return SymbolicResult(
        "A6",
        ok,
        "r eigenvector of R: (R + tI)^(-1) r is parallel to r for all t",
        {"R": str(R.tolist()), "r": str(r.T.tolist())},
    )
