"""Producers: compute a group of quantities for one cell (a validated ModelConfig and a RunConfig).

Producers are plain module-level functions of JSON-able input so that a process pool or a Dask worker can
run them. They reuse the project's core: closed forms (R1/R3), the Monte Carlo estimator, the claim
registry, and - where those modules have landed - numerics.landscape, numerics.gating and
numerics.training. They never optimise on their own.
"""

from __future__ import annotations

import functools
import importlib
import time
import zlib
from typing import Any

import numpy as np
from glaverify.numerics.config import ModelConfig, RunConfig
from glaverify.numerics.model import DataModel
from glaverify.numerics.tolerances import LINATT_TOL
from glaverify.proofs_check.once import sweep_scope

from .quantities import QUANTITIES, not_available, qvalue


def _rng(run: RunConfig, stream: str) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([run.seed, zlib.crc32(stream.encode())]))


def _names(producer: str) -> list[str]:
    return [q.name for q in QUANTITIES.values() if q.producer == producer]


def _all_na(producer: str, reason: str) -> dict[str, dict]:
    return {n: not_available(reason) for n in _names(producer)}


def _optional(module: str, *attrs: str) -> tuple[Any, str | None]:
    """Import ``glaverify.<module>`` and fetch the first present attribute; (obj, None) or (None, reason)."""
    try:
        mod = importlib.import_module(f"glaverify.{module}")
    except ImportError:
        return None, f"needs glaverify.{module}"
    for a in attrs:
        if hasattr(mod, a):
            return getattr(mod, a), None
    return None, f"needs glaverify.{module}.{attrs[0]}"


# ----------------------------------------------------------------------------------------------- closed form
def linatt_optimum(model: DataModel, tolerance: float) -> dict[str, Any]:
    """A4/R3: the one LinAtt optimum (:func:`glaverify.numerics.gating.linatt_optimum`, with its
    certificate) as the dict the cells are built from."""
    from glaverify.numerics.gating import linatt_optimum as lin_opt

    lin = lin_opt(model, tolerance)
    return {"risk": lin.risk, "P": lin.P, "omega": lin.omega, "ok": lin.ok, "residuals": lin.residuals}


def produce_closed_form(model_cfg: ModelConfig, run: RunConfig, quick: bool = False) -> dict[str, dict]:
    model = DataModel.from_config(model_cfg)
    tol = max(run.tolerance, LINATT_TOL)
    lin = linatt_optimum(model, tol)
    verdict = "certified" if lin["ok"] else "inconclusive"
    note = "" if lin["ok"] else f"certificate failed: {lin['residuals']}"
    return {
        "risk.null": qvalue(model.s, "proved", "exact: tr Σ + σ²"),
        "risk.linatt": qvalue(lin["risk"], verdict, note, residuals=lin["residuals"], tolerance=tol),
        "omega.linatt": qvalue(lin["omega"].tolist(), verdict, note),
    }


# ----------------------------------------------------------------------------------------------- landscape
from glaverify.numerics.tolerances import CERT_TOL, GATING_TOL, RISK_RTOL  # noqa: E402


def _class_optimum_dict(opt: Any, source: str) -> dict:
    """A numerics.gating ClassOptimum (typed) as the plain dict of a cell, with a verdict from its own
    certificate."""
    cert = opt.certificate.to_dict()
    ok = bool(opt.certified)
    return {
        "risk": float(opt.risk),
        "omega": np.asarray(opt.omega, dtype=np.float64),
        "P": np.asarray(opt.P),
        "gamma": float(opt.gamma),
        "verdict": "certified" if ok else "inconclusive",
        "note": "" if ok else f"certificate failed: {cert}",
        "certificate": cert,
        "source": source,
        "tolerance": GATING_TOL,
    }


def _wpgd_optimum(model_cfg: ModelConfig, run: RunConfig, quick: bool = False) -> Any:
    """The WPGD optimum (R4/R6) from the one entry point, numerics.gating.wpgd_optimum (the landscape's
    certify: three routes + uniqueness certificate), typed.

    Four producers of a cell need it (wpgd, mc_wpgd, r6, gla); it depends only on the model, the seed
    and ``quick`` (its generator is the seeded stream "tables/landscape"), so a worker process computes it
    once per cell and reuses the frozen result: the same numbers, a third of the certify calls."""
    return _wpgd_cached(model_cfg.model_dump_json(), run.seed, quick)


@functools.lru_cache(maxsize=16)
def _wpgd_cached(model_json: str, seed: int, quick: bool) -> Any:
    from glaverify.numerics.gating import wpgd_optimum
    from glaverify.proofs_check.shared_routes import scalarised_route

    cfg = ModelConfig.model_validate_json(model_json)
    model = DataModel.from_config(cfg)
    rng = np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(b"tables/landscape")]))
    return wpgd_optimum(model, rng, starts=3 if quick else 6, scalarised=scalarised_route(cfg, model))


def _as_dict(res: Any) -> dict:
    if isinstance(res, dict):
        return res
    if hasattr(res, "to_dict"):
        return res.to_dict()
    if hasattr(res, "__dataclass_fields__"):
        return {k: getattr(res, k) for k in res.__dataclass_fields__}
    return dict(vars(res))


def _verdict_of(res: dict) -> tuple[str, str]:
    v = res.get("verdict") or res.get("status")
    v = str(getattr(v, "value", v)) if v is not None else "inconclusive"
    if v not in ("proved", "certified", "supported", "refuted", "inconclusive"):
        return "inconclusive", f"producer status {v!r}"
    return v, str(res.get("note", ""))


def produce_wpgd(model_cfg: ModelConfig, run: RunConfig, quick: bool = False) -> dict[str, dict]:
    wp = _wpgd_optimum(model_cfg, run, quick)
    verdict, note = _verdict_of({"verdict": wp.verdict, "note": "" if wp.certified else wp.reason})
    note = (note + "; " if note else "") + f"from {wp.source}"
    extra = {"residuals": wp.certificate, "tolerance": RISK_RTOL}
    return {
        "risk.wpgd": qvalue(float(wp.risk), verdict, note, **extra),
        "omega.wpgd": qvalue(np.asarray(wp.omega).tolist(), verdict, note),
        "gamma.wpgd": (
            qvalue(float(wp.gamma), verdict, note)
            if np.isfinite(wp.gamma)
            else not_available("no finite γ reported (ω* ∝ r)")
        ),
        "certificate.wpgd": qvalue(verdict, verdict, note, **extra),
    }


def _numbers(d: dict, prefix: str = "") -> dict[str, float]:
    out: dict[str, float] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_numbers(v, f"{prefix}{k}."))
        elif isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v):
            out[f"{prefix}{k}"] = float(v)
    return out


def produce_r6(model_cfg: ModelConfig, run: RunConfig, quick: bool = False) -> dict[str, dict]:
    """R6 per cell: the landscape uniqueness certificate, and a small counterexample search around the cell's
    dims (numerics.r6_search.search, budget 20 quick / 100 otherwise, seeded from run.seed)."""
    out: dict[str, dict] = {}
    wp = _wpgd_optimum(model_cfg, run, quick)
    keep = {
        k: v
        for k, v in _numbers(wp.certificate).items()
        if k.startswith(("distinct_minima.", "gradient_norm", "hessian.restricted_min_relative"))
    }
    if wp.relative_spread is not None:  # a typed field: certify writes multistart.relative_spread
        keep["multistart.relative_spread"] = wp.relative_spread
    verdict, _ = _verdict_of({"verdict": wp.verdict})
    out["r6.certificate"] = qvalue(keep, verdict, wp.reason, counterexample=wp.counterexample)
    search, reason = _optional("numerics.r6_search", "search")
    if search is None:
        out["r6.search"] = not_available(reason or "")
    else:
        sr = search(
            budget=20 if quick else 100, seed=run.seed, max_d=model_cfg.d, max_n=model_cfg.n, full=True
        )
        d = sr.to_dict()
        summary = {
            "checked": d["checked"],
            "suspects": d["suspects"],
            "counterexamples": len(d["counterexamples"]),
            "seconds": d["seconds"],
        }
        note = f"search over d <= {model_cfg.d}, n <= {model_cfg.n}, seed {run.seed}"
        out["r6.search"] = qvalue(
            summary, d["verdict"], note, counterexample=d["counterexamples"] or None, sample_size=d["checked"]
        )
    return out


# ----------------------------------------------------------------------------------------------- Monte Carlo
def _mc_estimate(
    model: DataModel, run: RunConfig, quick: bool, name: str, P: np.ndarray, omega: np.ndarray, closed: float
) -> dict:
    """Monte Carlo risk of the predictor (P, ω) with the run's confidence; 'supported' iff the closed form is
    inside the CI."""
    from glaverify.numerics.montecarlo import mc_risk
    from glaverify.numerics.predictors import WPGDPredictor

    num = min(run.mc_prompts, 20_000) if quick else run.mc_prompts
    est = mc_risk(
        model,
        WPGDPredictor(P=P, omega=omega, name=name),
        num,
        _rng(run, f"tables/{name}"),
        confidence=run.confidence,
    )
    inside = est.contains(closed)
    return qvalue(
        est.mean,
        "supported" if inside else "inconclusive",
        f"{num} prompts, {run.confidence:g} CI"
        + ("" if inside else f"; closed form {closed:.6g} outside the CI"),
        ci=[est.ci_low, est.ci_high],
        sample_size=num,
        closed_form=closed,
    )


def produce_mc_linatt(model_cfg: ModelConfig, run: RunConfig, quick: bool = False) -> dict[str, dict]:
    """Monte Carlo risk of the optimal LinAtt predictor (R1 in sampled form)."""
    model = DataModel.from_config(model_cfg)
    lin = linatt_optimum(model, max(run.tolerance, LINATT_TOL))
    return {
        "mc.linatt": _mc_estimate(model, run, quick, "mc.linatt", lin["P"], np.ones(model.n), lin["risk"])
    }


def produce_mc_wpgd(model_cfg: ModelConfig, run: RunConfig, quick: bool = False) -> dict[str, dict]:
    """Monte Carlo risk of the WPGD optimum (R1 in sampled form, at the optimum of R4/R6)."""
    wp = _wpgd_optimum(model_cfg, run, quick)
    model = DataModel.from_config(model_cfg)
    return {"mc.wpgd": _mc_estimate(model, run, quick, "mc.wpgd", wp.P, wp.omega, float(wp.risk))}


# ----------------------------------------------------------------------------------------------- gating
#: table gate class -> numerics.gating kind
GATE_CLASSES = {"scalar": "free", "delimiter": "delimiter"}


def produce_gla(model_cfg: ModelConfig, run: RunConfig, quick: bool = False) -> dict[str, dict]:
    """A3/A4/A6 from numerics.gating: class optima (block-reduced, certified on all n weights), margins over
    LinAtt, attainment — the same decisions as the A3/A4 checks (numerics.gating.decisions)."""
    from glaverify.numerics import gating
    from glaverify.numerics.errors import InputError

    model = DataModel.from_config(model_cfg)
    lin = linatt_optimum(model, max(run.tolerance, LINATT_TOL))
    wp = _wpgd_optimum(model_cfg, run, quick)
    out: dict[str, dict] = {}

    def weaker(*vs: str) -> str:
        order = ["refuted", "inconclusive", "supported", "certified", "proved"]
        return min(vs, key=order.index)

    wp_verdict, _ = _verdict_of({"verdict": wp.verdict})
    for cls, kind in GATE_CLASSES.items():
        opt = _class_optimum_dict(
            gating.constrained_optimum(model, kind, tol=GATING_TOL),
            f"numerics.gating.constrained_optimum({kind!r})",
        )
        v, note = opt["verdict"], opt["note"]
        out[f"risk.gla.{cls}"] = qvalue(
            opt["risk"], v, note, residuals=opt["certificate"], tolerance=GATING_TOL
        )
        out[f"omega.gla.{cls}"] = qvalue(opt["omega"].tolist(), v, note)
        out[f"margin.linatt_gla.{cls}"] = qvalue(
            lin["risk"] - opt["risk"], weaker(v, "certified" if lin["ok"] else "inconclusive"), note
        )
        att = gating.attainment(model, kind, opt["risk"], wp.risk, wp.omega)
        out[f"attains.gla.{cls}"] = qvalue(
            "yes" if att.attains else "no",
            weaker(v, wp_verdict) if att.agree else "inconclusive",
            f"risk gap {att.gap:.3g}; ω* realisable: {att.omega_star_realisable}"
            + ("" if att.agree else " (criteria disagree)"),
            gap=att.gap,
            omega_star_realisable=att.omega_star_realisable,
        )
    try:
        vec = gating.vector_gate_optimum(model, "free", tol=CERT_TOL)
    except InputError as exc:
        out["risk.gla.vector"] = not_available(f"vector gates: {exc}")
        out["margin.linatt_gla.vector"] = not_available(f"vector gates: {exc}")
    else:
        v = "certified" if vec.certified else "inconclusive"
        note = "" if vec.certified else f"KKT {vec.kkt_max:.3g}, cone KKT {vec.cone_kkt_max:.3g}"
        out["risk.gla.vector"] = qvalue(
            float(vec.risk), v, note, residuals={"kkt_max": vec.kkt_max}, tolerance=CERT_TOL
        )
        out["margin.linatt_gla.vector"] = qvalue(
            lin["risk"] - float(vec.risk), weaker(v, "certified" if lin["ok"] else "inconclusive"), note
        )
    out["attains.gla.vector"] = not_available(
        "not defined: vector gates realise a weight vector per coordinate"
    )
    return out


# ----------------------------------------------------------------------------------------------- training
def produce_trained(
    model_cfg: ModelConfig, run: RunConfig, quick: bool = False, train: dict | None = None
) -> dict[str, dict]:
    """A7/A3: train the architecture of ``[sweep.train]`` with numerics.training (seed = run.seed) and
    report its held-out Monte Carlo risk (supported, with CI) next to the class optimum (certified by the
    gating/closed-form certificates)."""
    try:
        training = importlib.import_module("glaverify.numerics.training")
    except ImportError:
        return _all_na("trained", "needs glaverify.numerics.training")
    settings = dict(train or {})
    model = DataModel.from_config(model_cfg)
    steps = min(settings.get("steps", 300), 100) if quick else settings.get("steps", 300)
    spec = training.TrainSpec(
        arch=settings.get("arch", "gla-delimiter"),
        layers=settings.get("layers", 1),
        steps=steps,
        seed=run.seed,
        eval_prompts=settings.get("eval_prompts", 20_000),
        confidence=run.confidence,
    )
    res = training.train(spec, model, with_theory=False)
    note = f"{spec.arch}, {spec.layers} layer(s), {steps} Adam steps, {res.eval_prompts} held-out prompts"
    out = {
        "risk.trained": qvalue(
            float(res.risk_mc),
            "supported",
            note,
            ci=[float(c) for c in res.ci],
            sample_size=int(res.eval_prompts),
        )
    }
    if spec.layers != 1:
        out["risk.trained_theory"] = not_available("no certified optimum for more than one layer")
    elif spec.arch == "linatt":
        lin = linatt_optimum(model, max(run.tolerance, LINATT_TOL))
        out["risk.trained_theory"] = qvalue(
            lin["risk"], "certified" if lin["ok"] else "inconclusive", "LinAtt"
        )
    elif spec.arch == "gla-delimiter":
        from glaverify.numerics import gating

        opt = _class_optimum_dict(gating.constrained_optimum(model, "delimiter", tol=GATING_TOL), "gating")
        out["risk.trained_theory"] = qvalue(
            opt["risk"], opt["verdict"], "delimiter-gated optimum " + opt["note"]
        )
    else:
        from glaverify.numerics import gating
        from glaverify.numerics.errors import InputError

        try:
            vec = gating.vector_gate_optimum(model, "delimiter", tol=CERT_TOL)
        except InputError as exc:  # a non-diagonal Σ: say so
            out["risk.trained_theory"] = not_available(f"vector gates: {exc}")
        else:
            out["risk.trained_theory"] = qvalue(
                float(vec.risk), "certified" if vec.certified else "inconclusive", "vector-delimiter optimum"
            )
    return out


# ----------------------------------------------------------------------------------------------- verdicts
def produce_verdict(
    claim: str, model_cfg: ModelConfig, run: RunConfig, quick: bool = False
) -> dict[str, dict]:
    """Run the claim's default checks on this cell (dims explicit: size-limited checks may refuse)."""
    from glaverify.proofs_check.context import CheckContext
    from glaverify.proofs_check.runner import run_claim

    ctx = CheckContext(model_config=model_cfg, run=run, dims_explicit=True, quick=quick)
    res = run_claim(claim, ctx, suite=True)
    methods = ", ".join(f"{r.method}:{r.verdict.value}" for r in res.records)
    summary = "; ".join(r.summary for r in res.records)[:300]
    # i10: the cell shows the claim status ("proved, with disagreeing evidence", docs/evidence.md)
    return {f"verdict.{claim}": qvalue(res.status.text, res.verdict.value, f"{methods} - {summary}")}


def run_producer(producer: str, model: dict, run: dict, quick: bool) -> dict[str, Any]:
    """Entry point for executors: JSON-able in, JSON-able out, with the wall time."""
    from glaverify.proofs_check.evidence import jsonable

    t0 = time.perf_counter()
    model_cfg = ModelConfig.model_validate(model)
    run = dict(run)
    train = run.pop("_train", None)
    run_cfg = RunConfig.model_validate(run)
    # cell-independent proofs and per-cell results several claims share: once per worker process
    with sweep_scope():
        if producer.startswith("verdict."):
            values = produce_verdict(producer.split(".", 1)[1], model_cfg, run_cfg, quick)
        elif producer == "trained":
            values = produce_trained(model_cfg, run_cfg, quick, train)
        else:
            values = PRODUCERS[producer](model_cfg, run_cfg, quick)
    return {"values": jsonable(values), "elapsed_s": time.perf_counter() - t0}


PRODUCERS = {
    "closed_form": produce_closed_form,
    "wpgd": produce_wpgd,
    "r6": produce_r6,
    "mc_linatt": produce_mc_linatt,
    "mc_wpgd": produce_mc_wpgd,
    "gla": produce_gla,
    "trained": produce_trained,
}
