"""Issue 10 through the command line: verify always writes its report (a crashing check, a combiner
without the refuted short-circuit), tool errors exit 3 with the disagreement shown, --strict fails on
disagreeing evidence, and an InputError inside a check is an inconclusive record (not exit 2)."""

from __future__ import annotations

import json

import pytest
from glaverify.numerics.errors import InputError
from glaverify.proofs_check import evidence as ev
from glaverify.proofs_check import runner as run_mod
from glaverify.proofs_check.cli import app
from glaverify.proofs_check.evidence import Verdict
from glaverify.proofs_check.registry import CheckSpec, Claim
from typer.testing import CliRunner

cli = CliRunner()


def _claim(cid: str, **fns) -> Claim:
    c = Claim(cid, "test", cid, "s", "s")
    c.checks = {m: CheckSpec(cid, m, fn) for m, fn in fns.items()}
    return c


def _proved(ctx):
    return ctx.record("R2", "symbolic", Verdict.PROVED, "exact")


def _refuted(ctx):
    return ctx.record("R2", "numeric", Verdict.REFUTED, "counterexample", counterexample={"c": 2})


def _inconclusive(ctx):
    return ctx.record("R1", "monte-carlo", Verdict.INCONCLUSIVE, "outside the CI, |z| <= 6")


def _boom(ctx):
    raise RuntimeError("solver exploded")


def _tool(ctx):
    return ev.tool_error_record(ctx, "R1", "monte-carlo", "features vs conditional differ (z = 9)")


@pytest.fixture
def suite(monkeypatch):
    def use(*claims: Claim):
        monkeypatch.setattr(run_mod, "all_claims", lambda: list(claims))
        by = {c.id: c for c in claims}
        monkeypatch.setattr(run_mod, "get_claim", lambda cid: by[cid])
    return use


def test_verify_writes_its_report_with_a_crashing_check_and_a_broken_combiner(suite, monkeypatch, tmp_path):
    suite(_claim("R2", symbolic=_proved, numeric=_refuted), _claim("G1", boom=_boom))

    def no_short_circuit(verdicts, scopes=None):
        return max((Verdict(v) for v in verdicts), key=lambda v: ev._STRENGTH[v])  # KeyError on refuted

    monkeypatch.setattr(ev, "combine_verdicts", no_short_circuit)
    res = cli.invoke(app, ["verify", "--out", str(tmp_path)])
    assert (tmp_path / "verification.json").is_file() and (tmp_path / "verification.md").is_file()
    assert res.exit_code in (1, 3), res.stdout
    assert "Traceback" not in res.stdout + res.stderr
    records = json.loads((tmp_path / "verification.json").read_text())
    assert any(r.get("error") and "solver exploded" in r["error"] for r in records)


def test_tool_errors_exit_3_and_are_shown(suite, tmp_path):
    suite(_claim("R1", mc=_tool))
    res = cli.invoke(app, ["verify", "--out", str(tmp_path)])
    assert res.exit_code == 3
    assert "tool error" in res.stderr and "features vs conditional" in res.stderr
    assert (tmp_path / "verification.json").is_file()
    res = cli.invoke(app, ["check", "R1", "--json"])
    assert res.exit_code == 3 and json.loads(res.stdout)["tool_errors"]


def test_strict_fails_on_disagreeing_evidence(suite, tmp_path):
    suite(_claim("R1", symbolic=_proved, mc=_inconclusive))
    res = cli.invoke(app, ["verify", "--out", str(tmp_path)])
    assert res.exit_code == 0 and "disagreeing evidence" in res.stdout
    res = cli.invoke(app, ["verify", "--strict", "--out", str(tmp_path)])
    # exit-code policy (docs/cli.md): --strict exits 1 on refuted or disagreeing verdicts; 3 is a tool error
    assert res.exit_code == 1 and "disagreeing evidence" in res.stderr
    md = (tmp_path / "verification.md").read_text()
    assert "proved, with disagreeing evidence" in md
    out = cli.invoke(app, ["check", "R1", "--json"])
    assert json.loads(out.stdout)["status"] == "proved, with disagreeing evidence"


def test_input_error_inside_a_check_is_inconclusive_not_exit_2(suite, tmp_path):
    def limit(ctx):
        raise InputError("r", "is 0: the class optimum is undefined")

    suite(_claim("A3", certified=limit))
    res = cli.invoke(app, ["check", "A3", "--json"])
    assert res.exit_code == 0, res.stderr
    rec = json.loads(res.stdout)["records"][0]
    assert rec["verdict"] == "inconclusive" and "r: is 0" in rec["summary"]


def test_bad_user_input_is_still_exit_2_before_any_check(suite, tmp_path):
    suite(_claim("A3", certified=_boom))
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[model]\nnoise_var = -1.0\n")
    res = cli.invoke(app, ["check", "A3", "--config", str(cfg)])
    assert res.exit_code == 2 and res.stderr.startswith("error: ")


def test_star_model_with_r_zero_makes_gate_class_checks_inconclusive(tmp_path):
    cfg = tmp_path / "r0.toml"
    cfg.write_text('[model]\nd = 3\nn = 8\nnoise_var = 0.25\n[model.tasks]\nfamily = "star"\n'
                   "block_sizes = [4, 4]\nrho = [0.0, 0.0]\n")
    for claim in ("A3", "A4"):
        res = cli.invoke(app, ["check", claim, "--config", str(cfg), "--json", "--quick"])
        assert res.exit_code == 0, res.stderr
        recs = json.loads(res.stdout)["records"]
        assert all(r["verdict"] == "inconclusive" for r in recs if r["method"] != "self-test")
        rec = next(r for r in recs if r["method"] == "certified")  # the numeric class optimum abstains
        assert "not applicable to this model: r: is 0" in rec["summary"]
