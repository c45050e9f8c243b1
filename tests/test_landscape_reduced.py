"""The block-reduced core of the landscape against the dense reference (numerics/landscape/dense.py) and
against torch autograd: structured Hessian on all of ℝⁿ (at points that are NOT block-constant), its
spectrum with multiplicities, the shifted solve, the reduced routes and certify; planted errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from glaverify.numerics import landscape as ls
from glaverify.numerics.errors import InputError
from glaverify.numerics.landscape import dense, reduced
from glaverify.numerics.model import DataModel
from glaverify.numerics.strategies import data_models
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FAST = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def star(rho, sizes, lam=(0.5, 1.0, 2.0), noise=0.3, full=False, seed=0) -> DataModel:
    K = len(sizes)
    rho = np.asarray(rho, dtype=np.float64)
    C = np.outer(rho, rho)
    np.fill_diagonal(C, 1.0)
    corr = np.ones((K + 1, K + 1))
    corr[:K, :K] = C
    corr[:K, K] = corr[K, :K] = rho
    lam = np.asarray(lam, dtype=np.float64)
    sig = np.diag(lam)
    if full:
        Q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((lam.size, lam.size)))
        sig = (Q * lam) @ Q.T
    return DataModel.create(sig, corr, list(sizes), noise)


def custom(seed: int, sizes, d: int = 3, rank: int | None = None) -> DataModel:
    rng = np.random.default_rng(seed)
    K = len(sizes)
    U = rng.standard_normal((K + 1, rank or K + 1))
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    C = U @ U.T
    np.fill_diagonal(C, 1.0)
    A = rng.standard_normal((d, d))
    return DataModel.create(A @ A.T + 0.3 * np.eye(d), C, list(sizes), 0.2)


EDGE_MODELS = {
    "unequal blocks": star([0.2, 0.7, 0.4], [1, 5, 2]),
    "r = 0": star([0.0, 0.0], [2, 3]),
    "tiny r": star([1e-7, 3e-7], [3, 2]),
    "rho = +-1": star([1.0, -1.0, 0.5], [2, 2, 3]),
    "full sigma": star([0.3, 0.8], [3, 4], lam=(0.2, 1.0, 3.0, 5.0), full=True),
    "custom C": custom(5, [2, 3, 1]),
    "singular C": custom(6, [2, 2, 3], rank=2),
    "blocks of size 1": custom(7, [1, 1, 1, 1]),
    "K = 1": star([0.6], [5]),
}


def random_point(model: DataModel, seed: int = 0) -> np.ndarray:
    """A weight vector with a within-block component (not block-constant) and rᵀω ≠ 0 when r ≠ 0."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal(model.n) + 0.5


def structured_dense(model: DataModel, omega: np.ndarray, r=None) -> np.ndarray:
    """Compose the n×n matrix from the structure: α(I − QQᵀ) + Q H_V Qᵀ."""
    H = reduced.profile_hessian_structured(model, omega, r)
    Q = H.basis(reduced.reduction(model))
    return H.alpha * (np.eye(model.n) - Q @ Q.T) + Q @ H.H_V @ Q.T


def assert_hessian_matches_dense(model: DataModel, omega: np.ndarray, r=None) -> None:
    D = dense.profile_hessian(model, omega, r)
    H = reduced.profile_hessian_structured(model, omega, r)
    # the size of the terms that cancel in ∇²L* (−2f rrᵀ against 4c rvᵀ ...): ~ gain/‖ω‖², and α
    gain = ls.profile_gain(model, omega, r)
    scale = max(float(np.max(np.abs(D))), abs(H.alpha), 8 * gain / float(omega @ omega), 1e-300)
    assert np.max(np.abs(structured_dense(model, omega, r) - D)) <= 1e-10 * scale
    x = np.random.default_rng(1).standard_normal(model.n)
    assert np.max(np.abs(H.matvec(reduced.reduction(model), x) - D @ x)) <= 1e-10 * scale * np.abs(x).sum()
    full = H.spectrum().as_array()
    assert full.size == model.n
    assert np.max(np.abs(full - np.linalg.eigvalsh(D))) <= 1e-9 * scale
    if model.n > 1:
        restricted = ls.restricted_profile_spectrum(model, omega, r)
        ref = dense.restricted_profile_spectrum(model, omega, r)
        assert restricted.size == model.n - 1
        # the dense reference deflates with κ = 10‖ΠHΠ‖ + 1, so it is only accurate to ~1e-15 absolute
        assert np.max(np.abs(restricted - ref)) <= 1e-9 * scale + 1e-13


# ------------------------------------------------------------------------ structured calculus vs dense
@pytest.mark.parametrize("name", sorted(EDGE_MODELS))
def test_structured_hessian_equals_dense_at_non_block_constant_points(name):
    m = EDGE_MODELS[name]
    for seed in range(3):
        w = random_point(m, seed)
        assert_hessian_matches_dense(m, w)
        assert_hessian_matches_dense(m, w, ls.r_scale(m)[1])
        g = ls.profile_gradient(m, w)
        assert np.allclose(g, dense.profile_gradient(m, w), rtol=1e-11, atol=1e-13 * np.abs(g).max())
        assert ls.profile_gain(m, w) == pytest.approx(dense.profile_gain(m, w), rel=1e-12, abs=1e-300)


@FAST
@given(m=data_models(max_d=4, max_n=9), seed=st.integers(0, 1000))
def test_structured_hessian_equals_dense_on_random_models(m, seed):
    w = random_point(m, seed)
    assert_hessian_matches_dense(m, w)
    wb = ls.curve_omega(m, 2.0 + seed % 7) if not ls.r_is_zero(m) else np.ones(m.n)
    if np.any(wb != 0):
        assert_hessian_matches_dense(m, wb)  # block-constant points: dim V = K


def test_structured_hessian_equals_torch_autograd():
    """An independent route: the Hessian of L*(ω) written in torch, differentiated twice."""
    import torch

    m = EDGE_MODELS["custom C"]
    w = random_point(m, 4)
    lam = torch.tensor(m.eigenvalues)
    R = torch.tensor(np.asarray(m.R))
    r = torch.tensor(np.asarray(m.r))
    s = m.s

    def Lstar(x: torch.Tensor) -> torch.Tensor:
        a = x @ R @ x + x @ x
        b = s * (x @ x)
        return s - (r @ x) ** 2 * torch.sum(lam**2 / (a * lam + b))

    H = torch.autograd.functional.hessian(Lstar, torch.tensor(w)).numpy()
    assert np.max(np.abs(structured_dense(m, w) - H)) <= 1e-10 * np.max(np.abs(H))


def test_within_block_eigenvalue_and_multiplicity():
    """On W ∩ ω_W^⊥ the Hessian is α = 2c²(F₃ + sF₂), multiplicity n − K − 1 (n − K at block-constant ω)."""
    m = EDGE_MODELS["unequal blocks"]
    w = random_point(m)
    H = reduced.profile_hessian_structured(m, w)
    spec = H.spectrum()
    assert spec.bulk_multiplicity == m.n - m.K - 1
    t = reduced.profile_terms(m.eigenvalues, m.s, float(m.r @ w), float(w @ (m.R @ w)), float(w @ w))
    assert spec.bulk == pytest.approx(2 * t.c**2 * (t.F3 + m.s * t.F2), rel=1e-12)
    wb = ls.curve_omega(m, 3.0)
    assert reduced.profile_hessian_structured(m, wb).spectrum().bulk_multiplicity == m.n - m.K


def test_planted_wrong_bulk_coefficient_is_caught(monkeypatch):
    """The comparison with the dense Hessian must fail if α loses its sF₂ term."""
    m = EDGE_MODELS["unequal blocks"]
    w = random_point(m)
    orig = reduced.small_hessian

    def wrong(Gm, rm, wm, lam, s):
        H, alpha = orig(Gm, rm, wm, lam, s)
        t = reduced.profile_terms(lam, s, float(rm @ wm), float(wm @ (Gm @ wm)), float(wm @ wm))
        return H, 2 * t.c**2 * t.F3

    monkeypatch.setattr(reduced, "small_hessian", wrong)
    with pytest.raises(AssertionError):
        assert_hessian_matches_dense(m, w)


@pytest.mark.parametrize("name", sorted(EDGE_MODELS))
def test_shifted_solve_is_the_dense_solve(name):
    m = EDGE_MODELS[name]
    x = random_point(m, 2)
    for gamma in (0.5, 1.0, 7.0, 1e4):
        ref = np.linalg.solve(np.asarray(m.R) + gamma * np.eye(m.n), x)
        got = reduced.reduction(m).solve_shifted(gamma, x)
        assert np.max(np.abs(got - ref)) <= 1e-11 * np.max(np.abs(ref))
    with pytest.raises(InputError, match="gamma"):
        reduced.reduction(m).solve_shifted(0.0, x)


def test_full_gradient_norms_match_the_dense_gradient():
    m = EDGE_MODELS["full sigma"]
    rng = np.random.default_rng(0)
    P = rng.standard_normal((m.d, m.d))
    w = random_point(m)
    gP, gw = dense.full_gradient(m, P, w)
    nP, nw = reduced.full_gradient_norms(m, P, w)
    assert nP == pytest.approx(np.linalg.norm(gP), rel=1e-11)
    assert nw == pytest.approx(np.linalg.norm(gw), rel=1e-11)


# ------------------------------------------------------------------------ routes and certify vs dense
@pytest.mark.parametrize("name", sorted(set(EDGE_MODELS) - {"r = 0"}))
def test_reduced_routes_and_certify_match_the_dense_reference(name):
    m = EDGE_MODELS[name]
    new = ls.certify(m, np.random.default_rng(0), starts=3)
    old = dense.certify(m, np.random.default_rng(0), starts=3)
    assert new.verdict == old.verdict
    _, ru = ls.r_scale(m)
    g_new, g_old = ls.profile_gain(m, new.omega, ru), dense.profile_gain(m, old.omega, ru)
    assert g_new == pytest.approx(g_old, rel=1e-9)
    assert ls.quotient_distance(new.omega, old.omega, m.r) <= 1e-6
    hn, ho = new.certificate["hessian"], old.certificate["hessian"]
    assert hn["profile_restricted_min"] == pytest.approx(ho["profile_restricted_min"], rel=1e-6, abs=1e-12)
    # the reduced cvxpy family and its full-space KKT certificate
    fam = ls.ScalarisedFamily(m)
    assert fam.reduced and fam.variable.size == m.K
    full = ls.ScalarisedFamily(m, reduced=False)
    th = float(np.mean(fam.theta_bracket()))
    a, b = fam.solve(th), full.solve(th)
    assert a.status == ls.OPTIMAL and b.status == ls.OPTIMAL
    assert a.omega.shape == (m.n,)
    assert np.max(np.abs(a.omega - b.omega)) <= 1e-6 * np.max(np.abs(b.omega))
    assert a.kkt_residual <= 1e-7


def test_r_zero_is_the_non_unique_clause_in_the_core():
    res = ls.certify(EDGE_MODELS["r = 0"])
    assert not res.unique and res.verdict == "certified"
    assert res.certificate["r_zero"] is True


def test_reduced_kkt_residual_catches_a_planted_wrong_solution(monkeypatch):
    """The full-space KKT residual must fail when ω is not the minimiser (a within-block perturbation the
    reduced variable cannot express is planted after the solve)."""
    m = EDGE_MODELS["unequal blocks"]
    fam = ls.ScalarisedFamily(m)
    sol = fam.solve(0.6)
    assert sol.kkt_residual <= 1e-7
    red = reduced.reduction(m)
    orig = red.expand

    def planted(v):
        out = orig(v)
        out[1] += 1e-3 * np.max(np.abs(out))  # example 1 and 2 share a block: no longer block-constant
        return out

    object.__setattr__(red, "expand", planted)
    try:
        bad = fam._kkt_reduced(fam.variable.value, 0.6)[0]
    finally:
        object.__delattr__(red, "expand")
    assert bad > 1e-5


def test_certify_uses_the_within_block_spectrum(monkeypatch):
    """A negative within-block eigenvalue (planted) must stop the certificate."""
    m = EDGE_MODELS["unequal blocks"]
    orig = reduced.small_hessian
    monkeypatch.setattr(reduced, "small_hessian", lambda *a: (orig(*a)[0], -1.0))
    res = ls.certify(m, np.random.default_rng(0), starts=2)
    assert res.verdict != "certified"
    assert res.certificate["hessian"]["within_block_multiplicity"] == m.n - m.K


def test_status_constants_are_cvxpys():
    import cvxpy as cp

    assert (ls.OPTIMAL, ls.OPTIMAL_INACCURATE, ls.INFEASIBLE) == (
        cp.OPTIMAL,
        cp.OPTIMAL_INACCURATE,
        cp.INFEASIBLE,
    )


# ------------------------------------------------------------------------ the dense reference refuses
def test_dense_reference_refuses_large_models_but_the_core_does_not():
    big = star([0.3, 0.6], [dense.DENSE_MAX_N, 8], lam=(1.0, 2.0))
    with pytest.raises(InputError, match="^n: .*dense landscape reference"):
        dense.certify(big)
    with pytest.raises(InputError, match="^n: "):
        dense.profile_hessian(big, np.ones(big.n))
    H = reduced.profile_hessian_structured(big, random_point(big))
    assert H.dim_V == big.K + 1 and H.spectrum().size == big.n


# ------------------------------------------------------------------------ JSON boundary
LANDSCAPE_KEYS = {
    "top": {"model", "wpgd", "linatt"},
    "wpgd": {"risk", "omega", "P", "gamma", "certificate", "verdict", "reason", "unique", "counterexample"},
    "linatt": {"risk", "omega", "P", "margin_over_wpgd"},
    "certificate": {
        "routes", "distinct_minima", "gradient_norm", "gradient_relative", "hessian", "gamma_bracket",
        "single_ray", "r_scale", "multistart", "tolerances", "cvxpy",
    },
    "hessian": {
        "profile_restricted_min", "profile_restricted_max", "H_PP_min", "restricted_min_relative",
        "full_restricted", "within_block_eigenvalue", "within_block_multiplicity",
    },
    "multistart": {"starts", "relative_spread", "max_grad_norm_unit_r"},
    "cvxpy": {"status", "theta", "kkt_residual", "duality_gap", "solves", "all_optimal"},
    "distinct_minima": {
        "curve_local_minima", "curve_stationary_points", "curve_h_minima", "multistart_classes",
    },
    "route": {"risk_diff", "relative", "omega_dist"},
}


def test_landscape_json_key_set_is_pinned():
    from glaverify.proofs_check.commands.landscape import compute_landscape, landscape_sections

    out = json.loads(json.dumps(compute_landscape(EDGE_MODELS["custom C"], seed=0, starts=2)))
    assert set(out) - set(landscape_sections()) == LANDSCAPE_KEYS["top"]  # + sections other modules add
    assert set(out["wpgd"]) == LANDSCAPE_KEYS["wpgd"]
    assert set(out["linatt"]) == LANDSCAPE_KEYS["linatt"]
    c = out["wpgd"]["certificate"]
    assert set(c) == LANDSCAPE_KEYS["certificate"]
    for k in ("hessian", "multistart", "cvxpy", "distinct_minima"):
        assert set(c[k]) == LANDSCAPE_KEYS[k], k
    assert set(c["routes"]) == {"curve", "multistart", "cvxpy"}
    for v in c["routes"].values():
        assert set(v) == LANDSCAPE_KEYS["route"]


def test_results_are_frozen():
    res = ls.certify(EDGE_MODELS["K = 1"], starts=2)
    with pytest.raises(AttributeError):
        res.risk = 0.0  # type: ignore[misc]
    with pytest.raises(AttributeError):
        res.cert.hessian.H_PP_min = 0.0  # type: ignore[misc]


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(m=data_models(max_d=4, max_n=10, max_condition=1e3))
def test_certify_core_matches_dense_reference_on_random_models(m):
    new = ls.certify(m, np.random.default_rng(0), starts=2)
    old = dense.certify(m, np.random.default_rng(0), starts=2)
    assert new.unique == old.unique
    if not new.unique:
        return
    if old.verdict == "certified":
        assert new.verdict == "certified", new.reason
    _, ru = ls.r_scale(m)
    assert ls.profile_gain(m, new.omega, ru) == pytest.approx(dense.profile_gain(m, old.omega, ru), rel=1e-8)
    assert ls.quotient_distance(new.omega, old.omega, m.r) <= 1e-5


# ------------------------------------------------------------ the flat profile (one plateau, no refinement)
def _gain_on_curve(m: DataModel, gammas) -> np.ndarray:
    """The scale-free gain of ω(γ) = (R + γI)⁻¹ r, from the dense R (independent of gain_degree)."""
    R, r = np.asarray(m.R), np.asarray(m.r)
    _, ru = ls.r_scale(m)
    return np.array([ls.profile_gain(m, np.linalg.solve(R + g * np.eye(m.n), r), ru) for g in gammas])


@pytest.mark.parametrize("name", ["single task", "exchangeable blocks", "unequal star"])
def test_gain_degree_bounds_the_gain_on_the_curve(name):
    """The gain along the dense curve ω(γ) = (R + γI)⁻¹ r is flat exactly when r is an eigenvector of R, and
    gain_degree counts the distinct eigenvalues as the dense spectrum does (the reduced family has no
    eigenvalue 0 of R's within-block part; the dense family does when a block has more than one example)."""
    from glaverify.numerics.landscape.scalarised import gain_degree

    models = {
        "single task": DataModel.create(np.diag([0.5, 1.0, 2.0]), np.ones((2, 2)), [6], 0.2),
        "exchangeable blocks": star([0.6, 0.6, 0.6], [3, 3, 3]),
        "unequal star": star([0.2, 0.55, 0.9], [2, 3, 4]),
    }
    m = models[name]
    fam = ls.ScalarisedFamily(m)
    dfam = dense.ScalarisedFamily(m)
    gams = np.linspace(1.2, 6.0, 40)
    g = _gain_on_curve(m, gams)
    flat = np.ptp(g) <= 1e-12 * np.max(np.abs(g))
    if name == "unequal star":
        assert not flat and fam.degree > 0 and dfam.degree >= fam.degree
    else:  # r is an eigenvector of R: ω(γ) ∝ r for every γ
        assert flat
    assert fam.degree == gain_degree(fam.F, m.K, m.eigenvalues)
    # the dense family counts the eigenvalue 0 of R (blocks of size > 1), the reduced one cannot have it
    assert dfam.degree == 2 * (len(np.unique(np.round(np.linalg.eigvalsh(np.asarray(m.R)), 9))) - 1) * 3


@pytest.mark.parametrize(("factor", "flat"), [(0.5, True), (2.0, False)])
def test_flat_profile_rtol_near_miss(factor, flat):
    """A grid whose values spread by factor·FLAT_PROFILE_RTOL: a plateau below the tolerance, refined above;
    never a plateau when the grid has no more points than the degree bound, or a value is not finite."""
    from glaverify.numerics.landscape.scalarised import flat_grid
    from glaverify.numerics.tolerances import FLAT_PROFILE_RTOL

    v = np.full(24, -2.5)
    v[7] *= 1 + factor * FLAT_PROFILE_RTOL
    assert flat_grid(v, 4) is flat
    assert flat_grid(np.full(24, -2.5), 24) is False  # 24 points do not fix a degree-24 function
    assert flat_grid(np.full(24, -2.5), None) is False  # cone constraints: no bound
    bad = np.full(24, -2.5)
    bad[3] = np.inf
    assert flat_grid(bad, 0) is False


@pytest.mark.parametrize("route", ["reduced", "dense"])
def test_plateau_gives_the_refined_optimum(route):
    """On a single-task model the grid is one plateau: the family stops after the grid (24 solves instead of
    hundreds) with the same optimum, to rounding, as the refinement it skips (degree bound removed)."""
    m = DataModel.create(np.diag([0.5, 1.0, 1.5, 2.0]), np.ones((2, 2)), [12], 0.1)
    mod = ls if route == "reduced" else dense
    fam = mod.ScalarisedFamily(m)
    quick = mod.optimise_scalarised(fam)
    assert len(quick.solves) == 24 and getattr(quick, "plateau", True)
    fam.degree = None  # refine around every tied grid point, as before the plateau rule
    slow = mod.optimise_scalarised(fam)
    assert len(slow.solves) > 100
    assert np.max(np.abs(quick.omega - slow.omega)) <= 1e-12 * np.max(np.abs(slow.omega))
    assert quick.gain == pytest.approx(slow.gain, rel=1e-13)
    assert quick.certified and slow.certified


def test_a_planted_plateau_on_a_varying_profile_is_caught_by_certify(monkeypatch):
    """Planted: the plateau rule fires on a profile that varies (flat_grid always true). The cvxpy route
    then returns a grid point, not the optimum; certify's route agreement must refuse it (not certified)."""
    from glaverify.numerics.landscape import scalarised

    monkeypatch.setattr(scalarised, "flat_grid", lambda values, degree: True)
    res = ls.certify(star([0.2, 0.55, 0.9], [4, 4, 4]), np.random.default_rng(0), starts=3)
    assert res.verdict != "certified"
    assert "cvxpy" in res.reason
