"""``glaverify train`` and the gating sections of ``glaverify landscape`` (``gla_free``, ``gla_delimiter``,
``gla_vector``), docs/gating.md.

Landscape sections, each ``{risk, omega (or per-coordinate weights), attains_wpgd, margin_vs_linatt, ...}``:
the certified optimum of the class over its realisable cone (numerics.gating), whether it equals the WPGD
optimum, and its margin over the best linear attention.

``glaverify train --config F --arch gla-delimiter|gla-vector|linatt --layers L [--steps S] [--seed S]
[--json]``
trains the construction-shaped model (numerics.training) and prints the Monte Carlo risk with its CI next to
the certified one-layer optimum of the class. Optional ``[train]`` keys in the config: ``steps``, ``batch``,
``lr``, ``eval_prompts``.
"""

import json
from typing import Annotated, Any

import typer
from glaverify.numerics.errors import InputError


def _wpgd(model: Any, wpgd: Any) -> Any:
    """The WPGD optimum the landscape command already certified, typed; computed only when absent."""
    import numpy as np  # lazily: `glaverify --help` must not pay for numpy (docs/cli.md, start-up)
    from glaverify.numerics import gating as G

    if wpgd is not None and np.isfinite(getattr(wpgd, "risk", np.nan)):
        return G.wpgd_from_certify(wpgd)
    return G.wpgd_optimum(model)


def _scalar_section(kind: str):
    def fn(model: Any, wpgd: Any) -> dict:
        from glaverify.numerics import gating as G

        co = G.constrained_optimum(model, kind)
        lin = G.linatt_optimum(model)
        wp = _wpgd(model, wpgd)
        att = G.attainment(model, kind, co.risk, wp.risk, wp.omega)
        return {
            "risk": co.risk,
            "omega": co.omega.tolist(),
            "attains_wpgd": att.attains,
            "gap_to_wpgd": att.gap,
            "omega_star_realisable": att.omega_star_realisable,
            "margin_vs_linatt": lin.risk - co.risk,
            "distance_from_uniform": G.uniform_distance(co.omega),
            "gamma": co.gamma,
            "certified": co.certified,
            "certificate": co.certificate.to_dict(),
            "method": co.method,
            "set": G.realisable_weights(kind, model).description,
        }

    return fn


def _vector_section(model: Any, wpgd: Any) -> dict:
    import numpy as np
    from glaverify.numerics import gating as G

    try:
        vec = G.vector_gate_optimum(model, "delimiter")
    except InputError as exc:
        return {"risk": None, "reason": str(exc)}
    lin = G.linatt_optimum(model)
    wp = _wpgd(model, wpgd)
    Gm = vec.Gamma / np.max(np.abs(vec.Gamma), axis=0, keepdims=True)
    # h9: above WEIGHTS_DENSE_MAX entries the n x d table is written in its exact block form (docs/gating.md)
    from glaverify.numerics.gating.vector import weights_json

    fmt, omega = weights_json(Gm, model.block_sizes)
    return {
        "risk": vec.risk,
        "omega": omega,
        "omega_format": fmt,
        "weights_layout": "n x d, column m = coordinate m",
        "attains_wpgd": G.attains_wpgd(vec.risk, wp.risk),
        "beats_wpgd_by": wp.risk - vec.risk,
        "margin_vs_linatt": lin.risk - vec.risk,
        "certified": vec.certified,
        "kkt_max": vec.kkt_max,
        "cone_kkt_max": vec.cone_kkt_max,
        "note": "key-dimension delimiter gates: per-coordinate block-monotone weights (diagonal Sigma); "
        "may beat scalar WPGD (A6)",
    }


def _register_sections() -> None:
    from .landscape import add_landscape_section, landscape_sections

    have = landscape_sections()
    for name, fn in (
        ("gla_free", _scalar_section("free")),
        ("gla_delimiter", _scalar_section("delimiter")),
        ("gla_vector", _vector_section),
    ):
        if name not in have:
            add_landscape_section(name, fn)


def _train_options(cfg: Any) -> dict:
    section = getattr(cfg, "train", None)
    return section.options() if section is not None else {}


def run_train(cfg: Any, arch: str, layers: int, steps: int | None, seed: int, progress=None) -> dict:
    """Train and return the JSON object printed by ``glaverify train``."""
    from glaverify.numerics.model import DataModel
    from glaverify.numerics.training import TrainSpec, class_theory, train
    from glaverify.proofs_check.evidence import jsonable

    opts = _train_options(cfg)
    if steps is not None:
        opts["steps"] = steps
    spec = TrainSpec(arch=arch, layers=layers, seed=seed, confidence=cfg.run.confidence, **opts).validate()
    model = DataModel.from_config(cfg.model)
    res = train(spec, model, progress=progress)
    out = res.to_dict()
    if layers > 1:
        one, _ = class_theory(spec, model)
        out["theory_one_layer_risk"] = one
    out["within_2pct"] = None if res.rel_gap is None else bool(res.rel_gap <= 0.02)
    import numpy as np
    from glaverify.numerics.closed_forms import null_risk
    from glaverify.numerics.gating import wpgd_optimum
    from glaverify.numerics.landscape import r_is_zero

    if r_is_zero(model):  # R6's non-unique case: stated, not an abort (docs/landscape.md)
        out["wpgd_risk"] = null_risk(model)
        out["note"] = "r = 0: every (0, ω) is optimal and the best risk is tr Σ + σ² (R6's non-unique case)"
    else:
        out["wpgd_risk"] = wpgd_optimum(model, np.random.default_rng(seed)).risk
    return jsonable(out)


def register(app: typer.Typer) -> None:
    from glaverify.proofs_check.cli import ConfigOpt, JsonOpt, SeedOpt

    _register_sections()

    @app.command("train")
    def train_cmd(
        config: ConfigOpt = None,
        arch: Annotated[
            str, typer.Option("--arch", help="gla-delimiter | gla-vector | linatt")
        ] = "gla-delimiter",
        layers: Annotated[int, typer.Option("--layers", help="Number of layers L.")] = 1,
        steps: Annotated[
            int | None, typer.Option("--steps", help="Adam steps (default [train].steps or 1500).")
        ] = None,
        seed: SeedOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Train GLA (delimiter or key-vector gates) or LinAtt and compare its risk with the theory."""
        from glaverify.proofs_check.cli import err_console, fail, out_console, resolve_config
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
        from rich.table import Table

        try:
            if layers < 1:
                raise InputError("--layers", "must be an integer >= 1", layers)
            if steps is not None and steps < 1:
                raise InputError("--steps", "must be an integer >= 1", steps)
            cfg, _ = resolve_config(config, None, None, seed)
            total = steps or _train_options(cfg).get("steps", 1500)
            if err_console.is_terminal and not json_out:
                prog = Progress(
                    TextColumn("{task.description}"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TextColumn("loss {task.fields[loss]}"),  # text: no 'nan' before the first step
                    TimeElapsedColumn(),
                    console=err_console,
                    transient=True,
                )
                with prog:
                    task = prog.add_task(f"train {arch} L={layers}", total=total, loss="–")
                    out = run_train(
                        cfg,
                        arch,
                        layers,
                        steps,
                        cfg.run.seed,
                        progress=lambda k, loss: prog.update(
                            task, advance=k, loss=f"{loss:.4f}" if loss == loss else "–"
                        ),
                    )
            else:
                if not json_out:  # piped: one line, so a long training is not silent
                    err_console.print(f"… training {arch}, L = {layers}, {total} steps (then the Monte Carlo "
                                      "risk)", highlight=False, markup=False)
                out = run_train(cfg, arch, layers, steps, cfg.run.seed)
        except InputError as exc:
            fail(exc)
            return
        if json_out:
            typer.echo(json.dumps(out))
            return
        from glaverify.proofs_check.context import describe_model

        t = Table(title=f"trained {arch}, L = {layers}, {out['steps']} steps, seed {out['seed']}; model "
                  f"{describe_model(cfg.model, 'config ' + str(config) if config else 'default model')}")
        t.add_column("quantity")
        t.add_column("value")
        t.add_row(
            "risk (Monte Carlo)",
            f"{out['risk_mc']:.6g}  CI{out['confidence']:g} "
            f"[{out['ci'][0]:.6g}, {out['ci'][1]:.6g}]  ({out['eval_prompts']} prompts)",
        )
        if out.get("risk_exact") is not None:
            t.add_row("risk (closed form of the trained weights)", f"{out['risk_exact']:.6g}")
        if out.get("theory_risk") is not None:
            t.add_row("certified class optimum (theory)", f"{out['theory_risk']:.6g}")
            t.add_row("relative gap", f"{out['rel_gap']:.3%}  (within 2%: {out['within_2pct']})")
        t.add_row("unconstrained WPGD optimum (one layer)", f"{out['wpgd_risk']:.6g}")
        if out.get("note"):
            t.add_row("note", str(out["note"]))
        if out.get("theory_one_layer_risk") is not None:
            t.add_row("one-layer class optimum", f"{out['theory_one_layer_risk']:.6g}")
        if out.get("cosine") is not None:
            t.add_row("cosine(learned ω, class ω)", f"{out['cosine']:.5f}")
        if out.get("P_rel_error") is not None:
            t.add_row("‖P − P*(ω)‖_F / ‖P*‖_F", f"{out['P_rel_error']:.3g}")
        t.add_row("time", f"{out['seconds']:.1f} s")
        out_console.print(t)
