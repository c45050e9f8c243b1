"""A6: the key-gated (G2) risk formula is derived from the data model (Wick), and the A2/A6 verifiers catch
planted errors: a wrong symbolic vector-gated risk, a wrong float ``vector_gate_risk``, an off-by-one gate
product."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from glaverify.numerics import gating as G
from glaverify.numerics.model import DataModel
from glaverify.proofs_check.checks import gating as C
from glaverify.proofs_check.checks import risk_symbolic as RS
from glaverify.proofs_check.evidence import Verdict
from glaverify.theory import gating_symbolic as S
from glaverify.theory import risk as rk

H = sp.Rational(1, 2)
SIGMA_DIAG = sp.diag(H, 2)
CORR_DIAG = sp.Matrix(
    [[1, sp.Rational(3, 10), H], [sp.Rational(3, 10), 1, sp.Rational(9, 10)], [H, sp.Rational(9, 10), 1]]
)
SIGMA_FULL = RS.FIXED_SIGMA[:2, :2]  # [[2, 1], [1, 2]]: non-diagonal
CORR_FULL = RS.FIXED_BLOCK_CORR


# ------------------------------------------------------------------------------ planted symbolic formulas
def risk_without_noise_in_M(sigma, P, Gam, R, r, nv):
    """Planted: σ² dropped from s inside M (Γ_i (Σ² + tr Σ · Σ) Γ_i); the leading σ² is kept."""
    s = sigma.trace() + nv
    Hm, M = S.vector_gate_hm(sigma, Gam, R, r, sigma.trace())
    return s - 2 * (P * Hm).trace() + (P.T * sigma * P * M).trace()


def risk_two_sigma_sq(sigma, P, Gam, R, r, nv):
    """Planted: 2Σ² instead of Σ² in the diagonal term of M."""
    s = sigma.trace() + nv
    Hm, M = S.vector_gate_hm(sigma, Gam, R, r, s)
    for i in range(Gam.shape[0]):
        Gi = sp.diag(*Gam.row(i))
        M += Gi * sigma * sigma * Gi
    return s - 2 * (P * Hm).trace() + (P.T * sigma * P * M).trace()


# ------------------------------------------------------------------------------ planted float risks
def float_risk(model: DataModel, P, Gamma, sig2_factor: float = 1.0, noise: bool = True):
    """``vector_gate_risk`` re-typed with switches for planted errors (defaults = the correct formula)."""
    Gm = np.asarray(Gamma, dtype=np.float64)
    sig = model.sigma
    sig2 = sig @ sig
    s_in_m = model.s if noise else float(np.trace(sig))
    Hm = np.einsum("i,im,mk->mk", model.r, Gm, sig2)
    RG = model.R @ Gm
    M = np.einsum("im,mk,ik->mk", Gm, sig2, RG) + np.einsum(
        "im,mk,ik->mk", Gm, sig2_factor * sig2 + s_in_m * sig, Gm
    )
    return float(model.s - 2 * np.trace(P @ Hm) + np.trace(P.T @ sig @ P @ M))


def drop_noise(m, P, Gm):
    return float_risk(m, P, Gm, noise=False)


def two_sigma_sq(m, P, Gm):
    return float_risk(m, P, Gm, sig2_factor=2.0)


def averaged_weights(m, P, Gm):
    """Planted: per-coordinate weights replaced by their mean (the R1 risk): right for constant γ_i, wrong
    otherwise, so only the optimum-value check can catch it."""
    from glaverify.numerics.closed_forms import wpgd_risk

    return wpgd_risk(m, P, np.asarray(Gm).mean(axis=1))


# ------------------------------------------------------------------------------ the derivation
@pytest.mark.parametrize(
    "sigma, corr, sizes",
    [(SIGMA_DIAG, CORR_DIAG, (1, 1)), (SIGMA_DIAG, CORR_DIAG, (2, 1)), (SIGMA_FULL, CORR_FULL, (2, 1))],
)
def test_g2_risk_derived_by_wick_equals_the_hand_typed_formula_and_the_float_one(sigma, corr, sizes):
    num = C._float_risk_on(sigma, corr, list(sizes), G.vector_gate_risk)
    res = S.prove_a6_risk(sigma, corr, sizes, numeric=num)
    assert res.holds and res.details["identity_holds"] and res.details["residual_terms"] == 0
    assert res.details["numeric"]["ok"] and res.details["numeric"]["abs_error"] < 1e-12
    assert res.details["derived_terms"] > 0


def test_the_switchable_float_copy_is_correct_with_default_switches():
    num = C._float_risk_on(SIGMA_FULL, CORR_FULL, [2, 1], float_risk)
    assert S.prove_a6_risk(SIGMA_FULL, CORR_FULL, (2, 1), numeric=num).holds


def test_g2_derivation_reduces_to_the_derived_r1_risk_for_constant_weights():
    pb = rk.build_risk_problem(SIGMA_FULL, CORR_FULL, (2, 1), coordinate_weights=True)
    derived = rk.derived_coordinate_weighted_risk(pb).as_expr()
    const = {pb.gamma[i][a]: pb.omega[i] for i in range(pb.n) for a in range(pb.d)}
    scalar = rk.derived_risk(rk.build_risk_problem(SIGMA_FULL, CORR_FULL, (2, 1))).as_expr()
    assert sp.expand(derived.xreplace(const) - scalar) == 0


def test_the_terms_need_declared_weights():
    with pytest.raises(ValueError, match="coordinate_weights"):
        rk.coordinate_weighted_terms(rk.build_risk_problem(SIGMA_DIAG, CORR_DIAG, (1, 1)))


@pytest.mark.parametrize("wrong", [risk_without_noise_in_M, risk_two_sigma_sq])
def test_derivation_catches_a_wrong_vector_gated_formula(wrong):
    res = S.prove_a6_risk(SIGMA_DIAG, CORR_DIAG, (2, 1), risk=wrong)
    assert not res.holds and not res.details["identity_holds"]
    assert res.details["point"] and res.details["residual_at_point"] not in (None, "0")


@pytest.mark.parametrize("wrong", [risk_without_noise_in_M, risk_two_sigma_sq])
def test_a6_symbolic_check_refutes_a_planted_formula(make_ctx, wrong):
    ev = C.a6_symbolic(make_ctx(a6_vector_risk_form=wrong))
    assert ev.verdict is Verdict.REFUTED and ev.scope == "partial"
    assert ev.counterexample["point"] and not ev.counterexample["identity_holds"]


def test_a6_symbolic_check_proves_and_refutes_a_planted_float_risk(make_ctx):
    ev = C.a6_symbolic(make_ctx())
    assert ev.verdict is Verdict.PROVED and ev.scope == "partial"
    assert len(ev.details["derivations"]) == 3 and all(d["identity_holds"] for d in ev.details["derivations"])
    ev = C.a6_symbolic(make_ctx(a6_vector_risk=drop_noise))
    assert ev.verdict is Verdict.REFUTED and ev.counterexample["identity_holds"]
    assert not ev.counterexample["numeric"]["ok"]


# ------------------------------------------------------------------------------ A6 certified
@pytest.mark.parametrize(
    "wrong, which",
    [(drop_noise, "scalar reduction"), (two_sigma_sq, "scalar reduction"), (averaged_weights, "optimum")],
)
def test_a6_certified_catches_a_wrong_vector_gate_risk(make_ctx, wrong, which):
    ev = C.a6_certified(make_ctx(a6_vector_risk=wrong))
    assert ev.verdict is Verdict.REFUTED
    assert ev.counterexample["check"].startswith(which)
    assert abs(ev.counterexample["got"] - ev.counterexample["expected"]) > ev.tolerance


def test_a6_certified_accepts_the_correct_copy(make_ctx):
    ev = C.a6_certified(make_ctx(a6_vector_risk=float_risk))
    assert ev.verdict is Verdict.CERTIFIED
    assert ev.residuals["scalar_reduction_abs_diff"] < 1e-9 and ev.residuals["optimum_value_abs_diff"] < 1e-9


# ------------------------------------------------------------------------------ A2 off-by-one
def skip_next_gate(gates):
    """Planted off-by-one: ω_i = Π_{j=i+2}^{T+1} g_j (the next token's gate is skipped)."""
    return [sp.Mul(*gates[i + 2 :]) for i in range(len(gates) - 1)]


def test_a2_symbolic_catches_an_off_by_one_gate_product(make_ctx):
    assert S.prove_a2([2, 1, 3]).holds
    res = S.prove_a2([2, 1, 3], weights_fn=skip_next_gate)
    assert not res.holds and res.details["failures"]
    ev = C.a2_symbolic(make_ctx(a2_weights_fn=skip_next_gate))
    assert ev.verdict is Verdict.REFUTED and ev.counterexample["failures"]
    assert C.a2_symbolic(make_ctx()).verdict is Verdict.PROVED
