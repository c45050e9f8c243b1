"""``search`` method of R1: a small seeded run of the search engine with its decision step controlled
(:mod:`glaverify.proofs_check.search.check_route`; docs/reliability.md, "The search engine as a check").

``supported`` with the number of random models, preconditioners and weights tried (the R1 closed form
against the moment route in float64, every failure confirmed in exact rationals); ``refuted`` only with a
failure the exact route confirms; a failure it does not confirm, or a control that comes out wrong, is a
tool error.
"""

from __future__ import annotations

from glaverify.proofs_check.context import CheckContext
from glaverify.proofs_check.evidence import Evidence, Verdict
from glaverify.proofs_check.once import once
from glaverify.proofs_check.registry import check
from glaverify.proofs_check.search import check_route


def search_record(ctx: CheckContext, claim: str) -> Evidence:
    # its own random models (not the cell's): in a sweep, computed once per worker process (once.py)
    out = once(check_route.run_search_check, claim, ctx.run.seed, quick=ctx.quick)
    rep = out["report"]
    dims = {"max_d": check_route.SEARCH_CHECK_MAX["d"], "max_n": check_route.SEARCH_CHECK_MAX["n"],
            "models": "random (the search's own draws)"}
    details = {"controls": out["controls"], "budget": out["budget"], "by_phase": rep["by_phase"],
               "coverage": rep["coverage"], "ranges": rep["ranges"], "fast_method": rep["fast_method"],
               "confirm_method": rep["confirm_method"], "search_seconds": rep["seconds"]}
    head = (f"search engine, {out['checked']} random instances ({rep['fast_method']}; failures confirmed by "
            f"{rep['confirm_method']}); controls of the confirmation step passed")
    if out["verdict"] == "supported":
        return ctx.record(claim, "search", Verdict.SUPPORTED, f"{head}: no failing instance", dims=dims,
                          sample_size=out["checked"], details=details)
    if out["verdict"] == "refuted":
        cex = {"instance": rep["counterexample"], "confirmation": rep["confirmation"],
               "residual": rep["residual"], "seed": ctx.run.seed, "budget": out["budget"]}
        return ctx.record(claim, "search", Verdict.REFUTED,
                          f"{head}: a failing instance, confirmed: {rep['confirmation']['summary']}",
                          dims=dims, counterexample=cex, details=details)
    why = "; ".join(rep["errors"]) or "no instance checked, or a failure the exact route could not decide"
    return ctx.record(claim, "search", Verdict.INCONCLUSIVE, f"{head}: undecided ({why})",
                      dims=dims, details={**details, "report": rep})


@check("R1", "search", default=True)
def r1_search(ctx: CheckContext) -> Evidence:
    """Search engine: random models, P, ω; R1 closed form vs the moment route, failures confirmed exactly."""
    return search_record(ctx, "R1")
