"""Scale-aware A3 decisions and a tiny nonzero r (issue 10; docs/findings.md, docs/gating.md).

"Attains WPGD" compares the gains ``s − L*`` of the two optima (relative), not their risks, so it does not
change under ``r → c·r``; the vector-gate optimum solves with the unit ``r̂`` and never divides by an
underflowed ``(rᵀγ)²``.
"""

from __future__ import annotations

import numpy as np
import pytest
from glaverify.numerics import gating as G
from glaverify.numerics.config import build_model_config
from glaverify.numerics.tolerances import ATTAINS_RTOL
from glaverify.proofs_check.checks import gating as C
from glaverify.proofs_check.checks.gating import star_model
from glaverify.proofs_check.evidence import Verdict


@pytest.mark.parametrize("e", [9, 11, 20, 30])  # 2^-40 < R_ZERO_TOL: the landscape treats r as 0
def test_attains_is_decided_on_the_gain_at_every_scale_of_r(e):
    """Regression (docs/findings.md): d = 1, Σ = 1, σ² = 0, blocks (1, 1), ρ = (2^-e, 0). ω* = (1, 0) is
    decreasing, not realisable; the delimiter class reaches only half of the WPGD gain. The risk gap falls
    like 2^-2e (4e-8 at e = 11, below a risk-sized ATTAINS_RTOL = 1e-7), the gain gap stays 0.5."""
    m = star_model([1, 1], [2.0**-e, 0.0], d=1, noise_var=0.0)
    a = G.attains(m, "delimiter")
    assert not a["omega_star_realisable"]
    assert not a["attains"], a
    assert a["gain_gap"] == pytest.approx(0.5, rel=1e-9)
    if e >= 11:  # the old risk-sized rule was blind here
        assert G.attains_wpgd(a["class_risk"], a["wpgd_risk"])


def test_a3_check_agrees_with_membership_on_a_tiny_r(make_ctx):
    cfg = build_model_config({
        "d": 1, "n": 2, "noise_var": 0.0, "features": {"covariance": "identity", "scale": 1.0},
        "tasks": {"family": "star", "block_sizes": [1, 1], "rho": [2.0**-11, 0.0]},
    })  # fmt: skip
    ev = C.a3_certified(make_ctx(cfg))
    assert ev.verdict is Verdict.CERTIFIED, ev.summary
    for kind in ("free", "delimiter"):
        row = ev.details[kind]
        assert row["attains_wpgd"] is False and row["omega_star_realisable"] is False
        assert row["gain_gap_to_wpgd"] == pytest.approx(0.5, rel=1e-9)


@pytest.mark.parametrize("factor, attains", [(0.5, True), (2.0, False)])
def test_attains_by_gain_near_miss_around_attains_rtol(factor, attains):
    for g in (1e-30, 1e-6, 1.0, 1e6):  # the same decision at every scale of the gain
        assert G.attains_by_gain(g * (1 - factor * ATTAINS_RTOL), g) is attains


def test_attainment_scale_invariance_on_an_attaining_model():
    """The star example attains at every scale of r (equal blocks, ρ rising): the gain rule says so at
    ρ scaled by 1e-6 too, where the whole gain is ~1e-12 of the risk."""
    base = [0.2, 0.55, 0.9]
    for scale in (1.0, 1e-6):
        m = star_model([4, 4, 4], [scale * x for x in base], d=2, eigenvalues=[0.5, 2.0])
        a = G.attains(m, "delimiter")
        assert a["attains"] and a["omega_star_realisable"], (scale, a)


def test_attainment_without_the_class_weights_uses_the_certified_class_optimum():
    m = star_model([1, 1], [2.0**-11, 0.0], d=1, noise_var=0.0)
    wp = G.wpgd_optimum(m)
    co = G.constrained_optimum(m, "delimiter")
    given = G.attainment(m, "delimiter", co.risk, wp.risk, wp.omega, omega_class=co.omega)
    derived = G.attainment(m, "delimiter", co.risk, wp.risk, wp.omega)
    assert given == derived and not derived.attains and derived.agree


@pytest.mark.parametrize("rho", [7e-194, 1e-160, 1e-100, 1e-8])
def test_vector_gate_optimum_at_a_tiny_nonzero_r(rho):
    """Regression (docs/findings.md): ρ = 7e-194 raised ZeroDivisionError. Now the weights are those of the
    unit r̂ (identical at every scale), the gain is (ρ/0.5)²·(its value at ρ = 0.5) — 0 in float64 once that
    underflows — and the certificate holds."""
    ref = G.vector_gate_optimum(star_model([1, 2], [0.5, 0.0], d=2, eigenvalues=[0.5, 2.0]), "delimiter")
    m = star_model([1, 2], [rho, 0.0], d=2, eigenvalues=[0.5, 2.0])
    for kind in ("delimiter", "unconstrained"):
        v = G.vector_gate_optimum(m, kind)
        assert v.certified and np.all(np.isfinite(v.q_unit))
        gain = m.s - v.risk
        assert 0.0 <= gain <= 2 * rho**2 * m.s + 4 * np.finfo(float).eps * m.s
    v = G.vector_gate_optimum(m, "delimiter")
    assert np.allclose(v.q_unit, ref.q_unit, rtol=1e-12)
    unit = [g / np.max(np.abs(g), axis=0) for g in (v.Gamma, ref.Gamma)]
    assert np.allclose(*unit)


def test_a4_negative_margin_is_a_fault_of_the_optimiser_not_a_refutation(monkeypatch, make_ctx):
    """LinAtt's ω = 1 lies in every class, so a class optimum worse than LinAtt (planted: the class risk
    raised above LinAtt's) is our optimiser's fault: A4 reports a tool error, never `refuted`."""
    import dataclasses

    real = G.constrained_optimum

    def planted(model, kind, *a, **kw):  # noqa: ANN001, ANN202
        co = real(model, kind, *a, **kw)
        if kind in ("free", "delimiter"):
            co = dataclasses.replace(co, risk=G.linatt_optimum(model).risk + 1e-3)
        return co

    monkeypatch.setattr(G, "constrained_optimum", planted)
    ev = C.a4_certified(make_ctx())
    assert ev.verdict is Verdict.INCONCLUSIVE and ev.tool_error and "worse than LinAtt" in ev.tool_error
