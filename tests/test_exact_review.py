"""Planted errors from the independent review of the exact route (issue 11): every one of them used to print
``proved``; each test here plants it and asserts the verdict is not ``proved`` (or the theory-level status is
not ``proved``)."""

from __future__ import annotations

import dataclasses

import pytest
from flint import fmpq, fmpq_poly
from glaverify.numerics.config import build_model_config, load_config
from glaverify.proofs_check.checks import exact as checks
from glaverify.proofs_check.evidence import Verdict
from glaverify.theory import exact as E

X = fmpq_poly([0, 1])


def cfg_of(name: str):
    return load_config(f"examples/{name}.toml").model


# ------------------------------------------------------------------ finding 4: the shared cross-check guard
@pytest.mark.parametrize("name", ["r6_exact", "a3_exact", "a4_exact", "a6_exact", "a7_exact"])
def test_failed_float_cross_check_blocks_every_consumer(make_ctx, monkeypatch, name):
    class Fake:
        best = type("B", (), {"gamma": 1.0, "risk": 0.0})()

    monkeypatch.setattr(checks.ls, "curve_route", lambda model: Fake())
    rec = getattr(checks, name)(make_ctx(cfg_of("star")))
    assert rec.verdict is Verdict.INCONCLUSIVE, rec.summary
    assert "disagree" in rec.summary
