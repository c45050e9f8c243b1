"""A7 for gated linear attention, exactly (theory/exact_depth_gla.py, the A7 ``exact-gla`` check): the exact
risk of a two-layer delimiter-gated GLA equals Wick pairings of the literal two-step recurrence; the check
proves a gate-realisable two-layer GLA below the proved one-step optimum, and planted errors (a wrong gate
product, a transposed preconditioner in the predictor, a rounded one-step optimum just above the optimum)
are never proved."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sympy as sp
from flint import fmpq, fmpq_mat
from glaverify.numerics.config import build_model_config, load_config
from glaverify.proofs_check.checks import exact as checks
from glaverify.proofs_check.evidence import Verdict, claim_status
from glaverify.theory import exact as E
from glaverify.theory import exact_depth_gla as EDG

Q = sp.Rational


def _tiny(full: bool = False):
    """d = 2, blocks [1, 2] (star) or a full Σ with a custom correlation, blocks [2, 1]."""
    if full:
        cfg = build_model_config({
            "d": 2, "n": 3, "noise_var": 0.5,
            "features": {"covariance": "full", "matrix": [[1.5, 0.4], [0.4, 0.75]]},
            "tasks": {"family": "custom", "block_sizes": [2, 1],
                      "correlation": [[1.0, -0.3, 0.5], [-0.3, 1.0, 0.6], [0.5, 0.6, 1.0]]}})
    else:
        cfg = build_model_config({
            "d": 2, "n": 3, "noise_var": 0.25,
            "features": {"covariance": "diagonal", "eigenvalues": [0.5, 2.0]},
            "tasks": {"family": "star", "block_sizes": [1, 2], "rho": [0.3, 0.8]}})
    return cfg, E.exact_model(cfg)


def _wick(em: E.ExactModel, p: EDG.GLAParams) -> sp.Rational:
    """The Wick route at the model: per-example (n+1)×(n+1) task correlation built from the block one."""
    K, n = em.K, em.n
    bm = em.block_corr()
    b = [k for k, nk in enumerate(em.block_sizes) for _ in range(nk)] + [K]
    C = sp.Matrix(n + 1, n + 1, lambda i, j: Q(str(bm[b[i], b[j]])))
    S = sp.Matrix(em.d, em.d, lambda i, j: Q(str(em.sigma[i, j])))

    def m(M: fmpq_mat) -> sp.Matrix:
        return sp.Matrix([[Q(str(x)) for x in row] for row in M.tolist()])

    return sp.nsimplify(EDG.two_layer_risk_wick(S, C, Q(str(em.noise_var)), list(em.block_sizes), m(p.P1),
                                                m(p.P2), [Q(str(x)) for x in p.delta1],
                                                [Q(str(x)) for x in p.delta2]))


def _params(d1, d2) -> EDG.GLAParams:
    P1 = fmpq_mat([[fmpq(1, 3), fmpq(1, 7)], [fmpq(-1, 5), fmpq(1, 2)]])  # non-symmetric on purpose
    P2 = fmpq_mat([[fmpq(1, 4), fmpq(-1, 9)], [fmpq(1, 6), fmpq(2, 5)]])
    return EDG.GLAParams(P1, P2, tuple(fmpq(*x) for x in d1), tuple(fmpq(*x) for x in d2))


@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("gates", [((2, 3), (1, 2), (3, 4), (4, 5)), ((0, 1), (1, 1), (1, 1), (0, 1))])
def test_exact_two_layer_risk_equals_wick_pairings(full, gates):
    """Two independent routes at d = 2, n = 3: the chain-moment formula (fmpq) and Isserlis/Wick pairings of
    the literal two-step causal recurrence with gate-product weights (sympy); non-symmetric P's, diagonal
    and full Σ, gates inside (0, 1) and exactly 0 and 1."""
    _, em = _tiny(full)
    p = _params(gates[:2], gates[2:])
    exact = EDG.two_layer_risk(em, p)
    assert Q(int(exact.p), int(exact.q)) == _wick(em, p)
    assert float(EDG.two_layer_risk(em, _torch(p), exact=False)) == pytest.approx(E.qfloat(exact), rel=1e-12)


def _torch(p: EDG.GLAParams) -> EDG.GLAParams:
    import torch

    def t(M):
        return torch.tensor([[E.qfloat(x) for x in row] for row in M.tolist()], dtype=torch.float64)

    def g(v):
        return tuple(torch.tensor(E.qfloat(x), dtype=torch.float64) for x in v)

    return EDG.GLAParams(t(p.P1), t(p.P2), g(p.delta1), g(p.delta2))


def _wrong_gate_weights(delta1, delta2, blocks, one):
    """Planted: the step-1 product includes the delimiter of the later example's own block."""
    gw = EDG._ORIG_GATE_WEIGHTS(delta1, delta2, blocks, one)
    b, n = gw["blocks"], len(gw["blocks"])
    c = [[gw["w"][j] * _prod(delta1, b[i], b[j] + 1, one) if j >= i else one * 0 for j in range(n)]
         for i in range(n)]
    return {**gw, "c": c}


def _prod(ds, lo, hi, one):
    out = one
    for m in range(lo, min(hi, len(ds))):
        out = out * ds[m]
    return out


def test_planted_wrong_gate_product_disagrees_with_wick(monkeypatch):
    _, em = _tiny()
    p = _params(((2, 3), (1, 2)), ((3, 4), (4, 5)))
    monkeypatch.setattr(EDG, "_ORIG_GATE_WEIGHTS", EDG.gate_weights, raising=False)
    monkeypatch.setattr(EDG, "gate_weights", _wrong_gate_weights)
    wrong = EDG.two_layer_risk(em, p)
    monkeypatch.undo()
    assert Q(int(wrong.p), int(wrong.q)) != _wick(em, p)


def test_control_value_is_the_wick_value_and_a_wrong_formula_fails_it(monkeypatch):
    """The check's planted control: its stored answer is the Wick route's, and a formula that drops the
    transposes (invisible for the diagonal P of the shipped witnesses) fails it."""
    from glaverify.numerics.config import build_model_config

    em = E.exact_model(build_model_config(EDG.CONTROL_CONFIG))
    assert Q(int(EDG.CONTROL_RISK.p), int(EDG.CONTROL_RISK.q)) == _wick(em, EDG.control_params())
    assert EDG.control()["ok"]
    orig = EDG.chain_moment

    def no_transpose(ops, sigma, labels, Bs):
        return orig(ops, sigma, labels, [ops.T(b) for b in Bs])

    monkeypatch.setattr(EDG, "chain_moment", no_transpose)
    assert not EDG.control()["ok"]


def test_chain_moment_matches_the_fourth_moment_formula():
    """E[X A X] = Σ(A + Aᵀ)Σ + tr(AΣ)Σ (the identity R1 uses), and independent labels factorise."""
    S = fmpq_mat([[2, fmpq(1, 2)], [fmpq(1, 2), 1]])
    A = fmpq_mat([[1, 2], [0, 3]])
    got = EDG.chain_moment(EDG.ExactOps, S, (0, 0), [A])
    want = S * (A + A.transpose()) * S + S * EDG.ExactOps.tr(A * S)
    assert got == want
    assert EDG.chain_moment(EDG.ExactOps, S, (0, 1), [A]) == S * A * S


def test_predictor_formula_matches_the_gla_forward_pass():
    """``predict_float`` (what the risk integrates) against the torch GLA of numerics.gla (construction
    layers, direct delimiter gates, delimiter tokens), non-symmetric P's."""
    import torch
    from glaverify.numerics.gla import DelimiterGate, wpgd_to_gla
    from glaverify.numerics.model import DataModel
    from glaverify.numerics.sampler import sample_prompts
    from glaverify.numerics.training import delimiter_tokens

    cfg, em = _tiny(full=True)
    model = DataModel.from_config(cfg)
    rng = np.random.default_rng(0)
    P1, P2 = rng.normal(size=(2, 2)) * 0.3, rng.normal(size=(2, 2)) * 0.3
    d1, d2 = [0.6, 0.0], [0.9, 1.0]
    gates = [DelimiterGate(3, param="direct", num_delimiters=2, init=torch.tensor(v, dtype=torch.float64))
             for v in (d1, d2)]
    net = wpgd_to_gla([P1.T, P2.T], gates, 2, extra=1)
    pr = sample_prompts(model, 16, rng)
    t = torch.as_tensor
    z = delimiter_tokens(model, t(pr.X), t(pr.y), t(pr.x_query))
    with torch.no_grad():
        gla = net.predict(z).numpy()
    np.testing.assert_allclose(EDG.predict_float(pr.X, pr.y, pr.x_query, [2, 1], P1, P2, d1, d2), gla,
                               rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------------------------------ the check
@pytest.mark.parametrize("name", ["default", "star"])
def test_gla_depth_witness_is_proved_below_the_one_step_optimum(make_ctx, name):
    cfg = load_config(f"examples/{name}.toml").model if name != "default" else None
    rec = checks.a7_exact_gla(make_ctx(cfg))
    assert rec.verdict is Verdict.PROVED, rec.summary
    assert rec.scope == "partial" and rec.method == "exact-gla"
    w = rec.details["witness"]
    assert w["improvement_lower"] > 0 and rec.details["construction_rel_error"] < 1e-10
    assert rec.details["risk_recomputed_equal"] and rec.details["monte_carlo_deviation_in_std_err"] < 3.9
    assert all(0 <= float(fmpq(*map(int, g.split("/"))) if "/" in g else int(g)) <= 1
               for g in w["delimiter_gates_layer1"] + w["delimiter_gates_layer2"])


def test_planted_wrong_gate_in_the_risk_is_a_tool_error(make_ctx, monkeypatch):
    """The exact risk computed with a wrong gate product (own block's delimiter included in step 1): the
    witness is searched and evaluated with it; the planted control fails, so the record is a tool error,
    never proved."""
    monkeypatch.setattr(EDG, "_ORIG_GATE_WEIGHTS", EDG.gate_weights, raising=False)
    monkeypatch.setattr(EDG, "gate_weights", _wrong_gate_weights)
    rec = checks.a7_exact_gla(make_ctx(None))
    assert rec.verdict is Verdict.INCONCLUSIVE and rec.tool_error, rec.summary
    assert not rec.details["control"]["ok"]


def test_risk_wrong_only_at_the_model_is_caught_by_monte_carlo(make_ctx):
    """A risk formula that passes the control but is off by 0.2 at the model (≈ 5 standard errors of the
    20 000-prompt Monte Carlo on the default model): the Monte Carlo guard makes it a tool error."""
    def risk_fn(em, p, exact=True):
        return EDG.two_layer_risk(em, p, exact) + (fmpq(1, 5) if em.n > 3 else 0)

    def witness(em, pr):
        w = EDG.gla_depth_witness(em, pr)
        return dataclasses.replace(w, risk=risk_fn(em, w.params))

    rec = checks.a7_exact_gla(make_ctx(None, a7_gla_witness_fn=witness, a7_gla_risk_fn=risk_fn))
    assert rec.details["control"]["ok"]
    assert rec.verdict is Verdict.INCONCLUSIVE and rec.tool_error, rec.summary
    assert "Monte Carlo" in rec.summary


def test_witness_with_a_changed_gate_but_its_old_risk_is_a_tool_error(make_ctx):
    """A wrong gate in the witness: its parameters no longer have the risk it claims (recomputed exactly)."""
    def witness(em, pr):
        w = EDG.gla_depth_witness(em, pr)
        d2 = (w.params.delta2[0] * fmpq(1, 2),) + tuple(w.params.delta2[1:])
        return dataclasses.replace(w, params=dataclasses.replace(w.params, delta2=d2))

    rec = checks.a7_exact_gla(make_ctx(None, a7_gla_witness_fn=witness))
    assert rec.verdict is Verdict.INCONCLUSIVE and rec.tool_error, rec.summary
    assert not rec.details["risk_recomputed_equal"]


def test_planted_transposed_preconditioner_in_the_predictor_is_a_tool_error(make_ctx, monkeypatch):
    """The bug this module once had: the examples' residuals read xᵀP_1ᵀh. The GLA forward pass disagrees
    (full Σ, non-symmetric P's found by the search)."""
    orig = EDG.predict_float

    def transposed(X, y, x, blocks, P1, P2, d1, d2):
        return orig(X, y, x, blocks, P1.T, P2, d1, d2)

    monkeypatch.setattr(EDG, "predict_float", transposed)
    rec = checks.a7_exact_gla(make_ctx(load_config("examples/custom.toml").model))
    assert rec.verdict is Verdict.INCONCLUSIVE and rec.tool_error, rec.summary
    assert rec.details["construction_rel_error"] > checks.A7_GLA_CONSTRUCTION_TOL


def _one_step_as_two_layers(em: E.ExactModel, pr: E.R6Proof, digits: int = 10) -> EDG.GLADepthWitness:
    """The proved one-step optimum written as a two-layer GLA with the second layer off (P_2 = 0) and its
    parameters rounded to ``digits`` digits: risk just above the optimum (a near miss)."""
    from glaverify.numerics.closed_forms import optimal_preconditioner
    from glaverify.numerics.model import DataModel

    g = (pr.gamma_star.lo + pr.gamma_star.hi) / 2
    om = np.array([E.qfloat(p(g)) for p in pr.omega_blocks])
    om = om / om[-1]  # last block weight 1; star: positive and increasing, so gates ω_k/ω_{k+1} ∈ (0, 1]
    gates = [om[k] / om[k + 1] for k in range(em.K - 1)] + [1.0]
    model = DataModel.from_config(load_config("examples/star.toml").model)
    P1 = optimal_preconditioner(model, om[model.block_index])
    p = EDG.exact_params(P1, np.zeros_like(P1), gates, [1.0] * em.K, digits)
    return EDG.GLADepthWitness(p, EDG.two_layer_risk(em, p), pr.min_risk, {})


def test_rounded_one_step_optimum_is_just_above_and_not_proved(make_ctx):
    em = E.exact_model(load_config("examples/star.toml").model)
    pr = E.prove_r6(em)
    w = _one_step_as_two_layers(em, pr)
    from flint import arb

    assert not w.strictly_better  # never below the proved optimum ...
    assert arb(w.risk) > pr.min_risk.lower()
    assert abs(float((arb(w.risk) - pr.min_risk).mid())) < 1e-12  # ... and a near miss
    rec = checks.a7_exact_gla(make_ctx(load_config("examples/star.toml").model,
                                       a7_gla_witness_fn=lambda em_, pr_: _one_step_as_two_layers(em_, pr_)))
    assert rec.verdict is Verdict.INCONCLUSIVE and not rec.tool_error, rec.summary


def test_a7_exact_records_and_training_combine_to_a_decision(make_ctx):
    """The claim status on star.toml from the exact records (partial) and a full-scope training record: the
    exact-gla proof alone never decides the trained claim; with a supported training record it reads
    supported without a tool error."""
    from glaverify.proofs_check.evidence import Evidence

    ctx = make_ctx(load_config("examples/star.toml").model)
    gla = checks.a7_exact_gla(ctx)
    assert claim_status([gla]).verdict is Verdict.INCONCLUSIVE
    trained = Evidence(claim="A7", verdict=Verdict.SUPPORTED, method="training-seeds", summary="planted",
                       sample_size=10, ci={"confidence": 0.99, "intervals": []})
    st = claim_status([gla, trained])
    assert st.verdict is Verdict.SUPPORTED and not st.tool_errors and not st.disagreement
