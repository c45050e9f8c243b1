"""The dimension-free moment calculus (theory/moment_calculus.py, theory/index_sums.py) and R1/R2 for every
d, n (theory/risk_all_dims.py): normal forms, vector-level Isserlis against the coordinate engine, and
planted errors that must be refuted with an exact witness or reported not proved."""

from __future__ import annotations

import itertools
import random
from fractions import Fraction

import pytest
import sympy as sp
from glaverify.theory import index_sums as ix
from glaverify.theory import risk_all_dims as ra
from glaverify.theory.moment_calculus import (
    Alphabet,
    Bilinear,
    GaussianVectorModel,
    OutsideFragment,
    Term,
    TracePoly,
    canonical_bilinear,
    canonical_trace,
    evaluate_trace_poly,
    evaluate_word,
    random_rational_matrix,
    random_spd_matrix,
    trace_witness,
    transpose_word,
    word,
)
from glaverify.theory.wick import GaussianModel
from hypothesis import given
from hypothesis import strategies as st

AB = Alphabet.of(["A", "B", "P"], symmetric=["S"])


def w(text: str):
    return word(AB, text)


# ----------------------------------------------------------------------------- normal form
def test_trace_cyclic_and_transpose_invariance() -> None:
    assert canonical_trace(w("A B"), AB) == canonical_trace(w("B A"), AB)
    assert canonical_trace(w("A B S"), AB) == canonical_trace(w("S B' A'"), AB)  # tr(X) = tr(Xᵀ)
    assert canonical_trace(w("S S'"), AB) == canonical_trace(w("S S"), AB)  # symmetric letter
    assert canonical_trace(w("A B"), AB) != canonical_trace(w("A B'"), AB)  # no commuting, no symmetry
    assert canonical_trace(w("A A B B"), AB) != canonical_trace(w("A B A B"), AB)


def test_bilinear_transposition() -> None:
    assert canonical_bilinear("x", w("A"), "y", AB) == canonical_bilinear("y", w("A'"), "x", AB)
    assert canonical_bilinear("x", w("A"), "y", AB) != canonical_bilinear("y", w("A"), "x", AB)


def test_like_terms_are_collected() -> None:
    p = TracePoly.tr(AB, "A B", 2) + TracePoly.tr(AB, "B A", -2) + TracePoly.tr(AB, "S", sp.Symbol("c"))
    assert p.terms == {((("S", False),),): sp.Symbol("c")}


def test_outside_the_fragment_is_refused() -> None:
    with pytest.raises(OutsideFragment, match="matrix letter 'Q' is not declared"):
        word(AB, "A Q")
    m = GaussianVectorModel(AB, {"x": (("S", False),)}, {"x": "x"}, cov=lambda u, v: sp.Integer(1))
    with pytest.raises(OutsideFragment, match="vector 'z' is not a declared"):
        m.expectation([Term(sp.Integer(1), (Bilinear("x", (), "z"),))])
    with pytest.raises(OutsideFragment, match="scalar Gaussian"):
        m.expectation([Term(sp.Integer(1), (), ("xi",))])


# ----------------------------------------------------------------------------- Isserlis at vector level
def _model() -> GaussianVectorModel:
    return GaussianVectorModel(AB, {"x": (("S", False),)}, {"x": "x"}, cov=lambda u, v: sp.Integer(1))


def test_fourth_moment_identity() -> None:
    """E[(xᵀAx)(xᵀBx)] = tr(AΣ)tr(BΣ) + tr(AΣBΣ) + tr(AΣBᵀΣ): the identity behind R1."""
    forms = (Bilinear("x", w("A"), "x"), Bilinear("x", w("B"), "x"))
    got = _model().expectation([Term(sp.Integer(1), forms)])
    want = (
        TracePoly.tr(AB, "A S") * TracePoly.tr(AB, "B S")
        + TracePoly.tr(AB, "A S B S")
        + TracePoly.tr(AB, "A S B' S")
    )
    assert (got - want).is_zero()


def test_odd_moment_vanishes_and_identity_cov() -> None:
    m = GaussianVectorModel(AB, {"b": ()}, {"b": "b"}, cov=lambda u, v: sp.Integer(1))
    assert m.expectation([Term(sp.Integer(1), (Bilinear("b", w("A"), "b"),) * 3)]).is_zero() is False
    odd = GaussianVectorModel(AB, {"x": (("S", False),), "b": ()}, {"x": "x", "b": "b"}, cov=lambda u, v: 1)
    assert odd.expectation([Term(sp.Integer(1), (Bilinear("x", w("A"), "b"),))]).is_zero()
    # E[bᵀb] = tr(I) = d: the empty trace
    got = m.expectation([Term(sp.Integer(1), (Bilinear("b", (), "b"),))])
    assert got.terms == {((),): 1}


def _coordinate_value(forms, mats, d: int, sigma) -> sp.Rational:
    """The same expectation by the explicit coordinate engine: one Gaussian group per vector family."""
    xs = sp.symbols(f"x0:{d}")
    model = GaussianModel([(xs, sp.Matrix(d, d, lambda i, j: sp.Rational(sigma[i][j])))])
    expr = sp.Integer(1)
    for f in forms:
        m = sp.Matrix(d, d, lambda i, j: 0) + sp.eye(d)
        for name, t in f.w:
            mm = sp.Matrix([[sp.Rational(v) for v in row] for row in mats[name]])
            m = m * (mm.T if t else mm)
        expr *= (sp.Matrix([xs]) * m * sp.Matrix(xs))[0, 0]
    return model.expectation(sp.expand(expr))


@pytest.mark.parametrize("seed", range(4))
def test_vector_isserlis_matches_coordinate_engine(seed: int) -> None:
    """Second route for the calculus itself: random products of quadratic forms, d = 1, 2, 3."""
    rng = random.Random(seed)
    letters = ["A", "B", "S"]
    forms = [
        Bilinear("x", tuple((rng.choice(letters), rng.random() < 0.4) for _ in range(rng.randint(0, 2))), "x")
        for _ in range(rng.randint(1, 3))
    ]
    poly = _model().expectation([Term(sp.Integer(1), tuple(forms))])
    for d in (1, 2, 3):
        sig = random_spd_matrix(d, rng)
        mats = {
            "A": random_rational_matrix(d, rng),
            "B": random_rational_matrix(d, rng),
            "S": sig,
            "P": random_rational_matrix(d, rng),
        }
        assert evaluate_trace_poly(poly, mats, d, {}) == _coordinate_value(forms, mats, d, sig)


def test_witness_searches_beyond_small_sizes() -> None:
    """tr(PS)tr(S) − tr(PSS) vanishes identically at d = 1 but not as a free identity: the witness must come
    from a larger size, never from d = 1."""
    diff = TracePoly.tr(AB, "P S") * TracePoly.tr(AB, "S") - TracePoly.tr(AB, "P S S")
    wit = trace_witness(diff, symmetric_spd=["S"], seed=0)
    assert wit is not None and wit["d"] >= 2
    assert trace_witness(diff, symmetric_spd=["S"], sizes=(1,)) is None


# ----------------------------------------------------------------------------- index sums
def test_index_class_sums() -> None:
    L, G = ix.LOCAL, ix.GLOBAL
    assert ix.single_sum(L.w_i * L.r_i) == G["rho"]
    assert ix.distinct_pair_sum(L.w_i * L.w_j * L.R_ij) == G["wRw"] - G["w2"]
    assert ix.distinct_pair_sum(L.w_i * L.w_j) == G["sum_w"] ** 2 - G["w2"]
    # values at a concrete instance, including a generic sum, against brute force over i != j
    w_, r_ = [sp.Rational(1, 2), 3, -2], [sp.Rational(1, 3), 1, sp.Rational(-1, 2)]
    R_ = [[1, sp.Rational(1, 4), 0], [sp.Rational(1, 4), 1, sp.Rational(1, 2)], [0, sp.Rational(1, 2), 1]]
    e = L.w_i**2 * L.r_j * L.R_ij**2
    summed = ix.distinct_pair_sum(e)
    got = summed.xreplace(ix.index_sum_values(w_, R_, r_, summed.free_symbols))
    brute = sum(w_[i] ** 2 * r_[j] * R_[i][j] ** 2 for i, j in itertools.permutations(range(3), 2))
    assert got == brute


# ----------------------------------------------------------------------------- R1 / R2 every d, n
def test_r1_all_dims_proved_and_cross_checked() -> None:
    res = ra.prove_r1_all_dims(seed=3)
    assert res.holds, res.residual
    assert [c.d for c in res.cross_checks] == [1, 2, 3, 5]
    assert all(c.agree for c in res.cross_checks)
    assert "tr(PSSP'S)" in res.statement


def test_r2_all_dims_proved() -> None:
    assert ra.prove_r2_all_dims().holds


@pytest.mark.parametrize(
    "planted",
    [
        {"cross_coeff": 3},  # wrong coefficient
        {"m_sigma_power": 3},  # M = aΣ³ + bΣ
        {"include_noise_in_s": False},  # s without σ²
        {"transpose_first_p": False},  # missing transpose: tr(PΣPM); equal at d = 1
    ],
)
def test_r1_planted_closed_form_errors_are_refuted_with_witness(planted: dict) -> None:
    res = ra.prove_r1_all_dims(closed_form=ra.r1_closed_form(**planted), cross_sizes=())
    assert not res.holds
    assert res.witness is not None and sp.Rational(res.witness["value"]) != 0
    if planted == {"transpose_first_p": False}:
        assert res.witness["d"] >= 2


def test_r1_dropped_pairing_is_caught_by_the_second_route() -> None:
    class Dropping(GaussianVectorModel):
        def _form_moment(self, forms):
            out = super()._form_moment(forms)
            return out[1:] if len(out) > 2 else out  # forget one pairing of every larger product

    m = ra._vector_model()
    dropped = Dropping(m.alphabet, m.families, m.vectors, m.cov, m.scalars, m.scalar_cov)
    derived = ra.derive_risk(model=dropped)
    checks = ra.cross_check_r1(derived, sizes=(2, 3))
    assert not all(c.agree for c in checks)
    assert not (derived - ra.r1_closed_form()).is_zero()


def test_r1_wrong_index_split_is_not_proved() -> None:
    L = ix.LOCAL

    def no_diagonal_subtraction(equal, distinct):  # sums the i != j class over all pairs (i = j included)
        diagonal = distinct.subs({L.w_j: L.w_i, L.r_j: L.r_i, L.R_ij: 1})
        return ix.single_sum(equal) + ix.distinct_pair_sum(distinct) + ix.single_sum(diagonal)

    res = ra.prove_r1_all_dims(split=no_diagonal_subtraction, cross_sizes=(2,))
    assert not res.holds
    assert res.cross_check_failed
    assert res.witness is not None


def test_r2_planted_wrong_scaling_is_refuted() -> None:
    res = ra.prove_r2_all_dims(w_power=2)
    assert not res.holds and res.witness is not None


def test_exact_values_only() -> None:
    rng = random.Random(0)
    m = random_spd_matrix(3, rng)
    assert all(isinstance(v, Fraction) for row in m for v in row)


# ----------------------------------------------------------------------------- properties of the normal form

_letters = st.tuples(st.sampled_from(["A", "B", "P", "S"]), st.booleans())
_words = st.lists(_letters, min_size=0, max_size=6).map(lambda ls: AB.normalise(ls))


@given(_words, st.integers(0, 5))
def test_trace_normal_form_is_invariant_under_rotation_and_transpose(wd, k) -> None:
    k = k % max(len(wd), 1)
    rotated = wd[k:] + wd[:k]
    assert canonical_trace(rotated, AB) == canonical_trace(wd, AB)
    assert canonical_trace(transpose_word(wd, AB), AB) == canonical_trace(wd, AB)


@given(_words, st.integers(0, 10_000))
def test_normal_form_value_equals_the_matrix_trace(wd, seed) -> None:
    """Sound rewriting: the canonical representative has the same trace as the word, at d = 3."""
    rng = random.Random(seed)
    d = 3
    mats = {n: random_rational_matrix(d, rng) for n in ("A", "B", "P")}
    mats["S"] = random_spd_matrix(d, rng)
    tr = lambda w: sum((evaluate_word(w, mats, d)[i][i] for i in range(d)), Fraction(0))  # noqa: E731
    assert tr(canonical_trace(wd, AB)) == tr(wd)
