"""``glaverify tables`` (appendix tables and figures from a sweep config) and ``glaverify report``
(a self-contained HTML verification report)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from glaverify.numerics.errors import InputError


def register(app: typer.Typer) -> None:
    @app.command("tables")
    def tables_cmd(
        config: Annotated[Path, typer.Option("--config", "-c", help="Sweep config (TOML).")],
        out: Annotated[Path, typer.Option("--out", help="Output directory.")] = Path("appendix"),
        jobs: Annotated[int, typer.Option("--jobs", "-j", help="Local worker processes.")] = 1,
        scheduler: Annotated[
            str | None,
            typer.Option("--scheduler", help="Dask scheduler address (tcp://host:8786); overrides --jobs."),
        ] = None,
        no_cache: Annotated[bool, typer.Option("--no-cache", help="Recompute every cell.")] = False,
        cache_dir: Annotated[
            Path | None,
            typer.Option(
                "--cache-dir", help="Cache directory (default: [sweep].cache_dir, .glaverify-cache/)."
            ),
        ] = None,
        quick: Annotated[bool, typer.Option("--quick", help="CI-sized Monte Carlo and checks.")] = False,
    ) -> None:
        """Compute a sweep and write LaTeX/Markdown/CSV tables, figures and provenance.json into --out."""
        from glaverify.proofs_check.cli import err_console, fail, out_console, progress_factory
        from glaverify.proofs_check.tables.output import write_outputs
        from glaverify.proofs_check.tables.spec import load_sweep_config
        from glaverify.proofs_check.tables.sweep import run_sweep

        try:
            if jobs < 1:
                raise InputError("--jobs", "must be >= 1", jobs)
            cfg = load_sweep_config(config)
            with progress_factory(True) as prog:
                result = run_sweep(
                    cfg,
                    jobs=jobs,
                    scheduler=scheduler,
                    cache_dir=cache_dir,
                    use_cache=not no_cache,
                    quick=quick,
                    progress=prog,
                )
            prov = write_outputs(result, out, jobs=jobs, scheduler=scheduler)
        except InputError as exc:
            fail(exc)
            return
        out_console.print(
            f"{len(result.cells)} cell(s): {len(result.computed)} task(s) computed, "
            f"{len(result.cached)} cached, "
            f"{result.wall_time_s:.1f} s",
            highlight=False,
        )
        for name, paths in prov["outputs"]["tables"].items():
            out_console.print(
                f"table {name}: " + ", ".join(str(out / p) for p in paths.values()), highlight=False
            )
        for name, fig in prov["outputs"]["figures"].items():
            out_console.print(
                f"figure {name}: " + ", ".join(str(out / p) for p in fig["files"]), highlight=False
            )
            for note in fig["not_available"]:
                err_console.print(f"  [yellow]{note}[/]", highlight=False)
        out_console.print(f"provenance: {out / 'provenance.json'}", highlight=False)

    @app.command("report")
    def report_cmd(
        input: Annotated[
            Path, typer.Option("--input", help="verification.json from `glaverify verify`.")
        ] = Path("reports/verification.json"),
        out: Annotated[Path, typer.Option("--out", help="HTML file to write.")] = Path("reports/report.html"),
    ) -> None:
        """Write a self-contained HTML verification report with the claim dependency graph."""
        from glaverify.proofs_check.cli import fail, out_console
        from glaverify.proofs_check.report import write_html_report

        try:
            path = write_html_report(input, out)
        except InputError as exc:
            fail(exc)
            return
        out_console.print(f"wrote {path}", highlight=False)
