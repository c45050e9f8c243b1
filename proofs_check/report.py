"""A self-contained HTML verification report (inline CSS, inline SVG), after leanblueprint's dependency graph.

Input: the list of evidence records in ``verification.json`` (written by ``glaverify verify``). Output: one
HTML file with the claims table (combined verdict per claim), the claim dependency graph from the
registry's ``uses`` coloured by verdict, and every record's evidence (method, summary, residuals, CI,
sample size, seed, tolerance, counterexample). No external file, script or font is referenced.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glaverify.numerics.errors import InputError

from .evidence import Evidence, Verdict, combine_records
from .registry import Claim, all_claims

COLOURS = {
    "proved": "#1a7f37",
    "certified": "#4cae4f",
    "supported": "#2f81c4",
    "refuted": "#cf222e",
    "inconclusive": "#d4a72c",
    "not run": "#b0b0b0",
}
#: every verdict also has its own symbol, shown next to its name, so no verdict is told by colour alone
SYMBOLS = {
    "proved": "✓✓",
    "certified": "✓",
    "supported": "≈",
    "refuted": "✗",
    "inconclusive": "?",
    "not run": "–",
}
TEXT_ON = {
    "proved": "#fff",
    "certified": "#fff",
    "supported": "#fff",
    "refuted": "#fff",
    "inconclusive": "#000",
    "not run": "#000",
}

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;max-width:1200px;color:#1f2328;
line-height:1.4;padding:0 1em}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;width:100%;font-size:.88em}th,td{border:1px solid #d0d7de;padding:4px 6px;
vertical-align:top;text-align:left}th{background:#f6f8fa}
.v{display:inline-block;padding:1px 7px;border-radius:9px;font-weight:600;font-size:.85em}
code,pre{font-family:ui-monospace,Menlo,monospace;font-size:.85em}pre{white-space:pre-wrap;margin:0}
.legend span{margin-right:1em}.meta{color:#57606a;font-size:.85em}svg text{font-family:system-ui,sans-serif}
"""


@dataclass
class ClaimStatus:
    claim: Claim
    verdict: str  # a Verdict value or "not run"
    records: list[Evidence]


def load_records(path: Path) -> list[Evidence]:
    if not path.is_file():
        raise InputError("--input", f"file not found: {path} (run `glaverify verify` first)")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise InputError("--input", f"not valid JSON: {exc}") from None
    if isinstance(data, dict) and "records" in data:
        data = data["records"]
    if not isinstance(data, list):
        raise InputError("--input", "must be a list of evidence records (verification.json)")
    out = []
    for i, rec in enumerate(data):
        try:
            out.append(Evidence.from_dict(rec))
        except (TypeError, ValueError) as exc:
            raise InputError(f"--input[{i}]", f"not an evidence record: {exc}") from None
    return out


def claim_statuses(records: list[Evidence], claims: list[Claim] | None = None) -> list[ClaimStatus]:
    claims = claims if claims is not None else all_claims()
    by: dict[str, list[Evidence]] = {}
    for r in records:
        by.setdefault(r.claim, []).append(r)
    out = []
    for c in claims:
        recs = by.get(c.id, [])
        v = combine_records(recs).value if recs else "not run"
        out.append(ClaimStatus(c, v, recs))
    return out


# ------------------------------------------------------------------------------------------ graph layout
def layers(claims: list[Claim]) -> dict[str, int]:
    """Layer of a claim = 0 if it uses nothing (known), else 1 + the max layer of what it uses."""
    ids = {c.id: c for c in claims}
    memo: dict[str, int] = {}

    def depth(cid: str, seen: tuple[str, ...] = ()) -> int:
        if cid in memo:
            return memo[cid]
        if cid in seen:
            raise ValueError(f"claim dependency cycle through {cid}")
        uses = [u for u in ids[cid].uses if u in ids]
        memo[cid] = 0 if not uses else 1 + max(depth(u, (*seen, cid)) for u in uses)
        return memo[cid]

    return {c.id: depth(c.id) for c in claims}


def layout(
    claims: list[Claim], node_w: int = 64, node_h: int = 30, gap_x: int = 26, gap_y: int = 70
) -> tuple[dict[str, tuple[float, float]], int, int]:
    """Layered layout: rows by layer, order in a row by the mean position of what a claim uses."""
    lay = layers(claims)
    rows: dict[int, list[str]] = {}
    for c in claims:
        rows.setdefault(lay[c.id], []).append(c.id)
    uses = {c.id: c.uses for c in claims}
    order: dict[str, float] = {}
    for k in sorted(rows):
        if k > 0:  # barycentre ordering reduces crossings
            rows[k].sort(
                key=lambda cid: (
                    sum(order[u] for u in uses[cid] if u in order)
                    / max(1, sum(1 for u in uses[cid] if u in order))
                )
            )
        for j, cid in enumerate(rows[k]):
            order[cid] = j - (len(rows[k]) - 1) / 2
    width_n = max(len(r) for r in rows.values())
    width = width_n * (node_w + gap_x) + gap_x
    pos = {}
    for k, row in rows.items():
        x0 = (width - len(row) * (node_w + gap_x) + gap_x) / 2
        for j, cid in enumerate(row):
            pos[cid] = (x0 + j * (node_w + gap_x), 20 + k * (node_h + gap_y))
    height = 20 + (max(rows) + 1) * (node_h + gap_y) - gap_y + 20
    return pos, width, height


def dependency_svg(statuses: list[ClaimStatus], node_w: int = 64, node_h: int = 30) -> str:
    claims = [s.claim for s in statuses]
    verdict = {s.claim.id: s.verdict for s in statuses}
    pos, width, height = layout(claims, node_w, node_h)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="claim dependency graph">',
        '<defs><marker id="arr" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#57606a"/></marker></defs>',
    ]
    for c in claims:  # edges: used claim (above) -> claim that uses it (below)
        x2, y2 = pos[c.id]
        for u in c.uses:
            if u not in pos:
                continue
            x1, y1 = pos[u]
            parts.append(
                f'<line class="edge" data-from="{u}" data-to="{c.id}" x1="{x1 + node_w / 2:.1f}" '
                f'y1="{y1 + node_h:.1f}" x2="{x2 + node_w / 2:.1f}" y2="{y2:.1f}" stroke="#8c959f" '
                f'stroke-width="1.2" marker-end="url(#arr)"/>'
            )
    for c in claims:
        x, y = pos[c.id]
        v = verdict[c.id]
        title = html.escape(f"{c.id}: {c.title} [{v}]")
        parts.append(
            f'<g class="node" data-claim="{c.id}" data-verdict="{v}"><title>{title}</title>'
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{node_w}" height="{node_h}" rx="6" '
            f'fill="{COLOURS[v]}" stroke="#24292f" stroke-width="0.8"/>'
            f'<text x="{x + node_w / 2:.1f}" y="{y + node_h / 2 + 5:.1f}" text-anchor="middle" '
            f'font-size="13" font-weight="600" fill="{TEXT_ON[v]}">{c.id} {SYMBOLS.get(v, "")}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


# ------------------------------------------------------------------------------------------ HTML
def _status_note(records: list[Evidence]) -> str:
    """i10: " with disagreeing evidence" / " with a tool error" after the claim's badge (docs/evidence.md)."""
    if not records:
        return ""
    from .evidence import claim_status

    st = claim_status(records)
    extra = st.text[len(st.verdict.value):].lstrip(", ")
    return f' <em class="disagree">{html.escape(extra)}</em>' if extra else ""


def _badge(v: str) -> str:
    return (
        f'<span class="v" style="background:{COLOURS.get(v, "#ccc")};color:{TEXT_ON.get(v, "#000")}">'
        f"{html.escape(SYMBOLS.get(v, ''))} {html.escape(v)}</span>"
    )


def _fmt(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:.4g}"
    if isinstance(x, dict):
        return ", ".join(f"{k}={_fmt(v)}" for k, v in x.items())
    return str(x)


def _model_line(records: list[Evidence]) -> str:
    """The model(s) behind the verdicts, from the records' configs."""
    from glaverify.numerics.config import build_model_config

    from .context import describe_model

    seen: list[str] = []
    for r in records:
        cfg = (r.config or {}).get("model") if isinstance(r.config, dict) else None
        if not cfg:
            continue
        try:
            text = describe_model(build_model_config(cfg))
        except (InputError, TypeError, ValueError):
            continue
        if text not in seen:
            seen.append(text)
    if not seen:
        return "not recorded"
    return seen[0] + (f" (and {len(seen) - 1} smaller model(s) of symbolic checks; see the dims column)"
                      if len(seen) > 1 else "")


def render_html(records: list[Evidence], source: str = "", claims: list[Claim] | None = None) -> str:
    statuses = claim_statuses(records, claims)
    counts: dict[str, int] = {}
    for s in statuses:
        counts[s.verdict] = counts.get(s.verdict, 0) + 1
    seeds = sorted({r.seed for r in records if r.seed is not None})
    versions = next((r.versions for r in records if r.versions), {})
    h = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>glaverify verification report</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>glaverify verification report</h1>",
        f'<p class="meta">Source: {html.escape(source)}; generated '
        f"{_dt.datetime.now(_dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}; seeds: "
        f"{html.escape(', '.join(map(str, seeds)) or '-')}; versions: "
        f"{html.escape(', '.join(f'{k} {v}' for k, v in versions.items()) or '-')}</p>",
        "<p>" + " ".join(f"{_badge(v)} {n}" for v, n in counts.items()) + "</p>",
        f'<p class="meta">Model: {html.escape(_model_line(records))}</p>',
        '<p class="meta">Conventions: E[ββᵀ] = I<sub>d</sub>; risk = E(y − ŷ)², unnormalised. '
        "proved: exact for the stated dims; certified: numeric with a certificate (tolerance, residuals); "
        "supported: sampled (sample size, CI); refuted: counterexample; inconclusive: with the reason.</p>",
        "<h2>Claim dependency graph</h2>",
        '<p class="legend">' + "".join(f"<span>{_badge(v)}</span>" for v in COLOURS) + "</p>",
        f"<div>{dependency_svg(statuses)}</div>",
        '<p class="meta">An arrow A → B means claim B uses claim A.</p>',
        "<h2>Claims</h2>",
        "<table><tr><th>claim</th><th>title</th><th>uses</th><th>verdict</th><th>records</th></tr>",
    ]
    for s in statuses:
        recs = ", ".join(f"{r.method}: {r.verdict.value}" for r in s.records) or "-"
        h.append(
            f'<tr id="claim-{s.claim.id}"><td><b>{s.claim.id}</b></td><td>{html.escape(s.claim.title)}</td>'
            f"<td>{html.escape(', '.join(s.claim.uses) or '-')}</td>"
            f"<td>{_badge(s.verdict)}{_status_note(s.records)}</td>"
            f"<td>{html.escape(recs)}</td></tr>"
        )
    h.append("</table><h2>Evidence</h2>")
    h.append(
        "<table><tr><th>claim</th><th>method</th><th>verdict</th><th>summary</th><th>dims</th>"
        "<th>residuals / tolerance</th><th>sample / CI</th><th>seed</th><th>time (s)</th></tr>"
    )
    for r in records:
        res = html.escape(_fmt(r.residuals)) if r.residuals else ""
        if r.tolerance is not None:
            res += f"<br>tol {r.tolerance:.3g}"
        samp = f"n = {r.sample_size}" if r.sample_size is not None else ""
        if r.ci:
            samp += f"<br>CI {html.escape(_fmt(r.ci))}"
        extra = ""
        if r.counterexample:
            extra += (
                "<details><summary>counterexample</summary><pre>"
                + html.escape(json.dumps(r.counterexample, indent=1)[:4000])
                + "</pre></details>"
            )
        if r.error:
            extra += f"<br><b>error:</b> <code>{html.escape(r.error)}</code>"
        h.append(
            f"<tr><td>{r.claim}</td><td>{html.escape(r.method)}</td><td>{_badge(r.verdict.value)}</td>"
            f"<td>{html.escape(r.summary)}{extra}</td><td>{html.escape(_fmt(r.dims))}</td><td>{res}</td>"
            f"<td>{samp}</td><td>{r.seed if r.seed is not None else ''}</td><td>{r.elapsed_s:.2f}</td></tr>"
        )
    h.append("</table></body></html>")
    return "\n".join(h) + "\n"


def write_html_report(input_path: Path, out_path: Path) -> Path:
    records = load_records(Path(input_path))
    text = render_html(records, source=str(input_path))
    from .paths import atomic_write_text

    return atomic_write_text(Path(out_path), text)


__all__ = [
    "Verdict",
    "claim_statuses",
    "dependency_svg",
    "layers",
    "load_records",
    "render_html",
    "write_html_report",
]
