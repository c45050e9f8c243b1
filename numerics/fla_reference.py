"""fla-core's naive GLA references, loaded by file path, and the mapping to our conventions.

fla-core (``fla-org/flash-linear-attention``) ships short explicit recurrences that its fast kernels are
tested against: ``naive_recurrent_gla`` (key-dimension gates, ``fla/ops/gla/naive.py``) and
``naive_recurrent_simple_gla`` (scalar gates, ``fla/ops/simple_gla/naive.py``). ``import fla`` needs triton,
so we find the package directory with ``importlib.util.find_spec("fla")`` (which does not execute the package)
and load only those two files with ``spec_from_file_location`` (they need torch and einops).

Convention mapping (fla → ours), for one layer:

=====================  =========================================  ============================================
                       fla-core naive reference                   glaverify (:mod:`glaverify.numerics.gla`)
=====================  =========================================  ============================================
layout                 (B, T, H, K): time before heads            (..., T, K): any batch dims, then time
state                  ``h ∈ R^{K×V}`` (key × value)              ``S ∈ R^{d_v×d_k}`` (value × key); S = hᵀ
readout                ``o_i = h_iᵀ (scale · q_i)``               ``o_i = S_i q_i``
query scale            ``scale = K^{-1/2}`` (GLA: fixed;          none (the construction needs ``q = [Qx; 0]``
                       simple GLA: default, can be passed)        unscaled): ``q_ours = K^{-1/2} q_fla``
gates                  log space: ``gk`` (B,T,H,K), ``g`` (B,T,H)  linear space in [0,1]: ``α = exp(gk)``,
                       decay ``exp(gk)``                           ``g = exp(g_fla)``; 0 ⇔ log-gate −inf
order                  ``h_i = exp(gk_i) ⊙ h_{i-1} + k_i v_iᵀ``   same: decay first, then add token i
precision              casts everything to float32                float64 (or float32) as given
=====================  =========================================  ============================================

So ``fla(q, k, v, gk) == ours(K^{-1/2} q, k, v, exp(gk))`` after moving the head axis, exactly in real
arithmetic. We follow the paper's convention (value × key state, ``o = S q``, no scale, linear gates) because
the WPGD construction and the claims G1–G4 are stated in it; the scale ``K^{-1/2}`` would only rescale ``P``.

Tolerance: fla computes in float32 (unit roundoff ``u = 2^{-24}``). Output ``o_i[v]`` is obtained through at
most ``i`` decay-and-add steps (one multiply and one add each, plus the float32 ``exp`` of each gate) and a
length-``K`` dot product, so its forward error is at most ``(2i + K + 8) u · M_i[v]`` to first order, where
``M_i[v] = Σ_{j≤i} |v_j[v]| Σ_m |k_j[m]| |q_i[m]| Π decays`` is the same recurrence run on absolute values
(computed in float64). :func:`float32_error_bound` returns this bound; comparisons report the largest
ratio ``|o_fla − o_ours| / bound`` and fail when it exceeds 1.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from types import ModuleType

import torch

from .gla import gla_recurrent

#: float32 unit roundoff
U32 = 2.0**-24


class FlaUnavailable(RuntimeError):
    """fla-core (or einops) is not installed; the message says what is missing."""


def fla_root() -> Path | None:
    """The installed ``fla`` package directory, found without importing ``fla``."""
    try:
        spec = importlib.util.find_spec("fla")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


@cache
def load_naive(kind: str) -> ModuleType:
    """Load ``fla/ops/<kind>/naive.py`` (``kind`` = ``"gla"`` or ``"simple_gla"``) by file path."""
    if kind not in ("gla", "simple_gla"):
        raise ValueError(f"kind must be 'gla' or 'simple_gla', got {kind!r}")
    root = fla_root()
    if root is None:
        raise FlaUnavailable("fla-core is not installed (pip install fla-core; it is a dev dependency)")
    path = root / "ops" / kind / "naive.py"
    if not path.is_file():
        raise FlaUnavailable(f"fla-core at {root} has no {path.relative_to(root)}")
    if importlib.util.find_spec("einops") is None:
        raise FlaUnavailable("einops is not installed (fla-core's naive references need it)")
    spec = importlib.util.spec_from_file_location(f"_glaverify_fla_naive_{kind}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def fla_available() -> tuple[bool, str]:
    """``(True, version)`` or ``(False, reason)``."""
    try:
        load_naive("gla")
        load_naive("simple_gla")
    except FlaUnavailable as exc:
        return False, str(exc)
    import importlib.metadata as md

    try:
        return True, md.version("fla-core")
    except md.PackageNotFoundError:
        return True, "unknown version"


def fla_version() -> str:
    return fla_available()[1]


# --------------------------------------------------------------------------------- calls in fla layout
def fla_recurrent_gla(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, gk: torch.Tensor):
    """fla's ``naive_recurrent_gla`` on fla-layout inputs (B, T, H, ·); returns ``(o, h)`` (h: B,H,K,V)."""
    return load_naive("gla").naive_recurrent_gla(q, k, v, gk, output_final_state=True)


def fla_recurrent_simple_gla(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, g: torch.Tensor):
    """fla's ``naive_recurrent_simple_gla`` (default scale ``K^{-1/2}``) on (B, T, H, ·) inputs."""
    return load_naive("simple_gla").naive_recurrent_simple_gla(q, k, v, g, output_final_state=True)


def ours_on_fla_inputs(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, log_g: torch.Tensor,
                       shape: str = "key", dtype=torch.float64, abs_values: bool = False):
    """Our recurrence on fla-layout inputs through the convention map: heads moved before time,
    ``q ← K^{-1/2} q``, gates ``exp(log_g)``; returns ``(o, S)`` with ``o`` back in fla layout (B, T, H, V)
    and ``S`` our (B, H, V, K) state (``= hᵀ``). With ``abs_values`` runs on ``|q|, |k|, |v|`` (the
    magnitude recurrence of the error bound)."""
    K = q.shape[-1]
    qo, ko, vo = (t.transpose(1, 2).to(dtype) for t in (q, k, v))
    if abs_values:
        qo, ko, vo = qo.abs(), ko.abs(), vo.abs()
    gates = torch.exp(log_g.transpose(1, 2).to(dtype))
    our_shape = "key" if shape == "key" else "scalar"
    o, S = gla_recurrent(qo * K**-0.5, ko, vo, gates, our_shape, return_states=True)
    return o.transpose(1, 2), S


def float32_error_bound(q, k, v, log_g, shape: str = "key") -> torch.Tensor:
    """First-order forward-error bound of fla's float32 recurrence, per output entry (B, T, H, V):
    ``(2i + K + 8) u M_i[v]`` (see module docstring)."""
    T, K = q.shape[1], q.shape[-1]
    M, _ = ours_on_fla_inputs(q, k, v, log_g, shape, abs_values=True)
    steps = torch.arange(1, T + 1, dtype=M.dtype)[None, :, None, None]
    return (2 * steps + K + 8) * U32 * M


def compare_with_fla(q, k, v, log_g, shape: str = "key", ours=None) -> dict:
    """Run fla's reference and ours (``ours`` injectable, default :func:`ours_on_fla_inputs`) on the same
    float32 fla-layout inputs; return the max abs error, the max ratio to :func:`float32_error_bound`, and the
    state error. ``shape`` ``"key"`` uses ``naive_recurrent_gla`` (``log_g`` = gk, (B,T,H,K)), ``"scalar"``
    ``naive_recurrent_simple_gla`` (``log_g`` = g, (B,T,H))."""
    q, k, v, log_g = (t.to(torch.float32) for t in (q, k, v, log_g))
    if shape == "key":
        o_f, h_f = fla_recurrent_gla(q, k, v, log_g)
    else:
        o_f, h_f = fla_recurrent_simple_gla(q, k, v, log_g)
    run = ours or ours_on_fla_inputs
    o_o, S_o = run(q, k, v, log_g, shape)
    bound = float32_error_bound(q, k, v, log_g, shape)
    err = (o_f.to(torch.float64) - o_o).abs()
    ratio = float((err / bound.clamp_min(1e-300)).max()) if err.numel() else 0.0
    # state: h (B,H,K,V) vs our S (B,H,V,K) = hᵀ; bound (2T + 8) u |S|, |S| from the magnitude recurrence
    T = q.shape[1]
    _, S_abs = ours_on_fla_inputs(q, k, v, log_g, shape, abs_values=True)
    s_err = (h_f.to(torch.float64) - S_o.transpose(-1, -2)).abs()
    s_bound = (2 * T + 8) * U32 * S_abs.transpose(-1, -2)
    s_ratio = float((s_err / s_bound.clamp_min(1e-300)).max()) if s_err.numel() else 0.0
    return {"max_abs_err": float(err.max()) if err.numel() else 0.0, "max_ratio_to_bound": ratio,
            "state_max_abs_err": float(s_err.max()) if s_err.numel() else 0.0,
            "state_ratio_to_bound": s_ratio,
            "output_scale": float(o_o.abs().max()) if o_o.numel() else 0.0,
            "passed": ratio <= 1.0 and s_ratio <= 1.0}
