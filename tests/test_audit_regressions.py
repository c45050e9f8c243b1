"""Regressions from the verdict-honesty audit: verdicts must follow the evidence."""

from __future__ import annotations

import numpy as np
from glaverify.numerics import gating as G
from glaverify.proofs_check.checks import gating as C
from glaverify.proofs_check.evidence import Verdict


def test_a5_numeric_refutes_from_any_failing_random_instance_not_only_the_fixed_case(make_ctx, monkeypatch):
    real = G.attains

    def fixed_case_attains(model, kind, tol=1e-6):
        out = real(model, kind, tol=tol)
        if tuple(model.block_sizes) == (1, 2) and model.d == 1:
            out = {**out, "attains": True}  # planted: the hard-coded minimal case no longer fails
        return out

    monkeypatch.setattr(C.G, "attains", fixed_case_attains)
    rec = C.a5_numeric(make_ctx())
    fails = rec.details["unequal_failures"]
    if fails:
        assert rec.verdict is Verdict.REFUTED
        assert rec.counterexample["block_sizes"] == fails[0]["block_sizes"]
    else:  # this seed drew no failing instance: then nothing refutes
        assert rec.verdict is Verdict.SUPPORTED


def test_a5_symbolic_never_proves_from_a_missing_counterexample(make_ctx, monkeypatch):
    import dataclasses

    res = C.S.a5_counterexample()
    monkeypatch.setattr(C.S, "a5_counterexample", lambda *a, **k: dataclasses.replace(res, holds=True))
    rec = C.a5_symbolic(make_ctx())
    assert rec.verdict is Verdict.INCONCLUSIVE


def test_a6_lemma_record_is_partial(make_ctx):
    rec = C.a6_symbolic(make_ctx())
    assert rec.scope == "partial" and rec.verdict is Verdict.PROVED


def test_sampled_identity_checks_report_supported_with_sample_size(make_ctx):
    from glaverify.proofs_check.checks.risk_numeric import r2_numeric

    for rec in (r2_numeric(make_ctx()), C.a1_construction(make_ctx())):
        assert rec.verdict is Verdict.SUPPORTED and rec.sample_size and np.isfinite(rec.sample_size)
