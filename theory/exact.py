"""Exact certificates for the WPGD landscape at the user's model (claims R4, R6, R7), with python-flint.

Everything here is exact rational arithmetic (``flint.fmpq``, ``fmpq_poly``, ``fmpq_mat``) or rigorous ball
arithmetic (``flint.arb``); no float enters a decision. The route, in the words of docs/exact.md:

1. **Exact data** (:func:`exact_model`): the config's numbers become rationals from the shortest decimal
   repr of the parsed float (``0.55`` -> 11/20; a literal beyond ~17 digits was already rounded by the
   parser). Σ ≻ 0 and the block-task correlation ``C_K ⪰ 0`` are checked exactly (pivoted LDLᵀ over Q,
   :func:`psd_exact`).
2. **The curve** (R4): ``ω(γ) ∝ (R + γI)⁻¹ r = B u(γ)`` with ``(C_K N + γI) u = c`` (K×K, ``N = diag(n_k)``).
   With ``D(γ) = det(C_K N + γI)`` and ``p(γ) = adj(C_K N + γI) c`` (divided by the gcd of its entries) the
   orbit of ω(γ) is that of ``B p(γ)``, a vector of polynomials: the identity ``(C_K N + γI) p = q c`` is
   verified exactly as polynomials (:func:`curve_polynomials`).
3. **The fixed-point polynomial** (R4): along ``B p(γ)``, ``c̃ = cᵀNp``, ``ã = pᵀ(NC_KN + N)p``,
   ``b̃ = s pᵀNp`` are polynomials in γ. With ``t = −b̃/ã``, ``φ(t) = Π_k(λ_k − t) = (−1)^d det(tI − Σ)`` and
   the power sums ``P_i = tr Σ^i``,

       T_p(t) = Σ_k λ_k^p/(λ_k − t) = Σ_{i<p} P_i t^{p−1−i} − t^p φ'(t)/φ(t),
       Σ_k λ_k^p/(ãλ_k+b̃)² = T_p'(t)/ã²,

   so the stationarity condition ``γ = 1 + s F_2/F_3`` is ``(γ−1)U_3(t) − sU_2(t) = 0`` with
   ``T_p' = U_p/φ²``; homogenising with ``ã^D`` gives a polynomial ``Φ(γ)`` over Q (no eigenvalue needed).
4. **Roots** (:func:`isolate_real_roots`): Descartes' rule of signs on Möbius transforms of the bracket
   (Vincent–Collins–Akritas bisection) isolates every real root of the squarefree part of Φ in the proved
   bracket exactly; several roots are compared by the profile value in ball arithmetic.

Claim R6 follows for the model: a global minimiser exists, every stationary point with ``rᵀω ≠ 0`` lies on
the curve at a root of Φ in the bracket, so one root (or one strictly lowest root) means one orbit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from flint import arb, fmpq, fmpq_mat, fmpq_poly

from . import exact_guards as guards

X = fmpq_poly([0, 1])


# ============================================================================ exact data
def rational(x: object) -> fmpq:
    """A config number as an exact rational: a float from its shortest decimal repr (``0.1`` -> 1/10, never
    the binary float). The TOML parser already rounded a literal with more than ~17 significant digits, so
    the rational is that of the parsed float's repr, not always the text typed (docs/exact.md)."""
    if isinstance(x, fmpq):
        return x
    if isinstance(x, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(x, int):
        return fmpq(x)
    if isinstance(x, float):
        fr = Fraction(repr(x))
    elif isinstance(x, (str, Fraction)):
        fr = Fraction(x)
    else:
        raise TypeError(f"{x!r}: not a config number")
    return fmpq(fr.numerator, fr.denominator)


def qstr(x: fmpq) -> str:
    return str(x)


def qfloat(x: fmpq) -> float:
    """Display only (never used in a decision)."""
    return int(x.p) / int(x.q)


@dataclass(frozen=True)
class ExactModel:
    """The data model with exact rational entries: Σ (d×d), block sizes, C_K (K×K), c (K), σ²."""

    sigma: fmpq_mat
    block_sizes: tuple[int, ...]
    task_corr: fmpq_mat
    query_corr: tuple[fmpq, ...]
    noise_var: fmpq
    query_var: fmpq = fmpq(1)  # the user's C[K][K] (must be exactly 1: prove_r6 checks, never overwrites)

    @property
    def d(self) -> int:
        return self.sigma.nrows()

    @property
    def K(self) -> int:
        return len(self.block_sizes)

    @property
    def n(self) -> int:
        return sum(self.block_sizes)

    @property
    def s(self) -> fmpq:
        """s = tr Σ + σ²."""
        return sum((self.sigma[i, i] for i in range(self.d)), fmpq(0)) + self.noise_var

    def block_corr(self) -> fmpq_mat:
        K = self.K
        m = fmpq_mat(K + 1, K + 1)
        for i in range(K):
            for j in range(K):
                m[i, j] = self.task_corr[i, j]
            m[i, K] = self.query_corr[i]
            m[K, i] = self.query_corr[i]
        m[K, K] = self.query_var
        return m

    def is_diagonal(self) -> bool:
        return all(self.sigma[i, j] == 0 for i in range(self.d) for j in range(self.d) if i != j)

    def describe(self) -> dict[str, Any]:
        return {
            "d": self.d,
            "n": self.n,
            "K": self.K,
            "block_sizes": list(self.block_sizes),
            "noise_var": qstr(self.noise_var),
            "query_corr": [qstr(x) for x in self.query_corr],
            "sigma_diagonal": self.is_diagonal(),
        }


def exact_model(cfg: Any) -> ExactModel:
    """The exact model of a :class:`~glaverify.numerics.config.ModelConfig` (numbers from the shortest
    repr of the parsed floats, :func:`rational`)."""
    f, t = cfg.features, cfg.tasks
    d = cfg.d
    sig = fmpq_mat(d, d)
    if f.covariance == "identity":
        for i in range(d):
            sig[i, i] = rational(f.scale)
    elif f.covariance == "diagonal":
        for i, v in enumerate(f.eigenvalues):
            sig[i, i] = rational(v)
    else:
        for i in range(d):
            for j in range(d):
                # the float route symmetrises 0.5 (Σ + Σᵀ); the exact route does the same, exactly
                sig[i, j] = (rational(f.matrix[i][j]) + rational(f.matrix[j][i])) / 2
    if t.family == "iid":
        sizes = (cfg.n,)
        full = [[fmpq(1), fmpq(1)], [fmpq(1), fmpq(1)]]
    else:
        sizes = tuple(int(b) for b in t.block_sizes)
        k = len(sizes)
        if t.family == "star":
            rho = [rational(x) for x in t.rho] + [fmpq(1)]
            full = [[fmpq(1) if i == j else rho[i] * rho[j] for j in range(k + 1)] for i in range(k + 1)]
        elif t.family == "decay":
            q = rational(t.rho)
            full = [[q ** abs(i - j) if i != j else fmpq(1) for j in range(k + 1)] for i in range(k + 1)]
        else:
            full = [
                [(rational(t.correlation[i][j]) + rational(t.correlation[j][i])) / 2 for j in range(k + 1)]
                for i in range(k + 1)
            ]
    K = len(sizes)
    corr = fmpq_mat(K, K)
    for i in range(K):
        for j in range(K):
            corr[i, j] = full[i][j]
    return ExactModel(sig, sizes, corr, tuple(full[i][K] for i in range(K)), rational(cfg.noise_var),
                      full[K][K])


def psd_exact(m: fmpq_mat, strict: bool = False) -> bool:
    """Exact test of ``m ⪰ 0`` (``≻ 0`` if ``strict``) for a symmetric rational matrix: symmetric Gaussian
    elimination over Q. A zero pivot is allowed (non-strict) only if its whole row is zero."""
    n = m.nrows()
    a = [[m[i, j] for j in range(n)] for i in range(n)]
    if any(a[i][j] != a[j][i] for i in range(n) for j in range(n)):
        return False
    for k in range(n):
        piv = a[k][k]
        if piv < 0 or (strict and piv == 0):
            return False
        if piv == 0:
            if any(a[k][j] != 0 for j in range(k + 1, n)):
                return False
            continue
        for i in range(k + 1, n):
            if a[i][k] != 0:
                f = a[i][k] / piv
                for j in range(k, n):
                    a[i][j] -= f * a[k][j]
    return True


# ============================================================================ the curve (R4, R7)
def _interpolate(xs: list[fmpq], ys: list[fmpq]) -> fmpq_poly:
    """The polynomial of degree < len(xs) through the points (Lagrange, exact)."""
    out = fmpq_poly([0])
    for i, (xi, yi) in enumerate(zip(xs, ys, strict=True)):
        if yi == 0:
            continue
        num, den = fmpq_poly([1]), fmpq(1)
        for j, xj in enumerate(xs):
            if j != i:
                num *= X - xj
                den *= xi - xj
        out += num * (yi / den)
    return out


def _poly_gcd(polys: list[fmpq_poly]) -> fmpq_poly:
    g = fmpq_poly([0])
    for p in polys:
        g = p if g.is_zero() else g.gcd(p)
    return g


@dataclass(frozen=True)
class CurvePolys:
    """The curve ``ω(γ) ∝ B p(γ)`` with ``(C_K N + γI) p(γ) = q(γ) c`` (verified), and the three coefficients
    ``c̃ = rᵀω``, ``ã = ωᵀ(R + I)ω``, ``b̃ = s‖ω‖²`` along ``B p(γ)``."""

    p: tuple[fmpq_poly, ...]
    q: fmpq_poly
    c: fmpq_poly
    a: fmpq_poly
    b: fmpq_poly
    identity_verified: bool
    single_ray: bool


def curve_polynomials(em: ExactModel) -> CurvePolys:
    """R4's curve at K level, exactly: ``p = adj(C_K N + γI) c / g`` (g = gcd of the entries)."""
    K = em.K
    N = list(em.block_sizes)
    cq = list(em.query_corr)
    CN = fmpq_mat(K, K)
    for i in range(K):
        for j in range(K):
            CN[i, j] = em.task_corr[i, j] * N[j]
    # det and adj·c have degrees K and ≤ K−1: interpolate through K+1 exact solves
    xs = [fmpq(j + 1) for j in range(K + 1)]
    dets, sols = [], []
    cvec = fmpq_mat(K, 1, cq)
    for x in xs:
        m = CN + fmpq_mat([[x if i == j else 0 for j in range(K)] for i in range(K)])
        dt = m.det()
        dets.append(dt)
        sols.append(m.solve(cvec) * dt)
    q = _interpolate(xs, dets)
    p = [_interpolate(xs, [sols[k][i, 0] for k in range(K + 1)]) for i in range(K)]
    g = _poly_gcd(p)
    if not g.is_zero():
        g = g / g.leading_coefficient()
        p = [pi / g for pi in p]  # exact division of polynomials
    ok = not g.is_zero() and (q % g).is_zero()  # g | q because (C_K N + γI) p = q c with c ≠ 0
    qq = q // g if ok else q
    # exact identity check: (C_K N + γ I) p(γ) = (q/g)(γ) c  as polynomials
    for i in range(K):
        lhs = X * p[i]
        for j in range(K):
            lhs += p[j] * CN[i, j]
        if lhs != qq * cq[i]:
            ok = False
    s = em.s
    cpoly = sum((p[i] * (cq[i] * N[i]) for i in range(K)), fmpq_poly([0]))
    npn = sum((p[i] * p[i] * N[i] for i in range(K)), fmpq_poly([0]))
    ncn = fmpq_poly([0])
    for i in range(K):
        for j in range(K):
            if em.task_corr[i, j] != 0:
                ncn += p[i] * p[j] * (N[i] * em.task_corr[i, j] * N[j])
    single = all(pi.degree() <= 0 for pi in p)
    return CurvePolys(tuple(p), qq, cpoly, ncn + npn, npn * s, ok, single)


# ==================================================================== spectral sums without eigenvalues
@dataclass(frozen=True)
class SpectralPolys:
    """``φ(t) = Π_k(λ_k − t)`` and ``V_p`` with ``Σ_k λ_k^p/(λ_k − t) = V_p(t)/φ(t)`` (p = 2, 3)."""

    phi: fmpq_poly
    V: dict[int, fmpq_poly]
    U: dict[int, fmpq_poly]  # T_p' = U_p / φ²
    power_sums: tuple[fmpq, ...]


def spectral_polynomials(sigma: fmpq_mat) -> SpectralPolys:
    d = sigma.nrows()
    chi = sigma.charpoly()  # det(tI − Σ), monic
    phi = chi if d % 2 == 0 else -chi
    P = [fmpq(d)]
    Sk = fmpq_mat([[1 if i == j else 0 for j in range(d)] for i in range(d)])
    for _ in range(2):
        Sk = Sk * sigma
        P.append(sum((Sk[i, i] for i in range(d)), fmpq(0)))
    dphi = phi.derivative()
    V, U = {}, {}
    for pw in (2, 3):
        head = sum((X ** (pw - 1 - i) * P[i] for i in range(pw)), fmpq_poly([0]))
        V[pw] = head * phi - X**pw * dphi
        U[pw] = V[pw].derivative() * phi - V[pw] * dphi
    return SpectralPolys(phi, V, U, tuple(P))


def homogenise(u: fmpq_poly, a: fmpq_poly, b: fmpq_poly, D: int) -> fmpq_poly:
    """``a^D u(−b/a)`` as a polynomial (``D ≥ deg u``)."""
    coeffs = u.coeffs()
    out = fmpq_poly([0])
    nb = -b
    pw_b = [fmpq_poly([1])]
    for _ in range(len(coeffs)):
        pw_b.append(pw_b[-1] * nb)
    pw_a = [fmpq_poly([1])]
    for _ in range(D + 1):
        pw_a.append(pw_a[-1] * a)
    for j, cj in enumerate(coeffs):
        if cj != 0:
            out += pw_b[j] * pw_a[D - j] * cj
    return out


@dataclass(frozen=True)
class FixedPointPoly:
    """``Φ(γ) = ã^D [(γ−1)U_3(t) − sU_2(t)]``, ``t = −b̃/ã``: zero exactly at the solutions of
    ``γ = 1 + s F_2/F_3`` along the curve (for γ > 0, where ã > 0 and φ(t) > 0)."""

    phi_gamma: fmpq_poly
    D: int
    curve: CurvePolys
    spec: SpectralPolys


def fixed_point_polynomial(em: ExactModel, curve: CurvePolys | None = None) -> FixedPointPoly:
    """R4's fixed-point condition along the curve as one polynomial over Q."""
    cv = curve or curve_polynomials(em)
    sp_ = spectral_polynomials(em.sigma)
    D = max(sp_.U[2].degree(), sp_.U[3].degree(), 0)
    s = em.s
    h3 = homogenise(sp_.U[3], cv.a, cv.b, D)
    h2 = homogenise(sp_.U[2], cv.a, cv.b, D)
    return FixedPointPoly((X - 1) * h3 - h2 * s, D, cv, sp_)


def profile_gain_ball(fp: FixedPointPoly, gamma: arb) -> arb:
    """``s − L*(ω(γ)) = c̃² f(ã, b̃)`` with ``f = Σ λ²/(ãλ + b̃) = V_2(t)/(ã φ(t))``, in ball arithmetic."""
    cv, sp_ = fp.curve, fp.spec
    a, b, c = _ev(cv.a, gamma), _ev(cv.b, gamma), _ev(cv.c, gamma)
    t = -b / a
    return c * c * _ev(sp_.V[2], t) / (a * _ev(sp_.phi, t))


def _ev(p: fmpq_poly, x: arb) -> arb:
    acc = arb(0)
    for cf in reversed(p.coeffs()):
        acc = acc * x + arb(cf)
    return acc


# ============================================================================ rigorous root isolation
# (in theory/exact_roots.py; re-exported here)
from .exact_roots import IsolationFailed, RootBox, _descartes, isolate_real_roots, refine_root  # noqa: E402,F401


# ============================================================================ R6/R7 at the model
def gamma_bracket_exact(em: ExactModel) -> tuple[fmpq, fmpq, str]:
    """A rational bracket containing ``[1 + s/λ_max, 1 + s/λ_min]`` (docs/landscape.md).

    Diagonal Σ: the bracket itself. Otherwise ``λ_max ≤ tr Σ`` and ``1/λ_min ≤ tr Σ⁻¹`` give the wider
    ``[1 + s/tr Σ, 1 + s·tr Σ⁻¹]``; every root of Φ with γ > 0 lies in the tight bracket anyway."""
    s, d = em.s, em.d
    if em.is_diagonal():
        lam = [em.sigma[i, i] for i in range(d)]
        return 1 + s / max(lam), 1 + s / min(lam), "tight: [1 + s/lambda_max, 1 + s/lambda_min]"
    tr = sum((em.sigma[i, i] for i in range(d)), fmpq(0))
    inv = em.sigma.inv()
    tri = sum((inv[i, i] for i in range(d)), fmpq(0))
    return 1 + s / tr, 1 + s * tri, "wider rational bracket [1 + s/tr(Sigma), 1 + s tr(Sigma^-1)]"


def fixed_point_direct(em: ExactModel, curve: CurvePolys, gamma: fmpq, D: int) -> fmpq:
    """Φ(γ₀) by the matrix route, independently of the characteristic polynomial: with ``ã, b̃`` at γ₀ and
    ``M = ãΣ + b̃I``, ``Φ(γ₀) = ã^{D+2−2d} det(M)² [(γ₀−1) tr(Σ³M⁻²) − s tr(Σ²M⁻²)]``."""
    d = em.d
    a, b = curve.a(gamma), curve.b(gamma)
    if em.is_diagonal():  # the same traces and determinant, entry by entry (M is diagonal)
        lam = [em.sigma[i, i] for i in range(d)]
        den = [a * x + b for x in lam]
        det = fmpq(1)
        for x in den:
            det *= x
        F2 = sum((x**2 / (y * y) for x, y in zip(lam, den, strict=True)), fmpq(0))
        F3 = sum((x**3 / (y * y) for x, y in zip(lam, den, strict=True)), fmpq(0))
        core = det**2 * ((gamma - 1) * F3 - em.s * F2)
        return core * a ** (D + 2 - 2 * d) if D + 2 >= 2 * d else core / a ** (2 * d - D - 2)
    eye = fmpq_mat([[1 if i == j else 0 for j in range(d)] for i in range(d)])
    M = em.sigma * a + eye * b
    Mi = M.inv()
    Mi2 = Mi * Mi
    S2 = em.sigma * em.sigma
    S3 = S2 * em.sigma
    F2 = sum(((S2 * Mi2)[i, i] for i in range(d)), fmpq(0))
    F3 = sum(((S3 * Mi2)[i, i] for i in range(d)), fmpq(0))
    return a ** (D + 2 - 2 * d) * M.det() ** 2 * ((gamma - 1) * F3 - em.s * F2) if D + 2 >= 2 * d else (
        M.det() ** 2 * ((gamma - 1) * F3 - em.s * F2) / a ** (2 * d - D - 2)
    )


@dataclass(frozen=True)
class R6Proof:
    """Outcome of the exact R6 route. ``status``: ``proved`` | ``r-zero`` | ``stopped`` | ``mismatch`` |
    ``spot-checked`` (identity only spot-checked: not a proof)."""

    status: str
    reason: str
    degree: int = 0
    squarefree_degree: int = 0
    root_count: int = 0
    roots: tuple[RootBox, ...] = ()
    gamma_star: RootBox | None = None
    bracket: tuple[fmpq, fmpq] | None = None
    bracket_kind: str = ""
    min_risk: arb | None = None
    omega_blocks: tuple[fmpq_poly, ...] = ()
    cross_check: dict[str, Any] = field(default_factory=dict)
    elapsed_s: float = 0.0
    polynomial: fmpq_poly | None = None

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "status": self.status,
            "reason": self.reason,
            "polynomial_degree": self.degree,
            "squarefree_degree": self.squarefree_degree,
            "root_count": self.root_count,
            "roots": [r.describe() for r in self.roots],
            "bracket_kind": self.bracket_kind,
            "cross_check": self.cross_check,
            "elapsed_s": self.elapsed_s,
        }
        if self.bracket is not None:
            out["bracket"] = [qstr(self.bracket[0]), qstr(self.bracket[1])]
            out["bracket_float"] = [qfloat(self.bracket[0]), qfloat(self.bracket[1])]
        if self.gamma_star is not None:
            out["gamma_star"] = self.gamma_star.describe()
        if self.min_risk is not None:
            out["min_risk_ball"] = self.min_risk.str(20, radius=True)
        if self.omega_blocks:
            out["omega_block_polynomials"] = [str(p) for p in self.omega_blocks]
        return out


def prove_r6(
    em: ExactModel,
    fixed_point: Any = fixed_point_polynomial,
    direct: Any = fixed_point_direct,
    full_identity_max: int = 1100,  # covers the checks' size limit d <= 24, K <= 12 (bound 1013)
    spot_points: int = 12,
    full_identity_max_full_sigma: int = 70,
) -> R6Proof:
    """Claim R6 (and R4's reduction, R7's block constancy) for one exact model.

    ``fixed_point`` (the polynomial under test) and ``direct`` (the independent matrix route) are
    injectable, so tests can plant a wrong coefficient. The polynomial identity ``Φ = direct`` is verified at
    ``bound + 1`` points, ``bound`` the a-priori degree bound (:func:`exact_guards.phi_degree_bound`; a proof
    of the identity), when ``bound + 1 <= full_identity_max`` (``full_identity_max_full_sigma`` for a full Σ);
    else at ``spot_points`` points, and then the status is ``spot-checked``, never ``proved``."""
    t0 = time.perf_counter()

    def done(status: str, reason: str, **kw: Any) -> R6Proof:
        return R6Proof(status, reason, elapsed_s=time.perf_counter() - t0, **kw)

    if not psd_exact(em.sigma, strict=True):
        return done("stopped", "Sigma is not exactly positive definite")
    if not psd_exact(em.block_corr()):
        return done("stopped", "the block-task correlation is not exactly positive semidefinite")
    if (why := guards.unit_diagonal_problem(em)) is not None:
        return done("stopped", why)
    if all(x == 0 for x in em.query_corr):
        return done(
            "r-zero",
            "r = 0 exactly: L(P, w) = s + tr(P^T Sigma P M(w)) >= s with equality at P = 0 for every w, so"
            " every (0, w) is optimal and uniqueness fails (R6's r = 0 clause)",
        )
    cv = curve_polynomials(em)
    if not cv.identity_verified:
        return done("mismatch", "the curve polynomials fail the exact identity (C_K N + gamma I) p = q c")
    if (why := guards.curve_coefficient_problem(em, cv)) is not None:
        return done("mismatch", why + " (tool error)")
    fp = fixed_point(em, cv)
    if (fp.curve.a, fp.curve.b, fp.curve.c) != (cv.a, cv.b, cv.c):
        return done("mismatch", "the fixed-point polynomial uses other curve coefficients (tool error)")
    poly = fp.phi_gamma
    lo, hi, kind = gamma_bracket_exact(em)
    deg = poly.degree()
    if poly.is_zero():
        return done("stopped", "the fixed-point polynomial is identically zero (every gamma stationary)",
                    bracket=(lo, hi), bracket_kind=kind)
    # independent route: Φ(γ₀) against the matrix traces at rational points in the bracket; the point count
    # comes from an a-priori degree bound, never from the polynomial under test
    bound = guards.phi_degree_bound(em, cv, fp.D)
    if bound is None or deg > bound:
        return done("mismatch", f"deg of the fixed-point polynomial {deg} exceeds the a-priori bound {bound}"
                    f" (D = {fp.D}, deg a~ = {cv.a.degree()}, deg b~ = {cv.b.degree()}): tool error",
                    degree=deg, bracket=(lo, hi), bracket_kind=kind)
    # a full Σ makes each matrix-route point a d×d rational inverse whose entries grow with the bit size of
    # the config's decimals; measured (docs/exact.md, issue 11 session 4): 66 points at d = 5, K = 5 take 7 s
    # with 15-digit decimals, 102 points at d = 6, K = 6 take 44 s: beyond 70 points only a spot check
    limit = full_identity_max if em.is_diagonal() else min(full_identity_max, full_identity_max_full_sigma)
    full = bound + 1 <= limit
    npts = bound + 1 if full else spot_points
    width = hi - lo if hi != lo else fmpq(1)
    pts = [lo + width * fmpq(2 * j + 1, 2 * npts) for j in range(npts)]
    bad = [g for g in pts if poly(g) != direct(em, cv, g, fp.D)]
    cross = {
        "identity_points": npts,
        "identity_kind": "proof (a-priori degree bound + 1 points)" if full else "spot check",
        "degree_bound": bound,
        "identity_failures": len(bad),
    }
    if bad:
        return done(
            "mismatch",
            f"the fixed-point polynomial disagrees with the matrix route at gamma = {bad[0]} (tool error)",
            degree=deg, cross_check=cross, bracket=(lo, hi), bracket_kind=kind,
        )
    try:
        roots = isolate_real_roots(poly, lo, hi)
    except IsolationFailed as exc:
        return done("stopped", f"root isolation stopped: {exc}", degree=deg, cross_check=cross,
                    bracket=(lo, hi), bracket_kind=kind)
    sqdeg = (poly / poly.gcd(poly.derivative())).degree()
    roots = [refine_root(poly, r) for r in roots]
    common = dict(degree=deg, squarefree_degree=sqdeg, root_count=len(roots), roots=tuple(roots),
                  bracket=(lo, hi), bracket_kind=kind, cross_check=cross, omega_blocks=cv.p,
                  polynomial=poly)
    if not roots:
        return done("stopped", "no root of the fixed-point polynomial in the bracket (contradicts existence:"
                    " tool error)", **common)
    gains = [profile_gain_ball(fp, r.ball()) for r in roots]
    best = 0
    if len(roots) > 1:
        order = sorted(range(len(roots)), key=lambda i: -gains[i].mid())
        best = order[0]
        if not all(gains[best] > gains[i] for i in order[1:]):
            return done("stopped", "two stationary values on the curve could not be separated in ball"
                        " arithmetic", **common)
    risk = arb(em.s) - gains[best]
    # a multiple root is still one candidate orbit (the argument uses existence, not second order): say so
    g = poly.gcd(poly.derivative())
    box = roots[best]
    multiple = g.degree() > 0 and bool(isolate_real_roots(g, box.lo, box.hi))
    cross["gamma_star_multiple_root"] = multiple
    if not full:  # a spot check is evidence, never a proof of the identity (review finding 1)
        return done("spot-checked", f"the identity of the fixed-point polynomial with the matrix route was"
                    f" only spot-checked at {npts} points (a proof needs {bound + 1} > full_identity_max ="
                    f" {full_identity_max}): not a proof", gamma_star=box, min_risk=risk, **common)
    return done(
        "proved",
        ("exactly one stationary point on the curve" if len(roots) == 1 else
         f"{len(roots)} stationary points on the curve; one has a strictly lower risk (ball arithmetic)")
        + (" (a multiple root of the polynomial)" if multiple else ""),
        gamma_star=box, min_risk=risk, **common,
    )
