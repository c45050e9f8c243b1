"""Gating benchmarks (issue 9): the gate-class sections of ``glaverify landscape`` at paper size, and the
block-reduced class optima against the dense reference in the same run. Prints one line per case.

1. ``gla_free``, ``gla_delimiter``, ``gla_vector`` sections at d = 256, n = 4096, 16 blocks, general diagonal
   Σ (wall time and peak traced memory). The WPGD optimum the sections compare with comes from the landscape
   command (``certify``, benchmarked in bench_landscape); here it is passed in precomputed, so only the
   gate-class work is timed.
2. Reduced vs dense ``constrained_optimum`` (free, delimiter) at sizes the dense reference accepts, with the
   ratio dense / reduced.
3. Training throughput per architecture (steps/s), as before.
"""

from __future__ import annotations

import time
import tracemalloc
from types import SimpleNamespace

import numpy as np


def _model(n_blocks: int, block: int, d: int, iso: bool = False):
    from glaverify.proofs_check.checks.gating import star_model

    rho = np.linspace(0.2, 0.9, n_blocks).round(4).tolist()
    eig = None if iso else np.linspace(0.5, 2.0, d).round(4).tolist()
    return star_model([block] * n_blocks, rho, d=d, eigenvalues=eig)


def sections(d: int = 256, n_blocks: int = 16, block: int = 256) -> dict[str, float]:
    """Time (s) and peak memory (MB) of the three gate-class sections of ``glaverify landscape``."""
    from glaverify.numerics import gating as G
    from glaverify.proofs_check.commands.gating import _scalar_section, _vector_section

    m = _model(n_blocks, block, d)
    un = G.constrained_optimum(m, "unconstrained")  # stands in for certify's result (same risk, ω)
    wpgd = SimpleNamespace(
        risk=un.risk, omega=un.omega, P=un.P, gamma=un.gamma, verdict="certified", reason="", certificate={}
    )
    fns = (
        ("gla_free", _scalar_section("free")),
        ("gla_delimiter", _scalar_section("delimiter")),
        ("gla_vector", _vector_section),
    )
    out = {}
    t_all = time.perf_counter()
    for name, fn in fns:
        t0 = time.perf_counter()
        sec = fn(m, wpgd)
        out[name] = time.perf_counter() - t0
        assert sec["certified"], (name, sec.get("certificate"))
    out["total"] = time.perf_counter() - t_all
    tracemalloc.start()  # a second pass for the memory (tracing slows the run down)
    for _, fn in fns:
        fn(m, wpgd)
    out["peak_mb"] = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return out


def reduced_vs_dense(d: int, n_blocks: int, block: int) -> list[tuple[str, float, float]]:
    """``(kind, reduced s, dense s)`` for the free and delimiter class optima on one model."""
    from glaverify.numerics import gating as G
    from glaverify.numerics.gating.dense import dense_constrained_optimum

    m = _model(n_blocks, block, d)
    rows = []
    for kind in ("free", "delimiter"):
        t0 = time.perf_counter()
        new = G.constrained_optimum(m, kind)
        t_new = time.perf_counter() - t0
        t0 = time.perf_counter()
        ref = dense_constrained_optimum(m, kind)
        t_ref = time.perf_counter() - t0
        assert new.certified and abs(new.risk - ref.risk) <= 1e-8 * abs(ref.risk), (kind, new.risk, ref.risk)
        rows.append((kind, t_new, t_ref))
    return rows


def main() -> None:
    import torch
    from glaverify.numerics.sampler import sample_prompts_torch
    from glaverify.numerics.training import TrainSpec, build_model, forward_form, tokens_for

    sections(8, 2, 4)  # warm-up: imports, first cvxpy/scipy calls
    s = sections()
    print(
        "gate-class sections, d=256 n=4096 K=16 (diagonal Sigma): "
        + ", ".join(f"{k} {v:.3f}s" for k, v in s.items() if k != "peak_mb")
        + f", peak traced memory {s['peak_mb']:.1f} MB",
        flush=True,
    )
    print("class optima, block-reduced vs dense reference (same run), seconds:")
    for d, k, b in ((16, 4, 16), (64, 8, 64)):
        for kind, t_new, t_ref in reduced_vs_dense(d, k, b):
            print(
                f"  d={d:3d} n={k * b:4d} K={k:2d} {kind:9s}: reduced {t_new:.4f}s, dense {t_ref:.2f}s, "
                f"ratio {t_ref / t_new:.0f}x",
                flush=True,
            )
    print("training throughput (batch 512, one thread), steps/s:")
    torch.set_num_threads(1)
    m = _model(3, 4, 4)
    for arch in ("gla-delimiter", "gla-vector", "linatt"):
        for layers in (1, 3):
            net = build_model(TrainSpec(arch=arch, layers=layers), m)
            gen = torch.Generator().manual_seed(0)
            t0 = time.perf_counter()
            steps = 20
            for _ in range(steps):
                pr = sample_prompts_torch(m, 512, gen)
                pred = net.predict(tokens_for(arch, m, pr), form=forward_form(arch))
                loss = ((pred - pr["y_query"]) ** 2).mean()
                loss.backward()
            print(f"  {arch:14s} L={layers}: {steps / (time.perf_counter() - t0):.1f} steps/s", flush=True)


if __name__ == "__main__":
    main()
