"""The Gaussian expectation engine (Isserlis/Wick) of glaverify.theory.wick."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from glaverify.theory.wick import GaussianModel, group_moment, hafnian
from hypothesis import given, settings
from hypothesis import strategies as st

x, x1, x2, x3, e, p, q = sp.symbols("x x1 x2 x3 e p q")


def test_fourth_moment_of_a_single_variable_is_three_sigma_to_the_fourth():
    s = sp.Symbol("s")
    m = GaussianModel([((x,), [[s]])])
    assert sp.expand(m.expectation(x**4) - 3 * s**2) == 0
    assert sp.expand(m.expectation(x**6) - 15 * s**3) == 0
    assert m.expectation(x**3) == 0


def test_mixed_fourth_moment_is_s11_s22_plus_two_s12_squared():
    s11, s12, s22 = sp.symbols("s11 s12 s22")
    m = GaussianModel([((x1, x2), [[s11, s12], [s12, s22]])])
    assert sp.expand(m.expectation(x1**2 * x2**2) - (s11 * s22 + 2 * s12**2)) == 0
    assert sp.expand(m.expectation(x1**3 * x2) - 3 * s11 * s12) == 0


def test_hafnian_of_small_matrices():
    a = sp.Matrix(4, 4, lambda i, j: sp.Symbol(f"a{min(i, j)}{max(i, j)}"))
    assert sp.expand(hafnian(a) - (a[0, 1] * a[2, 3] + a[0, 2] * a[1, 3] + a[0, 3] * a[1, 2])) == 0
    assert hafnian(sp.ones(6, 6)) == 15  # number of perfect matchings of 6 points
    assert hafnian(sp.ones(3, 3)) == 0
    assert hafnian(sp.ones(8, 8)) == 105


def test_repeated_variables_match_the_hafnian_of_the_repeated_matrix():
    cov = sp.Matrix([[2, 1, 0], [1, 3, 1], [0, 1, 1]])
    exps = [2, 1, 1]
    idx = [0, 0, 1, 2]
    assert group_moment(cov, exps) == hafnian(cov.extract(idx, idx))


def test_independent_groups_factorise():
    m = GaussianModel([((x1,), [[2]]), ((x2,), [[3]])])
    assert m.expectation(x1**2 * x2**2) == 6
    assert m.expectation(x1 * x2) == 0
    # same marginal covariance but correlated in one group: different answer
    m2 = GaussianModel([((x1, x2), [[2, 1], [1, 3]])])
    assert m2.expectation(x1**2 * x2**2) == 8


def test_polynomial_with_constants_and_parameters():
    m = GaussianModel(
        [((x1, x2), [[1, sp.Rational(1, 2)], [sp.Rational(1, 2), 1]]), ((e,), [[q]])], parameters=(p,)
    )
    got = m.expectation(5 + p * x1 * x2 + (x1 + e) ** 2 + p**2)
    assert sp.expand(got - (5 + p / 2 + 1 + q + p**2)) == 0


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="symmetric"):
        GaussianModel([((x1, x2), [[1, 2], [0, 1]])])
    with pytest.raises(ValueError, match="twice"):
        GaussianModel([((x1,), [[1]]), ((x1,), [[1]])])
    m = GaussianModel([((x1,), [[1]])])
    with pytest.raises(ValueError, match="neither"):
        m.expectation(x1 * sp.Symbol("unknown"))


def test_memoisation_counts_each_multiset_once():
    m = GaussianModel([((x1, x2), [[2, 1], [1, 3]])])
    m.expectation(x1**4 * x2**4)
    first = m.moment_evaluations
    m.expectation(x1**4 * x2**4 + x1**2 * x2**2)
    assert m.moment_evaluations == first  # the smaller moment was a sub-problem of the first


def test_metamorphic_extra_independent_factor_changes_nothing():
    """E[f] == E[f·(1 + z)] == E[f·(1 + z + z^3)] for z independent of f with mean-zero odd moments,
    and == E of f written in a needlessly expanded way."""
    z = sp.Symbol("z")
    cov = [[2, 1, 0], [1, 2, 1], [0, 1, 3]]
    m = GaussianModel([((x1, x2, x3), cov), ((z,), [[5]])], parameters=(p,))
    f = (x1 + p * x2) ** 2 * (x3 - x1) ** 2 + p
    base = m.expectation(f)
    assert sp.expand(m.expectation(f * (1 + z + z**3)) - base) == 0
    g = sp.expand((x1 + p * x2) ** 2) * sp.expand((x3 - x1) ** 2) + p + (z**2 - 5) * x1
    assert sp.expand(m.expectation(g) - base) == 0


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_random_polynomial_agrees_with_monte_carlo(seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(3, 3))
    cov = np.round(a @ a.T + np.eye(3), 1)
    covq = sp.Matrix(3, 3, lambda i, j: sp.Rational(str(cov[i, j])))
    m = GaussianModel([((x1, x2, x3), covq)])
    coeffs = rng.integers(-3, 4, size=4)
    f = coeffs[0] + coeffs[1] * x1 * x2 + coeffs[2] * x3**2 * x1**2 + coeffs[3] * x1 * x2 * x3**2
    exact = float(m.expectation(f))
    z = rng.multivariate_normal(np.zeros(3), cov, size=400_000)
    vals = sp.lambdify((x1, x2, x3), f, "numpy")(z[:, 0], z[:, 1], z[:, 2]) * np.ones(len(z))
    mean, se = vals.mean(), vals.std(ddof=1) / np.sqrt(len(z))
    assert abs(mean - exact) <= 5 * se + 1e-12, (mean, exact, se)


def test_monte_carlo_comparison_detects_a_wrong_moment():
    """The MC harness above can fail: a planted wrong value (E x^4 = 2σ^4) is rejected."""
    rng = np.random.default_rng(1)
    z = rng.normal(size=400_000) * np.sqrt(2.0)
    vals = z**4
    mean, se = vals.mean(), vals.std(ddof=1) / np.sqrt(len(z))
    assert abs(mean - 3 * 4.0) <= 5 * se
    assert abs(mean - 2 * 4.0) > 5 * se


def test_fourth_moment_matrix_identity_used_by_r1():
    """E[x xᵀ B x xᵀ] = Σ(B + Bᵀ)Σ + tr(BΣ)Σ for a symbolic B and a symbolic Σ (d = 2)."""
    xs = sp.symbols("y1 y2")
    sig = sp.Matrix(2, 2, lambda i, j: sp.Symbol(f"S{min(i, j)}{max(i, j)}"))
    B = sp.Matrix(2, 2, lambda i, j: sp.Symbol(f"B{i}{j}"))
    m = GaussianModel([(xs, sig)], parameters=list(B))
    xv = sp.Matrix(xs)
    lhs = (xv * xv.T * B * xv * xv.T).applyfunc(m.expectation)
    rhs = sig * (B + B.T) * sig + (B * sig).trace() * sig
    assert (lhs - rhs).applyfunc(sp.expand) == sp.zeros(2, 2)
    wrong = sig * B * sig + (B * sig).trace() * sig  # planted: B instead of B + Bᵀ
    assert (lhs - wrong).applyfunc(sp.expand) != sp.zeros(2, 2)
