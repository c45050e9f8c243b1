"""Imported once by the process pool's fork server (``executor.PRELOAD``), so every worker forks with the
modules a cell's producers need already loaded instead of importing them itself.

Without it each worker paid, in its first cell, the check modules (the claim registry: sympy, torch, cvxpy,
the theory modules, about 4 s of CPU) and ``torch._inductor``, which ``torch.use_deterministic_algorithms``
imports at its first call in the training producer (about 2 s). Importing has no side effect on any number:
the workers compute exactly what they computed before. Nothing here starts a thread (the fork server must
stay single-threaded): importing torch does not start its thread pools.
"""

from __future__ import annotations

from glaverify.proofs_check.registry import load_all

load_all()

try:  # training: torch.use_deterministic_algorithms and the optimiser's first step import torch._inductor and
    # torch._dynamo (measured: a worker's first training took 0.7 s longer without this)
    import torch._inductor  # noqa: F401
except ImportError:  # pragma: no cover - an optional part of torch
    pass
