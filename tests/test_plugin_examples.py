"""The pytest plugin and the top-level `glaverify` API: the three worked examples of docs/testing.md run
verbatim in a fresh pytest process (so the plugin is loaded through its `pytest11` entry point), and a
failing property prints the replay command."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "testing.md"


def doc_examples() -> list[str]:
    text = DOC.read_text()
    blocks = []
    for title in ("Example 1", "Example 2", "Example 3"):
        part = text.split(f"### {title}", 1)[1]
        blocks.append(re.search(r"```python\n(.*?)```", part, re.S).group(1))
    return blocks


def run_pytest(tmp_path: Path, files: dict[str, str]) -> subprocess.CompletedProcess:
    for name, src in files.items():
        (tmp_path / name).write_text(src)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *files],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


FAILING = '''
from hypothesis import given, settings, strategies as st
import glaverify

@settings(max_examples=50, deadline=None, database=None)
@given(st.integers(1, 3), st.floats(0.0, 0.5))
def test_unequal_blocks(extra, rho):
    model = {"d": 1, "n": 1 + 1 + extra, "noise_var": 0.0,
             "features": {"covariance": "identity", "scale": 1.0},
             "tasks": {"family": "star", "block_sizes": [1, 1 + extra], "rho": [rho, rho]}}
    assert glaverify.holds("A5", model)
'''


def test_worked_examples_pass_and_a_failing_property_prints_a_replay_command(tmp_path):
    """One fresh pytest process (the plugin loads through its entry point): the three examples of
    docs/testing.md pass verbatim; a property that fails prints `glaverify check A5 --config FILE`, and that
    file replays as a refutation."""
    blocks = doc_examples()
    assert len(blocks) == 3 and "glaverify.holds" in blocks[0] and "wick" in blocks[2]
    files = {f"test_example_{i + 1}.py": b for i, b in enumerate(blocks)}
    files["test_mine.py"] = FAILING
    res = run_pytest(tmp_path, files)
    assert res.returncode == 1, res.stdout[-3000:] + res.stderr[-2000:]
    assert "1 failed, 3 passed" in res.stdout, res.stdout[-3000:]
    assert "FAILED test_mine.py::test_unequal_blocks" in res.stdout
    m = re.search(r"glaverify check A5 --config (\S+\.toml)", res.stdout)
    assert m, res.stdout[-3000:]
    path = Path(m.group(1))
    assert path.is_file() and str(path).startswith(str(tmp_path / "cache"))
    from glaverify.proofs_check.cli import app
    from typer.testing import CliRunner

    rep = CliRunner().invoke(app, ["check", "A5", "--config", str(path), "-m", "counterexample"])
    assert rep.exit_code == 0 and "refuted" in rep.output


def test_holds_and_check_instance_api():
    import glaverify

    m = glaverify.default_model()
    assert glaverify.holds("R6", m) and glaverify.holds("R7", m)
    w = [1.0] * m.n
    P = [[0.1 * (i == j) for j in range(m.d)] for i in range(m.d)]
    assert glaverify.holds("R1", m, P=P, omega=w)
    from glaverify.numerics.errors import InputError

    with pytest.raises(InputError, match="P"):
        glaverify.holds("R1", m, omega=w)
    with pytest.raises(InputError, match="no search"):
        glaverify.holds("A7", m)


def test_holds_raises_tool_error_when_routes_disagree(monkeypatch):
    """A fast route that fails where the exact one holds is the tool's fault: holds must not say False."""
    import glaverify
    from glaverify.proofs_check.search import spec as S
    from glaverify.proofs_check.search.spec import Outcome

    real = S.get_spec("R2")
    fake = type(real)(**{**real.__dict__, "prop": lambda inst: Outcome(False, 1.0, 0.5)})
    monkeypatch.setitem(S._SPECS, "R2", fake)
    m = glaverify.default_model()
    with pytest.raises(glaverify.ToolError):
        glaverify.holds("R2", m, P=[[1.0] * m.d] * m.d, omega=[1.0] * m.n, c=2.0)


def test_strategies_are_reexported():
    import glaverify
    from hypothesis import given, settings

    @settings(max_examples=5, deadline=None, database=None)
    @given(glaverify.models(max_d=3, max_n=5))
    def inner(model):
        assert model.d <= 3 and model.n <= 5

    inner()
