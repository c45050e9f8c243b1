"""Vectorised prompt sampler for the multitask data model (docs/data-model.md).

Randomness comes only from an explicit ``numpy.random.Generator`` (or ``torch.Generator``).
A batch of prompts is sampled at once: features ``X`` (B, n, d), labels ``y`` (B, n), query ``x``
(B, d) and its label ``y_query`` (B,). Block tasks are drawn jointly, ``β = C^{1/2} z`` blockwise.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from .linalg import psd_sqrt
from .model import DataModel


@dataclass(frozen=True)
class Prompts:
    """A batch of prompts. ``tasks`` (B, K+1, d) holds the block tasks, last = the query task."""

    X: np.ndarray
    y: np.ndarray
    x_query: np.ndarray
    y_query: np.ndarray
    tasks: np.ndarray

    @property
    def batch(self) -> int:
        return self.X.shape[0]


_FACTORS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _factors(model: DataModel) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray]:
    """(√diag Σ if Σ is diagonal else None, Σ^{1/2} if not diagonal else None, C_blk^{1/2}), cached per
    model (models are immutable), so repeated batches do not redo the eigen-decompositions."""
    f = _FACTORS.get(model)
    if f is None:
        sig = model.sigma
        diagonal = not np.any(sig - np.diag(np.diag(sig)))
        f = (
            np.sqrt(np.diag(sig)) if diagonal else None,
            None if diagonal else psd_sqrt(sig),
            psd_sqrt(model.block_corr),
        )
        _FACTORS[model] = f
    return f


def _sampling_factors(model: DataModel) -> tuple[np.ndarray, np.ndarray]:
    """(Σ^{1/2}, C_blk^{1/2})."""
    sd, sig_half, corr_half = _factors(model)
    return (np.diag(sd) if sig_half is None else sig_half), corr_half


def sample_prompts(model: DataModel, batch: int, rng: np.random.Generator) -> Prompts:
    """Sample ``batch`` i.i.d. prompts from ``model``.

    Cost is dominated by the ``batch·(n+1)·d`` Gaussian draws of the features: a diagonal Σ is applied
    as a scaling (no Σ^{1/2} product), labels are formed block by block (no (B, n, d) copy of the tasks).
    """
    d, n, k = model.d, model.n, model.K
    sd, sig_half, corr_half = _factors(model)
    X = rng.standard_normal((batch, n, d))
    xq = rng.standard_normal((batch, d))
    if sd is not None:
        X *= sd
        xq *= sd
    else:
        X = X @ sig_half
        xq = xq @ sig_half
    # tasks: (B, K+1, d) with E[β_k β_l^T] = C_kl I
    tasks = corr_half @ rng.standard_normal((batch, k + 1, d))
    y = np.empty((batch, n))
    start = 0
    for blk, size in enumerate(model.block_sizes):
        y[:, start : start + size] = (X[:, start : start + size] @ tasks[:, blk, :, None])[..., 0]
        start += size
    yq = np.einsum("bd,bd->b", xq, tasks[:, k])
    if model.noise_var > 0:
        noise = rng.standard_normal((batch, n + 1))
        noise *= np.sqrt(model.noise_var)
        y += noise[:, :n]
        yq += noise[:, n]
    return Prompts(X=X, y=y, x_query=xq, y_query=yq, tasks=tasks)


def sample_prompts_torch(model: DataModel, batch: int, generator, dtype=None):
    """Torch version of :func:`sample_prompts` (same distribution), returning a dict of tensors
    ``X`` (B, n, d), ``y`` (B, n), ``x_query`` (B, d), ``y_query`` (B,), ``tasks`` (B, K+1, d)."""
    import torch

    dtype = dtype or torch.float64
    d, n, k = model.d, model.n, model.K
    sig_half, corr_half = _sampling_factors(model)
    sh = torch.as_tensor(sig_half, dtype=dtype)
    ch = torch.as_tensor(corr_half, dtype=dtype)
    feats = torch.randn((batch, n + 1, d), generator=generator, dtype=dtype) @ sh
    tasks = torch.einsum("kl,bld->bkd", ch, torch.randn((batch, k + 1, d), generator=generator, dtype=dtype))
    X, xq = feats[:, :n], feats[:, n]
    idx = torch.as_tensor(model.block_index, dtype=torch.long)
    noise = torch.randn((batch, n + 1), generator=generator, dtype=dtype) * float(np.sqrt(model.noise_var))
    y = torch.einsum("bnd,bnd->bn", X, tasks[:, idx]) + noise[:, :n]
    yq = torch.einsum("bd,bd->b", xq, tasks[:, k]) + noise[:, n]
    return {"X": X, "y": y, "x_query": xq, "y_query": yq, "tasks": tasks}
