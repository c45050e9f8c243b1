"""The gate-class certificate's run-time controls and the optimiser's objective check (issue 10).

Each catalogue pattern of the gate classes that the default model cannot see on its own is planted here
with the catalogue's own anchor and replacement (applied to a copy of the module's source, never to the
working tree), and the test asserts that the control or the certificate catches it, and that the A3/A4/A6
checks then report a tool error or an uncertified optimum — never a refutation.
"""

from __future__ import annotations

import importlib
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import tomllib
from glaverify.numerics import gating as G
from glaverify.numerics.gating import certificate as CERT
from glaverify.numerics.gating import controls as CTRL
from glaverify.numerics.gating import reduced as RED
from glaverify.proofs_check.checks import gating as C
from glaverify.proofs_check.evidence import Verdict

CATALOGUE = Path(__file__).resolve().parents[1] / "mutation" / "catalogue.toml"


def _pattern(pid: str) -> dict:
    data = tomllib.loads(CATALOGUE.read_text())
    for section in ("stable", "moving"):
        for m in data.get(section, []):
            if m["id"] == pid:
                return m
    raise KeyError(pid)


def mutated(pid: str) -> types.ModuleType:
    """The module of catalogue pattern ``pid`` with its anchor replaced (exactly once), as a new module."""
    pat = _pattern(pid)
    name = "glaverify." + pat["file"].removesuffix(".py").replace("/", ".")
    real = importlib.import_module(name)
    src = Path(real.__file__).read_text()
    assert src.count(pat["anchor"]) == 1, f"{pid}: anchor not found exactly once"
    mod = types.ModuleType(name + "_mutant")
    mod.__package__ = real.__package__
    mod.__file__ = real.__file__
    sys.modules[mod.__name__] = mod
    try:
        exec(compile(src.replace(pat["anchor"], pat["replacement"], 1), real.__file__, "exec"), mod.__dict__)
    finally:
        del sys.modules[mod.__name__]
    return mod


def plant(monkeypatch: pytest.MonkeyPatch, pid: str, *names: str) -> None:
    """Install the mutated ``names`` of pattern ``pid`` in the real module (and forget cached controls)."""
    mod = mutated(pid)
    real = importlib.import_module(mod.__name__.removesuffix("_mutant"))
    for n in names:
        monkeypatch.setattr(real, n, getattr(mod, n))
    CTRL._cached_controls.cache_clear()


@pytest.fixture(autouse=True)
def _fresh_controls():
    CTRL._cached_controls.cache_clear()
    yield
    CTRL._cached_controls.cache_clear()


# ---------------------------------------------------------------------------------------------- controls
def test_controls_pass_on_the_shipped_code_and_say_what_they_checked():
    rep = G.certificate_controls()
    assert rep.ok, rep.failures
    names = [o.name for o in rep.outcomes]
    assert any("active-face" in n for n in names) and any("pinned-gates" in n for n in names)
    d = rep.to_dict()
    assert d["ok"] is True and all(c["ok"] for c in d["controls"])


def test_active_face_control_has_its_known_answer():
    """The planted model's class optimum is uniform with an active between-block row (positive multiplier),
    not the WPGD optimum: the class does not attain WPGD there (a second, independent confirmation)."""
    m = CTRL.control_model()
    co = G.constrained_optimum(m, "delimiter")
    assert np.allclose(co.omega, 1.0) and co.certified
    assert co.certificate.cone.active == 1 and co.certificate.cone.min_multiplier > 0.1
    un = G.constrained_optimum(m, "unconstrained")
    assert un.risk < co.risk - 1e-3  # WPGD strictly better: the constraint is active
    # the multipliers equal the derivatives along the cone generators (finite differences)
    w = np.ones(m.n)
    grad, scale = CERT.profile_gradient_parts(m, w)
    fd = CTRL._fd_multipliers(m, w, float(np.max(np.abs(m.query_corr))) ** 2, scale)
    assert np.max(np.abs(CERT.cone_multipliers(grad, scale) - fd)) <= CTRL.FD_TOL


def test_a_control_catches_an_optimiser_that_misses_the_active_face():
    """A planted optimiser returning the (non-realisable) WPGD optimum for the class fails the control."""

    def wrong(model, kind):
        return G.constrained_optimum(model, "unconstrained")

    rep = G.certificate_controls(optimum=wrong)
    assert not rep.ok and any("active-face" in f for f in rep.failures)


def test_prefix_sum_multipliers_fail_the_controls(monkeypatch):
    plant(monkeypatch, "gate-cert-prefix-sums", "cone_multipliers")
    rep = G.certificate_controls()
    assert not rep.ok
    failed = " ".join(rep.failures)
    assert "active-face: multipliers" in failed and "planted multipliers, delimiter cone" in failed


def test_cone_without_within_block_equalities_fails_the_controls(monkeypatch):
    plant(monkeypatch, "gate-delimiter-no-within-block", "gate_step_kinds")
    rep = G.certificate_controls()
    assert not rep.ok
    failed = " ".join(rep.failures)
    assert "pinned-gates: delimiter rows" in failed and "planted multipliers, delimiter cone" in failed
    assert "non-block-constant point" in failed


@pytest.mark.parametrize("factor, ok", [(2.0, False), (0.5, True)])
def test_control_fd_tol_near_miss(monkeypatch, factor, ok):
    """A multiplier off by 2·CONTROL_FD_TOL fails the finite-difference control; 0.5× passes it."""
    from glaverify.numerics.tolerances import CONTROL_FD_TOL

    real = CERT.cone_multipliers

    def planted(grad, scale):  # noqa: ANN001, ANN202
        mu = real(grad, scale).copy()
        mu[1] += factor * CONTROL_FD_TOL
        return mu

    monkeypatch.setattr(CERT, "cone_multipliers", planted)
    rep = G.certificate_controls()
    (fd,) = [o for o in rep.outcomes if o.name == "active-face: multipliers"]
    assert fd.ok is ok, fd


@pytest.mark.parametrize("pid, names", [
    ("gate-cert-prefix-sums", ("cone_multipliers",)),
    ("gate-delimiter-no-within-block", ("gate_step_kinds",)),
])  # fmt: skip
def test_checks_report_a_tool_error_not_a_refutation(monkeypatch, make_ctx, pid, names):
    """On the default model (the class attains WPGD, every multiplier is 0) only the controls can see these
    bugs: A3, A4 and A6 then return a tool error, never a verdict about the theory."""
    plant(monkeypatch, pid, *names)
    for fn in (C.a3_certified, C.a4_certified, C.a6_certified):
        ev = fn(make_ctx())
        assert ev.verdict is Verdict.INCONCLUSIVE and ev.tool_error, (fn.__name__, ev.summary)
        assert "control failed" in ev.tool_error
        assert ev.details["controls"]["ok"] is False


def test_checks_record_the_controls_when_they_pass(make_ctx):
    for fn in (C.a3_certified, C.a4_certified, C.a6_certified):
        ev = fn(make_ctx())
        assert ev.verdict is Verdict.CERTIFIED, ev.summary
        assert ev.details["controls"]["ok"] is True


# ------------------------------------------------------------------------- the optimiser's objective
def test_objective_residuals_are_round_off_on_the_shipped_code():
    from glaverify.numerics.config import default_model_config
    from glaverify.numerics.model import DataModel

    m = DataModel.from_config(default_model_config(4, 12))
    for kind in ("free", "delimiter", "unconstrained"):
        cert = G.constrained_optimum(m, kind).certificate
        assert cert.objective <= 1e-12 and cert.ranking <= 1e-12


def test_gain_with_lambda_instead_of_lambda_squared_is_a_tool_error(monkeypatch, make_ctx):
    """`gate-red-gain-power`: the gain only ranks the candidate fixed points, and on the default model the
    winner is unchanged, so the reported risk is right; the certificate compares the gain with the closed
    form s − L*(E u) and catches it (A3 and A4: a tool error, never a refutation)."""
    plant(monkeypatch, "gate-red-gain-power", "BlockReduction")
    monkeypatch.setattr(sys.modules["glaverify.numerics.gating.optima"], "BlockReduction", RED.BlockReduction)
    from glaverify.numerics.config import default_model_config
    from glaverify.numerics.model import DataModel

    m = DataModel.from_config(default_model_config(4, 12))
    co = G.constrained_optimum(m, "delimiter")
    assert co.certificate.objective > 1e-3 and not co.certified
    ev = C.a3_certified(make_ctx())
    assert ev.verdict is Verdict.INCONCLUSIVE and ev.tool_error and "closed-form risk" in ev.tool_error
    ev4 = C.a4_certified(make_ctx())
    assert ev4.verdict is Verdict.INCONCLUSIVE and ev4.tool_error and not ev4.counterexample


@pytest.mark.parametrize("rho_scale", [1.0, 1e-120])
def test_objective_near_miss_around_cert_tol(rho_scale):
    """A gain off by 2·CERT_TOL (relative) fails the certificate, one off by 0.5·CERT_TOL passes — at the
    default ρ and at ρ scaled by 1e-120 (the comparison is scale-free: no subtraction from s)."""
    from glaverify.numerics.gating.optima import objective_residuals
    from glaverify.numerics.tolerances import CERT_TOL
    from glaverify.proofs_check.checks.gating import star_model

    rho = [rho_scale * x for x in (0.2, 0.55, 0.9)]
    m = star_model([4, 4, 4], rho, d=4, eigenvalues=[0.5, 1.0, 1.5, 2.0])
    red = RED.BlockReduction.of(m)
    sol = RED.reduced_class_optimum(red, RED.reduced_cone("delimiter", red.K)).solution
    assert max(objective_residuals(m, red, (sol,), sol)) <= 1e-14
    for factor, caught in ((2.0, True), (0.5, False)):
        class Shifted(RED.BlockReduction):
            def gain(self, u, f=factor):  # noqa: ANN001, ANN202
                return super().gain(u) * (1 + f * CERT_TOL)

        obj, _ = objective_residuals(m, Shifted.of(m), (sol,), sol)
        assert (obj > CERT_TOL) is caught, (factor, obj)


def test_ranking_catches_a_winner_that_is_not_the_best_candidate():
    from glaverify.numerics.gating.optima import objective_residuals

    m = CTRL.control_model()
    red = RED.BlockReduction.of(m)
    g = 1.0 + m.s
    best = RED.solve_cone_qp(red, RED.reduced_cone("delimiter", red.K), g, 1)
    worse = RED.ReducedSolution(g, 1, np.array([0.5, 1.0]) / (red.c_unit @ (red.sizes * [0.5, 1.0])),
                                0.0, 0.0, 0.0)  # fmt: skip
    _, ok = objective_residuals(m, red, (best, worse), best)
    _, bad = objective_residuals(m, red, (best, worse), worse)
    assert ok == 0.0 and bad > 1e-3
