"""numerics/montecarlo.py: interval formula, plausibility of widths, memory budget, the Rao–Blackwellised R1
estimators and the sequential R1 check's power (issue 10 item 3)."""

from __future__ import annotations

import numpy as np
import pytest
from glaverify.numerics import closed_forms as cf
from glaverify.numerics import montecarlo as mc
from glaverify.numerics.config import RunConfig, default_model_config
from glaverify.numerics.consistency import ToolError
from glaverify.numerics.errors import InputError
from glaverify.numerics.model import DataModel
from glaverify.numerics.predictors import WPGDPredictor
from glaverify.numerics.sampler import sample_prompts
from glaverify.proofs_check.checks.risk_numeric import check_r1_monte_carlo, draw_test_point
from glaverify.proofs_check.context import CheckContext
from glaverify.proofs_check.evidence import Verdict
from glaverify.proofs_check.registry import CheckSpec
from glaverify.proofs_check.runner import run_check


def _model() -> DataModel:
    return DataModel.from_config(default_model_config(4, 12))


def test_two_sided_quantile_is_two_sided():
    # a one-sided quantile (ppf(confidence)) gives 3.09 for 0.999: a "0.999" interval that is really 0.998
    assert mc.two_sided_z(0.999) == pytest.approx(3.2905267, rel=1e-7)
    assert mc.two_sided_z(0.95) == pytest.approx(1.9599640, rel=1e-7)
    with pytest.raises(InputError, match="confidence"):
        mc.two_sided_z(1.0)


def test_estimate_from_sums_matches_numpy():
    x = np.random.default_rng(0).standard_normal(1000) * 3 + 1
    est = mc.estimate_from_sums(float(x.sum()), float(x @ x), x.size, 0.99)
    assert est.mean == pytest.approx(x.mean())
    assert est.std_err == pytest.approx(x.std(ddof=1) / np.sqrt(x.size))
    assert est.ci_high - est.mean == pytest.approx(2.5758293 * est.std_err)


def _running(values: np.ndarray, groups: int = 32) -> mc.MCEstimate:
    acc = mc.RunningMean(group=values.size // groups)
    for chunk in np.array_split(values, 7):
        acc.add(chunk)
    return acc.estimate(0.999)


def test_batch_means_se_agrees_with_pooled_se_for_correct_estimates():
    for seed in range(20):
        x = np.random.default_rng(seed).standard_exponential(64_000) ** 2  # heavy-ish tail like (y - ŷ)²
        mc.check_plausible(_running(x))


def test_standard_error_not_divided_by_sqrt_n_is_a_tool_error():
    x = np.random.default_rng(1).standard_normal(10_000)
    est = _running(x)
    wrong = mc.MCEstimate(est.mean, est.std_err * np.sqrt(est.samples), est.ci_low, est.ci_high, est.samples,
                          est.confidence, est.batch_se)
    with pytest.raises(ToolError, match="implausible"):
        mc.check_plausible(wrong)


@pytest.mark.parametrize(("factor", "caught"), [(mc.PLAUSIBLE_SE_RATIO * 1.02, True),
                                                (mc.PLAUSIBLE_SE_RATIO * 0.98, False)])
def test_plausibility_ratio_near_misses(factor, caught):
    est = mc.MCEstimate(0.0, 1.0, -1, 1, 10_000, 0.999, batch_se=factor)
    if caught:
        with pytest.raises(ToolError):
            mc.check_plausible(est)
    else:
        mc.check_plausible(est)


def test_plausibility_ratio_is_pinned():
    assert mc.PLAUSIBLE_SE_RATIO <= 3.0  # looser lets a √N-sized error of a small sample through


def test_memory_budget_sets_the_batch_and_refuses_a_model_that_cannot_fit():
    model = _model()
    per = mc.prompt_bytes(model, "features")
    assert mc.batch_size(model, 10 * per, estimator="features") == 10
    with pytest.raises(InputError, match="--max-memory"):
        mc.batch_size(model, per - 1, estimator="features")

    class Ctx:
        max_memory_bytes = 12345

    assert mc.memory_budget(Ctx()) == 12345
    assert 0 < mc.memory_budget(None) <= mc.MAX_DEFAULT_BUDGET


def test_linear_readout_reproduces_the_predictor():
    model = _model()
    rng = np.random.default_rng(0)
    P, w = draw_test_point(model, rng)
    pred = WPGDPredictor(P=P, omega=w)
    pr = sample_prompts(model, 50, rng)
    v = mc.linear_readout(pred, pr)
    assert np.allclose(np.einsum("bd,bd->b", pr.x_query, v), pred(pr), rtol=1e-12, atol=1e-12)


def test_three_estimators_have_the_same_mean():
    model = _model()
    rng = np.random.default_rng(3)
    P, w = draw_test_point(model, rng)
    pr = sample_prompts(model, 100_000, rng)
    pred = WPGDPredictor(P=P, omega=w)
    plain = (pr.y_query - pred(pr)) ** 2
    cond = mc.conditional_risk(model, pred, pr)
    feat = mc.features_risk(mc.feature_terms(model, P, w), pr.X)
    closed = cf.wpgd_risk(model, P, w)
    for vals in (plain, cond, feat):
        assert abs(vals.mean() - closed) < 5 * vals.std() / np.sqrt(vals.size)
    assert feat.std() < cond.std() < plain.std()  # each Rao–Blackwellisation step reduces the variance


def _ctx(seed: int = 0, quick: bool = False, **options) -> CheckContext:
    return CheckContext(model_config=default_model_config(4, 12), run=RunConfig(seed=seed), quick=quick,
                        options=options)


def _sigma2_dropped_from_b(model, P, omega):
    co = cf.risk_coefficients(model, omega)
    sig = model.sigma
    m = co.a * sig @ sig + (model.s - model.noise_var) * float(omega @ omega) * sig
    return model.s - 2 * co.rw * float(np.sum(P * (sig @ sig).T)) + float(np.sum((sig @ P) * (P @ m)))


def test_r1_monte_carlo_refutes_sigma2_dropped_from_b_in_its_default_budget():
    rec = check_r1_monte_carlo(_ctx(), closed_form=_sigma2_dropped_from_b)
    assert rec.verdict is Verdict.REFUTED
    assert abs(rec.residuals["relative"]) < 0.004  # a sub-percent error of the risk


def test_r1_monte_carlo_states_a_detectable_effect_below_one_permille_at_the_default_model():
    rec = check_r1_monte_carlo(_ctx())
    assert rec.verdict is Verdict.SUPPORTED
    assert rec.details["detectable_relative_effect"] <= 1e-3
    assert rec.details["estimator"] == "features" and rec.details["paired_check"]["z"] is not None


def test_r1_monte_carlo_quick_catches_a_wrong_sign():
    def wrong(model, P, omega):
        return cf.wpgd_risk(model, P, omega) + 4 * float(cf.risk_coefficients(model, omega).rw) * float(
            np.sum(P * (model.sigma @ model.sigma).T))

    assert check_r1_monte_carlo(_ctx(quick=True), closed_form=wrong).verdict is Verdict.REFUTED


def test_a_predictor_bug_is_a_tool_error_not_a_refutation():
    # the conditional route reads v from the predictor; the features route uses (P, ω) directly: a wrong
    # predictor (Pᵀ for P) makes our own two routes disagree on the same prompts
    def transposed(P, omega):
        return WPGDPredictor(P=P.T, omega=omega)

    ctx = _ctx(quick=True, r1_predictor=transposed)
    rec = run_check(CheckSpec("R1", "monte-carlo", lambda c: check_r1_monte_carlo(c)), ctx)
    assert rec.verdict is Verdict.INCONCLUSIVE and rec.tool_error and "differs" in rec.tool_error


def test_r1_monte_carlo_refuses_a_model_over_the_memory_budget():
    ctx = _ctx(quick=True)
    ctx.max_memory_bytes = 1000  # what i14's --max-memory sets
    rec = run_check(CheckSpec("R1", "monte-carlo", lambda c: check_r1_monte_carlo(c)), ctx)
    assert rec.verdict is Verdict.INCONCLUSIVE and "--max-memory" in rec.summary


def _normal_draw(mean: float, shift: float = 0.0, seed: int = 0):
    rng = np.random.default_rng(seed)

    def draw(k: int):
        v = rng.standard_normal(k) + mean
        return v, (v + shift + 0.5 * rng.standard_normal(k) if shift is not None else None)

    return draw


def test_sequential_compare_agrees_refutes_and_catches_a_biased_paired_route():
    ok = mc.sequential_compare(1.0, _normal_draw(1.0), 200_000, 5000, 0.999, target=1.0)
    assert ok.decision == "agree" and ok.stopped_early and ok.looks_done == 1
    bad = mc.sequential_compare(1.05, _normal_draw(1.0), 200_000, 5000, 0.999, target=1e-3)
    assert bad.decision == "disagree" and abs(bad.z) > mc.REFUTE_Z
    with pytest.raises(ToolError, match="disagree"):
        mc.sequential_compare(1.0, _normal_draw(1.0, shift=0.05), 200_000, 5000, 0.999, target=1e-3)


def test_sequential_compare_false_alarm_rate_is_within_its_level():
    # 200 runs at the true mean, level 0.05 split over 4 looks: at most a handful may end outside
    runs = [mc.sequential_compare(0.0, _normal_draw(0.0, None, s), 4000, 500, 0.95, target=1e-9)
            for s in range(200)]
    outside = sum(r.decision != "agree" for r in runs)
    assert outside <= 20


def test_the_level_is_split_over_the_looks():
    res = mc.sequential_compare(0.0, _normal_draw(0.0, None, 1), 8000, 1000, 0.999, target=1e-9)
    assert len(res.looks) == 4 and res.z_look == pytest.approx(mc.two_sided_z(1 - 0.001 / 4), rel=1e-12)


def test_a_biased_monte_carlo_route_is_a_tool_error_not_a_refutation(monkeypatch):
    # the features estimator loses σ²: the MC now disagrees with the closed form, but the dense derivation
    # agrees with the closed form, so the refutation is not confirmed: a tool error
    import dataclasses

    from glaverify.proofs_check.checks import risk_numeric as rn

    real = mc.feature_terms
    monkeypatch.setattr(rn, "feature_terms", lambda model, P, w: dataclasses.replace(
        real(model, P, w), const=real(model, P, w).const - model.noise_var))
    rec = run_check(CheckSpec("R1", "monte-carlo", lambda c: check_r1_monte_carlo(c)), _ctx(quick=True))
    assert rec.tool_error and "Monte Carlo route is at fault" in rec.tool_error


def test_a_wrong_sampler_is_a_tool_error(monkeypatch):
    from glaverify.numerics import sampler as smp
    from glaverify.proofs_check.checks import risk_numeric as rn

    real = smp.sample_prompts

    def noisy(model, batch, rng):  # label noise with standard deviation σ² instead of σ
        pr = real(model, batch, rng)
        signal = np.einsum("bnd,bnd->bn", pr.X, pr.tasks[:, model.block_index])
        y = signal + (pr.y - signal) * np.sqrt(model.noise_var)
        return smp.Prompts(pr.X, y, pr.x_query, pr.y_query, pr.tasks)

    monkeypatch.setattr(rn, "sample_prompts", noisy)
    rec = run_check(CheckSpec("R1", "monte-carlo", lambda c: check_r1_monte_carlo(c)), _ctx(quick=True))
    assert rec.tool_error and "sampler is wrong" in rec.tool_error
