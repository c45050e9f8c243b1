"""A paired, sequential Monte Carlo comparison of two predictors with a valid stopping rule (used by G4).

Sampling continues in looks of doubling size (``first``, ``2·first``, ``4·first``, … prompts in
total, capped at ``budget``) until the confidence interval of the mean paired difference excludes 0 or
the budget is spent. Each look's interval is a two-sided normal-approximation interval at level
``1 − α/K``, with ``K`` the number of looks planned in advance (Bonferroni): by the union bound the
probability that *any* look's interval misses the true mean is at most ``α`` (asymptotically, as for every
CLT interval), so stopping at the first look that excludes 0 keeps the stated confidence. The record says
which happened: decided at look k, or undecided with the budget spent.

(numerics.montecarlo's ``mc_risk`` estimates one predictor; this module only adds the pairing and the
stopping rule.)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import stats

from .model import DataModel
from .sampler import Prompts, sample_prompts


@dataclass(frozen=True)
class SequentialComparison:
    """Mean paired difference with the interval of the look that stopped the sampling."""

    mean: float
    std_err: float
    ci_low: float
    ci_high: float
    samples: int
    confidence: float  # the overall (family-wise) level
    look_confidence: float  # the level of each look's interval
    looks_planned: int
    looks_done: int
    budget: int
    decided: bool
    history: list[dict] = field(default_factory=list)

    @property
    def sign(self) -> int:
        if not self.decided:
            return 0
        return 1 if self.ci_low > 0 else -1

    def to_dict(self) -> dict:
        return asdict(self)


def look_schedule(first: int, budget: int) -> list[int]:
    """Cumulative sample sizes of the looks: ``first·2^k`` below ``budget``, then ``budget``."""
    if first < 2 or budget < first:
        raise ValueError("need 2 <= first <= budget")
    out, n = [], first
    while n < budget:
        out.append(n)
        n *= 2
    out.append(budget)
    return out


def paired_sequential(
    model: DataModel,
    differences: Callable[[Prompts], np.ndarray],
    rng: np.random.Generator,
    confidence: float = 0.999,
    first: int = 50_000,
    budget: int = 4_000_000,
    batch: int = 4096,
    progress: Callable[[int], None] | None = None,
) -> SequentialComparison:
    """Sample prompts, evaluate the paired differences ``differences(prompts)`` (one per prompt), and stop at
    the first planned look whose ``1 − α/K`` interval excludes 0, or when ``budget`` prompts are used."""
    looks = look_schedule(first, budget)
    K = len(looks)
    alpha = 1.0 - confidence
    look_conf = 1.0 - alpha / K
    z = float(stats.norm.ppf(1.0 - alpha / (2 * K)))
    total = total_sq = 0.0
    done = 0
    history: list[dict] = []
    mean = se = lo = hi = math.nan
    decided = False
    for target in looks:
        while done < target:
            b = min(batch, target - done)
            dif = np.asarray(differences(sample_prompts(model, b, rng)), dtype=np.float64)
            total += float(dif.sum())
            total_sq += float((dif**2).sum())
            done += b
            if progress is not None:
                progress(b)
        mean = total / done
        var = max(total_sq / done - mean**2, 0.0) * done / max(done - 1, 1)
        se = math.sqrt(var / done)
        lo, hi = mean - z * se, mean + z * se
        history.append({"samples": done, "mean": mean, "ci_low": lo, "ci_high": hi})
        if lo > 0 or hi < 0:
            decided = True
            break
    return SequentialComparison(mean, se, lo, hi, done, confidence, look_conf, K, len(history), budget,
                                decided, history)
