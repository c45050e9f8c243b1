"""The one proof kernel of ``theory/``: one result type, one identity prover, one witness finder.

Every exact check in ``theory/`` — the coordinate risk proofs (:mod:`.risk`), the GLA and gating identities
(:mod:`.gla_symbolic`, :mod:`.gating_symbolic`) and the dimension-free calculus (:mod:`.risk_all_dims`,
:mod:`.profile_all_dims`, :mod:`.induction`, :mod:`.gating_all_dims`) — reports a :class:`ProofResult`:

* ``holds`` is decided by an exact computation (a difference that normalises to zero);
* when it does not hold, ``point``/``value_at_point`` (or ``witness``) give an exact rational place where
  the difference is nonzero, found by :func:`find_nonzero_point`; without one the difference is only "not
  shown to vanish" and callers must not call it refuted;
* ``cross_checks`` and ``tool_error`` carry the second route of the dimension-free proofs.

:func:`prove_identity` is the identity prover: it accepts a sparse polynomial (``PolyElement``), a lazy
fraction (``theory.risk.Frac``), a sympy expression (polynomial or rational function), a trace polynomial
of the moment calculus or an indexed sum of the induction proofs, and returns a :class:`ProofResult`.

The older names (``risk.IdentityResult``, ``gla_symbolic.SymbolicResult``, ``gating_symbolic.SymbolicResult``,
``risk_all_dims.AllDimsResult``) are this type or thin constructors of it with their old signatures.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any

import sympy as sp
from sympy.polys.domains import QQ
from sympy.polys.rings import PolyElement

__all__ = ["ProofResult", "find_nonzero_point", "prove_identity"]


@dataclass
class ProofResult:
    """The outcome of one exact check (an identity ``difference = 0`` or a composite statement)."""

    name: str
    holds: bool
    residual_terms: int = 0
    residual: str = ""  # a (truncated) printout of the nonzero difference
    point: dict[str, str] | None = None  # where the difference is nonzero (exact rationals, as text)
    value_at_point: str | None = None
    elapsed_s: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)
    statement: str = ""  # what was proved, in the notation of the prover
    witness: dict[str, Any] | None = None  # a richer exact counterexample (matrices, sizes, models)
    assumptions: tuple[str, ...] = ()
    cross_checks: tuple[Any, ...] = ()  # second-route instances (dimension-free proofs)
    tool_error: str = ""  # the two routes disagree: a fault of the tool, never a verdict
    dims: dict[str, Any] = field(default_factory=dict)
    difference: Any = None  # the exact difference itself, when small enough to keep

    @property
    def claim(self) -> str:
        return self.name

    @property
    def is_zero(self) -> bool:
        return self.holds

    @property
    def terms(self) -> int:
        return self.residual_terms

    @property
    def cross_check_failed(self) -> bool:
        return any(not c.agree for c in self.cross_checks)


def _short(text: str, limit: int = 400) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ----------------------------------------------------------------------------- the witness finder
def _sample(sym: sp.Symbol, rng: random.Random, t: int, signed: bool, gates: tuple[str, ...]) -> sp.Rational:
    if gates and sym.name.startswith(gates):
        return sp.Rational(rng.randint(1, 10), 10)  # gates in (0, 1]
    if signed:
        return sp.Rational(rng.choice([-1, 1]) * rng.randint(1, 9), rng.randint(1, 4))
    span = 3 + 2 * t
    return sp.Rational(rng.randint(1, 4 * span), rng.randint(1, span))


def find_nonzero_point(
    obj: Any, seed: int = 0, tries: int = 40, signed: bool = False, gates: tuple[str, ...] = (), **kw: Any
) -> tuple[dict[str, str], str] | None:
    """An exact point where ``obj`` is defined and nonzero, or ``None``: ``(point, value)`` as text.

    By Schwartz–Zippel a nonzero polynomial is nonzero at most points of a large enough grid, so random
    rationals find one quickly; ``None`` never proves the object is zero. Polynomials get positive integers
    (growing ranges), rational functions positive rationals (or, ``signed``, small rationals of both signs,
    with symbols named by a prefix in ``gates`` drawn in (0, 1]; the value may then still hold values of
    undefined gate functions, which are free); a lazy fraction avoids its poles. A trace
    polynomial is delegated to :func:`~glaverify.theory.moment_calculus.trace_witness` (matrices of growing
    size; ``kw`` are passed on) and its witness dict is returned as ``(witness, value)``.
    """
    from .moment_calculus import TracePoly, trace_witness

    rng = random.Random(seed)
    if isinstance(obj, TracePoly):
        wit = trace_witness(obj, seed=seed, **kw)
        return (wit, wit["value"]) if wit else None
    if isinstance(obj, PolyElement):
        ring = obj.ring
        for t in range(tries):
            span = 3 + 2 * t
            vals = [sp.Integer(rng.randint(1, span)) for _ in ring.gens]
            v = obj.evaluate(list(zip(ring.gens, [QQ.convert(int(x)) for x in vals], strict=False)))
            if v != 0:
                used = {str(s) for s in obj.as_expr().free_symbols} if len(obj) < 2000 else None
                point = {
                    str(s): str(x)
                    for s, x in zip(ring.symbols, vals, strict=False)
                    if used is None or str(s) in used
                }
                return point, str(v)
        return None
    if hasattr(obj, "num") and hasattr(obj, "den"):  # theory.risk.Frac: numerator/denominator over a ring
        ring = obj.num.ring
        for t in range(max(tries, 60)):
            span = 3 + 2 * t
            vals = [QQ(rng.randint(1, 4 * span), rng.randint(1, span)) for _ in ring.gens]
            pairs = list(zip(ring.gens, vals, strict=False))
            dv, nv = obj.den.evaluate(pairs), obj.num.evaluate(pairs)
            if dv != 0 and nv != 0:
                q = nv / dv
                point = {
                    str(s): str(sp.Rational(int(v.numerator), int(v.denominator)))
                    for s, v in zip(ring.symbols, vals, strict=False)
                }
                return point, str(sp.Rational(int(q.numerator), int(q.denominator)))
        return None
    expr = sp.sympify(obj)
    syms = sorted(expr.free_symbols, key=lambda s: sp.default_sort_key(s) if not signed else s.name)
    for t in range(tries):
        sub = {s: _sample(s, rng, t, signed, gates) for s in syms}
        try:
            v = sp.nsimplify(expr.xreplace(sub)) if not signed else expr.subs(sub)
        except (ZeroDivisionError, ValueError):
            continue
        if signed and v != 0:  # may keep values of opaque gate functions g(z), which are free
            return {str(s): str(x) for s, x in sub.items()}, str(v)
        if v.is_number and v.is_finite and v != 0:
            return {str(s): str(x) for s, x in sub.items()}, str(v)
    return None


# ----------------------------------------------------------------------------- the identity prover
def prove_identity(
    name: str, diff: Any, t0: float | None = None, seed: int = 0, **details: Any
) -> ProofResult:
    """``diff = 0`` decided exactly; if not, the residual and (when found) an exact nonzero point."""
    from .induction import IndexedSum
    from .moment_calculus import TracePoly

    t0 = time.perf_counter() if t0 is None else t0

    def done(holds: bool, terms: int = 0, residual: str = "") -> ProofResult:
        return ProofResult(name, holds, terms, residual, elapsed_s=time.perf_counter() - t0, details=details)

    if isinstance(diff, PolyElement):
        if not diff:
            return done(True)
        res = done(
            False, len(diff), _short(str(diff.as_expr())) if len(diff) < 400 else f"<{len(diff)} terms>"
        )
    elif hasattr(diff, "num") and hasattr(diff, "den"):  # lazy fraction
        if diff.is_zero():
            return done(True)
        res = done(False, len(diff.num), f"<numerator with {len(diff.num)} terms>")
    elif isinstance(diff, (TracePoly, IndexedSum)):
        if diff.is_zero():
            return done(True)
        res = done(False, len(diff.terms) if isinstance(diff, TracePoly) else 1, _short(diff.pretty(), 600))
        if isinstance(diff, IndexedSum):
            return res  # a symbolic-length sum has no point to evaluate; callers use concrete instances
    else:
        num, _den = sp.fraction(sp.together(sp.sympify(diff)))
        num = sp.expand(num)
        if num == 0:
            return done(True)
        nterms = len(sp.Add.make_args(num))
        res = done(False, nterms, _short(str(sp.factor(num) if nterms < 60 else num)))
    found = find_nonzero_point(diff, seed)
    if found:
        res.point, res.value_at_point = found
        if isinstance(diff, TracePoly):
            res.witness, res.point = found[0], None
    return res
