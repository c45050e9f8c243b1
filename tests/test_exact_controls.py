"""The exact checks' audits (docs/reliability.md, "Exact route: point count and guard control"): a proof of
the Φ identity with too few points is a tool error; the unit-diagonal guard is controlled on a planted C."""

from __future__ import annotations

import dataclasses

import pytest
from glaverify.numerics.consistency import ToolError
from glaverify.proofs_check.checks import exact as X
from glaverify.proofs_check.evidence import Verdict
from glaverify.theory import exact as E
from glaverify.theory import exact_guards as guards


def _proof(make_ctx):
    pr, _ = X.r6_exact_proof(make_ctx())
    assert pr.status == "proved"
    return pr


def test_point_count_audit_passes_a_real_proof_and_catches_one_point_short(make_ctx):
    pr = _proof(make_ctx)
    assert X._identity_points_audit(pr) is pr
    bound = pr.cross_check["degree_bound"]
    short = dataclasses.replace(pr, cross_check={**pr.cross_check, "identity_points": bound})
    out = X._identity_points_audit(short)
    assert out.status == "mismatch" and "tool error" in out.reason
    exact = dataclasses.replace(pr, cross_check={**pr.cross_check, "identity_points": bound + 1})  # near miss
    assert X._identity_points_audit(exact).status == "proved"
    low_bound = dataclasses.replace(pr, cross_check={**pr.cross_check, "identity_points": pr.degree,
                                                     "degree_bound": pr.degree - 1})  # the degree decides
    assert X._identity_points_audit(low_bound).status == "mismatch"


def test_a_proof_one_point_short_makes_the_exact_records_tool_errors(monkeypatch, make_ctx):
    real = E.prove_r6

    def short(em, **kw):  # mutation exact-identity-points-offbyone
        pr = real(em, **kw)
        if pr.status != "proved":
            return pr
        return dataclasses.replace(pr, cross_check={**pr.cross_check,
                                                    "identity_points": pr.cross_check["degree_bound"]})

    monkeypatch.setattr(E, "prove_r6", short)
    for fn in (X.r6_exact, X.r4_exact, X.a3_exact):
        rec = fn(make_ctx())
        assert rec.verdict is Verdict.INCONCLUSIVE and rec.tool_error, rec.summary


def test_the_guard_control_refuses_the_planted_model_and_catches_a_dropped_guard(monkeypatch, make_ctx):
    assert X.unit_diagonal_control()["status"] == "stopped"
    # mutation exact-unit-diagonal-dropped
    monkeypatch.setattr(guards, "unit_diagonal_problem", lambda em: None)
    with pytest.raises(ToolError, match="not refused"):
        X.unit_diagonal_control()
    from glaverify.proofs_check.runner import run_claim

    res = run_claim("R6", make_ctx(), method="exact")
    assert res.tool_errors and res.verdict is not Verdict.REFUTED
