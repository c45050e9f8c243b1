"""What a check receives: the model config, run settings, seeds and a progress hook."""

from __future__ import annotations

import dataclasses
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


# the memory budget without --max-memory: one home, numerics/memory.py (standard library only)
from glaverify.numerics.memory import (  # noqa: E402,F401
    DEFAULT_MEMORY_FRACTION,
    available_memory_bytes,
    default_max_memory_bytes,
)


def is_symbolic_method(method: str) -> bool:
    """Methods whose size is limited (exact expansion): they run at ``ctx.symbolic_dims`` when set."""
    return method.lower().startswith("symbolic")


@dataclass
class CheckContext:
    """Inputs of one check run.

    ``dims_explicit`` is true when the user named d/n **on the command line** (``--d``/``--n``), and in the
    context :meth:`for_check` gives the symbolic methods under ``--symbolic-dims``: checks with a size limit
    (symbolic ones) then refuse larger dims instead of choosing their own. Otherwise (the default model or
    a config file: the same model must get the same methods either way) it is false, and such checks may
    use their documented small dims, which their records state.

    ``symbolic_dims`` is the proof size ``(d, n)`` the user chose with ``verify/check --symbolic-dims``;
    :meth:`for_check` then runs the symbolic methods on the model restricted to it (``symbolic_model``).

    ``max_memory_bytes`` bounds the memory of sampling loops (``--max-memory``; default
    :func:`default_max_memory_bytes`). ``model_source`` says where the model came from (shown with every
    verdict).
    """

    model_config: ModelConfig
    run: RunConfig = field(default_factory=RunConfig)
    dims_explicit: bool = False
    quick: bool = False
    progress: ProgressFactory = _no_progress
    options: dict[str, Any] = field(default_factory=dict)
    symbolic_dims: tuple[int, int] | None = None
    symbolic_model: ModelConfig | None = None
    max_memory_bytes: int = field(default_factory=default_max_memory_bytes)
    model_source: str = "default model"

    def for_check(self, method: str) -> CheckContext:
        """The context a check of ``method`` runs with: symbolic methods get ``symbolic_model`` (with
        ``dims_explicit``) when the user chose ``--symbolic-dims``; every other method this context."""
        if self.symbolic_model is None or not is_symbolic_method(method):
            return self
        return dataclasses.replace(
            self,
            model_config=self.symbolic_model,
            dims_explicit=True,
            model_source=f"{self.model_source}, restricted to --symbolic-dims "
            f"d={self.symbolic_model.d}, n={self.symbolic_model.n}",
        )

    def describe_model(self) -> str:
        """One line naming the model behind the verdicts: dims, blocks, family, Σ, σ² and its source."""
        return describe_model(self.model_config, self.model_source)

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


def describe_model(cfg: ModelConfig, source: str = "") -> str:
    """``d=4, n=12, K=3 star blocks [4, 4, 4], Σ diagonal, σ²=0.1 (default model)``."""
    sizes = cfg.tasks.block_sizes or [cfg.n]
    blocks = f"K={len(sizes)} {cfg.tasks.family} block{'s' if len(sizes) > 1 else ''}"
    if len(sizes) <= 8:
        blocks += f" {list(sizes)}"
    text = (
        f"d={cfg.d}, n={cfg.n}, {blocks}, Σ {cfg.features.covariance}"
        f"{f' (scale {cfg.features.scale:g})' if cfg.features.covariance == 'identity' else ''}"
        f", σ²={cfg.noise_var:g}"
    )
    return f"{text} ({source})" if source else text


class Timer:
    def __enter__(self) -> Timer:
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.elapsed = time.perf_counter() - self.t0
