"""Imported once by the process pool's fork server (``executor.PRELOAD``), so every worker forks with the
modules a cell's producers need already loaded instead of importing them itself.

Without it each worker paid, in its first cell, the check modules (the claim registry: sympy, torch, cvxpy,
the theory modules, about 4 s of CPU). Importing has no side effect on any number: the workers compute
exactly what they computed before. Nothing here starts a thread (the fork server must stay
single-threaded): importing torch does not start its thread pools. (``torch._inductor``, about 0.6 s, used
to be preloaded too: ``torch.use_deterministic_algorithms`` imported it; the training now sets the same
flag through ``torch.set_deterministic_debug_mode``, which does not.)
"""

from __future__ import annotations

from glaverify.proofs_check.registry import load_all

load_all()
