"""The claim registry: one :class:`Claim` per claim id of docs/claims.md, with the claims it uses and its
checks.

Statements live in :mod:`glaverify.proofs_check.claims`. Check functions live in the modules of
:mod:`glaverify.proofs_check.checks` and register themselves with the :func:`check` decorator::

    @check("R1", "monte-carlo", default=True)
    def r1_monte_carlo(ctx: CheckContext) -> Evidence:
        ...

Every module in ``proofs_check/checks/`` is imported on first use of the registry, so adding a check is
adding a function to a module there (see docs/adding-a-claim.md).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from glaverify.numerics.errors import InputError

if TYPE_CHECKING:
    from .context import CheckContext
    from .evidence import Evidence

CheckFn = Callable[["CheckContext"], "Evidence"]


@dataclass
class CheckSpec:
    """A check method of a claim. ``default`` checks run in ``glaverify verify``."""

    claim: str
    method: str
    fn: CheckFn
    default: bool = True
    description: str = ""


@dataclass
class Claim:
    id: str
    family: str
    title: str
    statement: str
    latex: str
    uses: tuple[str, ...] = ()
    checks: dict[str, CheckSpec] = field(default_factory=dict)


_CLAIMS: dict[str, Claim] = {}
_LOADED = False


def add_claim(claim: Claim) -> Claim:
    if claim.id in _CLAIMS:
        raise ValueError(f"claim {claim.id} registered twice")
    _CLAIMS[claim.id] = claim
    return claim


def check(
    claim_id: str, method: str, default: bool = True, description: str = ""
) -> Callable[[CheckFn], CheckFn]:
    """Decorator registering ``fn`` as method ``method`` of claim ``claim_id``."""

    def deco(fn: CheckFn) -> CheckFn:
        from . import claims  # noqa: F401  (statements must exist before checks attach)

        claim = _CLAIMS.get(claim_id)
        if claim is None:
            raise ValueError(f"check {fn.__name__}: unknown claim id {claim_id!r}")
        if method in claim.checks:
            raise ValueError(f"claim {claim_id}: method {method!r} registered twice")
        doc = description or ((fn.__doc__ or "").strip().splitlines() or [""])[0]
        claim.checks[method] = CheckSpec(claim_id, method, fn, default, doc)
        return fn

    return deco


def load_all() -> dict[str, Claim]:
    """Import the claim statements and every check module (once)."""
    global _LOADED
    if not _LOADED:
        from . import checks, claims  # noqa: F401

        for mod in sorted(pkgutil.iter_modules(checks.__path__), key=lambda m: m.name):
            importlib.import_module(f"{checks.__name__}.{mod.name}")
        # Registration order depends on which module was imported first (a test may import one directly);
        # order every claim's checks by module and source line so records come out the same everywhere.
        for claim in _CLAIMS.values():
            claim.checks = dict(sorted(claim.checks.items(), key=lambda kv: _source_order(kv[1].fn)))
        _LOADED = True
    return _CLAIMS


def claim_statements() -> dict[str, Claim]:
    """The claims with their statements and uses, *without* importing the check modules (fast; the
    ``checks`` of each claim are empty unless :func:`load_all` ran). Method names: see
    :mod:`glaverify.proofs_check.method_index`."""
    from . import claims  # noqa: F401

    return dict(_CLAIMS)


def find_method(claim: Claim, method: str) -> str | None:
    """The registered method of ``claim`` whose name equals ``method`` up to case, or None."""
    key = method.strip().lower()
    return next((m for m in claim.checks if m.lower() == key), None)


def _source_order(fn: CheckFn) -> tuple[str, int]:
    code = getattr(fn, "__code__", None)
    return (getattr(fn, "__module__", ""), code.co_firstlineno if code is not None else 0)


def get_claim(claim_id: str) -> Claim:
    claims = load_all()
    key = claim_id.strip().upper()
    if key not in claims:
        raise InputError("CLAIM", f"unknown claim id {claim_id!r}; known: {', '.join(claims)}")
    return claims[key]


def all_claims() -> list[Claim]:
    return list(load_all().values())
