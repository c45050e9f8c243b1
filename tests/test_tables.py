"""Sweeps, appendix tables, figures, caching and executors (``glaverify tables``).

The tables are checked against values recomputed here independently of the producers (the LinAtt optimum by
solving the normal equations of the R1 risk in vec(P), the null risk by hand), every verifier in the
pipeline is shown to fail on a planted error, and serial, process-pool and Dask runs must agree exactly.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from glaverify.numerics.closed_forms import wpgd_risk
from glaverify.numerics.errors import InputError
from glaverify.numerics.model import DataModel
from glaverify.proofs_check.cli import app
from glaverify.proofs_check.tables import producers
from glaverify.proofs_check.tables.cache import ResultCache, cache_key, code_version
from glaverify.proofs_check.tables.output import write_outputs
from glaverify.proofs_check.tables.render import (
    MARKERS,
    csv_columns,
    format_number,
    read_csv,
    render_csv,
    render_latex,
    render_markdown,
)
from glaverify.proofs_check.tables.spec import expand_cells, load_sweep_config, parse_sweep_config
from glaverify.proofs_check.tables.sweep import run_sweep
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
CI_CONFIG = ROOT / "examples" / "appendix_ci.toml"
FULL_CONFIG = ROOT / "examples" / "appendix.toml"


def small_config(noise=(0.1, 0.5), columns=("risk.null", "risk.linatt", "mc.linatt"), **extra) -> dict:
    """A tiny sweep (d = 2, n = 4) for cache and executor tests."""
    cfg = {
        "model": {
            "d": 2,
            "n": 4,
            "noise_var": 0.1,
            "features": {"covariance": "diagonal", "eigenvalues": [0.5, 2.0]},
            "tasks": {"family": "star", "block_sizes": [2, 2], "rho": [0.3, 0.9]},
        },
        "run": {"seed": 3, "mc_prompts": 500},
        "sweep": {"axes": {"noise_var": list(noise)}},
        "table": [{"name": "t", "caption": "small", "index": ["noise_var"], "columns": list(columns)}],
    }
    cfg.update(extra)
    return cfg


def independent_linatt_risk(model: DataModel) -> float:
    """min over P of the R1 risk at ω = 1, from the normal equations (M ⊗ Σ) vec P = (r^T 1) vec Σ²."""
    n = model.n
    omega = np.ones(n)
    R = model.R
    r = model.r
    a = float(omega @ (R + np.eye(n)) @ omega)
    b = model.s * n
    sig = model.sigma
    M = a * sig @ sig + b * sig
    vecP = np.linalg.solve(np.kron(M, sig), float(r @ omega) * (sig @ sig).reshape(-1, order="F"))
    P = vecP.reshape(sig.shape, order="F")
    return wpgd_risk(model, P, omega)


def brute_force_min_profile(model: DataModel, kind: str, starts: int = 6, seed: int = 0) -> float:
    """min L*(ω) by multistart BFGS over a parametrisation of the set (independent of numerics.gating):
    all of R^n (WPGD), the monotone cone ±(a_1², a_1²+a_2², ...) (scalar gates), or block-constant
    monotone vectors (delimiter gates)."""
    from glaverify.numerics.closed_forms import profile_risk
    from scipy.optimize import minimize

    rng = np.random.default_rng(seed)
    m = model.n if kind in ("wpgd", "scalar") else model.K

    def omega(x: np.ndarray, sign: float) -> np.ndarray:
        if kind == "wpgd":
            return x
        u = sign * np.cumsum(x**2)
        return u if kind == "scalar" else np.repeat(u, model.block_sizes)

    best = np.inf
    for sign in (1.0, -1.0):
        for _ in range(starts):
            res = minimize(
                lambda x, sign=sign: profile_risk(model, omega(x, sign)),
                rng.uniform(0.2, 1.0, m),
                method="BFGS",
                options={"gtol": 1e-11},
            )
            best = min(best, float(res.fun))
    return best


# ------------------------------------------------------------------------------------------ config
def test_ci_and_full_examples_validate():
    for path in (CI_CONFIG, FULL_CONFIG):
        cfg = load_sweep_config(path)
        cells = expand_cells(cfg)
        assert cells and cfg.table and cfg.figure
        assert len({c.index for c in cells}) == len(cells)


def test_cells_are_the_product_of_axes_and_zipped_axes():
    cfg = parse_sweep_config(
        small_config(noise=(0.1, 0.2, 0.3))
        | {
            "sweep": {
                "axes": {"noise_var": [0.1, 0.2, 0.3]},
                "zip": [
                    {"name": "dims", "d": [2, 3], "features": {"eigenvalues": [[1.0, 2.0], [1.0, 2.0, 3.0]]}}
                ],
            }
        }
    )
    cells = expand_cells(cfg)
    assert len(cells) == 6
    assert {(c.model.d, len(c.model.features.eigenvalues)) for c in cells} == {(2, 2), (3, 3)}
    assert sorted(c.model.noise_var for c in cells) == [0.1, 0.1, 0.2, 0.2, 0.3, 0.3]


def test_invalid_cell_names_the_axis_and_the_cell():
    bad = small_config() | {
        "sweep": {"axes": {"d": [2, 3]}},
        "table": [{"name": "t", "columns": ["risk.null"]}],
    }
    with pytest.raises(InputError) as exc:
        parse_sweep_config(bad)
    assert exc.value.field == "sweep.axes.d"
    assert "cell 1 (d=3)" in str(exc.value) and "eigenvalues" in str(exc.value)


@pytest.mark.parametrize(
    "patch, field, text",
    [
        ({"table": [{"name": "t", "columns": ["risk.bogus"]}]}, "table[0].columns", "unknown quantity"),
        (
            {"table": [{"name": "t", "index": ["nope"], "columns": ["risk.null"]}]},
            "table[0]",
            "not a sweep axis",
        ),
        ({"sweep": {"zip": [{"d": [2, 3], "noise_var": [0.1]}]}}, "sweep.zip[0]", "equal lengths"),
        ({"sweep": {"axes": {"noise_var": []}}}, "sweep.axes.noise_var", "non-empty"),
        ({"sweep": {"axes": {"noise_var": [-1.0]}}}, "sweep.axes.noise_var", "cell 0"),
        ({"figure": [{"name": "f", "kind": "line", "columns": ["risk.null"]}]}, "figure[0].x", "needs x"),
        ({"bogus": 1}, "bogus", "unknown key"),
    ],
)
def test_bad_sweep_configs_raise_input_errors_naming_the_field(patch, field, text):
    with pytest.raises(InputError) as exc:
        parse_sweep_config(small_config() | patch)
    assert exc.value.field == field, str(exc.value)
    assert text in str(exc.value)


# ------------------------------------------------------------------------------------------ the CI appendix
@pytest.fixture(scope="module")
def ci_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("appendix_ci")
    cfg = load_sweep_config(CI_CONFIG)
    result = run_sweep(cfg, cache_dir=out / "cache", quick=True, version="test")
    prov = write_outputs(result, out / "out")
    return cfg, result, prov, out / "out"


def test_ci_tables_match_independent_closed_forms(ci_run):
    cfg, result, _, _ = ci_run
    for cell, vals in zip(result.cells, result.values, strict=False):
        model = DataModel.from_config(cell.model)
        assert vals["risk.null"]["value"] == pytest.approx(np.trace(model.sigma) + model.noise_var, rel=1e-14)
        assert vals["risk.null"]["verdict"] == "proved"
        lin = vals["risk.linatt"]
        assert lin["verdict"] == "certified"
        assert lin["value"] == pytest.approx(independent_linatt_risk(model), rel=1e-10)
        assert lin["value"] < vals["risk.null"]["value"]
        mc = vals["mc.linatt"]
        assert mc["verdict"] == "supported" and mc["sample_size"] > 0
        assert mc["ci"][0] <= lin["value"] <= mc["ci"][1]
        # WPGD and GLA optima against an independent brute-force minimisation of the R3 profile risk
        for q, kind in (
            ("risk.wpgd", "wpgd"),
            ("risk.gla.scalar", "scalar"),
            ("risk.gla.delimiter", "delimiter"),
        ):
            assert vals[q]["verdict"] == "certified", vals[q]
            assert vals[q]["value"] == pytest.approx(brute_force_min_profile(model, kind), rel=1e-6, abs=1e-9)
        wp, sc, de = (vals[q]["value"] for q in ("risk.wpgd", "risk.gla.scalar", "risk.gla.delimiter"))
        tol = 1e-7 * lin["value"]  # numerics.gating certifies its optima to 1e-7
        assert wp <= sc + tol and sc <= de + tol and de <= lin["value"] + tol  # nested realisable sets
        for q in ("verdict.R1", "verdict.R3"):
            assert vals[q]["verdict"] in ("proved", "certified", "supported")


def test_trained_risk_is_sampled_and_not_below_the_class_optimum(ci_run):
    """A trained one-layer delimiter GLA cannot beat the certified delimiter optimum (beyond its CI)."""
    _, result, _, _ = ci_run
    cells = [v for v in result.values if "risk.trained" in v]
    assert len(cells) == 1  # the figure's `where` limits training to one cell
    tr, th = cells[0]["risk.trained"], cells[0]["risk.trained_theory"]
    if tr["verdict"] == "n/a":
        pytest.skip(tr["note"])
    assert tr["verdict"] == "supported" and tr["sample_size"] == 2000
    assert th["verdict"] == "certified"
    assert tr["ci"][1] >= th["value"]


def test_unavailable_producers_are_reported_not_faked(ci_run):
    _, result, _, out = ci_run
    for vals in result.values:
        for q in ("risk.wpgd", "risk.gla.delimiter"):
            if vals[q]["verdict"] == "n/a":
                assert vals[q]["value"] is None and "needs" in vals[q]["note"]
    md = (out / "risks.md").read_text()
    if any(v["risk.wpgd"]["verdict"] == "n/a" for v in result.values):
        assert "n/a[" in md and "not available (needs glaverify.numerics.landscape" in md


def test_outputs_and_provenance(ci_run):
    cfg, result, prov, out = ci_run
    for t in cfg.table:
        for ext in ("tex", "md", "csv"):
            assert (out / f"{t.name}.{ext}").stat().st_size > 0
    for f in cfg.figure:
        for ext in ("pdf", "png"):
            assert (out / f"{f.name}.{ext}").stat().st_size > 1000
    data = json.loads((out / "provenance.json").read_text())
    assert data["config_hash"] == cfg.content_hash()
    assert data["config"]["run"]["seed"] == cfg.run.seed == data["seeds"]["run.seed"]
    assert {"numpy", "python", "glaverify"} <= set(data["package_versions"])
    assert data["glaverify_version"] and data["git_commit"]
    assert len(data["cells"]) == len(result.cells)
    assert all(c["wall_time_s"] >= 0 and c["model"]["d"] == 3 for c in data["cells"])


def _latex_structure(tex: str, ncols: int) -> None:
    assert tex.count("{") == tex.count("}")
    depth = 0
    for ch in tex:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0
    for rule in (r"\toprule", r"\midrule", r"\bottomrule"):
        assert tex.count(rule) == 1
    assert tex.index(r"\toprule") < tex.index(r"\midrule") < tex.index(r"\bottomrule")
    assert re.search(
        r"\\caption\{.*E\}\[\\beta\\beta\^\\top\]=I_d.*not normalised", tex.replace("\\mathbb{E}", "E}")
    )
    assert re.search(r"\\label\{tab:[\w\-]+\}", tex)
    spec = re.search(r"\\begin\{tabular\}\{([lrc]+)\}", tex)
    assert spec and len(spec.group(1)) == ncols
    body = tex[tex.index(r"\toprule") : tex.index(r"\bottomrule")]
    rows = [ln for ln in body.splitlines() if ln.rstrip().endswith(r"\\")]
    assert rows
    for ln in rows:
        assert ln.count("&") - ln.count(r"\&") == ncols - 1, ln
    for num in re.findall(r"\\num\{([^}]*)\}", tex):
        float(num)  # siunitx-parsable plain numbers
    assert "²" not in tex and "σ" not in tex.replace(r"$\sigma$", "")


def test_latex_structure_and_compiles_if_tex_available(ci_run, tmp_path):
    cfg, _, _, out = ci_run
    for t in cfg.table:
        tex = (out / f"{t.name}.tex").read_text()
        _latex_structure(tex, len(t.index) + len(t.columns))
    engine = shutil.which("pdflatex") or shutil.which("lualatex")
    if engine is None:
        pytest.skip("no TeX engine: structural checks only")
    doc = tmp_path / "doc.tex"
    # exactly the packages the .tex header names: a header that omits one fails to compile here
    header = (out / f"{cfg.table[0].name}.tex").read_text().splitlines()[0]
    pkgs = re.search(r"\\usepackage\{([^}]*)\}", header).group(1)
    doc.write_text(
        "\\documentclass{article}\\usepackage{" + pkgs + "}\\begin{document}\n"
        + "\n".join((out / f"{t.name}.tex").read_text() for t in cfg.table)
        + "\\end{document}\n"
    )
    proc = subprocess.run(
        [engine, "-interaction=nonstopmode", "-halt-on-error", doc.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-2000:]


def test_csv_round_trips_exactly(ci_run):
    cfg, result, _, out = ci_run
    for t in cfg.table:
        rows = read_csv((out / f"{t.name}.csv").read_text())
        assert list(rows[0]) == csv_columns(t)
        assert len(rows) == len(result.cells)
        for row, vals in zip(rows, result.values, strict=False):
            for q in t.columns:
                v = vals[q]
                assert row[f"{q}:verdict"] == v["verdict"]
                if isinstance(v["value"], float):
                    assert row[q] == v["value"]  # exact, not approximate
                elif v["value"] is None:
                    assert row[q] is None
                else:
                    assert row[q] == v["value"]
                if v.get("ci"):
                    assert [row[f"{q}:ci_low"], row[f"{q}:ci_high"]] == v["ci"]


@given(st.floats(allow_nan=False, allow_infinity=False, width=64), st.integers(1, 12))
def test_number_format_is_num_parsable_and_accurate(x, digits):
    text = format_number(x, digits)
    assert re.fullmatch(r"-?\d+(\.\d+)?(e[+-]\d+)?", text), text
    assert float(text) == pytest.approx(x, rel=10.0 ** (1 - digits), abs=1e-300)


# ------------------------------------------------------------------------------------------ planted errors
def test_linatt_certificate_catches_a_planted_wrong_preconditioner(monkeypatch, tmp_path):
    """A 1 % error in P*(1) must fail the stationarity certificate and print a marker, not a clean number."""
    import glaverify.numerics.closed_forms as cf

    real = cf.optimal_preconditioner
    monkeypatch.setattr(cf, "optimal_preconditioner", lambda model, omega: 1.01 * real(model, omega))
    cfg = parse_sweep_config(small_config(noise=(0.1,), columns=("risk.linatt",)))
    result = run_sweep(cfg, cache_dir=tmp_path, version="planted")
    qv = result.values[0]["risk.linatt"]
    assert qv["verdict"] == "inconclusive"
    assert qv["residuals"]["stationarity"] > 1e-4
    md = render_markdown(result, cfg.table[0])
    assert MARKERS["inconclusive"] in md and "certificate did not pass" in md
    assert r"\textsuperscript{\ddag}" in render_latex(result, cfg.table[0])


def test_monte_carlo_cell_catches_a_planted_wrong_closed_form(monkeypatch):
    """If the closed form the MC estimate is compared with were wrong by 20 %, the cell is not 'supported'."""
    real = producers.linatt_optimum

    def planted(model, tol):
        out = real(model, tol)
        return {**out, "risk": 1.2 * out["risk"]}

    monkeypatch.setattr(producers, "linatt_optimum", planted)
    cfg = parse_sweep_config(small_config(noise=(0.1,)) | {"run": {"seed": 1, "mc_prompts": 20000}})
    vals = producers.run_producer(
        "mc_linatt", cfg.model.model_dump(mode="json"), cfg.run.model_dump(mode="json"), False
    )["values"]
    assert vals["mc.linatt"]["verdict"] == "inconclusive"
    assert "outside the CI" in vals["mc.linatt"]["note"]


def test_every_uncertified_value_is_marked(tmp_path):
    """Rewrite verdicts by hand: supported/inconclusive/refuted values get their marker and footnote."""
    cfg = parse_sweep_config(small_config(noise=(0.1, 0.2, 0.3), columns=("risk.linatt",)))
    result = run_sweep(cfg, cache_dir=tmp_path, version="m")
    for vals, verdict in zip(result.values, ("supported", "inconclusive", "refuted"), strict=False):
        vals["risk.linatt"] = {**vals["risk.linatt"], "verdict": verdict}
    md = render_markdown(result, cfg.table[0])
    rows = [ln for ln in md.splitlines() if ln.startswith("| 0.")]
    assert [r.rstrip(" |")[-1] for r in rows] == ["†", "‡", "!"]
    for m in ("supported", "inconclusive", "refuted"):
        assert f"{MARKERS[m]} " in md.split("Unmarked numbers")[1]
    tex = render_latex(result, cfg.table[0])
    assert tex.count(r"\textsuperscript{\dag}") == 2  # the cell and its footnote
    # and the certified version prints none
    result.values[0]["risk.linatt"]["verdict"] = "certified"
    assert not render_markdown(result, cfg.table[0]).splitlines()[4].rstrip(" |").endswith("†")


# ------------------------------------------------------------------------------------------ cache
def test_cache_recomputes_only_new_cells_and_everything_on_code_change(tmp_path):
    cache = tmp_path / "cache"
    cfg1 = parse_sweep_config(small_config(noise=(0.1, 0.5)))
    r1 = run_sweep(cfg1, cache_dir=cache, version="v1")
    assert len(r1.computed) == 4 and not r1.cached  # 2 cells x 2 producers
    r1b = run_sweep(cfg1, cache_dir=cache, version="v1")
    assert not r1b.computed and len(r1b.cached) == 4
    assert r1b.values == r1.values
    cfg2 = parse_sweep_config(small_config(noise=(0.1, 0.5, 0.9)))
    r2 = run_sweep(cfg2, cache_dir=cache, version="v1")
    assert {r2.cells[i].model.noise_var for i, _ in r2.computed} == {0.9}
    assert len(r2.cached) == 4
    r3 = run_sweep(cfg2, cache_dir=cache, version="v2")  # a code change
    assert len(r3.computed) == 6 and not r3.cached
    r4 = run_sweep(cfg2, cache_dir=cache, version="v2", use_cache=False)  # --no-cache
    assert len(r4.computed) == 6
    assert r4.values == r3.values  # deterministic from the seed


def test_cache_key_depends_on_config_run_producer_version():
    m = {"d": 2}
    base = cache_key(m, {"seed": 0}, "closed_form", "v", False)
    assert base != cache_key({"d": 3}, {"seed": 0}, "closed_form", "v", False)
    assert base != cache_key(m, {"seed": 1}, "closed_form", "v", False)
    assert base != cache_key(m, {"seed": 0}, "monte_carlo", "v", False)
    assert base != cache_key(m, {"seed": 0}, "closed_form", "w", False)
    assert base != cache_key(m, {"seed": 0}, "closed_form", "v", True)
    assert base == cache_key(dict(m), {"seed": 0}, "closed_form", "v", False)


def test_code_version_hashes_the_sources(tmp_path):
    for pkg in ("numerics", "proofs_check"):
        (tmp_path / pkg).mkdir()
        (tmp_path / pkg / "a.py").write_text("x = 1\n")
    v1 = code_version(tmp_path)
    assert v1 == code_version(tmp_path)
    (tmp_path / "numerics" / "a.py").write_text("x = 2\n")
    assert code_version(tmp_path) != v1
    assert len(code_version()) == 64


def test_interrupted_write_leaves_the_cache_consistent(tmp_path, monkeypatch):
    cache = ResultCache(tmp_path)
    cache.put("ab" + "0" * 62, {"values": {"x": 1}})

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(json, "dump", boom)
    with pytest.raises(KeyboardInterrupt):
        cache.put("ab" + "1" * 62, {"values": {"x": 2}})
    monkeypatch.undo()
    assert [p.name for p in (tmp_path / "ab").iterdir()] == ["ab" + "0" * 62 + ".json"]  # no partial file
    assert cache.get("ab" + "1" * 62) is None
    assert cache.get("ab" + "0" * 62)["values"] == {"x": 1}
    cache.path("ab" + "2" * 62).write_text('{"values": ')  # a truncated file from elsewhere is a miss
    assert cache.get("ab" + "2" * 62) is None


def test_cache_survives_an_interrupted_sweep(tmp_path, monkeypatch):
    """Ctrl-C after the first task: the finished task is cached, the rest recompute on the next run."""
    from glaverify.proofs_check.tables import sweep as sweep_mod

    cfg = parse_sweep_config(small_config(noise=(0.1, 0.5), columns=("risk.linatt",)))
    real = sweep_mod.execute

    def interrupted(tasks, jobs=1, scheduler=None, on_result=None):
        on_result(0, producers.run_producer(*tasks[0]))
        raise KeyboardInterrupt

    monkeypatch.setattr(sweep_mod, "execute", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(cfg, cache_dir=tmp_path, version="i")
    monkeypatch.setattr(sweep_mod, "execute", real)
    again = run_sweep(cfg, cache_dir=tmp_path, version="i")
    assert len(again.cached) == 1 and len(again.computed) == 1


# ------------------------------------------------------------------------------------------ executors
def _tables(result) -> list[str]:
    return [render_csv(result, t) for t in result.config.table]


def test_serial_process_pool_and_dask_give_identical_tables(tmp_path):
    distributed = pytest.importorskip("distributed")
    cfg = parse_sweep_config(
        small_config(noise=(0.1, 0.3, 0.5))
        | {
            "table": [
                {"name": "t", "index": ["noise_var"], "columns": ["risk.linatt", "mc.linatt", "verdict.R3"]}
            ]
        }
    )
    serial = run_sweep(cfg, cache_dir=tmp_path / "a", version="e")
    pool = run_sweep(cfg, cache_dir=tmp_path / "b", version="e", jobs=2)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        dask_addr = run_sweep(cfg, cache_dir=tmp_path / "c", version="e", scheduler=cluster.scheduler_address)
        dask_client = run_sweep(cfg, cache_dir=tmp_path / "d", version="e", scheduler=client)
    assert len(serial.computed) == len(pool.computed) == len(dask_addr.computed) == 9
    assert _tables(serial) == _tables(pool) == _tables(dask_addr) == _tables(dask_client)


def test_bad_jobs_and_unreachable_scheduler_are_input_errors(tmp_path, monkeypatch):
    from glaverify.proofs_check.tables import executor

    monkeypatch.setattr(executor, "CONNECT_TIMEOUT", "1s")
    cfg = parse_sweep_config(small_config(noise=(0.1,)))
    with pytest.raises(InputError, match="--jobs"):
        run_sweep(cfg, cache_dir=tmp_path, version="x", jobs=0)
    pytest.importorskip("distributed")
    with pytest.raises(InputError, match="--scheduler"):
        run_sweep(cfg, cache_dir=tmp_path, version="x", scheduler="tcp://127.0.0.1:1")


# ------------------------------------------------------------------------------------------ CLI
def test_cli_tables_writes_outputs_and_reuses_the_cache(tmp_path):
    cfg = tmp_path / "s.toml"
    cfg.write_text("""
[model]
d = 2
n = 4
[model.features]
covariance = "identity"
[model.tasks]
family = "decay"
block_sizes = [2, 2]
rho = 0.5
[run]
mc_prompts = 500
[sweep.axes]
"features.scale" = [1.0, 2.0]
[[table]]
name = "r"
index = ["features.scale"]
columns = ["risk.null", "risk.linatt"]
[[figure]]
name = "line"
kind = "line"
x = "features.scale"
columns = ["risk.null", "risk.linatt"]
""")
    runner = CliRunner()
    args = ["tables", "--config", str(cfg), "--out", str(tmp_path / "o"), "--cache-dir", str(tmp_path / "c")]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "2 task(s) computed, 0 cached" in res.output
    assert (tmp_path / "o" / "r.tex").is_file() and (tmp_path / "o" / "line.png").is_file()
    res = runner.invoke(app, args)
    assert "0 task(s) computed, 2 cached" in res.output
    res = runner.invoke(app, [*args, "--no-cache"])
    assert "2 task(s) computed, 0 cached" in res.output
    rows = read_csv((tmp_path / "o" / "r.csv").read_text())
    assert [r["risk.null"] for r in rows] == [pytest.approx(2.1), pytest.approx(4.1)]


def test_cli_tables_bad_config_is_one_line_exit_2(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(
        '[model]\nd = 2\nn = 4\n[sweep.axes]\nn = [4, 0]\n[[table]]\nname = "t"\ncolumns = ["risk.null"]\n'
    )
    res = CliRunner().invoke(app, ["tables", "--config", str(cfg), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "sweep.axes.n" in res.output and "cell 1" in res.output
    assert "Traceback" not in res.output


@pytest.mark.slow
def test_full_appendix_example_runs(tmp_path):
    cfg = load_sweep_config(FULL_CONFIG)
    result = run_sweep(cfg, cache_dir=tmp_path / "c", jobs=2)
    write_outputs(result, tmp_path / "o", jobs=2)
    for cell, vals in zip(result.cells, result.values, strict=False):
        model = DataModel.from_config(cell.model)
        assert vals["risk.linatt"]["value"] == pytest.approx(independent_linatt_risk(model), rel=1e-9)


def test_a_failing_task_in_the_pool_stops_the_sweep():
    """A task that raises in a worker propagates, and the queued tasks are cancelled (not all run)."""
    from glaverify.proofs_check.tables.executor import execute

    cfg = parse_sweep_config(small_config(noise=(0.1,)))
    model, run = cfg.model.model_dump(mode="json"), cfg.run.model_dump(mode="json")
    seen = []
    tasks = [("no-such-producer", model, run, False)] + [("closed_form", model, run, False)] * 6
    with pytest.raises(KeyError, match="no-such-producer"):
        execute(tasks, jobs=2, on_result=lambda i, res: seen.append(i))
    assert len(seen) < len(tasks)



# ============================================================== issue 14: paste-ready tables and figures
def test_tex_header_lists_every_package_the_table_uses(ci_run):
    from glaverify.proofs_check.tables.render import LATEX_PACKAGES

    cfg, _, _, out = ci_run
    for t in cfg.table:
        tex = (out / f"{t.name}.tex").read_text()
        header = tex.splitlines()[0]
        needs = {"booktabs": r"\toprule", "siunitx": r"\num{", "amsmath": r"\operatorname",
                 "amssymb": r"\mathbb"}
        for pkg, macro in needs.items():
            if macro in tex:
                assert pkg in header, (pkg, header)
        assert set(LATEX_PACKAGES) >= {"amsmath", "amssymb", "booktabs", "siunitx"}


def test_exact_zero_prints_as_zero_but_a_real_small_value_does_not():
    from glaverify.proofs_check.tables.render import DISPLAY_ZERO_RTOL

    assert format_number(-8.9e-16, 4, scale=3.6) == "0"
    assert format_number(0.0, 4) == "0" and format_number(-0.0, 4) == "0"
    just_above = 3.6 * DISPLAY_ZERO_RTOL * 1.5  # near-miss: above the threshold, printed as a number
    assert format_number(just_above, 4, scale=3.6) != "0"
    assert format_number(-8.9e-16, 4) == "-8.9e-16"  # without a scale nothing is rounded away


def test_round_off_zero_in_a_table_prints_0(tmp_path, monkeypatch):
    """A gap that is round-off of an exact zero is printed 0 in Markdown and LaTeX (the CSV keeps it)."""
    cfg = parse_sweep_config(small_config(noise=(0.1,), columns=("risk.null",)))
    result = run_sweep(cfg, cache_dir=tmp_path / "c")
    result.values[0]["risk.null"] = {**result.values[0]["risk.null"], "value": -8.9e-16}
    md = render_markdown(result, cfg.table[0])
    assert "-8.9e-16" not in md and "| 0 |" in md
    assert r"\num{0}" in render_latex(result, cfg.table[0])
    assert "-8.9e-16" in render_csv(result, cfg.table[0]) or "-8.9e-16" in repr(-8.9e-16)


@pytest.fixture
def captured_figures(monkeypatch):
    """Keep the matplotlib figures instead of only writing them."""
    from glaverify.proofs_check.tables import figures

    figs = []

    def save(fig, out, name):
        figs.append(fig)
        return []

    monkeypatch.setattr(figures, "_save", save)
    return figs


def _fake_result(n_cells: int, values: dict):
    """A SweepResult over ``n_cells`` noise levels whose every cell holds ``values``."""
    from glaverify.proofs_check.tables.sweep import SweepResult

    cfg = parse_sweep_config(small_config(noise=tuple(0.1 * (k + 1) for k in range(n_cells))))
    cells = expand_cells(cfg)
    vals = [{q: dict(v) if isinstance(v, dict) else v for q, v in values.items()} for _ in cells]
    return cfg, SweepResult(cfg, cells, vals, [0.0] * len(cells))


def _qv(value, verdict="certified"):
    return {"value": value, "verdict": verdict, "note": "", "ci": None}


def _non_risk_scalar() -> str:
    from glaverify.proofs_check.tables.quantities import QUANTITIES

    return next(q for q, spec in QUANTITIES.items()
                if spec.kind == "scalar" and not q.startswith(("risk.", "mc.")))


def test_line_figure_labels_come_from_the_quantity(captured_figures):
    from glaverify.proofs_check.tables.figures import figure_line
    from glaverify.proofs_check.tables.quantities import QUANTITIES
    from glaverify.proofs_check.tables.spec import FigureSpec

    q = _non_risk_scalar()
    cfg, result = _fake_result(3, {q: _qv(0.1)})
    figure_line(result, FigureSpec(name="f", kind="line", x="noise_var", columns=[q]), Path("."))
    ax = captured_figures[-1].axes[0]
    assert ax.get_ylabel() == QUANTITIES[q].label and "risk" not in ax.get_ylabel().lower().split()[0:1]
    assert "noise_var" in ax.get_title() and ax.get_xlabel() == "noise_var"


def test_value_label_is_not_always_risk():
    from glaverify.proofs_check.tables.figures import value_label
    from glaverify.proofs_check.tables.quantities import QUANTITIES

    assert value_label(["risk.null", "risk.linatt"]).startswith("risk")
    other = _non_risk_scalar()
    assert value_label([other]) == QUANTITIES[other].label


def test_identical_series_stay_visible_and_are_named(captured_figures):
    from glaverify.proofs_check.tables.figures import figure_line
    from glaverify.proofs_check.tables.spec import FigureSpec

    cfg, result = _fake_result(3, {"risk.null": _qv(1.0), "risk.linatt": _qv(1.0)})
    for i in range(3):  # the two series coincide exactly
        result.values[i]["risk.null"]["value"] = result.values[i]["risk.linatt"]["value"] = 1.0 + i
    figure_line(result, FigureSpec(name="f", kind="line", x="noise_var",
                                   columns=["risk.null", "risk.linatt"]), Path("."))
    ax = captured_figures[-1].axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("(= " in lab for lab in labels), labels
    markers = {ln.get_marker() for ln in ax.lines if ln.get_marker() not in ("None", None, "")}
    assert len(markers) >= 2  # different marker shapes: the hidden series shows through


def test_log_scale_option(captured_figures):
    from glaverify.proofs_check.tables.figures import figure_line
    from glaverify.proofs_check.tables.spec import FigureSpec

    cfg, result = _fake_result(3, {"risk.null": _qv(1.0)})
    for i in range(3):
        result.values[i]["risk.null"]["value"] = 10.0 ** i
    figure_line(result, FigureSpec(name="f", kind="line", x="noise_var", columns=["risk.null"], log=True),
                Path("."))
    assert captured_figures[-1].axes[0].get_yscale() == "log"
    figure_line(result, FigureSpec(name="f", kind="line", x="noise_var", columns=["risk.null"]), Path("."))
    assert captured_figures[-1].axes[0].get_yscale() == "linear"


def test_omega_figure_draws_every_cell_or_says_why_not(captured_figures):
    from glaverify.proofs_check.tables.figures import figure_omega
    from glaverify.proofs_check.tables.spec import FigureSpec

    cfg, result = _fake_result(8, {"omega.wpgd": _qv([0.2, 0.5, 1.0, 1.0])})
    _, notes = figure_omega(result, FigureSpec(name="o", kind="omega", columns=["omega.wpgd"]), Path("."))
    drawn = [ax for ax in captured_figures[-1].axes if ax.lines]
    assert len(drawn) == 8 and not notes
    _, notes = figure_omega(result, FigureSpec(name="o", kind="omega", columns=["omega.wpgd"], max_panels=6),
                            Path("."))
    assert len([ax for ax in captured_figures[-1].axes if ax.lines]) == 6
    assert any("8 cells" in n and "max_panels" in n for n in notes)


def test_r6_figure_one_unit_per_panel_and_readable_labels(captured_figures):
    from glaverify.proofs_check.tables.figures import figure_r6
    from glaverify.proofs_check.tables.spec import FigureSpec

    cfg, result = _fake_result(2, {
        "r6.certificate": _qv({"gradient_norm": 1e-12, "hessian.restricted_min_relative": 0.3}),
        "r6.search": _qv({"checked": 100, "suspects": 0, "counterexamples": 0, "seconds": 2.5}, "supported"),
    })
    figure_r6(result, FigureSpec(name="r", kind="r6"), Path("."))
    axes = [ax for ax in captured_figures[-1].axes if ax.patches]
    assert len(axes) == 6  # one panel per reported number: counts, seconds and norms never share an axis
    titles = [ax.get_title() for ax in axes]
    assert any("search time (s)" in t for t in titles) and any("count" in t for t in titles)
    assert not any("_" in t for t in titles), titles  # no internal key names (snake_case)


def test_series_that_differ_just_above_the_tolerance_are_not_called_equal(captured_figures):
    from glaverify.proofs_check.tables.figures import COINCIDE_RTOL, figure_line
    from glaverify.proofs_check.tables.spec import FigureSpec

    cfg, result = _fake_result(3, {"risk.null": _qv(1.0), "risk.linatt": _qv(1.0)})
    for i in range(3):  # near-miss: 10× the coincidence tolerance apart
        result.values[i]["risk.null"]["value"] = 1.0 + i
        result.values[i]["risk.linatt"]["value"] = (1.0 + i) * (1 + 10 * COINCIDE_RTOL)
    figure_line(result, FigureSpec(name="f", kind="line", x="noise_var",
                                   columns=["risk.null", "risk.linatt"]), Path("."))
    labels = [t.get_text() for t in captured_figures[-1].axes[0].get_legend().get_texts()]
    assert not any("(= " in lab for lab in labels), labels


def test_ctrl_c_under_dask_cancels_the_remaining_tasks(caplog):
    """Issue 14: Ctrl-C must stop Dask runs too; the executor cancels its futures on the cluster (measured by
    hand against a real `dask scheduler`: exit 0.06 s after SIGINT, the remaining keys cancelled)."""
    import logging

    distributed = pytest.importorskip("distributed")
    from glaverify.proofs_check.tables.executor import run_dask

    cfg = parse_sweep_config(small_config(noise=(0.1,)))
    model, run = cfg.model.model_dump(mode="json"), cfg.run.model_dump(mode="json")
    tasks = [("closed_form", model, run, False)] * 4
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
        caplog.at_level(logging.INFO, logger="distributed.scheduler"),
    ):
        gen = run_dask(tasks, client)
        next(gen)
        with pytest.raises(KeyboardInterrupt):
            gen.throw(KeyboardInterrupt)
        for _ in range(50):
            if "cancels key" in caplog.text:
                break
            import time

            time.sleep(0.1)
    assert "cancels key" in caplog.text


# ============================================================== session 4 (h9): once per process in a sweep
def test_once_outside_a_sweep_always_computes_and_inside_shares_only_the_same_call():
    from glaverify.proofs_check import once as O

    calls = []

    def f(x, y=0):
        calls.append((x, y))
        return [x, y]

    O.clear()
    assert O.once(f, 1) == [1, 0] and O.once(f, 1) == [1, 0]
    assert len(calls) == 2  # no scope: every call computes (check/verify, tests, mutation runs)
    with O.sweep_scope():
        a = O.once(f, 1)
        assert O.once(f, 1) is a and len(calls) == 3
        O.once(f, 1, y=1)  # another argument: another computation
        O.once(f, 2)
        assert len(calls) == 5

        def g(x, y=0):  # another function with the same arguments: never shared
            calls.append(("g", x))
            return x

        O.once(g, 1)
        assert len(calls) == 6
        O.once(f, [1])  # unhashable and no key: computed, never guessed
        O.once(f, [1])
        assert len(calls) == 8
        O.once(f, 3, key="k")
        O.once(f, 3, key="k")
        assert len(calls) == 9
    O.once(f, 1)
    assert len(calls) == 10  # the scope has ended
    O.clear()


def _records(claim: str, model_cfg, run) -> list[dict]:
    from glaverify.proofs_check.context import CheckContext
    from glaverify.proofs_check.runner import run_claim

    ctx = CheckContext(model_config=model_cfg, run=run, dims_explicit=True)
    res = run_claim(claim, ctx, suite=True)
    out = []
    for r in res.records:
        d = r.to_dict()
        for k in ("elapsed_s", "timestamp", "created", "versions", "environment"):
            d.pop(k, None)
        out.append(json.loads(json.dumps(d, default=str)))
    return out


def _strip_times(obj):
    if isinstance(obj, dict):
        timing = r"(seconds|_s$|elapsed|per_minute|^R3: )"  # R3's symbolic cases: seconds per lemma
        return {k: _strip_times(v) for k, v in obj.items() if not re.search(timing, k)}
    if isinstance(obj, list):
        return [_strip_times(v) for v in obj]
    return obj


@pytest.mark.parametrize("claim", ["R1", "R3", "R6", "A3", "A6"])
def test_sweep_scope_gives_the_records_a_fresh_computation_gives(claim):
    """The memo changes no record: a claim's default checks on a second cell inside the sweep scope (its
    cell-independent proofs reused from the first cell) equal the same checks computed afresh."""
    from glaverify.proofs_check import once as O

    cfg = load_sweep_config(CI_CONFIG)
    cells = expand_cells(cfg)
    O.clear()
    fresh = _records(claim, cells[1].model, cfg.run)
    with O.sweep_scope():
        _records(claim, cells[0].model, cfg.run)
        _records(claim, cells[1].model, cfg.run)  # A3/A4/A6 enclosures: the second call of the same cell
        reused = _records(claim, cells[1].model, cfg.run)
    assert O.hits, "nothing was reused: the sweep scope is not wired into the checks"
    O.clear()
    assert _strip_times(reused) == _strip_times(fresh)


def test_a_planted_error_is_seen_after_a_memoised_sweep(monkeypatch):
    """Reuse is keyed on the function itself: a proof routine replaced after a sweep computed the genuine
    one is run, and its planted failure reaches the record."""
    from glaverify.proofs_check import once as O
    from glaverify.theory import risk_all_dims as ra

    cfg = load_sweep_config(CI_CONFIG)
    model_cfg = expand_cells(cfg)[0].model
    O.clear()
    with O.sweep_scope():
        good = [r for r in _records("R1", model_cfg, cfg.run) if r["method"] == "symbolic-all-dims"][0]
        assert good["verdict"] == "proved"
        real = ra.prove_r1_all_dims

        def planted(**kw):
            import copy

            res = copy.copy(real(**kw))
            res.holds, res.witness = False, None
            return res

        monkeypatch.setattr(ra, "prove_r1_all_dims", planted)
        bad = [r for r in _records("R1", model_cfg, cfg.run) if r["method"] == "symbolic-all-dims"][0]
    O.clear()
    assert bad["verdict"] != "proved"


# ============================================================== session 5: once shared between pool workers
def _counted_square(path: str, x: int) -> int:
    """A cell-independent 'proof' that leaves a line in ``path`` each time it is computed."""
    import time as _t

    with open(path, "a") as fh:
        fh.write(f"{os.getpid()}\n")
    _t.sleep(0.3)  # long enough that the second worker asks while the first computes
    return x * x


def _worker_once(shared: str, counter: str, out: str, fn_name: str) -> None:
    from glaverify.proofs_check import once as O

    O.clear()
    O.share_between_processes(shared)
    fn = _counted_square if fn_name == "module" else (lambda p, x: _counted_square(p, x))  # noqa: E731
    with O.sweep_scope():
        val = O.once(fn, counter, 7)
    with open(out, "a") as fh:
        fh.write(f"{val}\n")


@pytest.mark.parametrize(("fn_name", "computations"), [("module", 1), ("lambda", 2)])
def test_once_is_shared_between_worker_processes(tmp_path, fn_name, computations):
    """Two workers of one run ask for the same cell-independent result at once: it is computed once (the
    other waits for it and loads it), both get the same value; a lambda's key is not stable across
    processes, so each worker computes its own."""
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    counter, out = tmp_path / "computed", tmp_path / "values"
    shared = tmp_path / "run"
    shared.mkdir()
    procs = [ctx.Process(target=_worker_once, args=(str(shared), str(counter), str(out), fn_name))
             for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    assert out.read_text().split() == ["49", "49"]
    assert len(counter.read_text().split()) == computations
    assert not list(shared.glob("*.lock"))  # no lock is left behind


def test_once_shared_store_survives_a_dead_holder_an_error_and_an_unpicklable_result(tmp_path):
    """A lock left by a worker that died is taken over; an exception releases the lock (the next caller
    computes); a result that does not pickle is returned but not shared; a vanished run directory means
    'compute here'."""
    import multiprocessing as mp

    from glaverify.proofs_check import once as O

    shared = tmp_path / "run"
    shared.mkdir()
    counter = tmp_path / "computed"
    O.share_between_processes(shared)
    try:
        path = O._shared_path(_counted_square, None, (str(counter), 3), {})
        dead = mp.get_context("fork").Process(target=os._exit, args=(0,))
        dead.start()
        dead.join()
        path.with_suffix(".lock").write_text(str(dead.pid))  # the holder died
        with O.sweep_scope():
            assert O.once(_counted_square, str(counter), 3) == 9
        assert path.exists() and not path.with_suffix(".lock").exists()
        assert O.shared_writes == [path.name]

        with O.sweep_scope(), pytest.raises(ValueError, match="planted"):
            O.once(_raises, 1)
        assert not list(shared.glob("*.lock"))
        O.clear()
        with O.sweep_scope():
            gen = O.once(_unpicklable, 2)
        assert next(gen) == 2 and len(O.shared_writes) == 0 and not list(shared.glob("*.tmp"))
        O.clear()
        O.share_between_processes(tmp_path / "gone")
        with O.sweep_scope():
            assert O.once(_counted_square, str(counter), 4) == 16
    finally:
        O.share_between_processes(None)
        O.clear()


def _raises(x):
    raise ValueError("planted")


class _Box:
    def __init__(self, v):
        self.v = v

    def value(self):
        return self.v


def test_once_shares_only_keys_that_mean_the_same_in_every_process(tmp_path):
    """Module functions, arrays and plain values make a shared key; lambdas, closures, bound methods (two
    objects of one class share the method's name) and reprs with a memory address never do."""
    import functools

    from glaverify.proofs_check import once as O

    O.share_between_processes(tmp_path)
    try:
        key = O._shared_path(_counted_square, None, ("p", np.arange(3.0)), {"seed": 1})
        assert key is not None
        assert key == O._shared_path(_counted_square, None, ("p", np.arange(3.0)), {"seed": 1})
        assert key != O._shared_path(_counted_square, None, ("p", np.arange(3.0)), {"seed": 2})
        for fn in (lambda: 1, _Box(1).value, functools.partial(_counted_square, "p")):
            assert O._shared_path(fn, None, (), {}) is None
        assert O._shared_path(_counted_square, None, (object(),), {}) is None
        assert O._shared_path(np.sum, None, (), {}) is not None  # a function of a module
    finally:
        O.share_between_processes(None)


def _unpicklable(x):
    yield x
