"""Tests of the WPGD landscape (R4, R5, R6 certificate, R7): routes, certificate, planted errors, CLI."""

from __future__ import annotations

import json

import cvxpy as cp
import numpy as np
import pytest
from glaverify.numerics import landscape as ls
from glaverify.numerics.closed_forms import optimal_preconditioner, profile_risk, risk_coefficients
from glaverify.numerics.config import default_model_config, load_config
from glaverify.numerics.errors import InputError
from glaverify.numerics.model import DataModel
from glaverify.numerics.strategies import data_models
from glaverify.proofs_check.checks import landscape as checks
from glaverify.proofs_check.context import CheckContext
from glaverify.proofs_check.evidence import Verdict
from hypothesis import HealthCheck, given, settings

FAST = settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


@pytest.fixture(scope="module")
def model() -> DataModel:
    return DataModel.from_config(default_model_config(4, 12))


@pytest.fixture(scope="module")
def star() -> DataModel:
    return DataModel.from_config(load_config("examples/star.toml").model)


def ctx_for(cfg=None, **options) -> CheckContext:
    return CheckContext(model_config=cfg or default_model_config(4, 12), quick=True, options=options)


def small_general_model(seed: int = 3, d: int = 3, sizes=(2, 1, 2)) -> DataModel:
    rng = np.random.default_rng(seed)
    K = len(sizes)
    U = rng.standard_normal((K + 1, K + 1))
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    C = U @ U.T
    np.fill_diagonal(C, 1.0)
    A = rng.standard_normal((d, d))
    return DataModel.create(A @ A.T + 0.3 * np.eye(d), C, list(sizes), 0.2)


# ------------------------------------------------------------------------ calculus
def test_profile_gradient_and_hessian_match_finite_differences():
    m = small_general_model()
    w = np.random.default_rng(0).standard_normal(m.n)
    h = 1e-5
    e = np.eye(m.n)
    fd_g = np.array(
        [(profile_risk(m, w + h * e[i]) - profile_risk(m, w - h * e[i])) / (2 * h) for i in range(m.n)]
    )
    assert np.allclose(ls.profile_gradient(m, w), fd_g, atol=1e-7)
    fd_H = np.array(
        [
            (ls.profile_gradient(m, w + h * e[i]) - ls.profile_gradient(m, w - h * e[i])) / (2 * h)
            for i in range(m.n)
        ]
    )
    assert np.allclose(ls.profile_hessian(m, w), 0.5 * (fd_H + fd_H.T), atol=1e-6)


def test_analytic_full_hessian_equals_autograd():
    m = small_general_model(seed=5)
    rng = np.random.default_rng(1)
    P, w = rng.standard_normal((m.d, m.d)), rng.standard_normal(m.n)
    assert np.allclose(ls.full_hessian_analytic(m, P, w), ls.full_hessian(m, P, w), rtol=1e-12, atol=1e-10)


def test_schur_complement_is_profile_hessian_and_restricted_spectra_agree():
    """At P = P*(ω): H_ωω − H_ωP H_PP⁻¹ H_Pω = ∇²L*(ω); at the optimum the restricted full Hessian is PD
    iff H_PP ≻ 0 and ∇²L* ≻ 0 on ω^⊥ (docs/landscape.md)."""
    m = small_general_model(seed=7)
    w = np.random.default_rng(2).standard_normal(m.n)
    P = optimal_preconditioner(m, w)
    H = ls.full_hessian(m, P, w)  # torch autograd: independent of the analytic formulas
    k = m.d * m.d
    S = H[k:, k:] - H[k:, :k] @ np.linalg.solve(H[:k, :k], H[:k, k:])
    assert np.allclose(S, ls.profile_hessian(m, w), atol=1e-9 * np.abs(S).max())
    res = ls.certify(m, np.random.default_rng(0), starts=3)
    assert res.verdict == "certified"
    full = ls.restricted_full_spectrum(m, res.P, res.omega, hessian=ls.full_hessian)
    prof = ls.restricted_profile_spectrum(m, res.omega)
    assert full[0] > 0 and prof[0] > 0 and ls.hpp_min_eigenvalue(m, res.omega) > 0
    # the scaling direction is in the kernel of the full Hessian
    t = np.concatenate([-res.P.ravel(), res.omega])
    assert np.linalg.norm(ls.full_hessian_analytic(m, res.P, res.omega) @ t) < 1e-9 * np.linalg.norm(t)
    # and at a non-stationary point the Schur identity still holds but the kernel relation does not
    assert res.certificate["hessian"]["full_restricted"]["min"] == pytest.approx(full[0], rel=1e-8)


def test_block_reduction_of_the_curve_matches_dense_solve(star):
    for g in (1.0, 3.7, 50.0):
        dense = np.linalg.solve(star.R + g * np.eye(star.n), star.r)
        assert np.allclose(ls.curve_omega(star, g), dense, atol=1e-13)


def test_quotient_normalisation():
    r = np.array([1.0, 0.5, 0.0])
    w = ls.normalise(np.array([-2.0, -4.0, 1.0]), r)
    assert np.max(np.abs(w)) == 1.0 and r @ w > 0
    with pytest.raises(InputError):
        ls.normalise(np.zeros(3), r)


# ------------------------------------------------------------------------ routes
def test_three_routes_agree_on_default_model(model):
    res = ls.certify(model, np.random.default_rng(0), starts=4)
    assert res.verdict == "certified", res.reason
    for route in ("curve", "multistart", "cvxpy"):
        a = res.certificate["routes"][route]
        assert abs(a["risk_diff"]) <= 1e-8 and a["omega_dist"] <= 1e-6
    lo, hi = ls.gamma_bracket(model)
    assert lo <= res.gamma <= hi
    assert res.certificate["cvxpy"]["status"] == "optimal"
    assert res.certificate["cvxpy"]["kkt_residual"] < 1e-7


@given(data_models(max_d=4, max_n=8, max_condition=1e3))
@FAST
def test_routes_agree_whenever_certified(m):
    res = ls.certify(m, np.random.default_rng(0), starts=3)
    if res.verdict == "certified" and res.unique:
        for a in res.certificate["routes"].values():
            assert abs(a["risk_diff"]) <= 1e-8 * max(1.0, res.risk)
            assert a["omega_dist"] <= 1e-6
    assert res.verdict != "refuted", res.counterexample


@given(data_models(max_d=5, max_n=10, max_condition=1e6))
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_stationary_gammas_lie_in_the_tight_bracket(m):
    if ls.r_is_zero(m):
        return
    lo, hi = ls.gamma_bracket(m)
    cr = ls.curve_route(m, bracket=(1.0, 100 * hi), grid_size=600, classify=False)
    for p in cr.stationary:
        if np.isfinite(p.gamma):
            assert lo * (1 - 1e-9) <= p.gamma <= hi * (1 + 1e-9)


def test_curve_finds_every_root_of_a_planted_three_root_map():
    """Plant a fixed-point map with three roots: the curve route must report all three stationary points."""
    m = small_general_model(seed=11)
    lo, hi = ls.gamma_bracket(m)
    g1, g2, g3 = np.exp(np.linspace(np.log(lo), np.log(hi), 5)[1:4])

    spec = ls.CurveSpectrum.of(m)
    grid = np.exp(np.linspace(np.log(lo), np.log(hi), 4000))
    _, aa, _ = spec.coefficients(grid)

    def gmap(lam, s, a, b):  # γ − Γ = (γ−g1)(γ−g2)(γ−g3)/γ²; γ recovered from a (monotone on the curve)
        gam = np.interp(a, aa[::-1], grid[::-1]) if aa[0] > aa[-1] else np.interp(a, aa, grid)
        return gam - (gam - g1) * (gam - g2) * (gam - g3) / gam**2

    assert np.all(np.diff(aa) < 0) or np.all(np.diff(aa) > 0)
    cr = ls.curve_route(m, gamma_map=gmap, grid_size=400)
    found = sorted(p.gamma for p in cr.stationary)
    assert len(found) == 3
    assert np.allclose(found, [g1, g2, g3], rtol=1e-3)


# ------------------------------------------------------------------------ ScalarisedFamily
def test_scalarised_family_is_dpp_and_matches_curve(model):
    fam = ls.ScalarisedFamily(model)
    assert fam.is_dpp()
    theta = 0.6
    sol = fam.solve(theta)
    assert sol.certified and sol.status == "optimal"
    assert sol.kkt_residual < 1e-7 and sol.duality_gap < 1e-7
    w_curve = ls.curve_omega(model, fam.gamma_of(theta))
    assert ls.quotient_distance(sol.omega, w_curve, model.r) < 1e-7
    assert abs(fam.r_unit @ sol.omega - 1) < 1e-9 and np.max(np.abs(fam.r_unit)) == 1.0


def test_scalarised_family_with_cone_constraints_and_negative_sign(star):
    fam = ls.ScalarisedFamily(star, extra_constraints=lambda w: [cp.diff(w) >= 0, w >= 0], sign=+1)
    opt = ls.optimise_scalarised(fam, grid_size=10)
    assert opt.certified
    assert np.all(np.diff(opt.omega) >= -1e-7)
    assert opt.solution.kkt_residual < 1e-6
    neg = ls.ScalarisedFamily(star, extra_constraints=lambda w: [cp.diff(w) >= 0, w >= 0], sign=-1)
    sol = neg.solve(0.5)  # rᵀω = −1 with ω ≥ 0 and r ≥ 0 is infeasible: never a certificate
    assert not sol.certified and sol.status != "optimal"


def test_non_optimal_status_is_not_a_certificate(model):
    fam = ls.ScalarisedFamily(model)
    orig = fam.problem.solve

    def inaccurate(*a, **k):  # the solver returns a point but only "optimal_inaccurate"
        out = orig(*a, **k)
        fam.problem._status = "optimal_inaccurate"
        return out

    fam.problem.solve = inaccurate
    sol = fam.solve(0.5)
    assert sol.omega is not None
    assert sol.status != "optimal" and not sol.certified
    opt = ls.optimise_scalarised(fam, grid_size=4)
    assert not opt.certified


def test_bad_sign_and_theta_are_input_errors(model):

    with pytest.raises(InputError):
        ls.ScalarisedFamily(model, sign=0)
    with pytest.raises(InputError):
        ls.ScalarisedFamily(model).solve(1.5)


# ------------------------------------------------------------------------ checks + planted errors
def test_r4_check_certified(model):
    ev = checks.r4_numeric(ctx_for())
    assert ev.verdict is Verdict.CERTIFIED, ev.summary


def _inverted_map(lam, s, a, b):
    den = (a[:, None] * lam[None, :] + b[:, None]) ** 2
    return 1.0 + s * (lam**3 / den).sum(1) / (lam**2 / den).sum(1)  # F3/F2 instead of F2/F3


def _no_one_map(lam, s, a, b):
    return ls.gamma_map_r4(lam, s, a, b) - 1.0  # "1 +" dropped


@pytest.mark.parametrize("gmap", [_inverted_map, _no_one_map])
def test_r4_refutes_wrong_fixed_point(gmap):
    ev = checks.r4_numeric(ctx_for(r4_gamma_map=gmap))
    assert ev.verdict is Verdict.REFUTED, ev.summary
    assert ev.counterexample


def test_r4_refutes_preconditioner_with_a_and_b_swapped():
    def swapped(m, w):
        co = risk_coefficients(m, w)
        lam, v = m.sigma_eig
        return (v * (co.rw / (co.b * lam + co.a))) @ v.T

    ev = checks.r4_numeric(ctx_for(r3_preconditioner=swapped))
    assert ev.verdict is Verdict.REFUTED and "stationary" in ev.summary


def test_r5_check_and_planted_closed_form():
    assert checks.r5_numeric(ctx_for()).verdict is Verdict.CERTIFIED

    def wrong(m):  # 1 + d replaced by d
        lv = float(m.eigenvalues[0])
        g = m.d + m.noise_var / lv
        w = ls.curve_omega(m, g)
        return w, m.d * lv + m.noise_var - m.d * lv * float(m.r @ w)

    ev = checks.r5_numeric(ctx_for(r5_closed_form=wrong))
    assert ev.verdict is Verdict.REFUTED


def test_r6_certificate_refutes_duplicated_inequivalent_minimum(model):
    res = ls.certify(model, np.random.default_rng(0), starts=3)
    fake = ls.Minimum(res.omega[::-1].copy(), res.risk, "planted")
    bad = ls.certify(model, np.random.default_rng(0), starts=3, extra_minima=[fake])
    assert bad.verdict == "refuted" and bad.counterexample["quotient_distance"] > 0.1
    ev = checks.r6_certificate(ctx_for(r6_extra_minima=[fake]))
    assert ev.verdict is Verdict.REFUTED


def test_decide_uniqueness_refutes_nonglobal_strict_local_minimum():
    r = np.ones(3)
    glob = ls.Minimum(np.array([1.0, 1.0, 1.0]), 1.0, "a")
    loc = ls.Minimum(np.array([1.0, 0.0, 0.5]), 1.5, "b")
    dec = ls.decide_uniqueness([glob], r, 1.0, 1.0, strict_local_nonglobal=[loc])
    assert dec.verdict == "refuted" and "not global" in dec.reason
    assert ls.decide_uniqueness([glob], r, 1.0, 1.0).verdict == "certified"
    assert ls.decide_uniqueness([glob], r, 0.0, 1.0).verdict == "inconclusive"
    # in gain mode (scale-free) the tolerance is relative to the gain, however small it is
    g1 = ls.Minimum(np.array([1.0, 1.0, 1.0]), 1.0, "a", gain=1e-12)
    g2 = ls.Minimum(np.array([1.0, 0.0, 0.5]), 1.0, "b", gain=0.5e-12)
    assert ls.decide_uniqueness([g1, g2], r, 1.0, 1.0).verdict == "certified"
    g3 = ls.Minimum(np.array([1.0, 0.0, 0.5]), 1.0, "b", gain=1e-12)
    assert ls.decide_uniqueness([g1, g3], r, 1.0, 1.0).verdict == "refuted"


def test_tiny_r_is_certified_not_falsely_refuted():
    """|r| ~ 1e-7: L* − s ~ 1e-14, below the rounding of s; the comparisons use scale-free gains."""
    rng = np.random.default_rng(0)
    U = rng.standard_normal((4, 4))
    U[:3, 3] = [1e-7, -2e-7, 1.5e-7]  # block tasks nearly orthogonal to the query task e_4
    U[3] = [0.0, 0.0, 0.0, 1.0]
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    C = U @ U.T
    np.fill_diagonal(C, 1.0)
    m = DataModel.create(np.diag([0.3, 1.0, 4.0]), C, [2, 3, 2], 0.05)
    assert 0 < np.max(np.abs(m.r)) < 1e-6
    res = ls.certify(m, np.random.default_rng(0), starts=3)
    assert res.verdict == "certified", res.reason
    assert res.certificate["r_scale"] < 1e-6 and res.risk < m.s


def test_r_zero_is_the_non_unique_clause():
    C = np.eye(3)  # two blocks uncorrelated with the query: r = 0
    m = DataModel.create(np.diag([1.0, 2.0]), C, [2, 3], 0.1)
    res = ls.certify(m)
    assert not res.unique and res.verdict == "certified" and res.risk == pytest.approx(m.s)
    ev = checks.r6_certificate_record(ctx_for(), m)
    assert ev.verdict is Verdict.CERTIFIED and "non-unique" in ev.summary


def test_r6_certificate_check_default(model):
    ev = checks.r6_certificate(ctx_for())
    assert ev.verdict is Verdict.CERTIFIED
    assert ev.residuals["hessian_min"] > 0


# ------------------------------------------------------------------------ R7
def test_r7_check_and_metamorphic_relations(star):
    from glaverify.numerics.config import load_config as lc

    ev = checks.r7_numeric(CheckContext(model_config=lc("examples/star.toml").model, quick=True))
    assert ev.verdict is Verdict.CERTIFIED, ev.summary
    # per-example model with examples permuted within a block: same optimum
    per = DataModel.from_example_correlation(star.sigma, star.C, star.noise_var)
    w = ls.certify(per, np.random.default_rng(0), starts=2, use_cvxpy=False).omega
    perm = np.arange(star.n)
    perm[:4] = perm[:4][::-1]
    idx = np.concatenate([perm, [star.n]])
    per_p = DataModel.from_example_correlation(star.sigma, star.C[np.ix_(idx, idx)], star.noise_var)
    w_p = ls.certify(per_p, np.random.default_rng(1), starts=2, use_cvxpy=False).omega
    assert np.max(np.abs(w_p - w[perm])) < 1e-8 and np.max(np.abs(w_p - w)) < 1e-8


def test_r7_refutes_planted_non_block_constant_optimum():
    def bad(m, rng):
        w = ls.curve_omega(m, ls.gamma_bracket(m)[0])
        return w + 1e-2 * np.arange(m.n)

    ev = checks.r7_numeric(ctx_for(r7_optimum=bad))
    assert ev.verdict is Verdict.REFUTED


def test_r7_default_route_does_not_assume_block_constancy(monkeypatch):
    """The default R7 route optimises all n weights: tilt L* by a term that favours example 0 over its block
    neighbours, and the route must find a non-block-constant optimum (R7 refuted), which a block-reduced
    route could never report."""
    from glaverify.numerics.landscape import multistart as msmod

    orig_gain, orig_grad = msmod.profile_gain, msmod.profile_gradient

    def gain(m, w, r=None):  # + 0.05 ω₀²/‖ω‖²: scale-free, like L*
        return orig_gain(m, w, r) + 0.05 * float(w[0]) ** 2 / float(w @ w)

    def grad(m, w, r=None):  # of L* = −gain
        sq = float(w @ w)
        g = orig_grad(m, w, r) + 0.1 * float(w[0]) ** 2 * w / sq**2
        g[0] -= 0.1 * float(w[0]) / sq
        return g

    monkeypatch.setattr(msmod, "profile_gain", gain)
    monkeypatch.setattr(msmod, "profile_gradient", grad)
    monkeypatch.setattr(msmod, "newton_polish", lambda m, w, iters=8: ls.normalise(w, m.r))  # true L* Newton
    monkeypatch.setattr(checks, "R7_DENSE_MAX_N", 0)  # the tilt is planted in the L-BFGS route only
    ev = checks.r7_numeric(ctx_for())
    assert ev.verdict is Verdict.REFUTED, ev.summary
    assert ev.residuals["within_block_spread"] > 1e-4


# ------------------------------------------------------------------------ CLI
def test_cli_landscape_json_and_section_hook():
    from glaverify.proofs_check.cli import app
    from glaverify.proofs_check.commands import landscape as cmd
    from typer.testing import CliRunner

    cmd.add_landscape_section("gla_test", lambda m, res: {"risk": res.risk + 1.0})
    try:
        out = CliRunner().invoke(app, ["landscape", "--config", "examples/star.toml", "--json"])
        assert out.exit_code == 0, out.output
        data = json.loads(out.stdout)
        assert data["wpgd"]["verdict"] == "certified"
        assert set(data["wpgd"]) >= {"risk", "omega", "P", "gamma", "certificate", "verdict"}
        assert set(data["linatt"]) >= {"risk", "omega", "P"}
        assert data["linatt"]["risk"] >= data["wpgd"]["risk"]
        assert data["gla_test"]["risk"] == pytest.approx(data["wpgd"]["risk"] + 1.0)
    finally:
        cmd._SECTIONS.pop("gla_test", None)
    with pytest.raises(ValueError):
        cmd.add_landscape_section("wpgd", lambda m, r: {})


def test_cli_landscape_bad_input_exit_2():
    from glaverify.proofs_check.cli import app
    from typer.testing import CliRunner

    out = CliRunner().invoke(app, ["landscape", "--d", "0"])
    assert out.exit_code == 2


def test_cli_landscape_rejects_unknown_landscape_key(tmp_path):
    from glaverify.proofs_check.cli import app
    from typer.testing import CliRunner

    cfg = tmp_path / "c.toml"
    cfg.write_text(open("examples/star.toml").read() + "\n[landscape]\nbogus = 1\n")
    out = CliRunner().invoke(app, ["landscape", "--config", str(cfg)])
    assert out.exit_code == 2 and "landscape.bogus" in out.output
    cfg.write_text(open("examples/star.toml").read() + "\n[landscape]\nstarts = 2\ncvxpy = false\n")
    out = CliRunner().invoke(app, ["landscape", "--config", str(cfg), "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert "cvxpy" not in data["wpgd"]["certificate"]["routes"]
    assert data["wpgd"]["certificate"]["multistart"]["starts"] == 2


def test_cli_landscape_r_zero_reports_the_non_unique_case_for_every_section(tmp_path):
    """R6's r = 0 clause: a valid config, not an error; every class's best risk is tr Σ + σ²."""
    from glaverify.proofs_check.cli import app
    from typer.testing import CliRunner

    cfg = tmp_path / "r0.toml"
    cfg.write_text(
        "[model]\nd = 3\nn = 4\nnoise_var = 0.1\n[model.features]\ncovariance = 'diagonal'\n"
        "eigenvalues = [0.5, 1.0, 2.0]\n[model.tasks]\nfamily = 'custom'\nblock_sizes = [2, 2]\n"
        "correlation = [[1.0, 0.3, 0.0], [0.3, 1.0, 0.0], [0.0, 0.0, 1.0]]\n"
    )
    out = CliRunner().invoke(app, ["landscape", "--config", str(cfg), "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    s = 3.5 + 0.1
    assert data["wpgd"]["verdict"] == "certified" and data["wpgd"]["unique"] is False
    assert data["wpgd"]["risk"] == pytest.approx(s)
    for name in ("gla_free", "gla_delimiter", "gla_vector"):
        assert data[name]["risk"] == pytest.approx(s) and "r = 0" in data[name]["note"]
