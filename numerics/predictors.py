"""One small interface for every in-context predictor (after Garg et al.'s in-context-learning code).

A predictor has a ``name`` and maps a batch of :class:`~glaverify.numerics.sampler.Prompts` to the
query predictions ``ŷ`` (B,). Linear attention is ``WPGDPredictor`` with ``ω = 1``; the causal and
full-context WPGD predictors live in :mod:`glaverify.numerics.wpgd`. (The unused ``RidgePredictor`` and
``linear_attention_predictor`` were removed: nothing evaluated them.)
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
