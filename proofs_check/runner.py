"""Run checks and claims; collect evidence; write the verification report."""

from __future__ import annotations

import json
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from glaverify.numerics.consistency import ToolError, loosened_tolerances
from glaverify.numerics.errors import InputError

from . import registry
from .context import CheckContext
from .evidence import (
    ClaimStatus,
    Evidence,
    Verdict,
    audit_record,
    claim_status,
    combine_verdicts,
    combiner_control_problems,
    jsonable,
    package_versions,
)
from .paths import atomic_write_text
from .registry import CheckSpec, Claim, find_method, get_claim


@dataclass
class ClaimResult:
    """A claim's records, its verdict and its :class:`ClaimStatus` (disagreement, tool errors)."""

    claim: str
    verdict: Verdict
    records: list[Evidence]
    status: ClaimStatus | None = field(default=None)

    def __post_init__(self) -> None:
        if self.status is None:
            self.status = claim_status(self.records)

    @property
    def disagreement(self) -> bool:
        return self.status.disagreement

    @property
    def tool_errors(self) -> tuple[str, ...]:
        return self.status.tool_errors

    def to_dict(self) -> dict:
        return {
            "claim": self.claim,
            "verdict": self.verdict.value,
            "status": self.status.text,
            "disagreement": self.status.disagreement,
            "disagreeing": list(self.status.disagreeing),
            "tool_errors": list(self.status.tool_errors),
            "records": [r.to_dict() for r in self.records],
        }


def not_implemented(claim: Claim, ctx: CheckContext) -> Evidence:
    return ctx.record(claim.id, "none", Verdict.INCONCLUSIVE, "not implemented")


def run_check(spec: CheckSpec, ctx: CheckContext) -> Evidence:
    """Run one check. A crash becomes an ``inconclusive`` record with ``error`` set (never a verdict).

    The user's input was validated before any check runs (:func:`run_claim` builds the model first), so an
    :class:`InputError` raised *inside* a check is a limit of that check for this model (e.g. ``r = 0``
    makes the gate-class optimum undefined): an ``inconclusive`` record stating the reason, not exit 2.
    """
    t0 = time.perf_counter()
    try:
        rec = spec.fn(ctx)
    except InputError as exc:
        rec = ctx.record(
            spec.claim,
            spec.method,
            Verdict.INCONCLUSIVE,
            f"not applicable to this model: {exc}",
            details={"input_error": {"field": exc.field, "constraint": exc.constraint}},
            abstained=True,  # no evidence either way: never counted as disagreeing evidence
        )
    except ToolError as exc:  # two of our own routes disagreed: an error of the tool, shown as such
        rec = ctx.record(
            spec.claim,
            spec.method,
            Verdict.INCONCLUSIVE,
            f"tool error: {exc.what}",
            tool_error=exc.what,
        )
    except Exception as exc:  # a bug or a solver failure: keep going, but say so
        rec = ctx.record(
            spec.claim,
            spec.method,
            Verdict.INCONCLUSIVE,
            f"check crashed: {type(exc).__name__}: {exc}",
            error="".join(traceback.format_exception_only(type(exc), exc)).strip(),
            details={"traceback": traceback.format_exc(limit=8)},
        )
    problem = audit_record(rec)
    if problem:  # the record guards were bypassed or weakened: our own two readings of the rules disagree
        rec = ctx.record(spec.claim, spec.method, Verdict.INCONCLUSIVE, f"tool error: {problem}",
                         tool_error=f"record audit: {problem}")
    rec.elapsed_s = time.perf_counter() - t0
    return rec


def run_claim(
    claim_id: str, ctx: CheckContext, method: str | None = None, suite: bool = False
) -> ClaimResult:
    """Run the checks of one claim: all of them, method ``method`` only, or (``suite``) the default ones."""
    claim = get_claim(claim_id)
    validate_inputs(ctx)
    if method is not None:
        method = find_method(claim, method) or method  # case-insensitive, like claim ids
        if method not in claim.checks:
            known = ", ".join(claim.checks) or "none implemented"
            raise InputError("--method", f"claim {claim.id} has no method {method!r} (methods: {known})")
        specs = [claim.checks[method]]
    else:
        specs = [s for s in claim.checks.values() if s.default or not suite]
    # ctx.for_check: symbolic methods run at --symbolic-dims when the user chose them (see CheckContext)
    records = (
        [run_check(s, ctx.for_check(s.method)) for s in specs] if specs else [not_implemented(claim, ctx)]
    )
    records += self_test_records(claim.id, ctx)
    records += combiner_control_records(claim.id, ctx, records)
    status = claim_status(records)  # never raises: a combiner fault is a tool error
    return ClaimResult(claim.id, status.verdict, records, status)


def self_test_records(claim_id: str, ctx: CheckContext) -> list[Evidence]:
    """Positive controls of the tool itself, run with every claim: the record guard must refuse a
    'supported' record without its sample size, and no tolerance may exceed its documented maximum.
    Each failure is one tool-error record (the run goes on; the CLI exits 3)."""
    problems = list(loosened_tolerances())
    try:
        Evidence(claim=claim_id, verdict=Verdict.SUPPORTED, method="self-test", summary="planted")
        problems.append("the evidence record accepted a 'supported' verdict without a sample size")
    except ValueError:
        pass
    return [ctx.record(claim_id, "self-test", Verdict.INCONCLUSIVE, f"tool error: {p}", tool_error=p,
                       abstained=True) for p in problems]


def combiner_control_records(claim_id: str, ctx: CheckContext, records: list[Evidence]) -> list[Evidence]:
    """The second combiner (docs/evidence.md, docs/reliability.md): a literal reading of the combining table
    compared with :func:`claim_status` on this claim's records and on planted cases with known answers. Each
    disagreement is one tool-error record (the claim's status says so; the CLI exits 3)."""
    return [ctx.record(claim_id, "self-test", Verdict.INCONCLUSIVE, f"tool error: {p}", tool_error=p,
                       abstained=True) for p in combiner_control_problems(records)]


def validate_inputs(ctx: CheckContext) -> None:
    """Build the data model before any check runs: bad user input raises :class:`InputError` here (the
    CLI's exit 2), and only here; an InputError from inside a check is then the check's own limit."""
    _ = ctx.model


def all_claims() -> list[Claim]:
    """The registry's claims, looked up at call time (so a test can swap either module's view)."""
    return registry.all_claims()


def run_suite(ctx: CheckContext, claims: list[str] | None = None) -> list[ClaimResult]:
    validate_inputs(ctx)
    ids = claims or [c.id for c in all_claims()]
    return [run_claim(cid, ctx, suite=True) for cid in ids]


def write_report(results: list[ClaimResult], out_dir: Path, ctx: CheckContext) -> tuple[Path, Path]:
    """Write ``verification.json`` (a list of records, each with its ``dims`` and ``config``) and
    ``verification.md`` (which names the model and the dims behind every verdict). Files are written
    atomically with mode ``0666 & ~umask``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    records = [r.to_dict() for res in results for r in res.records]
    jpath = atomic_write_text(out_dir / "verification.json", json.dumps(jsonable(records), indent=1))
    lines = [
        "# glaverify verification report",
        "",
        f"Model: {ctx.describe_model()}. Seed {ctx.run.seed}.",
        "",
        f"Model config: `{json.dumps(ctx.model_config.model_dump())}`",
        "",
        f"Versions: {', '.join(f'{k} {v}' for k, v in package_versions().items())}",
        "",
        "| claim | verdict | method | dims | summary | elapsed (s) |",
        "|---|---|---|---|---|---|",
    ]
    for res in results:
        for r in res.records:
            summ = r.summary.replace("|", "\\|").replace("\n", " ")
            part = " (part)" if r.scope == "partial" else ""
            dims = ", ".join(f"{k}={v}" for k, v in (r.dims or {}).items())
            lines.append(
                f"| {r.claim} | **{r.verdict.value}**{part} | {r.method} | {dims} | {summ} | "
                f"{r.elapsed_s:.2f} |"
            )
    lines += ["", "## Claim verdicts", "", "| claim | verdict |", "|---|---|"]
    # i10: the claim status text ("proved, with disagreeing evidence", docs/evidence.md)
    lines += [f"| {res.claim} | {res.status.text} |" for res in results]
    mpath = atomic_write_text(out_dir / "verification.md", "\n".join(lines) + "\n")
    return jpath, mpath


def report_model(path: Path) -> str | None:
    """The model behind a ``verification.json`` (from its first full-size record's config), or None."""
    from glaverify.numerics.config import build_model_config

    from .context import describe_model

    try:
        data = json.loads(path.read_text())
        cfgs = [r["config"]["model"] for r in data
                if isinstance(r, dict) and r.get("config", {}).get("model")]
        if not cfgs:
            return None
        biggest = max(cfgs, key=lambda c: (c.get("d", 0), c.get("n", 0)))  # symbolic records may be smaller
        return describe_model(build_model_config(biggest))
    except (OSError, ValueError, TypeError, KeyError, AttributeError, InputError):
        return None


def last_verdicts(path: Path, strict: bool = False) -> dict[str, str]:
    """Claim verdicts from a previous ``verification.json`` (for ``glaverify list``).

    A missing or unreadable file gives no verdicts, unless ``strict`` (the user named the file): then it
    raises :class:`InputError` naming ``--report``.
    """
    def bad(constraint: str) -> dict[str, str]:
        if strict:
            raise InputError("--report", constraint, str(path))
        return {}

    if not path.is_file():
        return bad("file not found")
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return bad(f"not a readable verification.json ({type(exc).__name__})")
    if not isinstance(data, list):
        return bad("not a verification.json (expected a list of evidence records)")
    by_claim: dict[str, list[tuple[Verdict, str]]] = {}
    try:
        for rec in data:
            by_claim.setdefault(rec["claim"], []).append((Verdict(rec["verdict"]), rec.get("scope", "full")))
    except (TypeError, KeyError, ValueError, AttributeError):
        return bad("not a verification.json (a record lacks a valid claim or verdict)")
    return {k: combine_verdicts([v for v, _ in vs], [s for _, s in vs]).value for k, vs in by_claim.items()}
