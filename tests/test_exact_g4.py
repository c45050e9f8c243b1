"""G4's risk gap decided by a paired sequential comparison (numerics/paired_sequential.py and the G4
``monte-carlo`` check): the stopping rule keeps its level under the null, decides a real gap, and says when
the budget ran out."""

from __future__ import annotations

import numpy as np
import pytest
from glaverify.numerics.config import default_model_config
from glaverify.numerics.model import DataModel
from glaverify.numerics.paired_sequential import look_schedule, paired_sequential
from glaverify.proofs_check.checks import gla as cg
from glaverify.proofs_check.evidence import Verdict


def test_look_schedule_doubles_up_to_the_budget():
    assert look_schedule(100, 1000) == [100, 200, 400, 800, 1000]
    assert look_schedule(100, 100) == [100]
    with pytest.raises(ValueError):
        look_schedule(100, 50)


def _synthetic(shift: float, seed: int):
    rng = np.random.default_rng(seed)
    return lambda pr: rng.standard_t(5, size=pr.y.shape[0]) + shift


def test_stopping_rule_keeps_its_level_under_the_null():
    """With mean-zero differences, stopping at the first look that excludes 0 (6 looks, 0.9 family-wise)
    decides wrongly in at most ~10% of runs; without the Bonferroni correction it would be ~25-30%."""
    model = DataModel.from_config(default_model_config(2, 3))
    runs, wrong = 150, 0
    for seed in range(runs):
        res = paired_sequential(model, _synthetic(0.0, seed), np.random.default_rng(seed), confidence=0.9,
                                first=50, budget=1600, batch=50)
        wrong += res.decided
    assert wrong / runs <= 0.10 + 3 * np.sqrt(0.1 * 0.9 / runs)


def test_real_gap_is_decided_early_and_a_tiny_budget_is_not():
    model = DataModel.from_config(default_model_config(2, 3))
    res = paired_sequential(model, _synthetic(0.5, 1), np.random.default_rng(1), first=100, budget=100_000,
                            batch=100)
    assert res.decided and res.sign == 1 and res.samples < 100_000
    small = paired_sequential(model, _synthetic(0.01, 2), np.random.default_rng(2), first=50, budget=200,
                              batch=50)
    assert not small.decided and small.samples == 200 and small.looks_done == small.looks_planned


def test_g4_check_quick_budget_says_undecided(make_ctx):
    ev = cg.check_g4_monte_carlo(make_ctx(quick=True))
    assert ev.verdict is Verdict.SUPPORTED
    seq = ev.details["sequential"]
    assert seq["budget"] == cg.G4_QUICK_BUDGET and not seq["decided"]
    assert "undecided" in ev.details["gap_reading"] and "budget" in ev.details["gap_reading"]


def test_g4_check_fixed_sample_keeps_the_old_contract(make_ctx):
    ev = cg.check_g4_monte_carlo(make_ctx(), num_prompts=4000)
    assert ev.details["risk_causal"]["samples"] == 4000 and ev.details["sequential"]["looks_planned"] == 1


@pytest.mark.slow
def test_g4_gap_is_decided_within_the_default_budget(make_ctx):
    ev = cg.check_g4_monte_carlo(make_ctx(quick=False))
    assert ev.details["sequential"]["decided"] and ev.ci["low"] > 0, ev.summary
