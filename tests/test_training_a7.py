"""A7 trained, progressive protocol (numerics.training.progressive_depth_seeds and the A7
``training-progressive`` method): the deeper arm starts exactly at the shallower model's risk, both arms see
the same training and evaluation prompts, the record states its budget and decides by the paired intervals."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from glaverify.numerics import training as T
from glaverify.numerics.errors import InputError
from glaverify.proofs_check.evidence import Verdict


def _tiny():
    from glaverify.proofs_check.checks import gating as cgat

    return cgat.star_model([2, 2], [0.3, 0.9], d=2, eigenvalues=[0.5, 2.0])


def test_zero_layer_extension_predicts_exactly_what_the_shallower_model_predicts():
    m = _tiny()
    spec = T.TrainSpec(layers=2, steps=3)
    net = T.build_model(spec, m)
    with T.deterministic_torch():
        T._fit(net, spec.arch, m, 3, 0.05, 64, torch.Generator().manual_seed(0))
        deeper = T.extend_with_zero_layer(net, spec, m)
        assert len(deeper.layers) == 3
        pr = __import__("glaverify.numerics.sampler", fromlist=["x"]).sample_prompts_torch(
            m, 32, torch.Generator().manual_seed(1))
        z = T.tokens_for(spec.arch, m, pr)
        with torch.no_grad():
            assert torch.equal(net.predict(z), deeper.predict(z))
            # the copy is independent: training the copy leaves the original untouched
            copy = T.copy_model(net, spec, m)
        before = [p.detach().clone() for p in net.parameters()]
        T._fit(copy, spec.arch, m, 2, 0.05, 64, torch.Generator().manual_seed(2))
        assert all(torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))


def test_progressive_sweep_is_deterministic_and_paired():
    m = _tiny()
    kw = dict(depths=(1, 2, 3), seeds=(0, 1), steps=4, extra_steps=3, eval_prompts=300)
    a, b = T.progressive_depth_seeds(m, **kw), T.progressive_depth_seeds(m, **kw)
    np.testing.assert_array_equal(a.deeper, b.deeper)
    np.testing.assert_array_equal(a.continued, b.continued)
    ivs = a.paired_intervals(0.99)
    assert [iv["protocol"] for iv in ivs] == ["from scratch", "progressive"]
    assert ivs[1]["per_seed"] == pytest.approx(list(a.deeper[1] - a.continued[1]))
    # the progressive arm starts where the from-scratch L = 2 model ended
    np.testing.assert_array_equal(a.start[1], a.deeper[0])
    with pytest.raises(InputError):
        T.progressive_depth_seeds(m, depths=(1, 3), seeds=(0,), steps=1, extra_steps=1)
    with pytest.raises(InputError):
        T.progressive_depth_seeds(m, depths=(1, 2), seeds=(0,), steps=1, extra_steps=1, scratch=3)


def test_from_scratch_arms_are_the_runs_of_train():
    """The from-scratch models of the protocol are the :func:`train` runs with the same seed and budget (same
    training loop, prompts and evaluation prompts): its L = 1 -> 2 comparison is the seed sweep's."""
    m = _tiny()
    sw = T.progressive_depth_seeds(m, depths=(1, 2), seeds=(3,), steps=5, extra_steps=1, eval_prompts=400,
                                   batch=64)
    for i, L in enumerate((1, 2)):
        r = T.train(T.TrainSpec(layers=L, steps=5, seed=3, eval_prompts=400, batch=64), m, with_theory=False)
        got = sw.continued[0, 0] if i == 0 else sw.deeper[0, 0]
        assert got == r.risk_mc


def test_progressive_intervals_decide_like_the_seed_sweep():
    """Planted sweeps: every seed improves (supported), one comparison just above 0 across seeds (refuted), a
    spread straddling 0 (inconclusive)."""
    def sweep(diff2):
        cont = np.array([[2.0, 2.1, 1.9], [1.5, 1.6, 1.4]])
        deep = np.array([cont[0] - 0.5, cont[1] + np.asarray(diff2)])
        return T.ProgressiveSweep("gla-delimiter", (1, 2, 3), (0, 1, 2), cont, deep, cont, 10, 5, 100, 0.0)

    dec = lambda s: T.decide_depth(s.paired_intervals(0.99))[0]  # noqa: E731
    assert dec(sweep([-0.05, -0.051, -0.049])) == "supported"
    assert dec(sweep([0.001, 0.0011, 0.0012])) == "refuted"
    assert dec(sweep([-0.05, 0.06, -0.01])) == "inconclusive"


def test_ci_sized_progressive_record_runs_and_records_its_budget(make_ctx):
    from glaverify.proofs_check.checks import gating as cgat

    rec = cgat.a7_progressive_record(make_ctx(), _tiny(), "training-progressive", (0, 1), steps=4,
                                     extra_steps=3, eval_prompts=300, depths=(1, 2, 3))
    assert rec.sample_size == 2 and "progressive" in rec.details["budget"] and "from scratch" in rec.summary
    assert rec.details["sweep"]["extra_steps"] == 3 and rec.verdict in (
        Verdict.SUPPORTED, Verdict.INCONCLUSIVE, Verdict.REFUTED)


@pytest.mark.slow
def test_a7_is_decided_on_star_by_the_exact_witness_and_the_progressive_protocol(make_ctx):
    """The pin of docs/exact.md (A7): on examples/star.toml the progressive protocol at its default budget (8
    seeds, 600 + 300 steps, 50 000 evaluation prompts; ~18 min on a loaded machine) supports A7 — every
    interval across seeds below 0 — and with the exact two-layer GLA proof (partial) the claim reads
    supported, without a tool error. Recorded run: L=1->2 [-0.5773, -0.5366], L=2->3 [-0.02751, -0.0121]."""
    from glaverify.numerics.config import load_config
    from glaverify.proofs_check.checks import exact as cex
    from glaverify.proofs_check.checks import gating as cgat
    from glaverify.proofs_check.evidence import claim_status

    ctx = make_ctx(load_config("examples/star.toml").model, quick=False)
    prog = cgat.a7_training_progressive(ctx)
    assert prog.verdict is Verdict.SUPPORTED, prog.summary
    ivs = prog.details["intervals"]
    assert ivs[0]["high"] < -0.4 and ivs[1]["high"] < 0
    gla = cex.a7_exact_gla(ctx)
    assert gla.verdict is Verdict.PROVED
    st = claim_status([gla, prog])
    assert st.verdict is Verdict.SUPPORTED and not st.tool_errors
