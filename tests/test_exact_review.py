"""Planted errors from the independent review of the exact route (issue 11): every one of them used to print
``proved``; each test here plants it and asserts the verdict is not ``proved`` (or the theory-level status is
not ``proved``)."""

from __future__ import annotations

import dataclasses

import pytest
from flint import fmpq, fmpq_poly
from glaverify.numerics.config import build_model_config, load_config
from glaverify.proofs_check.checks import exact as checks
from glaverify.proofs_check.evidence import Verdict
from glaverify.theory import exact as E

X = fmpq_poly([0, 1])


def cfg_of(name: str):
    return load_config(f"examples/{name}.toml").model


# ------------------------------------------------------------------ finding 4: the shared cross-check guard
@pytest.mark.parametrize("name", ["r6_exact", "a3_exact", "a4_exact", "a6_exact", "a7_exact"])
def test_failed_float_cross_check_blocks_every_consumer(make_ctx, monkeypatch, name):
    class Fake:
        best = type("B", (), {"gamma": 1.0, "risk": 0.0})()

    monkeypatch.setattr(checks.ls, "curve_route", lambda model: Fake())
    rec = getattr(checks, name)(make_ctx(cfg_of("star")))
    assert rec.verdict is Verdict.INCONCLUSIVE, rec.summary
    assert "disagree" in rec.summary


# ------------------------------------------------------------------ finding 1: a spot check is never a proof
def _spot_planted(em, npts: int = 12):
    """Φ + 1e-6 Π(γ − spot points): agrees with the matrix route at every spot point."""
    true = E.fixed_point_polynomial(em)
    lo, hi, _ = E.gamma_bracket_exact(em)
    Z = fmpq_poly([1])
    for j in range(npts):
        Z *= X - (lo + (hi - lo) * fmpq(2 * j + 1, 2 * npts))
    planted = true.phi_gamma + Z * fmpq(1, 10**6)
    return lambda em_, cv: E.FixedPointPoly(planted, true.D, true.curve, true.spec)


def test_spot_check_mode_is_never_proved_even_on_the_true_polynomial():
    em = E.exact_model(cfg_of("default"))
    assert E.prove_r6(em, full_identity_max=10).status == "spot-checked"


def test_polynomial_planted_to_vanish_at_the_spot_points_is_not_proved():
    em = E.exact_model(cfg_of("default"))
    fp = _spot_planted(em)
    assert E.prove_r6(em, fixed_point=fp, full_identity_max=10).status == "spot-checked"
    assert E.prove_r6(em, fixed_point=fp).status == "mismatch"  # the full identity catches it


def test_spot_check_mode_gives_an_inconclusive_record(make_ctx, monkeypatch):
    orig = E.prove_r6
    monkeypatch.setattr(checks.E, "prove_r6", lambda em, **kw: orig(em, full_identity_max=10, **kw))
    em = E.exact_model(cfg_of("default"))
    c = make_ctx(cfg_of("default"), exact_fixed_point=_spot_planted(em))
    for name in ("r6_exact", "a3_exact", "a7_exact"):
        rec = getattr(checks, name)(c)
        assert rec.verdict is Verdict.INCONCLUSIVE and "spot" in rec.summary, rec.summary


# ------------------------------------------------------------------ finding 2: a-priori degree bound
def test_lower_degree_interpolant_of_the_matrix_route_is_caught():
    """A Φ' of degree deg Φ − 1 through the matrix route's values at its own deg Φ points: the point count
    comes from the a-priori bound, so Φ' fails the identity elsewhere."""
    em = E.exact_model(cfg_of("default"))
    true = E.fixed_point_polynomial(em)
    m = true.phi_gamma.degree() - 1
    lo, hi, _ = E.gamma_bracket_exact(em)
    pts = [lo + (hi - lo) * fmpq(2 * j + 1, 2 * (m + 1)) for j in range(m + 1)]
    planted = E._interpolate(pts, [E.fixed_point_direct(em, true.curve, g, true.D) for g in pts])
    assert planted.degree() == m

    def fp(em_, cv):
        return E.FixedPointPoly(planted, true.D, true.curve, true.spec)

    pr = E.prove_r6(em, fixed_point=fp)
    assert pr.status == "mismatch"
    assert pr.cross_check["identity_points"] >= true.phi_gamma.degree() + 1


def test_polynomial_above_the_degree_bound_is_refused():
    em = E.exact_model(cfg_of("default"))
    lo, hi, _ = E.gamma_bracket_exact(em)
    g1 = (lo + hi) / 2

    def fp(em_, cv):
        out = E.fixed_point_polynomial(em_, cv)
        return E.FixedPointPoly(out.phi_gamma * (X - g1), out.D, out.curve, out.spec)

    def direct(em_, cv, gamma, D):
        return E.fixed_point_direct(em_, cv, gamma, D) * (gamma - g1)

    pr = E.prove_r6(em, fixed_point=fp, direct=direct)
    assert pr.status == "mismatch" and "a-priori bound" in pr.reason


def test_homogenisation_degree_below_2d_minus_2_is_refused():
    em = E.exact_model(cfg_of("default"))

    def fp(em_, cv):
        out = E.fixed_point_polynomial(em_, cv)
        return E.FixedPointPoly(out.phi_gamma, 2 * em.d - 3, out.curve, out.spec)

    assert E.prove_r6(em, fixed_point=fp).status == "mismatch"


# ------------------------------------------------------------------ finding 3: a~, b~, c~ and the float risk
@pytest.mark.parametrize(("field", "factor"), [("c", 1 - fmpq(1, 10**6)), ("a", 1 + fmpq(1, 10**12)),
                                               ("b", 1 + fmpq(1, 10**30))])
@pytest.mark.parametrize("name", ["iid", "star", "custom"])
def test_planted_curve_coefficient_is_caught(monkeypatch, field, factor, name):
    orig = E.curve_polynomials

    def planted(em):
        cv = orig(em)
        return dataclasses.replace(cv, **{field: getattr(cv, field) * factor})

    monkeypatch.setattr(E, "curve_polynomials", planted)
    pr = E.prove_r6(E.exact_model(cfg_of(name)))
    assert pr.status == "mismatch" and f"{field}~" in pr.reason, pr.reason


def test_planted_c_coefficient_blocks_a7_on_iid(make_ctx, monkeypatch):
    orig = E.curve_polynomials
    monkeypatch.setattr(E, "curve_polynomials",
                        lambda em: dataclasses.replace(orig(em), c=orig(em).c * (1 - fmpq(1, 10**6))))
    c = make_ctx(cfg_of("iid"))
    for name in ("r6_exact", "a7_exact", "a3_exact"):
        assert getattr(checks, name)(c).verdict is Verdict.INCONCLUSIVE


@pytest.mark.parametrize(("shift", "proved"), [(1e-8, False), (3e-9, False), (1e-13, True)])
def test_float_risk_outside_the_proved_ball_is_a_tool_error(make_ctx, monkeypatch, shift, proved):
    real = checks.ls.curve_route

    def shifted(model):
        cr = real(model)
        best = type("B", (), {"gamma": cr.best.gamma, "risk": cr.best.risk * (1 + shift)})()
        return type("CR", (), {"best": best})()

    monkeypatch.setattr(checks.ls, "curve_route", shifted)
    rec = checks.r6_exact(make_ctx(cfg_of("star")))
    assert (rec.verdict is Verdict.PROVED) is proved, rec.summary
    assert rec.details["float_cross_check"]["risk_in_min_ball"] is proved


# ------------------------------------------------------------------ finding 6: unit diagonals, exactly
@pytest.mark.parametrize("where", [0, 3])
def test_task_variance_off_one_below_the_float_tolerance_stops(make_ctx, where):
    C = [[1.0, 0.2, 0.1, 0.3], [0.2, 1.0, -0.2, -0.4], [0.1, -0.2, 1.0, 0.8], [0.3, -0.4, 0.8, 1.0]]
    C[where][where] = 1.00000000005  # within the float input check's 1e-10, not 1 over Q
    cfg = build_model_config({"d": 2, "n": 6, "noise_var": 0.5,
                              "features": {"covariance": "diagonal", "eigenvalues": [1.0, 2.0]},
                              "tasks": {"family": "custom", "block_sizes": [2, 2, 2], "correlation": C}})
    em = E.exact_model(cfg)
    assert em.block_corr()[3, 3] == E.rational(C[3][3])  # the user's C[K][K], never overwritten
    pr = E.prove_r6(em)
    assert pr.status == "stopped" and "not exactly 1" in pr.reason
    assert checks.r6_exact(make_ctx(cfg)).verdict is Verdict.INCONCLUSIVE
    C[where][where] = 1.0
    cfg_ok = build_model_config({"d": 2, "n": 6, "noise_var": 0.5,
                                 "features": {"covariance": "diagonal", "eigenvalues": [1.0, 2.0]},
                                 "tasks": {"family": "custom", "block_sizes": [2, 2, 2], "correlation": C}})
    assert E.prove_r6(E.exact_model(cfg_ok)).status == "proved"


# ------------------------------------------------------------------ finding 5: A7 witness record is partial
def test_a7_witness_record_is_partial_and_says_so(make_ctx):
    from glaverify.proofs_check.evidence import combine_records

    rec = checks.a7_exact(make_ctx(cfg_of("star")))
    assert rec.verdict is Verdict.PROVED, rec.summary
    assert rec.scope == "partial"
    assert "not gate-realisable" in rec.summary and "trained-GLA" in rec.summary
    assert combine_records([rec]) is Verdict.INCONCLUSIVE  # the A7 claim itself is not proved by it


# ------------------------------------------------------------------ finding 7: A6 vector risk, exactly
@pytest.mark.parametrize("delta", [fmpq(1, 10**9), fmpq(1, 10**40), -fmpq(1, 10**30)])
def test_a6_planted_vector_risk_below_the_float_tolerance_is_caught(make_ctx, delta):
    from glaverify.theory import exact_gating as EG

    def wrong(em, kind):
        v = EG.vector_gating_exact(em, kind)
        return EG.VectorGating(kind, v.risk - delta, v.per_coordinate_gamma, v.per_coordinate_q)

    rec = checks.a6_exact(make_ctx(cfg_of("star"), a6_vector_exact=wrong))
    assert rec.verdict is Verdict.INCONCLUSIVE and "explicit construction" in rec.summary, rec.summary


def test_a6_honest_vector_risk_equals_the_construction_exactly(make_ctx):
    rec = checks.a6_exact(make_ctx(cfg_of("star")))
    assert rec.verdict is Verdict.PROVED, rec.summary
    assert rec.details["construction_risk"] == rec.details["vector_risk"]


def _tiny_vector_construction():
    import sympy as sp

    Q = sp.Rational
    lam, sizes, rho, nv = [Q(1, 2), Q(2)], [1, 2], [Q(3, 10), Q(7, 10)], Q(1, 4)
    cfg = build_model_config({"d": 2, "n": 3, "noise_var": 0.25,
                              "features": {"covariance": "diagonal", "eigenvalues": [0.5, 2.0]},
                              "tasks": {"family": "star", "block_sizes": sizes, "rho": [0.3, 0.7]}})
    full = [[1 if i == j else (rho + [1])[i] * (rho + [1])[j] for j in range(3)] for i in range(3)]
    Ck, c = sp.Matrix(2, 2, lambda i, j: full[i][j]), sp.Matrix([full[0][2], full[1][2]])
    N = sp.diag(*sizes)
    s = sum(lam) + nv
    idx = [0, 1, 1]
    diag_entries = []
    for m in range(2):
        u = (Ck * N + (1 + s / lam[m]) * sp.eye(2)).solve(c)
        r = N * c
        Qm = lam[m] ** 3 * (N * Ck * N + N) + s * lam[m] ** 2 * N
        p = lam[m] ** 2 * (r.T * u)[0] / (u.T * Qm * u)[0]
        diag_entries.append([p * u[idx[k]] for k in range(3)])
    A = [sp.diag(diag_entries[0][k], diag_entries[1][k]) for k in range(3)]
    bl = idx + [2]  # the block of each example, the query last
    C = sp.Matrix(4, 4, lambda i, j: full[bl[i]][bl[j]])
    return cfg, sp.diag(*lam), C, nv, A


def test_vector_construction_risk_equals_wick_pairings():
    """The construction's risk (exact_guards) against the per-example Wick expectation of the same
    predictor: two independent routes, d = 2, n = 3 (blocks [1, 2])."""
    import sympy as sp
    from glaverify.theory import exact_depth as ED
    from glaverify.theory import exact_guards as guards

    cfg, sig, C, nv, A = _tiny_vector_construction()
    wick = sp.nsimplify(ED.per_example_risk_wick(sig, C, nv, A))
    got = guards.vector_construction_risk(E.exact_model(cfg))
    assert sp.Rational(int(got.p), int(got.q)) == wick
    from glaverify.theory import exact_gating as EG

    assert EG.vector_gating_exact(E.exact_model(cfg), "unconstrained").risk == got


def test_off_diagonal_preconditioner_entries_only_add_a_psd_term():
    """Diagonal P is optimal exactly (docs/exact.md, A6): an off-diagonal entry ε of any A_k enters the risk
    (closed form, diagonal Σ) with no linear term and a non-negative quadratic one."""
    import sympy as sp
    from glaverify.theory import exact_depth as ED

    _, sig, C, nv, A = _tiny_vector_construction()
    eps = sp.symbols("eps")
    for k in range(3):
        for (a, b) in ((0, 1), (1, 0)):
            B = [M.copy() for M in A]
            B[k][a, b] += eps
            L = sp.Poly(ED.per_example_risk_closed(sig, C[:3, :3], list(C[:3, 3]), nv, B), eps)
            assert L.coeff_monomial(eps) == 0 and L.coeff_monomial(eps**2) > 0


# ------------------------------------------------------------------ finding 10: what the exact model is
def test_exact_model_is_the_rational_of_the_parsed_floats_repr():
    """A literal beyond 17 digits was rounded by the TOML parser: the exact model holds the rational of the
    parsed float's shortest repr (docs/exact.md says so), not the digits typed."""
    x = 0.12345678901234567890
    assert E.rational(x) == fmpq(1543209862654321, 12500000000000000)
    assert E.rational(x) != fmpq(1234567890123456789, 10**19)


# ------------------------------------------------------------------ finding 9: arb precision, IsolationFailed
def test_sign_needing_more_than_53_bits_is_decided():
    from glaverify.theory import exact_gating as EG

    em = E.exact_model(cfg_of("star"))
    pr = E.prove_r6(em)
    b = E.refine_root(pr.polynomial, pr.gamma_star, fmpq(1, 2**100))
    assert b.lo < b.hi
    # X − lo is positive at γ* by ~2^-100 relative: undecidable at 53 bits, decided with matching precision
    assert EG._sign_at_root(X - b.lo, pr.polynomial, pr.gamma_star) == 1
    assert EG._sign_at_root(b.hi - X, pr.polynomial, pr.gamma_star) == 1


def test_isolation_failure_is_inconclusive_not_a_crash(make_ctx, monkeypatch):
    from glaverify.theory import exact_gating as EG

    def fail(*a, **k):
        raise E.IsolationFailed("sign at the root not decided (planted)")

    monkeypatch.setattr(EG, "_sign_at_root", fail)
    c = make_ctx(cfg_of("star"))
    for name in ("a3_exact", "a4_exact"):
        rec = getattr(checks, name)(c)
        assert rec.verdict is Verdict.INCONCLUSIVE and "planted" in rec.summary
    rec = checks.a6_exact(c)
    assert "not enclosed" in rec.details["delimiter"]


# ------------------------------------------------------------------ finding 8: rational roots, exactly
def test_rational_root_is_found_exactly_and_an_irrational_one_is_not():
    from glaverify.theory import exact_guards as guards
    from glaverify.theory.exact_roots import RootBox

    q = fmpq(355, 113)
    poly = (X - q) * (X * X - 2) * (X - fmpq(10**20 + 1, 10**20))
    boxes = E.isolate_real_roots(poly, fmpq(1), fmpq(4))
    found = [guards.rational_root_in(poly, E.refine_root(poly, b)) for b in boxes]
    assert sorted(x for x in found if x is not None) == [fmpq(10**20 + 1, 10**20), q]
    assert found.count(None) == 1  # √2 stays a box
    assert guards.rational_root_in(poly, RootBox(fmpq(7, 5), fmpq(3, 2))) is None


def _a6_cfg(tasks: dict, eig: list[float], noise: float = 0.1):
    n = sum(tasks["block_sizes"])
    return build_model_config({"d": len(eig), "n": n, "noise_var": noise,
                               "features": {"covariance": "diagonal", "eigenvalues": eig}, "tasks": tasks})


@pytest.mark.parametrize("cfg", [
    _a6_cfg({"family": "custom", "block_sizes": [5], "correlation": [[1.0, 0.3], [0.3, 1.0]]},
            [0.1, 1.0, 10.0], 0.0),
    _a6_cfg({"family": "decay", "block_sizes": [2, 2, 2], "rho": -1.0}, [1.0, 4.0]),
    _a6_cfg({"family": "custom", "block_sizes": [2, 2, 2],
             "correlation": [[1.0, 1.0, -1.0, 0.5], [1.0, 1.0, -1.0, 0.5], [-1.0, -1.0, 1.0, -0.5],
                             [0.5, 0.5, -0.5, 1.0]]}, [0.3, 3.0]),
], ids=["K1", "decay-rho-minus-1", "singular-C"])
def test_a6_no_advantage_branch_is_reachable(make_ctx, cfg):
    rec = checks.a6_exact(make_ctx(cfg))
    assert rec.verdict is Verdict.PROVED and "no advantage" in rec.summary, rec.summary


def test_risk_formula_needs_unit_task_variances():
    """Why finding 6's guard is needed: with C_00 = 1 + 5e-11 the closed form the exact route uses is not the
    model's risk (Wick pairings from the model differ), so such a model must stop, not be proved."""
    import sympy as sp
    from glaverify.theory import exact_depth as ED

    Q = sp.Rational
    sig = sp.Matrix([[1, 0], [0, 2]])
    A = [sp.diag(Q(1, 3), Q(1, 5))]
    for eps, differs in ((Q(1, 2 * 10**10), True), (0, False)):
        C = sp.Matrix([[1 + eps, Q(3, 10)], [Q(3, 10), 1]])
        wick = ED.per_example_risk_wick(sig, C, Q(1, 2), A)
        closed = ED.per_example_risk_closed(sig, sp.Matrix([[1]]), [C[0, 1]], Q(1, 2), A)  # R_00 = 1
        assert (sp.simplify(wick - closed) != 0) is differs
