"""The ``glaverify`` command line (typer + rich).

Core commands live here (``list``, ``check``, ``verify``). Feature commands (``landscape``, ``search``,
``train``, ``tables``, ``report``) live in modules of :mod:`glaverify.proofs_check.commands`, each with a
``register(app)`` function, and are attached at start-up.

Start-up is kept light (docs/cli.md, "Start-up"): this module imports typer, rich, pydantic and numpy
only. The check modules (torch, cvxpy, sympy, scipy) are imported by the commands that run checks;
``list`` reads the static method index (:mod:`glaverify.proofs_check.method_index`).

Shared flags mean the same on every command that takes them (docs/cli.md, "Shared flags"); the exit
codes are :data:`EXIT_OK`, :data:`EXIT_REFUTED`, :data:`EXIT_INPUT`, :data:`EXIT_TOOL`,
:data:`EXIT_INTERRUPTED`.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import pkgutil
import re
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from glaverify.numerics.errors import InputError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .paths import check_in_file, check_out_dir

if TYPE_CHECKING:  # imported lazily: pydantic/numpy are not needed for --help
    from glaverify.numerics.config import GlaverifyConfig

    from .context import CheckContext
    from .runner import ClaimResult

#: exit codes (docs/cli.md, "Exit codes")
EXIT_OK = 0
#: a claim refuted, checks that disagree, or a counterexample found (``--strict``; ``search`` always)
EXIT_REFUTED = 1
#: bad input: one line ``error: <field>: <constraint>`` on stderr, before any work
EXIT_INPUT = 2
#: a fault of the tool itself (a check crashed); never a verdict about the theory
EXIT_TOOL = 3
#: interrupted by Ctrl-C (128 + SIGINT)
EXIT_INTERRUPTED = 130

app = typer.Typer(
    name="glaverify",
    help="Check the theory of 'Gating is Weighting' (GLA as weighted preconditioned GD) for concrete dims.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def make_console(stderr: bool = False) -> Console:
    """A rich console. Piped or redirected output is never wrapped (a number is never split across
    lines): the width is then unbounded and tables take their natural width."""
    probe = Console(stderr=stderr)
    if probe.is_terminal:
        return probe
    return Console(stderr=stderr, width=100_000, soft_wrap=True, no_color=True, highlight=False)


err_console = make_console(stderr=True)
out_console = make_console()

VERDICT_STYLE = {
    "proved": "bold green",
    "certified": "green",
    "supported": "cyan",
    "refuted": "bold red",
    "inconclusive": "yellow",
}

# ---------------------------------------------------------------------------------------- shared flags
ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="TOML config file.")]
DOpt = Annotated[int | None, typer.Option("--d", help="Feature dimension d (overrides the config).")]
NOpt = Annotated[int | None, typer.Option("--n", help="Number of examples n (overrides the config).")]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Seed (overrides [run].seed).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print exactly one JSON object on stdout.")]
QuickOpt = Annotated[bool, typer.Option("--quick", help="CI-sized samples and checks.")]
StrictOpt = Annotated[
    bool,
    typer.Option("--strict", help="Exit 1 if a claim is refuted or its checks disagree (see exit codes)."),
]
OutDirOpt = Annotated[Path | None, typer.Option("--out", help="Output DIRECTORY (created if missing).")]
MaxMemoryOpt = Annotated[
    str | None,
    typer.Option(
        "--max-memory",
        help="Memory budget of sampling loops: bytes or a size like 512M, 2G "
        "(default: half of the available memory).",
    ),
]
SymbolicDimsOpt = Annotated[
    str | None,
    typer.Option(
        "--symbolic-dims",
        help="Proof size 'd,n' for the symbolic methods (the model restricted to these dims).",
    ),
]

_SIZE_UNITS = {"": 1, "B": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def parse_size(text: str | None, field: str = "--max-memory") -> int:
    """``"2G"`` -> 2147483648; plain digits are bytes; K/M/G/T are powers of 1024 (``KB``/``KiB`` too)."""
    if text is None:
        from .context import default_max_memory_bytes

        return default_max_memory_bytes()
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*", text.upper())
    if m is None:
        raise InputError(field, "must be a size: bytes or a number with K, M, G or T (e.g. 2G)", text)
    value = int(float(m.group(1)) * _SIZE_UNITS[m.group(2)])
    if value < 1024**2:
        raise InputError(field, "must be at least 1M", text)
    return value


def parse_symbolic_dims(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*[,x]\s*(\d+)\s*", text)
    if m is None:
        raise InputError("--symbolic-dims", "must be 'd,n' with two integers >= 1 (e.g. 2,3)", text)
    d, n = int(m.group(1)), int(m.group(2))
    if d < 1 or n < 1:
        raise InputError("--symbolic-dims", "must be 'd,n' with two integers >= 1 (e.g. 2,3)", text)
    return d, n


def styled(verdict: str) -> str:
    return f"[{VERDICT_STYLE.get(verdict, '')}]{verdict}[/]"


def part(rec) -> str:
    """Marker for a record that establishes only part of its claim (it never sets the claim's verdict)."""
    return " (part of the claim)" if getattr(rec, "scope", "full") == "partial" else ""


def resolve_config(
    config: Path | None, d: int | None, n: int | None, seed: int | None
) -> tuple[GlaverifyConfig, bool]:
    """Config file (or the documented default model) with command-line overrides applied.

    The flag is true when d or n was named on the command line: only then do size-limited (symbolic)
    checks refuse larger dims instead of using their documented small ones. A config file does not set
    it, so ``--config examples/default.toml`` gets the same methods as no config (docs/cli.md).
    """
    from glaverify.numerics.config import (
        MAX_D,
        MAX_N,
        GlaverifyConfig,
        RunConfig,
        default_model_config,
        load_config,
    )

    for name, v, lim in (("--d", d, MAX_D), ("--n", n, MAX_N)):
        if v is not None and v < 1:
            raise InputError(name, "must be an integer >= 1", v)
        if v is not None and v > lim:
            raise InputError(name, f"must be <= {lim} (docs/config.md, limits)", v)
    if seed is not None and seed < 0:
        raise InputError("--seed", "must be >= 0", seed)
    if config is not None:
        cfg = load_config(config)
        model = cfg.model.with_dims(d, n) if (d is not None or n is not None) else cfg.model
    else:
        model = default_model_config(d if d is not None else 4, n if n is not None else 12)
        cfg = GlaverifyConfig(model=model)
    explicit = d is not None or n is not None
    run = cfg.run if seed is None else RunConfig(**{**cfg.run.model_dump(), "seed": seed})
    return GlaverifyConfig(
        **{**cfg.model_dump(), "model": model.model_dump(), "run": run.model_dump()}
    ), explicit


def model_source(config: Path | None, d: int | None, n: int | None) -> str:
    """Where the model came from, as shown next to every verdict."""
    base = f"config {config}" if config is not None else "default model"
    over = ", ".join(f"--{k} {v}" for k, v in (("d", d), ("n", n)) if v is not None)
    return f"{base}, {over}" if over else base


@contextlib.contextmanager
def progress_factory(enabled: bool = True) -> Iterator[Callable[[str, int], Callable[[int], None]]]:
    """A progress display on stderr; yields ``make(description, total) -> advance(k)``.

    On a terminal: a rich bar with elapsed time and an estimate of the time left. Otherwise (piped, a log
    file): one plain line when a step starts and then at most every 10 s, so a long step is never silent.
    """
    if not enabled:
        yield lambda description, total: lambda k: None
        return
    if not err_console.is_terminal:
        yield _plain_progress
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    prog = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )
    with prog:

        def make(description: str, total: int) -> Callable[[int], None]:
            task = prog.add_task(description, total=total)
            return _Advance(lambda k: prog.advance(task, k), lambda text: prog.update(task, description=text))

        yield make


class _Advance:
    """``advance(k)``; ``advance.describe(text)`` renames the step (e.g. ``verify: claim 3 of 18: G3``)."""

    def __init__(self, step: Callable[[int], None], describe: Callable[[str], None]):
        self._step, self.describe = step, describe

    def __call__(self, k: int) -> None:
        self._step(k)


#: seconds between two plain progress lines
PLAIN_PROGRESS_EVERY_S = 10.0


def _plain_progress(description: str, total: int) -> Callable[[int], None]:
    state = {"done": 0, "t0": time.monotonic(), "last": time.monotonic()}
    err_console.print(f"… {description} (0/{total})", highlight=False, markup=False)

    def advance(k: int) -> None:
        state["done"] += k
        now = time.monotonic()
        if now - state["last"] >= PLAIN_PROGRESS_EVERY_S:
            state["last"] = now
            done, el = state["done"], now - state["t0"]
            left = f", about {el / done * (total - done):.0f} s left" if 0 < done < total else ""
            err_console.print(
                f"… {description}: {done}/{total} after {el:.0f} s{left}", highlight=False, markup=False
            )

    return advance


def make_context(
    cfg: GlaverifyConfig,
    explicit: bool,
    progress,
    quick: bool = False,
    *,
    symbolic_dims: tuple[int, int] | None = None,
    max_memory_bytes: int | None = None,
    source: str = "default model",
    **options,
) -> CheckContext:
    from .context import CheckContext, default_max_memory_bytes

    options.setdefault("counterexample", getattr(cfg, "counterexample", None))  # issue 13: search replay
    sym_model = cfg.model.restricted(*symbolic_dims) if symbolic_dims is not None else None
    return CheckContext(
        model_config=cfg.model,
        run=cfg.run,
        dims_explicit=explicit,
        quick=quick,
        progress=progress,
        options=options,
        symbolic_dims=symbolic_dims,
        symbolic_model=sym_model,
        max_memory_bytes=max_memory_bytes if max_memory_bytes is not None else default_max_memory_bytes(),
        model_source=source,
    )


def fail(exc: Exception, code: int = EXIT_INPUT) -> None:
    err_console.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


_INTERRUPT_REPORTED = {"done": False}


def interrupted(done: str) -> None:
    """Ctrl-C: say what was completed, exit 130."""
    err_console.print(f"interrupted (Ctrl-C); completed: {done}", highlight=False, soft_wrap=True)
    _INTERRUPT_REPORTED["done"] = True
    raise typer.Exit(EXIT_INTERRUPTED)


#: commands that may run hypothesis (its example database goes to the user cache dir, not the cwd)
HYPOTHESIS_COMMANDS = frozenset({"check", "verify", "search", "tables"})


def use_user_cache_for_hypothesis() -> None:
    """Point hypothesis' storage (``.hypothesis/``) at the user cache directory unless the user set it."""
    from hypothesis.configuration import set_hypothesis_home_dir

    from .paths import user_cache_dir

    set_hypothesis_home_dir(user_cache_dir("hypothesis"))


def canonical_method(claim: str, method: str | None) -> str | None:
    """Method names are case-insensitive like claim ids (``--method Monte-Carlo``); unknown ones are
    passed on unchanged so the runner names them in its error."""
    if method is None:
        return None
    from .registry import find_method, get_claim

    return find_method(get_claim(claim), method) or method


def disagreement(res: ClaimResult) -> str | None:
    """Why the checks of a claim disagree (one full-scope record refutes while another establishes it),
    or None. Uses ``res.disagreement`` when the runner provides it."""
    status = getattr(res, "status", None)  # the runner's ClaimStatus (docs/evidence.md)
    if status is not None:
        return f"disagreeing evidence: {', '.join(status.disagreeing)}" if status.disagreement else None
    full = [r for r in res.records if getattr(r, "scope", "full") == "full"]
    refuting = [r.method for r in full if r.verdict.value == "refuted"]
    positive = [r.method for r in full if r.verdict.value in ("proved", "certified", "supported")]
    if refuting and positive:
        return f"{', '.join(refuting)} refute(s) while {', '.join(positive)} establish(es) it"
    return None


def strict_failures(results: list[ClaimResult]) -> list[str]:
    out = []
    for res in results:
        if res.verdict.value == "refuted":
            out.append(f"{res.claim} refuted")
        why = disagreement(res)
        if why:
            out.append(f"{res.claim}: checks disagree ({why})")
    return out


def styled_status(res: ClaimResult) -> str:
    """The claim's status: its verdict styled, plus "with disagreeing evidence" / "with a tool error"."""
    status = getattr(res, "status", None)
    if status is None:
        return styled(res.verdict.value)
    extra = status.text[len(res.verdict.value):]
    return styled(res.verdict.value) + (f"[yellow]{escape(extra)}[/]" if extra else "")


def tool_errors(results: list[ClaimResult]) -> list[str]:
    """Records in which two routes of our own code disagreed (evidence.ClaimStatus.tool_errors)."""
    return [f"{res.claim} {t}" for res in results
            for t in getattr(getattr(res, "status", None), "tool_errors", ())]


def format_value(v: Any) -> str:
    """A residual or detail value for human output: numbers compact, containers summarised (never a raw
    dict)."""
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        return "0" if v == 0 else f"{v:.3g}"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, dict):
        return "; ".join(
            f"{k} ({format_value(x)})" if isinstance(x, dict) else f"{k} {format_value(x)}"
            for k, x in v.items()
        )
    if isinstance(v, (list, tuple)):
        inner = ", ".join(format_value(x) for x in v[:6])
        return f"[{inner}{', …' if len(v) > 6 else ''}]"
    return str(v)


def format_ci(ci: Any) -> str:
    if isinstance(ci, dict):
        lo, hi = ci.get("low", ci.get("ci_low")), ci.get("high", ci.get("ci_high"))
        conf = ci.get("confidence")
        if isinstance(lo, (int, float)) and isinstance(hi, (int, float)):
            level = f"{conf:.3g} " if isinstance(conf, (int, float)) else ""
            return f"{level}CI [{lo:.6g}, {hi:.6g}]"
    return format_value(ci)


def format_dims(dims: Any) -> str:
    """``{"d": 4, "n": 12}`` -> ``d=4, n=12``; nested case lists -> ``d=2, n=3; d=3``."""
    if isinstance(dims, dict) and dims:
        parts = []
        for k, v in dims.items():
            if isinstance(v, (list, tuple)) and v and all(isinstance(x, dict) for x in v):
                parts.append("; ".join(format_dims(x) for x in v))
            else:
                parts.append(f"{k}={format_value(v)}")
        return ", ".join(parts)
    return ""


# -------------------------------------------------------------------------------------------- commands
@app.command("list")
def list_claims(
    report: Annotated[
        Path | None,
        typer.Option(help="verification.json whose verdicts to show (default: reports/verification.json "
                     "if it exists)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the claims, what each uses, their check methods and their last verdicts."""
    from .method_index import METHODS
    from .registry import claim_statements
    from .runner import last_verdicts, report_model

    try:
        if report is not None:
            check_in_file(report, "--report")
            last = last_verdicts(report, strict=True)
        else:
            report = Path("reports/verification.json")
            last = last_verdicts(report)
    except InputError as exc:
        fail(exc)
        return
    claims = claim_statements()
    rows = []
    for c in claims.values():
        methods = [m if default else f"{m} (not in verify)" for m, default in METHODS.get(c.id, ())]
        rows.append({"id": c.id, "family": c.family, "title": c.title, "uses": list(c.uses),
                     "methods": methods, "last_verdict": last.get(c.id)})
    model = report_model(report) if last else None
    if as_json:
        sys.stdout.write(json.dumps({"claims": rows, "last_verdicts_from": str(report) if last else None,
                                     "last_verdicts_model": model}) + "\n")
        return
    caption = f"last verdicts: {report}" + (f", model {model}" if model else "") if last else None
    table = Table(title="glaverify claims", caption=caption)
    for col in ("id", "family", "title", "uses", "methods", "last verdict"):
        table.add_column(col, overflow="fold", no_wrap=col in ("id", "family"))
    for r in rows:
        v = r["last_verdict"]
        table.add_row(r["id"], r["family"], r["title"], ", ".join(r["uses"]) or "-",
                      ", ".join(r["methods"]) or "(none)", styled(v) if v else "-")
    out_console.print(table)


def _print_claim_result(res: ClaimResult, ctx: CheckContext, statement: str | None = None) -> None:
    from .context import describe_model

    out_console.print(f"[bold]{res.claim}[/]: {styled_status(res)}  [dim]model: "
                      f"{escape(ctx.describe_model())}[/]", highlight=False)
    if statement:
        out_console.print(f"  statement: {escape(statement)}", highlight=False)
    if ctx.symbolic_model is not None:
        sym = describe_model(ctx.symbolic_model, "--symbolic-dims")
        out_console.print(f"  symbolic methods on: {escape(sym)}", highlight=False)
    for r in res.records:
        dims = format_dims(getattr(r, "dims", None))
        at = f" at {dims}" if dims else ""
        out_console.print(
            f"  - {r.method}: {styled(r.verdict.value)}{part(r)}{at} ({r.elapsed_s:.2f} s) "
            f"{escape(r.summary)}",
            highlight=False,
        )
        if r.residuals:
            out_console.print(
                "      residuals: " + ", ".join(f"{k} {format_value(v)}" for k, v in r.residuals.items()),
                highlight=False,
            )
        if r.tolerance is not None:
            out_console.print(f"      tolerance: {r.tolerance:.3g}; seed: {r.seed}", highlight=False)
        if r.ci:
            out_console.print(f"      {format_ci(r.ci)}; sample size: {r.sample_size}", highlight=False)
        if r.error:
            out_console.print(f"      [red]error:[/] {escape(str(r.error))}", highlight=False)
    why = disagreement(res)
    if why:
        out_console.print(f"  [bold red]checks disagree:[/] {escape(why)}", highlight=False)
    hint = fla_hint(res.records)
    if hint:
        out_console.print(f"  hint: {hint}", highlight=False)


#: printed when the fla-core cross-checks could not run because fla-core is not installed
FLA_HINT = (
    "the fla-reference checks need fla-core: pip install 'glaverify[dev]' (or pip install fla-core einops)"
)


def fla_hint(records: list) -> str | None:
    """The install hint, when an fla-reference record is inconclusive and fla-core is missing."""
    import importlib.util

    if any(r.method == "fla-reference" and r.verdict.value == "inconclusive" for r in records):
        if importlib.util.find_spec("fla") is None:
            return FLA_HINT
    return None


def _exit_for(results: list[ClaimResult], strict: bool) -> int:
    internal = tool_errors(results)
    errors = [r for res in results for r in res.records if r.error and not getattr(r, "tool_error", None)]
    for t in internal:  # two routes of our own code disagree: an error of the tool, never a verdict
        err_console.print(f"tool error {t} (exit {EXIT_TOOL})", highlight=False, soft_wrap=True)
    if errors:
        err_console.print(
            f"{len(errors)} check(s) crashed inside the tool (exit {EXIT_TOOL}): "
            + "; ".join(f"{r.claim}/{r.method}: {r.error}" for r in errors),
            highlight=False, soft_wrap=True,
        )
    if errors or internal:
        return EXIT_TOOL
    if strict:
        bad = strict_failures(results)
        if bad:
            err_console.print(f"--strict: {'; '.join(bad)} (exit {EXIT_REFUTED})", highlight=False,
                              soft_wrap=True)
            return EXIT_REFUTED
    return EXIT_OK


@app.command("check")
def check_cmd(
    claim: Annotated[str, typer.Argument(help="Claim id, e.g. R1 (case-insensitive).")],
    d: DOpt = None,
    n: NOpt = None,
    config: ConfigOpt = None,
    seed: SeedOpt = None,
    method: Annotated[
        str | None, typer.Option("--method", "-m", help="Run only this method (case-insensitive).")
    ] = None,
    quick: QuickOpt = False,
    strict: StrictOpt = False,
    symbolic_dims: SymbolicDimsOpt = None,
    max_memory: MaxMemoryOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run a claim's checks and print its statement, the verdict, the model and the evidence."""
    from .evidence import jsonable
    from .runner import (
        get_claim,  # the runner's view of the registry (tests swap it)
        run_claim,
    )

    try:
        budget = parse_size(max_memory)
        sym = parse_symbolic_dims(symbolic_dims)
        cfg, explicit = resolve_config(config, d, n, seed)
        c = get_claim(claim)
        meth = canonical_method(c.id, method)
        cex = getattr(cfg, "counterexample", None)  # a `glaverify search` file replays only its own claim
        if cex is not None and getattr(cex, "claim", None) and str(cex.claim).strip().upper() != c.id:
            raise InputError("counterexample.claim",
                             f"this file is a counterexample to {str(cex.claim).strip().upper()}, not {c.id}",
                             cex.claim)
        with progress_factory(not as_json) as prog:
            ctx = make_context(cfg, explicit, prog, quick=quick, symbolic_dims=sym,
                               max_memory_bytes=budget, source=model_source(config, d, n))
            res = run_claim(c.id, ctx, method=meth)
    except InputError as exc:
        fail(exc)
        return
    except KeyboardInterrupt:
        interrupted("nothing (the claim's checks were running)")
        return
    if as_json:
        data = jsonable(res.to_dict())
        data["model"] = {"description": ctx.describe_model(), "source": ctx.model_source,
                         "config": cfg.model.model_dump(mode="json")}
        data["statement"] = c.statement
        sys.stdout.write(json.dumps(data) + "\n")
    else:
        out_console.print(f"[bold]{c.id}[/] — {escape(c.title)}", highlight=False)
        _print_claim_result(res, ctx, c.statement)
    code = _exit_for([res], strict)
    if code:
        raise typer.Exit(code)


@app.command("verify")
def verify_cmd(
    config: ConfigOpt = None,
    out: OutDirOpt = None,
    seed: SeedOpt = None,
    strict: StrictOpt = False,
    quick: QuickOpt = False,
    symbolic_dims: SymbolicDimsOpt = None,
    max_memory: MaxMemoryOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run the default verification suite and write OUT/verification.json and OUT/verification.md."""
    from .evidence import jsonable
    from .runner import (  # the runner's view of the registry (tests swap it)
        all_claims,
        run_claim,
        write_report,
    )

    out_dir = out if out is not None else Path("reports")
    results: list = []
    try:
        check_out_dir(out_dir, "--out")
        budget = parse_size(max_memory)
        sym = parse_symbolic_dims(symbolic_dims)
        cfg, explicit = resolve_config(config, None, None, seed)
        with progress_factory(not as_json) as prog:
            ctx = make_context(cfg, explicit, prog, quick=quick, symbolic_dims=sym,
                               max_memory_bytes=budget, source=model_source(config, None, None))
            if not as_json:
                err_console.print(f"model: {ctx.describe_model()}", highlight=False, markup=False)
            ids = [c.id for c in all_claims()]
            advance = prog(f"verify: {len(ids)} claims", len(ids))
            for k, cid in enumerate(ids, 1):
                if hasattr(advance, "describe"):
                    advance.describe(f"verify: claim {k} of {len(ids)}: {cid}")
                elif not as_json:
                    err_console.print(f"… claim {k} of {len(ids)}: {cid}", highlight=False, markup=False)
                results.append(run_claim(cid, ctx, suite=True))
                advance(1)
        jpath, mpath = write_report(results, out_dir, ctx)
    except InputError as exc:
        fail(exc)
        return
    except KeyboardInterrupt:
        interrupted((", ".join(f"{r.claim} {r.verdict.value}" for r in results) or "no claim")
                    + " (no report written)")
        return
    if as_json:
        sys.stdout.write(json.dumps({
            "model": {"description": ctx.describe_model(), "source": ctx.model_source,
                      "config": cfg.model.model_dump(mode="json")},
            "claims": [jsonable(r.to_dict()) for r in results],
            "report": {"json": str(jpath), "markdown": str(mpath)},
        }) + "\n")
    else:
        table = Table(title=f"verification — {ctx.describe_model()}")
        for col in ("claim", "verdict", "records (method: verdict at dims)"):
            table.add_column(col)
        for res in results:
            table.add_row(
                res.claim,
                styled_status(res),
                "; ".join(
                    f"{r.method}: {r.verdict.value}{' (part)' if r.scope == 'partial' else ''}"
                    + (f" at {format_dims(r.dims)}" if format_dims(getattr(r, 'dims', None)) else "")
                    for r in res.records
                ),
            )
        out_console.print(table)
        out_console.print(f"wrote {jpath} and {mpath}", highlight=False)
        hint = fla_hint([r for res in results for r in res.records])
        if hint:
            err_console.print(f"hint: {hint}", highlight=False)
    code = _exit_for(results, strict)
    if code:
        raise typer.Exit(code)


def _register_feature_commands() -> None:
    from . import commands

    for mod in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{mod.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


_register_feature_commands()


def _click_exceptions():
    """The click exception classes typer raises (typer >= 0.25 vendors click as ``typer._click``)."""
    try:
        from typer._click import exceptions
    except ImportError:  # pragma: no cover - older typer on the real click
        from click import exceptions
    return exceptions


def _bad_parameter_line(exc) -> str:
    """``--d: must be a valid integer ...`` for a command-line value of the wrong type or a missing one."""
    param = exc.param
    name = (param.opts[0] if param is not None and param.opts else None) or exc.param_hint or "argument"
    if param is not None and getattr(param, "param_type_name", "") == "argument":
        name = (param.name or name).upper()
    if isinstance(exc, _click_exceptions().MissingParameter):
        return f"{name}: required (missing)"
    msg = exc.message or exc.format_message()
    if msg.startswith("Input should be "):
        msg = "must be " + msg[len("Input should be ") :]
    return f"{name}: {msg}"


def _exit(code: int) -> None:
    """Exit; after Ctrl-C without waiting for library teardown (torch, thread pools: seconds), once our
    own ``finally`` blocks (temporary files, pools) have run."""
    if code == EXIT_INTERRUPTED:
        if not _INTERRUPT_REPORTED["done"]:
            err_console.print("interrupted (Ctrl-C)", highlight=False)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)
    sys.exit(code)


def _reraise_swallowed_interrupts() -> None:
    """Ctrl-C must stop every command. A KeyboardInterrupt that lands inside a callback whose exceptions
    Python only reports ("Exception ignored in ...", e.g. hypothesis's gc callbacks during a search) would be
    lost; raise it again in the main thread instead of printing it."""
    import _thread
    import threading

    previous = sys.unraisablehook

    def hook(unraisable) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            # not from inside the hook (it would be swallowed again): a moment later, from another thread
            threading.Timer(0.05, _thread.interrupt_main).start()
            return
        previous(unraisable)

    sys.unraisablehook = hook


def main() -> None:
    _reraise_swallowed_interrupts()
    ce = _click_exceptions()
    command = next((a for a in sys.argv[1:] if not a.startswith("-")), "")
    if command in HYPOTHESIS_COMMANDS:
        use_user_cache_for_hypothesis()
    try:
        rv = app(standalone_mode=False)
    except InputError as exc:  # raised by a feature command outside its own handler
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(EXIT_INPUT)
    except ce.BadParameter as exc:  # an option value of the wrong type: one line as well
        err_console.print(
            f"[bold red]error:[/] {escape(_bad_parameter_line(exc))}", highlight=False, soft_wrap=True
        )
        sys.exit(EXIT_INPUT)
    except ce.ClickException as exc:  # usage errors: typer's own formatting
        from typer import rich_utils

        rich_utils.rich_format_error(exc)
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        _exit(EXIT_INTERRUPTED)
    _exit(rv if isinstance(rv, int) else 0)


if __name__ == "__main__":
    main()

