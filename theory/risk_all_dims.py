"""R1 and R2 for every dimension d and every prompt length n, in the moment calculus.

The risk ``E(y − ŷ)²`` of the one-step WPGD predictor ``ŷ = Σ_i ω_i y_i xᵀ P x_i`` is derived from the data
model (features ``x_i, x ~ N(0, Σ)`` i.i.d.; tasks with ``E[β_i β_jᵀ] = R_ij I``, ``E[β_i βᵀ] = r_i I``,
``E[β βᵀ] = I``; labels ``y_i = x_iᵀβ_i + ξ_i``, noise variance σ²) by the vector-level Isserlis pairings of
:mod:`glaverify.theory.moment_calculus`, with the sums over examples taken by index class
(:mod:`glaverify.theory.index_sums`). The result is a trace polynomial in the letters ``S`` (Σ, symmetric)
and ``P``, with coefficients in ``rho = rᵀω``, ``w2 = ‖ω‖²``, ``wRw = ωᵀRω``, ``sigma2``. It is compared,
as a normal form, with the closed form of docs/risk.md (claim R1)::

    L(P, ω) = tr Σ + σ² − 2 (rᵀω) tr(PΣ²) + tr(PᵀΣPM),  M = aΣ² + bΣ,  a = ωᵀ(R + I)ω,  b = (tr Σ + σ²)‖ω‖².

Second route: the derived normal form is instantiated at random rational Σ, P, ω, C of sizes d = 1, 2, 3, 5
and compared with the explicit coordinate Wick engine (:func:`glaverify.theory.risk.derived_risk`), which
builds the same model coordinate by coordinate. A disagreement fails the proof loudly.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy as sp

from . import index_sums as ix
from .kernel import ProofResult, find_nonzero_point
from .moment_calculus import (
    Alphabet,
    Bilinear,
    GaussianVectorModel,
    Term,
    TracePoly,
    evaluate_trace_poly,
    random_rational_matrix,
    random_spd_matrix,
)

__all__ = [
    "ALPHABET",
    "AllDimsResult",
    "CrossCheck",
    "cross_check_r1",
    "derive_risk",
    "prove_r1_all_dims",
    "prove_r2_all_dims",
    "r1_closed_form",
]

ALPHABET = Alphabet.of(["P"], symmetric=["S"])
SIGMA2 = sp.Symbol("sigma2")
LOC = ix.LOCAL
G = ix.GLOBAL

ClassSplit = Callable[[sp.Expr, sp.Expr], sp.Expr]


@dataclass(frozen=True)
class CrossCheck:
    """One instance of the second route: the normal form at concrete matrices vs the explicit engine."""

    d: int
    n: int
    calculus_value: str
    explicit_value: str
    agree: bool
    # the tool's own encoding disagrees with the literal model (not the claim): a fault of the tool
    tool_fault: bool = False


class AllDimsResult(ProofResult):
    """Outcome of a dimension-free proof (a :class:`~glaverify.theory.kernel.ProofResult`): ``holds`` only
    when the normal forms agree *and* every cross-check instance agrees. ``witness`` (exact, concrete sizes)
    is set when a difference was found nonzero somewhere; ``statement`` is what was proved, in the
    calculus's notation; ``tool_error`` is set when the two routes disagree in a way only a fault of the
    tool explains."""

    def __init__(
        self,
        name: str,
        holds: bool,
        statement: str = "",
        assumptions: tuple[str, ...] = (),
        residual: str = "",
        witness: dict[str, Any] | None = None,
        cross_checks: tuple[CrossCheck, ...] = (),
        elapsed_s: float = 0.0,
        details: dict[str, Any] | None = None,
        tool_error: str = "",
        **extra: Any,
    ) -> None:
        super().__init__(
            name=name,
            holds=holds,
            statement=statement,
            assumptions=tuple(assumptions),
            residual=residual,
            witness=witness,
            cross_checks=tuple(cross_checks),
            elapsed_s=elapsed_s,
            details=dict(details or {}),
            tool_error=tool_error,
            **extra,
        )


# ----------------------------------------------------------------------------- the model in the calculus
def _vector_model() -> GaussianVectorModel:
    """Vectors x_i, x_j, x (family x, covariance Σ) and beta_i, beta_j, beta (family beta, covariance I);
    noises xi_i, xi_j, xi (variance σ²). ``i`` and ``j`` denote *distinct* examples; the class ``i = j`` is
    obtained by renaming j to i before integrating."""

    def cov(u: str, v: str) -> sp.Expr:
        if u.startswith("x"):
            return sp.Integer(1) if u == v else sp.Integer(0)  # examples and query independent
        key = frozenset((u, v))
        if u == v:
            return sp.Integer(1)  # E[β_i β_iᵀ] = R_ii I = I (diag R = 1), E[β βᵀ] = I
        table = {
            frozenset(("beta_i", "beta_j")): LOC.R_ij,
            frozenset(("beta_i", "beta")): LOC.r_i,
            frozenset(("beta_j", "beta")): LOC.r_j,
        }
        return table[key]

    return GaussianVectorModel(
        ALPHABET,
        families={"x": (("S", False),), "beta": ()},
        vectors={
            "x_i": "x",
            "x_j": "x",
            "x": "x",
            "beta_i": "beta",
            "beta_j": "beta",
            "beta": "beta",
        },
        cov=cov,
        scalars=("xi_i", "xi_j", "xi"),
        scalar_cov=lambda a, b: SIGMA2 if a == b else sp.Integer(0),
    )


Lin = list[Term]


def _mul(a: Lin, b: Lin) -> Lin:
    return [s * t for s in a for t in b]


def _scale(c: sp.Expr, a: Lin) -> Lin:
    return [Term(c * t.coeff, t.forms, t.scalars) for t in a]


def label(idx: str) -> Lin:
    """``y_idx = x_idxᵀ β_idx + ξ_idx`` (``idx`` = "i", "j" or "" for the query)."""
    suf = f"_{idx}" if idx else ""
    one = sp.Integer(1)
    return [Term(one, (Bilinear(f"x{suf}", (), f"beta{suf}"),)), Term(one, (), (f"xi{suf}",))]


def wpgd_term(idx: str) -> Lin:
    """``T_idx = y_idx · xᵀ P x_idx``: the contribution of one example to ``ŷ`` (weight left out)."""
    return _mul(label(idx), [Term(sp.Integer(1), (Bilinear("x", (("P", False),), f"x_{idx}"),))])


def derive_risk(
    split: ClassSplit = ix.class_sum,
    term: Callable[[str], Lin] = wpgd_term,
    model: GaussianVectorModel | None = None,
    steps: list[tuple[str, str]] | None = None,
) -> TracePoly:
    """``E(y − ŷ)² = E y² − 2 Σ_i ω_i E[y T_i] + Σ_{i,j} ω_i ω_j E[T_i T_j]`` in the calculus, every d, n.

    The double sum is split into the classes ``i = j`` and ``i ≠ j`` by ``split`` (injectable so tests can
    plant a wrong split); the per-example term ``T`` is injectable too. ``steps``, if given, receives the
    intermediate normal forms (how docs/proofs.md shows a derivation).
    """
    m = model or _vector_model()
    y = label("")
    e_yy = m.expectation(_mul(y, y))
    e_yt = m.expectation(_scale(-2 * LOC.w_i, _mul(y, term("i"))))
    ti = term("i")
    e_eq = m.expectation(_scale(LOC.w_i**2, _mul(ti, ti)))
    e_ne = m.expectation(_scale(LOC.w_i * LOC.w_j, _mul(term("i"), term("j"))))
    keys = set(e_eq.terms) | set(e_ne.terms)
    items = [(k, split(e_eq.terms.get(k, sp.Integer(0)), e_ne.terms.get(k, sp.Integer(0)))) for k in keys]
    items += [(k, ix.single_sum(c)) for k, c in e_yt.terms.items()]
    items += list(e_yy.terms.items())
    out = TracePoly.build(ALPHABET, items)
    if steps is not None:
        by_class = TracePoly.build(ALPHABET, items[: len(keys)])
        steps += [
            ("E[y^2]", e_yy.pretty()),
            ("-2 w_i E[y T_i]  (one example i)", e_yt.pretty()),
            (
                "sum_i of it",
                TracePoly.build(ALPHABET, [(k, ix.single_sum(c)) for k, c in e_yt.terms.items()]).pretty(),
            ),
            ("w_i^2 E[T_i T_i]  (class i = j)", e_eq.pretty()),
            ("w_i w_j E[T_i T_j]  (class i != j)", e_ne.pretty()),
            ("sum over both classes (R_ii = 1)", by_class.pretty()),
            ("E(y - yhat)^2", out.pretty()),
        ]
    return out


def r1_closed_form(
    m_sigma_power: int = 2,
    cross_coeff: int = 2,
    include_noise_in_s: bool = True,
    transpose_first_p: bool = True,
) -> TracePoly:
    """The R1 closed form written in the calculus (the formula under test; the keyword arguments exist
    so tests can plant errors: ``M = aΣ^k + bΣ``, the cross-term coefficient, ``s`` without σ², and a
    missing transpose ``tr(PΣPM)``)."""
    A = ALPHABET
    trS = TracePoly.tr(A, "S")
    s = trS + (SIGMA2 if include_noise_in_s else 0)
    a = G["wRw"] + G["w2"]
    b = s * G["w2"]
    first = "P'" if transpose_first_p else "P"
    quad_m = (
        TracePoly.tr(A, f"{first} S P " + " ".join(["S"] * m_sigma_power), 1) * a
        + TracePoly.tr(A, f"{first} S P S") * b
    )
    return trS + SIGMA2 - TracePoly.tr(A, "P S S", cross_coeff * G["rho"]) + quad_m


# ----------------------------------------------------------------------------- second route (explicit Wick)
def _q(v: Fraction) -> sp.Rational:
    return sp.Rational(v.numerator, v.denominator)


def _sp_matrix(m: list[list[Fraction]]) -> sp.Matrix:
    return sp.Matrix([[_q(v) for v in row] for row in m])


def _correlation(n_blocks: int, rng: random.Random) -> list[list[Fraction]]:
    """A random exact (K+1)×(K+1) correlation matrix: the Gram matrix of random rational unit-ish vectors
    is normalised exactly by building ``C = D^{-1/2} G D^{-1/2}`` only where that stays rational; we use a
    star family instead, which is exact: ``C_kl = ρ_k ρ_l`` (k ≠ l), ``C_kk = 1``."""
    rhos = [Fraction(rng.randint(-4, 4), 5) for _ in range(n_blocks)] + [Fraction(1)]
    k = n_blocks + 1
    return [[Fraction(1) if a == b else rhos[a] * rhos[b] for b in range(k)] for a in range(k)]


def cross_check_r1(
    derived: TracePoly, sizes: Sequence[int] = (1, 2, 3, 5), seed: int = 0
) -> tuple[CrossCheck, ...]:
    """Instantiate ``derived`` at random rational Σ, P, ω, σ², C for each size d and compare with the
    explicit coordinate engine's exact value of the same risk (n = 3 examples in 2 blocks; n = 2 at d ≥ 5
    to keep the explicit expansion small)."""
    from . import risk as rk

    rng = random.Random(seed)
    out = []
    for d in sizes:
        n = 3 if d < 5 else 2
        blocks = [1, n - 1]
        sig = random_spd_matrix(d, rng, span=2)
        if d >= 5:  # keep the explicit engine fast: tridiagonal (still non-diagonal) Σ
            sig = [[sig[i][j] if abs(i - j) <= 1 else Fraction(0) for j in range(d)] for i in range(d)]
            sig = [[sig[i][j] + (d * 4 if i == j else 0) for j in range(d)] for i in range(d)]
        P = random_rational_matrix(d, rng)
        C = _correlation(len(blocks), rng)
        omega = [Fraction(rng.randint(-5, 5), rng.randint(1, 3)) for _ in range(n)]
        s2 = Fraction(rng.randint(0, 6), rng.randint(1, 3))
        q = _q
        pb = rk.build_risk_problem(_sp_matrix(sig), _sp_matrix(C), blocks, noise_var=q(s2))
        explicit = rk.derived_risk(pb)
        subs = {pb.P[i, j]: q(P[i][j]) for i in range(d) for j in range(d)}
        subs.update({pb.omega[i]: q(omega[i]) for i in range(n)})
        ev = explicit.as_expr().xreplace(subs)
        Rm, rv = pb.example_correlation()
        scal = ix.index_sum_values([q(v) for v in omega], Rm.tolist(), list(rv), derived.scalar_symbols())
        scal[SIGMA2] = q(s2)
        cv = evaluate_trace_poly(derived, {"S": sig, "P": P}, d, scal)
        out.append(CrossCheck(d, n, str(cv), str(sp.nsimplify(ev)), bool(sp.nsimplify(ev - cv) == 0)))
    return tuple(out)


def _realisable_scalars(rng: random.Random, symbols: Any = ()) -> dict[sp.Symbol, Any]:
    """Scalar values that come from a concrete prompt (n = 3, star correlation), so a witness built with
    them is a real instance of the model, not just a point of the polynomial."""
    C = _correlation(2, rng)
    blocks = [0, 1, 1]
    R = [[_q(C[blocks[i]][blocks[j]]) for j in range(3)] for i in range(3)]
    r = [_q(C[b][2]) for b in blocks]
    w = [sp.Rational(rng.randint(-5, 5), rng.randint(1, 3)) for _ in range(3)]
    out = ix.index_sum_values(w, R, r, symbols)
    out[SIGMA2] = sp.Rational(rng.randint(0, 6), rng.randint(1, 3))
    return out


def _witness(diff: TracePoly, seed: int, extra: dict[sp.Symbol, Any] | None = None) -> dict[str, Any] | None:
    def scal(rng: random.Random) -> dict[sp.Symbol, Any]:
        vals = _realisable_scalars(rng, diff.scalar_symbols())
        vals.update(extra or {})
        return vals

    found = find_nonzero_point(diff, seed, symmetric_spd=["S"], scalar_values=scal)
    return found[0] if found else None


def prove_r1_all_dims(
    closed_form: TracePoly | None = None,
    split: ClassSplit = ix.class_sum,
    term: Callable[[str], Lin] = wpgd_term,
    cross_sizes: Sequence[int] = (1, 2, 3, 5),
    seed: int = 0,
) -> AllDimsResult:
    """R1 for every d and n: the derived normal form equals the closed form's, and the derivation agrees
    with the explicit Wick engine at sizes ``cross_sizes``."""
    t0 = time.perf_counter()
    steps: list[tuple[str, str]] = []
    derived = derive_risk(split=split, term=term, steps=steps)
    t_derive = time.perf_counter() - t0
    cf = closed_form if closed_form is not None else r1_closed_form()
    diff = derived - cf
    checks = cross_check_r1(derived, cross_sizes, seed) if cross_sizes else ()
    statement = f"E(y - yhat)^2 = {derived.pretty()}"
    details = {
        "derived_normal_form": derived.to_dict(),
        "closed_form_normal_form": cf.to_dict(),
        "derivation_s": round(t_derive, 4),
        "derivation": [{"step": a, "normal_form": b} for a, b in steps],
        "letters": "S = Sigma (symmetric), P (general); rho = r'w, w2 = |w|^2, wRw = w'Rw, sigma2",
    }
    holds = diff.is_zero() and all(c.agree for c in checks)
    witness = None if diff.is_zero() else _witness(diff, seed)
    bad = [c for c in checks if not c.agree]
    tool_error = (
        f"the calculus's derivation disagrees with the explicit Wick engine at d={bad[0].d}, n={bad[0].n}"
        if bad
        else ""
    )
    return AllDimsResult(
        "R1: E(y - yhat)^2 == closed form (every d, n)",
        holds,
        statement,
        ix.ASSUMPTIONS,
        residual=diff.pretty()[:600],
        witness=witness,
        cross_checks=checks,
        elapsed_s=time.perf_counter() - t0,
        details=details,
        tool_error=tool_error,
    )


def prove_r2_all_dims(
    risk: TracePoly | None = None, p_power: int = -1, w_power: int = 1, seed: int = 0
) -> AllDimsResult:
    """R2 for every d, n: ``L(P/c, cω) − L(P, ω) = 0`` on the *derived* normal form. Substituting
    ``P → c^{p} P`` multiplies a term by ``c^{p·deg_P}``; ``ω → c^{q} ω`` maps ``rho → c^q rho``,
    ``w2 → c^{2q} w2``, ``wRw → c^{2q} wRw``, ``sum_w → c^q sum_w``."""
    t0 = time.perf_counter()
    L = risk if risk is not None else derive_risk()
    c = sp.Symbol("c", nonzero=True)
    scal = {
        G["rho"]: c**w_power * G["rho"],
        G["w2"]: c ** (2 * w_power) * G["w2"],
        G["wRw"]: c ** (2 * w_power) * G["wRw"],
        G["sum_w"]: c**w_power * G["sum_w"],
    }
    generic = L.scalar_symbols() - set(scal) - {SIGMA2, G["n"]}
    if generic:
        names = ", ".join(sorted(map(str, generic)))
        return AllDimsResult("R2", False, "", residual=f"sums outside the R2 substitution: {names}")
    items = []
    for key, coeff in L.terms.items():
        deg = L.letter_degree(key, "P")
        items.append((key, c ** (p_power * deg) * coeff.xreplace(scal) - coeff))
    diff = TracePoly.build(ALPHABET, items)
    witness = None if diff.is_zero() else _witness(diff, seed, {c: sp.Integer(2)})
    return AllDimsResult(
        "R2: L(P/c, c w) - L(P, w) == 0 (every d, n)",
        diff.is_zero(),
        f"L(c^{p_power} P, c^{w_power} w) - L(P, w) = {diff.pretty()}",
        ix.ASSUMPTIONS,
        residual=diff.pretty()[:600],
        witness=witness,
        elapsed_s=time.perf_counter() - t0,
    )
