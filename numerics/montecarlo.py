"""Monte Carlo risk estimates with confidence intervals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

from .model import DataModel
from .sampler import Prompts, sample_prompts


@dataclass(frozen=True)
class MCEstimate:
    """Sample mean of the squared error with a two-sided normal-approximation CI."""

    mean: float
    std_err: float
    ci_low: float
    ci_high: float
    samples: int
    confidence: float

    def contains(self, value: float) -> bool:
        return self.ci_low <= value <= self.ci_high

    def to_dict(self) -> dict:
        return asdict(self)


def mc_risk(
    model: DataModel,
    predictor: Callable[[Prompts], np.ndarray],
    num_prompts: int,
    rng: np.random.Generator,
    confidence: float = 0.999,
    batch: int = 4096,
    progress: Callable[[int], None] | None = None,
) -> MCEstimate:
    """Estimate ``E(y − ŷ)²`` from ``num_prompts`` fresh prompts (streamed in batches)."""
    total = 0.0
    total_sq = 0.0
    done = 0
    while done < num_prompts:
        b = min(batch, num_prompts - done)
        prompts = sample_prompts(model, b, rng)
        err = (prompts.y_query - predictor(prompts)) ** 2
        total += float(err.sum())
        total_sq += float((err**2).sum())
        done += b
        if progress is not None:
            progress(b)
    mean = total / done
    var = max(total_sq / done - mean**2, 0.0) * done / max(done - 1, 1)
    se = float(np.sqrt(var / done))
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    return MCEstimate(mean, se, mean - z * se, mean + z * se, done, confidence)
