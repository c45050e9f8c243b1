"""The ``symbolic-all-dims`` check records (proofs_check/checks/symbolic_all_dims.py): dims ``all``, user
dims covered, planted errors refuted with exact witnesses, tool errors reported as such (never as a
verdict)."""

from __future__ import annotations

import json

import pytest
from glaverify.numerics.config import default_model_config
from glaverify.proofs_check.checks import symbolic_all_dims as ad
from glaverify.proofs_check.evidence import Verdict
from glaverify.proofs_check.runner import run_claim
from glaverify.theory import index_sums as ix
from glaverify.theory import induction as ind
from glaverify.theory import risk_all_dims as ra
from glaverify.theory.induction import IndexedSum, N, Qt, Wp, xc, xr, y

CLAIMS = ["R1", "R2", "R3", "R5", "G1", "G2", "G3", "G4", "A1"]


@pytest.mark.parametrize("claim", CLAIMS)
def test_all_dims_records_are_proved_with_dims_all(make_ctx, claim: str) -> None:
    res = run_claim(claim, make_ctx(), method=ad.METHOD)
    rec = res.records[0]
    assert rec.verdict is Verdict.PROVED, rec.summary
    assert set(rec.dims.values()) == {"all"}
    assert rec.details["statement"]


def test_r1_large_user_dims_are_covered_by_the_same_proof(make_ctx) -> None:
    ctx = make_ctx(model_config=default_model_config(64, 1000), dims_explicit=True)
    rec = run_claim("R1", ctx, method=ad.METHOD).records[0]
    assert rec.verdict is Verdict.PROVED
    assert rec.details["requested_dims_covered"] == {"d": 64, "n": 1000}
    assert "covers the requested d=64, n=1000" in rec.summary


def test_planted_closed_form_is_refuted_with_witness(make_ctx) -> None:
    rec = ad.r1_all_dims_record(make_ctx(), closed_form=ra.r1_closed_form(cross_coeff=3))
    assert rec.verdict is Verdict.REFUTED
    assert rec.counterexample["d"] >= 1 and rec.counterexample["value"] != "0"


def test_a_derivation_fault_is_a_tool_error_not_a_verdict(make_ctx) -> None:
    L = ix.LOCAL

    def wrong_split(equal, distinct):
        diagonal = distinct.subs({L.w_j: L.w_i, L.r_j: L.r_i, L.R_ij: 1})
        return ix.single_sum(equal) + ix.distinct_pair_sum(distinct) + ix.single_sum(diagonal)

    rec = ad.r1_all_dims_record(make_ctx(), split=wrong_split, cross_sizes=(2,))
    assert rec.verdict is Verdict.INCONCLUSIVE
    assert rec.error and "TOOL ERROR" in rec.summary


def test_g1_planted_weights_refuted_and_wrong_step_not_proved(make_ctx) -> None:
    off = ad.g_all_dims_record(
        make_ctx(),
        "G1",
        prover=lambda seed: ind.prove_g1_all_dims(
            seed=seed, wpgd=lambda: IndexedSum.of(lambda j: Wp(j, N) * y(j) * xr(N + 1) * Qt(1) * xc(j), 1, N)
        ),
    )
    assert off.verdict is Verdict.REFUTED and off.counterexample
    step = ad.g_all_dims_record(
        make_ctx(),
        "G1",
        prover=lambda seed: ind.prove_g1_all_dims(
            seed=seed, step=lambda prev, i: ind.g(i) * (prev - y(i) * xr(i))
        ),
    )
    assert step.verdict is Verdict.INCONCLUSIVE and step.error  # step encoding vs literal GLA: tool fault


def test_cli_check_r1_without_dims_is_proved_for_all_dims() -> None:
    from glaverify.proofs_check.cli import app
    from typer.testing import CliRunner

    res = CliRunner().invoke(app, ["check", "R1", "--method", ad.METHOD, "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["verdict"] == "proved"
    assert data["records"][0]["dims"] == {"d": "all", "n": "all"}
