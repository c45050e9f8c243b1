"""The ``glaverify`` command line (typer + rich).

Core commands live here (``list``, ``check``, ``verify``). Feature commands (``landscape``, ``search``,
``train``, ``tables``, ``report``) live in modules of :mod:`glaverify.proofs_check.commands`, each with a
``register(app)`` function, and are attached at start-up.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import pkgutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import typer
from glaverify.numerics.config import GlaverifyConfig, RunConfig, default_model_config, load_config
from glaverify.numerics.errors import InputError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .context import CheckContext
from .evidence import Verdict, jsonable
from .registry import all_claims
from .runner import last_verdicts, run_claim, run_suite, write_report

app = typer.Typer(
    name="glaverify",
    help="Check the theory of 'Gating is Weighting' (GLA as weighted preconditioned GD) for concrete dims.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err_console = Console(stderr=True)
out_console = Console()

VERDICT_STYLE = {
    "proved": "bold green",
    "certified": "green",
    "supported": "cyan",
    "refuted": "bold red",
    "inconclusive": "yellow",
}

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="TOML config file.")]
DOpt = Annotated[int | None, typer.Option("--d", help="Feature dimension d (overrides the config).")]
NOpt = Annotated[int | None, typer.Option("--n", help="Number of examples n (overrides the config).")]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Seed (overrides [run].seed).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print exactly one JSON object on stdout.")]


def styled(verdict: str) -> str:
    return f"[{VERDICT_STYLE.get(verdict, '')}]{verdict}[/]"


def part(rec) -> str:
    """Marker for a record that establishes only part of its claim (it never sets the claim's verdict)."""
    return " (part of the claim)" if getattr(rec, "scope", "full") == "partial" else ""


def resolve_config(
    config: Path | None, d: int | None, n: int | None, seed: int | None
) -> tuple[GlaverifyConfig, bool]:
    """Config file (or the documented default model) with command-line overrides applied."""
    for name, v in (("--d", d), ("--n", n)):
        if v is not None and v < 1:
            raise InputError(name, "must be an integer >= 1", v)
    if seed is not None and seed < 0:
        raise InputError("--seed", "must be >= 0", seed)
    if config is not None:
        cfg = load_config(config)
        model = cfg.model.with_dims(d, n) if (d is not None or n is not None) else cfg.model
        explicit = True
    else:
        model = default_model_config(d if d is not None else 4, n if n is not None else 12)
        cfg = GlaverifyConfig(model=model)
        explicit = d is not None or n is not None
    run = cfg.run if seed is None else RunConfig(**{**cfg.run.model_dump(), "seed": seed})
    return GlaverifyConfig(
        **{**cfg.model_dump(), "model": model.model_dump(), "run": run.model_dump()}
    ), explicit


@contextlib.contextmanager
def progress_factory(enabled: bool = True) -> Iterator[Callable[[str, int], Callable[[int], None]]]:
    """A rich progress display on stderr; yields ``make(description, total) -> advance(k)``."""
    if not enabled or not err_console.is_terminal:
        yield lambda description, total: lambda k: None
        return
    prog = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )
    with prog:

        def make(description: str, total: int) -> Callable[[int], None]:
            task = prog.add_task(description, total=total)
            return lambda k: prog.advance(task, k)

        yield make


def make_context(
    cfg: GlaverifyConfig, explicit: bool, progress, quick: bool = False, **options
) -> CheckContext:
    return CheckContext(
        model_config=cfg.model,
        run=cfg.run,
        dims_explicit=explicit,
        quick=quick,
        progress=progress,
        options=options,
    )


def fail(exc: Exception, code: int = 2) -> None:
    err_console.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@app.command("list")
def list_claims(
    report: Annotated[Path, typer.Option(help="verification.json whose verdicts to show.")] = Path(
        "reports/verification.json"
    ),
) -> None:
    """Show the claims, what each uses, their check methods and their last verdicts."""
    last = last_verdicts(report)
    table = Table(title="glaverify claims")
    for col in ("id", "family", "title", "uses", "methods", "last verdict"):
        table.add_column(col)
    for c in all_claims():
        v = last.get(c.id, "-")
        table.add_row(
            c.id,
            c.family,
            c.title,
            ", ".join(c.uses) or "-",
            ", ".join(c.checks) or "(none)",
            styled(v) if v != "-" else v,
        )
    out_console.print(table)


@app.command("check")
def check_cmd(
    claim: Annotated[str, typer.Argument(help="Claim id, e.g. R1.")],
    d: DOpt = None,
    n: NOpt = None,
    config: ConfigOpt = None,
    seed: SeedOpt = None,
    method: Annotated[str | None, typer.Option("--method", "-m", help="Run only this method.")] = None,
    quick: Annotated[bool, typer.Option("--quick", help="Smaller sample sizes (CI-sized).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Run a claim's checks and print the verdict with its evidence."""
    try:
        cfg, explicit = resolve_config(config, d, n, seed)
        with progress_factory(True) as prog:
            res = run_claim(claim, make_context(cfg, explicit, prog, quick=quick), method=method)
    except InputError as exc:
        fail(exc)
    if as_json:
        sys.stdout.write(json.dumps(jsonable(res.to_dict())) + "\n")
        _exit_on_tool_error([res])  # i10: an internal inconsistency exits 3
        _exit_on_crash(res)  # i10fix (review 7): a crashed check is a fault of the tool, exit 3
        return
    out_console.print(f"[bold]{res.claim}[/]: {styled_status(res)}")  # i10: status text
    for r in res.records:
        out_console.print(
            f"  - {r.method}: {styled(r.verdict.value)}{part(r)} ({r.elapsed_s:.2f} s) {r.summary}",
            highlight=False,
        )
        if r.residuals:
            out_console.print(
                "      residuals: "
                + ", ".join(
                    f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in r.residuals.items()
                )
            )
        if r.tolerance is not None:
            out_console.print(f"      tolerance: {r.tolerance:.3g}; seed: {r.seed}")
        if r.ci:
            out_console.print(f"      CI: {r.ci}; sample size: {r.sample_size}")
        if r.error:
            out_console.print(f"      [red]error:[/] {r.error}")
    _exit_on_tool_error([res])  # i10
    _exit_on_crash(res)  # i10fix (review 7)


@app.command("verify")
def verify_cmd(
    config: ConfigOpt = None,
    out: Annotated[Path, typer.Option("--out", help="Directory for verification.json / .md.")] = Path(
        "reports"
    ),
    seed: SeedOpt = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Also exit non-zero if any claim is refuted.")
    ] = False,
    quick: Annotated[bool, typer.Option("--quick", help="Smaller sample sizes (CI-sized).")] = False,
) -> None:
    """Run the default verification suite and write DIR/verification.json and DIR/verification.md."""
    try:
        cfg, explicit = resolve_config(config, None, None, seed)
        with progress_factory(True) as prog:
            ctx = make_context(cfg, explicit, prog, quick=quick)
            results = run_suite(ctx)
        jpath, mpath = write_report(results, out, ctx)
    except InputError as exc:
        fail(exc)
    table = Table(title="verification")
    for col in ("claim", "verdict", "records"):
        table.add_column(col)
    for res in results:
        table.add_row(
            res.claim,
            styled_status(res),  # i10: "proved, with disagreeing evidence"
            ", ".join(
                f"{r.method}:{r.verdict.value}{' (part)' if r.scope == 'partial' else ''}"
                for r in res.records
            ),
        )
    out_console.print(table)
    out_console.print(f"wrote {jpath} and {mpath}")
    errors = [r for res in results for r in res.records if r.error]
    if errors:
        err_console.print(
            f"[red]{len(errors)} check(s) crashed:[/] " + ", ".join(f"{r.claim}/{r.method}" for r in errors)
        )
        raise typer.Exit(1)
    _exit_on_tool_error(results)  # i10
    if strict and any(res.verdict is Verdict.REFUTED for res in results):
        err_console.print("[red]--strict: at least one claim is refuted[/]")
        raise typer.Exit(3)
    # i10: disagreeing evidence is a finding; --strict fails on it (docs/evidence.md)
    split = [res for res in results if res.status.disagreement]
    if strict and split:
        err_console.print("[red]--strict: disagreeing evidence:[/] " + "; ".join(
            f"{res.claim} ({', '.join(res.status.disagreeing)})" for res in split), highlight=False)
        raise typer.Exit(3)


# ------------------------------------------------------------------ i10: claim status and tool errors
def styled_status(res) -> str:
    """The claim's status text (verdict plus "with disagreeing evidence" / "with a tool error")."""
    status = getattr(res, "status", None)
    if status is None:
        return styled(res.verdict.value)
    extra = status.text[len(res.verdict.value):]
    return styled(res.verdict.value) + (f"[yellow]{escape(extra)}[/]" if extra else "")


def _exit_on_tool_error(results) -> None:
    """Two routes of our own code disagreed in some record: show the disagreement, exit 3."""
    bad = [(res.claim, t) for res in results for t in getattr(res, "tool_errors", ())]
    if bad:
        for claim, t in bad:
            err_console.print(f"[bold red]tool error[/] {claim}: {escape(t)}", highlight=False,
                              soft_wrap=True)
        raise typer.Exit(3)


def _exit_on_crash(res) -> None:  # i10fix (review 7): a crashed record is a fault of the tool, exit 3
    for r in [r for r in res.records if r.error]:
        err_console.print(f"[bold red]check crashed[/] {res.claim}/{r.method}: {escape(r.error)}")
    if any(r.error for r in res.records):
        raise typer.Exit(3)


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


def main() -> None:
    ce = _click_exceptions()
    try:
        rv = app(standalone_mode=False)
    except InputError as exc:  # raised by a feature command outside its own handler
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except ce.BadParameter as exc:  # an option value of the wrong type: one line as well
        err_console.print(
            f"[bold red]error:[/] {escape(_bad_parameter_line(exc))}", highlight=False, soft_wrap=True
        )
        sys.exit(2)
    except ce.ClickException as exc:  # usage errors: typer's own formatting
        from typer import rich_utils

        rich_utils.rich_format_error(exc)
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("Aborted!")
        sys.exit(1)
    sys.exit(rv if isinstance(rv, int) else 0)


if __name__ == "__main__":
    main()
