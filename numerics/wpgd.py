"""Reference WPGD predictors (docs/gla.md), for numpy arrays and torch tensors alike.

* :func:`wpgd_one_step` — (WPGD-1) ``ŷ = x^T P Σ_i ω_i x_i y_i`` with scalar weights ω (..., n), or the
  coordinate-weighted form ``ŷ = x^T P Σ_i diag(γ_i) x_i y_i`` with per-coordinate weights γ (..., n, d) (G2).
* :func:`causal_wpgd` — every position keeps its own iterate (G3)::

      w_i^{(ℓ+1)} = w_i^{(ℓ)} − P_ℓ Σ_{j≤i} ω^{(ℓ)}_{j→i} x_j (x_j^T w_j^{(ℓ)} − ỹ_j),  ŷ = x^T w_{n+1}^{(L)},

  ``ỹ_j = y_j`` (j ≤ n), ``ỹ_{n+1} = 0``; the residual of ``j`` uses ``j``'s own iterate and the query's own
  term is included. Pairwise weights ω (..., n+1, n+1) indexed ``[i, j]`` (only ``j ≤ i`` is read), or
  per-coordinate (..., n+1, n+1, d) (``diag(γ_{j→i})`` in place of ``ω_{j→i}``).
* :func:`full_context_wpgd` — L steps on one shared iterate with weights ω^{(ℓ)} (..., n) over the examples.
* :func:`gate_weights` — the weights ``ω_i = Π_{j=i+1}^{n+1} g_j`` of G1 from per-token gates.

All are pure functions of their inputs; batch dimensions lead. Predictor wrappers with the shared
``name``/``__call__(Prompts)`` interface: :class:`CausalWPGDPredictor`, :class:`FullContextWPGDPredictor`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .errors import InputError
from .sampler import Prompts


def _is_torch(a) -> bool:
    return type(a).__module__.startswith("torch")


def _einsum(spec: str, *ops):
    if any(_is_torch(o) for o in ops):
        import torch

        return torch.einsum(spec, *ops)
    return np.einsum(spec, *ops, optimize=len(ops) > 2)


def _zeros_like(a, shape):
    if _is_torch(a):
        import torch

        return torch.zeros(shape, dtype=a.dtype)
    return np.zeros(shape, dtype=np.result_type(a, np.float64))


def _cat_zero(y):
    """Append ``ỹ_{n+1} = 0`` to labels (..., n) -> (..., n+1)."""
    if _is_torch(y):
        import torch

        return torch.cat([y, torch.zeros_like(y[..., :1])], dim=-1)
    return np.concatenate([y, np.zeros_like(y[..., :1])], axis=-1)


def _cat_query(X, x):
    if _is_torch(X):
        import torch

        return torch.cat([X, x[..., None, :]], dim=-2)
    return np.concatenate([X, x[..., None, :]], axis=-2)


def wpgd_one_step(X, y, x, P, omega):
    """(WPGD-1) / G1: ``ŷ = Σ_i ω_i y_i x^T P x_i``; with ``omega`` (..., n, d) the G2 form
    ``ŷ = x^T P Σ_i diag(γ_i) x_i y_i``. ``X`` (..., n, d), ``y`` (..., n), ``x`` (..., d), ``P`` (d, d)."""
    if omega.shape[-1] == X.shape[-1] and omega.ndim == X.ndim and omega.shape[-2] == X.shape[-2]:
        g = _einsum("...nd,...nd,...n->...d", omega, X, y)
    else:
        g = _einsum("...n,...nd->...d", omega * y, X)  # X^T (ω ⊙ y); two operands keep the fast path
    return _einsum("...d,...d->...", x, _einsum("...e,de->...d", g, P))


def causal_wpgd(X, y, x, Ps: Sequence, omegas: Sequence, return_iterates: bool = False):
    """L steps of causal WPGD (G3). ``Ps[ℓ]`` (d, d); ``omegas[ℓ]`` (..., n+1, n+1) pairwise weights
    ``[i, j] = ω_{j→i}`` or (..., n+1, n+1, d) per-coordinate. Returns ``ŷ = x^T w_{n+1}^{(L)}`` (and the
    iterates (..., n+1, d) after each step when ``return_iterates``)."""
    if len(Ps) != len(omegas) or not Ps:
        raise InputError("causal_wpgd", "as many weight sets as preconditioners (≥ 1)",
                         (len(Ps), len(omegas)))
    Z = _cat_query(X, x)  # (..., n+1, d)
    yt = _cat_zero(y)
    T = Z.shape[-2]
    W = _zeros_like(Z, Z.shape)
    iterates = []
    for P, om in zip(Ps, omegas, strict=True):
        resid = _einsum("...jd,...jd->...j", Z, W) - yt  # x_j^T w_j − ỹ_j
        if om.ndim == Z.ndim + 1:  # per-coordinate (..., T, T, d)
            grad = _einsum("...ijd,...jd,...j->...id", _tril(om, T, vector=True), Z, resid)
        else:
            grad = _einsum("...ij,...jd,...j->...id", _tril(om, T), Z, resid)
        W = W - _einsum("de,...ie->...id", P, grad)
        iterates.append(W)
    yhat = _einsum("...d,...d->...", x, W[..., -1, :])
    return (yhat, iterates) if return_iterates else yhat


def _tril(om, T: int, vector: bool = False):
    """Keep only ``j ≤ i`` (the causal part) of a pairwise weight array."""
    mask = np.tril(np.ones((T, T)))
    if _is_torch(om):
        import torch

        mask = torch.as_tensor(mask, dtype=om.dtype)
    return om * (mask[..., None] if vector else mask)


def full_context_wpgd(X, y, x, Ps: Sequence, omegas: Sequence):
    """L steps of WPGD on the whole context with one iterate: ``w ← w − P_ℓ X^T (ω^{(ℓ)} ⊙ (X w − y))``,
    ``w_0 = 0``; ``ŷ = x^T w``. ``omegas[ℓ]`` (..., n) (or (..., n, d) per-coordinate)."""
    if len(Ps) != len(omegas) or not Ps:
        raise InputError("full_context_wpgd", "as many weight sets as preconditioners (≥ 1)",
                         (len(Ps), len(omegas)))
    w = _zeros_like(X, X.shape[:-2] + X.shape[-1:])
    for P, om in zip(Ps, omegas, strict=True):
        resid = _einsum("...nd,...d->...n", X, w) - y
        if om.ndim == X.ndim:
            grad = _einsum("...nd,...nd,...n->...d", om, X, resid)
        else:
            grad = _einsum("...n,...nd,...n->...d", om, X, resid)
        w = w - _einsum("de,...e->...d", P, grad)
    return _einsum("...d,...d->...", x, w)


def gate_weights(gates):
    """G1 weights ``ω_i = Π_{j=i+1}^{n+1} g_j`` (i = 1..n) from scalar gates (..., n+1) of the n examples and
    the query (the product runs over all later tokens, the query included)."""
    if _is_torch(gates):
        import torch

        cp = torch.flip(torch.cumprod(torch.flip(gates, dims=[-1]), dim=-1), dims=[-1])  # Π_{j≥i} g_j
        return cp[..., 1:]
    cp = np.flip(np.cumprod(np.flip(gates, axis=-1), axis=-1), axis=-1)
    return cp[..., 1:]


def coordinate_gate_weights(gates):
    """G2 weights ``γ_i = Π_{j=i+1}^{n+1} α_j`` (elementwise) from key gates (..., n+1, d) → (..., n, d)."""
    if _is_torch(gates):
        import torch

        cp = torch.flip(torch.cumprod(torch.flip(gates, dims=[-2]), dim=-2), dims=[-2])
        return cp[..., 1:, :]
    cp = np.flip(np.cumprod(np.flip(gates, axis=-2), axis=-2), axis=-2)
    return cp[..., 1:, :]


def pairwise_gate_weights(gates, vector: bool = False):
    """G3 weights ``ω_{j→i} = Π_{k=j+1}^{i} g_k`` as (..., T, T) (``[i, j]``, zero for ``j > i``, one on the
    diagonal) from scalar gates (..., T); with ``vector`` per-coordinate (..., T, m) → (..., T, T, m).
    numpy or torch; exact with zero gates (running products, no logs)."""
    if vector:
        T = gates.shape[-2]
        out = _zeros_like(gates, gates.shape[:-2] + (T, T) + gates.shape[-1:])
    else:
        T = gates.shape[-1]
        out = _zeros_like(gates, gates.shape + (T,))
    for j in range(T):
        if vector:
            out[..., j, j, :] = 1.0
        else:
            out[..., j, j] = 1.0
        acc = None
        for i in range(j + 1, T):
            gi = gates[..., i, :] if vector else gates[..., i]
            acc = gi if acc is None else acc * gi
            if vector:
                out[..., i, j, :] = acc
            else:
                out[..., i, j] = acc
    return out


def causal_wpgd_gated(X, y, x, Ps: Sequence, gate_fns: Sequence, shapes: Sequence[str],
                      weights_fn=None, include_query: bool = True):
    """Causal WPGD whose weights come from data-dependent gates evaluated on WPGD's *own* tokens (G3):
    at step ℓ the gates are ``gate_fns[ℓ](z^{(ℓ)})`` with ``z_i^{(ℓ)} = [x_i; ỹ_i − x_iᵀ w_i^{(ℓ)}]`` (torch,
    (..., n+1, d+1)), and ``ω^{(ℓ)}_{j→i} = weights_fn(gates)`` (default :func:`pairwise_gate_weights`).
    Scalar gates give scalar weights, key gates per-coordinate weights on the first d coordinates, value
    gates the label coordinate. ``include_query=False`` drops the query's own term (a planted error)."""
    import torch

    Z = _cat_query(X, x)
    yt = _cat_zero(y)
    T, d = Z.shape[-2], Z.shape[-1]
    W = torch.zeros_like(Z)
    for P, gfn, shape in zip(Ps, gate_fns, shapes, strict=True):
        resid = torch.einsum("...jd,...jd->...j", Z, W) - yt
        tokens = torch.cat([Z, -resid[..., None]], dim=-1)
        g = gfn(tokens)
        if shape == "scalar":
            om = (weights_fn or pairwise_gate_weights)(g)
        elif shape == "key":
            om = (weights_fn or (lambda a: pairwise_gate_weights(a, vector=True)))(g[..., :d])
        else:
            om = (weights_fn or pairwise_gate_weights)(g[..., d])
        if not include_query:
            om = om.clone()
            if om.ndim == Z.ndim + 1:
                om[..., T - 1, T - 1, :] = 0
            else:
                om[..., T - 1, T - 1] = 0
        if om.ndim == Z.ndim + 1:
            grad = torch.einsum("...ijd,...jd,...j->...id", _tril(om, T, vector=True), Z, resid)
        else:
            grad = torch.einsum("...ij,...jd,...j->...id", _tril(om, T), Z, resid)
        W = W - torch.einsum("de,...ie->...id", torch.as_tensor(P, dtype=Z.dtype), grad)
    return torch.einsum("...d,...d->...", x, W[..., -1, :])


@dataclass(frozen=True)
class FullContextWPGDPredictor:
    """Full-context WPGD with fixed ``Ps``/``omegas`` (each ω (n,)) on :class:`Prompts`."""

    Ps: tuple
    omegas: tuple
    name: str = "full-context-wpgd"

    def __call__(self, prompts: Prompts) -> np.ndarray:
        return full_context_wpgd(prompts.X, prompts.y, prompts.x_query, self.Ps, self.omegas)


@dataclass(frozen=True)
class CausalWPGDPredictor:
    """Causal WPGD with fixed ``Ps``/``omegas`` (each ω (n+1, n+1), ``[i, j] = ω_{j→i}``) on prompts."""

    Ps: tuple
    omegas: tuple
    name: str = "causal-wpgd"

    def __call__(self, prompts: Prompts) -> np.ndarray:
        return causal_wpgd(prompts.X, prompts.y, prompts.x_query, self.Ps, self.omegas)
