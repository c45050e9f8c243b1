"""Collect every number the gating code prints, for the reproduction fixture (issue 9, item 6).

``python tests/data/gating_numbers.py OUT.json`` writes the numbers of

* the ``gla_free``, ``gla_delimiter``, ``gla_vector`` sections of ``glaverify landscape --json`` on every
  shipped example (``examples/*.toml``), computed exactly as the command computes them;
* the records of ``glaverify check A1 .. A6`` (default checks) on the default model and on every shipped
  example: verdicts and every numeric leaf of residuals / details;
* the cells of ``glaverify tables --config examples/appendix_ci.toml`` (every quantity value and verdict).

The file ``gating_numbers.json`` beside this script was written by the code BEFORE the block reduction
(commit eef97e3); ``tests/test_gating.py`` recomputes the same numbers with the current code and compares
them to 1e-10 relative. Solver-internal residuals (KKT, duality gap, solve counts, ...) are recorded but
compared only as ``<= tolerance``: they measure the route, not the answer.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.name for p in (ROOT / "examples").glob("*.toml"))
CHECK_CLAIMS = ("A1", "A2", "A3", "A4", "A5", "A6")


def _leaves(obj: object, prefix: str = "") -> dict[str, object]:
    """Flatten to ``path -> number | bool | str`` (lists indexed)."""
    out: dict[str, object] = {}
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.update(_leaves(v, f"{prefix}{k}."))
    elif isinstance(obj, (list, tuple)) or isinstance(obj, np.ndarray):
        for i, v in enumerate(list(obj)):
            out.update(_leaves(v, f"{prefix}{i}."))
    elif isinstance(obj, (bool, np.bool_)):
        out[prefix[:-1]] = bool(obj)
    elif isinstance(obj, (int, float, np.integer, np.floating)):
        out[prefix[:-1]] = float(obj)
    elif isinstance(obj, str):
        out[prefix[:-1]] = obj
    elif obj is None:
        out[prefix[:-1]] = None
    return out


def landscape_sections(example: str) -> dict[str, object]:
    from glaverify.numerics.errors import InputError
    from glaverify.numerics.model import DataModel
    from glaverify.proofs_check.cli import resolve_config
    from glaverify.proofs_check.commands import gating as cg  # registers the sections
    from glaverify.proofs_check.commands import landscape as cl

    cg._register_sections()
    try:
        cfg, _ = resolve_config(ROOT / "examples" / example, None, None, None)
    except InputError as exc:  # a sweep file: the command refuses it, so it printed no number
        return {"input_error": str(exc)}
    model = DataModel.from_config(cfg.model)
    out = cl.compute_landscape(model, seed=cfg.run.seed, **cl._options(cfg))
    keep = {k: out[k] for k in ("gla_free", "gla_delimiter", "gla_vector") if k in out}
    keep["wpgd_risk"] = out["wpgd"]["risk"]
    return _leaves(keep)


def check_records(example: str | None) -> dict[str, object]:
    from glaverify.proofs_check.cli import resolve_config
    from glaverify.proofs_check.context import CheckContext
    from glaverify.proofs_check.registry import load_all
    from glaverify.proofs_check.runner import run_claim

    load_all()
    from glaverify.numerics.errors import InputError

    try:
        cfg, explicit = resolve_config(ROOT / "examples" / example if example else None, None, None, None)
    except InputError as exc:  # a sweep file: the command refuses it
        return {"input_error": str(exc)}
    ctx = CheckContext(model_config=cfg.model, run=cfg.run, dims_explicit=explicit, quick=False)
    out: dict[str, object] = {}
    for claim in CHECK_CLAIMS:
        res = run_claim(claim, ctx, suite=True)
        for rec in res.records:
            d = rec.to_dict() if hasattr(rec, "to_dict") else dict(vars(rec))
            keep = {
                "verdict": str(getattr(rec.verdict, "value", rec.verdict)),
                "residuals": d.get("residuals"),
                "details": d.get("details"),
            }
            out.update(_leaves(keep, f"{claim}.{rec.method}."))
    return out


def appendix_ci_cells(quick: bool = False) -> dict[str, object]:
    """Every cell value of the appendix_ci sweep, computed as ``glaverify tables`` does (no cache)."""
    from glaverify.proofs_check.evidence import jsonable
    from glaverify.proofs_check.tables.spec import load_sweep_config
    from glaverify.proofs_check.tables.sweep import run_sweep

    cfg = load_sweep_config(ROOT / "examples" / "appendix_ci.toml")
    with tempfile.TemporaryDirectory() as tmp:
        res = run_sweep(cfg, jobs=1, cache_dir=tmp, use_cache=False, quick=quick)
    out: dict[str, object] = {}
    for cell, vals in zip(res.cells, res.values, strict=True):
        out.update(_leaves(jsonable(vals), f"cell{cell.index}."))
    return out


def collect() -> dict[str, object]:
    data: dict[str, object] = {"landscape": {}, "checks": {}}
    for ex in EXAMPLES:
        data["landscape"][ex] = landscape_sections(ex)
    for ex in [None, *EXAMPLES]:
        data["checks"][ex or "default"] = check_records(ex)
    data["tables"] = appendix_ci_cells()
    return data


if __name__ == "__main__":
    target = Path(sys.argv[1])
    part = sys.argv[2] if len(sys.argv) > 2 else "all"
    if part == "tables":
        data = appendix_ci_cells()
    elif part == "landscape":
        data = {ex: landscape_sections(ex) for ex in EXAMPLES}
    elif part == "checks":
        data = {ex or "default": check_records(ex) for ex in [None, *EXAMPLES]}
    else:
        data = collect()
    target.write_text(json.dumps(data, indent=1, sort_keys=True, default=str))


#: last path components that are solver / route residuals: compared as "still within tolerance", not equal
RESIDUAL_KEYS = {
    "kkt",
    "duality_gap",
    "fixed_point",
    "cone_kkt",
    "kkt_max",
    "qp_value_gap",
    "search_fixed_point",
    "omega_match",
    "max_weight_error",
    "max_prediction_error",
}
#: path fragments whose leaves are route internals that the block reduction removed or renamed
#: (cvxpy statuses, solve counts, the dense certificate's fields, timings); their absence is expected
#: (".wpgd.residuals." in table cells: the WPGD certificate's route internals — cvxpy solve counts, θ, ω
#: distances at round-off — which the block-reduced landscape core changes by design; its numbers are pinned
#: by tests/test_landscape_regression.py at route tolerance)
ROUTE_INTERNALS = ("certificate.", "wpgd_certificate.", "seconds", "wall_time", "elapsed", "method",
                   ".wpgd.residuals.")
#: cells' ``residuals`` of the gate-class optima: the route's residuals (cvxpy status, solve count, ...)
CELL_RESIDUALS = (".gla.scalar.residuals.", ".gla.delimiter.residuals.", ".gla.vector.residuals.")


def _is_residual(key: str) -> bool:
    last = key.rsplit(".", 1)[-1]
    return any(last == r or last.endswith("_" + r) for r in RESIDUAL_KEYS) or any(
        f in key for f in CELL_RESIDUALS
    )
#: string leaves that are conclusions (compared exactly); other strings are prose with formatted numbers
CONCLUSION_STRINGS = ("verdict", "value")


def compare(old: dict[str, object], new: dict[str, object], rtol: float = 1e-10) -> list[str]:
    """Differences between two flattened records: numbers to ``rtol`` relative (floor: ``rtol`` absolute,
    for differences of risks such as gaps ~1e-16), booleans and conclusion strings exactly, residuals as
    ``new <= max(old, 1e-6)``."""
    problems = []
    for key, ov in old.items():
        last = key.rsplit(".", 1)[-1]
        if key not in new:
            if not any(f in key for f in ROUTE_INTERNALS) and not _is_residual(key):
                problems.append(f"{key}: missing (was {ov!r})")
            continue
        nv = new[key]
        if any(f in key for f in ROUTE_INTERNALS) and last not in CONCLUSION_STRINGS:
            continue
        if _is_residual(key):
            if isinstance(ov, float) and isinstance(nv, float) and not nv <= max(ov, 1e-6):
                problems.append(f"{key}: residual {nv!r} (was {ov!r})")
            continue
        if isinstance(ov, bool) or isinstance(nv, bool):
            if ov != nv:
                problems.append(f"{key}: {nv!r} != {ov!r}")
        elif isinstance(ov, float) and isinstance(nv, float):
            if np.isnan(ov) and np.isnan(nv):
                continue
            if not abs(nv - ov) <= rtol * max(1.0, abs(ov)):
                problems.append(f"{key}: {nv!r} != {ov!r} (diff {nv - ov:.3g})")
        elif isinstance(ov, str) and last in CONCLUSION_STRINGS:
            if ov != nv:
                problems.append(f"{key}: {nv!r} != {ov!r}")
        elif type(ov) is not type(nv) and not isinstance(ov, str):
            problems.append(f"{key}: {nv!r} != {ov!r}")
    return problems
