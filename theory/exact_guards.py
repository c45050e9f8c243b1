"""Guards of the exact R6 route (issue 11, after its independent review): checks that must hold
before :func:`glaverify.theory.exact.prove_r6` may say ``proved``. Everything is exact rational arithmetic.

* :func:`unit_diagonal_problem` — the risk formula of the exact route (``ã = ωᵀ(R + I)ω``,
  docs/exact.md) holds only when every block's task variance ``C_kk`` and the query's ``C_{K+1,K+1}`` are
  exactly 1; the float
  input check allows a tolerance, the exact route does not.
* :func:`curve_coefficient_problem` — ``c̃ = rᵀω``, ``ã = ωᵀ(R + I)ω``, ``b̃ = s‖ω‖²`` along the curve
  ``ω ∝ B p(γ)`` checked as polynomial identities against an independent route: ``u = (C_K N + γ₀I)⁻¹ c`` by
  an ``fmpq_mat`` solve, ``p(γ₀) = t u`` for a scalar t (same orbit), and ``t²uᵀQ_a u``, ``t²uᵀQ_b u``,
  ``t rᵀu`` with ``Q_a = NC_KN + N``, ``Q_b = sN``, ``r = Nc`` built as matrix products, at
  ``2 max deg p + 1`` points (enough to prove an identity of polynomials of degree ``≤ 2 max deg p``).
* :func:`phi_degree_bound` — an a-priori bound on ``deg Φ`` from the curve polynomials, not from the
  polynomial under test: ``Φ = (γ−1) ã^D U_3(−b̃/ã) − s ã^D U_2(−b̃/ã)`` has degree
  ``≤ D·max(deg ã, deg b̃) + 1``, and so has the matrix route
  ``ã^{D+2−2d} det(M)²[(γ−1)tr(Σ³M⁻²) − s tr(Σ²M⁻²)]`` when ``D ≥ 2d − 2``
  (``det(M)²M⁻² = adj(M)²`` has entries homogeneous of degree ``2d − 2`` in ``(ã, b̃)``). Two such polynomials
  that agree at ``bound + 1`` points are equal.
"""

from __future__ import annotations

from typing import Any

from flint import fmpq, fmpq_mat


def unit_diagonal_problem(em: Any) -> str | None:
    """``None`` when every ``C_kk`` (blocks and query) is exactly 1, else the reason (finding 6)."""
    bad = [k for k in range(em.K) if em.task_corr[k, k] != 1]
    if bad:
        k = bad[0]
        return (f"task correlation diagonal C[{k}][{k}] = {em.task_corr[k, k]} is not exactly 1: the exact"
                " risk formula (a = w^T (R + I) w) holds only for unit task variances")
    if em.query_var != 1:
        return (f"query task variance C[{em.K}][{em.K}] = {em.query_var} is not exactly 1: the exact risk"
                " formula holds only for unit task variances")
    return None


def _diag(vals: list[Any]) -> fmpq_mat:
    n = len(vals)
    return fmpq_mat([[vals[i] if i == j else 0 for j in range(n)] for i in range(n)])


def curve_coefficient_problem(em: Any, cv: Any) -> str | None:
    """``None`` when ``cv.a``, ``cv.b``, ``cv.c`` are the curve's ``ã, b̃, c̃`` (exact identities against the
    independent ``fmpq_mat`` route), else the first discrepancy (finding 3)."""
    K = em.K
    Nm = _diag([fmpq(n) for n in em.block_sizes])
    cvec = fmpq_mat(K, 1, list(em.query_corr))
    Qa = Nm * em.task_corr * Nm + Nm
    Qb = Nm * em.s
    rvec = Nm * cvec
    CN = em.task_corr * Nm
    maxdeg = max((p.degree() for p in cv.p), default=-1)
    if maxdeg < 0:
        return "the curve polynomials p are all zero"
    if cv.a.degree() > 2 * maxdeg or cv.b.degree() > 2 * maxdeg or cv.c.degree() > maxdeg:
        return (f"curve coefficient degrees (a {cv.a.degree()}, b {cv.b.degree()}, c {cv.c.degree()}) exceed"
                f" those of p^T Q p and r^T p (max deg p = {maxdeg})")
    for j in range(2 * maxdeg + 1):
        g0 = fmpq(j + 1)  # γ₀ > 0: C_K N + γ₀ I is invertible (C_K N ~ N^½ C_K N^½ ⪰ 0)
        u = (CN + _diag([g0] * K)).solve(cvec)
        pv = [p(g0) for p in cv.p]
        i0 = next(i for i in range(K) if u[i, 0] != 0)  # u ≠ 0 because c ≠ 0
        t = pv[i0] / u[i0, 0]
        if any(pv[i] != t * u[i, 0] for i in range(K)):
            return f"p({g0}) is not parallel to (C_K N + {g0} I)^-1 c"
        ut = u.transpose()
        a0 = (ut * Qa * u)[0, 0] * t * t
        b0 = (ut * Qb * u)[0, 0] * t * t
        c0 = (ut * rvec)[0, 0] * t
        for name, poly, val in (("a~", cv.a, a0), ("b~", cv.b, b0), ("c~", cv.c, c0)):
            if poly(g0) != val:
                return f"the curve coefficient {name} disagrees with the matrix route at gamma = {g0}"
    return None


def phi_degree_bound(em: Any, cv: Any, D: int) -> int | None:
    """The a-priori bound ``D·max(deg ã, deg b̃) + 1`` on ``deg Φ`` (finding 2); ``None`` when ``D < 2d − 2``
    (then the matrix route is not a polynomial of bounded degree and the identity cannot be proved)."""
    if D < 2 * em.d - 2:
        return None
    return D * max(cv.a.degree(), cv.b.degree(), 0) + 1


def vector_construction_risk(em: Any) -> fmpq:
    """A6 (finding 7): the risk, exactly, of the explicit key-dimension-gated construction for diagonal Σ —
    coordinate m uses the block weights ``u_m = (C_K N + γ_m I)⁻¹ c`` (``γ_m = 1 + s/λ_m``) and the diagonal
    preconditioner entry ``p_m = λ_m² rᵀu_m / u_mᵀQ_m u_m``, i.e. ``A_k = diag_m(p_m u_{m,k})``, evaluated in
    the matrix closed form of docs/exact.md (from ``E[x xᵀB x xᵀ] = Σ(B + Bᵀ)Σ + tr(BΣ)Σ``), which
    separates over m:

        L = s + Σ_m [−2 λ_m² p_m rᵀu_m + p_m² u_mᵀ Q_m u_m],   Q_m = λ_m³ (NC_KN + N) + s λ_m² N,  r = Nc.

    An upper bound on the vector optimum by construction (it is attained); exact equality with the closed
    form ``s − Σ_m λ_m cᵀN(C_K N + γ_m I)⁻¹c`` is what the A6 check requires."""
    K, s = em.K, em.s
    Nm = _diag([fmpq(n) for n in em.block_sizes])
    cvec = fmpq_mat(K, 1, list(em.query_corr))
    rvec = Nm * cvec
    Qa = Nm * em.task_corr * Nm + Nm
    CN = em.task_corr * Nm
    total = s
    for m in range(em.d):
        lam = em.sigma[m, m]
        u = (CN + _diag([1 + s / lam] * K)).solve(cvec)
        ut = u.transpose()
        ru = (ut * rvec)[0, 0]
        quad = (ut * (Qa * lam**3 + Nm * (s * lam**2)) * u)[0, 0]
        p = lam**2 * ru / quad if quad != 0 else fmpq(0)
        total += -2 * lam**2 * p * ru + p * p * quad
    return total


def rational_root_in(poly: Any, box: Any, max_bits: int = 4096) -> fmpq | None:
    """The root of ``poly`` isolated in ``box`` as an exact rational, or ``None`` if it is irrational
    (finding 8). The rational roots of ``poly`` are the roots of the linear factors of its exact factorisation
    over ℚ (FLINT's ``fmpq_poly.factor``); the one in ``box``, if any, is returned. Skipped (``None``) when
    the leading coefficient of the squarefree part's integer numerator has more than ``max_bits`` bits, and
    when ``box`` is not a sign-change box of that squarefree part (no guessing)."""
    if box.lo == box.hi:
        return box.lo
    sq = poly / poly.gcd(poly.derivative()) if poly.degree() > 0 else poly
    lc = abs(int(sq.numer().coeffs()[-1]))
    if lc == 0 or lc.bit_length() > max_bits:
        return None
    a, b = box.lo, box.hi
    fa, fb = sq(a), sq(b)
    if fa == 0 or fb == 0 or (fa > 0) == (fb > 0):
        return None  # not a sign-change box of a single root: do not guess
    for factor, _ in sq.factor()[1]:
        if factor.degree() == 1:
            x = -factor[0] / factor[1]
            if a <= x <= b and sq(x) == 0:
                return x
    return None
