"""Matplotlib figures of a sweep (PDF and PNG). Uncertified points are drawn hollow and said so."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .quantities import OMEGA_DEFAULT, QUANTITIES  # noqa: E402
from .spec import FIGURE_FORMATS, FigureSpec  # noqa: E402
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


#: the formats every figure is written in
FORMATS = FIGURE_FORMATS
#: the formats the current :func:`render_figure` call writes (a pool renders a figure's formats side by side)
_formats: tuple[str, ...] = FORMATS


def _save(fig, out: Path, name: str) -> list[Path]:
    paths = []
    for ext in _formats:
        p = out / f"{name}.{ext}"
        fig.savefig(
            p, dpi=130, bbox_inches="tight", metadata={"CreationDate": None} if ext == "pdf" else None
        )
        paths.append(p)
    plt.close(fig)
    return paths


def _footer(fig, notes: list[str], text: str | None = None) -> None:
    text = text or (
        "Filled markers: proved/certified; hollow: sampled or not certified. E[ββᵀ] = I_d, risk unnormalised."
    )
    if notes:
        text += "\n" + "\n".join(notes)
    fig.text(0.01, -0.02, text, fontsize=7, va="top", ha="left", wrap=True)


#: marker and line style per drawn series, so series that coincide stay visible (hollow markers of
#: different shapes and sizes on top of each other)
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LINESTYLES = ("-", "--", "-.", ":")
#: two series whose values agree to this relative distance are drawn as coinciding (and said so)
COINCIDE_RTOL = 1e-9


def value_label(qs: list[str]) -> str:
    """The value-axis label of the quantities plotted: their common subject, never a fixed 'risk'."""
    if not qs:
        return "value"
    if all(q.startswith("risk.") or q.startswith("mc.") for q in qs):
        return "risk E(y − ŷ)²"
    if all(q.startswith("omega.") for q in qs):
        return "ω_i / max|ω|"
    labels = list(dict.fromkeys(QUANTITIES[q].label for q in qs))
    return labels[0] if len(labels) == 1 else ", ".join(labels)


def _coincides(xs: np.ndarray, ys: np.ndarray, drawn: list[tuple[str, np.ndarray, np.ndarray]]) -> str | None:
    for label, xo, yo in drawn:
        if xo.shape == xs.shape and np.allclose(xo, xs) and np.allclose(yo, ys, rtol=COINCIDE_RTOL, atol=0):
            return label
    return None


def _apply_log(ax, spec: FigureSpec, values: list[float]) -> list[str]:
    """Log value axis when asked; symlog (and a note) if some value is <= 0."""
    if not spec.log:
        return []
    vals = np.asarray([v for v in values if np.isfinite(v)], dtype=float)
    if vals.size and np.all(vals > 0):
        ax.set_yscale("log")
        return []
    pos = np.abs(vals[vals != 0]) if vals.size else np.array([])
    ax.set_yscale("symlog", linthresh=float(pos.min()) if pos.size else 1.0)
    return [f"{spec.name}: symmetric log scale (some values are <= 0)"]


def figure_omega(result: SweepResult, spec: FigureSpec, out: Path) -> tuple[list[Path], list[str]]:
    qs = spec.columns or OMEGA_DEFAULT
    all_cells = _cells(result, spec)
    cells = all_cells[: spec.max_panels] if spec.max_panels else all_cells
    extra = []
    if len(cells) < len(all_cells):
        extra.append(
            f"{spec.name}: {len(all_cells)} cells, drawing the first {len(cells)} (max_panels = "
            f"{spec.max_panels}); raise max_panels or narrow 'where' to see the others"
        )
    ncols = min(3, max(len(cells), 1))
    nrows = max(1, -(-len(cells) // ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(4.2 * ncols, 3.2 * nrows), squeeze=False, layout="constrained"
    )
    for ax in axes.flat[len(cells) :]:
        ax.axis("off")
    values: list[float] = []
    for ax, i in zip(axes.flat, cells, strict=False):
        drawn: list[tuple[str, np.ndarray, np.ndarray]] = []
        for j, q in enumerate(qs):
            qv = result.values[i].get(q)
            if qv is None or qv["verdict"] == "n/a" or qv["value"] is None:
                continue
            w = np.asarray(qv["value"], dtype=float)
            scale = np.max(np.abs(w)) or 1.0
            xs, ys = np.arange(1, len(w) + 1, dtype=float), w / scale
            filled = qv["verdict"] in CERTIFIED
            label = QUANTITIES[q].label
            same = _coincides(xs, ys, drawn)
            if same:
                label += f" (= {same})"
            ax.plot(xs, ys, marker=MARKERS[j % len(MARKERS)], ms=3.5 + 2.0 * j,
                    ls=LINESTYLES[j % len(LINESTYLES)], label=label,
                    mfc="none" if (same or not filled) else None, alpha=0.9)
            drawn.append((QUANTITIES[q].label, xs, ys))
            values += list(ys)
        ax.set_title(result.cells[i].label(), fontsize=8)
        ax.ticklabel_format(axis="y", useOffset=False)
        if not spec.log:
            lo = min([0.0] + [float(np.min(line.get_ydata())) for line in ax.lines])
            ax.set_ylim(lo - 0.05, 1.05)
        ax.set_xlabel(spec.xlabel or "position i")
        ax.set_ylabel(spec.ylabel or value_label(qs))
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend(fontsize=7)
    notes = _na_text(result, cells, qs) + extra
    log_notes = [_apply_log(ax, spec, values) for ax in axes.flat[: len(cells)]]
    notes += log_notes[0] if log_notes else []
    fig.suptitle(spec.title or "optimal weights ω against position i")
    _footer(fig, notes)
    return _save(fig, out, spec.name), notes


def figure_line(result: SweepResult, spec: FigureSpec, out: Path) -> tuple[list[Path], list[str]]:
    cells = _cells(result, spec)
    fig, ax = plt.subplots(figsize=(6, 4))
    xlabels = list(dict.fromkeys(result.cells[i].labels[spec.x] for i in cells))  # type: ignore[index]
    numeric = all(spec.x in result.cells[i].coords for i in cells)
    series = (
        list(dict.fromkeys(result.cells[i].labels[spec.series] for i in cells)) if spec.series else [None]
    )
    drawn: list[tuple[str, np.ndarray, np.ndarray]] = []
    values: list[float] = []
    k = 0
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
            same = _coincides(xs[order], ys[order], drawn)
            shown = label + (f" (= {same})" if same else "")
            marker, ms = MARKERS[k % len(MARKERS)], 4.0 + 2.0 * (k % 4)
            (line,) = ax.plot(xs[order], ys[order], LINESTYLES[k % len(LINESTYLES)], label=shown)
            for x, y, (_, v) in zip(xs[order], ys[order], [pts[m] for m in order], strict=False):
                filled = v["verdict"] in CERTIFIED and not same
                ax.plot([x], [y], marker, ms=ms, color=line.get_color(),
                        mfc=line.get_color() if filled else "none")
                if v.get("ci"):
                    ax.errorbar(
                        [x], [y], yerr=[[y - v["ci"][0]], [v["ci"][1] - y]], color=line.get_color(), capsize=2
                    )
            drawn.append((label, xs[order], ys[order]))
            values += list(ys)
            k += 1
    if not numeric:
        ax.set_xticks(range(len(xlabels)), xlabels, rotation=20, fontsize=7)
    xlabel = spec.xlabel or spec.x or ""
    ylabel = spec.ylabel or value_label(spec.columns)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if ax.lines:
        ax.legend(fontsize=7)
    ax.set_title(spec.title or f"{ylabel} against {xlabel}")
    notes = _na_text(result, cells, spec.columns) + _apply_log(ax, spec, values)
    _footer(fig, notes)
    return _save(fig, out, spec.name), notes


def figure_scatter(result: SweepResult, spec: FigureSpec, out: Path) -> tuple[list[Path], list[str]]:
    cells = _cells(result, spec)
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    lo, hi = np.inf, -np.inf
    values: list[float] = []
    for j, q in enumerate(spec.columns):
        pts = [(result.values[i][spec.x], result.values[i][q]) for i in cells]  # type: ignore[index]
        pts = [(a, b) for a, b in pts if a["verdict"] != "n/a" and b["verdict"] != "n/a"]
        if not pts:
            continue
        xs = np.array([a["value"] for a, _ in pts], dtype=float)
        ys = np.array([b["value"] for _, b in pts], dtype=float)
        (pts_line,) = ax.plot(xs, ys, MARKERS[j % len(MARKERS)], ms=5 + 2 * j, label=QUANTITIES[q].label,
                              mfc="none")
        for (_, b), x, y in zip(pts, xs, ys, strict=True):
            if b.get("ci"):  # sampled values: their confidence interval
                ax.errorbar([x], [y], yerr=[[y - b["ci"][0]], [b["ci"][1] - y]], color=pts_line.get_color(),
                            capsize=2)
        lo, hi = min(lo, xs.min(), ys.min()), max(hi, xs.max(), ys.max())
        values += list(xs) + list(ys)
    if np.isfinite(lo):
        ax.plot([lo, hi], [lo, hi], "k--", lw=0.8, label="y = x")
        ax.legend(fontsize=7)
    xlabel = spec.xlabel or QUANTITIES[spec.x].label  # type: ignore[index]
    ylabel = spec.ylabel or value_label(spec.columns)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.set_title(spec.title or f"{' / '.join(QUANTITIES[q].label for q in spec.columns)} against {xlabel}")
    notes = _na_text(result, cells, [spec.x, *spec.columns]) + _apply_log(ax, spec, values)  # type: ignore[list-item]
    if spec.log:
        ax.set_xscale(ax.get_yscale())
    _footer(fig, notes)
    return _save(fig, out, spec.name), notes


#: readable names (and units) of the numbers in the R6 summaries; unknown keys are shown with '_' -> ' '
R6_KEY_LABELS = {
    "checked": "instances checked (count)",
    "suspects": "suspect instances (count)",
    "counterexamples": "counterexamples (count)",
    "seconds": "search time (s)",
    "gradient_norm": "gradient norm at ω*",
    "hessian.restricted_min_relative": "restricted Hessian: smallest eigenvalue (relative)",
    "multistart.risk_spread": "multistart risk spread (relative)",
}


def r6_key_label(key: str) -> str:
    if key in R6_KEY_LABELS:
        return R6_KEY_LABELS[key]
    if key.startswith("distinct_minima."):
        return "distinct minima: " + key.split(".", 1)[1].replace("_", " ")
    return key.replace("_", " ").replace(".", ": ")


def _bar_text(v: float) -> str:
    if not np.isfinite(v):
        return "n/a"
    return "0" if v == 0 else (f"{v:.0f}" if float(v).is_integer() and abs(v) < 1e6 else f"{v:.2g}")


def figure_r6(result: SweepResult, spec: FigureSpec, out: Path) -> tuple[list[Path], list[str]]:
    """Small multiples: one panel per number the R6 summaries report (each panel one unit: a count, a
    time, a norm), one bar per cell, the cell's verdict under its bar."""
    cells = _cells(result, spec)
    qs = spec.columns or ["r6.certificate", "r6.search"]
    panels: list[tuple[str, str, list[tuple[str, float, str]]]] = []  # (quantity, key, [(cell, value, v)])
    for q in qs:
        rows = [(result.cells[i].label(), result.values[i][q]) for i in cells if q in result.values[i]]
        avail = [(lab, v) for lab, v in rows if v["verdict"] != "n/a" and isinstance(v["value"], dict)]
        keys = list(dict.fromkeys(
            k for _, v in avail for k, x in v["value"].items()
            if isinstance(x, (int, float)) and not isinstance(x, bool)
        ))
        for key in keys:
            bars = [(lab, float(v["value"].get(key, np.nan)), v["verdict"]) for lab, v in avail]
            panels.append((q, key, bars))
    notes = _na_text(result, cells, qs)
    if not panels:
        fig, ax = plt.subplots(figsize=(5, 2))
        ax.axis("off")
        ax.text(0.5, 0.5, "no R6 numbers available on these cells", ha="center", va="center")
        notes.append(f"{spec.name}: no R6 summary numbers on any cell")
        _footer(fig, notes)
        return _save(fig, out, spec.name), notes
    ncols = min(3, len(panels))
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.0 * ncols, 3.0 * nrows), squeeze=False,
                             layout="constrained")
    for ax in axes.flat[len(panels):]:
        ax.axis("off")
    for ax, (q, key, bars) in zip(axes.flat, panels, strict=False):
        xs = np.arange(len(bars))
        vals = np.array([b[1] for b in bars], dtype=float)
        drawn = ax.bar(xs, vals, color=["C0" if b[2] in CERTIFIED else "C1" for b in bars])
        ax.bar_label(drawn, labels=[_bar_text(v) for v in vals], fontsize=6, padding=1)
        if key in ("checked", "suspects", "counterexamples") or key.endswith("count"):
            from matplotlib.ticker import MaxNLocator

            ax.yaxis.set_major_locator(MaxNLocator(integer=True))

        ax.set_title(f"{QUANTITIES[q].label}: {r6_key_label(key)}", fontsize=8)
        ax.set_xticks(xs, [f"{b[0]}\n{b[2]}" for b in bars], fontsize=6, rotation=30, ha="right")
        ax.tick_params(axis="y", labelsize=7)
        ax.grid(alpha=0.3, axis="y")
        fin = vals[np.isfinite(vals)]
        wide = fin.size and np.all(fin > 0) and fin.max() / fin.min() > 1e3  # spans decades: log by itself
        if spec.log or wide:
            _apply_log(ax, spec.model_copy(update={"log": True}), list(vals))
        elif fin.size and np.all(fin >= 0):  # counts and times start at 0; an all-zero panel is not negative
            ax.set_ylim(0, float(fin.max()) * 1.15 if fin.max() > 0 else 1.0)
    fig.suptitle(spec.title or "R6: uniqueness certificate and counterexample search per cell", fontsize=9)
    _footer(fig, notes, "Blue bars: the cell's R6 verdict is proved/certified; orange: another verdict "
            "(named under each bar). Each panel is one number with its own unit.")
    return _save(fig, out, spec.name), notes


RENDERERS = {"omega": figure_omega, "line": figure_line, "scatter": figure_scatter, "r6": figure_r6}


def render_figure(result: SweepResult, spec: FigureSpec, out: Path,
                  formats: tuple[str, ...] = FORMATS) -> tuple[list[Path], list[str]]:
    """Draw ``spec`` and write it in ``formats`` (default: PDF and PNG); the paths written and the notes."""
    global _formats
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown figure format(s) {unknown}; known: {FORMATS}")
    before, _formats = _formats, tuple(formats)
    try:
        return RENDERERS[spec.kind](result, spec, out)
    finally:
        _formats = before
