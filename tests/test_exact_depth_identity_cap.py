"""The full-Σ identity cap of the exact R6 route (docs/exact.md, "Independent route for Φ"), raised from 40 to
70 points in session 4: a full-Σ model whose a-priori bound needs 41–70 points is now proved (the identity is
checked at every point), one above the cap is still only spot-checked, never proved."""

from __future__ import annotations

import numpy as np
from glaverify.numerics.config import build_model_config
from glaverify.theory import exact as E
from glaverify.theory import exact_guards as guards


def _full(d: int, K: int, digits: int = 2):
    rng = np.random.default_rng(0)
    A = rng.normal(size=(d, d))
    S = np.round(A @ A.T / d + 0.5 * np.eye(d), digits)
    return E.exact_model(build_model_config({
        "d": d, "n": 4 * K, "noise_var": 0.25,
        "features": {"covariance": "full", "matrix": ((S + S.T) / 2).tolist()},
        "tasks": {"family": "star", "block_sizes": [4] * K,
                  "rho": [round(0.1 + 0.8 * k / (K - 1), 3) for k in range(K)]}}))


def _points(em) -> int:
    fp = E.fixed_point_polynomial(em)
    return guards.phi_degree_bound(em, fp.curve, fp.D) + 1


def test_full_sigma_model_between_the_old_and_the_new_cap_is_proved():
    em = _full(5, 4)  # a-priori bound 49: 50 identity points (the old cap of 40 spot-checked it)
    assert 40 < _points(em) <= 70
    pr = E.prove_r6(em)
    assert pr.status == "proved", pr.reason
    assert E.prove_r6(em, full_identity_max_full_sigma=40).status == "spot-checked"


def test_full_sigma_model_above_the_cap_is_only_spot_checked():
    em = _full(6, 6)  # 102 points (44 s with 15-digit decimals, measured)
    assert _points(em) > 70
    assert E.prove_r6(em).status == "spot-checked"
