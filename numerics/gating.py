"""What gating can realise, and the best weights inside each realisable set (THEORY §6, claims A1–A6).

Gate classes (one layer, the construction of THEORY §3, ``P = Q^T``):

``free`` (A1)
    one scalar gate ``g_j ∈ [0,1]`` per token, chosen freely. Weights ``ω_i = Π_{j=i+1}^{n+1} g_j``.
    Realisable set: ``{0 ≤ ω_1 ≤ … ≤ ω_n ≤ 1}``; with ``P`` absorbing scale (and sign), the monotone cone
    ``M = {0 ≤ ω_1 ≤ … ≤ ω_n}`` and its negative.
``delimiter`` (A2)
    data tokens (and the query) have gate 1; after block ``k`` a delimiter token (``x = 0``, ``y = 0``, a flag
    coordinate) has gate ``δ_k``. Weights are block-constant, ``u_k = Π_{l≥k} δ_l``:
    ``{0 ≤ u_1 ≤ … ≤ u_K ≤ 1}``. The gate *parametrisation* decides closedness: ``gate_range="closed"``
    (``δ ∈ [0,1]``) realises that whole set; ``"open"`` (``δ = sigmoid(θ)``, values in (0,1)) realises only
    ``{0 < u_1 < … < u_K < 1}``, which is not closed (its infimum risk equals the closed set's minimum but is
    attained only when the minimiser lies in the open set); ``"log"`` (``δ = exp(θ)``, ``θ ≤ 0``, values in
    (0,1]) realises ``{0 < u_1 ≤ … ≤ u_K ≤ 1}``.
``block-id``
    the gate of a token is a function of its block id only (``g_k`` for data tokens of block
    ``k``, ``g_q`` for the query). Within block ``k`` the weights are geometric,
    ``c_k (g_k^{n_k-1}, …, g_k, 1)``, and
    ``c_{k-1} = c_k g_k^{n_k}``, ``c_K = g_q``: a (K+1)-parameter, non-convex subset of the ``free`` set.
    It contains a non-uniform block-constant vector only through blocks of size 1.
``linatt``
    every gate 1: ``ω = 1`` (with ``P`` absorbing scale: the ray ``ω ∝ 1``).
``token``
    ``g_i = sigmoid(w^T z_i + b)``: the weights depend on the prompt, so no fixed weight vector describes the
    predictor and the WPGD risk landscape gives no bound for this class. Each prompt's weights lie in the
    open ``free`` set; ``w = 0`` gives geometric weights ``σ(b)^{n+1-i}``; a flag coordinate lets it approach
    the ``delimiter`` class (data gate ``σ(b) → 1``) without reaching it.

Key-dimension vector gates give one monotone weight vector per coordinate (``vector-free``,
``vector-delimiter``); for diagonal Σ the risk decouples per coordinate (A6):

    L(P, Γ) = s − Σ_m (r^T γ^m)² λ_m² / (λ_m a_m + b_m),   a_m = γ^{mT}(R+I)γ^m, b_m = s‖γ^m‖²

at the optimal (diagonal) ``P``; off-diagonal ``P`` entries only add ``λ_m P_{mm'}² M_{m'm'} ≥ 0``.

Constrained optima (A3): ``L*`` is homogeneous of degree 0 and even, so ``min`` over the realisable cone is
``min`` over ``{cone, r^T ω = ±1}``. For ``Σ = λ I`` this is the convex QP ``min ω^T (R + (1+s/λ)I) ω``;
in general the minimiser solves the same QP for ``γ = 1 + s F_2/F_3`` (first-order condition, see
:func:`constrained_optimum`), found by a one-dimensional search over γ with the fixed-point residual as
certificate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from .closed_forms import optimal_preconditioner, profile_risk
from .errors import InputError
from .model import DataModel

GateKind = Literal["free", "delimiter", "block-id", "linatt", "token"]
GATE_KINDS: tuple[str, ...] = ("free", "delimiter", "block-id", "linatt", "token")
#: classes whose realisable set (up to scale) is a polyhedral cone, so the constrained optimum is a QP
CONE_KINDS: tuple[str, ...] = ("free", "delimiter", "linatt")
GATE_RANGES: tuple[str, ...] = ("closed", "open", "log")


def _check_kind(kind: str, allowed: tuple[str, ...] = GATE_KINDS) -> None:
    if kind not in allowed:
        raise InputError("kind", f"must be one of {', '.join(allowed)}", kind)


# ============================================================================ gates <-> weights (A1, A2)
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

    ``ω`` must lie in the closed realisable set (not only up to scale): use :func:`normalise_weights` first.
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


def normalise_weights(omega: np.ndarray) -> tuple[float, np.ndarray]:
    """``(c, ω/c)`` with ``c`` the entry of largest magnitude (sign included), so that a vector in the cone
    or its negative maps into the unscaled set with ``max = 1``. ``c = 0`` for ω = 0."""
    w = np.asarray(omega, dtype=np.float64)
    i = int(np.argmax(np.abs(w)))
    c = float(w[i])
    return (c, w / c) if c != 0 else (0.0, w.copy())


# ============================================================================ realisable sets
@dataclass(frozen=True)
class WeightSet:
    """The realisable set of a gate class, with P absorbing scale, written as ``ω = E u`` with
    ``A u ≥ 0`` (``A``, ``E`` None for the non-polyhedral classes).

    ``closed`` says whether the set (before scaling) is closed for the given gate range."""

    kind: str
    description: str
    E: np.ndarray | None
    A: np.ndarray | None
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
    _check_kind(gate_range, GATE_RANGES) if gate_range in GATE_RANGES else None
    if gate_range not in GATE_RANGES:
        raise InputError("gate_range", f"must be one of {', '.join(GATE_RANGES)}", gate_range)
    n, K = model.n, model.K
    if kind == "free":
        desc = {
            "closed": "{0 <= w_1 <= ... <= w_n <= 1}",
            "open": "{0 < w_1 < ... < w_n < 1}",
            "log": "{0 < w_1 <= ... <= w_n <= 1}",
        }[gate_range]
        return WeightSet(
            kind,
            desc + "; up to scale the monotone cone",
            np.eye(n),
            monotone_cone_matrix(n),
            gate_range == "closed",
            gate_range,
        )
    if kind == "delimiter":
        desc = {
            "closed": "block-constant, {0 <= u_1 <= ... <= u_K <= 1}",
            "open": "block-constant, {0 < u_1 < ... < u_K < 1} (not closed)",
            "log": "block-constant, {0 < u_1 <= ... <= u_K <= 1} (not closed)",
        }[gate_range]
        return WeightSet(
            kind,
            desc,
            model.block_indicator.copy(),
            monotone_cone_matrix(K),
            gate_range == "closed",
            gate_range,
        )
    if kind == "linatt":
        return WeightSet(
            kind, "{w = 1}; up to scale the ray w ~ 1", np.ones((n, 1)), np.ones((1, 1)), True, gate_range
        )
    if kind == "block-id":
        return WeightSet(
            kind,
            "geometric within blocks: w|_k = c_k (g_k^{n_k-1},...,1), c_{k-1} = c_k g_k^{n_k}"
            " (non-convex, K+1 parameters)",
            None,
            None,
            gate_range == "closed",
            gate_range,
        )
    return WeightSet(
        kind,
        "prompt-dependent weights: no fixed realisable vector (each prompt's weights lie"
        " in the open free set)",
        None,
        None,
        False,
        gate_range,
    )


def is_realisable(
    omega: np.ndarray,
    kind: str,
    model: DataModel,
    tol: float = 1e-9,
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
    tol: float = 1e-9,
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


# ============================================================================ constrained optima (A3)
def cone_constraint_matrices(kind: str, model: DataModel) -> tuple[np.ndarray | None, np.ndarray | None]:
    """``(A, D)`` with the realisable cone of ``kind`` (up to scale) equal to ``{ω : A ω ≥ 0, D ω = 0}``.

    ``free``: ``A`` = the monotone-cone rows (``ω_1 ≥ 0``, ``ω_{i+1} − ω_i ≥ 0``), no ``D``.
    ``delimiter``: ``D`` = within-block differences, ``A`` = monotone rows on the first entry of each block.
    ``linatt``: ``D`` = all consecutive differences, ``A`` = ``ω_1 ≥ 0``.
    ``unconstrained``: neither."""
    n, K = model.n, model.K
    if kind == "unconstrained":
        return None, None
    if kind == "free":
        return monotone_cone_matrix(n), None
    if kind == "linatt":
        D = np.diff(np.eye(n), axis=0)
        A = np.zeros((1, n))
        A[0, 0] = 1.0
        return A, (D if n > 1 else None)
    if kind == "delimiter":
        starts = np.concatenate([[0], np.cumsum(model.block_sizes)[:-1]]).astype(int)
        Srep = np.zeros((K, n))
        Srep[np.arange(K), starts] = 1.0
        A = monotone_cone_matrix(K) @ Srep
        rows = [i for i in range(1, n) if model.block_index[i] == model.block_index[i - 1]]
        D = np.zeros((len(rows), n))
        for j, i in enumerate(rows):
            D[j, i], D[j, i - 1] = 1.0, -1.0
        return A, (D if rows else None)
    _check_kind(kind, CONE_KINDS + ("unconstrained",))
    raise AssertionError  # pragma: no cover


def cone_constraints(
    kind: str, model: DataModel, drop_constraint: int | None = None
) -> Callable[[object], list] | None:
    """``extra_constraints`` callable for the landscape's :class:`ScalarisedFamily`: ``ω ↦ [Aω ≥ 0, Dω = 0]``.

    ``drop_constraint`` (tests only) deletes one row of ``A``, to plant a missing cone constraint."""
    A, D = cone_constraint_matrices(kind, model)
    if A is None and D is None:
        return None
    if A is not None and drop_constraint is not None:
        A = np.delete(A, drop_constraint, axis=0)

    def fn(omega: object) -> list:
        cons = []
        if A is not None and A.shape[0]:
            cons.append(A @ omega >= 0)
        if D is not None:
            cons.append(D @ omega == 0)
        return cons

    return fn


@dataclass
class ClassOptimum:
    """Best one-layer risk of a gate class (A3), with the certificate.

    ``omega`` is normalised (``max|ω| = 1``, ``r^T ω ≥ 0``); ``P = P*(ω)``; ``gamma`` the QP parameter at
    the optimum; ``certificate`` holds the solver status, KKT residual, duality gap, the fixed-point
    residual ``|γ − (1 + s F_2/F_3)|/γ`` and ``ok``."""

    kind: str
    risk: float
    omega: np.ndarray
    P: np.ndarray
    gamma: float
    sign: int
    certificate: dict[str, float] = field(default_factory=dict)
    method: str = ""

    @property
    def certified(self) -> bool:
        return bool(self.certificate.get("ok", 0.0))


def _spectral_sums(model: DataModel, omega: np.ndarray) -> tuple[float, float]:
    from .closed_forms import risk_coefficients

    co = risk_coefficients(model, omega)
    lam = model.eigenvalues
    den = co.a * lam + co.b
    return float(np.sum(lam**2 / den**2)), float(np.sum(lam**3 / den**2))


def fixed_point_gamma(model: DataModel, omega: np.ndarray) -> float:
    """``1 + s F_2/F_3`` at ω (THEORY R4's fixed point; the first-order condition on the cone, too)."""
    f2, f3 = _spectral_sums(model, omega)
    return 1.0 + model.s * f2 / f3


from .tolerances import ACTIVE_TOL, CERT_TOL, OMEGA_MATCH_TOL  # noqa: F401,E402  (re-exported)


def cone_kkt_certificate(
    model: DataModel, omega: np.ndarray, kind: str, active_tol: float = ACTIVE_TOL
) -> dict[str, float]:
    """First-order (KKT) certificate of ``min L*(ω)`` over the realisable cone of ``kind`` at ``ω`` (A3),
    independent of cvxpy and of γ.

    The cone is ``{Aω ≥ 0, Dω = 0}`` (:func:`cone_constraint_matrices`, always the true cone of ``kind``);
    ``ω`` or ``−ω`` must lie in it (``L*`` is even). KKT: ``∇L*(ω) = A_Iᵀμ + Dᵀη`` with ``μ ≥ 0`` on the
    active rows ``I``, solved as a bounded least-squares problem (BVLS: ``μ ≥ 0``, ``η`` free). Returned:

    ``stationarity`` ``‖∇L* − A_Iᵀμ − Dᵀη‖_∞`` relative to the larger of the two terms of
    ``∇L* = −2cf r̂ + 2c²(F₃(R+I)ω + sF₂ω)`` (unit ``r̂``, so scale-free; the terms cancel at an interior
    optimum, so ``‖∇L*‖`` itself is no scale); ``complementarity`` ``max μ_i (Aω)_i`` on the same scale;
    ``feasibility`` ``max(−min Aω, max|Dω|)/max|ω|``; ``residual`` the largest of the three; ``active`` the
    number of active rows; ``min_multiplier``.

    Why it is the right condition: at ``γ = 1 + sF₂/F₃`` the gradient is
    ``c²F₃ [2(R+γI)ω − (2f/(cF₃)) r̂]``, so it lies in the normal cone exactly when ω solves the cone QP
    ``min ωᵀ(R+γI)ω, r̂ᵀω = c`` at that γ (the ``r̂`` multiplier is fixed by ``∇L*·ω = 0``) — the
    first-order condition the γ search certifies, here checked without a γ. For the uniform vector with all
    cone constraints active (i.i.d. tasks, decreasing star) it is the direct certificate of optimality of
    ``ω ∝ 1`` over the cone."""
    from scipy.optimize import lsq_linear

    from .landscape import profile_gradient, r_scale

    w = np.asarray(omega, dtype=np.float64)
    if w.shape != (model.n,):
        raise InputError("omega", f"must have shape ({model.n},), got {w.shape}")
    scale_w = float(np.max(np.abs(w)))
    if scale_w == 0.0 or not np.isfinite(scale_w):
        raise InputError("omega", "must be nonzero and finite")
    w = w / scale_w
    A, D = cone_constraint_matrices(kind, model)
    A = np.zeros((0, model.n)) if A is None else A
    D = np.zeros((0, model.n)) if D is None else D

    def infeas(v: np.ndarray) -> float:
        lo = float(-np.min(A @ v)) if A.shape[0] else 0.0
        eq = float(np.max(np.abs(D @ v))) if D.shape[0] else 0.0
        return max(lo, eq, 0.0) + 0.0  # no -0.0

    if infeas(-w) < infeas(w):  # P absorbs the sign; L* is even, ∇L* odd
        w = -w
    feas = infeas(w)
    _, r_hat = r_scale(model)
    g = profile_gradient(model, w, r_hat)
    c = float(r_hat @ w)
    lam, s = model.eigenvalues, model.s
    Aw_full = model.R @ w + w
    a, b = float(w @ Aw_full), s * float(w @ w)
    den = a * lam + b
    f = float(np.sum(lam**2 / den))
    f2, f3 = float(np.sum(lam**2 / den**2)), float(np.sum(lam**3 / den**2))
    scale_g = max(
        float(np.max(np.abs(2 * c * f * r_hat))),
        float(np.max(np.abs(2 * c * c * (f3 * Aw_full + s * f2 * w)))),
        1e-300,
    )
    slack = A @ w
    act = np.flatnonzero(slack <= active_tol)
    cols = np.vstack([A[act], D]).T if (act.size + D.shape[0]) else np.zeros((model.n, 0))
    if cols.shape[1]:
        lb = np.concatenate([np.zeros(act.size), np.full(D.shape[0], -np.inf)])
        ub = np.full(cols.shape[1], np.inf)
        sol = lsq_linear(cols, g, bounds=(lb, ub), method="bvls", tol=1e-15, lsmr_tol=None)
        x = sol.x
        res = g - cols @ x
        mu = x[: act.size]
    else:
        res, mu = g, np.zeros(0)
    stat = float(np.max(np.abs(res))) / scale_g
    comp = float(np.max(np.abs(mu * slack[act]))) / scale_g if act.size else 0.0
    return {
        "residual": max(stat, comp, feas),
        "stationarity": stat,
        "complementarity": comp,
        "feasibility": feas,
        "active": float(act.size),
        "min_multiplier": float(np.min(mu)) if mu.size else float("nan"),
    }


def constrained_optimum(
    model: DataModel, kind: str, tol: float = CERT_TOL, drop_constraint: int | None = None
) -> ClassOptimum:
    """A3: ``min L*(ω)`` over the realisable cone of ``kind`` (``free``, ``delimiter``, ``linatt``, or
    ``unconstrained`` for WPGD), both signs ``r^T ω = ±1``.

    Uses the landscape's scalarised family (:class:`glaverify.numerics.landscape.ScalarisedFamily`) with the
    cone constraints of :func:`cone_constraints` added, and its outer search
    (:func:`~glaverify.numerics.landscape.optimise_scalarised`). Why this is the constrained optimum:
    ``L*`` depends on ω through ``(r^T ω, a, b)`` and falls in ``a`` and in ``b``, so on the convex set
    ``{cone, r^T ω = ±1}`` the minimiser is Pareto-minimal for ``(a, b)``; and at it, the linearisation of
    ``L*`` is ``F_3 a + F_2 b ∝ ω^T (R + γ* I) ω`` with
    ``γ* = 1 + s F_2/F_3 ∈ [1 + s/λ_max, 1 + s/λ_min]``, so ω is the family's solution at ``γ*``. For
    ``Σ = λ I`` the interval is the point ``1 + s/λ`` (one convex QP).

    Certificate (``certificate``; ``ok`` iff all hold): every solve ``optimal``; KKT residual and duality gap
    of the cone QP at the reported γ ≤ ``tol``; the fixed-point residual ``|γ − Γ(ω(γ))|/γ ≤ 1e-4`` with
    ``Γ(ω) = 1 + s F_2/F_3`` and ``ω(γ)`` that QP's solution (``fixed_point``); ``ω(γ)`` equal to the
    returned ω up to scale (``omega_match ≤ 1e-6``); and the γ-free KKT certificate of
    :func:`cone_kkt_certificate` on the *true* cone of ``kind`` (``cone_kkt ≤ tol``).

    The reported γ is a fixed point, not the γ where the outer search stopped. When the cone constraints
    pin the solution (e.g. the uniform vector, every constraint active: i.i.d. tasks, decreasing star), ω(γ)
    is constant on a whole γ interval, so the profile risk is flat there and the search stops anywhere in it;
    ``Γ(ω(γ))`` is constant too, so the residual at the search's γ is large (≈ 0.6 on the appendix cells)
    although the fixed point ``γ* = Γ(ω)`` lies in the same interval. Hence the search's γ is refined by
    the fixed-point iteration ``γ ← Γ(ω(γ))`` (≤ 3 re-solves; one suffices on a flat interval), keeping
    the iterate with the smallest residual whose solution still matches the search's ω. Every quantity
    is evaluated at the γ reported, so a non-stationary point (wrong γ, missing cone constraint) still fails.
    """
    from .landscape import ScalarisedFamily, normalise, optimise_scalarised, quotient_distance

    if kind == "linatt":
        w = np.ones(model.n)
        cert = {"status_optimal": 1.0, "kkt": 0.0, "duality_gap": 0.0, "fixed_point": 0.0, "ok": 1.0}
        return ClassOptimum(
            "linatt",
            profile_risk(model, w),
            w,
            optimal_preconditioner(model, w),
            np.nan,
            1,
            cert,
            "closed form (the set is one ray)",
        )
    cons = cone_constraints(kind, model, drop_constraint)
    best = None
    all_opt = []
    for sign in (1, -1):
        fam = ScalarisedFamily(model, cons, sign=sign)
        opt = optimise_scalarised(fam)
        if opt.omega is None:
            # infeasible side (e.g. r > 0 and ω in the cone cannot have r^T ω = −1): every status must say so
            all_opt.append(all(s.status in ("infeasible", "optimal") for s in opt.solves))
            continue
        all_opt.append(opt.all_optimal)
        if best is None or opt.risk < best[0].risk:
            best = (opt, sign, fam)
    if best is None:
        raise InputError("model", f"no feasible weights for kind {kind!r} with r^T w = +-1 (is r = 0?)")
    opt, sign, fam = best
    omega = opt.omega

    def residual(g: float, w: np.ndarray) -> float:
        return abs(g - fixed_point_gamma(model, w)) / g if np.isfinite(g) else 0.0

    # fixed-point refinement of the search's γ (see the docstring); candidates (residual, match, γ, solution)
    sol0 = opt.solution
    cands = [(residual(opt.gamma, sol0.omega), 0.0, float(opt.gamma), sol0)]
    g = float(opt.gamma)
    if np.isfinite(g):
        for _ in range(3):
            if cands[-1][0] <= 1e-12:
                break
            g = fixed_point_gamma(model, cands[-1][3].omega)
            sol = fam.solve(fam.theta_of(g))
            all_opt.append(sol.status == "optimal")
            if sol.omega is None:
                break
            cands.append((residual(g, sol.omega), quotient_distance(sol.omega, omega, model.r), g, sol))
    matching = [c for c in cands if c[1] <= OMEGA_MATCH_TOL]
    fp_res, match, gamma, sol = min(matching, key=lambda c: c[0])
    # active-face polish: an interior-point solution sits ~sqrt(solver tol) inside degenerate active
    # constraints (zero multipliers: i.i.d. uniform optimum, within-block equalities), which limits every
    # first-order check at ω to ~1e-7. Re-solve the QP exactly on the face the solver identified (a linear
    # KKT system) and iterate γ ← Γ(ω) on it; keep it only if it is feasible and no worse. Nothing is
    # assumed: the polished point is certified below like any other.
    true_kind = kind if kind in CONE_KINDS else "unconstrained"
    pol = _polish_on_face(model, kind, sol.omega, gamma, drop_constraint)
    if pol is not None and profile_risk(model, pol[0]) <= profile_risk(model, omega) + 1e-12 * model.s:
        omega, gamma = normalise(pol[0], model.r), pol[1]
        fp_res = residual(gamma, omega)
        sol = fam.solve(fam.theta_of(gamma))  # the cvxpy certificate at the reported γ
        all_opt.append(sol.status == "optimal")
        match = quotient_distance(sol.omega, omega, model.r) if sol.omega is not None else np.inf
    # the QP value of ω against cvxpy's certified optimum at γ (same normalisation r̂ᵀω = sign): the QP is
    # strictly convex, so a feasible ω within ε of the optimum value is within O(√ε) of its unique minimiser
    qp_gap = np.inf
    if sol.omega is not None:
        w = omega * (sign / float(fam.r_unit @ omega))
        th = fam.theta_of(gamma)
        q = th * float(w @ (model.R @ w) + w @ w) + (1 - th) * model.s * float(w @ w)
        qp_gap = abs(q - sol.objective) / max(abs(sol.objective), 1e-300)
    cone = cone_kkt_certificate(model, omega, true_kind)
    cert = {
        "status_optimal": 1.0 if (sol.status == "optimal" and all(all_opt)) else 0.0,
        "kkt": float(sol.kkt_residual),
        "duality_gap": float(sol.duality_gap),
        "fixed_point": float(fp_res),
        "omega_match": float(match),
        "qp_value_gap": float(qp_gap),
        "cone_kkt": float(cone["residual"]),
        "cone_active": float(cone["active"]),
        "search_gamma": float(opt.gamma),
        "search_fixed_point": float(cands[0][0]),
        "solves": float(len(opt.solves) + len(cands)),
    }
    cert["ok"] = (
        1.0
        if (
            cert["status_optimal"]
            and cert["kkt"] <= tol
            and cert["duality_gap"] <= tol
            and cert["fixed_point"] <= 1e-4
            and cert["qp_value_gap"] <= tol
            and cert["cone_kkt"] <= tol
        )
        else 0.0
    )
    lam = model.eigenvalues
    iso = bool(np.allclose(lam, lam[0], rtol=1e-12))
    method = (
        "isotropic: one convex cone QP at gamma = 1 + s/lambda"
        if iso
        else "scalarised family (landscape) with cone constraints, outer search over gamma"
    )
    return ClassOptimum(
        kind,
        float(profile_risk(model, omega)),
        omega,
        optimal_preconditioner(model, omega),
        float(gamma),
        sign,
        cert,
        method,
    )


def _polish_on_face(
    model: DataModel,
    kind: str,
    omega: np.ndarray,
    gamma: float,
    drop_constraint: int | None = None,
    face_tol: float = 1e-5,
    iterations: int = 6,
) -> tuple[np.ndarray, float] | None:
    """The cone QP ``min ωᵀ(R+γI)ω, r̂ᵀω = 1`` solved exactly on the face ``{A_I ω = 0, Dω = 0}`` with
    ``I`` = rows of ``A`` with slack ≤ ``face_tol·max|ω|`` at ``omega`` (the cone the search used, i.e.
    with ``drop_constraint`` applied), iterating ``γ ← Γ(ω)``. Returns ``(ω, γ)`` or None when the face
    point leaves the cone or γ is infinite. A heuristic: its output is certified, never trusted."""
    if not np.isfinite(gamma):
        return None
    A, D = cone_constraint_matrices(kind, model) if kind in CONE_KINDS else (None, None)
    if A is not None and drop_constraint is not None:
        A = np.delete(A, drop_constraint, axis=0)
    A = np.zeros((0, model.n)) if A is None else A
    D = np.zeros((0, model.n)) if D is None else D
    w0 = np.asarray(omega, dtype=np.float64)
    w0 = w0 / float(np.max(np.abs(w0)))
    if A.shape[0] and float(np.min(A @ -w0)) > float(np.min(A @ w0)):
        w0 = -w0
    act = np.flatnonzero(A @ w0 <= face_tol) if A.shape[0] else np.zeros(0, dtype=int)
    r_hat = model.r / float(np.max(np.abs(model.r)))
    E = np.vstack([np.sign(r_hat @ w0) * r_hat[None, :], A[act], D])
    rhs = np.zeros(E.shape[0])
    rhs[0] = 1.0
    n = model.n
    w, g = w0, float(gamma)
    for _ in range(iterations):
        K = np.block([[2 * (model.R + g * np.eye(n)), E.T], [E, np.zeros((E.shape[0], E.shape[0]))]])
        sol = np.linalg.lstsq(K, np.concatenate([np.zeros(n), rhs]), rcond=None)[0]
        w = sol[:n]
        g_new = fixed_point_gamma(model, w)
        if abs(g_new - g) <= 1e-15 * g:
            g = g_new
            break
        g = g_new
    w = w / float(np.max(np.abs(w)))
    if A.shape[0] and float(np.min(A @ w)) < -1e-12:
        return None
    if D.shape[0] and float(np.max(np.abs(D @ w))) > 1e-12:
        return None
    return w, g


def wpgd_optimum(model: DataModel, tol: float = 1e-7) -> ClassOptimum:
    """The unconstrained WPGD optimum via the same γ search (no cone)."""
    return constrained_optimum(model, "unconstrained", tol=tol)


def linatt_risk(model: DataModel) -> float:
    """``min_P L(P, 1)``: linear attention with the best preconditioner (A4)."""
    return profile_risk(model, np.ones(model.n))


def uniform_distance(omega: np.ndarray) -> float:
    """Distance of ``ω/‖ω‖`` from the uniform direction ``±1/√n`` (0 iff ω ∝ 1)."""
    w = np.asarray(omega, dtype=np.float64)
    w = w / np.linalg.norm(w)
    u = np.ones_like(w) / np.sqrt(w.size)
    return float(min(np.linalg.norm(w - u), np.linalg.norm(w + u)))


def attains(model: DataModel, kind: str, tol: float = 1e-6) -> dict:
    """A3 criterion, both ways: does the class optimum equal the WPGD optimum, and is the sign-normalised
    ω* in the realisable set? Returns both answers and the numbers behind them."""
    wp = wpgd_optimum(model)
    co = constrained_optimum(model, kind)
    gap = co.risk - wp.risk
    member = is_realisable(wp.omega, kind, model, tol=1e-5)
    return {
        "wpgd_risk": wp.risk,
        "class_risk": co.risk,
        "gap": gap,
        "attains": bool(gap <= tol * max(1.0, abs(wp.risk))),
        "omega_star_realisable": member,
        "omega_star": wp.omega,
        "omega_class": co.omega,
    }


# ============================================================================ block-id class (non-convex)
def block_id_optimum(
    model: DataModel, rng: np.random.Generator, restarts: int = 8
) -> tuple[float, np.ndarray]:
    """Best profile risk over block-id gates (non-convex): multistart L-BFGS-B over ``g ∈ [0,1]^K``
    (the query gate only scales). A numeric upper bound on the class minimum, not a certificate."""
    from scipy.optimize import minimize

    K = model.K

    def f(g: np.ndarray) -> float:
        w = weights_from_gates(np.concatenate([g, [1.0]]), "block-id", model)
        return profile_risk(model, w) if np.any(w != 0) else model.s

    best = (np.inf, np.ones(K))
    starts = [np.ones(K)] + [rng.uniform(0.3, 1.0, K) for _ in range(restarts)]
    for x0 in starts:
        res = minimize(f, x0, method="L-BFGS-B", bounds=[(0.0, 1.0)] * K)
        if res.fun < best[0]:
            best = (float(res.fun), res.x)
    g = best[1]
    return best[0], weights_from_gates(np.concatenate([g, [1.0]]), "block-id", model)


# ============================================================================ vector gates (A6)
def _check_diagonal(model: DataModel) -> np.ndarray:
    sig = model.sigma
    if not np.allclose(sig, np.diag(np.diag(sig)), atol=1e-12 * float(np.max(np.abs(sig)))):
        raise InputError("sigma", "vector-gate decoupling needs a diagonal Σ (in the gated coordinates)")
    return np.diag(sig).copy()


def vector_gate_risk(model: DataModel, P: np.ndarray, Gamma: np.ndarray) -> float:
    """Risk of the key-gated one-layer predictor ``ŷ = x^T P Σ_i diag(γ_i) x_i y_i`` (G2), any Σ.

    ``Gamma`` is (n, d) with rows ``γ_i``. Derived like R1:
    ``L = s − 2 tr(P H) + tr(P^T Σ P M)``, ``H = Σ_i r_i Γ_i Σ²``,
    ``M = Σ_{ij} R_ij Γ_i Σ² Γ_j + Σ_i Γ_i (Σ² + sΣ) Γ_i``."""
    G = np.asarray(Gamma, dtype=np.float64)
    sig = model.sigma
    sig2 = sig @ sig
    H = np.einsum("i,im,mk->mk", model.r, G, sig2)
    RG = model.R @ G  # (n, d): Σ_j R_ij γ_j
    M = np.einsum("im,mk,ik->mk", G, sig2, RG) + np.einsum("im,mk,ik->mk", G, sig2 + model.s * sig, G)
    return float(model.s - 2 * np.trace(P @ H) + np.trace(P.T @ sig @ P @ M))


def vector_gate_profile(model: DataModel, Gamma: np.ndarray) -> tuple[float, np.ndarray]:
    """``min_P`` of :func:`vector_gate_risk`: ``P* = Σ^{-1} H^T M^{-1}``, value
    ``s − tr(H Σ^{-1} H^T M^{-1})``."""
    G = np.asarray(Gamma, dtype=np.float64)
    sig = model.sigma
    sig2 = sig @ sig
    H = np.einsum("i,im,mk->mk", model.r, G, sig2)
    RG = model.R @ G
    M = np.einsum("im,mk,ik->mk", G, sig2, RG) + np.einsum("im,mk,ik->mk", G, sig2 + model.s * sig, G)
    M = 0.5 * (M + M.T)
    P = np.linalg.solve(sig, H.T) @ np.linalg.pinv(M)
    return float(model.s - np.trace(P @ H)), P


def coordinate_optimal_weights(model: DataModel) -> np.ndarray:
    """A6 (diagonal Σ): column m is ``(R + (1 + s/λ_m) I)^{-1} r`` (unconstrained coordinate optimum)."""
    lam = _check_diagonal(model)
    out = np.empty((model.n, model.d))
    for m, l in enumerate(lam):
        out[:, m] = np.linalg.solve(model.R + (1.0 + model.s / l) * np.eye(model.n), model.r)
    return out


def vector_gate_optimum(model: DataModel, kind: str = "unconstrained", tol: float = CERT_TOL) -> dict:
    """A6: best one-layer risk with key-dimension gates, diagonal Σ. Coordinates decouple; coordinate m
    solves the cone QP ``min γ^T (R + (1+s/λ_m) I) γ, r^T γ = ±1`` over the per-coordinate cone of
    ``kind`` (``unconstrained``, ``free``, ``delimiter``), i.e. the landscape's scalarised family at the
    θ matching ``γ = 1 + s/λ_m``; risk ``s − Σ_m λ_m / q_m`` with ``q_m`` the QP value at ``r^T γ = 1``."""
    from .landscape import ScalarisedFamily

    lam = _check_diagonal(model)
    cons = cone_constraints(kind, model)
    fams = [ScalarisedFamily(model, cons, sign=sg) for sg in (1, -1)]
    total = 0.0
    cols, kkts, statuses = [], [], []
    for l in lam:
        gam = 1.0 + model.s / l
        best = None
        for fam in fams:
            sol = fam.solve(fam.theta_of(gam))
            if sol.omega is None:
                continue
            # the quotient γᵀQγ / (rᵀγ)² is scale-free: do not rely on the family's normalisation
            rw = float(model.r @ sol.omega)
            if rw == 0.0:
                continue
            q = float(sol.omega @ (model.R @ sol.omega) + gam * sol.omega @ sol.omega) / rw**2
            if best is None or q < best[0]:
                best = (q, sol)
        if best is None:
            raise InputError("model", f"no feasible per-coordinate weights for kind {kind!r}")
        q, sol = best
        total += l / q
        cols.append(sol.omega)
        kkts.append(sol.kkt_residual)
        statuses.append(sol.status)
    Gamma = np.stack(cols, axis=1)
    return {
        "risk": float(model.s - total),
        "Gamma": Gamma,
        "kkt_max": float(max(kkts)),
        "status": statuses,
        "certified": all(st == "optimal" for st in statuses) and max(kkts) <= tol,
    }


def vector_gate_local_optimum(model: DataModel, restarts: int = 2, seed: int = 0) -> dict:
    """Any Σ (also non-diagonal): a local minimum over Γ of ``min_P`` of the key-gated risk
    (:func:`vector_gate_profile`), by L-BFGS from the scalar WPGD optimum (columns equal) and from
    perturbations of it. No certificate: an upper bound on the best vector-gated risk, used to *measure*
    the vector-vs-scalar advantage where the coordinates do not decouple."""
    from scipy.optimize import minimize

    wp = constrained_optimum(model, "unconstrained")
    n, d = model.n, model.d
    start = np.tile(wp.omega[:, None], (1, d))

    def f(x: np.ndarray) -> float:
        return vector_gate_profile(model, x.reshape(n, d))[0]

    rng = np.random.default_rng(seed)
    best = (f(start.ravel()), start)
    for k in range(restarts + 1):
        x0 = start if k == 0 else start * (1 + 0.1 * rng.standard_normal(start.shape))
        res = minimize(f, x0.ravel(), method="L-BFGS-B", options={"maxiter": 500})
        if res.fun < best[0]:
            best = (float(res.fun), res.x.reshape(n, d))
    return {"risk": best[0], "Gamma": best[1], "scalar_risk": wp.risk, "advantage": wp.risk - best[0]}
