"""Key-dimension (vector) gates (G2, A6): one weight vector per coordinate.

For diagonal Σ the risk at the optimal (diagonal) P decouples per coordinate:

    L(P, Γ) = s − Σ_m (rᵀγ^m)² λ_m² / (λ_m a_m + b_m),   a_m = γ^{mT}(R+I)γ^m,  b_m = s‖γ^m‖²,

and ``λ_m a_m + b_m = λ_m γ^{mT}(R + (1 + s/λ_m)I)γ^m``, so coordinate m solves the cone QP of the scalar
class at the fixed ``γ_m = 1 + s/λ_m`` and contributes ``λ_m / q_m`` with ``q_m`` its value at
``rᵀγ^m = 1``. The block reduction (:mod:`.reduced`) is exact per coordinate (same averaging argument with
γ fixed), so each coordinate is one K-variable NNLS; the certificate checks the QP's KKT conditions for
every coordinate on all n weights against the gate-product cone (:func:`.certificate.qp_kkt_certificate`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..model import DataModel
from ..tolerances import CERT_TOL, DIAGONAL_RTOL
from .certificate import gate_step_kinds, qp_kkt_certificate
from .reduced import R_ZERO_MESSAGE, BlockReduction, ReducedSolution, _solve, reduced_cone


def _check_diagonal(model: DataModel) -> np.ndarray:
    sig = model.sigma
    if not np.allclose(sig, np.diag(np.diag(sig)), atol=DIAGONAL_RTOL * float(np.max(np.abs(sig)))):
        raise InputError("sigma", "vector-gate decoupling needs a diagonal Σ (in the gated coordinates)")
    return np.diag(sig).copy()


def _moments(model: DataModel, Gamma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``H = Σ_i r_i Γ_i Σ²`` and ``M = Σ_{ij} R_ij Γ_i Σ² Γ_j + Σ_i Γ_i(Σ² + sΣ)Γ_i`` (Γ_i = diag γ_i),
    through the block structure: ``Σ_{ij} R_ij γ_i γ_jᵀ = (EᵀΓ)ᵀ C (EᵀΓ)`` (no n×n matrix)."""
    G = np.asarray(Gamma, dtype=np.float64)
    if G.ndim != 2 or G.shape != (model.n, model.d):
        raise InputError("Gamma", f"must have shape ({model.n}, {model.d}), got {G.shape}")
    sig = model.sigma
    sig2 = sig @ sig
    H = (model.r @ G)[:, None] * sig2
    S = np.zeros((model.K, model.d))
    np.add.at(S, model.block_index, G)
    GRG = S.T @ np.asarray(model.task_corr) @ S
    M = sig2 * GRG + (sig2 + model.s * sig) * (G.T @ G)
    return H, M


def vector_gate_risk(model: DataModel, P: np.ndarray, Gamma: np.ndarray) -> float:
    """Risk of the key-gated one-layer predictor ``ŷ = xᵀ P Σ_i diag(γ_i) x_i y_i`` (G2), any Σ:
    ``L = s − 2 tr(P H) + tr(Pᵀ Σ P M)`` with H, M of :func:`_moments` (derived like R1)."""
    H, M = _moments(model, Gamma)
    return float(model.s - 2 * np.trace(P @ H) + np.trace(P.T @ model.sigma @ P @ M))


def vector_gate_profile(model: DataModel, Gamma: np.ndarray) -> tuple[float, np.ndarray]:
    """``min_P`` of :func:`vector_gate_risk`: ``P* = Σ⁻¹ Hᵀ M⁻¹``, value ``s − tr(H Σ⁻¹ Hᵀ M⁻¹)``."""
    H, M = _moments(model, Gamma)
    M = 0.5 * (M + M.T)
    P = np.linalg.solve(model.sigma, H.T) @ np.linalg.pinv(M)
    return float(model.s - np.trace(P @ H)), P


def coordinate_optimal_weights(model: DataModel) -> np.ndarray:
    """A6 (diagonal Σ): column m is ``(R + (1 + s/λ_m) I)⁻¹ r`` (unconstrained coordinate optimum), via the
    exact block reduction ``(N C N + γN) u = N c``, ``ω = E u``."""
    lam = _check_diagonal(model)
    red = BlockReduction.of(model)
    out = np.empty((model.n, model.d))
    for m, l in enumerate(lam):
        Q = red.qp_matrix(1.0 + model.s / l)
        out[:, m] = red.lift(np.linalg.solve(Q, red.sizes * red.c))
    return out


@dataclass(frozen=True, eq=False)
class VectorGateOptimum:
    """A6: the best key-gated one-layer risk (diagonal Σ) and its per-coordinate certificate.

    ``Gamma`` (n, d): column m is coordinate m's weights (``r̂ᵀγ^m = ±1``); ``kkt_max`` the largest reduced
    QP KKT residual; ``cone_kkt_max`` the largest full-space KKT residual (gate-product cone)."""

    kind: str
    risk: float
    Gamma: np.ndarray
    q: np.ndarray  # per-coordinate QP values at rᵀγ = 1 (= q_unit/ρ²; inf where ρ² underflows)
    kkt_max: float
    cone_kkt_max: float
    tolerance: float
    #: per-coordinate QP values at ``r̂ᵀγ = 1`` (``r̂ = r/ρ``, ``ρ = max|r|``): finite at every scale of r
    q_unit: np.ndarray | None = None

    @property
    def certified(self) -> bool:
        return bool(self.kkt_max <= self.tolerance and self.cone_kkt_max <= self.tolerance)

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "risk": self.risk,
            "Gamma": self.Gamma.tolist(),
            "kkt_max": self.kkt_max,
            "cone_kkt_max": self.cone_kkt_max,
            "certified": self.certified,
        }

    def __getitem__(self, key: str) -> object:
        """Read access by the old dict keys (``risk``, ``Gamma``, ``kkt_max``, ``certified``) for callers on
        other branches; new code reads the attributes."""
        return getattr(self, key)


def vector_gate_optimum(
    model: DataModel, kind: str = "unconstrained", tol: float = CERT_TOL
) -> VectorGateOptimum:
    """A6: best one-layer risk with key-dimension gates, diagonal Σ. Coordinate m solves the reduced cone QP
    of ``kind`` (``unconstrained``, ``free``, ``delimiter``) at ``γ_m = 1 + s/λ_m``, both signs; risk
    ``s − Σ_m λ_m / q_m``. Equal λ's share one solve.

    Scale of r: everything is solved with the unit ``r̂ = r/ρ`` (``ρ = max|r|``), where the QP value
    ``q̂_m`` at ``r̂ᵀγ = 1`` is of order 1, and the risk is ``s − ρ² Σ_m λ_m/q̂_m`` (``q_m = q̂_m/ρ²``). So a
    tiny nonzero r is no special case: the weights are the same as for ``r̂`` (the problem is invariant under
    ``r → c·r`` up to that factor), and where ``q̂_m/ρ²`` overflows (``ρ < ~1e-154``) the gain is below the
    smallest float, ``q_m`` is ``inf`` and the risk is exactly ``s``. Before, ``q`` divided by
    ``(rᵀγ)²`` and raised ZeroDivisionError once that underflowed (docs/findings.md)."""
    lam = _check_diagonal(model)
    red = BlockReduction.of(model)
    if red.rho == 0.0:
        raise InputError("r", R_ZERO_MESSAGE)
    cone = reduced_cone(kind, red.K)
    kinds = gate_step_kinds(kind, model)  # the certificate's cone, from gate products, built once
    cache: dict[float, tuple[float, ReducedSolution]] = {}
    cols, qs, kkts, cone_kkts = [], [], [], []
    for l in lam:
        gam = 1.0 + model.s / float(l)
        if gam not in cache:
            best = None
            for sg in (1, -1):
                sol = _solve(red, cone, gam, sg)
                if sol.u is None:
                    continue
                # the quotient γᵀQγ/(r̂ᵀγ)² with the unit r̂ (= sol.value: the solve normalises r̂ᵀγ = ±1)
                rw = float(red.c_unit @ (red.sizes * sol.u))
                q = sol.value / rw**2
                if best is None or q < best[0]:
                    best = (q, sol)
            if best is None:
                raise InputError("model", f"no feasible per-coordinate weights for kind {kind!r}")
            w = red.lift(best[1].u)
            cert = qp_kkt_certificate(model, w, gam, kind, kinds=kinds)
            cache[gam] = (best[0], best[1], cert.residual)
        q, sol, ck = cache[gam]
        qs.append(q)
        cols.append(red.lift(sol.u))
        kkts.append(max(sol.kkt, sol.gap))
        cone_kkts.append(ck)
    q_unit = np.asarray(qs)
    rho2 = red.rho**2
    with np.errstate(divide="ignore", over="ignore"):
        q_arr = q_unit / rho2 if rho2 > 0.0 else np.full_like(q_unit, np.inf)
    return VectorGateOptimum(
        kind=kind,
        risk=float(model.s - float(np.sum(lam / q_arr))),
        Gamma=np.stack(cols, axis=1),
        q=q_arr,
        q_unit=q_unit,
        kkt_max=float(max(kkts)),
        cone_kkt_max=float(max(cone_kkts)),
        tolerance=tol,
    )


def vector_gate_local_optimum(model: DataModel, restarts: int = 2, seed: int = 0) -> dict:
    """Any Σ (also non-diagonal): a local minimum over Γ of ``min_P`` of the key-gated risk
    (:func:`vector_gate_profile`), by L-BFGS from the scalar WPGD optimum (columns equal) and from
    perturbations of it. No certificate: an upper bound on the best vector-gated risk, used to *measure*
    the vector-vs-scalar advantage where the coordinates do not decouple."""
    from scipy.optimize import minimize

    from .optima import constrained_optimum

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


# ------------------------------------------------------------------------ JSON boundary: the n×d weight table
#: up to this many entries (n·d) the weight table is written as a plain n×d list, as it always was; above,
#: in the exact block form (a 65 536 × 1 024 table as a list of Python floats took 3.2 GB and 35 s)
WEIGHTS_DENSE_MAX = 1 << 20


def weights_json(Gamma: np.ndarray, block_sizes: list[int] | tuple[int, ...]) -> tuple[str, object]:
    """A6 (JSON boundary): ``(format, value)`` for the n×d weight table ``Gamma`` (column m = coordinate m).

    ``"dense"``: the n×d nested list (every table up to :data:`WEIGHTS_DENSE_MAX` entries, and any table that
    is not block-constant). ``"block-constant"``: ``{"block_sizes": [n_1, …, n_K], "block_values": K×d}``,
    row k repeated n_k times; written only when every row of ``Gamma`` equals its block's first row exactly
    (the optimum's columns are lifts of K block values, docs/gating.md), so the form is exact.
    :func:`expand_weights` reads both."""
    G = np.asarray(Gamma, dtype=np.float64)
    sizes = [int(s) for s in block_sizes]
    if G.ndim != 2 or G.size <= WEIGHTS_DENSE_MAX or sum(sizes) != G.shape[0]:
        return "dense", G.tolist()
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int)
    U = G[starts]
    for k, (a, size) in enumerate(zip(starts, sizes, strict=True)):  # one block at a time: bounded memory
        if not np.array_equal(G[a : a + size], np.broadcast_to(U[k], (size, G.shape[1]))):
            return "dense", G.tolist()
    return "block-constant", {"block_sizes": sizes, "block_values": U.tolist()}


def expand_weights(fmt: str, value: object) -> np.ndarray:
    """The n×d weight table from :func:`weights_json`'s ``(format, value)`` (e.g. a ``gla_vector`` section's
    ``omega_format`` and ``omega``)."""
    if fmt == "dense":
        return np.asarray(value, dtype=np.float64)
    if fmt == "block-constant" and isinstance(value, dict):
        U = np.asarray(value["block_values"], dtype=np.float64)
        return np.repeat(U, np.asarray(value["block_sizes"], dtype=int), axis=0)
    raise InputError(
        "omega_format", "must be 'dense' or 'block-constant' (with block_sizes, block_values)", fmt
    )
