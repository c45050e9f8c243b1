"""A7 decided exactly (theory/exact_depth.py, the A7 ``exact`` check): a two-step causal WPGD whose exact risk
is strictly below the proved one-step optimum; the closed form is checked against the Wick engine and the
matrix route, and planted errors are not proved."""

from __future__ import annotations

import dataclasses

import pytest
import sympy as sp
from flint import fmpq
from glaverify.numerics.config import load_config
from glaverify.proofs_check.checks import exact as checks
from glaverify.proofs_check.evidence import Verdict
from glaverify.theory import exact as E
from glaverify.theory import exact_depth as ED

Q = sp.Rational


def test_per_example_closed_form_equals_wick_pairings():
    """The risk of ŷ = Σ_k xᵀA_k x_k y_k derived from the model by Wick pairings (non-symmetric A_k, d = 2,
    n = 2, per-example task correlations) equals the closed form exactly."""
    sig = sp.Matrix([[Q(1, 2), Q(1, 5)], [Q(1, 5), 2]])
    C = sp.Matrix([[1, Q(1, 5), Q(1, 3)], [Q(1, 5), 1, Q(1, 2)], [Q(1, 3), Q(1, 2), 1]])
    A = [sp.Matrix([[1, 2], [0, 3]]) / 7, sp.Matrix([[2, -1], [1, 1]]) / 5]
    wick = ED.per_example_risk_wick(sig, C, Q(1, 10), A)
    closed = ED.per_example_risk_closed(sig, C[:2, :2], [C[0, 2], C[1, 2]], Q(1, 10), A)
    assert sp.simplify(wick - closed) == 0


def test_closed_form_with_a_wrong_coefficient_disagrees_with_wick():
    sig = sp.diag(Q(1, 2), 2)
    C = sp.Matrix([[1, Q(1, 5), Q(1, 3)], [Q(1, 5), 1, Q(1, 2)], [Q(1, 3), Q(1, 2), 1]])
    A = [sp.diag(Q(1, 3), Q(2, 7)), sp.diag(Q(1, 5), Q(1, 4))]
    wick = ED.per_example_risk_wick(sig, C, Q(1, 10), A)
    wrong = ED.per_example_risk_closed(sig, C[:2, :2], [C[0, 2], C[1, 2]], Q(1, 10), A) + sum(
        (sig * a.T * sig * a * sig).trace() for a in A)  # the "+ I" counted twice
    assert sp.simplify(wick - wrong) != 0


@pytest.mark.parametrize("name", ["star", "default"])
def test_depth_strictly_helps_exactly(make_ctx, name):
    rec = checks.a7_exact(make_ctx(load_config(f"examples/{name}.toml").model))
    assert rec.verdict is Verdict.PROVED, rec.summary
    assert rec.details["risk_matrix_route_equal"] and rec.details["construction_rel_error"] < 1e-10
    assert rec.details["witness"]["improvement_lower"] > 0


def test_span_formula_equals_matrix_route():
    em = E.exact_model(load_config("examples/star.toml").model)
    w = ED.depth_witness(em, E.prove_r6(em))
    assert ED.per_example_risk_matrix(em, w) == w.risk
    # a one-dimensional span reproduces the one-step risk, which cannot be below the proved optimum
    one, _ = ED.span_risk(em, [list(w.omega1)])
    assert not (one < w.one_step_risk_ball.lower())


def test_isotropic_model_is_not_claimed(make_ctx):
    rec = checks.a7_exact(make_ctx(load_config("examples/iid.toml").model))
    assert rec.verdict is Verdict.INCONCLUSIVE


def test_planted_wrong_witness_risk_is_caught(make_ctx):
    def lying(em, pr):
        w = ED.depth_witness(em, pr)
        return dataclasses.replace(w, risk=w.risk - fmpq(1, 10**6))

    rec = checks.a7_exact(make_ctx(load_config("examples/star.toml").model, a7_witness_fn=lying))
    assert rec.verdict is Verdict.INCONCLUSIVE and "tool error" in rec.summary


def test_planted_wrong_parameters_are_caught(make_ctx):
    def flipped(em, pr):
        w = ED.depth_witness(em, pr)
        return dataclasses.replace(w, P2=tuple(-x for x in w.P2))  # sign of the second step flipped

    rec = checks.a7_exact(make_ctx(load_config("examples/star.toml").model, a7_witness_fn=flipped))
    assert rec.verdict is not Verdict.PROVED
