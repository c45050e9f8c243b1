"""``glaverify landscape`` (the WPGD global minimum with its R6 certificate, and the best LinAtt predictor)
(``glaverify search`` lives in :mod:`glaverify.proofs_check.commands.search`).

Other modules add entries to the landscape output with :func:`add_landscape_section`::

    from glaverify.proofs_check.commands.landscape import add_landscape_section
    add_landscape_section("gla_free", lambda model, wpgd: {"risk": ..., "omega": [...]})

``fn(model, wpgd_result)`` receives the :class:`~glaverify.numerics.model.DataModel` and the
:class:`~glaverify.numerics.landscape.LandscapeResult` and returns a JSON-friendly dict.
"""

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import typer
from glaverify.numerics.errors import InputError

SectionFn = Callable[[Any, Any], dict]
_SECTIONS: dict[str, SectionFn] = {}

#: keys of [landscape] in a config file that this command reads


def add_landscape_section(name: str, fn: SectionFn) -> None:
    """Register an extra top-level entry ``name`` of ``glaverify landscape`` output (e.g. ``"gla_free"``)."""
    if name in ("wpgd", "linatt", "model"):
        raise ValueError(f"landscape section {name!r} is reserved")
    _SECTIONS[name] = fn


def landscape_sections() -> dict[str, SectionFn]:
    return dict(_SECTIONS)


def _options(cfg: Any) -> dict:
    section = getattr(cfg, "landscape", None)
    return section.options() if section is not None else {}


def compute_landscape(model: Any, seed: int = 0, starts: int = 6, cvxpy: bool = True) -> dict:
    """The JSON object printed by ``glaverify landscape``."""
    from glaverify.numerics import landscape as ls
    from glaverify.proofs_check.evidence import jsonable

    res = ls.certify(model, np.random.default_rng(seed), starts=starts, use_cvxpy=cvxpy)
    lin = ls.linatt_optimum(model)
    out: dict[str, Any] = {
        "model": {"d": model.d, "n": model.n, "K": model.K, "s": model.s},
        "wpgd": {
            "risk": res.risk,
            "omega": res.omega,
            "P": res.P,
            "gamma": res.gamma,
            "certificate": res.certificate,
            "verdict": res.verdict,
            "reason": res.reason,
            "unique": res.unique,
            "counterexample": res.counterexample,
        },
        "linatt": {
            "risk": lin["risk"],
            "omega": lin["omega"],
            "P": lin["P"],
            "margin_over_wpgd": lin["risk"] - res.risk,
        },
    }
    r_zero = ls.r_scale(model)[0] == 0.0
    for name, fn in _SECTIONS.items():
        if r_zero:  # no normalisation r^T w = 1 exists; every class's best predictor is P = 0
            out[name] = {
                "risk": model.s,
                "omega": None,
                "attains_wpgd": True,
                "margin_vs_linatt": 0.0,
                "note": "r = 0: the best predictor of every gate class is P = 0 (risk tr Σ + σ²); "
                "the weights are arbitrary (R6's non-unique clause)",
            }
            continue
        try:
            out[name] = fn(model, res)
        except InputError:
            raise
        except Exception as exc:  # a broken extension must not hide the WPGD result
            out[name] = {"error": f"{type(exc).__name__}: {exc}"}
    return jsonable(out)


def register(app: typer.Typer) -> None:
    from glaverify.proofs_check.cli import ConfigOpt, DOpt, JsonOpt, NOpt, SeedOpt

    @app.command("landscape")
    def landscape_cmd(
        config: ConfigOpt = None,
        d: DOpt = None,
        n: NOpt = None,
        seed: SeedOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        """The WPGD global minimum (three routes, R6 certificate) and the best LinAtt predictor."""
        from glaverify.numerics.model import DataModel
        from glaverify.proofs_check.cli import fail, out_console, resolve_config, styled
        from rich.table import Table

        try:
            cfg, _ = resolve_config(config, d, n, seed)
            opts = _options(cfg)
            model = DataModel.from_config(cfg.model)
            out = compute_landscape(model, seed=cfg.run.seed, **opts)
        except InputError as exc:
            fail(exc)
            return
        if json_out:
            typer.echo(json.dumps(out))
            return
        w, lin = out["wpgd"], out["linatt"]
        t = Table(title=f"WPGD landscape (d={model.d}, n={model.n}, K={model.K})")
        t.add_column("quantity")
        t.add_column("value")
        t.add_row("verdict (R6)", styled(w["verdict"]))
        t.add_row("reason", w["reason"])
        t.add_row("WPGD risk", f"{w['risk']:.10g}")
        t.add_row("γ*", str(w["gamma"]))
        t.add_row(
            "ω* (block values)",
            ", ".join(
                f"{w['omega'][i]:.6g}" for i in np.concatenate([[0], np.cumsum(model.block_sizes)[:-1]])
            ),
        )
        cert = w["certificate"]
        if "hessian" in cert:
            t.add_row("restricted Hessian min", f"{cert['hessian']['profile_restricted_min']:.4g}")
            t.add_row("gradient norm", f"{cert['gradient_norm']:.3g}")
            t.add_row("routes", json.dumps(cert["routes"]))
        t.add_row("LinAtt risk", f"{lin['risk']:.10g}")
        t.add_row("LinAtt − WPGD", f"{lin['margin_over_wpgd']:.4g}")
        for name in _SECTIONS:
            val = out.get(name, {})
            risk = val.get("risk") if isinstance(val, dict) else None
            t.add_row(name, f"{risk:.10g}" if isinstance(risk, float) else json.dumps(val)[:200])
        out_console.print(t)

    # `glaverify search` (R6 and every other claim) lives in proofs_check/commands/search.py (issue 13).
