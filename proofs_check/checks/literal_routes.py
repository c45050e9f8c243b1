"""Literal third routes of the fixed-dimension symbolic checks R1, G1, G2 and G3 (docs/reliability.md,
"Third routes inside the symbolic checks").

A symbolic check compares two pieces of our own code: for R1 the risk derived by the Wick engine
(theory/wick.py, theory/risk.py) with the symbolic closed form (theory/risk.py); for G1–G3 the symbolic GLA
recurrence with the symbolic WPGD predictor (theory/gla_symbolic.py). When they disagree, either piece may
be the faulty one, so the disagreement alone is not a counterexample to the claim. The functions here
recompute each piece at one exact rational point by a different algorithm, written from the claim's
statement (docs/risk.md, docs/gla.md) with plain loops over :class:`fractions.Fraction`:

* :func:`isserlis_risk` — ``E(y − ŷ)²`` of the one-step WPGD predictor at numeric ``(P, ω, σ²)``: the
  polynomial ``(y − ŷ)²`` in the scalar Gaussian coordinates is expanded monomial by monomial and each
  monomial's expectation is the literal sum over perfect matchings (Isserlis' theorem), factored over the
  independent groups of the model. It shares nothing with the Wick engine (which integrates by parts with
  multiplicities) or with the symbolic closed form; only the model's Σ, C, block sizes go in.
* :func:`literal_r1` — the claimed closed form ``tr Σ + σ² − 2(rᵀω) tr(PΣ²) + tr(PᵀΣPM)``,
  ``M = aΣ² + bΣ``, ``a = ωᵀ(R + I)ω``, ``b = (tr Σ + σ²)‖ω‖²``, typed from its statement (not
  theory/risk.py's ``wpgd_risk_closed_form``).
* :func:`literal_gla` — the constructed L-layer GLA, ``S_i = G_i ⊙ S_{i−1} + v_i k_iᵀ``, ``o_i = S_i q_i``,
  residual stream, ``ŷ = −[z_{n+1}^{(L)}]_{d+1}`` (not theory/gla_symbolic.py's recurrence).
* :func:`literal_wpgd1`, :func:`literal_coordinate_wpgd1`, :func:`literal_causal_wpgd` — WPGD-1 with
  ``ω_i = Π_{j=i+1}^{n+1} g_j``, its key-gated twin (G2), and L steps of causal WPGD with
  ``ω_{j→i} = Π_{k=j+1}^{i} g_k`` (not theory/gla_symbolic.py's predictors or its gate products).

Gates are a concrete data-dependent family (:func:`rational_gate`): ``g(z) = 1/(1 + Σ_m c_m z_m²)`` with
random positive rational ``c``, values in (0, 1], applied to the token each side builds itself, so the
routes also see whether the two sides feed the gates the same tokens.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache
from typing import Any

Q = Fraction
FMat = list[list[Fraction]]


def to_fraction(x: Any) -> Fraction:
    """An exact rational (sympy Rational/Integer, int, Fraction, or a decimal string) as a Fraction."""
    if isinstance(x, Fraction):
        return x
    if isinstance(x, int):
        return Fraction(x)
    if hasattr(x, "p") and hasattr(x, "q"):  # sympy Rational / Integer
        return Fraction(int(x.p), int(x.q))
    return Fraction(str(x))


def fmatrix(m: Any) -> FMat:
    """A sympy matrix or nested list of exact numbers as a list of lists of Fractions."""
    rows = m.tolist() if hasattr(m, "tolist") else m
    return [[to_fraction(v) for v in row] for row in rows]


def random_rational(rng: random.Random, signed: bool = True) -> Fraction:
    num = rng.randint(1, 9) * (rng.choice((-1, 1)) if signed else 1)
    return Fraction(num, rng.randint(1, 5))


# ================================================================================================ R1
def _block_index(block_sizes: Sequence[int]) -> list[int]:
    return [k for k, nk in enumerate(block_sizes) for _ in range(nk)]


def literal_r1(sigma: FMat, block_corr: FMat, block_sizes: Sequence[int], noise_var: Fraction,
               P: FMat, omega: Sequence[Fraction]) -> Fraction:
    """R1 as stated (docs/risk.md): ``tr Σ + σ² − 2(rᵀω) tr(PΣ²) + tr(PᵀΣPM)``, ``M = a Σ² + b Σ``,
    ``a = ωᵀ(R + I)ω``, ``b = (tr Σ + σ²)‖ω‖²``, ``R_ij = C[k(i), k(j)]``, ``r_i = C[k(i), K]``."""
    d, n, K = len(sigma), len(omega), len(block_sizes)
    idx = _block_index(block_sizes)
    tr_sigma = sum((sigma[a][a] for a in range(d)), Q(0))
    s = tr_sigma + noise_var
    rw = sum((block_corr[idx[i]][K] * omega[i] for i in range(n)), Q(0))
    a_coef = Q(0)
    for i in range(n):
        for j in range(n):
            a_coef += omega[i] * (block_corr[idx[i]][idx[j]] + (1 if i == j else 0)) * omega[j]
    b_coef = s * sum((w * w for w in omega), Q(0))
    sig2 = [[sum((sigma[a][c] * sigma[c][b] for c in range(d)), Q(0)) for b in range(d)] for a in range(d)]
    M = [[a_coef * sig2[a][b] + b_coef * sigma[a][b] for b in range(d)] for a in range(d)]
    tr_p_sig2 = sum((P[a][b] * sig2[b][a] for a in range(d) for b in range(d)), Q(0))
    # tr(Pᵀ Σ P M) = Σ_{a,b,c,e} P[b][a] Σ[b][c] P[c][e] M[e][a]
    quad = Q(0)
    for a in range(d):
        for b in range(d):
            if not P[b][a]:
                continue
            for c in range(d):
                for e in range(d):
                    quad += P[b][a] * sigma[b][c] * P[c][e] * M[e][a]
    return tr_sigma + noise_var - 2 * rw * tr_p_sig2 + quad


# A scalar Gaussian coordinate is (group, index): groups ("x", i) (features of example i, i = n the query;
# covariance Σ), ("b", a) (coordinate a of every block task and the query task; covariance C) and ("e", i)
# (noise of example i; variance σ²). Different groups are independent.
Var = tuple[str, int, int]
Poly = dict[tuple[Var, ...], Fraction]


def _mul(p: Poly, q: Poly) -> Poly:
    out: Poly = {}
    for m1, c1 in p.items():
        for m2, c2 in q.items():
            key = tuple(sorted(m1 + m2))
            out[key] = out.get(key, Q(0)) + c1 * c2
    return {k: v for k, v in out.items() if v}


def _add(p: Poly, q: Poly, scale: Fraction = Q(1)) -> Poly:
    out = dict(p)
    for m, c in q.items():
        out[m] = out.get(m, Q(0)) + scale * c
    return {k: v for k, v in out.items() if v}


def isserlis_moment(cov: Callable[[int, int], Fraction], idxs: tuple[int, ...]) -> Fraction:
    """``E[z_{i_1} ⋯ z_{i_m}]`` of a zero-mean Gaussian vector with covariance ``cov``: the literal sum over
    the perfect matchings of the m factors of the product of paired covariances (0 for odd m)."""
    memo: dict[tuple[int, ...], Fraction] = {}

    def rec(t: tuple[int, ...]) -> Fraction:
        if not t:
            return Q(1)
        if len(t) % 2:
            return Q(0)
        if t in memo:
            return memo[t]
        first, rest = t[0], t[1:]
        total = Q(0)
        for j in range(len(rest)):
            c = cov(first, rest[j])
            if c:
                total += c * rec(rest[:j] + rest[j + 1:])
        memo[t] = total
        return total

    return rec(tuple(sorted(idxs)))


def isserlis_risk(sigma: FMat, block_corr: FMat, block_sizes: Sequence[int], noise_var: Fraction,
                  P: FMat, omega: Sequence[Fraction]) -> Fraction:
    """``E(y − ŷ)²`` for ``ŷ = Σ_i ω_i y_i xᵀ P x_i``, ``y_i = x_iᵀ β_{k(i)} + ξ_i``, ``y = xᵀβ + ξ``
    (the data model of docs/data-model.md), by expanding ``(y − ŷ)²`` into monomials of the scalar Gaussian
    coordinates and taking each monomial's expectation by Isserlis' theorem (literal perfect matchings),
    factored over the independent groups. Independent of theory/wick.py and theory/risk.py."""
    d, n, K = len(sigma), len(omega), len(block_sizes)
    idx = _block_index(block_sizes)

    def label(i: int, k: int) -> Poly:  # x_iᵀ β_k + ξ_i  (i = n: the query)
        p: Poly = {}
        for a in range(d):
            key = tuple(sorted((("x", i, a), ("b", a, k))))
            p[key] = p.get(key, Q(0)) + 1
        if noise_var:
            p[(("e", i, 0),)] = Q(1)
        return p

    def bilinear(i: int) -> Poly:  # xᵀ P x_i
        p: Poly = {}
        for b in range(d):
            for c in range(d):
                if P[b][c]:
                    key = tuple(sorted((("x", n, b), ("x", i, c))))
                    p[key] = p.get(key, Q(0)) + P[b][c]
        return p

    resid = label(n, K)
    for i in range(n):
        if omega[i]:
            resid = _add(resid, _mul(label(i, idx[i]), bilinear(i)), -omega[i])

    covs: dict[str, Callable[[int, int], Fraction]] = {
        "x": lambda a, b: sigma[a][b],
        "b": lambda k, m: block_corr[k][m],
        "e": lambda _a, _b: noise_var,
    }

    @cache
    def group_moment(kind: str, idxs: tuple[int, ...]) -> Fraction:
        return isserlis_moment(covs[kind], idxs)

    def split(mono: tuple[Var, ...]) -> dict[tuple[str, int], list[int]]:
        groups: dict[tuple[str, int], list[int]] = {}
        for kind, g, j in mono:
            groups.setdefault((kind, g), []).append(j)
        return groups

    # a product of two monomials has a nonzero expectation only if every group appears an even number of
    # times, i.e. only if both monomials have the same set of groups appearing an odd number of times: pair
    # the monomials within those buckets only (the others contribute exactly 0)
    buckets: dict[frozenset, list[tuple[dict[tuple[str, int], list[int]], Fraction]]] = {}
    for m, c in resid.items():
        g = split(m)
        odd = frozenset(k for k, v in g.items() if len(v) % 2)
        buckets.setdefault(odd, []).append((g, c))
    total = Q(0)
    for items in buckets.values():
        for u, (g1, c1) in enumerate(items):
            for v in range(u, len(items)):
                g2, c2 = items[v]
                value = Q(2 if v > u else 1) * c1 * c2
                for key in set(g1) | set(g2):
                    value *= group_moment(key[0], tuple(sorted(g1.get(key, []) + g2.get(key, []))))
                    if not value:
                        break
                total += value
    return total


# ================================================================================================ G1–G3
@dataclass(frozen=True)
class RationalGate:
    """``g(z) = 1 / (1 + Σ_m c_m z_m²)`` (c_m > 0 rational): a data-dependent gate with values in (0, 1]."""

    coefs: tuple[Fraction, ...]

    def __call__(self, z: Sequence[Any]) -> Fraction:
        acc = Q(1)
        for c, zm in zip(self.coefs, z, strict=True):
            v = to_fraction(zm)
            acc += c * v * v
        return 1 / acc


def rational_gate(rng: random.Random, dim: int) -> RationalGate:
    return RationalGate(tuple(Fraction(rng.randint(1, 5), rng.randint(2, 9)) for _ in range(dim)))


@dataclass(frozen=True)
class GlaPoint:
    """One exact rational instance: prompt ``X`` (n×d), labels ``y``, query ``x``, ``Q_ℓ`` per layer, and per
    layer one gate function per gate coordinate (1 for scalar gates, d + 1 for key / value gates)."""

    X: tuple[tuple[Fraction, ...], ...]
    y: tuple[Fraction, ...]
    x: tuple[Fraction, ...]
    Qs: tuple[tuple[tuple[Fraction, ...], ...], ...]
    gates: tuple[tuple[RationalGate, ...], ...]
    shape: str = "scalar"

    @property
    def d(self) -> int:
        return len(self.x)

    @property
    def n(self) -> int:
        return len(self.y)

    def gate_values(self, layer: int, z: Sequence[Any]) -> list[Fraction]:
        return [g(z) for g in self.gates[layer]]

    def describe(self) -> dict[str, Any]:
        text = lambda m: [[str(v) for v in row] for row in m]  # noqa: E731
        return {"X": text(self.X), "y": [str(v) for v in self.y], "x": [str(v) for v in self.x],
                "Q": [text(q) for q in self.Qs], "shape": self.shape,
                "gates": "g(z) = 1/(1 + sum_m c_m z_m^2) per gate coordinate",
                "gate_coefficients": [[[str(c) for c in g.coefs] for g in layer] for layer in self.gates]}


def random_gla_point(rng: random.Random, d: int, n: int, L: int, shape: str) -> GlaPoint:
    ncoord = 1 if shape == "scalar" else d + 1
    return GlaPoint(
        X=tuple(tuple(random_rational(rng) for _ in range(d)) for _ in range(n)),
        y=tuple(random_rational(rng) for _ in range(n)),
        x=tuple(random_rational(rng) for _ in range(d)),
        Qs=tuple(tuple(tuple(random_rational(rng) for _ in range(d)) for _ in range(d)) for _ in range(L)),
        gates=tuple(tuple(rational_gate(rng, d + 1) for _ in range(ncoord)) for _ in range(L)),
        shape=shape,
    )


def literal_gla(pt: GlaPoint) -> Fraction:
    """The constructed GLA of docs/gla.md run literally: per layer ``k_i = [x_i; 0]``, ``q_i = [Q_ℓ x_i; 0]``,
    ``v_i = [0_d; −y_i^{(ℓ)}]`` (read from the current token), ``S_i = G_i ⊙ S_{i−1} + v_i k_iᵀ`` (scalar:
    ``g S``; key: column m scaled by α[m]; value: row m scaled by γ[m]), ``o_i = S_i q_i``,
    ``z ← z + o``; ``ŷ = −[z_{n+1}^{(L)}]_{d+1}``."""
    d, D = pt.d, pt.d + 1
    toks = [list(row) + [yi] for row, yi in zip(pt.X, pt.y, strict=True)] + [list(pt.x) + [Q(0)]]
    for layer, Qm in enumerate(pt.Qs):
        S = [[Q(0)] * D for _ in range(D)]
        outs = []
        for z in toks:
            g = pt.gate_values(layer, z)
            for r in range(D):
                for c in range(D):
                    factor = g[0] if pt.shape == "scalar" else g[c] if pt.shape == "key" else g[r]
                    S[r][c] *= factor
            k = z[:d] + [Q(0)]
            q = [sum((Qm[a][b] * z[b] for b in range(d)), Q(0)) for a in range(d)] + [Q(0)]
            v = [Q(0)] * d + [-z[d]]
            for r in range(D):
                for c in range(D):
                    S[r][c] += v[r] * k[c]
            outs.append([sum((S[r][c] * q[c] for c in range(D)), Q(0)) for r in range(D)])
        toks = [[a + b for a, b in zip(z, o, strict=True)] for z, o in zip(toks, outs, strict=True)]
    return -toks[-1][d]


def _tokens_of(pt: GlaPoint) -> list[list[Fraction]]:
    return [list(row) + [yi] for row, yi in zip(pt.X, pt.y, strict=True)] + [list(pt.x) + [Q(0)]]


def literal_wpgd1(pt: GlaPoint) -> Fraction:
    """G1 as stated: ``Σ_i ω_i y_i xᵀ P x_i`` with ``P = Qᵀ`` and ``ω_i = Π_{j=i+1}^{n+1} g(z_j)``."""
    d, n = pt.d, pt.n
    toks = _tokens_of(pt)
    g = [pt.gate_values(0, z)[0] for z in toks]
    Qm = pt.Qs[0]
    out = Q(0)
    for i in range(n):
        w = Q(1)
        for j in range(i + 1, n + 1):
            w *= g[j]
        # xᵀ P x_i with P = Qᵀ: Σ_{a,b} x_a Q[b][a] x_i[b]
        bil = sum((pt.x[a] * Qm[b][a] * pt.X[i][b] for a in range(d) for b in range(d)), Q(0))
        out += w * pt.y[i] * bil
    return out


def literal_coordinate_wpgd1(pt: GlaPoint) -> Fraction:
    """G2 as stated: ``xᵀ P Σ_i diag(γ_i) x_i y_i``, ``γ_i = Π_{j=i+1}^{n+1} α_j[1:d]`` elementwise."""
    d, n = pt.d, pt.n
    toks = _tokens_of(pt)
    alpha = [pt.gate_values(0, z) for z in toks]
    Qm = pt.Qs[0]
    out = Q(0)
    for i in range(n):
        for b in range(d):
            gam = Q(1)
            for j in range(i + 1, n + 1):
                gam *= alpha[j][b]
            for a in range(d):
                out += pt.x[a] * Qm[b][a] * gam * pt.X[i][b] * pt.y[i]
    return out


def literal_causal_wpgd(pt: GlaPoint) -> Fraction:
    """G3 as stated: L steps of causal WPGD, ``w_i ← w_i − P_ℓ Σ_{j≤i} ω_{j→i} x_j (x_jᵀ w_j − ỹ_j)``,
    ``P_ℓ = Q_ℓᵀ``, ``ω_{j→i} = Π_{k=j+1}^{i} g_ℓ(z_k)`` with the token ``z_k = [x_k; ỹ_k − x_kᵀ w_k]`` (key
    gates: per coordinate on the first d; value gates: the label coordinate); ``ŷ = xᵀ w_{n+1}``."""
    d, n = pt.d, pt.n
    xs = [list(r) for r in pt.X] + [list(pt.x)]
    yt = list(pt.y) + [Q(0)]
    T = n + 1
    w = [[Q(0)] * d for _ in range(T)]
    for layer, Qm in enumerate(pt.Qs):
        res = [sum((xs[j][a] * w[j][a] for a in range(d)), Q(0)) - yt[j] for j in range(T)]
        gv = [pt.gate_values(layer, xs[k] + [-res[k]]) for k in range(T)]
        new = []
        for i in range(T):
            grad = [Q(0)] * d
            for j in range(i + 1):
                for m in range(d):
                    om = Q(1)
                    coord = 0 if pt.shape == "scalar" else m if pt.shape == "key" else d
                    for k in range(j + 1, i + 1):
                        om *= gv[k][coord]
                    grad[m] += om * xs[j][m] * res[j]
            # P grad with P = Qᵀ: (P grad)_a = Σ_b Q[b][a] grad_b
            new.append([w[i][a] - sum((Qm[b][a] * grad[b] for b in range(d)), Q(0)) for a in range(d)])
        w = new
    return sum((pt.x[a] * w[T - 1][a] for a in range(d)), Q(0))


# ================================================================================================ verdicts
@dataclass
class ThirdRoute:
    """The values of every route at one point and what they decide.

    ``pieces``: {name: (ours, literal)} for each piece of our code compared with its literal twin (a piece
    the caller injected as the formula under test is not listed); ``claim_side`` / ``truth_side``: the values
    the claim is judged by. ``decision``: ``"agree"`` (every route equal), ``"tool-error"`` (a piece of ours
    differs from its literal twin), ``"refutes"`` (every piece matches its twin and the claim's value differs
    from the truth at this point), ``"not-separated"`` (everything equal here although the symbolic
    difference is nonzero)."""

    point: dict[str, Any]
    pieces: dict[str, tuple[Fraction, Fraction]]
    truth_side: Fraction
    claim_side: Fraction
    independent_of: str
    decision: str = field(init=False)

    def __post_init__(self) -> None:
        if any(a != b for a, b in self.pieces.values()):
            self.decision = "tool-error"
        elif self.truth_side != self.claim_side:
            self.decision = "refutes"
        else:
            self.decision = "agree"

    @property
    def off_pieces(self) -> list[str]:
        return [k for k, (a, b) in self.pieces.items() if a != b]

    def describe(self) -> dict[str, Any]:
        return {"point": self.point, "decision": self.decision,
                "values": {k: {"ours": str(a), "literal": str(b)} for k, (a, b) in self.pieces.items()},
                "truth_side": str(self.truth_side), "claim_side": str(self.claim_side),
                "independent_of": self.independent_of}
