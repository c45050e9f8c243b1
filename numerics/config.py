"""Validated configuration (pydantic), read from TOML.

The ``[model]`` schema is the public contract of the project (see ``docs/config.md``)::

    [model]
    d = 4
    n = 12
    noise_var = 0.1
    [model.features]
    covariance = "identity"      # "identity" | "diagonal" | "full"
    scale = 1.0
    [model.tasks]
    family = "star"              # "iid" | "star" | "decay" | "custom"
    block_sizes = [4, 4, 4]
    rho = [0.2, 0.5, 0.9]

Every violation raises :class:`~glaverify.numerics.errors.InputError` naming the field (``model.tasks.rho``)
and the constraint. Nothing is silently repaired.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from .errors import InputError
from .linalg import as_finite_array, check_correlation, check_psd

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: Input limits (docs/config.md, "Limits"). d: Σ alone takes 8·d² bytes (80 GB at d = 10⁵); n: the
#: weights, the block indicator and every sampled prompt grow with n. Magnitudes: the risks involve up to
#: the fourth power of Σ; measured, the numeric R3 certificate keeps its 1e-8 relative tolerance up to
#: scale 1e12 and fails at 1e20 (rounding, not the theory), so larger values are refused, not misjudged.
MAX_D = 100_000
MAX_N = 10_000_000
MAX_MAGNITUDE = 1e12
#: the smallest Σ eigenvalue / scale accepted: below the matrix tolerance a Σ is numerically singular
MIN_SCALE = 1e-10

_STRICT = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True, validate_default=True, strict=True)


class FeaturesConfig(BaseModel):
    """Feature covariance Σ (``[model.features]``)."""

    model_config = _STRICT

    covariance: Literal["identity", "diagonal", "full"] = "identity"
    scale: float = Field(1.0, gt=0, description="identity: Σ = scale·I")
    eigenvalues: list[float] | None = Field(None, description="diagonal: the diagonal of Σ")
    matrix: list[list[float]] | None = Field(None, description="full: Σ itself, symmetric positive definite")

    @field_validator("scale")
    @classmethod
    def _scale_range(cls, v: float) -> float:
        if v > 0 and not (MIN_SCALE <= v <= MAX_MAGNITUDE):
            raise ValueError(
                f"must lie in [{MIN_SCALE:g}, {MAX_MAGNITUDE:g}] "
                "(outside it Σ is numerically singular or its powers overflow float64)"
            )
        return v

    @model_validator(mode="after")
    def _shape_fields(self) -> FeaturesConfig:
        if self.covariance == "diagonal":
            if self.eigenvalues is None:
                raise ValueError("eigenvalues: required when covariance = 'diagonal'")
            if any(not (v > 0) for v in self.eigenvalues):
                raise ValueError("eigenvalues: every eigenvalue must be > 0 (Σ must be positive definite)")
            if any(v < MIN_SCALE or v > MAX_MAGNITUDE for v in self.eigenvalues):
                raise ValueError(
                    f"eigenvalues: every eigenvalue must lie in [{MIN_SCALE:g}, {MAX_MAGNITUDE:g}] "
                    "(outside it Σ is numerically singular or its powers overflow float64)"
                )
        elif self.eigenvalues is not None:
            raise ValueError(
                f"eigenvalues: only allowed with covariance = 'diagonal', not {self.covariance!r}"
            )
        if self.covariance == "full":
            if self.matrix is None:
                raise ValueError("matrix: required when covariance = 'full'")
            mat = as_finite_array(self.matrix, "matrix", ndim=2)
            if mat.size and float(np.max(np.abs(mat))) > MAX_MAGNITUDE:
                raise ValueError(f"matrix: every entry must have |entry| <= {MAX_MAGNITUDE:g}")
            try:
                check_psd(mat, "matrix", strict=True)
            except InputError as exc:
                raise ValueError(str(exc)) from None
        elif self.matrix is not None:
            raise ValueError(f"matrix: only allowed with covariance = 'full', not {self.covariance!r}")
        return self

    def dimension(self) -> int | None:
        """The dimension fixed by this section, or None if it fits any d (identity)."""
        if self.covariance == "diagonal":
            return len(self.eigenvalues or [])
        if self.covariance == "full":
            return len(self.matrix or [])
        return None

    def sigma(self, d: int) -> np.ndarray:
        if self.covariance == "identity":
            return self.scale * np.eye(d)
        if self.covariance == "diagonal":
            return np.diag(np.asarray(self.eigenvalues, dtype=np.float64))
        mat = np.asarray(self.matrix, dtype=np.float64)
        return 0.5 * (mat + mat.T)


class TasksConfig(BaseModel):
    """Task-correlation structure of the multitask prompt (``[model.tasks]``)."""

    model_config = _STRICT

    family: Literal["iid", "star", "decay", "custom"] = "iid"
    block_sizes: list[StrictInt] | None = None
    rho: list[float] | float | None = None
    correlation: list[list[float]] | None = None

    @field_validator("block_sizes")
    @classmethod
    def _positive_blocks(cls, v: list[int] | None) -> list[int] | None:
        if v is not None:
            if len(v) == 0:
                raise ValueError("must list at least one block")
            if any(b < 1 for b in v):
                raise ValueError("every block size must be >= 1")
        return v

    @model_validator(mode="after")
    def _family_fields(self) -> TasksConfig:
        fam = self.family
        if fam != "custom" and self.correlation is not None:
            raise ValueError(f"correlation: only allowed with family = 'custom', not {fam!r}")
        if fam == "iid":
            if self.rho is not None:
                raise ValueError("rho: not allowed with family = 'iid' (all examples share the query task)")
            if self.block_sizes is not None and len(self.block_sizes) != 1:
                raise ValueError("block_sizes: family = 'iid' has a single block; omit block_sizes")
            return self
        if self.block_sizes is None:
            raise ValueError(f"block_sizes: required for family = {fam!r}")
        k = len(self.block_sizes)
        if fam == "star":
            rho = self.rho
            if not isinstance(rho, list):
                raise ValueError(f"rho: family = 'star' needs a list of {k} numbers, one per block")
            if len(rho) != k:
                raise ValueError(f"rho: has {len(rho)} entries but block_sizes has {k} blocks")
            if any(abs(x) > 1 for x in rho):
                raise ValueError("rho: every entry must lie in [-1, 1]")
        elif fam == "decay":
            rho = self.rho
            if rho is None or isinstance(rho, list):
                raise ValueError("rho: family = 'decay' needs one number in [-1, 1]")
            if abs(rho) > 1:
                raise ValueError("rho: must lie in [-1, 1]")
        else:  # custom
            if self.rho is not None:
                raise ValueError("rho: not allowed with family = 'custom' (give correlation)")
            if self.correlation is None:
                raise ValueError("correlation: required for family = 'custom'")
            mat = as_finite_array(self.correlation, "correlation", ndim=2)
            if mat.shape != (k + 1, k + 1):
                raise ValueError(
                    f"correlation: must be (K+1)x(K+1) = {k + 1}x{k + 1} for K = {k} blocks, got {mat.shape}"
                )
            try:
                check_correlation(mat, "correlation")
            except InputError as exc:
                raise ValueError(str(exc)) from None
        return self

    def block_correlation(self, n: int) -> tuple[list[int], np.ndarray]:
        """Block sizes and the (K+1)x(K+1) block-task correlation (last row/column = the query task)."""
        if self.family == "iid":
            return [n], np.ones((2, 2))
        sizes = list(self.block_sizes or [])
        k = len(sizes)
        if self.family == "star":
            rho = np.asarray(self.rho, dtype=np.float64)
            c = np.outer(rho, rho)
            np.fill_diagonal(c, 1.0)
            full = np.ones((k + 1, k + 1))
            full[:k, :k] = c
            full[:k, k] = rho
            full[k, :k] = rho
            return sizes, full
        if self.family == "decay":
            rho = float(self.rho)  # type: ignore[arg-type]
            idx = np.arange(k + 1)
            dist = np.abs(idx[:, None] - idx[None, :])
            return sizes, np.where(dist == 0, 1.0, rho ** dist.astype(np.float64))
        return sizes, np.asarray(self.correlation, dtype=np.float64)


class ModelConfig(BaseModel):
    """The data model of docs/data-model.md (``[model]``)."""

    model_config = _STRICT

    d: StrictInt = Field(4, ge=1, description="feature dimension")
    n: StrictInt = Field(12, ge=1, description="number of in-context examples")
    noise_var: float = Field(0.1, ge=0, description="label noise variance σ²")
    features: FeaturesConfig = FeaturesConfig()
    tasks: TasksConfig = TasksConfig()

    @field_validator("noise_var")
    @classmethod
    def _noise_range(cls, v: float) -> float:
        if v > MAX_MAGNITUDE:
            raise ValueError(
                f"must be <= {MAX_MAGNITUDE:g} (beyond it the numeric certificates lose float64 accuracy)"
            )
        return v

    @field_validator("d", "n")
    @classmethod
    def _dim_limit(cls, v: int, info: Any) -> int:
        lim = MAX_D if info.field_name == "d" else MAX_N
        if v > lim:
            why = "Σ alone would need 8·d² bytes" if info.field_name == "d" else "every prompt grows with n"
            raise ValueError(f"must be <= {lim} ({why})")
        return v

    @model_validator(mode="after")
    def _cross_checks(self) -> ModelConfig:
        fd = self.features.dimension()
        if fd is not None and fd != self.d:
            what = "eigenvalues" if self.features.covariance == "diagonal" else "matrix"
            raise ValueError(f"features.{what}: has dimension {fd} but d = {self.d}")
        if self.tasks.block_sizes is not None and sum(self.tasks.block_sizes) != self.n:
            raise ValueError(
                f"tasks.block_sizes: must sum to n = {self.n}, got sum {sum(self.tasks.block_sizes)}"
            )
        return self

    def with_dims(self, d: int | None = None, n: int | None = None) -> ModelConfig:
        """Override d and/or n. Refuses (never rescales) when the config pins the other fields to them."""
        data = self.model_dump()
        if d is not None:
            data["d"] = d
        if n is not None:
            data["n"] = n
        return build_model_config(data)


    def restricted(self, d: int, n: int) -> ModelConfig:
        """The same model at smaller dims (``--symbolic-dims d,n``): Σ's leading d×d block (identity keeps
        its scale), the blocks re-split as evenly as possible over n (the last n blocks if n < K), and
        the correlation of the kept blocks. Refuses dims larger than the model's."""
        if not (1 <= d <= self.d) or not (1 <= n <= self.n):
            raise InputError(
                "--symbolic-dims",
                f"must satisfy 1 <= d <= {self.d} and 1 <= n <= {self.n} (the model's dims)",
                f"{d},{n}",
            )
        data = self.model_dump()
        data["d"], data["n"] = d, n
        feats = data["features"]
        if feats["covariance"] == "diagonal":
            feats["eigenvalues"] = feats["eigenvalues"][:d]
        elif feats["covariance"] == "full":
            feats["matrix"] = [row[:d] for row in feats["matrix"][:d]]
        tasks = data["tasks"]
        if tasks["family"] != "iid":
            k_all = len(tasks["block_sizes"])
            keep = list(range(max(0, k_all - n), k_all))
            k = len(keep)
            tasks["block_sizes"] = [n // k + (1 if i < n % k else 0) for i in range(k)]
            if tasks["family"] == "star":
                tasks["rho"] = [tasks["rho"][i] for i in keep]
            elif tasks["family"] == "custom":
                idx = keep + [k_all]
                tasks["correlation"] = [[tasks["correlation"][i][j] for j in idx] for i in idx]
        return build_model_config(data)


class RunConfig(BaseModel):
    """How checks run (``[run]``): seeds, Monte Carlo sizes, tolerances."""

    model_config = _STRICT

    seed: StrictInt = Field(0, ge=0)
    mc_prompts: StrictInt = Field(200_000, ge=100, description="Monte Carlo prompts per estimate")
    confidence: float = Field(0.999, gt=0, lt=1, description="two-sided confidence level of Monte Carlo CIs")
    tolerance: float = Field(1e-8, gt=0, description="relative tolerance of numeric certificates")


class TrainSection(BaseModel):
    """Training settings (``[train]``) for ``glaverify train``; unset fields take the command's defaults."""

    model_config = _STRICT

    steps: StrictInt | None = Field(None, ge=1, description="Adam steps")
    batch: StrictInt | None = Field(None, ge=1, description="prompts per step")
    lr: float | None = Field(None, gt=0, description="Adam learning rate")
    eval_prompts: StrictInt | None = Field(None, ge=1, description="fresh prompts for the risk estimate")

    def options(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class LandscapeSection(BaseModel):
    """Landscape settings (``[landscape]``) for ``glaverify landscape``."""

    model_config = _STRICT

    starts: StrictInt | None = Field(None, ge=1, description="multi-start local optimisations (route c)")
    cvxpy: bool | None = Field(None, description="run the cvxpy route (b)")

    def options(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


# --- [counterexample] (added by the search work, issue 13; see docs/testing.md) -------------------------
class CounterexampleSection(BaseModel):
    """A counterexample written by ``glaverify search`` (``[counterexample]``), replayed by
    ``glaverify check CLAIM --config FILE``. ``values`` holds the instance's values besides the model
    (ω, P, gates, ...); the other keys record how it was found and confirmed."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)

    claim: str
    values: dict[str, Any] = Field(default_factory=dict)
    found_by: str = ""
    seed: int | None = None
    residual: float | None = None
    tolerance: float | None = None
    confirmed: bool = False
    confirmed_by: str = ""
    exact: bool = False
    summary: str = ""


class GlaverifyConfig(BaseModel):
    """A glaverify config file. ``[model]`` is required; other sections are optional."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True, strict=True)

    model: ModelConfig
    run: RunConfig = RunConfig()
    train: TrainSection | None = None
    landscape: LandscapeSection | None = None
    counterexample: CounterexampleSection | None = None  # added by issue 13 (search replay files)


_UNION_TAGS = ("list[", "float", "int", "str", "dict[")


def _field_name(loc: tuple, prefix: str) -> str:
    """``("tasks", "rho", "list[float]", 1)`` -> ``model.tasks.rho[1]`` (union member tags dropped)."""
    out = prefix
    for part in loc:
        text = str(part)
        if text.startswith("function-after") or text.startswith(_UNION_TAGS):
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out = f"{out}.{text}" if out else text
    return out


def _constraint_text(msg: str) -> str:
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if msg == "Field required":
        return "required field is missing"
    if msg.startswith("Input should be "):
        msg = "must be " + msg[len("Input should be ") :]
    return msg


def _format_validation_error(exc: ValidationError, prefix: str = "") -> InputError:
    errors = exc.errors()
    err = errors[0]
    field = _field_name(tuple(err.get("loc", ())), prefix)
    if err.get("type") == "extra_forbidden":
        return InputError(field or "config", "unknown key (not part of the schema)")
    msg = _constraint_text(err.get("msg", "invalid value"))
    # a union field (e.g. rho: number or list) reports one error per member: name them all
    same = [_constraint_text(e.get("msg", "")) for e in errors[1:]
            if _field_name(tuple(e.get("loc", ())), prefix) == field and e.get("type") != "extra_forbidden"]
    if same:
        msg = " or ".join(dict.fromkeys([msg, *same]))
    # validators of a section report "sub.field: constraint"; lift the sub-field into the name
    if ": " in msg and " " not in msg.split(": ", 1)[0]:
        sub, msg = msg.split(": ", 1)
        field = f"{field}.{sub}" if field else sub
    return InputError(field or "config", msg)


def build_model_config(data: dict[str, Any]) -> ModelConfig:
    try:
        return ModelConfig.model_validate(data)
    except ValidationError as exc:
        raise _format_validation_error(exc, "model") from None


def parse_config(data: dict[str, Any]) -> GlaverifyConfig:
    _reject_nonfinite(data, "")
    try:
        return GlaverifyConfig.model_validate(data)
    except ValidationError as exc:
        raise _format_validation_error(exc) from None


def load_config(path: str | Path) -> GlaverifyConfig:
    """Read and validate a TOML config file."""
    p = Path(path)
    if p.is_dir():
        raise InputError("config", f"is a directory, not a file: {p}")
    if not p.is_file():
        raise InputError("config", f"file not found: {p}")
    try:
        text = p.read_bytes().decode("utf-8")
    except OSError as exc:
        raise InputError("config", f"cannot read the file: {exc.strerror or exc}: {p}") from None
    except UnicodeDecodeError:
        raise InputError("config", f"not a UTF-8 text file (binary?): {p}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError("config", f"not valid TOML: {exc}") from None
    return parse_config(data)


def _reject_nonfinite(obj: Any, where: str) -> None:
    if isinstance(obj, float) and not math.isfinite(obj):
        raise InputError(where or "config", "must be finite (no NaN or inf)", obj)
    if isinstance(obj, dict):
        for k, v in obj.items():
            _reject_nonfinite(v, f"{where}.{k}" if where else str(k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            _reject_nonfinite(v, f"{where}[{i}]")


def default_model_config(d: int = 4, n: int = 12) -> ModelConfig:
    """The model used when no config file is given: a general (diagonal, non-isotropic) Σ and a
    3-block star family with increasing correlation to the query. Documented in docs/config.md."""
    for name, v, lim in (("d", d, MAX_D), ("n", n, MAX_N)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise InputError(name, "must be an integer >= 1", v)
        if v > lim:
            raise InputError(name, f"must be <= {lim} (docs/config.md, limits)", v)
    k = min(3, n)
    sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
    eig = [round(float(x), 6) for x in np.linspace(0.5, 2.0, d)] if d > 1 else [1.0]
    rho = [round(float(x), 6) for x in np.linspace(0.2, 0.9, k)] if k > 1 else [0.9]
    return build_model_config(
        {
            "d": d,
            "n": n,
            "noise_var": 0.1,
            "features": {"covariance": "diagonal", "eigenvalues": eig},
            "tasks": {"family": "star", "block_sizes": sizes, "rho": rho},
        }
    )
