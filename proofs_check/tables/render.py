"""Render sweep results as LaTeX (booktabs, siunitx ``\\num``), Markdown and CSV tables.

Every printed value carries its verdict: ``proved`` and ``certified`` values are printed plain; every other
status gets a marker and a footnote, so nothing uncertified reads as certified:

=============  ======  =====================================================================
verdict        marker  meaning
=============  ======  =====================================================================
supported      †       sampled estimate (Monte Carlo); its CI is in the CSV
inconclusive   ‡       computed, but the certificate did not pass (reason in the CSV)
refuted        !       the claim behind the value is refuted on this cell
n/a            n/a     not available; the footnote gives what it needs
=============  ======  =====================================================================
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from .quantities import QUANTITIES
from .spec import TableSpec, _fmt_value
from .sweep import SweepResult

MARKERS = {"supported": "†", "inconclusive": "‡", "refuted": "!"}
LATEX_MARKERS = {
    "supported": r"\textsuperscript{\dag}",
    "inconclusive": r"\textsuperscript{\ddag}",
    "refuted": r"\textsuperscript{!}",
}
MARKER_TEXT = {
    "supported": "sampled estimate (Monte Carlo or randomized evidence), not certified; CI in the CSV",
    "inconclusive": "computed, but its certificate did not pass or the check was inconclusive; "
    "see the CSV note",
    "refuted": "the claim behind this value is refuted on this cell",
}
CONVENTIONS = (
    "Scale conventions: task vectors with E[ββᵀ] = I_d; risk is the plain squared error "
    "E(y − ŷ)², not normalised by d or by the null risk."
)
LATEX_CONVENTIONS = (
    r"Scale conventions: task vectors with $\mathbb{E}[\beta\beta^\top]=I_d$; risk is the plain "
    r"squared error $\mathbb{E}(y-\hat y)^2$, not normalised."
)


#: LaTeX packages the generated tables need (written in every .tex header; the compile test loads exactly
#: these): booktabs (rules), siunitx (\num), amsmath (\operatorname), amssymb (\mathbb)
LATEX_PACKAGES = ("amsmath", "amssymb", "booktabs", "siunitx")

#: a printed value within this relative distance of zero is round-off and printed as 0. The scale is the
#: larger of the cell's null risk tr Σ + σ² (every risk, gap and margin is measured in it) and the largest
#: magnitude in the column; 1e-12 is ~4500 ulp, far below any digit a table prints (the CSV keeps the
#: exact value)
DISPLAY_ZERO_RTOL = 1e-12


def display_zero(x: float, scale: float) -> bool:
    """True when ``x`` is round-off of an exact zero at ``scale`` (see :data:`DISPLAY_ZERO_RTOL`)."""
    return abs(x) <= DISPLAY_ZERO_RTOL * max(abs(scale), 0.0) and x == x


def latex_preamble() -> str:
    """The ``\\usepackage`` line a document needs to ``\\input`` the generated tables."""
    return "\\usepackage{" + ",".join(LATEX_PACKAGES) + "}"


def format_number(x: float, digits: int, scale: float | None = None) -> str:
    """Plain, ``\\num``-parsable: ``0.8123``, ``-1.25e-05``; round-off of zero at ``scale`` prints ``0``."""
    if x != x or x in (float("inf"), float("-inf")):
        return str(x)
    if x == 0 or (scale is not None and display_zero(x, scale)):
        return "0"
    text = f"{x:.{digits}g}"
    if float(text) in (float("inf"), float("-inf")):  # rounding up near the float maximum overflows
        text = f"{x:.17g}"
    return text


def _latex_escape(text: str) -> str:
    rep = {
        "\\": r"\textbackslash{}",
        "&": r"\&",
        "%": r"\%",
        "$": r"\$",
        "#": r"\#",
        "_": r"\_",
        "{": r"\{",
        "}": r"\}",
        "~": r"\textasciitilde{}",
        "^": r"\textasciicircum{}",
        "σ": r"$\sigma$",
        "ρ": r"$\rho$",
        "Σ": r"$\Sigma$",
        "ω": r"$\omega$",
        "γ": r"$\gamma$",
        "λ": r"$\lambda$",
        "β": r"$\beta$",
        "−": "-",
        "²": r"$^2$",
        "·": r"$\cdot$",
        "…": r"\dots{}",
        "†": r"\dag{}",
        "‡": r"\ddag{}",
    }
    return "".join(rep.get(c, c) for c in text)


@dataclass
class Row:
    index: list[str]  # axis labels
    cells: list[dict]  # qvalues, one per column


def table_rows(result: SweepResult, spec: TableSpec) -> list[Row]:
    rows = []
    for cell, vals in zip(result.cells, result.values, strict=False):
        if not cell.matches(spec.where):
            continue
        rows.append(Row([cell.labels[a] for a in spec.index], [vals[q] for q in spec.columns]))
    return rows


def _na_notes(rows: list[Row]) -> list[str]:
    return list(dict.fromkeys(c["note"] for r in rows for c in r.cells if c["verdict"] == "n/a"))


def _summary_text(v: Any) -> str:
    """A summary dict as ``checked 100, suspects 0`` (never raw JSON)."""
    if isinstance(v, dict):
        parts = []
        for k, x in v.items():
            if isinstance(x, float):
                x = format_number(x, 3)
            elif isinstance(x, (dict, list)):
                continue
            parts.append(f"{str(k).replace('_', ' ')} {x}")
        return ", ".join(parts[:4]) + (", …" if len(parts) > 4 else "")
    return str(v)


def _value_text(q: str, qv: dict, digits: int, scale: float | None = None) -> tuple[str, bool]:
    """(text, is_number). ``scale``: the zero threshold's scale (see :func:`display_zero`)."""
    v = qv["value"]
    kind = QUANTITIES[q].kind
    if v is None:
        return "", False
    if kind == "vector":
        vmax = max([abs(float(x)) for x in v] or [0.0])
        vals = [format_number(float(x), 3, vmax) for x in v]
        return "[" + ", ".join(vals[:6]) + (", …" if len(vals) > 6 else "") + "]", False
    if kind == "summary":
        return _summary_text(v), False
    if kind == "text" or not isinstance(v, (int, float)) or isinstance(v, bool):
        return str(v), False
    return format_number(float(v), digits, scale), True


def _null_risk(cfg: Any) -> float:
    """tr Σ + σ² of a cell's model config (the scale of every risk), from the config alone."""
    f = cfg.features
    if f.covariance == "identity":
        tr = f.scale * cfg.d
    elif f.covariance == "diagonal":
        tr = float(sum(f.eigenvalues or []))
    else:
        tr = float(sum((f.matrix or [])[i][i] for i in range(cfg.d)))
    return tr + cfg.noise_var


def column_scales(result: SweepResult, spec: TableSpec) -> list[list[float]]:
    """Per row, per column: the zero-display scale max(null risk of the cell, max |value| in the column)."""
    cells = [(c, vals) for c, vals in zip(result.cells, result.values, strict=False) if c.matches(spec.where)]
    col_max = []
    for q in spec.columns:
        xs = [abs(float(v[q]["value"])) for _, v in cells
              if isinstance(v[q]["value"], (int, float)) and not isinstance(v[q]["value"], bool)
              and v[q]["value"] == v[q]["value"] and abs(float(v[q]["value"])) != float("inf")]
        col_max.append(max(xs or [0.0]))
    return [[max(_null_risk(c.model), m) for m in col_max] for c, _ in cells]


def _marker(q: str, qv: dict) -> str | None:
    if QUANTITIES[q].kind == "text" and q.startswith(("verdict.", "certificate.")):
        return None  # the cell is the verdict itself
    return qv["verdict"] if qv["verdict"] in MARKERS else None


def _footnotes(rows: list[Row], spec: TableSpec) -> tuple[list[str], list[str]]:
    used = {m for r in rows for q, c in zip(spec.columns, r.cells, strict=False) if (m := _marker(q, c))}
    return [m for m in MARKERS if m in used], _na_notes(rows)


def model_description(result: SweepResult) -> str:
    m = result.config.model
    f = m.features
    sig = {
        "identity": f"Σ = {f.scale:g}·I",
        "diagonal": f"Σ = diag({_fmt_value(f.eigenvalues)})",
        "full": "Σ given in full",
    }[f.covariance]
    t = m.tasks
    tasks = (
        f"{t.family} tasks"
        + (f", blocks {t.block_sizes}" if t.block_sizes else "")
        + (f", ρ = {_fmt_value(t.rho)}" if t.rho is not None else "")
    )
    axes = ", ".join(sorted({k for c in result.cells for k in c.labels}))
    return (
        f"Base model: d = {m.d}, n = {m.n}, σ² = {m.noise_var:g}, {sig}, {tasks}"
        + (f"; swept: {axes}" if axes else "")
        + "."
    )


def render_markdown(result: SweepResult, spec: TableSpec) -> str:
    rows = table_rows(result, spec)
    head = [*spec.index, *(QUANTITIES[q].label for q in spec.columns)]
    lines = [
        f"**Table {spec.name}.** {spec.caption} {model_description(result)} {CONVENTIONS}".strip(),
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    na = _na_notes(rows)
    for r, scales in zip(rows, column_scales(result, spec), strict=True):
        cells = []
        for q, qv, sc in zip(spec.columns, r.cells, scales, strict=False):
            if qv["verdict"] == "n/a":
                cells.append(f"n/a[{na.index(qv['note']) + 1}]")
                continue
            text, _ = _value_text(q, qv, spec.digits, sc)
            m = _marker(q, qv)
            cells.append(text + (MARKERS[m] if m else ""))
        lines.append("| " + " | ".join(x.replace("|", "\\|") for x in [*r.index, *cells]) + " |")
    markers, _ = _footnotes(rows, spec)
    lines.append("")
    lines.append("Unmarked numbers are proved or certified.")
    for m in markers:
        lines.append(f"{MARKERS[m]} {MARKER_TEXT[m]}.")
    for i, note in enumerate(na, 1):
        lines.append(f"n/a[{i}]: {note}.")
    return "\n".join(lines) + "\n"


def render_latex(result: SweepResult, spec: TableSpec) -> str:
    rows = table_rows(result, spec)
    ncol = len(spec.index) + len(spec.columns)
    na = _na_notes(rows)
    head = [_latex_escape(a) for a in spec.index] + [QUANTITIES[q].latex for q in spec.columns]
    caption = " ".join(
        x
        for x in (_latex_escape(spec.caption), _latex_escape(model_description(result)), LATEX_CONVENTIONS)
        if x
    )
    out = [
        f"% generated by glaverify tables; needs {latex_preamble()}",
        r"\begin{table}[ht]",
        r"\centering",
        rf"\caption{{{caption}}}",
        rf"\label{{tab:{spec.name}}}",
        r"\begin{tabular}{" + "l" * len(spec.index) + "r" * len(spec.columns) + "}",
        r"\toprule",
        " & ".join(head) + r" \\",
        r"\midrule",
    ]
    for r, scales in zip(rows, column_scales(result, spec), strict=True):
        cells = []
        for q, qv, sc in zip(spec.columns, r.cells, scales, strict=False):
            if qv["verdict"] == "n/a":
                cells.append(rf"n/a\textsuperscript{{{na.index(qv['note']) + 1}}}")
                continue
            text, is_num = _value_text(q, qv, spec.digits, sc)
            m = _marker(q, qv)
            body = rf"\num{{{text}}}" if is_num else _latex_escape(text)
            cells.append(body + (LATEX_MARKERS[m] if m else ""))
        out.append(" & ".join([*(_latex_escape(x) for x in r.index), *cells]) + r" \\")
    out.append(r"\bottomrule")
    out.append(r"\end{tabular}")
    markers, _ = _footnotes(rows, spec)
    notes = ["Unmarked numbers are proved or certified."]
    notes += [f"{LATEX_MARKERS[m]} {_latex_escape(MARKER_TEXT[m])}." for m in markers]
    notes += [rf"\textsuperscript{{{i}}} {_latex_escape(n)}." for i, n in enumerate(na, 1)]
    out.append(r"\par\smallskip{\footnotesize " + r" \\ ".join(notes) + "}")
    out.append(r"\end{table}")
    assert all(line.count("&") == ncol - 1 for line in out if line.endswith(r"\\") and "&" in line)
    return "\n".join(out) + "\n"


def csv_columns(spec: TableSpec) -> list[str]:
    cols = list(spec.index)
    for q in spec.columns:
        cols += [q, f"{q}:verdict", f"{q}:ci_low", f"{q}:ci_high", f"{q}:note"]
    return cols


def _csv_value(q: str, qv: dict) -> str:
    v = qv["value"]
    if v is None:
        return ""
    if isinstance(v, (list, dict)):
        return json.dumps(v)
    if isinstance(v, float):
        return repr(v)  # round-trips exactly
    return str(v)


def render_csv(result: SweepResult, spec: TableSpec) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(csv_columns(spec))
    for r in table_rows(result, spec):
        row = list(r.index)
        for q, qv in zip(spec.columns, r.cells, strict=False):
            ci = qv.get("ci") or [None, None]
            row += [
                _csv_value(q, qv),
                qv["verdict"],
                "" if ci[0] is None else repr(float(ci[0])),
                "" if ci[1] is None else repr(float(ci[1])),
                qv.get("note", ""),
            ]
        w.writerow(row)
    return buf.getvalue()


def read_csv(text: str) -> list[dict[str, Any]]:
    """Parse a table CSV back: numbers as floats, vectors/dicts as JSON, empty as None."""
    out = []
    for row in csv.DictReader(io.StringIO(text)):
        parsed: dict[str, Any] = {}
        for k, v in row.items():
            if v == "":
                parsed[k] = None
            elif k.endswith((":verdict", ":note")):
                parsed[k] = v
            else:
                try:
                    parsed[k] = float(v)
                except ValueError:
                    try:
                        parsed[k] = json.loads(v)
                    except json.JSONDecodeError:
                        parsed[k] = v
        out.append(parsed)
    return out
