"""Sweep configs: a base ``[model]``, sweep axes, ``[run]`` settings and the tables/figures to produce.

A sweep config is TOML::

    [model]                      # exactly numerics.config.ModelConfig (the base of every cell)
    d = 4
    ...
    [run]                        # numerics.config.RunConfig (seed, mc_prompts, confidence, tolerance)
    seed = 0
    [sweep]
    cache_dir = "cache"          # optional; default: the user cache dir (docs/cli.md)
    [sweep.axes]                 # product of axes; a key names a [model] field by its dotted path
    noise_var = [0.1, 0.5]
    "tasks.rho" = [[0.2, 0.55, 0.9], [0.9, 0.55, 0.2]]
    [[sweep.zip]]                # zipped axes: the listed fields vary together (one product axis)
    name = "dims"
    d = [2, 4]
    "features.eigenvalues" = [[0.5, 2.0], [0.5, 1.0, 1.5, 2.0]]
    labels = ["d=2", "d=4"]      # optional, used in tables and legends
    [[table]]
    name = "risks"
    caption = "..."
    index = ["dims", "noise_var"]
    columns = ["risk.wpgd", "risk.gla.delimiter", "risk.linatt"]
    [[figure]]
    name = "omega"
    kind = "omega"

Every cell is validated as a :class:`~glaverify.numerics.config.ModelConfig`; an invalid combination is an
:class:`~glaverify.numerics.errors.InputError` naming the axis and the cell.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from glaverify.numerics.config import (
    ModelConfig,
    RunConfig,
    _format_validation_error,
    _reject_nonfinite,
    build_model_config,
)
from glaverify.numerics.errors import InputError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .quantities import OMEGA_DEFAULT, QUANTITIES, quantity_names

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_STRICT = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


def _flatten_axes(obj: dict[str, Any], prefix: str = "") -> dict[str, list[Any]]:
    """``{"tasks": {"rho": [..]}}`` and ``{"tasks.rho": [..]}`` both give ``{"tasks.rho": [..]}``."""
    out: dict[str, list[Any]] = {}
    for key, val in obj.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(val, dict):
            out.update(_flatten_axes(val, path))
        else:
            out[path.removeprefix("model.")] = val
    return out


#: the formats every figure is written in (figures.py draws them; output.py collects the paths)
FIGURE_FORMATS: tuple[str, ...] = ("pdf", "png")

class ZipGroup(BaseModel):
    """Fields varied together (one product axis). ``name`` labels the axis in tables."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False, frozen=True)

    name: str | None = None
    labels: list[str] | None = None
    coords: list[float] | None = None  # numeric x-coordinate of each value in line figures (e.g. ρ)

    def axes(self) -> dict[str, list[Any]]:
        return _flatten_axes(dict(self.model_extra or {}))

    @model_validator(mode="after")
    def _same_lengths(self) -> ZipGroup:
        axes = self.axes()
        if not axes:
            raise ValueError("a zip group must list at least one field")
        lens = {k: len(v) if isinstance(v, list) else -1 for k, v in axes.items()}
        for k, n in lens.items():
            if n < 1:
                raise ValueError(f"{k}: must be a non-empty list of values")
        if len(set(lens.values())) != 1:
            raise ValueError(f"zipped fields must have equal lengths, got {lens}")
        if self.labels is not None and len(self.labels) != next(iter(lens.values())):
            raise ValueError(
                f"labels: has {len(self.labels)} entries but the zipped fields have "
                f"{next(iter(lens.values()))} values"
            )
        if self.coords is not None and len(self.coords) != next(iter(lens.values())):
            raise ValueError(
                f"coords: has {len(self.coords)} entries but the zipped fields have "
                f"{next(iter(lens.values()))} values"
            )
        return self

    def axis_name(self) -> str:
        return self.name or "+".join(self.axes())


class TrainSettings(BaseModel):
    """How ``risk.trained`` trains (numerics.training.TrainSpec fields; the seed is ``[run].seed``)."""

    model_config = _STRICT

    arch: Literal["gla-delimiter", "gla-vector", "linatt"] = "gla-delimiter"
    layers: int = Field(1, ge=1)
    steps: int = Field(300, ge=1)
    eval_prompts: int = Field(20_000, ge=100)


class SweepSection(BaseModel):
    model_config = _STRICT

    axes: dict[str, Any] = Field(default_factory=dict)
    zip: list[ZipGroup] = Field(default_factory=list)
    cache_dir: str | None = None  # None: platformdirs' user cache dir (proofs_check.paths.user_cache_dir)
    train: TrainSettings = TrainSettings()

    @field_validator("axes")
    @classmethod
    def _axes_are_lists(cls, v: dict[str, Any]) -> dict[str, Any]:
        for k, vals in _flatten_axes(v).items():
            if not isinstance(vals, list) or not vals:
                raise ValueError(f"{k}: an axis must be a non-empty list of values")
        return v


class TableSpec(BaseModel):
    """A table: one row per cell (filtered by ``where``), ``index`` axes first, then one column per
    quantity."""

    model_config = _STRICT

    name: str = Field(pattern=r"^[A-Za-z0-9_\-]+$")
    caption: str = ""
    index: list[str] = Field(default_factory=list)
    columns: list[str]
    where: dict[str, Any] = Field(default_factory=dict)
    digits: int = Field(4, ge=1, le=12, description="significant digits")

    @field_validator("columns")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("must list at least one quantity")
        for q in v:
            if q not in QUANTITIES:
                raise ValueError(f"unknown quantity {q!r}; known: {', '.join(quantity_names())}")
        return v


class FigureSpec(BaseModel):
    """A figure.

    - ``omega``: ω* against position, one panel per cell, one line per architecture (``columns``: ω);
    - ``line``: ``x`` (an axis) against quantities, one line per quantity (and per ``series`` axis value);
    - ``scatter``: quantity ``x`` against quantities (e.g. trained vs theoretical risk), with the diagonal;
    - ``r6``: the R6 certificate and search summaries, one small panel per reported number.

    ``ylabel`` overrides the axis label derived from the quantities; ``log`` draws the value axis on a
    log scale (symlog when a value is <= 0, said in the footer); ``max_panels`` caps the panels of an
    ``omega`` figure (default: every cell; a cap that drops cells is reported).
    """

    model_config = _STRICT

    name: str = Field(pattern=r"^[A-Za-z0-9_\-]+$")
    kind: Literal["omega", "line", "scatter", "r6"]
    title: str = ""
    x: str | None = None
    xlabel: str | None = None
    ylabel: str | None = None
    log: bool = False
    columns: list[str] = Field(default_factory=list)
    series: str | None = None
    where: dict[str, Any] = Field(default_factory=dict)
    max_panels: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _kind_fields(self) -> FigureSpec:
        for q in self.columns:
            if q not in QUANTITIES:
                raise ValueError(f"columns: unknown quantity {q!r}; known: {', '.join(quantity_names())}")
        if self.kind in ("line", "scatter") and (self.x is None or not self.columns):
            raise ValueError(f"x: kind = {self.kind!r} needs x and columns")
        if self.kind == "scatter" and self.x not in QUANTITIES:
            raise ValueError(f"x: kind = 'scatter' needs x to be a quantity, got {self.x!r}")
        return self


class SweepConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)

    model: ModelConfig
    run: RunConfig = RunConfig()
    sweep: SweepSection = SweepSection()
    table: list[TableSpec] = Field(default_factory=list)
    figure: list[FigureSpec] = Field(default_factory=list)

    def quantities(self) -> list[str]:
        """Every quantity some table or figure needs (in first-use order)."""
        out: list[str] = []
        for t in self.table:
            out += t.columns
        for f in self.figure:
            out += (f.columns or (OMEGA_DEFAULT if f.kind == "omega" else [])) + (
                [f.x] if f.kind == "scatter" and f.x else []
            )
            if f.kind == "r6" and not f.columns:
                out += ["r6.certificate", "r6.search"]
        return list(dict.fromkeys(out))

    def needs(self, cell: Cell) -> list[str]:
        """The quantities some table or figure needs on this cell (respecting their ``where``)."""
        out: list[str] = []
        for t in self.table:
            if cell.matches(t.where):
                out += t.columns
        for f in self.figure:
            if cell.matches(f.where):
                out += (f.columns or (OMEGA_DEFAULT if f.kind == "omega" else [])) + (
                    [f.x] if f.kind == "scatter" and f.x else []
                )
                if f.kind == "r6" and not f.columns:
                    out += ["r6.certificate", "r6.search"]
        return list(dict.fromkeys(out))

    def content_hash(self) -> str:
        return content_hash(self.model_dump(mode="json"))


def content_hash(obj: Any) -> str:
    """SHA-256 of the canonical JSON of ``obj``."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Axis:
    """One product axis: a single field or a zip group. ``values[i]`` maps field path -> value."""

    name: str
    fields: tuple[str, ...]
    values: tuple[dict[str, Any], ...]
    labels: tuple[str, ...]
    coords: tuple[float | None, ...] = ()


@dataclass(frozen=True)
class Cell:
    """One sweep cell: its index, the axis labels and the validated model config."""

    index: int
    labels: dict[str, str]  # axis name -> label
    settings: dict[str, Any]  # field path -> value set by the sweep
    model: ModelConfig
    coords: dict[str, float] = field(default_factory=dict)  # axis name -> numeric coordinate, if any

    def matches(self, where: dict[str, Any]) -> bool:
        """``where``: axis -> label (or value), or a list of them (any of)."""
        for k, want in where.items():
            options = want if isinstance(want, list) else [want]
            if not any(self.labels.get(k) in (o, _fmt_value(o)) for o in options):
                return False
        return True

    def label(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.labels.items()) or "base"


def _fmt_value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, list):
        return "[" + ", ".join(_fmt_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}={_fmt_value(x)}" for k, x in v.items()) + "}"
    return str(v)


def axes_of(cfg: SweepConfig) -> list[Axis]:
    axes: list[Axis] = []
    for path, vals in _flatten_axes(cfg.sweep.axes).items():
        coords = tuple(
            float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None for v in vals
        )
        axes.append(
            Axis(path, (path,), tuple({path: v} for v in vals), tuple(_fmt_value(v) for v in vals), coords)
        )
    for g in cfg.sweep.zip:
        fields = g.axes()
        n = len(next(iter(fields.values())))
        values = tuple({k: fields[k][i] for k in fields} for i in range(n))
        labels = (
            tuple(g.labels)
            if g.labels
            else tuple(", ".join(_fmt_value(v) for v in val.values()) for val in values)
        )
        coords = tuple(g.coords) if g.coords else (None,) * n
        axes.append(Axis(g.axis_name(), tuple(fields), values, labels, coords))
    names = [a.name for a in axes]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise InputError("sweep", f"axis name(s) used twice: {', '.join(sorted(dup))}")
    paths = [p for a in axes for p in a.fields]
    dup = {p for p in paths if paths.count(p) > 1}
    if dup:
        raise InputError("sweep", f"field(s) set by two axes: {', '.join(sorted(dup))}")
    return axes


def _set_path(data: dict[str, Any], path: str, value: Any, axis: str) -> None:
    parts = path.split(".")
    node = data
    for p in parts[:-1]:
        nxt = node.get(p)
        if nxt is None:
            nxt = node[p] = {}
        if not isinstance(nxt, dict):
            raise InputError(f"sweep.axes.{axis}", f"{path}: {p} is not a section of [model]")
        node = nxt
    node[parts[-1]] = copy.deepcopy(value)


def _valid(data: dict[str, Any]) -> bool:
    try:
        build_model_config(data)
    except InputError:
        return False
    return True


def _culprit_axis(base: dict, axes: list[Axis], combo: tuple[int, ...], field: str) -> str | None:
    """The axis that makes a cell invalid: the one that sets the offending field, else the one whose value,
    left at the base config, makes the cell valid."""
    for a in axes:
        if any(
            field == p or field.startswith((p + ".", p + "[")) or p.startswith(field + ".") for p in a.fields
        ):
            return a.name
    for skip, a in enumerate(axes):
        data = copy.deepcopy(base)
        for j, (axis, i) in enumerate(zip(axes, combo, strict=False)):
            if j != skip:
                for path, val in axis.values[i].items():
                    _set_path(data, path, val, axis.name)
        if _valid(data):
            return a.name
    return None


def expand_cells(cfg: SweepConfig) -> list[Cell]:
    """The product of the axes, each a validated ModelConfig. Errors name the axis and the cell."""
    axes = axes_of(cfg)
    base = cfg.model.model_dump(exclude_none=True)
    cells: list[Cell] = []
    for idx, combo in enumerate(itertools.product(*[range(len(a.values)) for a in axes])):
        data = copy.deepcopy(base)
        settings: dict[str, Any] = {}
        labels: dict[str, str] = {}
        coords: dict[str, float] = {}
        for axis, i in zip(axes, combo, strict=False):
            labels[axis.name] = axis.labels[i]
            if axis.coords and axis.coords[i] is not None:
                coords[axis.name] = axis.coords[i]
            for path, val in axis.values[i].items():
                _set_path(data, path, val, axis.name)
                settings[path] = val
        try:
            model = build_model_config(data)
        except InputError as exc:
            culprit = _culprit_axis(base, axes, combo, exc.field.removeprefix("model."))
            where = f"sweep.axes.{culprit}" if culprit else "sweep"
            cell = ", ".join(f"{k}={v}" for k, v in labels.items())
            raise InputError(
                where,
                f"cell {idx} ({cell}) is not a valid model: {exc.field}: {exc.constraint}"
                + ("" if culprit else f" (axes: {', '.join(a.name for a in axes)})"),
            ) from None
        cells.append(Cell(idx, labels, settings, model, coords))
    return cells


def parse_sweep_config(data: dict[str, Any]) -> SweepConfig:
    _reject_nonfinite(data, "")
    try:
        cfg = SweepConfig.model_validate(data)
    except ValidationError as exc:
        raise _format_validation_error(exc) from None
    names = [t.name for t in cfg.table] + [f.name for f in cfg.figure]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise InputError("table/figure.name", f"names must be unique, repeated: {', '.join(sorted(dup))}")
    axis_names = {a.name for a in axes_of(cfg)}
    for kind, specs in (("table", cfg.table), ("figure", cfg.figure)):
        for i, s in enumerate(specs):
            for ax in [*getattr(s, "index", []), *s.where]:
                if ax not in axis_names:
                    raise InputError(
                        f"{kind}[{i}]",
                        f"{ax!r} is not a sweep axis (axes: {', '.join(sorted(axis_names)) or 'none'})",
                    )
            for ax in (getattr(s, "series", None),) + (
                (s.x,) if kind == "figure" and s.kind == "line" else ()
            ):
                if ax is not None and ax not in axis_names:
                    raise InputError(
                        f"{kind}[{i}]",
                        f"{ax!r} is not a sweep axis (axes: {', '.join(sorted(axis_names)) or 'none'})",
                    )
    expand_cells(cfg)
    return cfg


def load_sweep_config(path: str | Path) -> SweepConfig:
    p = Path(path)
    if p.is_dir():
        raise InputError("--config", f"is a directory, not a file: {p}")
    if not p.is_file():
        raise InputError("--config", f"file not found: {p}")
    try:
        text = p.read_bytes().decode("utf-8")
    except OSError as exc:
        raise InputError("--config", f"cannot read the file: {exc.strerror or exc}: {p}") from None
    except UnicodeDecodeError:
        raise InputError("--config", f"not a UTF-8 text file (binary?): {p}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError("--config", f"not valid TOML: {exc}") from None
    cfg = parse_sweep_config(data)
    if not cfg.table and not cfg.figure:
        raise InputError(
            "table/figure", "the config asks for no [[table]] and no [[figure]]: nothing to compute"
        )
    return cfg
