"""Our GLA recurrence against fla-core's naive references (loaded by file path), with the convention map
and float32 error bounds, plus planted convention errors that the comparison must catch."""

from __future__ import annotations

import pytest
import torch
from glaverify.numerics import fla_reference as fr
from glaverify.numerics import gla
from glaverify.proofs_check.checks import gla as cg
from glaverify.proofs_check.evidence import Verdict

ok, why = fr.fla_available()
needs_fla = pytest.mark.skipif(not ok, reason=f"fla-core unavailable: {why}")


def _inputs(B, T, H, K, V, shape, scale, seed):
    g = torch.Generator().manual_seed(seed)
    q, k = (torch.randn(B, T, H, K, generator=g) for _ in range(2))
    v = torch.randn(B, T, H, V, generator=g)
    gshape = (B, T, H, K) if shape == "key" else (B, T, H)
    lg = -torch.rand(gshape, generator=g) * scale
    return q, k, v, lg


def test_fla_is_loaded_by_path_without_importing_fla():
    import sys

    if ok:
        fr.load_naive("gla")
    assert "fla" not in sys.modules  # the package itself (needs triton) is never imported


@needs_fla
@pytest.mark.parametrize("shape", ["key", "scalar"])
@pytest.mark.parametrize("B,T,H,K,V",
                         [(1, 1, 1, 4, 4), (2, 17, 3, 8, 5), (1, 64, 2, 16, 16), (2, 129, 1, 6, 3)])
@pytest.mark.parametrize("scale", [1e-4, 1.0, 30.0])
def test_our_recurrence_matches_fla_within_the_float32_bound(shape, B, T, H, K, V, scale):
    q, k, v, lg = _inputs(B, T, H, K, V, shape, scale, seed=T * K + V)
    r = fr.compare_with_fla(q, k, v, lg, shape)
    assert r["passed"], r
    assert r["max_ratio_to_bound"] <= 1.0 and r["state_ratio_to_bound"] <= 1.0


@needs_fla
@pytest.mark.slow
@pytest.mark.parametrize("shape", ["key", "scalar"])
def test_fla_grid_to_length_256_with_zero_gates(shape):
    cases = cg.fla_grid_cases(shape, torch.Generator().manual_seed(0), quick=False)
    assert all(c["passed"] for c in cases), [c for c in cases if not c["passed"]]
    assert max(c["T"] for c in cases) == 256


@needs_fla
def test_fla_chunked_form_agrees_too():
    """Our chunked form vs fla's recurrence (same map)."""
    q, k, v, lg = _inputs(2, 70, 2, 8, 4, "key", 3.0, 1)
    o_f, _ = fr.fla_recurrent_gla(q, k, v, lg)
    qo, ko, vo = (t.transpose(1, 2).double() for t in (q, k, v))
    gates = torch.exp(lg.transpose(1, 2).double())
    o = gla.gla_chunked(qo * 8**-0.5, ko, vo, gates, "key", 16).transpose(1, 2)
    assert torch.allclose(o_f.double(), o, rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------------------------- planted conventions
def _ours_without_scale(q, k, v, lg, shape):
    o, S = fr.ours_on_fla_inputs(q, k, v, lg, shape)
    return o * q.shape[-1] ** 0.5, S


def _ours_key_gates_on_values(q, k, v, lg, shape):
    qo, ko, vo = (t.transpose(1, 2).double() for t in (q, k, v))
    gates = torch.exp(lg.transpose(1, 2).double())
    o, S = gla.gla_recurrent(qo * q.shape[-1] ** -0.5, ko, vo, gates, "value", return_states=True)
    return o.transpose(1, 2), S


def _ours_add_then_decay(q, k, v, lg, shape):
    """Adds the current token before applying its decay (the wrong order)."""
    qo, ko, vo = (t.transpose(1, 2).double() for t in (q, k, v))
    g = torch.exp(lg.transpose(1, 2).double())
    S = torch.zeros(*qo.shape[:2], vo.shape[-1], qo.shape[-1], dtype=torch.float64)
    outs = []
    for i in range(qo.shape[2]):
        S = (S + vo[:, :, i, :, None] * ko[:, :, i, None, :]) * g[:, :, i, None, :]
        outs.append(torch.einsum("bhvk,bhk->bhv", S, qo[:, :, i] * qo.shape[-1] ** -0.5))
    return torch.stack(outs, dim=2).transpose(1, 2), S


@needs_fla
@pytest.mark.parametrize("ours", [_ours_without_scale, _ours_key_gates_on_values, _ours_add_then_decay])
def test_planted_convention_errors_fail_the_comparison(ours):
    q, k, v, lg = _inputs(2, 20, 2, 6, 6, "key", 1.0, 3)  # K = V so the transposed gate runs
    assert not fr.compare_with_fla(q, k, v, lg, "key", ours=ours)["passed"]


@needs_fla
def test_fla_reference_checks_pass_and_catch_a_planted_error(make_ctx):
    for fn in (cg.g1_fla, cg.g2_fla):
        ev = fn(make_ctx())
        assert ev.verdict is Verdict.SUPPORTED, ev.summary
    ev = cg.check_fla(make_ctx(), "G2", ours=_ours_without_scale)
    assert ev.verdict is Verdict.REFUTED


@needs_fla
def test_g3_fla_reference_catches_key_gates_on_values(make_ctx):
    def transposed(q, k, v, g, shape):
        if shape == "scalar":
            return cg._fla_layer(q, k, v, g, "scalar")
        return gla.gla_recurrent(q, k, v, g, "value")

    ev = cg.check_fla(make_ctx(), "G3", layer_fn=transposed)
    assert ev.verdict is Verdict.REFUTED
    assert ev.residuals["construction_max_rel_err"] > cg.FLA_REL_TOL


def test_missing_fla_gives_inconclusive(make_ctx, monkeypatch):
    monkeypatch.setattr(fr, "fla_available", lambda: (False, "fla-core is not installed"))
    ev = cg.g1_fla(make_ctx())
    assert ev.verdict is Verdict.INCONCLUSIVE and "not installed" in ev.summary
