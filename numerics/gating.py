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
    the gate of a token is a function of its block id only (``g_k`` for data tokens of block ``k``, ``g_q`` for
    the query). Within block ``k`` the weights are geometric, ``c_k (g_k^{n_k-1}, …, g_k, 1)``, and
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
    sizes = np.asarray(model.block_sizes)
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


def gates_for_weights(omega: np.ndarray, kind: str, model: DataModel | None = None,
                      tol: float = 1e-12) -> np.ndarray:
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
        if np.any(g < -tol) or np.any(g > 1 + tol) or not np.allclose(weights_from_gates(g, "free"), w,
                                                                      atol=tol * 10, rtol=1e-9):
            raise InputError("omega", "not in {0 <= w_1 <= ... <= w_n <= 1}: no scalar gates in [0,1] realise it")
        return np.clip(g, 0.0, 1.0)
    if model is None:
        raise InputError("model", f"required for kind {kind!r}")
    if kind == "delimiter":
        u = block_values(w, model, tol=tol)
        d = np.ones(model.K)
        d[-1] = u[-1]
        for k in range(model.K - 2, -1, -1):
            d[k] = u[k] / u[k + 1] if u[k + 1] > 0 else 0.0
        if np.any(d < -tol) or np.any(d > 1 + tol) or not np.allclose(
                weights_from_gates(np.clip(d, 0, 1), "delimiter", model), w, atol=tol * 10, rtol=1e-9):
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
        desc = {"closed": "{0 <= w_1 <= ... <= w_n <= 1}",
                "open": "{0 < w_1 < ... < w_n < 1}",
                "log": "{0 < w_1 <= ... <= w_n <= 1}"}[gate_range]
        return WeightSet(kind, desc + "; up to scale the monotone cone", np.eye(n), monotone_cone_matrix(n),
                         gate_range == "closed", gate_range)
    if kind == "delimiter":
        desc = {"closed": "block-constant, {0 <= u_1 <= ... <= u_K <= 1}",
                "open": "block-constant, {0 < u_1 < ... < u_K < 1} (not closed)",
                "log": "block-constant, {0 < u_1 <= ... <= u_K <= 1} (not closed)"}[gate_range]
        return WeightSet(kind, desc, model.block_indicator.copy(), monotone_cone_matrix(K),
                         gate_range == "closed", gate_range)
    if kind == "linatt":
        return WeightSet(kind, "{w = 1}; up to scale the ray w ~ 1", np.ones((n, 1)), np.ones((1, 1)), True,
                         gate_range)
    if kind == "block-id":
        return WeightSet(kind, "geometric within blocks: w|_k = c_k (g_k^{n_k-1},...,1), c_{k-1} = c_k g_k^{n_k}"
                         " (non-convex, K+1 parameters)", None, None, gate_range == "closed", gate_range)
    return WeightSet(kind, "prompt-dependent weights: no fixed realisable vector (each prompt's weights lie"
                     " in the open free set)", None, None, False, gate_range)


def is_realisable(omega: np.ndarray, kind: str, model: DataModel, tol: float = 1e-9,
                  up_to_scale: bool = True, gate_range: str = "closed") -> bool:
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


def _in_unscaled_set(v: np.ndarray, kind: str, model: DataModel, tol: float, gate_range: str,
                     scaled: bool) -> bool:
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


# ============================================================================ cone QPs (A3)
@dataclass
class ConeQPResult:
    """``min x^T H x  s.t. c^T x = sign, A x ≥ 0`` with its KKT certificate.

    Lagrangian ``x^T H x − ν (c^T x − sign) − μ^T A x``; residuals (relative): stationarity
    ``‖2Hx − νc − A^Tμ‖ / (‖2Hx‖ + ‖νc‖ + ‖A^Tμ‖)``, primal feasibility, dual feasibility ``min μ``,
    complementarity ``|μ^T A x|`` / objective."""

    x: np.ndarray
    value: float
    status: str
    nu: float
    mu: np.ndarray
    residuals: dict[str, float]
    sign: int

    @property
    def kkt_max(self) -> float:
        return max(self.residuals.values())


def kkt_residuals(H: np.ndarray, c: np.ndarray, A: np.ndarray | None, sign: float, x: np.ndarray,
                  nu: float, mu: np.ndarray) -> dict[str, float]:
    """Relative KKT residuals of ``min x^T H x s.t. c^T x = sign, A x ≥ 0`` at a primal-dual point."""
    g = 2 * H @ x
    At_mu = A.T @ mu if A is not None and mu.size else np.zeros_like(x)
    denom = float(np.linalg.norm(g) + abs(nu) * np.linalg.norm(c) + np.linalg.norm(At_mu)) or 1.0
    stat = float(np.linalg.norm(g - nu * c - At_mu)) / denom
    xs = max(float(np.linalg.norm(x)), 1e-300)
    feas_eq = abs(float(c @ x) - sign)
    Ax = A @ x if A is not None else np.zeros(0)
    feas_cone = float(max(0.0, -float(Ax.min()))) / xs if Ax.size else 0.0
    dual = float(max(0.0, -float(mu.min()))) / (float(np.abs(mu).max()) + 1.0) if mu.size else 0.0
    obj = max(float(x @ H @ x), 1e-300)
    comp = abs(float(mu @ Ax)) / obj if mu.size else 0.0
    return {"stationarity": stat, "primal_equality": feas_eq, "primal_cone": feas_cone, "dual_sign": dual,
            "complementarity": comp}


def _psd_factor(H: np.ndarray) -> np.ndarray:
    """``F`` with ``F^T F = H`` for a symmetric PSD ``H`` (rounding negatives clipped)."""
    w, V = np.linalg.eigh(0.5 * (H + H.T))
    return (V * np.sqrt(np.clip(w, 0.0, None))).T


class ConeQPFamily:
    """The one-parameter family ``min x^T (R_u + γ N_u) x  s.t. c^T x = sign, A x ≥ 0`` (A3), compiled
    once with γ a cvxpy Parameter (DPP) and re-solved with Clarabel. ``R_u ⪰ 0``, ``N_u ≻ 0``.

    ``drop_constraint`` (tests only) removes one row of ``A``, to plant a missing cone constraint."""

    def __init__(self, Ru: np.ndarray, Nu: np.ndarray, c: np.ndarray, A: np.ndarray | None, sign: int = 1,
                 drop_constraint: int | None = None):
        import cvxpy as cp

        self.Ru = 0.5 * (Ru + Ru.T)
        self.Nu = 0.5 * (Nu + Nu.T)
        self.c = np.asarray(c, dtype=np.float64)
        self.sign = int(sign)
        if A is not None and drop_constraint is not None:
            A = np.delete(A, drop_constraint, axis=0)
        self.A = A if A is not None and A.shape[0] else None
        m = self.Ru.shape[0]
        self.x = cp.Variable(m)
        self.gamma = cp.Parameter(nonneg=True, value=1.0)
        obj = cp.sum_squares(_psd_factor(self.Ru) @ self.x) + self.gamma * cp.sum_squares(
            _psd_factor(self.Nu) @ self.x)
        self.cons = [self.c @ self.x == self.sign]
        if self.A is not None:
            self.cons.append(self.A @ self.x >= 0)
        self.problem = cp.Problem(cp.Minimize(obj), self.cons)

    def solve(self, gamma: float) -> ConeQPResult:
        import cvxpy as cp

        m = self.Ru.shape[0]
        self.gamma.value = float(gamma)
        H = self.Ru + gamma * self.Nu
        try:
            self.problem.solve(solver=cp.CLARABEL)
        except cp.error.SolverError as exc:  # reported, not hidden
            return ConeQPResult(np.full(m, np.nan), np.inf, f"solver_error: {exc}", np.nan, np.zeros(0),
                                {"stationarity": np.inf}, self.sign)
        status = str(self.problem.status)
        if self.x.value is None:
            return ConeQPResult(np.full(m, np.nan), np.inf, status, np.nan, np.zeros(0),
                                {"stationarity": np.inf}, self.sign)
        xv = np.asarray(self.x.value, dtype=np.float64)
        # cvxpy's dual y of `c@x == sign` for Minimize(f): ∇f + y c − A^T μ = 0, so ν = −y
        nu = -float(np.atleast_1d(self.cons[0].dual_value)[0])
        mu = (np.asarray(self.cons[1].dual_value, dtype=np.float64).ravel() if len(self.cons) > 1
              else np.zeros(0))
        res = kkt_residuals(H, self.c, self.A, self.sign, xv, nu, mu)
        return ConeQPResult(xv, float(xv @ H @ xv), status, nu, mu, res, self.sign)


def solve_cone_qp(H: np.ndarray, c: np.ndarray, A: np.ndarray | None, sign: int = 1,
                  drop_constraint: int | None = None) -> ConeQPResult:
    """Solve ``min x^T H x s.t. c^T x = sign, A x ≥ 0`` (H ≻ 0) with cvxpy/Clarabel, certified by KKT."""
    Hs = 0.5 * (H + H.T)
    if np.linalg.eigvalsh(Hs)[0] <= 0:
        raise InputError("H", "must be positive definite")
    return ConeQPFamily(np.zeros_like(Hs), Hs, c, A, sign, drop_constraint).solve(1.0)


# ============================================================================ constrained optimum
@dataclass
class ClassOptimum:
    """Best one-layer risk of a gate class (A3), with the certificate."""

    kind: str
    risk: float
    omega: np.ndarray  # sign-normalised (max |ω| entry positive... scaled so max|ω| = 1)
    P: np.ndarray
    gamma: float  # the γ of the QP family at the optimum (inf for ω ∝ r)
    sign: int
    qp: ConeQPResult
    certificate: dict[str, float] = field(default_factory=dict)
    method: str = ""

    @property
    def certified(self) -> bool:
        return bool(self.certificate.get("ok", 0.0))


def _spectral_sums(model: DataModel, omega: np.ndarray) -> tuple[float, float, float]:
    from .closed_forms import risk_coefficients

    co = risk_coefficients(model, omega)
    lam = model.eigenvalues
    den = co.a * lam + co.b
    return float(np.sum(lam**2 / den**2)), float(np.sum(lam**3 / den**2)), co.rw


def fixed_point_gamma(model: DataModel, omega: np.ndarray) -> float:
    """``1 + s F_2/F_3`` at ω (THEORY R4's fixed point; the first-order condition on the cone, too)."""
    f2, f3, _ = _spectral_sums(model, omega)
    return 1.0 + model.s * f2 / f3


def _reduced(model: DataModel, kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """(E, R_u = E^T R E, N_u = E^T E, A) for the cone parametrisation ``ω = E u``."""
    if kind == "unconstrained":
        E = np.eye(model.n)
        A = None
    else:
        ws = realisable_weights(kind, model)
        if ws.E is None:
            raise InputError("kind", f"{kind!r} is not a polyhedral cone; use block_id_optimum")
        E, A = ws.E, ws.A
    if kind == "delimiter":
        N = np.diag(np.asarray(model.block_sizes, dtype=np.float64))
        Ru = N @ model.task_corr @ N
        Nu = N
    else:
        Ru = E.T @ model.R @ E
        Nu = E.T @ E
    return E, Ru, Nu, A


def constrained_optimum(model: DataModel, kind: str, tol: float = 1e-7, grid: int = 16,
                        drop_constraint: int | None = None) -> ClassOptimum:
    """A3: ``min L*(ω)`` over the realisable cone of ``kind`` (``free``, ``delimiter``, ``linatt``, or
    ``unconstrained`` for WPGD), both signs ``r^T ω = ±1``.

    For each ``γ`` the cone QP ``min ω^T (R + γI) ω, r^T ω = ±1`` is solved (:class:`ConeQPFamily`); the
    minimiser of ``L*`` over the cone is the QP solution at ``γ* = 1 + s F_2(ω)/F_3(ω)`` (the linearisation
    of ``L*`` in ``(a, b)`` at the optimum is ``F_3 a + F_2 b ∝ ω^T (R + γ* I) ω``), and
    ``γ* ∈ [1 + s/λ_max, 1 + s/λ_min]`` because ``F_2/F_3`` is a weighted mean of ``1/λ_k``. For
    ``Σ = λ I`` that interval is the single point ``1 + s/λ`` (one QP, exact). Otherwise ``γ − 1`` is
    searched on a log grid and refined (bounded Brent). Certificate: status optimal, the QP's KKT
    residuals, the fixed-point residual ``|γ − (1 + s F_2/F_3)| / γ``, and the grid gap (no grid point beats
    the reported risk by more than ``tol``).
    """
    from scipy.optimize import minimize_scalar

    if kind == "linatt":
        w = np.ones(model.n)
        risk = profile_risk(model, w)
        res = {"stationarity": 0.0, "primal_equality": 0.0, "primal_cone": 0.0, "dual_sign": 0.0,
               "complementarity": 0.0}
        q = ConeQPResult(w / float(model.r.sum()) if model.r.sum() else w, np.nan, "optimal", 0.0, np.zeros(0),
                         res, 1)
        cert = dict(res, fixed_point=0.0, grid_gap=0.0, status_optimal=1.0, ok=1.0)
        return ClassOptimum("linatt", risk, w, optimal_preconditioner(model, w), np.nan, 1, q, cert,
                            "closed form (one-dimensional set)")
    E, Ru, Nu, A = _reduced(model, kind)
    c = E.T @ model.r
    lam = model.eigenvalues
    iso = bool(np.allclose(lam, lam[0], rtol=1e-12))

    def risk_of(q: ConeQPResult) -> float:
        if not np.all(np.isfinite(q.x)):
            return np.inf
        return profile_risk(model, E @ q.x)

    best: tuple[float, float, ConeQPResult] | None = None
    grid_risks: list[float] = []
    for sign in (1, -1):
        fam = ConeQPFamily(Ru, Nu, c, A, sign, drop_constraint=drop_constraint)
        if iso:
            g = 1.0 + model.s / float(lam[0])
            q = fam.solve(g)
            cand = [(risk_of(q), g, q)]
        else:
            lo, hi = model.s / float(lam[-1]), model.s / float(lam[0])
            ts = np.geomspace(lo, hi, grid)
            cand = [(risk_of(q), 1.0 + t, q) for t in ts for q in [fam.solve(1.0 + t)]]
            grid_risks.extend(x[0] for x in cand)
            i = int(np.argmin([x[0] for x in cand]))
            a_t, b_t = ts[max(i - 1, 0)], ts[min(i + 1, len(ts) - 1)]
            opt = minimize_scalar(lambda lt: risk_of(fam.solve(1.0 + np.exp(lt))),
                                  bounds=(np.log(a_t), np.log(b_t)), method="bounded",
                                  options={"xatol": 1e-9})
            g = 1.0 + float(np.exp(opt.x))
            q = fam.solve(g)
            cand.append((risk_of(q), g, q))
        for item in cand:
            if best is None or item[0] < best[0]:
                best = item
    assert best is not None
    risk, gamma, q = best
    omega = E @ q.x
    _, omega_n = normalise_weights(omega)
    P = optimal_preconditioner(model, omega_n)
    fp = fixed_point_gamma(model, omega)
    cert = dict(q.residuals)
    cert["fixed_point"] = abs(gamma - fp) / gamma
    cert["grid_gap"] = max(0.0, risk - min(grid_risks)) if grid_risks else 0.0
    cert["status_optimal"] = 1.0 if q.status == "optimal" else 0.0
    ok = (q.status == "optimal" and max(q.residuals.values()) <= max(tol, 1e-6) and cert["fixed_point"] <= 1e-4
          and cert["grid_gap"] <= tol * max(abs(risk), 1.0))
    cert["ok"] = 1.0 if ok else 0.0
    method = "isotropic cone QP (exact gamma = 1 + s/lambda)" if iso else "gamma search over cone QPs"
    return ClassOptimum(kind, risk, omega_n, P, gamma, q.sign, q, cert, method)


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
    return {"wpgd_risk": wp.risk, "class_risk": co.risk, "gap": gap,
            "attains": bool(gap <= tol * max(1.0, abs(wp.risk))), "omega_star_realisable": member,
            "omega_star": wp.omega, "omega_class": co.omega}


# ============================================================================ block-id class (non-convex)
def block_id_optimum(model: DataModel, rng: np.random.Generator, restarts: int = 8) -> tuple[float, np.ndarray]:
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
    """``min_P`` of :func:`vector_gate_risk`: ``P* = Σ^{-1} H^T M^{-1}``, value ``s − tr(H Σ^{-1} H^T M^{-1})``."""
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


def vector_gate_optimum(model: DataModel, kind: str = "unconstrained") -> dict:
    """A6: best one-layer risk with key-dimension gates, diagonal Σ. Coordinates decouple; coordinate m
    solves the cone QP ``min γ^T (R + (1+s/λ_m) I) γ, r^T γ = ±1`` over the per-coordinate cone of
    ``kind`` (``unconstrained``, ``free``, ``delimiter``); risk ``s − Σ_m λ_m / q_m``."""
    lam = _check_diagonal(model)
    E, Ru, Nu, A = _reduced(model, kind)
    c = E.T @ model.r
    total = 0.0
    cols, certs = [], []
    fams = [ConeQPFamily(Ru, Nu, c, A, sign) for sign in (1, -1)]
    for l in lam:
        best = None
        for fam in fams:
            q = fam.solve(1.0 + model.s / l)
            if best is None or q.value < best.value:
                best = q
        assert best is not None
        total += l / best.value
        cols.append(E @ best.x)
        certs.append(best)
    Gamma = np.stack(cols, axis=1)
    return {"risk": float(model.s - total), "Gamma": Gamma,
            "kkt_max": max(q.kkt_max for q in certs),
            "status": [q.status for q in certs]}
