"""The findings of the independent review of issue 10, each as a test that failed before its fix
(docs/reliability.md, docs/evidence.md)."""

from __future__ import annotations

import json

import pytest
from glaverify.proofs_check import runner as run_mod
from glaverify.proofs_check.cli import app
from glaverify.proofs_check.evidence import Evidence, Verdict, claim_status, combine_verdicts
from glaverify.proofs_check.registry import CheckSpec, Claim
from typer.testing import CliRunner

cli = CliRunner()


def _rec(v: str, scope: str = "full", **kw) -> Evidence:
    kw.setdefault("summary", "x")
    if v == "supported":
        kw.setdefault("sample_size", 10)
        kw.setdefault("ci", {"low": 0.0, "high": 0.3, "confidence": 0.95})
    if v == "certified":
        kw.setdefault("tolerance", 1e-9)
    if v == "refuted":
        kw.setdefault("counterexample", {"a": 1})
    return Evidence(claim="R1", verdict=v, method=kw.pop("method", v), scope=scope, **kw)


# ----------------------------------------------------------------- finding 2: partial-scope refutation shown
def test_a_refuting_partial_record_refutes_the_claim_without_a_tool_error():
    st = claim_status([_rec("refuted", "partial", method="lemma")])
    assert combine_verdicts([Verdict.REFUTED], ["partial"]) is Verdict.REFUTED
    assert st.verdict is Verdict.REFUTED and not st.tool_errors
    st = claim_status([_rec("proved"), _rec("refuted", "partial", method="lemma")])
    assert st.verdict is Verdict.REFUTED and not st.tool_errors and st.disagreeing == ("proved: proved",)


# ----------------------------------------------------------------- finding 7: the disagreement rule
def test_crashed_and_tool_error_records_are_not_disagreeing_evidence():
    crashed = claim_status([_rec("proved"), _rec("inconclusive", method="mc", error="ZeroDivisionError")])
    assert crashed.text == "proved" and not crashed.disagreeing
    tool = claim_status([_rec("proved"), _rec("inconclusive", method="mc", tool_error="routes differ")])
    assert tool.text == "proved, with a tool error" and not tool.disagreement
    # a real open question still disagrees (near miss: the same record without the error field)
    assert claim_status([_rec("proved"), _rec("inconclusive", method="mc")]).disagreement


def test_an_inconclusive_verdict_lists_the_positive_records_as_the_minority():
    st = claim_status([_rec("proved", "partial", method="lemma"), _rec("inconclusive", method="mc")])
    assert st.verdict is Verdict.INCONCLUSIVE and st.disagreement
    assert st.disagreeing == ("lemma: proved",)


def _boom(ctx):
    raise RuntimeError("solver exploded")


def test_check_exits_non_zero_on_a_crashed_record(monkeypatch):
    c = Claim("G1", "test", "G1", "s", "s")
    c.checks = {"boom": CheckSpec("G1", "boom", _boom)}
    monkeypatch.setattr(run_mod, "get_claim", lambda cid: c)
    res = cli.invoke(app, ["check", "G1"])
    assert res.exit_code == 3 and "solver exploded" in res.stderr
    res = cli.invoke(app, ["check", "G1", "--json"])
    assert res.exit_code == 3 and json.loads(res.stdout)["records"][0]["error"]


# ----------------------------------------------------------------- finding 1: our own faults are tool errors
def _ctx(d: int = 2, n: int = 4, **run):
    from glaverify.numerics.config import RunConfig, default_model_config
    from glaverify.proofs_check.context import CheckContext

    return CheckContext(model_config=default_model_config(d, n), run=RunConfig(seed=0, **run), quick=True)


def _dense_bug(orig, which: str):
    import numpy as np
    import torch

    def bug(model, P, omega):
        sig = torch.as_tensor(np.array(model.sigma), dtype=torch.float64)
        P_ = torch.as_tensor(P, dtype=torch.float64)
        w = torch.as_tensor(omega, dtype=torch.float64)
        if which == "fourth-moment":  # E x xᵀ x xᵀ typed without its factor 2
            return orig(model, P, omega) - (w * w).sum() * torch.sum((P_.T @ sig @ P_) * (sig @ sig))
        return orig(model, P, omega) + 0.1 * w.sum() * torch.trace(sig) * (1 - torch.trace(P_))  # no P
    return bug


@pytest.mark.parametrize(("claim", "which"), [("R3", "fourth-moment"), ("R2", "cross-term")])
def test_a_fault_in_the_dense_reference_is_a_tool_error_not_a_refutation(monkeypatch, claim, which):
    import glaverify.proofs_check.checks.risk_numeric as rn
    from glaverify.proofs_check.runner import run_claim

    monkeypatch.setattr(rn, "dense_risk_torch", _dense_bug(rn.dense_risk_torch, which))
    res = run_claim(claim, _ctx(), method="numeric")
    rec = res.records[0]
    assert rec.verdict is Verdict.INCONCLUSIVE and rec.tool_error and "dense reference" in rec.tool_error
    assert res.verdict is not Verdict.REFUTED


def test_r2_refutes_when_the_exact_route_sides_with_the_failure(monkeypatch):
    import numpy as np
    from glaverify.numerics.consistency import ToolError
    from glaverify.proofs_check.checks import third_route

    model = _ctx().model
    P, omega = 0.1 * np.eye(model.d), np.linspace(0.5, 1.5, model.n)
    with pytest.raises(ToolError):  # the true risk is invariant: the exact route blames our route
        third_route.confirm_r2(model, P, omega, 2.0, 1e-10, "dense reference")
    exact = third_route.exact_risk
    monkeypatch.setattr(third_route, "exact_risk", lambda m, p, w: exact(m, P, w))  # P not rescaled
    assert third_route.confirm_r2(model, P, omega, 2.0, 1e-10, "dense reference") > 1e-10


def _roll_gate_weights(monkeypatch):
    import numpy as np
    import torch
    from glaverify.numerics import wpgd

    orig = wpgd.gate_weights

    def buggy(g):
        w = orig(g)
        return torch.roll(w, 1, dims=-1) if isinstance(w, torch.Tensor) else np.roll(w, 1, axis=-1)
    monkeypatch.setattr(wpgd, "gate_weights", buggy)


def test_an_off_by_one_in_our_wpgd_gate_weights_is_a_tool_error_for_g1(monkeypatch):
    from glaverify.proofs_check.runner import run_claim

    _roll_gate_weights(monkeypatch)
    res = run_claim("G1", _ctx(4, 12), method="torch-random")
    rec = res.records[0]
    assert rec.verdict is Verdict.INCONCLUSIVE and "exact rational" in rec.tool_error
    assert res.verdict is not Verdict.REFUTED


def test_g1_exact_route_sides_with_a_real_failure(monkeypatch):
    import numpy as np
    import sympy as sp
    from glaverify.numerics.consistency import ToolError
    from glaverify.proofs_check.checks import third_route
    from glaverify.theory import gla_symbolic

    rng = np.random.default_rng(1)
    X, y, xq = rng.standard_normal((3, 2)), rng.standard_normal(3), rng.standard_normal(2)
    Q, gates = rng.standard_normal((2, 2)), rng.uniform(0.5, 1.0, 4)
    with pytest.raises(ToolError, match="agree in exact"):
        third_route.confirm_one_layer(X, y, xq, Q, gates, "scalar", 1.0, 2.0, 1e-10)
    # if the theory's weights were Π_{j>=i} g_j (off by one), the exact routes would differ: refute
    monkeypatch.setattr(gla_symbolic, "gate_product",
                        lambda g, j, i, shape="scalar": sp.Mul(*g[j:i + 1]))
    out = third_route.confirm_one_layer(X, y, xq, Q, gates, "scalar", 1.0, 2.0, 1e-10)
    assert out["exact_relative_gap"] > 1e-10


def test_a_fault_in_our_full_context_wpgd_is_a_tool_error_for_g4_at_l1(monkeypatch):
    from glaverify.numerics import wpgd
    from glaverify.proofs_check.runner import run_claim

    orig = wpgd.full_context_wpgd
    monkeypatch.setattr(wpgd, "full_context_wpgd",
                        lambda X, y, x, Ps, om: orig(X, y, x, [1.01 * P for P in Ps], om))
    res = run_claim("G4", _ctx(4, 12, mc_prompts=2000), method="monte-carlo")
    rec = res.records[0]
    assert rec.verdict is Verdict.INCONCLUSIVE and "full-context WPGD" in rec.tool_error


# ----------------------------------------------------------------- finding 9: honest mutation scores
def _mutation_runner():
    import importlib
    import sys
    from pathlib import Path

    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    return importlib.import_module("mutation.runner")


def test_mutation_refutation_is_wrong_blame_and_timeouts_are_unknown():
    mr = _mutation_runner()
    base = {"exit": 0, "status": "supported", "records": {"numeric": ("supported", "", "")}}
    refuting = {"exit": 0, "status": "refuted", "records": {"numeric": ("refuted", "", "")}}
    ev = [f"R2:numeric: {d}" for d in mr.differences(base, refuting)]
    assert mr.score_status("caught-checks", ev, False, False) == "wrong-blame"
    tool = {"exit": 3, "status": "inconclusive", "records": {"numeric": ("inconclusive", "", "dense off")}}
    ev = [f"R2:numeric: {d}" for d in mr.differences(base, tool)]
    assert any("dense off" in e for e in ev)  # which tool error fired is recorded
    assert mr.score_status("caught-checks", ev, False, False) == "caught-checks"
    assert mr.score_status("survived", [], True, False) == "unknown"
    assert mr.score_status("survived", ["tests passed: timeout"], False, None) == "unknown"


def test_mutation_test_timeout_is_not_caught(monkeypatch, tmp_path):
    import subprocess

    mr = _mutation_runner()

    def hang(*a, **k):
        raise subprocess.TimeoutExpired(cmd="pytest", timeout=1)
    monkeypatch.setattr(mr.subprocess, "run", hang)
    caught, tail = mr.run_tests(tmp_path, ("tests/test_gla.py",))
    assert caught is None and "timeout" in tail


def test_mutation_runner_refuses_when_the_baseline_tests_fail(monkeypatch, tmp_path, capsys):
    mr = _mutation_runner()
    m = mr.load_catalogue()[0]
    monkeypatch.setattr(mr, "load_catalogue", lambda *a, **k: [m])
    monkeypatch.setattr(mr, "run_checks", lambda root, specs: {
        s: {"spec": s, "exit": 0, "result": {"status": "supported", "records": []}} for s in specs})
    monkeypatch.setattr(mr, "run_tests", lambda root, tests: (True, "1 failed"))
    assert mr.main(["--report", str(tmp_path / "r.json")]) == 1
    assert "unmutated" in capsys.readouterr().err


# ----------------------------------------------------------------- finding 3: the printed CI level
def test_r1_prints_the_family_level_simultaneous_over_looks():
    from glaverify.proofs_check.checks.risk_numeric import check_r1_monte_carlo

    ctx = _ctx()
    rec = check_r1_monte_carlo(ctx, num_prompts=4000)
    assert rec.ci["confidence"] == ctx.run.confidence
    assert rec.ci["coverage"] == "simultaneous over looks"
    assert rec.ci["per_look_confidence"] > ctx.run.confidence
    if rec.verdict is Verdict.SUPPORTED:
        assert f"inside the {ctx.run.confidence:g} CI (simultaneous over looks)" in rec.summary


# ----------------------------------------------------------------- finding 8: 'supported' carries a CI
def test_failure_rate_bound_is_one_minus_alpha_to_the_one_over_n():
    from glaverify.proofs_check.passfail import failure_rate_bound

    assert failure_rate_bound(1, 0.95) == pytest.approx(0.95)
    assert failure_rate_bound(100, 0.95) == pytest.approx(1 - 0.05 ** 0.01)
    assert 0.029 < failure_rate_bound(100, 0.95) < 0.030  # the rule of three: ≈ 3/n
    assert failure_rate_bound(1000, 0.999) < failure_rate_bound(100, 0.999)


def test_a_supported_record_without_ci_gets_the_pass_fail_bound_at_the_run_level():
    from glaverify.proofs_check.evidence import audit_record

    rec = Evidence(claim="G1", verdict="supported", method="x", summary="s", sample_size=20,
                   config={"run": {"confidence": 0.99}})
    assert rec.ci["high"] == pytest.approx(1 - 0.01 ** (1 / 20)) and rec.ci["confidence"] == 0.99
    assert audit_record(rec) is None
    rec.ci = None  # a record whose guard was bypassed is caught by the audit
    assert "confidence interval" in audit_record(rec)


@pytest.mark.parametrize(("claim", "method"), [("R2", "numeric"), ("G1", "torch-random")])
def test_owned_sampled_checks_record_their_failure_rate_bound(claim, method):
    from glaverify.proofs_check.runner import run_claim

    ctx = _ctx(4, 12)
    rec = run_claim(claim, ctx, method=method).records[0]
    assert rec.verdict is Verdict.SUPPORTED
    assert rec.ci["low"] == 0.0 and rec.ci["confidence"] == ctx.run.confidence
    assert rec.ci["high"] == pytest.approx(1 - (1 - ctx.run.confidence) ** (1 / rec.sample_size))


# ----------------------------------------------------------------- finding 6: the plain route in R1
def test_r1_sees_a_query_label_from_the_wrong_task(monkeypatch):
    import glaverify.proofs_check.checks.risk_numeric as rn
    import numpy as np
    from glaverify.numerics import sampler
    from glaverify.numerics.consistency import ToolError

    orig = sampler.sample_prompts

    def buggy(model, batch, rng):  # query label from block 0's task, no noise
        p = orig(model, batch, rng)
        return sampler.Prompts(X=p.X, y=p.y, x_query=p.x_query, tasks=p.tasks,
                               y_query=np.einsum("bd,bd->b", p.x_query, p.tasks[:, 0]))
    ctx = _ctx(4, 12)
    assert rn.check_r1_monte_carlo(ctx, num_prompts=20_000).verdict is Verdict.SUPPORTED  # clean: no alarm
    monkeypatch.setattr(rn, "sample_prompts", buggy)
    with pytest.raises(ToolError, match="plain route"):
        rn.check_r1_monte_carlo(_ctx(4, 12), num_prompts=50_000)


# ----------------------------------------------------------------- finding 5: plausibility over draw calls
def test_plausibility_ratio_limit_is_pinned_at_1_8():
    from glaverify.numerics import montecarlo as mc

    assert mc.CALL_SE_RATIO <= 1.8  # looser lets a per-call dependence that doubles the SE through


def test_a_dependence_inside_each_draw_call_is_a_tool_error():
    import numpy as np
    from glaverify.numerics import montecarlo as mc
    from glaverify.numerics.consistency import ToolError

    rng = np.random.default_rng(3)
    caught = 0
    for _ in range(20):  # a shared offset per draw call: the true SE of the mean is ~3x the pooled SE
        def draw(k):
            return rng.standard_normal(k) + 3.0 / np.sqrt(k) * rng.standard_normal(), None
        try:
            mc.sequential_compare(0.0, draw, 64_000, 8192, 0.999, target=1e-9)
        except ToolError as exc:
            assert "draw calls" in str(exc)
            caught += 1
    assert caught >= 19
    clean = 0
    for _ in range(50):  # independent draws: no false alarm (near miss on the other side)
        r = mc.sequential_compare(0.0, lambda k: (rng.standard_normal(k), None), 64_000, 8192, 0.999,
                                  target=1e-9)
        clean += r.decision in ("agree", "unclear")
    assert clean == 50


def test_call_means_se_matches_the_pooled_se_for_independent_calls():
    import numpy as np
    from glaverify.numerics.montecarlo import call_means_se

    rng = np.random.default_rng(0)
    sizes = [100] * 300 + [37]
    vals = [rng.standard_normal(k) for k in sizes]
    allv = np.concatenate(vals)
    se = call_means_se([(v.size, float(v.mean())) for v in vals], float(allv.mean()))
    assert abs(se / (allv.std() / np.sqrt(allv.size)) - 1) < 0.15


# ----------------------------------------------------------------- finding 4: budget extension to a hard cap
def test_the_budget_is_extended_after_look_one_up_to_the_cap():
    import numpy as np
    from glaverify.numerics import montecarlo as mc

    rng = np.random.default_rng(0)

    def draw(k):
        return 1.0 + rng.standard_normal(k), None
    plain = mc.sequential_compare(1.0, draw, 8000, 1000, 0.999, target=0.02)
    assert plain.estimate.samples == 8000 and plain.detectable_relative > 0.02  # budget too small
    ext = mc.sequential_compare(1.0, draw, 8000, 1000, 0.999, target=0.02, cap=200_000)
    assert ext.decision == "agree" and ext.detectable_relative <= 0.02 * 1.1
    assert 8000 < ext.estimate.samples <= 200_000 and len(ext.looks) == len(plain.looks)  # same level split
    capped = mc.sequential_compare(1.0, draw, 8000, 1000, 0.999, target=0.02, cap=16_000)
    assert capped.estimate.samples == 16_000  # never past the hard cap
    assert mc.extended_looks(1000, 8000, 100.0, 50_000)[-1] == 50_000


# ----------------------------------------------------------------- finding 10: sampler self-check, wording
def test_r1_sampler_check_uses_one_value_per_prompt(monkeypatch):
    import glaverify.proofs_check.checks.risk_numeric as rn

    seen, drawn = [], set()
    orig, sample = rn.RunningMean.add, rn.sample_prompts

    def spy(self, values):
        seen.append(len(values))
        return orig(self, values)

    def count(model, k, rng):
        drawn.add(k)
        return sample(model, k, rng)
    monkeypatch.setattr(rn.RunningMean, "add", spy)
    monkeypatch.setattr(rn, "sample_prompts", count)
    rn.check_r1_monte_carlo(_ctx(4, 12), num_prompts=2000)
    # signal, noise and plain-route accumulators get one value per prompt (examples share the prompt's tasks)
    assert seen and set(seen) <= drawn


def test_the_r1_tool_error_does_not_claim_to_know_which_route_is_at_fault():
    import inspect

    import glaverify.proofs_check.checks.risk_numeric as rn

    src = inspect.getsource(rn.check_r1_monte_carlo)
    assert "so the Monte Carlo route is at fault" not in src and "cannot tell whether" in src


def test_an_off_by_one_in_our_coordinate_gate_weights_is_a_tool_error_for_g2(monkeypatch):
    import numpy as np
    import torch
    from glaverify.numerics import wpgd
    from glaverify.proofs_check.runner import run_claim

    orig = wpgd.coordinate_gate_weights

    def buggy(g):
        w = orig(g)
        return torch.roll(w, 1, dims=-2) if isinstance(w, torch.Tensor) else np.roll(w, 1, axis=-2)
    monkeypatch.setattr(wpgd, "coordinate_gate_weights", buggy)
    rec = run_claim("G2", _ctx(4, 12), method="torch-random").records[0]
    assert rec.verdict is Verdict.INCONCLUSIVE and "our WPGD" in rec.tool_error


# ----------------------------------------------------------------- a refutation our own proofs contradict
def _record(method: str, verdict: Verdict, dims: dict, **kw):
    from glaverify.proofs_check.evidence import Evidence

    extra = {"counterexample": {"planted": True}} if verdict is Verdict.REFUTED else {}
    if verdict is Verdict.INCONCLUSIVE:
        extra["summary"] = "routes disagree"
    return Evidence(claim="R1", verdict=verdict, method=method, dims=dims, config={"model": "m"}, **extra,
                    **kw)


def test_a_refutation_contradicted_by_a_proof_of_the_same_model_is_a_tool_error():
    from glaverify.proofs_check.evidence import claim_status

    same = {"d": 4, "n": 12}
    # a dimension-free proof covers every model: a fixed-dims refutation next to it blames our own code
    st = claim_status([_record("symbolic", Verdict.REFUTED, {"d": 3, "n": 4}),
                       _record("symbolic-all-dims", Verdict.PROVED, {"d": "all", "n": "all"})])
    assert st.verdict is Verdict.INCONCLUSIVE and st.tool_errors and "contradiction" in st.tool_errors[0]
    # an exact proof for this model and a numeric refutation at the same model: a tool error
    st = claim_status([_record("numeric", Verdict.REFUTED, same), _record("exact", Verdict.PROVED, same)])
    assert st.verdict is Verdict.INCONCLUSIVE and st.tool_errors
    # another record reporting our own routes disagreeing: the refutation is not confirmed
    st = claim_status([_record("symbolic", Verdict.REFUTED, same),
                       _record("all-dims", Verdict.INCONCLUSIVE, {"d": "all"},
                               tool_error="cross-check failed")])
    assert st.verdict is Verdict.INCONCLUSIVE and any("contradiction" in t for t in st.tool_errors)


def test_a_genuine_refutation_elsewhere_still_refutes():
    from glaverify.proofs_check.evidence import claim_status

    # proved for the configured model, refuted on another (smaller) model: no contradiction (A5-like)
    st = claim_status([_record("exact", Verdict.PROVED, {"d": 4, "n": 12}),
                       _record("symbolic", Verdict.REFUTED, {"d": 1, "n": 3})])
    assert st.verdict is Verdict.REFUTED and not st.tool_errors
    # a partial (lemma) proof never contradicts a refutation of the whole claim
    st = claim_status([_record("lemma", Verdict.PROVED, {"d": "all"}, scope="partial"),
                       _record("numeric", Verdict.REFUTED, {"d": 4, "n": 12})])
    assert st.verdict is Verdict.REFUTED


def test_wrong_blame_is_read_from_the_claim_status():
    mr = _mutation_runner()
    # a record turned refuted while the claim reads a tool error (a contradiction): caught, not wrong blame
    ev = ["R4: exit 0 -> 3", "R4: numeric: certified -> refuted",
          "R4: status 'proved' -> 'inconclusive, with disagreeing evidence, with a tool error'"]
    assert mr.score_status("caught-checks", ev, False, None) == "caught-checks"
    # the claim itself reads refuted: wrong blame (near miss of the line above)
    ev = ["R4: status 'proved' -> 'refuted, with disagreeing evidence'"]
    assert mr.score_status("caught-checks", ev, False, None) == "wrong-blame"


def test_exact_route_stopped_by_our_own_inconsistency_is_a_tool_error():
    from types import SimpleNamespace

    from glaverify.proofs_check.checks.exact import _own_fault

    assert _own_fault(SimpleNamespace(status="cross-check-failed", reason="routes disagree"))
    assert _own_fault(SimpleNamespace(status="mismatch", reason="identity fails"))
    # stopping for a property of the input (not our fault) is no tool error
    assert _own_fault(SimpleNamespace(status="stopped", reason="PSD only within the input tolerance")) is None
    assert _own_fault(SimpleNamespace(status="spot-checked", reason="too large")) is None
