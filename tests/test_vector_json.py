"""The n×d vector-gate weight table at the JSON boundary (A6, ``gla_vector`` section of ``glaverify
landscape --json``): plain list up to WEIGHTS_DENSE_MAX entries, exact block form above, one reader."""

from __future__ import annotations

import json

import numpy as np
import pytest
from glaverify.numerics.errors import InputError
from glaverify.numerics.gating import vector as V
from glaverify.numerics.model import DataModel


def _table(sizes=(3, 1, 4), d=5, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    U = rng.standard_normal((len(sizes), d))
    return np.repeat(U, sizes, axis=0)


def test_small_tables_stay_the_plain_list():
    G = _table()
    fmt, val = V.weights_json(G, [3, 1, 4])
    assert fmt == "dense" and val == G.tolist()
    assert np.array_equal(V.expand_weights(fmt, val), G)


def test_large_block_constant_table_round_trips_exactly(monkeypatch):
    monkeypatch.setattr(V, "WEIGHTS_DENSE_MAX", 0)
    G = _table()
    fmt, val = V.weights_json(G, [3, 1, 4])
    assert fmt == "block-constant"
    assert np.asarray(val["block_values"]).shape == (3, 5) and val["block_sizes"] == [3, 1, 4]
    back = V.expand_weights(fmt, json.loads(json.dumps(val)))
    assert np.array_equal(back, G)  # exact, through JSON text


def test_a_table_one_ulp_off_block_constant_is_written_dense(monkeypatch):
    """Planted near-miss: one entry of the last block differs by one ulp, so the block form would not be
    exact; the table must be written in full."""
    monkeypatch.setattr(V, "WEIGHTS_DENSE_MAX", 0)
    G = _table()
    G[6, 2] = np.nextafter(G[6, 2], np.inf)
    fmt, val = V.weights_json(G, [3, 1, 4])
    assert fmt == "dense" and np.array_equal(V.expand_weights(fmt, val), G)
    fmt, _ = V.weights_json(G, [3, 1, 3])  # block sizes that do not add up to n: never compressed
    assert fmt == "dense"


def test_unknown_format_is_one_clear_error():
    with pytest.raises(InputError, match="omega_format"):
        V.expand_weights("zip", [])


def test_gla_vector_section_writes_the_block_form_and_it_expands_to_the_optimum(monkeypatch):
    """End to end through the landscape command's section: the expanded table equals the certified optimum's
    Γ (normalised per column) computed directly."""
    from glaverify.numerics.gating import vector_gate_optimum
    from glaverify.proofs_check.commands import gating as cg
    from glaverify.proofs_check.commands import landscape as cl

    monkeypatch.setattr(V, "WEIGHTS_DENSE_MAX", 0)
    corr = np.array([[1.0, 0.3, 0.5], [0.3, 1.0, 0.8], [0.5, 0.8, 1.0]])
    model = DataModel.create(np.diag([0.5, 1.0, 2.0]), corr, [3, 4], 0.2)
    cg._register_sections()
    out = json.loads(json.dumps(cl.compute_landscape(model, seed=0)))
    sec = out["gla_vector"]
    assert sec["omega_format"] == "block-constant"
    W = V.expand_weights(sec["omega_format"], sec["omega"])
    Gamma = vector_gate_optimum(model, "delimiter").Gamma
    assert W.shape == (model.n, model.d)
    assert np.allclose(W, Gamma / np.max(np.abs(Gamma), axis=0, keepdims=True), rtol=0, atol=0)
