"""Vectorised prompt sampler for the multitask data model (THEORY §4).

Randomness comes only from an explicit ``numpy.random.Generator`` (or ``torch.Generator``).
A batch of prompts is sampled at once: features ``X`` (B, n, d), labels ``y`` (B, n), query ``x``
(B, d) and its label ``y_query`` (B,). Block tasks are drawn jointly, ``β = C^{1/2} z`` blockwise.
"""

from __future__ import annotations

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


def _sampling_factors(model: DataModel) -> tuple[np.ndarray | None, np.ndarray]:
    """(Σ^{1/2} or None when Σ is diagonal-handled, C_blk^{1/2})."""
    return psd_sqrt(model.sigma), psd_sqrt(model.block_corr)


def sample_prompts(model: DataModel, batch: int, rng: np.random.Generator) -> Prompts:
    """Sample ``batch`` i.i.d. prompts from ``model``."""
    d, n, k = model.d, model.n, model.K
    sig_half, corr_half = _sampling_factors(model)
    sig = model.sigma
    diag = np.allclose(sig, np.diag(np.diag(sig)))
    feats = rng.standard_normal((batch, n + 1, d))
    if diag:
        feats *= np.sqrt(np.diag(sig))
    else:
        feats = feats @ sig_half
    # tasks: (B, K+1, d) with E[β_k β_l^T] = C_kl I
    tasks = np.einsum("kl,bld->bkd", corr_half, rng.standard_normal((batch, k + 1, d)))
    X, xq = feats[:, :n], feats[:, n]
    beta_ex = tasks[:, model.block_index]  # (B, n, d)
    noise = rng.standard_normal((batch, n + 1)) * np.sqrt(model.noise_var)
    y = np.einsum("bnd,bnd->bn", X, beta_ex) + noise[:, :n]
    yq = np.einsum("bd,bd->b", xq, tasks[:, k]) + noise[:, n]
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
