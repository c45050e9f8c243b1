"""G1–G4 symbolically (sympy): exact identities for small dims, and planted errors that make them fail."""

from __future__ import annotations

from functools import partial

import pytest
import sympy as sp
from glaverify.numerics.config import default_model_config
from glaverify.proofs_check.checks import gla as cg
from glaverify.proofs_check.evidence import Verdict
from glaverify.theory import gla_symbolic as gs


def test_g1_g2_one_layer_identities_are_exact():
    assert gs.prove_g1().is_zero and gs.prove_g1(gates="function").is_zero
    assert gs.prove_g2().is_zero and gs.prove_g2(gates="function").is_zero


@pytest.mark.parametrize("shape", ["scalar", "key", "value"])
def test_g3_two_layers_with_data_dependent_gates(shape):
    r = gs.prove_g3(2, 3, 2, shape, "function")
    assert r.is_zero, r.difference


def test_g2_reduces_to_g1_when_every_key_gate_is_a_constant_vector():
    pr = gs.symbolic_prompt(2, 2)
    Q = gs.symbolic_Q(2, 1)

    def const_vec(layer, i, z):
        return [sp.Symbol(f"g{i}")] * 3

    key = gs.gla_predict_symbolic(pr, [Q], const_vec, "key")
    scalar = gs.gla_predict_symbolic(pr, [Q], lambda layer, i, z: sp.Symbol(f"g{i}"), "scalar")
    assert sp.expand(key - scalar) == 0


def test_g4_one_step_causal_equals_full_context_for_any_weights():
    assert gs.causal_minus_full(2, 3, 1, general_weights=True).is_zero


def test_g4_two_steps_differ_by_a_nonzero_polynomial():
    r = gs.causal_minus_full(2, 3, 2)
    assert not r.is_zero and r.terms > 0
    wit = gs.nonzero_witness(r.difference)
    assert wit is not None
    gates = {k: sp.Rational(v) for k, v in wit["point"].items() if k.startswith("g")}
    assert all(0 < g <= 1 for g in gates.values())
    # re-evaluating at the witness gives the same nonzero value (exact arithmetic)
    point = {sp.Symbol(k, real=True): sp.Rational(v) for k, v in wit["point"].items()}
    point.update({sp.Symbol(k, positive=True): sp.Rational(v)
                  for k, v in wit["point"].items() if k[0] == "g"})
    assert r.difference.subs(point) == sp.Rational(wit["value"]) != 0


def test_symbolic_checks_prove_in_the_suite(make_ctx):
    for fn in (cg.g1_symbolic, cg.g2_symbolic, cg.g3_symbolic, cg.g4_symbolic):
        ev = fn(make_ctx())
        assert ev.verdict is Verdict.PROVED, ev.summary
        assert ev.dims["d"] == 2 and ev.dims["n"] == 3
    assert "L2_difference_d1_n2" in cg.g4_symbolic(make_ctx()).details


def test_symbolic_check_refuses_explicit_dims_beyond_its_limit(make_ctx):
    ev = cg.g1_symbolic(make_ctx(default_model_config(4, 12), dims_explicit=True))
    assert ev.verdict is Verdict.INCONCLUSIVE and "limited" in ev.summary
    ev = cg.g1_symbolic(make_ctx(default_model_config(3, 4), dims_explicit=True))
    assert ev.verdict is Verdict.PROVED and ev.dims["d"] == 3


# ---------------------------------------------------------------------------------------- planted errors
def _own_gate_included(gates, j, i, shape):  # Π_{k=j}^{i}: the example's own gate wrongly included
    return gs.gate_product(gates, j - 1, i, shape)


def _query_gate_left_out(gates, j, i, shape):  # stops at the token before the query
    last = len(gates) - 1
    return gs.gate_product(gates, j, i - 1 if i == last else i, shape)


@pytest.mark.parametrize("claim", ["G1", "G2", "G3"])
@pytest.mark.parametrize("weights_fn", [_own_gate_included, _query_gate_left_out])
def test_planted_wrong_gate_products_are_refuted(make_ctx, claim, weights_fn):
    ev = cg.check_symbolic(make_ctx(), claim, weights_fn=weights_fn)
    assert ev.verdict is Verdict.REFUTED
    assert ev.counterexample["terms"] > 0 and ev.counterexample["witness"] is not None


def test_planted_causal_sum_stopping_one_token_early_is_refuted(make_ctx):
    def early(gates, j, i, shape):  # the own term j = i dropped
        if j == i:
            return 0 if shape == "scalar" else [0] * len(gates[0])
        return gs.gate_product(gates, j, i, shape)

    assert cg.check_symbolic(make_ctx(), "G3", weights_fn=early).verdict is Verdict.REFUTED
    assert cg.check_symbolic(make_ctx(), "G3", include_query=False).verdict is Verdict.REFUTED


def test_planted_residual_with_wrong_sign_is_refuted(make_ctx):
    def negated(zs, W, gates, shape):
        return [-o for o in gs.gla_layer_symbolic(zs, W, gates, shape)]

    gla_fn = partial(gs.gla_predict_symbolic, layer_fn=negated)
    for claim in ("G1", "G3"):
        assert cg.check_symbolic(make_ctx(), claim, gla_fn=gla_fn).verdict is Verdict.REFUTED


def test_planted_key_gates_along_the_value_dimension_are_refuted(make_ctx):
    def transposed(zs, W, gates, shape):
        return gs.gla_layer_symbolic(zs, W, gates, "value" if shape == "key" else shape)

    gla_fn = partial(gs.gla_predict_symbolic, layer_fn=transposed)
    assert cg.check_symbolic(make_ctx(), "G2", gla_fn=gla_fn).verdict is Verdict.REFUTED


def test_planted_g4_errors_are_refuted(make_ctx):
    # full-context weights that leave out the query's gate: L = 1 no longer coincides
    def wrong_full(d, n, L, general=False):
        return gs.causal_minus_full(d, n, L, False, full_weights_fn=_query_gate_left_out)

    ev = cg.check_g4_symbolic(make_ctx(), causal_minus_full=wrong_full)
    assert ev.verdict is Verdict.REFUTED and ev.counterexample["witness"] is not None

    # a difference function that is identically zero cannot exhibit the L >= 2 gap
    def always_zero(d, n, L, general=False):
        return gs._result("G4", {"d": d, "n": n, "L": L}, sp.Integer(0))

    assert cg.check_g4_symbolic(make_ctx(), causal_minus_full=always_zero).verdict is Verdict.REFUTED
