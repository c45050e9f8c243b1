"""`glaverify search`: every claim searched, planted errors caught, failures confirmed independently,
counterexample files replayed, bad input refused, results independent of --jobs / --scheduler."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from glaverify.numerics.errors import InputError
from glaverify.proofs_check.cli import app
from glaverify.proofs_check.search import claims_gla as CG
from glaverify.proofs_check.search import claims_risk as CR
from glaverify.proofs_check.search import engine, search, searchable
from typer.testing import CliRunner


def run_cli(*args: str):
    return CliRunner().invoke(app, list(args))


# ------------------------------------------------------------------------------------------ A5: refuted
def test_a5_found_from_cold_start_within_the_default_budget_and_confirmed_exactly():
    rep = search("A5", seed=0)  # default budget
    assert rep.verdict == "refuted"
    assert rep.confirmation is not None and rep.confirmation.confirmed and rep.confirmation.exact
    m = rep.counterexample["model"]
    rho, sizes = m["tasks"]["rho"], m["tasks"]["block_sizes"]
    assert rho == sorted(rho) and min(rho) >= 0 and len(set(sizes)) > 1  # unequal blocks, increasing ρ
    # shrunk: a minimal instance (two blocks, d = 1)
    assert m["d"] == 1 and len(sizes) == 2 and rep.shrink_steps > 0
    assert rep.confirmation.detail["q_positive_definite"] and rep.confirmation.detail["rho_non_decreasing"]


def test_a5_cli_writes_a_file_that_check_replays(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = run_cli("search", "A5", "--seed", "3", "--budget", "300")
    assert res.exit_code == 1, res.output
    files = list((tmp_path / "counterexamples").glob("*.toml"))
    assert [f.name for f in files] == ["A5-seed3.toml"]
    assert not list((tmp_path / "counterexamples").glob(".*tmp"))  # atomic: no temporary left
    rep = run_cli("check", "A5", "--config", str(files[0]), "-m", "counterexample", "--json")
    assert rep.exit_code == 0, rep.output
    data = json.loads(rep.stdout)
    assert data["verdict"] == "refuted" and data["records"][0]["counterexample"]["exact"] is True
    assert not (tmp_path / ".hypothesis").exists()  # no example database in the user's cwd


# ------------------------------------------------------------------------------- claims that hold
@pytest.mark.parametrize("claim", ["R1", "R2", "R3", "R5", "G1", "G2", "G4", "A1", "A2"])
def test_claims_that_hold_are_supported_with_counts_and_ranges(claim):
    rep = search(claim, budget=60, seed=1)
    assert rep.verdict == "supported", (rep.counterexample, rep.failure_detail, rep.errors)
    assert rep.checked == 60 and rep.counterexample is None
    assert set(rep.by_phase) == {"random", "degenerate", "targeted"}
    assert rep.coverage and rep.rate_per_minute > 0


def test_every_claim_but_a7_has_a_search():
    from glaverify.proofs_check.registry import all_claims

    ids = [c.id for c in all_claims()]
    assert searchable() == [c for c in ids if c != "A7"]


# ------------------------------------------------------------------------------- planted errors
def _wrong_linear_coefficient(sigma, P, omega, R, r, noise_var):
    """R1 with −(rᵀω) tr(PΣ²) in place of −2(rᵀω) tr(PΣ²): a wrong coefficient in the claim."""
    from glaverify.theory.risk import risk_coefficients_sym, trace, wpgd_risk_from_coefficients

    s = trace(sigma) + noise_var
    rw, a, b = risk_coefficients_sym(omega, R, r, s)
    return wpgd_risk_from_coefficients(sigma, P, rw / 2, a, b, noise_var) + 0 * rw


def test_planted_wrong_coefficient_in_r1_is_refuted_and_confirmed_by_wick():
    rep = search(CR.r1_spec(_wrong_linear_coefficient), budget=40, seed=0)
    assert rep.verdict == "refuted" and rep.confirmation.exact
    # shrunk small enough for the Wick engine (the model's own expectation) to confirm it
    assert "Wick" in rep.confirmation.method


def test_planted_near_miss_just_above_the_tolerance_is_caught():
    from glaverify.theory.risk import wpgd_risk_closed_form

    def off(sigma, P, omega, R, r, noise_var):  # relative error 1e-7 > R1 tolerance 1e-8
        v = wpgd_risk_closed_form(sigma, P, omega, R, r, noise_var)
        return v + v / 10**7 if not isinstance(v, float) else v * (1 + 1e-7)

    rep = search(CR.r1_spec(off), budget=40, seed=0)
    assert rep.verdict == "refuted" and rep.residual > CR.IDENTITY_RTOL


def test_planted_wrong_shift_in_r5_is_refuted_exactly():
    rep = search(CR.r5_spec(shift=lambda d, lam, nv: d + nv / lam), budget=40, seed=0)
    assert rep.verdict == "refuted" and rep.confirmation.exact


def test_planted_sign_error_in_r3_is_refuted():
    from glaverify.numerics.closed_forms import optimal_preconditioner

    rep = search(CR.r3_spec(lambda m, w: -optimal_preconditioner(m, w)), budget=40, seed=0)
    assert rep.verdict == "refuted"


def test_planted_off_by_one_gate_product_is_an_error_of_the_tool_not_a_refutation():
    """The fast route multiplies one gate too many (Π_{j≥i}); the exact route (the theory's own gate
    products) does not confirm: the search must say 'tool error', never 'refuted'."""
    from glaverify.numerics.wpgd import gate_weights

    spec = CG.g12_spec("G1", "scalar", weights=lambda g: gate_weights(g) * g[..., :-1])
    rep = search(spec, budget=60, seed=0)
    assert rep.counterexample is not None and rep.verdict == "inconclusive"
    assert rep.confirmation.confirmed is False


def test_search_cannot_pass_a_spec_whose_property_always_fails():
    from glaverify.proofs_check.search.spec import Outcome

    spec = replace(CR.r2_spec(), prop=lambda inst: Outcome(False, 1.0, 0.5))
    rep = search(spec, budget=10, seed=0)
    assert rep.counterexample is not None and rep.verdict != "supported"


# ------------------------------------------------------------------------------- reproducibility
def test_same_seed_same_result_and_chunk_plan_independent_of_jobs():
    a = search("A5", budget=200, seed=5).to_dict()
    b = search("A5", budget=200, seed=5).to_dict()
    for k in ("seconds", "confirm_seconds", "instances_per_minute", "where"):
        a.pop(k), b.pop(k)
    assert a == b
    assert engine.plan("R1", 250, 0) == engine.plan("R1", 250, 0)
    assert sum(t.size for t in engine.plan("R1", 250, 0)) == 250


def test_jobs_and_dask_give_identical_results():
    distributed = pytest.importorskip("distributed")
    serial = search("A5", budget=300, seed=2)
    pooled = search("A5", budget=300, seed=2, jobs=2)
    with distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster:
        dask = search("A5", budget=300, seed=2, scheduler=cluster.scheduler_address)
    for other in (pooled, dask):
        assert other.counterexample == serial.counterexample
        assert other.checked == serial.checked and other.by_phase == serial.by_phase


# ------------------------------------------------------------------------------- bad input, Ctrl-C
@pytest.mark.parametrize(
    "args, field",
    [
        (["R9"], "CLAIM"),
        (["A7"], "CLAIM"),
        (["R1", "--budget", "0"], "--budget"),
        (["R1", "--budget", "-5"], "--budget"),
        (["R1", "--jobs", "0"], "--jobs"),
        (["R1", "--time", "0"], "--time"),
        (["R1", "--scheduler", "tcp://127.0.0.1:9"], "--scheduler"),
        ([], "CLAIM"),
    ],
)
def test_bad_input_is_one_line_exit_2(args, field, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = run_cli("search", *args, "--budget", "5") if "--budget" not in args else run_cli("search", *args)
    assert res.exit_code == 2, res.output
    out = res.output.strip()
    assert out.startswith("error:") and field in out and "Traceback" not in out
    assert not (tmp_path / "counterexamples").exists()


def test_ctrl_c_reports_coverage_and_leaves_no_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    real = engine.run_chunk
    calls = {"n": 0}

    def interrupted(task, spec=None):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(task, spec)

    monkeypatch.setattr(engine, "run_chunk", interrupted)
    res = run_cli("search", "R1", "--seed", "1", "--budget", "1000", "--json")
    assert res.exit_code == 130
    data = json.loads(res.stdout)
    assert data["interrupted"] and data["checked"] == 100  # the first chunk was covered
    assert not (tmp_path / "counterexamples").exists()


def test_search_api_refuses_bad_input():
    with pytest.raises(InputError, match="--budget"):
        search("R1", budget=0)
    with pytest.raises(InputError, match="no search"):
        search("A7")


def test_time_limit_stops_early():
    rep = search("R7", budget=100_000, seed=0, time_limit=2.0)
    assert rep.timed_out and 0 < rep.checked < 100_000


def test_legacy_r6_cli_with_a_json_summary(tmp_path):
    out = tmp_path / "r6"  # --out is always a directory (docs/cli.md); --json also writes search.json there
    res = run_cli(
        "search",
        "R6",
        "--budget",
        "120",
        "--seed",
        "2",
        "--max-d",
        "3",
        "--max-n",
        "6",
        "--out",
        str(out),
        "--json",
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["checked"] == 120
    assert json.loads((out / "search.json").read_text())["checked"] == 120


def test_all_with_a_small_budget_reports_every_claim(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = run_cli("search", "--all", "--budget", "6", "--max-d", "2", "--max-n", "4", "--json")
    data = json.loads(res.stdout)["claims"]
    assert [d["claim"] for d in data] == searchable()
    verdicts = {d["claim"]: d["verdict"] for d in data}
    assert all(d["checked"] > 0 for d in data)
    assert set(verdicts.values()) <= {"supported", "refuted"}
    refuted = sorted(c for c, v in verdicts.items() if v == "refuted")
    assert refuted in ([], ["A5"])  # at this tiny budget A5 may or may not be hit; nothing else may be
    assert res.exit_code == (1 if refuted else 0), res.output
    files = os.listdir(tmp_path / "counterexamples") if refuted else []
    assert files == [f"{c}-seed0.toml" for c in refuted]
    assert np.isfinite(data[0]["instances_per_minute"])


def test_atomic_write_leaves_no_partial_file(tmp_path, monkeypatch):
    from glaverify.proofs_check.search import replay as RP

    target = tmp_path / "x.toml"

    class Boom(Exception):
        pass

    def bad_replace(a, b):
        raise Boom

    monkeypatch.setattr(RP.os, "replace", bad_replace)
    with pytest.raises(Boom):
        RP.atomic_write(target, "[model]\nd = 1\n")
    assert list(Path(tmp_path).iterdir()) == []


def test_a_real_sigint_stops_cleanly_between_draws(tmp_path, monkeypatch):
    """SIGINT sets a flag (an exception could be swallowed inside hypothesis' gc callbacks)."""
    import signal

    monkeypatch.chdir(tmp_path)
    real = engine.run_chunk
    calls = {"n": 0}

    def then_sigint(task, spec=None):
        r = real(task, spec)
        calls["n"] += 1
        if calls["n"] == 1:
            os.kill(os.getpid(), signal.SIGINT)
        return r

    monkeypatch.setattr(engine, "run_chunk", then_sigint)
    res = run_cli("search", "R2", "--budget", "1000", "--json")
    assert res.exit_code == 130
    data = json.loads(res.stdout)
    assert data["interrupted"] and data["checked"] == 100 and calls["n"] == 1
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored


# ------------------------------------------------------------------------ every verifier can fail
def test_planted_wrong_gamma_shift_in_r4_is_refuted_exactly():
    rep = search(CR.r4_spec(shift=0.0), budget=40, seed=0)
    assert rep.verdict == "refuted" and rep.confirmation.exact


def test_planted_non_invariant_risk_in_r2_is_refuted_exactly():
    from glaverify.theory.risk import wpgd_risk_closed_form

    def drifting(sigma, P, omega, R, r, noise_var):  # a term that is not invariant under ω -> cω
        return wpgd_risk_closed_form(sigma, P, omega, R, r, noise_var) + sum(omega) / 1000

    rep = search(CR.r2_spec(drifting), budget=40, seed=0)
    assert rep.verdict == "refuted" and rep.confirmation.exact


@pytest.mark.parametrize(
    "claim, target, attr, mutant",
    [
        ("G4", "glaverify.numerics.wpgd", "gate_weights", "off-by-one"),
        ("G3", "glaverify.numerics.wpgd", "causal_wpgd_gated", "no-query"),
        ("A1", "glaverify.numerics.gating", "weights_from_gates", "scaled"),
        ("A2", "glaverify.numerics.gating", "weights_from_gates", "scaled"),
        ("A4", "glaverify.numerics.gating", "linatt_risk", "lower"),
        ("A6", "glaverify.numerics.gating", "wpgd_optimum", "lower"),
        ("R5", "glaverify.numerics.landscape", "curve_route", "lower"),
    ],
)
def test_a_mutant_of_the_code_under_test_is_caught_and_blamed_on_the_tool(
    claim, target, attr, mutant, monkeypatch
):
    """Mutate the production function a fast property relies on: the search must find a failure, and the
    independent confirmation must refuse it (an error of the tool, never a refutation of the claim)."""
    import importlib
    from types import SimpleNamespace

    mod = importlib.import_module(target)
    real = getattr(mod, attr)
    if mutant == "off-by-one":  # one gate too many: Π_{j≥i} g_j

        def fn(g):
            return real(g) * g[..., :-1]

    elif mutant == "no-query":

        def fn(*a, **k):
            return real(*a, **{**k, "include_query": False})
    elif mutant == "scaled":

        def fn(*a, **k):
            return 1.5 * real(*a, **k)
    elif mutant == "lower" and attr == "linatt_risk":

        def fn(model):
            return real(model) - 0.01 * abs(real(model)) - 1e-3
    elif mutant == "lower" and attr == "wpgd_optimum":

        def fn(model, *a, **k):
            o = real(model, *a, **k)
            return SimpleNamespace(**{**o.__dict__, "risk": o.risk - 0.01 * abs(o.risk) - 1e-3})
    elif mutant == "lower":

        def fn(model, *a, **k):
            o = real(model, *a, **k)
            best = o.best
            if best is not None:
                best = SimpleNamespace(**{**best.__dict__, "risk": best.risk - 0.01 * abs(best.risk) - 1e-3})
            return SimpleNamespace(**{**o.__dict__, "best": best})

    monkeypatch.setattr(mod, attr, fn)
    budget = 6 if claim in ("A4", "A6") else 40
    rep = search(claim, budget=budget, seed=0, max_d=2, max_n=4)
    assert rep.counterexample is not None, (claim, rep.errors)
    assert rep.verdict == "inconclusive" and rep.confirmation is not None
    assert rep.confirmation.confirmed is not True


def test_replay_of_values_and_of_a_file_for_another_claim(tmp_path):
    from glaverify.proofs_check.search.replay import counterexample_toml
    from glaverify.proofs_check.search.spec import Confirmation

    inst = {
        "model": {
            "d": 2,
            "n": 2,
            "noise_var": 0.5,
            "features": {"covariance": "identity", "scale": 1.0},
            "tasks": {"family": "iid"},
        },
        "P": [[0.5, 0.1], [0.0, 1.0]],
        "omega": [1.0, -0.5],
    }
    rep = engine.SearchReport(
        "R1",
        "inconclusive",
        10,
        0,
        counterexample=inst,
        residual=1.0,
        tolerance=1e-8,
        confirmation=Confirmation(False, "test", True, "planted file"),
    )
    f = tmp_path / "r1.toml"
    f.write_text(counterexample_toml(rep, "test"))
    ok = run_cli("check", "R1", "--config", str(f), "-m", "counterexample", "--json")
    assert ok.exit_code == 0, ok.output
    data = json.loads(ok.stdout)["records"][0]
    assert data["verdict"] == "supported" and data["scope"] == "partial" and data["sample_size"] == 1
    wrong = run_cli("check", "R2", "--config", str(f), "-m", "counterexample")
    assert wrong.exit_code == 2 and "counterexample.claim" in wrong.output
    nothing = run_cli("check", "R1", "-m", "counterexample", "--json")
    assert json.loads(nothing.stdout)["records"][0]["verdict"] == "inconclusive"
