"""Pieces shared by the claim searches: model strategies per phase, exact rationals, coverage."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
from glaverify.numerics.config import build_model_config
from glaverify.numerics.model import DataModel
from glaverify.numerics.strategies import model_config_dicts
from hypothesis import strategies as st

from .spec import Instance, SearchOptions


def model_strategy(phase: str, opts: SearchOptions, **kw: Any) -> st.SearchStrategy[dict]:
    """``[model]`` tables for a phase: ``random`` (condition ≤ 1e4, any family), ``degenerate`` (condition
    up to 1e8, near-singular custom correlations, tiny or zero noise), ``targeted`` (as random; the engine
    steers it with ``hypothesis.target``)."""
    base = {"max_d": opts.max_d, "max_n": opts.max_n, "max_blocks": 6}
    base.update(kw)
    if phase == "degenerate":
        base.setdefault("max_condition", 1e8)
        base.setdefault("near_singular", True)
        base.setdefault("noise_var", st.one_of(st.just(0.0), st.floats(1e-9, 1e-4)))
    return model_config_dicts(**base)


def data_model(inst: Instance) -> DataModel:
    """The validated model of an instance (``InputError`` names the field of a bad one)."""
    return DataModel.from_config(build_model_config(inst["model"]))


def model_coverage(inst: Instance) -> dict[str, float]:
    m = inst["model"]
    feats = m["features"]
    if feats["covariance"] == "diagonal":
        ev = np.asarray(feats["eigenvalues"])
        cond = float(ev.max() / ev.min())
    elif feats["covariance"] == "full":
        ev = np.linalg.eigvalsh(np.asarray(feats["matrix"]))
        cond = float(ev.max() / max(ev.min(), 1e-300))
    else:
        cond = 1.0
    tasks = m["tasks"]
    return {
        "d": m["d"],
        "n": m["n"],
        "K": len(tasks.get("block_sizes") or [1]),
        "log10_condition": float(np.log10(cond)),
        "noise_var": m["noise_var"],
    }


def frac(x: float) -> Fraction:
    """The exact value of a float64 (its binary value: the number the float code computed with)."""
    return Fraction(float(x))


def frac_matrix(a: np.ndarray) -> list[list[Fraction]]:
    return [[frac(v) for v in row] for row in np.asarray(a, dtype=np.float64)]


def exact_model(
    model: DataModel,
) -> tuple[list[list[Fraction]], list[list[Fraction]], list[Fraction], Fraction]:
    """Σ, R (n×n), r, σ² of a model as exact rationals (the float64 values the fast route used)."""
    R = frac_matrix(model.R)
    return frac_matrix(model.sigma), R, [frac(v) for v in model.r], frac(model.noise_var)


def rel(a: float, b: float) -> float:
    """|a − b| relative to the size of the numbers compared."""
    return abs(a - b) / max(1.0, abs(a), abs(b))


def vec(draw: Any, n: int, lo: float = -2.0, hi: float = 2.0) -> list[float]:
    return draw(st.lists(st.floats(lo, hi, allow_subnormal=False), min_size=n, max_size=n))


def nonzero_vec(draw: Any, n: int) -> list[float]:
    w = vec(draw, n)
    if max(abs(v) for v in w) < 1e-3:
        w[draw(st.integers(0, n - 1))] = 1.0
    return w
