"""Write a sweep's tables, figures and provenance into an output directory."""

from __future__ import annotations

import importlib.metadata as md
import json
import subprocess
from pathlib import Path
from typing import Any

from glaverify.proofs_check.evidence import jsonable, package_versions
from glaverify.proofs_check.paths import atomic_write_text

from .cache import source_root
from .render import render_csv, render_latex, render_markdown
from .spec import FIGURE_FORMATS
from .sweep import SweepResult


def atomic_write(path: Path, text: str) -> None:
    """Atomic, with the permissions of a plain ``open(..., "w")`` (0644 under umask 022)."""
    atomic_write_text(path, text)


def git_commit(root: Path | None = None) -> str:
    root = root or source_root()
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if out.returncode != 0:
        return "unknown"
    return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def provenance(result: SweepResult, outputs: dict[str, Any], jobs: int, scheduler: str | None) -> dict:
    cfg = result.config
    try:
        version = md.version("glaverify")
    except md.PackageNotFoundError:  # pragma: no cover
        version = "unknown"
    return jsonable(
        {
            "config": cfg.model_dump(mode="json"),
            "config_hash": cfg.content_hash(),
            "seeds": {
                "run.seed": cfg.run.seed,
                "streams": "numpy SeedSequence([run.seed, crc32(stream)]) per producer stream",
            },
            "conventions": "E[beta beta^T] = I_d; risk = E(y - yhat)^2 (unnormalised)",
            "glaverify_version": version,
            "git_commit": git_commit(),
            "code_version": result.code_version,
            "package_versions": package_versions(),
            "executor": {"jobs": jobs, "scheduler": scheduler},
            "quick": result.quick,
            "wall_time_s": result.wall_time_s,
            "cells": [
                {
                    "index": c.index,
                    "labels": c.labels,
                    "model": c.model.model_dump(mode="json"),
                    "wall_time_s": t,
                    "computed": sorted(p for (i, p) in result.computed if i == c.index),
                    "cached": sorted(p for (i, p) in result.cached if i == c.index),
                }
                for c, t in zip(result.cells, result.cell_time_s, strict=False)
            ],
            "outputs": outputs,
        }
    )


def render_figure_task(result: SweepResult, spec: Any, out: Path,
                       formats: tuple[str, ...]) -> tuple[list[Path], list[str]]:
    """:func:`~.figures.render_figure`, importing matplotlib only where a figure is drawn (a pool worker),
    not in the parent, which only collects the paths."""
    from .figures import render_figure

    return render_figure(result, spec, out, formats)


def write_outputs(
    result: SweepResult, out: Path, jobs: int = 1, scheduler: str | None = None
) -> dict[str, Any]:
    """Tables (``.tex``, ``.md``, ``.csv``), figures (``.pdf``, ``.png``), ``provenance.json``,
    ``index.md``."""
    out.mkdir(parents=True, exist_ok=True)
    outputs: dict[str, Any] = {"tables": {}, "figures": {}}
    index = ["# glaverify tables", ""]
    for spec in result.config.table:
        paths = {}
        for ext, fn in (("tex", render_latex), ("md", render_markdown), ("csv", render_csv)):
            p = out / f"{spec.name}.{ext}"
            atomic_write(p, fn(result, spec))
            paths[ext] = p.name
        outputs["tables"][spec.name] = paths
        index += [(out / f"{spec.name}.md").read_text(), ""]
    specs = list(result.config.figure)
    if jobs > 1 and scheduler is None and result.computed:
        # the sweep's process pool left its fork server running: render the figures side by side there,
        # one task per figure and format (the slow figures' PDF and PNG are drawn side by side)
        from .executor import map_in_pool

        parts = map_in_pool(render_figure_task,
                            [(result, spec, out, (ext,)) for spec in specs for ext in FIGURE_FORMATS], jobs)
        k = len(FIGURE_FORMATS)
        rendered = [([p for paths, _ in parts[i * k:(i + 1) * k] for p in paths], parts[i * k][1])
                    for i in range(len(specs))]
    else:  # one process, a Dask cluster, or nothing computed (no fork server to reuse: not worth starting)
        rendered = [render_figure_task(result, spec, out, FIGURE_FORMATS) for spec in specs]
    for spec, (paths, notes) in zip(specs, rendered, strict=True):
        outputs["figures"][spec.name] = {"files": [p.name for p in paths], "not_available": notes}
        index += [f"![{spec.name}]({spec.name}.png)", ""] + [f"- {n}" for n in notes] + [""]
    atomic_write(out / "index.md", "\n".join(index) + "\n")
    prov = provenance(result, outputs, jobs, scheduler)
    atomic_write(out / "provenance.json", json.dumps(prov, indent=1))
    return prov
