"""The second combiner (docs/evidence.md, "The second combiner"): a literal reading of the combining table,
compared by the runner with claim_status on every claim's records and on planted cases; a combiner fault
(partial records raising the verdict, an open record next to a proof not reported) is a tool error of the
claim, never a verdict."""

from __future__ import annotations

import pytest
from glaverify.proofs_check import evidence as ev_mod
from glaverify.proofs_check import runner
from glaverify.proofs_check.evidence import (
    ClaimStatus,
    Verdict,
    _planted,
    claim_status,
    combiner_control_problems,
    combiner_controls,
    literal_claim_status,
)


def test_the_literal_table_gives_the_hand_written_answers_and_so_does_claim_status():
    for label, case, expected in combiner_controls():
        assert literal_claim_status(case) == expected, label
        st = claim_status(case)
        assert (st.verdict.value, st.disagreement) == (expected.verdict, expected.disagreement), label
    assert combiner_control_problems([]) == []


def _partial_raises(verdicts, scopes=None):  # mutation comb-partial-raises: scopes ignored
    vs = [Verdict(v) for v in verdicts]
    if Verdict.REFUTED in vs:
        return Verdict.REFUTED
    order = {Verdict.PROVED: 3, Verdict.CERTIFIED: 2, Verdict.SUPPORTED: 1, Verdict.INCONCLUSIVE: 0}
    return max(vs, key=lambda v: order[v]) if vs else Verdict.INCONCLUSIVE


def _ignores_open(records):  # mutation comb-disagreement-ignores-open: proof + inconclusive not reported
    st = _orig_claim_status(records)
    has_pos = any(r.verdict in (Verdict.PROVED, Verdict.CERTIFIED, Verdict.SUPPORTED) for r in records)
    has_ref = any(r.verdict is Verdict.REFUTED for r in records)
    if any(t.startswith("contradiction:") for t in st.tool_errors):
        return st
    return ClaimStatus(st.verdict, has_pos and has_ref, st.disagreeing, st.tool_errors)


_orig_claim_status = claim_status


@pytest.mark.parametrize("fault", ["partial-raises", "ignores-open"])
def test_a_faulty_combiner_is_a_tool_error_of_every_claim(monkeypatch, make_ctx, fault):
    if fault == "partial-raises":
        monkeypatch.setattr(ev_mod, "combine_verdicts", _partial_raises)
    else:
        monkeypatch.setattr(ev_mod, "claim_status", _ignores_open)
    problems = combiner_control_problems([])
    assert problems and all(p.startswith("second combiner:") for p in problems)
    # through the runner, on a claim whose own records never reach the faulty branch (one proof)
    monkeypatch.setattr(runner, "claim_status", ev_mod.claim_status)
    res = runner.run_claim("R2", make_ctx(), method="symbolic")
    assert res.tool_errors and any("second combiner" in t for t in res.tool_errors)
    assert res.verdict is not Verdict.REFUTED


def test_the_claims_own_records_are_compared_too(monkeypatch):
    recs = [_planted("proved", "a"), _planted("inconclusive", "b")]
    assert combiner_control_problems(recs) == []
    monkeypatch.setattr(ev_mod, "literal_claim_status",
                        lambda records: ev_mod.LiteralStatus("proved", False))  # a wrong second reading
    assert any("the claim's records" in p for p in combiner_control_problems(recs))


def test_near_miss_the_contradiction_needs_the_same_config():
    ref = _planted("refuted", "b", dims={"d": 3, "n": 4}, config={"model": {"d": 3}})
    same = _planted("proved", "a", dims={"d": 3, "n": 4}, config={"model": {"d": 3}})
    other = _planted("proved", "a", dims={"d": 3, "n": 4}, config={"model": {"d": 3, "x": 1}})
    assert literal_claim_status([same, ref]).contradiction
    assert not literal_claim_status([other, ref]).contradiction
    assert combiner_control_problems([same, ref]) == [] and combiner_control_problems([other, ref]) == []
