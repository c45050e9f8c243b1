"""Shared fixtures. Keep this small: one fixture per widely used object."""

from __future__ import annotations

import os

import pytest
from glaverify.numerics.config import RunConfig, default_model_config
from glaverify.proofs_check.context import CheckContext
from hypothesis import HealthCheck, settings

# "ci" (default): modest example counts, no per-example deadline (2 shared cores); "thorough": many more.
settings.register_profile("ci", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=500, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("GLAVERIFY_HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def default_config():
    """The model used without a config file (d = 4, n = 12)."""
    return default_model_config(4, 12)


@pytest.fixture
def make_ctx():
    """``make_ctx(model_config=None, seed=0, quick=True, mc_prompts=200_000, **options) -> CheckContext``."""

    def make(model_config=None, seed: int = 0, quick: bool = True, mc_prompts: int = 200_000,
             dims_explicit: bool = False, **options) -> CheckContext:
        return CheckContext(
            model_config=model_config or default_model_config(4, 12),
            run=RunConfig(seed=seed, mc_prompts=mc_prompts),
            dims_explicit=dims_explicit, quick=quick, options=options,
        )

    return make


# ---- h9 (session 4): a sweep's once-per-process results never outlive a test (proofs_check/once.py), so a
# test that patches a routine deep inside a memoised proof always sees its own patch
@pytest.fixture(autouse=True)
def _fresh_once_store():
    from glaverify.proofs_check import once

    once.clear()
    yield
    once.clear()
