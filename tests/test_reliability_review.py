"""The findings of the independent review of issue 10, each as a test that failed before its fix
(docs/reliability.md, docs/evidence.md)."""

from __future__ import annotations

import json

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
