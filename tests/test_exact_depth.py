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


@pytest.mark.parametrize("name", ["star", "default", "custom"])
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
        return dataclasses.replace(w, P2=w.P2 * -1)  # sign of the second step flipped

    rec = checks.a7_exact(make_ctx(load_config("examples/star.toml").model, a7_witness_fn=flipped))
    assert rec.verdict is not Verdict.PROVED


# ------------------------------------------------------------------------ A7 across training seeds
def test_decide_depth_reads_intervals_across_seeds():
    from glaverify.numerics.training import decide_depth

    down = [{"from": 1, "to": 2, "low": -0.3, "high": -0.1}, {"from": 2, "to": 3, "low": -0.2, "high": -0.01}]
    assert decide_depth(down)[0] == "supported"
    flat = [down[0], {"from": 2, "to": 3, "low": -0.2, "high": 0.01}]  # a near-miss just above 0
    assert decide_depth(flat)[0] == "inconclusive"
    up = [down[0], {"from": 2, "to": 3, "low": 0.001, "high": 0.2}]  # flipped: deeper is worse
    assert decide_depth(up)[0] == "refuted"


def test_paired_intervals_bonferroni_and_pairing():
    import numpy as np
    from glaverify.numerics.training import SeedSweep

    risks = np.array([[2.0, 2.1, 1.9], [1.8, 1.9, 1.7], [1.8, 1.91, 1.69]])
    sw = SeedSweep("gla-delimiter", (1, 2, 3), (0, 1, 2), risks, 10, 100, 0.0)
    ivs = sw.paired_intervals(0.99)
    assert ivs[0]["mean_change"] == pytest.approx(-0.2) and ivs[0]["high"] < 0  # paired: zero spread
    assert ivs[1]["low"] < 0 < ivs[1]["high"] and ivs[0]["level"] == pytest.approx(0.995)


def test_ci_sized_seed_sweep_runs_and_records_its_budget(make_ctx):
    from glaverify.proofs_check.checks import gating as cgat

    m = cgat.star_model([2, 2], [0.3, 0.9], d=2, eigenvalues=[0.5, 2.0])
    rec = cgat.a7_seeds_record(make_ctx(), m, "training-seeds", (0, 1), steps=5, eval_prompts=500,
                               depths=(1, 2))
    assert rec.sample_size == 2 and "budget" in rec.details and rec.details["sweep"]["risks"]
    assert rec.verdict in (Verdict.SUPPORTED, Verdict.INCONCLUSIVE, Verdict.REFUTED)


def test_general_witness_agrees_with_the_matrix_route_and_beats_one_step():
    em = E.exact_model(load_config("examples/custom.toml").model)  # full Sigma
    w = ED.depth_witness_general(em, E.prove_r6(em))
    assert ED.per_example_risk_matrix(em, w) == w.risk and w.strictly_better
