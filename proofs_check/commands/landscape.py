"""``glaverify landscape`` (the WPGD global minimum with its R6 certificate, and the best LinAtt predictor)
and ``glaverify search R6`` (the counterexample search).

Other modules add entries to the landscape output with :func:`add_landscape_section`::

    from glaverify.proofs_check.commands.landscape import add_landscape_section
    add_landscape_section("gla_free", lambda model, wpgd: {"risk": ..., "omega": [...]})

``fn(model, wpgd_result)`` receives the :class:`~glaverify.numerics.model.DataModel` and the frozen
:class:`~glaverify.numerics.landscape.LandscapeResult` (typed certificate in ``.cert``, its JSON form in
``.certificate``) and returns a JSON-friendly dict.
"""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from glaverify.numerics.errors import InputError

SectionFn = Callable[[Any, Any], dict]

#: largest ``search --budget`` accepted: at the measured few thousand instances per minute, 100 000 is
#: already hours; split bigger searches into seeded runs (docs/cli.md)
MAX_SEARCH_BUDGET = 100_000
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

    @app.command("search")
    def search_cmd(
        claim: Annotated[str, typer.Argument(help="Claim to search a counterexample for (R6).")],
        budget: Annotated[int, typer.Option("--budget", help="Number of instances.")] = 2000,
        seed: Annotated[int, typer.Option("--seed", help="Seed.")] = 0,
        max_d: Annotated[int, typer.Option("--max-d", help="Largest d.")] = 8,
        max_n: Annotated[int, typer.Option("--max-n", help="Largest n.")] = 16,
        out: Annotated[
            Path | None,
            typer.Option(
                "--out",
                help="Output DIRECTORY: search.json and counterexample-<i>.toml (created if missing).",
            ),
        ] = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Search random, near-degenerate and adversarial models for a counterexample (R6)."""
        from glaverify.numerics.r6_search import search
        from glaverify.proofs_check.cli import fail, format_value, out_console, progress_factory, styled
        from glaverify.proofs_check.evidence import jsonable
        from glaverify.proofs_check.paths import atomic_write_text, check_out_dir

        try:
            if claim.strip().upper() != "R6":
                raise InputError("CLAIM", "only R6 has a counterexample search", claim)
            if not 1 <= budget <= MAX_SEARCH_BUDGET:
                raise InputError(
                    "--budget",
                    f"must lie in [1, {MAX_SEARCH_BUDGET}] (larger searches take hours: split them into "
                    "runs with different --seed)",
                    budget,
                )
            if seed < 0:
                raise InputError("--seed", "must be >= 0", seed)
            for name, v in (("--max-d", max_d), ("--max-n", max_n)):
                if v < 1:
                    raise InputError(name, "must be an integer >= 1", v)
            if out is not None:
                check_out_dir(out, "--out")
            with progress_factory(not json_out) as prog:
                res = search(
                    budget,
                    seed=seed,
                    max_d=max_d,
                    max_n=max_n,
                    progress=prog(f"R6 search ({budget})", budget),
                )
        except InputError as exc:
            fail(exc)
            return
        summary = jsonable(res.to_dict())
        if out is not None:
            atomic_write_text(out / "search.json", json.dumps(summary, indent=2))
            for i, c in enumerate(res.counterexamples):
                atomic_write_text(out / f"counterexample-{i}.toml", c["toml"])
        if json_out:
            typer.echo(json.dumps(summary))
            if res.counterexamples:
                raise typer.Exit(1)
            return
        out_console.print(
            f"R6 search: {styled(res.verdict)} — {res.checked} instances checked in "
            f"{res.seconds:.1f} s ({res.rate_per_minute:.0f}/min), by generator "
            f"{format_value(res.by_generator)}; {res.suspects} suspect(s), {len(res.counterexamples)} "
            f"counterexample(s); seed {seed}, d ≤ {max_d}, n ≤ {max_n}",
            highlight=False,
        )
        for i, c in enumerate(res.counterexamples):
            out_console.print(f"--- counterexample {i} ({c['generator']}): {c['reason']}", highlight=False)
            out_console.print(c["toml"], highlight=False, markup=False)
        if res.counterexamples:  # exit codes (docs/cli.md): 1 = a counterexample was found
            raise typer.Exit(1)
