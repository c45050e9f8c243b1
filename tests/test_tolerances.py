"""Every tolerance is pinned (issue 10 item 4): its value cannot be loosened silently, and where a decision
reads it directly, an error planted just above it is caught and one just below passes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from glaverify.numerics import tolerances as T
from glaverify.numerics.errors import InputError
from glaverify.numerics.linalg import check_correlation, check_psd, check_symmetric
from glaverify.proofs_check.evidence import Verdict

#: the pinned values (numerics/tolerances.py gives the reason for each). Change one only with its reason.
PINNED = {
    "MATRIX_RTOL": 1e-10, "RISK_RTOL": 1e-8, "OMEGA_TOL": 1e-6, "HESS_RTOL": 1e-9, "R_ZERO_TOL": 1e-12,
    "FLAT_PROFILE_RTOL": 1e-12,
    "CERT_TOL": 1e-6, "ACTIVE_TOL": 1e-7, "OMEGA_MATCH_TOL": 1e-6, "GATING_TOL": 1e-7, "A4_TOL": 1e-6,
    "TORCH_REL_TOL": 1e-10, "CONSTRUCTION_TOL": 1e-10, "FLA_REL_TOL": 1e-4,
    # the gate-class tolerances (reasons: numerics/tolerances.py; near-miss plants: tests/test_gating.py)
    "A6_ADVANTAGE_RTOL": 1e-7, "A6_CONSISTENCY_RTOL": 1e-9, "ATTAINS_RTOL": 1e-7, "DIAGONAL_RTOL": 1e-12,
    "EIGENVECTOR_RTOL": 1e-10, "FIXED_POINT_TOL": 1e-4, "LINATT_TOL": 1e-10, "MEMBERSHIP_TOL": 1e-6,
    "REALISABLE_TOL": 1e-9,
    # the landscape core's self-checks (near-miss plants: tests/test_controls_landscape.py)
    "CORE_DENSE_RTOL": 1e-9, "CORE_FD_RTOL": 1e-5, "CONFIRM_GRAD_RTOL": 1e-4,
    # the gate-class certificate controls (near-miss plant: tests/test_controls_gating.py)
    "CONTROL_FD_TOL": 1e-6,
}


def _constants() -> dict[str, float]:
    return {k: v for k, v in vars(T).items() if k.isupper() and isinstance(v, float)}


def test_every_tolerance_is_pinned():
    missing = sorted(set(_constants()) - set(PINNED))
    assert not missing, f"new tolerance(s) without a pin in tests/test_tolerances.py: {missing}"


@pytest.mark.parametrize("name", sorted(PINNED))
def test_no_tolerance_is_loosened(name):
    # fails if a constant is made looser (larger) than its pinned value; a tighter value needs its pin updated
    assert getattr(T, name) <= PINNED[name], f"{name} loosened to {getattr(T, name)} (pinned {PINNED[name]})"
    assert getattr(T, name) == PINNED[name], f"{name} changed to {getattr(T, name)}: update its pin"


# --------------------------------------------------------------------------------- near-miss plants
ABOVE, BELOW = 1.5, 0.5  # factors of the tolerance for the planted error


@pytest.mark.parametrize(("factor", "caught"), [(ABOVE, True), (BELOW, False)])
def test_matrix_rtol_symmetry(factor, caught):
    a = np.eye(3)
    a[0, 1] += factor * T.MATRIX_RTOL
    if caught:
        with pytest.raises(InputError, match="symmetric"):
            check_symmetric(a, "sigma")
    else:
        check_symmetric(a, "sigma")


@pytest.mark.parametrize(("factor", "caught"), [(ABOVE, True), (BELOW, False)])
def test_matrix_rtol_unit_diagonal(factor, caught):
    c = np.eye(3)
    c[1, 1] += factor * T.MATRIX_RTOL
    if caught:
        with pytest.raises(InputError, match="unit diagonal"):
            check_correlation(c, "block_corr")
    else:
        check_correlation(c, "block_corr")


@pytest.mark.parametrize(("factor", "accepted"), [(ABOVE, True), (BELOW, False)])
def test_matrix_rtol_positive_definite(factor, accepted):
    m = np.diag([1.0, factor * T.MATRIX_RTOL])  # smallest eigenvalue just above / below the tolerance
    if accepted:
        check_psd(m, "sigma", strict=True)
    else:
        with pytest.raises(InputError, match="positive definite"):
            check_psd(m, "sigma", strict=True)


@pytest.mark.parametrize(("factor", "verdict"), [(1.01, Verdict.REFUTED), (0.99, Verdict.SUPPORTED)])
def test_torch_rel_tol_decides_the_torch_checks(make_ctx, factor, verdict):
    from glaverify.proofs_check.checks.gla import _decide_torch

    case = {"case": "planted", "rel_err": factor * T.TORCH_REL_TOL, "counterexample": {"planted": True}}
    assert _decide_torch(make_ctx(), "G1", [case], 1, {}).verdict is verdict


@pytest.mark.parametrize(("factor", "caught"), [(ABOVE, True), (BELOW, False)])
def test_torch_rel_tol_chunked_kernel_consistency(factor, caught, monkeypatch):
    from glaverify.numerics import gla
    from glaverify.numerics.consistency import ToolError
    from glaverify.proofs_check.checks import gla as gc

    rng = np.random.default_rng(0)
    gate = gla.FixedGate(rng.uniform(0.3, 1, 6), "scalar")
    net = gla.wpgd_to_gla([rng.standard_normal((2, 2)) * 0.1], [gate], 2)
    z = torch.as_tensor(rng.standard_normal((3, 6, 3)))
    real = gla.gla_chunked

    def off(q, k, v, g, shape, **kw):  # a relative error of factor·TORCH_REL_TOL in the chunked kernel
        out = real(q, k, v, g, shape, **kw)
        return out + factor * T.TORCH_REL_TOL * float(out.abs().max())

    monkeypatch.setattr(gla, "gla_chunked", off)
    if caught:
        with pytest.raises(ToolError, match="chunked GLA kernel"):
            gc.chunked_vs_recurrent(net, z, "planted")
    else:
        assert gc.chunked_vs_recurrent(net, z, "planted") <= T.TORCH_REL_TOL


@pytest.mark.parametrize(("factor", "verdict"), [(1.5, Verdict.CERTIFIED), (0.5, Verdict.REFUTED)])
def test_a4_tol_margin(factor, verdict):
    from glaverify.proofs_check.checks.gating import a4_decide

    # 'strict': GLA beats LinAtt only by a margin above A4_TOL
    assert a4_decide(factor * T.A4_TOL, 1.0, claim="strict")[0] is verdict


@pytest.mark.parametrize(("factor", "zero"), [(0.5, True), (1.5, False)])
def test_r_zero_tol(factor, zero):
    from glaverify.numerics.landscape import r_is_zero
    from glaverify.numerics.model import DataModel

    eps = factor * T.R_ZERO_TOL
    model = DataModel.create(np.eye(2), [[1.0, 0.0, eps], [0.0, 1.0, 0.0], [eps, 0.0, 1.0]], [2, 2], 0.1)
    assert r_is_zero(model) is zero


@pytest.mark.parametrize(("factor", "same"), [(0.5, True), (1.5, False)])
def test_omega_tol_clusters_minima(factor, same):
    from types import SimpleNamespace

    from glaverify.numerics.landscape import distinct_minima

    w = np.array([1.0, 0.5, 0.25])
    m1 = SimpleNamespace(omega=w)
    m2 = SimpleNamespace(omega=w + np.array([0.0, factor * 10 * T.OMEGA_TOL, 0.0]))
    clusters = distinct_minima([m1, m2], np.ones(3))
    assert (len(clusters) == 1) is same


@pytest.mark.parametrize(("factor", "caught"), [(1.5, True), (0.5, False)])
def test_r1_consistency_rtol(make_ctx, monkeypatch, factor, caught):
    from glaverify.numerics import closed_forms as cf
    from glaverify.numerics.consistency import ToolError
    from glaverify.proofs_check.checks import risk_numeric as rn

    real = cf.wpgd_risk

    def off(model, P, omega):
        return real(model, P, omega) * (1 + factor * rn.CONSISTENCY_RTOL)

    monkeypatch.setattr(cf, "wpgd_risk", off)
    monkeypatch.setattr(rn.closed_forms, "wpgd_risk", off)
    model = make_ctx().model
    P, w = rn.draw_test_point(model, np.random.default_rng(0))
    if caught:
        with pytest.raises(ToolError, match="literal"):
            rn._consistency(model, w, P)
    else:
        rn._consistency(model, w, P)


def test_check_level_tolerances_are_pinned():
    from glaverify.numerics import montecarlo as mc
    from glaverify.proofs_check.checks import gla as gc
    from glaverify.proofs_check.checks import risk_numeric as rn

    assert rn.CONSISTENCY_RTOL <= 1e-9 and rn.AUTOGRAD_GRAD_RTOL <= 1e-8 and rn.READOUT_RTOL <= 1e-10
    assert rn.REFUTE_Z == 6.0 and mc.REFUTE_Z == 6.0 and rn.TARGET_EFFECT <= 1e-3
    assert gc.ROUNDOFF_HEADROOM <= 1e4 and gc.FLA_ROUNDOFF_HEADROOM <= 1e3
    assert mc.PLAUSIBLE_SE_RATIO <= 3.0


@pytest.mark.parametrize(("factor", "verdict"), [(1.5, Verdict.REFUTED), (0.5, Verdict.SUPPORTED)])
def test_fla_rel_tol_construction(make_ctx, factor, verdict):
    from glaverify.numerics import fla_reference as fr
    from glaverify.proofs_check.checks import gla as gc

    if not fr.fla_available()[0]:
        pytest.skip("fla-core not installed")

    def scaled(q, k, v, g, shape):  # fla's layer output off by a relative factor·FLA_REL_TOL
        return gc._fla_layer(q, k, v, g, shape) * (1.0 + factor * T.FLA_REL_TOL)

    rec = gc.check_fla(make_ctx(), "G1", layer_fn=scaled)
    assert rec.verdict is verdict, rec.summary
