"""Randomized counterexample search for every claim (``glaverify search``; docs/testing.md).

``search(claim, budget, seed, ...)`` runs the claim's :class:`SearchSpec` through the chunked hypothesis
engine of :mod:`.engine` and returns a :class:`SearchReport`.
"""

from .engine import SearchReport, plan, run_chunk
from .engine import search as search
from .spec import Confirmation, Outcome, SearchSpec, get_spec, load_specs, searchable

__all__ = [
    "Confirmation",
    "Outcome",
    "SearchReport",
    "SearchSpec",
    "get_spec",
    "load_specs",
    "plan",
    "run_chunk",
    "search",
    "searchable",
]
