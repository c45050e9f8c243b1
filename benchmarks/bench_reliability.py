"""Reliability benchmarks (issue 10): the R1 Monte Carlo check and its estimators.

Run: ``python -m benchmarks reliability``.

* The R1 ``monte-carlo`` check at the default model (d = 4, n = 12) with its full budget (200 000 prompts):
  wall time, the detectable relative effect (power 0.8) and the verdict on a closed form with σ² dropped
  from b (must be refuted). Target: detectable effect ≤ 0.1 % at seed 0, in < 10 s.
* Per-prompt cost and standard deviation of the three R1 estimators (plain, conditional, features) at
  d = 4, n = 12 and d = 32, n = 128 on 20 000 prompts: the variance reduction per second.
* ``--quick`` at d = 200, n = 2000 (the memory-bounded case): wall time and batch size.

Numbers are recorded in docs/performance.md ("Reliability: Monte Carlo").
"""

from __future__ import annotations

import time

import numpy as np


def _ctx(d: int, n: int, quick: bool = False, seed: int = 0):
    from glaverify.numerics.config import RunConfig, default_model_config
    from glaverify.proofs_check.context import CheckContext

    return CheckContext(model_config=default_model_config(d, n), run=RunConfig(seed=seed), quick=quick)


def bench_check() -> dict:
    from glaverify.numerics import closed_forms as cf
    from glaverify.proofs_check.checks.risk_numeric import check_r1_monte_carlo

    def dropped(model, P, w):
        co = cf.risk_coefficients(model, w)
        sig = model.sigma
        m = co.a * sig @ sig + (model.s - model.noise_var) * float(w @ w) * sig
        return model.s - 2 * co.rw * float(np.sum(P * (sig @ sig).T)) + float(np.sum((sig @ P) * (P @ m)))

    t0 = time.perf_counter()
    good = check_r1_monte_carlo(_ctx(4, 12))
    t_good = time.perf_counter() - t0
    t0 = time.perf_counter()
    bad = check_r1_monte_carlo(_ctx(4, 12), closed_form=dropped)
    t_bad = time.perf_counter() - t0
    t0 = time.perf_counter()
    big = check_r1_monte_carlo(_ctx(200, 2000, quick=True))
    t_big = time.perf_counter() - t0
    return {"default_s": t_good, "default_verdict": good.verdict.value, "prompts": good.sample_size,
            "detectable": good.details["detectable_relative_effect"], "sigma2_dropped": bad.verdict.value,
            "sigma2_dropped_z": bad.residuals["z"], "sigma2_dropped_s": t_bad, "big_s": t_big,
            "big_prompts": big.sample_size, "big_batch": big.details["batch"],
            "big_detectable": big.details["detectable_relative_effect"]}


def bench_estimators(d: int, n: int, prompts: int = 20_000) -> dict:
    from glaverify.numerics import montecarlo as mc
    from glaverify.numerics.model import DataModel
    from glaverify.numerics.predictors import WPGDPredictor
    from glaverify.numerics.sampler import sample_prompts
    from glaverify.proofs_check.checks.risk_numeric import draw_test_point

    ctx = _ctx(d, n)
    model: DataModel = ctx.model
    P, w = draw_test_point(model, np.random.default_rng(0))
    pred = WPGDPredictor(P=P, omega=w)
    terms = mc.feature_terms(model, P, w)
    t0 = time.perf_counter()
    pr = sample_prompts(model, prompts, np.random.default_rng(1))
    t_sample = time.perf_counter() - t0
    out = {"d": d, "n": n, "sample_s": t_sample}
    for name, fn in (("plain", lambda: (pr.y_query - pred(pr)) ** 2),
                     ("conditional", lambda: mc.conditional_risk(model, pred, pr)),
                     ("features", lambda: mc.features_risk(terms, pr.X))):
        t0 = time.perf_counter()
        vals = fn()
        out[name] = {"s": time.perf_counter() - t0, "sd": float(np.std(vals)), "mean": float(np.mean(vals))}
    return out


def main() -> None:
    r = bench_check()
    print(f"R1 monte-carlo at d=4, n=12: {r['default_verdict']} in {r['default_s']:.2f} s, "
          f"{r['prompts']} prompts, detectable relative effect {r['detectable']:.3%} (target <= 0.1 %: "
          f"{'met' if r['detectable'] <= 1e-3 else 'MISSED'})")
    print(f"  sigma^2 dropped from b: {r['sigma2_dropped']} (z = {r['sigma2_dropped_z']:+.1f}) in "
          f"{r['sigma2_dropped_s']:.2f} s")
    print(f"  --quick at d=200, n=2000: {r['big_s']:.1f} s, {r['big_prompts']} prompts, "
          f"batch {r['big_batch']}, detectable {r['big_detectable']:.2%}")
    for d, n in ((4, 12), (32, 128)):
        e = bench_estimators(d, n)
        print(f"estimators at d={d}, n={n} (20000 prompts, sampling {e['sample_s']:.2f} s):")
        for name in ("plain", "conditional", "features"):
            v = e[name]
            print(f"  {name:12s} {v['s']:.3f} s  sd {v['sd']:.4g}  mean {v['mean']:.6g}")


if __name__ == "__main__":
    main()
