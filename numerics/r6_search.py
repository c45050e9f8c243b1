"""Counterexample search for R6 (uniqueness of the WPGD global minimum up to scaling, r ≠ 0).

Every instance ``(Σ, C, σ²)`` is screened with the fast curve route of :mod:`glaverify.numerics.landscape`
(this module imports the landscape package; the landscape never imports it):
all stationary points of ``L*`` with ``rᵀω ≠ 0`` lie on ``ω(γ) = (R+γI)⁻¹r`` (R4, itself checked
elsewhere), so R6 fails only if the fixed-point residual ``γ − 1 − sF₂/F₃`` along the curve has two or
more roots (or ``h(γ) = L*(ω(γ))`` has two local minima). Screening costs a K×K eigen-decomposition and
a vectorised grid; a *suspect* (≥ 2 stationary points) is classified by the Hessian of ``L*`` on ``ω^⊥`` and,
if it could be a counterexample, certified with all three routes (:func:`landscape.certify`).
Only a ``refuted`` certificate counts as a counterexample; it is then shrunk (fewer blocks, smaller d,
smaller blocks, rounder numbers, while it still fails) and written as a config TOML.

Three generators share the budget:

``hypothesis``   ``hypothesis.find`` over :func:`glaverify.numerics.strategies.model_config_dicts`
                 (identity/diagonal/full Σ with condition up to 1e8, iid/star/decay/custom tasks,
                 near-singular
                 correlations), seeded with ``random.Random(seed)``, no example database.
``degenerate``   numpy draws: r nearly 0 (query nearly orthogonal to every block), Σ with condition number up
                 to 1e8, nearly singular C, tiny and huge σ².
``adversarial``  hill climbing over (log λ, a factor of C, log σ²) maximising a score that is high when the
                 residual along the curve has an interior extremum close to 0 (about to create two more
                 roots, i.e. a second local minimum); a found ≥ 3-root instance is a suspect.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import landscape as ls
from .errors import InputError
from .model import DataModel

#: grid size of the screening curve route
SCREEN_GRID = 160


@dataclass(frozen=True)
class Instance:
    """A search instance: Σ eigenvalues (the landscape depends on Σ only through them), block sizes, the
    (K+1)×(K+1) block-task correlation and the noise variance."""

    lam: np.ndarray
    sizes: list[int]
    corr: np.ndarray
    noise_var: float

    def model(self) -> DataModel:
        return DataModel.create(np.diag(self.lam), self.corr, self.sizes, self.noise_var)

    def to_toml(self, note: str = "") -> str:
        def num(x: float) -> str:
            return repr(float(x))

        rows = ",\n".join("    [" + ", ".join(num(v) for v in row) + "]" for row in self.corr)
        head = "".join(f"# {line}\n" for line in note.splitlines()) if note else ""
        return (
            f"{head}[model]\nd = {len(self.lam)}\nn = {sum(self.sizes)}\n"
            f"noise_var = {num(self.noise_var)}\n\n"
            f'[model.features]\ncovariance = "diagonal"\n'
            f"eigenvalues = [{', '.join(num(v) for v in self.lam)}]\n\n"
            f'[model.tasks]\nfamily = "custom"\nblock_sizes = {[int(x) for x in self.sizes]}\n'
            f"correlation = [\n{rows},\n]\n"
        )

    def to_dict(self) -> dict:
        return {
            "eigenvalues": self.lam.tolist(),
            "block_sizes": [int(x) for x in self.sizes],
            "correlation": self.corr.tolist(),
            "noise_var": self.noise_var,
        }


@dataclass(frozen=True)
class Screen:
    suspect: bool
    roots: int
    h_minima: int
    score: float


def screen(model: DataModel) -> Screen:
    """Fast curve screening: number of stationary points (roots of the residual) and local minima of h,
    and the adversarial score (−min |residual| at interior extrema of the residual that point towards 0)."""
    if ls.r_is_zero(model):
        return Screen(False, 0, 0, -10.0)
    spec = ls.CurveSpectrum.of(model)
    if spec.is_single_ray():
        return Screen(False, 1, 1, -10.0)
    lo, hi = ls.gamma_bracket(model)
    lo, hi = max(lo / 1.01, 1.0), hi * 1.01
    g = np.exp(np.linspace(np.log(lo), np.log(hi), SCREEN_GRID))
    _, a, b = spec.coefficients(g)
    res = (g - ls.gamma_map_r4(spec.lam, spec.s, a, b)) / g
    roots = int(np.sum(res[:-1] * res[1:] < 0) + np.sum(res == 0))
    h = ls.profile_on_curve(spec, g)
    noise = 1e-12 * model.s  # h varies by ~c² f: below this the grid minima are rounding noise (r ≈ 0)
    hmin = int(np.sum((h[1:-1] < h[:-2] - noise) & (h[1:-1] < h[2:] - noise)))
    dr = np.diff(res)
    ext = np.flatnonzero(dr[:-1] * dr[1:] < 0) + 1
    toward = [i for i in ext if (dr[i - 1] > 0 and res[i] < 0) or (dr[i - 1] < 0 and res[i] > 0)]
    if toward:  # an interior extremum of the residual: score in [-1, 0], 0 = about to create two roots
        score = -min(1.0, float(np.min(np.abs(res[toward]))))
    else:  # monotone residual: score in [-2, -1], higher when the smallest slope approaches 0
        score = -1.0 - min(1.0, float(np.min(dr)) / max(float(np.max(np.abs(dr))), 1e-300))
    return Screen(roots >= 2 or hmin >= 2, roots, hmin, score)


def classify(
    model: DataModel, rng: np.random.Generator, full: bool = True
) -> tuple[bool, ls.LandscapeResult | None]:
    """A suspect is a counterexample only if the full certificate says ``refuted``."""
    cr = ls.curve_route(model)
    locs = cr.local_minima
    if len(locs) < 2:
        return False, None
    if not full:
        return True, None
    res = ls.certify(model, rng, starts=8, use_cvxpy=True)
    return res.verdict == "refuted", res


# ------------------------------------------------------------------------ generators
def _random_corr(
    rng: np.random.Generator, size: int, rank: int | None = None, eps: float = 0.0
) -> np.ndarray:
    rank = rank or size
    U = rng.standard_normal((size, rank))
    if eps:
        U = U + eps * rng.standard_normal((size, size))[:, :rank]
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    c = U @ U.T
    np.fill_diagonal(c, 1.0)
    return 0.5 * (c + c.T)


def _eigs(rng: np.random.Generator, d: int, max_cond: float) -> np.ndarray:
    cond = float(np.exp(rng.uniform(0, np.log(max_cond))))
    lam = np.exp(rng.uniform(0, np.log(cond), size=d))
    lam[0], lam[-1] = 1.0, cond
    return np.sort(lam * float(np.exp(rng.uniform(-3, 3))) / cond)


def _sizes(rng: np.random.Generator, max_n: int, max_blocks: int) -> list[int]:
    n = int(rng.integers(1, max_n + 1))
    K = int(rng.integers(1, min(n, max_blocks) + 1))
    cuts = np.sort(rng.choice(np.arange(1, n), size=K - 1, replace=False)) if K > 1 else np.array([], int)
    return list(np.diff(np.concatenate([[0], cuts, [n]])).astype(int))


def degenerate_instance(rng: np.random.Generator, max_d: int, max_n: int, max_blocks: int = 6) -> Instance:
    d = int(rng.integers(1, max_d + 1))
    sizes = _sizes(rng, max_n, max_blocks)
    K = len(sizes)
    kind = rng.integers(4)
    lam = _eigs(rng, d, 1e8 if kind in (1, 3) else 1e3)
    if kind == 0:  # r nearly 0: query nearly orthogonal to every block task
        U = rng.standard_normal((K + 1, K + 1))
        U[K] = 0.0
        U[K, K] = 1.0
        U[:K, K] = 0.0
        U[K, :K] = 10 ** rng.uniform(-9, -3) * rng.standard_normal(K)
        U /= np.linalg.norm(U, axis=1, keepdims=True)
        corr = U @ U.T
        np.fill_diagonal(corr, 1.0)
    elif kind == 2:  # nearly singular C: rank-1 plus a tiny perturbation
        corr = _random_corr(rng, K + 1, rank=1, eps=10 ** rng.uniform(-8, -2))
    else:
        corr = _random_corr(rng, K + 1, rank=int(rng.integers(1, K + 2)))
    nv = float(10 ** rng.uniform(-8, 2)) if rng.random() < 0.8 else 0.0
    return Instance(lam, sizes, 0.5 * (corr + corr.T), nv)


def _instance_from_config_dict(cfg: dict) -> Instance:
    from .config import build_model_config

    mc = build_model_config(cfg)
    m = DataModel.from_config(mc)
    return Instance(m.eigenvalues.copy(), list(m.block_sizes), np.array(m.block_corr), m.noise_var)


@dataclass
class _Tally:
    """The running counts of one search (mutable while it runs; :meth:`freeze` gives the result)."""

    seed: int
    max_d: int
    max_n: int
    checked: int = 0
    by_generator: dict = field(default_factory=dict)
    suspects: int = 0
    certified_suspects: int = 0
    counterexamples: list[dict] = field(default_factory=list)
    invalid: int = 0
    best_score: float = -10.0

    def freeze(self, seconds: float) -> SearchResult:
        return SearchResult(
            checked=self.checked,
            by_generator=dict(self.by_generator),
            suspects=self.suspects,
            certified_suspects=self.certified_suspects,
            counterexamples=list(self.counterexamples),
            invalid=self.invalid,
            seconds=seconds,
            seed=self.seed,
            max_d=self.max_d,
            max_n=self.max_n,
            best_score=self.best_score,
        )


@dataclass(frozen=True)
class SearchResult:
    """The outcome of :func:`search`. ``counterexamples`` are JSON-ready dicts (generator, instance,
    original, reason, counterexample, toml); :meth:`to_dict` is the JSON summary."""

    checked: int = 0
    by_generator: dict = field(default_factory=dict)
    suspects: int = 0
    certified_suspects: int = 0
    counterexamples: list[dict] = field(default_factory=list)
    invalid: int = 0
    seconds: float = 0.0
    seed: int = 0
    max_d: int = 8
    max_n: int = 16
    best_score: float = -10.0

    @property
    def verdict(self) -> str:
        if self.counterexamples:
            return "refuted"
        return "supported" if self.checked else "inconclusive"

    @property
    def rate_per_minute(self) -> float:
        return 60.0 * self.checked / self.seconds if self.seconds > 0 else float("nan")

    def to_dict(self) -> dict:
        return {
            "verdict": self.verdict,
            "checked": self.checked,
            "by_generator": self.by_generator,
            "suspects": self.suspects,
            "suspects_cleared_by_certificate": self.certified_suspects,
            "counterexamples": self.counterexamples,
            "invalid_draws": self.invalid,
            "seconds": self.seconds,
            "instances_per_minute": self.rate_per_minute,
            "seed": self.seed,
            "max_d": self.max_d,
            "max_n": self.max_n,
            "best_adversarial_score": self.best_score,
            "note": (
                "no two stationary points on the curve means a unique minimiser (R4 places every "
                "stationary point with rᵀω ≠ 0 on the curve)"
            ),
        }


class _Runner:
    def __init__(
        self,
        rng: np.random.Generator,
        result: _Tally,
        full: bool,
        shrink: bool,
        progress: Callable[[int], None],
    ):
        self.rng, self.res, self.full, self.do_shrink, self.progress = rng, result, full, shrink, progress

    def evaluate(self, inst: Instance, gen: str) -> Screen | None:
        try:
            model = inst.model()
        except InputError:
            self.res.invalid += 1
            return None
        self.res.checked += 1
        self.res.by_generator[gen] = self.res.by_generator.get(gen, 0) + 1
        self.progress(1)
        sc = screen(model)
        self.res.best_score = max(self.res.best_score, sc.score)
        if sc.suspect:
            self.res.suspects += 1
            bad, cert = classify(model, self.rng, self.full)
            if bad:
                small = shrink(inst, self.rng) if self.do_shrink else inst
                cert2 = ls.certify(small.model(), self.rng, starts=8) if self.do_shrink else cert
                self.res.counterexamples.append(
                    {
                        "generator": gen,
                        "instance": small.to_dict(),
                        "original": inst.to_dict(),
                        "reason": cert2.reason if cert2 else "",
                        "counterexample": cert2.counterexample if cert2 else None,
                        "toml": small.to_toml(
                            f"R6 counterexample found by glaverify search ({gen})\n"
                            f"{cert2.reason if cert2 else ''}"
                        ),
                    }
                )
            else:
                self.res.certified_suspects += 1
        return sc


def _still_fails(inst: Instance, rng: np.random.Generator) -> bool:
    try:
        m = inst.model()
    except InputError:
        return False
    if not screen(m).suspect:
        return False
    bad, _ = classify(m, rng, True)
    return bad


def shrink(inst: Instance, rng: np.random.Generator, max_steps: int = 60) -> Instance:
    """Greedy shrinking while the instance still fails: drop blocks, drop eigenvalues, shrink blocks,
    round the numbers."""
    cur = inst
    steps = 0
    changed = True
    while changed and steps < max_steps:
        changed = False
        K = len(cur.sizes)
        cands: list[Instance] = []
        for k in range(K if K > 1 else 0):
            keep = [i for i in range(K + 1) if i != k]
            cands.append(
                Instance(
                    cur.lam,
                    [s for i, s in enumerate(cur.sizes) if i != k],
                    cur.corr[np.ix_(keep, keep)],
                    cur.noise_var,
                )
            )
        for j in range(len(cur.lam) if len(cur.lam) > 1 else 0):
            cands.append(Instance(np.delete(cur.lam, j), cur.sizes, cur.corr, cur.noise_var))
        for k in range(K):
            if cur.sizes[k] > 1:
                sz = list(cur.sizes)
                sz[k] -= 1
                cands.append(Instance(cur.lam, sz, cur.corr, cur.noise_var))
        for digits in (1, 2, 3):

            def rnd(x: np.ndarray) -> np.ndarray:
                vals = [float(f"{v:.{digits}g}") for v in np.ravel(x)]  # noqa: B023
                return np.array(vals).reshape(np.shape(x))

            c = rnd(cur.corr)
            np.fill_diagonal(c, 1.0)
            cand = Instance(rnd(cur.lam), cur.sizes, 0.5 * (c + c.T), float(f"{cur.noise_var:.{digits}g}"))
            if not (
                np.allclose(cand.lam, cur.lam, 0, 0)
                and np.array_equal(cand.corr, cur.corr)
                and cand.noise_var == cur.noise_var
            ):
                cands.append(cand)
        for cand in cands:
            steps += 1
            if _still_fails(cand, rng):
                cur, changed = cand, True
                break
    return cur


def _params_to_instance(x: np.ndarray, d: int, sizes: list[int]) -> Instance:
    K = len(sizes)
    lam = np.sort(np.exp(np.clip(x[:d], -18, 18)))
    U = x[d : d + (K + 1) * (K + 1)].reshape(K + 1, K + 1)
    nv = float(np.exp(np.clip(x[-1], -20, 6)))
    U = U / np.linalg.norm(U, axis=1, keepdims=True)
    c = U @ U.T
    np.fill_diagonal(c, 1.0)
    return Instance(lam, sizes, 0.5 * (c + c.T), nv)


def search(
    budget: int = 2000,
    seed: int = 0,
    max_d: int = 8,
    max_n: int = 16,
    full: bool = True,
    do_shrink: bool = True,
    progress: Callable[[int], None] | None = None,
    split: tuple[float, float, float] = (0.4, 0.3, 0.3),
) -> SearchResult:
    """Search ``budget`` instances for an R6 counterexample (see the module docstring)."""
    for name, v, lo in (
        ("--budget", budget, 1),
        ("--max-d", max_d, 1),
        ("--max-n", max_n, 1),
        ("--seed", seed, 0),
    ):
        if int(v) != v or v < lo:
            raise InputError(name, f"must be an integer >= {lo}", v)
    progress = progress or (lambda k: None)
    rng = np.random.default_rng(seed)
    res = _Tally(seed=seed, max_d=max_d, max_n=max_n)
    run = _Runner(rng, res, full, do_shrink, progress)
    t0 = time.perf_counter()
    n_h = int(round(budget * split[0]))
    n_d = int(round(budget * split[1]))
    n_a = budget - n_h - n_d

    # --- hypothesis-driven random instances
    if n_h > 0:
        from hypothesis import HealthCheck, find, settings
        from hypothesis.errors import NoSuchExample

        from .strategies import model_config_dicts

        start = res.checked

        def cond(cfg: dict) -> bool:
            if res.checked - start >= n_h:
                return False
            try:
                inst = _instance_from_config_dict(cfg)
            except InputError:
                res.invalid += 1
                return False
            sc = run.evaluate(inst, "hypothesis")
            return False if sc is None else False  # counterexamples are recorded by evaluate

        strat = model_config_dicts(max_d=max_d, max_n=max_n, max_condition=1e8, max_blocks=6)
        try:
            find(
                strat,
                cond,
                settings=settings(
                    max_examples=n_h, database=None, deadline=None, suppress_health_check=list(HealthCheck)
                ),
                random=random.Random(seed),
            )
        except NoSuchExample:
            pass
        except Exception:  # hypothesis may stop early (e.g. too many invalid); the count says how many ran
            pass
        # top up with numpy draws if hypothesis stopped before the quota
        while res.checked - start < n_h:
            run.evaluate(degenerate_instance(rng, max_d, max_n), "hypothesis-topup")

    # --- near-degenerate numpy draws
    for _ in range(n_d):
        run.evaluate(degenerate_instance(rng, max_d, max_n), "degenerate")

    # --- adversarial hill climbing
    left = n_a
    attempts = 0
    while left > 0:
        d = int(rng.integers(1, max_d + 1))
        sizes = _sizes(rng, max_n, 6)
        K = len(sizes)
        x = np.concatenate([rng.uniform(-6, 6, d), rng.standard_normal((K + 1) ** 2), [rng.uniform(-8, 3)]])
        best = -np.inf
        steps = min(left, 60)
        step = 1.0
        for _ in range(steps):
            cand = x + step * rng.standard_normal(x.size) * (rng.random(x.size) < 0.3)
            sc = run.evaluate(_params_to_instance(cand, d, sizes), "adversarial")
            attempts += 1
            if sc is not None or attempts > 10 * budget:  # invalid draws do not use the budget
                left -= 1
            if sc is not None and sc.score > best:
                x, best = cand, sc.score
            else:
                step = max(step * 0.97, 0.05)
    return res.freeze(time.perf_counter() - t0)
