"""Tests of the R6 counterexample search: generators, screening, planted counterexamples, shrinking, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from glaverify.numerics import landscape as ls
from glaverify.numerics import r6_search as rs
from glaverify.numerics.config import load_config
from glaverify.numerics.errors import InputError
from glaverify.numerics.model import DataModel


def test_search_runs_and_summarises():
    res = rs.search(300, seed=1, max_d=4, max_n=8)
    d = res.to_dict()
    assert d["checked"] == 300 and sum(d["by_generator"].values()) == 300
    assert set(d["by_generator"]) >= {"degenerate", "adversarial"}
    assert d["verdict"] == "supported" and d["counterexamples"] == []
    assert d["instances_per_minute"] > 0


def test_search_is_reproducible():
    a = rs.search(60, seed=7, max_d=3, max_n=6).to_dict()
    b = rs.search(60, seed=7, max_d=3, max_n=6).to_dict()
    for k in ("checked", "by_generator", "suspects", "best_adversarial_score"):
        assert a[k] == b[k]


def test_bad_arguments_are_input_errors():
    for kw in ({"budget": 0}, {"max_d": 0}, {"seed": -1}):
        with pytest.raises(InputError):
            rs.search(**{"budget": 10, **kw})


def test_screen_flags_a_planted_second_stationary_point(monkeypatch):
    """With a fixed-point map that has three roots, screening must flag the instance as a suspect."""
    inst = rs.degenerate_instance(np.random.default_rng(4), 4, 8)
    m = DataModel.create(
        np.diag([0.5, 1.0, 2.0]), np.array([[1, 0.3, 0.5], [0.3, 1, 0.8], [0.5, 0.8, 1.0]]), [3, 2], 0.1
    )
    assert not rs.screen(m).suspect
    lo, hi = ls.gamma_bracket(m)
    spec = ls.CurveSpectrum.of(m)
    grid = np.exp(np.linspace(np.log(lo / 1.01), np.log(hi * 1.01), 4000))
    _, aa, _ = spec.coefficients(grid)
    g1, g2, g3 = np.exp(np.linspace(np.log(lo), np.log(hi), 5)[1:4])
    order = np.argsort(aa)

    def planted(lam, s, a, b):
        gam = np.interp(a, aa[order], grid[order])
        return gam - (gam - g1) * (gam - g2) * (gam - g3) / gam**2

    monkeypatch.setattr(ls, "gamma_map_r4", planted)
    sc = rs.screen(m)
    assert sc.suspect and sc.roots == 3
    assert inst is not None


def test_planted_counterexample_is_recorded_shrunk_and_reproducible(monkeypatch, tmp_path):
    """A certificate that refutes (planted) must give a counterexample, shrunk, as a loadable TOML."""

    def fails(m: DataModel) -> bool:  # planted 'failure': at least 2 blocks and d >= 2
        return m.K >= 2 and m.d >= 2

    monkeypatch.setattr(rs, "screen", lambda m: rs.Screen(fails(m), 3, 2, 0.0))
    monkeypatch.setattr(rs, "classify", lambda m, rng, full=True: (fails(m), None))

    class Fake:
        verdict, reason, counterexample = "refuted", "planted", {"planted": True}

    monkeypatch.setattr(ls, "certify", lambda *a, **k: Fake())
    res = rs.search(20, seed=0, max_d=5, max_n=10, split=(0.0, 1.0, 0.0))
    assert res.verdict == "refuted" and res.counterexamples
    cex = res.counterexamples[0]
    small = cex["instance"]
    assert len(small["block_sizes"]) == 2 and len(small["eigenvalues"]) == 2
    assert all(b == 1 for b in small["block_sizes"])
    f = tmp_path / "cex.toml"
    f.write_text(cex["toml"])
    m = DataModel.from_config(load_config(f).model)
    assert fails(m)
    assert np.allclose(m.eigenvalues, sorted(small["eigenvalues"]))


def test_instance_toml_round_trip(tmp_path):
    inst = rs.degenerate_instance(np.random.default_rng(3), 5, 9)
    m0 = inst.model()
    f = tmp_path / "i.toml"
    f.write_text(inst.to_toml("a note"))
    m1 = DataModel.from_config(load_config(f).model)
    assert np.allclose(m1.eigenvalues, m0.eigenvalues, rtol=1e-15)
    assert np.array_equal(m1.block_corr, m0.block_corr) and m1.block_sizes == m0.block_sizes


def test_degenerate_generator_covers_near_zero_r_and_high_condition():
    rng = np.random.default_rng(0)
    small_r = cond = 0
    for _ in range(200):
        inst = rs.degenerate_instance(rng, 8, 16)
        m = inst.model()
        small_r += np.max(np.abs(m.r)) < 1e-3
        cond += m.eigenvalues[-1] / m.eigenvalues[0] > 1e6
    assert small_r > 5 and cond > 5


def test_cli_search(tmp_path):
    from glaverify.proofs_check.cli import app
    from typer.testing import CliRunner

    out = tmp_path / "r6"  # --out is a directory on every command (docs/cli.md)
    res = CliRunner().invoke(
        app,
        [
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
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["checked"] == 120 and json.loads((out / "search.json").read_text())["checked"] == 120
    bad = CliRunner().invoke(app, ["search", "R9", "--budget", "10"])
    assert bad.exit_code == 2


@pytest.mark.slow
def test_search_2000_default_sizes():
    res = rs.search(2000, seed=0)
    assert res.checked == 2000 and res.verdict == "supported"
