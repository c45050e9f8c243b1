"""The block-reduced core of the WPGD landscape (R3, R4, R6, R7): the profile risk, its gradient and its
Hessian on the full n-dimensional weight space, without ever forming an n×n matrix.

Notation (docs/landscape.md): ``s = tr Σ + σ²``, ``A = R + I``, ``a(ω) = ωᵀAω``, ``b(ω) = s‖ω‖²``,
``L*(ω) = s − (rᵀω)² f(a, b)`` with ``f = Σ_k λ_k²/(aλ_k + b)``; ``F_p = Σ λ^p/(aλ+b)²``,
``G_p = Σ λ^p/(aλ+b)³``.

The reduction. ``R = E C Eᵀ`` and ``r = E c`` with the n×K block indicator ``E`` (``EᵀE = N = diag(n_k)``).
Let ``Q_E = E N^{-1/2}`` (orthonormal columns) and ``W = ker Eᵀ`` (the within-block zero-mean vectors).
For any ω write ``ω = Q_E v + ω_W`` with ``v = N^{-1/2} Eᵀ ω`` and ``ω_W ∈ W``. Then, with
``G = N^{1/2} C N^{1/2}`` and ``ř = N^{1/2} c``,

    rᵀω = řᵀv,   ωᵀRω = vᵀGv,   ‖ω‖² = ‖v‖² + ‖ω_W‖².

So ``L*`` restricted to ``V = range(E) ⊕ span(ω_W)`` is the profile risk of a (K+1)-"example" problem with
correlation ``diag(G, 0)`` and query ``(ř, 0)`` at the point ``(v, ‖ω_W‖)``, and the Hessian is

    ∇²L*(ω) = α (I − Q Qᵀ) + Q H_V Qᵀ,   α = 2c²(F₃ + sF₂),   Q = [Q_E, ω_W/‖ω_W‖],

where ``H_V`` is the (K+1)×(K+1) Hessian of the small problem: on ``W ∩ ω_W^⊥`` we have ``Rw = 0``,
``rᵀw = 0`` and ``ωᵀw = 0``, so only the identity parts of ``∇²L* = −2f rrᵀ + 4c(rvᵀ + vrᵀ) + 2c²J_v``
survive there (proof in docs/landscape.md). The full spectrum is ``eig(H_V)`` plus ``α`` with multiplicity
``n − dim V``. Time O(n + K³ + d) per point after one ``eigh`` of Σ (O(d³)) and one of G (O(K³)); memory
O(n + K² + d).

Nothing here assumes R7: ω may be any vector of ℝⁿ. R7 follows from the same decomposition (``ω_W``
raises ``a`` and ``b`` at fixed ``rᵀω``, and ``L*`` increases in both), but the checks test it
independently (proofs_check/checks/landscape.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..model import DataModel

_CACHE_KEY = "_glaverify_block_reduction"


@dataclass(frozen=True, eq=False)
class BlockReduction:
    """The data the landscape depends on: block sizes, ``C`` (K×K), ``c`` (K), the spectrum λ of Σ and s,
    plus ``G = N^{1/2} C N^{1/2} = U diag(μ) Uᵀ``. Build with :func:`reduction` (cached on the model)."""

    sizes: np.ndarray  # (K,) float n_k
    sqrt_n: np.ndarray  # (K,)
    C: np.ndarray  # (K, K) block-task correlation
    c: np.ndarray  # (K,) block/query correlation
    G: np.ndarray  # (K, K) N^{1/2} C N^{1/2}
    r_coords: np.ndarray  # (K,) ř = N^{1/2} c: r in the orthonormal block basis
    mu: np.ndarray  # (K,) eigenvalues of G (clipped at 0)
    U: np.ndarray  # (K, K) eigenvectors of G
    lam: np.ndarray  # (d,) eigenvalues of Σ, ascending
    s: float
    block_index: np.ndarray  # (n,)
    n: int
    K: int

    # ------------------------------------------------------------------ block basis
    def block_sums(self, x: np.ndarray) -> np.ndarray:
        """``Eᵀx`` (per-block sums), O(n)."""
        return np.bincount(self.block_index, weights=np.asarray(x, dtype=np.float64), minlength=self.K)

    def coords(self, x: np.ndarray) -> np.ndarray:
        """``v = N^{-1/2} Eᵀ x``: the coordinates of the block-constant part in the orthonormal basis."""
        return self.block_sums(x) / self.sqrt_n

    def expand(self, v: np.ndarray) -> np.ndarray:
        """``Q_E v = E N^{-1/2} v`` (an n-vector, constant within blocks)."""
        return (np.asarray(v, dtype=np.float64) / self.sqrt_n)[self.block_index]

    def split(self, omega: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(v, ω_W)`` with ``ω = Q_E v + ω_W``, ``ω_W ∈ ker Eᵀ``."""
        w = np.asarray(omega, dtype=np.float64)
        v = self.coords(w)
        return v, w - self.expand(v)

    def apply_R(self, omega: np.ndarray) -> np.ndarray:
        """``Rω = E C Eᵀ ω``, O(n + K²)."""
        return (self.C @ self.block_sums(omega))[self.block_index]

    def solve_shifted(self, gamma: float, x: np.ndarray) -> np.ndarray:
        """``(R + γI)⁻¹ x`` for γ > 0 by the block reduction (the Woodbury identity for ``γI + E C Eᵀ``):
        on ``ker Eᵀ`` the matrix is ``γI``; on ``range(E)`` it is ``Q_E (G + γI) Q_Eᵀ``, solved through the
        eigen-decomposition of G. O(n + K²)."""
        if not (gamma > 0 and np.isfinite(gamma)):
            raise InputError("gamma", "must be finite and > 0", gamma)
        v, xw = self.split(x)
        y = self.U @ ((self.U.T @ v) / (self.mu + gamma))
        return self.expand(y) + xw / gamma


def reduction(model: DataModel) -> BlockReduction:
    """The :class:`BlockReduction` of ``model``, computed once and cached on the (frozen) model object."""
    cached = model.__dict__.get(_CACHE_KEY)
    if cached is not None:
        return cached
    sizes = np.asarray(model.block_sizes, dtype=np.float64)
    sn = np.sqrt(sizes)
    C = np.asarray(model.task_corr, dtype=np.float64)
    c = np.asarray(model.query_corr, dtype=np.float64)
    G = sn[:, None] * C * sn[None, :]
    G = 0.5 * (G + G.T)
    mu, U = np.linalg.eigh(G)
    red = BlockReduction(
        sizes=sizes,
        sqrt_n=sn,
        C=C,
        c=c,
        G=G,
        r_coords=sn * c,
        mu=np.clip(mu, 0.0, None),
        U=U,
        lam=model.eigenvalues,
        s=model.s,
        block_index=model.block_index,
        n=model.n,
        K=model.K,
    )
    model.__dict__[_CACHE_KEY] = red  # frozen dataclass: cache like functools.cached_property does
    return red


# ====================================================================== the small problem
@dataclass(frozen=True)
class ProfileTerms:
    """The scalars of ``L*`` at one point: ``c = rᵀω``, ``a``, ``b``, ``f``, ``F₂``, ``F₃``, ``G₂..G₄``."""

    c: float
    a: float
    b: float
    f: float
    F2: float
    F3: float
    G2: float
    G3: float
    G4: float


def profile_terms(lam: np.ndarray, s: float, c: float, quad: float, sq: float) -> ProfileTerms:
    """:class:`ProfileTerms` from ``c = rᵀω``, ``ωᵀRω`` and ``‖ω‖²``."""
    a, b = quad + sq, s * sq
    den = a * lam + b
    l2 = lam**2
    return ProfileTerms(
        c=c,
        a=a,
        b=b,
        f=float(np.sum(l2 / den)),
        F2=float(np.sum(l2 / den**2)),
        F3=float(np.sum(l2 * lam / den**2)),
        G2=float(np.sum(l2 / den**3)),
        G3=float(np.sum(l2 * lam / den**3)),
        G4=float(np.sum(l2 * l2 / den**3)),
    )


def small_gradient(Gm: np.ndarray, rm: np.ndarray, wm: np.ndarray, lam: np.ndarray, s: float) -> np.ndarray:
    """∇L* of the small problem (correlation ``Gm``, query ``rm``) at ``wm``:
    ``−2cf r + 2c²(F₃(G+I)w + sF₂w)``."""
    Gw = Gm @ wm
    t = profile_terms(lam, s, float(rm @ wm), float(wm @ Gw), float(wm @ wm))
    return -2 * t.c * t.f * rm + 2 * t.c**2 * (t.F3 * (Gw + wm) + s * t.F2 * wm)


def small_hessian(
    Gm: np.ndarray, rm: np.ndarray, wm: np.ndarray, lam: np.ndarray, s: float
) -> tuple[np.ndarray, float]:
    """``(H, α)``: the Hessian of the small problem at ``wm`` and the identity coefficient
    ``α = 2c²(F₃ + sF₂)`` (the eigenvalue on the directions the small problem does not see).

    ``H = −2f rrᵀ + 4c(r vᵀ + v rᵀ) + 2c²[F₃ G + (F₃ + sF₂) I − 4(G₄ppᵀ + G₃(pqᵀ + qpᵀ) + G₂qqᵀ)]`` with
    ``p = (G+I)w``, ``q = sw``, ``v = F₃p + F₂q``."""
    m = wm.size
    p = Gm @ wm + wm
    q = s * wm
    sq = float(wm @ wm)
    t = profile_terms(lam, s, float(rm @ wm), float(wm @ p) - sq, sq)
    v = t.F3 * p + t.F2 * q
    alpha = 2 * t.c**2 * (t.F3 + s * t.F2)
    J = 2 * t.c**2 * t.F3 * Gm - 8 * t.c**2 * (
        t.G4 * np.outer(p, p) + t.G3 * (np.outer(p, q) + np.outer(q, p)) + t.G2 * np.outer(q, q)
    )
    H = alpha * np.eye(m) + J - 2 * t.f * np.outer(rm, rm) + 4 * t.c * (np.outer(rm, v) + np.outer(v, rm))
    return 0.5 * (H + H.T), float(alpha)


# ====================================================================== structured Hessian on ℝⁿ
@dataclass(frozen=True)
class StructuredSpectrum:
    """A spectrum of an n×n (or (n−1)-dimensional) operator: ``values`` (the eigenvalues of the small
    part, ascending) and ``bulk`` with multiplicity ``bulk_multiplicity``."""

    values: np.ndarray
    bulk: float
    bulk_multiplicity: int

    @property
    def size(self) -> int:
        return int(self.values.size + self.bulk_multiplicity)

    @property
    def min(self) -> float:
        parts = [float(self.values[0])] if self.values.size else []
        if self.bulk_multiplicity:
            parts.append(self.bulk)
        return min(parts) if parts else float("inf")

    @property
    def max(self) -> float:
        parts = [float(self.values[-1])] if self.values.size else []
        if self.bulk_multiplicity:
            parts.append(self.bulk)
        return max(parts) if parts else float("-inf")

    @property
    def max_abs(self) -> float:
        return max(abs(self.min), abs(self.max)) if self.size else 1.0

    def as_array(self) -> np.ndarray:
        """All eigenvalues, ascending, multiplicities expanded (O(n) memory)."""
        return np.sort(np.concatenate([self.values, np.full(self.bulk_multiplicity, self.bulk)]))


@dataclass(frozen=True)
class StructuredHessian:
    """``∇²L*(ω) = α(I − QQᵀ) + Q H_V Qᵀ`` with ``Q = [Q_E, ω_W/‖ω_W‖]`` (the second column only when
    ``ω_W ≠ 0``). ``omega_coords`` are the coordinates of ω in ``Q`` (ω lies in ``range Q``)."""

    H_V: np.ndarray
    alpha: float
    n: int
    omega_coords: np.ndarray
    w_direction: np.ndarray | None  # ω_W/‖ω_W‖ (n,) or None

    @property
    def dim_V(self) -> int:
        return int(self.H_V.shape[0])

    def spectrum(self) -> StructuredSpectrum:
        """The full spectrum on ℝⁿ."""
        return StructuredSpectrum(np.linalg.eigvalsh(self.H_V), self.alpha, self.n - self.dim_V)

    def restricted_spectrum(self) -> StructuredSpectrum:
        """The spectrum of the compression ``ΠHΠ`` to ``ω^⊥`` (n − 1 eigenvalues): since ω ∈ range Q, ``ω^⊥``
        is ``(range Q ∩ ω^⊥) ⊕ (range Q)^⊥`` and H is α on the second part."""
        u = self.omega_coords / np.linalg.norm(self.omega_coords)
        m = self.dim_V
        if m == 1:
            vals = np.array([])
        else:
            B = np.linalg.qr(np.column_stack([u, np.eye(m)]))[0][:, 1:m]
            vals = np.linalg.eigvalsh(B.T @ self.H_V @ B)
        return StructuredSpectrum(vals, self.alpha, self.n - m)

    def basis(self, red: BlockReduction) -> np.ndarray:
        """``Q`` as an explicit n×dim_V matrix (tests: compose the dense Hessian from the structure)."""
        cols = [np.eye(red.K)[:, k][red.block_index] / red.sqrt_n[k] for k in range(red.K)]
        if self.w_direction is not None:
            cols.append(self.w_direction)
        return np.column_stack(cols)

    def matvec(self, red: BlockReduction, x: np.ndarray) -> np.ndarray:
        """``∇²L*(ω) x`` in O(n + K²)."""
        x = np.asarray(x, dtype=np.float64)
        y = red.coords(x)
        if self.w_direction is not None:
            y = np.append(y, float(self.w_direction @ x))
        z = self.H_V @ y - self.alpha * y
        out = self.alpha * x + red.expand(z[: red.K])
        if self.w_direction is not None:
            out += z[-1] * self.w_direction
        return out


def _r_coords(red: BlockReduction, r: np.ndarray | None) -> np.ndarray:
    """Coordinates of a block-constant r (default the model's) in the orthonormal block basis."""
    if r is None:
        return red.r_coords
    return red.coords(r)


def profile_hessian_structured(
    model: DataModel, omega: np.ndarray, r: np.ndarray | None = None
) -> StructuredHessian:
    """The Hessian of ``L*`` at any ω ∈ ℝⁿ (not only block-constant ones) in structured form; ``r`` (an
    n-vector, constant within blocks, e.g. the unit r of ``r_scale``) defaults to the model's."""
    red = reduction(model)
    w = np.asarray(omega, dtype=np.float64)
    if w.shape != (red.n,):
        raise InputError("omega", f"must have shape ({red.n},), got {w.shape}")
    v, ww = red.split(w)
    t = float(np.linalg.norm(ww))
    rc = _r_coords(red, r)
    scale = max(float(np.max(np.abs(w))), 1e-300)
    if t > 1e-15 * scale * np.sqrt(red.n) and red.n > red.K:
        Gm = np.zeros((red.K + 1, red.K + 1))
        Gm[: red.K, : red.K] = red.G
        rm = np.append(rc, 0.0)
        wm = np.append(v, t)
        wdir = ww / t
    else:  # ω block-constant (to rounding): V = range(E)
        Gm, rm, wm, wdir = red.G, rc, v, None
    H, alpha = small_hessian(Gm, rm, wm, red.lam, red.s)
    return StructuredHessian(H_V=H, alpha=alpha, n=red.n, omega_coords=wm, w_direction=wdir)


def restricted_spectrum_structured(
    model: DataModel, omega: np.ndarray, r: np.ndarray | None = None
) -> StructuredSpectrum:
    """Spectrum of ``∇²L*`` compressed to ``ω^⊥`` (n − 1 eigenvalues, structured)."""
    if model.n == 1:
        return StructuredSpectrum(np.array([]), 0.0, 0)
    return profile_hessian_structured(model, omega, r).restricted_spectrum()


# ====================================================================== values and gradient on ℝⁿ
def profile_gain(model: DataModel, omega: np.ndarray, r: np.ndarray | None = None) -> float:
    """``(rᵀω)² f(a, b) = s − L*(ω)`` computed without the cancellation against ``s`` (with the unit r of
    ``r_scale`` it is ``(s − L*)/ρ²``). O(n + K² + d)."""
    red = reduction(model)
    w = np.asarray(omega, dtype=np.float64)
    sq = float(w @ w)
    if sq == 0.0:
        return 0.0
    u = red.block_sums(w)
    rr = np.asarray(model.r) if r is None else r
    a = float(u @ red.C @ u) + sq
    lam = red.lam
    return float(rr @ w) ** 2 * float(np.sum(lam**2 / (a * lam + red.s * sq)))


def profile_gradient(model: DataModel, omega: np.ndarray, r: np.ndarray | None = None) -> np.ndarray:
    """∇L*(ω) = −2 c f r + 2c² (F₃ (R+I)ω + s F₂ ω), ``c = rᵀω`` (``r`` defaults to the model's), O(n)."""
    red = reduction(model)
    w = np.asarray(omega, dtype=np.float64)
    rr = np.asarray(model.r) if r is None else r
    Rw = red.apply_R(w)
    sq = float(w @ w)
    t = profile_terms(red.lam, red.s, float(rr @ w), float(w @ Rw), sq)
    return -2 * t.c * t.f * rr + 2 * t.c**2 * (t.F3 * (Rw + w) + red.s * t.F2 * w)


def hpp_min_eigenvalue(model: DataModel, omega: np.ndarray) -> float:
    """Smallest eigenvalue of ``H_PP = 2(Σ⊗M)``, ``M = aΣ² + bΣ``: ``2 min_i(aλ_i² + bλ_i) · min_j λ_j``."""
    red = reduction(model)
    w = np.asarray(omega, dtype=np.float64)
    sq = float(w @ w)
    a = float(w @ red.apply_R(w)) + sq
    lam = red.lam
    return float(2 * np.min(a * lam**2 + red.s * sq * lam) * lam[0])


def full_gradient_norms(
    model: DataModel, P: np.ndarray, omega: np.ndarray, r: np.ndarray | None = None
) -> tuple[float, float]:
    """``(‖∂L/∂P‖_F, ‖∂L/∂ω‖₂)`` of R1 at ``(P, ω)``, computed in the eigenbasis of Σ (an orthogonal change
    of variables, so the Frobenius norm is unchanged): with ``P̃ = VᵀPV`` and ``m = aλ² + bλ``,
    ``∂L/∂P̃ = −2cΛ² + 2ΛP̃ diag(m)`` and ``∂L/∂ω = −2 tr(PΣ²) r + 2 tr(PᵀΣPΣ²)(R+I)ω + 2s tr(PᵀΣPΣ) ω``.
    O(d³) for the change of basis, O(d² + n) otherwise."""
    red = reduction(model)
    lam, V = model.sigma_eig
    Pt = V.T @ np.asarray(P, dtype=np.float64) @ V
    w = np.asarray(omega, dtype=np.float64)
    rr = np.asarray(model.r) if r is None else r
    Rw = red.apply_R(w)
    sq = float(w @ w)
    c = float(rr @ w)
    a, b = float(w @ Rw) + sq, red.s * sq
    m = a * lam**2 + b * lam
    gP = 2 * Pt * np.outer(lam, m)
    gP[np.diag_indices_from(gP)] -= 2 * c * lam**2
    P2 = Pt * Pt
    t2 = float(lam @ P2 @ lam**2)
    t1 = float(lam @ P2 @ lam)
    trPS2 = float(np.diag(Pt) @ lam**2)
    gw = -2 * trPS2 * rr + 2 * t2 * (Rw + w) + 2 * red.s * t1 * w
    return float(np.linalg.norm(gP)), float(np.linalg.norm(gw))
