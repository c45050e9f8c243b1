"""``glaverify landscape`` (the WPGD global minimum with its R6 certificate, and the best LinAtt predictor)
(``glaverify search`` lives in :mod:`glaverify.proofs_check.commands.search`).

Other modules add entries to the landscape output with :func:`add_landscape_section`::

    from glaverify.proofs_check.commands.landscape import add_landscape_section
    add_landscape_section("gla_free", lambda model, wpgd: {"risk": ..., "omega": [...]})

``fn(model, wpgd_result)`` receives the :class:`~glaverify.numerics.model.DataModel` and the frozen
:class:`~glaverify.numerics.landscape.LandscapeResult` (typed certificate in ``.cert``, its JSON form in
``.certificate``) and returns a JSON-friendly dict.
"""

import json
from collections.abc import Callable
from typing import Any

import typer
from glaverify.numerics.errors import InputError

SectionFn = Callable[[Any, Any], dict]

#: largest ``search --budget`` accepted: at the measured few thousand instances per minute, 100 000 is
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


def compute_landscape(
    model: Any, seed: int = 0, starts: int = 6, cvxpy: bool = True, step: Callable[[str], None] | None = None
) -> dict:
    """The JSON object printed by ``glaverify landscape``. ``step(name)`` is called as each section starts
    (the CLI shows it as progress)."""
    import numpy as np  # lazily: `glaverify --help` must not pay for numpy (docs/cli.md, start-up)
    from glaverify.numerics import landscape as ls
    from glaverify.proofs_check.evidence import jsonable

    step = step or (lambda name: None)
    step("wpgd (R6 certificate)")
    res = ls.certify(model, np.random.default_rng(seed), starts=starts, use_cvxpy=cvxpy)
    step("linatt")
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
            step(name)
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
        import numpy as np
        from glaverify.numerics.model import DataModel
        from glaverify.proofs_check.cli import (
            err_console,
            fail,
            format_value,
            interrupted,
            out_console,
            resolve_config,
            styled,
        )
        from rich.table import Table

        done: list[str] = []

        def step(name: str) -> None:  # progress: one line per section (each can take seconds at paper size)
            done.append(name)
            if not json_out:
                err_console.print(f"… landscape: {name}", highlight=False, markup=False)

        try:
            cfg, _ = resolve_config(config, d, n, seed)
            opts = _options(cfg)
            model = DataModel.from_config(cfg.model)
            out = compute_landscape(model, seed=cfg.run.seed, step=step, **opts)
        except InputError as exc:
            fail(exc)
            return
        except KeyboardInterrupt:
            interrupted(", ".join(done[:-1]) or "nothing")
            return

        def num(x: Any, fmt: str) -> str:  # 'inf'/'nan' arrive as strings from the JSON boundary
            return format(x, fmt) if isinstance(x, (int, float)) and not isinstance(x, bool) else str(x)

        if json_out:
            typer.echo(json.dumps(out))
            return
        w, lin = out["wpgd"], out["linatt"]
        from glaverify.proofs_check.cli import model_source
        from glaverify.proofs_check.context import describe_model

        t = Table(title=f"WPGD landscape — {describe_model(cfg.model, model_source(config, d, n))}")
        t.add_column("quantity")
        t.add_column("value")
        t.add_row("verdict (R6)", styled(w["verdict"]))
        t.add_row("reason", w["reason"])
        t.add_row("WPGD risk", num(w["risk"], ".10g"))
        t.add_row("γ*", str(w["gamma"]))
        t.add_row(
            "ω* (block values)",
            ", ".join(
                num(w["omega"][i], ".6g") for i in np.concatenate([[0], np.cumsum(model.block_sizes)[:-1]])
            ),
        )
        cert = w["certificate"]
        if "hessian" in cert:
            h = cert["hessian"]
            t.add_row("restricted Hessian min", num(h["profile_restricted_min"], ".4g"))
            if h.get("within_block_multiplicity"):
                t.add_row(
                    "within-block Hessian eigenvalue",
                    f"{num(h['within_block_eigenvalue'], '.4g')} "
                    f"(multiplicity {h['within_block_multiplicity']})",
                )
            t.add_row("gradient norm", num(cert["gradient_norm"], ".3g"))
            t.add_row("routes", format_value(cert["routes"]))
        t.add_row("LinAtt risk", num(lin["risk"], ".10g"))
        t.add_row("LinAtt − WPGD", num(lin["margin_over_wpgd"], ".4g"))
        for name in _SECTIONS:
            val = out.get(name, {})
            risk = val.get("risk") if isinstance(val, dict) else None
            if isinstance(risk, float):
                t.add_row(name, num(risk, ".10g"))
            elif isinstance(val, dict):  # an error or a reason: its text, never a raw dict
                t.add_row(name, str(val.get("error") or val.get("reason") or val.get("note") or "-"))
            else:
                t.add_row(name, format_value(val))
        out_console.print(t)

    # `glaverify search` (R6 and every other claim) lives in proofs_check/commands/search.py (issue 13).
