"""Counterexample files: written by ``glaverify search`` as TOML configs, replayed by
``glaverify check CLAIM --config FILE``.

A file holds the instance's ``[model]`` table (the config schema of docs/config.md) and a
``[counterexample]`` table: the claim id, how it was found (command, seed, phase), the fast residual and
tolerance, the confirmation (method, exact or not, summary), and ``[counterexample.values]`` with the
instance's other values (ω, P, gates, ...). Files are written atomically (a temporary file in the same
directory, then ``os.replace``), so an interrupted search never leaves a partial file.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from glaverify.numerics.errors import InputError

from .spec import Instance, Outcome, get_spec


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise InputError("counterexample", "values must be finite to be written as TOML", v)
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if hasattr(v, "tolist"):
        return _value(v.tolist())
    raise TypeError(f"cannot write {type(v).__name__} as a TOML value")


def toml_text(tables: dict[str, Any], comment: str = "") -> str:
    """TOML for nested dicts of scalars and (nested) lists; sub-dicts become ``[a.b]`` tables."""
    lines = [f"# {c}" for c in comment.splitlines()] if comment else []

    def emit(prefix: str, table: dict[str, Any]) -> None:
        scalars = {k: v for k, v in table.items() if not isinstance(v, dict) and v is not None}
        subs = {k: v for k, v in table.items() if isinstance(v, dict)}
        if lines:
            lines.append("")
        lines.append(f"[{prefix}]")
        lines.extend(f"{k} = {_value(v)}" for k, v in scalars.items())
        for k, v in subs.items():
            emit(f"{prefix}.{k}", v)

    for name, table in tables.items():
        emit(name, table)
    return "\n".join(lines) + "\n"


def atomic_write(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file and ``os.replace`` (never a partial file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def counterexample_toml(report: Any, command: str) -> str:
    """The replay file of a search report that found a failure."""
    inst: Instance = report.counterexample
    conf = report.confirmation
    section: dict[str, Any] = {
        "claim": report.claim,
        "found_by": command,
        "seed": report.seed,
        "residual": float(report.residual) if report.residual is not None else None,
        "tolerance": float(report.tolerance) if report.tolerance is not None else None,
        "confirmed": bool(conf.confirmed) if conf is not None and conf.confirmed is not None else False,
        "confirmed_by": conf.method if conf is not None else "not confirmed",
        "exact": bool(conf.exact) if conf is not None else False,
        "summary": conf.summary if conf is not None else "",
    }
    values = {k: v for k, v in inst.items() if k != "model"}
    if values:
        section["values"] = values
    tables: dict[str, Any] = {}
    if "model" in inst:
        tables["model"] = inst["model"]
    tables["counterexample"] = section
    head = (
        f"{report.claim} counterexample found by: {command}\n"
        f"replay: glaverify check {report.claim} --config <this file>\n"
        + (conf.summary if conf is not None else "")
    )
    return toml_text(tables, head)


def instance_from_config(claim: str, model_config: Any, section: Any) -> Instance:
    """Rebuild a search instance from a config's ``[model]`` and ``[counterexample]``."""
    inst: Instance = {"model": model_config.model_dump()}
    if section is not None:
        got = str(section.claim).strip().upper()
        if got != claim:
            raise InputError(
                "counterexample.claim", f"this file is a counterexample to {got}, not {claim}", got
            )
        inst.update(dict(section.values))
    return inst


def replay(claim: str, inst: Instance) -> tuple[Outcome, Any]:
    """The claim's fast property on ``inst`` and, if it fails, the independent confirmation."""
    spec = get_spec(claim)
    out = spec.prop(inst)
    return out, (None if out.ok else spec.confirm(inst))
