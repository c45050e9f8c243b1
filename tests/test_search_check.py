"""R1:search, the search engine as a default check (docs/reliability.md, "The search engine as a check"):
supported with its count, its decision step controlled on planted cases, and a fault of the engine or of the
confirmation a tool error, never a refutation."""

from __future__ import annotations

from dataclasses import replace

import pytest
from glaverify.numerics.consistency import ToolError
from glaverify.proofs_check.checks import search_route
from glaverify.proofs_check.evidence import Verdict
from glaverify.proofs_check.runner import run_claim
from glaverify.proofs_check.search import check_route
from glaverify.proofs_check.search import claims_risk as CR
from glaverify.proofs_check.search.spec import Confirmation, Outcome


def test_r1_search_is_supported_with_its_count_and_its_controls(make_ctx):
    rec = search_route.r1_search(make_ctx())
    assert rec.verdict is Verdict.SUPPORTED and rec.sample_size == check_route.SEARCH_CHECK_BUDGET // 2
    assert rec.ci and rec.details["controls"]["confirmation"]["positive"]["confirmed"] is True
    engine = rec.details["controls"]["engine"]
    assert engine == {"confirmed=False": "inconclusive", "confirmed=True": "refuted"}


def test_an_engine_that_refutes_unconfirmed_failures_is_a_tool_error(monkeypatch, make_ctx):
    real = check_route.search

    def refutes_anyway(*a, **k):  # mutation search-unconfirmed-refutes
        rep = real(*a, **k)
        if rep.counterexample is not None and rep.confirmation is not None:
            rep.verdict = "refuted"
        return rep

    monkeypatch.setattr(check_route, "search", refutes_anyway)
    with pytest.raises(ToolError, match="does not confirm"):
        check_route.engine_control("R1")
    res = run_claim("R1", make_ctx(), method="search")
    assert res.tool_errors and res.verdict is Verdict.INCONCLUSIVE


def test_an_inverted_confirmation_is_a_tool_error(monkeypatch):
    real = CR.r1_spec

    def inverted(closed_form=None):  # mutation search-r1-confirm-inverted
        spec = real(closed_form)

        def confirm(inst):
            c = spec.confirm(inst)
            return Confirmation(not c.confirmed, c.method, c.exact, c.summary, c.detail)

        return replace(spec, confirm=confirm)

    monkeypatch.setattr(CR, "r1_spec", inverted)
    with pytest.raises(ToolError, match="did not confirm a planted wrong formula"):
        check_route.confirmation_control("R1")


def test_a_fast_route_failure_the_exact_route_does_not_confirm_is_a_tool_error():
    spec = replace(CR.r1_spec(), prop=lambda inst: Outcome(False, 1.0, 0.5))  # our fast route always wrong
    with pytest.raises(ToolError, match="says the claim holds"):
        check_route.run_search_check("R1", seed=0, budget=5, spec=spec)


def test_a_planted_wrong_formula_is_refuted_and_confirmed(make_ctx):
    spec = CR.r1_spec(check_route._halved_linear_term)
    out = check_route.run_search_check("R1", seed=0, budget=20, spec=spec)
    assert out["verdict"] == "refuted" and out["report"]["confirmation"]["confirmed"] is True
