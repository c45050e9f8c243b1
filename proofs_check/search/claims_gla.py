"""Searches of the GLA claims G1–G4 (docs/gla.md): the torch GLA (float64) against the WPGD predictors,
confirmed exactly by the sympy twins of :mod:`glaverify.theory.gla_symbolic` (rational inputs), or at 60
significant digits when the gates are sigmoids (G3's data-dependent gates are not rational)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp
from hypothesis import strategies as st

from .common import frac, rel
from .spec import PHASES, Confirmation, Instance, Outcome, SearchOptions, SearchSpec, register

#: relative tolerance of GLA vs WPGD in float64 (O(L·n·d) accumulated products of entries ≤ 2)
GLA_RTOL = 1e-10


@st.composite
def gla_instances(
    draw: Any,
    phase: str,
    opts: SearchOptions,
    shape: str = "scalar",
    layers: int = 1,
    data_dependent: bool = False,
) -> Instance:
    """A prompt (X, y, x), Q per layer and gates per layer: fixed values in [0, 1] (``degenerate``: exactly 0
    and 1 among them), or, with ``data_dependent``, sigmoid gates ``σ(wᵀz + b)`` of the current token."""
    d = draw(st.integers(1, opts.max_d or 4))
    n = draw(st.integers(1, opts.max_n or 8))
    L = draw(st.integers(1, layers))
    ent = st.floats(-2.0, 2.0, allow_subnormal=False)
    gate = st.floats(0.0, 1.0, allow_subnormal=False)
    if phase == "degenerate":
        gate = st.one_of(st.just(0.0), st.just(1.0), gate)
    inst: Instance = {
        "d": d,
        "n": n,
        "L": L,
        "X": [[draw(ent) for _ in range(d)] for _ in range(n)],
        "y": [draw(ent) for _ in range(n)],
        "x": [draw(ent) for _ in range(d)],
        "Q": [[[draw(ent) for _ in range(d)] for _ in range(d)] for _ in range(L)],
    }
    if data_dependent and phase != "degenerate":
        inst["gate_w"] = [[draw(st.floats(-3.0, 3.0)) for _ in range(d + 1)] for _ in range(L)]
        inst["gate_b"] = [draw(st.floats(-3.0, 3.0)) for _ in range(L)]
    elif shape == "key":
        inst["gates"] = [[[draw(gate) for _ in range(d + 1)] for _ in range(n + 1)] for _ in range(L)]
    else:
        inst["gates"] = [[draw(gate) for _ in range(n + 1)] for _ in range(L)]
    return inst


def _coverage(inst: Instance) -> dict[str, float]:
    g = np.asarray(inst.get("gates", [[0.5]]), dtype=float)
    return {
        "d": inst["d"],
        "n": inst["n"],
        "L": inst["L"],
        "zero_gates": float(np.sum(g == 0)),
        "data_dependent": float("gate_w" in inst),
    }


def _torch_inputs(inst: Instance) -> tuple[Any, ...]:
    import torch

    X = torch.tensor(inst["X"], dtype=torch.float64).reshape(inst["n"], inst["d"])
    y = torch.tensor(inst["y"], dtype=torch.float64)
    x = torch.tensor(inst["x"], dtype=torch.float64)
    Qs = [torch.tensor(q, dtype=torch.float64) for q in inst["Q"]]
    return X, y, x, Qs


def _gate_modules(inst: Instance, shape: str) -> list[Any]:
    import torch
    from glaverify.numerics.gla import CallableGate, FixedGate

    if "gate_w" in inst:
        out = []
        for w, b in zip(inst["gate_w"], inst["gate_b"], strict=True):
            wt = torch.tensor(w, dtype=torch.float64)
            out.append(CallableGate(lambda z, wt=wt, b=b: torch.sigmoid(z @ wt + b), "scalar"))
        return out
    return [FixedGate(np.asarray(g, dtype=float), shape) for g in inst["gates"]]


def _gla_predict(inst: Instance, shape: str) -> float:
    import torch
    from glaverify.numerics.gla import make_tokens, wpgd_to_gla

    X, y, x, Qs = _torch_inputs(inst)
    model = wpgd_to_gla(Qs, _gate_modules(inst, shape), inst["d"])
    with torch.no_grad():
        return float(model.predict(make_tokens(X, y, x)))


# ----------------------------------------------------------------------------------------- exact twins
def _prompt(inst: Instance) -> Any:
    from glaverify.theory.gla_symbolic import SymbolicPrompt

    X = sp.Matrix(inst["n"], inst["d"], lambda i, m: sp.Rational(frac(inst["X"][i][m])))
    return SymbolicPrompt(
        X, [sp.Rational(frac(v)) for v in inst["y"]], sp.Matrix([sp.Rational(frac(v)) for v in inst["x"]])
    )


def _rat(m: list) -> sp.Matrix:
    return sp.Matrix([[sp.Rational(frac(v)) for v in row] for row in m])


def _gate_fn(inst: Instance) -> Any:
    if "gate_w" in inst:
        ws = [[sp.Rational(frac(v)) for v in w] for w in inst["gate_w"]]
        bs = [sp.Rational(frac(b)) for b in inst["gate_b"]]

        def fn(layer: int, i: int, z: sp.Matrix) -> Any:  # 60-digit sigmoid of the (exact) token
            arg = sum(wv * zv for wv, zv in zip(ws[layer], z, strict=True)) + bs[layer]
            return sp.Float(1 / (1 + sp.exp(-arg)).evalf(70), 60)

        return fn
    gs = inst["gates"]

    def fixed(layer: int, i: int, z: sp.Matrix) -> Any:
        g = gs[layer][i]
        return [sp.Rational(frac(v)) for v in g] if isinstance(g, list) else sp.Rational(frac(g))

    return fixed


def _decide(a: Any, b: Any, exact: bool, what: str) -> Confirmation:
    diff = sp.nsimplify(a - b) if exact else sp.Float(a - b, 30)
    scale = max(1.0, abs(float(a)), abs(float(b)))
    bad = diff != 0 if exact else abs(float(diff)) > 1e-30 * scale
    return Confirmation(
        bool(bad),
        what + (" (exact rationals)" if exact else " (60 significant digits)"),
        exact,
        f"GLA − WPGD = {float(diff):.3g}" + (" exactly" if exact else ""),
        {"gla": str(a), "wpgd": str(b), "difference": str(diff)},
    )


# ----------------------------------------------------------------------------------------------- G1, G2
def g12_spec(claim: str, shape: str, weights: Any = None) -> SearchSpec:
    """G1 (scalar gates, ω_i = Π_{j=i+1}^{n+1} g_j) and G2 (key gates, γ_i = Π_{j>i} α_j[1:d]): one layer of
    the constructed GLA equals (WPGD-1) with P = Qᵀ. ``weights`` (gates -> ω or γ) is the formula under test
    (default :func:`glaverify.numerics.wpgd.gate_weights` / ``coordinate_gate_weights``)."""
    from glaverify.numerics import wpgd as W

    wfn = weights or (
        W.gate_weights if shape == "scalar" else (lambda g: W.coordinate_gate_weights(g[..., :-1]))
    )

    def prop(inst: Instance) -> Outcome:
        a = _gla_predict(inst, shape)
        X, y, x = (np.asarray(inst[k], float) for k in ("X", "y", "x"))
        X = X.reshape(inst["n"], inst["d"])
        Q = np.asarray(inst["Q"][0], float)
        b = float(W.wpgd_one_step(X, y, x, Q.T, wfn(np.asarray(inst["gates"][0], float))))
        res = rel(a, b)
        return Outcome(res <= GLA_RTOL, res, GLA_RTOL, {"gla": a, "wpgd": b})

    def confirm(inst: Instance) -> Confirmation:
        from glaverify.theory import gla_symbolic as T

        prompt = _prompt(inst)
        Q = _rat(inst["Q"][0])
        fn = _gate_fn(inst)
        gla = T.gla_predict_symbolic(prompt, [Q], fn, shape)
        toks = prompt.tokens()
        gates = [fn(0, i, toks[i]) for i in range(inst["n"] + 1)]
        ws = []
        for i in range(inst["n"]):
            if shape == "scalar":
                ws.append(sp.Mul(*gates[i + 1 :]))
            else:
                ws.append([sp.Mul(*[g[m] for g in gates[i + 1 :]]) for m in range(inst["d"] + 1)])
        wp = T.one_step_wpgd_symbolic(prompt, Q.T, ws, shape)
        return _decide(gla, wp, True, "theory.gla_symbolic recurrence vs (WPGD-1)")

    return SearchSpec(
        claim,
        ("gates", "preconditioners", "sequence lengths"),
        f"{shape} gates in [0, 1] (degenerate: exactly 0 and 1), d ≤ 4, n ≤ 8, "
        "prompt and Q entries in [−2, 2]",
        lambda o: {p: gla_instances(p, o, shape) for p in PHASES},
        prop,
        confirm,
        "torch GLA (float64) vs numpy WPGD-1",
        "exact rationals (theory.gla_symbolic)",
        _coverage,
        default_max_d=4,
        default_max_n=8,
    )


# --------------------------------------------------------------------------------------------------- G3
def g3_spec() -> SearchSpec:
    """G3: L constructed layers = L steps of causal WPGD, P_ℓ = Q_ℓᵀ, ω_{j→i} = Π_{k=j+1}^{i} g_k^{(ℓ)},
    for data-dependent gates (sigmoid of the current token) and fixed gates with zeros."""

    def prop(inst: Instance) -> Outcome:
        import torch
        from glaverify.numerics import wpgd as W

        a = _gla_predict(inst, "scalar")
        X, y, x, Qs = _torch_inputs(inst)
        mods = _gate_modules(inst, "scalar")
        fns = [(lambda z, m=m: m(z)) for m in mods]
        with torch.no_grad():
            b = float(W.causal_wpgd_gated(X, y, x, [q.T for q in Qs], fns, ["scalar"] * len(mods)))
        res = rel(a, b)
        return Outcome(res <= GLA_RTOL, res, GLA_RTOL, {"gla": a, "causal_wpgd": b})

    def confirm(inst: Instance) -> Confirmation:
        from glaverify.theory import gla_symbolic as T

        prompt = _prompt(inst)
        Qs = [_rat(q) for q in inst["Q"]]
        fn = _gate_fn(inst)
        gla = T.gla_predict_symbolic(prompt, Qs, fn, "scalar")
        wp = T.causal_wpgd_symbolic(prompt, [q.T for q in Qs], fn, "scalar")
        return _decide(gla, wp, "gate_w" not in inst, "theory.gla_symbolic recurrence vs causal WPGD")

    return SearchSpec(
        "G3",
        ("gates", "preconditioners", "sequence lengths", "depths"),
        "L ∈ [1, 3] layers; sigmoid gates σ(wᵀz + b) of the current token (w, b ∈ [−3, 3]) "
        "or fixed gates with "
        "exact zeros (degenerate); d ≤ 4, n ≤ 8",
        lambda o: {p: gla_instances(p, o, "scalar", layers=3, data_dependent=True) for p in PHASES},
        prop,
        confirm,
        "torch L-layer GLA vs torch causal WPGD (float64)",
        "exact rationals (fixed gates) / 60 digits (sigmoid gates)",
        _coverage,
        default_max_d=4,
        default_max_n=8,
    )


# --------------------------------------------------------------------------------------------------- G4
def g4_spec() -> SearchSpec:
    """G4, its L = 1 part: one step of causal WPGD equals one step of full-context WPGD with
    ω_i = ω_{i→n+1} (the L ≥ 2 part is an existence statement, shown by `glaverify check G4`)."""
    from glaverify.numerics import wpgd as W

    def prop(inst: Instance) -> Outcome:
        X, y, x = (np.asarray(inst[k], float) for k in ("X", "y", "x"))
        X = X.reshape(inst["n"], inst["d"])
        P = np.asarray(inst["Q"][0], float).T
        g = np.asarray(inst["gates"][0], float)
        a = float(W.causal_wpgd(X, y, x, [P], [W.pairwise_gate_weights(g)]))
        b = float(W.full_context_wpgd(X, y, x, [P], [W.gate_weights(g)]))
        res = rel(a, b)
        return Outcome(res <= GLA_RTOL, res, GLA_RTOL, {"causal": a, "full": b})

    def confirm(inst: Instance) -> Confirmation:
        from glaverify.theory import gla_symbolic as T

        prompt = _prompt(inst)
        P = _rat(inst["Q"][0]).T
        fn = _gate_fn(inst)
        toks = prompt.tokens()
        gates = [fn(0, i, toks[i]) for i in range(inst["n"] + 1)]
        causal = T.causal_wpgd_symbolic(prompt, [P], fn, "scalar")
        full = T.full_context_wpgd_symbolic(
            prompt, [P], [[sp.Mul(*gates[i + 1 :]) for i in range(inst["n"])]]
        )
        return _decide(causal, full, True, "theory.gla_symbolic causal vs full-context WPGD")

    return SearchSpec(
        "G4",
        ("gates", "preconditioners", "sequence lengths"),
        "L = 1 only (the L ≥ 2 difference is an existence claim); scalar gates in [0, 1] with exact 0 and 1; "
        "d ≤ 4, n ≤ 8",
        lambda o: {p: gla_instances(p, o, "scalar") for p in PHASES},
        prop,
        confirm,
        "numpy causal vs full-context WPGD (float64)",
        "exact rationals (theory.gla_symbolic)",
        _coverage,
        default_max_d=4,
        default_max_n=8,
    )


for _spec in (g12_spec("G1", "scalar"), g12_spec("G2", "key"), g3_spec(), g4_spec()):
    register(_spec)

__all__ = ["g12_spec", "g3_spec", "g4_spec", "gla_instances", "Fraction"]
