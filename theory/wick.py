"""Exact expectations of polynomials in zero-mean jointly Gaussian variables (Isserlis/Wick).

For zero-mean jointly Gaussian ``z`` with covariance ``S``, Isserlis' theorem says that the expectation of a
product of ``2m`` entries is the sum, over all ways of pairing the factors, of the products of the paired
covariances (the *hafnian* of the matching sub-matrix); a product of an odd number of entries has mean 0.

The engine here computes such expectations exactly, in sympy, for a polynomial whose coefficients may
contain other symbols (parameters such as a preconditioner ``P`` or weights ``ω``) and whose covariances
may hold rationals or polynomials in symbols (such as a noise variance ``σ²``).

How it stays cheap:

* **Independent groups.** Variables are declared in groups that are mutually independent, each with its
  own covariance. The expectation of a monomial factorises over the groups, so the pairings of one group
  never see the variables of another.
* **Multisets, not lists.** A group's factor depends only on how often each variable of the group occurs
  (the exponent vector), and is memoised on that vector. It is computed by the Gaussian integration-by-parts
  recursion ``E[z_i f(z)] = Σ_j S_ij E[∂f/∂z_j]``: take one copy of the first variable present and pair it
  with each variable ``j`` still present, weighted by that variable's multiplicity. Identical pairings
  that differ only by which copy of a repeated variable is used are therefore counted by a multiplicity,
  never enumerated one by one. For a single variable this gives ``E z^{2m} = (2m−1)!! S^m``.
* **Sparse polynomial arithmetic.** Internally everything lives in a sympy ``PolyRing`` over ℚ whose
  generators are the Gaussian variables followed by the parameters. A monomial's exponent tuple is split
  into its Gaussian part (which is integrated) and its parameter part (which is kept), and terms with the
  same Gaussian part are integrated once.

Public API::

    model = GaussianModel(groups=[((x1, x2), [[2, 1], [1, 3]]), ((e,), [[s2]])], parameters=(p,))
    model.expectation(p * x1**2 * x2**2 + e**2)      # -> sympy expression 7*p + s2

For large computations build the polynomial directly in ``model.ring`` (``model.gen(symbol)``) and call
:meth:`GaussianModel.expect_element`, which returns a ring element in the parameters only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sympy as sp
from sympy.polys.domains import QQ
from sympy.polys.rings import PolyElement, PolyRing

__all__ = ["GaussianGroup", "GaussianModel", "group_moment", "hafnian"]


@dataclass(frozen=True)
class GaussianGroup:
    """A block of jointly Gaussian, zero-mean variables, independent of every other group."""

    variables: tuple[sp.Symbol, ...]
    covariance: sp.Matrix


def _as_cov(cov: object, m: int, name: str) -> sp.Matrix:
    def exact(v: object) -> sp.Expr:
        if isinstance(v, (float, sp.Float)):  # exact from the decimal repr, never the binary expansion
            return sp.Rational(repr(float(v)))
        out = sp.sympify(v)
        if out.atoms(sp.Float):
            raise ValueError(f"{name}: covariance entry {v!r} holds a float; use rationals or symbols")
        return out

    if isinstance(cov, sp.MatrixBase):
        mat = cov.applyfunc(exact)
    else:
        mat = sp.Matrix([[exact(v) for v in row] for row in cov])
    if mat.shape != (m, m):
        raise ValueError(f"{name}: covariance must be {m}x{m}, got {mat.shape}")
    if any(sp.expand(mat[i, j] - mat[j, i]) != 0 for i in range(m) for j in range(i + 1, m)):
        raise ValueError(f"{name}: covariance must be symmetric")
    return mat


class GaussianModel:
    """Independent groups of zero-mean jointly Gaussian variables, and exact expectations under them.

    ``groups`` is a sequence of ``(variables, covariance)`` pairs; covariance entries are numbers or
    polynomials in symbols (with rational coefficients). ``parameters`` are further symbols that may appear
    in the polynomials being integrated (they are treated as constants). Symbols that appear in a
    covariance are added to the parameters automatically.
    """

    def __init__(
        self, groups: Sequence[tuple[Sequence[sp.Symbol], object]], parameters: Iterable[sp.Symbol] = ()
    ):
        self.groups: list[GaussianGroup] = []
        seen: set[sp.Symbol] = set()
        for gi, (vars_, cov) in enumerate(groups):
            vs = tuple(vars_)
            if not vs:
                raise ValueError(f"group {gi}: no variables")
            for v in vs:
                if not isinstance(v, sp.Symbol):
                    raise ValueError(f"group {gi}: {v!r} is not a sympy Symbol")
                if v in seen:
                    raise ValueError(f"variable {v} declared twice")
                seen.add(v)
            self.groups.append(GaussianGroup(vs, _as_cov(cov, len(vs), f"group {gi}")))
        self.variables: tuple[sp.Symbol, ...] = tuple(v for g in self.groups for v in g.variables)
        params: list[sp.Symbol] = []
        for p in parameters:
            if p in seen:
                raise ValueError(f"parameter {p} is also a Gaussian variable")
            if p not in params:
                params.append(p)
        for g in self.groups:
            for s in sorted(g.covariance.free_symbols, key=sp.default_sort_key):
                if s in seen:
                    raise ValueError(f"covariance symbol {s} is also a Gaussian variable")
                if s not in params:
                    params.append(s)
        self.parameters: tuple[sp.Symbol, ...] = tuple(params)
        self.ring: PolyRing = PolyRing(self.variables + self.parameters, QQ)
        self._index = {s: i for i, s in enumerate(self.ring.symbols)}
        self._ng = len(self.variables)
        # slices of the exponent tuple belonging to each group
        self._slices: list[tuple[int, int]] = []
        start = 0
        for g in self.groups:
            self._slices.append((start, start + len(g.variables)))
            start += len(g.variables)
        # covariance entries as ring elements, and per-group moment caches
        self._cov = [
            [
                [
                    self.ring.from_expr(g.covariance[i, j]) if g.covariance[i, j] != 0 else self.ring.zero
                    for j in range(len(g.variables))
                ]
                for i in range(len(g.variables))
            ]
            for g in self.groups
        ]
        self._moments: list[dict[tuple[int, ...], PolyElement]] = [{} for _ in self.groups]
        self.moment_evaluations = 0  # how many group moments were computed (not served from the cache)

    # ------------------------------------------------------------------ ring helpers
    def gen(self, symbol: sp.Symbol) -> PolyElement:
        """The ring generator of a Gaussian variable or parameter."""
        return self.ring.gens[self._index[symbol]]

    def to_element(self, expr: object) -> PolyElement:
        """A sympy polynomial expression as an element of :attr:`ring`."""
        extra = sp.sympify(expr).free_symbols - set(self.ring.symbols)
        if extra:
            names = ", ".join(sorted(map(str, extra)))
            raise ValueError(f"symbols {names} are neither Gaussian variables nor declared parameters")
        return self.ring.from_expr(sp.sympify(expr))

    # ------------------------------------------------------------------ moments
    def group_moment(self, group: int, exponents: tuple[int, ...]) -> PolyElement:
        """``E Π_j z_j^{e_j}`` over the variables of one group (memoised on the exponent vector)."""
        cache = self._moments[group]
        hit = cache.get(exponents)
        if hit is not None:
            return hit
        total = sum(exponents)
        if total == 0:
            val = self.ring.one
        elif total % 2:
            val = self.ring.zero
        else:
            self.moment_evaluations += 1
            cov = self._cov[group]
            i = next(k for k, e in enumerate(exponents) if e)
            rest = list(exponents)
            rest[i] -= 1
            val = self.ring.zero
            for j, mult in enumerate(rest):
                if mult == 0 or not cov[i][j]:
                    continue
                sub = list(rest)
                sub[j] -= 1
                val += cov[i][j] * (mult * self.group_moment(group, tuple(sub)))
        cache[exponents] = val
        return val

    def monomial_moment(self, gauss_exponents: tuple[int, ...]) -> PolyElement:
        """``E`` of the monomial with these exponents of the Gaussian variables: product over groups."""
        out = self.ring.one
        for g, (a, b) in enumerate(self._slices):
            part = gauss_exponents[a:b]
            if not any(part):
                continue
            if sum(part) % 2:
                return self.ring.zero
            m = self.group_moment(g, part)
            if not m:
                return self.ring.zero
            out = out * m
        return out

    # ------------------------------------------------------------------ expectations
    def expect_element(self, poly: PolyElement) -> PolyElement:
        """Exact expectation of a ring element; the result involves parameters only."""
        ng = self._ng
        by_gauss: dict[tuple[int, ...], dict[tuple[int, ...], object]] = {}
        zeros = (0,) * ng
        for monom, coeff in poly.terms():
            g = monom[:ng]
            by_gauss.setdefault(g, {})[zeros + monom[ng:]] = coeff
        out = self.ring.zero
        for g, rest in by_gauss.items():
            m = self.monomial_moment(g)
            if m:
                out += m * self.ring.from_dict(rest)
        return out

    def expectation(self, poly: object) -> sp.Expr:
        """Exact ``E[poly]`` as a sympy expression (``poly``: sympy expression or ring element)."""
        elem = poly if isinstance(poly, PolyElement) and poly.ring == self.ring else self.to_element(poly)
        return self.expect_element(elem).as_expr()


def group_moment(covariance: object, exponents: Sequence[int]) -> sp.Expr:
    """``E Π_j z_j^{e_j}`` for ``z ~ N(0, covariance)``: a one-group convenience wrapper."""
    cov = sp.Matrix(covariance)
    zs = sp.symbols(f"_z0:{cov.shape[0]}")
    model = GaussianModel([(zs, cov)])
    return model.group_moment(0, tuple(int(e) for e in exponents)).as_expr()


def hafnian(matrix: object) -> sp.Expr:
    """Hafnian of a symmetric 2m×2m matrix: the sum over perfect matchings of the product of the matched
    entries, i.e. ``E[z_1 ⋯ z_{2m}]`` for ``z ~ N(0, matrix)`` (0 for odd size)."""
    mat = sp.Matrix(matrix)
    return group_moment(mat, [1] * mat.shape[0])
