"""Exact R4/R6/R7 at the user's model (theory/exact.py, proofs_check/checks/exact.py): the route proves the
shipped examples, and every exact step refuses a planted error (wrong coefficient, flipped inequality)."""

from __future__ import annotations

import numpy as np
import pytest
from flint import arb, fmpq, fmpq_mat, fmpq_poly
from glaverify.numerics import landscape as ls
from glaverify.numerics.config import build_model_config, default_model_config, load_config
from glaverify.numerics.model import DataModel
from glaverify.numerics.strategies import model_config_dicts
from glaverify.proofs_check.checks import exact as checks
from glaverify.proofs_check.evidence import Verdict
from glaverify.theory import exact as E
from hypothesis import HealthCheck, given, settings

X = fmpq_poly([0, 1])
EXAMPLES = ["default", "star", "custom", "decay", "iid", "nonmonotone"]


def cfg_of(name: str):
    return load_config(f"examples/{name}.toml").model


# ------------------------------------------------------------------------ exact data
def test_config_numbers_become_their_decimal_rationals():
    assert E.rational(0.1) == fmpq(1, 10)
    assert E.rational(0.55) == fmpq(11, 20)
    assert E.rational(3) == fmpq(3)
    em = E.exact_model(cfg_of("star"))
    assert em.query_corr == (fmpq(1, 10), fmpq(2, 5), fmpq(7, 10), fmpq(19, 20))
    assert em.task_corr[0, 1] == fmpq(1, 10) * fmpq(2, 5)  # star: rho_k rho_l exactly
    assert em.noise_var == fmpq(1, 4)
    assert em.s == fmpq(1, 4) + fmpq(1, 2) + 1 + 2 + 4 + fmpq(1, 4)


def test_psd_exact_catches_what_the_float_tolerance_accepts():
    """A correlation 1e-12 outside the PSD cone passes the float input check but is not PSD over Q."""
    eps = fmpq(1, 10**12)
    bad = fmpq_mat([[1, 1 + eps], [1 + eps, 1]])
    assert not E.psd_exact(bad)
    assert E.psd_exact(fmpq_mat([[1, 1], [1, 1]]))  # singular PSD (iid) is fine
    assert not E.psd_exact(fmpq_mat([[1, 1], [1, 1]]), strict=True)
    assert not E.psd_exact(fmpq_mat([[0, 1], [1, 0]]))  # zero pivot with a nonzero row
    assert not E.psd_exact(fmpq_mat([[1, 0], [0, -eps]]))  # flipped sign just below zero


# ------------------------------------------------------------------------ root isolation
def test_isolation_counts_close_and_endpoint_roots_exactly():
    tiny = fmpq(1, 10**30)
    p = (X - 2) * (X - 2 - tiny) * (X - 5) * (X**2 + 1)
    boxes = E.isolate_real_roots(p, fmpq(1), fmpq(5))
    assert len(boxes) == 3  # 2 and 2 + 1e-30 are separated; 5 sits on the endpoint; x^2 + 1 has no real root
    assert boxes[-1].lo == boxes[-1].hi == 5
    for b in boxes[:2]:
        assert b.lo <= 2 + tiny and b.hi >= 2
    # a double root counts once (squarefree part); a root just outside the interval does not count
    assert len(E.isolate_real_roots((X - 3) ** 2 * (X - 5 - tiny), fmpq(1), fmpq(5))) == 1


def test_refined_root_brackets_the_root():
    p = X**2 - 2
    (box,) = E.isolate_real_roots(p, fmpq(1), fmpq(2))
    r = E.refine_root(p, box)
    assert r.lo**2 < 2 < r.hi**2 and r.hi - r.lo < fmpq(1, 2**49)


# ------------------------------------------------------------------------ the proof on the shipped models
@pytest.mark.parametrize("name", EXAMPLES)
def test_r6_proved_on_shipped_examples_and_agrees_with_float_curve(name):
    cfg = cfg_of(name)
    pr = E.prove_r6(E.exact_model(cfg))
    assert pr.status == "proved", pr.reason
    assert pr.root_count >= 1 and pr.cross_check["identity_kind"].startswith("proof")
    best = ls.curve_route(DataModel.from_config(cfg)).best
    g = pr.gamma_star
    assert float(g.lo) * (1 - 1e-9) <= best.gamma <= float(g.hi) * (1 + 1e-9)
    assert abs(pr.min_risk.mid().__float__() - best.risk) < 1e-9 * max(1.0, abs(best.risk))
    assert pr.bracket[0] <= g.lo and g.hi <= pr.bracket[1]


def test_curve_identity_holds_exactly_and_is_block_level():
    em = E.exact_model(cfg_of("star"))
    cv = E.curve_polynomials(em)
    assert cv.identity_verified and len(cv.p) == em.K and not cv.single_ray
    gamma = fmpq(7, 3)
    u = [pi(gamma) for pi in cv.p]
    # u is proportional to the K x K solve (C_K N + g I)^{-1} c
    K, N = em.K, em.block_sizes
    m = fmpq_mat([[em.task_corr[i, j] * N[j] + (gamma if i == j else 0) for j in range(K)] for i in range(K)])
    sol = m.solve(fmpq_mat(K, 1, list(em.query_corr)))
    ratio = u[0] / sol[0, 0]
    assert all(u[i] == ratio * sol[i, 0] for i in range(K))


def test_isotropic_model_has_the_r5_root_exactly():
    em = E.exact_model(cfg_of("iid"))  # Σ = I, d = 8, σ² = 1/4: γ = 1 + d + σ²/λ
    pr = E.prove_r6(em)
    assert pr.status == "proved" and pr.gamma_star.lo == pr.gamma_star.hi == fmpq(37, 4)


def test_r_zero_is_the_non_unique_branch():
    cfg = build_model_config({"d": 2, "n": 4, "noise_var": 0.1,
                              "features": {"covariance": "diagonal", "eigenvalues": [1.0, 2.0]},
                              "tasks": {"family": "star", "block_sizes": [2, 2], "rho": [0.0, 0.0]}})
    pr = E.prove_r6(E.exact_model(cfg))
    assert pr.status == "r-zero"


def test_large_model_runs_with_spot_check_option():
    cfg = default_model_config(8, 24)
    pr = E.prove_r6(E.exact_model(cfg), full_identity_max=10)
    # a spot check is not a proof of the identity (review finding 1): never "proved"
    assert pr.status == "spot-checked" and pr.cross_check["identity_kind"] == "spot check"


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(model_config_dicts(max_d=4, max_n=8))
def test_exact_route_agrees_with_float_curve_on_random_models(data):
    cfg = build_model_config(data)
    pr = E.prove_r6(E.exact_model(cfg))
    if pr.status == "r-zero":
        return
    # a stop is accepted only for an input that is not exact (PSD / unit variances), never silently
    assert pr.status == "proved" or (pr.status == "stopped" and "exactly" in pr.reason), pr.reason
    if pr.status == "proved":
        model = DataModel.from_config(cfg)
        if ls.r_is_zero(model):
            return
        best = ls.curve_route(model).best
        rel = abs(float(pr.gamma_star.lo) - best.gamma) / best.gamma
        assert rel < 1e-6


# ------------------------------------------------------------------------ planted errors
def _perturbed(coeff_index: int, delta: fmpq):
    def fp(em, cv):
        out = E.fixed_point_polynomial(em, cv)
        cs = out.phi_gamma.coeffs()
        cs[coeff_index] += delta
        return E.FixedPointPoly(fmpq_poly(cs), out.D, out.curve, out.spec)

    return fp


@pytest.mark.parametrize("index", [0, 5, -1])
def test_wrong_polynomial_coefficient_is_not_proved(index):
    em = E.exact_model(cfg_of("default"))
    deg = E.fixed_point_polynomial(em).phi_gamma.degree()
    idx = deg if index == -1 else index
    pr = E.prove_r6(em, fixed_point=_perturbed(idx, fmpq(1, 10**40)))  # a near-miss: 1e-40 in one coefficient
    assert pr.status == "mismatch"


def test_wrong_polynomial_is_not_proved_even_with_spot_checks():
    em = E.exact_model(cfg_of("star"))
    pr = E.prove_r6(em, fixed_point=_perturbed(3, fmpq(1, 10**30)), full_identity_max=2, spot_points=3)
    assert pr.status == "mismatch"


def test_flipped_sign_in_the_matrix_route_is_caught():
    def direct(em, cv, gamma, D):
        return E.fixed_point_direct(em, cv, 2 - gamma, D)  # γ − 1 flipped to 1 − γ

    pr = E.prove_r6(E.exact_model(cfg_of("custom")), direct=direct)
    assert pr.status == "mismatch"


def test_polynomial_with_an_extra_root_and_matching_route_compares_values():
    """A planted second stationary point (Φ·(γ − γ₁), matched by the direct route) must go through the ball
    comparison: the values differ, so the proof names the lower root, never the planted one by accident."""
    em = E.exact_model(cfg_of("default"))
    lo, hi, _ = E.gamma_bracket_exact(em)
    g1 = (lo + hi) / 2

    def fp(em_, cv):
        out = E.fixed_point_polynomial(em_, cv)
        # D + 1 keeps the planted degree within the a-priori bound (the direct route undoes it)
        return E.FixedPointPoly(out.phi_gamma * (X - g1), out.D + 1, out.curve, out.spec)

    def direct(em_, cv, gamma, D):
        return E.fixed_point_direct(em_, cv, gamma, D - 1) * (gamma - g1)

    pr = E.prove_r6(em, fixed_point=fp, direct=direct)
    assert pr.root_count == 2
    assert pr.status == "proved"
    true = E.prove_r6(em)
    assert pr.gamma_star == true.gamma_star  # the lower risk picks the genuine root


def test_not_psd_correlation_stops_the_route():
    em = E.exact_model(cfg_of("star"))
    bad = fmpq_mat(em.K, em.K)
    for i in range(em.K):
        for j in range(em.K):
            bad[i, j] = em.task_corr[i, j]
    bad[0, 1] = bad[1, 0] = fmpq(3, 2)  # flipped inequality: |corr| > 1
    em2 = E.ExactModel(em.sigma, em.block_sizes, bad, em.query_corr, em.noise_var)
    assert E.prove_r6(em2).status == "stopped"


# ------------------------------------------------------------------------ checks
@pytest.mark.parametrize("claim", ["R4", "R6", "R7"])
def test_checks_prove_default_model(make_ctx, claim):
    rec = {"R4": checks.r4_exact, "R6": checks.r6_exact, "R7": checks.r7_exact}[claim](make_ctx())
    assert rec.verdict is Verdict.PROVED, rec.summary
    assert rec.details["proof"]["polynomial_degree"] > 0


def test_check_with_planted_coefficient_is_inconclusive(make_ctx):
    rec = checks.r6_exact(make_ctx(exact_fixed_point=_perturbed(2, fmpq(1, 10**20))))
    assert rec.verdict is Verdict.INCONCLUSIVE and "tool error" in rec.summary


def test_check_disagreeing_float_route_is_inconclusive(make_ctx, monkeypatch):
    class Fake:
        best = type("B", (), {"gamma": 1.0, "risk": 0.0})()

    monkeypatch.setattr(checks.ls, "curve_route", lambda model: Fake())
    rec = checks.r6_exact(make_ctx())
    assert rec.verdict is Verdict.INCONCLUSIVE and "disagree" in rec.summary


def test_check_beyond_size_limit_says_so(make_ctx):
    rec = checks.r6_exact(make_ctx(exact_max_d=2))
    assert rec.verdict is Verdict.INCONCLUSIVE and "size limit" in rec.summary


def test_gain_ball_is_rigorous_at_root():
    em = E.exact_model(cfg_of("star"))
    fp = E.fixed_point_polynomial(em)
    pr = E.prove_r6(em)
    g = fp_gain = E.profile_gain_ball(fp, pr.gamma_star.ball())
    assert isinstance(g, arb) and fp_gain.rad() < 1e-9
    assert np.isfinite(float(g.mid()))


def test_a_double_root_is_one_candidate_and_is_flagged():
    # Φ² (every root double) with D' = 2D + 1, so the planted degree stays within the a-priori bound
    # (iid has constant a~, b~: its bound is deg Φ = 1 and leaves no room for a planted factor)
    em = E.exact_model(cfg_of("default"))

    def fp(em_, cv):
        out = E.fixed_point_polynomial(em_, cv)
        return E.FixedPointPoly(out.phi_gamma**2, 2 * out.D + 1, out.curve, out.spec)

    def direct(em_, cv, gamma, D):
        return E.fixed_point_direct(em_, cv, gamma, (D - 1) // 2) ** 2

    pr = E.prove_r6(em, fixed_point=fp, direct=direct)
    assert pr.status == "proved" and pr.root_count == 1 and pr.cross_check["gamma_star_multiple_root"]
