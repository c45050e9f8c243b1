"""Foundation benchmarks: closed-form risk and P*(ω) at d = 256, n = 4096, and Monte Carlo throughput.

Run: ``python -m benchmarks foundation`` (or ``python -m benchmarks.bench_foundation``).

* Closed forms: ``wpgd_risk(P, ω)`` and ``optimal_preconditioner(ω)`` (R1, R3) on the default model family
  at d = 256, n = 4096 (diagonal Σ, 3-block star family). Target < 0.5 s for both together. Also run in
  a child process with BLAS pinned to one thread (on a loaded 2-core machine multi-threaded OpenBLAS
  made the first eigen-decomposition take ~1 s instead of ~10 ms).
* Monte Carlo throughput of ``mc_risk`` with the WPGD predictor at d = 16 (n = 64), counted in
  (prompt, example) pairs per second per core, with BLAS pinned to one thread (the measurement runs in
  a child process started with ``OMP_NUM_THREADS = OPENBLAS_NUM_THREADS = MKL_NUM_THREADS = 1``).
  Target ≥ 2e6 pairs/s. Compared with a plain per-prompt Python loop (same distribution) in the same run.
  Also reported for a full (non-diagonal) Σ, which needs Σ^{1/2}, and for d = 32, n = 128.

Numbers are recorded in docs/performance/foundation.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np

PIN = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _best_of(fn, repeats: int = 5) -> float:
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def bench_closed_forms(d: int = 256, n: int = 4096) -> dict:
    from glaverify.numerics import closed_forms as cf
    from glaverify.numerics.config import default_model_config
    from glaverify.numerics.model import DataModel

    t0 = time.perf_counter()
    model = DataModel.from_config(default_model_config(d, n))
    build = time.perf_counter() - t0
    rng = np.random.default_rng(0)
    omega = rng.uniform(-0.5, 1.5, n)
    P = rng.standard_normal((d, d)) / d
    # the first call includes the lazy eigen-decomposition of Σ (cached on the model)
    t0 = time.perf_counter()
    cf.optimal_preconditioner(model, omega)
    first = time.perf_counter() - t0
    t_risk = _best_of(lambda: cf.wpgd_risk(model, P, omega))
    t_pstar = _best_of(lambda: cf.optimal_preconditioner(model, omega))
    t_prof = _best_of(lambda: cf.profile_risk(model, omega))
    return {"d": d, "n": n, "model_build_s": build, "first_p_star_s": first, "wpgd_risk_s": t_risk,
            "optimal_preconditioner_s": t_pstar, "profile_risk_s": t_prof,
            "risk_plus_p_star_s": t_risk + t_pstar, "target_s": 0.5}


def _loop_risk(model, P, omega, num_prompts: int, rng: np.random.Generator) -> float:
    """A plain per-prompt loop: draw one prompt at a time and predict with WPGD-1."""
    from glaverify.numerics.linalg import psd_sqrt

    sig_half = psd_sqrt(model.sigma)
    corr_half = psd_sqrt(model.block_corr)
    sd = np.sqrt(model.noise_var)
    idx = model.block_index
    total = 0.0
    for _ in range(num_prompts):
        feats = rng.standard_normal((model.n + 1, model.d)) @ sig_half
        tasks = corr_half @ rng.standard_normal((model.K + 1, model.d))
        X, x = feats[: model.n], feats[model.n]
        y = np.einsum("nd,nd->n", X, tasks[idx]) + sd * rng.standard_normal(model.n)
        yq = x @ tasks[model.K] + sd * rng.standard_normal()
        yhat = x @ P @ (X.T @ (omega * y))
        total += (yq - yhat) ** 2
    return total / num_prompts


def _throughput_child(d: int, n: int, prompts: int, loop_prompts: int, full: bool) -> dict:
    from glaverify.numerics import closed_forms as cf
    from glaverify.numerics.config import build_model_config, default_model_config
    from glaverify.numerics.model import DataModel
    from glaverify.numerics.montecarlo import mc_risk
    from glaverify.numerics.predictors import WPGDPredictor

    cfg = default_model_config(d, n)
    if full:
        rng0 = np.random.default_rng(1)
        q, _ = np.linalg.qr(rng0.standard_normal((d, d)))
        sig = (q * np.linspace(0.5, 2.0, d)) @ q.T
        data = cfg.model_dump()
        data["features"] = {"covariance": "full", "matrix": (0.5 * (sig + sig.T)).tolist()}
        cfg = build_model_config(data)
    model = DataModel.from_config(cfg)
    rng = np.random.default_rng(0)
    omega = rng.uniform(-0.5, 1.5, n)
    P = cf.optimal_preconditioner(model, omega)
    pred = WPGDPredictor(P=P, omega=omega)
    mc_risk(model, pred, 2048, np.random.default_rng(1))  # warm-up
    t_vec = _best_of(lambda: mc_risk(model, pred, prompts, np.random.default_rng(2)), repeats=3)
    t_loop = _best_of(lambda: _loop_risk(model, P, omega, loop_prompts, np.random.default_rng(3)), repeats=1)
    vec_rate = prompts * n / t_vec
    loop_rate = loop_prompts * n / t_loop
    # the floor: only the Gaussian draws the sampler needs (features, tasks, noise), in the same batches
    g = np.random.default_rng(4)
    k = model.K

    def draws_only() -> None:
        for start in range(0, prompts, 4096):
            b = min(4096, prompts - start)
            g.standard_normal((b, n + 1, d))
            g.standard_normal((b, k + 1, d))
            g.standard_normal((b, n + 1))

    t_rng = _best_of(draws_only, repeats=3)
    return {"d": d, "n": n, "sigma": "full" if full else "diagonal", "prompts": prompts,
            "vectorised_pairs_per_s": vec_rate, "loop_pairs_per_s": loop_rate,
            "speedup": vec_rate / loop_rate, "rng_fraction": t_rng / t_vec, "target_pairs_per_s": 2e6}


def _in_pinned_child(func: str, **kwargs) -> dict:
    """Run ``func(**kwargs)`` of this module in a child process with BLAS pinned to one thread."""
    code = (f"import json, benchmarks.bench_foundation as b; "
            f"print(json.dumps(b.{func}(**{kwargs!r})))")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, **PIN}, cwd=root)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_throughput(d: int = 16, n: int = 64, prompts: int = 100_000, loop_prompts: int = 5_000,
                     full: bool = False) -> dict:
    """:func:`_throughput_child` with BLAS pinned to one thread."""
    return _in_pinned_child("_throughput_child", d=d, n=n, prompts=prompts, loop_prompts=loop_prompts,
                            full=full)


def main() -> None:
    cf_res = _in_pinned_child("bench_closed_forms")
    print(f"closed forms at d={cf_res['d']}, n={cf_res['n']} (1 thread):")
    print(f"  model build {cf_res['model_build_s'] * 1e3:.1f} ms; first P*(ω) incl. eigh of Σ "
          f"{cf_res['first_p_star_s'] * 1e3:.1f} ms")
    print(f"  wpgd_risk {cf_res['wpgd_risk_s'] * 1e3:.2f} ms, optimal_preconditioner "
          f"{cf_res['optimal_preconditioner_s'] * 1e3:.2f} ms, "
          f"profile_risk {cf_res['profile_risk_s'] * 1e3:.3f} ms")
    ok = cf_res["risk_plus_p_star_s"] < cf_res["target_s"]
    print(f"  risk + P* = {cf_res['risk_plus_p_star_s'] * 1e3:.2f} ms "
          f"(target < 500 ms: {'met' if ok else 'MISSED'})")
    for kw in ({}, {"full": True}, {"n": 8, "prompts": 400_000, "loop_prompts": 20_000},
               {"d": 32, "n": 128, "prompts": 40_000, "loop_prompts": 2_000}):
        r = bench_throughput(**kw)
        ok = r["vectorised_pairs_per_s"] >= r["target_pairs_per_s"]
        print(f"Monte Carlo d={r['d']}, n={r['n']}, Σ {r['sigma']}, 1 thread: "
              f"{r['vectorised_pairs_per_s']:.3g} pairs/s vectorised, {r['loop_pairs_per_s']:.3g} pairs/s "
              f"per-prompt loop, ratio {r['speedup']:.1f}x; Gaussian draws alone take "
              f"{100 * r['rng_fraction']:.0f}% of the vectorised time "
              f"(target >= 2e6: {'met' if ok else 'MISSED'})")


if __name__ == "__main__":
    main()
