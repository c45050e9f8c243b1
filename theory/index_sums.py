"""Sums over examples with a symbolic prompt length n: index classes and the named sums they produce.

A sum ``Σ_{i,j} f(i, j)`` over examples is split into index classes: ``{i = j}`` and ``{i ≠ j}``. Inside a
class the summand is a polynomial in *local* symbols (``w_i``, ``r_i``, ``R_ij``, ...); its class sum is
written with *global* symbols that stay symbolic in n:

==============================  ======================  ============================================
local monomial                  class                   global value
==============================  ======================  ============================================
``w_i``                         ``{i}``                 ``1ᵀω`` (symbol ``sum_w``)
``w_i²``                        ``{i}``                 ``‖ω‖²`` (``w2``)
``w_i r_i``                     ``{i}``                 ``rᵀω`` (``rho``)
``1``                           ``{i}``                 ``n``
``w_i w_j R_ij``                ``{i ≠ j}``             ``ωᵀRω − ‖ω‖²`` (uses ``R_ii = 1``)
``g(i) h(j)``  (no ``R_ij``)    ``{i ≠ j}``             ``(Σ_i g)(Σ_j h) − Σ_i g h``
==============================  ======================  ============================================

Any other monomial gets a named generic sum symbol (e.g. ``sum_w2r2`` for ``Σ_i w_i² r_i²``) whose value
:func:`index_sum_values` computes at a concrete instance, so nothing is lost or guessed. The assumption
``diag(R) = 1`` (unit task variance) is stated in every record that uses the ``{i ≠ j}`` rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sympy as sp

__all__ = [
    "ASSUMPTIONS",
    "GLOBAL",
    "Local",
    "class_sum",
    "distinct_pair_sum",
    "index_sum_values",
    "single_sum",
]

#: the global symbols, symbolic in n
GLOBAL = {
    "n": sp.Symbol("n", positive=True, integer=True),
    "sum_w": sp.Symbol("sum_w"),  # 1ᵀω
    "w2": sp.Symbol("w2"),  # ‖ω‖²
    "rho": sp.Symbol("rho"),  # rᵀω
    "wRw": sp.Symbol("wRw"),  # ωᵀRω
}

ASSUMPTIONS = ("diag(R) = 1 (every example's task has unit variance: R_ii = 1)",)


@dataclass(frozen=True)
class Local:
    """Per-index symbols of the summand for indices ``i`` and ``j``."""

    w_i: sp.Symbol = sp.Symbol("w_i")
    w_j: sp.Symbol = sp.Symbol("w_j")
    r_i: sp.Symbol = sp.Symbol("r_i")
    r_j: sp.Symbol = sp.Symbol("r_j")
    R_ij: sp.Symbol = sp.Symbol("R_ij")


LOCAL = Local()


def _generic(kind: str, exps: tuple[int, ...]) -> sp.Symbol:
    """A named sum: ``sum_i_a_b`` = Σ_i w_i^a r_i^b,
    ``sum_ij_a_b_c_e_k`` = Σ_{i,j} w_i^a r_i^b w_j^c r_j^e R_ij^k."""
    return sp.Symbol(f"sum_{kind}_" + "_".join(map(str, exps)))


def _parse_generic(name: str) -> tuple[str, tuple[int, ...]] | None:
    parts = name.split("_")
    if len(parts) < 3 or parts[0] != "sum" or parts[1] not in ("i", "ij"):
        return None
    try:
        exps = tuple(int(p) for p in parts[2:])
    except ValueError:
        return None
    return (parts[1], exps) if len(exps) == (2 if parts[1] == "i" else 5) else None


def one_index(a: int, b: int) -> sp.Expr:
    """``Σ_i w_i^a r_i^b`` with a symbolic number n of examples."""
    g = GLOBAL
    table = {(0, 0): g["n"], (1, 0): g["sum_w"], (2, 0): g["w2"], (1, 1): g["rho"]}
    return table.get((a, b)) or _generic("i", (a, b))


def full_pair(a: int, b: int, c: int, e: int, k: int) -> sp.Expr:
    """``Σ_{i,j} w_i^a r_i^b w_j^c r_j^e R_ij^k`` over all pairs (i = j included)."""
    if k == 0:
        return one_index(a, b) * one_index(c, e)
    if k == 1 and (a, b, c, e) == (1, 0, 1, 0):
        return GLOBAL["wRw"]
    return _generic("ij", (a, b, c, e, k))


def single_sum(expr: sp.Expr, loc: Local = LOCAL) -> sp.Expr:
    """``Σ_i expr`` where ``expr`` is a polynomial in ``w_i``, ``r_i`` (and global symbols)."""
    poly = sp.Poly(sp.expand(expr), loc.w_i, loc.r_i)
    out = sp.Integer(0)
    for (a, b), c in poly.terms():
        out += c * one_index(a, b)
    return sp.expand(out)


def distinct_pair_sum(expr: sp.Expr, loc: Local = LOCAL) -> sp.Expr:
    """``Σ_{i ≠ j} expr`` = the sum over all pairs minus the diagonal ``i = j`` (where ``R_ii = 1``)."""
    poly = sp.Poly(sp.expand(expr), loc.w_i, loc.r_i, loc.w_j, loc.r_j, loc.R_ij)
    out = sp.Integer(0)
    for (a, b, c, e, k), coeff in poly.terms():
        out += coeff * (full_pair(a, b, c, e, k) - one_index(a + c, b + e))
    return sp.expand(out)


ClassSplit = Callable[[sp.Expr, sp.Expr], sp.Expr]


def class_sum(equal: sp.Expr, distinct: sp.Expr, loc: Local = LOCAL) -> sp.Expr:
    """``Σ_{i,j} f(i, j)`` from its two index classes: ``f(i, i)`` (``equal``, written with ``w_i``, ``r_i``)
    and ``f(i, j)`` for ``i ≠ j`` (``distinct``)."""
    return sp.expand(single_sum(equal, loc) + distinct_pair_sum(distinct, loc))


def index_sum_values(
    omega: Sequence[Any], R: Sequence[Sequence[Any]], r: Sequence[Any], symbols: Iterable[sp.Symbol] = ()
) -> dict[sp.Symbol, Any]:
    """Exact values of the global sum symbols, and of the generic ones among ``symbols``, at a concrete
    ``ω``, ``R``, ``r``."""
    n = len(omega)
    w = [sp.nsimplify(v) for v in omega]
    rr = [sp.nsimplify(v) for v in r]
    RR = [[sp.nsimplify(v) for v in row] for row in R]
    out: dict[sp.Symbol, Any] = {
        GLOBAL["n"]: sp.Integer(n),
        GLOBAL["sum_w"]: sum(w),
        GLOBAL["w2"]: sum(v * v for v in w),
        GLOBAL["rho"]: sum(a * b for a, b in zip(w, rr, strict=True)),
        GLOBAL["wRw"]: sum(w[i] * RR[i][j] * w[j] for i in range(n) for j in range(n)),
    }
    for sym in symbols:
        parsed = _parse_generic(str(sym))
        if parsed is None:
            continue
        name, (kind, ex) = str(sym), parsed
        if kind == "i":
            a, b = ex
            out[sp.Symbol(name)] = sum(w[i] ** a * rr[i] ** b for i in range(n))
        else:
            a, b, c, e, k = ex
            out[sp.Symbol(name)] = sum(
                w[i] ** a * rr[i] ** b * w[j] ** c * rr[j] ** e * RR[i][j] ** k
                for i in range(n)
                for j in range(n)
            )
    return out
