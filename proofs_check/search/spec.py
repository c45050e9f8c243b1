"""What a claim's randomized search is made of (see docs/testing.md).

A :class:`SearchSpec` declares, for one claim id:

* what the claim quantifies over (``quantifies``: models, weights, preconditioners, gates, sequence lengths,
  depths) and the ranges drawn (``ranges``);
* hypothesis strategies of *instances* for the three phases of a search (``random``: broad draws,
  ``degenerate``: near-singular correlations, extreme condition numbers, zero gates, tiny noise;
  ``targeted``: the same draws steered by :func:`hypothesis.target` towards a large residual);
* a fast property (float64 closed forms, numpy or torch) returning an :class:`Outcome`;
* a confirmation by the claim's strongest independent method (exact rationals where possible) that a
  failing instance is a true counterexample and not a rounding artefact or a fault of the fast route.

An instance is a plain dict (JSON/TOML friendly): ``instance["model"]`` is a ``[model]`` table of the config
schema (docs/config.md) when the claim quantifies over models, the other keys are the claim's own values
(``omega``, ``P``, ``gates``, ...). The same dict is written as the ``[counterexample]`` of a replay file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from glaverify.numerics.errors import InputError

Instance = dict[str, Any]

#: the phases of a search, in order, with their default share of the budget
PHASES: tuple[str, ...] = ("random", "degenerate", "targeted")
PHASE_SPLIT: dict[str, float] = {"random": 0.4, "degenerate": 0.3, "targeted": 0.3}


@dataclass(frozen=True)
class Outcome:
    """The fast property on one instance: ``ok`` (the claim holds there), the residual it was decided on
    (compared with ``tolerance``), and a score the targeted phase maximises (default: the residual)."""

    ok: bool
    residual: float
    tolerance: float
    detail: dict[str, Any] = field(default_factory=dict)
    score: float | None = None

    @property
    def target_score(self) -> float:
        s = self.residual if self.score is None else self.score
        return float(s) if s == s and abs(s) != float("inf") else 1e300


@dataclass(frozen=True)
class Confirmation:
    """The independent verdict on a failing instance. ``confirmed`` True: a true counterexample (exact or
    certified by the named method); False: the independent method says the claim holds there, so the fast
    route was wrong (an error of the tool, never a refutation); None: the method could not decide."""

    confirmed: bool | None
    method: str
    exact: bool
    summary: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SearchOptions:
    """Size limits of the draws (user-facing: ``--max-d`` / ``--max-n``); ``None`` = the claim's default."""

    max_d: int | None = None
    max_n: int | None = None


StrategyFactory = Callable[[SearchOptions], dict[str, Any]]


@dataclass(frozen=True)
class SearchSpec:
    """The randomized search of one claim (see the module docstring)."""

    claim: str
    quantifies: tuple[str, ...]
    ranges: str
    strategies: StrategyFactory
    prop: Callable[[Instance], Outcome]
    confirm: Callable[[Instance], Confirmation]
    fast_method: str
    confirm_method: str
    coverage: Callable[[Instance], dict[str, float]] = lambda inst: {}
    default_max_d: int = 8
    default_max_n: int = 32
    #: searches with their own engine (R6) bypass the generic phases
    external: Callable[..., Any] | None = None

    def options(self, max_d: int | None, max_n: int | None) -> SearchOptions:
        return SearchOptions(max_d or self.default_max_d, max_n or self.default_max_n)


_SPECS: dict[str, SearchSpec] = {}
_LOADED = False

#: claims that have no search, with the reason (said when a user asks for one)
NO_SEARCH: dict[str, str] = {
    "A7": "A7 is an empirical claim about trained models (measured by `glaverify check A7`); there is no "
    "fast property to search",
}


def register(spec: SearchSpec) -> SearchSpec:
    if spec.claim in _SPECS:
        raise ValueError(f"search for {spec.claim} registered twice")
    _SPECS[spec.claim] = spec
    return spec


def load_specs() -> dict[str, SearchSpec]:
    """Import the modules that declare the searches (once)."""
    global _LOADED
    if not _LOADED:
        from . import claims_gating, claims_gla, claims_risk  # noqa: F401

        _LOADED = True
    return _SPECS


def get_spec(claim_id: str) -> SearchSpec:
    """The search of ``claim_id``; ``InputError`` for an unknown id or a claim without a search."""
    from glaverify.proofs_check.registry import load_all

    key = str(claim_id).strip().upper()
    claims = load_all()
    if key not in claims:
        raise InputError("CLAIM", f"unknown claim id {claim_id!r}; known: {', '.join(claims)}")
    specs = load_specs()
    if key not in specs:
        reason = NO_SEARCH.get(key, "no search is declared for it")
        raise InputError("CLAIM", f"claim {key} has no search: {reason}")
    return specs[key]


def searchable() -> list[str]:
    """Claim ids with a search, in registry order."""
    from glaverify.proofs_check.registry import load_all

    specs = load_specs()
    return [cid for cid in load_all() if cid in specs]
