"""Cost of the gate-class checks and of what issue 10 added to them (docs/performance.md, "Gate-class checks:
controls and the objective check").

1. ``A3``/``A4``/``A6 certified`` on the default model, in-process (median of 5 after one warm-up; the WPGD
   optimum's ``certify`` is part of A3/A4).
2. The certificate controls (:func:`glaverify.numerics.gating.certificate_controls`), uncached (median of
   20): they run once per process before the first A3/A4/A6 verdict.
3. The objective check of the class certificate (the gain of every fixed point against the closed form)
   at d = 256, n = 4096, 16 blocks, against the whole ``constrained_optimum`` it is part of.

With ``PYTHONPATH`` pointing at a copy of an older tree (as ``mutation/runner.py`` lays it out), 1. times
that tree; 2. and 3. are skipped when the tree has no controls.
"""

from __future__ import annotations

from benchmarks import median_time


def _median(fn, reps: int) -> float:  # noqa: ANN001
    return median_time(fn, reps, warmup=True)


def checks(reps: int = 5) -> dict[str, float]:
    from glaverify.numerics.config import RunConfig, default_model_config
    from glaverify.proofs_check.checks import gating as C
    from glaverify.proofs_check.context import CheckContext

    def ctx() -> CheckContext:
        return CheckContext(model_config=default_model_config(4, 12), run=RunConfig(seed=0), quick=True)

    return {
        name: _median(lambda fn=fn: fn(ctx()), reps)
        for name, fn in (("A3", C.a3_certified), ("A4", C.a4_certified), ("A6", C.a6_certified))
    }


def controls(reps: int = 20) -> float | None:
    from glaverify.numerics import gating as G

    if not hasattr(G, "certificate_controls"):
        return None
    from glaverify.numerics.gating import controls as CTRL

    def run() -> None:
        CTRL._cached_controls.cache_clear()
        assert G.certificate_controls().ok

    return _median(run, reps)


def objective_at_scale(d: int = 256, n_blocks: int = 16, block: int = 256) -> tuple[float, float] | None:
    import numpy as np
    from glaverify.numerics import gating as G
    from glaverify.numerics.gating import optima as O
    from glaverify.numerics.gating import reduced as R
    from glaverify.proofs_check.checks.gating import star_model

    if not hasattr(O, "objective_residuals"):
        return None
    rho = np.linspace(0.2, 0.9, n_blocks).round(4).tolist()
    m = star_model([block] * n_blocks, rho, d=d, eigenvalues=np.linspace(0.5, 2.0, d).round(4).tolist())
    red = R.BlockReduction.of(m)
    search = R.reduced_class_optimum(red, R.reduced_cone("delimiter", red.K))
    t_obj = _median(lambda: O.objective_residuals(m, red, search.candidates, search.solution), 3)
    t_all = _median(lambda: G.constrained_optimum(m, "delimiter"), 3)
    return t_obj, t_all


def main() -> None:
    for name, t in checks().items():
        print(f"{name} certified (default model, in-process, median of 5): {t * 1e3:.1f} ms", flush=True)
    t = controls()
    if t is not None:
        print(f"certificate controls (uncached, median of 20): {t * 1e3:.2f} ms", flush=True)
    big = objective_at_scale()
    if big is not None:
        print(f"objective check at d = 256, n = 4096: {big[0] * 1e3:.1f} ms of {big[1] * 1e3:.1f} ms "
              "(constrained_optimum, delimiter)", flush=True)
