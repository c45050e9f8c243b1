"""What a check receives: the model config, run settings, seeds and a progress hook."""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from glaverify.numerics.config import ModelConfig, RunConfig
from glaverify.numerics.model import DataModel

from .evidence import Evidence, Verdict, package_versions

ProgressFactory = Callable[[str, int], Callable[[int], None]]


def _no_progress(description: str, total: int) -> Callable[[int], None]:
    return lambda advance: None


@dataclass
class CheckContext:
    """Inputs of one check run.

    ``dims_explicit`` is true when the user named d/n (on the command line or in a config file): checks
    with a size limit (symbolic ones) then refuse larger dims instead of choosing their own. In the
    default suite (``glaverify verify``) it is false, and such checks may use their documented small dims,
    which their records state.
    """

    model_config: ModelConfig
    run: RunConfig = field(default_factory=RunConfig)
    dims_explicit: bool = False
    quick: bool = False
    progress: ProgressFactory = _no_progress
    options: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def model(self) -> DataModel:
        return DataModel.from_config(self.model_config)

    @property
    def seed(self) -> int:
        return self.run.seed

    def rng(self, stream: str) -> np.random.Generator:
        """An independent generator per named stream, reproducible from ``run.seed``."""
        return np.random.default_rng(np.random.SeedSequence([self.run.seed, zlib.crc32(stream.encode())]))

    def torch_generator(self, stream: str):
        import torch

        g = torch.Generator()
        g.manual_seed(int(self.rng(stream).integers(2**62)))
        return g

    def record(self, claim: str, method: str, verdict: Verdict | str, summary: str, **kw: Any) -> Evidence:
        """Build an evidence record stamped with this run's config, seed and package versions."""
        cfg = self.model_config
        kw.setdefault("dims", {"d": cfg.d, "n": cfg.n})
        kw.setdefault("config", {"model": cfg.model_dump(), "run": self.run.model_dump()})
        kw.setdefault("seed", self.run.seed)
        return Evidence(
            claim=claim, verdict=Verdict(verdict), method=method, summary=summary,
            versions=package_versions(), **kw,
        )


class Timer:
    def __enter__(self) -> Timer:
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.elapsed = time.perf_counter() - self.t0
