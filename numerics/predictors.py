"""One small interface for every in-context predictor (after Garg et al.'s in-context-learning code).

A predictor has a ``name`` and maps a batch of :class:`~glaverify.numerics.sampler.Prompts` to the
query predictions ``ŷ`` (B,). GLA, WPGD, linear attention and least squares are then one loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .sampler import Prompts
from .wpgd import wpgd_one_step


class Predictor(Protocol):
    name: str

    def __call__(self, prompts: Prompts) -> np.ndarray: ...


@dataclass(frozen=True)
class WPGDPredictor:
    """(WPGD-1): ``ŷ = x^T P X^T (ω ⊙ y) = Σ_i ω_i y_i x^T P x_i``."""

    P: np.ndarray
    omega: np.ndarray
    name: str = "wpgd"

    def __call__(self, prompts: Prompts) -> np.ndarray:
        return wpgd_one_step(prompts.X, prompts.y, prompts.x_query, self.P, self.omega)


def linear_attention_predictor(P: np.ndarray, n: int) -> WPGDPredictor:
    """Linear attention (all gates 1): WPGD with uniform weights ω = 1."""
    return WPGDPredictor(P=P, omega=np.ones(n), name="linatt")


@dataclass(frozen=True)
class RidgePredictor:
    """Ridge regression on the context (λ = 0 is least squares, minimum-norm)."""

    lam: float = 0.0
    name: str = "ridge"

    def __call__(self, prompts: Prompts) -> np.ndarray:
        X, y = prompts.X, prompts.y
        d = X.shape[-1]
        A = np.einsum("bnd,bne->bde", X, X) + self.lam * np.eye(d)
        rhs = np.einsum("bnd,bn->bd", X, y)
        if self.lam > 0:
            w = np.linalg.solve(A, rhs[..., None])[..., 0]
        else:
            w = np.einsum("bde,be->bd", np.linalg.pinv(A), rhs)
        return np.einsum("bd,bd->b", prompts.x_query, w)

