"""Third routes inside the fixed-dimension symbolic checks (docs/reliability.md, "Third routes inside the
symbolic checks"): a fault of our own derivation is a tool error, never a refutation; a genuinely wrong
formula is still refuted, with the point where the independent routes agree."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest
import sympy as sp
from glaverify.numerics.config import default_model_config
from glaverify.numerics.consistency import ToolError
from glaverify.proofs_check.checks import gla as cg
from glaverify.proofs_check.checks import literal_routes as lr
from glaverify.proofs_check.checks import risk_symbolic as rs
from glaverify.proofs_check.context import CheckContext
from glaverify.proofs_check.evidence import Verdict
from glaverify.proofs_check.runner import run_claim
from glaverify.theory import gla_symbolic as gs
from glaverify.theory import risk as rk

SIGMA = [[Fraction(2), Fraction(1), Fraction(0)], [Fraction(1), Fraction(2), Fraction(1, 2)],
         [Fraction(0), Fraction(1, 2), Fraction(1)]]
CORR = [[Fraction(1), Fraction(1, 10), Fraction(1, 2)], [Fraction(1, 10), Fraction(1), Fraction(3, 5)],
        [Fraction(1, 2), Fraction(3, 5), Fraction(1)]]


def ctx_small() -> CheckContext:
    return CheckContext(model_config=default_model_config(2, 3), dims_explicit=True)


def _point(seed: int = 1):
    rng = random.Random(seed)
    P = [[lr.random_rational(rng) for _ in range(3)] for _ in range(3)]
    w = [lr.random_rational(rng) for _ in range(4)]
    return P, w, Fraction(3, 7)


# ----------------------------------------------------------------------------- the literal routes
def test_isserlis_expectation_equals_the_claim_and_the_wick_derivation_at_a_point():
    P, w, s2 = _point()
    truth = lr.isserlis_risk(SIGMA, CORR, (2, 2), s2, P, w)
    assert truth == lr.literal_r1(SIGMA, CORR, (2, 2), s2, P, w)
    pb = rk.build_risk_problem(sp.Matrix(SIGMA), sp.Matrix(CORR), (2, 2))
    values = {str(pb.P[a, b]): P[a][b] for a in range(3) for b in range(3)}
    values.update({str(s): w[i] for i, s in enumerate(pb.omega)}, sigma2=s2)
    assert rs._eval_poly(rk.derived_risk(pb), values) == truth


def test_isserlis_moments_are_the_gaussian_moments():
    var = lambda a, b: Fraction(3) if a == b else Fraction(1)  # noqa: E731
    assert lr.isserlis_moment(var, (0, 0, 0, 0)) == 3 * 9  # E z^4 = 3 S^2
    assert lr.isserlis_moment(var, (0, 0, 1, 1)) == 9 + 2  # S_00 S_11 + 2 S_01^2
    assert lr.isserlis_moment(var, (0, 0, 0)) == 0


@pytest.mark.parametrize("planted", ["noise_twice", "cross_sigma", "a_without_identity"])
def test_literal_r1_differs_from_the_isserlis_truth_when_planted(planted):
    P, w, s2 = _point(2)
    truth = lr.isserlis_risk(SIGMA, CORR, (2, 2), s2, P, w)
    if planted == "noise_twice":
        wrong = lr.literal_r1(SIGMA, CORR, (2, 2), 2 * s2, P, w) - s2
    elif planted == "cross_sigma":
        wrong = lr.literal_r1([[2 * v for v in row] for row in SIGMA], CORR, (2, 2), s2, P, w)
    else:
        wrong = lr.literal_r1(SIGMA, [[v - (1 if i == j else 0) for j, v in enumerate(row)]
                                      for i, row in enumerate(CORR)], (2, 2), s2, P, w)
    assert wrong != truth


@pytest.mark.parametrize("shape", ["scalar", "key", "value"])
def test_literal_gla_equals_literal_wpgd_and_the_symbolic_routes(shape):
    rng = random.Random(5)
    for L in (1, 2):
        route = cg.gla_third_route("G3", shape, L, 2, 3, rng, gs.gla_predict_symbolic, gs.gate_product)
        assert route.decision == "agree", route.describe()
    one = lr.random_gla_point(random.Random(6), 2, 3, 1, shape)
    if shape == "scalar":
        assert lr.literal_gla(one) == lr.literal_wpgd1(one) == lr.literal_causal_wpgd(one)
    if shape == "key":
        assert lr.literal_gla(one) == lr.literal_coordinate_wpgd1(one)


def test_literal_gla_catches_a_read_before_write_recurrence():
    # at L = 1 the query's own write is v = 0, so reading first changes nothing: the error shows from L = 2
    pt = lr.random_gla_point(random.Random(7), 2, 3, 2, "scalar")
    prompt, Qs, gate_fn = cg._sym_point(pt)

    def read_first(zs, W, gates, shape):
        Wq, Wk, Wv = W
        S, outs = sp.zeros(Wv.shape[0], Wk.shape[0]), []
        for z, g in zip(zs, gates, strict=True):
            S = g * S
            outs.append(S * (Wq * z))
            S = S + (Wv * z) * (Wk * z).T
        return outs

    wrong = gs.gla_predict_symbolic(prompt, Qs, gate_fn, "scalar", layer_fn=read_first)
    assert lr.to_fraction(sp.sympify(wrong)) != lr.literal_gla(pt)


# ----------------------------------------------------------------------------- R1: blame
def test_r1_our_closed_form_code_wrong_is_a_tool_error_not_a_refutation(monkeypatch):
    orig = rk.risk_coefficients_sym

    def a_without_identity(omega, R, r, s):  # the +I of a(ω) forgotten (mutation sym-a-drops-identity)
        rw, _a, b = orig(omega, R, r, s)
        return rw, rk.quad(omega, R, omega), b

    monkeypatch.setattr(rk, "risk_coefficients_sym", a_without_identity)
    with pytest.raises(ToolError, match="symbolic closed form"):
        rs.r1_record(ctx_small())


def test_r1_our_wick_derivation_wrong_is_a_tool_error_not_a_refutation(monkeypatch):
    orig = rk.derived_risk

    def derivation_off(pb, method="pairwise"):  # a wrong moment: one extra sigma^2 in the derived risk
        return orig(pb, method) + pb.gen(pb.noise_var)

    monkeypatch.setattr(rk, "derived_risk", derivation_off)
    with pytest.raises(ToolError, match="Wick-derived risk"):
        rs.r1_record(ctx_small())
    res = run_claim("R1", ctx_small(), method="symbolic")  # through the runner: a tool error, not refuted
    assert res.verdict is Verdict.INCONCLUSIVE and res.tool_errors and "refuted" not in res.status.text


def test_r1_planted_formula_is_still_refuted_with_the_third_route_recorded():
    def r1_noise_dropped(sigma, P, omega, R, r, nv):
        s = rk.trace(sigma)
        rw, a, b = rk.risk_coefficients_sym(omega, R, r, s)
        return rk.wpgd_risk_from_coefficients(sigma, P, rw, a, b, 0)

    rec = rs.r1_record(ctx_small(), closed_form=r1_noise_dropped)
    assert rec.verdict is Verdict.REFUTED
    route = rec.counterexample["case"]["third_route"]
    assert route["decision"] == "refutes" and route["truth_side"] != route["claim_side"]
    assert route["values"]["wick_derived_risk"]["ours"] == route["values"]["wick_derived_risk"]["literal"]


def test_r1_proved_record_names_its_third_route():
    rec = rs.r1_record(ctx_small())
    assert rec.verdict is Verdict.PROVED and "Isserlis" in rec.details["third_route"]
    assert rec.details["cases"][0]["third_route"]["decision"] == "agree"


# ----------------------------------------------------------------------------- G1/G3: blame
def test_g_our_gate_product_off_by_one_is_a_tool_error(monkeypatch, make_ctx):
    def early(gates, j, i, shape="scalar"):  # Π_{k=j}^{i} (mutation sym-gate-product-offbyone)
        if shape == "scalar":
            return sp.Mul(*gates[j:i + 1])
        return [sp.Mul(*[gates[k][m] for k in range(j, i + 1)]) for m in range(len(gates[0]))]

    monkeypatch.setattr(gs, "gate_product", early)
    for claim in ("G1", "G3"):
        with pytest.raises(ToolError, match="WPGD predictor"):
            cg.check_symbolic(make_ctx(), claim)


def test_g_our_recurrence_reading_before_writing_is_a_tool_error(monkeypatch, make_ctx):
    orig = gs.gla_predict_symbolic

    def read_first(zs, W, gates, shape):
        Wq, Wk, Wv = W
        S, outs = sp.zeros(Wv.shape[0], Wk.shape[0]), []
        for z, g in zip(zs, gates, strict=True):
            S = g * S if shape == "scalar" else S * sp.diag(*g) if shape == "key" else sp.diag(*g) * S
            outs.append(S * (Wq * z))
            S = S + (Wv * z) * (Wk * z).T
        return outs

    monkeypatch.setattr(gs, "gla_predict_symbolic",
                        lambda *a, **k: orig(*a, **{**k, "layer_fn": read_first}))
    with pytest.raises(ToolError, match="GLA recurrence"):
        cg.check_symbolic(make_ctx(), "G3")
    res = run_claim("G3", make_ctx(), method="symbolic")
    assert res.tool_errors and "refuted" not in res.status.text


def test_g_planted_claim_is_refuted_with_the_literal_values(make_ctx):
    def own_gate(gates, j, i, shape):  # Π_{k=j}^{i} planted as the claim under test
        return gs.gate_product(gates, j - 1, i, shape)

    ev = cg.check_symbolic(make_ctx(), "G1", weights_fn=own_gate)
    assert ev.verdict is Verdict.REFUTED
    route = ev.counterexample["third_route"]
    assert route["decision"] == "refutes" and "symbolic_gla" in route["values"]
