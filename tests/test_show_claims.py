"""`glaverify show`, the generated docs/claims.md (and its stale check), and code citing only our docs."""

from __future__ import annotations

import json
import re
from pathlib import Path

from glaverify.proofs_check import claimsdoc
from glaverify.proofs_check.cli import app
from glaverify.proofs_check.registry import all_claims, get_claim
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]


def _snapshot() -> dict | None:
    return json.loads(claimsdoc.SNAPSHOT.read_text()) if claimsdoc.SNAPSHOT.is_file() else None


def test_docs_claims_md_is_not_stale():
    """Fails when the registry (statements, checks, searches) or the verdict snapshot changed without
    `make claims-doc`."""
    assert claimsdoc.DOC.read_text() == claimsdoc.render(_snapshot()), (
        "docs/claims.md is stale: make claims-doc"
    )


def test_the_stale_check_catches_a_changed_statement(monkeypatch, tmp_path):
    c = get_claim("R2")
    monkeypatch.setattr(c, "statement", c.statement + " (planted edit)")
    assert claimsdoc.render(_snapshot()) != claimsdoc.DOC.read_text()
    out = tmp_path / "claims.md"
    out.write_text(claimsdoc.DOC.read_text())
    assert claimsdoc.main(["--check", "--out", str(out)]) == 1


def test_every_claim_has_an_anchor_statement_and_family_link():
    text = claimsdoc.DOC.read_text()
    for c in all_claims():
        assert f'<a id="{c.id.lower()}"></a>' in text
        assert c.statement in text
    assert "[gating.md](gating.md)" in text and "refuted" in text


def test_show_prints_statement_checks_with_lines_provers_tests_docs():
    res = CliRunner().invoke(app, ["show", "A5", "--json"])
    assert res.exit_code == 0, res.output
    info = json.loads(res.stdout)
    assert info["statement"] == get_claim("A5").statement and info["latex"]
    assert info["uses"] == ["A2", "R7", "R4"]
    sym = next(c for c in info["checks"] if c["method"] == "symbolic")
    path, line = sym["where"].rsplit(":", 1)
    src = (ROOT / path).read_text().splitlines()
    assert "def a5_symbolic" in src[int(line) - 1] or "@check" in src[int(line) - 1]
    assert any("a5_counterexample" in p for p in sym["provers"])
    assert any("test_search.py" in t for t in info["tests"])
    assert info["docs"] == ["docs/gating.md", "docs/claims.md#a5"]
    assert info["search"]["quantifies"] == ["models"]
    used_by = json.loads(CliRunner().invoke(app, ["show", "R3", "--json"]).stdout)["used_by"]
    assert "R4" in used_by and "R5" in used_by


def test_show_reads_the_last_verdict(tmp_path):
    rec = [{"claim": "R1", "verdict": "proved", "method": "symbolic", "scope": "full"}]
    (tmp_path / "v.json").write_text(json.dumps(rec))
    res = CliRunner().invoke(app, ["show", "R1", "--report", str(tmp_path / "v.json"), "--json"])
    assert json.loads(res.stdout)["last_verdict"] == "proved"


def test_show_unknown_claim_is_one_line_exit_2():
    res = CliRunner().invoke(app, ["show", "Z9"])
    assert res.exit_code == 2 and res.output.strip().startswith("error:") and "Traceback" not in res.output


def test_code_cites_the_projects_docs_not_the_brief():
    """Claims are stated in docs/claims.md; code cites it (or the family pages), never the brief the project
    started from, which is not in the repository."""
    brief = re.compile("THE" + r"ORY(\.md| §|_)")  # spelled in two parts so this guard does not cite it
    files = [f for folder in ("theory", "numerics", "proofs_check", "glaverify_api", "tests", "benchmarks")
             for f in sorted((ROOT / folder).rglob("*.py"))]
    assert files
    for f in files:
        assert not brief.search(f.read_text()), f
