"""The multitask data model of docs/data-model.md as a frozen object.

Features ``x_i, x ~ N(0, Σ)``; example ``i`` in block ``k`` has task ``β_k``; the query has ``β``;
``E[β_k β_l^T] = C_kl I_d`` with the block-task correlation ``C`` ((K+1)x(K+1), last index = query);
labels ``y_i = x_i^T β_{k(i)} + ξ_i``, ``ξ ~ N(0, σ²)``. Task covariance convention: ``E[β β^T] = I_d``
("unit-task scale"); the risk is the plain squared error ``E(y - ŷ)²`` without normalisation.

The example-level matrices are ``R = B C_blk B^T`` and ``r = B c`` with the n×K block indicator ``B``.
They are formed lazily: the closed forms use the block structure so that n in the thousands stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .config import ModelConfig
from .errors import InputError
from .linalg import as_finite_array, check_correlation, check_psd


@dataclass(frozen=True, eq=False)
class DataModel:
    """Validated data model. Build with :meth:`create` or :meth:`from_config`."""

    sigma: np.ndarray  # (d, d) feature covariance Σ ≻ 0
    block_sizes: tuple[int, ...]  # n_1..n_K in prompt order
    block_corr: np.ndarray  # (K+1, K+1) block-task correlation, last = query
    noise_var: float  # σ²
    family: str = "custom"
    meta: dict = field(default_factory=dict)

    # ------------------------------------------------------------------ construction
    @classmethod
    def create(
        cls,
        sigma: object,
        block_corr: object,
        block_sizes: object,
        noise_var: float,
        family: str = "custom",
    ) -> DataModel:
        """Validate and build. Raises InputError naming the field on bad input."""
        sig = as_finite_array(sigma, "sigma", ndim=2)
        check_psd(sig, "sigma", strict=True)
        corr = as_finite_array(block_corr, "block_corr", ndim=2)
        sizes = tuple(int(b) for b in np.atleast_1d(np.asarray(block_sizes)))
        if any(int(b) != b or b < 1 for b in np.atleast_1d(np.asarray(block_sizes))):
            raise InputError("block_sizes", "every block size must be an integer >= 1", block_sizes)
        if corr.shape != (len(sizes) + 1, len(sizes) + 1):
            raise InputError(
                "block_corr", f"must be (K+1)x(K+1) with K = {len(sizes)} blocks, got {corr.shape}"
            )
        check_correlation(corr, "block_corr")
        nv = float(noise_var)
        if not np.isfinite(nv) or nv < 0:
            raise InputError("noise_var", "must be finite and >= 0", noise_var)
        sig = 0.5 * (sig + sig.T)
        corr = 0.5 * (corr + corr.T)
        sig.setflags(write=False)
        corr.setflags(write=False)
        return cls(sigma=sig, block_sizes=sizes, block_corr=corr, noise_var=nv, family=family)

    @classmethod
    def from_config(cls, cfg: ModelConfig) -> DataModel:
        sizes, corr = cfg.tasks.block_correlation(cfg.n)
        return cls.create(cfg.features.sigma(cfg.d), corr, sizes, cfg.noise_var, family=cfg.tasks.family)

    @classmethod
    def from_example_correlation(cls, sigma: object, C: object, noise_var: float) -> DataModel:
        """A model whose every example is its own block: ``C`` is the (n+1)x(n+1) example/query matrix."""
        c = as_finite_array(C, "C", ndim=2)
        return cls.create(sigma, c, [1] * (c.shape[0] - 1), noise_var)

    # ------------------------------------------------------------------ dimensions
    @property
    def d(self) -> int:
        return self.sigma.shape[0]

    @property
    def n(self) -> int:
        return int(sum(self.block_sizes))

    @property
    def K(self) -> int:
        return len(self.block_sizes)

    # ------------------------------------------------------------------ derived quantities
    @cached_property
    def eigenvalues(self) -> np.ndarray:
        """Eigenvalues λ_1..λ_d of Σ, ascending."""
        return np.linalg.eigvalsh(self.sigma)

    @cached_property
    def sigma_eig(self) -> tuple[np.ndarray, np.ndarray]:
        """(λ, V) with Σ = V diag(λ) V^T."""
        return np.linalg.eigh(self.sigma)

    @property
    def s(self) -> float:
        """s = tr Σ + σ²."""
        return float(np.trace(self.sigma) + self.noise_var)

    @cached_property
    def block_index(self) -> np.ndarray:
        """Block id k(i) of every example, shape (n,)."""
        return np.repeat(np.arange(self.K), self.block_sizes)

    @cached_property
    def block_indicator(self) -> np.ndarray:
        """B, shape (n, K): B[i, k] = 1 iff example i is in block k."""
        b = np.zeros((self.n, self.K))
        b[np.arange(self.n), self.block_index] = 1.0
        return b

    @property
    def task_corr(self) -> np.ndarray:
        """The K×K block-task correlation among examples' tasks."""
        return self.block_corr[: self.K, : self.K]

    @property
    def query_corr(self) -> np.ndarray:
        """c_k = corr(β_k, β), shape (K,)."""
        return self.block_corr[: self.K, self.K]

    @cached_property
    def R(self) -> np.ndarray:
        """Example-level task correlation R (n×n). Formed on first use."""
        idx = self.block_index
        return self.task_corr[np.ix_(idx, idx)]

    @cached_property
    def r(self) -> np.ndarray:
        """Example/query task correlation r (n,)."""
        return self.query_corr[self.block_index]

    @cached_property
    def C(self) -> np.ndarray:
        """The full (n+1)×(n+1) correlation [[R, r], [r^T, 1]]."""
        n = self.n
        c = np.empty((n + 1, n + 1))
        c[:n, :n] = self.R
        c[:n, n] = self.r
        c[n, :n] = self.r
        c[n, n] = 1.0
        return c

    def block_sums(self, omega: np.ndarray) -> np.ndarray:
        """B^T ω: per-block sums of a weight vector (on the last axis)."""
        return np.asarray(omega, dtype=np.float64) @ self.block_indicator

    def describe(self) -> dict:
        """JSON-friendly description (for evidence records)."""
        return {
            "d": self.d,
            "n": self.n,
            "noise_var": self.noise_var,
            "family": self.family,
            "block_sizes": list(self.block_sizes),
            "block_corr": self.block_corr.tolist(),
            "sigma": self.sigma.tolist() if self.d <= 16 else {"eigenvalues": self.eigenvalues.tolist()},
            "conventions": "E[beta beta^T] = I_d; risk = E(y - yhat)^2 (unnormalised)",
        }
