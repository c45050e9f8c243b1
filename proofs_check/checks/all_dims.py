"""Dimension-free proofs (method ``symbolic-all-dims``): claims proved for every d and n at once.

Each check wraps a prover of :mod:`glaverify.theory.risk_all_dims` or :mod:`glaverify.theory.induction`.
The record's dims are ``all``; its summary prints the statement in the calculus's notation; its details
list the assumptions and the second-route cross-checks (normal form at concrete sizes vs the explicit
coordinate Wick engine). The verdict logic is the same for every claim:

* normal forms equal and every cross-check agrees → ``proved`` (dims ``all``; a user's d, n are covered);
* normal forms differ and an exact witness was found → ``refuted`` with the witness;
* normal forms differ, no witness → ``inconclusive`` (a free difference may vanish at the sizes tried);
* the two routes disagree → ``inconclusive`` with ``error`` set: a fault of the tool, never a refutation.

See docs/proofs.md.
"""

from __future__ import annotations

from typing import Any

from glaverify.theory import risk_all_dims as ra

from ..context import CheckContext
from ..evidence import Evidence, Verdict
from ..registry import check

METHOD = "symbolic-all-dims"
ALL = {"d": "all", "n": "all"}


def record_all_dims(
    ctx: CheckContext, claim: str, res: Any, what: str, dims: dict[str, Any] | None = None,
    scope: str = "full",
) -> Evidence:
    """The evidence record of a dimension-free proof result (``AllDimsResult``)."""
    cfg = ctx.model_config
    covered = {"d": cfg.d, "n": cfg.n} if ctx.dims_explicit else None
    details: dict[str, Any] = {
        "statement": res.statement,
        "assumptions": list(res.assumptions),
        "cross_checks": [c.__dict__ for c in res.cross_checks],
        "requested_dims_covered": covered,
        **res.details,
    }
    dims = dims or dict(ALL)
    if res.cross_check_failed:
        bad = [c for c in res.cross_checks if not c.agree]
        return ctx.record(
            claim, METHOD, Verdict.INCONCLUSIVE,
            f"TOOL ERROR: the dimension-free normal form disagrees with the explicit Wick engine at "
            f"d={bad[0].d}, n={bad[0].n}; no verdict on the claim",
            dims=dims, details=details, error="cross-check between the two routes failed", scope=scope,
        )
    if res.holds:
        extra = f"; covers the requested d={cfg.d}, n={cfg.n}" if covered else ""
        return ctx.record(
            claim, METHOD, Verdict.PROVED,
            f"{what} for every dimension: {res.statement}{extra}",
            dims=dims, residuals={"residual_terms": 0.0}, details=details, scope=scope,
        )
    if res.witness is not None:
        return ctx.record(
            claim, METHOD, Verdict.REFUTED,
            f"{res.name} fails: normal forms differ by {res.residual[:200]}; exact witness at "
            f"d={res.witness.get('d')} value {res.witness.get('value')}",
            dims=dims, counterexample={"residual": res.residual, **res.witness}, details=details, scope=scope,
        )
    return ctx.record(
        claim, METHOD, Verdict.INCONCLUSIVE,
        f"{res.name}: normal forms differ ({res.residual[:200]}) but no exact witness was found at the "
        "sizes tried; not proved",
        dims=dims, details=details, scope=scope,
    )


# ----------------------------------------------------------------------------- R1, R2
def r1_all_dims_record(ctx: CheckContext, **kw: Any) -> Evidence:
    res = ra.prove_r1_all_dims(seed=ctx.seed, **kw)
    what = "E(y - yhat)^2 derived by vector-level Wick pairings equals the closed form"
    return record_all_dims(ctx, "R1", res, what)


@check("R1", METHOD, default=True)
def r1_all_dims(ctx: CheckContext) -> Evidence:
    """Exact for every d, n: the risk derived in the moment calculus equals the R1 closed form."""
    return r1_all_dims_record(ctx)


def r2_all_dims_record(ctx: CheckContext, **kw: Any) -> Evidence:
    res = ra.prove_r2_all_dims(seed=ctx.seed, **kw)
    return record_all_dims(ctx, "R2", res, "the derived risk is invariant under (P, w) -> (P/c, c w)")


@check("R2", METHOD, default=True)
def r2_all_dims(ctx: CheckContext) -> Evidence:
    """Exact for every d, n: L(P/c, c w) = L(P, w) on the derived normal form."""
    return r2_all_dims_record(ctx)
