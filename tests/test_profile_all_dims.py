"""R3, R4 (stationarity) and R5 for every d, n (theory/profile_all_dims.py): the relation rewriting of the
calculus, the proofs, their second routes, and planted errors."""

from __future__ import annotations

import random

import pytest
import sympy as sp
from glaverify.theory import profile_all_dims as pa
from glaverify.theory.moment_calculus import (
    Alphabet,
    Relation,
    TracePoly,
    evaluate_trace_poly,
    random_rational_matrix,
    random_spd_matrix,
    reduce_relations,
    substitute_letter,
)

AL = Alphabet.of(["D"], symmetric=["S", "N"])
a, b = sp.symbols("a b", positive=True)


def test_relation_reduction_is_value_preserving() -> None:
    """Reduced and unreduced trace polynomials agree at concrete S with the exact N = (aS + bI)^{-1}."""
    rel = Relation("S", "N", 1 / a, -b / a)
    p = TracePoly.tr(AL, "S N D S N S D'") + TracePoly.tr(AL, "N S S N") * TracePoly.tr(AL, "D S N")
    red = reduce_relations(p, [rel])
    for key in red.terms:
        for w in key:  # no S next to N, cyclically
            names = [n for n, _ in w]
            assert not any({names[i], names[(i + 1) % len(names)]} == {"S", "N"} for i in range(len(names)))
    rng = random.Random(0)
    for d in (1, 2, 3):
        S = random_spd_matrix(d, rng)
        av, bv = sp.Rational(3, 2), sp.Rational(2, 3)
        Nm = pa._inverse(
            [[S[i][j] * pa._q(av) + (pa._q(bv) if i == j else 0) for j in range(d)] for i in range(d)]
        )
        mats = {"S": S, "N": Nm, "D": random_rational_matrix(d, rng)}
        assert evaluate_trace_poly(p, mats, d, {a: av, b: bv}) == evaluate_trace_poly(
            red, mats, d, {a: av, b: bv}
        )


def test_substitution_respects_transposes() -> None:
    AP = Alphabet.of(["P", "D"], symmetric=["N"])
    p = TracePoly.tr(AP, "P' P")
    q = substitute_letter(p, "P", [(2, "N"), (1, "D")], AP)
    want = TracePoly.tr(AP, "N N", 4) + TracePoly.tr(AP, "N D", 4) + TracePoly.tr(AP, "D' D")
    assert (q - want).is_zero()


@pytest.mark.parametrize(
    "prover", [pa.prove_r3_all_dims, pa.prove_r4_stationarity_all_dims, pa.prove_r5_all_dims]
)
def test_proofs_hold_with_agreeing_second_route(prover) -> None:
    res = prover(seed=2)
    assert res.holds, res.residual
    assert len(res.cross_checks) == 4 and all(c.agree for c in res.cross_checks)


def test_r3_planted_errors() -> None:
    swapped = pa.prove_r3_all_dims(inverse_of=(pa.B_, pa.A_))  # P* = rho (b S + a I)^{-1}
    assert not swapped.holds and swapped.witness is not None and not swapped.tool_error
    wrong_profile = pa.prove_r3_all_dims(profile_rho_power=1)
    assert not wrong_profile.holds and wrong_profile.witness is not None


def test_r4_planted_gamma_is_refuted() -> None:
    res = pa.prove_r4_stationarity_all_dims(gamma=lambda f1, f2, f3, s: 1 + s * f3 / f2, sizes=(2,))
    assert not res.holds and res.witness is not None
    shifted = pa.prove_r4_stationarity_all_dims(gamma=lambda f1, f2, f3, s: s * f2 / f3, sizes=(2,))
    assert not shifted.holds and shifted.witness is not None


def test_r5_planted_shift_is_refuted() -> None:
    res = pa.prove_r5_all_dims(shift=lambda d, lam, s2: d + s2 / lam)  # "1 + d" replaced by "d"
    assert not res.holds and res.witness is not None


# ----------------------------------------------------------------------------- A6 decoupling
def test_a6_decoupling_all_dims() -> None:
    from glaverify.theory import gating_all_dims as ga

    res = ga.prove_a6_decoupling_all_dims(seed=1)
    assert res.holds, res.residual
    assert all(c.agree for c in res.cross_checks)
    k1, k2 = sp.symbols("k1 k2")
    wrong = (
        2,
        sp.Function("S")(k1) * ga._entry("P", k2, k1) ** 2 * sp.Function("M")(k1),
    )  # λ on the wrong index
    bad = ga.prove_a6_decoupling_all_dims(claimed_quadratic=wrong)
    assert not bad.holds
    shifted = ga.prove_a6_decoupling_all_dims(shift=lambda lam, s: s / lam)  # "1 +" dropped
    assert not shifted.holds and shifted.witness is not None


def test_entry_expansion_merges_diagonal_indices() -> None:
    from glaverify.theory import gating_all_dims as ga
    from glaverify.theory.moment_calculus import word

    assert ga.entry_expand(word(ga.AL6, "S M"))[0] == 1
    assert ga.entry_expand(word(ga.AL6, "P P"))[0] == 2
    assert ga.entry_expand(())[0] == 1  # tr(I) = d: one free index


def test_quotient_optimum_detects_the_wrong_inverse() -> None:
    c = sp.Symbol("c", positive=True)
    assert pa.quotient_optimum(c) == {}
    bad = pa.quotient_optimum(c, inverse_shift=c + 1)  # w* = (R + (c+1) I)^{-1} r for Q = R + cI
    assert bad and any("grad" in k for k in bad)
