"""Verdicts and evidence records (THEORY §7).

A check returns one :class:`Evidence` record. Its verdict is never stronger than what the record holds:

- ``proved``: an exact symbolic identity or exact rational computation for the stated dimensions;
- ``certified``: numeric, with a certificate that could have failed (residuals, Hessian spectra, gaps)
  and the tolerance it was held to;
- ``supported``: sampled evidence (Monte Carlo with a CI, randomized runs with their count);
- ``refuted``: a counterexample, reproducible from the recorded seed and config;
- ``inconclusive``: with the reason.
"""

from __future__ import annotations

import importlib.metadata as md
import platform
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

import numpy as np


class Verdict(str, Enum):
    PROVED = "proved"
    CERTIFIED = "certified"
    SUPPORTED = "supported"
    REFUTED = "refuted"
    INCONCLUSIVE = "inconclusive"

    def __str__(self) -> str:
        return self.value


#: strength order for combining non-refuting verdicts
_STRENGTH = {Verdict.PROVED: 3, Verdict.CERTIFIED: 2, Verdict.SUPPORTED: 1, Verdict.INCONCLUSIVE: 0}


def combine_verdicts(verdicts: list[Verdict], scopes: list[str] | None = None) -> Verdict:
    """A claim's verdict from its records: ``refuted`` if any record refutes, otherwise the strongest of
    proved > certified > supported among the records that cover the whole claim, otherwise
    ``inconclusive``. A record with scope ``"partial"`` (it establishes a lemma or one part of the claim)
    can refute the claim but never raises its verdict."""
    vs = [Verdict(v) for v in verdicts]
    sc = list(scopes) if scopes is not None else ["full"] * len(vs)
    if Verdict.REFUTED in vs:
        return Verdict.REFUTED
    full = [v for v, s in zip(vs, sc, strict=True) if s == "full"]
    if not full:
        return Verdict.INCONCLUSIVE
    return max(full, key=lambda v: _STRENGTH[v])


def combine_records(records: list[Evidence]) -> Verdict:
    return combine_verdicts([r.verdict for r in records], [r.scope for r in records])


_PACKAGES = ("glaverify", "numpy", "scipy", "sympy", "cvxpy", "clarabel", "torch", "pydantic", "hypothesis")


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = "not installed"
    return out


def jsonable(obj: Any) -> Any:
    """Convert numpy/sympy/Enum values inside ``obj`` to plain JSON types."""
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if isinstance(obj, float):
        if obj != obj or obj in (float("inf"), float("-inf")):
            return str(obj)
        return obj
    if obj is None or isinstance(obj, (str, int, bool)):
        return obj
    return str(obj)


@dataclass
class Evidence:
    """One check's evidence record. ``summary`` is a one-line human reading of the result."""

    claim: str
    verdict: Verdict
    method: str
    summary: str = ""
    dims: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    tolerance: float | None = None
    residuals: dict[str, float] = field(default_factory=dict)
    sample_size: int | None = None
    ci: dict[str, float] | None = None
    counterexample: dict[str, Any] | None = None
    details: dict[str, Any] = field(default_factory=dict)
    elapsed_s: float = 0.0
    versions: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    #: "full" when the record speaks to the whole claim, "partial" when it establishes only a part or lemma
    scope: str = "full"

    def __post_init__(self) -> None:
        self.verdict = Verdict(self.verdict)
        if self.scope not in ("full", "partial"):
            raise ValueError(
                f"{self.claim}/{self.method}: scope must be 'full' or 'partial', not {self.scope!r}"
            )
        if self.verdict is Verdict.SUPPORTED and self.sample_size is None:
            raise ValueError(f"{self.claim}/{self.method}: a 'supported' record must state its sample size")
        if self.verdict is Verdict.CERTIFIED and self.tolerance is None:
            raise ValueError(f"{self.claim}/{self.method}: a 'certified' record must state its tolerance")
        if self.verdict is Verdict.REFUTED and self.counterexample is None:
            raise ValueError(f"{self.claim}/{self.method}: a 'refuted' record must carry its counterexample")
        if self.verdict is Verdict.INCONCLUSIVE and not self.summary:
            raise ValueError(f"{self.claim}/{self.method}: an 'inconclusive' record must give its reason")

    def to_dict(self) -> dict[str, Any]:
        return jsonable(asdict(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Evidence:
        return cls(**data)
