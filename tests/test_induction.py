"""Induction proofs for every n, d (and L): G1, G2, G3, G4 (L = 1) and A1 (theory/induction.py), with the
planted errors each must catch: a wrong induction step, wrong weights, a missing transpose, a wrong WPGD
step, a wrong lemma."""

from __future__ import annotations

import pytest
import sympy as sp
import z3
from glaverify.theory import induction as ind
from glaverify.theory.induction import (
    ELL,
    A,
    IndexedSum,
    N,
    Q,
    Qt,
    Wl,
    Wp,
    Y,
    g,
    wc,
    xc,
    xr,
    y,
    yt,
)


@pytest.mark.parametrize(
    "prover",
    [
        ind.prove_g1_all_dims,
        ind.prove_g2_all_dims,
        ind.prove_g3_all_dims,
        ind.prove_g4_all_dims,
        ind.prove_a1_all_n,
    ],
)
def test_all_dims_proofs_hold_and_cross_checks_agree(prover) -> None:
    res = prover(seed=1)
    assert res.holds, res.residual
    assert res.cross_checks and all(c.agree for c in res.cross_checks)
    assert not res.tool_error


def test_indexed_sum_rules() -> None:
    i = sp.Symbol("i", integer=True, nonnegative=True)  # peel_top needs 1 <= i + 1 provable
    s = IndexedSum.of(lambda j: y(j), 1, i + 1).peel_top(i + 1)
    assert (s - IndexedSum.of(lambda j: y(j), 1, i) - y(i + 1)).is_zero()
    assert IndexedSum.of(lambda j: y(j), 1, 0).is_zero()  # empty range
    assert not IndexedSum.of(lambda j: y(j), 1, i).is_zero()
    with pytest.raises(ValueError, match="summation index"):
        _ = IndexedSum.of(lambda j: y(j), 1, i) * ind.J


def test_bilinear_atoms_transpose_but_do_not_drop_it() -> None:
    i, j = sp.symbols("i j")
    assert ind.scalarise(xr(i) * Q(1) * xc(j) - xr(j) * Qt(1) * xc(i)) == 0
    assert ind.scalarise(xr(i) * Q(1) * xc(j) - xr(j) * Q(1) * xc(i)) != 0  # Q is not symmetric
    assert ind.scalarise(xr(i) * A(1) * xc(j) - xr(j) * A(1) * xc(i)) == 0  # diagonal: symmetric


# ----------------------------------------------------------------------------- planted errors
def test_wrong_induction_step_is_not_proved() -> None:
    """Decay applied after adding the token (S_i = g_i (S_{i-1} + v_i k_iᵀ)): the step identity fails; the
    claim itself is fine, so the result is 'not proved', never 'refuted'."""
    res = ind.prove_g1_all_dims(step=lambda prev, i: g(i) * (prev - y(i) * xr(i)))
    assert not res.holds and res.witness is None and "step" in res.residual


def test_off_by_one_weights_are_refuted_with_a_concrete_witness() -> None:
    res = ind.prove_g1_all_dims(
        wpgd=lambda: IndexedSum.of(lambda j: Wp(j, N) * y(j) * xr(N + 1) * Qt(1) * xc(j), 1, N)
    )
    assert not res.holds and "readout" in res.residual
    assert res.witness is not None and res.witness["value"] != res.witness["explicit_value"]


def test_missing_transpose_is_refuted() -> None:
    res = ind.prove_g2_all_dims(
        wpgd=lambda: IndexedSum.of(lambda j: y(j) * xr(N + 1) * Q(1) * ind.D(j, N + 1) * xc(j), 1, N)
    )
    assert not res.holds and res.witness is not None


def test_wrong_g3_wpgd_step_is_refuted() -> None:
    def no_transpose(ell, i):  # P_l = Q_l instead of Q_lᵀ
        return wc(ell, i) - Q(ell) * IndexedSum.of(
            lambda j: Wl(ell, j, i) * xc(j) * (xr(j) * wc(ell, j) - yt(j)), 1, i
        )

    res = ind.prove_g3_all_dims(wstep=no_transpose)
    assert not res.holds and "step" in res.residual and res.witness is not None


def test_g3_query_term_dropped_is_caught() -> None:
    # the sum stops at i - 1 (docs/gla.md: the query's own term is included)
    def causal_without_own_term(ell, i):
        return wc(ell, i) - Qt(ell) * IndexedSum.of(
            lambda j: Wl(ell, j, i) * xc(j) * (xr(j) * wc(ell, j) - yt(j)), 1, i - 1
        )

    res = ind.prove_g3_all_dims(wstep=causal_without_own_term)
    assert not res.holds


def test_g3_wrong_layer_formula_is_caught() -> None:
    def gla_without_residual(ell, i):  # drops the residual stream Y(l, i)
        return -IndexedSum.of(lambda j: Wl(ell, j, i) * Y(ell, j) * xr(j) * Q(ell) * xc(i), 1, i)

    assert not ind.prove_g3_all_dims(layer=gla_without_residual).holds


def test_g4_wrong_full_context_weights_not_proved() -> None:
    assert not ind.prove_g4_all_dims(full_weight=lambda j: Wp(j, N)).holds


def test_a1_planted_errors() -> None:
    off = ind.prove_a1_all_n(weights=lambda i: Wp(i, N))
    assert not off.holds and off.witness is not None

    def wrong_lemma():
        gg, w = z3.Reals("g w")
        return gg, w, z3.Implies(z3.And(0 <= gg, gg <= 1, 0 <= w, w <= 1), gg * w >= w)

    bad = ind.prove_a1_all_n(forward=wrong_lemma)
    assert not bad.holds and bad.witness is not None and "model" in bad.witness


def test_layer_symbol_is_generic() -> None:
    """The G3 step is proved for a symbolic layer l, i.e. for every depth."""
    res = ind.prove_g3_all_dims(cross=False)
    assert res.holds
    assert ELL.is_integer


@pytest.mark.parametrize("shape", ["key", "value"])
def test_g3_other_gate_shapes(shape: str) -> None:
    res = ind.prove_g3_all_dims(shape=shape, seed=3)
    assert res.holds and all(c.agree for c in res.cross_checks)


def test_g3_key_planted_missing_transpose_is_refuted() -> None:
    def no_transpose(ell, i):
        return wc(ell, i) - Q(ell) * IndexedSum.of(
            lambda j: ind.Dl(ell, j, i) * xc(j) * (xr(j) * wc(ell, j) - yt(j)), 1, i
        )

    res = ind.prove_g3_all_dims(shape="key", wstep=no_transpose)
    assert not res.holds and res.witness is not None


def test_g3_all_shapes_record() -> None:
    res = ind.prove_g3_all_shapes(seed=0)
    assert res.holds and len(res.cross_checks) == 12 and "[key]" in res.statement
