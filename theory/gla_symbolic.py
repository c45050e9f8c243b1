"""Exact (sympy) proofs that the constructed GLA runs WPGD, for small concrete dimensions (G1–G4).

Everything is a polynomial identity in symbols: the prompt ``x_{i,m}``, ``y_i``, the query ``x_m``, the
matrices ``Q_ℓ`` and the gates. The GLA side is the literal recurrence ``S_i = G_i ⊙ S_{i-1} + v_i k_iᵀ``,
``o_i = S_i q_i`` with residuals, evaluated in sympy; the WPGD side is the predictor of docs/gla.md written
independently. An identity is *proved* for the stated dims when ``expand(GLA − WPGD) == 0``.

Gates (``gates=``):

``"free"``      one symbol per layer and token (``g_{ℓ,i}``, or a vector of symbols for key/value gates):
                the identity then holds for whatever values the gates take, so for every gate function.
``"function"``  data dependent: ``g_ℓ(z_i^{(ℓ)})`` with ``g_ℓ`` an undefined sympy function of the current
                token's coordinates. On the WPGD side the argument is rebuilt from WPGD's own iterates,
                ``z_i^{(ℓ)} = [x_i; ỹ_i − x_iᵀ w_i^{(ℓ)}]``, so the proof also shows the two sides feed the
                gates the same tokens at every layer.

Functions here take the pieces under test as arguments (``gla_fn``, ``weights_fn``) so that tests can plant
errors and see the proof fail.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sympy as sp

from .kernel import ProofResult, find_nonzero_point

#: size limit of the symbolic checks (d, n, L); beyond this expansion gets slow
SYMBOLIC_LIMITS = {"d": 3, "n": 4, "L": 2}


@dataclass
class SymbolicPrompt:
    X: sp.Matrix  # (n, d)
    y: list
    x: sp.Matrix  # (d, 1)

    @property
    def d(self) -> int:
        return self.X.shape[1]

    @property
    def n(self) -> int:
        return self.X.shape[0]

    def tokens(self) -> list[sp.Matrix]:
        """``z_i = [x_i; y_i]`` (i ≤ n) and the query ``[x; 0]``, as (d+1, 1) columns."""
        zs = [sp.Matrix([*self.X.row(i), self.y[i]]) for i in range(self.n)]
        zs.append(sp.Matrix([*self.x, 0]))
        return zs


def symbolic_prompt(d: int, n: int) -> SymbolicPrompt:
    X = sp.Matrix(n, d, lambda i, m: sp.Symbol(f"x{i + 1}_{m + 1}", real=True))
    y = [sp.Symbol(f"y{i + 1}", real=True) for i in range(n)]
    x = sp.Matrix(d, 1, lambda m, _: sp.Symbol(f"xq_{m + 1}", real=True))
    return SymbolicPrompt(X, y, x)


def symbolic_Q(d: int, layer: int) -> sp.Matrix:
    return sp.Matrix(d, d, lambda a, b: sp.Symbol(f"Q{layer}_{a + 1}{b + 1}", real=True))


def construction(Q: sp.Matrix) -> tuple[sp.Matrix, sp.Matrix, sp.Matrix]:
    """``(W_q, W_k, W_v)``, (d+1)×(d+1): ``q = [Qx; 0]``, ``k = [x; 0]``, ``v = [0; −y]``."""
    d = Q.shape[0]
    Wq, Wk, Wv = sp.zeros(d + 1), sp.zeros(d + 1), sp.zeros(d + 1)
    Wq[:d, :d] = Q
    Wk[:d, :d] = sp.eye(d)
    Wv[d, d] = -1
    return Wq, Wk, Wv


GateFn = Callable[[int, int, sp.Matrix], object]  # (layer, token index 0..n, token) -> scalar or list


def free_gates(shape: str, dim: int) -> GateFn:
    """Independent symbols per (layer, token): ``g{ℓ}_{i}`` or vectors ``a{ℓ}_{i}_{m}``."""
    def fn(layer: int, i: int, z: sp.Matrix):
        if shape == "scalar":
            return sp.Symbol(f"g{layer + 1}_{i + 1}", positive=True)
        return [sp.Symbol(f"a{layer + 1}_{i + 1}_{m + 1}", positive=True) for m in range(dim)]
    return fn


def function_gates(shape: str, dim: int) -> GateFn:
    """Data-dependent gates ``g_ℓ(z)`` (undefined functions of the token's coordinates)."""
    def fn(layer: int, i: int, z: sp.Matrix):
        if shape == "scalar":
            return sp.Function(f"g{layer + 1}")(*z)
        return [sp.Function(f"a{layer + 1}_{m + 1}")(*z) for m in range(dim)]
    return fn


def gla_layer_symbolic(zs: Sequence[sp.Matrix], W: tuple[sp.Matrix, sp.Matrix, sp.Matrix], gates: Sequence,
                       shape: str) -> list[sp.Matrix]:
    """Outputs ``o_i`` of one GLA layer by the literal recurrence (scalar, key or value gates)."""
    Wq, Wk, Wv = W
    d_v, d_k = Wv.shape[0], Wk.shape[0]
    S = sp.zeros(d_v, d_k)
    outs = []
    for z, g in zip(zs, gates, strict=True):
        q, k, v = Wq * z, Wk * z, Wv * z
        if shape == "scalar":
            S = g * S
        elif shape == "key":
            S = S * sp.diag(*g)
        else:
            S = sp.diag(*g) * S
        S = S + v * k.T
        outs.append(S * q)
    return outs


def gla_predict_symbolic(prompt: SymbolicPrompt, Qs: Sequence[sp.Matrix], gate_fn: GateFn,
                         shape: str = "scalar", layer_fn=gla_layer_symbolic):
    """``ŷ = −[z_{n+1}^{(L)}]_{d+1}`` of the constructed L-layer GLA (residual stream)."""
    zs = prompt.tokens()
    d = prompt.d
    for ell, Q in enumerate(Qs):
        gates = [gate_fn(ell, i, z) for i, z in enumerate(zs)]
        outs = layer_fn(zs, construction(Q), gates, shape)
        zs = [z + o for z, o in zip(zs, outs, strict=True)]
    return -zs[-1][d]


def gate_product(gates: Sequence, j: int, i: int, shape: str = "scalar"):
    """``Π_{k=j+1}^{i} g_k`` (0-based token indices; an empty product is 1); elementwise for vectors."""
    if shape == "scalar":
        return sp.Mul(*gates[j + 1:i + 1])
    dim = len(gates[0])
    return [sp.Mul(*[gates[k][m] for k in range(j + 1, i + 1)]) for m in range(dim)]


WeightsFn = Callable[[Sequence, int, int, str], object]


def causal_wpgd_symbolic(prompt: SymbolicPrompt, Ps: Sequence[sp.Matrix], gate_fn: GateFn,
                         shape: str = "scalar", weights_fn: WeightsFn = gate_product,
                         include_query: bool = True):
    """L steps of causal WPGD (G3), ``ŷ = xᵀ w_{n+1}^{(L)}``, with weights
    ``ω^{(ℓ)}_{j→i} = weights_fn(gates, j, i)`` from the gates evaluated on WPGD's own tokens
    ``[x_i; ỹ_i − x_iᵀ w_i^{(ℓ)}]``. Key gates give per-coordinate ``diag(γ_{j→i})`` on the first d
    coordinates; value gates use the label coordinate."""
    d, n = prompt.d, prompt.n
    xs = [sp.Matrix(prompt.X.row(i)).T for i in range(n)] + [prompt.x]
    yt = list(prompt.y) + [0]
    T = n + 1
    w = [sp.zeros(d, 1) for _ in range(T)]
    for ell, P in enumerate(Ps):
        resid = [(xs[j].T * w[j])[0] - yt[j] for j in range(T)]
        toks = [sp.Matrix([*xs[i], -resid[i]]) for i in range(T)]
        gates = [gate_fn(ell, i, toks[i]) for i in range(T)]
        new = []
        for i in range(T):
            grad = sp.zeros(d, 1)
            last = i if include_query or i < n else i - 1
            for j in range(last + 1):
                om = weights_fn(gates, j, i, shape)
                if shape == "scalar":
                    grad += om * xs[j] * resid[j]
                elif shape == "key":
                    grad += sp.diag(*om[:d]) * xs[j] * resid[j]
                else:
                    grad += om[d] * xs[j] * resid[j]
            new.append(w[i] - P * grad)
        w = new
    return (prompt.x.T * w[-1])[0]


def full_context_wpgd_symbolic(prompt: SymbolicPrompt, Ps: Sequence[sp.Matrix], omegas: Sequence[Sequence]):
    """L steps of full-context WPGD on one iterate, ``w ← w − P_ℓ Σ_i ω^{(ℓ)}_i x_i (x_iᵀ w − y_i)``."""
    d, n = prompt.d, prompt.n
    w = sp.zeros(d, 1)
    for P, om in zip(Ps, omegas, strict=True):
        grad = sp.zeros(d, 1)
        for i in range(n):
            xi = sp.Matrix(prompt.X.row(i)).T
            grad += om[i] * xi * ((xi.T * w)[0] - prompt.y[i])
        w = w - P * grad
    return (prompt.x.T * w)[0]


def one_step_wpgd_symbolic(prompt: SymbolicPrompt, P: sp.Matrix, weights: Sequence, shape: str = "scalar"):
    """(WPGD-1) ``Σ_i ω_i y_i xᵀ P x_i``, or G2's ``xᵀ P Σ_i diag(γ_i) x_i y_i`` (``weights[i]`` a vector)."""
    d = prompt.d
    acc = sp.zeros(d, 1)
    for i in range(prompt.n):
        xi = sp.Matrix(prompt.X.row(i)).T
        acc += (sp.diag(*weights[i][:d]) * xi if shape == "key" else weights[i] * xi) * prompt.y[i]
    return (prompt.x.T * P * acc)[0]


# ------------------------------------------------------------------------------------------------- proofs
class SymbolicResult(ProofResult):
    """A GLA identity result: the :class:`~glaverify.theory.kernel.ProofResult` of ``difference = 0``
    (expanded GLA − WPGD, or causal − full context), built with the historical signature ``(claim, dims,
    difference, terms)``; ``is_zero``, ``terms``, ``dims`` and ``difference`` read as before."""

    def __init__(
        self, claim: str | None = None, dims: dict | None = None, difference: Any = None,
        terms: int | None = None, **extra: Any,
    ) -> None:
        name = extra.pop("name", claim)  # dataclasses.replace passes every field by its kernel name
        if terms is not None:
            extra["residual_terms"] = terms
        extra.setdefault("holds", difference == 0)
        extra.setdefault("residual", "" if difference == 0 else str(difference)[:400])
        super().__init__(name=name, dims=dict(dims or {}), difference=difference, **extra)


def _result(claim: str, dims: dict, diff) -> SymbolicResult:
    e = sp.expand(diff)
    return SymbolicResult(claim, dims, e, len(sp.Add.make_args(e)) if e != 0 else 0)


def prove_g1(d: int = 2, n: int = 3, gla_fn=gla_predict_symbolic, weights_fn: WeightsFn = gate_product,
             gates: str = "free") -> SymbolicResult:
    """G1: one layer, scalar gates: ``GLA = Σ_i ω_i y_i xᵀ Qᵀ x_i`` with ``ω_i = Π_{j=i+1}^{n+1} g_j``."""
    pr = symbolic_prompt(d, n)
    Q = symbolic_Q(d, 1)
    gfn = (free_gates if gates == "free" else function_gates)("scalar", 1)
    lhs = gla_fn(pr, [Q], gfn, "scalar")
    g = [gfn(0, i, z) for i, z in enumerate(pr.tokens())]
    rhs = one_step_wpgd_symbolic(pr, Q.T, [weights_fn(g, i, n, "scalar") for i in range(n)])
    return _result("G1", {"d": d, "n": n, "L": 1, "gates": gates}, lhs - rhs)


def prove_g2(d: int = 2, n: int = 3, gla_fn=gla_predict_symbolic, weights_fn: WeightsFn = gate_product,
             gates: str = "free") -> SymbolicResult:
    """G2: one layer, key gates ``α_i ∈ R^{d+1}``: ``GLA = xᵀ Qᵀ Σ_i diag(γ_i) x_i y_i``,
    ``γ_i = Π_{j=i+1}^{n+1} α_j[1:d]``."""
    pr = symbolic_prompt(d, n)
    Q = symbolic_Q(d, 1)
    gfn = (free_gates if gates == "free" else function_gates)("key", d + 1)
    lhs = gla_fn(pr, [Q], gfn, "key")
    g = [gfn(0, i, z) for i, z in enumerate(pr.tokens())]
    rhs = one_step_wpgd_symbolic(pr, Q.T, [weights_fn(g, i, n, "key") for i in range(n)], "key")
    return _result("G2", {"d": d, "n": n, "L": 1, "gates": gates}, lhs - rhs)


def prove_g3(d: int = 2, n: int = 3, L: int = 2, shape: str = "scalar", gates: str = "function",
             gla_fn=gla_predict_symbolic, weights_fn: WeightsFn = gate_product,
             include_query: bool = True) -> SymbolicResult:
    """G3: L layers = L steps of causal WPGD, ``P_ℓ = Q_ℓᵀ``, ``ω^{(ℓ)}_{j→i} = Π_{k=j+1}^{i} g_k^{(ℓ)}``."""
    pr = symbolic_prompt(d, n)
    Qs = [symbolic_Q(d, ell + 1) for ell in range(L)]
    dim = 1 if shape == "scalar" else d + 1
    gfn = (free_gates if gates == "free" else function_gates)(shape, dim)
    lhs = gla_fn(pr, Qs, gfn, shape)
    rhs = causal_wpgd_symbolic(pr, [Q.T for Q in Qs], gfn, shape, weights_fn, include_query)
    return _result("G3", {"d": d, "n": n, "L": L, "gates": gates, "shape": shape}, lhs - rhs)


def causal_minus_full(d: int, n: int, L: int, general_weights: bool = False,
                      full_weights_fn: WeightsFn | None = None) -> SymbolicResult:
    """G4: causal WPGD − full-context WPGD, same ``P_ℓ`` (symbolic), full-context weights = the query row
    ``ω^{(ℓ)}_i = ω^{(ℓ)}_{i→n+1}``. ``general_weights``: causal weights are free symbols ``w{ℓ}_{j}_{i}``
    (not gate products), so an identity holds for every weighting. ``full_weights_fn`` overrides how the
    full-context weights are formed from the gates (injection point for planted errors)."""
    pr = symbolic_prompt(d, n)
    Ps = [symbolic_Q(d, ell + 1).T for ell in range(L)]
    gfn = free_gates("scalar", 1)
    if general_weights:
        def wfn(gates, j, i, shape):
            return sp.Symbol(f"w{gates[0].name[1]}_{j + 1}_{i + 1}", real=True)
    else:
        wfn = gate_product
    causal = causal_wpgd_symbolic(pr, Ps, gfn, "scalar", wfn)
    T = n + 1
    omegas = []
    for ell in range(L):
        g = [gfn(ell, i, None) for i in range(T)]
        omegas.append([(full_weights_fn or wfn)(g, j, n, "scalar") for j in range(n)])
    full = full_context_wpgd_symbolic(pr, Ps, omegas)
    weights = "general" if general_weights else "gate products"
    return _result("G4", {"d": d, "n": n, "L": L, "weights": weights}, causal - full)


def nonzero_witness(expr: sp.Expr, seed: int = 0, tries: int = 20) -> dict | None:
    """An exact rational point where ``expr ≠ 0`` (proves the polynomial is not identically zero). Gate
    symbols (``g…``, ``a…``) get values in (0, 1], the others small rationals of both signs. The kernel's
    witness finder (:func:`glaverify.theory.kernel.find_nonzero_point`) does the search."""
    found = find_nonzero_point(expr, seed, tries, signed=True, gates=("g", "a"))
    return {"point": found[0], "value": found[1]} if found else None
