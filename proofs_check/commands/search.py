"""``glaverify search CLAIM|--all``: randomized counterexample search for every claim (docs/testing.md).

Exit status: 0 no counterexample, 1 a confirmed counterexample (written to ``--out``), 2 bad input,
3 a failure of the fast property that the independent method did not confirm (an error of the tool),
130 interrupted (Ctrl-C: what was covered is printed; no partial file is left).
"""

import json
import shlex
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from glaverify.numerics.errors import InputError

#: the largest --budget accepted at once (a larger search takes hours; docs/cli.md)
MAX_SEARCH_BUDGET = 100_000

EXIT_NONE, EXIT_FOUND, EXIT_BAD_INPUT, EXIT_TOOL_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def _fmt_range(lo: float, hi: float) -> str:
    def f(x: float) -> str:
        return f"{int(x)}" if float(x).is_integer() and abs(x) < 1e6 else f"{x:.3g}"

    return f(lo) if lo == hi else f"{f(lo)}–{f(hi)}"


def summary_lines(rep: Any) -> list[str]:
    """The human summary of one claim's search."""
    cov = ", ".join(f"{k} {_fmt_range(*v)}" for k, v in rep.coverage.items())
    phases = ", ".join(f"{k} {v}" for k, v in rep.by_phase.items())
    lines = [
        f"{rep.claim}: {rep.verdict} — {rep.checked} instances checked ({phases}) in {rep.seconds:.1f} s "
        f"({rep.rate_per_minute:.0f}/min, {rep.where}); seed {rep.seed}, budget {rep.budget}",
        f"    quantifies over: {', '.join(rep.quantifies)}; drawn: {rep.ranges}",
    ]
    if cov:
        lines.append(f"    ranges covered: {cov}")
    if rep.invalid:
        lines.append(f"    invalid draws (rejected by validation): {rep.invalid}")
    if rep.interrupted:
        lines.append(
            "    interrupted (Ctrl-C): the numbers above are what was covered before the interruption"
        )
    if rep.timed_out:
        lines.append("    stopped by --time: the budget was not exhausted")
    for e in rep.errors[:3]:
        lines.append(f"    error of the tool in chunk {e}")
    if rep.counterexample is not None:
        conf = rep.confirmation
        lines.append(
            f"    failure (shrunk in {rep.shrink_steps} steps): residual {rep.residual:.3g} > tolerance "
            f"{rep.tolerance:.3g} ({rep.fast_method})"
        )
        if conf is None:
            lines.append("    not confirmed (interrupted before the confirmation)")
        elif conf.confirmed:
            lines.append(f"    confirmed by {conf.method}: {conf.summary}")
        else:
            state = "says the claim holds here" if conf.confirmed is False else "could not decide"
            lines.append(
                f"    NOT a counterexample: {conf.method} {state} ({conf.summary}); an error of the tool"
            )
    return lines


def register(app: typer.Typer) -> None:
    from glaverify.proofs_check.cli import JsonOpt

    @app.command("search")
    def search_cmd(
        claim: Annotated[str | None, typer.Argument(help="Claim id (e.g. A5); omit with --all.")] = None,
        all_claims: Annotated[
            bool, typer.Option("--all", help="Search every claim that has a search.")
        ] = False,
        budget: Annotated[
            int, typer.Option("--budget", help="Instances per claim (split over 3 phases).")
        ] = 1000,
        seed: Annotated[int, typer.Option("--seed", help="Seed (the result depends only on it).")] = 0,
        time_limit: Annotated[
            float | None, typer.Option("--time", help="Stop drawing after T seconds per claim.")
        ] = None,
        jobs: Annotated[int, typer.Option("--jobs", help="Local worker processes.")] = 1,
        scheduler: Annotated[
            str | None, typer.Option("--scheduler", help="Dask scheduler address (tcp://host:port).")
        ] = None,
        out: Annotated[
            Path,
            typer.Option(
                "--out",
                help="Output DIRECTORY for counterexample TOML files (and search.json with --json); "
                "checked before any work.",
            ),
        ] = Path("counterexamples"),
        max_d: Annotated[int | None, typer.Option("--max-d", help="Largest d drawn (claim default).")] = None,
        max_n: Annotated[int | None, typer.Option("--max-n", help="Largest n drawn (claim default).")] = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Search random, near-degenerate and targeted instances for a counterexample; shrink and confirm it,
        and write it as a config that `glaverify check CLAIM --config FILE` replays."""
        from glaverify.proofs_check.cli import err_console, fail, out_console, progress_factory, styled
        from glaverify.proofs_check.search import search
        from glaverify.proofs_check.search.replay import atomic_write, counterexample_toml
        from glaverify.proofs_check.search.spec import get_spec, searchable

        reports = []
        written: list[tuple[str, Path, bool]] = []
        interrupted = False
        try:
            if all_claims and claim is not None:
                raise InputError("CLAIM", "give a claim id or --all, not both", claim)
            if not all_claims and claim is None:
                raise InputError("CLAIM", "required (a claim id, or --all)")
            ids = searchable() if all_claims else [get_spec(claim).claim]
            if not 1 <= budget <= MAX_SEARCH_BUDGET:
                raise InputError(
                    "--budget",
                    f"must lie in [1, {MAX_SEARCH_BUDGET}] (larger searches take hours: split them into runs "
                    "with different --seed)",
                    budget,
                )
            if jobs < 1:
                raise InputError("--jobs", "must be an integer >= 1", jobs)
            from glaverify.proofs_check.paths import check_out_dir

            check_out_dir(out, "--out")  # --out is a directory on every command (docs/cli.md), checked first
            if time_limit is not None and not time_limit > 0:
                raise InputError("--time", "must be > 0 seconds", time_limit)
            if scheduler is not None:
                from glaverify.proofs_check.search.engine import check_scheduler

                check_scheduler(scheduler)
            out_dir = out
            summary_file = out_dir / "search.json" if json_out else None
            for cid in ids:
                with progress_factory(not json_out) as prog:
                    rep = search(
                        cid,
                        budget=budget,
                        seed=seed,
                        jobs=jobs,
                        scheduler=scheduler,
                        time_limit=time_limit,
                        max_d=max_d,
                        max_n=max_n,
                        progress=prog(f"{cid} search ({budget})", budget),
                    )
                reports.append(rep)
                if rep.counterexample is not None and rep.confirmation is not None and not rep.interrupted:
                    cmd = f"glaverify search {cid} --seed {seed} --budget {budget}"
                    cmd += "".join(f" --{k} {v}" for k, v in (("max-d", max_d), ("max-n", max_n)) if v)
                    ok = bool(rep.confirmation.confirmed)
                    name = f"{cid}-seed{seed}.toml" if ok else f"{cid}-seed{seed}-unconfirmed.toml"
                    written.append((cid, atomic_write(out_dir / name, counterexample_toml(rep, cmd)), ok))
                if not json_out:
                    for line in summary_lines(rep):
                        out_console.print(
                            line.replace(rep.verdict, styled(rep.verdict), 1)
                            if line.startswith(cid)
                            else line,
                            highlight=False,
                        )
                    for c, path, _ok in written:
                        if c == cid:
                            out_console.print(
                                f"    wrote {path}; replay: glaverify check {cid} --config "
                                f"{shlex.quote(str(path))}",
                                highlight=False,
                            )
                if rep.interrupted:
                    interrupted = True
                    break
        except InputError as exc:
            fail(exc)
            return
        except KeyboardInterrupt:
            interrupted = True
        if len(reports) > 1 and not json_out:
            from rich.table import Table

            table = Table(title=f"glaverify search (budget {budget}, seed {seed})")
            for col in ("claim", "verdict", "checked", "per min", "seconds", "counterexample"):
                table.add_column(col)
            files = {c: str(p) for c, p, _ok in written}
            for r in reports:
                table.add_row(
                    r.claim,
                    styled(r.verdict),
                    str(r.checked),
                    f"{r.rate_per_minute:.0f}",
                    f"{r.seconds:.1f}",
                    files.get(r.claim, "-"),
                )
            out_console.print(table)
        data = [r.to_dict() for r in reports]
        for d, (_c, path, _ok) in zip(
            [d for d in data if d["counterexample"] is not None], written, strict=False
        ):
            d["file"] = str(path)
        payload = data[0] if len(data) == 1 and not all_claims else {"claims": data}
        if summary_file is not None and reports and not interrupted:  # no partial file after Ctrl-C
            out_dir.mkdir(parents=True, exist_ok=True)
            atomic_write(summary_file, json.dumps(payload, indent=1))
        if json_out:
            sys.stdout.write(json.dumps(payload) + "\n")
        if interrupted:
            err_console.print(
                "interrupted: the summary above is what was covered; no partial file was written"
            )
            raise typer.Exit(EXIT_INTERRUPTED)
        if any(ok for _c, _p, ok in written):
            raise typer.Exit(EXIT_FOUND)
        if any(r.counterexample is not None or r.errors for r in reports):
            raise typer.Exit(EXIT_TOOL_ERROR)
        raise typer.Exit(EXIT_NONE)
