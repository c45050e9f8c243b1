"""Rigorous real-root isolation over Q (used by :mod:`glaverify.theory.exact` for R4/R6).

Descartes' rule of signs on Möbius transforms of an interval, with bisection at rationals
(Vincent–Collins–Akritas): every real root of the squarefree part of a rational polynomial in a closed
interval gets its own isolating box; boxes are refined by exact bisection. No floating point.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flint import arb, fmpq, fmpq_poly


def _qstr(x: fmpq) -> str:
    return str(x)


def _qfloat(x: fmpq) -> float:
    """Display only (never used in a decision)."""
    return int(x.p) / int(x.q)


def _descartes(poly: fmpq_poly, lo: fmpq, hi: fmpq) -> int:
    """Sign variations of ``(1+x)^n poly(lo + (hi−lo)/(1+x))``: an upper bound on the number of roots of
    ``poly`` in the open interval (lo, hi), exact when it is 0 or 1 (Descartes' rule of signs)."""
    n = poly.degree()
    qq = poly(fmpq_poly([lo, hi - lo]))  # q(y) = poly(lo + (hi − lo) y), y ∈ (0, 1)
    cs = qq.coeffs() + [fmpq(0)] * (n + 1 - len(qq.coeffs()))
    rev = fmpq_poly(list(reversed(cs)))  # Σ q_j z^{n−j}
    tr = rev(fmpq_poly([1, 1])).coeffs()
    signs = [1 if c > 0 else -1 for c in tr if c != 0]
    return sum(1 for i in range(1, len(signs)) if signs[i] != signs[i - 1])


@dataclass(frozen=True)
class RootBox:
    """A real root isolated in ``[lo, hi]`` (``lo == hi``: the root is that rational exactly)."""

    lo: fmpq
    hi: fmpq

    def ball(self) -> arb:
        mid = (self.lo + self.hi) / 2
        return arb(mid, (self.hi - self.lo) / 2) if self.hi != self.lo else arb(mid)

    def describe(self) -> dict[str, Any]:
        return {"lo": _qstr(self.lo), "hi": _qstr(self.hi),
                "lo_float": _qfloat(self.lo), "hi_float": _qfloat(self.hi)}


class IsolationFailed(RuntimeError):
    pass


def isolate_real_roots(poly: fmpq_poly, lo: fmpq, hi: fmpq, max_depth: int = 200) -> list[RootBox]:
    """Every real root of ``poly`` in the closed interval ``[lo, hi]``, each in its own box (exact: the
    squarefree part, Descartes' rule on Möbius transforms, bisection at rationals)."""
    if poly.is_zero():
        raise IsolationFailed("the polynomial is identically zero")
    sq = poly / poly.gcd(poly.derivative()) if poly.degree() > 0 else poly
    if sq.degree() <= 0:
        return []
    if lo == hi:
        return [RootBox(lo, lo)] if sq(lo) == 0 else []
    out: list[RootBox] = []
    for end in (lo, hi):
        if sq(end) == 0:
            out.append(RootBox(end, end))
    stack = [(lo, hi, 0)]
    while stack:
        a, b, depth = stack.pop()
        v = _descartes(sq, a, b)
        if v == 0:
            continue
        if v == 1:
            out.append(RootBox(a, b))
            continue
        if depth >= max_depth:
            raise IsolationFailed(f"no isolation after {max_depth} bisections")
        m = (a + b) / 2
        if sq(m) == 0:
            out.append(RootBox(m, m))
        stack.append((a, m, depth + 1))
        stack.append((m, b, depth + 1))
    return sorted(out, key=lambda r: (r.lo, r.hi))


def refine_root(poly: fmpq_poly, box: RootBox, rel_width: fmpq = fmpq(1, 2**50)) -> RootBox:
    """Bisect an isolating box (a sign change of the squarefree part) down to ``rel_width``."""
    if box.lo == box.hi:
        return box
    sq = poly / poly.gcd(poly.derivative()) if poly.degree() > 0 else poly
    a, b = box.lo, box.hi
    # the box holds exactly one root in its open interior; a neighbouring root may sit on an endpoint, so
    # first halve by Descartes' rule until both endpoints are non-roots, then bisect by sign
    while sq(a) == 0 or sq(b) == 0:
        m = (a + b) / 2
        if sq(m) == 0:
            return RootBox(m, m)
        a, b = (a, m) if _descartes(sq, a, m) == 1 else (m, b)
    fa = sq(a)
    for _ in range(400):
        if (b - a) <= rel_width * abs(a):
            break
        m = (a + b) / 2
        fm = sq(m)
        if fm == 0:
            return RootBox(m, m)
        if (fm > 0) == (fa > 0):
            a, fa = m, fm
        else:
            b = m
    return RootBox(a, b)
