"""Gating benchmarks: time of the certified class optima (A3) and the vector-gate optimum (A6) against n,
isotropic vs general Σ, and training throughput (steps/s) per architecture. Prints one line per case."""

from __future__ import annotations

import time

import numpy as np


def _model(n_blocks: int, block: int, d: int, iso: bool):
    from glaverify.proofs_check.checks.gating import star_model

    rho = np.linspace(0.2, 0.9, n_blocks).round(4).tolist()
    eig = None if iso else np.linspace(0.5, 2.0, d).round(4).tolist()
    return star_model([block] * n_blocks, rho, d=d, eigenvalues=eig)


def main() -> None:
    import torch
    from glaverify.numerics import gating as G
    from glaverify.numerics.sampler import sample_prompts_torch
    from glaverify.numerics.training import TrainSpec, build_model, forward_form, tokens_for

    print("class optima (constrained_optimum, both signs), seconds:")
    for iso in (True, False):
        for n_blocks, block in ((3, 4), (4, 12), (4, 48)):
            m = _model(n_blocks, block, 4, iso)
            row = []
            for kind in ("unconstrained", "free", "delimiter"):
                t0 = time.perf_counter()
                opt = G.constrained_optimum(m, kind)
                status = "ok" if opt.certified else "NOT certified"
                row.append(f"{kind} {time.perf_counter() - t0:.2f}s ({status})")
            t0 = time.perf_counter()
            G.vector_gate_optimum(m, "delimiter")
            row.append(f"vector-delimiter {time.perf_counter() - t0:.2f}s")
            print(f"  Sigma {'iso ' if iso else 'diag'} n={m.n:4d}: " + ", ".join(row), flush=True)
    print("training throughput (batch 512, one thread), steps/s:")
    torch.set_num_threads(1)
    m = _model(3, 4, 4, False)
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
