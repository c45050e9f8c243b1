"""Trained GLA / LinAtt land on the certified optimum of their class (A3, A4, A6 measured) and depth (A7)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from glaverify.numerics.config import load_config
from glaverify.numerics.errors import InputError
from glaverify.numerics.model import DataModel
from glaverify.numerics.training import TrainSpec, depth_sweep, train
from glaverify.proofs_check.checks.gating import star_model
from glaverify.proofs_check.cli import app
from typer.testing import CliRunner

EXAMPLES = __import__("pathlib").Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def small():
    return star_model([2, 2, 2], [0.2, 0.55, 0.9], d=2, eigenvalues=[0.5, 2.0])


@pytest.mark.parametrize("arch", ["gla-delimiter", "gla-vector", "linatt"])
def test_ci_sized_training_reaches_the_class_optimum(small, arch):
    res = train(TrainSpec(arch=arch, steps=300, batch=256, eval_prompts=5000), small)
    assert res.rel_gap is not None and 0 <= res.rel_gap <= 0.02 + 1e-12  # never below the certified optimum
    assert res.cosine >= 0.99
    assert res.ci[0] <= res.risk_exact <= res.ci[1]  # the exact one-layer risk lies in the MC CI
    assert res.P_rel_error < 0.3


def test_training_is_deterministic_under_a_seed(small):
    a = train(TrainSpec(steps=15, batch=64, eval_prompts=200, seed=3), small, with_theory=False)
    b = train(TrainSpec(steps=15, batch=64, eval_prompts=200, seed=3), small, with_theory=False)
    c = train(TrainSpec(steps=15, batch=64, eval_prompts=200, seed=4), small, with_theory=False)
    assert a.losses == b.losses and a.risk_mc == b.risk_mc
    assert a.losses != c.losses


def test_bad_spec_is_rejected(small):
    with pytest.raises(InputError):
        TrainSpec(arch="transformer").validate()
    with pytest.raises(InputError):
        TrainSpec(layers=0).validate()


def test_cli_train_json_and_bad_arch(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        (EXAMPLES / "nonmonotone.toml").read_text() + "\n[train]\nbatch = 64\neval_prompts = 500\n"
    )
    runner = CliRunner()
    res = runner.invoke(
        app, ["train", "--config", str(cfg), "--arch", "gla-delimiter", "--steps", "20", "--json"]
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["layers"] == 1 and out["theory_risk"] is not None and len(out["ci"]) == 2
    res = runner.invoke(app, ["train", "--config", str(cfg), "--arch", "rnn"])
    assert res.exit_code == 2
    cfg.write_text((EXAMPLES / "nonmonotone.toml").read_text() + "\n[train]\nbogus = 1\n")
    assert runner.invoke(app, ["train", "--config", str(cfg)]).exit_code == 2


def test_a7_quick_check_runs_and_reports_cis(make_ctx):
    from glaverify.proofs_check.checks.gating import a7_quick

    ev = a7_quick(make_ctx())
    assert ev.verdict.value in ("supported", "inconclusive", "refuted")
    assert ev.sample_size == 20_000 and {"L1", "L2", "L3"} <= set(ev.ci)


@pytest.mark.slow
@pytest.mark.parametrize("arch", ["gla-delimiter", "gla-vector", "linatt"])
def test_full_training_on_star_example(arch):
    m = DataModel.from_config(load_config(EXAMPLES / "star.toml").model)
    res = train(TrainSpec(arch=arch, steps=1500, batch=512, eval_prompts=100_000), m)
    assert 0 <= res.rel_gap <= 0.02
    assert res.cosine >= 0.99
    assert res.ci[0] <= res.risk_exact <= res.ci[1]


@pytest.mark.slow
def test_depth_lowers_trained_risk_on_star_example():
    m = star_model([3, 3, 3], [0.2, 0.55, 0.9], d=2, eigenvalues=[0.5, 2.0])
    res = depth_sweep(m, "gla-delimiter", (1, 2, 3), steps=1500, eval_prompts=100_000)
    risks = [r.risk_mc for r in res]
    # report-style assertion: L=2 is not worse than L=1 beyond the CIs
    assert res[1].ci[0] <= res[0].ci[1]
    assert np.isfinite(risks).all()


# ----------------------------------------------------- session 5: the training loop's last-token prediction
def _net_and_tokens(small, arch="gla-delimiter", layers=1, zero_gate=False, seed=0):
    import torch
    from glaverify.numerics.sampler import sample_prompts_torch
    from glaverify.numerics.training import build_model, tokens_for

    net = build_model(TrainSpec(arch=arch, layers=layers), small)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for lyr in net.layers:  # move away from the construction: random Q, random gates
            lyr.W_q.add_(0.3 * torch.randn(lyr.W_q.shape, generator=g, dtype=lyr.W_q.dtype))
            for p in lyr.gate.parameters():
                p.copy_(torch.randn(p.shape, generator=g, dtype=p.dtype))
    if zero_gate:  # an exact zero gate at the first delimiter of the last layer (a zero of the gate product)
        gate = net.layers[-1].gate
        real = gate.forward

        def forward(z, real=real):
            out = real(z).clone()
            out[..., 2] = 0.0
            return out

        gate.forward = forward
    pr = sample_prompts_torch(small, 64, g)
    return net, tokens_for(arch, small, pr)


@pytest.mark.parametrize(("layers", "zero_gate", "form", "chunk"), [
    (1, False, "chunked", 128), (2, False, "chunked", 128), (1, True, "chunked", 128),
    (3, False, "recurrent", 64),
    (2, True, "chunked", 3),  # several chunks in the earlier layers
])
def test_predict_last_is_the_full_forward_at_the_query(small, layers, zero_gate, form, chunk):
    """GLA.predict_last (the last layer at the query only) against GLA.predict (every position, every
    coordinate): equal to rounding, with random weights, exact zero gates, several layers and chunks."""
    net, z = _net_and_tokens(small, layers=layers, zero_gate=zero_gate)
    a = net.predict(z, form=form, chunk_size=chunk).detach()
    b = net.predict_last(z, form=form, chunk_size=chunk).detach()
    assert float((a - b).abs().max()) <= 1e-13 * float(a.abs().max())


def test_predict_last_falls_back_for_vector_gates(small):
    net, z = _net_and_tokens(small, arch="gla-vector")
    a = net.predict(z, form="recurrent").detach()
    assert bool((net.predict_last(z, form="recurrent").detach() == a).all())


@pytest.mark.parametrize(("factor", "caught"), [(0.5, False), (2.0, True)])
def test_training_refuses_a_wrong_last_token_prediction(small, monkeypatch, factor, caught):
    """Planted: the fast prediction off by factor·TORCH_REL_TOL (relative). Above the tolerance the training
    loop stops with a tool error before its first step; below it trains."""
    from glaverify.numerics import gla
    from glaverify.numerics.consistency import ToolError
    from glaverify.numerics.tolerances import TORCH_REL_TOL

    real = gla.GLA.predict_last

    def off(self, z, form="recurrent", chunk_size=64):
        out = real(self, z, form, chunk_size)
        return out + factor * TORCH_REL_TOL * float(out.detach().abs().max())

    monkeypatch.setattr(gla.GLA, "predict_last", off)
    spec = TrainSpec(steps=3, batch=32, eval_prompts=200)
    if caught:
        with pytest.raises(ToolError, match="last-token prediction"):
            train(spec, small, with_theory=False)
    else:
        assert np.isfinite(train(spec, small, with_theory=False).risk_mc)


def test_training_catches_a_planted_off_by_one_gate_product(small, monkeypatch):
    """Planted: the last-token decay starts one position late (D_Tj = ∏_{j≤i≤T} g_i: the key's own gate
    included). The check against the full forward must refuse it."""
    import torch
    from glaverify.numerics import gla
    from glaverify.numerics.consistency import ToolError

    real = gla._segment_logs

    def shifted(gates):
        logg, zero = real(gates)
        return torch.cat([logg[..., 1:], torch.zeros_like(logg[..., :1])], dim=-1), zero

    net, z = _net_and_tokens(small)

    def wrong(self, z, form="recurrent", chunk_size=64):
        monkeypatch.setattr(gla, "_segment_logs", shifted)
        try:
            return real_last(self, z, form, chunk_size)
        finally:
            monkeypatch.setattr(gla, "_segment_logs", real)

    real_last = gla.GLA.predict_last
    monkeypatch.setattr(gla.GLA, "predict_last", wrong)
    from glaverify.numerics.training import check_predict_last

    with pytest.raises(ToolError):
        check_predict_last(net, z, "chunked")


def test_deterministic_torch_sets_and_restores_the_global_flag():
    """The training's determinism block turns torch's deterministic-algorithms flag on (one thread) and
    restores the caller's settings afterwards, also after an error inside the block."""
    import torch
    from glaverify.numerics.training import deterministic_torch

    before = (torch.are_deterministic_algorithms_enabled(), torch.get_deterministic_debug_mode(),
              torch.get_num_threads())
    with deterministic_torch():
        assert torch.are_deterministic_algorithms_enabled() and torch.get_num_threads() == 1
        assert torch.get_deterministic_debug_mode() == 2  # "error": a nondeterministic op raises
    with pytest.raises(RuntimeError, match="inside"), deterministic_torch():
        raise RuntimeError("inside")
    assert (torch.are_deterministic_algorithms_enabled(), torch.get_deterministic_debug_mode(),
            torch.get_num_threads()) == before
