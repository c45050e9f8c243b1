"""The command line on bad input: one line ``error: <field>: <constraint>`` on stderr, exit code 2, no
traceback. And a smoke test of the checks of this module through the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
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
    assert data["claim"] == "R1" and data["verdict"] == "supported"
    rec = next(r for r in data["records"] if r["method"] == "monte-carlo")
    # i10: the sequential R1 test stops at one of its looks; its interval is at the per-look level
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
