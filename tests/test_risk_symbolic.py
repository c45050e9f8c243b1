"""Exact proofs of R1, R2, R3, R4 (stationarity) and R5, and the planted errors they must catch."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import sympy as sp
from glaverify.numerics.closed_forms import wpgd_risk
from glaverify.numerics.config import build_model_config, default_model_config
from glaverify.numerics.model import DataModel
from glaverify.proofs_check.checks import risk_symbolic as rs
from glaverify.proofs_check.context import CheckContext
from glaverify.proofs_check.evidence import Verdict
from glaverify.theory import risk as rk

H = sp.Rational(1, 2)
SIGMA3 = sp.Matrix([[2, 1, 0], [1, 2, H], [0, H, 1]])  # non-diagonal, rational, positive definite
CORR = sp.Matrix(
    [[1, sp.Rational(1, 10), H], [sp.Rational(1, 10), 1, sp.Rational(3, 5)], [H, sp.Rational(3, 5), 1]]
)


def ctx_for(d: int, n: int, explicit: bool = True) -> CheckContext:
    return CheckContext(model_config=default_model_config(d, n), dims_explicit=explicit)


# ----------------------------------------------------------------------------- planted closed forms
def r1_two_sigma_sq_in_M(sigma, P, omega, R, r, nv):
    s = rk.trace(sigma) + nv
    rw, a, b = rk.risk_coefficients_sym(omega, R, r, s)
    sig2 = rk.mat_mul(sigma, sigma)
    m = rk.mat_add(rk.mat_scale(2 * a, sig2), rk.mat_scale(b, sigma))
    return (
        s
        - 2 * rw * rk.trace(rk.mat_mul(P, sig2))
        + rk.trace(rk.mat_mul(rk.mat_mul(rk.mat_t(P), sigma), rk.mat_mul(P, m)))
    )


def r1_two_sigma_sq_in_cross_term(sigma, P, omega, R, r, nv):
    s = rk.trace(sigma) + nv
    rw, a, b = rk.risk_coefficients_sym(omega, R, r, s)
    sig2 = rk.mat_mul(sigma, sigma)
    m = rk.mat_add(rk.mat_scale(a, sig2), rk.mat_scale(b, sigma))
    return (
        s
        - 2 * rw * rk.trace(rk.mat_mul(P, rk.mat_scale(2, sig2)))
        + rk.trace(rk.mat_mul(rk.mat_mul(rk.mat_t(P), sigma), rk.mat_mul(P, m)))
    )


def r1_noise_dropped(sigma, P, omega, R, r, nv):
    s = rk.trace(sigma)  # tr Σ instead of tr Σ + σ²
    rw, a, b = rk.risk_coefficients_sym(omega, R, r, s)
    return rk.wpgd_risk_from_coefficients(sigma, P, rw, a, b, 0)


# ----------------------------------------------------------------------------- R1
def test_r1_proved_at_d3_n4_default_model():
    rec = rs.r1_record(ctx_for(3, 4))
    assert rec.verdict is Verdict.PROVED, rec.summary
    assert rec.details["cases"][0]["d"] == 3 and rec.details["cases"][0]["n"] == 4


def test_r1_proved_for_non_diagonal_rational_sigma_and_c():
    res = rk.prove_r1(rk.build_risk_problem(SIGMA3, CORR, (2, 2)))
    assert res.holds, res


def test_r1_proved_with_fully_symbolic_sigma_and_correlation():
    sig = sp.Matrix(2, 2, lambda i, j: sp.Symbol(f"S{min(i, j) + 1}{max(i, j) + 1}"))
    corr = rk.symmetric_unit_diag(3, "C")
    res = rk.prove_r1(rk.build_risk_problem(sig, corr, (1, 1)))
    assert res.holds, res


def test_r1_derivation_does_not_depend_on_how_the_square_is_expanded():
    """Metamorphic: integrating the expanded (y - yhat)^2 gives the same polynomial as the pairwise route."""
    pb = rk.build_risk_problem(SIGMA3[:2, :2], CORR, (1, 2))
    assert rk.derived_risk(pb, "pairwise") - rk.derived_risk(pb, "expand") == 0


def test_r1_derived_risk_matches_the_float_closed_form_at_a_numeric_point():
    pb = rk.build_risk_problem(SIGMA3, CORR, (2, 2), noise_var=sp.Rational(1, 10))
    L = rk.derived_risk(pb).as_expr()
    rng = np.random.default_rng(3)
    P = rng.normal(size=(3, 3))
    w = rng.normal(size=4)
    sub = {pb.P[i, j]: P[i, j] for i in range(3) for j in range(3)}
    sub.update({pb.omega[i]: w[i] for i in range(4)})
    model = DataModel.create(
        np.array(SIGMA3.tolist(), dtype=float), np.array(CORR.tolist(), dtype=float), [2, 2], 0.1
    )
    assert float(L.xreplace(sub)) == pytest.approx(wpgd_risk(model, P, w), rel=1e-10)


@pytest.mark.parametrize("planted", [r1_two_sigma_sq_in_M, r1_two_sigma_sq_in_cross_term, r1_noise_dropped])
def test_r1_planted_errors_are_refuted_with_a_point(planted):
    rec = rs.r1_record(ctx_for(2, 3), closed_form=planted)
    assert rec.verdict is Verdict.REFUTED
    cex = rec.counterexample
    assert cex["point"] and cex["residual_at_point"] not in (None, "0")


def test_r1_refutes_at_a_non_diagonal_sigma_too():
    res = rk.prove_r1(rk.build_risk_problem(SIGMA3, CORR, (1, 1)), closed_form=r1_two_sigma_sq_in_M)
    assert not res.holds and res.point is not None


def test_r1_suite_mode_uses_documented_small_dims():
    rec = rs.r1_record(ctx_for(4, 12, explicit=False))
    assert rec.verdict is Verdict.PROVED
    labels = [c["label"] for c in rec.details["cases"]]
    assert labels == ["config restricted to d=3, n=4", "fixed non-diagonal rational Sigma and C"]


def test_r1_explicit_dims_over_the_limit_are_inconclusive():
    rec = rs.r1_record(ctx_for(5, 4))
    assert rec.verdict is Verdict.INCONCLUSIVE and "limited" in rec.summary


def test_exact_config_conversion_uses_decimal_values():
    cfg = build_model_config(
        {
            "d": 2,
            "n": 2,
            "noise_var": 0.1,
            "features": {"covariance": "diagonal", "eigenvalues": [0.5, 1.1]},
            "tasks": {"family": "star", "block_sizes": [1, 1], "rho": [0.2, 0.55]},
        }
    )
    assert rs.exact_sigma(cfg) == sp.diag(H, sp.Rational(11, 10))
    _, corr = rs.exact_block_corr(cfg)
    assert corr[0, 1] == sp.Rational(11, 100) and corr[1, 2] == sp.Rational(11, 20)


# ----------------------------------------------------------------------------- R2
def test_r2_proved():
    assert rs.r2_record(ctx_for(2, 3)).verdict is Verdict.PROVED


def test_r2_planted_wrong_scaling_is_refuted():
    rec = rs.r2_record(ctx_for(2, 2), w_power=2)
    assert rec.verdict is Verdict.REFUTED and rec.counterexample["point"]


def test_r2_planted_non_homogeneous_risk_is_refuted():
    def risk_plus_p_term(pb):
        return rk.derived_risk(pb) + pb.gen(pb.P[0, 0]) ** 2

    rec = rs.r2_record(ctx_for(2, 2), risk_fn=risk_plus_p_term)
    assert rec.verdict is Verdict.REFUTED


# ----------------------------------------------------------------------------- R3
def test_r3_proved_for_config_sigma():
    assert rs.r3_record(ctx_for(3, 4)).verdict is Verdict.PROVED


@pytest.mark.parametrize(
    "sigma", [SIGMA3, sp.Matrix(2, 2, lambda i, j: sp.Symbol(f"S{min(i, j)}{max(i, j)}"))]
)
def test_r3_proved_for_non_diagonal_and_symbolic_sigma(sigma):
    assert all(r.holds for r in rk.prove_r3(sigma))


def test_r3_planted_a_b_swap_is_refuted():
    def swapped(sig, rho, a, b):
        return rk.optimal_preconditioner_sym(sig, rho, b, a)

    rec = rs.r3_record(ctx_for(2, 3), preconditioner=swapped)
    assert rec.verdict is Verdict.REFUTED and rec.counterexample["point"]


def test_r3_planted_profile_error_is_refuted():
    def wrong_profile(sig, rho, a, b, s2):
        return rk.profile_risk_sym(sig, rho, a, b, s2) + rho**2 / (a + b)

    rec = rs.r3_record(ctx_for(2, 3), profile=wrong_profile)
    assert rec.verdict is Verdict.REFUTED


# ----------------------------------------------------------------------------- R4
def test_r4_stationarity_identity_proved():
    rec = rs.r4_record(ctx_for(2, 3))
    assert rec.verdict is Verdict.PROVED


@pytest.mark.parametrize("gamma", [lambda F1, F2, F3, s: 1 + s * F3 / F2, lambda F1, F2, F3, s: s * F2 / F3])
def test_r4_planted_gamma_errors_are_refuted(gamma):
    rec = rs.r4_record(ctx_for(2, 2), gamma=gamma)
    assert rec.verdict is Verdict.REFUTED and rec.counterexample["point"]


# ----------------------------------------------------------------------------- R5
def test_r5_proved_n3():
    rec = rs.r5_record(ctx_for(2, 3))
    assert rec.verdict is Verdict.PROVED


def test_r5_planted_d_instead_of_one_plus_d_is_refuted():
    def q_d(R, lam, s2, d):
        return R + (d + s2 / lam) * sp.eye(R.shape[0])

    rec = rs.r5_record(ctx_for(3, 2), q_matrix=q_d)
    assert rec.verdict is Verdict.REFUTED and rec.counterexample["point"]


def test_r5_explicit_n_over_the_limit_is_inconclusive():
    assert rs.r5_record(ctx_for(3, 4)).verdict is Verdict.INCONCLUSIVE


# ----------------------------------------------------------------------------- CLI
def test_cli_check_r1_d3_n4_json_is_proved():
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "glaverify.proofs_check.cli",
            "check",
            "R1",
            "--d",
            "3",
            "--n",
            "4",
            "--method",
            "symbolic",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["verdict"] == "proved"
    assert data["records"][0]["method"] == "symbolic"


@pytest.mark.parametrize(
    ("features", "tasks"),
    [
        (
            {"covariance": "full", "matrix": [[1.0, 0.3], [0.3, 0.5]]},
            {"family": "decay", "block_sizes": [1, 2], "rho": 0.7},
        ),
        ({"covariance": "identity", "scale": 1.5}, {"family": "iid"}),
        (
            {"covariance": "diagonal", "eigenvalues": [0.5, 2.0]},
            {
                "family": "custom",
                "block_sizes": [2, 1],
                "correlation": [[1, 0.2, 0.4], [0.2, 1, 0.5], [0.4, 0.5, 1]],
            },
        ),
    ],
)
def test_r1_and_r3_proved_for_every_config_family(features, tasks):
    cfg = build_model_config({"d": 2, "n": 3, "noise_var": 0.25, "features": features, "tasks": tasks})
    ctx = CheckContext(model_config=cfg, dims_explicit=True)
    assert rs.r1_record(ctx).verdict is Verdict.PROVED
    assert rs.r3_record(ctx).verdict is Verdict.PROVED


def test_floats_are_converted_exactly_never_kept_as_floats():
    assert rk.rational_matrix([[0.3, 0.1]]) == sp.Matrix([[sp.Rational(3, 10), sp.Rational(1, 10)]])
    assert rk.rational_matrix(sp.Matrix([[0.3]]))[0, 0] == sp.Rational(3, 10)
    with pytest.raises(ValueError, match="float"):
        rk.to_rational(sp.Symbol("t") * sp.Float(0.5))


def test_r4_identity_agrees_with_direct_differentiation_at_rational_points():
    """Independent of the chain-rule route: differentiate L*(w) directly in w and compare at exact points."""
    n, d = 3, 2
    R = rk.symmetric_unit_diag(n)
    w = list(sp.symbols(f"w1:{n + 1}"))
    r = list(sp.symbols(f"r1:{n + 1}"))
    lam = list(sp.symbols(f"lambda1:{d + 1}"))
    s2 = sp.Symbol("sigma2")
    s = sum(lam) + s2
    rho, a, b = rk.risk_coefficients_sym(w, R.tolist(), r, s)
    F = [sum(lk**p / (a * lk + b) ** q for lk in lam) for p, q in ((2, 1), (2, 2), (3, 2))]
    Lstar = s - rho**2 * F[0]
    gamma = rk.gamma_sym(F[0], F[1], F[2], s)
    rng = np.random.default_rng(7)
    syms = sorted(R.free_symbols, key=sp.default_sort_key) + w + r + lam + [s2]
    for _ in range(3):
        pt = {x: sp.Rational(int(rng.integers(1, 9)), int(rng.integers(1, 5))) for x in syms}
        for i in range(n):
            direct = sp.diff(Lstar, w[i]).xreplace(pt)
            claim = (
                2 * rho**2 * F[2] * (sum(R[i, j] * w[j] for j in range(n)) + gamma * w[i])
                - 2 * rho * F[0] * r[i]
            ).xreplace(pt)
            assert sp.nsimplify(direct - claim) == 0
