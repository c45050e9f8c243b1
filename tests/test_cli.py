"""The command line on bad input: one line ``error: <field>: <constraint>`` on stderr, exit code 2, no
traceback. And a smoke test of the checks of this module through the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from glaverify.numerics.errors import InputError
from glaverify.proofs_check.cli import app
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()

BAD_CONFIGS = {
    "corr-not-psd": ('[model]\nn = 8\n[model.tasks]\nfamily = "custom"\nblock_sizes = [4, 4]\n'
                     "correlation = [[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]]\n",
                     "model.tasks.correlation: must be positive semidefinite"),
    "noise-nan": ("[model]\nnoise_var = nan\n", "model.noise_var: must be finite"),
    "unknown-key": ("[model]\nsigma = 1.0\n", "model.sigma: unknown key"),
    "d-string": ('[model]\nd = "4"\n', "model.d: must be a valid integer"),
    "sigma-asymmetric": ('[model]\nd = 2\n[model.features]\ncovariance = "full"\n'
                         "matrix = [[1.0, 0.5], [0.2, 1.0]]\n", "model.features.matrix: must be symmetric"),
    "blocks-sum": ('[model]\nn = 12\n[model.tasks]\nfamily = "decay"\nblock_sizes = [5, 5]\nrho = 0.5\n',
                   "model.tasks.block_sizes: must sum to n = 12"),
    "rho-inf": ('[model]\nn = 8\n[model.tasks]\nfamily = "star"\nblock_sizes = [4, 4]\nrho = [0.1, inf]\n',
                "model.tasks.rho[1]: must be finite"),
    "not-toml": ("[model\n", "config: not valid TOML"),
}


def _assert_one_line_error(result, expected: str) -> None:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {expected}"), lines[0]
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize("name", list(BAD_CONFIGS))
def test_bad_config_prints_one_line_and_exits_2(tmp_path, name):
    text, expected = BAD_CONFIGS[name]
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text)
    _assert_one_line_error(runner.invoke(app, ["check", "R1", "--config", str(cfg)]), expected)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["check", "R1", "--config", "does-not-exist.toml"], "config: file not found"),
        (["check", "R1", "--d", "0"], "--d: must be an integer >= 1"),
        (["check", "R1", "--n", "-2"], "--n: must be an integer >= 1"),
        (["check", "R1", "--seed", "-1"], "--seed: must be >= 0"),
        (["check", "Z9"], "CLAIM: unknown claim id 'Z9'"),
        (["check", "R1", "--method", "telepathy"], "--method: claim R1 has no method 'telepathy'"),
        (["check", "R1", "--config", str(ROOT / "examples" / "default.toml"), "--d", "8"],
         "model.features.eigenvalues: has dimension 4 but d = 8"),
        (["verify", "--config", "does-not-exist.toml"], "config: file not found"),
    ],
    ids=["missing-file", "d-zero", "n-negative", "seed-negative", "unknown-claim", "unknown-method",
         "with-dims-conflict", "verify-missing-file"],
)
def test_bad_arguments_print_one_line_and_exit_2(args, expected):
    _assert_one_line_error(runner.invoke(app, args), expected)


def test_installed_entry_point_on_a_bad_config(tmp_path):
    """The real console script (not the in-process runner): stderr is exactly one line, exit 2."""
    cfg = tmp_path / "bad.toml"
    cfg.write_text(BAD_CONFIGS["corr-not-psd"][0])
    exe = Path(sys.executable).with_name("glaverify")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "glaverify.proofs_check.cli"]
    proc = subprocess.run([*cmd, "check", "R1", "--config", str(cfg)], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "COLUMNS": "40"})
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: model.tasks.correlation: ")
    assert proc.stdout == ""


def test_check_r1_json_on_an_example_config():
    res = runner.invoke(app, ["check", "R1", "--config", str(ROOT / "examples" / "iid.toml"), "--quick",
                              "--json"])
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    # issue 12: the symbolic-all-dims record proves R1 for every d, n; issue 14: a config gets the same
    # methods as the default model and the JSON names the model
    assert data["claim"] == "R1" and data["verdict"] == "proved"
    assert data["model"]["config"]["d"] == 8 and "iid" in data["model"]["description"]
    rec = next(r for r in data["records"] if r["method"] == "monte-carlo")
    # i10: the sequential R1 test stops at one of its looks
    assert rec["verdict"] == "supported"
    assert rec["sample_size"] <= 50_000
    assert rec["ci"]["confidence"] >= 0.999


def test_check_r3_certified_and_r2_supported_on_the_default_model():
    # R3's numeric check carries a certificate; R2's evaluates an identity at sampled points.
    for claim, verdict in (("R3", "certified"), ("R2", "supported")):
        res = runner.invoke(app, ["check", claim, "--method", "numeric", "--json"])
        assert res.exit_code == 0, res.stderr
        data = json.loads(res.stdout)
        assert data["verdict"] == verdict, data
        assert data["records"][0]["tolerance"] == 1e-8


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["check", "R1", "--d", "1.5"], "error: --d: must be a valid integer"),
        (["check", "R1", "--n", "twelve"], "error: --n: must be a valid integer"),
        (["check"], "error: CLAIM: required (missing)"),
    ],
    ids=["d-float", "n-string", "claim-missing"],
)
def test_entry_point_reports_wrong_typed_options_on_one_line(args, expected):
    """Values typer cannot parse are bad input too: one line, exit 2 (installed console script)."""
    exe = Path(sys.executable).with_name("glaverify")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "glaverify.proofs_check.cli"]
    proc = subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith(expected), proc.stderr
    assert "Traceback" not in proc.stderr


# ================================================================ issue 14: commands a researcher can lean on
GLAVERIFY = Path(sys.executable).with_name("glaverify")
CLI = [str(GLAVERIFY)] if GLAVERIFY.exists() else [sys.executable, "-m", "glaverify.proofs_check.cli"]
QUIET_ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


def _run(args, cwd=None, timeout=300, env=None):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd,
                          env=env or QUIET_ENV)


def _one_line(proc, expected: str, code: int = 2) -> None:
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {expected}"), proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


# ---------------------------------------------------------------------------------- 1. starts at once
def test_method_index_matches_the_registry():
    """`list` reads a static index of the methods; it must agree with the registry (regenerate with
    `python -m glaverify.proofs_check.method_index --write`)."""
    from glaverify.proofs_check import method_index

    assert method_index.registry_methods() == method_index.METHODS


def test_method_index_detects_a_stale_entry(tmp_path):
    from glaverify.proofs_check import method_index

    fresh = dict(method_index.registry_methods())
    planted = {**fresh, "R1": (("monte-carlo", True),)}  # a method missing from the index
    assert planted != fresh
    src = tmp_path / "idx.py"
    src.write_text(Path(method_index.__file__).read_text())
    method_index.write_index(src)  # regenerating rewrites the block from the registry
    ns: dict = {}
    exec(compile(src.read_text(), str(src), "exec"), ns)
    assert ns["METHODS"] == fresh


@pytest.mark.parametrize("args", [["--help"], ["list"], ["check", "--help"]])
def test_light_commands_import_no_heavy_package(args):
    code = (
        "import sys\nfrom glaverify.proofs_check.cli import app\nfrom typer.testing import CliRunner\n"
        f"r = CliRunner().invoke(app, {args!r})\nassert r.exit_code == 0, r.output\n"
        "heavy = [m for m in ('torch', 'cvxpy', 'sympy', 'scipy', 'flint', 'z3') if m in sys.modules]\n"
        "heavy += [m for m in sys.modules if m.startswith('glaverify.proofs_check.checks.')]\n"
        "print(heavy)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]", proc.stdout


def test_list_shows_full_titles_and_methods_without_wrapping():
    from glaverify.proofs_check.registry import claim_statements

    res = runner.invoke(app, ["list"])
    assert res.exit_code == 0, res.output
    for c in claim_statements().values():
        assert c.title in res.stdout  # never truncated ("coordinate-w…") nor wrapped
    assert "search (not in verify)" in res.stdout
    data = json.loads(runner.invoke(app, ["list", "--json"]).stdout)
    assert {r["id"] for r in data["claims"]} >= {"G1", "R6", "A7"}


# ---------------------------------------------------------------------- 3. and 10. bad input, one line
BAD_FILES = {
    "binary": (b"\x89PNG\r\n\x1a\n\x00\xff\xfe", "config: not a UTF-8 text file"),
    "d-1e17": (b"[model]\nd = 100000000000000000\n", "model.d: must be <= 100000"),
    "noise-1e308": (b"[model]\nnoise_var = 1e308\n", "model.noise_var: must be <= 1e+12"),
    "scale-1e308": (b"[model]\n[model.features]\nscale = 1e308\n", "model.features.scale: must lie in"),
    "scale-1e-300": (b"[model]\n[model.features]\nscale = 1e-300\n", "model.features.scale: must lie in"),
    "eig-1e-300": (b'[model]\nd = 2\n[model.features]\ncovariance = "diagonal"\n'
                   b"eigenvalues = [1e-300, 1.0]\n",
                   "model.features.eigenvalues: every eigenvalue must lie in"),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_config_files_name_the_field(tmp_path, name):
    data, expected = BAD_FILES[name]
    cfg = tmp_path / "bad.toml"
    cfg.write_bytes(data)
    _assert_one_line_error(runner.invoke(app, ["check", "R1", "--config", str(cfg)]), expected)


def test_scale_just_inside_the_limits_is_accepted():
    from glaverify.numerics.config import MAX_MAGNITUDE, MIN_SCALE, parse_config

    for v in (MIN_SCALE, MAX_MAGNITUDE):
        parse_config({"model": {"features": {"scale": v}}})
    for v in (MIN_SCALE * 0.99, MAX_MAGNITUDE * 1.01):  # near-misses
        with pytest.raises(InputError, match="model.features.scale"):
            parse_config({"model": {"features": {"scale": v}}})


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["check", "R1", "--d", "100000000000000000"], "--d: must be <= 100000"),
        (["check", "R1", "--config", "."], "config: is a directory, not a file"),
        (["list", "--report", "missing.json"], "--report: file not found"),
        (["list", "--report", "."], "--report: is a directory"),
        (["check", "R1", "--max-memory", "lots"], "--max-memory: must be a size"),
        (["check", "R1", "--symbolic-dims", "2"], "--symbolic-dims: must be 'd,n'"),
        (["check", "R1", "--symbolic-dims", "9,3"], "--symbolic-dims: must satisfy 1 <= d <= 4"),
        (["search", "R6", "--budget", "100000000"], "--budget: must lie in [1, 100000]"),
        (["tables", "--config", "."], "--config: is a directory"),
    ],
    ids=["d-1e17", "config-dir", "report-missing", "report-dir", "max-memory", "symdims-shape",
         "symdims-too-big", "search-budget", "tables-config-dir"],
)
def test_bad_flags_one_line(args, expected):
    _assert_one_line_error(runner.invoke(app, args), expected)


def test_corrupt_list_report_is_refused(tmp_path):
    p = tmp_path / "verification.json"
    p.write_text("{not json")
    _assert_one_line_error(runner.invoke(app, ["list", "--report", str(p)]), "--report: not a readable")
    p.write_text(json.dumps([{"claim": "R1"}]))  # a record without a verdict
    _assert_one_line_error(runner.invoke(app, ["list", "--report", str(p)]), "--report: not a verification")
    p.write_text(json.dumps([{"claim": "R1", "verdict": "proved"}]))
    res = runner.invoke(app, ["list", "--report", str(p)])
    assert res.exit_code == 0 and "proved" in res.stdout


def test_sweep_with_nothing_to_compute_is_refused(tmp_path):
    cfg = tmp_path / "empty.toml"
    cfg.write_text("[model]\nd = 2\nn = 4\n")
    _assert_one_line_error(
        runner.invoke(app, ["tables", "--config", str(cfg), "--out", str(tmp_path / "o")]),
        "table/figure: the config asks for no",
    )


@pytest.mark.parametrize("cmd", ["verify", "tables", "report", "search"])
def test_output_path_that_is_a_file_is_refused_before_work(tmp_path, cmd, monkeypatch):
    """--out is always a directory, checked before any computation (nothing may run first)."""
    import glaverify.proofs_check.runner as runner_mod
    import glaverify.proofs_check.tables.sweep as sweep_mod

    def boom(*a, **k):
        raise AssertionError("work started before the output path was checked")

    monkeypatch.setattr(runner_mod, "run_claim", boom)
    monkeypatch.setattr(sweep_mod, "run_sweep", boom)
    afile = tmp_path / "a-file"
    afile.write_text("x")
    src = tmp_path / "v.json"
    src.write_text("[]")
    sweep = ROOT / "examples" / "appendix_ci.toml"
    args = {
        "verify": ["verify", "--out", str(afile)],
        "tables": ["tables", "--config", str(sweep), "--out", str(afile)],
        "report": ["report", "--input", str(src), "--out", str(afile)],
        "search": ["search", "R6", "--budget", "10", "--out", str(afile)],
    }[cmd]
    _assert_one_line_error(runner.invoke(app, args), "--out: must be a directory")
    assert list(tmp_path.iterdir()) == sorted([afile, src]) or set(tmp_path.iterdir()) == {afile, src}


def test_cache_dir_that_is_a_file_is_refused(tmp_path):
    afile = tmp_path / "c"
    afile.write_text("x")
    args = ["tables", "--config", str(ROOT / "examples" / "appendix_ci.toml"), "--out", str(tmp_path / "o"),
            "--cache-dir", str(afile)]
    _assert_one_line_error(runner.invoke(app, args), "--cache-dir: must be a directory")
    assert not (tmp_path / "o").exists()


def test_unwritable_output_directory_is_refused(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        if os.access(ro, os.W_OK):
            pytest.skip("running as root: permissions are not enforced")
        _assert_one_line_error(runner.invoke(app, ["verify", "--out", str(ro / "sub")]),
                               "--out: cannot create the directory")
    finally:
        ro.chmod(0o700)


# ---------------------------------------------------------------------------------- 6. flag vocabulary
def test_method_names_are_case_insensitive():
    res = runner.invoke(app, ["check", "r3", "--method", "NUMERIC", "--json"])
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["records"][0]["method"] == "numeric"


def test_strict_exits_1_on_a_refuted_claim(monkeypatch):
    """Exit codes: 0 ran, 1 refuted or disagreeing under --strict, 3 tool error."""
    from glaverify.proofs_check.cli import EXIT_REFUTED, EXIT_TOOL
    from glaverify.proofs_check.evidence import Verdict

    def fake(verdicts: list[str], error: bool = False):
        def run_claim(claim_id, ctx, method=None, suite=False):
            from glaverify.proofs_check.evidence import combine_records
            from glaverify.proofs_check.runner import ClaimResult

            recs = [ctx.record("R2", f"m{i}", Verdict(v), "planted", sample_size=10, tolerance=1e-8,
                               residuals={"x": 0.0}, **({"error": "boom"} if error else {}),
                               **({"counterexample": {"planted": True}} if v == "refuted" else {}))
                    for i, v in enumerate(verdicts)]
            return ClaimResult("R2", combine_records(recs), recs)

        return run_claim

    import glaverify.proofs_check.runner as runner_mod

    monkeypatch.setattr(runner_mod, "run_claim", fake(["refuted"]))
    assert runner.invoke(app, ["check", "R2"]).exit_code == 0
    res = runner.invoke(app, ["check", "R2", "--strict"])
    assert res.exit_code == EXIT_REFUTED and "R2 refuted" in res.stderr
    monkeypatch.setattr(runner_mod, "run_claim", fake(["supported", "refuted"]))
    res = runner.invoke(app, ["check", "R2", "--strict"])
    assert res.exit_code == EXIT_REFUTED and "disagree" in res.stderr
    monkeypatch.setattr(runner_mod, "run_claim", fake(["supported", "supported"]))
    assert runner.invoke(app, ["check", "R2", "--strict"]).exit_code == 0  # near-miss: nothing to flag
    monkeypatch.setattr(runner_mod, "run_claim", fake(["inconclusive"], error=True))
    assert runner.invoke(app, ["check", "R2"]).exit_code == EXIT_TOOL


def test_max_memory_reaches_the_context(monkeypatch):
    from glaverify.proofs_check.cli import parse_size

    assert parse_size("2G") == 2 * 1024**3 and parse_size("512M") == 512 * 1024**2
    assert parse_size("1048576") == 1024**2
    with pytest.raises(InputError, match="at least 1M"):
        parse_size("1048575")  # just below the floor
    seen = {}
    import glaverify.proofs_check.runner as runner_mod

    real = runner_mod.run_claim

    def spy(claim_id, ctx, method=None, suite=False):
        seen["budget"] = ctx.max_memory_bytes
        return real(claim_id, ctx, method=method, suite=suite)

    monkeypatch.setattr(runner_mod, "run_claim", spy)
    assert runner.invoke(app, ["check", "R2", "-m", "numeric", "--max-memory", "3G"]).exit_code == 0
    assert seen["budget"] == 3 * 1024**3


# ---------------------------------------------------------------------------- 5. the model behind a verdict
def test_a_config_gets_the_same_methods_as_the_same_model_without_one():
    base = json.loads(runner.invoke(app, ["check", "R1", "-m", "symbolic", "--json"]).stdout)
    cfg = json.loads(runner.invoke(app, ["check", "R1", "-m", "symbolic", "--json", "--config",
                                         str(ROOT / "examples" / "default.toml")]).stdout)
    assert base["verdict"] == cfg["verdict"] == "proved"
    assert base["records"][0]["dims"] == cfg["records"][0]["dims"]
    assert cfg["model"]["source"].startswith("config ")


def test_symbolic_dims_choose_the_proof_size():
    res = runner.invoke(app, ["check", "R1", "-m", "symbolic", "--symbolic-dims", "2,3", "--json"])
    assert res.exit_code == 0, res.stderr
    rec = json.loads(res.stdout)["records"][0]
    assert rec["verdict"] == "proved"
    assert rec["config"]["model"]["d"] == 2 and rec["config"]["model"]["n"] == 3


def test_symbolic_dims_restrict_a_config_model():
    from glaverify.numerics.config import load_config

    cfg = load_config(ROOT / "examples" / "custom.toml").model
    small = cfg.restricted(2, 3)
    assert small.d == 2 and small.n == 3 and sum(small.tasks.block_sizes or [3]) == 3


def test_human_output_names_the_model_and_the_dims():
    res = runner.invoke(app, ["check", "R3", "-m", "numeric"])
    assert res.exit_code == 0
    assert "model: d=4, n=12, K=3 star blocks [4, 4, 4]" in res.stdout
    assert "statement: " in res.stdout and "at d=4, n=12" in res.stdout
    assert "{'" not in res.stdout and '{"' not in res.stdout  # no raw dicts or JSON


def test_verify_report_states_model_and_dims(tmp_path, monkeypatch):
    import glaverify.proofs_check.registry as reg

    real = reg.all_claims
    monkeypatch.setattr(reg, "all_claims", lambda: [c for c in real() if c.id in ("R2", "R3")])
    res = runner.invoke(app, ["verify", "--out", str(tmp_path), "--quick", "--json"])
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert [c["claim"] for c in data["claims"]] == ["R2", "R3"]
    assert data["model"]["config"]["n"] == 12
    md = (tmp_path / "verification.md").read_text()
    assert "Model: d=4, n=12" in md and "| dims |" in md
    assert oct((tmp_path / "verification.json").stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    m = os.umask(0)
    os.umask(m)
    return m


# ---------------------------------------------------------------------------------- 7. readable output
def test_piped_output_never_wraps_a_number():
    proc = _run(["check", "R3", "-m", "numeric"], env={**QUIET_ENV, "COLUMNS": "40"})
    assert proc.returncode == 0, proc.stderr
    line = next(ln for ln in proc.stdout.splitlines() if "residuals:" in ln)
    assert "max_curvature_mismatch" in line  # the whole residual list on one line
    assert "\x1b[" not in proc.stdout  # no colour codes in a pipe


def test_format_value_prints_exact_zero_and_no_braces():
    from glaverify.proofs_check.cli import format_value

    assert format_value(0.0) == "0" and format_value(-0.0) == "0"
    assert format_value({"a": {"b": 1.5}}) == "a (b 1.5)"
    assert "{" not in format_value({"x": [1.0, {"y": 2}]})


# -------------------------------------------------------------------------------------- 9. files and caches
def test_files_get_normal_permissions(tmp_path):
    from glaverify.proofs_check.paths import atomic_write_text, default_file_mode
    from glaverify.proofs_check.tables.cache import ResultCache

    p = atomic_write_text(tmp_path / "a" / "x.txt", "hello")
    assert p.stat().st_mode & 0o777 == default_file_mode() == 0o666 & ~_umask()
    cache = ResultCache(tmp_path / "c")
    cache.put("ab" + "0" * 62, {"values": {}})
    entry = cache.path("ab" + "0" * 62)
    assert entry.stat().st_mode & 0o777 == default_file_mode()
    assert not [q for q in tmp_path.rglob(".tmp*")]


def test_default_cache_dir_is_the_user_cache_dir(monkeypatch, tmp_path):
    from glaverify.proofs_check.paths import CACHE_ENV, user_cache_dir
    from glaverify.proofs_check.tables.spec import parse_sweep_config
    from glaverify.proofs_check.tables.sweep import resolve_cache_dir

    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "uc"))
    cfg = parse_sweep_config({"model": {"d": 2, "n": 4},
                              "table": [{"name": "t", "columns": ["risk.null"]}]})
    assert resolve_cache_dir(cfg) == user_cache_dir("tables") == tmp_path / "uc" / "tables"
    assert resolve_cache_dir(cfg, tmp_path / "x") == tmp_path / "x"
    monkeypatch.delenv(CACHE_ENV)
    assert "glaverify" in str(user_cache_dir()) and not str(user_cache_dir()).startswith(os.getcwd())


def test_search_writes_nothing_into_the_cwd(tmp_path):
    env = {**QUIET_ENV, "GLAVERIFY_CACHE_DIR": str(tmp_path / "cache")}
    work = tmp_path / "work"
    work.mkdir()
    proc = _run(["search", "R6", "--budget", "12", "--max-d", "2", "--max-n", "4"], cwd=work, env=env)
    assert proc.returncode == 0, proc.stderr
    assert list(work.iterdir()) == []  # no .hypothesis/, no .glaverify-cache/
    assert (tmp_path / "cache" / "hypothesis").is_dir()


# ------------------------------------------------------------------------------------------- 2. Ctrl-C
SLOW_SWEEP = """
[model]
d = 2
n = 4
noise_var = 0.1
[model.features]
covariance = "diagonal"
eigenvalues = [0.5, 2.0]
[model.tasks]
family = "star"
block_sizes = [2, 2]
rho = [0.3, 0.9]
[run]
seed = 3
mc_prompts = 1500000
[sweep.axes]
noise_var = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2]
[[table]]
name = "t"
index = ["noise_var"]
columns = ["mc.linatt"]
"""

#: seconds allowed between Ctrl-C and the exit (the target is 2 s; the tests run on loaded shared cores)
INTERRUPT_BUDGET_S = 4.0


def _interrupt(args, cwd, ready, timeout=240.0):
    """Start the command in its own process group, wait until ``ready()``, send SIGINT to the whole
    group (as a terminal's Ctrl-C does) and return (proc, stderr, seconds until exit)."""
    import signal
    import time

    proc = subprocess.Popen([*CLI, *args], cwd=cwd, env=QUIET_ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    t_end = time.monotonic() + timeout
    while not ready() and proc.poll() is None and time.monotonic() < t_end:
        time.sleep(0.2)
    assert proc.poll() is None, "the command finished before it could be interrupted"
    t0 = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    return proc, err, time.monotonic() - t0


@pytest.mark.parametrize("jobs", [1, 2])
def test_ctrl_c_stops_tables_keeps_finished_cache_entries(tmp_path, jobs):
    (tmp_path / "s.toml").write_text(SLOW_SWEEP)
    cache = tmp_path / "c"

    def entries() -> list[Path]:  # finished entries (a write in progress is a hidden .tmp-*.json file)
        return [e for e in cache.rglob("*.json") if not e.name.startswith(".tmp")] if cache.is_dir() else []

    def ready() -> bool:
        return bool(entries())

    args = ["tables", "-c", "s.toml", "--out", "o", "--cache-dir", "c", "--jobs", str(jobs)]
    proc, err, dt = _interrupt(args, tmp_path, ready)
    assert proc.returncode == 130, err
    assert dt < INTERRUPT_BUDGET_S, f"took {dt:.1f} s to stop"
    assert "interrupted (Ctrl-C); completed:" in err and "kept in the cache" in err
    done = entries()
    assert 1 <= len(done) < 12
    for e in done:
        json.loads(e.read_text())  # complete entries only
    assert not list(tmp_path.rglob(".tmp*"))
    assert not (tmp_path / "o" / "t.csv").exists()


def test_ctrl_c_stops_verify_and_says_what_was_completed(tmp_path):
    import time

    t_start = time.monotonic()
    proc, err, dt = _interrupt(["verify", "--quick", "--out", "r"], tmp_path,
                               lambda: time.monotonic() - t_start > 8)
    assert proc.returncode == 130, err
    assert dt < INTERRUPT_BUDGET_S, f"took {dt:.1f} s to stop"
    assert "interrupted (Ctrl-C); completed:" in err
    assert not (tmp_path / "r" / "verification.json").exists()


def test_train_progress_never_shows_loss_nan(tmp_path, monkeypatch):
    """Issue 14: `train` printed 'loss nan' before the first step. Render its progress on a fake terminal."""
    import io

    import glaverify.proofs_check.cli as cli_mod
    from rich.console import Console

    buf = io.StringIO()
    monkeypatch.setattr(cli_mod, "err_console", Console(file=buf, force_terminal=True, width=120))
    cfg = tmp_path / "t.toml"
    cfg.write_text("[model]\nd = 2\nn = 4\n[train]\nsteps = 3\nbatch = 16\neval_prompts = 200\n")
    res = runner.invoke(app, ["train", "--config", str(cfg)])
    assert res.exit_code == 0, res.output
    text = buf.getvalue()
    assert "train gla-delimiter" in text  # the progress bar was drawn
    assert "nan" not in text.lower()


def test_list_names_the_model_behind_the_last_verdicts(tmp_path):
    from glaverify.numerics.config import default_model_config

    cfg = default_model_config(3, 5).model_dump()
    p = tmp_path / "verification.json"
    p.write_text(json.dumps([{"claim": "R1", "verdict": "proved", "config": {"model": cfg}}]))
    res = runner.invoke(app, ["list", "--report", str(p)])
    assert res.exit_code == 0 and "model d=3, n=5" in res.stdout
    data = json.loads(runner.invoke(app, ["list", "--report", str(p), "--json"]).stdout)
    assert data["last_verdicts_model"].startswith("d=3, n=5")


def test_help_imports_neither_numpy_nor_pydantic():
    code = (
        "import sys\nfrom glaverify.proofs_check.cli import app\nfrom typer.testing import CliRunner\n"
        "r = CliRunner().invoke(app, ['--help'])\nassert r.exit_code == 0, r.output\n"
        "print([m for m in ('numpy', 'pydantic') if m in sys.modules])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]", proc.stdout


def test_fla_hint_only_when_fla_core_is_missing(monkeypatch):
    import importlib.util
    from types import SimpleNamespace

    from glaverify.proofs_check.cli import FLA_HINT, fla_hint
    from glaverify.proofs_check.evidence import Verdict

    rec = SimpleNamespace(method="fla-reference", verdict=Verdict.INCONCLUSIVE)
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "fla" else real(name, *a))
    assert fla_hint([rec]) == FLA_HINT and "glaverify[dev]" in FLA_HINT
    assert fla_hint([SimpleNamespace(method="fla-reference", verdict=Verdict.SUPPORTED)]) is None
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: object())
    assert fla_hint([rec]) is None  # installed: the inconclusive has another reason


def test_verify_symbolic_dims(tmp_path, monkeypatch):
    import glaverify.proofs_check.registry as reg

    real = reg.all_claims
    monkeypatch.setattr(reg, "all_claims", lambda: [c for c in real() if c.id == "R1"])
    res = runner.invoke(app, ["verify", "--out", str(tmp_path), "--quick", "--json",
                              "--symbolic-dims", "2,3"])
    assert res.exit_code == 0, res.stderr
    recs = json.loads(res.stdout)["claims"][0]["records"]
    sym = next(r for r in recs if r["method"] == "symbolic")
    mc = next(r for r in recs if r["method"] == "monte-carlo")
    assert (sym["config"]["model"]["d"], sym["config"]["model"]["n"]) == (2, 3)
    assert (mc["config"]["model"]["d"], mc["config"]["model"]["n"]) == (4, 12)  # other methods: full model


def test_verify_progress_names_claim_k_of_n_on_a_terminal(tmp_path, monkeypatch):
    import io

    import glaverify.proofs_check.cli as cli_mod
    import glaverify.proofs_check.registry as reg
    from rich.console import Console

    buf = io.StringIO()
    monkeypatch.setattr(cli_mod, "err_console", Console(file=buf, force_terminal=True, width=120))
    real = reg.all_claims
    monkeypatch.setattr(reg, "all_claims", lambda: [c for c in real() if c.id in ("R2", "R3")])
    res = runner.invoke(app, ["verify", "--out", str(tmp_path), "--quick"])
    assert res.exit_code == 0, res.output
    assert "verify: claim 2 of 2: R3" in buf.getvalue()


def test_tables_writes_nothing_into_the_cwd_but_out(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("GLAVERIFY_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "s.toml").write_text(
        '[model]\nd = 2\nn = 4\n[sweep.axes]\nnoise_var = [0.1, 0.2]\n'
        '[[table]]\nname = "t"\nindex = ["noise_var"]\ncolumns = ["risk.null"]\n'
    )
    res = runner.invoke(app, ["tables", "--config", str(tmp_path / "s.toml"), "--out", "o"])
    assert res.exit_code == 0, res.output
    assert [p.name for p in work.iterdir()] == ["o"]  # no .glaverify-cache/ in the cwd
    assert any((tmp_path / "cache" / "tables").rglob("*.json"))
    for f in (work / "o").iterdir():
        assert f.stat().st_mode & 0o777 == 0o666 & ~_umask(), f


def test_landscape_reports_each_section_as_it_starts():
    """Issue 14: `landscape` was silent for minutes at paper size; each section now announces itself."""
    res = runner.invoke(app, ["landscape", "--d", "2", "--n", "4"])
    assert res.exit_code == 0, res.output
    for section in ("wpgd (R6 certificate)", "linatt", "gla_delimiter"):
        assert f"… landscape: {section}" in res.stderr
    assert "WPGD landscape — d=2, n=4" in res.stdout
    quiet = runner.invoke(app, ["landscape", "--d", "2", "--n", "4", "--json"])
    assert "… landscape" not in quiet.stderr  # --json: nothing but the object (and no progress noise)


def test_search_exits_1_on_a_counterexample(tmp_path):
    """Exit-code policy (docs/cli.md): 1 when a counterexample is found (A5 is refuted), 0 when none is."""
    res = runner.invoke(app, ["search", "A5", "--budget", "60", "--out", str(tmp_path / "s")])
    assert res.exit_code == 1, res.output
    files = list((tmp_path / "s").glob("A5-seed0*.toml"))
    assert files and "[counterexample]" in files[0].read_text()
    assert runner.invoke(app, ["search", "R2", "--budget", "5", "--out", str(tmp_path / "t")]).exit_code == 0

