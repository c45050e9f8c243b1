"""The one proof kernel (theory/kernel.py): one result type, one identity prover, one witness finder, and
the historical names that now resolve to it."""

from __future__ import annotations

import sympy as sp
from glaverify.theory import gating_symbolic as gsy
from glaverify.theory import gla_symbolic as gs
from glaverify.theory import risk as rk
from glaverify.theory import risk_all_dims as ra
from glaverify.theory.induction import IndexedSum, y
from glaverify.theory.kernel import ProofResult, find_nonzero_point, prove_identity
from glaverify.theory.moment_calculus import Alphabet, TracePoly
from sympy.polys.domains import QQ
from sympy.polys.rings import ring


def test_historical_result_types_are_the_kernel_type() -> None:
    assert rk.IdentityResult is ProofResult
    assert issubclass(gs.SymbolicResult, ProofResult)
    assert issubclass(gsy.SymbolicResult, ProofResult)
    assert issubclass(ra.AllDimsResult, ProofResult)
    g = gs.SymbolicResult("G1", {"d": 1}, sp.Integer(0), 0)
    assert g.is_zero and g.holds and g.claim == "G1" and g.terms == 0 and g.dims == {"d": 1}
    h = gsy.SymbolicResult("A1", False, "statement", {"n": 2})
    assert not h.holds and h.statement == "statement" and h.details == {"n": 2}


def test_prove_identity_on_every_kind_of_difference() -> None:
    R, a, b = ring("a b", QQ)
    assert prove_identity("poly zero", a * b - b * a).holds
    bad = prove_identity("poly", a * b - b)
    assert not bad.holds and bad.point is not None and sp.Rational(bad.value_at_point) != 0
    x = sp.Symbol("x")
    assert prove_identity("rational zero", 1 / (x + 1) - 1 / (1 + x)).holds
    res = prove_identity("rational", 1 / (x + 1) - 1 / (x + 2))
    assert not res.holds and res.point is not None
    frac = rk.Frac(a - b, a + b)
    fr = prove_identity("frac", frac)
    assert not fr.holds and fr.point is not None
    AL = Alphabet.of(["P"], symmetric=["S"])
    diff = TracePoly.tr(AL, "P S") * TracePoly.tr(AL, "S") - TracePoly.tr(AL, "P S S")
    tp = prove_identity("trace", diff, symmetric_spd=["S"])
    assert not tp.holds and tp.witness is not None and tp.witness["d"] >= 2
    assert prove_identity("sum", IndexedSum.of(lambda j: y(j), 1, 0)).holds


def test_witness_finder_never_claims_zero_is_nonzero() -> None:
    x = sp.Symbol("x")
    assert find_nonzero_point(sp.Integer(0)) is None
    assert find_nonzero_point(x - x) is None
    found = find_nonzero_point(x**2 - 4, seed=1)
    assert found is not None and sp.Rational(found[1]) != 0


def test_gla_witness_keeps_its_sampling() -> None:
    g1, x = sp.symbols("g1 x1")
    wit = gs.nonzero_witness(g1 * x - x)
    assert wit is not None
    assert 0 < sp.Rational(wit["point"]["g1"]) <= 1  # gates in (0, 1]


def test_dataclasses_replace_works_on_every_compat_type() -> None:
    import dataclasses

    g = dataclasses.replace(gs.SymbolicResult("G1", {"d": 1}, sp.Integer(3), 1), holds=True)
    assert g.holds and g.claim == "G1" and g.dims == {"d": 1} and g.terms == 1
    h = dataclasses.replace(gsy.SymbolicResult("A5", False, "s", {"k": 1}), holds=True)
    assert h.holds and h.claim == "A5" and h.statement == "s" and h.details == {"k": 1}
    a = dataclasses.replace(ra.AllDimsResult("R1", True, "st", ("x",)), holds=False)
    assert not a.holds and a.statement == "st" and a.assumptions == ("x",)
