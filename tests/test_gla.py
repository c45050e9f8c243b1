"""G1–G4 in torch: the GLA model (recurrent = chunked, gate shapes and classes), the WPGD construction and
its readout, the torch checks, and the planted errors each check must catch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from glaverify.numerics import gla, wpgd
from glaverify.numerics.errors import InputError
from glaverify.numerics.strategies import preconditioners, prompts
from glaverify.proofs_check.checks import gla as cg
from glaverify.proofs_check.evidence import Verdict
from hypothesis import given
from hypothesis import strategies as st

DT = torch.float64


def _qkv(B, T, K, V, seed, dtype=DT):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(B, T, K, generator=g, dtype=dtype), torch.randn(B, T, K, generator=g, dtype=dtype),
            torch.randn(B, T, V, generator=g, dtype=dtype), g)


def _gates(shape, B, T, K, V, g, zero_frac=0.1, dtype=DT):
    size = {"scalar": (B, T), "key": (B, T, K), "value": (B, T, V)}[shape]
    vals = torch.rand(size, generator=g, dtype=dtype)
    vals[torch.rand(size, generator=g, dtype=dtype) < zero_frac] = 0.0
    return vals


def _prompt(B, d, n, seed):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(B, n, d, generator=g, dtype=DT)
    y = torch.randn(B, n, generator=g, dtype=DT)
    x = torch.randn(B, d, generator=g, dtype=DT)
    return X, y, x, gla.make_tokens(X, y, x)


# ------------------------------------------------------------------------------------- recurrent = chunked
@given(shape=st.sampled_from(gla.GATE_SHAPES), T=st.integers(1, 40), C=st.integers(1, 16),
       sub=st.integers(1, 16), K=st.integers(1, 5), V=st.integers(1, 5), seed=st.integers(0, 2**31 - 1),
       zero_frac=st.sampled_from([0.0, 0.2, 0.6]))
def test_chunked_form_equals_recurrent_form(shape, T, C, sub, K, V, seed, zero_frac):
    """Any length (multiple of the chunk size or not), gates with exact zeros: same outputs and state."""
    q, k, v, g = _qkv(2, T, K, V, seed)
    gates = _gates(shape, 2, T, K, V, g, zero_frac)
    o1, S1 = gla.gla_recurrent(q, k, v, gates, shape, return_states=True)
    o2, S2 = gla.gla_chunked(q, k, v, gates, shape, C, return_states=True, sub_chunk=sub)
    scale = 1 + float(o1.abs().max())
    assert float((o1 - o2).abs().max()) <= 1e-12 * scale * T
    assert float((S1 - S2).abs().max()) <= 1e-12 * (1 + float(S1.abs().max())) * T
    assert not torch.isnan(o2).any()


@pytest.mark.parametrize("shape", gla.GATE_SHAPES)
def test_chunked_float32_and_batch_dims(shape):
    q, k, v, g = _qkv(6, 50, 4, 3, 1, dtype=torch.float32)
    gates = _gates(shape, 6, 50, 4, 3, g, dtype=torch.float32)
    q, k, v = (t.reshape(2, 3, *t.shape[1:]) for t in (q, k, v))
    gates = gates.reshape(2, 3, *gates.shape[1:])
    o1 = gla.gla_recurrent(q, k, v, gates, shape)
    o2 = gla.gla_chunked(q, k, v, gates, shape, 16)
    assert o2.dtype == torch.float32 and o2.shape == (2, 3, 50, 3)
    assert torch.allclose(o1, o2, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-12), (torch.float32, 1e-4)])
@pytest.mark.parametrize("shape", ["key", "value"])
def test_chunked_form_with_strongly_negative_log_gates(shape, dtype, tol):
    """Log-gates down to −60 per token: the sub-chunk factorisation would overflow, the explicit path is
    used; outputs stay finite and equal to the recurrence."""
    q, k, v, g = _qkv(2, 45, 4, 4, 11, dtype=dtype)
    gates = torch.exp(-60 * torch.rand((2, 45, 4), generator=g, dtype=dtype))
    o1 = gla.gla_recurrent(q, k, v, gates, shape)
    for C, sub in ((16, 16), (32, 8), (64, 64)):
        o2 = gla.gla_chunked(q, k, v, gates, shape, C, sub_chunk=sub)
        assert torch.isfinite(o2).all()
        assert float((o1 - o2).abs().max()) <= tol * (1 + float(o1.abs().max()))


def test_zero_gate_resets_the_state_exactly():
    """A gate of 0 at position t forgets everything before t (no NaN from log 0 in the chunked form)."""
    q, k, v, _ = _qkv(1, 12, 3, 2, 3)
    gates = torch.full((1, 12), 0.7, dtype=DT)
    gates[0, 6] = 0.0
    for C in (1, 4, 5, 64):
        o = gla.gla_chunked(q, k, v, gates, "scalar", C)
        o_tail = gla.gla_recurrent(q[:, 6:], k[:, 6:], v[:, 6:], gates[:, 6:].clone().fill_(0.7), "scalar")
        assert torch.allclose(o[:, 6:], o_tail, atol=1e-13)


def test_all_gates_one_is_linear_attention():
    q, k, v, _ = _qkv(2, 9, 3, 4, 4)
    o = gla.gla_chunked(q, k, v, torch.ones(2, 9, dtype=DT), "scalar", 4)
    A = torch.einsum("btk,bsk->bts", q, k).tril()
    assert torch.allclose(o, A @ v, atol=1e-12)


def test_bad_gate_shape_and_chunk_size_raise_input_error():
    q, k, v, _ = _qkv(1, 5, 3, 2, 0)
    with pytest.raises(InputError, match="gates"):
        gla.gla_recurrent(q, k, v, torch.ones(1, 5, 2, dtype=DT), "key")
    with pytest.raises(InputError, match="chunk_size"):
        gla.gla_chunked(q, k, v, torch.ones(1, 5, dtype=DT), "scalar", 0)
    with pytest.raises(InputError, match="gate_shape"):
        gla.gla_recurrent(q, k, v, torch.ones(1, 5, dtype=DT), "diagonal")
    with pytest.raises(InputError, match=r"gates: values in \[0, 1\]"):
        gla.gla_chunked(q, k, v, torch.full((1, 5), 1.5, dtype=DT), "scalar", 2)
    empty = gla.gla_chunked(q[:, :0], k[:, :0], v[:, :0], torch.ones(1, 0, 3, dtype=DT), "key", 4)
    assert empty.shape == (1, 0, 2)


# ---------------------------------------------------------------------------------------------- gates
def test_gate_parametrisation_ranges():
    theta = torch.tensor([-50.0, -1.0, 0.0, 1.0, 50.0], dtype=DT)
    sig = gla._param_gate(theta, "sigmoid")
    assert bool(((sig > 0) & (sig <= 1)).all()) and float(sig[2]) == 0.5
    ex = gla._param_gate(theta, "exp")
    assert float(ex[2]) == 1.0 and bool((ex <= 1).all()) and float(ex[1]) > 0
    assert float(ex[0]) == 0.0  # exp(-θ²) is in (0, 1] mathematically but underflows for |θ| > ~27
    with pytest.raises(InputError, match="FreeGate.init"):
        gla.FreeGate(3, param="direct", init=torch.tensor([0.5, 1.2, 0.0]))
    with pytest.raises(InputError, match="param"):
        gla.FreeGate(3, param="tanh")


def test_delimiter_gate_is_exactly_one_on_data_tokens():
    d = 2
    z = torch.randn(1, 6, d + 2, dtype=DT)
    z[..., -1] = torch.tensor([0, 0, 1, 0, 1, 0], dtype=DT)  # flags
    gate = gla.DelimiterGate(flag_index=d + 1, param="direct", num_delimiters=2,
                             init=torch.tensor([0.3, 0.0], dtype=DT))
    g = gate(z)
    assert g.tolist() == [[1.0, 1.0, 0.3, 1.0, 0.0, 1.0]]
    shared = gla.DelimiterGate(flag_index=d + 1, param="exp", init=torch.tensor([0.0]))
    assert shared(z).tolist() == [[1.0] * 6]  # exp(-0²) = 1 is attainable


def test_block_gate_and_free_gate_shapes():
    z = torch.randn(3, 5, 4, dtype=DT)
    bg = gla.BlockGate([0, 0, 1, 1, 2], "key", d_k=4)
    assert bg(z).shape == (3, 5, 4)
    assert torch.allclose(bg(z)[:, 0], bg(z)[:, 1])
    fg = gla.FreeGate(5, "value", d_v=4)
    assert fg(z).shape == (3, 5, 4)
    with pytest.raises(InputError, match="length"):
        fg(torch.randn(3, 6, 4, dtype=DT))


def test_gates_are_trainable():
    d, n = 2, 5
    X, y, x, z = _prompt(4, d, n, 0)
    net = gla.wpgd_to_gla([torch.eye(d)], [gla.TokenGate(d + 1)], d)
    loss = net.predict(z, "chunked", 3).pow(2).sum()
    loss.backward()
    grad = net.layers[0].gate.weight.grad
    assert grad is not None and float(grad.abs().sum()) > 0


# ------------------------------------------------------------------------------------- construction
@pytest.mark.parametrize("form,C", [("recurrent", 64), ("chunked", 4), ("chunked", 1)])
def test_g1_construction_is_wpgd(form, C):
    d, n = 3, 9
    X, y, x, z = _prompt(5, d, n, 2)
    Q = torch.randn(d, d, dtype=DT)
    gvals = torch.rand(n + 1, dtype=DT)
    net = gla.wpgd_to_gla([Q], [gla.FixedGate(gvals)], d)
    omega = torch.stack([gvals[i + 1:].prod() for i in range(n)])  # Π_{j=i+1}^{n+1} g_j, query included
    ref = wpgd.wpgd_one_step(X, y, x, Q.T, omega)
    assert torch.allclose(net.predict(z, form, C), ref, rtol=1e-12, atol=1e-12)


@given(pr=prompts(d=st.integers(1, 4), n=st.integers(1, 8)), data=st.data(),
       shape=st.sampled_from(gla.GATE_SHAPES), L=st.integers(1, 3), C=st.integers(1, 6))
def test_g3_property_gla_equals_causal_wpgd(pr, data, shape, L, C):
    """G3 (G1 for L = 1) on prompts from random data models (package strategies), random Q_ℓ and
    token-dependent gates of every shape: recurrent and chunked GLA = causal WPGD to 1e-10 relative."""
    d = pr.X.shape[-1]
    X, y, x = (torch.as_tensor(a) for a in (pr.X, pr.y, pr.x_query))
    z = gla.make_tokens(X, y, x)
    Qs = [torch.as_tensor(data.draw(preconditioners(d, 0.5))) for _ in range(L)]
    g = torch.Generator().manual_seed(data.draw(st.integers(0, 2**31 - 1)))
    dim = 1 if shape == "scalar" else d + 1
    gates = [gla.TokenGate(d + 1, shape, d_k=d + 1, d_v=d + 1,
                           weight=torch.randn(dim, d + 1, generator=g, dtype=DT),
                           bias=torch.randn(dim, generator=g, dtype=DT) + 1) for _ in range(L)]
    net = gla.wpgd_to_gla(Qs, gates, d)
    with torch.no_grad():
        ref = wpgd.causal_wpgd_gated(X, y, x, [Q.T for Q in Qs], gates, [shape] * L)
        # relative to the prediction, with a floor at 1e-3 of the size of the L-step terms (~‖X‖^{2L}) for
        # prompts whose prediction cancels to ~0
        scale = float(ref.abs().max()) + float(torch.linalg.vector_norm(X)) ** (2 * L) * 1e-3 + 1e-300
        for form in ("recurrent", "chunked"):
            yhat = net.predict(z, form, C)
            assert float((yhat - ref).abs().max()) <= 1e-10 * scale


def test_readout_recovers_P_and_weights_and_inverts_the_construction():
    d, n, L = 2, 6, 2
    X, y, x, z = _prompt(3, d, n, 5)
    Qs = [torch.randn(d, d, dtype=DT) for _ in range(L)]
    gates = [gla.TokenGate(d + 1, weight=torch.randn(d + 1), bias=torch.randn(1)) for _ in range(L)]
    net = gla.wpgd_to_gla(Qs, gates, d)
    eff = gla.effective_wpgd(net, z, d)
    for P, Q in zip(eff.P, Qs, strict=True):
        assert torch.allclose(P, Q.T)
    g0 = gates[0](z)
    assert torch.allclose(eff.query_weights(0), wpgd.gate_weights(g0))
    # the readout, fed to the reference predictor, reproduces the model
    assert torch.allclose(wpgd.causal_wpgd(X, y, x, eff.P, eff.omega), net.predict(z), atol=1e-12)
    # a scaled value matrix is absorbed into P
    net.layers[0].W_v.data *= 3
    assert torch.allclose(gla.effective_wpgd(net, z, d).P[0], -3 * -Qs[0].T)


def test_readout_refuses_a_non_construction_layer():
    d = 2
    _, _, _, z = _prompt(1, d, 4, 0)
    net = gla.wpgd_to_gla([torch.eye(d)], [gla.TokenGate(d + 1)], d)
    net.layers[0].W_k.data[0, d] = 0.5  # key reads the label
    with pytest.raises(InputError, match="W_k"):
        gla.effective_wpgd(net, z, d)


def test_g2_key_gates_reduce_to_g1_for_constant_vectors():
    d, n = 3, 7
    X, y, x, z = _prompt(4, d, n, 9)
    Q = torch.randn(d, d, dtype=DT)
    g = torch.rand(n + 1, dtype=DT)
    key = gla.wpgd_to_gla([Q], [gla.FixedGate(g[:, None].expand(n + 1, d + 1).clone(), "key")], d)
    scalar = gla.wpgd_to_gla([Q], [gla.FixedGate(g)], d)
    assert torch.allclose(key.predict(z), scalar.predict(z), atol=1e-13)


def test_numpy_and_torch_references_agree():
    rng = np.random.default_rng(0)
    X, y, x = rng.normal(size=(3, 5, 2)), rng.normal(size=(3, 5)), rng.normal(size=(3, 2))
    Ps = [rng.normal(size=(2, 2)) for _ in range(2)]
    om = [wpgd.pairwise_gate_weights(rng.uniform(size=6)) for _ in range(2)]
    a = wpgd.causal_wpgd(X, y, x, Ps, om)
    b = wpgd.causal_wpgd(*(torch.as_tensor(t) for t in (X, y, x)), [torch.as_tensor(P) for P in Ps],
                         [torch.as_tensor(o) for o in om])
    assert np.allclose(a, b.numpy(), atol=1e-14)
    f = wpgd.full_context_wpgd(X, y, x, Ps[:1], [om[0][-1, :-1]])
    assert np.allclose(f, wpgd.causal_wpgd(X, y, x, Ps[:1], om[:1]), atol=1e-13)  # G4, L = 1


# ---------------------------------------------------------------------------------------------- checks
@pytest.mark.parametrize("claim,fn", [("G1", cg.g1_torch), ("G2", cg.g2_torch), ("G3", cg.g3_torch)])
def test_torch_checks_pass_on_the_default_model(make_ctx, claim, fn):
    ev = fn(make_ctx())
    assert ev.verdict is Verdict.SUPPORTED, ev.summary
    assert ev.residuals["max_rel_err"] <= cg.TORCH_REL_TOL and ev.sample_size > 0


def test_g4_monte_carlo_reports_both_risks_and_the_gap(make_ctx):
    ev = cg.check_g4_monte_carlo(make_ctx(), num_prompts=4000)
    assert ev.verdict is Verdict.SUPPORTED, ev.summary
    det = ev.details
    assert det["L1_relative_difference"] <= 1e-12 and det["max_L2_prediction_difference"] > 1e-3
    assert ev.ci["low"] <= det["gap_causal_minus_full"] <= ev.ci["high"]
    assert det["risk_causal"]["samples"] == 4000


# ---------------------------------------------------------------------------------------- planted errors
def _own_gate_included(g):
    """ω_i = Π_{j=i}^{n+1} g_j (the example's own gate wrongly included)."""
    cp = torch.flip(torch.cumprod(torch.flip(g, dims=[-1]), dim=-1), dims=[-1])
    return cp[..., :-1]


def _query_gate_left_out(g):
    """ω_i = Π_{j=i+1}^{n} g_j (the query's gate wrongly left out)."""
    return wpgd.gate_weights(torch.cat([g[..., :-1], torch.ones_like(g[..., -1:])], dim=-1))


@pytest.mark.parametrize("weights_fn", [_own_gate_included, _query_gate_left_out])
def test_planted_wrong_gate_product_is_caught_by_g1(make_ctx, weights_fn):
    ev = cg.check_one_layer_torch(make_ctx(), "G1", "scalar", weights_fn=weights_fn, batch=16)
    assert ev.verdict is Verdict.REFUTED
    assert ev.counterexample["gla"] != ev.counterexample["wpgd"]


def test_planted_causal_sum_stopping_one_token_early_is_caught_by_g3(make_ctx):
    def early(g):  # j < i only: the own term of each position dropped
        vector = g.ndim == 3
        om = wpgd.pairwise_gate_weights(g, vector=vector)
        eye = torch.eye(om.shape[-2 if not vector else -3], dtype=om.dtype)
        return om * (1 - (eye[..., None] if vector else eye))

    ev = cg.check_g3_torch(make_ctx(), weights_fn=early, layers=2, batch=8)
    assert ev.verdict is Verdict.REFUTED


def test_planted_missing_query_term_is_caught_by_g3(make_ctx):
    def no_query(*a, **kw):
        return wpgd.causal_wpgd_gated(*a, include_query=False, **kw)

    ev = cg.check_g3_torch(make_ctx(), reference=no_query, layers=2, batch=8)
    assert ev.verdict is Verdict.REFUTED


def test_planted_gla_reading_the_state_before_the_token_is_caught_by_g3(make_ctx):
    def stale(q, k, v, g, shape):  # o_i = S_{i-1} q_i
        o = gla.gla_recurrent(q, k, v, g, shape)
        own = v * torch.einsum("...tk,...tk->...t", k, q)[..., None]
        return o - own

    assert cg.check_g3_torch(make_ctx(), layer_fn=stale, layers=2, batch=8).verdict is Verdict.REFUTED


def test_planted_residual_with_wrong_sign_is_caught(make_ctx):
    def wrong_residual(model, z):
        for lyr in model.layers:
            z = z - lyr(z)
        return -z[..., -1, model.label_index]

    assert cg.check_one_layer_torch(make_ctx(), "G1", "scalar", gla_predict=wrong_residual,
                                    batch=8).verdict is Verdict.REFUTED
    assert cg.check_g3_torch(make_ctx(), gla_predict=wrong_residual, layers=2,
                             batch=8).verdict is Verdict.REFUTED


def _chunked_boundary_off_by_one(q, k, v, g, shape, chunk_size=5):
    """Chunked form whose carried state skips the first gate of every chunk after the first."""
    T = q.shape[-2]
    outs, S = [], None
    for s0 in range(0, T, chunk_size):
        s1 = min(s0 + chunk_size, T)
        gc = g[..., s0:s1].clone() if shape == "scalar" else g[..., s0:s1, :].clone()
        if s0 > 0 and shape == "scalar":
            gc[..., 0] = 1.0
        elif s0 > 0:
            gc[..., 0, :] = 1.0
        o, S = gla.gla_chunked(q[..., s0:s1, :], k[..., s0:s1, :], v[..., s0:s1, :], gc, shape, chunk_size,
                               return_states=True, initial_state=S)
        outs.append(o)
    return torch.cat(outs, dim=-2)


@pytest.mark.parametrize("T,C", [(13, 5), (7, 3), (11, 4)])
def test_planted_chunk_boundary_off_by_one_breaks_recurrent_equality(T, C):
    q, k, v, g = _qkv(2, T, 3, 3, T)
    gates = torch.rand(2, T, generator=g, dtype=DT) * 0.5 + 0.2
    good = gla.gla_recurrent(q, k, v, gates, "scalar")
    assert torch.allclose(gla.gla_chunked(q, k, v, gates, "scalar", C), good, atol=1e-12)
    assert not torch.allclose(_chunked_boundary_off_by_one(q, k, v, gates, "scalar", C), good, atol=1e-6)


@pytest.mark.parametrize("claim,shape", [("G1", "scalar"), ("G2", "key")])
def test_planted_chunk_boundary_off_by_one_is_caught_by_the_checks(make_ctx, claim, shape):
    # n + 1 = 13 tokens, chunk 5: not a multiple
    ev = cg.check_one_layer_torch(make_ctx(), claim, shape, layer_fn=_chunked_boundary_off_by_one, batch=16)
    assert ev.verdict is Verdict.REFUTED


def test_planted_key_gates_along_the_value_dimension_are_caught_by_g2(make_ctx):
    def transposed(q, k, v, g, shape):
        return gla.gla_recurrent(q, k, v, g, "value" if shape == "key" else shape)

    ev = cg.check_one_layer_torch(make_ctx(), "G2", "key", layer_fn=transposed, batch=16)
    assert ev.verdict is Verdict.REFUTED


def test_planted_g4_errors(make_ctx):
    # a "causal" WPGD that is really full-context: L = 2 predictions no longer differ -> not supported
    def fake_causal(X, y, x, Ps, oms):
        return wpgd.full_context_wpgd(X, y, x, Ps, [o[-1, :-1] for o in oms])

    ev = cg.check_g4_monte_carlo(make_ctx(), num_prompts=2000, causal_fn=fake_causal)
    assert ev.verdict is Verdict.INCONCLUSIVE

    # a causal WPGD whose weights include the own gate: L = 1 no longer matches full context -> refuted
    def own_gate(X, y, x, Ps, oms):
        return wpgd.causal_wpgd(X, y, x, Ps, [o * cg.G4_GATE for o in oms])

    ev = cg.check_g4_monte_carlo(make_ctx(), num_prompts=2000, causal_fn=own_gate)
    assert ev.verdict is Verdict.REFUTED and ev.counterexample["relative"] > 1e-3
