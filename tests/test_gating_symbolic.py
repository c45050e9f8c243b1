"""Exact proofs for A1, A2, A5, A6 (theory.gating_symbolic), each with a planted error it must catch."""

from __future__ import annotations

import sympy as sp
from glaverify.theory import gating_symbolic as S


def test_a1_identities_hold_and_an_off_by_one_gate_product_is_caught():
    assert S.prove_a1(5).holds

    def off_by_one(gates):  # includes the example's own gate: ω_i = Π_{j≥i} g_j
        n = len(gates) - 1
        return [sp.Mul(*gates[i:]) for i in range(n)]

    res = S.prove_a1(4, weights_fn=off_by_one)
    assert not res.holds and res.details["failures"]


def test_a1_exact_constructions_with_zeros_and_rejections():
    g = S.construct_exact(["0", "0", "1/3", "1/2", "1"])
    assert g is not None and S.gate_products(g) == [0, 0, sp.Rational(1, 3), sp.Rational(1, 2), 1]
    assert S.construct_exact(["1/2", "1/3"]) is None
    assert S.construct_exact(["1/2", "3/2"]) is None


def test_a2_delimiter_products():
    assert S.prove_a2([2, 1, 3]).holds
    gates, pos = S.delimiter_token_gates([1, 2], sp.symbols("a b"))
    assert len(gates) == 3 + 2 + 1 and pos == [0, 2, 3]


def test_a5_curve_block_values_and_planted_wrong_formula():
    assert S.star_curve_block_values([1, 2]).holds
    assert S.star_curve_block_values([2, 1, 2]).holds
    # the brief's formula with n_k dropped from the denominator is wrong for n_k > 1: caught by the residual
    rho1, rho2, gam = sp.symbols("rho1 rho2 gamma", positive=True)
    R, r = S.star_R_r([1, 2], [rho1, rho2])
    wrong = sp.Matrix([rho1 / (1 - rho1**2 + gam), rho2 / (1 - rho2**2 + gam), rho2 / (1 - rho2**2 + gam)])
    resid = (R + gam * sp.eye(3)) * wrong - r
    assert any(sp.cancel(sp.together(x)) != 0 for x in resid)


def test_a5_equal_blocks_factorisation():
    res = S.prove_a5_equal_blocks(3)
    assert res.holds


def test_a5_exact_counterexample():
    res = S.a5_counterexample()
    assert not res.holds  # A5 fails here
    d = res.details
    assert d["u_star"] == ["466/3349", "418/3349"] and d["gap_positive"] and d["kkt_mu_nonnegative"]
    assert sp.Rational(d["delimiter_risk"]) - sp.Rational(d["wpgd_risk"]) == sp.Rational(d["gap"])
    # equal sizes: no counterexample at the same rho
    assert S.a5_counterexample(block_sizes=(2, 2)).holds


def test_a6_decoupling_and_eigenvector_case():
    assert S.prove_a6_decoupling(2, 2).holds
    assert S.a6_vector_advantage_zero_when_eigenvector().holds
