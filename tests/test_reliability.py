"""Issue 10: disagreeing evidence, tool errors, crash handling of run_check / run_claim / verify."""

from __future__ import annotations

import json

import pytest
from glaverify.numerics.errors import InputError
from glaverify.proofs_check import evidence as ev
from glaverify.proofs_check.evidence import Evidence, Verdict, claim_status, tool_error_record
from glaverify.proofs_check.registry import CheckSpec
from glaverify.proofs_check.runner import ClaimResult, run_check


def _rec(verdict: str, method: str = "m", scope: str = "full", **kw) -> Evidence:
    v = Verdict(verdict)
    extra = {"sample_size": 1} if v is Verdict.SUPPORTED else {}
    extra |= {"tolerance": 1e-9} if v is Verdict.CERTIFIED else {}
    extra |= {"counterexample": {"x": 1}} if v is Verdict.REFUTED else {}
    return Evidence(claim="R1", verdict=v, method=method, summary="s", scope=scope, **extra, **kw)


@pytest.mark.parametrize(("verdicts", "expected", "split"), [
    (["proved"], "proved", False),
    (["proved", "supported"], "proved", False),
    (["proved", "inconclusive"], "proved, with disagreeing evidence", True),
    (["certified", "refuted"], "refuted, with disagreeing evidence", True),
    (["supported", "refuted"], "refuted, with disagreeing evidence", True),
    (["supported", "inconclusive"], "supported", False),
    (["refuted"], "refuted", False),
    (["inconclusive", "inconclusive"], "inconclusive", False),
])
def test_claim_status_text_and_disagreement(verdicts, expected, split):
    st = claim_status([_rec(v, method=f"m{i}") for i, v in enumerate(verdicts)])
    assert st.text == expected
    assert st.disagreement is split


def test_partial_records_count_for_disagreement_and_abstentions_do_not():
    st = claim_status([_rec("proved"), _rec("inconclusive", method="lemma", scope="partial")])
    assert st.disagreement and st.disagreeing == ("lemma: inconclusive",)
    st = claim_status([_rec("proved"), _rec("inconclusive", method="fla", abstained=True)])
    assert not st.disagreement


def test_the_flipped_monte_carlo_record_of_the_issue_is_visible():
    # R1 stayed "proved" while its Monte Carlo record went inconclusive: now the status says so
    st = claim_status([_rec("proved", "symbolic"), _rec("inconclusive", "monte-carlo")])
    assert st.verdict is Verdict.PROVED and st.text == "proved, with disagreeing evidence"


def test_tool_error_record_is_inconclusive_and_flagged(make_ctx):
    rec = tool_error_record(make_ctx(), "R1", "monte-carlo", "batch-means SE 30x the pooled SE")
    assert rec.verdict is Verdict.INCONCLUSIVE and rec.tool_error
    st = claim_status([rec, _rec("proved", "symbolic")])
    assert st.tool_errors and st.text.endswith("with a tool error")
    with pytest.raises(ValueError, match="tool error"):
        _rec("refuted", tool_error="x")
    with pytest.raises(ValueError, match="abstain"):
        _rec("proved", abstained=True)


def test_a_combiner_without_the_refuted_short_circuit_is_a_tool_error_not_a_crash(monkeypatch):
    def no_short_circuit(verdicts, scopes=None):
        vs = [Verdict(v) for v in verdicts]
        return max(vs, key=lambda v: ev._STRENGTH[v])  # KeyError on REFUTED

    monkeypatch.setattr(ev, "combine_verdicts", no_short_circuit)
    st = claim_status([_rec("proved"), _rec("refuted", "mc")])
    assert st.verdict is Verdict.INCONCLUSIVE and "combiner" in st.tool_errors[0]

    def hides_refutation(verdicts, scopes=None):
        return Verdict.PROVED

    monkeypatch.setattr(ev, "combine_verdicts", hides_refutation)
    st = claim_status([_rec("proved"), _rec("refuted", "mc")])
    assert "refutes" in st.tool_errors[0]


def test_claim_result_json_carries_status(make_ctx):
    res = ClaimResult("R1", Verdict.PROVED, [_rec("proved"), _rec("inconclusive", "mc")])
    d = res.to_dict()
    assert d["status"] == "proved, with disagreeing evidence" and d["disagreement"] is True
    json.dumps(d)


def test_run_check_turns_crash_and_inner_input_error_into_inconclusive(make_ctx):
    def boom(ctx):
        raise ZeroDivisionError("x")

    def limit(ctx):
        raise InputError("r", "must be nonzero for the class optimum")

    assert run_check(CheckSpec("R1", "boom", boom), make_ctx()).error
    rec = run_check(CheckSpec("R1", "lim", limit), make_ctx())
    assert rec.verdict is Verdict.INCONCLUSIVE and "r: must be nonzero" in rec.summary and not rec.error


# ------------------------------------------------------------------ independent references of R2 / R3
def test_dense_reference_equals_the_closed_form_and_is_scale_invariant(make_ctx):
    import numpy as np
    from glaverify.numerics import closed_forms as cf
    from glaverify.proofs_check.checks import risk_numeric as rn

    model = make_ctx().model
    P, w = rn.draw_test_point(model, np.random.default_rng(0))
    dense = rn.dense_risk(model, P, w)
    assert abs(dense - cf.wpgd_risk(model, P, w)) <= 1e-12 * model.s
    assert abs(rn.dense_risk(model, P / -3.0, -3.0 * w) - dense) <= 1e-12 * model.s
    p_lit, prof_lit = rn.literal_r3(model, w)
    assert np.allclose(p_lit, cf.optimal_preconditioner(model, w), rtol=1e-11, atol=0)
    assert abs(prof_lit - cf.profile_risk(model, w)) <= 1e-12 * model.s


@pytest.mark.parametrize("claim", ["R1", "R2", "R3"])
def test_a_closed_forms_bug_is_a_tool_error_of_r1_r2_r3_not_a_refutation(make_ctx, monkeypatch, claim):
    from glaverify.numerics import closed_forms as cf
    from glaverify.proofs_check.checks import risk_numeric as rn

    real = cf.risk_coefficients

    def sigma2_dropped(model, omega):
        co = real(model, omega)
        return cf.RiskCoefficients(co.rw, co.a, co.b * (model.s - model.noise_var) / model.s)

    monkeypatch.setattr(cf, "risk_coefficients", sigma2_dropped)
    fn = {"R1": rn.check_r1_monte_carlo, "R2": rn.check_r2_numeric, "R3": rn.check_r3_numeric}[claim]
    rec = run_check(CheckSpec(claim, "numeric", fn), make_ctx())
    assert rec.verdict is Verdict.INCONCLUSIVE and rec.tool_error and "closed_forms" in rec.tool_error


def test_r3_refutes_a_wrong_formula_by_the_dense_autograd_route(make_ctx):
    import numpy as np
    from glaverify.numerics import closed_forms as cf
    from glaverify.proofs_check.checks import risk_numeric as rn

    def formula_3b(model, w):  # "the theory says (aΣ + 3bI)⁻¹": judged against the dense risk only
        co = cf.risk_coefficients(model, w)
        return co.rw * np.linalg.inv(co.a * model.sigma + 3 * co.b * np.eye(model.d))

    rec = rn.check_r3_numeric(make_ctx(), precond=formula_3b, draws=1)
    assert rec.verdict is Verdict.REFUTED
    assert rec.counterexample["autograd_rel_grad"] > rn.AUTOGRAD_GRAD_RTOL


# ------------------------------------------------------------- every GLA kernel path is reached by a check
def _executed_lines(fn, path_suffix: str) -> set[int]:
    import sys

    hit: set[int] = set()

    def tracer(frame, event, arg):
        if frame.f_code.co_filename.endswith(path_suffix):
            if event == "line":
                hit.add(frame.f_lineno)
            return tracer
        return None

    sys.settrace(tracer)
    try:
        fn()
    finally:
        sys.settrace(None)
    return hit


def test_the_torch_checks_reach_every_path_of_the_gla_kernels(make_ctx):
    import inspect

    from glaverify.numerics import gla
    from glaverify.proofs_check.checks import gla as gla_checks

    ctx = make_ctx()

    runs = [lambda: gla_checks.check_one_layer_torch(ctx, "G1", "scalar", batch=4),
            lambda: gla_checks.check_one_layer_torch(ctx, "G2", "key", batch=4),
            lambda: gla_checks.check_g3_torch(ctx, batch=4)]
    hit: set[int] = set()
    for run in runs:
        out: list = []
        hit |= _executed_lines(lambda run=run, out=out: out.append(run()), "numerics/gla.py")
        assert out[0].verdict is Verdict.SUPPORTED, out[0].summary
    src = inspect.getsource(gla).splitlines()
    must = {
        "pad = (-T) % C": "T not a multiple of the chunk",
        "q, k, v, logg, zero = padt(q), padt(k), padt(v), padt(logg), padt(zero)": "padding",
        "fq, fk = torch.exp(ca - r0), torch.exp(r0 - ca)": "factorised diagonal sub-block",
        "D = _decay(diff, causal[..., None] & (na[..., :, None, :] == na[..., None, :, :]))":
            "zero gates, explicit",
        "D = torch.exp(diff.masked_fill(~causal[..., None], -torch.inf))":
            "explicit decays without zero gates",
        'o_a = o_a + torch.einsum("...vk,...tk->...tv", H, qa * fq)': "key gates, several sub-chunks",
        'o_a = o_a + fq * torch.einsum("...vk,...tk->...tv", H, qa)': "value gates, several sub-chunks",
        'o = o + start * torch.einsum("...vk,...tk->...tv", S_in, q)': "value gates, carried state",
        "start = _decay(c, nz == 0)  # decay from the chunk start (.., C)": "scalar chunked form",
        "S = gi[..., :, None] * S": "recurrent value gates",
    }
    lines = {text.strip(): i + 1 for i, text in enumerate(src)}
    missing = [why for text, why in must.items() if lines[text] not in hit]
    assert not missing, missing


def test_a_loosened_torch_tolerance_is_refused_by_the_check(make_ctx, monkeypatch):
    from glaverify.proofs_check.checks import gla as gla_checks

    monkeypatch.setattr(gla_checks, "TORCH_REL_TOL", 1e-4)  # the issue's survivor: 1e-10 -> 1e-4
    rec = run_check(CheckSpec("G1", "torch-random", gla_checks.g1_torch), make_ctx())
    assert rec.tool_error and "too loose" in rec.tool_error


def test_the_r3_rule_has_positive_controls(monkeypatch):
    from glaverify.numerics.consistency import ToolError
    from glaverify.proofs_check.checks import risk_numeric as rn

    rn.r3_positive_controls(1e-8, 1e-6)
    real = rn.r3_failures

    def loosened(cert, tol, curv_tol):  # the issue's loosened checker: a zero eigenvalue accepted
        return [w for w in real(cert, tol, curv_tol) if "Hessian of R1" not in w]

    monkeypatch.setattr(rn, "r3_failures", loosened)
    with pytest.raises(ToolError, match="hess_rel_min"):
        rn.r3_positive_controls(1e-8, 1e-6)


def test_the_runner_audits_records_and_the_status_audits_disagreement(make_ctx, monkeypatch):
    def weak(ctx):
        rec = ctx.record("R1", "weak", Verdict.INCONCLUSIVE, "x")
        object.__setattr__(rec, "verdict", Verdict.SUPPORTED)  # a record that bypassed its guard
        return rec

    rec = run_check(CheckSpec("R1", "weak", weak), make_ctx())
    assert rec.tool_error and "sample size" in rec.tool_error
    monkeypatch.setattr(ev, "_DECISIVE", frozenset())  # "proved" no longer counts as proving
    st = claim_status([_rec("proved"), _rec("inconclusive", "mc")])
    assert st.tool_errors and "disagreement" in st.tool_errors[0]


def test_input_error_records_abstain_and_self_tests_catch_a_loosened_tolerance(make_ctx, monkeypatch):
    from glaverify.numerics import tolerances
    from glaverify.proofs_check.runner import run_claim

    def limit(ctx):
        raise InputError("r", "is 0")

    rec = run_check(CheckSpec("A3", "lim", limit), make_ctx())
    assert rec.abstained and not claim_status([_rec("proved"), rec]).disagreement
    monkeypatch.setattr(tolerances, "RISK_RTOL", 1e-2)  # the issue's survivor
    res = run_claim("R2", make_ctx(), method="numeric")
    assert any("RISK_RTOL" in t for t in res.tool_errors)


def test_a_missing_fla_core_abstains_and_is_not_disagreement(make_ctx, monkeypatch):
    from glaverify.numerics import fla_reference as fr
    from glaverify.proofs_check.checks import gla as gla_checks

    monkeypatch.setattr(fr, "fla_available", lambda: (False, "fla-core is not installed"))
    rec = gla_checks.check_fla(make_ctx(), "G1")
    assert rec.verdict is Verdict.INCONCLUSIVE and rec.abstained
    assert not claim_status([_rec("proved", "symbolic"), rec]).disagreement
