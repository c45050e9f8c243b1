"""Exact checks at the user's model (issue 11): ``proved`` by exact rational / rigorous ball arithmetic.

R4 ``exact`` / R6 ``exact`` / R7 ``exact``
    :func:`glaverify.theory.exact.prove_r6` on the config's exact rationals: the curve polynomials, the
    fixed-point polynomial Φ(γ) (identity against the matrix route proved at deg Φ + 1 points), every real
    root in the proved bracket isolated exactly. One root (or one strictly lowest in ball arithmetic) proves
    that the global minimiser is unique up to scaling (R6), lies on the curve at the isolated γ* (R4), and
    is block-constant (R7). The float curve route (``numerics.landscape.curve_route``) is the independent
    cross-check: its γ must fall in the isolating interval (to 1e-9 relative), else ``inconclusive``.
    Injectable: ``ctx.options["exact_fixed_point"]`` (the polynomial under test),
    ``ctx.options["exact_direct"]`` (the matrix route).

See docs/exact.md.
"""

from __future__ import annotations

import time
from typing import Any

from glaverify.numerics import landscape as ls
from glaverify.proofs_check.context import CheckContext
from glaverify.proofs_check.evidence import Evidence, Verdict
from glaverify.proofs_check.registry import check
from glaverify.theory import exact as E

#: the exact R6 route runs at most at these sizes in the default suite (cost grows with d and K, not n;
#: docs/exact.md has the measured scaling); larger models keep the numeric certificate as their route.
EXACT_MAX_D = 24
EXACT_MAX_K = 12
#: the float curve route's γ must lie within this relative distance of the exact isolating interval
GAMMA_XCHECK_RTOL = 1e-9

ROUTE = "exact (python-flint: rationals from the config's decimal text, Descartes root isolation, arb balls)"


def _too_big(ctx: CheckContext, claim: str) -> Evidence | None:
    cfg = ctx.model_config
    em_K = len(cfg.tasks.block_sizes or [cfg.n]) if cfg.tasks.family != "iid" else 1
    max_d = int(ctx.options.get("exact_max_d", EXACT_MAX_D))
    max_k = int(ctx.options.get("exact_max_k", EXACT_MAX_K))
    if cfg.d > max_d or em_K > max_k:
        return ctx.record(
            claim, "exact", Verdict.INCONCLUSIVE,
            f"beyond the exact route's size limit (d <= {max_d}, K <= {max_k}); the numeric certificate is"
            " the route for this model",
            details={"route": ROUTE, "limits": {"d": max_d, "K": max_k}},
        )
    return None


def r6_exact_proof(ctx: CheckContext) -> tuple[E.R6Proof, dict[str, Any]]:
    """The exact R6 proof of the run's model and the float cross-check (cached per context)."""
    key = "_exact_r6_proof"
    if key in ctx.options:
        return ctx.options[key]
    em = E.exact_model(ctx.model_config)
    kw = {}
    if "exact_fixed_point" in ctx.options:
        kw["fixed_point"] = ctx.options["exact_fixed_point"]
    if "exact_direct" in ctx.options:
        kw["direct"] = ctx.options["exact_direct"]
    pr = E.prove_r6(em, **kw)
    xc: dict[str, Any] = {}
    if pr.status == "proved" and pr.gamma_star is not None:
        t0 = time.perf_counter()
        cr = ls.curve_route(ctx.model)
        g = cr.best.gamma if cr.best is not None else float("nan")
        lo, hi = E.qfloat(pr.gamma_star.lo), E.qfloat(pr.gamma_star.hi)
        dist = max(lo - g, g - hi, 0.0) / max(abs(g), 1.0) if g == g else float("inf")
        xc = {
            "float_curve_gamma": g,
            "relative_distance": dist,
            "agrees": bool(dist <= GAMMA_XCHECK_RTOL),
            "float_curve_risk": cr.best.risk if cr.best is not None else None,
            "elapsed_s": time.perf_counter() - t0,
        }
    out = (pr, xc)
    ctx.options[key] = out
    return out


def _landscape_record(ctx: CheckContext, claim: str) -> Evidence:
    big = _too_big(ctx, claim)
    if big is not None:
        return big
    pr, xc = r6_exact_proof(ctx)
    details = {"route": ROUTE, "proof": pr.describe(), "float_cross_check": xc,
               "model_exact": E.exact_model(ctx.model_config).describe()}
    dims = {"d": ctx.model_config.d, "n": ctx.model_config.n}
    if pr.status == "r-zero":
        if claim == "R6":
            return ctx.record(claim, "exact", Verdict.PROVED, "r = 0 (exact): " + pr.reason, details=details,
                              dims=dims)
        return ctx.record(claim, "exact", Verdict.INCONCLUSIVE,
                          "r = 0: there is no unique optimum to locate (R6's non-unique branch)",
                          details=details, dims=dims)
    if pr.status != "proved":
        return ctx.record(claim, "exact", Verdict.INCONCLUSIVE, f"exact route stopped: {pr.reason}",
                          details=details, dims=dims)
    if not xc.get("agrees", False):
        return ctx.record(
            claim, "exact", Verdict.INCONCLUSIVE,
            f"exact gamma* in [{E.qfloat(pr.gamma_star.lo):.15g}, {E.qfloat(pr.gamma_star.hi):.15g}] but the"
            f" float curve route found {xc.get('float_curve_gamma')}: the routes disagree (tool error, not a"
            " refutation)",
            details=details, dims=dims,
        )
    g = pr.gamma_star
    where = f"gamma* in [{E.qfloat(g.lo):.15g}, {E.qfloat(g.hi):.15g}]"
    poly = f"fixed-point polynomial of degree {pr.degree}, {pr.root_count} root(s) in the bracket"
    if claim == "R6":
        text = f"unique global minimiser up to scaling (exact): {poly}; {where}; min L in {pr.min_risk}"
    elif claim == "R4":
        text = (f"the global minimiser lies on w ~ (R + gI)^-1 r at the fixed point g = 1 + s F2/F3 (exact): "
                f"{poly}; {where}")
    else:
        text = (f"the unique minimiser is w ~ B p(gamma*), constant within each of the {len(pr.omega_blocks)}"
                f" blocks (exact identity (C_K N + gI) p = q c); {where}")
    return ctx.record(claim, "exact", Verdict.PROVED, text, details=details, dims=dims,
                      residuals={"float_gamma_relative_distance": xc["relative_distance"]})


@check("R4", "exact", default=True)
def r4_exact(ctx: CheckContext) -> Evidence:
    """The minimiser sits at the fixed point on the curve: exact root isolation of Φ(γ) in the bracket."""
    return _landscape_record(ctx, "R4")


@check("R6", "exact", default=True)
def r6_exact(ctx: CheckContext) -> Evidence:
    """Unique global minimum up to scaling, proved for the model: one (lowest) root of Φ(γ) in the bracket."""
    return _landscape_record(ctx, "R6")


@check("R7", "exact", default=True)
def r7_exact(ctx: CheckContext) -> Evidence:
    """The unique minimiser B p(γ*) is block-constant (exact curve identity + R6 exact)."""
    return _landscape_record(ctx, "R7")
