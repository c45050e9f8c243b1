"""Near-miss plants for the gate-class tolerances (issue 10, item 4): an error just above the tolerance is
caught by the decision that uses it, one just below passes. The values themselves are pinned in
tests/test_tolerances.py; these tests make a loosened or misapplied tolerance visible in behaviour.

``CERT_TOL``        the class certificate (A3/A4), through the check: a perturbed optimum's cone KKT
                    residual (tests/test_gating.py also plants it on the bare certificate).
``ACTIVE_TOL``      a row whose slack is above it is inactive (its multiplier must vanish).
``OMEGA_MATCH_TOL`` the dense reference's fixed-point refinement may not move ω further than it.
``GATING_TOL``      the tolerance the tables request from the class-optimum certificate.
``CONSTRUCTION_TOL`` the A1/A2 constructions through the torch GLA (weight error).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from glaverify.numerics import gating as G
from glaverify.numerics.config import load_config
from glaverify.numerics.gating.certificate import cone_kkt_from_gradient
from glaverify.numerics.gating.controls import literal_rows
from glaverify.numerics.model import DataModel
from glaverify.numerics.tolerances import (
    ACTIVE_TOL,
    CERT_TOL,
    CONSTRUCTION_TOL,
    GATING_TOL,
    OMEGA_MATCH_TOL,
)
from glaverify.proofs_check.checks import gating as C
from glaverify.proofs_check.evidence import Verdict

EXAMPLES = __import__("pathlib").Path(__file__).resolve().parents[1] / "examples"


def model_from(name: str) -> DataModel:
    return DataModel.from_config(load_config(EXAMPLES / name).model)


def _perturbed_cone(m: DataModel, tol: float, factor: float) -> G.ConeKKT:
    """The cone certificate at the certified delimiter optimum moved along a block-monotone direction so
    that its KKT residual is ``factor · tol`` (the residual is linear in a small move)."""
    co = G.constrained_optimum(m, "delimiter")
    u = np.repeat(np.linspace(0.0, 1.0, m.K), m.block_sizes)
    base = G.cone_kkt_certificate(m, co.omega, "delimiter").residual
    probe = 1e-4
    slope = (G.cone_kkt_certificate(m, co.omega + probe * u, "delimiter").residual - base) / probe
    assert slope > 0
    return G.cone_kkt_certificate(m, co.omega + factor * tol / slope * u, "delimiter")


# ------------------------------------------------------------------------------------------ CERT_TOL
@pytest.mark.parametrize("factor, certified", [(2.0, False), (0.5, True)])
def test_cert_tol_near_miss_through_the_a3_and_a4_checks(monkeypatch, make_ctx, factor, certified):
    """A class optimum whose full-cone KKT residual is 2·CERT_TOL makes A3 and A4 inconclusive (never
    refuted); at 0.5·CERT_TOL both still certify."""
    m = model_from("default.toml")
    cone = _perturbed_cone(m, CERT_TOL, factor)
    assert (cone.residual > CERT_TOL) is not certified
    real = G.constrained_optimum

    def planted(model, kind, *a, **kw):  # noqa: ANN001, ANN202
        co = real(model, kind, *a, **kw)
        if kind in ("free", "delimiter"):
            co = dataclasses.replace(co, certificate=dataclasses.replace(co.certificate, cone=cone))
        return co

    monkeypatch.setattr(G, "constrained_optimum", planted)
    for fn in (C.a3_certified, C.a4_certified):
        ev = fn(make_ctx())
        want = Verdict.CERTIFIED if certified else Verdict.INCONCLUSIVE
        assert ev.verdict is want, (fn.__name__, ev.summary)


# ---------------------------------------------------------------------------------------- ACTIVE_TOL
@pytest.mark.parametrize("factor, accepted", [(2.0, False), (0.5, True)])
def test_active_tol_near_miss(factor, accepted):
    """ω = (1, 1, 1+ε, 1+ε) on the free cone with a positive multiplier 0.5 planted on row 2 (the step
    between ω_2 and ω_3): a step of 0.5·ACTIVE_TOL counts as active (μ ≥ 0 accepted, complementarity
    μ·ε ≪ CERT_TOL), a step of 2·ACTIVE_TOL is inactive and its multiplier must vanish (rejected)."""
    eps = factor * ACTIVE_TOL
    w = np.array([1.0, 1.0, 1.0 + eps, 1.0 + eps]) / (1.0 + eps)
    mu = np.array([0.0, 0.0, 0.5, 0.0])
    grad = literal_rows(4).T @ mu
    kinds = np.array(["ineq"] * 4)
    kkt = cone_kkt_from_gradient(w, grad, 1.0, kinds)
    assert (kkt.residual <= CERT_TOL) is accepted, kkt


# ----------------------------------------------------------------------------------- OMEGA_MATCH_TOL
@pytest.mark.parametrize("factor, moved", [(2.0, False), (0.5, True)])
def test_omega_match_tol_near_miss(factor, moved):
    """The dense reference keeps the search's ω unless a refinement with a smaller fixed-point residual is
    within OMEGA_MATCH_TOL of it: a refinement 2·tol away is refused, one 0.5·tol away is taken."""
    from glaverify.numerics.gating.dense import best_refinement

    search = (1e-6, 0.0, 1.5, "search")
    refined = (1e-14, factor * OMEGA_MATCH_TOL, 1.6, "refined")
    got = best_refinement([search, refined])
    assert (got is refined) is moved


# ---------------------------------------------------------------------------------------- GATING_TOL
@pytest.mark.parametrize("factor, ok", [(2.0, False), (0.5, True)])
def test_gating_tol_near_miss_of_the_table_certificate(factor, ok):
    """The tables ask the class optimum for a GATING_TOL certificate: a cone residual of 2·GATING_TOL fails
    it, 0.5·GATING_TOL passes (the same points pass the looser A3 CERT_TOL)."""
    m = model_from("default.toml")
    co = G.constrained_optimum(m, "delimiter", tol=GATING_TOL)
    assert co.certified and co.certificate.tolerance == GATING_TOL
    cone = _perturbed_cone(m, GATING_TOL, factor)
    cert = dataclasses.replace(co.certificate, cone=cone)
    assert cert.ok is ok
    assert dataclasses.replace(cert, tolerance=CERT_TOL).ok  # 2·GATING_TOL < CERT_TOL


# ---------------------------------------------------------------------------------- CONSTRUCTION_TOL
@pytest.mark.parametrize("factor, verdict", [(2.0, Verdict.REFUTED), (0.5, Verdict.SUPPORTED)])
def test_construction_tol_near_miss(monkeypatch, make_ctx, factor, verdict):
    """A torch construction whose realised weight is off by 2·CONSTRUCTION_TOL is caught by A1 construction;
    an error of 0.5·CONSTRUCTION_TOL passes."""
    real = C._torch_one_layer_weights

    def planted(gates_tok, d):  # noqa: ANN001, ANN202
        w, pred = real(gates_tok, d)
        w = w.copy()
        w[-1] += factor * CONSTRUCTION_TOL
        return w, pred

    monkeypatch.setattr(C, "_torch_one_layer_weights", planted)
    ev = C.a1_construction(make_ctx())
    assert ev.verdict is verdict, ev.summary
    assert ev.residuals["max_weight_error"] == pytest.approx(factor * CONSTRUCTION_TOL, rel=1e-3)
