"""Record the numbers `glaverify landscape` (WPGD and LinAtt sections) and `glaverify check R4 R5 R6 R7`
print on every shipped example, into tests/data/landscape_regression.json.

Run once with the code whose numbers are the reference (it was run with the dense implementation before
the block-reduced core replaced it): ``python tests/data/make_landscape_fixture.py``. The regression test
(tests/test_landscape_regression.py) compares today's code with this file to 1e-10 relative.
"""

from __future__ import annotations

import json
from pathlib import Path

import tomllib
from glaverify.numerics.config import GlaverifyConfig, load_config, parse_config
from glaverify.numerics.errors import InputError
from glaverify.numerics.model import DataModel
from glaverify.proofs_check.commands.landscape import _options, compute_landscape
from glaverify.proofs_check.context import CheckContext
from glaverify.proofs_check.evidence import jsonable
from glaverify.proofs_check.runner import run_claim

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).with_name("landscape_regression.json")
CLAIMS = ("R4", "R5", "R6", "R7")
LANDSCAPE_METHODS = ("numeric", "certificate", "search-small")


def landscape_numbers(out: dict) -> dict:
    """The deterministic numbers of the WPGD and LinAtt sections (not optimiser noise such as gradient
    norms or multistart spreads, which are only compared with their tolerances by the verdict)."""
    w, lin = out["wpgd"], out["linatt"]
    c = w["certificate"]
    keep = {
        "risk": w["risk"],
        "omega": w["omega"],
        "P": w["P"],
        "gamma": w["gamma"],
        "verdict": w["verdict"],
        "unique": w["unique"],
        "linatt_risk": lin["risk"],
        "linatt_omega": lin["omega"],
        "linatt_P": lin["P"],
        "linatt_margin": lin["margin_over_wpgd"],
    }
    if "hessian" in c:
        h = c["hessian"]
        keep |= {
            "hessian_min": h["profile_restricted_min"],
            "hessian_max": h["profile_restricted_max"],
            "H_PP_min": h["H_PP_min"],
            "gamma_bracket": c["gamma_bracket"],
            "r_scale": c["r_scale"],
            "single_ray": c["single_ray"],
            "curve_local_minima": c["distinct_minima"]["curve_local_minima"],
            "curve_stationary_points": c["distinct_minima"]["curve_stationary_points"],
        }
        if h["full_restricted"] is not None:
            keep["full_restricted_min"] = h["full_restricted"]["min"]
            keep["full_restricted_max"] = h["full_restricted"]["max"]
    return keep


def check_numbers(rec: dict) -> dict:
    det = rec.get("details") or {}
    keep = {"verdict": rec["verdict"]}
    key = f"{rec['claim']} {rec['method']}"
    if key == "R4 numeric" and "gamma_star" in det:
        names = ("gamma_star", "curve_risk", "global_risk", "tight_bracket", "omega_star")
        keep |= {k: det[k] for k in names}
    elif key == "R5 numeric" and "closed_form_risk" in det:
        keep |= {"closed_form_risk": det["closed_form_risk"], "omega_closed_form": det["omega_closed_form"]}
        keep |= {f"route_{k}": v for k, v in det["routes"].items()}
    elif key == "R6 certificate":
        keep |= {"risk": det.get("risk"), "omega": det.get("omega"), "gamma": det.get("gamma")}
    elif key.startswith("R6 search"):
        keep |= {"checked": det.get("checked"), "suspects": det.get("suspects")}
    elif key == "R7 numeric" and "block_values" in det:
        keep |= {"block_values": det["block_values"], "omega": det["omega"]}
    return keep


def load_base_config(path: Path) -> GlaverifyConfig:
    """The config of a shipped example; for a sweep file (tables) its base [model] and [run]."""
    try:
        return load_config(path)
    except InputError:
        data = tomllib.loads(path.read_text())
        return parse_config({k: v for k, v in data.items() if k in ("model", "run")})


def main() -> None:
    data: dict = {}
    for path in sorted((ROOT / "examples").glob("*.toml")):
        cfg = load_base_config(path)
        model = DataModel.from_config(cfg.model)
        out = compute_landscape(model, cfg.run.seed, **_options(cfg))
        entry: dict = {"landscape": landscape_numbers(out)}
        ctx = CheckContext(model_config=cfg.model, run=cfg.run, dims_explicit=True)
        for claim in CLAIMS:
            res = run_claim(claim, ctx, suite=True)
            for rec in res.records:
                if rec.method not in LANDSCAPE_METHODS:  # symbolic checks belong to docs/proofs.md
                    continue
                entry[f"{rec.claim} {rec.method}"] = check_numbers(jsonable(rec.to_dict()))
        data[path.name] = jsonable(entry)
        print(path.name, [v["verdict"] for v in entry.values()])
    OUT.write_text(json.dumps(data, indent=1) + "\n")


if __name__ == "__main__":
    main()
