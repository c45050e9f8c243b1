"""Hypothesis strategies for the objects of the data model, reusable in any property test.

Every strategy draws only valid objects (they pass :mod:`glaverify.numerics.config` validation), so a
property test that fails points at the code under test, not at the input. Dimensions are kept small by
default (d ≤ 6, n ≤ 16) so hundreds of examples run in seconds; every size can be pinned or widened.

Overview (all return ``hypothesis`` strategies)::

    eigenvalue_lists(d, max_condition)          positive spectra with a chosen condition number
    spd_matrices(d, max_condition, kind)        Σ ≻ 0, diagonal or full (random rotation)
    correlation_matrices(size, near_singular)   PSD, unit diagonal, possibly (near-)singular
    block_sizes(n, max_blocks)                  compositions of n into K ≥ 1 positive parts
    features_configs(d, ...)                    ``[model.features]`` dicts: identity / diagonal / full
    tasks_configs(n, families)                  ``[model.tasks]`` dicts: iid / star / decay / custom
    model_config_dicts(...) / model_configs(...) whole ``[model]`` sections / validated ``ModelConfig``
    data_models(...)                            ``DataModel`` objects
    weight_vectors(n) / preconditioners(d)      ω and P for the risk formulas
    prompts(model, batch)                       sampled ``Prompts`` from a drawn seed

Example::

    from hypothesis import given
    from glaverify.numerics.strategies import data_models

    @given(data_models(max_d=4))
    def test_null_risk_is_s(model):
        ...
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from .config import ModelConfig, build_model_config
from .model import DataModel
from .sampler import Prompts, sample_prompts

FAMILIES = ("iid", "star", "decay", "custom")
COVARIANCES = ("identity", "diagonal", "full")

_SEEDS = st.integers(min_value=0, max_value=2**32 - 1)


def _dim(value: int | st.SearchStrategy[int] | None, lo: int, hi: int) -> st.SearchStrategy[int]:
    if value is None:
        return st.integers(lo, hi)
    if isinstance(value, int):
        return st.just(value)
    return value


def _orthogonal(d: int, seed: int) -> np.ndarray:
    """A Haar-random orthogonal matrix (QR of a Gaussian matrix with the sign fix)."""
    rng = np.random.default_rng(seed)
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    return q * np.sign(np.diag(r))


# ---------------------------------------------------------------------------------------------- Σ
@st.composite
def eigenvalue_lists(draw, d: int | st.SearchStrategy[int] | None = None, max_condition: float = 1e4,
                     min_scale: float = 1e-2, max_scale: float = 1e2) -> list[float]:
    """``d`` positive eigenvalues (ascending) whose condition number λ_max/λ_min is drawn log-uniformly in
    ``[1, max_condition]`` (``max_condition`` up to 1e8) and attained exactly for d ≥ 2; the smallest is
    drawn log-uniformly in ``[min_scale, max_scale]``. Ties (e.g. Σ ∝ I) are drawn too."""
    if not 1.0 <= max_condition <= 1e12:
        raise ValueError("max_condition must lie in [1, 1e12]")
    dd = draw(_dim(d, 1, 6))
    lo = 10 ** draw(st.floats(np.log10(min_scale), np.log10(max_scale)))
    if dd == 1:
        return [float(lo)]
    cond = 10 ** draw(st.floats(0.0, np.log10(max_condition)))
    inner = draw(st.lists(st.floats(0.0, 1.0), min_size=dd - 2, max_size=dd - 2))
    exps = sorted([0.0, 1.0, *inner])
    return [float(lo * cond**t) for t in exps]


@st.composite
def spd_matrices(draw, d: int | st.SearchStrategy[int] | None = None, max_condition: float = 1e4,
                 kind: str | None = None) -> np.ndarray:
    """Σ ≻ 0 of size d: ``kind="diagonal"`` (diag of :func:`eigenvalue_lists`), ``"full"`` (the same
    spectrum rotated by a Haar-random orthogonal matrix from a drawn seed) or either (``None``). The
    condition number is at most ``max_condition`` (up to 1e8 is accepted by the validation)."""
    eig = np.asarray(draw(eigenvalue_lists(d, max_condition)))
    k = kind or draw(st.sampled_from(["diagonal", "full"]))
    if k == "diagonal":
        return np.diag(eig)
    if k != "full":
        raise ValueError(f"kind must be 'diagonal' or 'full', not {k!r}")
    u = _orthogonal(len(eig), draw(_SEEDS))
    sig = (u * eig) @ u.T
    return 0.5 * (sig + sig.T)


# ---------------------------------------------------------------------------------------------- C
@st.composite
def correlation_matrices(draw, size: int | st.SearchStrategy[int] | None = None,
                         near_singular: bool | None = None) -> np.ndarray:
    """A ``size×size`` correlation matrix: symmetric, unit diagonal, PSD. Built as the normalised Gram
    matrix of ``size`` Gaussian vectors in a space of drawn rank ``k ≤ size``: ``k < size`` gives an exactly
    singular matrix (up to rounding), and ``near_singular=True`` forces that, optionally blended with a tiny
    multiple (1e-12..1e-6) of the identity; ``False`` blends with at least 0.05·I (well conditioned)."""
    m = draw(_dim(size, 1, 5))
    seed = draw(_SEEDS)
    ns = draw(st.booleans()) if near_singular is None else near_singular
    rng = np.random.default_rng(seed)
    rank = draw(st.integers(1, max(1, m - 1))) if ns and m > 1 else m
    v = rng.standard_normal((m, rank))
    g = v @ v.T
    dg = np.sqrt(np.diag(g))
    c = g / np.outer(dg, dg)
    eps = 10 ** draw(st.floats(-12, -6)) if ns else draw(st.floats(0.05, 1.0))
    if ns and draw(st.booleans()):
        eps = 0.0
    c = (1 - eps) * c + eps * np.eye(m)
    c = 0.5 * (c + c.T)
    np.fill_diagonal(c, 1.0)
    return c


# ---------------------------------------------------------------------------------------------- blocks
@st.composite
def block_sizes(draw, n: int | st.SearchStrategy[int] | None = None, max_blocks: int = 5) -> list[int]:
    """A composition of ``n`` into ``K ∈ [1, min(n, max_blocks)]`` positive block sizes (prompt order)."""
    nn = draw(_dim(n, 1, 16))
    k = draw(st.integers(1, max(1, min(nn, max_blocks))))
    cuts = sorted(draw(st.sets(st.integers(1, nn - 1), min_size=k - 1, max_size=k - 1))) if k > 1 else []
    edges = [0, *cuts, nn]
    return [edges[i + 1] - edges[i] for i in range(k)]


# ---------------------------------------------------------------------------------------------- configs
@st.composite
def features_configs(draw, d: int, covariances: tuple[str, ...] = COVARIANCES,
                     max_condition: float = 1e4) -> dict[str, Any]:
    """A ``[model.features]`` table for dimension ``d`` with a covariance type from ``covariances``."""
    cov = draw(st.sampled_from(covariances))
    if cov == "identity":
        return {"covariance": "identity", "scale": draw(st.floats(0.05, 20.0))}
    if cov == "diagonal":
        return {"covariance": "diagonal", "eigenvalues": draw(eigenvalue_lists(d, max_condition))}
    return {"covariance": "full", "matrix": draw(spd_matrices(d, max_condition, kind="full")).tolist()}


@st.composite
def tasks_configs(draw, n: int, families: tuple[str, ...] = FAMILIES, max_blocks: int = 5,
                  near_singular: bool | None = None) -> dict[str, Any]:
    """A ``[model.tasks]`` table for ``n`` examples: ``iid`` (one block), ``star`` (one ρ_k ∈ [-1, 1] per
    block), ``decay`` (one ρ ∈ [-1, 1]) or ``custom`` (a (K+1)×(K+1) correlation from
    :func:`correlation_matrices`)."""
    fam = draw(st.sampled_from(families))
    if fam == "iid":
        return {"family": "iid"}
    sizes = draw(block_sizes(n, max_blocks))
    k = len(sizes)
    if fam == "star":
        rho = draw(st.lists(st.floats(-1.0, 1.0), min_size=k, max_size=k))
        return {"family": "star", "block_sizes": sizes, "rho": rho}
    if fam == "decay":
        return {"family": "decay", "block_sizes": sizes, "rho": draw(st.floats(-1.0, 1.0))}
    corr = draw(correlation_matrices(k + 1, near_singular))
    return {"family": "custom", "block_sizes": sizes, "correlation": corr.tolist()}


@st.composite
def model_config_dicts(draw, d: int | st.SearchStrategy[int] | None = None,
                       n: int | st.SearchStrategy[int] | None = None, families: tuple[str, ...] = FAMILIES,
                       covariances: tuple[str, ...] = COVARIANCES, max_condition: float = 1e4,
                       max_d: int = 6, max_n: int = 16, max_blocks: int = 5,
                       noise_var: float | st.SearchStrategy[float] | None = None,
                       near_singular: bool | None = None) -> dict[str, Any]:
    """A whole ``[model]`` table (plain Python types, as read from TOML). ``near_singular`` is passed to
    :func:`correlation_matrices` for the ``custom`` family."""
    dd = draw(_dim(d, 1, max_d))
    nn = draw(_dim(n, 1, max_n))
    if noise_var is None:
        nv = draw(st.one_of(st.just(0.0), st.floats(1e-3, 5.0)))
    elif isinstance(noise_var, (int, float)):
        nv = float(noise_var)
    else:
        nv = draw(noise_var)
    return {
        "d": dd,
        "n": nn,
        "noise_var": nv,
        "features": draw(features_configs(dd, covariances, max_condition)),
        "tasks": draw(tasks_configs(nn, families, max_blocks, near_singular)),
    }


def model_configs(**kwargs: Any) -> st.SearchStrategy[ModelConfig]:
    """Validated :class:`ModelConfig` objects (arguments as :func:`model_config_dicts`)."""
    return model_config_dicts(**kwargs).map(build_model_config)


def data_models(**kwargs: Any) -> st.SearchStrategy[DataModel]:
    """:class:`DataModel` objects built from :func:`model_configs` (same arguments)."""
    return model_configs(**kwargs).map(DataModel.from_config)


# ---------------------------------------------------------------------------------------------- ω, P
def weight_vectors(n: int, min_value: float = -2.0, max_value: float = 2.0,
                   nonzero: bool = True) -> st.SearchStrategy[np.ndarray]:
    """Weight vectors ω ∈ [min_value, max_value]^n (``nonzero``: with ‖ω‖ ≥ 1e-3)."""
    s = st.lists(st.floats(min_value, max_value), min_size=n, max_size=n).map(np.asarray)
    return s.filter(lambda w: float(np.linalg.norm(w)) >= 1e-3) if nonzero else s


def preconditioners(d: int, max_abs: float = 2.0) -> st.SearchStrategy[np.ndarray]:
    """Arbitrary (not necessarily symmetric) d×d preconditioners with entries in [-max_abs, max_abs]."""
    return st.lists(st.floats(-max_abs, max_abs), min_size=d * d, max_size=d * d).map(
        lambda v: np.asarray(v).reshape(d, d)
    )


# ---------------------------------------------------------------------------------------------- prompts
@st.composite
def prompts(draw, model: DataModel | None = None, batch: int | st.SearchStrategy[int] | None = None,
            **model_kwargs: Any) -> Prompts:
    """A batch of prompts from ``model`` (or a drawn :func:`data_models`), sampled by
    :func:`~glaverify.numerics.sampler.sample_prompts` with a generator seeded by a drawn seed, so a
    failing example is reproducible from hypothesis' output."""
    m = model if model is not None else draw(data_models(**model_kwargs))
    b = draw(_dim(batch, 1, 8))
    return sample_prompts(m, b, np.random.default_rng(draw(_SEEDS)))
