"""The ``counterexample`` method of every claim with a search: replay a file written by
``glaverify search`` (``glaverify check CLAIM --config FILE``), see docs/testing.md.

With a ``[counterexample]`` section the claim's fast property is evaluated on the stored instance and a
failure is confirmed by the claim's independent method: a confirmed failure refutes the claim; a failure the
independent method does not confirm is reported as an error of the tool (``inconclusive``), never as a
refutation. Without the section, claims that quantify over models only are checked on the config's model
(one instance: a partial record that never raises the claim's verdict).
"""

from __future__ import annotations

from glaverify.numerics.errors import InputError

from ..context import CheckContext
from ..evidence import Evidence, Verdict
from ..registry import check
from ..search.replay import instance_from_config, replay
from ..search.spec import get_spec, load_specs


def replay_check(claim: str, ctx: CheckContext) -> Evidence:
    """Replay a ``[counterexample]`` (or check the config's model) with the claim's search property."""
    spec = get_spec(claim)
    section = ctx.options.get("counterexample")
    if section is None and set(spec.quantifies) != {"models"}:
        return ctx.record(
            claim,
            "counterexample",
            Verdict.INCONCLUSIVE,
            f"nothing to replay: {claim} quantifies over {', '.join(spec.quantifies)}; "
            "give a file written by "
            f"`glaverify search {claim}` (with a [counterexample] section)",
            scope="partial",
            abstained=True,  # nothing ran: no evidence, never "disagreeing" (docs/evidence.md)
        )
    try:
        inst = instance_from_config(claim, ctx.model_config, section)
        out, conf = replay(claim, inst)
    except KeyError as exc:
        raise InputError("counterexample.values", f"missing value {exc} for {claim}") from None
    where = "the [counterexample] instance" if section is not None else "the config's model"
    resid = {"fast_residual": float(out.residual)}
    if out.ok:
        return ctx.record(
            claim,
            "counterexample",
            Verdict.SUPPORTED,
            f"{spec.fast_method}: the claim holds on {where} "
            f"(residual {out.residual:.3g} ≤ {out.tolerance:.3g})",
            sample_size=1,
            tolerance=out.tolerance,
            residuals=resid,
            scope="partial",
            details={"instance": inst, "fast": out.detail},
        )
    if conf is not None and conf.confirmed:
        return ctx.record(
            claim,
            "counterexample",
            Verdict.REFUTED,
            f"counterexample replayed: {conf.summary} (confirmed by {conf.method})",
            counterexample={"instance": inst, "confirmation": conf.detail, "exact": conf.exact},
            tolerance=out.tolerance,
            residuals=resid,
        )
    why = (
        "did not confirm it: an error of the tool's fast route"
        if conf is not None and conf.confirmed is False
        else "could not decide"
    )
    return ctx.record(
        claim,
        "counterexample",
        Verdict.INCONCLUSIVE,
        f"the fast property fails on {where} (residual {out.residual:.3g} > {out.tolerance:.3g}) but "
        f"{conf.method if conf else 'the independent method'} {why}: {conf.summary if conf else ''}",
        residuals=resid,
        details={"instance": inst},
        scope="partial",
    )


def _replay_fn(cid: str):
    def fn(ctx: CheckContext) -> Evidence:
        return replay_check(cid, ctx)

    fn.__name__ = fn.__qualname__ = f"replay_{cid.lower()}"
    fn.__doc__ = f"Replay a `glaverify search {cid}` counterexample file (or check the config's model)."
    return fn


def _register() -> None:
    for cid in load_specs():
        check(cid, "counterexample", default=False)(_replay_fn(cid))


_register()
