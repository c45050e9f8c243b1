"""The torch gated linear attention (GLA) model, its WPGD construction and the effective-weight readout.

Layer (docs/gla.md), state ``S_i ∈ R^{d_v × d_k}``::

    S_i = G_i ⊙ S_{i-1} + v_i k_i^T,   S_0 = 0,   o_i = S_i q_i,
    q_i = W_q z_i,  k_i = W_k z_i,  v_i = W_v z_i,  G_i = G(z_i) ∈ [0,1]^{d_v × d_k}.

Gate shapes (``GateShape``), with the tensor a gate function returns for tokens ``z`` of shape (..., T, D):

``"scalar"``  ``G_i = g_i 1 1^T``; gates (..., T).
``"key"``     ``G_i = 1 α_i^T`` (Yang et al. 2024): the key-dimension columns of S decay,
              ``S_i = S_{i-1} diag(α_i) + v_i k_i^T``; gates (..., T, d_k).
``"value"``   ``G_i = β_i 1^T``: the value-dimension rows decay, ``S_i = diag(β_i) S_{i-1} + v_i k_i^T``;
              gates (..., T, d_v).

Convention: our state is value × key (``S ∈ R^{d_v×d_k}``, ``o = S q``), gates are given in linear space with
values in [0,1] (0 allowed), the decay multiplies the old state before the current token is added, and
there is no ``d_k^{-1/2}`` scaling of ``q``. fla-core's conventions and the mapping are in
:mod:`glaverify.numerics.fla_reference` and docs/gla.md.

Two forms of the same layer compute the same outputs:

* :func:`gla_recurrent` — the literal state update, one token at a time (the reference);
* :func:`gla_chunked` — chunks of ``C`` tokens: inside a chunk a masked (C × C) product with decays
  ``exp(c_i − c_j)`` from chunk-local cumulative log-gates ``c``; across chunks the state is carried.
  Gates equal to 0 (log-gate −inf) are handled exactly: a zero gate is counted (``cumsum`` of the zero
  indicator) and removed from the log-sum, and a decay ``Π_{k=j+1}^{i} g_k`` is set to 0 whenever a zero
  gate lies in ``(j, i]`` — no clamp, no ``-inf − (-inf)`` NaN.

Multilayer (:class:`GLA`): ``z^{(ℓ+1)} = z^{(ℓ)} + o^{(ℓ)}`` (so ``d_v = D``), prediction
``ŷ = −[z_{n+1}^{(L)}]_{label}``. The minus sign: the construction's value matrix writes ``−y`` into the
label slot (``v_i = [0_d; −y_i]``), so the query's label slot accumulates ``−ŷ``; :meth:`GLA.predict`
undoes it.

Gate functions (``nn.Module``s with ``.shape`` and ``forward(z) -> gates``), each with a documented range:

* :class:`FreeGate` — one free gate per position (not data dependent);
* :class:`DelimiterGate` — exactly 1 on data tokens (flag coordinate 0), a trainable gate on delimiter
  tokens (flag 1);
* :class:`BlockGate` — a trainable gate per block id (ids fixed per position);
* :class:`TokenGate` — ``sigmoid(W z + b)`` (token dependent, range (0,1));
* :class:`FixedGate` / :class:`CallableGate` — given values / any function of ``z`` (tests, constructions).

Parametrisations (``param=``) and the gate ranges they give:

* ``"sigmoid"``: ``g = sigmoid(θ)`` ∈ (0, 1) (open: neither 0 nor 1 is attained);
* ``"exp"``: ``g = exp(−θ²)`` ∈ (0, 1] (1 attained at θ = 0, 0 never);
* ``"direct"``: ``g = θ`` used as given; must lie in [0, 1] (checked, ``InputError`` otherwise); closed range.

Construction (:func:`wpgd_to_gla`) and readout (:func:`effective_wpgd`) implement G1–G3.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from torch import nn

from .errors import InputError

GateShape = Literal["scalar", "key", "value"]
GATE_SHAPES: tuple[str, ...] = ("scalar", "key", "value")
Form = Literal["recurrent", "chunked"]
PARAMS: tuple[str, ...] = ("sigmoid", "exp", "direct")


def _check_shape(shape: str) -> None:
    if shape not in GATE_SHAPES:
        raise InputError("gate_shape", f"one of {GATE_SHAPES}", shape)


def _expand_gate(g: torch.Tensor, shape: str, d_v: int, d_k: int) -> torch.Tensor:
    """The gate as a (..., T, d_v, d_k) tensor (only for the recurrent form)."""
    if shape == "scalar":
        return g[..., None, None].expand(*g.shape, d_v, d_k)
    if shape == "key":
        return g[..., None, :].expand(*g.shape[:-1], d_v, d_k)
    return g[..., :, None].expand(*g.shape[:-1], d_v, d_k)


def _check_gate_tensor(q: torch.Tensor, v: torch.Tensor, g: torch.Tensor, shape: str) -> None:
    _check_shape(shape)
    want = {"scalar": q.shape[:-1], "key": q.shape, "value": v.shape}[shape]
    if tuple(g.shape) != tuple(want):
        raise InputError("gates", f"shape {tuple(want)} for {shape} gates", tuple(g.shape))


def gla_recurrent(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, gates: torch.Tensor,
                  shape: GateShape = "scalar", return_states: bool = False,
                  initial_state: torch.Tensor | None = None):
    """Literal recurrence ``S_i = G_i ⊙ S_{i-1} + v_i k_i^T``, ``o_i = S_i q_i``.

    Shapes: ``q, k`` (..., T, d_k); ``v`` (..., T, d_v); ``gates`` in linear space, (..., T) for scalar,
    (..., T, d_k) for key, (..., T, d_v) for value gates. Returns ``o`` (..., T, d_v) (and the final state
    (..., d_v, d_k) when ``return_states``).
    """
    _check_gate_tensor(q, v, gates, shape)
    d_k, d_v = q.shape[-1], v.shape[-1]
    batch = q.shape[:-2]
    S = (torch.zeros(*batch, d_v, d_k, dtype=q.dtype, device=q.device)
         if initial_state is None else initial_state)
    outs = []
    for i in range(q.shape[-2]):
        gi = gates[..., i] if shape == "scalar" else gates[..., i, :]
        if shape == "scalar":
            S = gi[..., None, None] * S
        elif shape == "key":
            S = S * gi[..., None, :]
        else:
            S = gi[..., :, None] * S
        S = S + v[..., i, :, None] * k[..., i, None, :]
        outs.append(torch.einsum("...vk,...k->...v", S, q[..., i, :]))
    o = torch.stack(outs, dim=-2) if outs else v.new_zeros(v.shape)
    return (o, S) if return_states else o


def _segment_logs(gates: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(log-gates with zero gates replaced by 0, indicator of zero gates) — the exact zero handling."""
    zero = gates == 0
    logg = torch.log(torch.where(zero, torch.ones_like(gates), gates))
    return logg, zero.to(gates.dtype)


def gla_chunked(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, gates: torch.Tensor,
                shape: GateShape = "scalar", chunk_size: int = 64, return_states: bool = False,
                initial_state: torch.Tensor | None = None, sub_chunk: int = 64):
    """Chunked parallel form of :func:`gla_recurrent` (same arguments, same outputs up to rounding).

    For a chunk of positions ``t = 1..C`` with chunk-local cumulative log-gates ``c_t`` (``c_0 = 0``) and
    zero-gate counts ``z_t``::

        o_t = [decayed carried state] q_t + Σ_{j ≤ t} D_{tj} ⊙ (v_j k_j^T) q_t,
        D_{tj} = exp(c_t − c_j) if z_t = z_j else 0,
        S_end = exp(c_C) ⊙ S_start + Σ_j D_{Cj} ⊙ v_j k_j^T.

    Scalar gates: ``D`` is one (C, C) matrix per chunk. Key/value gates have a per-coordinate ``D``; forming
    it as a (C, C, d) tensor is slow, and the usual factorisation ``exp(c_t − c_j) = exp(c_t)·exp(−c_j)``
    overflows for strongly negative log-gates. We split each chunk into sub-chunks of ``sub_chunk`` tokens:
    diagonal sub-blocks use the explicit (s, s, d) decays; a block of rows ``t`` after sub-chunk ``b`` and
    columns ``j`` in ``b`` uses the reference point ``r`` = the last position of ``b``:
    ``D_{tj} = [exp(c_t − c_r)·1{z_t = z_r}] · [exp(c_r − c_j)·1{z_r = z_j}]``, both factors in [0, 1]
    (log-gates are ≤ 0 and ``z`` is nondecreasing), so nothing overflows and zero gates stay exact.
    Gates must lie in [0, 1].
    """
    _check_gate_tensor(q, v, gates, shape)
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise InputError("chunk_size", "a positive integer", chunk_size)
    if not isinstance(sub_chunk, int) or sub_chunk < 1:
        raise InputError("sub_chunk", "a positive integer", sub_chunk)
    if bool(((gates < 0) | (gates > 1) | torch.isnan(gates)).any()):
        raise InputError("gates", "values in [0, 1] (the chunked form relies on log-gates ≤ 0)",
                         float(gates.detach().min()) if gates.numel() else None)
    d_k, d_v = q.shape[-1], v.shape[-1]
    batch = q.shape[:-2]
    T = q.shape[-2]
    S = (torch.zeros(*batch, d_v, d_k, dtype=q.dtype, device=q.device)
         if initial_state is None else initial_state)
    if T == 0:
        return (v.new_zeros(v.shape), S) if return_states else v.new_zeros(v.shape)
    logg, zero = _segment_logs(gates)
    if shape != "scalar":
        o, S = _vector_chunked(q, k, v, logg, zero, S, shape, chunk_size, sub_chunk)
        return (o, S) if return_states else o
    outs = []
    for s0 in range(0, T, chunk_size):  # scalar gates: one (C, C) decay matrix per chunk
        s1 = min(s0 + chunk_size, T)
        C = s1 - s0
        qc, kc, vc = q[..., s0:s1, :], k[..., s0:s1, :], v[..., s0:s1, :]
        c = torch.cumsum(logg[..., s0:s1], dim=-1)
        nz = torch.cumsum(zero[..., s0:s1], dim=-1)
        causal = torch.ones(C, C, dtype=torch.bool, device=q.device).tril()
        D = _decay(c[..., :, None] - c[..., None, :], causal & (nz[..., :, None] == nz[..., None, :]))
        start = _decay(c, nz == 0)  # decay from the chunk start (.., C)
        A = torch.einsum("...tk,...jk->...tj", qc, kc) * D
        o = torch.einsum("...tj,...jv->...tv", A, vc)
        o = o + start[..., None] * torch.einsum("...vk,...tk->...tv", S, qc)
        S = start[..., -1, None, None] * S + torch.einsum("...j,...jv,...jk->...vk", D[..., -1, :], vc, kc)
        outs.append(o)
    o = torch.cat(outs, dim=-2) if outs else v.new_zeros(v.shape)
    return (o, S) if return_states else o


def _decay(diff: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``exp(diff)`` where ``mask``, else 0 (never evaluating exp on masked entries)."""
    zero = torch.zeros_like(diff)
    return torch.where(mask, torch.exp(torch.where(mask, diff, zero)), zero)


#: largest log-decay inside one sub-chunk for which the diagonal block is factorised
#: (``exp(r0 − c_j) ≤ e^limit`` stays far from overflow; float32 overflows at e^88, float64 at e^709)
FACTORISE_LIMIT = {torch.float32: 40.0, torch.float64: 300.0}


def _vector_chunked(q, k, v, logg, zero, S0, shape: str, C: int, sub: int):
    """:func:`gla_chunked` for key (``shape="key"``) or value gates, all chunks at once.

    Without zero gates the masks reduce to the causal one (a fast path); with zero gates the zero counts
    ``nz`` mask every decay that crosses a zero gate.

    The length is padded to a multiple of ``C`` (padding: gate 1, q = k = v = 0, which changes neither the
    earlier outputs nor the state). Intra-chunk terms are computed for every chunk in parallel, sub-chunk by
    sub-chunk. Diagonal sub-blocks: when the sub-chunk has no zero gate and its total log-decay is below
    ``FACTORISE_LIMIT`` the decays factorise through the point before the sub-chunk (two matmuls); otherwise
    the explicit (s, s, d) decays are formed (exact for zero gates and any magnitude). The earlier
    sub-blocks of the same chunk enter through a per-chunk state ``H`` kept at the reference point "end of
    the previous sub-block", so every exponent is ≤ 0. The (d_v × d_k) state is carried across chunks in
    a loop."""
    T = q.shape[-2]
    C = max(1, min(C, T)) if T else 1
    pad = (-T) % C
    if pad:
        def padt(t, value=0.0):
            return torch.cat([t, t.new_full((*t.shape[:-2], pad, t.shape[-1]), value)], dim=-2)
        q, k, v, logg, zero = padt(q), padt(k), padt(v), padt(logg), padt(zero)
    N = (T + pad) // C
    q, k, v, logg, zero = (t.reshape(*t.shape[:-2], N, C, t.shape[-1]) for t in (q, k, v, logg, zero))
    c = torch.cumsum(logg, dim=-2)  # (.., N, C, d)
    has_zero = bool(zero.any())
    nz = torch.cumsum(zero, dim=-2) if has_zero else c  # zero counts (only read when has_zero)
    sub = max(1, min(sub, C))
    lim = FACTORISE_LIMIT[q.dtype] if q.dtype in FACTORISE_LIMIT else 0.0
    H = torch.zeros(*q.shape[:-2], v.shape[-1], q.shape[-1], dtype=q.dtype, device=q.device)
    pieces = []
    for a0 in range(0, C, sub):
        a1 = min(a0 + sub, C)
        qa, ka, va, ca, na = (t[..., a0:a1, :] for t in (q, k, v, c, nz))
        s_ = a1 - a0
        causal = torch.ones(s_, s_, dtype=torch.bool, device=q.device).tril()
        r0 = c[..., a0 - 1:a0, :] if a0 > 0 else torch.zeros_like(ca[..., :1, :])
        factorise = not has_zero and float((r0 - ca[..., -1:, :]).max()) < lim
        if factorise:  # exp(c_t − c_j) = exp(c_t − r0)·exp(r0 − c_j), the second factor ≤ e^lim
            fq, fk = torch.exp(ca - r0), torch.exp(r0 - ca)
            if shape == "key":
                A = ((qa * fq) @ (ka * fk).transpose(-1, -2)).masked_fill(~causal, 0.0)
                o_a = A @ va
            else:
                A = (qa @ ka.transpose(-1, -2)).masked_fill(~causal, 0.0)
                o_a = fq * (A @ (va * fk))
        else:  # explicit (s, s, d) decays: exact with zero gates and any gate magnitude
            diff = ca[..., :, None, :] - ca[..., None, :, :]  # (.., N, s, s, d)
            if has_zero:
                D = _decay(diff, causal[..., None] & (na[..., :, None, :] == na[..., None, :, :]))
            else:
                D = torch.exp(diff.masked_fill(~causal[..., None], -torch.inf))
            if shape == "key":
                o_a = (torch.einsum("...tk,...jk,...tjk->...tj", qa, ka, D)) @ va
            else:
                o_a = torch.einsum("...tj,...tjv,...jv->...tv", qa @ ka.transpose(-1, -2), D, va)
        if a0 > 0:  # earlier sub-blocks of the chunk through H, referenced at r = a0 − 1
            r, rn = c[..., a0 - 1:a0, :], nz[..., a0 - 1:a0, :]
            fq = _decay(ca - r, na == rn) if has_zero else torch.exp(ca - r)  # r -> t, in [0, 1]
            if shape == "key":
                o_a = o_a + torch.einsum("...vk,...tk->...tv", H, qa * fq)
            else:
                o_a = o_a + fq * torch.einsum("...vk,...tk->...tv", H, qa)
        # move H's reference to the end of this sub-block and add its tokens
        ra, rna = c[..., a1 - 1:a1, :], nz[..., a1 - 1:a1, :]
        e = _decay(ra - ca, na == rna) if has_zero else torch.exp(ra - ca)  # j -> a1 − 1
        if a0 > 0:
            dec = (_decay(ra - r, rna == rn) if has_zero else torch.exp(ra - r))[..., 0, :]
            H = H * dec[..., None, :] if shape == "key" else dec[..., :, None] * H
        if shape == "key":
            H = H + torch.einsum("...jv,...jk->...vk", va, ka * e)
        else:
            H = H + torch.einsum("...jv,...jk->...vk", va * e, ka)
        pieces.append(o_a)
    o = torch.cat(pieces, dim=-2) if len(pieces) > 1 else pieces[0]  # (.., N, C, d_v)
    start = _decay(c, nz == 0) if has_zero else torch.exp(c)  # chunk start -> t
    U = H  # (.., N, d_v, d_k): each chunk's own tokens, decayed to the chunk end
    total = start[..., -1, :]  # (.., N, d)
    states = []
    S = S0
    for n in range(N):
        states.append(S)
        S = (S * total[..., n, None, :] if shape == "key" else total[..., n, :, None] * S) + U[..., n, :, :]
    S_in = torch.stack(states, dim=-3)  # (.., N, d_v, d_k): state entering each chunk
    if shape == "key":
        o = o + torch.einsum("...vk,...tk->...tv", S_in, q * start)
    else:
        o = o + start * torch.einsum("...vk,...tk->...tv", S_in, q)
    o = o.reshape(*o.shape[:-3], N * C, o.shape[-1])[..., :T, :]
    return o, S


def gla_forward(q, k, v, gates, shape: GateShape = "scalar", form: Form = "recurrent",
                chunk_size: int = 64):
    """Dispatch to :func:`gla_recurrent` or :func:`gla_chunked`."""
    if form == "recurrent":
        return gla_recurrent(q, k, v, gates, shape)
    if form == "chunked":
        return gla_chunked(q, k, v, gates, shape, chunk_size=chunk_size)
    raise InputError("form", "'recurrent' or 'chunked'", form)


# ------------------------------------------------------------------------------------------ gate classes
def _param_gate(theta: torch.Tensor, param: str) -> torch.Tensor:
    if param == "sigmoid":
        return torch.sigmoid(theta)
    if param == "exp":
        return torch.exp(-theta * theta)
    if param == "direct":
        return theta
    raise InputError("param", f"one of {PARAMS}", param)


def _check_direct(values: torch.Tensor, field: str) -> None:
    if bool(((values < 0) | (values > 1) | torch.isnan(values)).any()):
        raise InputError(field, "gate values in [0, 1]", values.detach().cpu().numpy().round(4).tolist())


def _gate_dim(shape: str, d_k: int | None, d_v: int | None) -> int | None:
    if shape == "scalar":
        return None
    dim = d_k if shape == "key" else d_v
    if dim is None:
        raise InputError("gate", f"{shape} gates need d_{'k' if shape == 'key' else 'v'}", None)
    return dim


def _init_tensor(init, size: tuple) -> torch.Tensor:
    """Initial parameter values as float64: zeros of ``size`` or the given values."""
    if init is None:
        return torch.zeros(size, dtype=torch.float64)
    return torch.as_tensor(init, dtype=torch.float64)


class GateFunction(nn.Module):
    """Base: ``forward(z)`` maps tokens (..., T, D) to gates (..., T) or (..., T, dim) in [0, 1]."""

    shape: str = "scalar"

    def _broadcast(self, per_position: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        lead = z.shape[:-2]
        return per_position.to(z.dtype).expand(*lead, *per_position.shape)


class FreeGate(GateFunction):
    """One trainable gate per position ``i = 1..T`` (not data dependent). Range set by ``param``."""

    def __init__(self, length: int, shape: GateShape = "scalar", d_k: int | None = None,
                 d_v: int | None = None, param: str = "sigmoid", init: torch.Tensor | None = None):
        super().__init__()
        _check_shape(shape)
        self.shape, self.param, self.length = shape, param, length
        dim = _gate_dim(shape, d_k, d_v)
        size = (length,) if dim is None else (length, dim)
        theta = _init_tensor(init, size)
        if param == "direct":
            _check_direct(theta, "FreeGate.init")
        _param_gate(theta, param)  # validates param
        self.theta = nn.Parameter(theta.clone())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.shape[-2] != self.length:
            raise InputError("tokens", f"length {self.length} for this FreeGate", z.shape[-2])
        return self._broadcast(_param_gate(self.theta, self.param), z)


class DelimiterGate(GateFunction):
    """Scalar gate read from a flag coordinate ``z[flag_index] ∈ {0, 1}``: exactly 1 on data tokens
    (flag 0) and ``δ = param(θ)`` on delimiter tokens (flag 1): ``g = 1 + flag·(δ − 1)``.

    With ``param="sigmoid"`` δ ∈ (0,1); ``"exp"`` δ ∈ (0,1]; ``"direct"`` δ ∈ [0,1]. One shared δ, or one
    per delimiter (``num_delimiters``; the k-th flagged token in the prompt uses δ_k).
    """

    def __init__(self, flag_index: int, param: str = "exp", num_delimiters: int = 1,
                 init: torch.Tensor | None = None):
        super().__init__()
        self.shape, self.flag_index, self.param = "scalar", flag_index, param
        theta = (torch.zeros(num_delimiters, dtype=torch.float64) if init is None
                 else torch.as_tensor(init, dtype=torch.float64).reshape(num_delimiters))
        if param == "direct":
            _check_direct(theta, "DelimiterGate.init")
        _param_gate(theta, param)
        self.theta = nn.Parameter(theta.clone())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        flag = z[..., self.flag_index]
        delta = _param_gate(self.theta, self.param).to(z.dtype)
        if delta.numel() == 1:
            d_tok = delta.expand_as(flag)
        else:
            # k-th delimiter (in prompt order) gets δ_k; later ones reuse the last
            idx = (torch.cumsum((flag != 0).to(torch.long), dim=-1) - 1).clamp(0, delta.numel() - 1)
            d_tok = delta[idx]
        return torch.where(flag == 0, torch.ones_like(d_tok), d_tok)


class BlockGate(GateFunction):
    """A trainable gate per block id; ``block_ids`` (T,) integer ids fixed per position (e.g. the prompt's
    block layout, the query with its own id). Any shape; range set by ``param``."""

    def __init__(self, block_ids: Sequence[int] | torch.Tensor, shape: GateShape = "scalar",
                 d_k: int | None = None, d_v: int | None = None, param: str = "sigmoid",
                 init: torch.Tensor | None = None):
        super().__init__()
        _check_shape(shape)
        ids = torch.as_tensor(block_ids, dtype=torch.long)
        self.register_buffer("block_ids", ids)
        self.shape, self.param = shape, param
        nb = int(ids.max()) + 1
        dim = _gate_dim(shape, d_k, d_v)
        size = (nb,) if dim is None else (nb, dim)
        theta = _init_tensor(init, size)
        if param == "direct":
            _check_direct(theta, "BlockGate.init")
        _param_gate(theta, param)
        self.theta = nn.Parameter(theta.clone())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.shape[-2] != self.block_ids.numel():
            raise InputError("tokens", f"length {self.block_ids.numel()} for this BlockGate", z.shape[-2])
        return self._broadcast(_param_gate(self.theta, self.param)[self.block_ids], z)


class TokenGate(GateFunction):
    """Token-dependent gate ``sigmoid(W z + b)`` (range (0,1)): scalar (W (1, D)), key (W (d_k, D)) or
    value (W (d_v, D))."""

    def __init__(self, token_dim: int, shape: GateShape = "scalar", d_k: int | None = None,
                 d_v: int | None = None, weight: torch.Tensor | None = None,
                 bias: torch.Tensor | None = None):
        super().__init__()
        _check_shape(shape)
        self.shape = shape
        dim = _gate_dim(shape, d_k, d_v) or 1
        w = _init_tensor(weight, (dim, token_dim)).reshape(dim, token_dim)
        b = _init_tensor(bias, (dim,)).reshape(dim)
        self.weight = nn.Parameter(w.clone())
        self.bias = nn.Parameter(b.clone())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        g = torch.sigmoid(z @ self.weight.to(z.dtype).T + self.bias.to(z.dtype))
        return g[..., 0] if self.shape == "scalar" else g


class FixedGate(GateFunction):
    """Given gate values (T,) / (T, dim), or already batched (..., T[, dim]); must lie in [0, 1]."""

    def __init__(self, values: torch.Tensor | np.ndarray, shape: GateShape = "scalar"):
        super().__init__()
        _check_shape(shape)
        self.shape = shape
        vals = torch.as_tensor(values, dtype=torch.float64)
        _check_direct(vals, "FixedGate.values")
        self.register_buffer("values", vals)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        per = 1 if self.shape == "scalar" else 2
        if self.values.dim() == per:
            return self._broadcast(self.values, z)
        return self.values.to(z.dtype)


class CallableGate(GateFunction):
    """Any function ``fn(z) -> gates`` (data dependent); the caller guarantees the range [0, 1]."""

    def __init__(self, fn: Callable[[torch.Tensor], torch.Tensor], shape: GateShape = "scalar"):
        super().__init__()
        _check_shape(shape)
        self.shape, self.fn = shape, fn

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.fn(z)


# ------------------------------------------------------------------------------------------------ model
class GLALayer(nn.Module):
    """One GLA layer: ``q = W_q z``, ``k = W_k z``, ``v = W_v z``, gates ``gate(z)``; returns ``o``."""

    def __init__(self, W_q: torch.Tensor, W_k: torch.Tensor, W_v: torch.Tensor, gate: GateFunction):
        super().__init__()
        W_q, W_k, W_v = (torch.as_tensor(w, dtype=torch.float64) for w in (W_q, W_k, W_v))
        if W_q.shape != W_k.shape or W_v.shape[1] != W_q.shape[1]:
            raise InputError("GLALayer", "W_q, W_k (d_k, D) and W_v (d_v, D)",
                             (tuple(W_q.shape), tuple(W_k.shape), tuple(W_v.shape)))
        self.W_q = nn.Parameter(W_q.clone())
        self.W_k = nn.Parameter(W_k.clone())
        self.W_v = nn.Parameter(W_v.clone())
        self.gate = gate

    @property
    def shape(self) -> str:
        return self.gate.shape

    def project(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(q, k, v, gates)`` for tokens ``z`` (..., T, D)."""
        dt = z.dtype
        return (z @ self.W_q.to(dt).T, z @ self.W_k.to(dt).T, z @ self.W_v.to(dt).T, self.gate(z).to(dt))

    def forward(self, z: torch.Tensor, form: Form = "recurrent", chunk_size: int = 64) -> torch.Tensor:
        q, k, v, g = self.project(z)
        return gla_forward(q, k, v, g, self.shape, form, chunk_size)


class GLA(nn.Module):
    """Multilayer GLA with residuals ``z^{(ℓ+1)} = z^{(ℓ)} + o^{(ℓ)}``; ``label_index`` is the label slot.

    ``predict(z) = −[z_{n+1}^{(L)}]_{label}`` (last token = the query; the minus sign undoes the
    construction's ``v = −y``, see module docstring).
    """

    def __init__(self, layers: Sequence[GLALayer], label_index: int):
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.label_index = label_index
        for lyr in self.layers:
            if lyr.W_v.shape[0] != lyr.W_v.shape[1]:
                raise InputError("W_v", "square (d_v = D) for the residual stream", tuple(lyr.W_v.shape))

    def forward(self, z: torch.Tensor, form: Form = "recurrent", chunk_size: int = 64,
                return_all: bool = False):
        """Final tokens ``z^{(L)}`` (and the list ``[z^{(0)}, …, z^{(L)}]`` when ``return_all``)."""
        zs = [z]
        for lyr in self.layers:
            z = z + lyr(z, form, chunk_size)
            zs.append(z)
        return (z, zs) if return_all else z

    def predict(self, z: torch.Tensor, form: Form = "recurrent", chunk_size: int = 64) -> torch.Tensor:
        return -self.forward(z, form, chunk_size)[..., -1, self.label_index]

    def predict_last(self, z: torch.Tensor, form: Form = "recurrent", chunk_size: int = 64) -> torch.Tensor:
        """:meth:`predict` with the last layer evaluated at the query position only (scalar gates).

        The earlier layers run in full (``form``); the last one needs only ``o_T = Σ_{j≤T} D_{Tj} (q_T·k_j)
        v_j`` in the label coordinate, with ``D_{Tj} = ∏_{j<i≤T} g_i`` (zero gates exact, as in
        :func:`gla_chunked`): the last row of the chunked form, equal to :meth:`predict` up to rounding. The
        training loop uses it (a sixth of the work of a step's forward and backward at the appendix's
        sizes) after checking it against :meth:`predict` on its first batch. Other gate shapes fall back to
        :meth:`predict`."""
        last = self.layers[-1]
        if last.shape != "scalar":
            return self.predict(z, form, chunk_size)
        for lyr in self.layers[:-1]:
            z = z + lyr(z, form, chunk_size)
        dt, li = z.dtype, self.label_index
        g = last.gate(z).to(dt)
        if bool(((g < 0) | (g > 1) | torch.isnan(g)).any()):
            raise InputError("gates", "values in [0, 1]", float(g.detach().min()) if g.numel() else None)
        q = z[..., -1, :] @ last.W_q.to(dt).T
        k = z @ last.W_k.to(dt).T
        v = z @ last.W_v[li].to(dt)
        logg, zero = _segment_logs(g)
        c, nz = torch.cumsum(logg, dim=-1), torch.cumsum(zero, dim=-1)
        D = _decay(c[..., -1:] - c, nz[..., -1:] == nz)
        o = torch.einsum("...j,...j->...", torch.einsum("...k,...jk->...j", q, k) * D, v)
        return -(z[..., -1, li] + o)


# ------------------------------------------------------------------------------------------ tokens
def make_tokens(X, y, x_query, extra=None, dtype=torch.float64) -> torch.Tensor:
    """Tokens ``z_i = [x_i; y_i; c_i]`` and query ``[x; 0; c_{n+1}]``: (..., n+1, d+1+m).

    ``X`` (..., n, d), ``y`` (..., n), ``x_query`` (..., d), optional ``extra`` (..., n+1, m)."""
    X, y, xq = (torch.as_tensor(a, dtype=dtype) for a in (X, y, x_query))
    data = torch.cat([X, y[..., None]], dim=-1)
    query = torch.cat([xq, torch.zeros_like(xq[..., :1])], dim=-1)[..., None, :]
    z = torch.cat([data, query], dim=-2)
    if extra is not None:
        z = torch.cat([z, torch.as_tensor(extra, dtype=dtype)], dim=-1)
    return z


# ------------------------------------------------------------------------------------- construction
def construction_weights(Q: np.ndarray | torch.Tensor, d: int, extra: int = 0) -> tuple[torch.Tensor, ...]:
    """Layer weights of docs/gla.md for ``Q ∈ R^{d×d}``, tokens of dim ``D = d + 1 + extra``:
    ``W_k = [I_d 0; 0 0]``, ``W_q = [Q 0; 0 0]`` (so ``k = [x;0]``, ``q = [Qx;0]``), and
    ``W_v = −e_{d} e_{d}^T`` (``v = [0_d; −y; 0]``, only the label slot is written).
    Returns ``(W_q, W_k, W_v)``, each (D, D)."""
    Q = torch.as_tensor(Q, dtype=torch.float64)
    if Q.shape != (d, d):
        raise InputError("Q", f"shape ({d}, {d})", tuple(Q.shape))
    D = d + 1 + extra
    W_q = torch.zeros(D, D, dtype=torch.float64)
    W_k = torch.zeros(D, D, dtype=torch.float64)
    W_v = torch.zeros(D, D, dtype=torch.float64)
    W_q[:d, :d] = Q
    W_k[:d, :d] = torch.eye(d, dtype=torch.float64)
    W_v[d, d] = -1.0
    return W_q, W_k, W_v


def wpgd_to_gla(Qs: Sequence[np.ndarray | torch.Tensor], gates: Sequence[GateFunction], d: int,
                extra: int = 0) -> GLA:
    """WPGD → GLA (G1–G3): layer ℓ gets :func:`construction_weights` of ``Q_ℓ`` and gate function
    ``gates[ℓ]`` (any class/shape; key and value gates have dim ``D = d + 1 + extra``). The resulting GLA
    runs causal WPGD with ``P_ℓ = Q_ℓ^T`` and weights ``ω^{(ℓ)}_{j→i} = Π_{k=j+1}^{i} g_k^{(ℓ)}``."""
    if len(Qs) != len(gates) or not Qs:
        raise InputError("wpgd_to_gla", "as many gate functions as Q matrices (≥ 1)", (len(Qs), len(gates)))
    layers = [GLALayer(*construction_weights(Q, d, extra), gate=g) for Q, g in zip(Qs, gates, strict=True)]
    return GLA(layers, label_index=d)


def gate_products(gates: torch.Tensor, shape: GateShape = "scalar") -> torch.Tensor:
    """Pairwise decays ``ω_{j→i} = Π_{k=j+1}^{i} g_k`` for ``j ≤ i`` (0 above the diagonal, 1 on it).

    ``gates`` (..., T) → (..., T_i, T_j); vector gates (..., T, m) → (..., T_i, T_j, m). Computed by explicit
    cumulative products (exact with zero gates)."""
    if shape == "scalar":
        g = gates
        T = g.shape[-1]
        out = torch.zeros(*g.shape[:-1], T, T, dtype=g.dtype)
        for j in range(T):
            out[..., j, j] = 1.0
            if j + 1 < T:
                out[..., j + 1:, j] = torch.cumprod(g[..., j + 1:], dim=-1)
        return out
    g = gates
    T, m = g.shape[-2], g.shape[-1]
    out = torch.zeros(*g.shape[:-2], T, T, m, dtype=g.dtype)
    for j in range(T):
        out[..., j, j, :] = 1.0
        if j + 1 < T:
            out[..., j + 1:, j, :] = torch.cumprod(g[..., j + 1:, :], dim=-2)
    return out


@dataclass
class EffectiveWPGD:
    """What a constructed GLA runs on a prompt (readout of :func:`effective_wpgd`).

    ``P[ℓ]`` (d, d) preconditioners; ``omega[ℓ]`` pairwise weights ``ω^{(ℓ)}_{j→i}``: (..., T, T) for scalar
    and value gates (value gates: the label-slot coordinate), (..., T, T, d) per-coordinate ``γ`` for key
    gates (the first d key coordinates); ``shapes[ℓ]`` the gate shape; ``gates[ℓ]`` the raw gates."""

    P: list[torch.Tensor]
    omega: list[torch.Tensor]
    shapes: list[str]
    gates: list[torch.Tensor]

    def query_weights(self, layer: int = 0) -> torch.Tensor:
        """One-layer weights ``ω_i = ω_{i→n+1}`` (or ``γ_i``) for the examples ``i = 1..n``."""
        return self.omega[layer][..., -1, :-1]


def effective_wpgd(model: GLA, z: torch.Tensor, d: int, tol: float = 0.0) -> EffectiveWPGD:
    """Inverse of the construction: read ``P_ℓ`` and the effective weights from a GLA and a prompt.

    Requires each layer to be of the construction's form up to scale: ``k`` and ``q`` read only ``x``
    (``W_k[:, d:] = W_q[:, d:] = 0``), ``v`` writes only the label slot from the label slot
    (``W_v = c e_d e_d^T``); for key gates also only the first d key coordinates are active
    (``W_k[d:, :] = W_q[d:, :] = 0``; γ is indexed by key coordinates, which are the x-coordinates when
    ``W_kx = I`` as in the construction). Then ``k_j^T q_i = x_j^T W_kx^T W_qx x_i`` and
    ``P_ℓ = −c (W_kx^T W_qx)^T``. Raises ``InputError`` (with the offending block) otherwise. Gates are
    evaluated along the forward pass on the actual tokens ``z^{(ℓ)}`` (data dependent)."""
    label = model.label_index
    if label != d:
        raise InputError("d", f"label index of the model ({label})", d)
    Ps, omegas, shapes, gates_out = [], [], [], []
    with torch.no_grad():
        _, zs = model.forward(z, return_all=True)
        for ell, lyr in enumerate(model.layers):
            Wq, Wk, Wv = lyr.W_q.detach(), lyr.W_k.detach(), lyr.W_v.detach()
            c = Wv[label, label]
            Wv_rest = Wv.clone()
            Wv_rest[label, label] = 0
            bad = {"W_k[:, d:]": Wk[:, d:], "W_q[:, d:]": Wq[:, d:], "W_v off the label entry": Wv_rest}
            if lyr.shape == "key":  # γ is indexed by key coordinates: only the first d may be active
                bad.update({"W_k[d:, :]": Wk[d:, :], "W_q[d:, :]": Wq[d:, :]})
            for name, block in bad.items():
                if block.numel() and float(block.abs().max()) > tol:
                    raise InputError(f"layer {ell} {name}", "zero for the WPGD construction",
                                     float(block.abs().max()))
            Ps.append((-c * (Wk[:, :d].T @ Wq[:, :d])).T)
            g = lyr.gate(zs[ell]).to(z.dtype)
            gates_out.append(g)
            shapes.append(lyr.shape)
            if lyr.shape == "scalar":
                omegas.append(gate_products(g, "scalar"))
            elif lyr.shape == "key":
                omegas.append(gate_products(g[..., :d], "key"))
            else:
                omegas.append(gate_products(g[..., label], "scalar"))
    return EffectiveWPGD(Ps, omegas, shapes, gates_out)
