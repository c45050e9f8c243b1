"""``glaverify report``: self-contained HTML with the claims table, evidence and the dependency graph."""

from __future__ import annotations

import json
import re

import pytest
from glaverify.numerics.config import default_model_config
from glaverify.numerics.errors import InputError
from glaverify.proofs_check.cli import app
from glaverify.proofs_check.context import CheckContext
from glaverify.proofs_check.registry import Claim, all_claims
from glaverify.proofs_check.report import (
    COLOURS,
    claim_statuses,
    dependency_svg,
    layers,
    layout,
    load_records,
    render_html,
    write_html_report,
)
from typer.testing import CliRunner


@pytest.fixture
def ctx():
    return CheckContext(model_config=default_model_config(4, 12))


def records(ctx, spec: dict[str, str]):
    out = []
    for key, v in spec.items():
        claim, method = key.split("/")
        kw = {}
        if v == "supported":
            kw = {"sample_size": 1000, "ci": {"low": 1.0, "high": 2.0}}
        elif v == "certified":
            kw = {"tolerance": 1e-8, "residuals": {"kkt": 3e-12}}
        elif v == "refuted":
            kw = {"counterexample": {"omega": [1.0, -2.0], "seed": 5}}
        out.append(ctx.record(claim, method, v, f"{claim} {method} <b>summary</b> & more", **kw))
    return out


def _node_verdicts(svg: str) -> dict[str, str]:
    return dict(re.findall(r'data-claim="(\w+)" data-verdict="([\w ]+)"', svg))


def test_layers_put_every_claim_below_what_it_uses():
    claims = all_claims()
    lay = layers(claims)
    for c in claims:
        for u in c.uses:
            assert lay[c.id] > lay[u], (c.id, u)
        if not c.uses:
            assert lay[c.id] == 0
    pos, width, height = layout(claims)
    assert len({(round(x), round(y)) for x, y in pos.values()}) == len(claims)  # no overlapping nodes
    assert all(0 <= x <= width and 0 <= y <= height for x, y in pos.values())


def test_cycle_is_detected():
    a = Claim("X1", "f", "t", "s", "l", uses=("X2",))
    b = Claim("X2", "f", "t", "s", "l", uses=("X1",))
    with pytest.raises(ValueError, match="cycle"):
        layers([a, b])


def test_graph_is_coloured_by_combined_verdict(ctx):
    recs = records(
        ctx,
        {
            "R1/monte-carlo": "supported",
            "R3/certificate": "certified",
            "R3/planted": "refuted",
            "G1/symbolic": "proved",
            "A5/x": "inconclusive",
        },
    )
    statuses = {s.claim.id: s.verdict for s in claim_statuses(recs)}
    assert statuses["R3"] == "refuted"  # one refuting record refutes the claim
    assert statuses["R1"] == "supported" and statuses["G1"] == "proved" and statuses["R6"] == "not run"
    svg = dependency_svg(claim_statuses(recs))
    nodes = _node_verdicts(svg)
    assert nodes == statuses
    for cid in ("R3", "R1", "G1", "A5", "R6"):
        colour = COLOURS[statuses[cid]]
        assert re.search(rf'data-claim="{cid}".*?fill="{colour}"', svg), cid
    edges = re.findall(r'data-from="(\w+)" data-to="(\w+)"', svg)
    assert sorted(edges) == sorted((u, c.id) for c in all_claims() for u in c.uses)


def test_html_is_self_contained_and_escapes_text(ctx):
    recs = records(ctx, {"R1/monte-carlo": "supported", "R3/planted": "refuted", "R2/c": "certified"})
    text = render_html(recs, source="x.json")
    assert text.startswith("<!DOCTYPE html>") and "<svg" in text and "<style>" in text
    for ref in ("<script", "<link", "src=", 'href="http', "url(http", "@import"):
        assert ref not in text
    assert "<b>summary</b>" not in text and "&lt;b&gt;summary&lt;/b&gt; &amp; more" in text
    assert "n = 1000" in text and "tol 1e-08" in text and "kkt=3e-12" in text
    assert "counterexample" in text and "&quot;omega&quot;" in text
    assert text.count('<tr id="claim-') == len(all_claims())
    seed = str(recs[0].seed)
    assert f"seeds: {seed}" in text


def test_load_records_rejects_bad_input(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_records(tmp_path / "missing.json")
    p = tmp_path / "bad.json"
    p.write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        load_records(p)
    p.write_text(json.dumps([{"claim": "R1", "verdict": "supported", "method": "m"}]))  # no sample size
    with pytest.raises(InputError, match=r"--input\[0\]"):
        load_records(p)


def test_cli_report_round_trip(tmp_path, ctx):
    recs = records(ctx, {"R1/monte-carlo": "supported", "R7/x": "refuted"})
    src = tmp_path / "verification.json"
    src.write_text(json.dumps([r.to_dict() for r in recs]))
    out_dir = tmp_path / "r"
    out = out_dir / "report.html"
    res = CliRunner().invoke(app, ["report", "--input", str(src), "--out", str(out_dir)])
    assert res.exit_code == 0, res.output
    text = out.read_text()
    assert _node_verdicts(text)["R7"] == "refuted"
    res = CliRunner().invoke(app, ["report", "--input", str(tmp_path / "nope.json"), "--out", str(out_dir)])
    assert res.exit_code == 2 and "--input" in res.output and "Traceback" not in res.output


def test_report_of_a_real_verification_run(tmp_path):
    """Records from the real runner (two fast claims; the others appear as 'not run')."""
    from glaverify.proofs_check.runner import run_suite, write_report

    ctx = CheckContext(model_config=default_model_config(3, 6), quick=True)
    results = run_suite(ctx, claims=["R1", "R3"])
    jpath, _ = write_report(results, tmp_path, ctx)
    path = write_html_report(jpath, tmp_path / "report.html")
    text = path.read_text()
    nodes = _node_verdicts(text)
    for res in results:
        assert nodes[res.claim] == res.verdict.value
    assert all(v == "not run" for k, v in nodes.items() if k not in ("R1", "R3"))


def test_verdicts_are_told_by_symbol_and_text_not_colour_alone(ctx):
    """Issue 14: proved and certified were two greens only. Every badge and graph node carries a symbol
    of its own and the verdict's name; the model behind the verdicts is named."""
    from glaverify.proofs_check.report import SYMBOLS

    assert len(set(SYMBOLS.values())) == len(SYMBOLS)  # one symbol per verdict
    recs = records(ctx, {"R1/monte-carlo": "supported", "R3/numeric": "certified", "R7/x": "refuted"})
    text = render_html(recs)
    for v in ("supported", "certified", "refuted"):
        assert f"{SYMBOLS[v]} {v}</span>" in text
    assert f"R3 {SYMBOLS['certified']}</text>" in text and f"R7 {SYMBOLS['refuted']}</text>" in text
    assert "Model: d=" in text
