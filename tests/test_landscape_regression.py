"""The numbers `glaverify landscape` (WPGD and LinAtt sections) and `glaverify check R4 R5 R6 R7` printed
with the dense implementation, reproduced by the block-reduced core on every shipped example.

The fixture (tests/data/landscape_regression.json) was recorded by tests/data/make_landscape_fixture.py
with the dense code, before the rewrite. Quantities fixed by the mathematics (the curve's γ*, risks,
ω*, P*, Hessian spectra, LinAtt) must agree to 1e-10 relative; quantities that are an optimiser's output
(R5's cvxpy/multi-start route risks, R7's ω from the unreduced routes) to their route tolerances
(RISK_RTOL on values, OMEGA_TOL on weights) — they were never reproducible beyond that.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from glaverify.numerics.model import DataModel
from glaverify.numerics.tolerances import OMEGA_TOL, RISK_RTOL
from glaverify.proofs_check.commands.landscape import _options, compute_landscape
from glaverify.proofs_check.context import CheckContext
from glaverify.proofs_check.evidence import jsonable
from glaverify.proofs_check.runner import run_claim

DATA = Path(__file__).parent / "data"
sys.path.insert(0, str(DATA))
import make_landscape_fixture as fx  # noqa: E402

FIXTURE = json.loads((DATA / "landscape_regression.json").read_text())
EXACT_RTOL = 1e-10
#: keys whose values are optimiser output (see the module docstring): (check, key) -> tolerance kind
LOOSE = {
    ("R5 numeric", "route_cvxpy"): "value",
    ("R5 numeric", "route_multistart"): "value",
    ("R7 numeric", "block_values"): "omega",
    ("R7 numeric", "omega"): "omega",
}


def _close(where: str, section: str, key: str, old, new) -> None:
    """Scalars to relative ``rtol``; vectors and matrices relative to their largest entry (max-norm)."""
    if isinstance(old, (str, bool)) or old is None:
        assert new == old, f"{where} {section}: {key} {new!r} != {old!r}"
        return
    a, b = np.asarray(old, dtype=np.float64), np.asarray(new, dtype=np.float64)
    assert a.shape == b.shape, f"{where} {section}: {key} shape {b.shape} != {a.shape}"
    kind = LOOSE.get((section, key))
    if kind == "omega":
        err, tol = float(np.max(np.abs(a - b), initial=0.0)), OMEGA_TOL
    else:
        if np.all(np.isnan(a)) and np.all(np.isnan(b)):
            return
        scale = float(np.max(np.abs(a), initial=0.0)) or 1.0
        err, tol = float(np.max(np.abs(a - b), initial=0.0)) / scale, (RISK_RTOL if kind else EXACT_RTOL)
    assert err <= tol, f"{where} {section}: {key} error {err:.3g} > {tol:g}"


@pytest.mark.parametrize("example", sorted(FIXTURE))
def test_landscape_and_checks_reproduce_the_dense_numbers(example):
    cfg = fx.load_base_config(fx.ROOT / "examples" / example)
    model = DataModel.from_config(cfg.model)
    ref = FIXTURE[example]
    new = fx.landscape_numbers(compute_landscape(model, cfg.run.seed, **_options(cfg)))
    assert set(new) == set(ref["landscape"])
    for k, v in ref["landscape"].items():
        _close(example, "landscape", k, v, new[k])
    ctx = CheckContext(model_config=cfg.model, run=cfg.run, dims_explicit=True)
    seen = set()
    for claim in fx.CLAIMS:
        for rec in run_claim(claim, ctx, suite=True).records:
            key = f"{rec.claim} {rec.method}"
            if key not in ref:
                continue
            seen.add(key)
            got = fx.check_numbers(jsonable(rec.to_dict()))
            assert set(got) == set(ref[key]), key
            for k, v in ref[key].items():
                _close(example, key, k, v, got[k])
    assert seen == {k for k in ref if k != "landscape"}
