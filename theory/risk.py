"""Exact (symbolic) proofs of the WPGD risk claims R1, R2, R3, R4 (stationarity) and R5.

Everything here is exact: sympy polynomials over ℚ (``PolyRing``) or rational functions, never floats.
A proof is an identity "difference = 0" that is *expanded* to the zero polynomial; when the expansion is
not zero, the nonzero residual is returned together with a rational point at which it does not vanish
(a reproducible counterexample).

* **R1** (:func:`prove_r1`). The risk ``E(y − ŷ)²`` of the one-step WPGD predictor
  ``ŷ = Σ_i ω_i y_i xᵀ P x_i`` is *derived* from the data model of docs/data-model.md with the Gaussian engine
  :mod:`glaverify.theory.wick` (the closed form is never typed into the derivation), then compared with the
  closed form ``tr Σ + σ² − 2(rᵀω) tr(PΣ²) + tr(PᵀΣPM)``, ``M = aΣ² + bΣ``, written symbolically with
  ``R = B C Bᵀ`` and ``r = B c``. ``P``, ``ω`` and ``σ²`` are symbols; Σ and C are exact rationals or symbols.
* **R2** (:func:`prove_r2`): ``L(P/c, cω) − L(P, ω)`` expands to 0 for the derived risk, ``c`` a symbol.
* **R3** (:func:`prove_r3`): with ``rᵀω = ρ``, ``a``, ``b`` free symbols (the risk depends on ω only through
  them, which R1 establishes), the P-gradient of the closed form vanishes at ``P* = ρ(aΣ + bI)^{-1}``,
  ``L(P*) = tr Σ + σ² − ρ² tr((aΣ + bI)^{-1}Σ²)`` and ``L(P* + Δ) − L(P*) = tr(ΔᵀΣΔM)`` (so P* is the global
  minimiser whenever M ≻ 0).
* **R4** (:func:`prove_r4_stationarity`): ``∇_ω L*(ω) = 2ρ²F₃ (R + γ(ω)I) ω − 2ρF₁ r`` identically, with
  ``F_p = Σ_k λ_k^p/(aλ_k + b)^{p'}`` as in docs/risk.md and ``γ = 1 + s F₂/F₃``.
* **R5** (:func:`prove_r5`): with Σ = λI, ``ω* ∝ Q^{-1} r``, ``Q = R + (1 + d + σ²/λ)I``: the profile risk
  at ω* equals ``dλ + σ² − dλ rᵀQ^{-1}r`` and its gradient vanishes there, with symbolic R, r, λ, σ².

Each prover takes the formula under test as a keyword argument, so tests can plant errors.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy as sp
from sympy.polys.domains import QQ
from sympy.polys.rings import PolyElement, PolyRing

from .kernel import ProofResult, find_nonzero_point, prove_identity
from .wick import GaussianModel

# ============================================================================ small exact linear algebra
# Matrices are lists of lists of elements that support + and * (ring elements or sympy expressions),
# so the same closed-form code serves the polynomial-ring proofs and the rational-function proofs.

Mat = list[list[Any]]


def mat_mul(a: Mat, b: Mat) -> Mat:
    n, m, p = len(a), len(b), len(b[0])
    out = []
    for i in range(n):
        row = []
        for j in range(p):
            acc = a[i][0] * b[0][j]
            for k in range(1, m):
                acc = acc + a[i][k] * b[k][j]
            row.append(acc)
        out.append(row)
    return out


def mat_t(a: Mat) -> Mat:
    return [list(col) for col in zip(*a, strict=False)]


def mat_add(a: Mat, b: Mat) -> Mat:
    return [[x + y for x, y in zip(ra, rb, strict=False)] for ra, rb in zip(a, b, strict=False)]


def mat_scale(c: Any, a: Mat) -> Mat:
    return [[c * x for x in row] for row in a]


def trace(a: Mat) -> Any:
    acc = a[0][0]
    for i in range(1, len(a)):
        acc = acc + a[i][i]
    return acc


def quad(u: Sequence[Any], a: Mat, v: Sequence[Any]) -> Any:
    """uᵀ A v."""
    acc = None
    for i in range(len(u)):
        for j in range(len(v)):
            t = u[i] * a[i][j] * v[j]
            acc = t if acc is None else acc + t
    return acc


def dot(u: Sequence[Any], v: Sequence[Any]) -> Any:
    acc = u[0] * v[0]
    for i in range(1, len(u)):
        acc = acc + u[i] * v[i]
    return acc


def to_rational(x: object) -> sp.Expr:
    """Exact conversion of a config number: ``0.55`` -> 11/20 (via its decimal string, never its binary)."""
    if isinstance(x, (float, sp.Float)):
        return sp.Rational(repr(float(x)))
    out = sp.sympify(x)
    if out.atoms(sp.Float):
        raise ValueError(f"{x!r}: exact proofs need rationals or symbols, not floating-point numbers")
    return out


def rational_matrix(mat: object) -> sp.Matrix:
    """An exact sympy matrix: floats (Python or sympy) become the rational of their decimal repr."""
    if isinstance(mat, sp.MatrixBase):
        return mat.applyfunc(to_rational)
    rows = [[to_rational(v) for v in row] for row in mat]  # convert before sympy turns floats into Floats
    return sp.Matrix(rows)


# ============================================================================ R1 closed form (symbolic)


def risk_coefficients_sym(omega: Sequence[Any], R: Mat, r: Sequence[Any], s: Any) -> tuple[Any, Any, Any]:
    """``(rᵀω, a, b)`` with ``a = ωᵀ(R + I)ω``, ``b = s‖ω‖²`` (symbolic re-statement of
    :func:`glaverify.numerics.closed_forms.risk_coefficients`)."""
    n = len(omega)
    rpi = [[R[i][j] + (1 if i == j else 0) for j in range(n)] for i in range(n)]
    return dot(r, omega), quad(omega, rpi, omega), s * dot(omega, omega)


def wpgd_risk_from_coefficients(sigma: Mat, P: Mat, rw: Any, a: Any, b: Any, noise_var: Any) -> Any:
    """R1 in terms of ``(rᵀω, a, b)``: ``tr Σ + σ² − 2(rᵀω) tr(PΣ²) + tr(PᵀΣPM)``, ``M = aΣ² + bΣ``."""
    sig2 = mat_mul(sigma, sigma)
    m = mat_add(mat_scale(a, sig2), mat_scale(b, sigma))
    return (
        trace(sigma)
        + noise_var
        - 2 * rw * trace(mat_mul(P, sig2))
        + trace(mat_mul(mat_mul(mat_t(P), sigma), mat_mul(P, m)))
    )


def wpgd_risk_closed_form(
    sigma: Mat, P: Mat, omega: Sequence[Any], R: Mat, r: Sequence[Any], noise_var: Any
) -> Any:
    """R1 (docs/risk.md) written symbolically: the symbolic twin of ``numerics.closed_forms.wpgd_risk``."""
    s = trace(sigma) + noise_var
    rw, a, b = risk_coefficients_sym(omega, R, r, s)
    return wpgd_risk_from_coefficients(sigma, P, rw, a, b, noise_var)


ClosedForm = Callable[[Mat, Mat, Sequence[Any], Mat, Sequence[Any], Any], Any]


# ============================================================================ results


#: the kernel's result type under its historical name (same fields, same positional order)
IdentityResult = ProofResult


def _short(expr_text: str, limit: int = 400) -> str:
    return expr_text if len(expr_text) <= limit else expr_text[: limit - 3] + "..."


def _nonzero_point_poly(
    poly: PolyElement, seed: int = 0, tries: int = 40
) -> tuple[dict[str, str], str] | None:
    """A rational point where the ring element ``poly`` is nonzero (kernel witness finder)."""
    return find_nonzero_point(poly, seed, tries)


def _nonzero_point_expr(expr: sp.Expr, seed: int = 0, tries: int = 40) -> tuple[dict[str, str], str] | None:
    """A rational point where the rational function ``expr`` is defined and nonzero (kernel finder)."""
    return find_nonzero_point(expr, seed, tries)


def _poly_identity(name: str, diff: PolyElement, t0: float, seed: int = 0, **details: Any) -> IdentityResult:
    return prove_identity(name, diff, t0, seed, **details)


def _expr_identity(name: str, diff: sp.Expr, t0: float, seed: int = 0, **details: Any) -> IdentityResult:
    """``diff`` is a rational function: it is zero iff the expanded numerator of ``together(diff)`` is 0."""
    return prove_identity(name, diff, t0, seed, **details)


# ============================================================================ the symbolic data model


@dataclass
class RiskProblem:
    """Symbols and Gaussian structure of the data model (docs/data-model.md) for explicit d, n, K."""

    d: int
    n: int
    block_sizes: tuple[int, ...]
    sigma: sp.Matrix  # d×d feature covariance (exact)
    block_corr: sp.Matrix  # (K+1)×(K+1) block-task correlation (exact), last index = query
    noise_var: sp.Expr  # σ² (a symbol by default)
    P: sp.Matrix  # d×d symbols
    omega: tuple[sp.Symbol, ...]
    x: list[list[sp.Symbol]]  # x[i][a], i = 0..n-1 examples, i = n the query
    beta: list[list[sp.Symbol]]  # beta[k][a], k = 0..K-1 blocks, k = K the query task
    xi: list[sp.Symbol]  # noises, index n = the query's
    gauss: GaussianModel
    gamma: list[list[sp.Symbol]] = field(default_factory=list)  # G2 weights γ_i[a] (coordinate_weights)

    @property
    def K(self) -> int:
        return len(self.block_sizes)

    @property
    def block_index(self) -> list[int]:
        return [k for k, nk in enumerate(self.block_sizes) for _ in range(nk)]

    def gen(self, s: sp.Symbol) -> PolyElement:
        return self.gauss.gen(s)

    def el(self, value: object) -> PolyElement:
        return self.gauss.to_element(value)

    def example_correlation(self) -> tuple[sp.Matrix, sp.Matrix]:
        """``R = B C Bᵀ`` and ``r = B c`` (exact), from the block structure."""
        idx = self.block_index
        K = self.K
        R = sp.Matrix(self.n, self.n, lambda i, j: self.block_corr[idx[i], idx[j]])
        r = sp.Matrix(self.n, 1, lambda i, _j: self.block_corr[idx[i], K])
        return R, r


def build_risk_problem(
    sigma: object,
    block_corr: object,
    block_sizes: Sequence[int],
    noise_var: object | None = None,
    coordinate_weights: bool = False,
) -> RiskProblem:
    """Declare the Gaussian variables of docs/data-model.md: features (one group per example and the query,
    each with
    covariance Σ), tasks (for each coordinate a, the vector (β_{1,a},…,β_{K,a},β_a) is a group with
    covariance C), noises (one group each, variance σ²). ``noise_var=None`` makes σ² the symbol ``sigma2``.
    ``coordinate_weights=True`` also declares the per-example, per-coordinate weights ``γ_i[a]``
    (symbols ``gam{i}_{a}``) of the key-gated predictor G2 as parameters."""
    sig = rational_matrix(sigma)
    corr = rational_matrix(block_corr)
    d = sig.shape[0]
    sizes = tuple(int(b) for b in block_sizes)
    K = len(sizes)
    n = sum(sizes)
    if sig.shape != (d, d):
        raise ValueError(f"sigma must be square, got {sig.shape}")
    if corr.shape != (K + 1, K + 1):
        raise ValueError(f"block_corr must be {(K + 1, K + 1)}, got {corr.shape}")
    s2 = sp.Symbol("sigma2") if noise_var is None else to_rational(noise_var)
    x = [[sp.Symbol(f"x{i + 1}_{a + 1}") for a in range(d)] for i in range(n)]
    x.append([sp.Symbol(f"xq_{a + 1}") for a in range(d)])
    beta = [[sp.Symbol(f"beta{k + 1}_{a + 1}") for a in range(d)] for k in range(K)]
    beta.append([sp.Symbol(f"betaq_{a + 1}") for a in range(d)])
    xi = [sp.Symbol(f"xi{i + 1}") for i in range(n)] + [sp.Symbol("xiq")]
    P = sp.Matrix(d, d, lambda b, c: sp.Symbol(f"P{b + 1}{c + 1}"))
    omega = tuple(sp.Symbol(f"w{i + 1}") for i in range(n))
    gamma = (
        [[sp.Symbol(f"gam{i + 1}_{a + 1}") for a in range(d)] for i in range(n)] if coordinate_weights else []
    )
    groups: list[tuple[Sequence[sp.Symbol], object]] = []
    groups += [(x[i], sig) for i in range(n + 1)]
    groups += [([beta[k][a] for k in range(K + 1)], corr) for a in range(d)]
    if s2 != 0:
        groups += [((xi[i],), [[s2]]) for i in range(n + 1)]
    params = list(P) + list(omega) + [v for row in gamma for v in row]
    if isinstance(s2, sp.Symbol):
        params.append(s2)
    gauss = GaussianModel(groups, parameters=params)
    return RiskProblem(d, n, sizes, sig, corr, s2, P, omega, x, beta, xi if s2 != 0 else [], gauss, gamma)


def labels(problem: RiskProblem) -> tuple[list[PolyElement], PolyElement]:
    """``y_i = x_iᵀ β_{k(i)} + ξ_i`` and ``y = xᵀ β + ξ`` as ring elements."""
    g = problem.gen
    K, d = problem.K, problem.d

    def label(xrow: list[sp.Symbol], k: int, noise: sp.Symbol | None) -> PolyElement:
        acc = problem.gauss.ring.zero
        for a in range(d):
            acc += g(xrow[a]) * g(problem.beta[k][a])
        if noise is not None:
            acc += g(noise)
        return acc

    noise = problem.xi if problem.xi else [None] * (problem.n + 1)
    ys = [label(problem.x[i], problem.block_index[i], noise[i]) for i in range(problem.n)]
    return ys, label(problem.x[problem.n], K, noise[problem.n])


def _query_bilinear_terms(problem: RiskProblem, weights: Sequence[Sequence[PolyElement]] | None) -> list:
    """``T_i = y_i · xᵀ P D_i x_i`` with ``D_i = I`` (``weights=None``) or ``D_i = diag(weights[i])``."""
    g = problem.gen
    ys, _ = labels(problem)
    xq = problem.x[problem.n]
    d = problem.d
    out = []
    for i in range(problem.n):
        bil = problem.gauss.ring.zero
        for b in range(d):
            for c in range(d):
                term = g(xq[b]) * g(problem.P[b, c]) * g(problem.x[i][c])
                bil += term if weights is None else term * weights[i][c]
        out.append(ys[i] * bil)
    return out


def wpgd_terms(problem: RiskProblem) -> list[PolyElement]:
    """``T_i = y_i · xᵀ P x_i`` (so that ``ŷ = Σ_i ω_i T_i``, docs/gla.md (WPGD-1))."""
    return _query_bilinear_terms(problem, None)


def coordinate_weighted_terms(problem: RiskProblem) -> list[PolyElement]:
    """G2: ``T_i = y_i · xᵀ P diag(γ_i) x_i``, so that ``ŷ = xᵀ P Σ_i diag(γ_i) x_i y_i = Σ_i T_i``.
    Needs a problem built with ``coordinate_weights=True``."""
    if not problem.gamma:
        raise ValueError("build the problem with coordinate_weights=True to declare the weights gamma_i")
    return _query_bilinear_terms(problem, [[problem.gen(v) for v in row] for row in problem.gamma])


def _pairwise_risk(problem: RiskProblem, T: Sequence[PolyElement], w: Sequence[Any]) -> PolyElement:
    """``E y² − 2 Σ_i w_i E[y T_i] + Σ_{i,j} w_i w_j E[T_i T_j]``, each small product integrated
    separately."""
    E = problem.gauss.expect_element
    _, y = labels(problem)
    out = E(y * y)
    for i in range(problem.n):
        out -= 2 * w[i] * E(y * T[i])
        for j in range(i, problem.n):
            out += (1 if i == j else 2) * w[i] * w[j] * E(T[i] * T[j])
    return out


def derived_risk(problem: RiskProblem, method: str = "pairwise") -> PolyElement:
    """``E(y − ŷ)²`` computed from the model by Wick pairings (never from the closed form).

    ``pairwise`` (default): ``E y² − 2 Σ_i ω_i E[y T_i] + Σ_{i,j} ω_i ω_j E[T_i T_j]``, integrating each
    small product separately (cheap). ``expand``: expand the whole square first (slow; used by the
    metamorphic test to check that the answer does not depend on how the polynomial is written).
    """
    ring = problem.gauss.ring
    E = problem.gauss.expect_element
    _, y = labels(problem)
    T = wpgd_terms(problem)
    w = [problem.gen(s) for s in problem.omega]
    if method == "expand":
        yhat = ring.zero
        for wi, ti in zip(w, T, strict=False):
            yhat += wi * ti
        return E((y - yhat) ** 2)
    if method != "pairwise":
        raise ValueError(f"method must be 'pairwise' or 'expand', got {method!r}")
    return _pairwise_risk(problem, T, w)


def derived_coordinate_weighted_risk(problem: RiskProblem) -> PolyElement:
    """G2 risk ``E(y − ŷ)²`` of the coordinate-weighted predictor ``ŷ = xᵀ P Σ_i diag(γ_i) x_i y_i``, computed
    from the model by Wick pairings (the weights γ_i[a] are inside the terms; nothing is typed in). Used by
    :func:`glaverify.theory.gating_symbolic.prove_a6_risk` to prove the key-gated risk formula of A6."""
    T = coordinate_weighted_terms(problem)
    return _pairwise_risk(problem, T, [1] * problem.n)


def closed_form_element(problem: RiskProblem, closed_form: ClosedForm = wpgd_risk_closed_form) -> PolyElement:
    """The closed form under test evaluated on the problem's symbols, as a ring element."""
    el = problem.el
    d, n = problem.d, problem.n
    sigma = [[el(problem.sigma[i, j]) for j in range(d)] for i in range(d)]
    P = [[el(problem.P[i, j]) for j in range(d)] for i in range(d)]
    R, r = problem.example_correlation()
    Rm = [[el(R[i, j]) for j in range(n)] for i in range(n)]
    rv = [el(r[i]) for i in range(n)]
    om = [el(s) for s in problem.omega]
    return closed_form(sigma, P, om, Rm, rv, el(problem.noise_var))


def prove_r1(
    problem: RiskProblem,
    closed_form: ClosedForm = wpgd_risk_closed_form,
    method: str = "pairwise",
    seed: int = 0,
) -> IdentityResult:
    """R1: derived ``E(y − ŷ)²`` minus the closed form expands to the zero polynomial."""
    t0 = time.perf_counter()
    derived = derived_risk(problem, method)
    t1 = time.perf_counter()
    diff = derived - closed_form_element(problem, closed_form)
    return _poly_identity(
        "R1: E(y - yhat)^2 == closed form",
        diff,
        t0,
        seed,
        derived_terms=len(derived),
        derivation_s=round(t1 - t0, 4),
        moment_evaluations=problem.gauss.moment_evaluations,
    )


# ============================================================================ R2


def prove_r2(
    problem: RiskProblem, risk: PolyElement | None = None, p_power: int = -1, w_power: int = 1, seed: int = 0
) -> IdentityResult:
    """R2: ``L(P/c, cω) − L(P, ω)`` expands to 0 (c a nonzero symbol), for the *derived* risk.

    ``risk`` (default: :func:`derived_risk`) and the powers of ``c`` applied to P and ω are injectable.
    """
    t0 = time.perf_counter()
    L = derived_risk(problem) if risk is None else risk
    c = sp.Symbol("c", nonzero=True)
    expr = L.as_expr()
    sub = {p: p * c**p_power for p in problem.P}
    sub.update({w: w * c**w_power for w in problem.omega})
    diff = sp.expand(expr.xreplace(sub) - expr)
    if diff == 0:
        return IdentityResult(
            "R2: L(P/c, c w) == L(P, w)",
            True,
            0,
            elapsed_s=time.perf_counter() - t0,
            details={"risk_terms": len(L)},
        )
    return _expr_identity("R2: L(P/c, c w) == L(P, w)", diff, t0, seed, risk_terms=len(L))


# ============================================================================ R3


def optimal_preconditioner_sym(sigma: sp.Matrix, rw: Any, a: Any, b: Any) -> sp.Matrix:
    """R3: ``P*(ω) = (rᵀω)(aΣ + bI)^{-1}`` (exact, via the adjugate)."""
    A = a * sigma + b * sp.eye(sigma.shape[0])
    return rw * A.adjugate() / A.det()


def profile_risk_sym(sigma: sp.Matrix, rw: Any, a: Any, b: Any, noise_var: Any) -> sp.Expr:
    """R3: ``L*(ω) = tr Σ + σ² − (rᵀω)² tr((aΣ + bI)^{-1}Σ²)``; for diagonal Σ this is
    ``tr Σ + σ² − (rᵀω)² Σ_k λ_k²/(aλ_k + b)``."""
    d = sigma.shape[0]
    if sigma.is_diagonal():
        return (
            sigma.trace()
            + noise_var
            - rw**2 * sum(sigma[k, k] ** 2 / (a * sigma[k, k] + b) for k in range(d))
        )
    A = a * sigma + b * sp.eye(d)
    return sigma.trace() + noise_var - rw**2 * (A.adjugate() * sigma * sigma).trace() / A.det()


def prove_r3(
    sigma: object,
    noise_var: object | None = None,
    preconditioner: Callable[[sp.Matrix, Any, Any, Any], sp.Matrix] = optimal_preconditioner_sym,
    profile: Callable[[sp.Matrix, Any, Any, Any, Any], sp.Expr] = profile_risk_sym,
    risk: Callable[..., Any] = wpgd_risk_from_coefficients,
    seed: int = 0,
) -> list[IdentityResult]:
    """R3 for an exact Σ (rational or symbolic), with ``ρ = rᵀω``, ``a``, ``b`` and σ² free symbols:

    1. every entry of ``∂L/∂P`` vanishes at ``P*``;
    2. ``L(P*) − L*`` is 0;
    3. ``L(P* + Δ) − L(P*) − tr(ΔᵀΣΔM)`` is 0 (Δ symbolic): with ``M = aΣ² + bΣ ≻ 0`` the excess is a
       positive semidefinite form, so P* is a global minimiser (strictly, since ΣΔM = 0 forces Δ = 0).
    """
    sig = rational_matrix(sigma)
    d = sig.shape[0]
    rho, a, b = sp.symbols("rho a b")
    s2 = sp.Symbol("sigma2") if noise_var is None else to_rational(noise_var)
    Psym = sp.Matrix(d, d, lambda i, j: sp.Symbol(f"P{i + 1}{j + 1}"))
    Dsym = sp.Matrix(d, d, lambda i, j: sp.Symbol(f"D{i + 1}{j + 1}"))
    sig_l = sig.tolist()

    def L(P: sp.Matrix) -> sp.Expr:
        return risk(sig_l, P.tolist(), rho, a, b, s2)

    out = []
    t0 = time.perf_counter()
    Pstar = preconditioner(sig, rho, a, b)
    Lsym = sp.expand(L(Psym))
    sub = {Psym[i, j]: Pstar[i, j] for i in range(d) for j in range(d)}
    grad = sp.Matrix(d, d, lambda i, j: sp.diff(Lsym, Psym[i, j]).xreplace(sub))
    bad = None
    for i in range(d):
        for j in range(d):
            res = _expr_identity(f"R3: dL/dP[{i + 1},{j + 1}] = 0 at P*", grad[i, j], t0, seed)
            if not res.holds:
                bad = res
                break
        if bad:
            break
    out.append(bad or IdentityResult("R3: grad_P L(P*) = 0", True, 0, elapsed_s=time.perf_counter() - t0))

    t0 = time.perf_counter()
    Lstar = L(Pstar)
    out.append(_expr_identity("R3: L(P*) == L*(w)", Lstar - profile(sig, rho, a, b, s2), t0, seed))

    t0 = time.perf_counter()
    sig2 = sig * sig
    M = a * sig2 + b * sig
    excess = L(Pstar + Dsym) - Lstar - (Dsym.T * sig * Dsym * M).trace()
    out.append(_expr_identity("R3: L(P*+D) - L(P*) == tr(D^T S D M)", excess, t0, seed))
    return out


# ============================================================================ lazy rational functions


class Frac:
    """A rational function ``num/den`` over a ``PolyRing``, without gcd cancellation.

    sympy's ``FracField`` cancels a gcd after every operation, which dominates the cost of the R4/R5
    identities. Here nothing is cancelled: an identity ``f = 0`` is tested on the numerator only (the
    denominators are products of nonzero polynomials, checked to be nonzero), so the test stays exact.
    """

    __slots__ = ("num", "den")

    def __init__(self, num: PolyElement, den: PolyElement | None = None):
        self.num = num
        self.den = num.ring.one if den is None else den

    @staticmethod
    def lift(x: Any, ring: PolyRing) -> Frac:
        return x if isinstance(x, Frac) else Frac(ring(x) if not isinstance(x, PolyElement) else x)

    def _ring(self) -> PolyRing:
        return self.num.ring

    def __add__(self, o: Any) -> Frac:
        o = Frac.lift(o, self._ring())
        if self.den == o.den:
            return Frac(self.num + o.num, self.den)
        return Frac(self.num * o.den + o.num * self.den, self.den * o.den)

    __radd__ = __add__

    def __neg__(self) -> Frac:
        return Frac(-self.num, self.den)

    def __sub__(self, o: Any) -> Frac:
        return self + (-Frac.lift(o, self._ring()))

    def __rsub__(self, o: Any) -> Frac:
        return Frac.lift(o, self._ring()) - self

    def __mul__(self, o: Any) -> Frac:
        o = Frac.lift(o, self._ring())
        return Frac(self.num * o.num, self.den * o.den)

    __rmul__ = __mul__

    def __truediv__(self, o: Any) -> Frac:
        o = Frac.lift(o, self._ring())
        if not o.num:
            raise ZeroDivisionError("division by the zero polynomial")
        return Frac(self.num * o.den, self.den * o.num)

    def __rtruediv__(self, o: Any) -> Frac:
        return Frac.lift(o, self._ring()) / self

    def __pow__(self, k: int) -> Frac:
        return Frac(self.num**k, self.den**k)

    def diff(self, x: PolyElement) -> Frac:
        return Frac(self.num.diff(x) * self.den - self.num * self.den.diff(x), self.den**2)

    def compose(self, pairs: list[tuple[PolyElement, PolyElement]]) -> Frac:
        return Frac(self.num.compose(pairs), self.den.compose(pairs))

    def is_zero(self) -> bool:
        if not self.den:
            raise ZeroDivisionError("denominator is the zero polynomial")
        return not self.num

    def as_expr(self) -> sp.Expr:
        return self.num.as_expr() / self.den.as_expr()


def _frac_identity(name: str, diff: Frac, t0: float, seed: int = 0, **details: Any) -> IdentityResult:
    return prove_identity(name, diff, t0, seed, **details)


# ============================================================================ R4 (stationarity)


def gamma_sym(F1: Any, F2: Any, F3: Any, s: Any) -> Any:
    """R4: ``γ(ω) = 1 + s · Σλ²/(aλ+b)² / Σλ³/(aλ+b)² = 1 + s F₂/F₃``."""
    return 1 + s * F2 / F3


def symmetric_unit_diag(n: int, name: str = "R") -> sp.Matrix:
    """A symmetric n×n matrix of symbols with unit diagonal (a symbolic correlation matrix)."""
    return sp.Matrix(
        n, n, lambda i, j: sp.Integer(1) if i == j else sp.Symbol(f"{name}{min(i, j) + 1}{max(i, j) + 1}")
    )


def _profile_frac(
    om: Sequence[Any], Rm: Mat, rv: Sequence[Any], lams: Sequence[Any], s: Any
) -> tuple[Frac, ...]:
    """``L*(ω) = s − ρ² F₁`` (R3, eigenvalue form) and ``ρ, a, b, F₁, F₂, F₃`` as lazy fractions."""
    rho, a, b = risk_coefficients_sym(om, Rm, rv, s)
    ring = rho.ring
    F1 = F2 = F3 = Frac(ring.zero)
    for lk in lams:
        den = a * lk + b
        F1 = F1 + Frac(lk**2, den)
        F2 = F2 + Frac(lk**2, den**2)
        F3 = F3 + Frac(lk**3, den**2)
    return Frac(s) - Frac(rho**2) * F1, rho, a, b, F1, F2, F3


def prove_r4_stationarity(
    n: int, d: int, gamma: Callable[[Any, Any, Any, Any], Any] = gamma_sym, seed: int = 0
) -> IdentityResult:
    """R4 (stationarity) with symbolic R (symmetric, unit diagonal), r, ω, eigenvalues λ_1..λ_d and σ²:

    ``∇_ω L*(ω) − [2ρ² F₃ (R + γ(ω) I) ω − 2ρ F₁ r] = 0`` identically, where ``ρ = rᵀω``,
    ``F₁ = Σλ²/(aλ+b)``, ``F₂ = Σλ²/(aλ+b)²``, ``F₃ = Σλ³/(aλ+b)²``. So a stationary point with ``ρ ≠ 0``
    satisfies ``(R + γ I) ω = (F₁/(ρF₃)) r``, i.e. lies on the curve ``ω ∝ (R + γI)^{-1} r``, γ ≥ 1.
    Only Σ's eigenvalues enter L* (R3), so Σ is taken diagonal without loss of generality.

    The gradient is taken by the chain rule ``∇L* = ℓ_ρ ∇ρ + ℓ_a ∇a + ℓ_b ∇b``: the partials of
    ``ℓ(ρ, a, b) = s − ρ² Σλ²/(aλ+b)`` are differentiated with ρ, a, b as free symbols, the gradients of the
    polynomials ρ(ω), a(ω), b(ω) in ω. The identity is then checked with ρ, a, b still free (a stronger
    statement, and far cheaper than clearing the nested denominators in ω). When it fails there, the
    residual is evaluated at rational points with ρ, a, b replaced by their values at ω, and only a
    nonzero value there is reported as a counterexample.
    """
    t0 = time.perf_counter()
    R = symmetric_unit_diag(n)
    w = list(sp.symbols(f"w1:{n + 1}"))
    r = list(sp.symbols(f"r1:{n + 1}"))
    lam = list(sp.symbols(f"lambda1:{d + 1}"))
    s2 = sp.Symbol("sigma2")
    Rho, A, B = sp.symbols("rho a b")
    s = sum(lam) + s2
    Rl = R.tolist()
    rho_w, a_w, b_w = (sp.expand(x) for x in risk_coefficients_sym(w, Rl, r, s))
    ell = s - Rho**2 * sum(lk**2 / (A * lk + B) for lk in lam)
    l_rho, l_a, l_b = sp.diff(ell, Rho), sp.diff(ell, A), sp.diff(ell, B)
    F1 = sum(lk**2 / (A * lk + B) for lk in lam)
    F2 = sum(lk**2 / (A * lk + B) ** 2 for lk in lam)
    F3 = sum(lk**3 / (A * lk + B) ** 2 for lk in lam)
    g = gamma(F1, F2, F3, s)
    at_w = {Rho: rho_w, A: a_w, B: b_w}
    for i in range(n):
        grad_i = l_rho * sp.diff(rho_w, w[i]) + l_a * sp.diff(a_w, w[i]) + l_b * sp.diff(b_w, w[i])
        Rw_i = sum(R[i, j] * w[j] for j in range(n))
        claim_i = 2 * Rho**2 * F3 * (Rw_i + g * w[i]) - 2 * Rho * F1 * r[i]
        diff = grad_i - claim_i
        num = sp.expand(sp.fraction(sp.together(diff))[0])
        if num == 0:
            continue
        name = f"R4: dL*/dw{i + 1} == 2 rho^2 F3 ((R + gamma I) w)_{i + 1} - 2 rho F1 r_{i + 1}"
        res = _expr_identity(name, diff.xreplace(at_w), t0, seed, n=n, d=d)
        if res.point is None:  # zero at every sampled point once rho, a, b depend on w: not a refutation
            res.residual = "nonzero only with rho, a, b free; undecided on the surface rho(w), a(w), b(w)"
        return res
    return IdentityResult(
        "R4: grad L* == 2 rho^2 F3 (R + gamma I) w - 2 rho F1 r",
        True,
        0,
        elapsed_s=time.perf_counter() - t0,
        details={"n": n, "d": d},
    )


# ============================================================================ R5


def r5_q_matrix(R: sp.Matrix, lam: Any, noise_var: Any, d: int) -> sp.Matrix:
    """R5: ``Q = R + (1 + d + σ²/λ) I``."""
    return R + (1 + d + noise_var / lam) * sp.eye(R.shape[0])


def prove_r5(
    n: int,
    d: int,
    q_matrix: Callable[..., sp.Matrix] = r5_q_matrix,
    R: sp.Matrix | None = None,
    r: sp.Matrix | None = None,
    seed: int = 0,
) -> list[IdentityResult]:
    """R5 with Σ = λI (λ, σ² symbols), symbolic R (symmetric, unit diagonal) and r unless given.

    ω* = adj(λQ) r (∝ Q^{-1} r, and the profile risk is invariant under ω → cω by R2). Using the *general*
    profile formula of R3 (eigenvalue λ repeated d times) it proves: (1) L*(ω*) equals the claimed minimum
    ``dλ + σ² − dλ rᵀQ^{-1}r``; (2) every ∂L*/∂ω_i vanishes at ω*; (3) the Cauchy–Schwarz form
    ``L*(ω) = dλ + σ² − dλ (rᵀω)²/(ωᵀQω)`` holds identically in ω, which gives global minimality when
    Q ≻ 0 (docs/risk.md).
    """
    R = symmetric_unit_diag(n) if R is None else rational_matrix(R)
    r = sp.Matrix(sp.symbols(f"r1:{n + 1}")) if r is None else sp.Matrix([to_rational(v) for v in list(r)])
    lam, s2 = sp.symbols("lambda sigma2")
    wsyms = list(sp.symbols(f"w1:{n + 1}"))
    syms = wsyms + sorted(R.free_symbols | r.free_symbols, key=sp.default_sort_key) + [lam, s2]
    ring = PolyRing(syms, QQ)
    G = dict(zip(syms, ring.gens, strict=False))
    wv = [G[x] for x in wsyms]
    Rm = [[ring.from_expr(R[i, j]) for j in range(n)] for i in range(n)]
    rv = [ring.from_expr(x) for x in r]
    lv, s2v = G[lam], G[s2]
    s = d * lv + s2v
    lams = [lv] * d
    # λQ as polynomials (Q itself has σ²/λ); Q^{-1} r ∝ adj(λQ) r
    lQ = (lam * q_matrix(R, lam, s2, d)).applyfunc(sp.cancel)
    lQm = [[ring.from_expr(lQ[i, j]) for j in range(n)] for i in range(n)]
    adj = lQ.adjugate().applyfunc(sp.expand)
    adjm = [[ring.from_expr(adj[i, j]) for j in range(n)] for i in range(n)]
    det = ring.from_expr(sp.expand(lQ.det()))
    wstar = [sum((adjm[i][j] * rv[j] for j in range(n)), ring.zero) for i in range(n)]
    out: list[IdentityResult] = []

    t0 = time.perf_counter()
    L_at = _profile_frac(wstar, Rm, rv, lams, s)[0]
    # rᵀQ^{-1}r = λ rᵀ adj(λQ) r / det(λQ)
    claimed = Frac(s) - Frac(d * lv * lv * quad(rv, adjm, rv), det)
    out.append(_frac_identity("R5: L*(w*) == d lam + s2 - d lam r^T Q^{-1} r", L_at - claimed, t0, seed))

    t0 = time.perf_counter()
    Lw = _profile_frac(wv, Rm, rv, lams, s)[0]
    pairs = list(zip(wv, wstar, strict=False))
    bad = None
    for i in range(n):
        g = Lw.diff(wv[i]).compose(pairs)
        res = _frac_identity(f"R5: dL*/dw{i + 1} = 0 at w*", g, t0, seed)
        if not res.holds:
            bad = res
            break
    out.append(bad or IdentityResult("R5: grad L*(w*) = 0", True, 0, elapsed_s=time.perf_counter() - t0))

    t0 = time.perf_counter()
    rho = dot(rv, wv)
    cs = Frac(s) - Frac(d * lv * lv * rho**2, quad(wv, lQm, wv))
    out.append(_frac_identity("R5: L*(w) == d lam + s2 - d lam (r^T w)^2 / (w^T Q w)", Lw - cs, t0, seed))
    return out
