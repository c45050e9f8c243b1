"""Cost of the landscape self-checks (numerics/landscape/selfcheck.py) added to the R4/R5/R6 checks.

Run: ``python -m benchmarks landscape_selfcheck``.

Cases:

* the R4 ``numeric`` and R6 ``certificate`` records at the default model (d = 4, n = 12), with and without the
  self-checks (median of 5 runs each; target: < 0.5 s added);
* the self-checks alone (core cross-check, curve points, controls) at the default model;
* the core cross-check at d = 64, n = 4096 (16 blocks): beyond the dense limit, O(n) routes only, no n×n
  matrix (peak memory of the process reported).

Numbers go to docs/performance.md ("Landscape self-checks").
"""

from __future__ import annotations

import resource
import time

import numpy as np

from benchmarks import median_time


def main() -> None:
    from glaverify.numerics import landscape as ls
    from glaverify.numerics.config import default_model_config
    from glaverify.numerics.landscape import selfcheck
    from glaverify.numerics.model import DataModel
    from glaverify.proofs_check.checks import landscape as checks
    from glaverify.proofs_check.context import CheckContext

    def ctx() -> CheckContext:
        return CheckContext(model_config=default_model_config(4, 12), quick=True)

    with_sc = {
        "R4 numeric": median_time(lambda: checks.r4_numeric(ctx())),
        "R6 certificate": median_time(lambda: checks.r6_certificate(ctx())),
    }
    orig = checks._self_checks
    checks._self_checks = lambda *a, **k: ([], {})
    try:
        without = {
            "R4 numeric": median_time(lambda: checks.r4_numeric(ctx())),
            "R6 certificate": median_time(lambda: checks.r6_certificate(ctx())),
        }
    finally:
        checks._self_checks = orig
    for k in with_sc:
        print(f"{k:16s} default model: {without[k]:.3f} s without self-checks, {with_sc[k]:.3f} s with "
              f"(+{with_sc[k] - without[k]:.3f} s)")
    m = DataModel.from_config(default_model_config(4, 12))
    res = ls.certify(m, np.random.default_rng(0), starts=3, use_cvxpy=False)
    t = median_time(lambda: selfcheck.core_cross_check(m, res.omega, np.random.default_rng(0)))
    print(f"core cross-check (dense reference on) default model: {t * 1e3:.1f} ms")
    t = median_time(lambda: selfcheck.landscape_controls())
    print(f"controls (curve classifier + R6 decision): {t * 1e3:.1f} ms")
    t = median_time(lambda: selfcheck.curve_point_residuals(m, res.curve))
    print(f"curve points' equation: {t * 1e3:.2f} ms")

    rng = np.random.default_rng(1)
    K, d = 16, 64
    U = rng.standard_normal((K + 1, K + 1))
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    C = U @ U.T
    np.fill_diagonal(C, 1.0)
    big = DataModel.create(np.diag(np.linspace(0.1, 2.0, d)), C, [256] * K, 0.2)
    w = ls.curve_route(big).best.omega
    t0 = time.perf_counter()
    cc = selfcheck.core_cross_check(big, w, np.random.default_rng(0))
    dt = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"core cross-check d = {d}, n = {big.n}, K = {K}: {dt:.3f} s, ok = {cc.ok}, dense = {cc.dense}, "
          f"process peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
