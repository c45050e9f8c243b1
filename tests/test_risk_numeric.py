"""Claims R1, R2, R3 numerically: the Monte Carlo check of R1, the numeric certificates of R3 and R2,
planted errors that each must catch, and property tests of the closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from glaverify.numerics import closed_forms as cf
from glaverify.numerics.config import build_model_config, default_model_config
from glaverify.numerics.model import DataModel
from glaverify.numerics.montecarlo import MCEstimate
from glaverify.numerics.strategies import data_models, preconditioners, weight_vectors
from glaverify.proofs_check.checks.risk_numeric import (
    REFUTE_Z,
    check_r1_monte_carlo,
    check_r2_numeric,
    check_r3_numeric,
    decide_r1,
    r1_monte_carlo,
    r2_numeric,
    r3_numeric,
)
from glaverify.proofs_check.evidence import Verdict
from glaverify.proofs_check.registry import get_claim
from hypothesis import given
from hypothesis import strategies as st


# ---------------------------------------------------------------------------------------------- references
def r1_dense(model: DataModel, P, w, *, sig2_coef: float = 1.0, noise: bool = True, lin_coef: float = 2.0,
             b_power: int = 2) -> float:
    """R1 typed from docs/risk.md with the dense n×n R and r, with optional planted errors."""
    sig, R, r = model.sigma, model.R, model.r
    nv = model.noise_var if noise else 0.0
    s = np.trace(sig) + nv
    a = w @ (R + np.eye(len(w))) @ w
    b = s * np.linalg.norm(w) ** b_power
    M = a * sig2_coef * sig @ sig + b * sig
    return float(s - lin_coef * (r @ w) * np.trace(P @ sig @ sig) + np.trace(P.T @ sig @ P @ M))


NOISY = build_model_config({
    "d": 3, "n": 8, "noise_var": 2.0,
    "features": {"covariance": "diagonal", "eigenvalues": [0.5, 1.0, 2.0]},
    "tasks": {"family": "star", "block_sizes": [4, 4], "rho": [0.5, 0.9]},
})


def test_checks_are_registered_in_the_default_suite():
    assert get_claim("R1").checks["monte-carlo"].default
    assert get_claim("R3").checks["numeric"].default
    assert "numeric" in get_claim("R2").checks


# ---------------------------------------------------------------------------------------------- R1 MC
def test_decision_rule_regions():
    def est(mean):
        return MCEstimate(mean, 1.0, mean - 3.29, mean + 3.29, 1000, 0.999)

    assert decide_r1(est(10.0), 10.0 + 3.0).verdict is Verdict.SUPPORTED
    assert decide_r1(est(10.0), 10.0 - 3.2).verdict is Verdict.SUPPORTED
    assert decide_r1(est(10.0), 10.0 + 4.0).verdict is Verdict.INCONCLUSIVE
    assert decide_r1(est(10.0), 10.0 - REFUTE_Z).verdict is Verdict.INCONCLUSIVE
    assert decide_r1(est(10.0), 10.0 - REFUTE_Z - 0.01).verdict is Verdict.REFUTED
    zero = MCEstimate(1.0, 0.0, 1.0, 1.0, 1000, 0.999)
    assert decide_r1(zero, 1.0).verdict is Verdict.SUPPORTED
    assert decide_r1(zero, 1.1).verdict is Verdict.REFUTED


@pytest.mark.parametrize("seed", [0, 1])
def test_r1_monte_carlo_supports_the_closed_form_on_the_default_model(make_ctx, seed):
    rec = r1_monte_carlo(make_ctx(seed=seed))
    assert rec.verdict is Verdict.SUPPORTED, rec.summary
    assert rec.sample_size <= 50_000 and rec.ci["low"] <= rec.details["closed_form"] <= rec.ci["high"]
    assert abs(rec.residuals["z"]) <= rec.details["z_look"]


def test_the_dense_reference_agrees_with_the_block_closed_form(make_ctx):
    rec = check_r1_monte_carlo(make_ctx(), closed_form=r1_dense)
    same = check_r1_monte_carlo(make_ctx())
    assert rec.details["closed_form"] == pytest.approx(same.details["closed_form"], rel=1e-12)


@pytest.mark.parametrize(
    ("config", "planted", "why", "prompts"),
    [
        (None, lambda m, P, w: r1_dense(m, P, w, sig2_coef=2.0), "2 a Σ² instead of a Σ² in M", 20_000),
        (None, lambda m, P, w: r1_dense(m, P, w, lin_coef=1.0), "cross term without the 2", 20_000),
        (NOISY, lambda m, P, w: r1_dense(m, P, w, noise=False), "noise σ² dropped from s", 20_000),
        # a smaller error (z ≈ -3.4 at 20k prompts): needs the full default sample
        (NOISY, lambda m, P, w: r1_dense(m, P, w, b_power=1), "b = s ‖ω‖ instead of s ‖ω‖²", 200_000),
    ],
    ids=["2sigma2", "cross-coefficient", "dropped-noise", "b-not-squared"],
)
def test_r1_monte_carlo_refutes_a_planted_error(make_ctx, config, planted, why, prompts):
    ctx = make_ctx(config)
    good = check_r1_monte_carlo(ctx, num_prompts=prompts)
    assert good.verdict is Verdict.SUPPORTED, good.summary
    bad = check_r1_monte_carlo(ctx, closed_form=planted, num_prompts=prompts)
    assert bad.verdict is Verdict.REFUTED, (why, bad.summary)
    cex = bad.counterexample
    assert abs(cex["z"]) > REFUTE_Z
    assert set(cex) >= {"model", "seed", "P", "omega", "closed_form", "mc_mean"}
    # the same (P, ω) is drawn again from the recorded seed (the sequential test may stop at another look)
    assert cex["P"] == bad.details["P"] == good.details["P"]


def test_r1_planted_error_through_the_context_options(make_ctx):
    bad = r1_monte_carlo(make_ctx(r1_closed_form=lambda m, P, w: r1_dense(m, P, w, sig2_coef=2.0)))
    assert bad.verdict is Verdict.REFUTED


def test_r1_monte_carlo_ci_sized_larger_model(make_ctx):
    cfg = default_model_config(8, 32)
    rec = check_r1_monte_carlo(make_ctx(cfg), num_prompts=20_000)
    assert rec.verdict is Verdict.SUPPORTED, rec.summary
    bad = check_r1_monte_carlo(make_ctx(cfg), num_prompts=20_000,
                               closed_form=lambda m, P, w: r1_dense(m, P, w, sig2_coef=2.0))
    assert bad.verdict is Verdict.REFUTED, bad.summary


@pytest.mark.slow
def test_r1_monte_carlo_d32_n128_full_sample(make_ctx):
    cfg = default_model_config(32, 128)
    rec = r1_monte_carlo(make_ctx(cfg, quick=False))
    assert rec.verdict is Verdict.SUPPORTED, rec.summary
    assert rec.sample_size <= 200_000
    bad = check_r1_monte_carlo(make_ctx(cfg, quick=False),
                               closed_form=lambda m, P, w: r1_dense(m, P, w, sig2_coef=2.0))
    assert bad.verdict is Verdict.REFUTED


# ---------------------------------------------------------------------------------------------- R3
def test_r3_is_certified_on_the_default_model(make_ctx):
    rec = r3_numeric(make_ctx())
    assert rec.verdict is Verdict.CERTIFIED, rec.summary
    assert rec.residuals["max_rel_grad"] < 1e-9
    assert rec.residuals["min_hess_eig_rel"] > 0
    assert rec.residuals["max_profile_residual"] < 1e-12


@pytest.mark.parametrize("d", [10, 20])
def test_r3_kronecker_path_is_certified_for_larger_d(make_ctx, d):
    rec = check_r3_numeric(make_ctx(default_model_config(d, 20)), draws=1)
    assert rec.verdict is Verdict.CERTIFIED, rec.summary
    assert "Kronecker" in rec.details["hessian_method"]
    assert ("random directional" in rec.details["gradient_method"]) == (d > 16)


def _wrong_precond(model, w):
    co = cf.risk_coefficients(model, w)
    lam, v = model.sigma_eig
    return (v * (co.rw / (co.a * lam + 2 * co.b))) @ v.T  # 2b instead of b


def _wrong_profile(model, w):
    co = cf.risk_coefficients(model, w)
    lam = model.eigenvalues
    return model.s - co.rw**2 * float(np.sum(lam**2 / (co.a * lam + co.b))) * 1.01


@pytest.mark.parametrize(
    ("kwargs", "failed"),
    [
        ({"precond": _wrong_precond}, "gradient"),
        ({"profile": _wrong_profile}, "profile risk"),
        ({"risk": lambda m, P, w: 2 * m.s - r1_dense(m, P, w)}, "Hessian"),  # P* stationary but a maximum
    ],
    ids=["preconditioner-2b", "profile-1pct", "risk-sign-flipped"],
)
@pytest.mark.parametrize("d", [4, 10, 20])
def test_r3_refutes_a_planted_error(make_ctx, kwargs, failed, d):
    rec = check_r3_numeric(make_ctx(default_model_config(d, 12)), draws=1, **kwargs)
    assert rec.verdict is Verdict.REFUTED, rec.summary
    assert failed in rec.counterexample["failed"]
    assert "omega" in rec.counterexample and "p_star" in rec.counterexample


def test_r3_refutes_a_risk_whose_hessian_is_not_positive_definite(make_ctx):
    """P* still a stationary point of the planted risk, but curvature along P zero in one direction."""
    def flat(m, P, w):
        return r1_dense(m, P, w) - r1_dense(m, P[:, :1] @ np.eye(1, m.d), w) + r1_dense(m, 0 * P, w)

    rec = check_r3_numeric(make_ctx(), draws=1, risk=flat)
    assert rec.verdict is Verdict.REFUTED


# ---------------------------------------------------------------------------------------------- R2
def test_r2_is_supported(make_ctx):
    rec = r2_numeric(make_ctx())
    assert rec.verdict is Verdict.SUPPORTED and rec.residuals["max_relative_residual"] < 1e-10


def test_r2_refutes_a_planted_error(make_ctx):
    rec = check_r2_numeric(make_ctx(), risk=lambda m, P, w: r1_dense(m, P, w, b_power=1))
    assert rec.verdict is Verdict.REFUTED
    assert rec.counterexample["c"] != 1.0


# ---------------------------------------------------------------------------------------------- properties
def _scale(model, P, w) -> float:
    """Magnitude of the terms of R1 at (P, ω), for relative rounding tolerances."""
    co = cf.risk_coefficients(model, w)
    sig = model.sigma
    m = co.a * sig @ sig + co.b * sig
    return model.s + abs(2 * co.rw * np.trace(P @ sig @ sig)) + abs(np.trace(P.T @ sig @ P @ m))


@st.composite
def model_and_weights(draw, nonzero_r: bool = False):
    model = draw(data_models(max_d=4, max_n=10))
    w = draw(weight_vectors(model.n))
    return model, w


@given(model_and_weights(), st.data())
def test_block_formulas_agree_with_dense_R_and_r(mw, data):
    model, w = mw
    P = data.draw(preconditioners(model.d))
    k = model.block_index
    np.testing.assert_array_equal(model.R, model.block_corr[np.ix_(k, k)])
    np.testing.assert_array_equal(model.r, model.block_corr[k, model.K])
    co = cf.risk_coefficients(model, w)
    assert co.a == pytest.approx(w @ (model.R + np.eye(model.n)) @ w, rel=1e-9, abs=1e-12)
    assert co.rw == pytest.approx(model.r @ w, rel=1e-9, abs=1e-12)
    assert cf.wpgd_risk(model, P, w) == pytest.approx(r1_dense(model, P, w), abs=1e-10 * _scale(model, P, w))


@given(model_and_weights(), st.data())
def test_optimal_preconditioner_minimises_the_risk(mw, data):
    model, w = mw
    p_star = cf.optimal_preconditioner(model, w)
    base = cf.wpgd_risk(model, p_star, w)
    E = data.draw(preconditioners(model.d, max_abs=1.0))
    for t in (1e-3, 1.0):
        P = p_star + t * E
        assert cf.wpgd_risk(model, P, w) >= base - 1e-9 * _scale(model, P, w)


@given(model_and_weights(), st.data())
def test_profile_risk_is_a_lower_bound_attained_at_p_star(mw, data):
    model, w = mw
    P = data.draw(preconditioners(model.d))
    prof = cf.profile_risk(model, w)
    assert prof <= cf.wpgd_risk(model, P, w) + 1e-9 * _scale(model, P, w)
    p_star = cf.optimal_preconditioner(model, w)
    assert cf.wpgd_risk(model, p_star, w) == pytest.approx(prof, abs=1e-9 * _scale(model, p_star, w))
    assert prof <= model.s + 1e-12 * model.s


@given(model_and_weights(), st.data(), st.sampled_from([-7.0, -1.0, 1e-3, 0.5, 3.0, 1e3]))
def test_scale_invariance(mw, data, c):
    model, w = mw
    P = data.draw(preconditioners(model.d))
    tol = 1e-9 * _scale(model, P, w)
    assert cf.wpgd_risk(model, P / c, c * w) == pytest.approx(cf.wpgd_risk(model, P, w), abs=tol)
    assert cf.profile_risk(model, c * w) == pytest.approx(cf.profile_risk(model, w), abs=1e-9 * model.s)


@given(model_and_weights(), st.data(), st.integers(0, 2**32 - 1))
def test_eigenbasis_invariance(mw, data, seed):
    """Rotating Σ -> U Σ U^T together with P -> U P U^T leaves the risk unchanged."""
    model, w = mw
    P = data.draw(preconditioners(model.d))
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((model.d, model.d)))
    U = q * np.sign(np.diag(r))
    rotated = DataModel.create(U @ model.sigma @ U.T, model.block_corr, model.block_sizes, model.noise_var)
    assert cf.wpgd_risk(rotated, U @ P @ U.T, w) == pytest.approx(cf.wpgd_risk(model, P, w),
                                                                  abs=1e-9 * _scale(model, P, w))
    assert cf.profile_risk(rotated, w) == pytest.approx(cf.profile_risk(model, w), abs=1e-9 * model.s)
