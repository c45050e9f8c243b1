"""Matplotlib figures of a sweep (PDF and PNG). Uncertified points are drawn hollow and said so."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .quantities import OMEGA_DEFAULT, QUANTITIES  # noqa: E402
from .spec import FigureSpec  # noqa: E402
from .sweep import SweepResult  # noqa: E402

CERTIFIED = ("proved", "certified")


def _cells(result: SweepResult, spec: FigureSpec) -> list[int]:
    return [c.index for c in result.cells if c.matches(spec.where)]


def _na_text(result: SweepResult, cells: list[int], qs: list[str]) -> list[str]:
    notes = []
    for q in qs:
        vs = [result.values[i][q] for i in cells if q in result.values[i]]
        if vs and all(v["verdict"] == "n/a" for v in vs):
            notes.append(f"{QUANTITIES[q].label}: {vs[0]['note']}")
    return notes


def _save(fig, out: Path, name: str) -> list[Path]:
    paths = []
    for ext in ("pdf", "png"):
        p = out / f"{name}.{ext}"
        fig.savefig(
            p, dpi=130, bbox_inches="tight", metadata={"CreationDate": None} if ext == "pdf" else None
        )
        paths.append(p)
    plt.close(fig)
    return paths


def _footer(fig, notes: list[str]) -> None:
    text = (
        "Filled markers: proved/certified; hollow: sampled or not certified. E[ββᵀ] = I_d, risk unnormalised."
    )
    if notes:
        text += "\n" + "\n".join(notes)
    fig.text(0.01, -0.02, text, fontsize=7, va="top", ha="left", wrap=True)


def figure_omega(result: SweepResult, spec: FigureSpec, out: Path) -> tuple[list[Path], list[str]]:
    qs = spec.columns or OMEGA_DEFAULT
    cells = _cells(result, spec)[: spec.max_panels]
    ncols = min(3, max(len(cells), 1))
    nrows = max(1, -(-len(cells) // ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(4.2 * ncols, 3.2 * nrows), squeeze=False, layout="constrained"
    )
    for ax in axes.flat[len(cells) :]:
        ax.axis("off")
    for ax, i in zip(axes.flat, cells, strict=False):
        for q in qs:
            qv = result.values[i].get(q)
            if qv is None or qv["verdict"] == "n/a" or qv["value"] is None:
                continue
            w = np.asarray(qv["value"], dtype=float)
            scale = np.max(np.abs(w)) or 1.0
            filled = qv["verdict"] in CERTIFIED
            ax.plot(
                np.arange(1, len(w) + 1),
                w / scale,
                marker="o",
                ms=3.5,
                label=QUANTITIES[q].label,
                mfc=None if filled else "none",
            )
        ax.set_title(result.cells[i].label(), fontsize=8)
        ax.ticklabel_format(axis="y", useOffset=False)
        lo = min([0.0] + [float(np.min(line.get_ydata())) for line in ax.lines])
        ax.set_ylim(lo - 0.05, 1.05)
        ax.set_xlabel("position i")
        ax.set_ylabel("ω_i / max|ω|")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(spec.title or "optimal weights ω against position")
    _footer(fig, _na_text(result, cells, qs))
    return _save(fig, out, spec.name), _na_text(result, cells, qs)


def figure_line(result: SweepResult, spec: FigureSpec, out: Path) -> tuple[list[Path], list[str]]:
    cells = _cells(result, spec)
    fig, ax = plt.subplots(figsize=(6, 4))
    xlabels = list(dict.fromkeys(result.cells[i].labels[spec.x] for i in cells))  # type: ignore[index]
    numeric = all(spec.x in result.cells[i].coords for i in cells)
    series = (
        list(dict.fromkeys(result.cells[i].labels[spec.series] for i in cells)) if spec.series else [None]
    )
    for q in spec.columns:
        for s in series:
            pts = [
                (i, result.values[i][q])
                for i in cells
                if (s is None or result.cells[i].labels[spec.series] == s)
            ]  # type: ignore[index]
            pts = [(i, v) for i, v in pts if v["verdict"] != "n/a" and isinstance(v["value"], (int, float))]
            if not pts:
                continue
            if numeric:
                xs = np.array([result.cells[i].coords[spec.x] for i, _ in pts], dtype=float)  # type: ignore[index]
            else:
                xs = np.array([xlabels.index(result.cells[i].labels[spec.x]) for i, _ in pts], dtype=float)
            ys = np.array([v["value"] for _, v in pts], dtype=float)
            order = np.argsort(xs)
            label = QUANTITIES[q].label + (f" ({spec.series}={s})" if s is not None else "")
            (line,) = ax.plot(xs[order], ys[order], "-", label=label)
            for x, y, (_, v) in zip(xs[order], ys[order], [pts[k] for k in order], strict=False):
                filled = v["verdict"] in CERTIFIED
                ax.plot([x], [y], "o", color=line.get_color(), mfc=line.get_color() if filled else "none")
                if v.get("ci"):
                    ax.errorbar(
                        [x], [y], yerr=[[y - v["ci"][0]], [v["ci"][1] - y]], color=line.get_color(), capsize=2
                    )
    if not numeric:
        ax.set_xticks(range(len(xlabels)), xlabels, rotation=20, fontsize=7)
    ax.set_xlabel(spec.xlabel or spec.x or "")
    ax.set_ylabel("risk E(y − ŷ)²")
    ax.grid(alpha=0.3)
    if ax.lines:
        ax.legend(fontsize=7)
    ax.set_title(spec.title or f"risk against {spec.x}")
    notes = _na_text(result, cells, spec.columns)
    _footer(fig, notes)
    return _save(fig, out, spec.name), notes


def figure_scatter(result: SweepResult, spec: FigureSpec, out: Path) -> tuple[list[Path], list[str]]:
    cells = _cells(result, spec)
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    lo, hi = np.inf, -np.inf
    for q in spec.columns:
        pts = [(result.values[i][spec.x], result.values[i][q]) for i in cells]  # type: ignore[index]
        pts = [(a, b) for a, b in pts if a["verdict"] != "n/a" and b["verdict"] != "n/a"]
        if not pts:
            continue
        xs = np.array([a["value"] for a, _ in pts], dtype=float)
        ys = np.array([b["value"] for _, b in pts], dtype=float)
        (pts_line,) = ax.plot(xs, ys, "o", label=QUANTITIES[q].label, mfc="none")
        for (_, b), x, y in zip(pts, xs, ys, strict=True):
            if b.get("ci"):  # sampled values: their confidence interval
                ax.errorbar([x], [y], yerr=[[y - b["ci"][0]], [b["ci"][1] - y]], color=pts_line.get_color(),
                            capsize=2)
        lo, hi = min(lo, xs.min(), ys.min()), max(hi, xs.max(), ys.max())
    if np.isfinite(lo):
        ax.plot([lo, hi], [lo, hi], "k--", lw=0.8, label="y = x")
        ax.legend(fontsize=7)
    ax.set_xlabel(QUANTITIES[spec.x].label)  # type: ignore[index]
    ax.set_ylabel("risk")
    ax.grid(alpha=0.3)
    ax.set_title(spec.title or f"{' / '.join(QUANTITIES[q].label for q in spec.columns)} vs {spec.x}")
    notes = _na_text(result, cells, [spec.x, *spec.columns])  # type: ignore[list-item]
    _footer(fig, notes)
    return _save(fig, out, spec.name), notes


def figure_r6(result: SweepResult, spec: FigureSpec, out: Path) -> tuple[list[Path], list[str]]:
    """One panel per summary quantity (default: the R6 certificate and the R6 search), grouped bars of its
    numeric entries per cell, the cell's verdict under each group."""
    cells = _cells(result, spec)
    qs = spec.columns or ["r6.certificate", "r6.search"]
    fig, axes = plt.subplots(1, len(qs), figsize=(6.5 * len(qs), 4.0), squeeze=False)
    for ax, q in zip(axes[0], qs, strict=True):
        rows = [(result.cells[i].label(), result.values[i][q]) for i in cells if q in result.values[i]]
        avail = [(lab, v) for lab, v in rows if v["verdict"] != "n/a" and isinstance(v["value"], dict)]
        keys = sorted(
            {
                k
                for _, v in avail
                for k, x in v["value"].items()
                if isinstance(x, (int, float)) and not isinstance(x, bool)
            }
        )
        ax.set_title(QUANTITIES[q].label, fontsize=9)
        if not (avail and keys):
            ax.axis("off")
            continue
        width = 0.8 / len(keys)
        for j, k in enumerate(keys):
            ax.bar(
                np.arange(len(avail)) + j * width,
                [abs(float(v["value"].get(k, np.nan))) for _, v in avail],
                width,
                label=k,
            )
        ax.set_xticks(
            np.arange(len(avail)) + 0.4 - width / 2,
            [f"{lab}\n[{v['verdict']}]" for lab, v in avail],
            fontsize=6,
            rotation=20,
        )
        ax.set_yscale("symlog", linthresh=1e-2)
        ax.legend(fontsize=6)
    fig.suptitle(spec.title or "R6: uniqueness certificate and counterexample search per cell")
    notes = _na_text(result, cells, qs)
    _footer(fig, notes)
    return _save(fig, out, spec.name), notes


RENDERERS = {"omega": figure_omega, "line": figure_line, "scatter": figure_scatter, "r6": figure_r6}


def render_figure(result: SweepResult, spec: FigureSpec, out: Path) -> tuple[list[Path], list[str]]:
    return RENDERERS[spec.kind](result, spec, out)
