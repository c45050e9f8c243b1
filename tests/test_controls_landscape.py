"""The landscape self-checks and controls (numerics/landscape/selfcheck.py) catch planted faults of our own
code, and the R4/R5/R6 checks report them as tool errors, never as refutations (issue 10, mutation patterns
ls-*; docs/landscape.md "Self-checks of the core"). Near-miss plants for RISK_RTOL, HESS_RTOL and the two
self-check tolerances: an error just above the tolerance is caught, just below passes."""

from __future__ import annotations

import time

import numpy as np
import pytest
from glaverify.numerics import landscape as ls
from glaverify.numerics import tolerances as T
from glaverify.numerics.closed_forms import profile_risk
from glaverify.numerics.config import default_model_config
from glaverify.numerics.landscape import certificate, curve, reduced, selfcheck
from glaverify.numerics.model import DataModel
from glaverify.proofs_check.checks import landscape as checks
from glaverify.proofs_check.context import CheckContext
from glaverify.proofs_check.evidence import Verdict
from test_landscape import small_general_model  # the same random general model (Σ full, C random)

ABOVE, BELOW = 2.0, 0.5  # factors of a tolerance for a planted error


def ctx_for(**options) -> CheckContext:
    return CheckContext(model_config=default_model_config(4, 12), quick=True, options=options)


@pytest.fixture(scope="module")
def model() -> DataModel:
    return DataModel.from_config(default_model_config(4, 12))


@pytest.fixture(scope="module")
def optimum(model) -> np.ndarray:
    return ls.certify(model, np.random.default_rng(0), starts=3, use_cvxpy=False).omega


def assert_tool_error(ev, *words):
    assert ev.verdict is Verdict.INCONCLUSIVE and ev.tool_error, (ev.verdict, ev.summary)
    for w in words:
        assert w in ev.tool_error, ev.tool_error


# ------------------------------------------------------------------ correct code: everything consistent
def test_controls_pass_and_are_cheap():
    t0 = time.perf_counter()
    out = selfcheck.landscape_controls()
    assert time.perf_counter() - t0 < 2.0  # generous under load; measured ~2 ms (docs/reliability.md)
    assert [c.ok for c in out] == [True] * 5, [c.to_dict() for c in out]
    saddle, minimum = out[0], out[1]
    assert saddle.details["dense_restricted_min"] < -0.1 and minimum.details["dense_restricted_min"] > 0.1


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_core_cross_check_consistent_on_random_models(seed):
    m = small_general_model(seed, sizes=(3, 1, 2))
    w = ls.certify(m, np.random.default_rng(seed), starts=2, use_cvxpy=False).omega
    for dense_max_n in (0, 200):  # the O(n) routes alone, and with the dense reference
        cc = selfcheck.core_cross_check(m, w, np.random.default_rng(seed), dense_max_n=dense_max_n)
        assert cc.ok, cc.failures
        assert cc.dense is (dense_max_n > 0)


def test_core_cross_check_large_n_has_no_dense_matrix(monkeypatch):
    C = np.array([[1, 0.3, 0.6], [0.3, 1, 0.4], [0.6, 0.4, 1.0]])
    m = DataModel.create(np.diag([0.5, 1.0]), C, [300, 200], 0.1)

    def refuse(*a, **k):
        raise AssertionError("the dense reference must not run for n > CORE_DENSE_MAX_N")

    monkeypatch.setattr(ls.dense, "profile_hessian", refuse)
    w = ls.certify(m, np.random.default_rng(0), starts=2, use_cvxpy=False).omega
    cc = selfcheck.core_cross_check(m, w, np.random.default_rng(0))
    assert cc.ok and not cc.dense, cc.failures


def test_default_checks_keep_their_verdicts():
    assert checks.r4_numeric(ctx_for()).verdict is Verdict.CERTIFIED
    ev = checks.r6_certificate(ctx_for())
    assert ev.verdict is Verdict.CERTIFIED
    assert ev.details["self_checks"]["core_cross_check"]["ok"]
    assert checks.r5_numeric(ctx_for()).verdict is Verdict.CERTIFIED


# ------------------------------------------------------------------ planted faults of the core (ls-red-*)
def _gain_noise(model, omega, r=None):  # ls-gain-noise: σ² dropped from b in the core's gain
    red = reduced.reduction(model)
    w = np.asarray(omega, dtype=np.float64)
    sq = float(w @ w)
    u = red.block_sums(w)
    rr = np.asarray(model.r) if r is None else r
    a = float(u @ red.C @ u) + sq
    lam = red.lam
    return float(rr @ w) ** 2 * float(np.sum(lam**2 / (a * lam + (red.s - model.noise_var) * sq)))


def _gradient_noise(model, omega, r=None):  # ls-red-gradient-noise: s F₂ω written F₂ω
    red = reduced.reduction(model)
    w = np.asarray(omega, dtype=np.float64)
    rr = np.asarray(model.r) if r is None else r
    Rw = red.apply_R(w)
    t = reduced.profile_terms(red.lam, red.s, float(rr @ w), float(w @ Rw), float(w @ w))
    return -2 * t.c * t.f * rr + 2 * t.c**2 * (t.F3 * (Rw + w) + t.F2 * w)


def _hessian_plant(kind):
    orig = reduced.profile_hessian_structured

    def planted(model, omega, r=None):
        S = orig(model, omega, r)
        red = reduced.reduction(model)
        if kind == "alpha":  # ls-red-within-block-alpha: α = 2c²F₃ (s F₂ dropped)
            w = np.asarray(omega, dtype=np.float64)
            rr = np.asarray(model.r) if r is None else r
            t = reduced.profile_terms(red.lam, red.s, float(rr @ w), float(w @ red.apply_R(w)), float(w @ w))
            return reduced.StructuredHessian(S.H_V, 2 * t.c**2 * t.F3, S.n, S.omega_coords, S.w_direction)
        if kind == "omega_w" and S.w_direction is not None:  # ls-red-omega-w-dropped: ‖ω_W‖ → 0
            wm = np.append(S.omega_coords[:-1], 0.0)
            Gm = np.zeros((red.K + 1, red.K + 1))
            Gm[: red.K, : red.K] = red.G
            rm = np.append(red.coords(r) if r is not None else red.r_coords, 0.0)
            H, alpha = reduced.small_hessian(Gm, rm, wm, red.lam, red.s)
            return reduced.StructuredHessian(H, alpha, S.n, S.omega_coords, S.w_direction)
        return S

    return planted


@pytest.mark.parametrize("plant", ["gain", "gradient", "alpha", "omega_w"])
def test_core_cross_check_catches_planted_core_faults(monkeypatch, model, optimum, plant):
    if plant == "gain":
        monkeypatch.setattr(selfcheck, "profile_gain", _gain_noise)
    elif plant == "gradient":
        monkeypatch.setattr(selfcheck, "profile_gradient", _gradient_noise)
    else:
        monkeypatch.setattr(selfcheck, "profile_hessian_structured", _hessian_plant(plant))
    for dense_max_n in (0, 200):  # caught by the O(n) routes alone too (what runs at large n)
        cc = selfcheck.core_cross_check(model, optimum, np.random.default_rng(0), dense_max_n=dense_max_n)
        assert not cc.ok
        if plant == "omega_w":  # only the non-block-constant point sees the within-block part
            assert all("random" in f for f in cc.failures), cc.failures


@pytest.mark.parametrize("plant", ["gain", "gradient", "alpha", "omega_w"])
def test_checks_report_core_faults_as_tool_errors(monkeypatch, plant):
    if plant == "gain":
        for mod in (selfcheck, curve, certificate, reduced):
            monkeypatch.setattr(mod, "profile_gain", _gain_noise)
    elif plant == "gradient":
        monkeypatch.setattr(selfcheck, "profile_gradient", _gradient_noise)
    else:
        monkeypatch.setattr(selfcheck, "profile_hessian_structured", _hessian_plant(plant))
    assert_tool_error(checks.r4_numeric(ctx_for()), "self-check")
    assert_tool_error(checks.r6_certificate(ctx_for()), "self-check")


# ------------------------------------------------------------------ curve route, normalisation
def _curve_shift(model, gamma, spec=None):  # ls-curve-shift: (R + (γ−1)I)⁻¹r
    spec = spec or curve.CurveSpectrum.of(model)
    if not np.isfinite(gamma):
        return np.asarray(model.r, dtype=np.float64).copy()
    u = (spec.V @ (spec.z / (spec.mu + gamma - 1.0))) / spec.sqrt_n
    return u[reduced.reduction(model).block_index]


def test_curve_shift_is_a_tool_error_not_a_refutation(monkeypatch, model):
    monkeypatch.setattr(curve, "curve_omega", _curve_shift)
    cr = ls.curve_route(model)
    assert selfcheck.curve_point_residuals(model, cr)
    for ev in (checks.r4_numeric(ctx_for()), checks.r6_certificate(ctx_for()), checks.r5_numeric(ctx_for())):
        assert_tool_error(ev, "(R + γI)ω ∝ r")


def test_r4_refutation_needs_the_global_minimiser_off_the_curve(monkeypatch, model):
    # a curve route that finds nothing: the global minimiser solves the equation, so it is our fault
    empty = ls.CurveResult([], [], (1.0, 2.0), False, None, 0)
    monkeypatch.setattr(checks.ls, "curve_route", lambda *a, **k: empty)
    assert_tool_error(checks.r4_numeric(ctx_for()), "no fixed point")
    g, dist = selfcheck.fixed_point_membership(model, ls.certify(model, starts=2, use_cvxpy=False).omega)
    assert dist < 1e-8 and 1.0 < g


def test_r4_still_refutes_a_wrong_fixed_point_map(model):
    def no_one(lam, s, a, b):
        return ls.gamma_map_r4(lam, s, a, b) - 1.0

    ev = checks.r4_numeric(ctx_for(r4_gamma_map=no_one))
    assert ev.verdict is Verdict.REFUTED, ev.summary
    assert ev.counterexample["confirmation"]["global_distance_to_curve"] > 100 * T.OMEGA_TOL


def test_normalisation_invariants(model, optimum):
    assert selfcheck.normalisation_invariants(optimum, model.r) == []
    assert any("rᵀω" in p for p in selfcheck.normalisation_invariants(-optimum, model.r))  # ls-normalise-sign
    assert any("max|ω_i|" in p for p in selfcheck.normalisation_invariants(2 * optimum, model.r))


def test_flipped_normalisation_is_a_tool_error(monkeypatch):
    def flipped(omega, r=None):  # ls-normalise-sign: the representative with rᵀω ≤ 0
        w = np.asarray(omega, dtype=np.float64)
        w = w / float(np.max(np.abs(w)))
        rw = float(r @ w) if r is not None else 0.0
        return w if rw < 0 else -w

    for mod in (ls, ls.quotient, ls.certificate, ls.curve, ls.multistart, ls.scalarised, selfcheck):
        if hasattr(mod, "normalise"):
            monkeypatch.setattr(mod, "normalise", flipped)
    assert_tool_error(checks.r4_numeric(ctx_for()), "rᵀω")
    assert_tool_error(checks.r6_certificate(ctx_for()), "rᵀω")


# ------------------------------------------------------------------ decision rules (controls)
def test_curve_classifier_control_catches_abs(monkeypatch):
    orig = curve.restricted_spectrum_structured

    def absolute(model, omega, r=None):  # ls-hessian-abs: the test reads |λ_min|
        sp = orig(model, omega, r)
        return reduced.StructuredSpectrum(np.sort(np.abs(sp.values)), abs(sp.bulk), sp.bulk_multiplicity)

    monkeypatch.setattr(curve, "restricted_spectrum_structured", absolute)
    saddle, minimum = selfcheck.curve_classifier_control()
    assert not saddle.ok and minimum.ok
    assert_tool_error(checks.r4_numeric(ctx_for()), "curve classifier")
    assert_tool_error(checks.r6_certificate(ctx_for()), "curve classifier")


def test_uniqueness_decision_control_catches_abs(monkeypatch):
    orig = certificate.decide_uniqueness

    def absolute(minima, r, hess_min, hess_scale, *a, **k):  # ls-cert-hess-abs
        return orig(minima, r, abs(hess_min), hess_scale, *a, **k)

    monkeypatch.setattr(selfcheck, "decide_uniqueness", absolute)
    monkeypatch.setattr(certificate, "decide_uniqueness", absolute)
    assert [c.ok for c in selfcheck.uniqueness_decision_control()] == [False, True, True]
    assert_tool_error(checks.r6_certificate(ctx_for()), "negative restricted eigenvalue")


# ------------------------------------------------------------------ near-miss plants
@pytest.mark.parametrize(("factor", "caught"), [(ABOVE, True), (BELOW, False)])
def test_hess_rtol_near_miss_in_the_r6_check(monkeypatch, factor, caught):
    """The certificate's restricted Hessian planted with its smallest eigenvalue at factor·HESS_RTOL of its
    scale: below the tolerance the R6 check must not certify, above it must."""
    orig = certificate.restricted_spectrum_structured

    def planted(model, omega, r=None):
        sp = orig(model, omega, r)
        scale = sp.max_abs
        vals = np.sort(np.append(sp.values[1:], factor * T.HESS_RTOL * scale))
        return reduced.StructuredSpectrum(vals, sp.bulk, sp.bulk_multiplicity)

    monkeypatch.setattr(certificate, "restricted_spectrum_structured", planted)
    ev = checks.r6_certificate(ctx_for())
    assert ev.verdict is (Verdict.CERTIFIED if factor > 1 else Verdict.INCONCLUSIVE), ev.summary
    assert not ev.tool_error


@pytest.mark.parametrize(("factor", "refuted"), [(BELOW, True), (ABOVE, False)])
def test_risk_rtol_near_miss_in_the_r6_check(model, factor, refuted):
    """A second, inequivalent minimiser planted with a value factor·RISK_RTOL (relative) above the global
    one: within the tolerance it is a second global minimiser (refuted), beyond it it is not."""
    res = ls.certify(model, np.random.default_rng(0), starts=3)
    rho, _ = ls.r_scale(model)
    G = ls.profile_gain(model, res.omega, ls.r_scale(model)[1])
    fake = ls.Minimum(res.omega[::-1].copy(), res.risk, "planted", gain=G * (1 - factor * T.RISK_RTOL))
    ev = checks.r6_certificate(ctx_for(r6_extra_minima=[fake]))
    assert ev.verdict is (Verdict.REFUTED if refuted else Verdict.CERTIFIED), ev.summary


@pytest.mark.parametrize(("factor", "caught"), [(ABOVE, True), (BELOW, False)])
def test_risk_rtol_near_miss_in_route_agreement(monkeypatch, factor, caught):
    """One route (multi-start) planted with a gain factor·RISK_RTOL (relative) below the others: beyond the
    tolerance the routes disagree (not certified), within it they agree."""
    orig = certificate.multistart_route

    def planted(model, rng, starts=6):
        ms = orig(model, rng, starts=starts)
        gains = [g * (1 - factor * T.RISK_RTOL) for g in ms.gains]
        return ls.MultiStartResult(**{**ms.__dict__, "gains": gains})

    monkeypatch.setattr(certificate, "multistart_route", planted)
    ev = checks.r6_certificate(ctx_for())
    assert (ev.verdict is Verdict.CERTIFIED) is not caught, ev.summary
    if caught:  # the planted values make the multi-start points look like worse, non-global local minima:
        # the closed form (outside the core) does not confirm that, so it is our fault, never a refutation
        assert_tool_error(ev, "not confirmed")


@pytest.mark.parametrize(("factor", "caught"), [(ABOVE, True), (BELOW, False)])
@pytest.mark.parametrize("what", ["gain", "gradient"])
def test_core_dense_rtol_near_miss(monkeypatch, model, optimum, factor, caught, what):
    if what == "gain":
        orig_g = reduced.profile_gain
        monkeypatch.setattr(selfcheck, "profile_gain",
                            lambda m, w, r=None: orig_g(m, w, r) * (1 + factor * T.CORE_DENSE_RTOL))
    else:
        orig_d = reduced.profile_gradient
        monkeypatch.setattr(selfcheck, "profile_gradient",
                            lambda m, w, r=None: orig_d(m, w, r) * (1 + factor * T.CORE_DENSE_RTOL)
                            + factor * T.CORE_DENSE_RTOL * np.max(np.abs(orig_d(m, w, r))))
    cc = selfcheck.core_cross_check(model, optimum, np.random.default_rng(0), dense_max_n=0)
    assert (not cc.ok) is caught, cc.failures


@pytest.mark.parametrize(("factor", "caught"), [(ABOVE, True), (BELOW, False)])
def test_core_fd_rtol_near_miss(monkeypatch, model, optimum, factor, caught):
    orig = reduced.StructuredHessian.matvec

    def scaled(self, red, x):
        y = orig(self, red, x)
        return y + factor * T.CORE_FD_RTOL * float(np.max(np.abs(y))) * np.sign(y)

    monkeypatch.setattr(reduced.StructuredHessian, "matvec", scaled)
    cc = selfcheck.core_cross_check(model, optimum, np.random.default_rng(0), dense_max_n=0)
    assert (not cc.ok) is caught, cc.failures


@pytest.mark.parametrize(("factor", "caught"), [(ABOVE, True), (BELOW, False)])
def test_confirm_grad_rtol_near_miss(monkeypatch, model, optimum, factor, caught):
    """An R6 counterexample point with Danskin gradient factor·CONFIRM_GRAD_RTOL (relative to gain/‖ω‖):
    above the tolerance the refutation is not confirmed (our fault), below it the point is stationary."""
    rho, _ = ls.r_scale(model)
    w = optimum
    gain = (model.s - profile_risk(model, w)) / rho**2
    e = np.zeros(model.n)
    e[0] = factor * T.CONFIRM_GRAD_RTOL * gain / float(np.linalg.norm(w))
    monkeypatch.setattr(selfcheck, "danskin_gradient", lambda *a, **k: e)
    cex = {"omega_1": w.tolist(), "route_1": "curve", "omega_2": w.tolist(), "route_2": "cvxpy"}
    out = checks._unconfirmed_r6_refutation(model, cex, set())
    assert any("stationary" in o for o in out) is caught, out


def test_full_gradient_fault_is_a_tool_error(monkeypatch, model, optimum):
    """∂L/∂P with the sign of −2cΣ² flipped (the stationarity tests of R4 and R6 read it): the cross-check
    against finite differences of the closed-form L(P, ω) catches it before any refutation."""
    orig = certificate.full_gradient

    def flipped(m, P, omega, r=None):
        gP, gw = orig(m, P, omega, r)
        sig2 = m.sigma @ m.sigma
        c = float((np.asarray(m.r) if r is None else r) @ omega)
        return gP + 4 * c * sig2, gw

    monkeypatch.setattr(selfcheck, "full_gradient", flipped)
    cc = selfcheck.core_cross_check(model, optimum, np.random.default_rng(0), dense_max_n=0)
    assert any("full_gradient" in f for f in cc.failures), cc.failures
    monkeypatch.setattr(checks.ls, "full_gradient", flipped)
    assert_tool_error(checks.r4_numeric(ctx_for()), "self-check")


def test_curve_point_off_the_map_is_caught(model):
    cr = ls.curve_route(model)
    assert selfcheck.curve_point_residuals(model, cr) == []
    p = cr.stationary[0]
    g = p.gamma * 1.01
    moved = ls.CurvePoint(g, p.risk, ls.normalise(ls.curve_omega(model, g), model.r), p.local_min, p.hess_min)
    bad = ls.CurveResult([moved], [], cr.bracket, cr.single_ray, moved, cr.grid_size)
    out = selfcheck.curve_point_residuals(model, bad)
    assert any("not a fixed point" in o for o in out), out


def test_r6_stationarity_refutation_needs_a_stationary_best_point(model, optimum):
    # a "not stationary" counterexample at a point that is not a stationary point of L*: a route fault
    w = optimum.copy()
    w[0] = 0.5 * w[0] + 0.1
    cex = {"omega": w.tolist(), "P": np.zeros((model.d, model.d)).tolist()}
    assert checks._unconfirmed_r6_refutation(model, cex, set())
    cex = {"omega": optimum.tolist(), "P": np.zeros((model.d, model.d)).tolist()}
    assert checks._unconfirmed_r6_refutation(model, cex, set()) == []


def test_r4_refutation_needs_the_closed_form_to_confirm_the_values(monkeypatch):
    """The global route's gain planted 1e-6 (relative) too high at the curve's own optimum, and the membership
    test planted to say "off the curve": the closed-form L* shows no excess, so it is a tool error."""
    orig = checks._global_bc

    def inflated(model, rng, starts, scal=None):
        risk, omega, info, gain = orig(model, rng, starts, scal)
        return risk, omega, info, gain * (1 + 1e-6)

    monkeypatch.setattr(checks, "_global_bc", inflated)
    monkeypatch.setattr(selfcheck, "fixed_point_membership", lambda *a, **k: (2.0, float("inf")))
    assert_tool_error(checks.r4_numeric(ctx_for()), "closed-form")
