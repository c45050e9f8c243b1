"""Realisable weight sets of the gate classes and the gate constructions (claims A1, A2; docs/gating.md).

One-layer weights are gate products ``ω_i = Π_{j=i+1}^{n+1} g_j`` (G1). This module turns gates into
weights and back, describes each class's realisable set and decides membership. Nothing here optimises.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..errors import InputError
from ..model import DataModel
from ..tolerances import REALISABLE_TOL

GateKind = Literal["free", "delimiter", "block-id", "linatt", "token"]
GATE_KINDS: tuple[str, ...] = ("free", "delimiter", "block-id", "linatt", "token")
#: classes whose realisable set (up to scale) is a polyhedral cone, so the constrained optimum is a QP
CONE_KINDS: tuple[str, ...] = ("free", "delimiter", "linatt")
GATE_RANGES: tuple[str, ...] = ("closed", "open", "log")


def _check_kind(kind: str, allowed: tuple[str, ...] = GATE_KINDS) -> None:
    if kind not in allowed:
        raise InputError("kind", f"must be one of {', '.join(allowed)}", kind)


def weights_from_gates(gates: np.ndarray, kind: str, model: DataModel | None = None) -> np.ndarray:
    """One-layer weights ``ω_i = Π_{j=i+1}^{n+1} g_j`` realised by ``gates`` (G1).

    ``free``: ``gates`` has n+1 entries (tokens 1..n and the query; ``g_1`` never matters).
    ``delimiter``: K entries ``δ_1..δ_K`` (one per block; data tokens and query have gate 1).
    ``block-id``: K+1 entries ``g_1..g_K, g_q``.
    """
    g = np.asarray(gates, dtype=np.float64)
    if kind == "free":
        # ω_i = Π_{j>i} g_j: reverse cumulative product of g_2..g_{n+1}
        tail = g[1:][::-1]
        return np.cumprod(tail)[::-1].copy()
    if model is None:
        raise InputError("model", f"required for kind {kind!r}")
    if kind == "delimiter":
        if g.shape != (model.K,):
            raise InputError("gates", f"delimiter gates need K = {model.K} entries, got {g.shape}")
        u = np.cumprod(g[::-1])[::-1]
        return u[model.block_index]
    if kind == "block-id":
        if g.shape != (model.K + 1,):
            raise InputError("gates", f"block-id gates need K+1 = {model.K + 1} entries, got {g.shape}")
        token_gates = np.concatenate([[1.0], g[model.block_index][1:], [g[-1]]])
        return weights_from_gates(token_gates, "free")
    if kind == "linatt":
        return np.ones(model.n)
    _check_kind(kind, ("free", "delimiter", "block-id", "linatt"))
    raise AssertionError  # pragma: no cover


def gates_for_weights(
    omega: np.ndarray, kind: str, model: DataModel | None = None, tol: float = 1e-12
) -> np.ndarray:
    """Constructive converse of :func:`weights_from_gates` (A1/A2): gates in [0,1] realising ``ω``.

    ``ω`` must lie in the closed realisable set (not only up to scale): scale it to ``max|ω| = 1`` first.
    Zeros are allowed (a zero weight gets gate 0 after it; earlier weights are then 0 as well).
    Raises InputError if ``ω`` is not realisable by the class.
    """
    w = np.asarray(omega, dtype=np.float64)
    if kind == "free":
        n = w.shape[0]
        g = np.ones(n + 1)
        g[n] = w[n - 1]
        for j in range(n - 1, 0, -1):  # g_{j+1} = ω_j / ω_{j+1} (0-based g[j])
            g[j] = w[j - 1] / w[j] if w[j] > 0 else 0.0
        g = np.where(np.abs(g) < tol, 0.0, g)
        if (
            np.any(g < -tol)
            or np.any(g > 1 + tol)
            or not np.allclose(weights_from_gates(g, "free"), w, atol=tol * 10, rtol=1e-9)
        ):
            raise InputError(
                "omega", "not in {0 <= w_1 <= ... <= w_n <= 1}: no scalar gates in [0,1] realise it"
            )
        return np.clip(g, 0.0, 1.0)
    if model is None:
        raise InputError("model", f"required for kind {kind!r}")
    if kind == "delimiter":
        u = block_values(w, model, tol=tol)
        d = np.ones(model.K)
        d[-1] = u[-1]
        for k in range(model.K - 2, -1, -1):
            d[k] = u[k] / u[k + 1] if u[k + 1] > 0 else 0.0
        if (
            np.any(d < -tol)
            or np.any(d > 1 + tol)
            or not np.allclose(
                weights_from_gates(np.clip(d, 0, 1), "delimiter", model), w, atol=tol * 10, rtol=1e-9
            )
        ):
            raise InputError("omega", "not block-monotone in [0,1]: no delimiter gates realise it")
        return np.clip(d, 0.0, 1.0)
    if kind == "block-id":
        g = _fit_block_id_gates(w, model)
        if not np.allclose(weights_from_gates(g, "block-id", model), w, atol=max(tol * 10, 1e-9), rtol=1e-7):
            raise InputError("omega", "not geometric within blocks as block-id gates require")
        return g
    if kind == "linatt":
        if not np.allclose(w, 1.0, atol=tol * 10):
            raise InputError("omega", "linear attention realises only w = 1")
        return np.ones(model.n + 1)
    _check_kind(kind, ("free", "delimiter", "block-id", "linatt"))
    raise AssertionError  # pragma: no cover


def _fit_block_id_gates(w: np.ndarray, model: DataModel) -> np.ndarray:
    """Candidate block-id gates (back to front); membership is decided by the round trip."""
    K = model.K
    starts = np.concatenate([[0], np.cumsum(model.block_sizes)[:-1]])
    g = np.ones(K + 1)
    g[K] = float(np.clip(w[-1], 0, 1))
    for k in range(K - 1, -1, -1):
        a, nk = starts[k], model.block_sizes[k]
        last = w[a + nk - 1]
        if nk >= 2:
            g[k] = w[a + nk - 2] / last if last > 0 else 0.0
        elif k > 0:
            prev = w[a - 1]
            g[k] = prev / last if last > 0 else 0.0
        g[k] = float(np.clip(g[k], 0.0, 1.0))
    return g


def block_values(omega: np.ndarray, model: DataModel, tol: float = 1e-9) -> np.ndarray:
    """Block values ``u`` of a block-constant ω; InputError if ω is not block-constant (tolerance ``tol``
    relative to ``max|ω|``)."""
    w = np.asarray(omega, dtype=np.float64)
    u = model.block_sums(w) / np.asarray(model.block_sizes, dtype=np.float64)
    scale = max(float(np.max(np.abs(w))), 1e-300)
    if float(np.max(np.abs(w - u[model.block_index]))) > tol * scale:
        raise InputError("omega", "not constant within task blocks")
    return u


@dataclass(frozen=True)
class WeightSet:
    """The realisable set of a gate class, with P absorbing scale (a description: the optimiser and the
    certificate build their own cones, :mod:`.reduced` and :mod:`.certificate`; no n×n matrix here).

    ``polyhedral`` says whether it is a polyhedral cone (free, delimiter, linatt); ``closed`` whether the set
    (before scaling) is closed for the given gate range."""

    kind: str
    description: str
    polyhedral: bool
    closed: bool
    gate_range: str = "closed"


def monotone_cone_matrix(m: int) -> np.ndarray:
    """``A`` with ``A u ≥ 0  ⟺  0 ≤ u_1 ≤ … ≤ u_m``: rows ``e_1`` and ``e_{i+1} − e_i``."""
    a = np.zeros((m, m))
    a[0, 0] = 1.0
    for i in range(1, m):
        a[i, i] = 1.0
        a[i, i - 1] = -1.0
    return a


def realisable_weights(kind: str, model: DataModel, gate_range: str = "closed") -> WeightSet:
    """The realisable one-layer weight set of a gate class (A1, A2), as a cone ``{E u : A u ≥ 0}``."""
    _check_kind(kind)
    if gate_range not in GATE_RANGES:
        raise InputError("gate_range", f"must be one of {', '.join(GATE_RANGES)}", gate_range)
    if kind == "free":
        desc = {
            "closed": "{0 <= w_1 <= ... <= w_n <= 1}",
            "open": "{0 < w_1 < ... < w_n < 1}",
            "log": "{0 < w_1 <= ... <= w_n <= 1}",
        }[gate_range]
        return WeightSet(
            kind, desc + "; up to scale the monotone cone", True, gate_range == "closed", gate_range
        )
    if kind == "delimiter":
        desc = {
            "closed": "block-constant, {0 <= u_1 <= ... <= u_K <= 1}",
            "open": "block-constant, {0 < u_1 < ... < u_K < 1} (not closed)",
            "log": "block-constant, {0 < u_1 <= ... <= u_K <= 1} (not closed)",
        }[gate_range]
        return WeightSet(kind, desc, True, gate_range == "closed", gate_range)
    if kind == "linatt":
        return WeightSet(kind, "{w = 1}; up to scale the ray w ~ 1", True, True, gate_range)
    if kind == "block-id":
        return WeightSet(
            kind,
            "geometric within blocks: w|_k = c_k (g_k^{n_k-1},...,1), c_{k-1} = c_k g_k^{n_k}"
            " (non-convex, K+1 parameters)",
            False,
            gate_range == "closed",
            gate_range,
        )
    return WeightSet(
        kind,
        "prompt-dependent weights: no fixed realisable vector (each prompt's weights lie"
        " in the open free set)",
        False,
        False,
        gate_range,
    )


def is_realisable(
    omega: np.ndarray,
    kind: str,
    model: DataModel,
    tol: float = REALISABLE_TOL,
    up_to_scale: bool = True,
    gate_range: str = "closed",
) -> bool:
    """Whether ``ω`` is a one-layer weight vector of the gate class (A1/A2).

    ``up_to_scale``: P absorbs any nonzero scale (and sign), so ``ω`` counts if ``c ω`` is realisable for
    some ``c ≠ 0``. ``tol`` is relative to ``max|ω|``. Open gate ranges need strict inequalities
    (margin ``tol``)."""
    _check_kind(kind)
    w = np.asarray(omega, dtype=np.float64)
    if w.shape != (model.n,):
        raise InputError("omega", f"must have shape ({model.n},), got {w.shape}")
    if kind == "token":
        raise InputError("kind", "token-dependent gates realise prompt-dependent weights, not a fixed vector")
    scale = float(np.max(np.abs(w)))
    if scale == 0.0:
        return gate_range == "closed" and kind != "linatt"
    candidates = [w / scale, -w / scale] if up_to_scale else [w]
    for v in candidates:
        if _in_unscaled_set(v, kind, model, tol, gate_range, up_to_scale):
            return True
    return False


def is_realisable_vector(
    Gamma: np.ndarray,
    kind: str,
    model: DataModel,
    tol: float = REALISABLE_TOL,
    up_to_scale: bool = True,
    gate_range: str = "closed",
) -> bool:
    """Key-dimension gates (G2): ``Γ`` (n, d) is realisable iff every column ``γ^m`` is realisable by the
    scalar class ``kind`` (each coordinate has its own gate products; with ``P diag(c)`` absorbing a
    per-coordinate scale and sign when ``up_to_scale``)."""
    G_ = np.asarray(Gamma, dtype=np.float64)
    if G_.ndim != 2 or G_.shape[0] != model.n:
        raise InputError("Gamma", f"must have shape ({model.n}, d), got {G_.shape}")
    return all(is_realisable(G_[:, m], kind, model, tol, up_to_scale, gate_range) for m in range(G_.shape[1]))


def _in_unscaled_set(
    v: np.ndarray, kind: str, model: DataModel, tol: float, gate_range: str, scaled: bool
) -> bool:
    if kind == "linatt":
        target = v[0] if scaled else 1.0
        return bool(np.all(np.abs(v - target) <= tol)) and target > 0
    if kind == "block-id":
        if np.any(v < -tol) or np.any(v > 1 + tol):
            return False
        g = _fit_block_id_gates(np.clip(v, 0, 1), model)
        ok = np.allclose(weights_from_gates(g, "block-id", model), v, atol=tol, rtol=0)
        if gate_range == "open":
            ok = ok and bool(np.all(g > tol)) and bool(np.all(g < 1 - tol))
        elif gate_range == "log":
            ok = ok and bool(np.all(g > tol))
        return bool(ok)
    if kind == "delimiter":
        try:
            vals = block_values(v, model, tol=tol)
        except InputError:
            return False
    else:
        vals = v
    diffs = np.diff(vals)
    if gate_range == "closed":
        return bool(vals[0] >= -tol and np.all(diffs >= -tol) and vals[-1] <= 1 + tol)
    strict_top = gate_range == "open" and not scaled
    ok = vals[0] > tol and vals[-1] <= 1 + tol
    if gate_range == "open":
        ok = ok and bool(np.all(diffs > tol)) and (vals[-1] < 1 - tol if strict_top else True)
    else:
        ok = ok and bool(np.all(diffs >= -tol))
    return bool(ok)


def uniform_distance(omega: np.ndarray) -> float:
    """Distance of ``ω/‖ω‖`` from the uniform direction ``±1/√n`` (0 iff ω ∝ 1)."""
    w = np.asarray(omega, dtype=np.float64)
    w = w / np.linalg.norm(w)
    u = np.ones_like(w) / np.sqrt(w.size)
    return float(min(np.linalg.norm(w - u), np.linalg.norm(w + u)))
