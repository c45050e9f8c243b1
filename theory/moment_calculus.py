"""A dimension-free Gaussian moment calculus: traces and bilinear forms of words in matrix letters.

This module computes expectations of products of bilinear forms ``uᵀ W v`` in jointly Gaussian *vectors*
``u, v`` whose covariances are themselves matrix letters (``E[x_i x_jᵀ] = c_ij Σ``), without ever choosing
a dimension. Isserlis' theorem is applied at the level of vectors: each pairing of two vector slots
contracts them through the family's covariance letter, and once every slot is paired the chains of
matrices close into cycles, i.e. traces of words. See docs/proofs.md for the derivation and the soundness
argument.

Objects
-------
* A **letter** is ``(name, transposed)``; a **word** is a tuple of letters, read as the matrix product
  (the empty word is the identity ``I``). Letters declared symmetric in the :class:`Alphabet` never carry a
  transpose flag.
* A **trace** ``tr(W)`` is stored in canonical form: the least word, in a fixed order, among all cyclic
  rotations of ``W`` and of ``Wᵀ`` (reversal with every letter transposed). ``tr(I) = d`` is the empty word.
* A **trace polynomial** (:class:`TracePoly`) is a finite sum ``Σ c_k Π_j tr(W_kj)`` whose coefficients
  ``c_k`` are sympy expressions in *scalar* symbols only (weights, ``σ²``, sums over examples). Like terms
  (same multiset of canonical traces) are collected. That is the normal form.
* A **bilinear atom** ``uᵀ W v`` is stored canonically as the lesser of ``(u, W, v)`` and ``(v, Wᵀ, u)``.

Why equal normal forms prove an identity for matrices of every size
-------------------------------------------------------------------
Every rewriting used (cyclicity ``tr(AB) = tr(BA)``, ``tr(A) = tr(Aᵀ)``, ``(AB)ᵀ = BᵀAᵀ``, ``Sᵀ = S`` for
declared symmetric letters, commutativity of the scalar coefficients, ``uᵀWv = vᵀWᵀu``) holds for real
matrices of *every* size. So if two expressions have the same normal form they are equal for every
dimension and every value of the letters (subject only to the stated symmetry). The converse is not
claimed: different normal forms may still agree at small sizes (e.g. Cayley–Hamilton makes some trace
differences vanish identically for 1×1 or 2×2 matrices). A difference is therefore only *refuted* with a
concrete exact witness: rational matrices of a stated size at which the two sides differ
(:func:`trace_witness`), searched over several sizes.

The fragment
------------
Supported: products of bilinear forms in Gaussian vectors of declared families, times scalar Gaussian
variables (noises) and scalar symbols. Not supported (refused with :class:`OutsideFragment`): letters that
are not declared, a vector that is not declared, a family pairing with another family, words with
inverses or functions of letters. The calculus assumes nothing about letters beyond the declared
symmetry: no two letters commute, no letter is invertible.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sympy as sp

__all__ = [
    "Alphabet",
    "Bilinear",
    "GaussianVectorModel",
    "OutsideFragment",
    "Relation",
    "Term",
    "TracePoly",
    "canonical_bilinear",
    "canonical_trace",
    "evaluate_trace_poly",
    "format_word",
    "random_rational_matrix",
    "random_spd_matrix",
    "reduce_relations",
    "substitute_letter",
    "trace_witness",
    "transpose_word",
    "word",
]

Letter = tuple[str, bool]
Word = tuple[Letter, ...]


class OutsideFragment(ValueError):
    """An expression outside what the calculus can normalise (the message says which part and why)."""


# ----------------------------------------------------------------------------- letters and words
@dataclass(frozen=True)
class Alphabet:
    """The matrix letters an expression may use; ``symmetric`` letters satisfy ``Aᵀ = A``.

    Nothing else is assumed: letters do not commute with each other and need not be invertible.
    """

    letters: frozenset[str]
    symmetric: frozenset[str] = frozenset()

    @classmethod
    def of(cls, letters: Iterable[str], symmetric: Iterable[str] = ()) -> Alphabet:
        sym = frozenset(symmetric)
        lets = frozenset(letters) | sym
        return cls(lets, sym)

    def letter(self, name: str, transposed: bool = False) -> Letter:
        if name not in self.letters:
            known = ", ".join(sorted(self.letters)) or "none"
            raise OutsideFragment(f"matrix letter {name!r} is not declared (declared: {known})")
        return (name, False if name in self.symmetric else bool(transposed))

    def normalise(self, w: Iterable[Letter]) -> Word:
        return tuple(self.letter(n, t) for n, t in w)


def word(alphabet: Alphabet, text: str) -> Word:
    """Parse a word such as ``"P' S P S S"`` (space separated letters, ``'`` for a transpose; ``I`` and
    the empty string are the identity)."""
    out: list[Letter] = []
    for tok in text.split():
        if tok == "I":
            continue
        t = tok.endswith("'")
        if len(tok) - len(tok.rstrip("'")) > 1:
            raise OutsideFragment(f"letter {tok!r}: at most one transpose mark per letter")
        out.append(alphabet.letter(tok.rstrip("'"), t))
    return tuple(out)


def transpose_word(w: Word, alphabet: Alphabet) -> Word:
    """``(A_1 ⋯ A_k)ᵀ = A_kᵀ ⋯ A_1ᵀ`` (symmetric letters stay untransposed)."""
    return tuple((n, False if n in alphabet.symmetric else not t) for n, t in reversed(w))


def canonical_trace(w: Word, alphabet: Alphabet) -> Word:
    """The representative of ``tr(w)``: least among the rotations of ``w`` and of ``wᵀ``."""
    w = alphabet.normalise(w)
    if not w:
        return ()
    wt = transpose_word(w, alphabet)
    k = len(w)
    return min(min(v[i:] + v[:i] for i in range(k)) for v in (w, wt))


def canonical_bilinear(u: str, w: Word, v: str, alphabet: Alphabet) -> tuple[str, Word, str]:
    """The representative of ``uᵀ w v``: the lesser of ``(u, w, v)`` and ``(v, wᵀ, u)``."""
    w = alphabet.normalise(w)
    return min((u, w, v), (v, transpose_word(w, alphabet), u))


def format_word(w: Word) -> str:
    """``P'SPS`` style text (``I`` for the empty word)."""
    if not w:
        return "I"
    return "".join(n + ("'" if t else "") for n, t in w)


# ----------------------------------------------------------------------------- trace polynomials
TraceKey = tuple[Word, ...]  # sorted canonical traces (a product)


def _simplify_coeff(c: sp.Expr) -> sp.Expr:
    c = sp.expand(c)
    if c != 0 and any(isinstance(a, sp.Pow) and a.exp.is_negative for a in sp.preorder_traversal(c)):
        c = sp.expand(sp.cancel(c))
    return c


@dataclass(frozen=True)
class TracePoly:
    """``Σ_k c_k Π_j tr(W_kj)`` in normal form: canonical traces, like terms collected, zero terms dropped."""

    alphabet: Alphabet
    terms: Mapping[TraceKey, sp.Expr] = field(default_factory=dict)

    @classmethod
    def build(cls, alphabet: Alphabet, items: Iterable[tuple[Iterable[Word], sp.Expr]]) -> TracePoly:
        acc: dict[TraceKey, sp.Expr] = {}
        for traces, coeff in items:
            key = tuple(sorted(canonical_trace(w, alphabet) for w in traces))
            acc[key] = acc.get(key, sp.Integer(0)) + sp.sympify(coeff)
        out = {}
        for k, c in acc.items():
            c = _simplify_coeff(c)
            if c != 0:
                out[k] = c
        return cls(alphabet, dict(sorted(out.items())))

    @classmethod
    def scalar(cls, alphabet: Alphabet, c: Any) -> TracePoly:
        return cls.build(alphabet, [((), sp.sympify(c))])

    @classmethod
    def tr(cls, alphabet: Alphabet, text: str, coeff: Any = 1) -> TracePoly:
        """``coeff · tr(word)`` from the text form of :func:`word`."""
        return cls.build(alphabet, [((word(alphabet, text),), sp.sympify(coeff))])

    def __add__(self, other: TracePoly | Any) -> TracePoly:
        o = other if isinstance(other, TracePoly) else TracePoly.scalar(self.alphabet, other)
        return TracePoly.build(self.alphabet, list(self.terms.items()) + list(o.terms.items()))

    __radd__ = __add__

    def __neg__(self) -> TracePoly:
        return TracePoly.build(self.alphabet, [(k, -c) for k, c in self.terms.items()])

    def __sub__(self, other: TracePoly | Any) -> TracePoly:
        o = other if isinstance(other, TracePoly) else TracePoly.scalar(self.alphabet, other)
        return self + (-o)

    def __rsub__(self, other: Any) -> TracePoly:
        return TracePoly.scalar(self.alphabet, other) - self

    def __mul__(self, other: TracePoly | Any) -> TracePoly:
        if not isinstance(other, TracePoly):
            c = sp.sympify(other)
            return TracePoly.build(self.alphabet, [(k, c * v) for k, v in self.terms.items()])
        return TracePoly.build(
            self.alphabet,
            [(k1 + k2, c1 * c2) for k1, c1 in self.terms.items() for k2, c2 in other.terms.items()],
        )

    __rmul__ = __mul__

    def is_zero(self) -> bool:
        return not self.terms

    def map_coefficients(self, fn: Callable[[sp.Expr], sp.Expr]) -> TracePoly:
        return TracePoly.build(self.alphabet, [(k, fn(c)) for k, c in self.terms.items()])

    def letter_degree(self, key: TraceKey, letter: str) -> int:
        return sum(1 for w in key for n, _ in w if n == letter)

    def scalar_symbols(self) -> set[sp.Symbol]:
        out: set[sp.Symbol] = set()
        for c in self.terms.values():
            out |= c.free_symbols
        return out

    def pretty(self) -> str:
        """The normal form in the calculus's notation, e.g. ``- 2*rho tr(PSS) + ...``."""
        if not self.terms:
            return "0"
        parts = []
        for key, c in self.terms.items():
            tr = " ".join(f"tr({format_word(w)})" for w in key)
            cs = str(c)
            if not key:
                parts.append(f"({cs})")
            elif c == 1:
                parts.append(tr)
            else:
                parts.append(f"({cs}) {tr}")
        return " + ".join(parts)

    def to_dict(self) -> list[dict[str, str]]:
        return [
            {"traces": " ".join(f"tr({format_word(w)})" for w in k) or "1", "coefficient": str(c)}
            for k, c in self.terms.items()
        ]


# ----------------------------------------------------------------------------- substitution and relations
def substitute_letter(
    poly: TracePoly, letter: str, replacement: Sequence[tuple[Any, str]], alphabet: Alphabet
) -> TracePoly:
    """Replace every occurrence of ``letter`` by ``Σ c_k W_k`` (``replacement`` = ``[(c_k, "word text")]``;
    a transposed occurrence gets ``Σ c_k W_kᵀ``). The result lives in ``alphabet``."""
    reps = [(sp.sympify(c), word(alphabet, t)) for c, t in replacement]
    if letter in alphabet.symmetric:  # a symmetric letter may only be replaced by a symmetric sum
        fwd: dict[Word, sp.Expr] = {}
        bwd: dict[Word, sp.Expr] = {}
        for c, r in reps:
            fwd[r] = fwd.get(r, sp.Integer(0)) + c
            rt = transpose_word(r, alphabet)
            bwd[rt] = bwd.get(rt, sp.Integer(0)) + c
        if any(sp.expand(fwd.get(k, 0) - bwd.get(k, 0)) != 0 for k in set(fwd) | set(bwd)):
            raise OutsideFragment(f"symmetric letter {letter!r} replaced by a non-symmetric matrix")

    def expand_word(w: Word) -> list[tuple[sp.Expr, Word]]:
        out: list[tuple[sp.Expr, Word]] = [(sp.Integer(1), ())]
        for n, t in w:
            if n != letter:
                opts = [(sp.Integer(1), alphabet.normalise(((n, t),)))]
            else:
                opts = [(c, transpose_word(r, alphabet) if t else r) for c, r in reps]
            out = [(c0 * c1, w0 + w1) for c0, w0 in out for c1, w1 in opts]
        return out

    items: list[tuple[list[Word], sp.Expr]] = []
    for key, coeff in poly.terms.items():
        combos: list[tuple[sp.Expr, list[Word]]] = [(coeff, [])]
        for w in key:
            combos = [(c0 * c1, ws + [w1]) for c0, ws in combos for c1, w1 in expand_word(w)]
        items += [(ws, c) for c, ws in combos]
    return TracePoly.build(alphabet, items)


@dataclass(frozen=True)
class Relation:
    """``X Y = Y X = c0·I + c1·Y`` for symmetric letters X, Y: Y is a rational function of X, e.g.
    ``N = (aS + bI)^{-1}`` gives ``S N = (1/a) I − (b/a) N``. Holds whenever the inverse exists."""

    x: str
    y: str
    c0: sp.Expr
    c1: sp.Expr

    def text(self) -> str:
        return f"{self.x}{self.y} = {self.y}{self.x} = ({self.c0}) I + ({self.c1}) {self.y}"


def _reduce_cyclic(w: Word, rel: Relation) -> list[tuple[sp.Expr, Word]]:
    k = len(w)
    for i in range(k if k >= 2 else 0):
        a, b = w[i][0], w[(i + 1) % k][0]
        if {a, b} == {rel.x, rel.y} and a != b:
            rot = w[i:] + w[:i]  # the pair now sits at positions 0, 1 (traces are cyclic)
            rest = rot[2:]
            out = []
            for c, ww in ((rel.c0, rest), (rel.c1, ((rel.y, False),) + rest)):
                out += [(c * c2, w2) for c2, w2 in _reduce_cyclic(ww, rel)]
            return out
    return [(sp.Integer(1), w)]


def reduce_relations(poly: TracePoly, relations: Sequence[Relation]) -> TracePoly:
    """Rewrite every cyclically adjacent ``X Y`` / ``Y X`` pair by its relation until none is left (each
    rewrite shortens a word, so this terminates); the result is again in normal form."""
    for rel in relations:  # the rewrite matches letters by name: only sound for symmetric letters
        for n in (rel.x, rel.y):
            if n not in poly.alphabet.symmetric:
                raise OutsideFragment(f"relation {rel.text()}: letter {n!r} is not declared symmetric")
    items: list[tuple[list[Word], sp.Expr]] = []
    for key, coeff in poly.terms.items():
        combos: list[tuple[sp.Expr, list[Word]]] = [(coeff, [])]
        for w in key:
            parts = [(sp.Integer(1), w)]
            for rel in relations:
                parts = [(c * c2, w2) for c, ww in parts for c2, w2 in _reduce_cyclic(ww, rel)]
            combos = [(c0 * c1, ws + [w1]) for c0, ws in combos for c1, w1 in parts]
        items += [(ws, c) for c, ws in combos]
    out = TracePoly.build(poly.alphabet, items)
    if relations and out.terms != poly.terms:
        return reduce_relations(out, relations)
    return out


# ----------------------------------------------------------------------------- the Gaussian vector model
@dataclass(frozen=True)
class Bilinear:
    """The scalar ``uᵀ W v`` for Gaussian vectors (or constant vectors) ``u``, ``v``."""

    u: str
    w: Word
    v: str


@dataclass(frozen=True)
class Term:
    """``coeff · Π forms · Π scalar Gaussians``: one product the calculus integrates."""

    coeff: sp.Expr
    forms: tuple[Bilinear, ...] = ()
    scalars: tuple[str, ...] = ()

    def __mul__(self, other: Term) -> Term:
        return Term(self.coeff * other.coeff, self.forms + other.forms, self.scalars + other.scalars)


CovFn = Callable[[str, str], sp.Expr]


@dataclass
class GaussianVectorModel:
    """Zero-mean jointly Gaussian vectors in families, plus scalar Gaussians.

    ``families`` maps a family name to its covariance word ``K`` (``()`` for ``I``). ``vectors`` maps each
    vector to its family. Two vectors of one family have ``E[u vᵀ] = cov(u, v) K`` (``cov`` a scalar
    function supplied by the caller, e.g. ``R_ij``); vectors of different families are independent.
    ``scalars`` (noises) are independent of the vectors with ``E[ξ η] = scalar_cov(ξ, η)``.
    """

    alphabet: Alphabet
    families: Mapping[str, Word]
    vectors: Mapping[str, str]
    cov: CovFn
    scalars: Sequence[str] = ()
    scalar_cov: CovFn = lambda a, b: sp.Integer(0)  # noqa: E731
    pairings_enumerated: int = 0

    def __post_init__(self) -> None:
        for fam, k in self.families.items():  # a covariance matrix is symmetric
            kw = self.alphabet.normalise(k)
            if transpose_word(kw, self.alphabet) != kw:
                raise OutsideFragment(f"family {fam!r}: covariance word {format_word(kw)} is not symmetric")

    def _family(self, v: str) -> str:
        fam = self.vectors.get(v)
        if fam is None:
            raise OutsideFragment(f"vector {v!r} is not a declared Gaussian vector")
        if fam not in self.families:
            raise OutsideFragment(f"vector {v!r}: family {fam!r} is not declared")
        return fam

    def _scalar_moment(self, names: Sequence[str]) -> sp.Expr:
        for s in names:
            if s not in self.scalars:
                raise OutsideFragment(f"scalar Gaussian {s!r} is not declared")
        if not names:
            return sp.Integer(1)
        if len(names) % 2:
            return sp.Integer(0)
        first, rest = names[0], list(names[1:])
        out = sp.Integer(0)
        for k, other in enumerate(rest):
            c = self.scalar_cov(first, other)
            if c != 0:
                out += c * self._scalar_moment(rest[:k] + rest[k + 1 :])
        return out

    def expectation(self, terms: Iterable[Term]) -> TracePoly:
        """``E Σ terms`` as a trace polynomial (Isserlis pairings of vector slots)."""
        items: list[tuple[list[Word], sp.Expr]] = []
        for t in terms:
            sc = self._scalar_moment(t.scalars)
            if sc == 0:
                continue
            for traces, c in self._form_moment(t.forms):
                items.append((traces, t.coeff * sc * c))
        return TracePoly.build(self.alphabet, items)

    def _form_moment(self, forms: Sequence[Bilinear]) -> list[tuple[list[Word], sp.Expr]]:
        forms = [Bilinear(f.u, self.alphabet.normalise(f.w), f.v) for f in forms]
        slots = [(k, end) for k in range(len(forms)) for end in (0, 1)]
        fam = {s: self._family(forms[s[0]].u if s[1] == 0 else forms[s[0]].v) for s in slots}
        name = {s: (forms[s[0]].u if s[1] == 0 else forms[s[0]].v) for s in slots}
        out: list[tuple[list[Word], sp.Expr]] = []

        def rec(free: list[tuple[int, int]], partner: dict, coeff: sp.Expr) -> None:
            if not free:
                self.pairings_enumerated += 1
                out.append((self._cycles(forms, partner, fam), coeff))
                return
            a = free[0]
            for k in range(1, len(free)):
                b = free[k]
                if fam[a] != fam[b]:
                    continue
                c = sp.sympify(self.cov(name[a], name[b]))
                if c == 0:
                    continue
                partner[a], partner[b] = b, a
                rec(free[1:k] + free[k + 1 :], partner, coeff * c)
                del partner[a], partner[b]

        rec(slots, {}, sp.Integer(1))
        return out

    def _cycles(self, forms: Sequence[Bilinear], partner: dict, fam: dict) -> list[Word]:
        """Close the chains ``W_f K W_g^{(T)} K ⋯`` of a complete pairing into traces."""
        seen: set[int] = set()
        traces: list[Word] = []
        for f in range(len(forms)):
            if f in seen:
                continue
            seen.add(f)
            w: list[Letter] = list(forms[f].w)
            exit_ = (f, 1)
            while True:
                q = partner[exit_]
                w.extend(self.families[fam[exit_]])
                if q == (f, 0):
                    break
                g, end = q
                seen.add(g)
                if end == 0:
                    w.extend(forms[g].w)
                    exit_ = (g, 1)
                else:
                    w.extend(transpose_word(forms[g].w, self.alphabet))
                    exit_ = (g, 0)
            traces.append(tuple(w))
        return traces


# ----------------------------------------------------------------------------- concrete instances (exact)
def random_rational_matrix(d: int, rng: random.Random, span: int = 5) -> list[list[Fraction]]:
    return [[Fraction(rng.randint(-span, span), rng.randint(1, 3)) for _ in range(d)] for _ in range(d)]


def random_spd_matrix(d: int, rng: random.Random, span: int = 3) -> list[list[Fraction]]:
    """``AᵀA + I`` for a random rational A: symmetric positive definite, exact."""
    a = random_rational_matrix(d, rng, span)
    return [
        [sum((a[k][i] * a[k][j] for k in range(d)), Fraction(0)) + (1 if i == j else 0) for j in range(d)]
        for i in range(d)
    ]


def _matmul(a: list[list[Fraction]], b: list[list[Fraction]]) -> list[list[Fraction]]:
    n, m = len(a), len(b[0])
    inner = range(len(b))
    return [[sum((a[i][k] * b[k][j] for k in inner), Fraction(0)) for j in range(m)] for i in range(n)]


def _transpose(a: list[list[Fraction]]) -> list[list[Fraction]]:
    return [list(r) for r in zip(*a, strict=True)]


def evaluate_word(w: Word, matrices: Mapping[str, list[list[Fraction]]], d: int) -> list[list[Fraction]]:
    out = [[Fraction(int(i == j)) for j in range(d)] for i in range(d)]
    for n, t in w:
        if n not in matrices:
            raise OutsideFragment(f"no value given for matrix letter {n!r}")
        m = matrices[n]
        out = _matmul(out, _transpose(m) if t else m)
    return out


def evaluate_trace_poly(
    poly: TracePoly, matrices: Mapping[str, list[list[Fraction]]], d: int, scalars: Mapping[sp.Symbol, Any]
) -> sp.Rational:
    """The exact value of ``poly`` at concrete rational matrices of size ``d`` and scalar values."""
    cache: dict[Word, Fraction] = {}
    total = sp.Integer(0)
    for key, c in poly.terms.items():
        prod = Fraction(1)
        for w in key:
            if w not in cache:
                m = evaluate_word(w, matrices, d)
                cache[w] = sum((m[i][i] for i in range(d)), Fraction(0))
            prod *= cache[w]
        cv = sp.sympify(c).xreplace({k: sp.sympify(v) for k, v in scalars.items()})
        if cv.free_symbols:
            names = ", ".join(sorted(map(str, cv.free_symbols)))
            raise OutsideFragment(f"no value given for scalar symbol(s) {names}")
        total += cv * sp.Rational(prod.numerator, prod.denominator)
    return total if total.is_Rational else sp.nsimplify(total)  # nsimplify may turn a big rational irrational


def trace_witness(
    poly: TracePoly,
    symmetric_spd: Iterable[str] = (),
    sizes: Sequence[int] = (1, 2, 3, 5, 7),
    seed: int = 0,
    scalar_values: Callable[[random.Random], Mapping[sp.Symbol, Any]] | None = None,
    tries: int = 6,
    derived_letters: Callable[[dict[str, Any], Mapping[sp.Symbol, Any], int], dict[str, Any]] | None = None,
) -> dict[str, Any] | None:
    """An exact witness that ``poly`` is not zero for every size: a size ``d``, rational matrices for its
    letters and rational scalars at which it evaluates to a nonzero rational. Sizes are tried in order
    (small sizes may satisfy extra identities, so larger ones are tried before giving up). ``None`` when
    none was found (the difference may still be nonzero: the caller says ``not proved``, never ``refuted``).
    """
    rng = random.Random(seed)
    spd = set(symmetric_spd)
    letters = sorted(poly.alphabet.letters)
    syms = sorted(poly.scalar_symbols(), key=sp.default_sort_key)
    for d in sizes:
        for _ in range(tries):
            mats = {}
            for name in letters:
                if name in spd:
                    mats[name] = random_spd_matrix(d, rng)
                elif name in poly.alphabet.symmetric:
                    a = random_rational_matrix(d, rng)
                    mats[name] = [[a[i][j] + a[j][i] for j in range(d)] for i in range(d)]
                else:
                    mats[name] = random_rational_matrix(d, rng)
            sv = dict(scalar_values(rng)) if scalar_values else {}
            for s in syms:
                if s not in sv:
                    sv[s] = sp.Rational(rng.randint(-9, 9), rng.randint(1, 4))
            if derived_letters is not None:
                mats.update(derived_letters(mats, sv, d))
            val = evaluate_trace_poly(poly, mats, d, sv)
            if val != 0:
                return {
                    "d": d,
                    "matrices": {k: [[str(x) for x in row] for row in m] for k, m in mats.items()},
                    "scalars": {str(k): str(v) for k, v in sv.items()},
                    "value": str(val),
                }
    return None
