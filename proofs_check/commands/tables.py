"""``glaverify tables`` (appendix tables and figures from a sweep config) and ``glaverify report``
(a self-contained HTML verification report).

Both check their paths before any work (docs/cli.md, "Validate before work"): ``--out`` is a directory
(created if missing), ``--cache-dir`` a directory, ``--config``/``--input`` readable files.
"""


import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from glaverify.numerics.errors import InputError

#: name of the HTML file ``glaverify report`` writes into ``--out``
REPORT_FILE = "report.html"


def register(app: typer.Typer) -> None:
    from glaverify.proofs_check.cli import JsonOpt, OutDirOpt, QuickOpt, SeedOpt

    @app.command("tables")
    def tables_cmd(
        config: Annotated[Path, typer.Option("--config", "-c", help="Sweep config (TOML).")],
        out: OutDirOpt = None,
        jobs: Annotated[int, typer.Option("--jobs", "-j", help="Local worker processes.")] = 1,
        scheduler: Annotated[
            str | None,
            typer.Option("--scheduler", help="Dask scheduler address (tcp://host:8786); overrides --jobs."),
        ] = None,
        no_cache: Annotated[bool, typer.Option("--no-cache", help="Recompute every cell.")] = False,
        cache_dir: Annotated[
            Path | None,
            typer.Option(
                "--cache-dir",
                help="Cache directory (default: [sweep].cache_dir, else the user cache directory).",
            ),
        ] = None,
        seed: SeedOpt = None,
        quick: QuickOpt = False,
        as_json: JsonOpt = False,
    ) -> None:
        """Compute a sweep and write LaTeX/Markdown/CSV tables, figures and provenance.json into --out."""
        from glaverify.proofs_check.cli import (
            err_console,
            fail,
            interrupted,
            out_console,
            progress_factory,
        )
        from glaverify.proofs_check.paths import check_out_dir
        from glaverify.proofs_check.tables.spec import load_sweep_config
        from glaverify.proofs_check.tables.sweep import resolve_cache_dir

        out_dir = out if out is not None else Path("appendix")
        done = {"n": 0, "total": 0}
        try:
            if jobs < 1:
                raise InputError("--jobs", "must be >= 1", jobs)
            if seed is not None and seed < 0:
                raise InputError("--seed", "must be >= 0", seed)
            if jobs > 1 and scheduler is None:  # its imports overlap the rest of the start-up
                from glaverify.proofs_check.tables.executor import start_fork_server

                start_fork_server()
            check_out_dir(out_dir, "--out")
            cfg = load_sweep_config(config)
            if seed is not None:
                cfg = cfg.model_copy(update={"run": cfg.run.model_copy(update={"seed": seed})})
            cache_path = resolve_cache_dir(cfg, cache_dir)
            check_out_dir(cache_path, "--cache-dir" if cache_dir is not None else "[sweep].cache_dir")
            from glaverify.proofs_check.tables.output import write_outputs
            from glaverify.proofs_check.tables.sweep import run_sweep

            with progress_factory(not as_json) as prog:

                def counting(description: str, total: int):
                    done["total"] = total
                    advance = prog(description, total)

                    def step(k: int) -> None:
                        done["n"] += k
                        advance(k)

                    return step

                result = run_sweep(
                    cfg,
                    jobs=jobs,
                    scheduler=scheduler,
                    cache_dir=cache_path,
                    use_cache=not no_cache,
                    quick=quick,
                    progress=counting,
                )
            if not as_json:
                n_out = len(cfg.table) + len(cfg.figure)
                err_console.print(f"… writing {n_out} table(s) and figure(s) into {out_dir}", highlight=False,
                                  markup=False)
            prov = write_outputs(result, out_dir, jobs=jobs, scheduler=scheduler)
        except InputError as exc:
            fail(exc)
            return
        except KeyboardInterrupt:
            interrupted(
                f"{done['n']} of {done['total']} task(s), each kept in the cache "
                f"({resolve_cache_dir(cfg, cache_dir)}); rerun the same command to resume"
                if "cfg" in locals() else "nothing"
            )
            return
        if as_json:
            sys.stdout.write(json.dumps({"out": str(out_dir), "provenance": prov}) + "\n")
            return
        out_console.print(
            f"{len(result.cells)} cell(s): {len(result.computed)} task(s) computed, "
            f"{len(result.cached)} cached, "
            f"{result.wall_time_s:.1f} s",
            highlight=False,
        )
        for name, paths in prov["outputs"]["tables"].items():
            out_console.print(
                f"table {name}: " + ", ".join(str(out_dir / p) for p in paths.values()), highlight=False
            )
        for name, fig in prov["outputs"]["figures"].items():
            out_console.print(
                f"figure {name}: " + ", ".join(str(out_dir / p) for p in fig["files"]), highlight=False
            )
            for note in fig["not_available"]:
                err_console.print(f"  [yellow]{note}[/]", highlight=False)
        out_console.print(f"provenance: {out_dir / 'provenance.json'}", highlight=False)

    @app.command("report")
    def report_cmd(
        input: Annotated[
            Path, typer.Option("--input", help="verification.json from `glaverify verify`.")
        ] = Path("reports/verification.json"),
        out: OutDirOpt = None,
    ) -> None:
        """Write OUT/report.html: a self-contained HTML verification report with the claim graph."""
        from glaverify.proofs_check.cli import fail, out_console
        from glaverify.proofs_check.paths import check_in_file, check_out_dir
        from glaverify.proofs_check.report import write_html_report

        out_dir = out if out is not None else Path("reports")
        try:
            if out_dir.suffix.lower() in (".html", ".htm") and not out_dir.is_dir():
                raise InputError(
                    "--out", f"must be a directory (the report is written to OUT/{REPORT_FILE})", str(out_dir)
                )
            check_in_file(input, "--input")
            check_out_dir(out_dir, "--out")
            path = write_html_report(input, out_dir / REPORT_FILE)
        except InputError as exc:
            fail(exc)
            return
        out_console.print(f"wrote {path}", highlight=False)
